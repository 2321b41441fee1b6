//! Whether a run noticed a mutant. Two baseline runs of the unmutated
//! kernel come first: a test whose verdict differs between them is flaky
//! and judges nothing. A mutant is caught when a test that passed in both
//! baselines does not pass (fails, skips, or is missing), or when the run
//! itself goes wrong (a panic, a warning on the console, an ABI that
//! changed); a run past its limit is a timeout, counted as caught but
//! shown apart.

pub use llconf_reports::mutants::Verdict;
use llconf_reports::record::Outcome;
use llconf_reports::results::SuiteResults;
use std::collections::{BTreeMap, BTreeSet};

/// What the unmutated kernel does, test by test.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    passed: BTreeSet<String>,
    pub flaky: BTreeSet<String>,
}

impl Baseline {
    /// From the suites of each baseline run.
    pub fn of(runs: &[Vec<SuiteResults>]) -> Baseline {
        let mut seen: BTreeMap<String, Vec<Option<Outcome>>> = BTreeMap::new();
        for (i, suites) in runs.iter().enumerate() {
            for t in suites.iter().flat_map(|s| &s.tests) {
                let v = seen
                    .entry(t.name.clone())
                    .or_insert_with(|| vec![None; runs.len()]);
                v[i] = Some(t.outcome.clone());
            }
        }
        let mut b = Baseline::default();
        for (name, outcomes) in seen {
            if outcomes.iter().any(|o| o != &outcomes[0]) {
                b.flaky.insert(name);
            } else if outcomes[0] == Some(Outcome::Passed) {
                b.passed.insert(name);
            }
        }
        b
    }

    /// Tests that passed in every baseline run.
    pub fn passed(&self) -> usize {
        self.passed.len()
    }

    /// The tests that passed in every baseline run.
    pub fn judging(&self) -> &BTreeSet<String> {
        &self.passed
    }

    /// Whether `test` passed in every baseline run, so that it judges.
    pub fn judges(&self, test: &str) -> bool {
        self.passed.contains(test)
    }
}

/// The suites of a baseline run in which no test passed, each with its
/// number of tests and the first skip reason: on this kernel they judge no
/// mutant (a UML build without trace events skips the whole trace suite),
/// which a kill rate alone would not show.
pub fn idle_suites(suites: &[SuiteResults]) -> Vec<(String, usize, Option<String>)> {
    suites
        .iter()
        .filter(|s| !s.tests.is_empty() && s.tests.iter().all(|t| t.outcome != Outcome::Passed))
        .map(|s| {
            let reason = s.tests.iter().find_map(|t| t.skip_reason.clone());
            (s.suite.clone(), s.tests.len(), reason)
        })
        .collect()
}

/// Whether a catch rests on failed tests alone, which may flake, and not
/// on a run-level check (`vm::console`: a kernel warning; `vm::boot`),
/// which a test's flake cannot cause.
pub fn by_tests_alone(killers: &[String]) -> bool {
    !killers.is_empty() && killers.iter().all(|k| !k.starts_with("vm::"))
}

/// `problems`: the run-level checks that failed (`vm::boot: ...`);
/// `among`: the tests that were selected to run, when not all were.
pub fn judge(
    baseline: &Baseline,
    suites: &[SuiteResults],
    problems: &[String],
    timed_out: bool,
    among: Option<&BTreeSet<String>>,
) -> (Verdict, Vec<String>) {
    if timed_out {
        return (Verdict::Timeout, Vec::new());
    }
    let now: BTreeMap<&str, &Outcome> = suites
        .iter()
        .flat_map(|s| &s.tests)
        .map(|t| (t.name.as_str(), &t.outcome))
        .collect();
    let mut killers: Vec<String> = problems
        .iter()
        // `vm::console: ...` → `vm::console`
        .map(|p| {
            p.split_once(": ")
                .map_or(p.as_str(), |(name, _)| name)
                .to_string()
        })
        .collect();
    killers.extend(
        baseline
            .passed
            .iter()
            .filter(|name| among.is_none_or(|a| a.contains(*name)))
            .filter(|name| now.get(name.as_str()) != Some(&&Outcome::Passed))
            .cloned(),
    );
    if killers.is_empty() {
        (Verdict::Missed, killers)
    } else {
        (Verdict::Caught, killers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llconf_reports::record::TestRecord;

    fn run(tests: &[(&str, Outcome)]) -> Vec<SuiteResults> {
        let mut s = SuiteResults::new("base");
        for (name, o) in tests {
            s.tests.push(TestRecord::new(*name, o.clone(), 1.0));
        }
        vec![s]
    }

    #[rstest::rstest]
    #[case::one_test(&["fs::a::b::c"], true)]
    #[case::tests(&["fs::a::b::c", "ksft::fs_test::x"], true)]
    #[case::a_warning(&["vm::console"], false)]
    #[case::a_warning_and_a_test(&["fs::a::b::c", "vm::console"], false)]
    #[case::nothing(&[], false)]
    fn only_a_catch_by_tests_alone_is_confirmed(#[case] killers: &[&str], #[case] alone: bool) {
        let k: Vec<String> = killers.iter().map(|s| s.to_string()).collect();
        assert_eq!(by_tests_alone(&k), alone);
    }

    #[test]
    fn a_suite_that_passes_nothing_is_named_with_its_skip_reason() {
        let mut idle = SuiteResults::new("trace");
        idle.tests.push(TestRecord::skipped(
            "trace::a::b",
            "needs the trace event x",
        ));
        let mut busy = SuiteResults::new("fs");
        busy.tests.push(TestRecord::passed("fs::a::b", 1.0));
        busy.tests
            .push(TestRecord::skipped("fs::a::c", "needs ABI 99"));
        assert_eq!(
            idle_suites(&[idle, busy, SuiteResults::new("empty")]),
            [(
                "trace".to_string(),
                1,
                Some("needs the trace event x".to_string())
            )]
        );
    }

    #[test]
    fn flaky_tests_judge_nothing_and_failing_ones_neither() {
        use Outcome::*;
        let b = Baseline::of(&[
            run(&[
                ("a", Passed),
                ("flaky", Passed),
                ("bug", Failed),
                ("new", Skipped),
            ]),
            run(&[
                ("a", Passed),
                ("flaky", Failed),
                ("bug", Failed),
                ("new", Skipped),
            ]),
        ]);
        assert_eq!(b.passed(), 1);
        assert_eq!(b.flaky.iter().collect::<Vec<_>>(), ["flaky"]);
        let same = run(&[("a", Passed), ("flaky", Failed), ("bug", Failed)]);
        assert_eq!(
            judge(&b, &same, &[], false, None),
            (Verdict::Missed, vec![])
        );
        for now in [Failed, Skipped] {
            let changed = run(&[("a", now)]);
            assert_eq!(
                judge(&b, &changed, &[], false, None),
                (Verdict::Caught, vec!["a".to_string()])
            );
        }
        assert_eq!(
            judge(&b, &run(&[]), &[], false, None).1,
            ["a"],
            "a test that vanished is caught"
        );
    }

    #[test]
    fn a_broken_run_is_caught_and_a_slow_one_timed_out() {
        let b = Baseline::of(&[run(&[("a", Outcome::Passed)])]);
        let ok = run(&[("a", Outcome::Passed)]);
        let panic = ["vm::console: guest trouble on the console: Kernel panic".to_string()];
        assert_eq!(
            judge(&b, &ok, &panic, false, None),
            (Verdict::Caught, vec!["vm::console".to_string()])
        );
        assert_eq!(judge(&b, &ok, &[], true, None).0, Verdict::Timeout);
    }

    #[test]
    fn with_a_selection_only_the_selected_tests_judge() {
        use Outcome::*;
        let both = run(&[("a", Passed), ("b", Passed)]);
        let b = Baseline::of(&[both.clone(), both]);
        let only_a: BTreeSet<String> = ["a".to_string()].into();
        let ran_a = run(&[("a", Passed)]);
        assert_eq!(
            judge(&b, &ran_a, &[], false, Some(&only_a)),
            (Verdict::Missed, vec![]),
            "b was not selected, so its absence says nothing"
        );
        let failed_a = run(&[("a", Failed)]);
        assert_eq!(judge(&b, &failed_a, &[], false, Some(&only_a)).1, ["a"]);
    }
}
