//! The suite binary's main: a libtest-compatible CLI (libtest-mimic) whose
//! every test runs in a fresh process of this same binary.
//!
//! libtest-mimic runs trials on reused worker threads and has no timeout, so
//! each trial here only spawns and supervises a child process; the isolation,
//! the timeout and the process-group kill live in [`spawn`].

mod child;
mod escapees;
mod ktap;
mod results_file;
mod spawn;
mod tests_from;
mod verdict;

pub use results_file::RESULTS_ENV;
pub use verdict::CHILD_TEST_ENV;

use crate::fixture::tree::SCRATCH_ENV;
use crate::known;
use crate::probe::{self, Kernel};
use crate::ruleset::{BASE_DEPTH_ENV, START_DEPTH_ENV};
use crate::test::Test;
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use llconf_record::{
    Counts, Failure, LandlockStatus, Outcome, Record, SuiteFinished, SuiteStarted, TestRecord,
};
use results_file::ResultsFile;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};
use verdict::VerdictKind;

/// Serial tests take it for writing, so they run with no other test alive.
static SERIAL: RwLock<()> = RwLock::new(());

/// Set (to anything): exec a fresh binary for every test even on one
/// thread, as with several; to compare the two, or to rule the fork out.
pub const EXEC_ENV: &str = "LLCONF_EXEC_EACH_TEST";

/// How many threads run the trials, as libtest-mimic and `ktap` count them.
pub(crate) fn test_threads(args: &Arguments) -> usize {
    args.test_threads
        .or_else(|| std::thread::available_parallelism().ok().map(Into::into))
        .unwrap_or(1)
        .max(1)
}

/// Whether this process runs one thread: a fork is only safe then (and a
/// test of a single-threaded process needs it).
pub fn only_thread() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .map(|n| n.trim() == "1")
        })
        .unwrap_or(false)
}

/// Multiplies every timeout, for slow machines such as TCG guests.
pub const TIMEOUT_SCALE_ENV: &str = "LLCONF_TIMEOUT_SCALE";

/// Runs the suite and exits. Call it from the suite's `main`.
pub fn main(suite: &str, tests: Vec<Test>) -> ! {
    check_unique_names(&tests);
    if let Ok(name) = std::env::var(CHILD_TEST_ENV) {
        child::run(&name, &tests);
    }
    let (argv, ktap) = ktap::take_format_flag(std::env::args().collect());
    let (argv, fake) = crate::fake::take_flag(argv);
    let (argv, off) = crate::fake::take(argv, crate::fake::OFF_FLAG);
    let (argv, list_twins) = crate::twin::take_flag(argv);
    let argv = match crate::fixture::race::take_seconds_flag(argv) {
        Ok((argv, Some(s))) => {
            // Before any test process exists: they inherit it, exec'd or
            // forked.
            std::env::set_var(crate::fixture::race::SECONDS_ENV, s.to_string());
            argv
        }
        Ok((argv, None)) => argv,
        Err(e) => {
            eprintln!("llconf: {e}");
            std::process::exit(2)
        }
    };
    if list_twins {
        print!("{}", crate::twin::listing(&tests));
        std::process::exit(0)
    }
    if fake {
        // Before the probes, as under `llconf-fake-restrict-self`: the test
        // processes, forked and executed from here, inherit the filter.
        if let Err(e) = crate::fake::install() {
            eprintln!(
                "llconf: {}: cannot install the seccomp filter: {e}",
                crate::fake::FLAG
            );
            std::process::exit(2)
        }
        eprintln!(
            "llconf: {suite}: landlock_restrict_self is faked ({}): every enforcement test must fail",
            crate::fake::FLAG
        );
    }
    if off {
        // Before the probes too: they must find Landlock disabled.
        if let Err(e) = crate::fake::install_off() {
            eprintln!(
                "llconf: {}: cannot install the seccomp filter: {e}",
                crate::fake::OFF_FLAG
            );
            std::process::exit(2)
        }
        eprintln!(
            "llconf: {suite}: every Landlock syscall returns EOPNOTSUPP ({}): every test must \
             pass or skip",
            crate::fake::OFF_FLAG
        );
    }
    let (argv, only) = tests_from::take(argv);
    let tests = match only.as_deref().map(tests_from::read) {
        None => tests,
        Some(Ok(names)) => tests
            .into_iter()
            .filter(|t| names.contains(&t.name))
            .collect(),
        Some(Err(e)) => {
            eprintln!("llconf: {e}");
            std::process::exit(2)
        }
    };
    let args = Arguments::from_iter(argv);
    let narrowed = only.is_some() || args.filter.is_some() || !args.skip.is_empty();
    std::process::exit(run(suite, tests, &args, ktap, narrowed))
}

fn check_unique_names(tests: &[Test]) {
    let mut names: Vec<&str> = tests.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("two tests are named {}", w[0]);
    }
}

struct Shared {
    kernel: Kernel,
    results: Option<ResultsFile>,
    capture: bool,
    timeout_scale: f64,
    child_env: Vec<(String, String)>,
    known_failures: AtomicUsize,
    /// One test at a time on the main thread: test processes are forked,
    /// not exec'd (see `spawn`).
    fork: bool,
}

fn run(suite: &str, tests: Vec<Test>, args: &Arguments, ktap: bool, narrowed: bool) -> i32 {
    if args.list {
        // A test whose needs this kernel does not meet is listed as ignored,
        // so that runners that start one process per test (nextest) report
        // it as skipped rather than running it into a pass.
        let kernel = probe::kernel();
        let trials = tests
            .iter()
            .map(|t| {
                let unmet = t.requires.iter().any(|r| r.unmet(kernel).is_some());
                Trial::test(t.name.clone(), || Ok(())).with_ignored_flag(t.ignored || unmet)
            })
            .collect();
        let _ = libtest_mimic::run(args, trials);
        return 0;
    }
    escapees::become_subreaper();
    let kernel = probe::kernel().clone();
    announce_kernel(suite, &kernel);
    let declared = match std::env::var(START_DEPTH_ENV) {
        Ok(v) => match crate::ruleset::parse_start_depth(&v) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("llconf: {e}");
                std::process::exit(2)
            }
        },
        Err(_) => None,
    };
    let base_depth = match (probe::domain_depth(), declared) {
        // A declared start is the expectation: a kernel whose layer limit
        // is not 16 then fails every enforcement test's depth check,
        // instead of being read as a deeper start.
        (Some(measured), Some(d)) => {
            if measured != d {
                eprintln!(
                    "llconf: WARNING: the suites start under {d} Landlock layers \
                     ({START_DEPTH_ENV}), but {measured} were measured by stacking layers to the \
                     limit of 16: the kernel's limit is wrong, or the run is sandboxed; \
                     enforcement tests will fail"
                );
            }
            d.to_string()
        }
        (Some(measured), None) => measured.to_string(),
        (None, _) if kernel.status == LandlockStatus::Enabled => {
            eprintln!(
                "llconf: WARNING: landlock_restrict_self returns success without enforcing \
                 (more than 16 layers could be stacked); every enforcement test will fail"
            );
            "unmeasurable".into()
        }
        (None, _) => "0".into(),
    };
    // Under nextest each process runs one test: its records join those of
    // the same nextest run in one file.
    let nextest = results_file::nextest_run().is_some();
    let (results, continued) =
        match ResultsFile::default_path(suite).map(|p| (ResultsFile::open(&p, !nextest), p)) {
            Some((Ok((r, had)), _)) => (Some(r), had && nextest),
            Some((Err(e), p)) => {
                eprintln!("llconf: cannot create results file {}: {e}", p.display());
                (None, false)
            }
            None => (None, false),
        };
    let timeout_scale = std::env::var(TIMEOUT_SCALE_ENV)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(1.0);
    let shared = Arc::new(Shared {
        kernel,
        results,
        capture: !args.nocapture,
        timeout_scale,
        child_env: vec![(BASE_DEPTH_ENV.into(), base_depth)],
        known_failures: AtomicUsize::new(0),
        fork: test_threads(args) == 1 && only_thread() && std::env::var_os(EXEC_ENV).is_none(),
    });

    let start = Instant::now();
    let mut planned = 0;
    let mut trials = Vec::with_capacity(tests.len());
    let mut not_run = Vec::new();
    let all_tests = tests.clone();
    for test in tests {
        let name = test.name.clone();
        let ignored = test.ignored;
        let s = shared.clone();
        let trial = Trial::ignorable_test(name.clone(), move || run_one(&s, &test))
            .with_ignored_flag(ignored);
        if !args.is_filtered_out(&trial) {
            if args.is_ignored(&trial) {
                not_run.push(name);
            } else {
                planned += 1;
            }
        }
        trials.push(trial);
    }
    if let Some(r) = shared.results.as_ref().filter(|_| !continued) {
        r.write(&Record::SuiteStarted(SuiteStarted {
            suite: suite.into(),
            kernel: shared.kernel.info(),
            tests_planned: planned,
            filtered: narrowed,
            started_at: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
        }));
        for name in not_run {
            r.write(&Record::TestFinished(TestRecord::skipped(
                name,
                "ignored; run with --ignored",
            )));
        }
    }
    let counts = if ktap {
        ktap::run(suite, args, trials, all_tests, &|t| record_one(&shared, t))
    } else {
        let c = libtest_mimic::run(args, trials);
        // libtest counts a known failure as ignored (see `run_one`).
        let known_failures = shared.known_failures.load(Ordering::Relaxed);
        Counts {
            passed: c.num_passed as usize,
            failed: c.num_failed as usize,
            skipped: (c.num_ignored as usize).saturating_sub(known_failures),
            known_failures,
        }
    };
    let left = escapees::reap_all();
    if !left.is_empty() {
        eprintln!(
            "llconf: {} processes outlived their tests and were killed: {}",
            left.len(),
            left.join(", ")
        );
    }
    if counts.known_failures > 0 {
        eprintln!(
            "llconf: {} known failures (XFAIL: a known kernel bug or a missing erratum fix, \
             named above); {}",
            counts.known_failures,
            if nextest {
                "under nextest, which has no XFAIL, they fail"
            } else {
                "they do not fail the suite"
            }
        );
    }
    // A nextest run's end is nextest's, not this process's.
    if let Some(r) = shared.results.as_ref().filter(|_| !nextest) {
        r.write(&Record::SuiteFinished(SuiteFinished {
            suite: suite.into(),
            passed: counts.passed,
            failed: counts.failed,
            skipped: counts.skipped,
            known_failures: counts.known_failures,
            duration_ms: ms(start.elapsed()),
        }));
        eprintln!("llconf: results written to {}", r.path().display());
    }
    // nextest runs one test per process and has no XFAIL: a known failure
    // there would read as a pass, so it fails, with the bug named above.
    if counts.failed > 0 || (nextest && counts.known_failures > 0) {
        101
    } else {
        0
    }
}

fn announce_kernel(suite: &str, k: &Kernel) {
    match k.status {
        LandlockStatus::Enabled => eprintln!(
            "llconf: suite {suite} on kernel {}: Landlock ABI {}, errata {}",
            k.release,
            k.abi,
            k.errata
                .map(|e| format!("{e:#x}"))
                .unwrap_or_else(|| "n/a".into())
        ),
        status => eprintln!(
            "\nllconf: !!! LANDLOCK IS {} ON KERNEL {} !!!\n\
             llconf: !!! every enforcement test is skipped as not enforced; none can pass !!!\n",
            status.to_string().to_uppercase(),
            k.release
        ),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs one test and writes its record.
fn record_one(shared: &Shared, test: &Test) -> TestRecord {
    let record = supervise(shared, test);
    if record.outcome == Outcome::KnownFailure {
        shared.known_failures.fetch_add(1, Ordering::Relaxed);
    }
    if let Some(r) = &shared.results {
        r.write(&Record::TestFinished(record.clone()));
    }
    record
}

fn run_one(shared: &Shared, test: &Test) -> Result<Completion, Failed> {
    let record = record_one(shared, test);
    match record.outcome {
        Outcome::Passed => Ok(Completion::Completed),
        Outcome::Skipped => Ok(Completion::ignored_with(
            record.skip_reason.unwrap_or_default(),
        )),
        // libtest has no XFAIL: shown as ignored with the bug named, so it
        // reads as neither a pass nor a failure there either.
        Outcome::KnownFailure => Ok(Completion::ignored_with(format!(
            "XFAIL {}",
            record.known.map(|k| k.describe()).unwrap_or_default()
        ))),
        Outcome::Failed => {
            let mut msg = record.failure.map(|f| f.to_string()).unwrap_or_default();
            for (label, text) in [("stdout", &record.stdout), ("stderr", &record.stderr)] {
                if !text.is_empty() {
                    msg.push_str(&format!(
                        "\n---- {} {label} ----\n{}",
                        record.name,
                        text.trim_end()
                    ));
                }
            }
            Err(msg.into())
        }
    }
}

fn supervise(shared: &Shared, test: &Test) -> TestRecord {
    for req in &test.requires {
        if let Some(reason) = req.unmet(&shared.kernel) {
            return TestRecord::skipped(&test.name, reason).with_enforcement(test.enforcement);
        }
    }
    let _guard = if test.serial {
        Guard::Write(SERIAL.write().unwrap_or_else(|p| p.into_inner()))
    } else {
        Guard::Read(SERIAL.read().unwrap_or_else(|p| p.into_inner()))
    };
    let timeout = test.timeout.mul_f64(shared.timeout_scale);
    // Removed when this function returns, from outside any sandbox.
    let scratch = tempfile::Builder::new().prefix("llconf-").tempdir();
    let mut env = shared.child_env.clone();
    if let Ok(dir) = &scratch {
        env.push((
            SCRATCH_ENV.into(),
            dir.path().to_string_lossy().into_owned(),
        ));
    }
    let body = || child::run_test(test);
    let mut run = match spawn::run(spawn::Spawn {
        test_name: &test.name,
        forked_body: shared.fork.then_some(&body as &dyn Fn()),
        timeout,
        capture: shared.capture,
        env,
    }) {
        Ok(run) => run,
        Err(e) => {
            return TestRecord::failed(&test.name, 0.0, Failure::Crash { exit_code: -1 })
                .with_enforcement(test.enforcement)
                .with_output("", format!("llconf: cannot start the test process: {e}"));
        }
    };
    let duration_ms = ms(run.duration);
    let mut calls = 0;
    if run.stuck {
        // Said first in its output, which the record keeps.
        run.stderr = format!(
            "llconf: the test process did not go within {} s of SIGKILL: it is stuck \
             in the kernel (uninterruptible sleep), and was left behind\n{}",
            escapees::KILL_GRACE.as_secs(),
            run.stderr
        );
    }
    let record = if run.timed_out {
        TestRecord::failed(
            &test.name,
            duration_ms,
            Failure::Timeout {
                seconds: timeout.as_secs_f64(),
            },
        )
    } else if let Some(sig) = spawn::exit_signal(&run.status) {
        TestRecord::failed(
            &test.name,
            duration_ms,
            Failure::Signal {
                signal: spawn::signal_name(sig),
                number: sig,
            },
        )
    } else {
        match run.verdict {
            // The verdict is written just before exit(0): any other status
            // means something ran after it (or forged it), so it is not
            // trusted.
            Some(v) if run.status.code() != Some(0) => TestRecord::failed(
                &test.name,
                duration_ms,
                Failure::Assertion {
                    message: format!(
                        "the test process reported {} and then exited with code {}; \
                         a verdict followed by another exit status is not trusted",
                        match v.kind {
                            VerdictKind::Passed => "a pass".to_string(),
                            VerdictKind::Failed { failure } => format!("a failure ({failure})"),
                            VerdictKind::Skipped { reason } => format!("a skip ({reason})"),
                            VerdictKind::Known { id, .. } => format!("known issue {id}"),
                        },
                        run.status.code().unwrap_or(-1)
                    ),
                    expected: None,
                    observed: None,
                },
            ),
            Some(v) => {
                calls = v.restrict_self_calls;
                match v.kind {
                    VerdictKind::Passed => TestRecord::passed(&test.name, duration_ms),
                    VerdictKind::Failed { failure } => {
                        TestRecord::failed(&test.name, duration_ms, failure)
                    }
                    VerdictKind::Skipped { reason } => {
                        TestRecord::skipped(&test.name, reason).with_duration_ms(duration_ms)
                    }
                    VerdictKind::Known { id, failure } => {
                        known_by_id(&test.name, duration_ms, &id, failure)
                    }
                }
            }
            None => TestRecord::failed(
                &test.name,
                duration_ms,
                Failure::Crash {
                    exit_code: run.status.code().unwrap_or(-1),
                },
            ),
        }
    };
    let escaped = escapees::reap_for(&test.name, shared.fork);
    let record = if escaped.is_empty() {
        record
    } else {
        let before = record
            .failure
            .as_ref()
            .map(|f| format!("; the test had also failed: {f}"))
            .unwrap_or_default();
        TestRecord::failed(
            &test.name,
            duration_ms,
            Failure::Assertion {
                message: format!(
                    "{} process{} outlived the test, out of its process group \
                     (setsid or setpgid), and {} killed: {}{before}",
                    escaped.len(),
                    if escaped.len() == 1 { "" } else { "es" },
                    if escaped.len() == 1 { "was" } else { "were" },
                    escaped.join(", ")
                ),
                expected: None,
                observed: None,
            },
        )
    };
    known_by_version(record, shared.kernel.version)
        .with_enforcement(test.enforcement)
        .with_restrict_self_calls(calls)
        .with_output(run.stdout, run.stderr)
}

/// A test said it failed as known issue `id` does: the table says what the
/// issue is. An id the table lacks is a failure, so a typo cannot hide one.
fn known_by_id(name: &str, duration_ms: f64, id: &str, failure: Failure) -> TestRecord {
    match known::table().map(|t| t.by_id(id)) {
        Ok(Some(entry)) => TestRecord::known_failure(name, duration_ms, failure, entry.issue()),
        Ok(None) => TestRecord::failed(
            name,
            duration_ms,
            Failure::Assertion {
                message: format!(
                    "{failure}; the test calls this known issue {id}, which \
                     suites/known-issues.toml lacks"
                ),
                expected: None,
                observed: None,
            },
        ),
        Err(e) => TestRecord::failed(
            name,
            duration_ms,
            Failure::Assertion {
                message: format!("{failure}; the known-issues table cannot be read: {e}"),
                expected: None,
                observed: None,
            },
        ),
    }
}

/// Where the table says this test fails on this kernel version, a failure
/// is a known failure (XFAIL) and a pass an unexpected pass (XPASS), which
/// fails: the table is stale or the kernel has the fix. Skips stay skips.
fn known_by_version(record: TestRecord, version: Option<known::Version>) -> TestRecord {
    let Some(v) = version else { return record };
    let entry = match known::table() {
        Ok(t) => t.for_test(&record.name, v),
        Err(e) => {
            return match record.outcome {
                Outcome::Passed => TestRecord::failed(
                    &record.name,
                    record.duration_ms,
                    Failure::Assertion {
                        message: format!("the known-issues table cannot be read: {e}"),
                        expected: None,
                        observed: None,
                    },
                ),
                _ => record,
            }
        }
    };
    let Some(entry) = entry else { return record };
    match record.outcome {
        Outcome::Failed => {
            let failure = record
                .failure
                .clone()
                .unwrap_or(Failure::Crash { exit_code: -1 });
            TestRecord::known_failure(&record.name, record.duration_ms, failure, entry.issue())
        }
        Outcome::Passed => TestRecord::failed(
            &record.name,
            record.duration_ms,
            Failure::UnexpectedPass {
                known: Box::new(entry.issue()),
            },
        ),
        Outcome::Skipped | Outcome::KnownFailure => record,
    }
}

enum Guard<'a> {
    Read(#[allow(dead_code)] std::sync::RwLockReadGuard<'a, ()>),
    Write(#[allow(dead_code)] std::sync::RwLockWriteGuard<'a, ()>),
}
