//! Per-test overhead of the process-per-test runner, as a ratio against a
//! bare fork+exec of /bin/true measured in the same process.
//!
//! `cargo bench -p llconf-harness --bench per_test_overhead [-- N]`
//! The binary runs itself as a suite of N empty tests; the runner's fixed
//! start-up cost (kernel probes) is measured with zero tests and subtracted.

use llconf_harness::Test;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const INNER_ENV: &str = "LLCONF_BENCH_INNER";

fn run_suite(n: usize, threads: usize) -> Duration {
    run_suite_with(n, threads, false)
}

/// `exec`: re-execute the binary for each test even on one thread.
fn run_suite_with(n: usize, threads: usize, exec: bool) -> Duration {
    let start = Instant::now();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    if exec {
        cmd.env(llconf_harness::runner::EXEC_ENV, "1");
    }
    let status = cmd
        .args(["--test-threads", &threads.to_string(), "-q"])
        .env(INNER_ENV, n.to_string())
        .env(llconf_harness::runner::RESULTS_ENV, "/dev/null")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    start.elapsed()
}

fn bare(n: usize) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        assert!(Command::new("/bin/true").status().unwrap().success());
    }
    start.elapsed()
}

fn main() {
    if let Ok(n) = std::env::var(INNER_ENV) {
        let n: usize = n.parse().unwrap();
        let tests = (0..n)
            .map(|i| Test::new(format!("bench::empty::case_{i:04}"), || Ok(())))
            .collect();
        llconf_harness::runner::main("bench", tests);
    }
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    // Warm the page cache and the binary.
    run_suite(10, 1);
    bare(10);

    let fixed = (0..3).map(|_| run_suite(0, 1)).min().unwrap();
    let runner = (0..3)
        .map(|_| run_suite(n, 1))
        .min()
        .unwrap()
        .saturating_sub(fixed);
    let baseline = (0..3).map(|_| bare(n)).min().unwrap();
    let per_runner = runner.as_secs_f64() * 1e3 / n as f64;
    let per_bare = baseline.as_secs_f64() * 1e3 / n as f64;
    println!("per-test overhead, {n} empty tests, one thread (test processes forked), best of 3:");
    println!(
        "  runner start-up (0 tests):     {:8.2} ms",
        fixed.as_secs_f64() * 1e3
    );
    println!("  runner, per test:              {per_runner:8.3} ms");
    println!("  fork+exec /bin/true, per run:  {per_bare:8.3} ms");
    println!(
        "  ratio runner / bare:           {:8.2}x",
        per_runner / per_bare
    );
    let exec = (0..3)
        .map(|_| run_suite_with(n, 1, true))
        .min()
        .unwrap()
        .saturating_sub(fixed)
        .as_secs_f64()
        * 1e3
        / n as f64;
    println!(
        "  runner, per test, exec'd:      {exec:8.3} ms ({:.2}x of bare, {:.2}x of forked)",
        exec / per_bare,
        exec / per_runner
    );
    let par = run_suite(n, 2).saturating_sub(fixed).as_secs_f64() * 1e3 / n as f64;
    println!(
        "  runner, per test, 2 threads:   {par:8.3} ms ({:.2}x of bare)",
        par / per_bare
    );
}
