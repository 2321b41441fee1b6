//! `llconf list`: the suites and their tests, as the suite binaries list them.

use crate::cli::ListArgs;
use crate::suites::list::list_tests;
use crate::suites::selection;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

pub fn list(root: &Path, args: ListArgs) -> Result<ExitCode> {
    for suite in selection::resolve(root, &args.suites)? {
        let tests = list_tests(&suite, &args.suites.suite_args)?;
        println!("{} ({} tests)", suite.suite, tests.len());
        for t in tests {
            println!("  {t}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
