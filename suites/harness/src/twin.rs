//! Twins: every allowed case has a case one rule, right or layer apart that
//! must be denied, and every denied case one that must be allowed. A kernel
//! that allows too much fails the denied twin; one that denies too much
//! fails the allowed one. A test names its twin, or says why it has none.
//!
//! `--list-twins` prints the declarations, one `name<TAB>kind<TAB>value`
//! line a test, for `llconf list --untwinned`.

use crate::test::Test;
use std::collections::BTreeSet;

/// The flag a suite binary answers with its twin declarations.
pub const LIST_FLAG: &str = "--list-twins";

pub use crate::test::Twin;

/// Declares `a` and `b` twins of each other.
pub fn pair(a: Test, b: Test) -> [Test; 2] {
    let (an, bn) = (a.name.clone(), b.name.clone());
    [a.twin(bn), b.twin(an)]
}

/// What is wrong with the declarations of these tests (one suite's): a test
/// with none, a twin that names itself, or a twin no test of the suite has.
pub fn problems(tests: &[Test]) -> Vec<(String, String)> {
    let names: BTreeSet<&str> = tests.iter().map(|t| t.name.as_str()).collect();
    tests
        .iter()
        .filter_map(|t| {
            let why = match &t.twin {
                Twin::Undeclared => "no twin declared".to_string(),
                Twin::Of(n) if n == &t.name => "names itself as its twin".to_string(),
                Twin::Of(n) if !names.contains(n.as_str()) => {
                    format!("its twin {n} is not a test of this suite")
                }
                Twin::Exempt(r) if r.trim().is_empty() => "exempt without a reason".to_string(),
                _ => return None,
            };
            Some((t.name.clone(), why))
        })
        .collect()
}

/// One line a test: `name\ttwin\tother`, `name\texempt\treason` or
/// `name\tundeclared\t`.
pub fn listing(tests: &[Test]) -> String {
    tests
        .iter()
        .map(|t| {
            let (kind, value) = match &t.twin {
                Twin::Undeclared => ("undeclared", ""),
                Twin::Of(n) => ("twin", n.as_str()),
                Twin::Exempt(r) => ("exempt", r.as_str()),
            };
            format!("{}\t{kind}\t{}\n", t.name, value.replace(['\t', '\n'], " "))
        })
        .collect()
}

/// Removes `--list-twins` from the arguments and says whether it was there.
pub fn take_flag(argv: Vec<String>) -> (Vec<String>, bool) {
    let before = argv.len();
    let rest: Vec<String> = argv.into_iter().filter(|a| a != LIST_FLAG).collect();
    let found = rest.len() != before;
    (rest, found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::TestResult;

    fn t(name: &str) -> Test {
        Test::new(name, || -> TestResult { Ok(()) })
    }

    #[test]
    fn pairs_point_at_each_other_and_problems_name_the_rest() {
        let [a, b] = pair(t("s::f::allowed"), t("s::f::denied"));
        assert_eq!(a.twin, Twin::Of("s::f::denied".into()));
        assert_eq!(b.twin, Twin::Of("s::f::allowed".into()));
        let tests = vec![
            a,
            b,
            t("s::f::bare"),
            t("s::f::self").twin("s::f::self"),
            t("s::f::gone").twin("s::f::missing"),
            t("s::f::why").untwinned("reports the ABI version"),
            t("s::f::blank").untwinned(" "),
        ];
        let p: Vec<String> = problems(&tests).into_iter().map(|(n, _)| n).collect();
        assert_eq!(p, ["s::f::bare", "s::f::self", "s::f::gone", "s::f::blank"]);
        let l = listing(&tests);
        assert!(l.starts_with("s::f::allowed\ttwin\ts::f::denied\n"));
        assert!(l.contains("s::f::bare\tundeclared\t\n"));
        assert!(l.contains("s::f::why\texempt\treports the ABI version\n"));
    }

    #[test]
    fn the_flag_is_taken_out() {
        let argv = vec!["bin".into(), LIST_FLAG.into(), "x".into()];
        assert_eq!(take_flag(argv), (vec!["bin".into(), "x".into()], true));
        assert_eq!(take_flag(vec!["bin".into()]), (vec!["bin".into()], false));
    }
}
