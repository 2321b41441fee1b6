//! Real User-Mode Linux: `llconf run` on `uml-7.3` with the `base` suite,
//! plus the panic self-test variant. Building the kernel takes minutes, so
//! this runs only with `LLCONF_VM_TESTS=1` and a build already in llconf's
//! cache (`llconf fetch --kernel uml-7.3` makes one); otherwise it says
//! why it did nothing.

mod support;

use llconf_reports::quick_junit::TestCaseStatus;
use std::path::PathBuf;
use std::process::Command;
use support::{property, read_junit, testsuite};

fn cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("LLCONF_CACHE") {
        return dir.into();
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
    base.join("llconf")
}

fn built() -> bool {
    std::fs::read_dir(cache().join("uml"))
        .map(|entries| {
            entries.filter_map(|e| e.ok()).any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("linux-source-7.3_")
                    && e.path().join("linux").is_file()
            })
        })
        .unwrap_or(false)
}

#[test]
fn uml_7_3_runs_base_with_abi_11_and_a_panic_is_reported() {
    if std::env::var("LLCONF_VM_TESTS").as_deref() != Ok("1") || !built() {
        println!(
            "uml_real: skipped: needs LLCONF_VM_TESTS=1 and a UML build of linux-source-7.3 \
             in {} (`llconf fetch --kernel uml-7.3`, about 5 minutes)",
            cache().join("uml").display()
        );
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_llconf"))
        .args(["run", "--kernel", "uml-7.3", "--suite", "base"])
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

    let merged = read_junit(&out.path().join("junit.xml"));
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

    let panicked = testsuite(&merged, "uml-7.3-selftest-panic/vm");
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
        .contains("sysrq triggered crash"));
}
