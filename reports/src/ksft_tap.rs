//! The TAP that the kernel's own selftests print (kselftest_harness.h), read
//! into the same per-suite results as llconf's records, so that their
//! verdicts go into the same JUnit: one suite `ksft.<binary>`, one test
//! `ksft::<binary>::<fixture.variant.test>` per result line.
//!
//! ```text
//! TAP version 13
//! 1..3
//! #  RUN           layout1.no_restriction ...
//! #            OK  layout1.no_restriction
//! ok 1 layout1.no_restriction
//! ok 2 layout1.inval # SKIP needs a newer ABI
//! not ok 3 layout1.file_and_dir_access
//! # Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0
//! ```

use crate::record::{Failure, TestRecord};
use crate::results::SuiteResults;

/// The results of one selftest binary, from its output. A binary that
/// stops before its plan is complete is marked as crashed, so that the
/// tests it never reported cannot pass unnoticed.
pub fn parse(binary: &str, output: &str) -> SuiteResults {
    let mut s = SuiteResults::new(format!("ksft.{binary}"));
    let mut diagnostics: Vec<&str> = Vec::new();
    for line in output.lines() {
        if let Some(plan) = line.strip_prefix("1..") {
            s.tests_planned = plan.trim().parse().ok();
            continue;
        }
        let (ok, rest) = if let Some(r) = line.strip_prefix("ok ") {
            (true, r)
        } else if let Some(r) = line.strip_prefix("not ok ") {
            (false, r)
        } else {
            if line.starts_with('#') {
                diagnostics.push(line);
            }
            continue;
        };
        // `<number> <name>[ # <directive>]`
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit()).trim();
        let (name, directive) = match rest.split_once(" # ") {
            Some((n, d)) => (n.trim(), Some(d.trim())),
            None => (rest, None),
        };
        let full = format!("ksft::{binary}::{name}");
        let upper = directive.map(str::to_ascii_uppercase);
        let record = match (ok, upper.as_deref()) {
            (_, Some(d)) if d.starts_with("SKIP") => {
                let reason = directive.unwrap_or_default()[4..].trim();
                TestRecord::skipped(full, reason)
            }
            (true, _) => TestRecord::passed(full, 0.0),
            (false, _) => TestRecord::failed(
                full,
                0.0,
                Failure::Assertion {
                    message: "the kernel's selftest reported `not ok`".into(),
                    expected: None,
                    observed: None,
                },
            )
            .with_output(diagnostics.join("\n"), ""),
        };
        diagnostics.clear();
        s.tests.push(record);
    }
    match s.tests_planned {
        Some(p) if p == s.tests.len() => s.finished = true,
        Some(p) => {
            s.crash = Some(format!(
                "the selftest planned {p} tests and reported {}",
                s.tests.len()
            ))
        }
        None => s.crash = Some("the selftest printed no TAP plan".into()),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_skips_and_failures_are_read() {
        let out = "TAP version 13\n1..3\n# Starting 3 tests from 1 test cases.\n\
            #  RUN           layout1.a ...\n#            OK  layout1.a\nok 1 layout1.a\n\
            ok 2 layout1.b # SKIP needs ABI 9\n#  RUN           layout1.c ...\n\
            # fs_test.c:10:c:Expected 0 (0) == err (13)\nnot ok 3 layout1.c\n\
            # Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0\n";
        let s = parse("fs_test", out);
        assert_eq!(s.suite, "ksft.fs_test");
        assert!(s.finished && s.crash.is_none());
        let c = s.counts();
        assert_eq!((c.passed, c.failed, c.skipped), (1, 1, 1));
        assert_eq!(s.tests[0].name, "ksft::fs_test::layout1.a");
        assert_eq!(s.tests[1].skip_reason.as_deref(), Some("needs ABI 9"));
        assert!(s.tests[2].stdout.contains("Expected 0 (0) == err (13)"));
        assert_eq!(s.tests[2].group(), "ksft.fs_test");
    }

    #[test]
    fn a_selftest_cut_short_is_a_crash() {
        let s = parse("net_test", "TAP version 13\n1..4\nok 1 a.b\n");
        assert!(!s.is_success());
        assert!(s.crash.unwrap().contains("planned 4 tests and reported 1"));
        assert!(parse("x", "Segmentation fault\n").crash.is_some());
    }
}
