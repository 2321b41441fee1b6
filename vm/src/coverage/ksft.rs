//! The kernel's own Landlock selftests (`tools/testing/selftests/landlock`),
//! built from the coverage build's source against that source's UAPI
//! headers, to run in the same UML as llconf's suites: the comparison is
//! fair only on the same binary and the same counters.
//!
//! Each selftest makes `./tmp` and runs `./true` from its working
//! directory, while the UML guest sees the host read-only: each runs
//! through a small wrapper that copies the built folder to the guest's
//! /tmp and starts it there.

use crate::kernel::uml_build::CoverageTree;
use crate::suites::binary::SuiteBinary;
use anyhow::{bail, Context, Result};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// The header the selftests include for capabilities (Debian's libcap-dev).
const LIBCAP_HEADER: &str = "/usr/include/sys/capability.h";
const SELFTESTS: &str = "tools/testing/selftests/landlock";

/// Builds the selftests (again only when the source changed: make decides)
/// and returns one wrapper per test program, named as the program.
pub fn build(tree: &CoverageTree, log: &Path) -> Result<Vec<SuiteBinary>> {
    if crate::host::tools::find_on_path("rsync").is_none() {
        bail!("rsync is not installed: the kernel installs the selftests' headers with it (`llconf setup` installs it)");
    }
    if !Path::new(LIBCAP_HEADER).is_file() {
        bail!("{LIBCAP_HEADER} is missing: the kernel's selftests need libcap-dev (`llconf setup` installs it)");
    }
    let selftests = tree.source.join(SELFTESTS);
    if !selftests.join("Makefile").is_file() {
        bail!(
            "{} holds no Landlock selftests (no Makefile)",
            selftests.display()
        );
    }
    let headers = tree.objects.join("ksft-headers");
    let out = tree.objects.join("ksft");
    std::fs::create_dir_all(&out)?;
    let log_file =
        std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    // The host's architecture: the selftests are host programs.
    let mut install = make(&tree.source);
    install
        .arg("ARCH=x86")
        .arg(format!("O={}", headers.display()))
        .arg("headers_install");
    let mut selftest = make(&selftests);
    selftest
        .arg(format!("OUTPUT={}", out.display()))
        .arg(format!(
            "KHDR_INCLUDES=-isystem {}",
            headers.join("usr/include").display()
        ));
    for mut step in [install, selftest] {
        let shown = format!("{step:?}");
        let status = step
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file.try_clone()?)
            .status()
            .with_context(|| format!("running {shown}"))?;
        if !status.success() {
            bail!(
                "building the kernel's selftests failed ({status}): {shown}; see {}",
                log.display()
            );
        }
    }
    let mut programs: Vec<String> = std::fs::read_dir(&out)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("_test"))
        .collect();
    programs.sort();
    if programs.is_empty() {
        bail!(
            "the selftests build left no *_test program in {}",
            out.display()
        );
    }
    programs
        .into_iter()
        .map(|p| {
            let wrapper = out.join(format!("llconf-{p}.sh"));
            std::fs::write(&wrapper, wrapper_script(&p))?;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))?;
            Ok(SuiteBinary {
                suite: p,
                path: wrapper,
            })
        })
        .collect()
}

fn make(dir: &Path) -> Command {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut c = Command::new("make");
    c.arg("-C").arg(dir).arg(format!("-j{jobs}"));
    c
}

/// Runs `program` from a writable copy of the folder the wrapper is in
/// (as the guest sees it).
fn wrapper_script(program: &str) -> String {
    format!(
        "#!/bin/sh\n\
         # Written by llconf: the selftest makes ./tmp and runs ./true, so it\n\
         # runs from a writable copy of its folder.\n\
         set -e\n\
         dir=${{TMPDIR:-/tmp}}/llconf-ksft/{program}\n\
         rm -rf \"$dir\"\n\
         mkdir -p \"$dir\"\n\
         cp -a \"$(dirname \"$0\")/.\" \"$dir/\"\n\
         cd \"$dir\"\n\
         exec ./{program}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_runs_a_copy_from_a_writable_folder() {
        let dir = tempfile::tempdir().unwrap();
        let built = dir.path().join("built");
        std::fs::create_dir_all(&built).unwrap();
        let program = built.join("fake_test");
        std::fs::write(&program, "#!/bin/sh\nmkdir tmp && pwd && ls\n").unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let wrapper = built.join("llconf-fake_test.sh");
        std::fs::write(&wrapper, wrapper_script("fake_test")).unwrap();
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        // Where the guest's /tmp would be, for this test.
        let tmp = dir.path().join("guest-tmp");
        let run = || Command::new(&wrapper).env("TMPDIR", &tmp).output().unwrap();
        assert!(run().status.success(), "a first run");
        let out = run();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        assert!(stdout.starts_with(&format!("{}/llconf-ksft/fake_test\n", tmp.display())));
        assert!(stdout.contains("tmp\n"), "{stdout}");
        // A second run starts from a fresh copy: its `mkdir tmp` works.
        assert!(
            !built.join("tmp").exists(),
            "the built folder stays as it is"
        );
    }

    #[test]
    fn a_tree_without_selftests_is_named() {
        if crate::host::tools::find_on_path("rsync").is_none()
            || !Path::new(LIBCAP_HEADER).is_file()
        {
            return; // the tool checks come first
        }
        let dir = tempfile::tempdir().unwrap();
        let tree = CoverageTree {
            source: dir.path().to_path_buf(),
            objects: dir.path().join("o"),
        };
        let err = build(&tree, &dir.path().join("log"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("holds no Landlock selftests"), "{err}");
    }
}
