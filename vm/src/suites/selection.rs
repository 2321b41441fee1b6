//! Which suites to run, and the binary for each: from --suite, --suite-bin
//! and, only when needed, the workspace.

use crate::cli::SuiteArgs;
use crate::host::workspace;
use crate::suites::binary::{GuestBinaries, SuiteBinary};
use crate::suites::build;
use crate::suites::prebuilt;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Resolves the selection to existing executables, in the order asked for.
/// Cargo is only consulted for suites without a `--suite-bin`, so that runs
/// with given binaries stay independent of the workspace.
pub fn resolve(root: &Path, args: &SuiteArgs) -> Result<Vec<SuiteBinary>> {
    resolve_with(root, args, false)
}

/// The same with static binaries, for the qemu-initramfs guests: built
/// static, and a `--suite-bin` must be static already.
pub fn resolve_static(root: &Path, args: &SuiteArgs) -> Result<Vec<SuiteBinary>> {
    resolve_with(root, args, true)
}

/// The static guest programs of the run: those of `--bins` when it is
/// given (built with the suites, so that both come from one build), else
/// built from the workspace.
pub fn guest(root: &Path, args: &SuiteArgs) -> Result<GuestBinaries> {
    match &args.bins {
        Some(dir) => prebuilt::guest(dir),
        None => build::guest_binaries(root),
    }
}

fn resolve_with(root: &Path, args: &SuiteArgs, linked_static: bool) -> Result<Vec<SuiteBinary>> {
    let mut given = BTreeMap::new();
    for b in &args.suite_bins {
        if given.insert(b.suite.clone(), b.path.clone()).is_some() {
            bail!("--suite-bin given twice for suite `{}`", b.suite);
        }
    }
    if let Some(dir) = &args.bins {
        for b in prebuilt::suites(dir)? {
            given.entry(b.suite).or_insert(b.path);
        }
        if let Some(missing) = args.suites.iter().find(|s| !given.contains_key(*s)) {
            bail!(
                "suite `{missing}` is not among the binaries of --bins {} ({}); \
                 build it there with `llconf build --out {}`",
                dir.display(),
                given.keys().cloned().collect::<Vec<_>>().join(", "),
                dir.display()
            );
        }
    }

    let mut selected: Vec<String> = if !args.suites.is_empty() {
        args.suites.clone()
    } else {
        given.keys().cloned().collect()
    };
    dedup_keep_order(&mut selected);

    let mut paths = given.clone();
    let needs_cargo: Vec<&String> = selected
        .iter()
        .filter(|s| !given.contains_key(*s))
        .collect();
    if selected.is_empty() || !needs_cargo.is_empty() {
        let known = workspace::suites(root)?;
        if selected.is_empty() {
            if known.is_empty() {
                bail!(
                    "no suites in workspace {}: a suite is a package with \
                     [package.metadata.llconf] suite = \"<name>\"",
                    root.display()
                );
            }
            selected = known.iter().map(|s| s.name.clone()).collect();
        }
        let mut to_build = Vec::new();
        for name in selected.iter().filter(|s| !given.contains_key(*s)) {
            match known.iter().find(|k| &k.name == name) {
                Some(s) => to_build.push(s),
                None => {
                    let mut names: Vec<&str> = known.iter().map(|k| k.name.as_str()).collect();
                    names.extend(given.keys().map(String::as_str));
                    names.sort_unstable();
                    names.dedup();
                    bail!(
                        "unknown suite `{name}`; known suites: {}",
                        if names.is_empty() {
                            "(none)".to_string()
                        } else {
                            names.join(", ")
                        }
                    );
                }
            }
        }
        paths.extend(if linked_static {
            build::build_static(root, &to_build)?
        } else {
            build::build(root, &to_build)?
        });
    }

    selected
        .into_iter()
        .map(|suite| {
            let path = paths
                .remove(&suite)
                .expect("every selected suite has a path");
            check_executable(&suite, &path)?;
            if linked_static && !crate::suites::elf::is_static_elf(&path)? {
                bail!(
                    "test binary of suite `{suite}` ({}) is dynamically linked; the \
                     qemu-initramfs backend has no libc in the guest: build it with \
                     RUSTFLAGS='-C target-feature=+crt-static' cargo test --no-run \
                     --target {}",
                    path.display(),
                    build::STATIC_TARGET
                );
            }
            Ok(SuiteBinary { suite, path })
        })
        .collect()
}

fn dedup_keep_order(names: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
}

fn check_executable(suite: &str, path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).with_context(|| {
        format!(
            "test binary of suite `{suite}` not found: {}",
            path.display()
        )
    })?;
    if !meta.is_file() {
        bail!(
            "test binary of suite `{suite}` is not a file: {}",
            path.display()
        );
    }
    if meta.permissions().mode() & 0o111 == 0 {
        bail!(
            "test binary of suite `{suite}` is not executable: {}",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_bins(dir: &Path) -> SuiteArgs {
        SuiteArgs {
            suites: Vec::new(),
            suite_bins: Vec::new(),
            bins: Some(dir.to_path_buf()),
            suite_args: Vec::new(),
        }
    }

    #[test]
    fn the_guest_of_bins_is_the_one_run() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("guest")).unwrap();
        for name in ["init", "true"] {
            std::fs::write(d.path().join("guest").join(name), name).unwrap();
        }
        // A workspace that cannot build anything: --bins must not need it.
        let g = guest(Path::new("/nonexistent"), &with_bins(d.path())).unwrap();
        assert_eq!(g.init, d.path().join("guest/init"));
        assert_eq!(g.true_bin, d.path().join("guest/true"));
    }

    #[test]
    fn bins_without_a_guest_is_an_error_naming_the_folder() {
        let d = tempfile::tempdir().unwrap();
        let e = guest(Path::new("/nonexistent"), &with_bins(d.path()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("llconf build --out"), "{e}");
        assert!(e.contains(&d.path().display().to_string()), "{e}");
    }
}
