//! `llconf coverage` and `llconf mutants` end to end on a stand-in kernel
//! tree: its Makefile answers the targets of llconf's UML build, and `make
//! linux` compiles a small C program with gcov into `security/landlock/` of
//! the build folder, beside a fake `linux` that runs the plan's suites on
//! the host, sends their records and output as frames on fd 3, then runs
//! that program with the number of suites it ran, and prints a kernel
//! warning when the program's answer is wrong. So the counters are real
//! gcov counters, read by the real lcov (one suite more moves the count),
//! and a mutant planted in the program is caught or missed for real. The
//! real kernel's builds take minutes: not a test.

mod support;

use llconf_reports::coverage::CoverageReport;
use llconf_reports::quick_junit::Report;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::*;

const MAKEFILE: &str = "\
# A stand-in kernel tree: the targets llconf's UML build runs.
O ?= .
defconfig:
\tmkdir -p $(O)
\tprintf 'CONFIG_SECURITY_LANDLOCK=y\\nCONFIG_HOSTFS=y\\nCONFIG_SECURITYFS=y\\nCONFIG_DEVTMPFS=y\\n' > $(O)/.config
olddefconfig:
\ttrue
linux:
\tif [ -f \"$$FAKE_DIR/flake-on-mutant\" ] && ! cmp -s security/landlock/fake.c \"$$FAKE_DIR/tree/security/landlock/fake.c\"; then mv \"$$FAKE_DIR/flake-on-mutant\" \"$$FAKE_DIR/flake-once\"; fi
\tif [ -f \"$$FAKE_DIR/hang-mutant-build\" ] && ! cmp -s security/landlock/fake.c \"$$FAKE_DIR/tree/security/landlock/fake.c\"; then touch \"$$FAKE_DIR/building\"; sleep 60; fi
\tmkdir -p $(O)/security/landlock $(O)/include/config
\tcd $(O)/security/landlock && gcc --coverage -c $(CURDIR)/security/landlock/fake.c -o fake.o && gcc --coverage fake.o -o fake-kernel
\tcp $(CURDIR)/fake-linux.sh $(O)/linux && chmod +x $(O)/linux
\techo 0.0.1-fake > $(O)/include/config/kernel.release
headers_install:
\tmkdir -p $(O)/usr/include
.PHONY: defconfig olddefconfig linux headers_install
";

/// Which functions run depends on how many suites the guest ran; a wrong
/// sum is the kernel bug the fake `linux` reports.
const FAKE_C: &str = "\
#include <stdlib.h>
static int first(void) { return 1; }
static int second(void) { return 2; }
static int third(void) { return 4; }
int main(int argc, char **argv)
{
\tint n = argc > 1 ? atoi(argv[1]) : 0;
\tint r = 0;
\tif (n >= 1)
\t\tr += first();
\tif (n >= 2)
\t\tr += second();
\tif (n >= 3)
\t\tr += third();
\treturn r != (1 << (n < 3 ? n : 3)) - 1;
}
";

const FAKE_LINUX: &str = r#"#!/bin/sh
if [ "$1" = --version ]; then echo 0.0.1-fake; exit 0; fi
if [ "$1" = --help ]; then printf 'mem=<Amount>\n'; exit 0; fi
plan=
for a; do
  case "$a" in
    LLCONF_PLAN=*) plan=${a#LLCONF_PLAN=} ;;
  esac
done
echo "llconf-guest: started on 0.0.1-fake"
frame() { printf '@@llconf %s\n' "$*" >&3; }
esc() { sed 's/%/%25/g; s/ /%20/g'; }
frame hello 0.0.1-fake
ran=0
for entry in $(grep '^suite ' "$plan" | sed 's/^suite //; s/ /=/'); do
  name=${entry%%=*}
  path=${entry#*=}
  path=${path#/run/llconf-host}
  frame started "$name"
  rm -f "$FAKE_DIR/$name.jsonl"
  LLCONF_RESULTS="$FAKE_DIR/$name.jsonl" "$path" > "$FAKE_DIR/$name.log" 2>&1
  code=$?
  if [ -f "$FAKE_DIR/$name.jsonl" ]; then
    esc < "$FAKE_DIR/$name.jsonl" | while read -r line; do frame record "$name" "$line"; done
  fi
  esc < "$FAKE_DIR/$name.log" | while read -r line; do frame log "$name" "$line%0A"; done
  frame exit "$name" $code
  ran=$((ran + 1))
done
# The kernel's code, as much of it as the suites made run; gcov writes
# its counters when it exits, as UML's do at power-off.
if ! "$(dirname "$0")/security/landlock/fake-kernel" $ran; then
  echo "WARNING: CPU: 0 PID: 1 at security/landlock/fake.c:5 main"
fi
frame done
echo "llconf-guest: done"
exit 0
"#;

const KSFT_MAKEFILE: &str = "\
all:
\tmkdir -p $(OUTPUT)
\tcp fake_test.sh $(OUTPUT)/fake_test && chmod +x $(OUTPUT)/fake_test
";

/// A selftest in kselftest's TAP, which needs a writable working folder.
const KSFT_TEST: &str = "#!/bin/sh
mkdir tmp || exit 1
echo 'TAP version 13'
echo '1..2'
echo 'ok 1 fake.passes'
echo 'ok 2 fake.skips # SKIP not here'
";

struct Tree {
    f: Fixture,
}

impl Tree {
    fn new() -> Tree {
        let f = Fixture::new();
        let tree = f.path().join("tree");
        let w = |rel: &str, text: &str| {
            let p = tree.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w("Makefile", MAKEFILE);
        w("security/landlock/fake.c", FAKE_C);
        w("fake-linux.sh", FAKE_LINUX);
        // Already keeps gcov's writer: a tree is checked, never patched.
        w(
            "arch/um/include/asm/common.lds.S",
            "  .fini_array : { KEEP(*(SORT_BY_INIT_PRIORITY(.fini_array.*))) }\n",
        );
        w("tools/testing/selftests/landlock/Makefile", KSFT_MAKEFILE);
        w("tools/testing/selftests/landlock/fake_test.sh", KSFT_TEST);
        write_exe(
            &tree.join("scripts/kconfig/merge_config.sh"),
            "#!/bin/sh\nexit 0\n",
        );
        for name in ["init", "true"] {
            write_exe(&f.path().join(format!("guest/{name}")), "");
        }
        std::fs::create_dir_all(f.path().join("kernels")).unwrap();
        std::fs::write(
            f.path().join("kernels/fake-uml.toml"),
            format!(
                "name = \"fake-uml\"\nexpected_abi = 7\nbackend = \"uml\"\n\
                 [source]\ntype = \"build\"\npath = \"{}\"\nbuilder = \"uml\"\n",
                tree.display()
            ),
        )
        .unwrap();
        // llconf's fragments, as the build merges them.
        for frag in [
            "landlock.config",
            "uml.config",
            "coverage.config",
            "mutants.config",
        ] {
            std::fs::write(f.path().join("kernels").join(frag), "").unwrap();
        }
        Tree { f }
    }

    fn coverage(&self, out: &str, extra: &[&str]) -> Output {
        let base = self.f.ok_suite();
        Command::new(env!("CARGO_BIN_EXE_llconf"))
            .current_dir(self.f.path())
            .env_remove("LLCONF_RESULTS")
            .env("FAKE_DIR", self.f.path())
            // The selftests' wrappers work in the guest's /tmp; here, the
            // fixture's.
            .env("TMPDIR", self.f.path())
            .env("LLCONF_CACHE", self.f.path().join("cache"))
            .env("LLCONF_GUEST_INIT", self.f.path().join("guest/init"))
            .env("LLCONF_GUEST_TRUE", self.f.path().join("guest/true"))
            .arg("--kernels")
            .arg(self.f.path().join("kernels"))
            .args(["coverage", "--kernel", "fake-uml", "--out", out])
            .arg(suite_bin("base", &base))
            .args(extra)
            .output()
            .unwrap()
    }

    fn report(&self, out: &str) -> CoverageReport {
        let text = std::fs::read_to_string(self.f.path().join(out).join("coverage.json"))
            .expect("coverage.json");
        serde_json::from_str(&text).unwrap()
    }

    /// `llconf mutants` of the stand-in's fake.c.
    fn mutants(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_llconf"));
        c.current_dir(self.f.path())
            .env_remove("LLCONF_RESULTS")
            .env("FAKE_DIR", self.f.path())
            .env("LLCONF_CACHE", self.f.path().join("cache"))
            .env("LLCONF_GUEST_INIT", self.f.path().join("guest/init"))
            .env("LLCONF_GUEST_TRUE", self.f.path().join("guest/true"))
            .arg("--kernels")
            .arg(self.f.path().join("kernels"))
            .args(["mutants", "--kernel", "fake-uml"])
            .args(["--file", "security/landlock/fake.c"]);
        c
    }

    fn dir(&self, rel: &str) -> PathBuf {
        self.f.path().join(rel)
    }
}

/// lcov reads the counters; CI installs it with `llconf setup`.
fn have_lcov() -> bool {
    let found = ["lcov", "genhtml", "gcov", "gcc", "make"]
        .iter()
        .all(|t| Path::new("/usr/bin").join(t).exists());
    if !found {
        eprintln!("skipped: lcov, gcc or make is not installed (`llconf setup` installs lcov)");
    }
    found
}

fn ok(output: &Output) {
    assert_eq!(code(output), 0, "{}\n{}", stdout(output), stderr(output));
}

#[test]
fn the_counters_are_read_and_one_suite_more_moves_them() {
    if !have_lcov() {
        return;
    }
    let t = Tree::new();
    let one = t.coverage("one", &[]);
    ok(&one);
    let r1 = t.report("one");
    assert_eq!(r1.kernel, "fake-uml");
    assert_eq!(r1.directory, "security/landlock");
    let llconf = r1.column("llconf").expect("an llconf column");
    assert_eq!(llconf.files.len(), 1, "{llconf:?}");
    assert_eq!(llconf.files[0].file, "fake.c");
    let hit1 = llconf.total.lines.hit;
    assert!(hit1 > 0 && hit1 < llconf.total.lines.total, "{llconf:?}");
    assert!(stdout(&one).contains("coverage of security/landlock on fake-uml"));
    assert!(std::fs::read_to_string(t.dir("one/coverage.md"))
        .unwrap()
        .contains("| fake.c |"));
    assert!(t.dir("one/coverage/html/llconf/index.html").is_file());
    assert!(t.dir("one/coverage/llconf.info").is_file());
    let junit =
        Report::deserialize_from_str(&std::fs::read_to_string(t.dir("one/junit.xml")).unwrap())
            .unwrap();
    assert!(junit.test_suites.iter().any(|s| s.name.as_str() == "base"));

    // A second suite: more of the kernel runs, and the count says so.
    let fs = t.f.suite(
        "fs",
        &[
            started("fs", 1),
            passed("fs::a::x"),
            finished("fs", 1, 0, 0),
        ],
        None,
        End::Exit(0),
    );
    let two = t.coverage("two", &[&suite_bin("fs", &fs)]);
    ok(&two);
    let hit2 = t.report("two").column("llconf").unwrap().total.lines.hit;
    assert!(hit2 > hit1, "{hit1} lines with one suite, {hit2} with two");

    let diff = Command::new(env!("CARGO_BIN_EXE_llconf"))
        .args(["coverage", "--diff"])
        .arg(t.dir("one"))
        .arg(t.dir("two/coverage.json"))
        .output()
        .unwrap();
    ok(&diff);
    let total = stdout(&diff)
        .lines()
        .find(|l| l.starts_with("total"))
        .unwrap_or_default()
        .to_string();
    assert!(
        total.ends_with(&format!("+{}", hit2 - hit1)),
        "{}",
        stdout(&diff)
    );
}

#[test]
fn the_kernel_s_selftests_run_beside_on_the_same_build() {
    if !have_lcov() {
        return;
    }
    if !Path::new("/usr/include/sys/capability.h").exists() {
        eprintln!("skipped: libcap-dev is not installed (`llconf setup` installs it)");
        return;
    }
    let t = Tree::new();
    let out = t.coverage("peer", &["--peer", "ksft"]);
    ok(&out);
    let r = t.report("peer");
    let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["llconf", "ksft", "union"]);
    // Both ran one program: the same lines, so neither reaches one alone.
    assert_eq!(
        r.column("llconf").unwrap().total.lines,
        r.column("ksft").unwrap().total.lines
    );
    assert!(r.only.values().all(Vec::is_empty), "{:?}", r.only);
    let junit =
        Report::deserialize_from_str(&std::fs::read_to_string(t.dir("peer/junit.xml")).unwrap())
            .unwrap();
    let ksft = junit
        .test_suites
        .iter()
        .find(|s| s.name.as_str() == "ksft.fake_test")
        .unwrap_or_else(|| panic!("no ksft.fake_test suite"));
    assert_eq!((ksft.tests, ksft.failures, ksft.errors), (2, 0, 0));
    assert!(stdout(&out).contains("the kernel's selftests: 1 passed, 0 failed, 1 skipped"));
    let md = std::fs::read_to_string(t.dir("peer/coverage.md")).unwrap();
    assert!(
        md.contains("ksft lines") && md.contains("union lines"),
        "{md}"
    );
    assert!(t.dir("peer/coverage/html/ksft/index.html").is_file());
}

#[test]
fn mutants_are_planted_in_a_copy_built_run_and_judged() {
    if !have_lcov() {
        return;
    }
    let t = Tree::new();
    let fake_c = t.dir("tree/security/landlock/fake.c");
    let before = std::fs::read(&fake_c).unwrap();
    let base = t.f.ok_suite();
    let llconf = || t.mutants();
    let listed = llconf().arg("--list").output().unwrap();
    ok(&listed);
    assert!(stdout(&listed).contains("security/landlock/fake.c:9:5:negate-condition"));
    let one = llconf()
        .args([
            "--list",
            "--mutant",
            "security/landlock/fake.c:9:5:negate-condition",
        ])
        .output()
        .unwrap();
    ok(&one);
    assert!(
        stdout(&one).contains("\n1 mutants in 1 files"),
        "{}",
        stdout(&one)
    );
    let unknown = llconf()
        .args(["--list", "--mutant", "fake.c:1:1:x"])
        .output()
        .unwrap();
    assert_eq!(code(&unknown), 2);
    assert!(
        stderr(&unknown).contains("no such mutant"),
        "{}",
        stderr(&unknown)
    );
    let peer =
        Path::new("/usr/include/sys/capability.h").exists() && Path::new("/usr/bin/rsync").exists();
    let mut cmd = llconf();
    cmd.args(["--out", "m"]).arg(suite_bin("base", &base));
    if peer {
        cmd.args(["--peer", "ksft"]);
    }
    let out = cmd.output().unwrap();
    ok(&out);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.dir("m/mutants.json")).unwrap()).unwrap();
    let outcome = |id: &str| -> (String, Vec<String>) {
        let m = json["mutants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no mutant {id}"));
        let killers = m["killers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        (m["outcome"].as_str().unwrap().to_string(), killers)
    };
    // One suite ran: the first sum matters, the third does not.
    assert_eq!(
        outcome("security/landlock/fake.c:9:5:negate-condition"),
        ("caught".into(), vec!["vm::console".into()])
    );
    assert_eq!(
        outcome("security/landlock/fake.c:13:8:comparison").0,
        "missed",
        "n >= 3 made n > 3 changes nothing with one suite"
    );
    assert_eq!(json["baseline"]["passed"], 1);
    if peer {
        // The selftests' run sees the same kernel warning.
        let m = json["mutants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "security/landlock/fake.c:9:5:negate-condition")
            .unwrap();
        assert_eq!(m["ksft"]["outcome"], "caught");
        assert_eq!(json["ksft_baseline"]["passed"], 1, "fake.passes");
        assert!(stdout(&out).contains("either"));
    }
    let missed = std::fs::read_to_string(t.dir("m/missed.txt")).unwrap();
    assert!(missed.contains("-\tif (n >= 3)\n+\tif (n > 3)"), "{missed}");
    assert!(stdout(&out).contains("judged"));
    // The tree read is as it was; the copy holds no mutant.
    assert_eq!(std::fs::read(&fake_c).unwrap(), before);
    let copy = t.dir("cache/uml/mutants-fake-uml/src/security/landlock/fake.c");
    assert_eq!(std::fs::read(copy).unwrap(), before);
    // The copy's build remembers the fragments it was configured with; a
    // fragment changed, the next run configures it again.
    let stamp = t.dir("cache/uml/mutants-fake-uml/build/.llconf-fragments");
    let first = std::fs::read_to_string(&stamp).unwrap();
    std::fs::write(
        t.dir("kernels/mutants.config"),
        "# CONFIG_GCOV is not set\n",
    )
    .unwrap();
    let again = llconf()
        .args([
            "--out",
            "m2",
            "--mutant",
            "security/landlock/fake.c:9:5:negate-condition",
        ])
        .arg(suite_bin("base", &base))
        .output()
        .unwrap();
    ok(&again);
    assert_ne!(std::fs::read_to_string(&stamp).unwrap(), first);
}

/// Ctrl-C while a mutant builds: the build killed by the signal is no
/// verdict on the mutant, so it is not recorded as unviable, and --resume
/// judges it again.
#[test]
fn a_mutant_whose_build_ctrl_c_killed_is_not_recorded() {
    use std::os::unix::process::CommandExt;
    use std::time::Duration;
    if !have_lcov() {
        return;
    }
    let t = Tree::new();
    let base = t.f.ok_suite();
    // The unmutated build goes through; a mutant's hangs.
    std::fs::write(t.dir("hang-mutant-build"), "").unwrap();
    let child = t
        .mutants()
        .args(["--out", "m"])
        .arg(suite_bin("base", &base))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    wait_for("a mutant's build", Duration::from_secs(120), || {
        t.dir("building").exists()
    });
    // The build that leaves the kernel unmutated must go through.
    std::fs::remove_file(t.dir("hang-mutant-build")).unwrap();
    // As the terminal sends it: to the whole process group.
    nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{:?}\n{}\n{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
    assert!(stderr(&out).contains("not recorded"), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.dir("m/mutants.json")).unwrap()).unwrap();
    let outcomes: Vec<&str> = json["mutants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["outcome"].as_str().unwrap())
        .collect();
    assert!(outcomes.is_empty(), "{outcomes:?}");
}

/// A test that fails on a mutant once and passes when run on it again
/// flaked on its own: the mutant is not counted as caught, and the test is
/// named as flaky.
#[test]
fn a_catch_that_does_not_fail_again_is_a_flake_not_a_kill() {
    if !have_lcov() {
        return;
    }
    let t = Tree::new();
    let passes = t.f.ok_suite();
    let fails = t.f.suite(
        "fails",
        &[
            started("base", 2),
            failed("base::a::x"),
            skipped("base::a::y", "needs Landlock ABI 9"),
            finished("base", 0, 1, 1),
        ],
        None,
        End::Exit(1),
    );
    let flaky = t.dir("flaky-suite");
    write_exe(
        &flaky,
        &format!(
            "#!/bin/sh\nif [ \"$1\" != --list ] && [ -f \"$FAKE_DIR/flake-once\" ]; then\n\
             rm \"$FAKE_DIR/flake-once\"; exec {} \"$@\"; fi\nexec {} \"$@\"\n",
            fails.display(),
            passes.display()
        ),
    );
    // The first mutant's build arms the flake: its run fails once.
    std::fs::write(t.dir("flake-on-mutant"), "").unwrap();
    let out = t
        .mutants()
        .args([
            "--out",
            "m",
            "--mutant",
            "security/landlock/fake.c:13:8:comparison",
        ])
        .arg(suite_bin("base", &flaky))
        .output()
        .unwrap();
    ok(&out);
    assert!(!t.dir("flake-once").exists(), "the flake never fired");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.dir("m/mutants.json")).unwrap()).unwrap();
    let m = &json["mutants"][0];
    assert_eq!(m["outcome"], "missed", "{m}");
    assert_eq!(m["flaky"], serde_json::json!(["base::a::x"]), "{m}");
}

#[test]
fn a_kernel_llconf_does_not_build_is_refused_with_its_name() {
    if !have_lcov() {
        return;
    }
    let f = Fixture::new();
    std::fs::create_dir_all(f.path().join("kernels")).unwrap();
    std::fs::write(
        f.path().join("kernels/img.toml"),
        "name = \"img\"\n[source]\ntype = \"local\"\npath = \"/nonexistent/vmlinuz\"\n",
    )
    .unwrap();
    let out = f
        .llconf()
        .arg("--kernels")
        .arg(f.path().join("kernels"))
        .args(["coverage", "--kernel", "img", "--out", "o"])
        .arg(suite_bin("base", &f.ok_suite()))
        .env("LLCONF_CACHE", f.path().join("cache"))
        .env("LLCONF_GUEST_INIT", "/bin/true")
        .env("LLCONF_GUEST_TRUE", "/bin/true")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kernel `img` is not built by llconf as User-Mode Linux"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn per_test_coverage_picks_the_tests_and_a_run_resumes_where_a_shard_stopped() {
    if !have_lcov() {
        return;
    }
    let t = Tree::new();
    let base = t.f.ok_suite();
    // base::a::x ran the first `if` and its body; nobody ran the third.
    let map = serde_json::json!({
        "kernel": "fake-uml", "release": "0.0.1-fake", "packages": [],
        "directory": "security/landlock",
        "executable": { "fake.c": [3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15] },
        "tests": { "base::a::x": { "fake.c": [3, 8, 9, 10, 11, 15] } }
    });
    std::fs::write(t.dir("map.json"), map.to_string()).unwrap();
    let run = |extra: &[&str]| {
        t.mutants()
            .args(["--out", "m"])
            .arg("--test-lines")
            .arg(t.dir("map.json"))
            .arg(suite_bin("base", &base))
            .args(extra)
            .output()
            .unwrap()
    };
    let read = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(t.dir("m/mutants.json")).unwrap()).unwrap()
    };
    let half = run(&["--shard", "1/2"]);
    ok(&half);
    assert!(
        stderr(&half).contains("test selection: per-test coverage from"),
        "{}",
        stderr(&half)
    );
    let first = read()["mutants"].as_array().unwrap().len();
    let whole = run(&["--resume"]);
    ok(&whole);
    let json = read();
    let all = json["mutants"].as_array().unwrap();
    assert!(
        stderr(&whole).contains(&format!("--resume: {first} mutants already judged")),
        "{}",
        stderr(&whole)
    );
    assert!(all.len() > first && first > 0, "{first} then {}", all.len());
    // The same kernel and suites: the resumed run keeps the baselines the
    // first one measured, and runs no baseline of its own.
    assert!(
        stderr(&whole).contains("baseline: kept in"),
        "{}",
        stderr(&whole)
    );
    assert!(
        !stderr(&whole).contains("baseline run 1"),
        "{}",
        stderr(&whole)
    );
    let find = |id: &str| {
        all.iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no mutant {id}"))
    };
    let ran = find("security/landlock/fake.c:9:5:negate-condition");
    assert_eq!(ran["outcome"], "caught");
    assert_eq!(ran["tests_run"], 1);
    let unreached = find("security/landlock/fake.c:13:8:comparison");
    assert_eq!(unreached["outcome"], "missed");
    assert_eq!(unreached["run_seconds"], 0.0, "judged without a run");
    assert!(unreached["why"]
        .as_str()
        .unwrap()
        .contains("no test executed"));
    assert!(json["selection"]
        .as_str()
        .unwrap()
        .starts_with("per-test coverage"));
    let page = std::fs::read_to_string(t.dir("m/mutants.html")).unwrap();
    assert!(page.contains("fake.c:13:8:comparison"));
    // `llconf report` writes the page again from mutants.json.
    std::fs::remove_file(t.dir("m/mutants.html")).unwrap();
    let report = Command::new(env!("CARGO_BIN_EXE_llconf"))
        .arg("report")
        .arg(t.dir("m"))
        .output()
        .unwrap();
    ok(&report);
    assert!(stdout(&report).contains("judged"), "{}", stdout(&report));
    assert_eq!(
        std::fs::read_to_string(t.dir("m/mutants.html")).unwrap(),
        page
    );
    let bad = run(&["--shard", "3/2"]);
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));
    assert!(stderr(&bad).contains("--shard 3/2"), "{}", stderr(&bad));
}

#[test]
fn per_test_coverage_measures_each_passed_test_alone_and_keeps_the_map_beside_the_build() {
    if !have_lcov() {
        return;
    }
    let t = Tree::new();
    let out = t.coverage("pt", &["--per-test"]);
    ok(&out);
    assert!(
        stderr(&out).contains("per-test coverage of 1 tests"),
        "{}",
        stderr(&out)
    );
    let read = |p: PathBuf| -> llconf_reports::test_lines::TestLines {
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
    };
    let map = read(t.dir("pt/test-lines.json"));
    assert_eq!(map.directory, "security/landlock");
    // Only the test that passed (base::a::y is skipped) was measured.
    assert_eq!(map.tests.keys().collect::<Vec<_>>(), ["base::a::x"]);
    let lines = &map.tests["base::a::x"]["fake.c"];
    assert!(lines.contains(&9), "the first `if` ran: {lines:?}");
    assert!(!lines.contains(&14), "the third sum did not: {lines:?}");
    // Wherever the build keeps its objects.
    let kept = walk_for(&t.dir("cache/uml"), "test-lines.json").expect("a map beside the build");
    assert_eq!(read(kept), map);
}

fn walk_for(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
        if p.is_dir() {
            if let Some(found) = walk_for(&p, name) {
                return Some(found);
            }
        }
    }
    None
}
