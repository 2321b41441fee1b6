//! JUnit XML from suite results.
//!
//! One `<testsuite>` per suite binary run. Test case classnames are
//! `landlock.<suite>.<fixture>[.<variant>]`, so that CI viewers group the
//! cases the way the suites are laid out; with a kernel id (a file that merges
//! runs on several kernels) they become `landlock.<kernel-id>.<suite>...` so
//! that the same test on two kernels stays two distinct entries.

use crate::record::{Failure, LandlockStatus, Outcome, TestRecord};
use crate::results::SuiteResults;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// The name under which a crashed suite binary shows up as a failed case.
pub const SUITE_BINARY_CASE: &str = "(suite-binary)";

/// Builds the report for suites run on one kernel, or on several when
/// `kernel_id` tells them apart.
pub fn report(suites: &[SuiteResults], kernel_id: Option<&str>) -> Report {
    let mut report = Report::new("llconf");
    if let Some(first) = suites
        .iter()
        .filter_map(|s| s.started_at)
        .min_by(f64::total_cmp)
        .and_then(timestamp)
    {
        report.set_timestamp(first);
    }
    let total_ms: f64 = suites.iter().filter_map(|s| s.duration_ms).sum();
    if let Some(time) = duration(total_ms) {
        report.set_time(time);
    }
    report.add_test_suites(suites.iter().map(|s| test_suite(s, kernel_id)));
    report
}

/// [`report`], serialized.
pub fn to_xml(
    suites: &[SuiteResults],
    kernel_id: Option<&str>,
) -> Result<String, quick_junit::SerializeError> {
    report(suites, kernel_id).to_string()
}

/// `landlock.` + the dotted group of a test, with the kernel id in between
/// when there is one.
pub fn classname(group: &str, kernel_id: Option<&str>) -> String {
    match kernel_id {
        // Jenkins builds its tree from the dots: `debian-6.12-default`
        // keeps its place as one level, `debian-6_12-default`.
        Some(id) => format!("landlock.{}.{group}", id.replace('.', "_")),
        None => format!("landlock.{group}"),
    }
}

fn test_suite(results: &SuiteResults, kernel_id: Option<&str>) -> TestSuite {
    let mut suite = TestSuite::new(results.suite.as_str());
    if let Some(id) = kernel_id {
        suite.add_property(Property::new("kernel.id", id));
    }
    if let Some(k) = &results.kernel {
        suite.add_property(Property::new("kernel.release", k.release.as_str()));
        suite.add_property(Property::new("landlock.status", status_name(k.landlock)));
        suite.add_property(Property::new(
            "landlock.abi",
            k.abi
                .map_or_else(|| "none".to_string(), |abi| abi.to_string()),
        ));
        suite.add_property(Property::new(
            "landlock.errata",
            k.errata
                .map_or_else(|| "none".to_string(), |e| format!("{e:#x}")),
        ));
    }
    if let Some(ts) = results.started_at.and_then(timestamp) {
        suite.set_timestamp(ts);
    }
    if let Some(time) = results.duration_ms.and_then(duration) {
        suite.set_time(time);
    }
    suite.add_test_cases(results.tests.iter().map(|t| test_case(t, kernel_id)));
    if let Some(note) = &results.crash {
        suite.add_test_case(crash_case(results, note, kernel_id));
    }
    suite
}

/// The wire names, not the prose of `Display`, so that tools can match on
/// them.
fn status_name(status: LandlockStatus) -> &'static str {
    match status {
        LandlockStatus::Enabled => "enabled",
        LandlockStatus::Disabled => "disabled",
        LandlockStatus::Missing => "missing",
    }
}

fn test_case(record: &TestRecord, kernel_id: Option<&str>) -> TestCase {
    let status = match record.outcome {
        Outcome::Passed => TestCaseStatus::success(),
        Outcome::Skipped => {
            let mut status = TestCaseStatus::skipped();
            if let Some(reason) = &record.skip_reason {
                status.set_message(reason.as_str());
            }
            status
        }
        Outcome::Failed => failed_status(record.failure.as_ref()),
        Outcome::KnownFailure => known_status(record),
    };
    // The classname holds the suite, fixture and variant already: the
    // case's name is what is left, so that nothing reads twice.
    let mut case = TestCase::new(record.case(), status);
    if let Some(k) = &record.known {
        case.add_property(Property::new("known.id", k.id.as_str()));
        if let Some(fix) = &k.fix {
            case.add_property(Property::new("known.fix", fix.as_str()));
        }
        if let Some(commit) = &k.commit {
            case.add_property(Property::new("known.commit", commit.as_str()));
        }
        if let Some(v) = &k.fixed_in {
            case.add_property(Property::new("known.fixed_in", v.as_str()));
        }
        if let Some(n) = k.erratum {
            case.add_property(Property::new("known.erratum", n.to_string()));
        }
    }
    case.set_classname(classname(&record.group(), kernel_id));
    if let Some(time) = duration(record.duration_ms) {
        case.set_time(time);
    }
    if !record.stdout.is_empty() {
        case.set_system_out(record.stdout.as_str());
    }
    if !record.stderr.is_empty() {
        case.set_system_err(record.stderr.as_str());
    }
    case
}

/// A known failure is `<skipped type="xfail">`, as pytest writes its xfails:
/// GitLab, Jenkins and GitHub's JUnit viewers show it apart from passes and
/// failures, with the message naming the bug and its fix, and it does not
/// turn the pipeline red. The failure itself is in the description.
fn known_status(record: &TestRecord) -> TestCaseStatus {
    let mut status = TestCaseStatus::skipped();
    let known = record
        .known
        .as_ref()
        .map(|k| k.describe())
        .unwrap_or_else(|| "known failure without its issue".into());
    let mut description = vec![format!("XFAIL {known}")];
    if let Some(f) = &record.failure {
        description.push(self::description(f));
    }
    status
        .set_message(format!("XFAIL {known}"))
        .set_type("xfail")
        .set_description(description.join("\n"));
    status
}

fn failed_status(failure: Option<&Failure>) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let Some(failure) = failure else {
        status
            .set_message("failed without a recorded reason")
            .set_type("unknown");
        return status;
    };
    status
        .set_message(failure.to_string())
        .set_type(kind_name(failure))
        .set_description(description(failure));
    status
}

pub fn kind_name(failure: &Failure) -> &'static str {
    match failure {
        Failure::Assertion { .. } => "assertion",
        Failure::Panic { .. } => "panic",
        Failure::Signal { .. } => "signal",
        Failure::Timeout { .. } => "timeout",
        Failure::Crash { .. } => "crash",
        Failure::UnexpectedPass { .. } => "xpass",
    }
}

/// The message again, then the facts one per line, so that a reader of the
/// CI page sees `expected:` and `observed:` side by side.
fn description(failure: &Failure) -> String {
    let mut lines = vec![failure.to_string()];
    match failure {
        Failure::Assertion {
            expected, observed, ..
        } => {
            if let Some(e) = expected {
                lines.push(format!("expected: {e}"));
            }
            if let Some(o) = observed {
                lines.push(format!("observed: {o}"));
            }
        }
        Failure::Panic { .. } => {}
        Failure::Signal { signal, number } => lines.push(format!("signal: {signal} ({number})")),
        Failure::Timeout { seconds } => lines.push(format!("timeout: {seconds:.1} s")),
        Failure::Crash { exit_code } => lines.push(format!("exit code: {exit_code}")),
        Failure::UnexpectedPass { known } => {
            lines.push(format!("known issue: {}", known.describe()))
        }
    }
    lines.join("\n")
}

fn crash_case(results: &SuiteResults, note: &str, kernel_id: Option<&str>) -> TestCase {
    let reported = results.tests.len();
    let mut details = vec![format!("suite binary of `{}`: {note}", results.suite)];
    details.push(match results.tests_planned {
        Some(planned) => format!(
            "{reported} of {planned} planned tests reported before it ended; \
             their results are kept above"
        ),
        None => format!("{reported} tests reported before it ended"),
    });
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status
        .set_message(note)
        .set_type("crash")
        .set_description(details.join("\n"));
    let mut case = TestCase::new(SUITE_BINARY_CASE, status);
    case.set_classname(classname(&results.suite, kernel_id));
    if let Some(output) = &results.crash_output {
        case.set_system_out(output.as_str());
    }
    case
}

fn duration(ms: f64) -> Option<Duration> {
    // try_: a forged or corrupt record's 1e22 ms must not panic the writer;
    // such a time is left out.
    Duration::try_from_secs_f64(ms / 1000.0).ok()
}

fn timestamp(epoch_secs: f64) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    if !epoch_secs.is_finite() {
        return None;
    }
    let millis = (epoch_secs * 1000.0).round() as i64;
    chrono::DateTime::from_timestamp_millis(millis).map(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Errno, ErrnoOrSuccess, KernelInfo, SuccessTag};
    use quick_xml::events::Event;

    fn sample() -> Vec<SuiteResults> {
        let skipped = TestRecord::skipped(
            "base::ruleset::scoped::signal",
            "needs Landlock ABI 6, kernel has 4",
        )
        .with_duration_ms(25.0);
        let assertion = TestRecord::failed(
            "base::ruleset::size::too_small",
            25.0,
            Failure::Assertion {
                message: "create_ruleset(size=7)".into(),
                expected: Some(ErrnoOrSuccess::Errno(Errno {
                    name: "EACCES".into(),
                    code: 13,
                })),
                observed: Some(ErrnoOrSuccess::Success(SuccessTag::Success)),
            },
        )
        .with_output("out text", "err text");
        let signal = TestRecord::failed(
            "base::fs::read::denied",
            25.0,
            Failure::Signal {
                signal: "SIGSEGV".into(),
                number: 11,
            },
        );
        let base = SuiteResults {
            suite: "base".into(),
            kernel: Some(KernelInfo {
                release: "6.12.0-llconf".into(),
                landlock: LandlockStatus::Enabled,
                abi: Some(7),
                errata: Some(7),
            }),
            started_at: Some(1_700_000_000.25),
            tests_planned: Some(4),
            duration_ms: Some(12.0),
            finished: true,
            filtered: false,
            tests: vec![
                TestRecord::passed("base::ruleset::size::exact", 25.0),
                skipped,
                assertion,
                signal,
            ],
            crash: None,
            crash_output: None,
        };
        let net = SuiteResults {
            suite: "net".into(),
            kernel: Some(KernelInfo {
                release: "6.12.0-llconf".into(),
                landlock: LandlockStatus::Disabled,
                abi: None,
                errata: None,
            }),
            started_at: Some(1_700_000_001.0),
            tests_planned: Some(3),
            duration_ms: None,
            finished: false,
            filtered: false,
            tests: vec![TestRecord::passed("net::tcp::bind", 25.0)],
            crash: Some("killed by signal SIGSEGV (11)".into()),
            crash_output: Some("thread 'main' panicked at tests/net.rs:9".into()),
        };
        vec![base, net]
    }

    fn property<'a>(suite: &'a TestSuite, name: &str) -> Option<&'a str> {
        suite
            .properties
            .iter()
            .find(|p| p.name.as_str() == name)
            .map(|p| p.value.as_str())
    }

    /// The case of test `name` (`suite::fixture::case`): its classname ends
    /// with the dotted group, its name is the last part.
    fn case<'a>(suite: &'a TestSuite, name: &str) -> &'a TestCase {
        let (group, last) = name.rsplit_once("::").unwrap();
        let group = format!(".{}", group.replace("::", "."));
        suite
            .test_cases
            .iter()
            .find(|c| {
                c.name.as_str() == last
                    && c.classname
                        .as_ref()
                        .is_some_and(|cn| cn.as_str().ends_with(&group))
            })
            .unwrap_or_else(|| panic!("no test case {name}"))
    }

    #[test]
    fn round_trips_counts_classnames_and_properties() {
        let xml = to_xml(&sample(), None).unwrap();
        let back = Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(back.name.as_ref().unwrap().as_str(), "llconf");
        assert_eq!(back.test_suites.len(), 2);
        assert_eq!(back.tests, 6);
        assert_eq!(back.failures, 3);
        assert_eq!(back.skipped, 1);
        assert_eq!(back.errors, 0);

        let base = &back.test_suites[0];
        assert_eq!(base.name.as_str(), "base");
        assert_eq!((base.tests, base.failures, base.skipped), (4, 2, 1));
        assert_eq!(property(base, "kernel.release"), Some("6.12.0-llconf"));
        assert_eq!(property(base, "landlock.status"), Some("enabled"));
        assert_eq!(property(base, "landlock.abi"), Some("7"));
        assert_eq!(property(base, "landlock.errata"), Some("0x7"));
        assert_eq!(property(base, "kernel.id"), None);
        let exact = case(base, "base::ruleset::size::exact");
        assert_eq!(
            exact.classname.as_ref().unwrap().as_str(),
            "landlock.base.ruleset.size"
        );
        // JUnit times have millisecond precision.
        assert_eq!(exact.time, Some(Duration::from_millis(25)));

        let net = &back.test_suites[1];
        assert_eq!(property(net, "landlock.status"), Some("disabled"));
        assert_eq!(property(net, "landlock.abi"), Some("none"));
        assert_eq!(property(net, "landlock.errata"), Some("none"));
    }

    #[test]
    fn skip_reason_is_the_skipped_message() {
        let back = Report::deserialize_from_str(&to_xml(&sample(), None).unwrap()).unwrap();
        let skipped = case(&back.test_suites[0], "base::ruleset::scoped::signal");
        match &skipped.status {
            TestCaseStatus::Skipped { message, .. } => assert_eq!(
                message.as_ref().unwrap().as_str(),
                "needs Landlock ABI 6, kernel has 4"
            ),
            other => panic!("not skipped: {other:?}"),
        }
    }

    #[test]
    fn assertion_failure_keeps_expected_and_observed() {
        let back = Report::deserialize_from_str(&to_xml(&sample(), None).unwrap()).unwrap();
        let failed = case(&back.test_suites[0], "base::ruleset::size::too_small");
        let TestCaseStatus::NonSuccess {
            kind,
            message,
            ty,
            description,
            ..
        } = &failed.status
        else {
            panic!("not failed: {:?}", failed.status);
        };
        assert_eq!(*kind, NonSuccessKind::Failure);
        assert_eq!(
            message.as_ref().unwrap().as_str(),
            "create_ruleset(size=7): expected EACCES (13), observed success"
        );
        assert_eq!(ty.as_ref().unwrap().as_str(), "assertion");
        let description = description.as_ref().unwrap().as_str();
        assert!(
            description.contains("expected: EACCES (13)"),
            "{description}"
        );
        assert!(description.contains("observed: success"), "{description}");
        assert_eq!(failed.system_out.as_ref().unwrap().as_str(), "out text");
        assert_eq!(failed.system_err.as_ref().unwrap().as_str(), "err text");
    }

    #[test]
    fn signal_failure_names_the_signal() {
        let back = Report::deserialize_from_str(&to_xml(&sample(), None).unwrap()).unwrap();
        let failed = case(&back.test_suites[0], "base::fs::read::denied");
        let TestCaseStatus::NonSuccess {
            ty, description, ..
        } = &failed.status
        else {
            panic!("not failed: {:?}", failed.status);
        };
        assert_eq!(ty.as_ref().unwrap().as_str(), "signal");
        assert!(description
            .as_ref()
            .unwrap()
            .as_str()
            .contains("signal: SIGSEGV (11)"));
    }

    #[test]
    fn crashed_suite_binary_is_a_failed_case_and_keeps_earlier_results() {
        let back = Report::deserialize_from_str(&to_xml(&sample(), None).unwrap()).unwrap();
        let net = &back.test_suites[1];
        assert_eq!((net.tests, net.failures), (2, 1));
        case(net, "net::tcp::bind");
        let crash = case(net, "net::(suite-binary)");
        assert_eq!(crash.classname.as_ref().unwrap().as_str(), "landlock.net");
        let TestCaseStatus::NonSuccess {
            message,
            ty,
            description,
            ..
        } = &crash.status
        else {
            panic!("not failed: {:?}", crash.status);
        };
        assert_eq!(
            message.as_ref().unwrap().as_str(),
            "killed by signal SIGSEGV (11)"
        );
        assert_eq!(ty.as_ref().unwrap().as_str(), "crash");
        assert!(description
            .as_ref()
            .unwrap()
            .as_str()
            .contains("1 of 3 planned tests reported"));
        assert_eq!(
            crash.system_out.as_ref().unwrap().as_str(),
            "thread 'main' panicked at tests/net.rs:9"
        );
    }

    #[test]
    fn kernel_id_goes_into_classnames() {
        let back =
            Report::deserialize_from_str(&to_xml(&sample(), Some("v6.12")).unwrap()).unwrap();
        let base = &back.test_suites[0];
        assert_eq!(property(base, "kernel.id"), Some("v6.12"));
        for c in &base.test_cases {
            let classname = c.classname.as_ref().unwrap().as_str();
            assert!(classname.starts_with("landlock.v6_12.base."), "{classname}");
        }
        let crash = case(&back.test_suites[1], "net::(suite-binary)");
        assert_eq!(
            crash.classname.as_ref().unwrap().as_str(),
            "landlock.v6_12.net"
        );
    }

    #[test]
    fn a_suite_that_never_started_still_gives_valid_xml() {
        let mut results = SuiteResults::new("base");
        results.crash = Some("could not be started: No such file or directory".into());
        let xml = to_xml(&[results], None).unwrap();
        check_junit_shape(&xml);
        let back = Report::deserialize_from_str(&xml).unwrap();
        assert_eq!((back.tests, back.failures), (1, 1));
        assert!(back.test_suites[0].properties.is_empty());
    }

    #[test]
    fn absurd_durations_are_left_out_not_a_panic() {
        let mut results = SuiteResults::new("base");
        for ms in [1e22, f64::INFINITY, f64::NAN, -1.0] {
            results.tests.push(TestRecord::passed(
                format!("base::a::t{}", results.tests.len()),
                ms,
            ));
        }
        results.duration_ms = Some(1e300);
        let xml = to_xml(&[results], None).unwrap();
        check_junit_shape(&xml);
        assert_eq!(Report::deserialize_from_str(&xml).unwrap().tests, 4);
    }

    #[test]
    fn xml_has_the_common_junit_shape() {
        check_junit_shape(&to_xml(&sample(), None).unwrap());
        check_junit_shape(&to_xml(&[], None).unwrap());
    }

    /// What the common JUnit schema (the Jenkins/Ant one) requires of the
    /// elements we emit, checked on the raw XML rather than through
    /// quick-junit's own reader, which would forgive what it wrote itself.
    fn check_junit_shape(xml: &str) {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<String> = Vec::new();
        let mut root: Option<String> = None;
        let mut testcases = 0;
        loop {
            let event = reader.read_event().expect("well-formed XML");
            let (start, empty) = match &event {
                Event::Start(e) => (Some(e), false),
                Event::Empty(e) => (Some(e), true),
                Event::End(_) => {
                    stack.pop();
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            let e = start.unwrap();
            let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
            let attrs: Vec<String> = e
                .attributes()
                .map(|a| String::from_utf8(a.unwrap().key.as_ref().to_vec()).unwrap())
                .collect();
            let has = |k: &str| attrs.iter().any(|a| a == k);
            if stack.is_empty() {
                assert!(root.is_none(), "second root element {name}");
                root = Some(name.clone());
            }
            match name.as_str() {
                "testsuites" => assert!(stack.is_empty(), "testsuites not at the root"),
                "testsuite" => {
                    assert_eq!(stack.last().map(String::as_str), Some("testsuites"));
                    for k in ["name", "tests", "failures", "errors", "skipped"] {
                        assert!(has(k), "testsuite without {k}: {attrs:?}");
                    }
                }
                "testcase" => {
                    assert_eq!(stack.last().map(String::as_str), Some("testsuite"));
                    assert!(has("name") && has("classname"), "testcase: {attrs:?}");
                    testcases += 1;
                }
                "failure" | "error" | "skipped" => {
                    assert_eq!(stack.last().map(String::as_str), Some("testcase"));
                }
                "property" => {
                    assert_eq!(stack.last().map(String::as_str), Some("properties"));
                    assert!(has("name") && has("value"), "property: {attrs:?}");
                }
                _ => {}
            }
            if !empty {
                stack.push(name);
            }
        }
        assert!(stack.is_empty(), "unclosed elements: {stack:?}");
        assert_eq!(root.as_deref(), Some("testsuites"));
        let declared = Report::deserialize_from_str(xml).unwrap().tests;
        assert_eq!(testcases, declared, "testcase elements vs tests attribute");
    }
}
