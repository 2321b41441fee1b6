//! `llconf list`: the suites and their tests, as the suite binaries list them.

use crate::cli::ListArgs;
use crate::suites::list::{list_tests, list_twins, untwinned, Twin};
use crate::suites::selection;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

pub fn list(root: &Path, args: ListArgs) -> Result<ExitCode> {
    if args.untwinned {
        return list_untwinned(root, &args);
    }
    for suite in selection::resolve(root, &args.suites)? {
        let tests = list_tests(&suite, &args.suites.suite_args)?;
        println!("{} ({} tests)", suite.suite, tests.len());
        for t in tests {
            println!("  {t}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Per suite, the cases without a twin one rule, right or layer apart (and
/// the count of those exempt, with a reason); exit 1 while any is left.
fn list_untwinned(root: &Path, args: &ListArgs) -> Result<ExitCode> {
    let mut left = 0;
    for suite in selection::resolve(root, &args.suites)? {
        let decls = list_twins(&suite)?;
        let bad = untwinned(&decls);
        let exempt = decls
            .iter()
            .filter(|(_, t)| matches!(t, Twin::Exempt(_)))
            .count();
        println!(
            "{} ({} tests, {} untwinned, {} exempt)",
            suite.suite,
            decls.len(),
            bad.len(),
            exempt
        );
        for (name, why) in &bad {
            println!("  {name}: {why}");
        }
        left += bad.len();
    }
    Ok(if left == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
