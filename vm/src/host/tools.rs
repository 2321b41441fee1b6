//! Where the host's tools are: qemu, virtme-ng, and any program on PATH.

use crate::cache_dir::Cache;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

pub const QEMU: &str = "qemu-system-x86_64";

/// `$LLCONF_VNG`, else the venv `llconf setup` makes, else `vng` on PATH.
pub fn vng_path(cache: &Cache) -> PathBuf {
    if let Some(p) = std::env::var_os("LLCONF_VNG") {
        return PathBuf::from(p);
    }
    let venv = cache.venv().join("bin/vng");
    if venv.is_file() {
        return venv;
    }
    find_on_path("vng").unwrap_or_else(|| PathBuf::from("vng"))
}

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Refuses early, naming the fix, when vng or qemu is missing.
pub fn check_tools(cache: &Cache) -> Result<PathBuf> {
    if find_on_path(QEMU).is_none() {
        bail!("{QEMU} is not installed (not on PATH); run `llconf setup` to install qemu");
    }
    let vng = vng_path(cache);
    if !is_executable(&vng) {
        bail!(
            "virtme-ng (vng) is not installed: not in {} nor on PATH; \
             run `llconf setup` to install it",
            cache.venv().join("bin").display()
        );
    }
    Ok(vng)
}
