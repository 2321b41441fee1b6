//! The verdict on one VM run and its reports: the run-level checks (boot,
//! console, ABI, Landlock off), the JUnit of the target and its part of the
//! merged JUnit.
//!
//! Each target's JUnit holds one testsuite per suite, plus a `vm` testsuite
//! whose cases are the run-level checks, so that a panic or an ABI
//! regression shows up in CI as a failed case with the console excerpt in
//! its system-err. Tests the host listed but the guest never reported are
//! `error` cases saying why.

use crate::host::accel::Accel;
use crate::run::collector::Collector;
use crate::run::console_scan::ConsoleScan;
use crate::run::events::{Consumer, Event, VmEnd, VmEvent};
use llconf_reports::junit::{self, classname};
use llconf_reports::quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite,
};
use llconf_reports::record::{KnownIssue, LandlockStatus, Outcome, Record};
use llconf_reports::results::{Counts, SuiteResults};
use llconf_reports::run_results::MergedLine;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// How much of the console goes into a failed boot's system-err when no
/// trouble line explains it.
const CONSOLE_TAIL_LINES: usize = 60;

/// What is known before the VM starts.
#[derive(Debug, Clone)]
pub struct TargetInfo {
    /// `<kernel>-<variant>`: the output directory and the classname part.
    pub id: String,
    pub kernel: String,
    pub variant: String,
    pub expected_abi: Option<u32>,
    /// False for variants that leave Landlock out.
    pub landlock: bool,
    pub append: String,
    /// `name=version` of the Debian packages booted.
    pub packages: Vec<String>,
    /// `None` for UML, which runs natively.
    pub accel: Option<Accel>,
    pub backend: &'static str,
    /// Suite → the tests its binary lists on the host.
    pub planned: BTreeMap<String, Vec<String>>,
}

pub struct Target {
    pub info: TargetInfo,
    collector: Collector,
    scan: ConsoleScan,
    console_tail: VecDeque<String>,
    /// Set when the kernel could not be made ready: the VM never started.
    pub prepare_error: Option<String>,
    pub command: Option<String>,
    pub boot: Option<Duration>,
    pub elapsed: Option<Duration>,
    pub end: Option<VmEnd>,
    suites: Option<Vec<SuiteResults>>,
    /// Every record, as it arrived, for the merged results file.
    records: Vec<(String, Record)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: &'static str,
    pub failure: Option<CheckFailure>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckFailure {
    pub message: String,
    pub system_err: Option<String>,
}

impl Target {
    pub fn new(info: TargetInfo) -> Target {
        Target {
            info,
            collector: Collector::default(),
            scan: ConsoleScan::default(),
            console_tail: VecDeque::new(),
            prepare_error: None,
            command: None,
            boot: None,
            elapsed: None,
            end: None,
            suites: None,
            records: Vec::new(),
        }
    }

    pub fn on_event(&mut self, event: &VmEvent) {
        match event {
            VmEvent::BootStarted { command } => self.command = Some(command.clone()),
            VmEvent::GuestUp { boot } => self.boot = Some(*boot),
            VmEvent::ConsoleLine(line) => {
                self.scan.line(line);
                if self.console_tail.len() == CONSOLE_TAIL_LINES {
                    self.console_tail.pop_front();
                }
                self.console_tail.push_back(line.clone());
            }
            VmEvent::Suite(e) => {
                if let Event::Record { suite, record } = e {
                    self.records.push((suite.clone(), record.clone()));
                }
                self.collector.on_event(e);
            }
            VmEvent::VmEnded { cause, elapsed } => {
                self.end = Some(cause.clone());
                self.elapsed = Some(*elapsed);
            }
        }
    }

    /// Called once the VM is gone: dmesg is read, results are final.
    pub fn finish(&mut self, dmesg: Option<&str>) {
        // The console already carried what dmesg holds when the guest lived
        // to write it; dmesg only matters if the console missed it.
        if let Some(text) = dmesg {
            if self.scan.findings().is_empty() {
                for line in text.lines() {
                    self.scan.line(line);
                }
            }
        }
        let collector = std::mem::take(&mut self.collector);
        let mut suites = collector.into_results();
        // Suites that never produced an event (the VM never started).
        for name in self.info.planned.keys() {
            if !suites.iter().any(|s| &s.suite == name) {
                let mut s = SuiteResults::new(name.as_str());
                s.crash = Some(format!("did not run: {}", self.why_not_run()));
                suites.push(s);
            }
        }
        self.suites = Some(suites);
    }

    /// The target's lines of the merged results file: suites in name
    /// order, records in the order they were written.
    pub fn merged_lines(&self) -> Vec<MergedLine> {
        let mut lines = Vec::new();
        for suite in self.info.planned.keys() {
            for (_, record) in self.records.iter().filter(|(s, _)| s == suite) {
                lines.push(MergedLine {
                    target: self.info.id.clone(),
                    kernel: self.info.kernel.clone(),
                    variant: self.info.variant.clone(),
                    suite: suite.clone(),
                    record: record.clone(),
                });
            }
        }
        lines
    }

    pub fn suites(&self) -> &[SuiteResults] {
        self.suites.as_deref().unwrap_or_default()
    }

    fn why_not_run(&self) -> String {
        match (&self.prepare_error, &self.end) {
            (Some(e), _) => format!("the kernel could not be made ready: {e}"),
            (None, Some(end)) => end.describe(),
            (None, None) => "the VM never started".into(),
        }
    }

    pub fn counts(&self) -> Counts {
        llconf_reports::summary::totals(self.suites())
    }

    /// The ABI the guest's suites reported, if they agree on one.
    pub fn observed_abi(&self) -> Option<u32> {
        self.suites().iter().find_map(|s| s.kernel.as_ref()?.abi)
    }

    pub fn release(&self) -> Option<&str> {
        self.suites()
            .iter()
            .find_map(|s| s.kernel.as_ref().map(|k| k.release.as_str()))
    }

    pub fn checks(&self) -> Vec<Check> {
        let fail = |message: String, system_err: Option<String>| {
            Some(CheckFailure {
                message,
                system_err,
            })
        };
        let mut checks = Vec::new();
        let boot = match (&self.prepare_error, &self.end) {
            (Some(e), _) => fail(format!("the kernel could not be made ready: {e}"), None),
            (None, Some(VmEnd::Completed)) => None,
            (None, Some(end)) => fail(end.describe(), Some(self.console_tail())),
            (None, None) => fail("the VM never started".into(), None),
        };
        let booted = self.prepare_error.is_none() && self.end.is_some();
        checks.push(Check {
            name: "boot",
            failure: boot,
        });
        if booted {
            checks.push(Check {
                name: "console",
                failure: self.scan.summary().map(|s| CheckFailure {
                    message: format!("guest trouble on the console: {s}"),
                    system_err: Some(self.scan.excerpts()),
                }),
            });
        }
        let kernels: Vec<_> = self
            .suites()
            .iter()
            .filter_map(|s| s.kernel.as_ref())
            .collect();
        if self.info.landlock {
            if let Some(expected) = self.info.expected_abi {
                let completed = self.end == Some(VmEnd::Completed);
                let failure = match kernels.first() {
                    // A VM that died says so in `boot`; "ABI unknown" would only repeat it.
                    None if !completed => None,
                    None => fail(
                        format!("ABI unknown: no suite reported it (expected {expected})"),
                        None,
                    ),
                    Some(k) if k.landlock != LandlockStatus::Enabled => fail(
                        format!(
                            "Landlock is {} (expected enabled with ABI {expected})",
                            k.landlock
                        ),
                        None,
                    ),
                    Some(k) => match k.abi {
                        Some(got) if got == expected => None,
                        Some(got) => fail(
                            format!("ABI regression: expected {expected}, got {got}"),
                            None,
                        ),
                        None => fail(format!("ABI unknown (expected {expected})"), None),
                    },
                };
                if completed || failure.is_some() {
                    checks.push(Check {
                        name: "abi",
                        failure,
                    });
                }
            }
        } else if booted {
            let enabled = kernels
                .iter()
                .any(|k| k.landlock == LandlockStatus::Enabled);
            let passed: Vec<&str> = self
                .suites()
                .iter()
                .flat_map(|s| &s.tests)
                .filter(|t| t.enforcement && t.outcome == Outcome::Passed)
                .map(|t| t.name.as_str())
                .collect();
            let failure = if !passed.is_empty() {
                fail(
                    format!(
                        "{} enforcement tests passed with Landlock left out of lsm=: {}",
                        passed.len(),
                        passed
                            .iter()
                            .take(5)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Some(passed.join("\n")),
                )
            } else if enabled {
                fail(
                    format!("Landlock is still enabled with `{}`", self.info.append),
                    None,
                )
            } else {
                None
            };
            checks.push(Check {
                name: "landlock-off",
                failure,
            });
        }
        checks
    }

    fn console_tail(&self) -> String {
        let lines: Vec<&str> = self.console_tail.iter().map(String::as_str).collect();
        format!("last {} console lines:\n{}", lines.len(), lines.join("\n"))
    }

    pub fn is_success(&self) -> bool {
        self.checks().iter().all(|c| c.failure.is_none())
            && self.suites().iter().all(SuiteResults::is_success)
    }

    /// The known issues its known failures showed, each once, in id order.
    pub fn known_issues(&self) -> Vec<KnownIssue> {
        llconf_reports::results::known_issues(self.suites())
    }

    /// The failures that are not a test's: for the summary.
    pub fn problems(&self) -> Vec<String> {
        self.checks()
            .into_iter()
            .filter_map(|c| c.failure.map(|f| format!("vm::{}: {}", c.name, f.message)))
            .collect()
    }

    fn properties(&self) -> Vec<(&'static str, String)> {
        let i = &self.info;
        let mut p = vec![
            ("kernel.name", i.kernel.clone()),
            ("kernel.variant", i.variant.clone()),
            (
                "kernel.package",
                if i.packages.is_empty() {
                    "none".into()
                } else {
                    i.packages.join(" ")
                },
            ),
            ("kernel.append", i.append.clone()),
            ("vm.backend", i.backend.into()),
            ("vm.accel", accel_label(i.accel)),
        ];
        if let Some(abi) = i.expected_abi {
            p.push(("landlock.expected_abi", abi.to_string()));
        }
        if let Some(b) = self.boot {
            p.push(("vm.boot_seconds", format!("{:.1}", b.as_secs_f64())));
        }
        p
    }

    /// The target's JUnit; with `kernel_id`, shaped for the merged file
    /// (kernel id in classnames and testsuite names).
    pub fn report(&self, kernel_id: Option<&str>) -> Report {
        let base = junit::report(self.suites(), kernel_id);
        let mut report = Report::new("llconf");
        report.timestamp = base.timestamp;
        report.time = base.time;
        let props = self.properties();
        for mut suite in base.test_suites {
            for (k, v) in &props {
                suite.add_property(Property::new(*k, v.as_str()));
            }
            let name = suite.name.as_str().to_string();
            self.add_not_run(&mut suite, &name, kernel_id);
            if let Some(id) = kernel_id {
                suite.name = format!("{id}/{name}").into();
            }
            report.add_test_suite(suite);
        }
        let mut vm = TestSuite::new(match kernel_id {
            Some(id) => format!("{id}/vm"),
            None => "vm".into(),
        });
        if let Some(id) = kernel_id {
            vm.add_property(Property::new("kernel.id", id));
        }
        if let Some(release) = self.release() {
            vm.add_property(Property::new("kernel.release", release));
        }
        if let Some(abi) = self.observed_abi() {
            vm.add_property(Property::new("landlock.abi", abi.to_string()));
        }
        for (k, v) in &props {
            vm.add_property(Property::new(*k, v.as_str()));
        }
        if let Some(t) = self.elapsed {
            vm.set_time(t);
        }
        for check in self.checks() {
            let status = match &check.failure {
                None => TestCaseStatus::success(),
                Some(f) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(f.message.as_str()).set_type(check.name);
                    s
                }
            };
            let mut case = TestCase::new(check.name, status);
            case.set_classname(classname("vm", kernel_id));
            if let Some(err) = check.failure.as_ref().and_then(|f| f.system_err.as_ref()) {
                case.set_system_err(err.as_str());
            }
            if let Some(cmd) = &self.command {
                case.set_system_out(cmd.as_str());
            }
            vm.add_test_case(case);
        }
        report.add_test_suite(vm);
        report
    }

    /// Listed tests without a record become errors, when the suite did not
    /// run to its end: nothing may silently vanish from the report.
    fn add_not_run(&self, suite: &mut TestSuite, name: &str, kernel_id: Option<&str>) {
        let Some(results) = self.suites().iter().find(|s| s.suite == name) else {
            return;
        };
        if results.finished && results.crash.is_none() {
            return;
        }
        let Some(planned) = self.info.planned.get(name) else {
            return;
        };
        let why = results
            .crash
            .clone()
            .unwrap_or_else(|| "the suite did not finish".into());
        let reported: std::collections::HashSet<&str> =
            results.tests.iter().map(|t| t.name.as_str()).collect();
        for test in planned.iter().filter(|t| !reported.contains(t.as_str())) {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(format!("not run: {why}"))
                .set_type("not-run");
            // Named as reported cases are: the classname holds the group.
            let (group, last) = match test.rsplit_once("::") {
                Some((g, c)) => (g.replace("::", "."), c),
                None => (name.to_string(), test.as_str()),
            };
            let mut case = TestCase::new(last, status);
            case.set_classname(classname(&group, kernel_id));
            suite.add_test_case(case);
        }
    }
}

/// The merged file: every target's testsuites, kernel ids in classnames.
pub fn merged(targets: &[Target]) -> Report {
    let mut report = Report::new("llconf");
    for t in targets {
        let r = t.report(Some(&t.info.id));
        if report.timestamp.is_none() {
            report.timestamp = r.timestamp;
        }
        report.add_test_suites(r.test_suites);
    }
    let total: Duration = targets.iter().filter_map(|t| t.elapsed).sum();
    report.set_time(total);
    report
}

/// `vm.accel`: `kvm`, `tcg`, or `none` (UML).
pub fn accel_label(accel: Option<Accel>) -> String {
    accel.map_or("none".into(), |a| a.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::events::EndCause;
    use llconf_reports::record::{KernelInfo, SuiteFinished, SuiteStarted, TestRecord};

    fn info(landlock: bool) -> TargetInfo {
        TargetInfo {
            id: "debian-7.2-default".into(),
            kernel: "debian-7.2".into(),
            variant: "default".into(),
            expected_abi: Some(10),
            landlock,
            append: String::new(),
            packages: vec!["linux-binary-7.2.13+deb14-amd64=7.2.13-1".into()],
            accel: Some(Accel::Tcg),
            backend: "vng",
            planned: BTreeMap::from([(
                "base".to_string(),
                vec!["base::a::x".to_string(), "base::a::y".to_string()],
            )]),
        }
    }

    fn test(name: &str, outcome: Outcome, enforcement: bool) -> VmEvent {
        VmEvent::Suite(Event::Record {
            suite: "base".into(),
            record: Record::TestFinished(
                TestRecord::new(name, outcome, 1.0).with_enforcement(enforcement),
            ),
        })
    }

    fn started(abi: Option<u32>, landlock: LandlockStatus) -> VmEvent {
        VmEvent::Suite(Event::Record {
            suite: "base".into(),
            record: Record::SuiteStarted(SuiteStarted {
                suite: "base".into(),
                kernel: KernelInfo {
                    release: "7.2.13+deb14-amd64".into(),
                    landlock,
                    abi,
                    errata: None,
                },
                tests_planned: 2,
                filtered: false,
                started_at: 1_700_000_000.0,
            }),
        })
    }

    fn ended(code: i32) -> VmEvent {
        VmEvent::Suite(Event::SuiteEnded {
            suite: "base".into(),
            cause: EndCause::Exited(code),
            elapsed: Duration::from_secs(1),
            log: "/o/logs/base.log".into(),
        })
    }

    fn finished() -> VmEvent {
        VmEvent::Suite(Event::Record {
            suite: "base".into(),
            record: Record::SuiteFinished(SuiteFinished {
                suite: "base".into(),
                passed: 2,
                failed: 0,
                skipped: 0,
                known_failures: 0,
                duration_ms: 5.0,
            }),
        })
    }

    fn vm_end(cause: VmEnd) -> VmEvent {
        VmEvent::VmEnded {
            cause,
            elapsed: Duration::from_secs(30),
        }
    }

    fn run(t: &mut Target, events: Vec<VmEvent>) {
        for e in events {
            t.on_event(&e);
        }
        t.finish(None);
    }

    fn failures(t: &Target) -> Vec<String> {
        t.problems()
    }

    #[test]
    fn a_clean_run_passes_every_check() {
        let mut t = Target::new(info(true));
        run(
            &mut t,
            vec![
                started(Some(10), LandlockStatus::Enabled),
                test("base::a::x", Outcome::Passed, true),
                test("base::a::y", Outcome::Passed, false),
                finished(),
                ended(0),
                vm_end(VmEnd::Completed),
            ],
        );
        assert!(t.is_success(), "{:?}", failures(&t));
        let names: Vec<&str> = t.checks().iter().map(|c| c.name).collect();
        assert_eq!(names, ["boot", "console", "abi"]);
    }

    #[test]
    fn another_abi_is_a_regression() {
        let mut t = Target::new(info(true));
        run(
            &mut t,
            vec![
                started(Some(9), LandlockStatus::Enabled),
                finished(),
                ended(0),
                vm_end(VmEnd::Completed),
            ],
        );
        assert_eq!(
            failures(&t),
            ["vm::abi: ABI regression: expected 10, got 9"]
        );
    }

    #[test]
    fn a_passing_enforcement_test_without_landlock_fails_the_target() {
        let mut i = info(false);
        i.append = "lsm=lockdown,capability,yama".into();
        let mut t = Target::new(i);
        run(
            &mut t,
            vec![
                started(None, LandlockStatus::Disabled),
                test("base::a::x", Outcome::Passed, true),
                test("base::a::y", Outcome::Skipped, true),
                finished(),
                ended(0),
                vm_end(VmEnd::Completed),
            ],
        );
        let f = failures(&t);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("1 enforcement tests passed") && f[0].contains("base::a::x"));
    }

    #[test]
    fn a_panic_fails_boot_and_console_and_unrun_tests_are_errors() {
        let mut t = Target::new(info(true));
        run(
            &mut t,
            vec![
                VmEvent::ConsoleLine(
                    "[ 9.0] Kernel panic - not syncing: sysrq triggered crash".into(),
                ),
                started(Some(10), LandlockStatus::Enabled),
                test("base::a::x", Outcome::Passed, false),
                VmEvent::Suite(Event::SuiteEnded {
                    suite: "base".into(),
                    cause: EndCause::VmLost("the VM exited unexpectedly".into()),
                    elapsed: Duration::ZERO,
                    log: "/o/logs/base.log".into(),
                }),
                vm_end(VmEnd::Unexpected),
            ],
        );
        let f = failures(&t);
        assert!(
            f[0].starts_with("vm::boot: the VM exited unexpectedly"),
            "{f:?}"
        );
        assert!(
            f[1].contains("kernel panic: Kernel panic - not syncing"),
            "{f:?}"
        );

        let xml = t.report(Some("debian-7.2-default")).to_string().unwrap();
        let back = Report::deserialize_from_str(&xml).unwrap();
        let base = &back.test_suites[0];
        assert_eq!(base.name.as_str(), "debian-7.2-default/base");
        // x passed, y never ran (error), plus the suite-binary crash case.
        assert_eq!((base.tests, base.errors, base.failures), (3, 1, 1));
        let y = base
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == "y")
            .unwrap();
        assert_eq!(
            y.classname.as_ref().unwrap().as_str(),
            "landlock.debian-7_2-default.base.a"
        );
        let vm = &back.test_suites[1];
        assert_eq!(vm.name.as_str(), "debian-7.2-default/vm");
        let console = vm
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == "console")
            .unwrap();
        assert!(console
            .system_err
            .as_ref()
            .unwrap()
            .as_str()
            .contains("sysrq triggered crash"));
        let package = vm
            .properties
            .iter()
            .find(|p| p.name.as_str() == "kernel.package")
            .unwrap();
        assert_eq!(
            package.value.as_str(),
            "linux-binary-7.2.13+deb14-amd64=7.2.13-1"
        );
    }

    #[test]
    fn a_kernel_that_never_booted_still_reports_every_test() {
        let mut t = Target::new(info(true));
        t.prepare_error = Some("package linux-modules-7.1 is not in the index".into());
        t.finish(None);
        assert!(!t.is_success());
        let f = failures(&t);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("linux-modules-7.1"), "{f:?}");
        let merged = merged(std::slice::from_ref(&t));
        let xml = merged.to_string().unwrap();
        let back = Report::deserialize_from_str(&xml).unwrap();
        // Two listed tests as errors and the suite's crash case; the vm boot case.
        assert_eq!((back.tests, back.errors, back.failures), (4, 2, 2));
    }

    #[test]
    fn a_warning_in_dmesg_fails_a_run_where_every_test_passed() {
        let mut t = Target::new(info(true));
        for e in [
            started(Some(10), LandlockStatus::Enabled),
            test("base::a::x", Outcome::Passed, false),
            test("base::a::y", Outcome::Passed, false),
            finished(),
            ended(0),
            vm_end(VmEnd::Completed),
        ] {
            t.on_event(&e);
        }
        t.finish(Some(
            "[ 1.0] ok\n[ 2.0] WARNING: CPU: 0 PID: 1 at x.c:1 f\n",
        ));
        assert_eq!(t.counts().failed, 0);
        assert!(!t.is_success());
        assert!(failures(&t)[0].starts_with("vm::console: guest trouble on the console: WARNING"));
    }
}
