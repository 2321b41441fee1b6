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
//! - `target/<workspace path>/`: cargo's builds of a read-only workspace;
//! - `bins/`: suite binaries of runs, one file per content hash;
//! - `trees/<dir>-<path hash>/`: out-of-tree builds of `llconf run --tree`;
//! - `accel.json`: the KVM verdict of this machine.

use std::path::{Path, PathBuf};

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

    /// Where cargo builds the suites of `workspace` when its own
    /// `target/` cannot be written: one folder per workspace path.
    pub fn target_dir(&self, workspace: &Path) -> PathBuf {
        self.root.join("target").join(path_key(workspace))
    }

    /// The suite binaries runs execute, stored once per content.
    pub fn bins_dir(&self) -> PathBuf {
        self.root.join("bins")
    }

    /// The out-of-tree builds of the kernel tree at `tree`.
    pub fn tree_dir(&self, tree: &Path) -> PathBuf {
        self.root.join("trees").join(path_key(tree))
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

/// One path component per path: its last component (for people) and a
/// digest of the whole (FNV-1a, stable across toolchains), so that two
/// trees named `linux` do not share a folder.
pub fn path_key(path: &Path) -> String {
    let last: String = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.as_os_str().as_encoded_bytes() {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    let last = last.trim_start_matches('.');
    format!("{}-{h:016x}", if last.is_empty() { "root" } else { last })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case("/tmp/tree-helper/linux", "linux-731e8b139ab7a91e")]
    #[case("/", "root-af63a24c860189fe")]
    #[case("/home/me/my tree", "my_tree-")]
    #[case("/home/me/.hidden", "hidden-")]
    fn a_path_is_one_safe_component(#[case] path: &str, #[case] prefix: &str) {
        let key = path_key(Path::new(path));
        assert!(key.starts_with(prefix), "{key}");
        assert!(!key.contains('/'));
    }
}
