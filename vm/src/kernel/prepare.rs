//! `prepare()`: a kernel definition made ready to boot. Debian packages
//! come from the store (fetched when missing or old), local images and
//! trees are checked, trees are built, UML kernels are built by
//! `uml_build`.

use crate::cache_dir::Cache;
use crate::host::tools;
use crate::kernel::backend::Backend;
use crate::kernel::catalogue::{Builder, DebianSpec, Kernel, Source};
use crate::kernel::debian::{self, Apt};
use crate::kernel::image::{BootImage, Freshness, Prepared};
use crate::kernel::store::{self, from_manifest};
use crate::kernel::uml_build::{self, Flavor};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

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
        Source::Local { path } => local(path, kernel.backend == Some(Backend::Uml))
            .with_context(|| format!("kernel `{}`", kernel.name)),
        Source::DebianTree(spec) => {
            let mut say = |s: String| say(format!("{}: {s}", kernel.name));
            let built = uml_build::build_source_package(
                cache,
                spec,
                catalogue_dir,
                freshness,
                Flavor::Plain,
                &mut say,
            )
            .with_context(|| format!("kernel `{}` ({})", kernel.name, kernel.file.display()))?;
            Ok(from_uml(built))
        }
        Source::Build {
            path,
            builder: Builder::Uml,
            patches,
        } => {
            let mut say = |s: String| say(format!("{}: {s}", kernel.name));
            let built = uml_build::build_tree(
                cache,
                &kernel.name,
                path,
                patches,
                catalogue_dir,
                Flavor::Plain,
                &mut say,
            )
            .with_context(|| {
                format!(
                    "building kernel `{}` ({})",
                    kernel.name,
                    kernel.file.display()
                )
            })?;
            Ok(from_uml(built))
        }
        Source::Tree { path, arch } => {
            let mut say = |s: String| say(format!("{}: {s}", kernel.name));
            let built = crate::kernel::tree::build(cache, path, *arch, catalogue_dir, &mut say)
                .with_context(|| format!("building kernel `{}`", kernel.name))?;
            Ok(Prepared {
                packages: built.facts(path),
                image: BootImage::Image(built.image),
                release: Some(built.release),
                has_modules: true,
            })
        }
        Source::Build { path, builder, .. } => {
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

/// A coverage build (gcov, source and objects kept) of a kernel that
/// llconf builds as User-Mode Linux: a source package or a tree.
pub fn coverage_build(
    cache: &Cache,
    kernel: &Kernel,
    catalogue_dir: &Path,
    say: &mut dyn FnMut(String),
) -> Result<uml_build::Built> {
    let mut say = |s: String| say(format!("{}: {s}", kernel.name));
    match &kernel.source {
        Source::DebianTree(spec) => uml_build::build_source_package(
            cache,
            spec,
            catalogue_dir,
            Freshness::IfOld,
            Flavor::Coverage,
            &mut say,
        ),
        Source::Build {
            path,
            builder: Builder::Uml,
            patches,
        } => uml_build::build_tree(
            cache,
            &kernel.name,
            path,
            patches,
            catalogue_dir,
            Flavor::Coverage,
            &mut say,
        ),
        Source::Tree {
            path,
            arch: crate::kernel::catalogue::TreeArch::Um,
        } => uml_build::build_tree(
            cache,
            &kernel.name,
            path,
            &[],
            catalogue_dir,
            Flavor::Coverage,
            &mut say,
        ),
        _ => bail!(
            "kernel `{}` is not built by llconf as User-Mode Linux; coverage needs a UML \
             build from source (`type = \"debian-source\"`, or `type = \"build\"` with \
             `builder = \"uml\"`)",
            kernel.name
        ),
    }
    .with_context(|| format!("the coverage build of kernel `{}`", kernel.name))
}

pub fn from_uml(built: uml_build::Built) -> Prepared {
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
        if !uml_build::is_uml_program(&program) {
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
    let (resolved, packages) =
        match debian_packages(cache, kernel, spec, freshness, needs_modules, say)? {
            Packages::Cached(m) => return Ok(from_manifest(m)),
            Packages::Resolved(r, p) => (r, p),
        };
    if let Some(m) = store::manifests(cache)
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
    let m = store::download_and_extract(cache, spec, &resolved, &packages)
        .with_context(|| format!("kernel `{}`", kernel.name))?;
    say(format!("{}: {} ready", kernel.name, m.image.display()));
    Ok(from_manifest(m))
}

/// What the package lists say a Debian kernel is now, or, offline, the
/// kernel already in the cache.
pub enum Packages {
    Resolved(debian::Resolved, Vec<String>),
    Cached(store::Manifest),
}

/// The packages (`name=version`) a Debian kernel resolves to, the package
/// lists updated when they are old; nothing is downloaded.
pub fn debian_packages(
    cache: &Cache,
    kernel: &Kernel,
    spec: &DebianSpec,
    freshness: Freshness,
    needs_modules: bool,
    say: &mut dyn FnMut(String),
) -> Result<Packages> {
    let apt = Apt::new(cache.apt_dir());
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
            let cached = store::manifests(cache)
                .into_iter()
                .find(|m| &m.spec == spec && (!needs_modules || store::has_modules(&m.packages)));
            if let (Freshness::IfOld, Some(m)) = (freshness, cached) {
                say(format!(
                    "{}: warning: {e:#}; using the cached {}",
                    kernel.name, m.release
                ));
                return Ok(Packages::Cached(m));
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
    Ok(Packages::Resolved(resolved, packages))
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
            tools::vng_path(&Cache::from_env()).display().to_string(),
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
