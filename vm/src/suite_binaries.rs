//! Building suite test binaries with cargo and finding their paths.

use crate::workspace::{cargo, Suite};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Builds the suites' test binaries; returns suite name → executable.
pub fn build(root: &Path, suites: &[&Suite]) -> Result<BTreeMap<String, PathBuf>> {
    let mut cmd = Command::new(cargo());
    // `json-render-diagnostics` is `json` with compiler errors still shown to
    // the person on stderr, where cargo's progress goes too.
    cmd.args([
        "test",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ])
    .current_dir(root)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for s in suites {
        cmd.args(["-p", &s.package]);
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
    fn a_same_named_target_of_another_package_is_not_taken() {
        let base = suite("base", "id-base");
        let messages = r#"{"reason":"compiler-artifact","package_id":"id-other","target":{"name":"base","kind":["test"]},"profile":{"test":true},"executable":"/t/other"}"#;
        assert!(parse_artifacts(messages, &[&base]).is_empty());
    }
}
