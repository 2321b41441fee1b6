//! The plain-text summary a person reads at the end of a run.

use crate::record::{KernelInfo, Outcome};
use crate::results::{Counts, SuiteResults};
use std::fmt::Write;

/// Per-suite counts and the total.
pub fn totals(suites: &[SuiteResults]) -> Counts {
    let mut total = Counts::default();
    for s in suites {
        total.add(s.counts());
    }
    total
}

/// A table with one row per suite, then the failed tests and crashed suite
/// binaries, then one closing line of totals.
pub fn render(suites: &[SuiteResults]) -> String {
    let header = [
        "suite", "result", "passed", "failed", "known", "skipped", "kernel", "landlock", "abi",
        "errata",
    ];
    let rows: Vec<[String; 10]> = suites.iter().map(row).collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Counts read best right-aligned, text left-aligned.
    let numeric = [
        false, false, true, true, true, true, false, false, false, false,
    ];

    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            if numeric[i] {
                let _ = write!(l, "{cell:>w$}", w = widths[i]);
            } else {
                let _ = write!(l, "{cell:<w$}", w = widths[i]);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header.map(String::from));
    for r in &rows {
        line(r);
    }

    let failed: Vec<_> = suites
        .iter()
        .flat_map(|s| s.failed_tests())
        .map(|t| match &t.failure {
            Some(f) => format!("  {}: {}", t.name, crate::text::visible(&f.to_string())),
            None => format!("  {}", t.name),
        })
        .collect();
    if !failed.is_empty() {
        out.push_str("\nfailed tests:\n");
        for f in failed {
            out.push_str(&f);
            out.push('\n');
        }
    }

    // Grouped by issue: one erratum often explains several tests.
    let mut known: Vec<(String, Vec<&str>)> = Vec::new();
    for t in suites
        .iter()
        .flat_map(|s| &s.tests)
        .filter(|t| t.outcome == Outcome::KnownFailure)
    {
        let issue = t
            .known
            .as_ref()
            .map_or_else(|| "known failure".into(), |k| k.describe());
        match known.iter_mut().find(|(i, _)| *i == issue) {
            Some((_, tests)) => tests.push(&t.name),
            None => known.push((issue, vec![&t.name])),
        }
    }
    if !known.is_empty() {
        out.push_str("\nknown failures (XFAIL: known kernel bugs and missing erratum fixes):\n");
        for (issue, tests) in known {
            let _ = writeln!(out, "  {issue}");
            for t in tests {
                let _ = writeln!(out, "    {t}");
            }
        }
    }

    let crashed: Vec<_> = suites
        .iter()
        .filter_map(|s| s.crash.as_ref().map(|c| (s, c)))
        .collect();
    if !crashed.is_empty() {
        out.push_str("\ncrashed suite binaries (the results they wrote first are kept):\n");
        for (s, note) in crashed {
            let reported = s.tests.len();
            let of = s
                .tests_planned
                .map(|p| format!(" of {p}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {} ({reported}{of} tests reported): {note}", s.suite);
        }
    }

    let total = totals(suites);
    let _ = writeln!(
        out,
        "\ntotal: {} passed, {} failed, {} known failures, {} skipped",
        total.passed, total.failed, total.known_failures, total.skipped
    );
    out
}

fn row(s: &SuiteResults) -> [String; 10] {
    let c = s.counts();
    let result = if s.crash.is_some() {
        "CRASHED"
    } else if c.failed > 0 {
        "FAILED"
    } else {
        "ok"
    };
    let (release, landlock, abi, errata) = kernel_cells(s.kernel.as_ref());
    [
        s.suite.clone(),
        result.to_string(),
        c.passed.to_string(),
        c.failed.to_string(),
        c.known_failures.to_string(),
        c.skipped.to_string(),
        release,
        landlock,
        abi,
        errata,
    ]
}

fn kernel_cells(kernel: Option<&KernelInfo>) -> (String, String, String, String) {
    let Some(k) = kernel else {
        let unknown = || "?".to_string();
        return (unknown(), unknown(), unknown(), unknown());
    };
    (
        k.release.clone(),
        k.landlock.to_string(),
        k.abi.map_or_else(|| "-".into(), |a| a.to_string()),
        k.errata.map_or_else(|| "-".into(), |e| format!("{e:#x}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Failure, LandlockStatus, TestRecord};

    #[test]
    fn table_shows_counts_kernel_and_landlock() {
        let failed = TestRecord::failed(
            "base::a::b",
            1.0,
            Failure::Panic {
                message: "boom".into(),
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
            tests: vec![
                TestRecord::passed("base::a::a", 1.0),
                TestRecord::passed("base::a::c", 1.0),
                failed,
                TestRecord::skipped("base::a::d", "needs X"),
                TestRecord::known_failure(
                    "base::a::e",
                    1.0,
                    Failure::Panic {
                        message: "old".into(),
                    },
                    crate::record::KnownIssue {
                        id: "erratum-3".into(),
                        summary: "disconnected".into(),
                        fix: Some("landlock: Fix handling of disconnected directories".into()),
                        commit: None,
                        fixed_in: Some("6.18.2".into()),
                        erratum: Some(3),
                    },
                ),
            ],
            finished: true,
            ..SuiteResults::new("base")
        };
        let mut net = SuiteResults::new("net");
        net.tests_planned = Some(5);
        net.tests.push(TestRecord::passed("net::x::y", 1.0));
        net.crash = Some("killed by signal SIGSEGV (11)".into());

        let text = render(&[base, net]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            [
                "suite", "result", "passed", "failed", "known", "skipped", "kernel", "landlock",
                "abi", "errata"
            ]
        );
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            [
                "base",
                "FAILED",
                "2",
                "1",
                "1",
                "1",
                "6.12.0-llconf",
                "enabled",
                "7",
                "0x7"
            ]
        );
        assert_eq!(
            lines[2].split_whitespace().collect::<Vec<_>>(),
            ["net", "CRASHED", "1", "0", "0", "0", "?", "?", "?", "?"]
        );
        assert!(text.contains("  base::a::b: panicked: boom\n"), "{text}");
        assert!(
            text.contains("  net (1 of 5 tests reported): killed by signal SIGSEGV (11)\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "\nknown failures (XFAIL: known kernel bugs and missing erratum fixes):\n  \
                 lacks the fix for erratum 3: disconnected; fixed by \
                 \"landlock: Fix handling of disconnected directories\" in 6.18.2\n    \
                 base::a::e\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("\ntotal: 3 passed, 1 failed, 1 known failures, 1 skipped\n"),
            "{text}"
        );
    }

    #[test]
    fn disabled_landlock_has_no_abi() {
        let mut s = SuiteResults::new("base");
        s.kernel = Some(KernelInfo {
            release: "5.10.0".into(),
            landlock: LandlockStatus::Disabled,
            abi: None,
            errata: None,
        });
        let text = render(&[s]);
        let row = text.lines().nth(1).unwrap();
        assert!(row.contains("disabled (EOPNOTSUPP)"), "{row}");
        let cells: Vec<_> = row.split_whitespace().collect();
        assert_eq!(cells[cells.len() - 2..], ["-", "-"], "{row}");
    }
}
