//! llconf: runs the Landlock conformance suites and reports their results.
//!
//! Data flows one way: a producer runs suite binaries and sends events over a
//! channel; consumers (progress, collector) read them; reporters (summary,
//! JUnit) take the collected results at the end. The runner never links suite
//! code: it runs suite binaries and reads the JSON Lines they write.

mod accel;
mod backend;
mod cli;
mod cmd_bench;
mod cmd_diff;
mod cmd_doctor;
mod cmd_fetch;
mod cmd_kernels;
mod cmd_list;
mod cmd_report;
mod cmd_run;
mod cmd_setup;
mod cmd_vm_run;
mod collector;
mod console_scan;
mod cpio;
mod debian_packages;
mod events;
mod guest_script;
mod host_run;
mod jsonl_tail;
mod junit_writer;
mod kernel_cache;
mod kernel_catalogue;
mod ktap_stream;
mod merged_results;
mod progress;
mod qemu_boot;
mod record_port;
mod suite_binaries;
mod suite_selection;
mod target_meta;
mod target_report;
mod uml_boot;
mod uml_build;
mod vm_progress;
mod vm_run;
mod vng_boot;
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
    let kernels = cli.catalogue.unwrap_or_else(|| root.join("kernels"));
    let kernels = std::path::absolute(&kernels).unwrap_or(kernels);
    let result = match cli.command {
        cli::Command::List(args) => cmd_list::list(&root, args),
        cli::Command::Run(args) if args.host => cmd_run::run(&root, args),
        cli::Command::Run(args) => cmd_vm_run::run(&root, &kernels, args),
        cli::Command::Setup(args) => cmd_setup::setup(args),
        cli::Command::Doctor => cmd_doctor::doctor(&kernels),
        cli::Command::Kernels => cmd_kernels::kernels(&kernels),
        cli::Command::Fetch(args) => cmd_fetch::fetch(&kernels, args),
        cli::Command::Bench(args) => cmd_bench::bench(&root, &kernels, args),
        cli::Command::Report(args) => cmd_report::report(args),
        cli::Command::Diff(args) => cmd_diff::diff(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
