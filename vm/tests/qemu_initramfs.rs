//! The qemu-initramfs backend against vng on one real kernel: `llconf run`
//! boots Debian's 6.12 with each backend and runs the `base` suite, and
//! every test must come out the same (outcome and skip reason), test for
//! test. Needs `llconf setup` and the network (or a cached kernel); runs
//! only with `LLCONF_VM_TESTS=1`.

use llconf_reports::quick_junit::{Report, TestSuite};
use llconf_reports::record::{Outcome, Record};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn enabled() -> bool {
    if std::env::var("LLCONF_VM_TESTS").as_deref() == Ok("1") {
        return true;
    }
    println!(
        "qemu_initramfs: skipped: set LLCONF_VM_TESTS=1 to boot debian-6.12 with vng and \
         with qemu-initramfs (needs `llconf setup`; about a minute under TCG)"
    );
    false
}

fn prop<'a>(s: &'a TestSuite, name: &str) -> &'a str {
    s.properties
        .iter()
        .find(|p| p.name.as_str() == name)
        .map(|p| p.value.as_str())
        .unwrap_or_else(|| panic!("no property {name} on {}", s.name.as_str()))
}

/// Boots debian-6.12 with `backend`; test name → (outcome, skip reason).
fn run(backend: &str, out: &Path) -> BTreeMap<String, (Outcome, Option<String>)> {
    let output = Command::new(env!("CARGO_BIN_EXE_llconf"))
        .args(["run", "--kernel", "debian-6.12", "--variant", "default"])
        .args(["--suite", "base", "--backend", backend])
        .arg("--out")
        .arg(out)
        .env_remove("LLCONF_RESULTS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{backend}:\n{stdout}\n{stderr}");
    assert_eq!(output.status.code(), Some(0), "{backend}: {stderr}");

    let xml = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    let merged = Report::deserialize_from_str(&xml).unwrap();
    let base = merged
        .test_suites
        .iter()
        .find(|s| s.name.as_str() == "debian-6.12-default/base")
        .expect("a base testsuite");
    assert_eq!(prop(base, "vm.backend"), backend);
    assert_eq!(prop(base, "landlock.abi"), "6");

    let jsonl =
        std::fs::read_to_string(out.join("debian-6.12-default/results/base.jsonl")).unwrap();
    jsonl
        .lines()
        .filter_map(|l| match serde_json::from_str::<Record>(l).unwrap() {
            Record::TestFinished(t) => Some((t.name, (t.outcome, t.skip_reason))),
            _ => None,
        })
        .collect()
}

#[test]
fn qemu_initramfs_matches_vng_test_for_test() {
    if !enabled() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let qemu = run("qemu-initramfs", &dir.path().join("qemu"));
    let vng = run("vng", &dir.path().join("vng"));
    assert!(!vng.is_empty());
    let names = |m: &BTreeMap<String, _>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&qemu), names(&vng), "the same tests ran");
    let differ: Vec<String> = vng
        .iter()
        .filter(|(name, v)| qemu[*name] != **v)
        .map(|(name, v)| format!("{name}: vng {v:?}, qemu-initramfs {:?}", qemu[name]))
        .collect();
    assert!(differ.is_empty(), "results differ:\n{}", differ.join("\n"));
    // The guest's console went through the serial port and was kept.
    let console =
        std::fs::read_to_string(dir.path().join("qemu/debian-6.12-default/console.log")).unwrap();
    assert!(console.contains("llconf-guest: done"), "{console}");
}
