//! Where cargo builds the suites of a workspace: its own `target/` when it
//! can be written, else a folder of llconf's cache, so that a read-only
//! checkout (a shared or packaged copy of the suites) still runs.

use crate::cache_dir::Cache;
use std::path::{Path, PathBuf};

/// The `CARGO_TARGET_DIR` to give cargo in `root`, or `None` to leave
/// cargo's own choice (the workspace's `target/`, or a `CARGO_TARGET_DIR`
/// the user set, which cargo honours by itself).
pub fn override_for(root: &Path, cache: &Cache) -> Option<PathBuf> {
    if std::env::var_os("CARGO_TARGET_DIR").is_some() {
        return None;
    }
    let own = root.join("target");
    // A missing target/ is made in the workspace, which must be writable.
    let probe = if own.exists() {
        own
    } else {
        root.to_path_buf()
    };
    if writable(&probe) {
        return None;
    }
    Some(cache.target_dir(root))
}

/// The folder cargo builds into in `root`, as [`override_for`] decides.
pub fn effective(root: &Path, cache: &Cache) -> PathBuf {
    override_for(root, cache)
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| root.join("target"))
}

/// access(2) rather than the mode bits: a read-only mount or another
/// owner is what matters, and root passes the mode bits anyway.
fn writable(path: &Path) -> bool {
    nix::unistd::access(path, nix::unistd::AccessFlags::W_OK).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[rstest::rstest]
    #[case::a_writable_target_is_kept(true, true, false)]
    #[case::a_missing_target_in_a_writable_checkout(false, true, false)]
    #[case::a_read_only_target_goes_to_the_cache(true, false, true)]
    #[case::a_read_only_checkout_goes_to_the_cache(false, false, true)]
    fn builds_go_where_they_can_be_written(
        #[case] has_target: bool,
        #[case] writable_dirs: bool,
        #[case] in_cache: bool,
    ) {
        if nix::unistd::geteuid().is_root() && !writable_dirs {
            // root writes through mode bits; only a read-only mount stops it.
            return;
        }
        if std::env::var_os("CARGO_TARGET_DIR").is_some() {
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("w");
        std::fs::create_dir(&root).unwrap();
        if has_target {
            std::fs::create_dir(root.join("target")).unwrap();
        }
        let cache = Cache {
            root: d.path().join("cache"),
        };
        let mode = if writable_dirs { 0o755 } else { 0o555 };
        for p in [root.join("target"), root.clone()] {
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode));
        }
        let got = override_for(&root, &cache);
        for p in [root.join("target"), root.clone()] {
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755));
        }
        assert_eq!(got, in_cache.then(|| cache.target_dir(&root)));
    }
}
