//! llconf: runs the Landlock conformance suites and reports their results.
//!
//! The folders are layers; each imports only the ones above it in this
//! list (`vm/tests/module_graph.rs` keeps it so):
//! - `cache_dir`: the cache root and the names of its parts;
//! - `host`: tools on PATH, the KVM probe, the cargo workspace;
//! - `kernel`: the catalogue, Debian packages, UML builds, `prepare()`;
//! - `ci`: the CI job matrix generated from the catalogue;
//! - `cli`: the command-line types;
//! - `suites`: which suites, their binaries, their test lists;
//! - `coverage`: gcov counters and the kernel's own selftests, for
//!   `llconf coverage`; `mutants`: mutation points in the kernel's C;
//! - `boot`: the `Boot` trait and one file per backend;
//! - `run`: the host run and the VM run loop, which send events;
//! - `ui` and `report`: consumers of those events (progress, KTAP; a
//!   target's verdict, JUnit and the merged files);
//! - `cmd`: one file per subcommand, composing the rest.
//!
//! Data flows one way: suite binaries write records; `run` parses each
//! line once into `llconf_reports::record::Record` and sends it in an event;
//! consumers fold records with `SuiteResults::apply`, the same fold
//! `llconf report` uses. The names of the files a run writes come from
//! `llconf_reports::layout`. The runner never links suite code.

mod boot;
mod cache_dir;
mod ci;
mod cli;
mod cmd;
mod coverage;
mod host;
mod kernel;
mod mutants;
mod report;
mod run;
mod suites;
mod ui;

use clap::Parser;
use std::process::ExitCode;

/// Exit code for bad usage or input, and anything else that kept the run
/// from happening; 1 is kept for "the run happened and something failed".
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    // `llconf ... | head` ends quietly, as other command-line tools do,
    // instead of panicking on the closed pipe; children die with llconf.
    // SAFETY: restoring the default disposition before any thread starts.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        )
    };
    let cli = cli::Cli::parse();
    // Said only where suites are built from it.
    let root = if matches!(
        cli.command,
        cli::Command::List(_)
            | cli::Command::Run(_)
            | cli::Command::Bench(_)
            | cli::Command::Coverage(_)
            | cli::Command::Mutants(_)
    ) {
        host::workspace::default_root(cli.workspace)
    } else {
        host::workspace::resolve(cli.workspace).0
    };
    // Nicer in messages than `.../vm/..`; a missing root is reported by cargo.
    let root = root.canonicalize().unwrap_or(root);
    let kernels = cli.catalogue.unwrap_or_else(|| root.join("kernels"));
    let kernels = std::path::absolute(&kernels).unwrap_or(kernels);
    let result = match cli.command {
        cli::Command::List(args) => cmd::list::list(&root, args),
        cli::Command::Run(args) if args.host => cmd::run_host::run(&root, args),
        cli::Command::Run(args) if args.watch => cmd::watch::watch(&root, args),
        cli::Command::Run(args) => cmd::run_vm::run(&root, &kernels, args),
        cli::Command::Setup(args) => cmd::setup::setup(args),
        cli::Command::Doctor => cmd::doctor::doctor(&kernels),
        cli::Command::Kernels(args) => cmd::kernels::kernels(&kernels, args),
        cli::Command::Build(args) => cmd::build::build(&root, args),
        cli::Command::Ci(cli::CiCommand::Matrix(args)) => cmd::ci::matrix(&root, &kernels, args),
        cli::Command::Fetch(args) => cmd::fetch::fetch(&kernels, args),
        cli::Command::Bench(args) if args.tree.is_some() => {
            cmd::bench_tree::bench_tree(&root, &kernels, args)
        }
        cli::Command::Bench(args) if args.ladder => {
            cmd::bench_ladder::bench_ladder(&root, &kernels, args)
        }
        cli::Command::Bench(args) => cmd::bench::bench(&root, &kernels, args),
        cli::Command::Report(args) => cmd::report::report(args),
        cli::Command::Diff(args) => cmd::diff::diff(args),
        cli::Command::Coverage(args) => cmd::coverage::coverage(&root, &kernels, args),
        cli::Command::Mutants(args) => cmd::mutants::mutants(&root, &kernels, args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
