//! KTAP v1 (Documentation/dev-tools/ktap.rst) for `llconf run --format
//! ktap`: the kernel's own tooling (kselftest runners, LAVA, KernelCI) reads
//! it.
//!
//! Nesting follows the spec: a subtest's lines are its own KTAP document
//! (version line, `# Subtest:` header, plan, results) indented by four
//! spaces, closed by one result line at the parent's level. A host run has
//! one subtest per suite; a VM run one per target, each holding one per
//! suite. Test lines match what the suite binaries print themselves with
//! `--format ktap`.

use crate::record::{Outcome, TestRecord};
use crate::results::{Counts, SuiteResults};

const INDENT: &str = "    ";

/// The start of the document: version and the plan of the top level.
pub fn header(subtests: usize) -> String {
    format!("KTAP version 1\n1..{subtests}\n")
}

/// The closing totals line, as kselftest prints it.
pub fn totals(c: Counts) -> String {
    format!(
        "# Totals: pass:{} fail:{} xfail:0 xpass:0 skip:{} error:0\n",
        c.passed, c.failed, c.skipped
    )
}

/// A KTAP description may contain neither `#` (a directive follows) nor a
/// newline.
fn description(name: &str) -> String {
    name.replace('#', "_").replace('\n', " ")
}

/// One result line, with its directive.
pub fn result_line(number: usize, ok: bool, name: &str, directive: Option<&str>) -> String {
    let mut s = format!(
        "{}ok {number} {}",
        if ok { "" } else { "not " },
        description(name)
    );
    if let Some(d) = directive {
        s.push_str(" # ");
        s.push_str(&d.replace('\n', " "));
    }
    s.push('\n');
    s
}

/// A test's result line and its diagnostic lines (the failure).
pub fn test_lines(number: usize, t: &TestRecord) -> String {
    let mut s = match t.outcome {
        Outcome::Passed => result_line(number, true, &t.name, None),
        Outcome::Skipped => result_line(
            number,
            true,
            &t.name,
            Some(&format!("SKIP {}", t.skip_reason.as_deref().unwrap_or(""))),
        ),
        Outcome::Failed => result_line(number, false, &t.name, None),
    };
    if let Some(f) = &t.failure {
        for line in f.to_string().lines() {
            s.push_str(&format!("# {line}\n"));
        }
    }
    s
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("{INDENT}{l}\n")).collect()
}

/// A suite as a subtest numbered `number`: its nested document, then its
/// own result line. A suite whose binary crashed is `not ok` with the cause
/// as a diagnostic.
pub fn suite(number: usize, s: &SuiteResults) -> String {
    let mut inner = format!(
        "KTAP version 1\n# Subtest: {}\n1..{}\n",
        description(&s.suite),
        s.tests.len()
    );
    for (i, t) in s.tests.iter().enumerate() {
        inner.push_str(&test_lines(i + 1, t));
    }
    let mut out = indent(&inner);
    if let Some(crash) = &s.crash {
        let of = s
            .tests_planned
            .map(|p| format!(" of {p}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "# suite binary {crash}; {} tests{of} reported\n",
            s.tests.len()
        ));
    }
    out.push_str(&result_line(number, s.is_success(), &s.suite, None));
    out
}

/// A VM target as a subtest: one nested subtest per suite, the run-level
/// problems (boot, console, ABI) as diagnostics, `not ok` if any.
pub fn target(number: usize, id: &str, suites: &[SuiteResults], problems: &[String]) -> String {
    let mut inner = format!("KTAP version 1\n# Subtest: {}\n", description(id));
    if let Some(k) = suites.iter().find_map(|s| s.kernel.as_ref()) {
        inner.push_str(&format!(
            "# kernel {} landlock {} abi {} errata {}\n",
            k.release,
            k.landlock,
            k.abi.map_or("-".into(), |a| a.to_string()),
            k.errata.map_or("-".into(), |e| format!("{e:#x}"))
        ));
    }
    inner.push_str(&format!("1..{}\n", suites.len()));
    for (i, s) in suites.iter().enumerate() {
        inner.push_str(&suite(i + 1, s));
    }
    let mut out = indent(&inner);
    for p in problems {
        for line in p.lines() {
            out.push_str(&format!("# {line}\n"));
        }
    }
    let ok = problems.is_empty() && suites.iter().all(SuiteResults::is_success);
    out.push_str(&result_line(number, ok, id, None));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Failure, KernelInfo, LandlockStatus};

    fn rec(name: &str, outcome: Outcome) -> TestRecord {
        TestRecord {
            name: name.into(),
            outcome,
            duration_ms: 1.0,
            skip_reason: None,
            failure: None,
            enforcement: false,
            restrict_self_calls: 0,
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    fn suite_results() -> SuiteResults {
        let mut s = SuiteResults::new("base");
        s.kernel = Some(KernelInfo {
            release: "6.12.1".into(),
            landlock: LandlockStatus::Enabled,
            abi: Some(6),
            errata: Some(7),
        });
        s.finished = true;
        s.tests.push(rec("base::a::ok", Outcome::Passed));
        let mut skip = rec("base::a::new", Outcome::Skipped);
        skip.skip_reason = Some("needs X (ABI 9); kernel has ABI 6".into());
        s.tests.push(skip);
        let mut fail = rec("base::a::bad#1", Outcome::Failed);
        fail.failure = Some(Failure::Panic {
            message: "boom".into(),
        });
        s.tests.push(fail);
        s
    }

    #[test]
    fn a_suite_nests_with_four_spaces() {
        assert_eq!(
            suite(2, &suite_results()),
            "    KTAP version 1\n    # Subtest: base\n    1..3\n    ok 1 base::a::ok\n    \
             ok 2 base::a::new # SKIP needs X (ABI 9); kernel has ABI 6\n    \
             not ok 3 base::a::bad_1\n    # panicked: boom\nnot ok 2 base\n"
        );
    }

    #[test]
    fn a_target_nests_its_suites_two_levels_deep() {
        let mut good = SuiteResults::new("unix");
        good.finished = true;
        good.tests.push(rec("unix::x::y", Outcome::Passed));
        let text = target(1, "debian-6.12-default", &[good], &[]);
        assert_eq!(
            text,
            "    KTAP version 1\n    # Subtest: debian-6.12-default\n    1..1\n        \
             KTAP version 1\n        # Subtest: unix\n        1..1\n        ok 1 unix::x::y\n    \
             ok 1 unix\nok 1 debian-6.12-default\n"
        );
        let bad = target(3, "k-default", &[], &["vm::boot: it died".into()]);
        assert!(
            bad.ends_with("# vm::boot: it died\nnot ok 3 k-default\n"),
            "{bad}"
        );
    }
}
