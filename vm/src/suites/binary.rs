//! What the suite folder hands the rest of the runner: an executable per
//! suite, and the static guest programs of initramfs and UML guests.

use std::path::PathBuf;

/// The test binary of one suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteBinary {
    pub suite: String,
    pub path: PathBuf,
}

/// The static guest programs packed into every initramfs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GuestBinaries {
    pub init: PathBuf,
    pub true_bin: PathBuf,
}

/// Copies of `suites` in `dir`, for runs that outlast the build they
/// started from: a `cargo build` in the same workspace while a long run
/// (mutants, per-test coverage) goes on must not change the tests that
/// judge half-way.
pub fn snapshot(suites: &[SuiteBinary], dir: &std::path::Path) -> anyhow::Result<Vec<SuiteBinary>> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    suites
        .iter()
        .map(|s| {
            let to = dir.join(&s.suite);
            // A fresh file: a run may still execute an older copy.
            let _ = std::fs::remove_file(&to);
            std::fs::copy(&s.path, &to)
                .with_context(|| format!("copying {} to {}", s.path.display(), to.display()))?;
            Ok(SuiteBinary {
                suite: s.suite.clone(),
                path: to,
            })
        })
        .collect()
}

/// Copies of the guest programs in `dir`, for the same reason as
/// [`snapshot`]: the init runs the suites, and a rebuild half-way through
/// a long run must not change it.
pub fn snapshot_guest(
    guest: &GuestBinaries,
    dir: &std::path::Path,
) -> anyhow::Result<GuestBinaries> {
    let bins = [
        SuiteBinary {
            suite: "init".into(),
            path: guest.init.clone(),
        },
        SuiteBinary {
            suite: "true".into(),
            path: guest.true_bin.clone(),
        },
    ];
    let mut copies = snapshot(&bins, dir)?.into_iter().map(|b| b.path);
    Ok(GuestBinaries {
        init: copies.next().expect("two copies"),
        true_bin: copies.next().expect("two copies"),
    })
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;

    #[test]
    fn a_snapshot_does_not_follow_a_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let built = dir.path().join("net-123");
        std::fs::write(&built, "v1").unwrap();
        let suites = [SuiteBinary {
            suite: "net".into(),
            path: built.clone(),
        }];
        let copies = snapshot(&suites, &dir.path().join("snap")).unwrap();
        std::fs::write(&built, "v2").unwrap();
        assert_eq!(copies[0].suite, "net");
        assert_eq!(std::fs::read_to_string(&copies[0].path).unwrap(), "v1");
    }

    #[test]
    fn a_guest_snapshot_does_not_follow_a_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let init = dir.path().join("llconf-guest-init");
        let t = dir.path().join("llconf-guest-true");
        std::fs::write(&init, "init v1").unwrap();
        std::fs::write(&t, "true v1").unwrap();
        let g = GuestBinaries {
            init: init.clone(),
            true_bin: t.clone(),
        };
        let copy = snapshot_guest(&g, &dir.path().join("snap")).unwrap();
        std::fs::write(&init, "init v2").unwrap();
        std::fs::write(&t, "true v2").unwrap();
        assert_eq!(std::fs::read_to_string(&copy.init).unwrap(), "init v1");
        assert_eq!(std::fs::read_to_string(&copy.true_bin).unwrap(), "true v1");
    }
}
