//! Which mutants a run judges (`--sample`, `--shard`) and which tests run
//! on each: with per-test coverage (`llconf coverage --per-test`), only
//! the tests that executed a mutated line.

use crate::mutants::points::{Mutant, Operator};
use anyhow::{bail, Result};
use llconf_reports::test_lines::{Reach, TestLines};
use std::collections::BTreeSet;

/// `n` of the mutants, the same ones for the same seed, in id order.
pub fn sample(mut all: Vec<Mutant>, n: usize, seed: u64) -> Vec<Mutant> {
    // A 64-bit LCG (Knuth's MMIX constants): enough to spread a sample,
    // and the same on every machine.
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut picked = Vec::new();
    while picked.len() < n && !all.is_empty() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let i = (state >> 33) as usize % all.len();
        picked.push(all.swap_remove(i));
    }
    picked.sort_by_key(|m| (m.file.clone(), m.start, m.operator));
    picked
}

pub use crate::cli::Shard;

/// The mutants of `shard`: every N-th in id order, so that the parts do
/// not depend on the order the files were named in, which the result
/// keeps.
pub fn shard(all: Vec<Mutant>, shard: Shard) -> Vec<Mutant> {
    let mut by_id: Vec<usize> = (0..all.len()).collect();
    by_id.sort_by_key(|&i| (all[i].file.clone(), all[i].start, all[i].operator));
    let mut taken = vec![false; all.len()];
    for (rank, &i) in by_id.iter().enumerate() {
        taken[i] = shard.takes(rank);
    }
    all.into_iter()
        .zip(taken)
        .filter(|(_, t)| *t)
        .map(|(m, _)| m)
        .collect()
}

/// Which of llconf's tests run on one mutant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tests {
    /// No per-test coverage, or it cannot tell for these lines.
    All,
    /// The tests that executed a mutated line.
    These(BTreeSet<String>),
    /// The mutated lines are executable and no test executed them: the
    /// mutant is missed without a run.
    Nobody,
}

/// The tests for `m`, from the per-test coverage map if there is one.
pub fn tests_for(map: Option<&TestLines>, m: &Mutant, source: &str) -> Result<Tests> {
    let Some(map) = map else {
        return Ok(Tests::All);
    };
    let file = match m.file.strip_prefix(&format!("{}/", map.directory)) {
        Some(f) => f,
        None => bail!(
            "{} is outside {}, which the coverage map measured",
            m.file,
            map.directory
        ),
    };
    let first = m.line as u32;
    let mut last = first + source[m.start..m.end].matches('\n').count() as u32;
    if m.operator == Operator::EarlyReturn {
        // Inserted before the first statement: whoever runs the next line
        // the compiler counts reaches it.
        if let Some(next) = map
            .executable
            .get(file)
            .and_then(|lines| lines.iter().find(|&&l| l >= first))
        {
            last = last.max(*next);
        }
    }
    let mut reach = map.reaching(file, first, last);
    if let (Reach::Unknown, Some((start, end))) = (&reach, m.function) {
        // No counter on the mutated lines (a `return -EINVAL;` the
        // compiler folded into a shared exit has none): every test that
        // reached them entered their function, whose first line gcov
        // counts. Those tests, not all of them.
        reach = map.reaching(file, start as u32, end as u32);
    }
    Ok(match reach {
        Reach::By(tests) => Tests::These(tests),
        Reach::Nobody => Tests::Nobody,
        Reach::Unknown => Tests::All,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutants::points;
    use llconf_reports::coverage::Tracefile;

    #[test]
    fn a_sample_is_the_same_for_the_same_seed() {
        let source = "int f(int a) { if (a < 1 && a > 2) return -EPERM; return 0; }\n";
        let all = points::find("x.c", source);
        assert!(all.len() >= 5);
        let ids = |v: Vec<Mutant>| v.iter().map(Mutant::id).collect::<Vec<_>>();
        let a = ids(sample(all.clone(), 3, 7));
        assert_eq!(a.len(), 3);
        assert_eq!(a, ids(sample(all.clone(), 3, 7)));
        assert_eq!(ids(sample(all.clone(), 99, 7)).len(), all.len());
    }

    #[test]
    fn shards_are_disjoint_and_cover_everything() {
        let source = "int f(int a) { if (a < 1 && a > 2) return -EPERM; return 0; }\n";
        let all = points::find("x.c", source);
        let ids = |v: Vec<Mutant>| v.iter().map(Mutant::id).collect::<Vec<_>>();
        let mut union: Vec<String> = (1..=3)
            .flat_map(|k| ids(shard(all.clone(), Shard { k, n: 3 })))
            .collect();
        union.sort();
        let mut every = ids(all.clone());
        every.sort();
        assert_eq!(union, every);
        // The same parts whatever order the files came in, and in it.
        let other = points::find("y.c", "int g(int b) { return b < 1 ? -EPERM : 0; }\n");
        let xy: Vec<Mutant> = all.iter().chain(&other).cloned().collect();
        let yx: Vec<Mutant> = other.iter().chain(&all).cloned().collect();
        let mut a = ids(shard(xy, Shard { k: 1, n: 2 }));
        let b = ids(shard(yx, Shard { k: 1, n: 2 }));
        assert!(b[0].starts_with("y.c"), "{b:?}");
        a.sort();
        let mut b = b;
        b.sort();
        assert_eq!(a, b);
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { k: 2, n: 4 }));
        for bad in ["0/4", "5/4", "2", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_mutant_runs_the_tests_that_executed_its_lines() {
        let source = "int f(int a)\n{\n\tif (a < 1)\n\t\treturn -EPERM;\n\treturn 0;\n}\n";
        let mut map = TestLines {
            directory: "security/landlock".into(),
            ..TestLines::default()
        };
        let trace = |da: &str| {
            Tracefile::parse(
                &format!("SF:/k/security/landlock/x.c\n{da}end_of_record\n"),
                "security/landlock",
            )
            .unwrap()
        };
        map.add("t::small", &trace("DA:3,1\nDA:4,0\nDA:5,1\n"));
        map.add("t::big", &trace("DA:3,1\nDA:4,1\nDA:5,0\n"));
        let all = points::find("security/landlock/x.c", source);
        let find = |op: Operator, line: usize| {
            all.iter()
                .find(|m| m.operator == op && m.line == line)
                .unwrap_or_else(|| panic!("no {op} on line {line}"))
        };
        let these = |names: &[&str]| Tests::These(names.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            tests_for(Some(&map), find(Operator::ErrorToSuccess, 4), source).unwrap(),
            these(&["t::big"])
        );
        assert_eq!(
            tests_for(Some(&map), find(Operator::Comparison, 3), source).unwrap(),
            these(&["t::big", "t::small"])
        );
        assert_eq!(
            tests_for(None, find(Operator::Comparison, 3), source).unwrap(),
            Tests::All
        );
        // No counter on line 4 (its return folded into the exit): the
        // tests that entered the function, from its counted first line.
        let mut folded = TestLines {
            directory: "security/landlock".into(),
            ..TestLines::default()
        };
        folded.add("t::entered", &trace("DA:1,1\nDA:3,1\nDA:5,1\n"));
        folded.add("t::elsewhere", &trace("DA:1,0\nDA:3,0\nDA:5,0\nDA:9,1\n"));
        assert_eq!(
            tests_for(Some(&folded), find(Operator::ErrorToSuccess, 4), source).unwrap(),
            these(&["t::entered"])
        );
        folded.tests.retain(|t, _| t == "t::elsewhere");
        assert_eq!(
            tests_for(Some(&folded), find(Operator::ErrorToSuccess, 4), source).unwrap(),
            Tests::Nobody,
            "a function no test entered"
        );
        map.add("t::none", &trace("DA:3,0\nDA:4,0\nDA:5,0\n"));
        let mut nobody = map.clone();
        nobody.tests.retain(|t, _| t == "t::none");
        assert_eq!(
            tests_for(Some(&nobody), find(Operator::ErrorToSuccess, 4), source).unwrap(),
            Tests::Nobody
        );
    }
}
