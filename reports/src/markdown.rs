//! `report.md`: the matrix collapsed to one row per suite, for a CI job
//! summary (GitHub's `$GITHUB_STEP_SUMMARY`, a GitLab MR note). Failures
//! follow, folded in a `<details>` so that a long list does not drown the
//! table.

use crate::matrix::{CellKind, Head, Matrix, Tally};
use std::fmt::Write;

/// How many failed tests are listed before "... and N more".
const MAX_FAILURES: usize = 200;

/// `|` would end a table cell; newlines would end the row.
fn cell(text: &str) -> String {
    crate::text::visible(text)
        .replace('|', "\\|")
        .replace('\n', " ")
}

fn tally_cell(t: &Tally) -> String {
    if t.total() == 0 {
        return "-".into();
    }
    let mut parts = Vec::new();
    if t.fail > 0 {
        parts.push(format!("❌ {}", t.fail));
    }
    if t.error > 0 {
        parts.push(format!("⚠️ {}", t.error));
    }
    if t.known > 0 {
        parts.push(format!("🟣 {}", t.known));
    }
    parts.push(format!("✅ {}", t.pass));
    if t.skip > 0 {
        parts.push(format!("⏭️ {}", t.skip));
    }
    parts.join(" ")
}

fn head_title(h: &Head) -> String {
    let mut s = format!("**{}**", cell(&h.id));
    if !h.problems.is_empty() {
        s.push_str(" ❗");
    }
    s
}

pub fn render(m: &Matrix) -> String {
    let mut out = String::new();
    let mut total = Tally::default();
    for h in &m.heads {
        total.add_tally(&h.tally);
    }
    let bad = m
        .heads
        .iter()
        .filter(|h| !h.tally.is_clean() || !h.problems.is_empty())
        .count();
    let verdict = match (bad, total.known) {
        (0, 0) => "✅",
        (0, _) => "🟣",
        _ => "❌",
    };
    let _ = writeln!(out, "## {verdict} llconf: Landlock conformance\n");
    let _ = writeln!(
        out,
        "{} ({} with failures), {}: {} passed, {} failed, {} errors, \
         {} known failures, {} skipped.\n",
        crate::text::count(m.heads.len(), "target"),
        bad,
        crate::text::count(m.rows.len(), "test"),
        total.pass,
        total.fail,
        total.error,
        total.known,
        total.skip
    );
    // Before the table: what a maintainer must act on even in a green run.
    let known = m.known_by_target();
    if !known.is_empty() {
        out.push_str("### Known kernel bugs and missing fixes\n\n");
        for (h, issues) in known {
            let names: Vec<String> = issues.iter().map(|k| cell(&k.short())).collect();
            let _ = writeln!(
                out,
                "- **{}** ({}): {}",
                cell(&h.id),
                cell(h.release.as_deref().unwrap_or("release unknown")),
                names.join(" · ")
            );
        }
        out.push('\n');
        for k in m.known_issues() {
            let _ = writeln!(out, "- *{}*: {}", cell(&k.short()), cell(&k.details()));
        }
        out.push('\n');
    }

    // The matrix: suites down, targets across, the kernel facts first.
    let mut header = vec!["suite".to_string()];
    header.extend(m.heads.iter().map(head_title));
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        std::iter::once("---|")
            .chain(m.heads.iter().map(|_| ":---:|"))
            .collect::<String>()
    );
    let fact = |label: &str, f: &dyn Fn(&Head) -> String| {
        let mut r = vec![format!("*{label}*")];
        r.extend(m.heads.iter().map(|h| cell(&f(h))));
        format!("| {} |\n", r.join(" | "))
    };
    out.push_str(&fact("kernel", &|h| {
        h.release.clone().unwrap_or_else(|| "?".into())
    }));
    out.push_str(&fact("Landlock", &|h| {
        let mut s = h.abi_text();
        if let (Some(e), Some(a)) = (h.expected_abi, h.abi) {
            if e != a {
                s.push_str(&format!(" (expected {e})"));
            }
        }
        s
    }));
    out.push_str(&fact("errata", &|h| h.errata_text()));
    if m.heads.iter().any(|h| h.boot_seconds.is_some()) {
        out.push_str(&fact("boot", &|h| {
            h.boot_seconds.map_or("-".into(), |b| format!("{b:.1} s"))
        }));
    }
    for suite in m.suites() {
        let mut r = vec![format!("{}", cell(suite))];
        r.extend((0..m.heads.len()).map(|c| tally_cell(&m.suite_tally(suite, c))));
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    let mut r = vec!["**total**".to_string()];
    r.extend(
        m.heads
            .iter()
            .map(|h| format!("**{}**", tally_cell(&h.tally))),
    );
    let _ = writeln!(out, "| {} |", r.join(" | "));
    out.push_str("\n✅ passed · ❌ failed · ⚠️ error (did not run to a verdict) · 🟣 known failure (a known kernel bug or a missing erratum fix; listed above) · ⏭️ skipped (a requirement not met: a newer ABI, root, ...; the reasons are in report.html)\n");

    // Run-level problems: a boot that failed, an ABI regression.
    let problems: Vec<String> = m
        .heads
        .iter()
        .flat_map(|h| {
            h.problems
                .iter()
                .map(move |p| format!("- **{}**: {}", cell(&h.id), cell(p)))
        })
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n### Run problems\n\n{}", problems.join("\n"));
    }

    let mut failures = Vec::new();
    for row in &m.rows {
        for (c, cellv) in row.cells.iter().enumerate() {
            if matches!(cellv.kind(), CellKind::Fail | CellKind::Error) {
                failures.push(format!(
                    "- `{}` on **{}**: {} {}",
                    row.name,
                    cell(&m.heads[c].id),
                    cellv.kind().word(),
                    cell(cellv.detail().unwrap_or(""))
                ));
            }
        }
    }
    if !failures.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>{} failed or errored result{}</summary>\n",
            failures.len(),
            if failures.len() == 1 { "" } else { "s" }
        );
        for f in failures.iter().take(MAX_FAILURES) {
            let _ = writeln!(out, "{f}");
        }
        if failures.len() > MAX_FAILURES {
            let _ = writeln!(out, "- ... and {} more", failures.len() - MAX_FAILURES);
        }
        out.push_str("\n</details>\n");
    }
    out
}
