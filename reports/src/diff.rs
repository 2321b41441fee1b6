//! `llconf diff OLD NEW`: what changed between two runs, or two columns of
//! one run. A maintainer compares a patched kernel with its base, or one
//! stable release with the next.
//!
//! Tests are matched by suite and full name. What is listed:
//! - regressions: passed before, failed now (or did not run to a verdict:
//!   its suite crashed or the VM died; or vanished: absent although its
//!   suite ran to the end with no filter); these make the exit code 1;
//! - fixes: failed (or errored) before, pass now;
//! - tests that moved from skipped to executed, grouped by the old skip
//!   reason (a kernel that gained `LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9)`
//!   shows its new tests passing), and from executed to skipped with the
//!   new reason;
//! - tests that became known failures (a known kernel bug or a missing
//!   erratum fix on the new side), and known failures that now pass (fixes)
//!   or fail otherwise (regressions);
//! - tests only in one of the two;
//! - kernel changes: release, Landlock status, ABI, errata bits.

use crate::matrix::{CellKind, Matrix};
use crate::record::KernelInfo;
use crate::run_results::{Column, Run};
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// How the user named it: `out#debian-6.12-default`.
    pub label: String,
    pub release: Option<String>,
    pub landlock: Option<String>,
    pub abi: Option<u32>,
    pub errata: Option<u64>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub errors: usize,
    pub known_failures: usize,
}

/// One test whose state changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub suite: String,
    pub name: String,
    /// `pass`, `fail`, `skip`, `known failure`, `error`, `absent`.
    pub old: &'static str,
    pub new: &'static str,
    /// The old skip reason or failure, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelChange {
    pub what: &'static str,
    pub old: String,
    pub new: String,
    /// For errata: the bits only in NEW, and only in OLD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    pub kernel: Vec<KernelChange>,
    pub regressions: Vec<Change>,
    pub fixes: Vec<Change>,
    /// Skipped before, executed now.
    pub now_executed: Vec<Change>,
    /// Executed before, skipped now.
    pub now_skipped: Vec<Change>,
    /// Passed or failed before, a known failure now.
    pub now_known: Vec<Change>,
    /// Tests in OLD only (NEW's suite finished without them).
    pub only_old: Vec<String>,
    /// Tests in NEW only.
    pub only_new: Vec<String>,
    /// Same state on both sides (including failed on both).
    pub unchanged: usize,
}

impl Diff {
    pub fn has_regressions(&self) -> bool {
        !self.regressions.is_empty()
    }
}

fn side(label: &str, c: &Column, m: &Matrix, col: usize) -> Side {
    let k: Option<&KernelInfo> = c.kernel_info();
    let t = &m.heads[col].tally;
    Side {
        label: label.to_string(),
        release: k.map(|k| k.release.clone()),
        landlock: k.map(|k| k.landlock.to_string()),
        abi: k.and_then(|k| k.abi),
        errata: k.and_then(|k| k.errata),
        passed: t.pass,
        failed: t.fail,
        skipped: t.skip,
        errors: t.error,
        known_failures: t.known,
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

/// Compares column `old` with column `new`.
pub fn diff(old: (&str, &Column), new: (&str, &Column)) -> Diff {
    let run = Run {
        columns: vec![old.1.clone(), new.1.clone()],
        unreadable: Vec::new(),
    };
    let m = Matrix::from_run(&run);
    let mut d = Diff {
        old: side(old.0, old.1, &m, 0),
        new: side(new.0, new.1, &m, 1),
        kernel: Vec::new(),
        regressions: Vec::new(),
        fixes: Vec::new(),
        now_executed: Vec::new(),
        now_skipped: Vec::new(),
        now_known: Vec::new(),
        only_old: Vec::new(),
        only_new: Vec::new(),
        unchanged: 0,
    };
    let (o, n) = (&d.old, &d.new);
    let mut kernel = Vec::new();
    if o.release != n.release {
        kernel.push(KernelChange {
            what: "release",
            old: opt(o.release.as_ref()),
            new: opt(n.release.as_ref()),
            note: None,
        });
    }
    if o.landlock != n.landlock {
        kernel.push(KernelChange {
            what: "landlock",
            old: opt(o.landlock.as_ref()),
            new: opt(n.landlock.as_ref()),
            note: None,
        });
    }
    if o.abi != n.abi {
        kernel.push(KernelChange {
            what: "abi",
            old: opt(o.abi),
            new: opt(n.abi),
            note: match (o.abi, n.abi) {
                (Some(a), Some(b)) if b < a => Some("the ABI went down".into()),
                _ => None,
            },
        });
    }
    if o.errata != n.errata {
        let (a, b) = (o.errata.unwrap_or(0), n.errata.unwrap_or(0));
        let mut note = Vec::new();
        if b & !a != 0 {
            note.push(format!("new bits {:#x}", b & !a));
        }
        if a & !b != 0 {
            note.push(format!("bits gone {:#x}", a & !b));
        }
        kernel.push(KernelChange {
            what: "errata",
            old: o.errata.map_or("-".into(), |e| format!("{e:#x}")),
            new: n.errata.map_or("-".into(), |e| format!("{e:#x}")),
            note: (!note.is_empty()).then(|| note.join(", ")),
        });
    }
    d.kernel = kernel;

    for r in &m.rows {
        let (a, b) = (&r.cells[0], &r.cells[1]);
        let change = || Change {
            suite: r.suite.clone(),
            name: r.name.clone(),
            old: a.kind().word(),
            new: b.kind().word(),
            old_detail: a.detail().map(str::to_string),
            new_detail: b.detail().map(str::to_string),
        };
        use CellKind::*;
        match (a.kind(), b.kind()) {
            (Pass | Known, Fail | Error) => d.regressions.push(change()),
            (Fail | Error | Known, Pass) => d.fixes.push(change()),
            (Pass | Fail | Error, Known) => d.now_known.push(change()),
            (Skip, Pass | Fail | Error | Known) => d.now_executed.push(change()),
            (Pass | Fail | Error | Known, Skip) => d.now_skipped.push(change()),
            (Absent, Absent) => {}
            // Its suite ran in full, unfiltered, and finished without it:
            // the test vanished, which is a regression, not a selection.
            (_, Absent) if ran_unfiltered(new.1, &r.suite) => d.regressions.push(Change {
                new_detail: Some(
                    "not in this run, although its suite ran to the end with no filter".into(),
                ),
                ..change()
            }),
            (_, Absent) => d.only_old.push(r.name.clone()),
            (Absent, _) => d.only_new.push(r.name.clone()),
            _ => d.unchanged += 1,
        }
    }
    d
}

/// Whether `suite` ran in `column` to its end with no filter narrowing it.
fn ran_unfiltered(column: &Column, suite: &str) -> bool {
    column
        .suites
        .iter()
        .any(|s| s.suite == suite && s.finished && !s.filtered)
}

/// `needs LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9)` from
/// `needs LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9); kernel has ABI 6`: the
/// part of a skip reason that does not depend on the kernel.
pub fn reason_key(reason: &str) -> &str {
    reason.split_once("; ").map_or(reason, |(k, _)| k).trim()
}

fn counts_line(s: &Side) -> String {
    format!(
        "{} passed, {} failed, {} errors, {} known failures, {} skipped",
        s.passed, s.failed, s.errors, s.known_failures, s.skipped
    )
}

/// The ABI a skip reason names first (`(ABI 9)`, `before ABI 10`), for
/// ordering; reasons without one come last.
pub fn abi_of(reason: &str) -> u32 {
    reason
        .find("ABI ")
        .and_then(|i| {
            let digits: String = reason[i + 4..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .unwrap_or(u32::MAX)
}

/// Names listed one per line up to this many per suite; beyond, a count.
const LIST_AT_MOST: usize = 20;

/// Test names grouped by their suite (the part before the first `::`), in
/// first-seen order.
fn by_suite(names: &[String]) -> Vec<(&str, Vec<&String>)> {
    let mut groups: Vec<(&str, Vec<&String>)> = Vec::new();
    for n in names {
        let suite = n.split("::").next().unwrap_or("");
        match groups.iter_mut().find(|(s, _)| *s == suite) {
            Some((_, v)) => v.push(n),
            None => groups.push((suite, vec![n])),
        }
    }
    groups
}

fn tests(n: usize) -> String {
    crate::text::count(n, "test")
}

/// Groups changes by a key, in first-seen order.
fn grouped<'a>(
    changes: &'a [Change],
    key: impl Fn(&'a Change) -> String,
) -> Vec<(String, Vec<&'a Change>)> {
    let mut groups: Vec<(String, Vec<&Change>)> = Vec::new();
    for c in changes {
        let k = key(c);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, v)) => v.push(c),
            None => groups.push((k, vec![c])),
        }
    }
    groups
}

/// For a pull-request comment or a job summary: the verdict first, then
/// each list as counts grouped by suite (regressions and fixes by name).
pub fn render_markdown(d: &Diff) -> String {
    let cell = |t: &str| {
        crate::text::visible(t)
            .replace('|', "\\|")
            .replace('\n', " ")
    };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "## {} llconf diff: {} → {}\n",
        if d.has_regressions() { "❌" } else { "✅" },
        cell(&d.old.label),
        cell(&d.new.label)
    );
    let _ = writeln!(o, "{}.\n", tally_line(d));
    let _ = writeln!(o, "| | old | new |\n|---|---|---|");
    let _ = writeln!(
        o,
        "| kernel | {} | {} |",
        cell(&opt(d.old.release.as_ref())),
        cell(&opt(d.new.release.as_ref()))
    );
    let _ = writeln!(o, "| ABI | {} | {} |", opt(d.old.abi), opt(d.new.abi));
    let hex = |e: Option<u64>| e.map_or("-".into(), |e| format!("{e:#x}"));
    let _ = writeln!(
        o,
        "| errata | {} | {} |",
        hex(d.old.errata),
        hex(d.new.errata)
    );
    let _ = writeln!(
        o,
        "| results | {} | {} |\n",
        counts_line(&d.old),
        counts_line(&d.new)
    );
    let named = |o: &mut String, title: &str, v: &[Change], detail: &dyn Fn(&Change) -> String| {
        if v.is_empty() {
            return;
        }
        let _ = writeln!(o, "### {title}: {}\n", v.len());
        for c in v.iter().take(200) {
            let _ = writeln!(o, "- `{}`: {}", c.name, cell(&detail(c)));
        }
        if v.len() > 200 {
            let _ = writeln!(o, "- ... and {} more", v.len() - 200);
        }
        o.push('\n');
    };
    named(&mut o, "Regressions", &d.regressions, &|c| {
        format!("{} {}", c.new, c.new_detail.as_deref().unwrap_or(""))
    });
    named(&mut o, "New known failures", &d.now_known, &|c| {
        c.new_detail.clone().unwrap_or_default()
    });
    named(&mut o, "Fixes", &d.fixes, &|c| format!("was {}", c.old));
    let grouped_counts =
        |o: &mut String, title: &str, v: &[Change], key: &dyn Fn(&Change) -> String| {
            if v.is_empty() {
                return;
            }
            let _ = writeln!(o, "### {title}: {}\n", v.len());
            let mut groups = grouped(v, key);
            groups.sort_by_key(|(reason, _)| abi_of(reason));
            for (reason, tests_of) in groups {
                let _ = writeln!(o, "- {}: {}", cell(&reason), tests(tests_of.len()));
            }
            o.push('\n');
        };
    grouped_counts(&mut o, "Skipped, now executed", &d.now_executed, &|c| {
        reason_key(c.old_detail.as_deref().unwrap_or("")).to_string()
    });
    grouped_counts(&mut o, "Executed, now skipped", &d.now_skipped, &|c| {
        c.new_detail.clone().unwrap_or_default()
    });
    for (title, names) in [
        ("Only in old (not selected in new)", &d.only_old),
        ("Only in new", &d.only_new),
    ] {
        if names.is_empty() {
            continue;
        }
        let _ = writeln!(o, "### {title}: {}\n", names.len());
        for (suite, v) in by_suite(names) {
            let _ = writeln!(o, "- {}: {}", cell(suite), tests(v.len()));
        }
        o.push('\n');
    }
    o
}

/// The human-readable report.
pub fn render_text(d: &Diff) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "old: {}", d.old.label);
    let _ = writeln!(
        o,
        "     {}, Landlock {}, ABI {}, errata {}; {}",
        opt(d.old.release.as_ref()),
        opt(d.old.landlock.as_ref()),
        opt(d.old.abi),
        d.old.errata.map_or("-".into(), |e| format!("{e:#x}")),
        counts_line(&d.old)
    );
    let _ = writeln!(o, "new: {}", d.new.label);
    let _ = writeln!(
        o,
        "     {}, Landlock {}, ABI {}, errata {}; {}",
        opt(d.new.release.as_ref()),
        opt(d.new.landlock.as_ref()),
        opt(d.new.abi),
        d.new.errata.map_or("-".into(), |e| format!("{e:#x}")),
        counts_line(&d.new)
    );
    if !d.kernel.is_empty() {
        let _ = writeln!(o, "\nkernel changes:");
        for k in &d.kernel {
            let _ = write!(o, "  {:<9} {} -> {}", k.what, k.old, k.new);
            if let Some(n) = &k.note {
                let _ = write!(o, " ({n})");
            }
            o.push('\n');
        }
    }

    let list = |o: &mut String, title: &str, v: &[Change], detail: &dyn Fn(&Change) -> String| {
        let _ = writeln!(o, "\n{title}: {}", v.len());
        for c in v {
            let _ = writeln!(o, "  {}{}", c.name, detail(c));
        }
    };
    list(
        &mut o,
        "REGRESSIONS (passed -> failed)",
        &d.regressions,
        &|c| format!(": {} {}", c.new, c.new_detail.as_deref().unwrap_or("")),
    );
    list(
        &mut o,
        "known failures (a known kernel bug on the new side)",
        &d.now_known,
        &|c| {
            format!(
                " (was {}): {}",
                c.old,
                c.new_detail.as_deref().unwrap_or("")
            )
        },
    );
    list(&mut o, "fixes (failed -> passed)", &d.fixes, &|c| {
        format!(
            " (was {}: {})",
            c.old,
            c.old_detail.as_deref().unwrap_or("")
        )
    });

    let _ = writeln!(o, "\nskipped -> executed: {}", d.now_executed.len());
    let mut groups = grouped(&d.now_executed, |c| {
        reason_key(c.old_detail.as_deref().unwrap_or("")).to_string()
    });
    groups.sort_by_key(|(reason, _)| abi_of(reason));
    for (reason, v) in groups {
        let passed = v.iter().filter(|c| c.new == "pass").count();
        let _ = writeln!(
            o,
            "  was skipped: {reason}; {}, {passed} now pass{}",
            tests(v.len()),
            if passed == v.len() {
                String::new()
            } else {
                format!(", {} do not", v.len() - passed)
            }
        );
        for c in v {
            let mark = if c.new == "pass" { "pass" } else { c.new };
            let _ = write!(o, "    {mark:<5} {}", c.name);
            if let Some(dt) = c.new_detail.as_deref().filter(|_| c.new != "pass") {
                let _ = write!(o, ": {dt}");
            }
            o.push('\n');
        }
    }

    let _ = writeln!(o, "\nexecuted -> skipped: {}", d.now_skipped.len());
    let mut groups = grouped(&d.now_skipped, |c| c.new_detail.clone().unwrap_or_default());
    groups.sort_by_key(|(reason, _)| abi_of(reason));
    for (reason, v) in groups {
        let _ = writeln!(o, "  now skipped: {reason}; {}", tests(v.len()));
        for c in v {
            let _ = writeln!(o, "    was {:<5} {}", c.old, c.name);
        }
    }

    if !d.only_old.is_empty() || !d.only_new.is_empty() {
        for (title, names) in [
            ("only in old (not selected in new)", &d.only_old),
            ("only in new", &d.only_new),
        ] {
            let _ = writeln!(o, "\n{title}: {}", names.len());
            for (suite, v) in by_suite(names) {
                // A long list is a count: a filtered run leaves out hundreds.
                if v.len() > LIST_AT_MOST {
                    let _ = writeln!(o, "  {suite}: {}", tests(v.len()));
                } else {
                    for n in v {
                        let _ = writeln!(o, "  {n}");
                    }
                }
            }
        }
    }
    let _ = writeln!(o, "\n{}", tally_line(d));
    o
}

/// The closing counts, one line, in both renderings.
fn tally_line(d: &Diff) -> String {
    format!(
        "{} regressions, {} new known failures, {} fixes, {} newly executed, \
         {} newly skipped, {} unchanged",
        d.regressions.len(),
        d.now_known.len(),
        d.fixes.len(),
        d.now_executed.len(),
        d.now_skipped.len(),
        d.unchanged
    )
}
