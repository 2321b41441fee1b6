//! llconf's cache directory, and kernels made ready to boot in it: Debian
//! packages downloaded and extracted, local images checked, trees built.
//!
//! Layout under `$LLCONF_CACHE` (default `$XDG_CACHE_HOME/llconf`, or
//! `~/.cache/llconf`):
//! - `apt/`: the private apt state (sources.list, lists, cache);
//! - `debs/`: downloaded packages;
//! - `kernels/<release>_<version>/`: an extracted kernel with its
//!   `llconf-kernel.json` manifest;
//! - `venv/`: virtme-ng (see `llconf setup`);
//! - `accel.json`: the KVM verdict of this machine.

use crate::kernel::catalogue::{Builder, DebianSpec, Kernel, Source};
use crate::kernel::debian::{self, Apt, Resolved};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const MANIFEST: &str = "llconf-kernel.json";

#[derive(Debug, Clone)]
pub struct Cache {
    pub root: PathBuf,
}

impl Cache {
    pub fn from_env() -> Cache {
        let root = if let Some(dir) = std::env::var_os("LLCONF_CACHE") {
            PathBuf::from(dir)
        } else if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            PathBuf::from(dir).join("llconf")
        } else {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            PathBuf::from(home).join(".cache/llconf")
        };
        Cache {
            root: std::path::absolute(&root).unwrap_or(root),
        }
    }

    pub fn apt(&self) -> Apt {
        Apt::new(self.root.join("apt"))
    }

    pub fn venv(&self) -> PathBuf {
        self.root.join("venv")
    }

    pub fn accel_file(&self) -> PathBuf {
        self.root.join("accel.json")
    }

    fn kernels_dir(&self) -> PathBuf {
        self.root.join("kernels")
    }

    /// Every extracted kernel, newest fetch first.
    pub fn manifests(&self) -> Vec<Manifest> {
        let Ok(entries) = std::fs::read_dir(self.kernels_dir()) else {
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
    pub fn cached_for(&self, spec: &DebianSpec) -> Option<Manifest> {
        self.manifests().into_iter().find(|m| &m.spec == spec)
    }
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

/// `needs_modules`: the kernel boots in vng, so a Debian release without
/// its modules package will not do.
pub fn prepare(
    cache: &Cache,
    kernel: &Kernel,
    catalogue_dir: &Path,
    freshness: Freshness,
    needs_modules: bool,
    say: &mut dyn FnMut(String),
) -> Result<Prepared> {
    match &kernel.source {
        Source::Debian(spec) => prepare_debian(cache, kernel, spec, freshness, needs_modules, say),
        Source::Local { path } => local(
            path,
            kernel.backend == Some(crate::kernel::backend::Backend::Uml),
        )
        .with_context(|| format!("kernel `{}`", kernel.name)),
        Source::DebianTree(spec) => {
            let mut say = |s: String| say(format!("{}: {s}", kernel.name));
            let built = crate::kernel::uml_build::build_source_package(
                cache,
                spec,
                catalogue_dir,
                freshness,
                &mut say,
            )
            .with_context(|| format!("kernel `{}`", kernel.name))?;
            Ok(from_uml(built))
        }
        Source::Build {
            path,
            builder: Builder::Uml,
        } => {
            let mut say = |s: String| say(format!("{}: {s}", kernel.name));
            let built = crate::kernel::uml_build::build_tree(
                cache,
                &kernel.name,
                path,
                catalogue_dir,
                &mut say,
            )
            .with_context(|| format!("building kernel `{}`", kernel.name))?;
            Ok(from_uml(built))
        }
        Source::Build { path, builder } => {
            let built = path.join("arch/x86/boot/bzImage");
            if freshness == Freshness::Now || !built.is_file() {
                say(format!("{}: building {}", kernel.name, path.display()));
                build(path, *builder, &catalogue_dir.join("landlock.config"))
                    .with_context(|| format!("building kernel `{}`", kernel.name))?;
            }
            local(path, false).with_context(|| format!("kernel `{}`", kernel.name))
        }
    }
}

fn from_uml(built: crate::kernel::uml_build::Built) -> Prepared {
    Prepared {
        image: BootImage::Image(built.program),
        packages: built.packages,
        release: Some(built.release),
        has_modules: true,
    }
}

/// `uml`: the path is a built `linux` program, or a tree holding one.
fn local(path: &Path, uml: bool) -> Result<Prepared> {
    if uml {
        let program = if path.is_dir() {
            path.join("linux")
        } else {
            path.to_path_buf()
        };
        if !program.is_file() {
            bail!(
                "User-Mode Linux program {} does not exist (build it with `make ARCH=um linux`)",
                program.display()
            );
        }
        if !crate::boot::uml::is_uml_program(&program) {
            bail!(
                "{} is not a User-Mode Linux program (`{} --version` did not answer)",
                program.display(),
                program.display()
            );
        }
        return Ok(Prepared {
            image: BootImage::Image(program),
            packages: Vec::new(),
            release: None,
            has_modules: true,
        });
    }
    if path.is_dir() {
        if !path.join("arch/x86/boot/bzImage").is_file() {
            bail!(
                "{} is a directory without arch/x86/boot/bzImage: not a built kernel tree",
                path.display()
            );
        }
        return Ok(Prepared {
            image: BootImage::Tree(path.to_path_buf()),
            packages: Vec::new(),
            release: None,
            has_modules: true,
        });
    }
    if !path.is_file() {
        bail!("kernel image {} does not exist", path.display());
    }
    Ok(Prepared {
        image: BootImage::Image(path.to_path_buf()),
        packages: Vec::new(),
        release: None,
        has_modules: true,
    })
}

fn prepare_debian(
    cache: &Cache,
    kernel: &Kernel,
    spec: &DebianSpec,
    freshness: Freshness,
    needs_modules: bool,
    say: &mut dyn FnMut(String),
) -> Result<Prepared> {
    let apt = cache.apt();
    apt.ensure_layout()?;
    let stale = match apt.lists_age() {
        None => true,
        // `Now` still spares a second update within one `llconf fetch`.
        Some(age) => match freshness {
            Freshness::Now => age > Duration::from_secs(300),
            Freshness::IfOld => age > debian::LISTS_MAX_AGE,
        },
    };
    if stale {
        say(format!("{}: updating the package lists", kernel.name));
        if let Err(e) = apt.update() {
            // Offline with a kernel already here: better a run on a slightly
            // older point release than no run.
            let cached = cache
                .manifests()
                .into_iter()
                .find(|m| &m.spec == spec && (!needs_modules || has_modules(&m.packages)));
            if let (Freshness::IfOld, Some(m)) = (freshness, cached) {
                say(format!(
                    "{}: warning: {e:#}; using the cached {}",
                    kernel.name, m.release
                ));
                return Ok(from_manifest(m));
            }
            return Err(e).with_context(|| format!("kernel `{}`", kernel.name));
        }
    }
    let names = apt.kernel_names(&spec.series)?;
    let resolved = debian::resolve(&names, spec, needs_modules)
        .with_context(|| format!("kernel `{}`", kernel.name))?;
    let mut packages = Vec::new();
    for p in &resolved.packages {
        packages.push(format!("{p}={}", apt.candidate_version(p)?));
    }
    if let Some(m) = cache
        .manifests()
        .into_iter()
        .find(|m| m.packages == packages)
    {
        return Ok(from_manifest(m));
    }
    say(format!(
        "{}: downloading {}",
        kernel.name,
        resolved.packages.join(" and ")
    ));
    let m = download_and_extract(cache, spec, &resolved, &packages)
        .with_context(|| format!("kernel `{}`", kernel.name))?;
    say(format!("{}: {} ready", kernel.name, m.image.display()));
    Ok(from_manifest(m))
}

fn from_manifest(m: Manifest) -> Prepared {
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

fn download_and_extract(
    cache: &Cache,
    spec: &DebianSpec,
    resolved: &Resolved,
    packages: &[String],
) -> Result<Manifest> {
    let apt = cache.apt();
    let debs = cache.root.join("debs");
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
    for p in packages {
        let (pkg, ver) = p.split_once('=').expect("name=version");
        let deb = apt.download(pkg, ver, &debs)?;
        debian::extract(&deb, &tmp)?;
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

fn build(tree: &Path, builder: Builder, fragment: &Path) -> Result<()> {
    if !tree.join("Makefile").is_file() {
        bail!("{} is not a kernel source tree", tree.display());
    }
    let fragment = fragment.display().to_string();
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let steps: Vec<Vec<String>> = match builder {
        Builder::Uml => bail!("{}: UML trees are built by uml_build", tree.display()),
        // vng applies its own needs (9p, virtio, ...) on top of the fragment.
        Builder::Vng => vec![vec![
            crate::boot::vng::vng_path(&Cache::from_env())
                .display()
                .to_string(),
            "--build".into(),
            "--config".into(),
            fragment,
            "--configitem".into(),
            "CONFIG_SECURITY=y".into(),
        ]],
        Builder::Make => vec![
            vec!["make".into(), "defconfig".into()],
            vec![
                "scripts/kconfig/merge_config.sh".into(),
                "-m".into(),
                ".config".into(),
                fragment,
            ],
            vec!["make".into(), "olddefconfig".into()],
            vec![
                "make".into(),
                format!("-j{jobs}"),
                "bzImage".into(),
                "modules".into(),
            ],
        ],
    };
    for step in steps {
        let status = Command::new(&step[0])
            .args(&step[1..])
            .current_dir(tree)
            .stdin(Stdio::null())
            .status()
            .with_context(|| format!("running {}", step[0]))?;
        if !status.success() {
            bail!("`{}` failed ({status})", step.join(" "));
        }
    }
    Ok(())
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

    #[test]
    fn a_local_tree_needs_a_built_image() {
        let dir = tempfile::tempdir().unwrap();
        let err = local(dir.path(), false).unwrap_err().to_string();
        assert!(err.contains("bzImage"), "{err}");
        let err = local(&dir.path().join("nope"), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
        let err = local(dir.path(), true).unwrap_err().to_string();
        assert!(
            err.contains("User-Mode Linux program") && err.contains("/linux"),
            "{err}"
        );
        std::fs::write(dir.path().join("linux"), "").unwrap();
        let err = local(dir.path(), true).unwrap_err().to_string();
        assert!(err.contains("is not a User-Mode Linux program"), "{err}");
    }
}
