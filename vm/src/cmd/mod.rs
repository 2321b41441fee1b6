//! One file per subcommand, each a thin composition of the folders below.

pub mod bench;
pub mod bench_ladder;
pub mod bench_tree;
pub mod build;
pub mod ci;
pub mod coverage;
pub mod diff;
pub mod doctor;
pub mod fetch;
pub mod kernels;
pub mod list;
pub mod mutants;
pub mod report;
pub mod run_host;
pub mod run_vm;
pub mod setup;
pub mod watch;
