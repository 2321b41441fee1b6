//! Tests of the runner itself. The binary plays two parts: run by cargo, it
//! starts itself again as a small suite of misbehaving tests, with a results
//! file, and then checks what the runner recorded about each of them.

use libtest_mimic::{Arguments, Failed, Trial};
use llconf_harness::requirement::Requirement;
use llconf_harness::{expect_errno, lacks_erratum, skip, Errno, Test};
use llconf_record::{read_records, Failure, Outcome, Record, TestRecord};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const INNER_ENV: &str = "LLCONF_SELFTEST_INNER";
const DIR_ENV: &str = "LLCONF_SELFTEST_DIR";

fn shared_dir() -> PathBuf {
    PathBuf::from(std::env::var(DIR_ENV).expect("set by the outer run"))
}

fn sleep_while_marked(name: &str, alone: bool) -> llconf_harness::TestResult {
    let running = shared_dir().join("running");
    std::fs::create_dir_all(&running).unwrap();
    let others = || std::fs::read_dir(&running).unwrap().count();
    if alone && others() != 0 {
        return Err(llconf_harness::fail(
            "a serial test started while others ran",
        ));
    }
    let mark = running.join(name);
    std::fs::write(&mark, b"").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let seen = others();
    std::fs::remove_file(&mark).unwrap();
    if alone && seen != 1 {
        return Err(llconf_harness::fail(format!(
            "{seen} tests ran beside a serial test"
        )));
    }
    Ok(())
}

fn inner_tests() -> Vec<Test> {
    let mut tests = vec![
        Test::new("selftest::outcome::passes", || Ok(())),
        Test::new("selftest::outcome::wrong_errno", || {
            expect_errno("open(\"/\")", Ok::<(), Errno>(()), Errno::EACCES)
        }),
        Test::new("selftest::outcome::panics", || panic!("boom at line 1")),
        Test::new("selftest::signal::segfault", || {
            // A real fault: Rust's own SIGSEGV handler swallows a raise(3).
            // SAFETY: deliberately kills this test process.
            unsafe { std::ptr::write_volatile(std::ptr::null_mut::<i32>(), 1) };
            Ok(())
        }),
        Test::new("selftest::signal::abort", || std::process::abort()),
        Test::new("selftest::exit::without_verdict", || std::process::exit(7)),
        Test::new("selftest::exit::forged_pass_then_exit_1", || {
            use std::io::Write;
            // A pass written on the verdict pipe by the body itself.
            // SAFETY: fd 3 is the verdict pipe the runner opened.
            let mut pipe = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(3) };
            let _ = pipe.write_all(b"{\"verdict\":\"passed\",\"restrict_self_calls\":0}");
            std::process::exit(1)
        }),
        Test::new("selftest::timeout::hangs_with_a_grandchild", || {
            // The grandchild must die with the test's process group.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            std::fs::write(shared_dir().join("grandchild.pid"), pid.to_string()).unwrap();
            std::thread::sleep(Duration::from_secs(120));
            Ok(())
        })
        .timeout(Duration::from_millis(1500)),
        Test::new("selftest::escape::setsid_grandchild", || {
            // A grandchild in a session of its own: the group kill misses it.
            // SAFETY: fork in a single-threaded test process.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                // SAFETY: setsid in the new child.
                unsafe { libc::setsid() };
                std::fs::write(
                    shared_dir().join("escapee.pid"),
                    std::process::id().to_string(),
                )
                .unwrap();
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            while !shared_dir().join("escapee.pid").exists() {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(())
        }),
        Test::new("selftest::skip::unmet_requirement", || Ok(())).requires(Requirement::Abi {
            version: 99,
            what: "LANDLOCK_ACCESS_FS_FUTURE",
        }),
        Test::new("selftest::skip::at_run_time", || {
            Err(skip("auditd owns the audit socket (EEXIST)"))
        }),
        Test::new("selftest::output::captured", || {
            println!("hello on stdout");
            eprintln!("hello on stderr");
            Ok(())
        }),
        Test::new("selftest::isolation::no_results_path", || {
            llconf_harness::expect_eq(
                "$LLCONF_RESULTS in the test process",
                std::env::var_os(llconf_harness::runner::RESULTS_ENV).is_none(),
                true,
            )
        }),
        Test::new("selftest::isolation::own_process", || {
            let me = std::env::var(llconf_harness::runner::CHILD_TEST_ENV).unwrap_or_default();
            llconf_harness::expect_eq(
                "test process runs",
                me.as_str(),
                "selftest::isolation::own_process",
            )
        }),
        Test::new("selftest::isolation::own_process_group", || {
            // SAFETY: plain queries.
            let (pid, pgid) = unsafe { (libc::getpid(), libc::getpgid(0)) };
            llconf_harness::expect_eq("the test's process group", pgid, pid)
        }),
        Test::new("selftest::isolation::runner_fds_closed", || {
            // The runner holds the other ends of this process's output and
            // verdict pipes: a test must not hold them too.
            let link = |fd: &str| std::fs::read_link(format!("/proc/self/fd/{fd}")).ok();
            let ours: Vec<_> = ["1", "2", "3"].iter().filter_map(|fd| link(fd)).collect();
            let leaked: Vec<String> = std::fs::read_dir("/proc/self/fd")
                .unwrap()
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter(|fd| *fd > 3)
                .filter_map(|fd| Some((fd, link(&fd.to_string())?)))
                .filter(|(_, l)| ours.contains(l))
                .map(|(fd, l)| format!("{fd} -> {}", l.display()))
                .collect();
            llconf_harness::expect_eq(
                "fds on the runner's pipes",
                leaked.join(", "),
                String::new(),
            )
        }),
        Test::new("selftest::ignored::by_flag", || Ok(())).ignored(),
        Test::new("selftest::known::fails_on_affected", || {
            expect_errno("open(\"/\")", Ok::<(), Errno>(()), Errno::EACCES)
        }),
        Test::new("selftest::known::passes_on_affected", || Ok(())),
        Test::new("selftest::known::skips_on_affected", || {
            Err(skip("not here"))
        }),
        Test::new("selftest::known::lacks_erratum", || {
            Err(lacks_erratum(9, "the old behaviour"))
        }),
        Test::new("selftest::known::lacks_an_erratum_not_in_the_table", || {
            Err(lacks_erratum(8, "the old behaviour"))
        }),
        Test::new("selftest::serial::alone", || {
            sleep_while_marked("alone", true)
        })
        .serial(),
    ];
    for i in 0..4 {
        tests.push(Test::new(
            format!("selftest::serial::parallel_{i}"),
            move || sleep_while_marked(&format!("parallel_{i}"), false),
        ));
    }
    tests
}

struct InnerRun {
    records: HashMap<String, TestRecord>,
    exit_code: Option<i32>,
    wall: Duration,
    dir: PathBuf,
    output: String,
}

/// How the runner makes test processes: re-executing itself from worker
/// threads, or forking them from its one thread (`runner::spawn`).
#[derive(Debug, Clone, Copy)]
enum Mode {
    Exec,
    Fork,
}

impl Mode {
    const ALL: [Mode; 2] = [Mode::Exec, Mode::Fork];

    fn name(self) -> &'static str {
        match self {
            Mode::Exec => "exec",
            Mode::Fork => "fork",
        }
    }

    fn threads(self) -> &'static str {
        match self {
            Mode::Exec => "4",
            Mode::Fork => "1",
        }
    }

    fn run(self) -> &'static OnceLock<InnerRun> {
        static EXEC: OnceLock<InnerRun> = OnceLock::new();
        static FORK: OnceLock<InnerRun> = OnceLock::new();
        match self {
            Mode::Exec => &EXEC,
            Mode::Fork => &FORK,
        }
    }
}

fn inner_run(mode: Mode) -> &'static InnerRun {
    mode.run().get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let results = dir.join("results.jsonl");
        let start = Instant::now();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--test-threads", mode.threads()])
            .env(INNER_ENV, "1")
            .env(DIR_ENV, &dir)
            .env(llconf_harness::runner::RESULTS_ENV, &results)
            .output()
            .unwrap();
        let wall = start.elapsed();
        let (records, bad) = read_records(std::io::BufReader::new(
            std::fs::File::open(&results).unwrap(),
        ))
        .unwrap();
        assert!(bad.is_empty(), "torn records: {bad:?}");
        let records = records
            .into_iter()
            .filter_map(|r| match r {
                Record::TestFinished(t) => Some((t.name.clone(), t)),
                _ => None,
            })
            .collect();
        InnerRun {
            records,
            exit_code: out.status.code(),
            wall,
            dir,
            output: String::from_utf8_lossy(&out.stdout).into_owned(),
        }
    })
}

/// A known-issues table for the `selftest::known::*` tests, on every kernel.
const KNOWN_TABLE: &str = r#"
[[issue]]
id = "known-bug"
summary = "fails on every kernel"
tests = ["selftest::known::fails_*", "selftest::known::skips_on_affected"]
affected = [{ from = "0.0", until = "999.0" }]
fix = "harness: Fix it"
fixed_in = "never"

[[issue]]
id = "stale-entry"
summary = "a bug the kernel no longer has"
tests = ["selftest::known::passes_on_affected"]
affected = [{ from = "0.0", until = "999.0" }]

[[issue]]
id = "erratum-9"
erratum = 9
summary = "a made-up erratum"
fix = "harness: Fix erratum 9"
commit = "0123456789ab"
fixed_in = "9.9"
"#;

struct KnownRun {
    records: HashMap<String, TestRecord>,
    exit_code: Option<i32>,
    stdout: String,
}

/// Runs the `selftest::known::` tests (or those `filter` picks) with
/// [`KNOWN_TABLE`] in force.
fn known_run(extra: &[&str]) -> KnownRun {
    known_run_with(extra, &[])
}

fn known_run_with(extra: &[&str], env: &[(&str, &str)]) -> KnownRun {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("known.toml");
    std::fs::write(&table, KNOWN_TABLE).unwrap();
    let results = dir.path().join("r.jsonl");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(extra)
        .env(INNER_ENV, "1")
        .env(DIR_ENV, dir.path())
        .env(llconf_harness::known::KNOWN_ISSUES_ENV, &table)
        .env(llconf_harness::runner::RESULTS_ENV, &results)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let (records, _) = read_records(std::io::BufReader::new(
        std::fs::File::open(&results).unwrap(),
    ))
    .unwrap();
    KnownRun {
        records: records
            .into_iter()
            .filter_map(|r| match r {
                Record::TestFinished(t) => Some((t.name.clone(), t)),
                _ => None,
            })
            .collect(),
        exit_code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

fn known_checks() -> Vec<Trial> {
    vec![
        Trial::test(
            "runner::known::failure_on_an_affected_kernel_is_xfail",
            || {
                let run = known_run(&["selftest::known::"]);
                let r = &run.records["selftest::known::fails_on_affected"];
                check(
                    r.outcome == Outcome::KnownFailure
                        && r.known.as_ref().map(|k| k.id.as_str()) == Some("known-bug")
                        && r.failure.as_ref().map(ToString::to_string).as_deref()
                            == Some("open(\"/\"): expected EACCES (13), observed success"),
                    format!("{r:?}"),
                )?;
                let r = &run.records["selftest::known::skips_on_affected"];
                check(
                    r.outcome == Outcome::Skipped,
                    format!("a skip stays a skip: {r:?}"),
                )?;
                let r = &run.records["selftest::known::lacks_erratum"];
                check(
                    r.outcome == Outcome::KnownFailure
                        && r.known.as_ref().map(|k| k.describe()).as_deref()
                            == Some(
                                "lacks the fix for erratum 9: a made-up erratum; fixed by \
                             \"harness: Fix erratum 9\" (commit 0123456789ab) in 9.9",
                            ),
                    format!("{r:?}"),
                )?;
                let r = &run.records["selftest::known::lacks_an_erratum_not_in_the_table"];
                check(
                    r.outcome == Outcome::Failed
                        && r.failure.as_ref().is_some_and(|f| {
                            f.to_string()
                                .contains("erratum-8, which suites/known-issues.toml lacks")
                        }),
                    format!("an id the table lacks is a failure: {r:?}"),
                )
            },
        ),
        Trial::test(
            "runner::known::pass_on_an_affected_kernel_is_xpass_and_fails",
            || {
                let run = known_run(&["selftest::known::"]);
                let r = &run.records["selftest::known::passes_on_affected"];
                check(
                    matches!(&r.failure, Some(Failure::UnexpectedPass { known }) if known.id == "stale-entry")
                        && r.outcome == Outcome::Failed,
                    format!("{r:?}"),
                )?;
                check(run.exit_code == Some(101), format!("{:?}", run.exit_code))
            },
        ),
        Trial::test(
            "runner::known::known_failures_alone_do_not_fail_the_suite",
            || {
                let run = known_run(&[
                    "selftest::known::",
                    "--skip",
                    "passes_on_affected",
                    "--skip",
                    "not_in_the_table",
                ]);
                check(
                    run.exit_code == Some(0),
                    format!("{:?}: {}", run.exit_code, run.stdout),
                )?;
                check(
                    run.stdout
                        .contains("ignored (XFAIL known-bug: fails on every kernel;"),
                    run.stdout.clone(),
                )
            },
        ),
        Trial::test("runner::known::under_nextest_a_known_failure_fails", || {
            // nextest starts one process per test and reads its exit status.
            let run = known_run_with(
                &["--exact", "selftest::known::fails_on_affected"],
                &[("NEXTEST_RUN_ID", "selftest")],
            );
            check(run.exit_code == Some(101), format!("{:?}", run.exit_code))
        }),
        Trial::test("runner::known::ktap_says_xfail", || {
            let run = known_run(&["--format", "ktap", "selftest::known::fails_on_affected"]);
            check(
                run.stdout.contains(
                    "ok 1 selftest::known::fails_on_affected # XFAIL known-bug: fails on every \
                     kernel; fixed by \"harness: Fix it\" in never\n",
                ) && run
                    .stdout
                    .contains("# Totals: pass:0 fail:0 xfail:1 xpass:0 skip:0 error:0"),
                run.stdout.clone(),
            )?;
            check(run.exit_code == Some(0), format!("{:?}", run.exit_code))
        }),
    ]
}

fn record(mode: Mode, name: &str) -> Result<&'static TestRecord, Failed> {
    inner_run(mode)
        .records
        .get(name)
        .ok_or_else(|| format!("no record for {name}").into())
}

fn check(cond: bool, msg: impl Into<String>) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(msg.into().into())
    }
}

fn failure(mode: Mode, name: &str) -> Result<Failure, Failed> {
    let r = record(mode, name)?;
    check(
        r.outcome == Outcome::Failed,
        format!("{name} must fail: {r:?}"),
    )?;
    r.failure
        .clone()
        .ok_or_else(|| "failed without a failure".into())
}

fn outer_checks(mode: Mode) -> Vec<Trial> {
    let checks = vec![
        check_trial(
            mode,
            "runner::suite::exit_code_is_101_when_a_test_failed",
            move || {
                check(
                    inner_run(mode).exit_code == Some(101),
                    format!("{:?}", inner_run(mode).exit_code),
                )
            },
        ),
        check_trial(mode, "runner::outcome::pass_is_recorded", move || {
            check(
                record(mode, "selftest::outcome::passes")?.outcome == Outcome::Passed,
                "not passed",
            )
        }),
        check_trial(
            mode,
            "runner::outcome::errno_failure_keeps_expected_and_observed",
            move || {
                let f = failure(mode, "selftest::outcome::wrong_errno")?;
                check(
                    f.to_string() == "open(\"/\"): expected EACCES (13), observed success",
                    f.to_string(),
                )
            },
        ),
        check_trial(
            mode,
            "runner::outcome::panic_is_a_failure_with_its_message",
            move || {
                let f = failure(mode, "selftest::outcome::panics")?;
                check(
                    matches!(&f, Failure::Panic { message } if message == "boom at line 1"),
                    format!("{f:?}"),
                )
            },
        ),
        check_trial(
            mode,
            "runner::signal::segfault_is_reported_as_sigsegv",
            move || {
                let f = failure(mode, "selftest::signal::segfault")?;
                check(
                    f == Failure::Signal {
                        signal: "SIGSEGV".into(),
                        number: 11,
                    },
                    format!("{f:?}"),
                )
            },
        ),
        check_trial(
            mode,
            "runner::signal::abort_is_reported_as_sigabrt",
            move || {
                let f = failure(mode, "selftest::signal::abort")?;
                check(
                    matches!(&f, Failure::Signal { signal, .. } if signal == "SIGABRT"),
                    format!("{f:?}"),
                )
            },
        ),
        check_trial(
            mode,
            "runner::exit::exit_without_verdict_is_a_crash",
            move || {
                let f = failure(mode, "selftest::exit::without_verdict")?;
                check(f == Failure::Crash { exit_code: 7 }, format!("{f:?}"))
            },
        ),
        check_trial(
            mode,
            "runner::exit::a_verdict_then_another_exit_status_fails",
            move || {
                let f = failure(mode, "selftest::exit::forged_pass_then_exit_1")?;
                check(
                    f.to_string()
                        .contains("reported a pass and then exited with code 1"),
                    f.to_string(),
                )
            },
        ),
        check_trial(
            mode,
            "runner::escape::a_process_out_of_the_group_fails_the_test_and_dies",
            move || {
                let f = failure(mode, "selftest::escape::setsid_grandchild")?;
                check(
                    f.to_string().starts_with("1 process outlived the test"),
                    f.to_string(),
                )?;
                let pid = std::fs::read_to_string(inner_run(mode).dir.join("escapee.pid"))
                    .map_err(|e| format!("escapee pid: {e}"))?;
                let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
                check(
                    stat.map_or(true, |s| s.contains(") Z ")),
                    format!("escapee {pid} still runs"),
                )
            },
        ),
        check_trial(
            mode,
            "runner::timeout::hung_test_is_killed_with_its_group",
            move || {
                let f = failure(mode, "selftest::timeout::hangs_with_a_grandchild")?;
                check(
                    matches!(f, Failure::Timeout { seconds } if (seconds - 1.5).abs() < 1e-9),
                    format!("{f:?}"),
                )?;
                let pid: i32 = std::fs::read_to_string(inner_run(mode).dir.join("grandchild.pid"))
                    .map_err(|e| format!("grandchild pid: {e}"))?
                    .parse()
                    .unwrap();
                // The grandchild was reparented to init (or a subreaper) and
                // reaped there; give that a moment.
                let mut alive = true;
                for _ in 0..100 {
                    alive = Path::new(&format!("/proc/{pid}")).exists()
                        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                            .unwrap_or_default()
                            .contains(") Z ");
                    if !alive {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                check(!alive, format!("grandchild {pid} outlived the timeout"))?;
                check(
                    inner_run(mode).wall < Duration::from_secs(60),
                    "the hung test held up the run",
                )
            },
        ),
        check_trial(
            mode,
            "runner::skip::unmet_requirement_names_feature_and_kernel",
            move || {
                let r = record(mode, "selftest::skip::unmet_requirement")?;
                check(r.outcome == Outcome::Skipped, "not skipped")?;
                let reason = r.skip_reason.clone().unwrap_or_default();
                check(
                    reason.starts_with("needs LANDLOCK_ACCESS_FS_FUTURE (ABI 99); kernel has "),
                    reason,
                )
            },
        ),
        check_trial(
            mode,
            "runner::skip::run_time_skip_keeps_its_reason",
            move || {
                let r = record(mode, "selftest::skip::at_run_time")?;
                check(
                    r.outcome == Outcome::Skipped
                        && r.skip_reason.as_deref()
                            == Some("auditd owns the audit socket (EEXIST)"),
                    format!("{r:?}"),
                )
            },
        ),
        check_trial(
            mode,
            "runner::skip::ignored_test_is_recorded_as_skipped",
            move || {
                let r = record(mode, "selftest::ignored::by_flag")?;
                check(r.outcome == Outcome::Skipped, format!("{r:?}"))
            },
        ),
        check_trial(
            mode,
            "runner::output::stdout_and_stderr_are_captured",
            move || {
                let r = record(mode, "selftest::output::captured")?;
                check(
                    r.stdout == "hello on stdout\n" && r.stderr == "hello on stderr\n",
                    format!("{r:?}"),
                )
            },
        ),
        check_trial(mode, "runner::ktap::format_ktap_prints_ktap", move || {
            let dir = tempfile::tempdir().unwrap();
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--format", "ktap", "selftest::outcome::"])
                .args(["--test-threads", mode.threads()])
                .env(INNER_ENV, "1")
                .env(DIR_ENV, dir.path())
                .env(
                    llconf_harness::runner::RESULTS_ENV,
                    dir.path().join("r.jsonl"),
                )
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let lines: Vec<&str> = text.lines().collect();
            check(lines.first() == Some(&"KTAP version 1"), text.to_string())?;
            check(lines.contains(&"1..3"), text.to_string())?;
            check(
                lines.iter().filter(|l| l.starts_with("not ok ")).count() == 2,
                text.to_string(),
            )?;
            check(
                lines
                    .iter()
                    .any(|l| l.starts_with("ok ") && l.ends_with(" selftest::outcome::passes")),
                text.to_string(),
            )?;
            check(
                lines.last() == Some(&"# Totals: pass:1 fail:2 xfail:0 xpass:0 skip:0 error:0"),
                text.to_string(),
            )?;
            check(out.status.code() == Some(101), format!("{:?}", out.status))
        }),
    ];
    // Inner tests whose own body is the check: they must pass.
    let must_pass = [
        (
            "runner::isolation::test_process_cannot_find_the_results_file",
            "selftest::isolation::no_results_path",
        ),
        (
            "runner::isolation::each_test_in_its_own_process",
            "selftest::isolation::own_process",
        ),
        (
            "runner::isolation::each_test_in_its_own_group",
            "selftest::isolation::own_process_group",
        ),
        (
            "runner::isolation::runner_fds_are_closed",
            "selftest::isolation::runner_fds_closed",
        ),
        (
            "runner::serial::serial_test_runs_alone",
            "selftest::serial::alone",
        ),
    ];
    checks
        .into_iter()
        .chain(must_pass.into_iter().map(|(name, inner)| {
            check_trial(mode, name, move || {
                let r = record(mode, inner)?;
                check(r.outcome == Outcome::Passed, format!("{r:?}"))
            })
        }))
        .collect()
}

/// A check of `mode`'s run, named `runner::<mode>::<fixture>::<case>`.
fn check_trial(
    mode: Mode,
    name: &str,
    f: impl FnOnce() -> Result<(), Failed> + Send + 'static,
) -> Trial {
    let name = name.replacen("runner::", &format!("runner::{}::", mode.name()), 1);
    Trial::test(name, f)
}

fn main() {
    if std::env::var_os(INNER_ENV).is_some() {
        llconf_harness::runner::main("selftest", inner_tests());
    }
    let args = Arguments::from_args();
    let mut checks: Vec<Trial> = Mode::ALL.into_iter().flat_map(outer_checks).collect();
    checks.extend(known_checks());
    let conclusion = libtest_mimic::run(&args, checks);
    for mode in Mode::ALL {
        if let Some(run) = mode.run().get() {
            if conclusion.has_failed() {
                eprintln!("inner run output ({}):\n{}", mode.name(), run.output);
            }
            let _ = std::fs::remove_dir_all(&run.dir);
        }
    }
    conclusion.exit();
}
