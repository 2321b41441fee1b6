//! A folder of binaries built once (`llconf build --out DIR`) and run by
//! many jobs without compiling (`--bins DIR`): a CI pipeline's build job
//! makes it, and every kernel job takes it as an artifact.
//!
//! DIR/llconf is the runner, DIR/suites/<suite> each suite's test binary
//! (static, so that every backend can run it), DIR/guest/init and
//! DIR/guest/true the static programs of initramfs and UML guests.

use crate::suites::binary::{GuestBinaries, SuiteBinary};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

pub const SUITES: &str = "suites";
pub const GUEST: &str = "guest";
pub const RUNNER: &str = "llconf";

/// The suites of DIR/suites, sorted by name.
pub fn suites(dir: &Path) -> Result<Vec<SuiteBinary>> {
    let sdir = dir.join(SUITES);
    let entries = std::fs::read_dir(&sdir).with_context(|| {
        format!(
            "reading {} (is {} a folder made by `llconf build --out`?)",
            sdir.display(),
            dir.display()
        )
    })?;
    let mut v: Vec<SuiteBinary> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .map(|path| SuiteBinary {
            suite: path.file_name().unwrap().to_string_lossy().into_owned(),
            path,
        })
        .collect();
    if v.is_empty() {
        bail!("no suite binary in {}", sdir.display());
    }
    v.sort_by(|a, b| a.suite.cmp(&b.suite));
    Ok(v)
}

/// DIR/guest/init and DIR/guest/true.
pub fn guest(dir: &Path) -> Result<GuestBinaries> {
    let g = GuestBinaries {
        init: dir.join(GUEST).join("init"),
        true_bin: dir.join(GUEST).join("true"),
    };
    for p in [&g.init, &g.true_bin] {
        if !p.is_file() {
            bail!(
                "{} is missing: --bins wants a folder made by `llconf build --out`",
                p.display()
            );
        }
    }
    Ok(g)
}

/// Copies `from` to `dir/rel`, executable.
pub fn put(dir: &Path, rel: &str, from: &Path) -> Result<PathBuf> {
    let to = dir.join(rel);
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let _ = std::fs::remove_file(&to);
    std::fs::copy(from, &to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_suites_or_guest_is_named() {
        let d = tempfile::tempdir().unwrap();
        let e = suites(d.path()).unwrap_err().to_string();
        assert!(e.contains("llconf build --out"), "{e}");
        std::fs::create_dir_all(d.path().join(SUITES)).unwrap();
        std::fs::write(d.path().join(SUITES).join("fs"), "x").unwrap();
        assert_eq!(suites(d.path()).unwrap()[0].suite, "fs");
        let e = guest(d.path()).unwrap_err().to_string();
        assert!(e.contains("guest/init is missing"), "{e}");
    }
}
