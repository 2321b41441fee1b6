//! The kernel × test matrix that the HTML and Markdown reports draw: one
//! row per test (grouped by suite, then fixture), one column per target.

use crate::record::{KnownIssue, LandlockStatus, Outcome, TestRecord};
use crate::run_results::{Column, Run};
use std::collections::{BTreeMap, HashMap};

/// One test on one target.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Pass,
    /// With what failed.
    Fail(String),
    /// With the reason.
    Skip(String),
    /// A known failure (XFAIL): the known issue, then what failed.
    Known(String),
    /// The test did not run to a verdict there: its suite crashed, or the
    /// target never booted. With why.
    Error(String),
    /// The target's suite finished without this test (filtered out, or a
    /// test that does not exist in that build).
    Absent,
}

impl Cell {
    pub fn kind(&self) -> CellKind {
        match self {
            Cell::Pass => CellKind::Pass,
            Cell::Fail(_) => CellKind::Fail,
            Cell::Skip(_) => CellKind::Skip,
            Cell::Known(_) => CellKind::Known,
            Cell::Error(_) => CellKind::Error,
            Cell::Absent => CellKind::Absent,
        }
    }

    /// The reason or failure, if any.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Cell::Fail(s) | Cell::Skip(s) | Cell::Known(s) | Cell::Error(s) => Some(s),
            Cell::Pass | Cell::Absent => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CellKind {
    Pass,
    Fail,
    Skip,
    Known,
    Error,
    Absent,
}

impl CellKind {
    /// A text symbol, so that a cell reads without colour too.
    pub fn symbol(self) -> &'static str {
        match self {
            CellKind::Pass => "✓",
            CellKind::Fail => "✗",
            CellKind::Skip => "○",
            CellKind::Known => "⊗",
            CellKind::Error => "⚠",
            CellKind::Absent => "·",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            CellKind::Pass => "pass",
            CellKind::Fail => "fail",
            CellKind::Skip => "skip",
            CellKind::Known => "known failure",
            CellKind::Error => "error",
            CellKind::Absent => "absent",
        }
    }
}

/// Cell counts of a column (or a suite of a column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    pub known: usize,
    pub error: usize,
    pub absent: usize,
}

impl Tally {
    pub fn add(&mut self, kind: CellKind) {
        match kind {
            CellKind::Pass => self.pass += 1,
            CellKind::Fail => self.fail += 1,
            CellKind::Skip => self.skip += 1,
            CellKind::Known => self.known += 1,
            CellKind::Error => self.error += 1,
            CellKind::Absent => self.absent += 1,
        }
    }

    /// Tests with a verdict or an error (absent ones left out).
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.skip + self.known + self.error
    }

    /// No failure and no error; known failures allowed, as the run allows
    /// them unless strict.
    pub fn is_clean(&self) -> bool {
        self.fail == 0 && self.error == 0
    }

    pub fn add_tally(&mut self, other: &Tally) {
        self.pass += other.pass;
        self.fail += other.fail;
        self.skip += other.skip;
        self.known += other.known;
        self.error += other.error;
        self.absent += other.absent;
    }
}

/// What a column header shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Head {
    pub id: String,
    pub kernel: Option<String>,
    pub variant: Option<String>,
    pub release: Option<String>,
    pub landlock: Option<LandlockStatus>,
    pub abi: Option<u32>,
    pub errata: Option<u64>,
    pub expected_abi: Option<u32>,
    pub boot_seconds: Option<f64>,
    pub backend: Option<String>,
    pub packages: Vec<String>,
    /// Failed run-level checks and crashed suites.
    pub problems: Vec<String>,
    pub tally: Tally,
    /// The known issues this target's known failures showed, each once, in
    /// id order: its known bugs and the errata fixes it lacks.
    pub known: Vec<KnownIssue>,
    /// The target's folder (logs, console, dmesg), when known.
    pub dir: Option<std::path::PathBuf>,
}

impl Head {
    /// `ABI 6`, `Landlock disabled`, `Landlock missing` or `?`.
    pub fn abi_text(&self) -> String {
        match (self.landlock, self.abi) {
            (Some(LandlockStatus::Enabled), Some(a)) => format!("ABI {a}"),
            (Some(LandlockStatus::Disabled), _) => "Landlock off".into(),
            (Some(LandlockStatus::Missing), _) => "no Landlock".into(),
            _ => "ABI ?".into(),
        }
    }

    /// `0x7`, or `-` when the kernel has no errata query.
    pub fn errata_text(&self) -> String {
        self.errata.map_or("-".into(), |e| format!("{e:#x}"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub suite: String,
    /// The name between the suite and the case, `::`-joined
    /// (`create_ruleset::size`); empty for a test directly in the suite.
    pub fixture: String,
    pub case: String,
    /// The full test name as the suite reports it.
    pub name: String,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn has_failure(&self) -> bool {
        self.cells
            .iter()
            .any(|c| matches!(c.kind(), CellKind::Fail | CellKind::Error))
    }

    /// True when the columns do not all agree (absent cells count as a
    /// difference too).
    pub fn differs(&self) -> bool {
        self.cells.windows(2).any(|w| w[0].kind() != w[1].kind())
    }

    /// True when the targets that ran the test (not skipped, not absent)
    /// gave different verdicts: what a maintainer comparing kernels wants,
    /// without the ABI-gated skips.
    pub fn differs_in_verdict(&self) -> bool {
        let ran: Vec<CellKind> = self
            .cells
            .iter()
            .map(Cell::kind)
            .filter(|k| !matches!(k, CellKind::Skip | CellKind::Absent))
            .collect();
        ran.windows(2).any(|w| w[0] != w[1])
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    pub heads: Vec<Head>,
    /// Sorted by suite (in the order the runs list them), fixture, case.
    pub rows: Vec<Row>,
}

impl Matrix {
    pub fn from_run(run: &Run) -> Matrix {
        build(&run.columns)
    }

    /// The targets that showed known failures, with their issues, in
    /// column order.
    pub fn known_by_target(&self) -> Vec<(&Head, &[KnownIssue])> {
        self.heads
            .iter()
            .filter(|h| !h.known.is_empty())
            .map(|h| (h, h.known.as_slice()))
            .collect()
    }

    /// Every known issue any target showed, once, in id order.
    pub fn known_issues(&self) -> Vec<&KnownIssue> {
        let mut all: Vec<&KnownIssue> = self.heads.iter().flat_map(|h| &h.known).collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all.dedup_by(|a, b| a.id == b.id);
        all
    }

    /// The suites in row order.
    pub fn suites(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for r in &self.rows {
            if v.last() != Some(&r.suite.as_str()) {
                v.push(&r.suite);
            }
        }
        v
    }

    /// Per suite and column.
    pub fn suite_tally(&self, suite: &str, column: usize) -> Tally {
        let mut t = Tally::default();
        for r in self.rows.iter().filter(|r| r.suite == suite) {
            t.add(r.cells[column].kind());
        }
        t
    }
}

/// `base::create_ruleset::size::zero_einval` in suite `base` gives
/// (`create_ruleset::size`, `zero_einval`).
pub fn split_name<'a>(suite: &str, name: &'a str) -> (&'a str, &'a str) {
    let rest = name
        .strip_prefix(suite)
        .and_then(|r| r.strip_prefix("::"))
        .unwrap_or(name);
    match rest.rsplit_once("::") {
        Some((fixture, case)) => (fixture, case),
        None => ("", rest),
    }
}

fn record_cell(t: &TestRecord) -> Cell {
    match t.outcome {
        Outcome::Passed => Cell::Pass,
        Outcome::Skipped => Cell::Skip(t.skip_reason.clone().unwrap_or_default()),
        Outcome::Failed => Cell::Fail(
            t.failure
                .as_ref()
                .map_or_else(|| "failed".into(), |f| f.to_string()),
        ),
        Outcome::KnownFailure => Cell::Known(format!(
            "XFAIL {}{}",
            t.known
                .as_ref()
                .map_or_else(|| "known failure".into(), |k| k.describe()),
            t.failure
                .as_ref()
                .map_or_else(String::new, |f| format!(": {f}"))
        )),
    }
}

fn build(columns: &[Column]) -> Matrix {
    // Suite order: as the first column that has it lists it.
    let mut suite_order: Vec<String> = Vec::new();
    // (suite, name) -> per-column cell.
    let mut tests: BTreeMap<(usize, String), Vec<Option<Cell>>> = BTreeMap::new();
    let n = columns.len();
    for (ci, c) in columns.iter().enumerate() {
        for s in &c.suites {
            let si = match suite_order.iter().position(|x| *x == s.suite) {
                Some(i) => i,
                None => {
                    suite_order.push(s.suite.clone());
                    suite_order.len() - 1
                }
            };
            for t in &s.tests {
                let cells = tests
                    .entry((si, t.name.clone()))
                    .or_insert_with(|| vec![None; n]);
                cells[ci] = Some(record_cell(t));
            }
        }
    }
    // Why a column has no record of a test.
    let missing: Vec<HashMap<&str, Cell>> = columns
        .iter()
        .map(|c| {
            suite_order
                .iter()
                .map(|suite| {
                    let cell = match c.suites.iter().find(|s| &s.suite == suite) {
                        Some(s) if s.finished => Cell::Absent,
                        Some(s) => Cell::Error(match &s.crash {
                            Some(why) => format!("not reported: the suite {why}"),
                            None => format!(
                                "not reported: the suite stopped after {} of {} tests",
                                s.tests.len(),
                                s.tests_planned.map_or("?".into(), |p| p.to_string())
                            ),
                        }),
                        // A target that never got to its suites says why.
                        None => match c.meta.as_ref().map(|m| &m.problems) {
                            Some(p) if !p.is_empty() => {
                                Cell::Error(format!("not run: {}", p.join("; ")))
                            }
                            _ => Cell::Absent,
                        },
                    };
                    (suite.as_str(), cell)
                })
                .collect()
        })
        .collect();
    let mut rows: Vec<Row> = tests
        .into_iter()
        .map(|((si, name), cells)| {
            let suite = suite_order[si].clone();
            let (fixture, case) = split_name(&suite, &name);
            let (fixture, case) = (fixture.to_string(), case.to_string());
            let cells = cells
                .into_iter()
                .enumerate()
                .map(|(ci, c)| c.unwrap_or_else(|| missing[ci][suite.as_str()].clone()))
                .collect();
            Row {
                suite,
                fixture,
                case,
                name,
                cells,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let si = |s: &str| suite_order.iter().position(|x| x == s);
        si(&a.suite)
            .cmp(&si(&b.suite))
            .then_with(|| a.fixture.cmp(&b.fixture))
            .then_with(|| a.case.cmp(&b.case))
    });

    let heads = columns
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let k = c.kernel_info();
            let mut tally = Tally::default();
            for r in &rows {
                tally.add(r.cells[ci].kind());
            }
            // A suite that stopped early planned tests no column names: each
            // is an error too, as `llconf diff` counts them, and counted once
            // (those another column names are error cells already).
            for s in c.suites.iter().filter(|s| !s.finished) {
                let unreported = s.tests_planned.unwrap_or(0).saturating_sub(s.tests.len());
                let shown = rows
                    .iter()
                    .filter(|r| r.suite == s.suite && r.cells[ci].kind() == CellKind::Error)
                    .count();
                tally.error += unreported.saturating_sub(shown);
            }
            let mut problems: Vec<String> = c
                .meta
                .as_ref()
                .map(|m| m.problems.clone())
                .unwrap_or_default();
            for s in &c.suites {
                if let Some(crash) = &s.crash {
                    problems.push(format!("suite {}: {crash}", s.suite));
                } else if !s.finished {
                    problems.push(format!("suite {} did not finish", s.suite));
                }
            }
            let known = crate::results::known_issues(&c.suites);
            Head {
                id: c.id.clone(),
                kernel: c.kernel.clone(),
                variant: c.variant.clone(),
                release: k.map(|k| k.release.clone()),
                landlock: k.map(|k| k.landlock),
                abi: k.and_then(|k| k.abi),
                errata: k.and_then(|k| k.errata),
                expected_abi: c.meta.as_ref().and_then(|m| m.expected_abi),
                boot_seconds: c.meta.as_ref().and_then(|m| m.boot_seconds),
                backend: c
                    .meta
                    .as_ref()
                    .map(|m| m.backend.clone())
                    .filter(|b| !b.is_empty()),
                packages: c
                    .meta
                    .as_ref()
                    .map(|m| m.packages.clone())
                    .unwrap_or_default(),
                problems,
                tally,
                known,
                dir: c.dir.clone(),
            }
        })
        .collect();
    Matrix { heads, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_fixture_and_case() {
        assert_eq!(
            split_name("base", "base::create_ruleset::size::zero_einval"),
            ("create_ruleset::size", "zero_einval")
        );
        assert_eq!(split_name("base", "base::lonely"), ("", "lonely"));
        assert_eq!(split_name("net", "udp::x::y"), ("udp::x", "y"));
    }
}
