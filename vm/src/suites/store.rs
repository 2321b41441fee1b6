//! The suite binaries a run executes, stored once per content under the
//! cache (`bins/<digest>`) and hard-linked into the run's `bin/` folder,
//! rather than copied into every run folder (a debug build of every suite
//! is hundreds of MB).
//!
//! A rebuild during a run changes nothing the run executes: an entry is a
//! new file copied from cargo's output, written once (a temporary file
//! renamed into place) and read-only, never rewritten; cargo's next build
//! writes its own files, not the entry. Where the run folder is on another
//! file system than the cache, the run executes the entries by path and
//! `bin/paths.json` names them.
//!
//! Entries are removed when a run stores its binaries: those not used for
//! [`KEEP_UNUSED`], and those beyond the [`KEEP_RECENT`] most recently used
//! that no run used for [`KEEP_IN_USE`] (a suite edited all day makes an
//! entry per build). Using an entry sets its mtime. A hard link in a run
//! folder outlives the entry's removal; a run that executes entries by path
//! (`paths.json`) is safe for [`KEEP_IN_USE`].

use crate::suites::binary::SuiteBinary;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How long an entry no run used is kept.
pub const KEEP_UNUSED: Duration = Duration::from_secs(7 * 24 * 3600);
/// How many of the most recently used entries are kept that long: two
/// flavours of nine suites and the guest's two programs are 20 a build.
pub const KEEP_RECENT: usize = 60;
/// Beyond those, how long an entry is kept after its last use.
pub const KEEP_IN_USE: Duration = Duration::from_secs(3 * 3600);
/// In a run's `bin/` folder, when its binaries could not be linked there.
pub const PATHS_FILE: &str = "paths.json";

/// Stores `suites` under `store` and makes each reachable from `run_bins`
/// (a hard link named after the suite, else an entry of `paths.json`);
/// returns the paths the run must execute.
pub fn keep(suites: &[SuiteBinary], store: &Path, run_bins: &Path) -> Result<Vec<SuiteBinary>> {
    std::fs::create_dir_all(store).with_context(|| format!("creating {}", store.display()))?;
    std::fs::create_dir_all(run_bins)
        .with_context(|| format!("creating {}", run_bins.display()))?;
    prune(store, SystemTime::now());
    let mut by_path = BTreeMap::new();
    let mut kept = Vec::new();
    for s in suites {
        let entry = put(&s.path, store)?;
        let link = run_bins.join(&s.suite);
        let _ = std::fs::remove_file(&link);
        let path = match std::fs::hard_link(&entry, &link) {
            Ok(()) => link,
            // Another file system (or one without links): run the entry.
            Err(_) => {
                by_path.insert(s.suite.clone(), entry.clone());
                entry
            }
        };
        kept.push(SuiteBinary {
            suite: s.suite.clone(),
            path,
        });
    }
    let paths = run_bins.join(PATHS_FILE);
    if by_path.is_empty() {
        let _ = std::fs::remove_file(&paths);
    } else {
        let text = serde_json::to_string_pretty(&by_path).expect("serializable");
        std::fs::write(&paths, text + "\n")
            .with_context(|| format!("writing {}", paths.display()))?;
    }
    Ok(kept)
}

/// The entry holding `file`'s content, added if missing, its mtime set to
/// now (it is in use).
fn put(file: &Path, store: &Path) -> Result<PathBuf> {
    let digest = digest(file).with_context(|| format!("reading {}", file.display()))?;
    let entry = store.join(&digest);
    if !entry.is_file() {
        let tmp = store.join(format!(".{digest}.{}.tmp", std::process::id()));
        std::fs::copy(file, &tmp)
            .and_then(|_| std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o555)))
            .and_then(|_| std::fs::rename(&tmp, &entry))
            .with_context(|| format!("storing {} as {}", file.display(), entry.display()))?;
    } else {
        let now = nix::sys::time::TimeSpec::from(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
        );
        // Best effort: an entry whose mtime cannot be set is pruned a week
        // after it was stored, still long after any run that uses it.
        let _ = nix::sys::stat::utimensat(
            None,
            &entry,
            &now,
            &now,
            nix::sys::stat::UtimensatFlags::FollowSymlink,
        );
    }
    Ok(entry)
}

/// Removes entries (and temporary files of crashed runs) as the module
/// says, seen from `now`.
pub fn prune(store: &Path, now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(store) else {
        return;
    };
    let mut by_age: Vec<(Duration, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let used = e.metadata().and_then(|m| m.modified()).ok()?;
            Some((now.duration_since(used).unwrap_or_default(), e.path()))
        })
        .collect();
    by_age.sort();
    for (rank, (age, path)) in by_age.iter().enumerate() {
        if *age > KEEP_UNUSED || (rank >= KEEP_RECENT && *age > KEEP_IN_USE) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// 128 bits of two word-wise FNV-style lanes over the content and its
/// length: hundreds of MB are read on every run, so the file goes by 8
/// bytes at a time; an accidental collision is what matters, not an
/// adversary.
fn digest(file: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(file)?;
    let (mut a, mut b): (u64, u64) = (0xcbf2_9ce4_8422_2325, 0x8422_2325_cbf2_9ce4);
    let mut len: u64 = 0;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        len += n as u64;
        let mut chunks = buf[..n].chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            a = (a ^ w).wrapping_mul(0x0100_0000_01b3).rotate_left(29);
            b = (b ^ w.rotate_left(17)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        for (i, byte) in chunks.remainder().iter().enumerate() {
            a = (a ^ u64::from(*byte) << (i * 8)).wrapping_mul(0x0100_0000_01b3);
            b = (b ^ u64::from(*byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    a ^= len;
    b = b.wrapping_add(len);
    Ok(format!("{a:016x}{b:016x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(dir: &Path, name: &str, content: &str) -> SuiteBinary {
        let path = dir.join(format!("built-{name}"));
        std::fs::write(&path, content).unwrap();
        SuiteBinary {
            suite: name.into(),
            path,
        }
    }

    #[test]
    fn the_same_content_is_stored_once_and_a_rebuild_changes_nothing_kept() {
        let d = tempfile::tempdir().unwrap();
        let store = d.path().join("store");
        let net = bin(d.path(), "net", "v1");
        let base = bin(d.path(), "base", "v1");
        let one = keep(&[net.clone(), base], &store, &d.path().join("run1/bin")).unwrap();
        let two = keep(
            std::slice::from_ref(&net),
            &store,
            &d.path().join("run2/bin"),
        )
        .unwrap();
        assert_eq!(std::fs::read_dir(&store).unwrap().count(), 1);
        assert_eq!(one[0].path, d.path().join("run1/bin/net"));
        // A rebuild writes cargo's file; what the runs execute stays.
        std::fs::write(&net.path, "v2").unwrap();
        for k in [&one[0], &one[1], &two[0]] {
            assert_eq!(std::fs::read_to_string(&k.path).unwrap(), "v1");
        }
        keep(&[net], &store, &d.path().join("run3/bin")).unwrap();
        assert_eq!(std::fs::read_dir(&store).unwrap().count(), 2);
        assert!(!d.path().join("run3/bin").join(PATHS_FILE).exists());
    }

    #[test]
    fn beyond_the_most_recent_entries_only_those_in_use_are_kept() {
        let d = tempfile::tempdir().unwrap();
        let store = d.path().join("store");
        let bins: Vec<SuiteBinary> = (0..KEEP_RECENT + 5)
            .map(|i| bin(d.path(), &format!("s{i}"), &format!("v{i}")))
            .collect();
        keep(&bins, &store, &d.path().join("bin")).unwrap();
        let count = || std::fs::read_dir(&store).unwrap().count();
        prune(&store, SystemTime::now() + Duration::from_secs(60));
        assert_eq!(count(), KEEP_RECENT + 5, "all in use");
        prune(&store, SystemTime::now() + KEEP_IN_USE * 2);
        assert_eq!(count(), KEEP_RECENT);
    }

    #[rstest::rstest]
    #[case::used_today(Duration::from_secs(3600), true)]
    #[case::used_six_days_ago(Duration::from_secs(6 * 24 * 3600), true)]
    #[case::unused_for_eight_days(Duration::from_secs(8 * 24 * 3600), false)]
    fn entries_unused_for_a_week_are_pruned(#[case] age: Duration, #[case] kept: bool) {
        let d = tempfile::tempdir().unwrap();
        let store = d.path().join("store");
        keep(&[bin(d.path(), "net", "v1")], &store, &d.path().join("bin")).unwrap();
        prune(&store, SystemTime::now() + age);
        assert_eq!(
            std::fs::read_dir(&store).unwrap().count(),
            usize::from(kept)
        );
        // The run's link outlives its entry.
        assert_eq!(
            std::fs::read_to_string(d.path().join("bin/net")).unwrap(),
            "v1"
        );
    }

    #[rstest::rstest]
    #[case("", "a")]
    #[case("abcdefgh", "abcdefgi")]
    #[case("abcdefgh12", "abcdefgh21")]
    #[case("x", "x\0")]
    fn different_contents_have_different_digests(#[case] one: &str, #[case] two: &str) {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        std::fs::write(&a, one).unwrap();
        std::fs::write(&b, two).unwrap();
        assert_ne!(digest(&a).unwrap(), digest(&b).unwrap());
        assert_eq!(digest(&a).unwrap(), digest(&a).unwrap());
    }
}
