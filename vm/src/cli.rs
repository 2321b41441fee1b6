//! Command-line types.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "llconf",
    version,
    about = "Landlock conformance suites: list, run, report"
)]
pub struct Cli {
    /// Cargo workspace holding the suites [default: the one llconf was built
    /// from].
    #[arg(long, global = true, value_name = "PATH")]
    pub workspace: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the suites and the tests of each.
    List(ListArgs),
    /// Run the suites and report their results.
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Only this suite; repeat for several [default: every suite, or only
    /// those given with --suite-bin].
    #[arg(long = "suite", value_name = "NAME")]
    pub suites: Vec<String>,

    /// Use this binary for suite NAME instead of building it with cargo;
    /// repeat for several. When every selected suite has one, cargo is not run.
    #[arg(long = "suite-bin", value_name = "NAME=PATH", value_parser = parse_suite_bin)]
    pub suite_bins: Vec<SuiteBin>,

    /// Passed to every suite binary: test name filters, --exact, --ignored,
    /// --test-threads N, ...
    #[arg(last = true, value_name = "SUITE ARGS")]
    pub suite_args: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SuiteBin {
    pub suite: String,
    pub path: PathBuf,
}

fn parse_suite_bin(value: &str) -> Result<SuiteBin, String> {
    match value.split_once('=') {
        Some((suite, path)) if !suite.is_empty() && !path.is_empty() => Ok(SuiteBin {
            suite: suite.to_string(),
            path: PathBuf::from(path),
        }),
        _ => Err(format!("expected NAME=PATH, got `{value}`")),
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub suites: SuiteArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run on the running kernel. Required for now: runs in VMs are not
    /// implemented yet.
    #[arg(long)]
    pub host: bool,

    /// Where to write the JUnit XML report [default: <OUT>/junit.xml].
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    /// Directory for results (results/<suite>.jsonl), suite binary output
    /// (logs/<suite>.log) and the default JUnit report.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,

    #[command(flatten)]
    pub suites: SuiteArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn suite_bin_needs_both_halves() {
        let ok = parse_suite_bin("base=/tmp/x=y").unwrap();
        assert_eq!(ok.suite, "base");
        assert_eq!(ok.path, PathBuf::from("/tmp/x=y"));
        assert!(parse_suite_bin("base").is_err());
        assert!(parse_suite_bin("=x").is_err());
        assert!(parse_suite_bin("base=").is_err());
    }

    #[test]
    fn args_after_double_dash_go_to_the_suites() {
        let cli = Cli::try_parse_from([
            "llconf", "run", "--host", "--suite", "base", "--", "ruleset", "--exact",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!("not run")
        };
        assert!(run.host);
        assert_eq!(run.suites.suites, ["base"]);
        assert_eq!(run.suites.suite_args, ["ruleset", "--exact"]);
    }
}
