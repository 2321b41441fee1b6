//! One real boot: `llconf run` on Debian's 6.12 (the fastest of the
//! catalogue to boot, about 20 s under TCG), with the `base` suite, plus the
//! panic self-test variant of the same kernel. Needs `llconf setup` and the
//! network (or a cached kernel); runs only with `LLCONF_VM_TESTS=1`.

mod support;

use support::{assert_panic_reported, run_base_and_panic, testsuite as suite};

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

fn prop<'a>(s: &'a llconf_reports::quick_junit::TestSuite, name: &str) -> &'a str {
    support::property(s, name)
        .unwrap_or_else(|| panic!("no property {name} on {}", s.name.as_str()))
}

#[test]
fn debian_6_12_boots_runs_base_and_a_panic_is_reported() {
    if !enabled() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let merged = run_base_and_panic("debian-6.12", out.path());
    let xml = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();

    let base = suite(&merged, "debian-6.12-default/base");
    assert!(base.tests > 0);
    assert_eq!((base.failures, base.errors), (0, 0), "{xml}");
    assert_eq!(prop(base, "landlock.abi"), "6");
    assert_eq!(prop(base, "landlock.status"), "enabled");
    assert!(prop(base, "kernel.release").starts_with("6.12."));
    assert!(prop(base, "kernel.package").starts_with("linux-image-6.12."));
    assert!(["kvm", "tcg"].contains(&prop(base, "vm.accel")));
    // The default backend: vng where KVM works, qemu-initramfs under TCG.
    let expected = match prop(base, "vm.accel") {
        "kvm" => "vng",
        _ => "qemu-initramfs",
    };
    assert_eq!(prop(base, "vm.backend"), expected);
    let vm = suite(&merged, "debian-6.12-default/vm");
    assert_eq!((vm.tests, vm.failures), (3, 0), "boot, console, abi: {xml}");

    assert_panic_reported(&merged, "debian-6.12");
}
