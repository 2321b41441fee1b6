//! A run owns its `--out` folder: one run at a time writes into it, what an
//! earlier run left there is removed before anything new is written (so an
//! interrupted run never leaves old results beside new ones), and a folder
//! holding files no llconf run wrote is refused rather than mixed with.

use anyhow::{bail, Context, Result};
use llconf_reports::layout;
use std::fs::File;
use std::path::Path;

/// Locks `dir` for this run, then empties it of an earlier run's files.
/// The returned lock is held until dropped.
pub fn claim(dir: &Path) -> Result<File> {
    let c = layout::contents(dir).with_context(|| format!("reading {}", dir.display()))?;
    if !c.foreign.is_empty() {
        let names: Vec<String> = c
            .foreign
            .iter()
            .take(5)
            .map(|p| p.display().to_string())
            .collect();
        bail!(
            "{}: not an llconf run folder: it holds {} entr{} no llconf run wrote ({}{}); \
             choose another --out, or empty it",
            dir.display(),
            c.foreign.len(),
            if c.foreign.len() == 1 { "y" } else { "ies" },
            names.join(", "),
            if c.foreign.len() > 5 { ", ..." } else { "" }
        );
    }
    let lock = crate::host::lock::exclusive(dir, "llconf run writing into it")?;
    for p in c.earlier_run {
        if p.file_name().and_then(|n| n.to_str()) == Some(layout::LOCK_FILE) {
            continue;
        }
        let removed = if p.is_dir() && !p.is_symlink() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        removed.with_context(|| format!("removing {} of an earlier run", p.display()))?;
    }
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_run_is_replaced_and_a_foreign_folder_refused() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        std::fs::create_dir_all(out.join("results")).unwrap();
        std::fs::write(out.join("results/base.jsonl"), "old").unwrap();
        std::fs::write(out.join("junit.xml"), "old").unwrap();
        std::fs::create_dir_all(out.join("coverage")).unwrap();
        std::fs::write(out.join("coverage/coverage.json"), "{}").unwrap();
        let lock = claim(&out).unwrap();
        assert!(!out.join("results").exists() && !out.join("junit.xml").exists());
        assert!(out.join("coverage/coverage.json").exists(), "not the run's");
        let second = claim(&out).unwrap_err().to_string();
        assert!(second.contains("in use by another llconf run"), "{second}");
        drop(lock);

        std::fs::write(out.join("thesis.tex"), "mine").unwrap();
        let e = claim(&out).unwrap_err().to_string();
        assert!(
            e.contains("not an llconf run folder") && e.contains("thesis.tex"),
            "{e}"
        );
        assert!(out.join("thesis.tex").exists());
    }
}
