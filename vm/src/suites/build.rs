//! Building suite test binaries with cargo and finding their paths.

use crate::cache_dir::Cache;
use crate::host::target_dir;
use crate::host::workspace::{cargo, Suite};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The target of static builds: a `--target` keeps RUSTFLAGS off build
/// scripts and proc macros, which cannot be static.
pub const STATIC_TARGET: &str = "x86_64-unknown-linux-gnu";

/// Static builds go to `static/` of the workspace's target folder, so
/// that they and the normal builds never invalidate each other.
pub fn static_target_dir(root: &Path) -> PathBuf {
    target_dir::effective(root, &Cache::from_env()).join("static")
}

/// cargo in `root`, building where it can write (`host::target_dir`): a
/// read-only checkout builds into llconf's cache.
fn cargo_in(root: &Path) -> Command {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root);
    if let Some(dir) = target_dir::override_for(root, &Cache::from_env()) {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    cmd
}

/// The cargo profile of the static guest binaries (the workspace's
/// Cargo.toml): optimised and stripped.
pub const GUEST_PROFILE: &str = "guest";

/// Makes `cmd` (a cargo build) produce static, optimised, stripped
/// executables for the qemu-initramfs guests, which have no libc nor
/// loader and run every instruction emulated under TCG.
fn make_static(cmd: &mut Command, root: &Path) {
    cmd.env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env("CARGO_TARGET_DIR", static_target_dir(root))
        .args(["--target", STATIC_TARGET, "--profile", GUEST_PROFILE]);
}

/// Builds the suites' test binaries; returns suite name → executable.
pub fn build(root: &Path, suites: &[&Suite]) -> Result<BTreeMap<String, PathBuf>> {
    build_with(root, suites, false)
}

/// The same, linked static (`-C target-feature=+crt-static`).
pub fn build_static(root: &Path, suites: &[&Suite]) -> Result<BTreeMap<String, PathBuf>> {
    build_with(root, suites, true)
}

fn build_with(
    root: &Path,
    suites: &[&Suite],
    linked_static: bool,
) -> Result<BTreeMap<String, PathBuf>> {
    let mut cmd = cargo_in(root);
    // `json-render-diagnostics` is `json` with compiler errors still shown to
    // the person on stderr, where cargo's progress goes too.
    // Quiet: cargo's own status lines ("Finished ...") would leak into the
    // output of `cargo run -q -p llconf`; compiler errors still show.
    cmd.args([
        "test",
        "--quiet",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for s in suites {
        cmd.args(["-p", &s.package]);
    }
    if linked_static {
        make_static(&mut cmd, root);
    }
    let output = cmd
        .output()
        .with_context(|| format!("running cargo test --no-run in {}", root.display()))?;
    if !output.status.success() {
        bail!(
            "building the suites in {} failed ({}); see cargo's messages above",
            root.display(),
            output.status
        );
    }
    let found = parse_artifacts(&String::from_utf8_lossy(&output.stdout), suites);
    for s in suites {
        if !found.contains_key(&s.name) {
            bail!(
                "cargo built no test target named `{}` in package `{}`; a suite needs \
                 [[test]] name = \"{}\", harness = false",
                s.name,
                s.package,
                s.name
            );
        }
    }
    Ok(found)
}

/// The static `/init` and `/bin/true` of the qemu-initramfs guests:
/// `$LLCONF_GUEST_INIT` and `$LLCONF_GUEST_TRUE` when both are set (for an
/// llconf without its sources), else built from the `llconf-guest-init`
/// package of the run's workspace `llconf_root` (`--workspace`, ...), the
/// same one the suites come from.
pub fn guest_binaries(llconf_root: &Path) -> Result<crate::suites::binary::GuestBinaries> {
    if let (Some(init), Some(t)) = (
        std::env::var_os("LLCONF_GUEST_INIT"),
        std::env::var_os("LLCONF_GUEST_TRUE"),
    ) {
        return Ok(crate::suites::binary::GuestBinaries {
            init: init.into(),
            true_bin: t.into(),
        });
    }
    let mut cmd = cargo_in(llconf_root);
    cmd.args([
        "build",
        "--quiet",
        "-p",
        "llconf-guest-init",
        "--bins",
        "--message-format=json-render-diagnostics",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    make_static(&mut cmd, llconf_root);
    let output = cmd
        .output()
        .with_context(|| format!("running cargo build in {}", llconf_root.display()))?;
    if !output.status.success() {
        bail!(
            "building llconf-guest-init in {} failed ({}); see cargo's messages above, \
             or set LLCONF_GUEST_INIT and LLCONF_GUEST_TRUE to static binaries",
            llconf_root.display(),
            output.status
        );
    }
    let bins = parse_bins(&String::from_utf8_lossy(&output.stdout));
    match (bins.get("llconf-guest-init"), bins.get("llconf-true")) {
        (Some(init), Some(t)) => Ok(crate::suites::binary::GuestBinaries {
            init: init.clone(),
            true_bin: t.clone(),
        }),
        _ => bail!("cargo built no llconf-guest-init and llconf-true binaries"),
    }
}

/// Binary executables among cargo's JSON messages: name → path.
fn parse_bins(messages: &str) -> BTreeMap<String, PathBuf> {
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<Message>(l).ok())
        .filter(|m| m.reason == "compiler-artifact")
        .filter_map(|m| match (m.target, m.executable) {
            (Some(t), Some(e)) if t.kind == ["bin"] => Some((t.name, e)),
            _ => None,
        })
        .collect()
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    package_id: String,
    target: Option<Target>,
    profile: Option<Profile>,
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Profile {
    test: bool,
}

/// Picks the test executables of `suites` out of cargo's JSON messages:
/// `compiler-artifact`s of a test profile whose only kind is `test` and whose
/// target has the suite's name, from the suite's own package.
pub fn parse_artifacts(messages: &str, suites: &[&Suite]) -> BTreeMap<String, PathBuf> {
    let mut found = BTreeMap::new();
    for line in messages.lines() {
        let Ok(m) = serde_json::from_str::<Message>(line) else {
            continue;
        };
        let (Some(target), Some(profile), Some(executable)) = (m.target, m.profile, m.executable)
        else {
            continue;
        };
        if m.reason != "compiler-artifact" || !profile.test || target.kind != ["test"] {
            continue;
        }
        if let Some(s) = suites
            .iter()
            .find(|s| s.name == target.name && s.package_id == m.package_id)
        {
            found.insert(s.name.clone(), executable);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(name: &str, id: &str) -> Suite {
        Suite {
            name: name.into(),
            package: name.into(),
            package_id: id.into(),
        }
    }

    #[test]
    fn keeps_only_the_suite_test_targets() {
        let base = suite("base", "path+file:///w/suites/base#0.1.0");
        let messages = [
            // The harness's own test binary: not a suite.
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/suites/harness#llconf-harness@0.1.0","target":{"name":"runner_selftest","kind":["test"]},"profile":{"test":true},"executable":"/t/runner_selftest-1"}"#,
            // The suite's lib built for tests: wrong kind.
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/suites/base#0.1.0","target":{"name":"base","kind":["lib"]},"profile":{"test":true},"executable":"/t/base-lib"}"#,
            // Built as a dependency, not a test.
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/suites/base#0.1.0","target":{"name":"base","kind":["test"]},"profile":{"test":false},"executable":null}"#,
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/suites/base#0.1.0","target":{"name":"base","kind":["test"]},"profile":{"test":true},"executable":"/t/base-abc"}"#,
            r#"{"reason":"build-finished","success":true}"#,
            "not json",
        ]
        .join("\n");
        let found = parse_artifacts(&messages, &[&base]);
        assert_eq!(found.len(), 1);
        assert_eq!(found["base"], PathBuf::from("/t/base-abc"));
    }

    #[test]
    fn binaries_are_found_by_name() {
        let messages = [
            r#"{"reason":"compiler-artifact","package_id":"x","target":{"name":"llconf-true","kind":["bin"]},"profile":{"test":false},"executable":"/t/llconf-true"}"#,
            r#"{"reason":"compiler-artifact","package_id":"x","target":{"name":"llconf_guest_init","kind":["lib"]},"profile":{"test":false},"executable":null}"#,
        ]
        .join("\n");
        let bins = parse_bins(&messages);
        assert_eq!(bins.len(), 1);
        assert_eq!(bins["llconf-true"], PathBuf::from("/t/llconf-true"));
    }

    #[test]
    fn a_same_named_target_of_another_package_is_not_taken() {
        let base = suite("base", "id-base");
        let messages = r#"{"reason":"compiler-artifact","package_id":"id-other","target":{"name":"base","kind":["test"]},"profile":{"test":true},"executable":"/t/other"}"#;
        assert!(parse_artifacts(messages, &[&base]).is_empty());
    }
}
