//! Per-test coverage: which lines of the measured directory each test
//! executed, measured one test per boot in a gcov build (`llconf coverage
//! --per-test`). `llconf mutants` reads it to run, for a mutant, only the
//! tests that executed the mutated lines.
//!
//! The boot itself runs lines too (the LSM's init, its hooks on init's own
//! work); those show up in every test's set, as they should: every test
//! would notice a mutant that breaks the boot.

use crate::coverage::Tracefile;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The file `llconf coverage --per-test` writes, in its `--out` and beside
/// the build it measured.
pub const FILE_NAME: &str = "test-lines.json";

/// The kernel's selftests' line coverage (an lcov tracefile) that `llconf
/// coverage --peer ksft` keeps beside the build it measured: `llconf
/// mutants` runs the selftests only on mutants in lines they execute.
pub const PEER_LINES_FILE: &str = "ksft.info";

/// The same per program (`fs_test`, `net_test`), a map of this module's
/// shape that `llconf coverage --peer ksft --per-test` keeps beside the
/// build: `llconf mutants` runs only the programs that reach a mutant.
pub const PEER_PROGRAMS_FILE: &str = "ksft-lines.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestLines {
    pub kernel: String,
    /// The release of the build measured; a map is used only with the
    /// same source.
    pub release: String,
    pub packages: Vec<String>,
    /// The directory measured (`security/landlock`); files are relative.
    pub directory: String,
    /// File → every line gcov counts as executable in it.
    pub executable: BTreeMap<String, Vec<u32>>,
    /// Test → file → the lines it executed.
    pub tests: BTreeMap<String, BTreeMap<String, Vec<u32>>>,
}

/// What the map says of some lines of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// These tests executed at least one of the lines.
    By(BTreeSet<String>),
    /// The lines are executable and no test executed any of them.
    Nobody,
    /// None of the lines is executable code gcov counts (a declaration, a
    /// macro's line): the map cannot tell, so every test runs.
    Unknown,
}

impl TestLines {
    /// Adds one test's run.
    pub fn add(&mut self, test: &str, trace: &Tracefile) {
        let mut files = BTreeMap::new();
        for (file, lines) in &trace.files {
            let exec = self.executable.entry(file.clone()).or_default();
            let mut hit = Vec::new();
            for (&line, &count) in &lines.lines {
                if let Err(i) = exec.binary_search(&line) {
                    exec.insert(i, line);
                }
                if count > 0 {
                    hit.push(line);
                }
            }
            if !hit.is_empty() {
                files.insert(file.clone(), hit);
            }
        }
        self.tests.insert(test.to_string(), files);
    }

    /// This map with `newer`'s tests added, replacing any of the same name.
    pub fn merged_with(mut self, newer: TestLines) -> TestLines {
        for (file, lines) in newer.executable {
            let exec = self.executable.entry(file).or_default();
            exec.extend(lines);
            exec.sort_unstable();
            exec.dedup();
        }
        self.tests.extend(newer.tests);
        self
    }

    /// Who executed any of `lines` (inclusive) of `file`.
    pub fn reaching(&self, file: &str, first: u32, last: u32) -> Reach {
        let counted = self
            .executable
            .get(file)
            .is_some_and(|exec| exec.iter().any(|l| (first..=last).contains(l)));
        if !counted {
            return Reach::Unknown;
        }
        let by: BTreeSet<String> = self
            .tests
            .iter()
            .filter(|(_, files)| {
                files.get(file).is_some_and(|hit| {
                    let i = hit.partition_point(|&l| l < first);
                    hit.get(i).is_some_and(|&l| l <= last)
                })
            })
            .map(|(t, _)| t.clone())
            .collect();
        if by.is_empty() {
            Reach::Nobody
        } else {
            Reach::By(by)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(text: &str) -> Tracefile {
        Tracefile::parse(text, "security/landlock").unwrap()
    }

    #[test]
    fn tests_are_found_by_the_lines_they_ran() {
        let mut m = TestLines::default();
        m.add(
            "net::a",
            &trace("SF:/k/security/landlock/net.c\nDA:10,1\nDA:11,0\nDA:20,3\nend_of_record\n"),
        );
        m.add(
            "fs::b",
            &trace("SF:/k/security/landlock/net.c\nDA:10,2\nDA:11,0\nDA:30,0\nend_of_record\n"),
        );
        let by = |names: &[&str]| Reach::By(names.iter().map(|s| s.to_string()).collect());
        assert_eq!(m.reaching("net.c", 10, 10), by(&["fs::b", "net::a"]));
        assert_eq!(m.reaching("net.c", 19, 21), by(&["net::a"]));
        assert_eq!(m.reaching("net.c", 11, 11), Reach::Nobody);
        assert_eq!(
            m.reaching("net.c", 30, 30),
            Reach::Nobody,
            "executable in one run"
        );
        assert_eq!(m.reaching("net.c", 12, 15), Reach::Unknown);
        assert_eq!(m.reaching("fs.c", 10, 10), Reach::Unknown);
        let mut later = TestLines::default();
        later.add(
            "net::a",
            &trace("SF:/k/security/landlock/net.c\nDA:11,1\nDA:40,0\nend_of_record\n"),
        );
        let merged = m.clone().merged_with(later);
        assert_eq!(
            merged.reaching("net.c", 11, 11),
            by(&["net::a"]),
            "replaced"
        );
        assert_eq!(
            merged.reaching("net.c", 20, 20),
            Reach::Nobody,
            "net::a ran it no more"
        );
        assert_eq!(merged.reaching("net.c", 40, 40), Reach::Nobody);
        assert_eq!(merged.tests.len(), 2);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<TestLines>(&json).unwrap(), m);
    }
}
