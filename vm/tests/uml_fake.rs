//! `llconf run` with the `uml` backend against a fake UML kernel: a shell
//! script that answers `--version` as a `linux` program does, checks the
//! command line llconf gives it, runs the plan's suites on the host and
//! sends their records as frames on fd 3, the way the guest init does over
//! UML's `ssl1`. Or it plays a kernel panic: the panic text, then SIGABRT.
//! The real kernel is built from `linux-source-6.12` by `llconf fetch
//! --kernel uml-6.12`, which takes minutes: not a test.

mod support;

use llconf_reports::quick_junit::Report;
use std::path::Path;
use std::process::{Command, Output};
use support::*;

const FAKE_UML: &str = r#"#!/bin/sh
if [ "$1" = --version ]; then echo 6.12.0-fake; exit 0; fi
# A 7.x build lists seccomp= and ncpus= among its options.
if [ "$1" = --help ]; then printf 'mem=<Amount>\nseccomp=<on/auto/off>\nncpus=<n>\n'; exit 0; fi
printf '%s\n' "$@" > "$FAKE_DIR/uml.args"
plan=
for a; do
  case "$a" in
    LLCONF_PLAN=*) plan=${a#LLCONF_PLAN=} ;;
  esac
done
echo "Linux version 6.12.0-fake"
echo "VFS: Mounted root (hostfs filesystem) readonly on device 0:15."
if [ "$(cat "$(dirname "$0")/mode")" = panic ]; then
  echo "Kernel panic - not syncing: sysrq triggered crash"
  kill -s ABRT $$
  sleep 5
fi
echo "llconf-guest: started on 6.12.0-fake"
frame() { printf '@@llconf %s\n' "$*" >&3; }
esc() { sed 's/%/%25/g; s/ /%20/g'; }
frame hello 6.12.0-fake
grep '^suite ' "$plan" | while read -r _ name path; do
  # The guest sees the host's root at /run/llconf-host.
  path=${path#/run/llconf-host}
  frame started "$name"
  LLCONF_RESULTS="$FAKE_DIR/$name.jsonl" "$path" > /dev/null 2>&1
  code=$?
  esc < "$FAKE_DIR/$name.jsonl" | while read -r line; do frame record "$name" "$line"; done
  frame exit "$name" $code
done
frame done
echo "llconf-guest: done"
exit 0
"#;

struct Uml {
    f: Fixture,
}

impl Uml {
    fn new() -> Uml {
        let f = Fixture::new();
        std::fs::create_dir_all(f.path().join("kernels")).unwrap();
        // No qemu on this PATH: a UML-only run needs none.
        std::fs::create_dir_all(f.path().join("empty-bin")).unwrap();
        for name in ["init", "true"] {
            write_exe(&f.path().join(format!("guest/{name}")), "");
        }
        Uml { f }
    }

    fn path(&self) -> &Path {
        self.f.path()
    }

    /// A UML kernel `name` whose `linux` behaves as `mode` says.
    fn kernel(&self, name: &str, mode: &str) {
        let dir = self.path().join("uml").join(name);
        write_exe(&dir.join("linux"), FAKE_UML);
        std::fs::write(dir.join("mode"), mode).unwrap();
        std::fs::write(
            self.path().join(format!("kernels/{name}.toml")),
            format!(
                "name = \"{name}\"\ndefault = true\nexpected_abi = 7\nbackend = \"uml\"\n\
                 [source]\ntype = \"local\"\npath = \"{}\"\n",
                dir.join("linux").display()
            ),
        )
        .unwrap();
    }

    fn llconf(&self) -> Command {
        let mut cmd = self.f.llconf();
        cmd.env(
            "PATH",
            format!("{}:/usr/bin:/bin", self.path().join("empty-bin").display()),
        )
        .env("FAKE_DIR", self.path())
        .env("LLCONF_CACHE", self.path().join("cache"))
        .env("LLCONF_GUEST_INIT", self.path().join("guest/init"))
        .env("LLCONF_GUEST_TRUE", self.path().join("guest/true"))
        .arg("--kernels")
        .arg(self.path().join("kernels"));
        cmd
    }

    fn run(&self, extra: &[&str]) -> Output {
        let suite = self.f.ok_suite();
        self.llconf()
            .arg("run")
            .args(extra)
            .arg(suite_bin("base", &suite))
            .output()
            .unwrap()
    }

    fn junit(&self, rel: &str) -> Report {
        read_junit(&self.f.out().join(rel))
    }
}

use support::property as prop;
use support::testsuite as suite;

#[test]
fn a_uml_kernel_runs_the_suites_from_the_host_read_only_without_qemu() {
    let u = Uml::new();
    u.kernel("uml-fake", "ok");
    let out = u.run(&[]);
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    let report = u.junit("uml-fake-default/junit.xml");
    let base = suite(&report, "base");
    assert_eq!(prop(base, "vm.backend"), Some("uml"));
    assert_eq!(prop(base, "vm.accel"), Some("none"));
    assert_eq!((base.tests, base.failures), (2, 0));
    let args = std::fs::read_to_string(u.path().join("uml.args")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    for want in [
        "root=/dev/root",
        "rootfstype=hostfs",
        "rootflags=/",
        "ro",
        "con0=null,fd:1",
        "ssl1=null,fd:3",
        "seccomp=on",
    ] {
        assert!(args.contains(&want), "{want} missing from {args:?}");
    }
    assert!(args.iter().any(|a| a.starts_with("ncpus=")), "{args:?}");
    let dir = u.f.out().join("uml-fake-default");
    let plan_arg = format!("LLCONF_PLAN={}", dir.join("plan.txt").display());
    assert!(args.contains(&plan_arg.as_str()), "{args:?}");
    let init = args.iter().find(|a| a.starts_with("init=")).unwrap();
    assert!(init.ends_with("/bin/guest/init"), "{init}");
    // The suites are read through the guest's view of the host's root.
    let plan = std::fs::read_to_string(dir.join("plan.txt")).unwrap();
    assert!(
        plan.contains(&format!(
            "suite base /run/llconf-host{}",
            u.f.out().display()
        )),
        "{plan}"
    );
    assert!(
        stdout(&out).contains("uml-fake-default  uml"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_uml_panic_fails_that_kernel_and_the_junit_stays_valid() {
    let u = Uml::new();
    u.kernel("uml-fake", "ok");
    u.kernel("uml-panics", "panic");
    let out = u.run(&[]);
    assert_eq!(code(&out), 1, "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("the UML kernel aborted (SIGABRT)"), "{text}");
    assert!(text.contains("sysrq triggered crash"), "{text}");
    let merged = u.junit("junit.xml");
    let ok = suite(&merged, "uml-fake-default/base");
    assert_eq!(ok.failures, 0);
    let vm = suite(&merged, "uml-panics-default/vm");
    assert!(vm.failures >= 1, "{vm:?}");
}

#[test]
fn uml_kernels_refuse_other_backends_and_others_refuse_uml() {
    let u = Uml::new();
    u.kernel("uml-fake", "ok");
    let out = u.run(&["--backend", "qemu-initramfs"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("`uml-fake` is a User-Mode Linux kernel"),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        u.path().join("kernels/x86.toml"),
        "name = \"x86\"\n[source]\ntype = \"local\"\npath = \"/nonexistent/vmlinuz\"\n",
    )
    .unwrap();
    let out = u.run(&["--kernel", "x86", "--backend", "uml"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("`x86` is not a User-Mode Linux kernel"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_local_uml_program_that_is_missing_fails_that_kernel_only() {
    let u = Uml::new();
    u.kernel("uml-fake", "ok");
    std::fs::write(
        u.path().join("kernels/uml-gone.toml"),
        "name = \"uml-gone\"\ndefault = true\nbackend = \"uml\"\n\
         [source]\ntype = \"local\"\npath = \"/nonexistent/linux\"\n",
    )
    .unwrap();
    let out = u.run(&[]);
    assert_eq!(code(&out), 1, "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out) + &stderr(&out);
    assert!(text.contains("/nonexistent/linux does not exist"), "{text}");
    let merged = u.junit("junit.xml");
    assert_eq!(suite(&merged, "uml-fake-default/base").failures, 0);
}
