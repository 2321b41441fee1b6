//! Building User-Mode Linux kernels: a maintainer's tree (`type = "build"`,
//! `builder = "uml"`, built out of tree on every run) or Debian's
//! `linux-source-<series>` package
//! (`type = "debian-source"`), configured as `make ARCH=um defconfig` plus
//! `kernels/landlock.config` and `kernels/uml.config`.
//!
//! The package is downloaded with the private apt state, its tarball
//! unpacked under `<cache>/uml/<package>_<version>/src` and built out of
//! tree into `.../build`. Then only `linux` and `config` are kept there:
//! the source and objects take 2.3 GB. A build is reused while the
//! fragments it was made with are unchanged.
//!
//! The coverage flavour (`llconf coverage`) adds `kernels/coverage.config`
//! (gcov), builds into `<package>_<version>-coverage/` and keeps the source
//! and the objects: the counters are written beside the objects, and read
//! against the source. `llconf mutants` builds its private copies with
//! the coverage fragments and `kernels/mutants.config` (gcov off).

use crate::cache_dir::Cache;
use crate::kernel::catalogue::{SourcePackageSpec, TreeArch};
use crate::kernel::debian::{self, Apt};
use crate::kernel::digest::Fnv;
use crate::kernel::image::Freshness;
use crate::kernel::patches;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The fragments, in the order they are merged, relative to `kernels/`.
pub const FRAGMENTS: [&str; 2] = ["landlock.config", "uml.config"];
/// The same with gcov on, for `llconf coverage`.
pub const COVERAGE_FRAGMENTS: [&str; 3] = ["landlock.config", "uml.config", "coverage.config"];
/// The coverage build's without gcov, for `llconf mutants`: a mutant is
/// judged on the configuration whose per-test map chose its tests.
pub const MUTANTS_FRAGMENTS: [&str; 4] = [
    "landlock.config",
    "uml.config",
    "coverage.config",
    "mutants.config",
];
/// UML's linker script, which decides whether gcov's writer survives.
const LINKER_SCRIPT: &str = "arch/um/include/asm/common.lds.S";

/// What a UML build is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Running the suites: the `linux` program and its config are kept.
    Plain,
    /// Measuring coverage: built with gcov, source and objects kept.
    Coverage,
}

impl Flavor {
    pub fn fragments(self) -> &'static [&'static str] {
        match self {
            Flavor::Plain => &FRAGMENTS,
            Flavor::Coverage => &COVERAGE_FRAGMENTS,
        }
    }

    /// Beside a plain build of the same source, never over it.
    fn dir_suffix(self) -> &'static str {
        match self {
            Flavor::Plain => "",
            Flavor::Coverage => "-coverage",
        }
    }
}
/// Options without which a UML build is useless to llconf: Kconfig drops
/// an option whose dependencies are missing without a word.
const MUST_HAVE: [&str; 4] = [
    "CONFIG_SECURITY_LANDLOCK=y",
    "CONFIG_HOSTFS=y",
    "CONFIG_SECURITYFS=y",
    "CONFIG_DEVTMPFS=y",
];
/// What `make ARCH=um` runs beyond a compiler.
const TOOLS: [&str; 5] = ["make", "gcc", "flex", "bison", "bc"];
const MANIFEST: &str = "llconf-uml.json";

/// A built UML kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Built {
    /// The `linux` program.
    pub program: PathBuf,
    /// `6.12.95`: `make kernelrelease`.
    pub release: String,
    /// `linux-source-6.12=6.12.95-1~bpo12+1`, for the reports; empty for a
    /// tree.
    pub packages: Vec<String>,
    /// A digest of the fragments it was configured with.
    pub fragments: String,
    /// A digest of the patches applied before the build; empty for none.
    #[serde(default)]
    pub patches: String,
    /// Coverage builds: the source tree and the build directory (objects,
    /// `.gcno`, and the `.gcda` counters the kernel writes at power-off).
    #[serde(default)]
    pub coverage: Option<CoverageTree>,
}

/// Where a coverage build's source and objects are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageTree {
    pub source: PathBuf,
    pub objects: PathBuf,
}

/// Builds `tree` out of tree into `<cache>/uml/tree-<kernel>`, so that the
/// tree's own configuration and objects stay as they are. Every run
/// builds: make is incremental, and a maintainer wants the tree's current
/// state. Kbuild refuses a tree with an in-tree build (`make mrproper`);
/// its message is quoted. With `patches`, a private copy of the tree is
/// made on every run, patched, and built into `tree-<kernel>-patched`.
pub fn build_tree(
    cache: &Cache,
    kernel: &str,
    tree: &Path,
    patches: &[PathBuf],
    kernels_dir: &Path,
    flavor: Flavor,
    say: &mut dyn FnMut(String),
) -> Result<Built> {
    let name = if patches.is_empty() {
        format!("tree-{kernel}{}", flavor.dir_suffix())
    } else {
        format!("tree-{kernel}-patched{}", flavor.dir_suffix())
    };
    let out = cache.uml_dir().join(&name);
    let (source, patches_digest) = if patches.is_empty() {
        (tree.to_path_buf(), String::new())
    } else {
        let resolved = patches::resolve(patches, PATCH_HINT)?;
        let digest = patches::digest(&resolved)?;
        // Objects built from other patches may be newer than a file the
        // new set no longer changes: make would keep them.
        let stamp = out.join(PATCH_STAMP);
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(digest.as_str()) {
            let _ = std::fs::remove_dir_all(&out);
        }
        let copy = cache.uml_dir().join(format!("{name}-src"));
        say(format!(
            "copying {} to {} and applying {} patch file(s)",
            tree.display(),
            copy.display(),
            resolved.len()
        ));
        patches::private_copy(tree, &copy)?;
        patches::apply(&copy, &resolved, &out.with_extension("patches.log"))?;
        (copy, digest)
    };
    if flavor == Flavor::Coverage {
        // A maintainer's tree is theirs: it is checked, not patched; a
        // patched copy is llconf's own.
        keep_gcov_writer(&source, !patches.is_empty())?;
    }
    let log = out.with_extension("log");
    say(format!(
        "building User-Mode Linux from {} into {} (log: {})",
        source.display(),
        out.display(),
        log.display()
    ));
    build(&source, Some(&out), kernels_dir, flavor.fragments(), &log)?;
    if !patches_digest.is_empty() {
        std::fs::write(out.join(PATCH_STAMP), &patches_digest)?;
    }
    Ok(Built {
        release: release_of(&out),
        program: out.join("linux"),
        packages: Vec::new(),
        fragments: fragments_digest(kernels_dir, flavor.fragments())?,
        patches: patches_digest,
        coverage: (flavor == Flavor::Coverage).then(|| CoverageTree {
            source,
            objects: out.clone(),
        }),
    })
}

/// What a missing patch file's error adds.
const PATCH_HINT: &str = "its kernel definition says where it comes from";
/// In a patched tree's build directory: the digest of the patches it was
/// built with.
const PATCH_STAMP: &str = "llconf-patches";

/// The digest of a definition's patches, for finding its builds without
/// building; `None` when a patch cannot be read.
fn patches_digest_of(listed: &[PathBuf]) -> Option<String> {
    patches::digest(&patches::resolve(listed, "").ok()?).ok()
}

/// Downloads, unpacks and builds `linux-source-<series>`, or reuses the
/// build of the same package version and fragments. `Now` refreshes the
/// package lists first when a version is not pinned.
pub fn build_source_package(
    cache: &Cache,
    spec: &SourcePackageSpec,
    kernels_dir: &Path,
    freshness: Freshness,
    flavor: Flavor,
    say: &mut dyn FnMut(String),
) -> Result<Built> {
    let package = format!("linux-source-{}", spec.series);
    let apt = Apt::new(cache.apt_dir());
    apt.ensure_layout()?;
    let fragments = fragments_digest(kernels_dir, flavor.fragments())?;
    let resolved = patches::resolve(&spec.patches, PATCH_HINT)?;
    let patches_digest = patches::digest(&resolved)?;
    let version = match &spec.version {
        Some(v) => v.clone(),
        None => {
            // `llconf fetch` looks for a newer version; the same version
            // with the same fragments builds the same kernel again, so a
            // build is reused either way.
            let max_age = match freshness {
                Freshness::Now => std::time::Duration::from_secs(300),
                Freshness::IfOld => debian::LISTS_MAX_AGE,
            };
            if apt.lists_age().is_none_or(|a| a > max_age) {
                say("updating the package lists".into());
                if let Err(e) = apt.update() {
                    if let Some(b) =
                        newest_build(cache, &package, flavor, &patches_digest, Some(&fragments))
                    {
                        say(format!(
                            "warning: {e:#}; using the cached build of {}",
                            b.packages[0]
                        ));
                        return Ok(b);
                    }
                    return Err(e);
                }
            }
            apt.candidate_version(&package)
                .with_context(|| format!("finding {package} in the package lists"))?
        }
    };
    let dir = cache
        .uml_dir()
        .join(build_dir_name(&package, &version, &patches_digest, flavor));
    if let Some(b) =
        read_manifest(&dir).filter(|b| b.fragments == fragments && b.patches == patches_digest)
    {
        if b.program.is_file() {
            return Ok(b);
        }
    }
    let src = dir.join("src");
    let tree = src.join(&package);
    // A patched tree is unpacked afresh: one left by a failed run may be
    // half patched.
    if !resolved.is_empty() || !tree.join("Makefile").is_file() {
        say(format!("downloading {package}={version}"));
        let deb = apt
            .download(&package, &version, &cache.debs_dir())
            .with_context(|| format!("downloading {package}={version}"))?;
        unpack(&deb, &src, &package)?;
        // 150 MB that the unpacked tree now holds.
        let _ = std::fs::remove_file(&deb);
    }
    if !resolved.is_empty() {
        // The unpacked tree is llconf's own copy, in a folder keyed by the
        // patches: patched in place.
        say(format!("applying {} patch file(s)", resolved.len()));
        patches::apply(&tree, &resolved, &dir.join("patches.log"))?;
    }
    if flavor == Flavor::Coverage {
        // llconf's own unpacked copy: patched so that the counters get out.
        keep_gcov_writer(&tree, true)?;
    }
    let out = dir.join("build");
    let log = dir.join("build.log");
    say(format!(
        "building User-Mode Linux from {package}={version} ({} on 2 cores; log: {})",
        match flavor {
            Flavor::Plain => "4 to 6 minutes",
            Flavor::Coverage => "about 8 minutes with gcov",
        },
        log.display()
    ));
    build(&tree, Some(&out), kernels_dir, flavor.fragments(), &log)?;
    if flavor == Flavor::Coverage {
        let built = Built {
            program: out.join("linux"),
            release: release_of(&out),
            packages: package_facts(&package, &version, &spec.patches),
            fragments,
            patches: patches_digest,
            coverage: Some(CoverageTree {
                source: tree,
                objects: out,
            }),
        };
        std::fs::write(
            dir.join(MANIFEST),
            serde_json::to_vec_pretty(&built).expect("serializable"),
        )?;
        return Ok(built);
    }
    // Keep the program and its config; the unpacked source and the objects
    // are 2.3 GB, and a rebuild (other fragments) starts from the package.
    let program = dir.join("linux");
    std::fs::rename(out.join("linux"), &program)
        .with_context(|| format!("moving the built kernel to {}", program.display()))?;
    std::fs::copy(out.join(".config"), dir.join("config"))?;
    let built = Built {
        program,
        release: release_of(&out),
        packages: package_facts(&package, &version, &spec.patches),
        fragments,
        patches: patches_digest,
        coverage: None,
    };
    for d in [&src, &out] {
        let _ = std::fs::remove_dir_all(d);
    }
    std::fs::write(
        dir.join(MANIFEST),
        serde_json::to_vec_pretty(&built).expect("serializable"),
    )?;
    Ok(built)
}

/// The newest build of this definition's package, whatever its version
/// (for `llconf kernels`).
pub fn cached(cache: &Cache, spec: &SourcePackageSpec) -> Option<Built> {
    let package = format!("linux-source-{}", spec.series);
    let patches = patches_digest_of(&spec.patches)?;
    match &spec.version {
        Some(v) => read_manifest(&cache.uml_dir().join(build_dir_name(
            &package,
            v,
            &patches,
            Flavor::Plain,
        )))
        .filter(|b| b.program.is_file()),
        None => newest_build(cache, &package, Flavor::Plain, &patches, None),
    }
}

/// The newest coverage build of this definition's package, which keeps
/// its source.
pub fn cached_coverage(cache: &Cache, spec: &SourcePackageSpec) -> Option<Built> {
    let package = format!("linux-source-{}", spec.series);
    let patches = patches_digest_of(&spec.patches)?;
    newest_build(cache, &package, Flavor::Coverage, &patches, None).filter(|b| b.coverage.is_some())
}

/// `<package>_<version>[-p<patches>][-coverage]` under `<cache>/uml`.
fn build_dir_name(package: &str, version: &str, patches: &str, flavor: Flavor) -> String {
    let patched = if patches.is_empty() {
        String::new()
    } else {
        format!("-p{patches}")
    };
    format!(
        "{package}_{}{patched}{}",
        version.replace([':', '~', '+'], "_"),
        flavor.dir_suffix()
    )
}

/// For the reports: the package, and each patch file as listed.
fn package_facts(package: &str, version: &str, patches: &[PathBuf]) -> Vec<String> {
    std::iter::once(format!("{package}={version}"))
        .chain(patches.iter().map(|p| format!("patch={}", p.display())))
        .collect()
}

fn read_manifest(dir: &Path) -> Option<Built> {
    serde_json::from_slice(&std::fs::read(dir.join(MANIFEST)).ok()?).ok()
}

/// The newest build of the package in this flavour, made with these
/// fragments if given.
fn newest_build(
    cache: &Cache,
    package: &str,
    flavor: Flavor,
    patches: &str,
    fragments: Option<&str>,
) -> Option<Built> {
    let mut found: Vec<(std::time::SystemTime, Built)> = std::fs::read_dir(cache.uml_dir())
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(&format!("{package}_"))
                && name.ends_with("-coverage") == (flavor == Flavor::Coverage)
        })
        .filter_map(|e| {
            let b = read_manifest(&e.path())?;
            let when = e.path().join(MANIFEST).metadata().ok()?.modified().ok()?;
            (fragments.is_none_or(|f| b.fragments == f)
                && b.patches == patches
                && b.program.is_file())
            .then_some((when, b))
        })
        .collect();
    found.sort_by_key(|(when, _)| *when);
    found.pop().map(|(_, b)| b)
}

/// The package holds `usr/src/linux-source-<series>.tar.xz`; its top
/// directory is `linux-source-<series>`.
fn unpack(deb: &Path, src: &Path, package: &str) -> Result<()> {
    let _ = std::fs::remove_dir_all(src);
    let staging = src.with_extension("deb");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    debian::extract(deb, &staging)?;
    let tarball = staging.join(format!("usr/src/{package}.tar.xz"));
    if !tarball.is_file() {
        bail!("{} holds no usr/src/{package}.tar.xz", deb.display());
    }
    std::fs::create_dir_all(src)?;
    run(
        Command::new("tar")
            .arg("-xJf")
            .arg(&tarball)
            .arg("-C")
            .arg(src),
        None,
    )
    .with_context(|| format!("unpacking {}", tarball.display()))?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(())
}

/// The build tools that are not on PATH.
pub fn missing_tools() -> Vec<&'static str> {
    TOOLS
        .into_iter()
        .filter(|t| crate::host::tools::find_on_path(t).is_none())
        .collect()
}

/// gcc registers gcov's writer as a destructor in `.fini_array.<priority>`,
/// which UML's linker script drops: without it the kernel exits without a
/// word and no counter is ever written. `patch`: add the sections to the
/// script (llconf's own copy of a source package); else only say what to
/// change (a maintainer's tree).
pub fn keep_gcov_writer(tree: &Path, patch: bool) -> Result<()> {
    let path = tree.join(LINKER_SCRIPT);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    if text.contains(".fini_array.*") {
        return Ok(());
    }
    const KEPT: &str = "*(.fini_array)";
    const KEEPING: &str = "KEEP(*(SORT_BY_INIT_PRIORITY(.fini_array.*))) KEEP(*(.fini_array))";
    if !patch {
        bail!(
            "{} drops .fini_array.*, where gcc puts gcov's writer, so a coverage build \
             would write no counters; in its .fini_array section, replace `{KEPT}` with \
             `{KEEPING}`",
            path.display()
        );
    }
    if text.matches(KEPT).count() != 1 {
        bail!(
            "{}: expected one `{KEPT}` to extend with .fini_array.*; this kernel's \
             linker script is laid out differently",
            path.display()
        );
    }
    std::fs::write(&path, text.replace(KEPT, KEEPING))
        .with_context(|| format!("patching {}", path.display()))
}

/// Configures and builds `tree` out of tree into `out` with `fragments`
/// (a private copy of a tree, for `llconf mutants`).
pub fn build_with(
    tree: &Path,
    out: &Path,
    kernels_dir: &Path,
    fragments: &[&str],
    log: &Path,
) -> Result<()> {
    build(tree, Some(out), kernels_dir, fragments, log)
}

/// `make linux` again in a configured build directory: what one changed
/// file costs.
pub fn rebuild(tree: &Path, out: &Path, log: &Path) -> Result<()> {
    make_kernel(tree, out, TreeArch::Um, log, false)
}

/// `make <kernel>` (`linux` for UML, `bzImage` for x86-64) in a configured
/// build directory `out`; `append`: after the configuration's output in
/// the same log.
pub fn make_kernel(
    tree: &Path,
    out: &Path,
    arch: TreeArch,
    log: &Path,
    append: bool,
) -> Result<()> {
    let log_file = open_log(log, append)?;
    let mut make = make_command(tree, Some(out), arch);
    make.arg(kernel_target(arch));
    run(&mut make, Some((&log_file, log)))
}

/// The file `make` builds for `arch`, relative to the build directory.
pub fn kernel_file(arch: TreeArch) -> &'static str {
    match arch {
        TreeArch::Um => "linux",
        TreeArch::X86_64 => "arch/x86/boot/bzImage",
    }
}

fn kernel_target(arch: TreeArch) -> &'static str {
    match arch {
        TreeArch::Um => "linux",
        TreeArch::X86_64 => "bzImage",
    }
}

fn open_log(log: &Path, append: bool) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(log)
        .with_context(|| format!("creating {}", log.display()))
}

/// `make ARCH=<arch> [O=out] -jN` in `tree`.
fn make_command(tree: &Path, out: Option<&Path>, arch: TreeArch) -> Command {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut c = Command::new("make");
    c.arg(format!("ARCH={}", arch.make_arch()));
    if let Some(out) = out {
        c.arg(format!("O={}", out.display()));
    }
    c.arg(format!("-j{jobs}"))
        .current_dir(tree)
        .env("ARCH", arch.make_arch());
    c
}

/// `make ARCH=um defconfig`, the fragments merged in, `make linux`; the
/// output of every step goes to `log`.
fn build(
    tree: &Path,
    out: Option<&Path>,
    kernels_dir: &Path,
    fragment_names: &[&str],
    log: &Path,
) -> Result<()> {
    configure(tree, out, TreeArch::Um, kernels_dir, fragment_names, log)?;
    let config_dir = out.unwrap_or(tree);
    let log_file = open_log(log, true)?;
    let mut make = make_command(tree, out, TreeArch::Um);
    make.arg("linux");
    run(&mut make, Some((&log_file, log)))?;
    check_config(config_dir, TreeArch::Um, fragment_names)
}

/// `make ARCH=<arch> defconfig`, the fragments merged in with the kernel's
/// `merge_config.sh`, `make olddefconfig`, into `out` (or the tree); the
/// output of every step goes to `log`, which starts afresh.
pub fn configure(
    tree: &Path,
    out: Option<&Path>,
    arch: TreeArch,
    kernels_dir: &Path,
    fragment_names: &[&str],
    log: &Path,
) -> Result<()> {
    let arch_dir = match arch {
        TreeArch::Um => "arch/um",
        TreeArch::X86_64 => "arch/x86",
    };
    if !tree.join("Makefile").is_file() || !tree.join(arch_dir).is_dir() {
        bail!(
            "{} is not a kernel source tree (no Makefile or {arch_dir})",
            tree.display()
        );
    }
    let missing = missing_tools();
    if !missing.is_empty() {
        bail!(
            "{} not installed; a kernel build needs {} (`llconf setup` installs them)",
            missing.join(", "),
            TOOLS.join(", ")
        );
    }
    let fragments: Vec<PathBuf> = fragment_names.iter().map(|f| kernels_dir.join(f)).collect();
    for f in &fragments {
        if !f.is_file() {
            bail!("config fragment {} is missing", f.display());
        }
    }
    let config_dir = out.unwrap_or(tree);
    if let Some(out) = out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    }
    let log_file = open_log(log, false)?;
    let make = |target: &str| {
        let mut c = make_command(tree, out, arch);
        c.arg(target);
        c
    };
    let mut merge = Command::new(tree.join("scripts/kconfig/merge_config.sh"));
    merge
        .arg("-m")
        .arg("-O")
        .arg(config_dir)
        .arg(config_dir.join(".config"))
        .args(&fragments)
        .current_dir(tree)
        .env("ARCH", arch.make_arch());
    for mut step in [make("defconfig"), merge, make("olddefconfig")] {
        run(&mut step, Some((&log_file, log)))?;
    }
    Ok(())
}

/// Options without which a build is useless to llconf, for `arch`.
fn must_have(arch: TreeArch) -> Vec<&'static str> {
    match arch {
        TreeArch::Um => MUST_HAVE.to_vec(),
        // qemu-initramfs: an initramfs and a serial console, no modules.
        TreeArch::X86_64 => vec![
            "CONFIG_SECURITY_LANDLOCK=y",
            "CONFIG_SECURITYFS=y",
            "CONFIG_DEVTMPFS=y",
            "CONFIG_BLK_DEV_INITRD=y",
            "CONFIG_SERIAL_8250_CONSOLE=y",
        ],
    }
}

/// Refuses a configuration that lacks what llconf needs: Kconfig drops an
/// option whose dependencies are missing without a word.
pub fn check_config(config_dir: &Path, arch: TreeArch, fragment_names: &[&str]) -> Result<()> {
    let path = config_dir.join(".config");
    let config =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let missing: Vec<&str> = must_have(arch)
        .into_iter()
        .filter(|o| !config.lines().any(|l| l == *o))
        .collect();
    if !missing.is_empty() {
        bail!(
            "the configuration {} lacks {} after merging {}: Kconfig dropped them (their \
             dependencies are off)",
            path.display(),
            missing.join(", "),
            fragment_names.join(" and ")
        );
    }
    Ok(())
}

/// Runs one step, its output into the log when there is one; a failure
/// names the step and quotes the end of the log.
fn run(cmd: &mut Command, log: Option<(&std::fs::File, &Path)>) -> Result<()> {
    cmd.stdin(Stdio::null());
    // make cleans up its compilers on SIGTERM, not on SIGKILL: a killed
    // llconf leaves no build running.
    crate::host::children::die_with_parent_by(cmd, nix::sys::signal::Signal::SIGTERM);
    if let Some((f, _)) = log {
        cmd.stdout(f.try_clone()?).stderr(f.try_clone()?);
    }
    let shown = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let status = cmd.status().with_context(|| format!("running {shown}"))?;
    if status.success() {
        return Ok(());
    }
    match log {
        Some((_, path)) => {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            let first = first_error(&text)
                .map(|l| format!("first error: {l}\n"))
                .unwrap_or_default();
            bail!(
                "`{shown}` failed ({status}); {first}the full log is {}, which ends:\n{}",
                path.display(),
                tail.join("\n")
            )
        }
        None => bail!("`{shown}` failed ({status})"),
    }
}

/// The first line of a build log that reports an error: the compiler's
/// (`file.c:12:3: error: ...`), else make's or a script's.
pub fn first_error(log: &str) -> Option<&str> {
    let lines = || log.lines().map(str::trim_end);
    lines()
        .find(|l| l.contains(": error:") || l.contains(": fatal error:"))
        .or_else(|| lines().find(|l| l.contains("Error ") || l.starts_with("***")))
}

pub fn release_of(build_dir: &Path) -> String {
    std::fs::read_to_string(build_dir.join("include/config/kernel.release"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// A digest of the fragments' text: a build made with other fragments is
/// not reused.
pub fn fragments_digest(kernels_dir: &Path, fragments: &[&str]) -> Result<String> {
    let mut h = Fnv::new();
    for f in fragments {
        let path = kernels_dir.join(f);
        let text = std::fs::read(&path)
            .with_context(|| format!("reading config fragment {}", path.display()))?;
        h.feed(&text);
        h.feed(b"\0");
    }
    Ok(h.hex())
}

/// Whether `path` is a User-Mode Linux program: an ELF executable that
/// says so when asked for its version, without booting.
pub fn is_uml_program(path: &Path) -> bool {
    Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_follows_the_fragments() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert!(fragments_digest(d, &FRAGMENTS)
            .unwrap_err()
            .to_string()
            .contains("landlock.config"));
        std::fs::write(d.join("landlock.config"), "CONFIG_A=y\n").unwrap();
        std::fs::write(d.join("uml.config"), "CONFIG_B=y\n").unwrap();
        let one = fragments_digest(d, &FRAGMENTS).unwrap();
        assert_eq!(one, fragments_digest(d, &FRAGMENTS).unwrap());
        std::fs::write(d.join("uml.config"), "CONFIG_B=n\n").unwrap();
        assert_ne!(one, fragments_digest(d, &FRAGMENTS).unwrap());
        std::fs::write(d.join("coverage.config"), "CONFIG_GCOV=y\n").unwrap();
        assert_ne!(
            fragments_digest(d, &FRAGMENTS).unwrap(),
            fragments_digest(d, &COVERAGE_FRAGMENTS).unwrap()
        );
    }

    #[test]
    fn a_patched_build_has_its_own_folder_and_is_not_taken_for_the_plain_one() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache {
            root: dir.path().to_path_buf(),
        };
        let v = "7.3.4-1~bpo13+1";
        let plain = build_dir_name("linux-source-7.3", v, "", Flavor::Plain);
        let patched = build_dir_name("linux-source-7.3", v, "00ff", Flavor::Plain);
        assert_eq!(plain, "linux-source-7.3_7.3.4-1_bpo13_1");
        assert_eq!(patched, "linux-source-7.3_7.3.4-1_bpo13_1-p00ff");
        assert_eq!(
            build_dir_name("linux-source-7.3", v, "00ff", Flavor::Coverage),
            "linux-source-7.3_7.3.4-1_bpo13_1-p00ff-coverage"
        );
        let d = cache.uml_dir().join(&patched);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("linux"), "").unwrap();
        let built = Built {
            program: d.join("linux"),
            release: "7.3.4".into(),
            packages: vec![format!("linux-source-7.3={v}")],
            fragments: "f".into(),
            patches: "00ff".into(),
            coverage: None,
        };
        std::fs::write(d.join(MANIFEST), serde_json::to_vec(&built).unwrap()).unwrap();
        let newest = |p: &str| newest_build(&cache, "linux-source-7.3", Flavor::Plain, p, None);
        assert_eq!(newest("00ff"), Some(built));
        assert_eq!(newest(""), None);
        assert_eq!(newest("0100"), None);
    }

    #[rstest::rstest]
    #[case::applies("one\n", "one\n", "not a kernel source tree")]
    #[case::does_not_apply("other\n", "one\n", "2-bad.patch does not apply")]
    fn a_tree_s_patches_go_to_a_copy_before_the_build(
        #[case] expected: &str,
        #[case] in_tree: &str,
        #[case] says: &str,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache {
            root: dir.path().join("cache"),
        };
        let tree = dir.path().join("tree");
        std::fs::create_dir_all(&tree).unwrap();
        std::fs::write(tree.join("f"), in_tree).unwrap();
        let series = dir.path().join("series");
        std::fs::create_dir_all(&series).unwrap();
        std::fs::write(
            series.join("1-new.patch"),
            "--- /dev/null\n+++ b/g\n@@ -0,0 +1 @@\n+g\n",
        )
        .unwrap();
        std::fs::write(
            series.join("2-bad.patch"),
            format!("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-{expected}+two\n"),
        )
        .unwrap();
        let err = build_tree(
            &cache,
            "k",
            &tree,
            &[series],
            dir.path(),
            Flavor::Plain,
            &mut |_| {},
        )
        .unwrap_err();
        let err = format!("{err:#}");
        assert!(err.contains(says), "{err}");
        // The build, had it gone on, would have read the patched copy.
        let copy = cache.uml_dir().join("tree-k-patched-src");
        if says.contains("kernel source tree") {
            assert!(err.contains(&copy.display().to_string()), "{err}");
            assert_eq!(std::fs::read_to_string(copy.join("f")).unwrap(), "two\n");
        }
        assert_eq!(std::fs::read_to_string(tree.join("f")).unwrap(), in_tree);
        assert!(!tree.join("g").exists());
    }

    #[test]
    fn a_directory_that_is_no_kernel_tree_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = build(
            dir.path(),
            None,
            dir.path(),
            &FRAGMENTS,
            &dir.path().join("log"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a kernel source tree"), "{err}");
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
    }

    #[test]
    fn the_linker_script_keeps_gcov_s_writer_once_patched() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join(LINKER_SCRIPT);
        std::fs::create_dir_all(script.parent().unwrap()).unwrap();
        let uml = "  .fini_array : {\n\t__fini_array_start = .;\n\t*(.fini_array)\n\t__fini_array_end = .;\n  }\n";
        std::fs::write(&script, uml).unwrap();
        let err = keep_gcov_writer(dir.path(), false).unwrap_err().to_string();
        assert!(err.contains("drops .fini_array.*"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&script).unwrap(),
            uml,
            "not patched"
        );
        keep_gcov_writer(dir.path(), true).unwrap();
        let patched = std::fs::read_to_string(&script).unwrap();
        assert!(patched.contains(
            "\tKEEP(*(SORT_BY_INIT_PRIORITY(.fini_array.*))) KEEP(*(.fini_array))\n\t__fini_array_end"
        ));
        // Kept already: nothing to do, in either mode.
        keep_gcov_writer(dir.path(), false).unwrap();
        keep_gcov_writer(dir.path(), true).unwrap();
        assert_eq!(std::fs::read_to_string(&script).unwrap(), patched);
    }

    #[rstest::rstest]
    #[case::the_compiler_s_first(
        "  CC foo.o\nsecurity/landlock/net.c:12:3: error: expected ';'\nnet.c:13:1: error: two\nmake: *** [x] Error 2",
        Some("security/landlock/net.c:12:3: error: expected ';'")
    )]
    #[case::a_fatal_one(
        "x.c:1:10: fatal error: y.h: No such file",
        Some("x.c:1:10: fatal error: y.h: No such file")
    )]
    #[case::else_make_s(
        "  LD vmlinux\nmake[2]: *** [Makefile:1] Error 1",
        Some("make[2]: *** [Makefile:1] Error 1")
    )]
    #[case::none("  CC a.o\n  LD linux", None)]
    fn the_first_error_of_a_log(#[case] log: &str, #[case] first: Option<&str>) {
        assert_eq!(first_error(log), first);
    }

    #[test]
    fn a_failed_step_quotes_the_end_of_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("build.log");
        let f = std::fs::File::create(&log).unwrap();
        let err = run(
            Command::new("sh").args(["-c", "echo one; echo 'error: two' >&2; exit 3"]),
            Some((&f, &log)),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`sh -c"), "{err}");
        assert!(err.contains("error: two"), "{err}");
        assert!(err.contains("build.log"), "{err}");
    }
}
