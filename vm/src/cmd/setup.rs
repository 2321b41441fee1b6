//! `llconf setup`: installs what VM runs need, only what is missing, and
//! says exactly what it did.
//!
//! - From apt: qemu (qemu-system-x86, qemu-utils), and what virtme-ng needs
//!   on the host: kmod (depmod), busybox-static, udev (without it `--exec`
//!   falls back to the console and exits 255); python3-venv for the venv;
//!   the Debian archive keyring for the private package lists; make, flex,
//!   bison and bc for the User-Mode Linux builds of the `uml` backend
//!   (libelf-dev too, for objtool, when `--tree-arch x86_64` builds); lcov,
//!   rsync, libcap-dev and libc6-dev for `llconf coverage`. On bookworm
//!   qemu comes from bookworm-backports (10.0): bookworm's own 7.2 would
//!   remove a newer qemu-utils.
//! - From PyPI: virtme-ng, pinned, into a venv under llconf's cache.

use crate::cache_dir::Cache;
use crate::cli::SetupArgs;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

pub const VIRTME_NG: &str = "virtme-ng==1.42";
const VIRTME_NG_VERSION: &str = "virtme-ng 1.42";
const APT_PACKAGES: [&str; 16] = [
    "qemu-system-x86",
    "qemu-utils",
    "kmod",
    "busybox-static",
    "udev",
    "python3-venv",
    "debian-archive-keyring",
    "make",
    "flex",
    "bison",
    "bc",
    // objtool, which an x86-64 build of a tree (`--tree-arch x86_64`) runs.
    "libelf-dev",
    // llconf coverage: lcov reads the gcov counters; the kernel's own
    // Landlock selftests link libcap, their `true` links libc static, and
    // the kernel installs their headers with rsync.
    "lcov",
    "rsync",
    "libcap-dev",
    "libc6-dev",
];
const BACKPORTS_FILE: &str = "/etc/apt/sources.list.d/llconf-bookworm-backports.sources";
const BACKPORTS_SOURCE: &str = "Types: deb\nURIs: http://deb.debian.org/debian\n\
    Suites: bookworm-backports\nComponents: main\n\
    Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";

pub fn setup(args: SetupArgs) -> Result<ExitCode> {
    let cache = Cache::from_env();
    let mut did = 0;
    let act = |what: &str| {
        if args.dry_run {
            println!("setup: would {what}");
        } else {
            println!("setup: {what}");
        }
    };

    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(p))
        .collect();
    if missing.is_empty() {
        println!("setup: already installed: {}", APT_PACKAGES.join(", "));
    } else {
        if !nix::unistd::geteuid().is_root() && !args.dry_run {
            bail!(
                "these packages are missing and installing them needs root: {}; \
                 run `llconf setup` as root",
                missing.join(" ")
            );
        }
        let bookworm = os_codename().as_deref() == Some("bookworm");
        let wants_qemu = missing.iter().any(|p| p.starts_with("qemu-"));
        if bookworm && wants_qemu && !Path::new(BACKPORTS_FILE).exists() {
            act(&format!(
                "write {BACKPORTS_FILE} (bookworm-backports, for qemu 10)"
            ));
            if !args.dry_run {
                std::fs::write(BACKPORTS_FILE, BACKPORTS_SOURCE)
                    .with_context(|| format!("writing {BACKPORTS_FILE}"))?;
            }
            did += 1;
        }
        let mut install = vec!["apt-get", "install", "-y", "--no-install-recommends"];
        if bookworm && wants_qemu {
            install.extend(["-t", "bookworm-backports"]);
        }
        install.extend(missing.iter().copied());
        for cmd in [vec!["apt-get", "update"], install] {
            act(&format!("run `{}`", cmd.join(" ")));
            if !args.dry_run {
                run(&cmd, &[("DEBIAN_FRONTEND", "noninteractive")])?;
            }
            did += 1;
        }
    }

    let venv = cache.venv();
    let vng = venv.join("bin/vng");
    let have = Command::new(&vng)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if have.as_deref() == Some(VIRTME_NG_VERSION) {
        println!(
            "setup: already installed: {VIRTME_NG_VERSION} in {}",
            venv.display()
        );
    } else {
        let python = venv.join("bin/python3");
        if !python.exists() {
            let venv_s = venv.display().to_string();
            act(&format!("run `python3 -m venv {venv_s}`"));
            if !args.dry_run {
                std::fs::create_dir_all(&cache.root)?;
                run(&["python3", "-m", "venv", &venv_s], &[])?;
            }
            did += 1;
        }
        let pip = venv.join("bin/pip").display().to_string();
        act(&format!("run `{pip} install {VIRTME_NG}`"));
        if !args.dry_run {
            run(&[&pip, "install", "-q", VIRTME_NG], &[])?;
        }
        did += 1;
    }
    if did == 0 {
        println!("setup: nothing to do");
    }
    Ok(ExitCode::SUCCESS)
}

fn run(cmd: &[&str], env: &[(&str, &str)]) -> Result<()> {
    let status = Command::new(cmd[0])
        .args(&cmd[1..])
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("running {}", cmd[0]))?;
    if !status.success() {
        bail!("`{}` failed ({status})", cmd.join(" "));
    }
    Ok(())
}

pub fn dpkg_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f", "${db:Status-Status}", package])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.stdout == b"installed")
}

fn os_codename() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|v| v.trim_matches('"').to_string())
}
