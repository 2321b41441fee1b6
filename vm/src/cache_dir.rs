//! llconf's cache directory and the names of its parts. A leaf: the kernel
//! store, the UML builds, the KVM verdict and the virtme-ng venv each keep
//! their files under it, and only this file knows where.
//!
//! Layout under `$LLCONF_CACHE` (default `$XDG_CACHE_HOME/llconf`, or
//! `~/.cache/llconf`):
//! - `apt/`: the private apt state (sources.list, lists, cache);
//! - `debs/`: downloaded packages;
//! - `kernels/<release>_<version>/`: an extracted kernel with its
//!   `llconf-kernel.json` manifest;
//! - `uml/`: User-Mode Linux builds;
//! - `venv/`: virtme-ng (see `llconf setup`);
//! - `accel.json`: the KVM verdict of this machine.

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Cache {
    pub root: PathBuf,
}

impl Cache {
    pub fn from_env() -> Cache {
        let root = if let Some(dir) = std::env::var_os("LLCONF_CACHE") {
            PathBuf::from(dir)
        } else if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            PathBuf::from(dir).join("llconf")
        } else {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            PathBuf::from(home).join(".cache/llconf")
        };
        Cache {
            root: std::path::absolute(&root).unwrap_or(root),
        }
    }

    pub fn apt_dir(&self) -> PathBuf {
        self.root.join("apt")
    }

    pub fn debs_dir(&self) -> PathBuf {
        self.root.join("debs")
    }

    pub fn kernels_dir(&self) -> PathBuf {
        self.root.join("kernels")
    }

    pub fn uml_dir(&self) -> PathBuf {
        self.root.join("uml")
    }

    pub fn venv(&self) -> PathBuf {
        self.root.join("venv")
    }

    /// Locked by a host run: two at once would share the kernel's audit
    /// socket and see each other's records.
    pub fn host_run_dir(&self) -> PathBuf {
        self.root.join("host-run")
    }

    pub fn accel_file(&self) -> PathBuf {
        self.root.join("accel.json")
    }
}
