//! A full disk, said once and clearly: before a run writes anything, and
//! in the error of any write that fails for it.

use anyhow::{anyhow, bail, Result};
use std::path::Path;

/// Below this, a run would fail part-way: its logs, records and reports
/// need a few megabytes per target.
pub const MIN_FREE_BYTES: u64 = 16 << 20;

/// Bytes an unprivileged writer can still use on the filesystem of `dir`.
pub fn available(dir: &Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(dir).ok()?;
    Some(st.blocks_available() as u64 * st.fragment_size() as u64)
}

/// Refuses to start a run whose output folder's disk is (nearly) full.
pub fn check_room(dir: &Path) -> Result<()> {
    let probe = dir
        .ancestors()
        .find(|d| d.exists())
        .unwrap_or(Path::new("."));
    match available(probe) {
        Some(free) if free < MIN_FREE_BYTES => bail!(
            "the disk of {} is full: {} KiB free, and a run needs at least {} MiB for its \
             logs, records and reports; free some space or choose another --out",
            dir.display(),
            free / 1024,
            MIN_FREE_BYTES >> 20
        ),
        _ => Ok(()),
    }
}

/// Said once at the end: a disk that filled up during the run explains
/// crashed suites and missing records better than each of their errors.
pub fn warn_if_full(out: &Path) {
    if available(out).is_some_and(|free| free < 64 * 1024) {
        eprintln!(
            "llconf: the disk of {} is full: suites that could not write their logs or \
             records crashed or lost results; what was written is kept",
            out.display()
        );
    }
}

/// The error of a write to `path`, saying so when the disk is full.
pub fn explain(e: std::io::Error, path: &Path) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::StorageFull {
        anyhow!(
            "the disk is full: cannot write {} ({e}); what was written before is kept",
            path.display()
        )
    } else {
        anyhow!("writing {}: {e}", path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_named_as_such() {
        let e = explain(
            std::io::Error::from_raw_os_error(libc_enospc()),
            Path::new("/out/junit.xml"),
        );
        assert!(e
            .to_string()
            .starts_with("the disk is full: cannot write /out/junit.xml"));
        let e = explain(
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            Path::new("/x"),
        );
        assert!(e.to_string().starts_with("writing /x: "));
    }

    fn libc_enospc() -> i32 {
        nix::errno::Errno::ENOSPC as i32
    }

    #[test]
    fn a_folder_with_room_passes() {
        check_room(&std::env::temp_dir().join("llconf-not-yet-made")).unwrap();
    }
}
