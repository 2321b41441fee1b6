//! Fake suite binaries: shell scripts that behave like a suite binary on the
//! outside (records appended to $LLCONF_RESULTS, libtest's exit codes,
//! `--list --format terse`) without any Landlock.

#![allow(dead_code)]

use llconf_reports::record::{
    Errno, ErrnoOrSuccess, Failure, KernelInfo, KnownIssue, LandlockStatus, Outcome, Record,
    SuccessTag, SuiteFinished, SuiteStarted, TestRecord,
};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const RELEASE: &str = "6.12.0-fake";

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

/// How a fake suite binary ends after writing its records.
pub enum End {
    Exit(i32),
    /// Kills itself with this signal (name as `kill -s` takes it).
    Signal(&'static str),
}

impl Fixture {
    pub fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn out(&self) -> PathBuf {
        self.path().join("out")
    }

    /// Writes an executable script standing for suite `name`. `torn` is
    /// written last without a newline, like a record cut by a crash.
    pub fn suite(&self, name: &str, records: &[Record], torn: Option<&str>, end: End) -> PathBuf {
        let path = self.path().join(format!("{name}-suite"));
        let jsonl: String = records
            .iter()
            .map(|r| serde_json::to_string(r).unwrap() + "\n")
            .collect();
        let list: String = records
            .iter()
            .filter_map(|r| match r {
                Record::TestFinished(t) => Some(format!("{}: test\n", t.name)),
                _ => None,
            })
            .collect();
        let torn = torn
            .map(|t| format!("printf '%s' '{t}' >> \"$LLCONF_RESULTS\"\n"))
            .unwrap_or_default();
        let end = match end {
            End::Exit(code) => format!("exit {code}"),
            End::Signal(sig) => format!("kill -s {sig} $$\nsleep 5\nexit 99"),
        };
        let script = format!(
            "#!/bin/sh\n\
             ulimit -c 0\n\
             printf '%s\\n' \"$@\" > \"$0.args\"\n\
             if [ \"$1\" = --list ]; then\n\
             cat <<'LIST'\n{list}LIST\n\
             exit 0\n\
             fi\n\
             echo \"fake {name} on stdout\"\n\
             echo \"fake {name} on stderr\" >&2\n\
             cat >> \"$LLCONF_RESULTS\" <<'RECORDS'\n{jsonl}RECORDS\n\
             {torn}\
             {end}\n"
        );
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// The arguments the fake suite got, or `None` if it never ran.
    pub fn args_of(&self, name: &str) -> Option<Vec<String>> {
        let text = std::fs::read_to_string(self.path().join(format!("{name}-suite.args"))).ok()?;
        Some(text.lines().map(str::to_string).collect())
    }

    /// Suite `base` passing one test and skipping another.
    pub fn ok_suite(&self) -> PathBuf {
        self.suite(
            "base",
            &[
                started("base", 2),
                passed("base::a::x"),
                skipped("base::a::y", "needs Landlock ABI 9"),
                finished("base", 1, 0, 1),
            ],
            None,
            End::Exit(0),
        )
    }

    pub fn llconf(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_llconf"));
        cmd.current_dir(self.path()).env_remove("LLCONF_RESULTS");
        cmd
    }
}

pub fn suite_bin(name: &str, path: &Path) -> String {
    format!("--suite-bin={name}={}", path.display())
}

pub fn code(output: &Output) -> i32 {
    output.status.code().expect("llconf exited, not killed")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The summary row of `suite`, split on whitespace.
pub fn summary_row(output: &Output, suite: &str) -> Vec<String> {
    stdout(output)
        .lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .find(|cells| cells.first().map(String::as_str) == Some(suite))
        .unwrap_or_else(|| panic!("no summary row for {suite} in:\n{}", stdout(output)))
}

pub fn started(suite: &str, planned: usize) -> Record {
    Record::SuiteStarted(SuiteStarted {
        suite: suite.into(),
        kernel: KernelInfo {
            release: RELEASE.into(),
            landlock: LandlockStatus::Enabled,
            abi: Some(7),
            errata: Some(7),
        },
        tests_planned: planned,
        filtered: false,
        started_at: 1_700_000_000.0,
    })
}

pub fn finished(suite: &str, passed: usize, failed: usize, skipped: usize) -> Record {
    Record::SuiteFinished(SuiteFinished {
        suite: suite.into(),
        passed,
        failed,
        skipped,
        known_failures: 0,
        duration_ms: 10.0,
    })
}

fn test(name: &str, outcome: Outcome) -> TestRecord {
    TestRecord::new(name, outcome, 1.0)
}

pub fn passed(name: &str) -> Record {
    Record::TestFinished(test(name, Outcome::Passed))
}

pub fn skipped(name: &str, reason: &str) -> Record {
    let mut t = test(name, Outcome::Skipped);
    t.skip_reason = Some(reason.into());
    Record::TestFinished(t)
}

/// Expected EACCES, observed success.
pub fn failed(name: &str) -> Record {
    let mut t = test(name, Outcome::Failed);
    t.failure = Some(Failure::Assertion {
        message: "open(\"/etc/passwd\")".into(),
        expected: Some(ErrnoOrSuccess::Errno(Errno {
            name: "EACCES".into(),
            code: 13,
        })),
        observed: Some(ErrnoOrSuccess::Success(SuccessTag::Success)),
    });
    t.stderr = "denied read was allowed".into();
    Record::TestFinished(t)
}

/// The issue a fake known failure names.
pub fn known_issue() -> KnownIssue {
    KnownIssue {
        id: "subdomains-off-fork".into(),
        summary: "the flag is lost on fork".into(),
        fix: Some("landlock: Fix LOG_SUBDOMAINS_OFF inheritance across fork()".into()),
        commit: Some("874c8f83826c".into()),
        fixed_in: Some("6.18.27".into()),
        erratum: None,
    }
}

/// A known failure (XFAIL) of the fake kernel.
pub fn known_failure(name: &str) -> Record {
    let mut t = test(name, Outcome::KnownFailure);
    t.failure = Some(Failure::Assertion {
        message: "a record was logged".into(),
        expected: None,
        observed: None,
    });
    t.known = Some(Box::new(known_issue()));
    Record::TestFinished(t)
}

/// A pass where the table expects a failure (XPASS).
pub fn unexpected_pass(name: &str) -> Record {
    let mut t = test(name, Outcome::Failed);
    t.failure = Some(Failure::UnexpectedPass {
        known: Box::new(known_issue()),
    });
    Record::TestFinished(t)
}

pub fn write_exe(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Checks a JUnit file against `reports/schema/junit.xsd` with xmllint
/// (installed by ci/setup.sh; a machine without it only parses the file).
pub fn validate_junit(path: &Path) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/schema/junit.xsd");
    match Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(path)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "{} does not follow junit.xsd:\n{}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("xmllint is not installed: {} only parsed", path.display())
        }
        Err(e) => panic!("running xmllint: {e}"),
    }
}

/// Reads a JUnit file back, after checking it against the schema.
pub fn read_junit(path: &Path) -> llconf_reports::quick_junit::Report {
    validate_junit(path);
    let xml =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    llconf_reports::quick_junit::Report::deserialize_from_str(&xml).expect("JUnit parses back")
}

pub fn testsuite<'a>(
    r: &'a llconf_reports::quick_junit::Report,
    name: &str,
) -> &'a llconf_reports::quick_junit::TestSuite {
    r.test_suites
        .iter()
        .find(|s| s.name.as_str() == name)
        .unwrap_or_else(|| {
            let names: Vec<_> = r.test_suites.iter().map(|s| s.name.as_str()).collect();
            panic!("no testsuite {name} in {names:?}")
        })
}

pub fn property<'a>(s: &'a llconf_reports::quick_junit::TestSuite, name: &str) -> Option<&'a str> {
    s.properties
        .iter()
        .find(|p| p.name.as_str() == name)
        .map(|p| p.value.as_str())
}

/// `llconf run --kernel K --suite base` with the `default` and
/// `selftest-panic` variants into `out`: the run fails, on purpose (the
/// panic variant). Returns the merged JUnit.
pub fn run_base_and_panic(kernel: &str, out: &Path) -> llconf_reports::quick_junit::Report {
    let output = Command::new(env!("CARGO_BIN_EXE_llconf"))
        .args(["run", "--kernel", kernel, "--suite", "base"])
        .args(["--variant", "default", "--variant", "selftest-panic"])
        .arg("--out")
        .arg(out)
        .env_remove("LLCONF_RESULTS")
        .output()
        .unwrap();
    println!("{}\n{}", stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    read_junit(&out.join("junit.xml"))
}

/// The case of test `name` (`suite::fixture::case`, or `vm::console`): its
/// classname ends with the dotted group and its name is the last part, as
/// the JUnit writer names cases.
pub fn find_case<'a>(
    s: &'a llconf_reports::quick_junit::TestSuite,
    name: &str,
) -> &'a llconf_reports::quick_junit::TestCase {
    let (group, last) = name.rsplit_once("::").unwrap_or(("", name));
    let group = format!(".{}", group.replace("::", "."));
    s.test_cases
        .iter()
        .find(|c| {
            c.name.as_str() == last
                && c.classname
                    .as_ref()
                    .is_some_and(|cn| cn.as_str().ends_with(&group))
        })
        .unwrap_or_else(|| panic!("no case {name} in {}", s.name.as_str()))
}

/// The name a JUnit case stands for: its classname's group (after
/// `landlock.` and any kernel id) and its name, `::`-joined.
pub fn full_name(c: &llconf_reports::quick_junit::TestCase) -> String {
    let cn = c.classname.as_ref().map_or("", |c| c.as_str());
    let group: Vec<&str> = cn.split('.').skip(1).collect();
    format!("{}::{}", group.join("::"), c.name.as_str())
}

/// The panic variant's `vm::console` failed with the sysrq panic quoted.
pub fn assert_panic_reported(merged: &llconf_reports::quick_junit::Report, kernel: &str) {
    let vm = testsuite(merged, &format!("{kernel}-selftest-panic/vm"));
    let console = find_case(vm, "vm::console");
    assert!(matches!(
        console.status,
        llconf_reports::quick_junit::TestCaseStatus::NonSuccess { .. }
    ));
    assert!(console
        .system_err
        .as_ref()
        .unwrap()
        .as_str()
        .contains("Kernel panic - not syncing: sysrq triggered crash"));
}

/// Polls `cond` until it holds; fails the test after `limit`.
pub fn wait_for(what: &str, limit: std::time::Duration, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
