//! One real boot: `llconf run` on Debian's 6.12 (the fastest of the
//! catalogue to boot, about 20 s under TCG), with the `base` suite, plus the
//! panic self-test variant of the same kernel. Needs `llconf setup` and the
//! network (or a cached kernel); runs only with `LLCONF_VM_TESTS=1`.

use llconf_reports::quick_junit::{Report, TestCaseStatus, TestSuite};
use std::process::Command;

fn enabled() -> bool {
    if std::env::var("LLCONF_VM_TESTS").as_deref() == Ok("1") {
        return true;
    }
    println!(
        "real_boot: skipped: set LLCONF_VM_TESTS=1 to boot debian-6.12 in a VM \
         (needs `llconf setup`; about a minute under TCG)"
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

fn suite<'a>(r: &'a Report, name: &str) -> &'a TestSuite {
    r.test_suites
        .iter()
        .find(|s| s.name.as_str() == name)
        .unwrap_or_else(|| panic!("no testsuite {name}"))
}

#[test]
fn debian_6_12_boots_runs_base_and_a_panic_is_reported() {
    if !enabled() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_llconf"))
        .args(["run", "--kernel", "debian-6.12", "--suite", "base"])
        .args(["--variant", "default", "--variant", "selftest-panic"])
        .arg("--out")
        .arg(out.path())
        .env_remove("LLCONF_RESULTS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    // The panic variant fails the run, on purpose.
    assert_eq!(output.status.code(), Some(1), "{stderr}");

    let xml = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    let merged = Report::deserialize_from_str(&xml).unwrap();

    let base = suite(&merged, "debian-6.12-default/base");
    assert!(base.tests > 0);
    assert_eq!((base.failures, base.errors), (0, 0), "{xml}");
    assert_eq!(prop(base, "landlock.abi"), "6");
    assert_eq!(prop(base, "landlock.status"), "enabled");
    assert!(prop(base, "kernel.release").starts_with("6.12."));
    assert!(prop(base, "kernel.package").starts_with("linux-image-6.12."));
    assert_eq!(prop(base, "vm.backend"), "vng");
    assert!(["kvm", "tcg"].contains(&prop(base, "vm.accel")));
    let vm = suite(&merged, "debian-6.12-default/vm");
    assert_eq!((vm.tests, vm.failures), (3, 0), "boot, console, abi: {xml}");

    let panicked = suite(&merged, "debian-6.12-selftest-panic/vm");
    let console = panicked
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == "vm::console")
        .unwrap();
    assert!(matches!(console.status, TestCaseStatus::NonSuccess { .. }));
    assert!(console
        .system_err
        .as_ref()
        .unwrap()
        .as_str()
        .contains("Kernel panic - not syncing: sysrq triggered crash"));
}
