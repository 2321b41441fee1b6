//! `llconf build --out DIR`: the runner, every suite linked static and the
//! guest programs, in one folder that `llconf run --bins DIR` runs on any
//! backend without compiling (a CI pipeline's build job; see
//! `suites::prebuilt` for the layout).

use crate::cli::{BuildArgs, SuiteArgs};
use crate::suites::{build, prebuilt, selection};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;

pub fn build(root: &Path, args: BuildArgs) -> Result<ExitCode> {
    let selection = SuiteArgs {
        suites: args.suites.clone(),
        suite_bins: Vec::new(),
        bins: None,
        suite_args: Vec::new(),
    };
    let suites = selection::resolve_static(root, &selection)?;
    let suites_dir = args.out.join(prebuilt::SUITES);
    // A folder reused by a later build holds only what this build made.
    if suites_dir.is_dir() {
        std::fs::remove_dir_all(&suites_dir)
            .with_context(|| format!("emptying {}", suites_dir.display()))?;
    }
    for s in &suites {
        prebuilt::put(
            &args.out,
            &format!("{}/{}", prebuilt::SUITES, s.suite),
            &s.path,
        )?;
    }
    let guest = build::guest_binaries(root)?;
    prebuilt::put(&args.out, &format!("{}/init", prebuilt::GUEST), &guest.init)?;
    prebuilt::put(
        &args.out,
        &format!("{}/true", prebuilt::GUEST),
        &guest.true_bin,
    )?;
    let me = std::env::current_exe().context("finding the llconf binary")?;
    let runner = prebuilt::put(&args.out, prebuilt::RUNNER, &me)?;
    println!(
        "{}: {} ({} suites: {}), guest/init, guest/true",
        args.out.display(),
        runner.file_name().unwrap().to_string_lossy(),
        suites.len(),
        suites
            .iter()
            .map(|s| s.suite.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "run with: {} run --bins {} --kernel NAME",
        runner.display(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
