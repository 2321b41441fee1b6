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
    /// Cargo workspace holding the suites, and the guest init, built from it
    /// [default: $LLCONF_WORKSPACE, else the llconf checkout the current
    /// directory is in, else the one llconf was built from].
    #[arg(long, global = true, value_name = "PATH")]
    pub workspace: Option<PathBuf>,

    /// Directory of kernel definitions (*.toml) [default: kernels/ of the
    /// workspace].
    #[arg(long = "kernels", global = true, value_name = "DIR")]
    pub catalogue: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// What `llconf run --help` ends with: the exit codes and the environment.
pub const RUN_AFTER_HELP: &str = "\
Exit codes:
  0    every test passed or was skipped (known failures allowed, unless --strict)
  1    a test failed, a suite crashed, a VM run failed, an unexpected pass (XPASS),
       a kernel without Landlock or with another ABI than expected
  2    bad usage or infrastructure: a bad flag or definition, a filter that selects
       no test, a full disk, an --out that is not a run folder, a missing tool
  130  interrupted (SIGINT or SIGTERM); the reports keep what finished

Environment:
  LLCONF_CACHE           the cache of packages, kernels and builds [~/.cache/llconf]
  LLCONF_WORKSPACE       the cargo workspace of the suites, when --workspace is not given
  LLCONF_TIMEOUT_SCALE   multiplies every test's timeout (the runner sets 4 under TCG)
  LLCONF_START_DEPTH     the Landlock layers the suites start under (VMs declare 0); a host
                         run without it skips the tests that count layers to the limit
  LLCONF_KNOWN_ISSUES    a known-issues table to use instead of suites/known-issues.toml
  LLCONF_VNG             the vng program to run [the venv llconf setup makes, else vng on PATH]
  LLCONF_KEEP_INITRAMFS  keep qemu-initramfs's initramfs after the run
  LLCONF_GUEST_INIT, LLCONF_GUEST_TRUE
                         static guest programs to use instead of building them
  LLCONF_RESULTS         a suite binary run alone: where it writes its records
  LLCONF_VM_TESTS        cargo test: add real VM boots to the runner's own tests";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the suites and the tests of each.
    List(ListArgs),
    /// Run the suites in VMs, one per kernel and variant (or with --host on
    /// the running kernel), and report their results.
    #[command(after_help = RUN_AFTER_HELP)]
    Run(RunArgs),
    /// Install what VM runs need: qemu, virtme-ng and its helpers.
    Setup(SetupArgs),
    /// Report what is present for VM runs: qemu, vng, KVM, cached kernels.
    Doctor,
    /// List the kernel catalogue and what of it is cached.
    Kernels(KernelsArgs),
    /// Build, once, what runs need (the runner, every suite static, the
    /// guest programs) into a folder that `run --bins` takes without
    /// compiling: a CI pipeline's build job.
    Build(BuildArgs),
    /// What a CI system needs: the job matrix generated from kernels/.
    #[command(subcommand)]
    Ci(CiCommand),
    /// Download (or build) kernels now, refreshing the package lists.
    Fetch(FetchArgs),
    /// Boot one kernel N times with each backend, run the same suites on
    /// the host and boot a bare qemu floor; print the medians and ratios.
    Bench(BenchArgs),
    /// Write the kernel × test matrix of one or more runs: report.html (the
    /// whole matrix) and report.md (per suite, for a CI job summary).
    Report(ReportArgs),
    /// Compare two runs, or two targets of one run: regressions (exit code
    /// 1), fixes, tests moved between skipped and executed, ABI and errata.
    Diff(DiffArgs),
    /// Which lines of security/landlock the suites execute, in a gcov
    /// build of a User-Mode Linux kernel (with --peer ksft: beside the
    /// kernel's own selftests on the same build).
    Coverage(CoverageArgs),
    /// Plausible one-line bugs in security/landlock (mutants): with --list,
    /// the mutation points found in the kernel's source.
    Mutants(MutantsArgs),
}

#[derive(Debug, Args)]
pub struct MutantsArgs {
    /// A User-Mode Linux kernel of the catalogue whose source llconf can
    /// reach: a `build` tree, or a `debian-source` package whose coverage
    /// build (`llconf coverage`) kept it.
    #[arg(long, value_name = "NAME", default_value = "uml-7.3")]
    pub kernel: String,

    /// The files to mutate, relative to the tree; `*` matches within a
    /// file name. Repeat for several: their mutants are judged in the
    /// order given.
    #[arg(
        long = "file",
        value_name = "GLOB",
        default_value = "security/landlock/*.c"
    )]
    pub files: Vec<String>,

    /// Print the mutants (id and diff) and build nothing.
    #[arg(long)]
    pub list: bool,

    /// Judge only the mutant with this id (`file:line:col:operator`, as
    /// --list and mutants.json give it); repeat for several.
    #[arg(long = "mutant", value_name = "ID")]
    pub mutants: Vec<String>,

    /// Judge only N mutants, picked at random with --seed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub sample: Option<u32>,

    /// The seed of --sample: the same seed picks the same mutants.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Judge the K-th of N parts of the mutants (after --sample): every
    /// N-th in id order, for N CI jobs.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// With --peer: run the peer only on the mutants llconf missed, which
    /// lists what only the peer catches at a fraction of the cost (its own
    /// kill rate is then over those only).
    #[arg(long, requires = "peer")]
    pub peer_on_missed: bool,

    /// Keep what `--out` already judged and judge only the rest.
    #[arg(long)]
    pub resume: bool,

    /// With per-test coverage: run every selected test, rather than stop
    /// at the first that notices.
    #[arg(long)]
    pub all_killers: bool,

    /// The per-test coverage map (test-lines.json) to select tests with;
    /// by default the one `llconf coverage --per-test` kept beside the
    /// kernel's coverage build, if any.
    #[arg(long, value_name = "FILE")]
    pub test_lines: Option<PathBuf>,

    /// Where the runs, mutants.json and missed.txt go.
    #[arg(long, value_name = "DIR", default_value = "out/mutants")]
    pub out: PathBuf,

    /// Also run the kernel's own Landlock selftests, built from the same
    /// source, on every mutant, and judge them the same way.
    #[arg(long, value_enum)]
    pub peer: Option<Peer>,

    /// The peer's line coverage on the same build, an lcov tracefile or a
    /// map per program (ksft-lines.json): a mutant on lines the peer never
    /// executes is missed by it without a run, and only the programs that
    /// execute them run. By default the one `llconf coverage --peer ksft`
    /// kept beside the kernel's coverage build (per program with
    /// --per-test), if any.
    #[arg(long, value_name = "FILE", requires = "peer")]
    pub peer_lines: Option<PathBuf>,

    #[command(flatten)]
    pub suites: SuiteArgs,
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// A User-Mode Linux kernel of the catalogue that llconf builds from
    /// source (a `debian-source` package or a `build` tree with builder uml).
    #[arg(long, value_name = "NAME", default_value = "uml-7.3")]
    pub kernel: String,

    /// Also measure the kernel's own Landlock selftests, built from the
    /// same source, on the same build, and compare.
    #[arg(long, value_enum)]
    pub peer: Option<Peer>,

    /// Also measure each test alone, one boot per test, into
    /// `test-lines.json` (which lines each test executed), kept beside the
    /// build too, where earlier measures of other tests of the same build
    /// are kept: `llconf mutants` then runs only the tests that executed a
    /// mutated line.
    #[arg(long)]
    pub per_test: bool,

    /// Where the runs, the tracefiles, coverage.json, coverage.md, the HTML
    /// and the JUnit go.
    #[arg(long, value_name = "DIR", default_value = "out/coverage")]
    pub out: PathBuf,

    /// Limit for each run, in seconds [default: 1800].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub vm_timeout: Option<u64>,

    /// Compare two coverage runs (their --out folders or coverage.json)
    /// instead of measuring.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], conflicts_with = "peer")]
    pub diff: Vec<PathBuf>,

    /// With --diff: the run to compare (llconf, ksft or union).
    #[arg(long, value_name = "NAME", default_value = "llconf", requires = "diff")]
    pub column: String,

    #[command(flatten)]
    pub suites: SuiteArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Peer {
    /// The kernel's tools/testing/selftests/landlock.
    Ksft,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run: the --out directory of `llconf run` (VMs or --host), one
    /// target's directory, a directory of such directories (one per CI
    /// job), or a results.jsonl. Several are merged into one matrix.
    #[arg(value_name = "RUN", required = true)]
    pub runs: Vec<PathBuf>,

    /// Where to write the HTML matrix [default: <RUN>/report.html].
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,

    /// Where to write the Markdown summary [default: <RUN>/report.md].
    #[arg(long, value_name = "PATH")]
    pub md: Option<PathBuf>,

    /// Also write the run in KernelCI's KCIDB I/O format (schema 5): a
    /// checkout and build per kernel, a test per case and target.
    #[arg(long, value_name = "PATH")]
    pub kcidb: Option<PathBuf>,

    /// Also print a GitHub Actions annotation (`::error ...`) for each
    /// failed test, crashed suite or failed run-level check, and a notice
    /// for each known kernel bug, so the run's page lists them.
    #[arg(long)]
    pub github_annotations: bool,

    /// The KCIDB `origin`: the CI system submitting ([a-z0-9_]+).
    #[arg(long, value_name = "NAME", default_value = "llconf")]
    pub kcidb_origin: String,

    /// What makes this run's KCIDB ids unique for the origin (a pipeline
    /// id) [default: the time of the report, as YYYYMMDDhhmmss].
    #[arg(long, value_name = "ID")]
    pub kcidb_run_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The base: a run (directory or results.jsonl) with `#TARGET` to pick
    /// one of its targets, e.g. `out#debian-6.12-default` (or a unique
    /// prefix of it: `out#debian-6.12`). A run with one target needs none.
    #[arg(value_name = "OLD")]
    pub old: String,

    /// What to compare with the base, in the same form: `out#debian-7.3`.
    #[arg(value_name = "NEW")]
    pub new: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// For people.
    Text,
    /// One JSON object, for machines.
    Json,
    /// For a pull-request comment or a CI job summary.
    Markdown,
}

/// Whether the running kernel must have Landlock (host runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ExpectLandlock {
    /// Enabled: a kernel where it is disabled or missing fails the run.
    #[default]
    On,
    /// Disabled or missing, on purpose: the run checks that nothing is
    /// enforced and passes.
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RunFormat {
    /// Progress on stderr, a summary table on stdout.
    #[default]
    Human,
    /// KTAP v1 on stdout (one subtest per target and suite), as kselftest
    /// prints it; the summary goes to stderr.
    Ktap,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Only print what would be done.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The kernel of the catalogue to boot.
    #[arg(long, value_name = "NAME", default_value = "debian-6.12")]
    pub kernel: String,

    /// Measure the kernel developer's loop instead: build this tree, then
    /// --runs times make `--edit`'s file newer (its content untouched),
    /// rebuild and run the suites (default `--suite net`), printing the
    /// rebuild, run and total times.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["uml_kernel", "backends"])]
    pub tree: Option<PathBuf>,

    /// Measure the default ladder instead: run it (`llconf run`, every
    /// default kernel and variant) and print per target and in total the
    /// boot, the run, the cases executed and a case's cost, as ratios to a
    /// bare qemu boot of --kernel and to the same suites on the host,
    /// both measured --runs times in the same invocation.
    #[arg(long, conflicts_with_all = ["tree", "uml_kernel", "backends"])]
    pub ladder: bool,

    /// With --ladder: read this finished run instead of running the ladder.
    #[arg(long, value_name = "RUN_DIR", requires = "ladder")]
    pub from: Option<PathBuf>,

    /// With --ladder: an earlier run of the ladder to compare with, its
    /// table and the ratios of the totals.
    #[arg(long, value_name = "RUN_DIR", requires = "ladder")]
    pub before: Option<PathBuf>,

    /// What --tree builds: `um` or `x86_64`.
    #[arg(
        long,
        value_enum,
        value_name = "ARCH",
        default_value_t,
        requires = "tree"
    )]
    pub tree_arch: crate::kernel::catalogue::TreeArch,

    /// With --tree: the file whose change is measured, relative to the tree.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "security/landlock/net.c",
        requires = "tree"
    )]
    pub edit: PathBuf,

    /// Runs of each backend, of the host and of the floor.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,

    /// A User-Mode Linux kernel of the catalogue (e.g. uml-6.12) to run as
    /// the `uml` row, beside the backends that boot --kernel.
    #[arg(long, value_name = "NAME")]
    pub uml_kernel: Option<String>,

    /// Only this backend; repeat for several [default: every backend that
    /// can boot the kernel, and uml with --uml-kernel].
    #[arg(long = "backend", value_enum, value_name = "BACKEND")]
    pub backends: Vec<crate::kernel::backend::Backend>,

    /// Force an accelerator instead of probing KVM once per machine.
    #[arg(long, value_enum)]
    pub accel: Option<crate::host::accel::Accel>,

    /// Scratch directory for the runs.
    #[arg(long, value_name = "DIR", default_value = "out/bench")]
    pub out: PathBuf,

    /// The suites to run [default: --suite base].
    #[command(flatten)]
    pub suites: SuiteArgs,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Only this kernel; repeat for several [default: the default set].
    #[arg(long = "kernel", value_name = "NAME")]
    pub kernels: Vec<String>,
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

    /// Use the binaries `llconf build --out DIR` made: every suite in
    /// DIR/suites and the guest programs in DIR/guest. Nothing is compiled;
    /// a selected suite missing from DIR is an error.
    #[arg(long, value_name = "DIR")]
    pub bins: Option<PathBuf>,

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

    /// List, per suite, the cases without a twin (the case one rule, right
    /// or layer apart that must get the opposite verdict); exit 1 if any.
    #[arg(long)]
    pub untwinned: bool,
}

#[derive(Debug, Args)]
pub struct KernelsArgs {
    /// `text` for people, `json` (one object a kernel) for scripts.
    #[arg(long, value_enum, default_value_t = KernelsFormat::Text)]
    pub format: KernelsFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KernelsFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The folder to fill: llconf, suites/<suite>, guest/init, guest/true.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Only this suite; repeat for several [default: every suite].
    #[arg(long = "suite", value_name = "NAME")]
    pub suites: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum CiCommand {
    /// Print the job matrix: one job per kernel marked `ci` (by default the
    /// default set), with its backend, variants and kernel-cache key.
    Matrix(CiMatrixArgs),
}

#[derive(Debug, Args)]
pub struct CiMatrixArgs {
    /// `github`: `{"include": [...]}` for `fromJSON` in `strategy.matrix`;
    /// `gitlab`: a child pipeline, to run with `trigger: include: artifact`.
    #[arg(long, value_enum)]
    pub format: CiFormat,

    /// Key each kernel's cache by the packages it resolves to today too
    /// (the package lists are updated, nothing is downloaded), so that a
    /// new point release gets a new cache entry.
    #[arg(long)]
    pub resolve: bool,

    /// The file of hidden jobs (`.llconf-kernel`, `.llconf-report`) the
    /// GitLab child pipeline starts with [default: ci/gitlab/kernel-jobs.yml
    /// of the workspace].
    #[arg(long, value_name = "PATH")]
    pub templates: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CiFormat {
    Github,
    Gitlab,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run on the running kernel instead of in VMs.
    #[arg(long, conflicts_with_all = ["kernels", "variants", "jobs", "accel", "vm_timeout", "backend", "tree", "shard"])]
    pub host: bool,

    /// Where to write the (merged) JUnit XML report [default: <OUT>/junit.xml].
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    /// Directory for everything from the run: results, logs, JUnit; with
    /// VMs one <kernel>-<variant>/ directory each, a merged junit.xml and
    /// results.jsonl.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,

    /// Run the K-th of N parts of the kernel × variant targets selected
    /// (every N-th in the catalogue's order), for N CI jobs that split one
    /// run; `llconf report` merges their folders.
    #[arg(long, value_name = "K/N", conflicts_with = "tree")]
    pub shard: Option<Shard>,

    /// Only this kernel of the catalogue; repeat for several [default: the
    /// kernels marked `default = true`].
    #[arg(long = "kernel", value_name = "NAME")]
    pub kernels: Vec<String>,

    /// A kernel tree to build and run, no definition file needed: built
    /// out of tree (incrementally, under the cache; the tree is never
    /// written) with kernels/landlock.config (+ uml.config), as User-Mode
    /// Linux unless --tree-arch says otherwise. The target is `tree-<dir>`.
    #[arg(long, value_name = "PATH", conflicts_with = "kernels")]
    pub tree: Option<PathBuf>,

    /// What --tree builds: `um` (booted with uml) or `x86_64` (a bzImage
    /// booted with qemu-initramfs).
    #[arg(
        long,
        value_enum,
        value_name = "ARCH",
        default_value_t,
        requires = "tree"
    )]
    pub tree_arch: crate::kernel::catalogue::TreeArch,

    /// With --tree: rebuild and rerun whenever a file under the tree's
    /// security/ or the suites' sources changes, printing only the tests
    /// that started or stopped failing; Ctrl-C ends it.
    #[arg(long, requires = "tree")]
    pub watch: bool,

    /// Only this boot variant (default, no-landlock, audit-off, ...); repeat
    /// for several [default: the variants each kernel lists].
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,

    /// VMs booted at once [default: what the cores and memory allow].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Force an accelerator instead of probing KVM once per machine.
    #[arg(long, value_enum)]
    pub accel: Option<crate::host::accel::Accel>,

    /// Boot every kernel with this backend instead of the one its
    /// definition names (or, without one, vng when the kernel has its
    /// modules and qemu-initramfs when not).
    #[arg(long, value_enum)]
    pub backend: Option<crate::kernel::backend::Backend>,

    /// Limit for each VM run as a whole, in seconds, after which qemu is
    /// killed [default: 1800 under TCG, 600 under KVM].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub vm_timeout: Option<u64>,

    /// Known failures (a known kernel bug, a missing erratum fix; see
    /// suites/known-issues.toml) fail the run too. Without it they are
    /// reported, and an unexpected pass of one fails the run.
    #[arg(long)]
    pub strict: bool,

    /// With --host: whether the running kernel must have Landlock. Without
    /// it (disabled or missing) the run fails unless this says `off`; a
    /// VM's kernel definition says it with its variants.
    #[arg(long, value_enum, default_value_t = ExpectLandlock::On)]
    pub expect_landlock: ExpectLandlock,

    /// With --host: the Landlock ABI the running kernel must have; another
    /// one fails the run as an ABI regression (a VM's kernel definition
    /// says it with `expected_abi`).
    #[arg(long, value_name = "N")]
    pub expect_abi: Option<u32>,

    /// Limit for a host run (--host) as a whole, in seconds: a suite binary
    /// still running then is killed, the suites after it are reported as
    /// not run, and what finished is kept [default: 1800].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,

    /// What stdout gets.
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,

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

/// `--shard K/N`: the K-th of N parts (1-based), every N-th item in a fixed
/// order, so that N CI jobs take disjoint parts whose union is the whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s}: expected K/N with 1 <= K <= N, such as 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    /// Whether the `i`-th item (0-based) is this shard's.
    pub fn takes(&self, i: usize) -> bool {
        i % self.n == self.k - 1
    }
}
