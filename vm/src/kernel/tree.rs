//! A kernel tree named on the command line (`llconf run --tree PATH`): the
//! kernel developer's loop, without a definition file. The tree is built
//! out of tree under `<cache>/trees/<dir>-<path hash>/<arch>/` (keyed by
//! its path), incrementally, with `uml_build`'s configuration steps, and
//! never written: a tree with an in-tree build is refused, since kbuild
//! refuses to build such a tree out of tree.
//!
//! The configuration is made once per set of fragments (a digest of them
//! is kept beside it); after that a run only runs `make`, which is what an
//! edit costs.

use crate::cache_dir::Cache;
use crate::kernel::catalogue::{self, Kernel, Source, TreeArch};
use crate::kernel::uml_build;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Beside the build directory: the digest of the fragments it was
/// configured with.
const STAMP: &str = "llconf-fragments";

/// What a `--tree` build gives the reports beside the kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeBuild {
    /// The `linux` program or the bzImage.
    pub image: PathBuf,
    pub release: String,
    /// `git describe --dirty --always`, when the tree is a git tree.
    pub describe: Option<String>,
    /// A digest of the merged `.config`.
    pub config_hash: String,
}

impl TreeBuild {
    /// For the reports' `packages` (target.json, JUnit `kernel.package`):
    /// what was built, from which tree, at which commit, configured how.
    pub fn facts(&self, tree: &Path) -> Vec<String> {
        let mut f = vec![format!("tree={}", tree.display())];
        if let Some(d) = &self.describe {
            f.push(format!("git={d}"));
        }
        f.push(format!("config={}", self.config_hash));
        f
    }
}

/// The kernel of `--tree PATH`: named `tree-<dir>`, booted with `uml` (or
/// `qemu-initramfs` for x86-64), with the built-in variants.
pub fn kernel(tree: &Path, arch: TreeArch) -> Result<Kernel> {
    let tree = std::path::absolute(tree).unwrap_or_else(|_| tree.to_path_buf());
    let tree = tree.canonicalize().unwrap_or(tree);
    check_tree(&tree, arch)?;
    Ok(Kernel {
        name: name_of(&tree),
        description: format!("the kernel tree {}", tree.display()),
        default: false,
        ci: false,
        expected_abi: None,
        variants: vec!["default".into()],
        known_variants: catalogue::builtin_variants(),
        backend: Some(match arch {
            TreeArch::Um => crate::kernel::backend::Backend::Uml,
            TreeArch::X86_64 => crate::kernel::backend::Backend::QemuInitramfs,
        }),
        file: tree.clone(),
        source: Source::Tree { path: tree, arch },
    })
}

/// `tree-<last component>`, with anything but letters, digits, `.`, `_`
/// and `-` made `-`: it names folders of the run.
pub fn name_of(tree: &Path) -> String {
    let dir = tree
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let safe: String = dir
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = format!("tree-{}", safe.trim_start_matches('.'));
    debug_assert!(catalogue::path_safe(&name));
    name
}

/// A kernel tree with Landlock, clean of in-tree builds.
pub fn check_tree(tree: &Path, arch: TreeArch) -> Result<()> {
    if !tree.is_dir() {
        bail!("--tree {}: no such directory", tree.display());
    }
    let needs = [
        "Makefile",
        "Kconfig",
        "security/landlock/Kconfig",
        match arch {
            TreeArch::Um => "arch/um/Kconfig",
            TreeArch::X86_64 => "arch/x86/Kconfig",
        },
    ];
    let missing: Vec<&str> = needs
        .iter()
        .copied()
        .filter(|f| !tree.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        bail!(
            "--tree {}: not a kernel tree with Landlock (no {})",
            tree.display(),
            missing.join(", ")
        );
    }
    // What kbuild checks before an out-of-tree build.
    for built in [".config", "include/config"] {
        if tree.join(built).exists() {
            bail!(
                "--tree {}: the tree has an in-tree build ({} exists), and kbuild then refuses \
                 to build it out of tree; run `make mrproper` in it (llconf never writes to \
                 your tree)",
                tree.display(),
                tree.join(built).display()
            );
        }
    }
    Ok(())
}

/// The fragments merged for `arch`, relative to `kernels/`.
pub fn fragments(arch: TreeArch) -> &'static [&'static str] {
    match arch {
        TreeArch::Um => &uml_build::FRAGMENTS,
        TreeArch::X86_64 => &uml_build::FRAGMENTS[..1],
    }
}

/// Where the tree's build for `arch` goes, and its log.
pub fn build_dir(cache: &Cache, tree: &Path, arch: TreeArch) -> (PathBuf, PathBuf) {
    let dir = cache.tree_dir(tree);
    (
        dir.join(arch.make_arch()),
        dir.join(format!("{}.log", arch.make_arch())),
    )
}

/// Builds the tree: configured when its fragments changed (or never
/// were), then `make`, incremental.
pub fn build(
    cache: &Cache,
    tree: &Path,
    arch: TreeArch,
    kernels_dir: &Path,
    say: &mut dyn FnMut(String),
) -> Result<TreeBuild> {
    check_tree(tree, arch)?;
    let (out, log) = build_dir(cache, tree, arch);
    let names = fragments(arch);
    let digest = uml_build::fragments_digest(kernels_dir, names)?;
    let stamp = out.join(STAMP);
    let configured = out.join(".config").is_file()
        && std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == digest);
    if !configured {
        say(format!(
            "configuring {} for {} into {} ({}; log: {})",
            tree.display(),
            arch.make_arch(),
            out.display(),
            names.join(" + "),
            log.display()
        ));
        let _ = std::fs::remove_file(&stamp);
        uml_build::configure(tree, Some(&out), arch, kernels_dir, names, &log)?;
        uml_build::check_config(&out, arch, names)?;
        std::fs::write(&stamp, format!("{digest}\n"))
            .with_context(|| format!("writing {}", stamp.display()))?;
    } else {
        uml_build::check_config(&out, arch, names)?;
    }
    say(format!(
        "building {} (make {}, incremental; log: {})",
        tree.display(),
        uml_build::kernel_file(arch),
        log.display()
    ));
    uml_build::make_kernel(tree, &out, arch, &log, !configured).map_err(|e| {
        // The one host library an x86-64 build needs that UML's does not.
        if format!("{e}").contains("gelf.h") {
            e.context("objtool needs libelf's headers: install libelf-dev (`llconf setup` does)")
        } else {
            e
        }
    })?;
    let config = std::fs::read(out.join(".config"))?;
    Ok(TreeBuild {
        image: out.join(uml_build::kernel_file(arch)),
        release: uml_build::release_of(&out),
        describe: describe(tree),
        config_hash: digest_of(&config),
    })
}

/// What `git describe --dirty --always` says of a git tree, without
/// writing to it: `git describe --dirty` refreshes and rewrites the index,
/// so the commit comes from `git describe --always` and the `-dirty` from
/// `git status`, which takes no lock when told not to.
pub fn describe(tree: &Path) -> Option<String> {
    if !tree.join(".git").exists() {
        return None;
    }
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("--no-optional-locks")
            .args(args)
            .current_dir(tree)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let commit = git(&["describe", "--always"]).filter(|d| !d.is_empty())?;
    let changes = git(&["status", "--porcelain", "--untracked-files=no"])?;
    Some(if changes.is_empty() {
        commit
    } else {
        format!("{commit}-dirty")
    })
}

/// FNV-1a of the merged configuration, as the fragments' digest is made.
fn digest_of(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in kernel tree: `make` answers the configuration steps with
    /// `config` and the build with `kernel` (a shell line).
    fn fake_tree(dir: &Path, config: &str, kernel: &str) -> PathBuf {
        let tree = dir.join("linux");
        for f in [
            "Kconfig",
            "security/landlock/Kconfig",
            "arch/um/Kconfig",
            "arch/x86/Kconfig",
        ] {
            std::fs::create_dir_all(tree.join(f).parent().unwrap()).unwrap();
            std::fs::write(tree.join(f), "").unwrap();
        }
        std::fs::write(
            tree.join("Makefile"),
            format!(
                "O ?= .\ndefconfig:\n\tmkdir -p $(O) && printf '{config}' > $(O)/.config\n\
                 olddefconfig:\n\ttrue\nlinux bzImage:\n\t{kernel}\n.PHONY: defconfig olddefconfig linux bzImage\n"
            ),
        )
        .unwrap();
        let merge = tree.join("scripts/kconfig/merge_config.sh");
        std::fs::create_dir_all(merge.parent().unwrap()).unwrap();
        std::fs::write(&merge, "#!/bin/sh\ntrue\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&merge, std::fs::Permissions::from_mode(0o755)).unwrap();
        let kernels = dir.join("kernels");
        std::fs::create_dir_all(&kernels).unwrap();
        for f in uml_build::FRAGMENTS {
            std::fs::write(kernels.join(f), "CONFIG_SECURITY_LANDLOCK=y\n").unwrap();
        }
        tree
    }

    const GOOD: &str =
        "CONFIG_SECURITY_LANDLOCK=y\\nCONFIG_HOSTFS=y\\nCONFIG_SECURITYFS=y\\nCONFIG_DEVTMPFS=y\\n";

    #[rstest::rstest]
    #[case::no_directory("nope", "no such directory")]
    #[case::no_makefile("rm Makefile", "no Makefile")]
    #[case::no_landlock(
        "rm security/landlock/Kconfig",
        "not a kernel tree with Landlock (no security/landlock/Kconfig)"
    )]
    #[case::an_in_tree_config("touch .config", "make mrproper")]
    #[case::an_in_tree_build("mkdir -p include/config", "make mrproper")]
    fn a_bad_tree_is_refused_naming_its_path(#[case] change: &str, #[case] expected: &str) {
        let d = tempfile::tempdir().unwrap();
        let mut tree = fake_tree(d.path(), GOOD, "true");
        if change == "nope" {
            tree = tree.join("nope");
        } else {
            let ok = Command::new("sh")
                .args(["-c", change])
                .current_dir(&tree)
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let err = format!("{:#}", kernel(&tree, TreeArch::Um).unwrap_err());
        assert!(err.contains(expected), "{err}");
        assert!(err.contains(&tree.display().to_string()), "{err}");
    }

    #[rstest::rstest]
    #[case::lacking_landlock_after_the_merge(
        "CONFIG_HOSTFS=y\\nCONFIG_SECURITYFS=y\\nCONFIG_DEVTMPFS=y\\n",
        "true",
        &["lacks CONFIG_SECURITY_LANDLOCK=y after merging landlock.config and uml.config", "/um/.config"]
    )]
    #[case::a_compiler_error(
        GOOD,
        "@echo '  CC security/landlock/net.o'; echo 'security/landlock/net.c:7:1: error: expected ; before }' >&2; echo 'net.c:9:1: error: later' >&2; exit 2",
        &["first error: security/landlock/net.c:7:1: error: expected ; before }", "the full log is", "um.log"]
    )]
    fn a_failed_build_says_why_and_where_the_log_is(
        #[case] config: &str,
        #[case] kernel_rule: &str,
        #[case] expected: &[&str],
    ) {
        if !uml_build::missing_tools().is_empty() {
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let tree = fake_tree(d.path(), config, kernel_rule);
        let cache = Cache {
            root: d.path().join("cache"),
        };
        let before = listing(&tree);
        let err = build(
            &cache,
            &tree,
            TreeArch::Um,
            &d.path().join("kernels"),
            &mut |_| {},
        )
        .unwrap_err();
        let err = format!("{err:#}");
        for e in expected {
            assert!(err.contains(e), "{e}: {err}");
        }
        assert_eq!(listing(&tree), before, "the tree was written");
    }

    #[test]
    fn a_tree_is_configured_once_then_only_made() {
        if !uml_build::missing_tools().is_empty() {
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let tree = fake_tree(d.path(), GOOD, "echo 7.3.4-fake > $(O)/linux");
        let cache = Cache {
            root: d.path().join("cache"),
        };
        let kernels = d.path().join("kernels");
        let mut said = Vec::new();
        let b = build(&cache, &tree, TreeArch::Um, &kernels, &mut |s| said.push(s)).unwrap();
        assert!(b.image.starts_with(cache.tree_dir(&tree)), "{b:?}");
        assert!(said[0].starts_with("configuring"), "{said:?}");
        said.clear();
        build(&cache, &tree, TreeArch::Um, &kernels, &mut |s| said.push(s)).unwrap();
        assert!(
            said.iter().all(|s| !s.starts_with("configuring")),
            "{said:?}"
        );
        // Other fragments: configured again.
        std::fs::write(kernels.join("uml.config"), "CONFIG_X=y\n").unwrap();
        said.clear();
        build(&cache, &tree, TreeArch::Um, &kernels, &mut |s| said.push(s)).unwrap();
        assert!(said[0].starts_with("configuring"), "{said:?}");
        assert_eq!(b.describe, None);
    }

    #[test]
    fn a_git_tree_is_described_without_writing_its_index() {
        let d = tempfile::tempdir().unwrap();
        let t = d.path();
        let git = |args: &[&str]| {
            Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .current_dir(t)
                .output()
                .unwrap()
        };
        if !git(&["init", "-q"]).status.success() {
            return;
        }
        std::fs::write(t.join("a"), "1").unwrap();
        git(&["add", "a"]);
        git(&["commit", "-qm", "one"]);
        let clean = describe(t).unwrap();
        assert!(!clean.ends_with("-dirty"), "{clean}");
        std::fs::write(t.join("a"), "2").unwrap();
        let index = std::fs::metadata(t.join(".git/index"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(describe(t).unwrap(), format!("{clean}-dirty"));
        let after = std::fs::metadata(t.join(".git/index"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(index, after);
    }

    #[rstest::rstest]
    #[case("/home/me/linux", "tree-linux")]
    #[case("/home/me/linux next", "tree-linux-next")]
    #[case("/home/me/.hidden", "tree-hidden")]
    #[case("/", "tree-")]
    fn a_tree_names_its_target(#[case] path: &str, #[case] name: &str) {
        assert_eq!(name_of(Path::new(path)), name);
    }

    fn listing(tree: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
        let mut all = Vec::new();
        let mut stack = vec![tree.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                all.push((p.clone(), e.metadata().unwrap().modified().unwrap()));
                if p.is_dir() {
                    stack.push(p);
                }
            }
        }
        all.sort();
        all
    }
}
