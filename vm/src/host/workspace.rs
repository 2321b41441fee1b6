//! The suites of a cargo workspace, from `cargo metadata`.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A workspace package marked `[package.metadata.llconf] suite = "<name>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    pub name: String,
    pub package: String,
    /// Cargo's package id, to match build artifacts to this very package.
    pub package_id: String,
}

/// The workspace llconf was built from.
pub fn built_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The llconf checkout `dir` is in, if any.
fn checkout_around(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|a| is_llconf_workspace(a))
        .map(Path::to_path_buf)
}

/// An llconf checkout: its workspace holds the runner and the harness.
fn is_llconf_workspace(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file()
        && dir.join("vm/Cargo.toml").is_file()
        && dir.join("suites/harness/Cargo.toml").is_file()
}

/// Where the workspace of the suites came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--workspace PATH`.
    Flag,
    /// `$LLCONF_WORKSPACE`.
    Env,
    /// The llconf checkout the current directory is in.
    Cwd,
    /// The workspace llconf was built from (its compile-time path).
    Built,
}

/// The workspace whose suites run, and where it came from: `--workspace`,
/// then `$LLCONF_WORKSPACE`, then the llconf checkout the current
/// directory is in (so that an installed binary runs the clone it is
/// started in), then the one llconf was built from. Found at run time, so
/// that llconf runs from anywhere (a kernel tree, say) on the suites meant.
pub fn resolve(flag: Option<PathBuf>) -> (PathBuf, Origin) {
    let env = std::env::var_os("LLCONF_WORKSPACE").filter(|v| !v.is_empty());
    let cwd = std::env::current_dir().ok();
    resolve_from(flag, env.map(PathBuf::from), cwd.as_deref())
}

fn resolve_from(
    flag: Option<PathBuf>,
    env: Option<PathBuf>,
    cwd: Option<&Path>,
) -> (PathBuf, Origin) {
    if let Some(f) = flag {
        return (f, Origin::Flag);
    }
    if let Some(e) = env {
        return (e, Origin::Env);
    }
    match cwd.and_then(checkout_around) {
        Some(h) => (h, Origin::Cwd),
        None => (built_root(), Origin::Built),
    }
}

/// [`resolve`], saying on stderr when the workspace is neither named nor
/// where the user stands.
pub fn default_root(flag: Option<PathBuf>) -> PathBuf {
    let (root, origin) = resolve(flag);
    if origin == Origin::Built {
        eprintln!(
            "llconf: not in an llconf checkout; using the suites of the workspace it was \
             built from, {} (--workspace or LLCONF_WORKSPACE picks another)",
            root.canonicalize()
                .unwrap_or_else(|_| root.clone())
                .display()
        );
    }
    root
}

/// The cargo that runs us, if any, so that nested builds use the same
/// toolchain.
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

pub fn suites(root: &Path) -> Result<Vec<Suite>> {
    if !root.is_dir() {
        bail!("workspace directory does not exist: {}", root.display());
    }
    let output = Command::new(cargo())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(root)
        .output()
        .with_context(|| format!("running cargo metadata in {}", root.display()))?;
    if !output.status.success() {
        bail!(
            "cargo metadata in {} failed ({}):\n{}",
            root.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    parse_metadata(&output.stdout)
        .with_context(|| format!("reading cargo metadata of {}", root.display()))
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    id: String,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
}

/// Suites sorted by name.
pub fn parse_metadata(json: &[u8]) -> Result<Vec<Suite>> {
    let metadata: Metadata = serde_json::from_slice(json)?;
    let mut suites = Vec::new();
    for p in metadata.packages {
        let Some(marker) = p
            .metadata
            .as_ref()
            .and_then(|m| m.get("llconf"))
            .and_then(|l| l.get("suite"))
        else {
            continue;
        };
        let Some(name) = marker.as_str() else {
            bail!("package {}: metadata.llconf.suite is not a string", p.name);
        };
        suites.push(Suite {
            name: name.to_string(),
            package: p.name,
            package_id: p.id,
        });
    }
    suites.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(w) = suites.windows(2).find(|w| w[0].name == w[1].name) {
        bail!(
            "suite `{}` is declared by both {} and {}",
            w[0].name,
            w[0].package,
            w[1].package
        );
    }
    Ok(suites)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkout_around_the_current_directory_is_found() {
        let d = tempfile::tempdir().unwrap();
        let clone = d.path().join("other-clone");
        for f in ["Cargo.toml", "vm/Cargo.toml", "suites/harness/Cargo.toml"] {
            std::fs::create_dir_all(clone.join(f).parent().unwrap()).unwrap();
            std::fs::write(clone.join(f), "").unwrap();
        }
        std::fs::create_dir_all(clone.join("suites/fs/tests")).unwrap();
        assert_eq!(
            checkout_around(&clone.join("suites/fs/tests")),
            Some(clone.clone())
        );
        assert_eq!(checkout_around(d.path()), None);
    }

    #[rstest::rstest]
    #[case::the_flag_first(Some("/f"), Some("/e"), true, "/f", Origin::Flag)]
    #[case::then_the_environment(None, Some("/e"), true, "/e", Origin::Env)]
    #[case::then_the_checkout_around(None, None, true, "<clone>", Origin::Cwd)]
    #[case::then_where_llconf_was_built(None, None, false, "<built>", Origin::Built)]
    fn the_workspace_is_found_at_run_time(
        #[case] flag: Option<&str>,
        #[case] env: Option<&str>,
        #[case] in_clone: bool,
        #[case] expected: &str,
        #[case] origin: Origin,
    ) {
        let d = tempfile::tempdir().unwrap();
        let clone = d.path().join("clone");
        for f in ["Cargo.toml", "vm/Cargo.toml", "suites/harness/Cargo.toml"] {
            std::fs::create_dir_all(clone.join(f).parent().unwrap()).unwrap();
            std::fs::write(clone.join(f), "").unwrap();
        }
        let cwd = if in_clone {
            clone.join("vm")
        } else {
            d.path().to_path_buf()
        };
        let (root, o) = resolve_from(flag.map(PathBuf::from), env.map(PathBuf::from), Some(&cwd));
        let expected = match expected {
            "<clone>" => clone,
            "<built>" => built_root(),
            p => PathBuf::from(p),
        };
        assert_eq!((root, o), (expected, origin));
    }

    #[test]
    fn only_marked_packages_are_suites() {
        let json = br#"{"packages": [
            {"name": "llconf-harness", "id": "h", "metadata": null},
            {"name": "net-suite", "id": "n", "metadata": {"llconf": {"suite": "net"}}},
            {"name": "base", "id": "b", "metadata": {"llconf": {"suite": "base"}}},
            {"name": "other", "id": "o", "metadata": {"docs": {}}}
        ], "workspace_root": "/w"}"#;
        let suites = parse_metadata(json).unwrap();
        assert_eq!(
            suites,
            [
                Suite {
                    name: "base".into(),
                    package: "base".into(),
                    package_id: "b".into()
                },
                Suite {
                    name: "net".into(),
                    package: "net-suite".into(),
                    package_id: "n".into()
                },
            ]
        );
    }

    #[test]
    fn a_suite_name_used_twice_is_an_error() {
        let json = br#"{"packages": [
            {"name": "a", "id": "a", "metadata": {"llconf": {"suite": "x"}}},
            {"name": "b", "id": "b", "metadata": {"llconf": {"suite": "x"}}}
        ]}"#;
        let err = parse_metadata(json).unwrap_err().to_string();
        assert!(err.contains("`x`"), "{err}");
    }
}
