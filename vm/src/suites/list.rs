//! The tests a suite binary lists (`--list --format terse`), for the
//! tests planned before a run and for `llconf list`.

use crate::suites::binary::SuiteBinary;
use anyhow::{bail, Context, Result};
use std::process::{Command, Stdio};

pub fn list_tests(suite: &SuiteBinary, suite_args: &[String]) -> Result<Vec<String>> {
    let output = Command::new(&suite.path)
        .args(["--list", "--format", "terse"])
        .args(suite_args)
        // Listing must not write records.
        .env_remove("LLCONF_RESULTS")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {} --list", suite.path.display()))?;
    if !output.status.success() {
        bail!(
            "{} --list failed ({}):\n{}",
            suite.path.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(parse_terse_list(&String::from_utf8_lossy(&output.stdout)))
}

/// Refuses a run whose filter selects no test at all, as nextest does: a
/// run of nothing would otherwise end green.
pub fn require_some<'a>(
    lists: impl IntoIterator<Item = &'a Vec<String>>,
    suite_args: &[String],
) -> Result<()> {
    if lists.into_iter().all(|l| l.is_empty()) {
        bail!(
            "no test matches `{}`: every selected suite lists no test with these \
             arguments (`llconf list` shows the names)",
            suite_args.join(" ")
        );
    }
    Ok(())
}

/// libtest's `--list --format terse`: `name: test` lines.
pub fn parse_terse_list(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect()
}

/// What a suite binary declares of each test's twin (`--list-twins`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Twin {
    Undeclared,
    Of(String),
    Exempt(String),
}

pub fn list_twins(suite: &SuiteBinary) -> Result<Vec<(String, Twin)>> {
    let output = Command::new(&suite.path)
        .arg("--list-twins")
        .env_remove("LLCONF_RESULTS")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {} --list-twins", suite.path.display()))?;
    if !output.status.success() {
        bail!(
            "{} --list-twins failed ({}):\n{}",
            suite.path.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    parse_twins(&String::from_utf8_lossy(&output.stdout))
        .with_context(|| format!("{} --list-twins", suite.path.display()))
}

/// `name\tkind\tvalue` lines, kind one of `twin`, `exempt`, `undeclared`.
pub fn parse_twins(stdout: &str) -> Result<Vec<(String, Twin)>> {
    stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.splitn(3, '\t');
            let (name, kind, value) = (f.next(), f.next(), f.next().unwrap_or(""));
            let twin = match kind {
                Some("twin") => Twin::Of(value.to_string()),
                Some("exempt") => Twin::Exempt(value.to_string()),
                Some("undeclared") => Twin::Undeclared,
                _ => bail!("not a twin declaration: {l:?} (is the binary too old?)"),
            };
            Ok((name.unwrap_or_default().to_string(), twin))
        })
        .collect()
}

/// The tests of one suite without a usable twin, each with why.
pub fn untwinned(decls: &[(String, Twin)]) -> Vec<(String, String)> {
    let names: std::collections::BTreeSet<&str> = decls.iter().map(|(n, _)| n.as_str()).collect();
    decls
        .iter()
        .filter_map(|(name, twin)| {
            let why = match twin {
                Twin::Undeclared => "no twin declared".to_string(),
                Twin::Of(t) if t == name => "names itself as its twin".to_string(),
                Twin::Of(t) if !names.contains(t.as_str()) => {
                    format!("its twin {t} is not a test of this suite")
                }
                Twin::Exempt(r) if r.trim().is_empty() => "exempt without a reason".to_string(),
                _ => return None,
            };
            Some((name.clone(), why))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Twin;

    #[test]
    fn twin_listing_names_what_is_untwinned() {
        let out = "s::a\ttwin\ts::b\ns::b\ttwin\ts::a\ns::c\tundeclared\t\n\
                   s::d\ttwin\ts::gone\ns::e\texempt\tthe ABI version\n";
        let decls = super::parse_twins(out).unwrap();
        assert_eq!(decls[4].1, Twin::Exempt("the ABI version".into()));
        let names: Vec<String> = super::untwinned(&decls)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["s::c", "s::d"]);
        assert!(super::parse_twins("s::a: test\n").is_err());
    }

    #[test]
    fn terse_list_gives_test_names() {
        let out = "base::a::x: test\nbase::a::y: test\nsome::bench: bench\n\n";
        assert_eq!(super::parse_terse_list(out), ["base::a::x", "base::a::y"]);
    }
}
