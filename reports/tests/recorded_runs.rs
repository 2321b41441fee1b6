//! The matrix, its HTML and Markdown, the diff and KTAP on results that real
//! runs recorded (tests/fixtures, see its README): debian-6.12 (ABI 6) and
//! debian-7.3 (ABI 11) in VMs, base, unix and net; and base on a host.

use llconf_reports::diff;
use llconf_reports::ktap;
use llconf_reports::matrix::{CellKind, Matrix, Tally};
use llconf_reports::run_results::{self, Run};
use llconf_reports::{html, markdown};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn vm_run() -> Run {
    run_results::load(&fixture("vm-run")).unwrap()
}

#[test]
fn a_vm_run_reads_back_as_one_column_per_target() {
    let run = vm_run();
    assert_eq!(run.ids(), ["debian-6.12-default", "debian-7.3-default"]);
    assert!(run.unreadable.is_empty(), "{:?}", run.unreadable);
    let abis: Vec<_> = run
        .columns
        .iter()
        .map(|c| c.kernel_info().unwrap().abi)
        .collect();
    assert_eq!(abis, [Some(6), Some(11)]);
    for c in &run.columns {
        let meta = c.meta.as_ref().expect("target.json read");
        assert!(meta.boot_seconds.is_some_and(|b| b > 0.0));
        assert!(meta.problems.is_empty());
        assert_eq!(c.suites.len(), 3);
        assert!(c.suites.iter().all(|s| s.finished));
    }
    // The merged file alone reads the same, without the target.json.
    let file = run_results::load(&fixture("vm-run/results.jsonl")).unwrap();
    assert_eq!(file.ids(), run.ids());
    assert_eq!(file.columns[1].suites, run.columns[1].suites);
}

#[test]
fn the_matrix_counts_what_the_runner_counted() {
    let m = Matrix::from_run(&vm_run());
    assert_eq!(m.rows.len(), 291);
    assert_eq!(m.suites(), ["base", "net", "unix"]);
    // The runner's own summary of that run said 111/0/180 and 276/0/15.
    let t = |pass, skip| Tally {
        pass,
        skip,
        ..Default::default()
    };
    assert_eq!(m.heads[0].tally, t(111, 180));
    assert_eq!(m.heads[1].tally, t(276, 15));
    assert_eq!(m.suite_tally("unix", 0), t(26, 106));
    let h = &m.heads[1];
    assert_eq!(
        (h.abi, h.errata, h.expected_abi),
        (Some(11), Some(0xf), Some(11))
    );
    assert_eq!(h.release.as_deref(), Some("7.3.4+deb13-amd64"));
    // A test of ABI 9 is skipped on 6.12 with its reason, passed on 7.3.
    let row = m
        .rows
        .iter()
        .find(|r| r.name == "unix::ruleset::resolve_unix::handled_accepted")
        .unwrap();
    assert_eq!(
        (row.fixture.as_str(), row.case.as_str()),
        ("ruleset::resolve_unix", "handled_accepted")
    );
    assert_eq!(row.cells[0].kind(), CellKind::Skip);
    assert!(row.cells[0].detail().unwrap().contains("(ABI 9)"));
    assert_eq!(row.cells[1].kind(), CellKind::Pass);
    assert_eq!(m.rows.iter().filter(|r| r.has_failure()).count(), 0);
    assert_eq!(m.rows.iter().filter(|r| r.differs()).count(), 174 + 9);
}

#[test]
fn html_is_one_self_contained_page_with_every_test() {
    let m = Matrix::from_run(&vm_run());
    let page = html::render(
        &m,
        &html::Page {
            source: "vm-run".into(),
            generated: String::new(),
            base: None,
        },
    );
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(page.matches("<tr class=\"t\"").count(), 291);
    assert_eq!(page.matches("<th class=\"col").count(), 2);
    // No fetch of any kind: no external script, style, image or font
    // (links to a target's own logs are navigations, not fetches).
    for needle in ["src=", "<link", "@import", "url(", "http://", "https://"] {
        assert!(!page.contains(needle), "{needle} in the page");
    }
    assert!(page.contains("data-differing=\"183\""));
    assert!(page.contains("boot 15.2&nbsp;s"), "boot time in the header");
    assert!(page.contains(
        "title=\"skip: needs LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9); kernel has ABI 6\""
    ));
    assert!(page.contains("<span class=\"abi\" title=\"expected ABI 11\">ABI 11</span>"));
}

#[test]
fn markdown_collapses_to_suites() {
    let md = markdown::render(&Matrix::from_run(&vm_run()));
    let lines: Vec<&str> = md.lines().collect();
    assert!(lines[0].starts_with("## ✅ llconf"), "{md}");
    assert!(lines.contains(&"| suite | **debian-6.12-default** | **debian-7.3-default** |"));
    assert!(lines.contains(&"| *Landlock* | ABI 6 | ABI 11 |"));
    assert!(lines.contains(&"| *errata* | 0x7 | 0xf |"));
    assert!(lines.contains(&"| unix | ✅ 26 ⏭️ 106 | ✅ 123 ⏭️ 9 |"));
    assert!(lines.contains(&"| **total** | **✅ 111 ⏭️ 180** | **✅ 276 ⏭️ 15** |"));
    assert!(!md.contains("<details>"), "no failures to list");
}

#[test]
fn diff_of_6_12_and_7_3_shows_abi_9_and_10_tests_now_passing_and_no_regression() {
    let run = vm_run();
    let (old, new) = (&run.columns[0], &run.columns[1]);
    let d = diff::diff(("6.12", old), ("7.3", new));
    assert!(!d.has_regressions());
    assert!(d.fixes.is_empty());
    assert_eq!(d.now_executed.len(), 174);
    assert!(d
        .now_executed
        .iter()
        .all(|c| c.old == "skip" && c.new == "pass"));
    let by_abi = |abi: u32| {
        d.now_executed
            .iter()
            .filter(|c| diff::abi_of(c.old_detail.as_deref().unwrap()) == abi)
            .count()
    };
    assert_eq!(by_abi(9), 102, "RESOLVE_UNIX");
    assert_eq!(by_abi(10), 71, "UDP rights and MSG_FASTOPEN");
    assert_eq!(by_abi(7), 1, "errata query");
    // Tests of older ABIs' behaviour stop running on the newer kernel.
    assert_eq!(d.now_skipped.len(), 9);
    assert!(d.now_skipped.iter().all(|c| c
        .new_detail
        .as_deref()
        .unwrap()
        .contains("only kernels before ABI")));
    let kernel: Vec<_> = d.kernel.iter().map(|k| k.what).collect();
    assert_eq!(kernel, ["release", "abi", "errata"]);
    assert_eq!(d.kernel[2].note.as_deref(), Some("new bits 0x8"));

    let text = diff::render_text(&d);
    assert!(
        text.contains("REGRESSIONS (passed -> failed): 0\n"),
        "{text}"
    );
    assert!(text.contains(
        "  was skipped: needs LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9); 102 tests, 102 now pass\n"
    ));
    assert!(text.contains(
        "  was skipped: needs LANDLOCK_ACCESS_NET_BIND_UDP (ABI 10); 69 tests, 69 now pass\n"
    ));
    assert!(text.contains("    pass  net::udp::ipv4::bind_denied\n"));
    assert!(text
        .ends_with("0 regressions, 0 new known failures, 0 fixes, 174 newly executed, 9 newly skipped, 108 unchanged\n"));

    let json: serde_json::Value = serde_json::to_value(&d).unwrap();
    assert_eq!(json["regressions"].as_array().unwrap().len(), 0);
    assert_eq!(json["new"]["abi"], 11);
    assert_eq!(json["now_executed"][0]["old"], "skip");
}

#[test]
fn diff_the_other_way_has_no_regression_either_but_lists_the_moves() {
    let run = vm_run();
    let d = diff::diff(("7.3", &run.columns[1]), ("6.12", &run.columns[0]));
    assert!(!d.has_regressions());
    assert_eq!(d.now_skipped.len(), 174);
    assert_eq!(d.kernel[1].note.as_deref(), Some("the ABI went down"));
}

#[test]
fn a_pass_that_turns_into_a_failure_is_a_regression() {
    let run = vm_run();
    let mut new = run.columns[1].clone();
    let t = new.suites[0]
        .tests
        .iter_mut()
        .find(|t| t.outcome == llconf_reports::record::Outcome::Passed)
        .unwrap();
    t.outcome = llconf_reports::record::Outcome::Failed;
    let name = t.name.clone();
    let d = diff::diff(("7.3", &run.columns[1]), ("7.3-broken", &new));
    assert_eq!(d.regressions.len(), 1);
    assert_eq!(d.regressions[0].name, name);
    assert!(diff::render_text(&d).contains("REGRESSIONS (passed -> failed): 1\n"));
}

/// Checks KTAP nesting: each level starts with a version line, has a plan,
/// numbers its results 1..N at its own indentation, and a nested document
/// is closed by one result line one level up.
fn check_ktap(text: &str) -> (usize, usize) {
    fn level(lines: &[&str], i: &mut usize, depth: usize, results: &mut usize) -> usize {
        let pad = " ".repeat(depth * 4);
        assert_eq!(lines[*i], format!("{pad}KTAP version 1"), "line {}", *i + 1);
        *i += 1;
        let mut plan = None;
        let mut n = 0;
        while *i < lines.len() {
            let l = lines[*i];
            let indent = l.len() - l.trim_start().len();
            if indent < depth * 4 {
                break;
            }
            let body = &l[depth * 4..];
            if indent > depth * 4 {
                level(lines, i, depth + 1, results);
                // Diagnostics of the subtest, then its result line.
                while lines[*i].strip_prefix(&pad).unwrap().starts_with('#') {
                    *i += 1;
                }
                let closing = lines[*i].strip_prefix(&pad).unwrap();
                n += 1;
                let want = [format!("ok {n} "), format!("not ok {n} ")];
                assert!(
                    want.iter().any(|w| closing.starts_with(w.as_str())),
                    "line {}: {closing}",
                    *i + 1
                );
                *i += 1;
                continue;
            }
            if let Some(p) = body.strip_prefix("1..") {
                plan = Some(p.parse::<usize>().unwrap());
            } else if body.starts_with('#') {
            } else {
                n += 1;
                *results += 1;
                let want = [format!("ok {n} "), format!("not ok {n} ")];
                assert!(
                    want.iter().any(|w| body.starts_with(w.as_str())),
                    "line {}: {body}",
                    *i + 1
                );
            }
            *i += 1;
        }
        assert_eq!(plan, Some(n), "plan of the level ending at line {}", *i);
        n
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut results = 0;
    let top = level(&lines, &mut i, 0, &mut results);
    assert_eq!(i, lines.len(), "trailing lines");
    (top, results)
}

#[test]
fn ktap_of_a_vm_run_nests_targets_then_suites() {
    let run = vm_run();
    let mut text = ktap::header(run.columns.len());
    for (i, c) in run.columns.iter().enumerate() {
        text.push_str(&ktap::target(i + 1, &c.id, &c.suites, &[]));
    }
    text.push_str(&ktap::totals(Default::default()));
    assert_eq!(check_ktap(&text), (2, 291 * 2));
    assert!(text.contains(
        "\n    KTAP version 1\n    # Subtest: debian-7.3-default\n    \
         # kernel 7.3.4+deb13-amd64 landlock enabled abi 11 errata 0xf\n    1..3\n        \
         KTAP version 1\n        # Subtest: base\n        1..46\n"
    ));
    let skipped = text
        .lines()
        .find(|l| l.contains("unix::ruleset::resolve_unix::handled_accepted"))
        .unwrap();
    assert!(
        skipped.starts_with("        ok ")
            && skipped.ends_with(
                " unix::ruleset::resolve_unix::handled_accepted # SKIP needs \
                 LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9); kernel has ABI 6"
            ),
        "{skipped}"
    );
    assert!(text.contains("\n    ok 3 unix\nok 2 debian-7.3-default\n"));
}

#[test]
fn a_host_run_is_one_column() {
    let run = run_results::load(&fixture("host-run")).unwrap();
    assert_eq!(run.ids(), ["host-run"], "named after its folder");
    let m = Matrix::from_run(&run);
    assert_eq!(m.rows.len(), 46);
    assert_eq!(m.heads[0].abi, Some(7));
    assert!(m.heads[0].boot_seconds.is_none());
    let md = markdown::render(&m);
    assert!(md.contains("| suite | **host-run** |"), "{md}");
    let mut text = ktap::header(1);
    text.push_str(&ktap::suite(1, &run.columns[0].suites[0]));
    assert_eq!(check_ktap(&text), (1, 46));
}

#[test]
fn runs_in_several_places_merge_into_one_matrix() {
    // As the final job of a CI pipeline sees them: one directory per job.
    let run = run_results::load_all(&[fixture("vm-run"), fixture("host-run")]).unwrap();
    assert_eq!(
        run.ids(),
        ["debian-6.12-default", "debian-7.3-default", "host-run"]
    );
    let both = run_results::load(&fixture("")).unwrap();
    assert_eq!(both.ids(), run.ids());
    let m = Matrix::from_run(&run);
    // base is in all three; unix only in the VM runs.
    let unix = m.rows.iter().find(|r| r.suite == "unix").unwrap();
    assert_eq!(unix.cells[2].kind(), CellKind::Absent);
}

/// Turns the first passing test of column 1 into a known failure.
fn with_known_failure() -> (Run, String) {
    let mut run = vm_run();
    let t = run.columns[1].suites[0]
        .tests
        .iter_mut()
        .find(|t| t.outcome == llconf_reports::record::Outcome::Passed)
        .unwrap();
    *t = llconf_reports::record::TestRecord::known_failure(
        t.name.clone(),
        1.0,
        llconf_reports::record::Failure::Crash { exit_code: 1 },
        llconf_reports::record::KnownIssue {
            id: "erratum-3".into(),
            summary: "disconnected directories".into(),
            fix: Some("landlock: Fix handling of disconnected directories".into()),
            commit: Some("49c9e09d9610".into()),
            fixed_in: Some("6.19 and 6.18.2".into()),
            erratum: Some(3),
        },
    );
    let name = t.name.clone();
    (run, name)
}

#[test]
fn a_known_failure_leads_the_reports_and_is_not_green() {
    let (run, name) = with_known_failure();
    let m = Matrix::from_run(&run);
    let known = m.known_by_target();
    assert_eq!(known.len(), 1);
    assert_eq!(known[0].0.id, run.columns[1].id);
    assert_eq!(m.heads[1].tally.known, 1);
    assert!(
        m.heads[1].tally.is_clean(),
        "a known failure is not a failure"
    );
    let line = "disconnected directories; fixed by \
                \"landlock: Fix handling of disconnected directories\" (commit 49c9e09d9610) \
                in 6.19 and 6.18.2";

    let page = html::render(&m, &html::Page::default());
    assert!(page.contains("conformant but for known kernel bugs"));
    assert!(!page.contains("all conformant"));
    let section = page.find("Known kernel bugs and missing fixes").unwrap();
    assert!(
        section < page.find("id=\"matrix\"").unwrap(),
        "before the matrix"
    );
    assert!(page.contains(&html::esc(line)), "the fix is named");
    assert!(page.contains("<td class=\"k\""));

    let md = markdown::render(&m);
    assert!(md.starts_with("## 🟣 llconf"), "{md}");
    let first_table = md.find("| suite |").unwrap();
    let listed = md.find(line).unwrap();
    assert!(listed < first_table, "{md}");
    assert!(
        md.contains(": lacks erratum 3\n"),
        "per kernel, in short: {md}"
    );
    assert!(md.contains("1 known failures"), "{md}");

    let d = diff::diff(
        ("7.3", &vm_run().columns[1]),
        ("7.3-known", &run.columns[1]),
    );
    assert!(d.regressions.is_empty());
    assert_eq!(d.now_known.len(), 1);
    assert_eq!(d.now_known[0].name, name);
    let back = diff::diff(
        ("7.3-known", &run.columns[1]),
        ("7.3", &vm_run().columns[1]),
    );
    assert_eq!(back.fixes.len(), 1, "a known failure that passes is a fix");
}

/// A folder of CI job folders where one job's kernel panicked at boot: that
/// kernel is a failed column, and neither page is green.
#[test]
fn a_job_whose_kernel_never_booted_turns_the_reports_red() {
    let d = tempfile::tempdir().unwrap();
    let good = d.path().join("job-7.3");
    copy_dir(&fixture("vm-run"), &good);
    let dead = d.path().join("job-6.18");
    std::fs::create_dir_all(dead.join("debian-6.18-default")).unwrap();
    std::fs::write(dead.join("results.jsonl"), "").unwrap();
    std::fs::write(
        dead.join("debian-6.18-default/target.json"),
        r#"{"id":"debian-6.18-default","kernel":"debian-6.18","variant":"default","problems":["vm::boot: Kernel panic - not syncing"]}"#,
    )
    .unwrap();
    let run = run_results::load(d.path()).unwrap();
    assert!(
        run.column("debian-6.18-default").is_some(),
        "{:?}",
        run.ids()
    );
    let m = Matrix::from_run(&run);
    let dead_col = m
        .heads
        .iter()
        .position(|h| h.id == "debian-6.18-default")
        .unwrap();
    assert!(m
        .rows
        .iter()
        .all(|r| r.cells[dead_col].kind() == CellKind::Error));
    let md = markdown::render(&m);
    assert!(md.starts_with("## ❌"), "{md}");
    assert!(md.contains("vm::boot: Kernel panic"), "{md}");
    let page = html::render(&m, &html::Page::default());
    assert!(page.contains("verdict bad") && !page.contains("all conformant"));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// One rule for a suite that stopped early: every test it planned and did
/// not report is an error, in the report alone as in a diff.
#[test]
fn unreported_tests_are_errors_in_the_report_as_in_the_diff() {
    let run = vm_run();
    let mut cut = run.columns[1].clone();
    let s = &mut cut.suites[0];
    let planned = s.tests_planned.unwrap();
    s.tests.truncate(5);
    s.finished = false;
    let alone = Run {
        columns: vec![cut.clone()],
        unreadable: Vec::new(),
    };
    let m = Matrix::from_run(&alone);
    assert_eq!(m.heads[0].tally.error, planned - 5);
    let d = diff::diff(("7.3", &run.columns[1]), ("7.3-cut", &cut));
    assert_eq!(d.new.errors, planned - 5);
    let passed_before = run.columns[1].suites[0].tests[5..]
        .iter()
        .filter(|t| t.outcome == llconf_reports::record::Outcome::Passed)
        .count();
    assert_eq!(d.regressions.len(), passed_before);
}

#[test]
fn control_bytes_in_a_failure_show_escaped_in_both_pages() {
    let mut run = vm_run();
    let t = &mut run.columns[1].suites[0].tests[0];
    *t = llconf_reports::record::TestRecord::failed(
        t.name.clone(),
        1.0,
        llconf_reports::record::Failure::Panic {
            message: "red \u{1b}[31mtext\u{1b}[0m\r".into(),
        },
    );
    let m = Matrix::from_run(&run);
    for page in [
        html::render(&m, &html::Page::default()),
        markdown::render(&m),
    ] {
        assert!(!page.contains('\u{1b}') && !page.contains('\r'));
        assert!(page.contains("red \\x1b[31mtext\\x1b[0m\\x0d"));
    }
}

/// A test that is gone from a suite that ran to its end unfiltered is a
/// regression; gone from a filtered run, it was just not selected, and a
/// long list of those reads as counts per suite.
#[test]
fn a_vanished_test_is_a_regression_unless_the_new_run_was_filtered() {
    let run = vm_run();
    let old = &run.columns[1];
    let mut new = old.clone();
    let gone = new.suites[0].tests.pop().unwrap().name;
    new.suites[0].finished = true;
    new.suites[0].filtered = false;
    let d = diff::diff(("7.3", old), ("7.3-less", &new));
    assert_eq!(d.regressions.len(), 1);
    assert_eq!(d.regressions[0].name, gone);
    assert_eq!(d.regressions[0].new, "absent");

    let mut narrowed = old.clone();
    narrowed.suites[0].filtered = true;
    narrowed.suites[0].tests.truncate(1);
    let d = diff::diff(("7.3", old), ("7.3-filtered", &narrowed));
    assert!(d.regressions.is_empty());
    let text = diff::render_text(&d);
    let suite = &old.suites[0].suite;
    assert!(
        text.contains(&format!(
            "only in old (not selected in new): {}\n  {suite}: {} tests\n",
            d.only_old.len(),
            d.only_old.len()
        )),
        "{text}"
    );
}
