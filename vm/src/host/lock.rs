//! One llconf run at a time on a shared folder of the cache (a coverage
//! build's counters, a mutants workspace): an exclusive lock on a file in
//! it, which the kernel releases when the holder dies, even by kill -9.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::path::Path;

/// `dir/.lock`, opened (made if needed) but not locked yet.
fn lock_file(dir: &Path) -> Result<(File, std::path::PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(llconf_reports::layout::LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    Ok((file, path))
}

/// Holds `dir/.lock` (layout's `LOCK_FILE`) until dropped; refuses, naming the folder and `what`
/// holds it, when another process has it.
pub fn exclusive(dir: &Path, what: &str) -> Result<File> {
    let (file, _) = lock_file(dir)?;
    if let Err(e) = file.try_lock() {
        bail!(
            "{} is in use by another {what} ({e}); wait for it to end, or stop it",
            dir.display()
        );
    }
    Ok(file)
}

/// Like [`exclusive`], but `None` rather than an error when another
/// process holds it: for a caller with other folders to try.
pub fn try_exclusive(dir: &Path) -> Result<Option<File>> {
    let (file, _) = lock_file(dir)?;
    Ok(file.try_lock().is_ok().then_some(file))
}

/// Like [`exclusive`], but waits for the holder to end, saying once what
/// it waits for.
pub fn wait_exclusive(dir: &Path, what: &str) -> Result<File> {
    let (file, path) = lock_file(dir)?;
    if file.try_lock().is_err() {
        eprintln!(
            "llconf: waiting for another {what} to end (it holds {})",
            path.display()
        );
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = exclusive(dir.path(), "llconf run").unwrap();
        let err = exclusive(dir.path(), "llconf run").unwrap_err();
        assert!(
            err.to_string().contains("in use by another llconf run"),
            "{err}"
        );
        assert!(try_exclusive(dir.path()).unwrap().is_none());
        drop(first);
        let second = exclusive(dir.path(), "llconf run").unwrap();
        assert!(try_exclusive(dir.path()).unwrap().is_none());
        drop(second);
        assert!(try_exclusive(dir.path()).unwrap().is_some());
    }
}
