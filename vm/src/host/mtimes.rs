//! Whether files changed, by polling: a digest of the paths, sizes and
//! mtimes of every file under some folders, taken once a second by `llconf
//! run --watch`. Polling needs no crate and no inotify watch per folder of
//! a kernel tree; a second of delay is nothing beside a rebuild.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Folders never looked into: build output and version control.
const SKIPPED: [&str; 2] = ["target", ".git"];

/// A digest of what is under `dirs` (missing ones count as empty).
pub fn fingerprint(dirs: &[PathBuf]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |bytes: &[u8]| {
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for d in dirs {
        let mut files = Vec::new();
        walk(d, &mut files);
        files.sort();
        for (path, size, mtime) in files {
            mix(path.as_os_str().as_encoded_bytes());
            mix(&size.to_le_bytes());
            mix(&mtime.to_le_bytes());
        }
    }
    h
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, u64, u128)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(meta) = e.metadata() else { continue };
        let path = e.path();
        if meta.is_dir() {
            if !SKIPPED.iter().any(|s| e.file_name() == *s) {
                walk(&path, out);
            }
        } else {
            let mtime = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            out.push((path, meta.len(), mtime));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::an_edit("edit", true)]
    #[case::a_new_file("new", true)]
    #[case::a_removed_file("remove", true)]
    #[case::a_build_output("target", false)]
    #[case::nothing("", false)]
    fn a_change_under_the_folders_is_seen(#[case] what: &str, #[case] seen: bool) {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("security/landlock");
        std::fs::create_dir_all(dir.join("target")).unwrap();
        std::fs::write(dir.join("net.c"), "one").unwrap();
        let dirs = [d.path().join("security"), d.path().join("missing")];
        let before = fingerprint(&dirs);
        match what {
            "edit" => std::fs::write(dir.join("net.c"), "two").unwrap(),
            "new" => std::fs::write(dir.join("new.c"), "").unwrap(),
            "remove" => std::fs::remove_file(dir.join("net.c")).unwrap(),
            "target" => std::fs::write(dir.join("target/x.o"), "").unwrap(),
            _ => {}
        }
        assert_eq!(fingerprint(&dirs) != before, seen);
    }
}
