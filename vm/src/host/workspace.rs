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

/// The workspace whose suites run: the llconf checkout the current
/// directory is in, so that an installed binary (`cargo install --path vm`)
/// runs the clone it is started in; else the one it was built from. The
/// second value says which.
pub fn find_root() -> (PathBuf, bool) {
    match std::env::current_dir()
        .ok()
        .and_then(|d| checkout_around(&d))
    {
        Some(h) => (h, true),
        None => (built_root(), false),
    }
}

/// [`find_root`], saying on stderr when it is not where the user stands.
pub fn default_root() -> PathBuf {
    let (root, here) = find_root();
    if !here {
        eprintln!(
            "llconf: not in an llconf checkout; using the suites of the workspace it was \
             built from, {} (--workspace picks another)",
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
