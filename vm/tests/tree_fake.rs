//! `llconf run --tree` on stand-in kernel trees: a killed llconf leaves no
//! build running and the tree as it was; a tree that is no kernel tree is
//! refused before anything is built. No VM boots here.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::*;

/// A tree whose `make linux` writes the pid of a long `sleep` and waits
/// for it: a build under way.
fn slow_tree(dir: &Path) -> PathBuf {
    let tree = dir.join("linux");
    for f in ["Kconfig", "security/landlock/Kconfig", "arch/um/Kconfig"] {
        std::fs::create_dir_all(tree.join(f).parent().unwrap()).unwrap();
        std::fs::write(tree.join(f), "").unwrap();
    }
    let pid_file = dir.join("sleep.pid");
    std::fs::write(
        tree.join("Makefile"),
        format!(
            "O ?= .\n\
             defconfig:\n\
             \tmkdir -p $(O) && printf 'CONFIG_SECURITY_LANDLOCK=y\\nCONFIG_HOSTFS=y\\nCONFIG_SECURITYFS=y\\nCONFIG_DEVTMPFS=y\\n' > $(O)/.config\n\
             olddefconfig:\n\ttrue\n\
             linux:\n\tsh -c 'echo $$$$ > {}; exec sleep 60'\n\
             .PHONY: defconfig olddefconfig linux\n",
            pid_file.display()
        ),
    )
    .unwrap();
    let merge = tree.join("scripts/kconfig/merge_config.sh");
    std::fs::create_dir_all(merge.parent().unwrap()).unwrap();
    std::fs::write(&merge, "#!/bin/sh\ntrue\n").unwrap();
    std::fs::set_permissions(&merge, std::fs::Permissions::from_mode(0o755)).unwrap();
    tree
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')))
}

fn listing(tree: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut all = Vec::new();
    let mut stack = vec![tree.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            all.push((e.path(), e.metadata().unwrap().modified().unwrap()));
            if e.path().is_dir() {
                stack.push(e.path());
            }
        }
    }
    all.sort();
    all
}

#[test]
fn a_killed_llconf_leaves_no_build_running_and_the_tree_as_it_was() {
    if ["make", "gcc", "flex", "bison", "bc"].iter().any(|t| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .map_or(true, |o| !o.status.success())
    }) {
        eprintln!("skipped: the kernel build tools are not installed (`llconf setup`)");
        return;
    }
    let f = Fixture::new();
    let tree = slow_tree(f.path());
    let before = listing(&tree);
    let mut child = f
        .llconf()
        .env("LLCONF_CACHE", f.path().join("cache"))
        .args(["run", "--tree"])
        .arg(&tree)
        .arg("--out")
        .arg(f.out())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = f.path().join("sleep.pid");
    let start = Instant::now();
    while !pid_file.exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let sleep: i32 = std::fs::read_to_string(&pid_file)
        .expect("the build started")
        .trim()
        .parse()
        .unwrap();
    assert!(alive(sleep));
    // SIGTERM to llconf alone, as a supervisor would send it.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let _ = child.wait();
    let start = Instant::now();
    while alive(sleep) && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!alive(sleep), "the build's sleep {sleep} outlived llconf");
    assert_eq!(listing(&tree), before, "the tree was written");
}

#[test]
fn a_directory_that_is_no_kernel_tree_is_refused_before_any_build() {
    let f = Fixture::new();
    let out = f
        .llconf()
        .env("LLCONF_CACHE", f.path().join("cache"))
        .args(["run", "--tree"])
        .arg(f.path())
        .arg("--out")
        .arg(f.out())
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("not a kernel tree with Landlock"), "{err}");
    assert!(err.contains(&f.path().display().to_string()), "{err}");
    assert!(!f.path().join("cache/trees").exists());
}
