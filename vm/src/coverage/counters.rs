//! The gcov counters of a coverage build: the kernel writes a `.gcda` file
//! beside each object when it powers off cleanly; lcov reads them against
//! the `.gcno` files and the source.

use crate::host::tools;
use crate::kernel::uml_build::CoverageTree;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The part of the kernel measured.
pub const DIRECTORY: &str = "security/landlock";

/// What reading the counters takes, from Debian's lcov package.
pub const TOOLS: [&str; 3] = ["lcov", "genhtml", "gcov"];

/// Refuses early, naming the fix, when lcov is missing.
pub fn check_tools() -> Result<()> {
    let missing: Vec<&str> = TOOLS
        .into_iter()
        .filter(|t| tools::find_on_path(t).is_none())
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} not installed; `llconf coverage` reads the counters with lcov \
             (`llconf setup` installs it)",
            missing.join(", ")
        );
    }
    Ok(())
}

/// Removes every counter, so that the next run counts alone.
pub fn reset(tree: &CoverageTree) -> Result<usize> {
    fn walk(dir: &Path, removed: &mut usize) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let kind = e.file_type()?;
            let path = e.path();
            if kind.is_dir() {
                walk(&path, removed)?;
            } else if path.extension().is_some_and(|x| x == "gcda") {
                std::fs::remove_file(&path)?;
                *removed += 1;
            }
        }
        Ok(())
    }
    let mut removed = 0;
    walk(&tree.objects, &mut removed)
        .with_context(|| format!("removing the counters under {}", tree.objects.display()))?;
    Ok(removed)
}

/// How many counters of [`DIRECTORY`] the last run left.
pub fn written(tree: &CoverageTree) -> usize {
    std::fs::read_dir(tree.objects.join(DIRECTORY))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "gcda"))
                .count()
        })
        .unwrap_or(0)
}

/// Reads the counters of [`DIRECTORY`] into an lcov tracefile.
pub fn capture(tree: &CoverageTree, info: &Path) -> Result<()> {
    if written(tree) == 0 {
        bail!(
            "the kernel wrote no counters under {}: it did not power off cleanly, or its \
             linker script drops gcov's writer (.fini_array.*)",
            tree.objects.join(DIRECTORY).display()
        );
    }
    let mut cmd = Command::new("lcov");
    cmd.arg("--quiet")
        .arg("--capture")
        .arg("--directory")
        .arg(tree.objects.join(DIRECTORY))
        .arg("--base-directory")
        .arg(&tree.objects)
        .arg("--output-file")
        .arg(info);
    run(&mut cmd, "lcov --capture")
}

/// The annotated source, one page per file.
pub fn html(info: &Path, title: &str, dir: &Path) -> Result<PathBuf> {
    let mut cmd = Command::new("genhtml");
    cmd.arg("--quiet")
        .arg("--title")
        .arg(title)
        .arg("--output-directory")
        .arg(dir)
        .arg(info);
    run(&mut cmd, "genhtml")?;
    Ok(dir.join("index.html"))
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_removes_every_counter_and_only_them() {
        let dir = tempfile::tempdir().unwrap();
        let tree = CoverageTree {
            source: dir.path().join("src"),
            objects: dir.path().join("build"),
        };
        let ll = tree.objects.join(DIRECTORY);
        std::fs::create_dir_all(&ll).unwrap();
        std::fs::create_dir_all(tree.objects.join("kernel")).unwrap();
        for f in ["fs.gcda", "fs.gcno", "net.gcda"] {
            std::fs::write(ll.join(f), "").unwrap();
        }
        std::fs::write(tree.objects.join("kernel/fork.gcda"), "").unwrap();
        assert_eq!(written(&tree), 2);
        assert_eq!(reset(&tree).unwrap(), 3);
        assert_eq!(written(&tree), 0);
        assert!(ll.join("fs.gcno").exists());
        let err = capture(&tree, &dir.path().join("x.info")).unwrap_err();
        assert!(err.to_string().contains("wrote no counters"), "{err}");
    }
}
