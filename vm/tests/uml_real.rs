//! Real User-Mode Linux: `llconf run` on `uml-7.3` with the `base` suite,
//! plus the panic self-test variant. Building the kernel takes minutes, so
//! this runs only with `LLCONF_VM_TESTS=1` and a build already in llconf's
//! cache (`llconf fetch --kernel uml-7.3` makes one); otherwise it says
//! why it did nothing.

mod support;

use std::process::Command;
use support::{assert_panic_reported, property, run_base_and_panic, testsuite};

/// Whether `llconf kernels` reports uml-7.3 as built.
fn built() -> bool {
    let output = Command::new(env!("CARGO_BIN_EXE_llconf"))
        .arg("kernels")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let Some(rest) = text.split("\n  uml-7.3 ").nth(1) else {
        return false;
    };
    rest.lines()
        .find(|l| l.trim_start().starts_with("cached:"))
        .is_some_and(|l| l.contains("built: "))
}

#[test]
fn uml_7_3_runs_base_with_abi_11_and_a_panic_is_reported() {
    if std::env::var("LLCONF_VM_TESTS").as_deref() != Ok("1") || !built() {
        println!(
            "uml_real: skipped: needs LLCONF_VM_TESTS=1 and a UML build of linux-source-7.3 \
             (`llconf fetch --kernel uml-7.3`, about 5 minutes)"
        );
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let merged = run_base_and_panic("uml-7.3", out.path());
    let base = testsuite(&merged, "uml-7.3-default/base");
    assert!(base.tests > 0);
    assert_eq!((base.failures, base.errors), (0, 0));
    assert_eq!(property(base, "landlock.abi"), Some("11"));
    assert_eq!(property(base, "vm.backend"), Some("uml"));
    assert_eq!(property(base, "vm.accel"), Some("none"));
    assert!(property(base, "kernel.package")
        .unwrap()
        .starts_with("linux-source-7.3="));
    let vm = testsuite(&merged, "uml-7.3-default/vm");
    assert_eq!((vm.tests, vm.failures), (3, 0), "boot, console, abi");
    assert_panic_reported(&merged, "uml-7.3");
}

/// Whether `llconf mutants` can read uml-7.3's source: a coverage build
/// kept it (`llconf coverage --kernel uml-7.3`).
fn source_kept() -> bool {
    Command::new(env!("CARGO_BIN_EXE_llconf"))
        .args(["mutants", "--kernel", "uml-7.3", "--list"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn three_mutants_of_net_c_are_planted_built_run_and_judged() {
    if std::env::var("LLCONF_VM_TESTS").as_deref() != Ok("1") || !source_kept() {
        println!(
            "uml_real: skipped: needs LLCONF_VM_TESTS=1 and uml-7.3's source kept by a \
             coverage build (`llconf coverage --kernel uml-7.3`, about 10 minutes)"
        );
        return;
    }
    let list = Command::new(env!("CARGO_BIN_EXE_llconf"))
        .args(["mutants", "--kernel", "uml-7.3", "--list"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    let tree = list
        .lines()
        .last()
        .and_then(|l| l.split(" files of ").nth(1))
        .and_then(|l| l.split(": ").next())
        .unwrap_or_else(|| panic!("no tree in the list's last line: {list}"));
    let net_c = std::path::Path::new(tree).join("security/landlock/net.c");
    let before = std::fs::read(&net_c).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_llconf"))
        .args(["mutants", "--kernel", "uml-7.3", "--suite", "net"])
        .args([
            "--file",
            "security/landlock/net.c",
            "--sample",
            "3",
            "--seed",
            "1",
        ])
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "{said}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("mutants.json")).unwrap())
            .unwrap();
    let mutants = json["mutants"].as_array().unwrap();
    assert_eq!(mutants.len(), 3, "{said}");
    assert!(json["baseline"]["passed"].as_u64().unwrap() > 50, "{said}");
    for m in mutants {
        let outcome = m["outcome"].as_str().unwrap();
        assert!(
            ["caught", "missed", "timeout", "unviable", "not-compiled"].contains(&outcome),
            "{m}"
        );
        if outcome == "caught" {
            assert!(!m["killers"].as_array().unwrap().is_empty(), "{m}");
        }
    }
    assert!(
        mutants.iter().any(|m| m["outcome"] == "caught"),
        "the net suite catches none of 3 bugs in net.c: {said}"
    );
    assert_eq!(json["source"].as_str(), Some(tree));
    assert_eq!(
        std::fs::read(&net_c).unwrap(),
        before,
        "the tree read is unchanged"
    );
}
