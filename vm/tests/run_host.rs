//! `llconf run --host` against fake suite binaries.

mod support;

use llconf_reports::quick_junit::TestCaseStatus;
use std::process::Command;
use support::*;

#[test]
fn all_passed_or_skipped_exits_0_with_a_summary_and_junit() {
    let f = Fixture::new();
    let base = f.suite(
        "base",
        &[
            started("base", 3),
            passed("base::ruleset::size::exact"),
            passed("base::ruleset::size::bigger"),
            skipped("base::scope::signal::denied", "needs Landlock ABI 6"),
            finished("base", 2, 0, 1),
        ],
        None,
        End::Exit(0),
    );
    let output = f
        .llconf()
        .args(["run", "--host", &suite_bin("base", &base)])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert_eq!(
        summary_row(&output, "base"),
        ["base", "ok", "2", "0", "0", "1", RELEASE, "enabled", "7", "0x7"]
    );
    assert!(stdout(&output).contains("total: 2 passed, 0 failed, 0 known failures, 1 skipped"));
    let last = stdout(&output)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(
        last.starts_with("PASS [")
            && last.ends_with("s] 3 tests run: 2 passed, 0 failed, 0 known failures, 1 skipped"),
        "the last line says the verdict, the time and the counts: {last}"
    );

    let report = read_junit(&f.out().join("junit.xml"));
    assert_eq!((report.tests, report.failures, report.skipped), (3, 0, 1));
    let suite = &report.test_suites[0];
    assert_eq!(property(suite, "target.id"), Some("host"));
    assert!(property(suite, "host.name").is_some_and(|h| !h.is_empty()));
    let skipped = find_case(suite, "base::scope::signal::denied");
    assert_eq!(
        skipped.classname.as_ref().unwrap().as_str(),
        "landlock.base.scope.signal"
    );
    assert!(matches!(
        &skipped.status,
        TestCaseStatus::Skipped { message: Some(m), .. } if m.as_str() == "needs Landlock ABI 6"
    ));

    // The records and the binary's output stay on disk.
    let results = std::fs::read_to_string(f.out().join("results/base.jsonl")).unwrap();
    assert_eq!(results.lines().count(), 5);
    let log = std::fs::read_to_string(f.out().join("logs/base.log")).unwrap();
    assert!(log.contains("fake base on stdout") && log.contains("fake base on stderr"));
}

#[test]
fn a_failed_test_exits_1_and_reaches_junit_with_expected_and_observed() {
    let f = Fixture::new();
    let base = f.suite(
        "base",
        &[
            started("base", 2),
            passed("base::fs::read::allowed"),
            failed("base::fs::read::denied"),
            finished("base", 1, 1, 0),
        ],
        None,
        End::Exit(101),
    );
    let junit = f.path().join("report.xml");
    let output = f
        .llconf()
        .args(["run", "--host", "--junit"])
        .arg(&junit)
        .arg(suite_bin("base", &base))
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    assert!(
        stdout(&output)
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("FAIL ["),
        "{}",
        stdout(&output)
    );
    assert_eq!(
        summary_row(&output, "base")[..5],
        ["base", "FAILED", "1", "1", "0"]
    );
    assert!(
        stderr(&output).contains(
            "FAILED base::fs::read::denied: open(\"/etc/passwd\"): expected EACCES (13), observed success"
        ),
        "stderr:\n{}",
        stderr(&output)
    );

    let report = read_junit(&junit);
    assert_eq!((report.tests, report.failures), (2, 1));
    let case = find_case(&report.test_suites[0], "base::fs::read::denied");
    let TestCaseStatus::NonSuccess {
        ty, description, ..
    } = &case.status
    else {
        panic!("not failed: {:?}", case.status)
    };
    assert_eq!(ty.as_ref().unwrap().as_str(), "assertion");
    let description = description.as_ref().unwrap().as_str();
    assert!(
        description.contains("expected: EACCES (13)"),
        "{description}"
    );
    assert!(description.contains("observed: success"), "{description}");
    assert_eq!(
        case.system_err.as_ref().unwrap().as_str(),
        "denied read was allowed"
    );
}

#[test]
fn a_crash_mid_suite_keeps_its_records_and_the_other_suites_still_run() {
    let f = Fixture::new();
    let crashy = f.suite(
        "crashy",
        &[
            started("crashy", 4),
            passed("crashy::a::one"),
            passed("crashy::a::two"),
        ],
        Some(r#"{"type":"test_finished","name":"crashy::a::thr"#),
        End::Signal("SEGV"),
    );
    let base = f.suite(
        "base",
        &[
            started("base", 1),
            passed("base::a::x"),
            finished("base", 1, 0, 0),
        ],
        None,
        End::Exit(0),
    );
    let output = f
        .llconf()
        .args(["run", "--host", "--suite", "crashy", "--suite", "base"])
        .args([suite_bin("crashy", &crashy), suite_bin("base", &base)])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    assert_eq!(
        summary_row(&output, "crashy")[..5],
        ["crashy", "CRASHED", "2", "0", "0"]
    );
    assert_eq!(summary_row(&output, "base")[..2], ["base", "ok"]);
    let out = stdout(&output);
    assert!(
        out.contains("crashy (2 of 4 tests reported): killed by signal SIGSEGV (11)"),
        "{out}"
    );
    assert!(
        stderr(&output).contains("unreadable results line"),
        "the torn line is reported:\n{}",
        stderr(&output)
    );

    let report = read_junit(&f.out().join("junit.xml"));
    let crashy = report
        .test_suites
        .iter()
        .find(|s| s.name.as_str() == "crashy")
        .unwrap();
    let names: Vec<String> = crashy.test_cases.iter().map(full_name).collect();
    assert_eq!(
        names,
        ["crashy::a::one", "crashy::a::two", "crashy::(suite-binary)"]
    );
    assert_eq!((crashy.tests, crashy.failures), (3, 1));
    let binary = &crashy.test_cases[2];
    assert_eq!(
        binary.classname.as_ref().unwrap().as_str(),
        "landlock.crashy"
    );
    assert!(
        binary
            .system_out
            .as_ref()
            .unwrap()
            .as_str()
            .contains("fake crashy on stderr"),
        "the crashed binary's output is in the report"
    );
    assert!(report
        .test_suites
        .iter()
        .any(|s| s.name.as_str() == "base" && s.tests == 1 && s.failures == 0));
}

#[test]
fn an_exit_code_outside_the_contract_is_a_crash() {
    let f = Fixture::new();
    let base = f.suite(
        "base",
        &[
            started("base", 1),
            passed("base::a::x"),
            finished("base", 1, 0, 0),
        ],
        None,
        End::Exit(3),
    );
    let output = f
        .llconf()
        .args(["run", "--host", &suite_bin("base", &base)])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1);
    assert!(
        stdout(&output).contains("exited with code 3"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn exiting_0_without_suite_finished_is_a_crash() {
    let f = Fixture::new();
    let base = f.suite(
        "base",
        &[started("base", 2), passed("base::a::x")],
        None,
        End::Exit(0),
    );
    let output = f
        .llconf()
        .args(["run", "--host", &suite_bin("base", &base)])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1);
    assert!(
        stdout(&output).contains("without writing its suite_finished record"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn arguments_after_double_dash_reach_every_suite_binary() {
    let f = Fixture::new();
    let records = |s: &str| {
        vec![
            started(s, 1),
            passed(&format!("{s}::ruleset::size")),
            finished(s, 1, 0, 0),
        ]
    };
    let a = f.suite("a", &records("a"), None, End::Exit(0));
    let b = f.suite("b", &records("b"), None, End::Exit(0));
    let output = f
        .llconf()
        .args(["run", "--host"])
        .args([suite_bin("a", &a), suite_bin("b", &b)])
        .args(["--", "ruleset::size", "--exact", "--test-threads", "1"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    for s in ["a", "b"] {
        assert_eq!(
            f.args_of(s).unwrap(),
            ["ruleset::size", "--exact", "--test-threads", "1"]
        );
    }
}

#[test]
fn a_known_failure_passes_the_run_unless_strict_and_reaches_junit_as_xfail() {
    let f = Fixture::new();
    let audit = f.suite(
        "audit",
        &[
            started("audit", 2),
            passed("audit::flags::a"),
            known_failure("audit::flags::subdomains_off_inherited_across_fork"),
            finished("audit", 1, 0, 0),
        ],
        None,
        End::Exit(0),
    );
    let output = f
        .llconf()
        .args(["run", "--host", &suite_bin("audit", &audit)])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(
        summary_row(&output, "audit"),
        ["audit", "ok", "1", "0", "1", "0", RELEASE, "enabled", "7", "0x7"]
    );
    assert!(
        out.contains(
            "  subdomains-off-fork: the flag is lost on fork; fixed by \"landlock: Fix \
             LOG_SUBDOMAINS_OFF inheritance across fork()\" (commit 874c8f83826c) in 6.18.27\n    \
             audit::flags::subdomains_off_inherited_across_fork\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("total: 1 passed, 0 failed, 1 known failures, 0 skipped"),
        "{out}"
    );
    // A skipped case of type xfail, as pytest writes them, with the issue in
    // properties; the JUnit stays valid against the schema.
    let xml = std::fs::read_to_string(f.out().join("junit.xml")).unwrap();
    assert!(xml.contains("type=\"xfail\""), "{xml}");
    assert!(
        xml.contains("<property name=\"known.id\" value=\"subdomains-off-fork\"/>"),
        "{xml}"
    );
    let report = read_junit(&f.out().join("junit.xml"));
    assert_eq!((report.tests, report.failures, report.skipped), (2, 0, 1));

    let strict = f
        .llconf()
        .args(["run", "--host", "--strict", &suite_bin("audit", &audit)])
        .output()
        .unwrap();
    assert_eq!(code(&strict), 1, "stderr:\n{}", stderr(&strict));
    assert!(stderr(&strict).contains("--strict: 1 known failures fail the run"));
}

#[test]
fn an_unexpected_pass_fails_the_run() {
    let f = Fixture::new();
    let audit = f.suite(
        "audit",
        &[
            started("audit", 1),
            unexpected_pass("audit::flags::subdomains_off_inherited_across_fork"),
            finished("audit", 0, 1, 0),
        ],
        None,
        End::Exit(101),
    );
    let output = f
        .llconf()
        .args(["run", "--host", &suite_bin("audit", &audit)])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    assert!(
        stdout(&output).contains("XPASS: passed, but known issue subdomains-off-fork says"),
        "{}",
        stdout(&output)
    );
    let xml = std::fs::read_to_string(f.out().join("junit.xml")).unwrap();
    assert!(xml.contains("type=\"xpass\""), "{xml}");
}

#[test]
fn a_torn_or_forged_results_line_fails_a_suite_that_otherwise_passed() {
    let f = Fixture::new();
    let base = f.suite(
        "base",
        &[
            started("base", 1),
            passed("base::a::x"),
            finished("base", 1, 0, 0),
        ],
        Some(r#"{"type":"test_finished","name":"base::a::forged","outc"#),
        End::Exit(0),
    );
    let output = f
        .llconf()
        .args(["run", "--host", &suite_bin("base", &base)])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "stdout:\n{}", stdout(&output));
    assert_eq!(summary_row(&output, "base")[..2], ["base", "CRASHED"]);
    assert!(
        stdout(&output)
            .contains("suite binary wrote 1 unreadable results line (torn or not a record)"),
        "{}",
        stdout(&output)
    );
    let report = read_junit(&f.out().join("junit.xml"));
    assert_eq!((report.tests, report.failures), (2, 1));
}

/// A suite binary that writes a first record, then hangs with a child of
/// its own, whose pid it leaves in `<dir>/hang.pid`.
fn hanging_suite(f: &Fixture) -> std::path::PathBuf {
    let path = f.path().join("hang-suite");
    let started = serde_json::to_string(&started("hang", 2)).unwrap();
    let passed = serde_json::to_string(&passed("hang::a::x")).unwrap();
    write_exe(
        &path,
        &format!(
            "#!/bin/sh\n\
             if [ \"$1\" = --list ]; then echo 'hang::a::x: test'; echo 'hang::a::y: test'; exit 0; fi\n\
             printf '%s\\n%s\\n' '{started}' '{passed}' >> \"$LLCONF_RESULTS\"\n\
             sleep 300 &\n\
             echo $! > \"{}\"\n\
             wait\n",
            f.path().join("hang.pid").display()
        ),
    );
    path
}

fn gone(pid_file: &std::path::Path) -> bool {
    let pid = std::fs::read_to_string(pid_file).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    for _ in 0..100 {
        match std::fs::read_to_string(&stat) {
            Err(_) => return true,
            Ok(s) if s.contains(") Z ") => return true,
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    false
}

#[test]
fn a_host_run_past_its_timeout_kills_the_suite_and_keeps_what_finished() {
    let f = Fixture::new();
    let hang = hanging_suite(&f);
    let base = f.ok_suite();
    let started = std::time::Instant::now();
    let output = f
        .llconf()
        .args([
            "run",
            "--host",
            "--timeout",
            "2",
            "--suite",
            "hang",
            "--suite",
            "base",
        ])
        .args([suite_bin("hang", &hang), suite_bin("base", &base)])
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains("did not finish: the run passed its time limit of 2 s (--timeout); the suite binary was killed"),
        "{out}"
    );
    assert!(out.contains("before the suite started"), "{out}");
    assert!(
        gone(&f.path().join("hang.pid")),
        "the suite's own child outlived the run"
    );
    let xml = std::fs::read_to_string(f.out().join("junit.xml")).unwrap();
    assert!(
        xml.contains("<testcase name=\"x\" classname=\"landlock.hang.a\""),
        "what finished is kept: {xml}"
    );
    let report = read_junit(&f.out().join("junit.xml"));
    assert_eq!(report.failures, 2, "both suites are failed cases");
}

#[test]
fn sigterm_stops_a_host_run_with_its_summary_junit_and_exit_130() {
    let f = Fixture::new();
    let hang = hanging_suite(&f);
    let child = f
        .llconf()
        .args(["run", "--host", &suite_bin("hang", &hang)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = f.path().join("hang.pid");
    for _ in 0..500 {
        if std::fs::read_to_string(&pid_file).is_ok_and(|p| !p.trim().is_empty()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "stderr:\n{}", stderr(&output));
    assert!(
        stdout(&output).contains("did not finish: the run was interrupted"),
        "{}",
        stdout(&output)
    );
    assert!(stderr(&output).contains("llconf: interrupted"));
    assert!(gone(&pid_file), "the suite's own child outlived the run");
    let report = read_junit(&f.out().join("junit.xml"));
    assert_eq!((report.tests, report.failures), (2, 1));
}

#[test]
fn a_reused_out_folder_holds_only_the_last_run_and_a_foreign_one_is_refused() {
    let f = Fixture::new();
    let base = f.ok_suite();
    let socket = f.suite(
        "socket",
        &[
            started("socket", 1),
            passed("socket::a::x"),
            finished("socket", 1, 0, 0),
        ],
        None,
        End::Exit(0),
    );
    for (name, bin) in [("base", &base), ("socket", &socket)] {
        let output = f
            .llconf()
            .args(["run", "--host", "--suite", name, &suite_bin(name, bin)])
            .output()
            .unwrap();
        assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    }
    assert!(
        !f.out().join("results/base.jsonl").exists(),
        "stale results"
    );
    let report = read_junit(&f.out().join("junit.xml"));
    assert_eq!(report.tests, 1);
    assert_eq!(report.test_suites[0].name.as_str(), "socket");

    let mine = f.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep me").unwrap();
    let output = f
        .llconf()
        .args([
            "run",
            "--host",
            "--out",
            mine.to_str().unwrap(),
            &suite_bin("base", &base),
        ])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "stderr:\n{}", stderr(&output));
    assert!(
        stderr(&output).contains("not an llconf run folder"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn a_second_host_run_waits_for_the_first_and_says_so() {
    let f = Fixture::new();
    let cache = f.path().join("cache");
    let hang = hanging_suite(&f);
    let first = f
        .llconf()
        .env("LLCONF_CACHE", &cache)
        .args(["run", "--host", "--out", "first", &suite_bin("hang", &hang)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = f.path().join("hang.pid");
    for _ in 0..500 {
        if std::fs::read_to_string(&pid_file).is_ok_and(|p| !p.trim().is_empty()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = f
        .llconf()
        .env("LLCONF_CACHE", &cache)
        .args([
            "run",
            "--host",
            "--out",
            "second",
            &suite_bin("base", &f.ok_suite()),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(first.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let mut first = first;
    assert_eq!(first.wait().unwrap().code(), Some(130));
    let output = second.wait_with_output().unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert!(
        stderr(&output).contains("waiting for another llconf run --host on this machine to end"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_full_disk_is_refused_before_the_run_with_the_folder_named() {
    let f = Fixture::new();
    let small = f.path().join("small");
    std::fs::create_dir_all(&small).unwrap();
    // A 1 MiB tmpfs stands for a full disk; it needs root.
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&small)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let output = f
        .llconf()
        .args(["run", "--host", "--out"])
        .arg(small.join("out"))
        .arg(suite_bin("base", &f.ok_suite()))
        .output()
        .unwrap();
    let _ = Command::new("umount").arg(&small).status();
    assert_eq!(code(&output), 2, "stderr:\n{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "the disk of {} is full",
            small.join("out").display()
        )),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_filter_that_matches_no_test_is_refused() {
    let f = Fixture::new();
    // Lists no test, as a real suite does for a filter that matches none.
    let none = f.suite("base", &[], None, End::Exit(0));
    let output = f
        .llconf()
        .args([
            "run",
            "--host",
            &suite_bin("base", &none),
            "--",
            "zzz_nothing",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "stdout:\n{}", stdout(&output));
    assert!(
        stderr(&output).contains("no test matches `zzz_nothing`"),
        "{}",
        stderr(&output)
    );
    assert!(f
        .args_of("base")
        .is_some_and(|a| a.contains(&"--list".to_string())));
}

#[test]
fn a_host_without_landlock_or_with_another_abi_fails_unless_expected() {
    let f = Fixture::new();
    let off = llconf_reports::record::Record::SuiteStarted(llconf_reports::record::SuiteStarted {
        suite: "base".into(),
        kernel: llconf_reports::record::KernelInfo {
            release: RELEASE.into(),
            landlock: llconf_reports::record::LandlockStatus::Disabled,
            abi: None,
            errata: None,
        },
        tests_planned: 1,
        filtered: false,
        started_at: 1.0,
    });
    let base = f.suite(
        "base",
        &[
            off,
            skipped(
                "base::a::x",
                "needs Landlock; kernel has Landlock disabled (EOPNOTSUPP)",
            ),
            finished("base", 0, 0, 1),
        ],
        None,
        End::Exit(0),
    );
    let run = |extra: &[&str]| {
        f.llconf()
            .args(["run", "--host"])
            .args(extra)
            .arg(suite_bin("base", &base))
            .output()
            .unwrap()
    };
    let output = run(&[]);
    assert_eq!(code(&output), 1, "stdout:\n{}", stdout(&output));
    assert!(
        stderr(&output).contains("!!! LANDLOCK IS DISABLED (EOPNOTSUPP) ON KERNEL 6.12.0-fake"),
        "{}",
        stderr(&output)
    );
    assert_eq!(code(&run(&["--expect-landlock", "off"])), 0);

    let output = f
        .llconf()
        .args(["run", "--host", "--expect-abi", "9"])
        .arg(suite_bin("base", &f.ok_suite()))
        .output()
        .unwrap();
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains(
            "ABI regression: kernel 6.12.0-fake answers Landlock ABI 7, but --expect-abi 9"
        ),
        "{}",
        stderr(&output)
    );
}
