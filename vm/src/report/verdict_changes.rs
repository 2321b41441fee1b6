//! What changed between two runs of `llconf run --watch`: the tests that
//! started failing and those that stopped, read from the run folder the
//! way `llconf report` reads it.

use llconf_reports::record::Outcome;
use llconf_reports::run_results;
use std::collections::BTreeMap;
use std::path::Path;

/// Test (or `<suite>` for a crashed suite, `vm::...` for a failed
/// run-level check) → whether it failed.
pub type Verdicts = BTreeMap<String, bool>;

/// The verdicts of the one target of run folder `out`.
pub fn read(out: &Path) -> anyhow::Result<Verdicts> {
    let run = run_results::load(out)?;
    let mut v = Verdicts::new();
    for c in &run.columns {
        for s in &c.suites {
            for t in &s.tests {
                v.insert(t.name.clone(), t.outcome == Outcome::Failed);
            }
            if let Some(crash) = &s.crash {
                v.insert(format!("{} (suite: {crash})", s.suite), true);
            }
        }
        for p in c.meta.iter().flat_map(|m| &m.problems) {
            v.insert(p.clone(), true);
        }
    }
    Ok(v)
}

/// What moved between `old` and `new`.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    pub started_failing: Vec<String>,
    pub stopped_failing: Vec<String>,
    pub failing: usize,
    pub total: usize,
}

/// A test new in `new` that fails started failing; one gone from `new`
/// that failed stopped (a run-level check that passes is not listed).
pub fn changes(old: &Verdicts, new: &Verdicts) -> Changes {
    let mut c = Changes {
        failing: new.values().filter(|f| **f).count(),
        total: new.len(),
        ..Changes::default()
    };
    for (name, failed) in new {
        if *failed && old.get(name) != Some(&true) {
            c.started_failing.push(name.clone());
        }
        if !*failed && old.get(name) == Some(&true) {
            c.stopped_failing.push(name.clone());
        }
    }
    for (name, failed) in old {
        if *failed && !new.contains_key(name) {
            c.stopped_failing.push(name.clone());
        }
    }
    c.stopped_failing.sort();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(entries: &[(&str, bool)]) -> Verdicts {
        entries.iter().map(|(n, f)| (n.to_string(), *f)).collect()
    }

    #[rstest::rstest]
    #[case::nothing_moved(&[("a", false), ("b", true)], &[("a", false), ("b", true)], &[], &[])]
    #[case::one_breaks(&[("a", false)], &[("a", true)], &["a"], &[])]
    #[case::one_is_fixed(&[("a", true)], &[("a", false)], &[], &["a"])]
    #[case::a_new_failure(&[], &[("n", true)], &["n"], &[])]
    #[case::a_failure_gone(&[("vm::boot: x", true)], &[("a", false)], &[], &["vm::boot: x"])]
    #[case::a_pass_gone(&[("a", false)], &[], &[], &[])]
    fn what_changed(
        #[case] old: &[(&str, bool)],
        #[case] new: &[(&str, bool)],
        #[case] started: &[&str],
        #[case] stopped: &[&str],
    ) {
        let c = changes(&v(old), &v(new));
        assert_eq!(c.started_failing, started);
        assert_eq!(c.stopped_failing, stopped);
    }
}
