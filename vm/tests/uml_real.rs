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
