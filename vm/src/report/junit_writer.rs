//! Writing the JUnit report file.

use anyhow::{bail, Context, Result};
use llconf_reports::quick_junit;
use std::path::Path;

/// Fails when the report could not be written there, so that this is known
/// before any suite runs rather than after; makes its folder if needed.
pub fn check_destination(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Made if missing (`--junit out/base.xml` on a fresh checkout); what
    // cannot be made is said now rather than after the run.
    if let Err(e) = std::fs::create_dir_all(dir) {
        bail!(
            "cannot make the directory of the JUnit report {} (for --junit {}): {e}",
            dir.display(),
            path.display()
        );
    }
    if path.is_dir() {
        bail!("the JUnit report path is a directory: {}", path.display());
    }
    Ok(())
}

pub fn write_report(path: &Path, report: &quick_junit::Report) -> Result<()> {
    let xml = report.to_string().context("serializing the JUnit report")?;
    // Through a temporary file so that a reader never sees half a report.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let written = std::fs::write(&tmp, xml).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        // No half-written temporary file is left behind.
        let _ = std::fs::remove_file(&tmp);
        return Err(crate::host::disk::explain(e, path));
    }
    Ok(())
}
