//! Patches a kernel definition applies before a build
//! (`patches = ["series.mbox", "dir-of-patches/"]` in a `build` or
//! `debian-source` source): an mbox goes through `git am --3way`, a
//! directory's `*.patch` and `*.diff` files through `patch -p1 --forward`
//! in name order. They are applied to a private copy under the cache,
//! never to the tree they came from, and their content is part of the
//! build's cache key.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One unit of application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patch {
    /// A series of mails, applied with `git am --3way`.
    Mbox(PathBuf),
    /// One `*.patch`/`*.diff` file of a listed directory.
    File(PathBuf),
}

impl Patch {
    pub fn path(&self) -> &Path {
        match self {
            Patch::Mbox(p) | Patch::File(p) => p,
        }
    }
}

/// `~/...` and `${NAME}` (or `$NAME`) made concrete, so that a definition
/// in the repository can name a file that lives only on one machine
/// (third-party series stay out of the repository). Expanded at build
/// time: a variable unset on another machine must not break the whole
/// catalogue.
pub fn expand(listed: &Path) -> Result<PathBuf> {
    expand_with(listed, &|name| std::env::var(name).ok())
}

/// [`expand`] with the environment given (tests give their own).
fn expand_with(listed: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf> {
    let text = listed.to_string_lossy();
    let mut out = String::new();
    let rest: &str = if text == "~" || text.starts_with("~/") {
        match env("HOME").filter(|h| !h.is_empty()) {
            Some(h) => out.push_str(&h),
            None => bail!("patch path `{text}` starts with `~` but HOME is not set"),
        }
        &text[1..]
    } else {
        &text
    };
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let (name, end) = if rest[i + 1..].starts_with('{') {
            let Some(close) = rest[i + 2..].find('}') else {
                bail!("patch path `{text}`: `${{` without its `}}`");
            };
            (&rest[i + 2..i + 2 + close], i + 3 + close)
        } else {
            let len = rest[i + 1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len() - i - 1);
            (&rest[i + 1..i + 1 + len], i + 1 + len)
        };
        if name.is_empty() {
            bail!("patch path `{text}`: `$` names no variable");
        }
        match env(name).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(&v),
            None => bail!("patch path `{text}`: the environment variable {name} is not set"),
        }
        while chars.peek().is_some_and(|(j, _)| *j < end) {
            chars.next();
        }
    }
    Ok(PathBuf::from(out))
}

/// The definition's list made into what is applied, in order: paths
/// expanded, each checked to exist (a missing one is named, with `hint`
/// saying how to get it), directories listed.
pub fn resolve(listed: &[PathBuf], hint: &str) -> Result<Vec<Patch>> {
    let mut patches = Vec::new();
    for l in listed {
        let path = expand(l)?;
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                .with_context(|| format!("reading the patch directory {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file() && p.extension().is_some_and(|x| x == "patch" || x == "diff")
                })
                .collect();
            if files.is_empty() {
                bail!(
                    "the patch directory {} holds no *.patch or *.diff file",
                    path.display()
                );
            }
            files.sort();
            patches.extend(files.into_iter().map(Patch::File));
        } else if path.is_file() {
            patches.push(Patch::Mbox(path));
        } else {
            bail!(
                "patch {} (listed as `{}`) does not exist{}",
                path.display(),
                l.display(),
                if hint.is_empty() {
                    String::new()
                } else {
                    format!("; {hint}")
                }
            );
        }
    }
    Ok(patches)
}

/// A digest of the patches' names and content, in order (FNV-1a, as the
/// fragments' digest): editing, adding or reordering a patch makes another
/// build. Empty for no patches, so unpatched builds keep their old keys.
pub fn digest(patches: &[Patch]) -> Result<String> {
    if patches.is_empty() {
        return Ok(String::new());
    }
    let mut h = crate::kernel::digest::Fnv::new();
    for p in patches {
        let path = p.path();
        let text =
            std::fs::read(path).with_context(|| format!("reading patch {}", path.display()))?;
        h.feed(path.file_name().unwrap_or_default().as_encoded_bytes());
        h.feed(&text);
    }
    Ok(h.hex())
}

/// Copies the tree `from` to `to` (replaced), without its `.git`: the copy
/// gets a repository of its own, so that nothing `git am` does can reach
/// the original's objects (a worktree's `.git` is a file pointing there).
pub fn private_copy(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("removing {}", to.display()))?;
    }
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let entries: Vec<PathBuf> = std::fs::read_dir(from)
        .with_context(|| format!("reading {}", from.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_none_or(|n| n != ".git"))
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    let status = Command::new("cp")
        .arg("-a")
        .arg("--reflink=auto")
        .args(&entries)
        .arg(to)
        .stdin(Stdio::null())
        .status()
        .context("running cp")?;
    if !status.success() {
        bail!(
            "copying {} to {} failed ({status})",
            from.display(),
            to.display()
        );
    }
    Ok(())
}

/// Applies `patches` in order to `tree` (a private copy), the tools'
/// output into `log`. A patch that does not apply stops everything with
/// an error naming it (an mbox: and the subject of the failing message)
/// and the log.
pub fn apply(tree: &Path, patches: &[Patch], log: &Path) -> Result<()> {
    let mut log_text = String::new();
    let result = apply_all(tree, patches, &mut log_text);
    std::fs::write(log, &log_text).with_context(|| format!("writing {}", log.display()))?;
    result.map_err(|e| anyhow::anyhow!("{e}; the log is {}", log.display()))
}

fn apply_all(tree: &Path, patches: &[Patch], log: &mut String) -> Result<()> {
    let mut repo = false;
    for p in patches {
        match p {
            Patch::Mbox(mbox) => {
                if !repo {
                    init_repo(tree, log)?;
                    repo = true;
                }
                let out = step(git(tree).args(["am", "--3way"]).arg(mbox), log)?;
                if !out.success {
                    let subject = failed_subject(&out.text)
                        .map(|s| format!(" at the message `{s}`"))
                        .unwrap_or_default();
                    let _ = step(git(tree).args(["am", "--abort"]), log);
                    bail!("patch {} does not apply{subject}", mbox.display());
                }
            }
            Patch::File(file) => {
                let out = step(
                    Command::new("patch")
                        .args(["-p1", "--forward", "--batch", "-i"])
                        .arg(file)
                        .current_dir(tree),
                    log,
                )?;
                if !out.success {
                    bail!("patch {} does not apply", file.display());
                }
            }
        }
    }
    Ok(())
}

/// `git am` needs a repository; the copy is made one with its content as
/// the first commit, unless it already is one.
fn init_repo(tree: &Path, log: &mut String) -> Result<()> {
    if tree.join(".git").exists() {
        return Ok(());
    }
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "llconf: the tree as copied",
        ],
    ] {
        let out = step(git(tree).args(args), log)?;
        if !out.success {
            bail!(
                "`git {}` in the private copy {} failed",
                args.join(" "),
                tree.display()
            );
        }
    }
    Ok(())
}

/// git with an identity and no user configuration: the outcome must not
/// depend on whoever runs llconf (hooks, signing, am.threeWay).
fn git(tree: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(tree)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "llconf")
        .env("GIT_AUTHOR_EMAIL", "llconf@localhost")
        .env("GIT_COMMITTER_NAME", "llconf")
        .env("GIT_COMMITTER_EMAIL", "llconf@localhost");
    c
}

struct Outcome {
    success: bool,
    text: String,
}

/// Runs one tool, its command line and output appended to the log.
fn step(cmd: &mut Command, log: &mut String) -> Result<Outcome> {
    let shown = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {shown}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    log.push_str(&format!("$ {shown}\n{text}"));
    if !out.status.success() {
        log.push_str(&format!("({})\n", out.status));
    }
    Ok(Outcome {
        success: out.status.success(),
        text,
    })
}

/// git am says `Patch failed at 0003 <subject>`.
fn failed_subject(output: &str) -> Option<&str> {
    output.lines().find_map(|l| {
        let rest = l.strip_prefix("Patch failed at ")?;
        Some(rest.split_once(' ').map_or(rest, |(_, s)| s).trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const ORIGINAL: &str = "one\ntwo\nthree\n";

    /// A fake tree: `a.txt` and `sub/b.txt`.
    fn fake_tree(dir: &Path) -> PathBuf {
        let tree = dir.join("tree");
        std::fs::create_dir_all(tree.join("sub")).unwrap();
        std::fs::write(tree.join("a.txt"), ORIGINAL).unwrap();
        std::fs::write(tree.join("sub/b.txt"), ORIGINAL).unwrap();
        tree
    }

    /// A unified diff of `file` from `from` to `to`, as `patch -p1` takes.
    fn diff(file: &str, from: &str, to: &str) -> String {
        let lines = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
        let (a, b) = (lines(from), lines(to));
        let mut out = format!(
            "--- a/{file}\n+++ b/{file}\n@@ -1,{} +1,{} @@\n",
            a.len(),
            b.len()
        );
        for l in &a {
            out.push_str(&format!("-{l}\n"));
        }
        for l in &b {
            out.push_str(&format!("+{l}\n"));
        }
        out
    }

    /// One mail of a series, as git format-patch writes it.
    fn mail(subject: &str, file: &str, from: &str, to: &str) -> String {
        format!(
            "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n\
             From: A Developer <dev@example.org>\n\
             Date: Tue, 18 Nov 2025 21:46:21 +0800\n\
             Subject: [PATCH] {subject}\n\n\
             Why it changes.\n---\n\
             diff --git a/{file} b/{file}\n{}\n",
            diff(file, from, to)
        )
    }

    fn two_mails() -> String {
        mail("first: a.txt", "a.txt", ORIGINAL, "one\nTWO\nthree\n")
            + &mail("second: b.txt", "sub/b.txt", ORIGINAL, "one\ntwo\nTHREE\n")
    }

    #[rstest]
    #[case::an_mbox(true, "one\nTWO\nthree\n", "one\ntwo\nTHREE\n")]
    #[case::a_directory(false, "one\nTWO\nthree\n", "one\ntwo\nTHREE\n")]
    fn patches_apply_to_the_copy_and_never_to_the_tree(
        #[case] mbox: bool,
        #[case] a: &str,
        #[case] b: &str,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let tree = fake_tree(dir.path());
        let listed = if mbox {
            let m = dir.path().join("series.mbox");
            std::fs::write(&m, two_mails()).unwrap();
            m
        } else {
            let d = dir.path().join("series");
            std::fs::create_dir(&d).unwrap();
            // Name order, not creation order; other files are ignored.
            std::fs::write(
                d.join("2-b.diff"),
                diff("sub/b.txt", ORIGINAL, "one\ntwo\nTHREE\n"),
            )
            .unwrap();
            std::fs::write(
                d.join("1-a.patch"),
                diff("a.txt", ORIGINAL, "one\nTWO\nthree\n"),
            )
            .unwrap();
            std::fs::write(d.join("README"), "not a patch").unwrap();
            d
        };
        let patches = resolve(&[listed], "").unwrap();
        assert_eq!(patches.len(), if mbox { 1 } else { 2 });
        let copy = dir.path().join("copy");
        private_copy(&tree, &copy).unwrap();
        apply(&copy, &patches, &dir.path().join("patch.log")).unwrap();
        assert_eq!(std::fs::read_to_string(copy.join("a.txt")).unwrap(), a);
        assert_eq!(std::fs::read_to_string(copy.join("sub/b.txt")).unwrap(), b);
        for f in ["a.txt", "sub/b.txt"] {
            assert_eq!(std::fs::read_to_string(tree.join(f)).unwrap(), ORIGINAL);
        }
        assert!(!tree.join(".git").exists(), "the tree became a repository");
    }

    #[rstest]
    #[case::the_mail_s_subject(true, "second: b.txt")]
    #[case::the_file(false, "2-b.diff")]
    fn a_patch_that_does_not_apply_names_itself(#[case] mbox: bool, #[case] named: &str) {
        let dir = tempfile::tempdir().unwrap();
        let tree = fake_tree(dir.path());
        // The second patch expects a b.txt the tree does not have.
        let listed = if mbox {
            let m = dir.path().join("series.mbox");
            std::fs::write(
                &m,
                mail("first: a.txt", "a.txt", ORIGINAL, "one\nTWO\nthree\n")
                    + &mail("second: b.txt", "sub/b.txt", "x\ny\nz\n", "X\n"),
            )
            .unwrap();
            m
        } else {
            let d = dir.path().join("series");
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join("1-a.patch"), diff("a.txt", ORIGINAL, "1\n")).unwrap();
            std::fs::write(d.join("2-b.diff"), diff("sub/b.txt", "x\ny\nz\n", "X\n")).unwrap();
            d
        };
        let patches = resolve(std::slice::from_ref(&listed), "").unwrap();
        let copy = dir.path().join("copy");
        private_copy(&tree, &copy).unwrap();
        let log = dir.path().join("patch.log");
        let err = apply(&copy, &patches, &log).unwrap_err().to_string();
        assert!(err.contains(named), "{err}");
        assert!(err.contains(&log.display().to_string()), "{err}");
        let failing = if mbox {
            listed
        } else {
            listed.join("2-b.diff")
        };
        assert!(err.contains(&failing.display().to_string()), "{err}");
        assert!(std::fs::read_to_string(&log).unwrap().contains("$ "));
        assert_eq!(
            std::fs::read_to_string(tree.join("sub/b.txt")).unwrap(),
            ORIGINAL
        );
    }

    #[test]
    fn the_digest_follows_the_content_and_the_order() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.patch"), dir.path().join("b.patch"));
        std::fs::write(&a, "A\n").unwrap();
        std::fs::write(&b, "B\n").unwrap();
        let one = digest(&[Patch::File(a.clone()), Patch::File(b.clone())]).unwrap();
        assert_eq!(
            one,
            digest(&[Patch::File(a.clone()), Patch::File(b.clone())]).unwrap()
        );
        assert_ne!(
            one,
            digest(&[Patch::File(b.clone()), Patch::File(a.clone())]).unwrap()
        );
        std::fs::write(&b, "B, edited\n").unwrap();
        assert_ne!(
            one,
            digest(&[Patch::File(a.clone()), Patch::File(b.clone())]).unwrap()
        );
        assert_eq!(digest(&[]).unwrap(), "");
    }

    #[rstest]
    #[case::absolute("/p/s.mbox", "/p/s.mbox")]
    #[case::home("~/p/s.mbox", "/home/dev/p/s.mbox")]
    #[case::braces("${LLCONF_TEST_PATCHES}/s.mbox", "/srv/patches/s.mbox")]
    #[case::bare("$LLCONF_TEST_PATCHES/s.mbox", "/srv/patches/s.mbox")]
    fn paths_expand(#[case] listed: &str, #[case] expanded: &str) {
        assert_eq!(
            expand_with(Path::new(listed), &fake_env).unwrap(),
            Path::new(expanded)
        );
    }

    fn fake_env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/dev".into()),
            "LLCONF_TEST_PATCHES" => Some("/srv/patches".into()),
            _ => None,
        }
    }

    #[rstest]
    #[case::unset_variable("${LLCONF_TEST_UNSET_VAR}/s.mbox", "LLCONF_TEST_UNSET_VAR is not set")]
    #[case::unclosed("${LLCONF_TEST_PATCHES/s.mbox", "without its")]
    fn bad_paths_say_why(#[case] listed: &str, #[case] says: &str) {
        let err = expand_with(Path::new(listed), &fake_env)
            .unwrap_err()
            .to_string();
        assert!(err.contains(says), "{err}");
    }

    #[test]
    fn a_missing_patch_is_named_with_how_to_get_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.mbox");
        let err = resolve(std::slice::from_ref(&missing), "see kernels/x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains(&missing.display().to_string()), "{err}");
        assert!(err.contains("see kernels/x.toml"), "{err}");
        std::fs::create_dir(dir.path().join("empty")).unwrap();
        let err = resolve(&[dir.path().join("empty")], "")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no *.patch or *.diff"), "{err}");
    }

    #[rstest]
    #[case(
        "Patch failed at 0003 landlock: Add hook on socket creation",
        Some("landlock: Add hook on socket creation")
    )]
    #[case("error: patch failed\nhint: ...", None)]
    fn the_failing_subject_is_read_from_git_am(#[case] out: &str, #[case] subject: Option<&str>) {
        assert_eq!(failed_subject(out), subject);
    }
}
