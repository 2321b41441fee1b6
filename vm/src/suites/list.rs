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

#[cfg(test)]
mod tests {
    #[test]
    fn terse_list_gives_test_names() {
        let out = "base::a::x: test\nbase::a::y: test\nsome::bench: bench\n\n";
        assert_eq!(super::parse_terse_list(out), ["base::a::x", "base::a::y"]);
    }
}
