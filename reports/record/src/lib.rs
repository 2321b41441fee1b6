//! llconf-record: the JSON Lines schema that suite binaries write, one
//! record per line, and that the runner and the reports read back; plus
//! [`ktap`], the one formatter of KTAP lines that both the suite binaries
//! (`--format ktap`) and `llconf run --format ktap` use; and [`flags`], the
//! suite flags the runner passes. Every suite binary
//! links this crate, so it stays small: serde and nothing else.
//!
//! A results file starts with [`Record::SuiteStarted`], holds one
//! [`Record::TestFinished`] per test in the order they finished, and ends with
//! [`Record::SuiteFinished`]. A suite that crashed part-way leaves a file
//! without the last record; readers keep every complete line.

pub mod flags;
pub mod ktap;

use serde::{Deserialize, Serialize};
use std::io::BufRead;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    SuiteStarted(SuiteStarted),
    TestFinished(TestRecord),
    SuiteFinished(SuiteFinished),
}

/// What the kernel under test offers, as probed by the suite itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelInfo {
    /// `uname -r`.
    pub release: String,
    /// `enabled`, `disabled` (EOPNOTSUPP) or `missing` (ENOSYS).
    pub landlock: LandlockStatus,
    /// The ABI version answered by the version query, when Landlock is enabled.
    pub abi: Option<u32>,
    /// The errata bitmask answered by the errata query (ABI 7 and later).
    pub errata: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LandlockStatus {
    Enabled,
    /// Built in but not in the active LSM list: the syscalls give EOPNOTSUPP.
    Disabled,
    /// Not built in: the syscalls give ENOSYS.
    Missing,
}

impl std::fmt::Display for LandlockStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LandlockStatus::Enabled => "enabled",
            LandlockStatus::Disabled => "disabled (EOPNOTSUPP)",
            LandlockStatus::Missing => "missing (ENOSYS)",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteStarted {
    pub suite: String,
    pub kernel: KernelInfo,
    /// Tests selected to run (after filters).
    pub tests_planned: usize,
    /// Whether a filter, `--skip`, `--exact` or a tests file narrowed the
    /// selection: a test missing from a run that was not narrowed vanished.
    #[serde(default)]
    pub filtered: bool,
    /// Seconds since the Unix epoch.
    pub started_at: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    Skipped,
    /// Failed as a known kernel bug says it must on this kernel (XFAIL): the
    /// record's `known` names the bug and its fix, `failure` what was seen.
    /// It does not fail a run unless the runner is strict.
    KnownFailure,
}

/// A known kernel bug or unfixed erratum: why a test fails on some kernels,
/// and what fixes it. From `suites/known-issues.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownIssue {
    /// The table entry's id, such as `erratum-4` or `subdomains-off-fork`.
    pub id: String,
    /// What is wrong, in one sentence.
    pub summary: String,
    /// The upstream fix's commit subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The fixing commit's id, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The releases that have the fix, per stable series (`6.18.16, 7.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_in: Option<String>,
    /// The Landlock erratum number, where the bug is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erratum: Option<u32>,
}

impl KnownIssue {
    /// `erratum 4 (...)` or the id, for headlines.
    pub fn title(&self) -> String {
        match self.erratum {
            Some(n) => format!("lacks the fix for erratum {n}: {}", self.summary),
            None => format!("{}: {}", self.id, self.summary),
        }
    }

    /// A few words for lists: `lacks erratum 4` or the id.
    pub fn short(&self) -> String {
        match self.erratum {
            Some(n) => format!("lacks erratum {n}"),
            None => self.id.clone(),
        }
    }

    /// The title, then the fix and where it landed.
    pub fn describe(&self) -> String {
        format!("{}{}", self.title(), self.fix_text())
    }

    /// The summary and the fix, for a list that names the issue already.
    pub fn details(&self) -> String {
        format!("{}{}", self.summary, self.fix_text())
    }

    /// `; fixed by "subject" (commit id) in releases`, or what of it is known.
    fn fix_text(&self) -> String {
        let mut s = String::new();
        if let Some(fix) = &self.fix {
            s.push_str(&format!("; fixed by \"{fix}\""));
        }
        if let Some(c) = &self.commit {
            s.push_str(&format!(" (commit {c})"));
        }
        if let Some(v) = &self.fixed_in {
            s.push_str(&match self.fix {
                Some(_) => format!(" in {v}"),
                None => format!("; fixed in {v}"),
            });
        }
        s
    }
}

/// An errno, by name and number, so that reports read well and still compare
/// exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Errno {
    pub name: String,
    pub code: i32,
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.code)
    }
}

/// Why a test failed. Not `Eq`: a timeout carries an `f64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// The test body checked a result and it was wrong.
    Assertion {
        message: String,
        /// Set when the check was about an errno. `None` inside means success
        /// (the call returned without error).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected: Option<ErrnoOrSuccess>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        observed: Option<ErrnoOrSuccess>,
    },
    /// The test body panicked.
    Panic { message: String },
    /// The test process died from a signal.
    Signal { signal: String, number: i32 },
    /// The test ran past its timeout and its process group was killed.
    Timeout { seconds: f64 },
    /// The test process exited without reporting a verdict.
    Crash { exit_code: i32 },
    /// The test passed on a kernel that a known issue says fails it (XPASS):
    /// the table is stale, or the kernel carries the fix.
    UnexpectedPass { known: Box<KnownIssue> },
}

/// The result of a syscall as a test sees it: success or an errno.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrnoOrSuccess {
    Errno(Errno),
    /// `"success"` on the wire.
    Success(SuccessTag),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuccessTag {
    Success,
}

impl std::fmt::Display for ErrnoOrSuccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrnoOrSuccess::Errno(e) => e.fmt(f),
            ErrnoOrSuccess::Success(_) => f.write_str("success"),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Assertion {
                message,
                expected,
                observed,
            } => {
                f.write_str(message)?;
                if let (Some(e), Some(o)) = (expected, observed) {
                    write!(f, ": expected {e}, observed {o}")?;
                }
                Ok(())
            }
            Failure::Panic { message } => write!(f, "panicked: {message}"),
            Failure::Signal { signal, number } => {
                write!(f, "killed by signal {signal} ({number})")
            }
            Failure::Timeout { seconds } => {
                write!(f, "timed out after {seconds:.1} s; process group killed")
            }
            Failure::Crash { exit_code } => {
                write!(
                    f,
                    "test process exited with code {exit_code} without a verdict"
                )
            }
            Failure::UnexpectedPass { known } => write!(
                f,
                "XPASS: passed, but known issue {} says this kernel fails it ({}): \
                 the kernel has the fix or the known-issues table is wrong",
                known.id, known.summary
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRecord {
    /// `suite::fixture::variant::case`.
    pub name: String,
    pub outcome: Outcome,
    pub duration_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// The known issue behind a [`Outcome::KnownFailure`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<Box<KnownIssue>>,
    /// True for tests that check what an enforced domain does, as opposed to
    /// argument checks. These must never pass without real enforcement.
    #[serde(default)]
    pub enforcement: bool,
    /// How many times the test body called landlock_restrict_self successfully.
    #[serde(default)]
    pub restrict_self_calls: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteFinished {
    pub suite: String,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Absent in files written before known failures existed.
    #[serde(default)]
    pub known_failures: usize,
    pub duration_ms: f64,
}

impl TestRecord {
    /// A record with no failure, skip reason nor output; the constructors
    /// below are what producers use.
    pub fn new(name: impl Into<String>, outcome: Outcome, duration_ms: f64) -> TestRecord {
        TestRecord {
            name: name.into(),
            outcome,
            duration_ms,
            skip_reason: None,
            failure: None,
            known: None,
            enforcement: false,
            restrict_self_calls: 0,
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    pub fn passed(name: impl Into<String>, duration_ms: f64) -> TestRecord {
        TestRecord::new(name, Outcome::Passed, duration_ms)
    }

    pub fn failed(name: impl Into<String>, duration_ms: f64, failure: Failure) -> TestRecord {
        TestRecord {
            failure: Some(failure),
            ..TestRecord::new(name, Outcome::Failed, duration_ms)
        }
    }

    /// Failed as `known` says this kernel must (XFAIL); `failure` is what
    /// the test saw.
    pub fn known_failure(
        name: impl Into<String>,
        duration_ms: f64,
        failure: Failure,
        known: KnownIssue,
    ) -> TestRecord {
        TestRecord {
            failure: Some(failure),
            known: Some(Box::new(known)),
            ..TestRecord::new(name, Outcome::KnownFailure, duration_ms)
        }
    }

    /// Skipped before it ran, so it took no time.
    pub fn skipped(name: impl Into<String>, reason: impl Into<String>) -> TestRecord {
        TestRecord {
            skip_reason: Some(reason.into()),
            ..TestRecord::new(name, Outcome::Skipped, 0.0)
        }
    }

    /// How long the test took: for a test that ran and then skipped itself,
    /// since [`Self::skipped`] takes no time.
    pub fn with_duration_ms(mut self, duration_ms: f64) -> TestRecord {
        self.duration_ms = duration_ms;
        self
    }

    /// Marks a test of what an enforced domain does (see [`Self::enforcement`]).
    pub fn with_enforcement(mut self, enforcement: bool) -> TestRecord {
        self.enforcement = enforcement;
        self
    }

    pub fn with_restrict_self_calls(mut self, calls: u32) -> TestRecord {
        self.restrict_self_calls = calls;
        self
    }

    /// What the test process printed.
    pub fn with_output(
        mut self,
        stdout: impl Into<String>,
        stderr: impl Into<String>,
    ) -> TestRecord {
        self.stdout = stdout.into();
        self.stderr = stderr.into();
        self
    }

    /// The part of the name before the case, dotted, for JUnit classnames:
    /// `udp::ipv6::connected::x` gives `udp.ipv6.connected`.
    pub fn group(&self) -> String {
        match self.name.rsplit_once("::") {
            Some((group, _)) => group.replace("::", "."),
            None => String::new(),
        }
    }

    /// The last path element of the name.
    pub fn case(&self) -> &str {
        self.name.rsplit("::").next().unwrap_or(&self.name)
    }
}

/// Pass, fail, skip and known-failure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub known_failures: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped + self.known_failures
    }

    pub fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.known_failures += other.known_failures;
    }

    /// Counts one more test of this outcome.
    pub fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::KnownFailure => self.known_failures += 1,
        }
    }
}

/// Reads every complete record; a torn last line (from a crash) is dropped
/// and reported as the second value, so that nothing already written is lost.
pub fn read_records(reader: impl BufRead) -> std::io::Result<(Vec<Record>, Vec<String>)> {
    let mut records = Vec::new();
    let mut bad = Vec::new();
    for line in reader.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(&line) {
            Ok(r) => records.push(r),
            Err(e) => bad.push(format!("{e}: {line}")),
        }
    }
    Ok((records, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_record_round_trips_through_json() {
        let rec = Record::TestFinished(
            TestRecord::failed(
                "base::ruleset::size::too_small",
                1.5,
                Failure::Assertion {
                    message: "create_ruleset(size=7)".into(),
                    expected: Some(ErrnoOrSuccess::Errno(Errno {
                        name: "EINVAL".into(),
                        code: 22,
                    })),
                    observed: Some(ErrnoOrSuccess::Success(SuccessTag::Success)),
                },
            )
            .with_output("", "x"),
        );
        let line = serde_json::to_string(&rec).unwrap();
        assert!(line.contains(r#""observed":"success""#), "{line}");
        let back: Record = serde_json::from_str(&line).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn torn_last_line_is_reported_not_fatal() {
        let input = "{\"type\":\"suite_finished\",\"suite\":\"b\",\"passed\":1,\"failed\":0,\"skipped\":0,\"duration_ms\":1.0}\n{\"type\":\"test_fin";
        let (records, bad) = read_records(input.as_bytes()).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(bad.len(), 1);
    }

    #[test]
    fn constructors_fill_what_their_outcome_needs() {
        let s = TestRecord::skipped("a::b", "needs X (ABI 9); kernel has ABI 6");
        assert_eq!(s.outcome, Outcome::Skipped);
        assert_eq!(
            s.skip_reason.as_deref(),
            Some("needs X (ABI 9); kernel has ABI 6")
        );
        assert_eq!(s.duration_ms, 0.0);
        let f = TestRecord::failed("a::c", 2.0, Failure::Crash { exit_code: 3 });
        assert_eq!((f.outcome, f.skip_reason), (Outcome::Failed, None));
        assert_eq!(f.failure, Some(Failure::Crash { exit_code: 3 }));
        let mut c = Counts::default();
        for o in [
            Outcome::Passed,
            Outcome::Failed,
            Outcome::Skipped,
            Outcome::Passed,
        ] {
            c.count(&o);
        }
        assert_eq!((c.passed, c.failed, c.skipped, c.total()), (2, 1, 1, 4));
    }

    #[test]
    fn group_and_case_split_the_name() {
        let r = TestRecord::passed("udp::ipv6::connected::sendto_explicit_denied", 0.0)
            .with_enforcement(true)
            .with_restrict_self_calls(1);
        assert_eq!(r.group(), "udp.ipv6.connected");
        assert_eq!(r.case(), "sendto_explicit_denied");
    }
}
