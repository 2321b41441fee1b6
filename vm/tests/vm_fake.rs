//! `llconf run` in VMs against a fake `vng`: a shell script that runs the
//! guest script on the host (so the fake suites write real records into the
//! shared directory), or plays a panic, a hang or a kernel warning, chosen
//! per kernel by a `mode` file next to the kernel's image. Covers the
//! timeout kill, vng's 255 and the reports on failure without booting.

mod support;

use llconf_reports::quick_junit::{NonSuccessKind, Report, TestCaseStatus, TestSuite};
use llconf_reports::record::{Record, TestRecord};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::*;

const FAKE_VNG: &str = r#"#!/bin/sh
# Fake virtme-ng: the guest is the host.
printf '%s\n' "$@" > "$FAKE_DIR/vng.args"
echo $$ > "$FAKE_DIR/vng.pid"
image= exec_cmd=
while [ $# -gt 0 ]; do
  case "$1" in
    -r) image=$2; shift 2 ;;
    --exec) exec_cmd=$2; shift 2 ;;
    --rwdir|--cwd|--cpus|--memory|--append) shift 2 ;;
    *) shift ;;
  esac
done
mode=$(cat "$(dirname "$image")/mode" 2>/dev/null || echo ok)
echo "[    0.000000] Linux version 6.12.0-fake" >&2
case "$mode" in
  hang) sleep 300; exit 0 ;;
  panic)
    echo "[    1.500000] sysrq: Trigger a crash" >&2
    echo "[    1.500001] Kernel panic - not syncing: sysrq triggered crash" >&2
    echo "[    1.500002] CPU: 0 UID: 0 PID: 1 Comm: sh" >&2
    exit 255 ;;
esac
FAKE_MODE=$mode PATH="$FAKE_DIR/guest-bin:$PATH" sh -c "$exec_cmd"
"#;

/// The guest's dmesg; `warn` mode adds a kernel warning.
const FAKE_DMESG: &str = r#"#!/bin/sh
echo "[    0.000000] Linux version 6.12.0-fake"
if [ "$FAKE_MODE" = warn ]; then
  echo "[    3.000000] WARNING: CPU: 0 PID: 7 at security/landlock/fs.c:42 hook+0x1/0x2"
  echo "[    3.000001] Call Trace:"
  echo "[    3.000002] ---[ end trace 0000000000000000 ]---"
fi
"#;

struct Vm {
    f: Fixture,
}

impl Vm {
    fn new() -> Vm {
        let f = Fixture::new();
        write_exe(&f.path().join("bin/vng"), FAKE_VNG);
        // Found before any real qemu, so that the tests need none.
        write_exe(
            &f.path().join("bin/qemu-system-x86_64"),
            "#!/bin/sh\nexit 0\n",
        );
        write_exe(&f.path().join("guest-bin/dmesg"), FAKE_DMESG);
        std::fs::create_dir_all(f.path().join("kernels")).unwrap();
        Vm { f }
    }

    fn path(&self) -> &Path {
        self.f.path()
    }

    /// A catalogue entry booting a fake image that behaves as `mode` says.
    fn kernel(&self, name: &str, abi: u32, variants: &str, mode: &str) {
        let image_dir = self.path().join("images").join(name);
        std::fs::create_dir_all(&image_dir).unwrap();
        std::fs::write(image_dir.join("vmlinuz"), "").unwrap();
        std::fs::write(image_dir.join("mode"), mode).unwrap();
        std::fs::write(
            self.path().join(format!("kernels/{name}.toml")),
            format!(
                "name = \"{name}\"\ndefault = true\nexpected_abi = {abi}\n\
                 variants = {variants}\nbackend = \"vng\"\n[source]\ntype = \"local\"\npath = \"{}\"\n",
                image_dir.join("vmlinuz").display()
            ),
        )
        .unwrap();
    }

    fn ok_suite(&self) -> PathBuf {
        self.f.ok_suite()
    }

    fn llconf(&self) -> Command {
        let mut cmd = self.f.llconf();
        let path = format!(
            "{}:{}",
            self.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.env("PATH", path)
            .env("FAKE_DIR", self.path())
            .env("LLCONF_CACHE", self.path().join("cache"))
            .env("LLCONF_VNG", self.path().join("bin/vng"))
            .arg("--kernels")
            .arg(self.path().join("kernels"));
        cmd
    }

    fn run(&self, extra: &[&str], suite: &Path) -> Output {
        self.llconf()
            .args(["run", "--accel", "tcg"])
            .args(extra)
            .arg(suite_bin("base", suite))
            .output()
            .unwrap()
    }

    fn out(&self) -> PathBuf {
        self.f.out()
    }

    fn junit(&self, rel: &str) -> Report {
        read_junit(&self.out().join(rel))
    }
}

use support::testsuite as suite;

fn case<'a>(s: &'a TestSuite, name: &str) -> &'a llconf_reports::quick_junit::TestCase {
    support::find_case(s, name)
}

use support::property as prop;

fn failure_message(c: &llconf_reports::quick_junit::TestCase) -> String {
    match &c.status {
        TestCaseStatus::NonSuccess { message, .. } => {
            message.as_ref().map(|m| m.to_string()).unwrap_or_default()
        }
        other => panic!("{} did not fail: {other:?}", c.name.as_str()),
    }
}

#[test]
fn two_kernels_give_per_target_and_merged_reports() {
    let vm = Vm::new();
    vm.kernel("k-one", 7, "[\"default\", \"audit-off\"]", "ok");
    vm.kernel("k-two", 7, "[\"default\"]", "ok");
    let output = vm.run(&[], &vm.ok_suite());
    assert_eq!(
        code(&output),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&output),
        stderr(&output)
    );
    let out = stdout(&output);
    assert!(out.contains("k-one-audit-off"), "{out}");
    assert!(
        out.contains(
            "total: 3 passed, 0 failed, 0 known failures, 3 skipped; 0 of 3 VM runs failed"
        ),
        "{out}"
    );

    // The variant's command line reached vng.
    let args = std::fs::read_to_string(vm.path().join("vng.args")).unwrap();
    assert!(args.contains("--disable-kvm\n"), "{args}");
    assert!(args.contains("--rwdir\n"), "{args}");

    let one = vm.junit("k-one-default/junit.xml");
    let base = suite(&one, "base");
    assert_eq!((base.tests, base.failures, base.errors), (2, 0, 0));
    assert_eq!(prop(base, "landlock.abi"), Some("7"));
    assert_eq!(prop(base, "vm.accel"), Some("tcg"));
    assert_eq!(prop(base, "vm.backend"), Some("vng"));
    assert_eq!(prop(base, "kernel.package"), Some("none"));
    let x = case(base, "base::a::x");
    assert_eq!(x.classname.as_ref().unwrap().as_str(), "landlock.base.a");
    let vmsuite = suite(&one, "vm");
    assert_eq!((vmsuite.tests, vmsuite.failures), (3, 0));

    let merged = vm.junit("junit.xml");
    assert_eq!(merged.test_suites.len(), 6, "3 targets × (base + vm)");
    assert_eq!((merged.failures, merged.errors), (0, 0));
    let audit = suite(&merged, "k-one-audit-off/base");
    assert_eq!(prop(audit, "kernel.id"), Some("k-one-audit-off"));
    assert_eq!(prop(audit, "kernel.append"), Some("audit=0"));
    for c in &audit.test_cases {
        let cn = c.classname.as_ref().unwrap().as_str();
        assert!(cn.starts_with("landlock.k-one-audit-off."), "{cn}");
    }

    // Every record, wrapped with its target.
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(vm.out().join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3 * 4);
    // Targets finish in any order (two guests at once, the longest first);
    // each one's records stay in order.
    let first = lines
        .iter()
        .find(|l| l["kernel"] == "k-one" && l["variant"] == "default")
        .expect("records of k-one-default");
    assert_eq!(first["record"]["type"], "suite_started");

    // The guests ran a snapshot of the suite binary, not the original.
    let guest = std::fs::read_to_string(vm.out().join("k-two-default/guest.sh")).unwrap();
    let snapshot = vm.out().join("bin/base");
    assert!(
        guest.contains(&format!("'{}'", snapshot.display())),
        "{guest}"
    );
    assert!(snapshot.is_file());

    let dir = vm.out().join("k-two-default");
    for f in [
        "console.log",
        "logs/base.log",
        "results/base.jsonl",
        "dmesg.txt",
        "guest.sh",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let console = std::fs::read_to_string(dir.join("console.log")).unwrap();
    assert!(console.contains("Linux version 6.12.0-fake"), "{console}");
    assert!(console.contains("llconf-guest: done"), "{console}");
}

#[test]
fn a_guest_panic_fails_that_kernel_only_and_keeps_the_junit_valid() {
    let vm = Vm::new();
    vm.kernel("k-panics", 7, "[\"default\"]", "panic");
    vm.kernel("k-fine", 7, "[\"default\"]", "ok");
    let output = vm.run(&[], &vm.ok_suite());
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("1 of 2 VM runs failed"), "{out}");
    assert!(out.contains("vng exit code 255"), "{out}");

    let merged = vm.junit("junit.xml");
    let fine = suite(&merged, "k-fine-default/base");
    assert_eq!((fine.tests, fine.failures, fine.errors), (2, 0, 0));
    let panicked = suite(&merged, "k-panics-default/vm");
    let boot = case(panicked, "vm::boot");
    assert!(failure_message(boot).contains("exited unexpectedly"));
    let console = case(panicked, "vm::console");
    assert!(failure_message(console).contains("kernel panic"));
    let err = console.system_err.as_ref().unwrap().as_str();
    assert!(
        err.contains("sysrq triggered crash") && err.contains("Comm: sh"),
        "{err}"
    );
    // The listed tests that never ran are errors, not silently missing.
    let base = suite(&merged, "k-panics-default/base");
    let x = case(base, "base::a::x");
    assert!(
        matches!(
            &x.status,
            TestCaseStatus::NonSuccess { kind: NonSuccessKind::Error, message: Some(m), .. }
                if m.as_str().contains("not run") && m.as_str().contains("255")
        ),
        "{:?}",
        x.status
    );
}

#[test]
fn a_hung_vm_is_killed_at_the_limit_and_still_reported() {
    let vm = Vm::new();
    vm.kernel("k-hangs", 7, "[\"default\"]", "hang");
    let start = Instant::now();
    let output = vm.run(&["--vm-timeout", "2"], &vm.ok_suite());
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    let report = vm.junit("k-hangs-default/junit.xml");
    let boot = case(suite(&report, "vm"), "vm::boot");
    assert!(failure_message(boot).contains("ran past its 2 s limit"));
    let base = suite(&report, "base");
    assert_eq!(base.errors, 2, "both listed tests never ran");
    // vng's whole process group is gone, not only vng.
    let pid: i32 = std::fs::read_to_string(vm.path().join("vng.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let alive = Path::new(&format!("/proc/{pid}")).exists();
    assert!(!alive, "the fake vng (pid {pid}) survived");
}

#[test]
fn a_suite_hung_mid_run_keeps_what_it_reported() {
    let vm = Vm::new();
    vm.kernel("k", 7, "[\"default\"]", "ok");
    let records = [started("base", 3), passed("base::a::x")];
    let jsonl: String = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    let script = vm.path().join("hanging-suite");
    write_exe(
        &script,
        &format!(
            "#!/bin/sh\nif [ \"$1\" = --list ]; then\n\
             printf 'base::a::x: test\\nbase::a::y: test\\nbase::a::z: test\\n'; exit 0\nfi\n\
             cat >> \"$LLCONF_RESULTS\" <<'EOF'\n{jsonl}EOF\nsleep 300\n"
        ),
    );
    let output = vm.run(&["--vm-timeout", "3"], &script);
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    let report = vm.junit("k-default/junit.xml");
    let base = suite(&report, "base");
    // x passed; y and z never ran; the suite binary itself is a failed case.
    assert_eq!((base.tests, base.errors, base.failures), (4, 2, 1));
    assert!(matches!(
        case(base, "base::a::x").status,
        TestCaseStatus::Success { .. }
    ));
}

#[test]
fn a_warning_in_dmesg_fails_a_run_whose_tests_all_passed() {
    let vm = Vm::new();
    vm.kernel("k", 7, "[\"default\"]", "warn");
    let output = vm.run(&[], &vm.ok_suite());
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    let report = vm.junit("k-default/junit.xml");
    assert_eq!(suite(&report, "base").failures, 0);
    let console = case(suite(&report, "vm"), "vm::console");
    assert!(failure_message(console).contains("WARNING"));
    assert!(console
        .system_err
        .as_ref()
        .unwrap()
        .as_str()
        .contains("security/landlock/fs.c:42"));
}

#[test]
fn another_abi_than_expected_is_a_regression() {
    let vm = Vm::new();
    vm.kernel("k", 10, "[\"default\"]", "ok");
    let output = vm.run(&[], &vm.ok_suite());
    assert_eq!(code(&output), 1);
    assert!(
        stdout(&output).contains("ABI regression: expected 10, got 7"),
        "{}",
        stdout(&output)
    );
    let report = vm.junit("junit.xml");
    let abi = case(suite(&report, "k-default/vm"), "vm::abi");
    assert_eq!(failure_message(abi), "ABI regression: expected 10, got 7");
}

#[test]
fn an_enforcement_test_passing_without_landlock_fails_the_variant() {
    let vm = Vm::new();
    vm.kernel("k", 7, "[\"no-landlock\"]", "ok");
    let mut kernel_off = started("base", 1);
    if let Record::SuiteStarted(s) = &mut kernel_off {
        s.kernel.landlock = llconf_reports::record::LandlockStatus::Disabled;
        s.kernel.abi = None;
    }
    let enforced = Record::TestFinished(
        TestRecord::passed("base::fs::read::denied", 1.0)
            .with_enforcement(true)
            .with_restrict_self_calls(1),
    );
    let suite_bin = vm.f.suite(
        "base",
        &[kernel_off, enforced, finished("base", 1, 0, 0)],
        None,
        End::Exit(0),
    );
    let output = vm.run(&["--variant", "no-landlock"], &suite_bin);
    assert_eq!(code(&output), 1);
    let args = std::fs::read_to_string(vm.path().join("vng.args")).unwrap();
    assert!(args.contains("lsm=lockdown,capability,yama"), "{args}");
    let report = vm.junit("k-no-landlock/junit.xml");
    let check = case(suite(&report, "vm"), "vm::landlock-off");
    assert!(failure_message(check).contains("1 enforcement tests passed"));
    assert!(failure_message(check).contains("base::fs::read::denied"));
}

#[test]
fn an_unknown_kernel_is_refused_naming_the_known_ones() {
    let vm = Vm::new();
    vm.kernel("k-one", 7, "[\"default\"]", "ok");
    let output = vm.run(&["--kernel", "k-nine"], &vm.ok_suite());
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.contains("unknown kernel `k-nine`") && err.contains("k-one"),
        "{err}"
    );
    assert!(!vm.out().exists(), "output was created anyway");
}

#[test]
fn a_malformed_definition_names_file_line_and_column() {
    let vm = Vm::new();
    vm.kernel("k-one", 7, "[\"default\"]", "ok");
    let bad = vm.path().join("kernels/broken.toml");
    std::fs::write(
        &bad,
        "name = \"broken\"\n[source]\ntype = \"debian\"\nseries = 6.12.1\n",
    )
    .unwrap();
    let output = vm.run(&[], &vm.ok_suite());
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(err.contains(&format!("{}:4:14:", bad.display())), "{err}");
}

#[test]
fn missing_vng_or_qemu_names_llconf_setup() {
    let vm = Vm::new();
    vm.kernel("k-one", 7, "[\"default\"]", "ok");
    let output = vm
        .llconf()
        .env("LLCONF_VNG", vm.path().join("no-vng"))
        .args(["run", "--accel", "tcg", &suite_bin("base", &vm.ok_suite())])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(err.contains("vng") && err.contains("llconf setup"), "{err}");

    // A PATH with nothing on it but a directory without qemu.
    let empty = vm.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let output = vm
        .llconf()
        .env("PATH", &empty)
        .args(["run", "--accel", "tcg", &suite_bin("base", &vm.ok_suite())])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.contains("qemu-system-x86_64") && err.contains("llconf setup"),
        "{err}"
    );
}

#[test]
fn a_missing_kernel_image_fails_that_kernel_and_the_others_run() {
    let vm = Vm::new();
    vm.kernel("k-fine", 7, "[\"default\"]", "ok");
    std::fs::write(
        vm.path().join("kernels/k-gone.toml"),
        "name = \"k-gone\"\ndefault = true\nbackend = \"vng\"\n[source]\ntype = \"local\"\npath = \"/nonexistent/vmlinuz\"\n",
    )
    .unwrap();
    let output = vm.run(&[], &vm.ok_suite());
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    let merged = vm.junit("junit.xml");
    assert_eq!(suite(&merged, "k-fine-default/base").failures, 0);
    let boot = case(suite(&merged, "k-gone-default/vm"), "vm::boot");
    assert!(failure_message(boot).contains("/nonexistent/vmlinuz"));
}

#[test]
fn ktap_nests_targets_and_report_shows_a_dead_target_as_errors() {
    let vm = Vm::new();
    vm.kernel("k-panics", 7, "[\"default\"]", "panic");
    vm.kernel("k-fine", 7, "[\"default\"]", "ok");
    let output = vm.run(&["--format", "ktap", "--jobs", "1"], &vm.ok_suite());
    assert_eq!(code(&output), 1, "stderr:\n{}", stderr(&output));
    let out = stdout(&output);
    // Only KTAP on stdout; the summary table went to stderr.
    assert!(out.starts_with("KTAP version 1\n1..2\n"), "{out}");
    assert!(stderr(&output).contains("1 of 2 VM runs failed"));
    assert!(
        out.contains(
            "    KTAP version 1\n    # Subtest: k-fine-default\n    \
             # kernel 6.12.0-fake landlock enabled abi 7 errata 0x7\n    1..1\n        \
             KTAP version 1\n        # Subtest: base\n        1..2\n        ok 1 base::a::x\n        \
             ok 2 base::a::y # SKIP needs Landlock ABI 9\n    ok 1 base\n"
        ),
        "{out}"
    );
    assert!(out.contains("ok 1 k-fine-default\n") || out.contains("ok 2 k-fine-default\n"));
    assert!(
        out.contains("# vm::boot: the VM exited unexpectedly"),
        "{out}"
    );
    assert!(out.contains(" k-panics-default\n"));
    assert!(out.contains("\nnot ok "), "{out}");
    assert!(out.ends_with("# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:1 error:0\n"));

    // target.json of each target, and the report reads the dead one from it.
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(vm.out().join("k-panics-default/target.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["backend"], "vng");
    assert!(meta["problems"][0]
        .as_str()
        .unwrap()
        .starts_with("vm::boot: the VM exited unexpectedly"));
    let report = vm.llconf().arg("report").arg(vm.out()).output().unwrap();
    assert_eq!(code(&report), 0, "stderr:\n{}", stderr(&report));
    assert!(
        stdout(&report).starts_with(
            "2 targets × 2 tests: 1 passed, 0 failed, 2 errors, 0 known failures, 1 skipped"
        ),
        "{}",
        stdout(&report)
    );
    let md = std::fs::read_to_string(vm.out().join("report.md")).unwrap();
    assert!(md.contains("| base | ✅ 1 ⏭️ 1 | ⚠️ 2 ✅ 0 |"), "{md}");
    assert!(md.contains("- **k-panics-default**: vm::boot: the VM exited unexpectedly"));
}

#[test]
fn a_known_failure_is_named_per_kernel_and_fails_only_a_strict_run() {
    let vm = Vm::new();
    vm.kernel("k-one", 7, "[\"default\"]", "ok");
    let suite = vm.f.suite(
        "base",
        &[
            support::started("base", 2),
            support::passed("base::a::x"),
            support::known_failure("base::a::y"),
            support::finished("base", 1, 0, 0),
        ],
        None,
        support::End::Exit(0),
    );
    let output = vm.run(&[], &suite);
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains(
            "known kernel bugs and missing fixes:\n  k-one-default: subdomains-off-fork\n  \
             - subdomains-off-fork: the flag is lost on fork; fixed by"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "total: 1 passed, 0 failed, 1 known failures, 0 skipped; 0 of 1 VM run failed"
        ),
        "{out}"
    );

    let strict = vm.run(&["--strict"], &suite);
    assert_eq!(code(&strict), 1, "stdout:\n{}", stdout(&strict));
    assert!(
        stdout(&strict).contains("1 of 1 VM run failed"),
        "{}",
        stdout(&strict)
    );
}
