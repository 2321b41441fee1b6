//! What one suite binary produced, gathered from its records: the input of
//! every reporter in this crate.

/// Defined in `llconf-record`, where a suite binary's `--format ktap` totals
/// count with it too; re-exported so that `results::Counts` keeps working.
pub use crate::record::Counts;
use crate::record::{KernelInfo, KnownIssue, Outcome, Record, TestRecord};

/// The known issues the known failures of `suites` showed, each once, in
/// id order: a target's known bugs and the errata fixes it lacks.
pub fn known_issues(suites: &[SuiteResults]) -> Vec<KnownIssue> {
    let mut known: Vec<KnownIssue> = suites
        .iter()
        .flat_map(|s| &s.tests)
        .filter(|t| t.outcome == Outcome::KnownFailure)
        .filter_map(|t| t.known.as_deref().cloned())
        .collect();
    known.sort_by(|a, b| a.id.cmp(&b.id));
    known.dedup_by(|a, b| a.id == b.id);
    known
}

/// The results of one suite binary on one kernel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SuiteResults {
    pub suite: String,
    /// `None` when the binary died before it could probe the kernel.
    pub kernel: Option<KernelInfo>,
    /// Seconds since the Unix epoch, from `suite_started`.
    pub started_at: Option<f64>,
    /// From `suite_started`; compared with what arrived to tell how much of a
    /// crashed suite never ran.
    pub tests_planned: Option<usize>,
    /// The suite's own total when it finished, else the runner's wall clock.
    pub duration_ms: Option<f64>,
    /// Whether the binary wrote its closing `suite_finished` record.
    pub finished: bool,
    /// Whether a filter narrowed the suite's selection (from
    /// `suite_started`): a test it lacks may just not have been selected.
    pub filtered: bool,
    pub tests: Vec<TestRecord>,
    /// Set when the suite binary itself did not end normally (signal, an exit
    /// code other than 0 and 101, no way to start it, ...). Reports show it
    /// as a failed pseudo-test so that it cannot go unnoticed.
    pub crash: Option<String>,
    /// The end of what a crashed binary printed, where the reason usually is.
    pub crash_output: Option<String>,
}

impl SuiteResults {
    pub fn new(suite: impl Into<String>) -> Self {
        SuiteResults {
            suite: suite.into(),
            ..Default::default()
        }
    }

    /// Folds records in file order. Records of another suite are ignored, so
    /// that a stray line cannot be credited to the wrong suite.
    pub fn from_records<'a>(
        suite: impl Into<String>,
        records: impl IntoIterator<Item = &'a Record>,
    ) -> Self {
        let mut results = SuiteResults::new(suite);
        for record in records {
            results.apply(record);
        }
        results
    }

    pub fn apply(&mut self, record: &Record) {
        match record {
            Record::SuiteStarted(s) if s.suite == self.suite => {
                self.kernel = Some(s.kernel.clone());
                self.started_at = Some(s.started_at);
                self.tests_planned = Some(s.tests_planned);
                self.filtered = s.filtered;
            }
            Record::TestFinished(t) => self.tests.push(t.clone()),
            Record::SuiteFinished(f) if f.suite == self.suite => {
                self.finished = true;
                self.duration_ms = Some(f.duration_ms);
            }
            Record::SuiteStarted(_) | Record::SuiteFinished(_) => {}
        }
    }

    /// Counts from the test records themselves rather than from
    /// `suite_finished`, which a crashed binary never writes.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for t in &self.tests {
            counts.count(&t.outcome);
        }
        counts
    }

    /// True when no test failed and the binary ended normally.
    pub fn is_success(&self) -> bool {
        self.crash.is_none() && self.counts().failed == 0
    }

    pub fn failed_tests(&self) -> impl Iterator<Item = &TestRecord> {
        self.tests.iter().filter(|t| t.outcome == Outcome::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{LandlockStatus, SuiteFinished, SuiteStarted};

    fn test(name: &str, outcome: Outcome) -> Record {
        Record::TestFinished(TestRecord::new(name, outcome, 1.0))
    }

    #[test]
    fn folds_a_complete_file() {
        let records = vec![
            Record::SuiteStarted(SuiteStarted {
                suite: "base".into(),
                kernel: KernelInfo {
                    release: "6.12.0".into(),
                    landlock: LandlockStatus::Enabled,
                    abi: Some(6),
                    errata: Some(7),
                },
                tests_planned: 3,
                filtered: false,
                started_at: 1.0,
            }),
            test("base::a::x", Outcome::Passed),
            test("base::a::y", Outcome::Failed),
            test("base::a::z", Outcome::Skipped),
            Record::SuiteFinished(SuiteFinished {
                suite: "base".into(),
                passed: 1,
                failed: 1,
                skipped: 1,
                known_failures: 0,
                duration_ms: 9.0,
            }),
        ];
        let r = SuiteResults::from_records("base", &records);
        assert!(r.finished);
        assert_eq!(r.tests_planned, Some(3));
        assert_eq!(r.duration_ms, Some(9.0));
        assert_eq!(
            r.counts(),
            Counts {
                passed: 1,
                failed: 1,
                skipped: 1,
                known_failures: 0,
            }
        );
        assert!(!r.is_success());
        assert_eq!(r.failed_tests().count(), 1);
    }

    #[test]
    fn a_crash_alone_makes_the_suite_unsuccessful() {
        let mut r = SuiteResults::from_records("base", &[test("base::a::x", Outcome::Passed)]);
        assert!(r.is_success());
        r.crash = Some("killed by signal SIGSEGV (11)".into());
        assert!(!r.is_success());
        assert!(!r.finished);
    }
}
