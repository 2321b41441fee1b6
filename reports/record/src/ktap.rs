//! KTAP v1 lines (Documentation/dev-tools/ktap.rst), the format the
//! kernel's own tooling reads (kselftest runners, LAVA, KernelCI): the one
//! formatter of a test's lines, used by the suite binaries' `--format
//! ktap` and, nested into subtests, by `llconf run --format ktap`.

use crate::{Counts, Outcome, TestRecord};

/// The first line of every KTAP document, nested ones too.
pub const VERSION: &str = "KTAP version 1";

/// The plan line: how many tests follow.
pub fn plan(tests: usize) -> String {
    format!("1..{tests}\n")
}

/// The start of a document: version and plan.
pub fn header(tests: usize) -> String {
    format!("{VERSION}\n{}", plan(tests))
}

/// The closing totals line, as kselftest prints it.
pub fn totals(c: Counts) -> String {
    format!(
        "# Totals: pass:{} fail:{} xfail:{} xpass:0 skip:{} error:0\n",
        c.passed, c.failed, c.known_failures, c.skipped
    )
}

/// A KTAP description may contain neither `#` (a directive follows) nor a
/// newline.
pub fn description(name: &str) -> String {
    name.replace('#', "_").replace('\n', " ")
}

/// One result line, with its directive (`SKIP reason`) on the same line.
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

/// A test's result line, then its failure as diagnostic lines.
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
        // As kselftest's ksft_test_result_xfail() prints it.
        Outcome::KnownFailure => result_line(
            number,
            true,
            &t.name,
            Some(&format!(
                "XFAIL {}",
                t.known.as_ref().map(|k| k.describe()).unwrap_or_default()
            )),
        ),
    };
    if let Some(f) = &t.failure {
        for line in f.to_string().lines() {
            s.push_str(&format!("# {line}\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Failure;

    #[test]
    fn results_follow_ktap() {
        assert_eq!(
            test_lines(1, &TestRecord::passed("base::x::y#z", 1.0)),
            "ok 1 base::x::y_z\n"
        );
        assert_eq!(
            test_lines(2, &TestRecord::skipped("base::x::y", "needs X\n(ABI 9)")),
            "ok 2 base::x::y # SKIP needs X (ABI 9)\n"
        );
        let failed = TestRecord::failed(
            "base::x\ny",
            1.0,
            Failure::Signal {
                signal: "SIGSEGV".into(),
                number: 11,
            },
        );
        assert_eq!(
            test_lines(3, &failed),
            "not ok 3 base::x y\n# killed by signal SIGSEGV (11)\n"
        );
        assert_eq!(header(2), "KTAP version 1\n1..2\n");
        let c = Counts {
            passed: 1,
            failed: 2,
            skipped: 3,
            known_failures: 4,
        };
        assert_eq!(
            totals(c),
            "# Totals: pass:1 fail:2 xfail:4 xpass:0 skip:3 error:0\n"
        );
        let known = TestRecord::known_failure(
            "fs::errata::x",
            1.0,
            Failure::Assertion {
                message: "old behaviour".into(),
                expected: None,
                observed: None,
            },
            crate::KnownIssue {
                id: "erratum-4".into(),
                summary: "whiteouts need MAKE_CHAR".into(),
                fix: Some("landlock: Fix whiteouts".into()),
                commit: None,
                fixed_in: Some("7.2".into()),
                erratum: Some(4),
            },
        );
        assert_eq!(
            test_lines(4, &known),
            "ok 4 fs::errata::x # XFAIL lacks the fix for erratum 4: whiteouts need MAKE_CHAR; \
             fixed by \"landlock: Fix whiteouts\" in 7.2\n# old behaviour\n"
        );
    }
}
