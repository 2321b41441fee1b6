//! llconf: runs the Landlock conformance suites and reports their results.
//!
//! Data flows one way: a producer runs suite binaries and sends events over a
//! channel; consumers (progress, collector) read them; reporters (summary,
//! JUnit) take the collected results at the end. The runner never links suite
//! code: it runs suite binaries and reads the JSON Lines they write.

mod cli;
mod cmd_list;
mod cmd_run;
mod collector;
mod events;
mod host_run;
mod jsonl_tail;
mod junit_writer;
mod progress;
mod suite_binaries;
mod suite_selection;
mod workspace;

use clap::Parser;
use std::process::ExitCode;

/// Exit code for bad usage or input, and anything else that kept the run
/// from happening; 1 is kept for "the run happened and something failed".
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let root = cli.workspace.unwrap_or_else(workspace::default_root);
    // Nicer in messages than `.../vm/..`; a missing root is reported by cargo.
    let root = root.canonicalize().unwrap_or(root);
    let result = match cli.command {
        cli::Command::List(args) => cmd_list::list(&root, args),
        cli::Command::Run(args) => cmd_run::run(&root, args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
