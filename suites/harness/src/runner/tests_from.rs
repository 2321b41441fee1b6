//! `--tests-from FILE`: run only the tests named in FILE, one full name a
//! line. libtest takes a single name filter; a runner that picked its tests
//! (`llconf mutants` runs the ones that executed a mutated line) needs a
//! list. Names the binary does not have are ignored, since one list serves
//! every suite of a run; an unreadable file is an error, never "run all".

use std::collections::BTreeSet;

pub const FLAG: &str = "--tests-from";

/// Takes `--tests-from FILE` (or `--tests-from=FILE`) out of `argv`.
pub fn take(argv: Vec<String>) -> (Vec<String>, Option<String>) {
    let mut out = Vec::with_capacity(argv.len());
    let mut file = None;
    let mut it = argv.into_iter();
    while let Some(a) = it.next() {
        if let Some(v) = a.strip_prefix("--tests-from=") {
            file = Some(v.to_string());
        } else if a == FLAG {
            file = it.next();
        } else {
            out.push(a);
        }
    }
    (out, file)
}

/// The names a list file holds; blank lines and `#` comments are skipped.
pub fn read(path: &str) -> Result<BTreeSet<String>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{FLAG} {path}: cannot read: {e}"))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_is_taken_out_in_both_spellings() {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (rest, f) = take(v(&["bin", "--tests-from", "a.txt", "--exact"]));
        assert_eq!(
            (rest, f.as_deref()),
            (v(&["bin", "--exact"]), Some("a.txt"))
        );
        let (rest, f) = take(v(&["bin", "--tests-from=b.txt"]));
        assert_eq!((rest, f.as_deref()), (v(&["bin"]), Some("b.txt")));
        assert_eq!(take(v(&["bin", "x"])).1, None);
    }

    #[test]
    fn a_list_skips_blanks_and_comments_and_a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.txt");
        std::fs::write(&p, "# picked\nnet::a::b\n\n  fs::c::d \n").unwrap();
        let names = read(p.to_str().unwrap()).unwrap();
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["fs::c::d", "net::a::b"]
        );
        let err = read("/nonexistent/l.txt").unwrap_err();
        assert!(err.contains("/nonexistent/l.txt"), "{err}");
    }
}
