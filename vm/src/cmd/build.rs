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
    // Filled beside the folder and renamed over it at the end: a build cut
    // short (Ctrl-C, a full disk) leaves no folder with some suites missing,
    // which `run --bins` would run as if it were whole.
    let partial = partial_of(&args.out);
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .with_context(|| format!("removing {}", partial.display()))?;
    }
    for s in &suites {
        prebuilt::put(
            &partial,
            &format!("{}/{}", prebuilt::SUITES, s.suite),
            &s.path,
        )?;
    }
    let guest = build::guest_binaries(root)?;
    prebuilt::put(&partial, &format!("{}/init", prebuilt::GUEST), &guest.init)?;
    prebuilt::put(
        &partial,
        &format!("{}/true", prebuilt::GUEST),
        &guest.true_bin,
    )?;
    let me = std::env::current_exe().context("finding the llconf binary")?;
    prebuilt::put(&partial, prebuilt::RUNNER, &me)?;
    if args.out.exists() {
        std::fs::remove_dir_all(&args.out)
            .with_context(|| format!("replacing {}", args.out.display()))?;
    }
    std::fs::rename(&partial, &args.out)
        .with_context(|| format!("renaming {} to {}", partial.display(), args.out.display()))?;
    let runner = args.out.join(prebuilt::RUNNER);
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

/// `DIR.partial`, beside DIR.
fn partial_of(out: &Path) -> std::path::PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}
