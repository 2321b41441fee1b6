//! `llconf mutants`: the mutation points of security/landlock. `--list`
//! prints every mutant with its id and diff; judging them (build, run,
//! caught or missed) is not part of this version, and says so.

use crate::cache_dir::Cache;
use crate::cli::MutantsArgs;
use crate::kernel::catalogue::{Builder, Catalogue, Kernel, Source};
use crate::kernel::uml_build;
use crate::mutants::points::{self, Operator};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn mutants(kernels_dir: &Path, args: MutantsArgs) -> Result<ExitCode> {
    let catalogue = Catalogue::load(kernels_dir)?;
    let kernel = catalogue.select(std::slice::from_ref(&args.kernel))?[0];
    let tree = source_tree(&Cache::from_env(), kernel)?;
    let files = matching(&tree, &args.files)?;
    if !args.list {
        bail!(
            "only `llconf mutants --list` is available in this version: building and \
             judging each mutant is not done yet"
        );
    }
    let mut by_operator: BTreeMap<Operator, usize> = BTreeMap::new();
    let mut total = 0;
    let mut out = std::io::stdout().lock();
    for file in &files {
        let rel = file
            .strip_prefix(&tree)
            .unwrap_or(file)
            .display()
            .to_string();
        let source =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        for m in points::find(&rel, &source) {
            if let Err(e) = writeln!(out, "{}\n{}", m.id(), m.diff(&source)) {
                // `| head`: the reader has what it wanted.
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(ExitCode::SUCCESS);
                }
                return Err(e.into());
            }
            *by_operator.entry(m.operator).or_default() += 1;
            total += 1;
        }
    }
    let counts: Vec<String> = by_operator
        .iter()
        .map(|(op, n)| format!("{n} {op}"))
        .collect();
    let _ = writeln!(
        out,
        "{total} mutants in {} files of {}: {}",
        files.len(),
        tree.display(),
        counts.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// Where the kernel's source is, without modifying or building it.
fn source_tree(cache: &Cache, kernel: &Kernel) -> Result<PathBuf> {
    match &kernel.source {
        Source::Build {
            path,
            builder: Builder::Uml,
        } => Ok(path.clone()),
        Source::DebianTree(spec) => uml_build::cached_coverage(cache, spec)
            .and_then(|b| b.coverage)
            .map(|c| c.source)
            .with_context(|| {
                format!(
                    "kernel `{}`: no source kept yet; `llconf coverage --kernel {}` builds \
                     it and keeps the source",
                    kernel.name, kernel.name
                )
            }),
        _ => bail!(
            "kernel `{}` has no source llconf can reach: mutants need a UML kernel built \
             from source (`type = \"debian-source\"`, or `type = \"build\"` with \
             `builder = \"uml\"`)",
            kernel.name
        ),
    }
}

/// The files of `glob` under `tree`: a directory, then a file name in
/// which `*` matches any run of characters.
fn matching(tree: &Path, glob: &str) -> Result<Vec<PathBuf>> {
    let (dir, pattern) = glob.rsplit_once('/').unwrap_or(("", glob));
    let dir = tree.join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("--file {glob}: reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| wildcard(pattern, &n.to_string_lossy()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("--file {glob} matches no file in {}", tree.display());
    }
    Ok(files)
}

fn wildcard(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| wildcard(rest, &tail[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_within_a_file_name() {
        assert!(wildcard("*.c", "fs.c"));
        assert!(!wildcard("*.c", "fs.h"));
        assert!(wildcard("net.c", "net.c"));
        assert!(wildcard("a*b*.c", "axxbyy.c"));
        let dir = tempfile::tempdir().unwrap();
        let ll = dir.path().join("security/landlock");
        std::fs::create_dir_all(&ll).unwrap();
        for f in ["fs.c", "fs.h", "net.c"] {
            std::fs::write(ll.join(f), "").unwrap();
        }
        let found = matching(dir.path(), "security/landlock/*.c").unwrap();
        assert_eq!(found, [ll.join("fs.c"), ll.join("net.c")]);
        let err = matching(dir.path(), "security/landlock/*.rs").unwrap_err();
        assert!(err.to_string().contains("matches no file"), "{err}");
    }
}
