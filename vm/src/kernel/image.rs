//! A kernel made ready to boot: what `prepare()` hands the backends.

use std::path::{Path, PathBuf};

/// A kernel ready for vng.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub image: BootImage,
    /// `name=version` of every Debian package, for the reports.
    pub packages: Vec<String>,
    pub release: Option<String>,
    /// Whether its modules are there (vng needs them); local images and
    /// trees are taken to have theirs.
    pub has_modules: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BootImage {
    /// A kernel image; vng finds the modules by walking up to `lib/modules`.
    Image(PathBuf),
    /// A built kernel tree: vng runs it from inside the tree.
    Tree(PathBuf),
}

impl BootImage {
    pub fn path(&self) -> &Path {
        match self {
            BootImage::Image(p) | BootImage::Tree(p) => p,
        }
    }

    /// The kernel image itself, for a direct qemu boot.
    pub fn kernel_image(&self) -> PathBuf {
        match self {
            BootImage::Image(p) => p.clone(),
            BootImage::Tree(t) => t.join("arch/x86/boot/bzImage"),
        }
    }
}

/// How hard to try for a fresh kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// `llconf run`: refresh the package lists only when they are old, and
    /// fall back to a cached kernel if that fails.
    IfOld,
    /// `llconf fetch`: always refresh the lists, always (re)build trees.
    Now,
}
