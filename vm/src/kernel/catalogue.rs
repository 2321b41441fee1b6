//! The kernel catalogue: `kernels/*.toml`, one kernel per file.
//!
//! ```toml
//! name = "debian-6.12"
//! description = "6.12 LTS from bookworm-backports"
//! default = true            # part of the default kernel set of `llconf run`
//! expected_abi = 6          # a different ABI in the guest fails the run
//! variants = ["default", "no-landlock", "audit-off"]   # run by default
//! backend = "qemu-initramfs"   # optional: or "vng"; without it, vng when the
//!                              # kernel has its modules, else qemu-initramfs
//!
//! [source]
//! type = "debian"           # or "local" (path = tree or vmlinuz), "build" (path = tree),
//!                           # "debian-source" (a User-Mode Linux build of linux-source-<series>)
//! series = "6.12"
//! dist = "deb12"            # optional: the +debNN tag
//! flavour = "amd64"
//! version = "6.12.95"       # optional pin
//!
//! [variant.my-variant]      # optional: variants beyond the built-in ones
//! append = "lsm=landlock"
//! landlock = true           # false: every enforcement test must not pass
//! ```

use crate::kernel::backend::Backend;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct Kernel {
    pub name: String,
    pub description: String,
    pub default: bool,
    /// Gets a job in the generated CI matrix (`llconf ci matrix`); by
    /// default, when it is in the default set.
    pub ci: bool,
    pub expected_abi: Option<u32>,
    /// Variants run when none is asked for.
    pub variants: Vec<String>,
    /// Every variant this kernel can run: the built-in ones and its own.
    pub known_variants: BTreeMap<String, Variant>,
    /// How to boot it; `None`: see [`crate::kernel::backend::choose`].
    pub backend: Option<Backend>,
    pub source: Source,
    /// The file it came from, for messages.
    pub file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Source {
    Debian(DebianSpec),
    /// A kernel tree built elsewhere (with `arch/x86/boot/bzImage`), or a
    /// vmlinuz file.
    Local {
        path: PathBuf,
    },
    /// A tree that llconf builds with `kernels/landlock.config`.
    Build {
        path: PathBuf,
        /// `vng` (virtme-ng's `--build`), `make`, or `uml` (`make ARCH=um`,
        /// with `kernels/uml.config` too).
        #[serde(default = "default_builder")]
        builder: Builder,
        /// Applied to a private copy before each build (`builder = "uml"`
        /// only); see `kernel::patches`.
        #[serde(default)]
        patches: Vec<PathBuf>,
    },
    /// Debian's `linux-source-<series>` package, built by llconf as a
    /// User-Mode Linux kernel.
    #[serde(rename = "debian-source")]
    DebianTree(SourcePackageSpec),
    /// A tree named on the command line (`llconf run --tree`), built out
    /// of tree under the cache; never read from a definition file.
    #[serde(skip)]
    Tree {
        path: PathBuf,
        arch: TreeArch,
    },
}

/// What `--tree` builds: User-Mode Linux (booted with `uml`) or an x86-64
/// bzImage (booted with `qemu-initramfs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TreeArch {
    #[default]
    Um,
    #[value(name = "x86_64")]
    X86_64,
}

impl TreeArch {
    /// Kbuild's `ARCH=`.
    pub fn make_arch(self) -> &'static str {
        match self {
            TreeArch::Um => "um",
            TreeArch::X86_64 => "x86_64",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Builder {
    Vng,
    Make,
    Uml,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourcePackageSpec {
    /// `6.12`: the package is `linux-source-6.12`.
    pub series: String,
    /// `6.12.95-1~bpo12+1`: the Debian version to take instead of apt's
    /// candidate (the newest in any listed suite).
    pub version: Option<String>,
    /// Applied in order to the unpacked source before the build; see
    /// `kernel::patches`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<PathBuf>,
}

impl Source {
    /// Whether it gives a User-Mode Linux kernel (a host program) rather
    /// than an x86 image.
    pub fn is_uml(&self) -> bool {
        matches!(
            self,
            Source::DebianTree(_)
                | Source::Build {
                    builder: Builder::Uml,
                    ..
                }
                | Source::Tree {
                    arch: TreeArch::Um,
                    ..
                }
        )
    }
}

fn default_builder() -> Builder {
    Builder::Vng
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DebianSpec {
    /// `6.12`: the upstream series.
    pub series: String,
    /// `deb12`: the Debian release the package was built for (`+deb12`).
    pub dist: Option<String>,
    #[serde(default = "default_flavour")]
    pub flavour: String,
    /// `6.12.95` (or `6.1.0-57`): the point release to take instead of the
    /// newest.
    pub version: Option<String>,
}

fn default_flavour() -> String {
    "amd64".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Extra kernel command line.
    #[serde(default)]
    pub append: String,
    /// Whether Landlock is meant to be active; when not, no enforcement test
    /// may pass and the ABI is not checked.
    #[serde(default = "yes")]
    pub landlock: bool,
    /// A shell command the guest runs before the suites; the panic self-test
    /// uses it to crash the guest on purpose.
    #[serde(default)]
    pub guest_setup: Option<String>,
    #[serde(default)]
    pub description: String,
}

fn yes() -> bool {
    true
}

/// Variants every kernel has, so that a definition only lists their names.
/// A name that can become one path component and nothing more.
pub fn path_safe(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

pub fn builtin_variants() -> BTreeMap<String, Variant> {
    let v = |append: &str, landlock, setup: Option<&str>, description: &str| Variant {
        append: append.into(),
        landlock,
        guest_setup: setup.map(str::to_string),
        description: description.into(),
    };
    BTreeMap::from([
        (
            "default".into(),
            v("", true, None, "as the kernel boots by default"),
        ),
        (
            "no-landlock".into(),
            // Debian's CONFIG_LSM minus landlock: Landlock is built in but
            // inactive, so the syscalls answer EOPNOTSUPP.
            v(
                "lsm=lockdown,capability,yama",
                false,
                None,
                "Landlock left out of lsm=: every enforcement test must be reported not enforced",
            ),
        ),
        ("audit-off".into(), v("audit=0", true, None, "audit=0")),
        (
            "selftest-panic".into(),
            // A self-test of llconf's guest-trouble path, not of the kernel.
            v(
                "panic=-1 sysrq_always_enabled",
                true,
                Some("echo c > /proc/sysrq-trigger"),
                "crashes the guest on purpose (sysrq c) to check that llconf reports a panic",
            ),
        ),
    ])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KernelFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    default: bool,
    ci: Option<bool>,
    expected_abi: Option<u32>,
    #[serde(default = "default_variant_list")]
    variants: Vec<String>,
    #[serde(default)]
    variant: BTreeMap<String, Variant>,
    backend: Option<Backend>,
    source: Source,
}

fn default_variant_list() -> Vec<String> {
    vec!["default".into()]
}

#[derive(Debug)]
pub struct Catalogue {
    pub dir: PathBuf,
    pub kernels: Vec<Kernel>,
}

impl Catalogue {
    /// Every `*.toml` in `dir`, sorted by kernel name.
    pub fn load(dir: &Path) -> Result<Catalogue> {
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("reading the kernel catalogue {}", dir.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut kernels: Vec<Kernel> = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let kernel = parse(&file, &text)?;
            if let Some(other) = kernels.iter().find(|k| k.name == kernel.name) {
                bail!(
                    "kernel `{}` is defined twice: in {} and {}",
                    kernel.name,
                    other.file.display(),
                    file.display()
                );
            }
            kernels.push(kernel);
        }
        kernels.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Catalogue {
            dir: dir.to_path_buf(),
            kernels,
        })
    }

    pub fn names(&self) -> Vec<&str> {
        self.kernels.iter().map(|k| k.name.as_str()).collect()
    }

    /// The named kernels in the order given, or the default set.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Kernel>> {
        if names.is_empty() {
            let defaults: Vec<&Kernel> = self.kernels.iter().filter(|k| k.default).collect();
            if defaults.is_empty() {
                bail!(
                    "no kernel in {} has `default = true`; name one with --kernel ({})",
                    self.dir.display(),
                    self.known()
                );
            }
            return Ok(defaults);
        }
        let mut selected: Vec<&Kernel> = Vec::new();
        for name in names {
            let Some(k) = self.kernels.iter().find(|k| &k.name == name) else {
                bail!(
                    "unknown kernel `{name}`; known kernels (in {}): {}",
                    self.dir.display(),
                    self.known()
                );
            };
            if !selected.iter().any(|s| s.name == k.name) {
                selected.push(k);
            }
        }
        Ok(selected)
    }

    fn known(&self) -> String {
        if self.kernels.is_empty() {
            "(none)".into()
        } else {
            self.names().join(", ")
        }
    }
}

impl Kernel {
    /// The variants to run: those asked for (each must exist), or the
    /// kernel's own list.
    pub fn select_variants(&self, asked: &[String]) -> Result<Vec<(String, Variant)>> {
        let names = if asked.is_empty() {
            &self.variants
        } else {
            asked
        };
        names
            .iter()
            .map(|n| match self.known_variants.get(n) {
                Some(v) => Ok((n.clone(), v.clone())),
                None => bail!(
                    "kernel `{}` has no variant `{n}`; its variants: {}",
                    self.name,
                    self.known_variants
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect()
    }
}

/// One definition file; errors name the file, line and column.
pub fn parse(file: &Path, text: &str) -> Result<Kernel> {
    let raw: KernelFile = toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        anyhow::anyhow!(
            "{}:{line}:{col}: {}",
            file.display(),
            e.message().trim_end()
        )
    })?;
    let mut known = builtin_variants();
    for (name, v) in raw.variant {
        // `<kernel>-<variant>` names a folder under --out.
        if !path_safe(&name) {
            bail!(
                "{}: variant name `{name}` must be letters, digits, `.`, `_` or `-`, \
                 and not start with `.`: it names a folder of the run",
                file.display()
            );
        }
        known.insert(name, v);
    }
    for v in &raw.variants {
        if !known.contains_key(v) {
            bail!(
                "{}: variant `{v}` is neither built in nor defined under [variant.{v}]; \
                 built-in variants: {}",
                file.display(),
                builtin_variants()
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if !path_safe(&raw.name) {
        bail!(
            "{}: kernel name `{}` must be non-empty, letters, digits, `.`, `_` or `-`, \
             and not start with `.`: it names folders of the run and the cache",
            file.display(),
            raw.name
        );
    }
    let backend = match (raw.backend, raw.source.is_uml()) {
        (None | Some(Backend::Uml), true) => Some(Backend::Uml),
        (Some(b), true) => bail!(
            "{}: a User-Mode Linux source (`debian-source`, or `build` with `builder = \"uml\"`) \
             boots only with `backend = \"uml\"`, not `{b}`",
            file.display()
        ),
        (Some(Backend::Uml), false) if !matches!(raw.source, Source::Local { .. }) => bail!(
            "{}: `backend = \"uml\"` needs a User-Mode Linux kernel: `type = \"debian-source\"`, \
             `type = \"build\"` with `builder = \"uml\"`, or `type = \"local\"` naming a built \
             `linux` program",
            file.display()
        ),
        (b, _) => b,
    };
    let mut source = raw.source;
    // Relative paths are relative to the definition, not to wherever llconf
    // happens to run.
    let anchor = |path: &mut PathBuf| {
        if let Some(dir) = file.parent().filter(|_| path.is_relative()) {
            *path = dir.join(&*path);
        }
    };
    if let Source::Local { path } | Source::Build { path, .. } = &mut source {
        anchor(path);
    }
    let patches = match &mut source {
        Source::Build {
            builder: Builder::Vng | Builder::Make,
            patches,
            ..
        } if !patches.is_empty() => bail!(
            "{}: `patches` need `builder = \"uml\"`: the other builders build in your tree, \
             and llconf patches only a private copy",
            file.display()
        ),
        Source::Build { patches, .. } => Some(patches),
        Source::DebianTree(spec) => Some(&mut spec.patches),
        _ => None,
    };
    // `~` and `$VAR` are expanded at build time (patches::expand).
    for p in patches.into_iter().flatten() {
        let s = p.to_string_lossy();
        if !(s.starts_with('~') || s.starts_with('$')) {
            anchor(p);
        }
    }
    Ok(Kernel {
        name: raw.name,
        description: raw.description,
        default: raw.default,
        ci: raw.ci.unwrap_or(raw.default),
        expected_abi: raw.expected_abi,
        variants: raw.variants,
        known_variants: known,
        backend,
        source,
        file: file.to_path_buf(),
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "debian-6.12"
description = "6.12"
default = true
expected_abi = 6
variants = ["default", "no-landlock", "mine"]

[source]
type = "debian"
series = "6.12"
dist = "deb12"

[variant.mine]
append = "lsm=landlock"
"#;

    #[test]
    fn a_full_definition_parses() {
        let k = parse(Path::new("/k/debian-6.12.toml"), GOOD).unwrap();
        assert_eq!(k.name, "debian-6.12");
        assert_eq!(k.expected_abi, Some(6));
        assert!(k.default);
        assert_eq!(k.backend, None);
        assert_eq!(
            k.source,
            Source::Debian(DebianSpec {
                series: "6.12".into(),
                dist: Some("deb12".into()),
                flavour: "amd64".into(),
                version: None,
            })
        );
        let variants = k.select_variants(&[]).unwrap();
        let names: Vec<&str> = variants.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["default", "no-landlock", "mine"]);
        assert!(!variants[1].1.landlock);
        assert_eq!(variants[2].1.append, "lsm=landlock");
        // Built-in variants are there even when not listed.
        assert!(k.select_variants(&["audit-off".into()]).is_ok());
        let err = k.select_variants(&["nope".into()]).unwrap_err().to_string();
        assert!(
            err.contains("no variant `nope`") && err.contains("audit-off"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_give_file_line_and_column() {
        let text = "name = \"x\"\n[source]\ntype = \"debian\"\nseries = 6.12.1\n";
        let err = parse(Path::new("/k/x.toml"), text).unwrap_err().to_string();
        assert!(err.starts_with("/k/x.toml:4:14: "), "{err}");
    }

    #[test]
    fn schema_errors_give_file_line_and_column() {
        let text =
            "name = \"x\"\nexpected_abi = \"six\"\n[source]\ntype = \"local\"\npath = \"/v\"\n";
        let err = parse(Path::new("/k/x.toml"), text).unwrap_err().to_string();
        assert!(err.starts_with("/k/x.toml:2:16: "), "{err}");
        let text = "name = \"x\"\n[source]\ntype = \"local\"\npath = \"/v\"\ncolour = 1\n";
        let err = parse(Path::new("/k/x.toml"), text).unwrap_err().to_string();
        assert!(err.starts_with("/k/x.toml:"), "{err}");
        assert!(err.contains("colour"), "{err}");
        let text = "name = \"x\"\n[source]\ntype = \"floppy\"\n";
        let err = parse(Path::new("/k/x.toml"), text).unwrap_err().to_string();
        assert!(err.contains("floppy"), "{err}");
    }

    #[test]
    fn an_unknown_variant_in_the_list_is_refused() {
        let text =
            "name = \"x\"\nvariants = [\"fast\"]\n[source]\ntype = \"local\"\npath = \"v\"\n";
        let err = parse(Path::new("/k/x.toml"), text).unwrap_err().to_string();
        assert!(err.contains("`fast`"), "{err}");
    }

    #[test]
    fn a_backend_can_be_chosen() {
        let text = "name = \"x\"\nbackend = \"qemu-initramfs\"\n[source]\ntype = \"local\"\npath = \"v\"\n";
        let k = parse(Path::new("/k/x.toml"), text).unwrap();
        assert_eq!(k.backend, Some(Backend::QemuInitramfs));
        let text = "name = \"x\"\nbackend = \"usb\"\n[source]\ntype = \"local\"\npath = \"v\"\n";
        let err = parse(Path::new("/k/x.toml"), text).unwrap_err().to_string();
        assert!(err.contains("usb"), "{err}");
    }

    #[test]
    fn uml_sources_and_the_uml_backend_go_together() {
        let parse_str = |t: &str| parse(Path::new("/k/u.toml"), t);
        let k = parse_str("name = \"u\"\n[source]\ntype = \"debian-source\"\nseries = \"6.12\"\n")
            .unwrap();
        assert_eq!(k.backend, Some(Backend::Uml));
        assert_eq!(
            k.source,
            Source::DebianTree(SourcePackageSpec {
                series: "6.12".into(),
                version: None,
                patches: Vec::new(),
            })
        );
        let k = parse_str(
            "name = \"u\"\n[source]\ntype = \"build\"\npath = \"/l\"\nbuilder = \"uml\"\n",
        )
        .unwrap();
        assert_eq!(k.backend, Some(Backend::Uml));
        let err = parse_str(
            "name = \"u\"\nbackend = \"vng\"\n[source]\ntype = \"debian-source\"\nseries = \"6.12\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("/k/u.toml") && err.contains("not `vng`"),
            "{err}"
        );
        let err = parse_str(
            "name = \"u\"\nbackend = \"uml\"\n[source]\ntype = \"debian\"\nseries = \"6.12\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("needs a User-Mode Linux kernel"), "{err}");
        // A built `linux` program named directly.
        let k = parse_str(
            "name = \"u\"\nbackend = \"uml\"\n[source]\ntype = \"local\"\npath = \"linux\"\n",
        )
        .unwrap();
        assert_eq!(k.backend, Some(Backend::Uml));
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let text = "name = \"x\"\n[source]\ntype = \"local\"\npath = \"vmlinuz\"\n";
        let k = parse(Path::new("/k/x.toml"), text).unwrap();
        assert_eq!(
            k.source,
            Source::Local {
                path: "/k/vmlinuz".into()
            }
        );
    }

    #[test]
    fn the_shipped_catalogue_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernels");
        let c = Catalogue::load(&dir).unwrap();
        for name in ["debian-6.1", "debian-6.12", "debian-7.2", "debian-7.3"] {
            assert!(c.names().contains(&name), "{name} missing: {:?}", c.names());
        }
        // The default set walks the whole ladder, one kernel per ABI.
        let mut abis: Vec<u32> = c
            .select(&[])
            .unwrap()
            .iter()
            .filter_map(|k| k.expected_abi)
            .collect();
        abis.sort_unstable();
        assert_eq!(abis, [2, 6, 7, 8, 9, 10, 11]);
        for name in ["debian-7.0", "debian-7.1"] {
            let k = c.select(&[name.into()]).unwrap();
            assert_eq!(k[0].backend, Some(Backend::QemuInitramfs), "{name}");
        }
        let k = c.select(&["debian-7.3".into()]).unwrap();
        assert_eq!(k[0].expected_abi, Some(11));
        let err = c.select(&["debian-9".into()]).unwrap_err().to_string();
        assert!(err.contains("unknown kernel `debian-9`"), "{err}");
        assert!(err.contains("debian-6.12"), "{err}");
    }

    #[rstest::rstest]
    #[case::relative_to_the_file("series.mbox", "/k/series.mbox")]
    #[case::absolute("/p/series.mbox", "/p/series.mbox")]
    #[case::home_expanded_later("~/p/series.mbox", "~/p/series.mbox")]
    #[case::variable_expanded_later("${P}/dir/", "${P}/dir/")]
    fn patch_paths(#[case] listed: &str, #[case] kept: &str) {
        for source in [
            "type = \"debian-source\"\nseries = \"7.3\"",
            "type = \"build\"\npath = \"/l\"\nbuilder = \"uml\"",
        ] {
            let text = format!("name = \"p\"\n[source]\n{source}\npatches = [\"{listed}\"]\n");
            let k = parse(Path::new("/k/p.toml"), &text).unwrap();
            let patches = match k.source {
                Source::DebianTree(spec) => spec.patches,
                Source::Build { patches, .. } => patches,
                other => panic!("{other:?}"),
            };
            assert_eq!(patches, [PathBuf::from(kept)], "{source}");
        }
    }

    #[test]
    fn patches_are_refused_where_llconf_would_build_in_the_tree() {
        let text = "name = \"p\"\n[source]\ntype = \"build\"\npath = \"/l\"\nbuilder = \"make\"\n\
                    patches = [\"a.mbox\"]\n";
        let err = parse(Path::new("/k/p.toml"), text).unwrap_err().to_string();
        assert!(
            err.contains("/k/p.toml") && err.contains("builder = \"uml\""),
            "{err}"
        );
        let text =
            "name = \"p\"\n[source]\ntype = \"debian\"\nseries = \"6.12\"\npatches = [\"a\"]\n";
        let err = parse(Path::new("/k/p.toml"), text).unwrap_err().to_string();
        assert!(err.contains("patches"), "{err}");
    }

    #[test]
    fn names_that_would_leave_the_output_folder_are_refused() {
        let escaping = "name = \"k\"\nvariants = [\"../../escape\"]\n\
                        [variant.\"../../escape\"]\nappend = \"x\"\n\
                        [source]\ntype = \"local\"\npath = \"/v\"\n";
        let e = parse(Path::new("/k/k.toml"), escaping)
            .unwrap_err()
            .to_string();
        assert!(e.contains("variant name `../../escape` must be"), "{e}");
        let kernel = "name = \"..\"\n[source]\ntype = \"local\"\npath = \"/v\"\n";
        let e = parse(Path::new("/k/k.toml"), kernel)
            .unwrap_err()
            .to_string();
        assert!(e.contains("kernel name `..` must be"), "{e}");
    }
}
