//! `llconf report`, `llconf diff` and `llconf run --format ktap` from the
//! outside, on the results real runs recorded (reports/tests/fixtures), and
//! the HTML in a real headless Chromium.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../reports/tests/fixtures")
        .canonicalize()
        .unwrap()
        .join(name)
}

fn vm_run() -> String {
    fixture("vm-run").display().to_string()
}

#[test]
fn report_writes_html_and_markdown_next_to_the_run_or_where_asked() {
    let f = Fixture::new();
    let (html, md) = (f.path().join("r/report.html"), f.path().join("r/report.md"));
    let output = f
        .llconf()
        .args(["report", &vm_run(), "--html"])
        .arg(&html)
        .arg("--md")
        .arg(&md)
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert!(stdout(&output).starts_with(
        "2 targets × 291 tests: 387 passed, 0 failed, 0 errors, 0 known failures, 195 skipped\n"
    ));
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<tr class=\"t\"").count(), 291);
    let summary = std::fs::read_to_string(&md).unwrap();
    assert!(summary.contains("| unix | ✅ 26 ⏭️ 106 | ✅ 123 ⏭️ 9 |"));

    // A run named by its results.jsonl: the reports go next to it.
    let copy = f.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(fixture("vm-run/results.jsonl"), copy.join("results.jsonl")).unwrap();
    let output = f
        .llconf()
        .arg("report")
        .arg(copy.join("results.jsonl"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert!(copy.join("report.html").is_file() && copy.join("report.md").is_file());
}

#[test]
fn report_of_nothing_is_a_usage_error() {
    let f = Fixture::new();
    let output = f.llconf().args(["report", "."]).output().unwrap();
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("no results found"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn diff_between_two_columns_of_one_run() {
    let f = Fixture::new();
    let old = format!("{}#debian-6.12", vm_run());
    let new = format!("{}#debian-7.3-default", vm_run());
    let output = f.llconf().args(["diff", &old, &new]).output().unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("  abi       6 -> 11\n"), "{text}");
    assert!(text.contains("REGRESSIONS (passed -> failed): 0\n"));
    assert!(text.contains(
        "  was skipped: needs LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9); 102 tests, 102 now pass\n"
    ));
    assert!(text.contains(
        "  was skipped: needs LANDLOCK_ACCESS_NET_BIND_UDP (ABI 10); 69 tests, 69 now pass\n"
    ));

    let output = f
        .llconf()
        .args(["diff", &old, &new, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["regressions"], serde_json::json!([]));
    assert_eq!(json["now_executed"].as_array().unwrap().len(), 174);
    assert!(json["old"]["label"]
        .as_str()
        .unwrap()
        .ends_with("vm-run#debian-6.12-default"));

    let output = f
        .llconf()
        .args(["diff", &old, &new, "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0);
    let md = stdout(&output);
    assert!(md.starts_with("## ✅ llconf diff: "), "{md}");
    assert!(md.contains("| ABI | 6 | 11 |\n"), "{md}");
    assert!(
        md.contains("- needs LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9): 102 tests\n"),
        "{md}"
    );
}

#[test]
fn diff_needs_a_target_when_a_run_has_several() {
    let f = Fixture::new();
    let output = f
        .llconf()
        .args(["diff", &vm_run(), &vm_run()])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("holds 2 targets; name one as")
            && stderr(&output).contains("debian-6.12-default, debian-7.3-default"),
        "{}",
        stderr(&output)
    );
    let output = f
        .llconf()
        .args(["diff", &format!("{}#debian", vm_run()), &vm_run()])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("more than one column `debian`"));
}

/// A copy of the recorded 7.3 target in which one passing test fails.
fn broken_7_3(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture("vm-run/results.jsonl")).unwrap();
    let mut broke = false;
    let lines: Vec<String> = text
        .lines()
        .filter(|l| l.contains("\"target\":\"debian-7.3-default\""))
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let r = &mut v["record"];
            if !broke && r["name"] == "unix::stream::connect::denied_outside_rule" {
                r["outcome"] = "failed".into();
                r["failure"] = serde_json::json!({"kind": "panic", "message": "allowed"});
                broke = true;
            }
            v.to_string()
        })
        .collect();
    assert!(broke);
    let file = dir.join("broken.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    file
}

#[test]
fn a_regression_exits_1_and_is_listed_first() {
    let f = Fixture::new();
    let broken = broken_7_3(f.path());
    let output = f
        .llconf()
        .args(["diff", &format!("{}#debian-7.3", vm_run())])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    assert!(stdout(&output).contains(
        "REGRESSIONS (passed -> failed): 1\n  unix::stream::connect::denied_outside_rule: fail panicked: allowed\n"
    ), "{}", stdout(&output));
}

#[test]
fn run_format_ktap_prints_only_ktap_on_stdout() {
    let f = Fixture::new();
    let base = f.suite(
        "base",
        &[
            started("base", 2),
            passed("base::ruleset::size::exact"),
            skipped("base::scope::signal::denied", "needs Landlock ABI 6"),
            finished("base", 1, 0, 1),
        ],
        None,
        End::Exit(0),
    );
    let unix = f.suite(
        "unix",
        &[started("unix", 2), passed("unix::a::b")],
        None,
        End::Signal("SEGV"),
    );
    let output = f
        .llconf()
        .args([
            "run",
            "--host",
            "--format",
            "ktap",
            &suite_bin("base", &base),
            &suite_bin("unix", &unix),
        ])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    let out = stdout(&output);
    let expected = "KTAP version 1\n1..2\n\
        \x20   KTAP version 1\n    # Subtest: base\n    1..2\n    ok 1 base::ruleset::size::exact\n\
        \x20   ok 2 base::scope::signal::denied # SKIP needs Landlock ABI 6\n\
        ok 1 base\n\
        \x20   KTAP version 1\n    # Subtest: unix\n    1..1\n    ok 1 unix::a::b\n\
        # suite binary killed by signal SIGSEGV (11); its output is in ";
    assert!(out.starts_with(expected), "{out}");
    assert!(out.ends_with(
        "; 1 tests of 2 reported\nnot ok 2 unix\n# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:1 error:0\n"
    ), "{out}");
    // The human summary went to stderr.
    assert!(stderr(&output).contains("total: 2 passed, 0 failed, 0 known failures, 1 skipped"));
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `url` with `mode` (`--dump-dom`,
/// `--screenshot=...`); returns stdout.
fn headless(browser: &Path, profile: &Path, mode: &str, url: &str) -> String {
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--window-size=1400,900", mode, url])
        .env("DBUS_SESSION_BUS_ADDRESS", "disabled:")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `<b id="shown">N</b>` as the page shows it after its script ran.
fn shown(dom: &str) -> usize {
    let at = dom.find("id=\"shown\">").expect("#shown in the DOM") + 11;
    dom[at..].split('<').next().unwrap().parse().unwrap()
}

#[test]
fn html_report_in_headless_chromium() {
    let Some(browser) = chromium() else {
        println!(
            "SKIPPED html_report_in_headless_chromium: chromium is not installed \
             (apt-get install -y chromium)"
        );
        return;
    };
    // Kept for people to look at: target/llconf-report-screenshot/.
    let artifacts =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/llconf-report-screenshot");
    std::fs::create_dir_all(&artifacts).unwrap();
    let artifacts = artifacts.canonicalize().unwrap();
    let f = Fixture::new();
    let html = artifacts.join("report.html");
    let output = f
        .llconf()
        .args(["report", &vm_run(), "--html"])
        .arg(&html)
        .arg("--md")
        .arg(artifacts.join("report.md"))
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    let profile = f.path().join("chromium-profile");

    // The script ran: the counts it writes match the matrix.
    let dom = headless(&browser, &profile, "--dump-dom", &url);
    assert_eq!(shown(&dom), 291);
    assert!(dom.contains("data-shown=\"291\""));
    let dom = headless(
        &browser,
        &profile,
        "--dump-dom",
        &format!("{url}#differences"),
    );
    assert_eq!(
        shown(&dom),
        183,
        "174 skipped -> passed and 9 passed -> skipped"
    );
    let dom = headless(&browser, &profile, "--dump-dom", &format!("{url}#verdicts"));
    assert_eq!(
        shown(&dom),
        0,
        "where both kernels ran a test they agree; the differences are skips"
    );
    let dom = headless(&browser, &profile, "--dump-dom", &format!("{url}#failures"));
    assert_eq!(shown(&dom), 0);
    assert!(
        dom.contains("<p id=\"empty\">No test matches"),
        "the empty note shows"
    );

    let png = artifacts.join("report.png");
    let _ = std::fs::remove_file(&png);
    headless(
        &browser,
        &profile,
        &format!("--screenshot={}", png.display()),
        &url,
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height, big-endian, at 16..24.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1400, 900));
    assert!(bytes.len() > 20_000, "a blank page compresses to less");
    println!("screenshot: {}", png.display());
}

#[test]
fn a_missing_path_is_named_once_with_its_os_error_once() {
    let f = Fixture::new();
    for args in [
        vec!["report", "/nonexistent/run"],
        vec!["diff", "/nonexistent/run", "/nonexistent/other"],
    ] {
        let output = f.llconf().args(&args).output().unwrap();
        assert_eq!(code(&output), 2, "{args:?}");
        let err = stderr(&output);
        assert_eq!(err.matches("/nonexistent/run").count(), 1, "{err}");
        assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    }
}

/// A failure's reason is on the page in plain text, with links to the
/// evidence, without hovering: under the matrix, in "why".
#[test]
fn html_report_shows_why_a_test_failed_without_hovering() {
    let Some(browser) = chromium() else {
        println!("SKIPPED html_report_shows_why_a_test_failed_without_hovering: no chromium");
        return;
    };
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
    let run = f
        .llconf()
        .args(["run", "--host", &suite_bin("base", &base)])
        .output()
        .unwrap();
    assert_eq!(code(&run), 1);
    let report = f.llconf().arg("report").arg(f.out()).output().unwrap();
    assert_eq!(code(&report), 0, "stderr:\n{}", stderr(&report));
    let html = f.out().join("report.html");
    let url = format!("file://{}#failures", html.display());
    let profile = f.path().join("chromium-profile");
    let dom = headless(&browser, &profile, "--dump-dom", &url);
    assert_eq!(shown(&dom), 1);
    let why = &dom[dom.find("<section id=\"why\">").expect("the why section")..];
    assert!(
        why.contains("open(\"/etc/passwd\"): expected EACCES (13), observed success"),
        "the reason in plain text: {why}"
    );
    assert!(
        why.contains("<a href=\"logs/base.log\">base log</a>"),
        "{why}"
    );
    // The column is named after the run's folder, not `host`.
    assert!(dom.contains("<div class=\"kname\">out</div>"), "{dom}");

    let artifacts =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/llconf-report-screenshot");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("why.png");
    headless(
        &browser,
        &profile,
        &format!("--screenshot={}", png.display()),
        &url,
    );
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
    println!("screenshot: {}", png.display());
}

/// `report A B` merges into the current folder: neither run's own
/// report.html is overwritten.
#[test]
fn a_report_of_several_runs_leaves_each_runs_own_report_alone() {
    let f = Fixture::new();
    let a = f.path().join("a");
    copy_tree(Path::new(&vm_run()), &a);
    std::fs::write(a.join("report.html"), "mine").unwrap();
    let host = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/tests/fixtures/host-run");
    let output = f
        .llconf()
        .args(["report"])
        .arg(&a)
        .arg(&host)
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(a.join("report.html")).unwrap(),
        "mine"
    );
    assert!(
        f.path().join("report.html").is_file(),
        "in the current folder"
    );
    assert!(
        stdout(&output).starts_with("3 targets × "),
        "{}",
        stdout(&output)
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
