//! The baselines of a run, kept in its `--out` for `--resume`: the two
//! runs of the unmutated kernel (and the peer's two) cost ten minutes and
//! more, and they hold while the kernel, the suites and their arguments are
//! the same. A fingerprint of those is kept with them: the source of the
//! mutated folder and the configuration (not the built kernel, whose link
//! numbers every build), the suite binaries, the guest init and the peer's
//! programs, the suite arguments. Anything changed, and the baselines run
//! again.

use crate::mutants::judge::Baseline;
use anyhow::{Context, Result};
use llconf_reports::mutants::BaselineFacts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// In `--out`.
pub const FILE_NAME: &str = "baselines.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    pub baseline: Baseline,
    pub facts: BaselineFacts,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeptFile {
    fingerprint: String,
    /// `llconf` or the peer's name.
    runs: BTreeMap<String, Kept>,
}

/// What the baselines depend on, as a digest: each part named, then its
/// bytes (a file's content, a folder's files in name order).
pub struct Fingerprint(crate::kernel::digest::Fnv);

impl Fingerprint {
    pub fn new() -> Fingerprint {
        Fingerprint(crate::kernel::digest::Fnv::new())
    }

    pub fn text(&mut self, name: &str, text: &str) {
        self.0.feed(name.as_bytes());
        self.0.feed(&[0]);
        self.0.feed(text.as_bytes());
        self.0.feed(&[0]);
    }

    /// A file, or every file under a folder (a missing one counts as
    /// empty: it changes the digest when it appears).
    pub fn path(&mut self, name: &str, path: &Path) -> Result<()> {
        if path.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for e in entries {
                let sub = format!(
                    "{name}/{}",
                    e.file_name().unwrap_or_default().to_string_lossy()
                );
                self.path(&sub, &e)?;
            }
            return Ok(());
        }
        self.0.feed(name.as_bytes());
        self.0.feed(&[0]);
        self.0.feed(&std::fs::read(path).unwrap_or_default());
        self.0.feed(&[0]);
        Ok(())
    }

    pub fn hex(&self) -> String {
        self.0.hex()
    }
}

/// The baselines of `which` kept in `out` with this fingerprint, if any.
pub fn load(out: &Path, fingerprint: &str, which: &str) -> Option<Kept> {
    let text = std::fs::read_to_string(out.join(FILE_NAME)).ok()?;
    let file: KeptFile = serde_json::from_str(&text).ok()?;
    (file.fingerprint == fingerprint)
        .then(|| file.runs.get(which).cloned())
        .flatten()
}

/// Keeps the baselines of `which`, beside those of the same fingerprint;
/// those of another are dropped.
pub fn save(out: &Path, fingerprint: &str, which: &str, kept: &Kept) -> Result<()> {
    let path = out.join(FILE_NAME);
    let mut file = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<KeptFile>(&t).ok())
        .filter(|f| f.fingerprint == fingerprint)
        .unwrap_or_else(|| KeptFile {
            fingerprint: fingerprint.to_string(),
            runs: BTreeMap::new(),
        });
    file.runs.insert(which.to_string(), kept.clone());
    let tmp = out.join(format!(".{FILE_NAME}.tmp"));
    std::fs::write(&tmp, serde_json::to_string_pretty(&file)? + "\n")
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(passed: usize) -> Kept {
        Kept {
            baseline: Baseline::default(),
            facts: BaselineFacts {
                passed,
                flaky: vec![],
                seconds: 1.0,
                limit_seconds: 60.0,
            },
        }
    }

    #[test]
    fn baselines_are_found_again_only_with_the_same_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path(), "f1", "llconf"), None, "nothing kept yet");
        save(dir.path(), "f1", "llconf", &kept(3)).unwrap();
        save(dir.path(), "f1", "ksft", &kept(4)).unwrap();
        assert_eq!(load(dir.path(), "f1", "llconf"), Some(kept(3)));
        assert_eq!(load(dir.path(), "f1", "ksft"), Some(kept(4)));
        assert_eq!(
            load(dir.path(), "f2", "llconf"),
            None,
            "another kernel or suites"
        );
        // Another fingerprint replaces the file: the old peer goes too.
        save(dir.path(), "f2", "llconf", &kept(5)).unwrap();
        assert_eq!(load(dir.path(), "f2", "ksft"), None);
        assert_eq!(load(dir.path(), "f1", "llconf"), None);
    }

    #[test]
    fn a_fingerprint_changes_with_any_file_of_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("d/e")).unwrap();
        std::fs::write(dir.path().join("d/a.c"), "int a;").unwrap();
        std::fs::write(dir.path().join("d/e/b.c"), "int b;").unwrap();
        let of = |d: &Path| {
            let mut f = Fingerprint::new();
            f.text("args", "--x");
            f.path("src", d).unwrap();
            f.hex()
        };
        let first = of(&dir.path().join("d"));
        assert_eq!(first, of(&dir.path().join("d")));
        std::fs::write(dir.path().join("d/e/b.c"), "int b2;").unwrap();
        assert_ne!(first, of(&dir.path().join("d")));
    }
}
