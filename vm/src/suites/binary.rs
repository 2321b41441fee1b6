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
