//! KTAP v1 (Documentation/dev-tools/ktap.rst) for `llconf run --format
//! ktap`: the kernel's own tooling (kselftest runners, LAVA, KernelCI) reads
//! it.
//!
//! Nesting follows the spec: a subtest's lines are its own KTAP document
//! (version line, `# Subtest:` header, plan, results) indented by four
//! spaces, closed by one result line at the parent's level. A host run has
//! one subtest per suite; a VM run one per target, each holding one per
//! suite. Test lines come from `llconf_record::ktap`, the formatter the
//! suite binaries use for `--format ktap`.

use crate::record::ktap::{description, plan, result_line, test_lines, VERSION};
use crate::results::SuiteResults;

pub use crate::record::ktap::{header, totals};

const INDENT: &str = "    ";

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("{INDENT}{l}\n")).collect()
}

/// A suite as a subtest numbered `number`: its nested document, then its
/// own result line. A suite whose binary crashed is `not ok` with the cause
/// as a diagnostic.
pub fn suite(number: usize, s: &SuiteResults) -> String {
    let mut inner = format!(
        "{VERSION}\n# Subtest: {}\n{}",
        description(&s.suite),
        plan(s.tests.len())
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
    let mut inner = format!("{VERSION}\n# Subtest: {}\n", description(id));
    if let Some(k) = suites.iter().find_map(|s| s.kernel.as_ref()) {
        inner.push_str(&format!(
            "# kernel {} landlock {} abi {} errata {}\n",
            k.release,
            k.landlock,
            k.abi.map_or("-".into(), |a| a.to_string()),
            k.errata.map_or("-".into(), |e| format!("{e:#x}"))
        ));
    }
    inner.push_str(&plan(suites.len()));
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
    use crate::record::{Failure, KernelInfo, LandlockStatus, TestRecord};

    fn suite_results() -> SuiteResults {
        let mut s = SuiteResults::new("base");
        s.kernel = Some(KernelInfo {
            release: "6.12.1".into(),
            landlock: LandlockStatus::Enabled,
            abi: Some(6),
            errata: Some(7),
        });
        s.finished = true;
        s.tests.push(TestRecord::passed("base::a::ok", 1.0));
        s.tests.push(TestRecord::skipped(
            "base::a::new",
            "needs X (ABI 9); kernel has ABI 6",
        ));
        s.tests.push(TestRecord::failed(
            "base::a::bad#1",
            1.0,
            Failure::Panic {
                message: "boom".into(),
            },
        ));
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
        good.tests.push(TestRecord::passed("unix::x::y", 1.0));
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
