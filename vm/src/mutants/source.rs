//! Where `llconf mutants` reads from: the kernel's source (a `build` tree,
//! or the one a coverage build kept), the files a `--file` glob names in
//! it, and the per-test coverage map and the peer's line coverage kept
//! beside that build.

use crate::cache_dir::Cache;
use crate::kernel::catalogue::{Builder, Kernel, Source};
use crate::kernel::uml_build;
use anyhow::{bail, Context, Result};
use llconf_reports::coverage::Tracefile;
use llconf_reports::test_lines::{self, TestLines};
use std::path::{Path, PathBuf};

/// The folder mutated.
pub const FOLDER: &str = "security/landlock";

/// Where the kernel's source is, without modifying or building it.
pub fn tree(cache: &Cache, kernel: &Kernel) -> Result<PathBuf> {
    match &kernel.source {
        Source::Build {
            path,
            builder: Builder::Uml,
            patches,
        } if patches.is_empty() => Ok(path.clone()),
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
pub fn matching(tree: &Path, glob: &str) -> Result<Vec<PathBuf>> {
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

/// The per-test coverage map: the one named, or the one kept beside the
/// kernel's coverage build.
pub fn test_lines(
    cache: &Cache,
    kernel: &Kernel,
    named: Option<&Path>,
) -> Result<Option<(PathBuf, TestLines)>> {
    let path = match named {
        Some(p) => p.to_path_buf(),
        None => match kept(cache, kernel, test_lines::FILE_NAME) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let map: TestLines = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a test-lines.json of llconf", path.display()))?;
    if map.directory != FOLDER {
        bail!(
            "{} measured {}, not {FOLDER}",
            path.display(),
            map.directory
        );
    }
    Ok(Some((path, map)))
}

/// `name` beside the kernel's coverage build, if it is there.
fn kept(cache: &Cache, kernel: &Kernel, name: &str) -> Option<PathBuf> {
    match &kernel.source {
        Source::DebianTree(spec) => uml_build::cached_coverage(cache, spec)
            .and_then(|b| b.coverage)
            .map(|c| c.objects.join(name))
            .filter(|p| p.is_file()),
        _ => None,
    }
}

/// The peer's line coverage: the file named, or the one `llconf coverage
/// --peer ksft` kept beside the kernel's coverage build, per program if it
/// measured them one by one. A map per program (`ksft-lines.json`) has a
/// test per program; an lcov tracefile becomes a map of one test, `peer`.
pub fn peer_lines(
    cache: &Cache,
    kernel: &Kernel,
    named: Option<&Path>,
    peer: &str,
) -> Result<Option<(PathBuf, TestLines)>> {
    let path = match named {
        Some(p) => p.to_path_buf(),
        None => match kept(cache, kernel, test_lines::PEER_PROGRAMS_FILE)
            .or_else(|| kept(cache, kernel, test_lines::PEER_LINES_FILE))
        {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Some((path.clone(), parse_peer_lines(&path, &text, peer)?)))
}

/// A peer's coverage map, from a map per program or a tracefile.
fn parse_peer_lines(path: &Path, text: &str, peer: &str) -> Result<TestLines> {
    if text.trim_start().starts_with('{') {
        let map: TestLines = serde_json::from_str(text)
            .with_context(|| format!("{} is not a ksft-lines.json of llconf", path.display()))?;
        if map.directory != FOLDER {
            bail!(
                "{} measured {}, not {FOLDER}",
                path.display(),
                map.directory
            );
        }
        return Ok(map);
    }
    let trace = Tracefile::parse(text, FOLDER)
        .with_context(|| format!("{} is not an lcov tracefile", path.display()))?;
    if trace.files.is_empty() {
        bail!("{} has no line of {FOLDER}", path.display());
    }
    let mut map = TestLines {
        directory: FOLDER.to_string(),
        ..TestLines::default()
    };
    map.add(peer, &trace);
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_map_is_per_program_or_of_one_run() {
        let trace = "SF:/k/security/landlock/net.c\nDA:10,1\nend_of_record\n";
        let whole = parse_peer_lines(Path::new("ksft.info"), trace, "ksft").unwrap();
        assert_eq!(whole.tests.keys().collect::<Vec<_>>(), ["ksft"]);
        let mut per = TestLines {
            directory: FOLDER.into(),
            ..TestLines::default()
        };
        per.add("net_test", &Tracefile::parse(trace, FOLDER).unwrap());
        let text = serde_json::to_string(&per).unwrap();
        let read = parse_peer_lines(Path::new("ksft-lines.json"), &text, "ksft").unwrap();
        assert_eq!(read, per);
        let other = text.replace(FOLDER, "security/yama");
        let err = parse_peer_lines(Path::new("x.json"), &other, "ksft").unwrap_err();
        assert!(err.to_string().contains("not security/landlock"), "{err}");
    }

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
