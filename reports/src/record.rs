//! The JSON Lines schema that suite binaries write, one record per line.
//!
//! A results file starts with [`Record::SuiteStarted`], holds one
//! [`Record::TestFinished`] per test in the order they finished, and ends with
//! [`Record::SuiteFinished`]. A suite that crashed part-way leaves a file
//! without the last record; readers keep every complete line.

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
    /// Seconds since the Unix epoch.
    pub started_at: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    Skipped,
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
    pub duration_ms: f64,
}

impl TestRecord {
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
        let rec = Record::TestFinished(TestRecord {
            name: "base::ruleset::size::too_small".into(),
            outcome: Outcome::Failed,
            duration_ms: 1.5,
            skip_reason: None,
            failure: Some(Failure::Assertion {
                message: "create_ruleset(size=7)".into(),
                expected: Some(ErrnoOrSuccess::Errno(Errno {
                    name: "EINVAL".into(),
                    code: 22,
                })),
                observed: Some(ErrnoOrSuccess::Success(SuccessTag::Success)),
            }),
            enforcement: false,
            restrict_self_calls: 0,
            stdout: String::new(),
            stderr: "x".into(),
        });
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
    fn group_and_case_split_the_name() {
        let r = TestRecord {
            name: "udp::ipv6::connected::sendto_explicit_denied".into(),
            outcome: Outcome::Passed,
            duration_ms: 0.0,
            skip_reason: None,
            failure: None,
            enforcement: true,
            restrict_self_calls: 1,
            stdout: String::new(),
            stderr: String::new(),
        };
        assert_eq!(r.group(), "udp.ipv6.connected");
        assert_eq!(r.case(), "sendto_explicit_denied");
    }
}
