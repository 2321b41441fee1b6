//! The store of extracted Debian kernels in the cache: each under
//! `kernels/<release>_<version>/` with its manifest, extracted beside and
//! renamed so that a half-extracted kernel is never used.

use crate::cache_dir::Cache;
use crate::kernel::catalogue::DebianSpec;
use crate::kernel::debian::{self, Apt, Resolved};
use crate::kernel::image::{BootImage, Prepared};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const MANIFEST: &str = "llconf-kernel.json";

/// Every extracted kernel, newest fetch first.
pub fn manifests(cache: &Cache) -> Vec<Manifest> {
    let Ok(entries) = std::fs::read_dir(cache.kernels_dir()) else {
        return Vec::new();
    };
    let mut all: Vec<Manifest> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path().join(MANIFEST)).ok())
        .filter_map(|bytes| serde_json::from_slice(&bytes).ok())
        .filter(|m: &Manifest| m.image.is_file())
        .collect();
    all.sort_by(|a, b| b.fetched_at.total_cmp(&a.fetched_at));
    all
}

/// The newest kernel fetched for this very definition.
pub fn cached_for(cache: &Cache, spec: &DebianSpec) -> Option<Manifest> {
    manifests(cache).into_iter().find(|m| &m.spec == spec)
}

/// What `kernels/<dir>/llconf-kernel.json` says about an extracted kernel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub spec: DebianSpec,
    /// `6.12.95+deb12-amd64`.
    pub release: String,
    /// `name=version`, image first.
    pub packages: Vec<String>,
    pub image: PathBuf,
    /// Seconds since the epoch.
    pub fetched_at: f64,
}

pub fn from_manifest(m: Manifest) -> Prepared {
    Prepared {
        image: BootImage::Image(m.image),
        has_modules: has_modules(&m.packages),
        packages: m.packages,
        release: Some(m.release),
    }
}

/// An unsplit `linux-image-*` holds its modules; a split kernel has them
/// only with its `linux-modules-*`.
pub fn has_modules(packages: &[String]) -> bool {
    packages
        .iter()
        .any(|p| p.starts_with("linux-modules-") || p.starts_with("linux-image-"))
}

pub fn download_and_extract(
    cache: &Cache,
    spec: &DebianSpec,
    resolved: &Resolved,
    packages: &[String],
) -> Result<Manifest> {
    let apt = Apt::new(cache.apt_dir());
    let debs = cache.debs_dir();
    let version = packages[0].split_once('=').map_or("", |(_, v)| v);
    let name = format!(
        "{}_{}",
        resolved.release,
        version.replace([':', '~', '+'], "_")
    );
    let dir = cache.kernels_dir().join(&name);
    // Extracted beside, then renamed: a half-extracted kernel is never used.
    let tmp = cache.kernels_dir().join(format!(".{name}.partial"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut downloaded = Vec::new();
    for p in packages {
        let (pkg, ver) = p.split_once('=').expect("name=version");
        let deb = apt.download(pkg, ver, &debs)?;
        debian::extract(&deb, &tmp)?;
        downloaded.push(deb);
    }
    let image = find_image(&tmp, &resolved.release).with_context(|| {
        format!(
            "no vmlinuz for {} in {}",
            resolved.release,
            packages.join(", ")
        )
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&tmp, &dir).with_context(|| format!("renaming to {}", dir.display()))?;
    let manifest = Manifest {
        spec: spec.clone(),
        release: resolved.release.clone(),
        packages: packages.to_vec(),
        image: dir.join(image.strip_prefix(&tmp).expect("found inside")),
        fetched_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
    };
    std::fs::write(
        dir.join(MANIFEST),
        serde_json::to_vec_pretty(&manifest).expect("serializable"),
    )?;
    // The kernel is stored once: extracted, with its manifest. The packages
    // would double the cache (and a CI cache of it) for nothing; a kernel
    // whose folder is gone is downloaded again.
    for deb in downloaded {
        let _ = std::fs::remove_file(deb);
    }
    Ok(manifest)
}

/// Debian puts the image in /boot, or, since the split, next to the modules.
fn find_image(root: &Path, release: &str) -> Option<PathBuf> {
    [
        format!("boot/vmlinuz-{release}"),
        format!("usr/lib/modules/{release}/vmlinuz"),
        format!("lib/modules/{release}/vmlinuz"),
    ]
    .iter()
    .map(|p| root.join(p))
    .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_is_found_in_either_layout() {
        let dir = tempfile::tempdir().unwrap();
        assert!(find_image(dir.path(), "7.3.4+deb13-amd64").is_none());
        let split = dir.path().join("usr/lib/modules/7.3.4+deb13-amd64");
        std::fs::create_dir_all(&split).unwrap();
        std::fs::write(split.join("vmlinuz"), "").unwrap();
        assert_eq!(
            find_image(dir.path(), "7.3.4+deb13-amd64").unwrap(),
            split.join("vmlinuz")
        );
    }

    #[test]
    fn a_split_kernel_without_its_modules_package_has_none() {
        assert!(has_modules(&[
            "linux-image-6.12.95+deb12-amd64-unsigned=1".into()
        ]));
        assert!(has_modules(&[
            "linux-binary-7.3.4+deb13-amd64=1".into(),
            "linux-modules-7.3.4+deb13-amd64=1".into()
        ]));
        assert!(!has_modules(&["linux-binary-7.1.13+deb13-amd64=1".into()]));
    }
}
