//! Reads a finished run back from disk: the input of `llconf report` and
//! `llconf diff`.
//!
//! A run is a set of columns, one per target (kernel × variant) of a VM run,
//! or one for a host run. What can be read:
//! - a VM run's `--out` directory: its merged `results.jsonl`, plus each
//!   target's `<target>/target.json` when the runner wrote one;
//! - a host run's `--out` directory, or one target's directory: its
//!   `results/<suite>.jsonl`;
//! - a directory of such directories, e.g. the artifacts of a CI pipeline
//!   with one job per kernel (`out/debian-6.12/`, `out/debian-7.3/`, ...);
//! - a `results.jsonl` file of either shape (merged lines wrapping their
//!   record with the target, or plain records of one suite).
//!
//! Nothing that ran is dropped: a target whose kernel never booted is a
//! column with its `target.json` problems and no records; a VM target with
//! no `target.json` did not finish and is a column with what its suites
//! wrote and a `report::partial` problem; a run folder with an empty
//! `results.jsonl` and no target is one column with that problem.

use crate::layout::{RunDir, TargetDir};
use crate::record::{KernelInfo, Record};
use crate::results::SuiteResults;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// What the runner knows about a target that no suite record carries: how
/// it booted and what the run-level checks found.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TargetMeta {
    /// `<kernel>-<variant>`.
    pub id: String,
    pub kernel: String,
    pub variant: String,
    #[serde(default)]
    pub backend: String,
    #[serde(default)]
    pub accel: String,
    /// `name=version` of the Debian packages booted.
    #[serde(default)]
    pub packages: Vec<String>,
    /// From the start of the VM to the guest's first line.
    #[serde(default)]
    pub boot_seconds: Option<f64>,
    /// The whole VM run.
    #[serde(default)]
    pub elapsed_seconds: Option<f64>,
    #[serde(default)]
    pub expected_abi: Option<u32>,
    /// False for variants that leave Landlock out.
    #[serde(default = "yes")]
    pub landlock: bool,
    /// The failed run-level checks (`vm::boot: ...`, `vm::abi: ...`).
    #[serde(default)]
    pub problems: Vec<String>,
}

fn yes() -> bool {
    true
}

/// One column of a report: the results of one target.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Column {
    /// `debian-6.12-default`, or `host`.
    pub id: String,
    pub kernel: Option<String>,
    pub variant: Option<String>,
    /// In the order the suites first appear.
    pub suites: Vec<SuiteResults>,
    pub meta: Option<TargetMeta>,
    /// The target's folder on disk (logs, console, dmesg), when known.
    pub dir: Option<PathBuf>,
}

impl Column {
    /// What the suites probed; the first suite that got that far.
    pub fn kernel_info(&self) -> Option<&KernelInfo> {
        self.suites.iter().find_map(|s| s.kernel.as_ref())
    }

    fn suite_mut(&mut self, name: &str) -> &mut SuiteResults {
        match self.suites.iter().position(|s| s.suite == name) {
            Some(i) => &mut self.suites[i],
            None => {
                self.suites.push(SuiteResults::new(name));
                self.suites.last_mut().unwrap()
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    /// Sorted: kernels in version order, the `default` variant first.
    pub columns: Vec<Column>,
    /// Lines that were not records (a torn line of a crashed suite), with
    /// where they came from.
    pub unreadable: Vec<String>,
}

impl Run {
    pub fn column(&self, id: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.id == id)
    }

    /// The column named `id`, or the only one whose id starts with `id-`
    /// (`debian-6.12` for `debian-6.12-default`) or contains it.
    pub fn find_column(&self, id: &str) -> Result<&Column, LoadError> {
        if let Some(c) = self.column(id) {
            return Ok(c);
        }
        let prefixed: Vec<&Column> = self
            .columns
            .iter()
            .filter(|c| c.id.starts_with(&format!("{id}-")))
            .collect();
        let candidates = if prefixed.is_empty() {
            self.columns.iter().filter(|c| c.id.contains(id)).collect()
        } else {
            prefixed
        };
        match candidates.as_slice() {
            [one] => Ok(one),
            _ => Err(LoadError::Column {
                wanted: id.to_string(),
                have: self.ids(),
                ambiguous: candidates.len() > 1,
            }),
        }
    }

    pub fn ids(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.id.clone()).collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    // The OS error is the source: shown once, after the path, by a reader
    // that prints the chain (anyhow's `{:#}`).
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{0}: no results found (expected a run directory of `llconf run --out`, \
         a directory of such directories, or a results.jsonl file)"
    )]
    Empty(PathBuf),
    #[error(
        "{} column `{wanted}`; the run has: {}",
        if *ambiguous { "more than one" } else { "no" },
        have.join(", ")
    )]
    Column {
        wanted: String,
        have: Vec<String>,
        ambiguous: bool,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LoadError + '_ {
    move |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads one run from a directory or a results file.
pub fn load(path: &Path) -> Result<Run, LoadError> {
    load_all(std::slice::from_ref(&path.to_path_buf()))
}

/// Reads several runs into one (e.g. one directory per CI job). Columns
/// with the same id in two places are told apart by a `#2` suffix.
pub fn load_all(paths: &[PathBuf]) -> Result<Run, LoadError> {
    let mut run = Run::default();
    for path in paths {
        let before = run.columns.len();
        if path.is_dir() {
            load_dir(path, 0, &mut run)?;
        } else {
            load_file(path, None, &mut run)?;
        }
        if run.columns.len() == before {
            return Err(LoadError::Empty(path.clone()));
        }
    }
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for c in &mut run.columns {
        let n = seen.entry(c.id.clone()).or_default();
        *n += 1;
        if *n > 1 {
            c.id = format!("{}#{n}", c.id);
        }
    }
    run.columns.sort_by(column_order);
    Ok(run)
}

/// How deep a directory of runs is searched for runs.
const MAX_DEPTH: usize = 2;

fn load_dir(dir: &Path, depth: usize, run: &mut Run) -> Result<(), LoadError> {
    let merged = RunDir::new(dir).merged_results();
    if merged.is_file() {
        return load_file(&merged, Some(dir), run);
    }
    if let Some(column) = target_column(dir, run)? {
        run.columns.push(column);
        return Ok(());
    }
    if depth < MAX_DEPTH {
        for sub in sorted_entries(dir)? {
            if sub.is_dir() {
                load_dir(&sub, depth + 1, run)?;
            }
        }
    }
    Ok(())
}

/// The last component of `dir`, as written or once made absolute.
fn folder_name(dir: &Path) -> String {
    std::path::absolute(dir)
        .ok()
        .as_deref()
        .unwrap_or(dir)
        .file_name()
        .map_or_else(|| "host".into(), |n| n.to_string_lossy().into_owned())
}

/// What a VM run leaves in a target's folder from its start: a target with
/// one of these and no `target.json` did not finish.
fn started_vm_target(dir: &Path) -> bool {
    let t = TargetDir::new(dir);
    [t.console(), t.guest_script(), t.plan(), t.status_dir()]
        .iter()
        .any(|p| p.exists())
}

/// The problem a partial target is reported with.
pub const PARTIAL: &str = "report::partial";

/// A target's own folder as one column, or `None` when `dir` is none:
/// - with `target.json`, what the runner concluded, and its suites' records
///   if any (a target whose kernel never booted has none and still shows);
/// - a VM target without `target.json` did not finish (interrupted, killed,
///   still running): its records so far, and a problem that says so;
/// - `results/` alone is a host run.
fn target_column(dir: &Path, run: &mut Run) -> Result<Option<Column>, LoadError> {
    let results = TargetDir::new(dir).results_dir();
    let meta = read_meta(dir).or_else(|| {
        started_vm_target(dir).then(|| {
            let id = dir.file_name().map_or_else(
                || dir.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            TargetMeta {
                id,
                landlock: true,
                problems: vec![format!(
                    "{PARTIAL}: {} has no {}: this target's run was interrupted or has not \
                     finished; only what its suites wrote is shown",
                    dir.display(),
                    crate::layout::TARGET_META_FILE
                )],
                ..Default::default()
            }
        })
    });
    if !results.is_dir() && meta.is_none() {
        return Ok(None);
    }
    let mut column = Column {
        // A host run is named after its folder, so that two of them (two
        // machines, two CI jobs) read apart.
        id: meta
            .as_ref()
            .map_or_else(|| folder_name(dir), |m| m.id.clone()),
        kernel: meta
            .as_ref()
            .map(|m| m.kernel.clone())
            .filter(|k| !k.is_empty()),
        variant: meta
            .as_ref()
            .map(|m| m.variant.clone())
            .filter(|v| !v.is_empty()),
        suites: Vec::new(),
        meta,
        dir: Some(std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())),
    };
    if results.is_dir() {
        for file in sorted_entries(&results)? {
            if let Some(suite) = TargetDir::suite_of_results(&file) {
                let text = std::fs::read_to_string(&file).map_err(io(&file))?;
                read_plain(&text, &suite, &file, &mut column, run);
            }
        }
    }
    Ok((!column.suites.is_empty() || column.meta.is_some()).then_some(column))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

fn read_meta(dir: &Path) -> Option<TargetMeta> {
    let text = std::fs::read_to_string(TargetDir::new(dir).meta()).ok()?;
    serde_json::from_str(&text).ok()
}

/// One line of a VM run's merged `results.jsonl`: a suite's record exactly
/// as the suite binary wrote it (see [`crate::record`]), wrapped with the
/// target it came from. Targets appear in the order they finished; within
/// a target, suites in name order and records in file order.
///
/// ```json
/// {"target":"debian-6.12-default","kernel":"debian-6.12","variant":"default",
///  "suite":"base","record":{"type":"test_finished","name":"base::...",...}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedLine {
    pub target: String,
    pub kernel: String,
    pub variant: String,
    pub suite: String,
    pub record: Record,
}

/// A results file; `run_dir` is where the per-target directories are.
fn load_file(file: &Path, run_dir: Option<&Path>, run: &mut Run) -> Result<(), LoadError> {
    let text = std::fs::read_to_string(file).map_err(io(file))?;
    let first = text.lines().find(|l| !l.trim().is_empty());
    // An empty `results.jsonl` in a run's folder is a run that finished no
    // target (or none yet): its targets' folders say why.
    let merged = match first {
        Some(l) => serde_json::from_str::<MergedLine>(l).is_ok(),
        None => run_dir.is_some(),
    };
    if !merged {
        let suite = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        // `<run>/results/<suite>.jsonl`: the run's folder names it.
        let id = file
            .parent()
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n == crate::layout::RESULTS_DIR)
            })
            .and_then(Path::parent)
            .map_or_else(|| "host".into(), folder_name);
        let mut column = Column {
            id,
            dir: file
                .parent()
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n == crate::layout::RESULTS_DIR)
                })
                .and_then(Path::parent)
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())),
            ..Default::default()
        };
        read_plain(&text, &suite, file, &mut column, run);
        if !column.suites.is_empty() {
            run.columns.push(column);
        }
        return Ok(());
    }
    let run_dir = run_dir
        .map(Path::to_path_buf)
        .or_else(|| file.parent().map(Path::to_path_buf));
    let first = run.columns.len();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let l = match serde_json::from_str::<MergedLine>(line) {
            Ok(l) => l,
            Err(e) => {
                run.unreadable
                    .push(format!("{}:{}: {e}", file.display(), n + 1));
                continue;
            }
        };
        let i = match run.columns[first..].iter().position(|c| c.id == l.target) {
            Some(i) => first + i,
            None => {
                let meta = run_dir.as_ref().and_then(|d| read_meta(&d.join(&l.target)));
                run.columns.push(Column {
                    id: l.target.clone(),
                    kernel: Some(l.kernel.clone()),
                    variant: Some(l.variant.clone()),
                    suites: Vec::new(),
                    meta,
                    dir: run_dir.as_ref().map(|d| {
                        std::path::absolute(d.join(&l.target)).unwrap_or(d.join(&l.target))
                    }),
                });
                run.columns.len() - 1
            }
        };
        run.columns[i].suite_mut(&l.suite).apply(&l.record);
    }
    // A target that never ran a suite (its kernel could not be fetched, the
    // VM died at boot) has no line; its target.json says what happened. One
    // that has not finished has no target.json: it shows as partial.
    if let Some(dir) = run_dir.as_ref().filter(|d| d.is_dir()) {
        for sub in sorted_entries(dir)? {
            if !sub.is_dir() {
                continue;
            }
            let Some(column) = target_column(&sub, run)? else {
                continue;
            };
            match run.columns[first..].iter_mut().find(|c| c.id == column.id) {
                // Records in the merged file but no target.json: partial too.
                Some(c) if c.meta.is_none() => c.meta = column.meta,
                Some(_) => {}
                None if column.meta.is_some() => run.columns.push(column),
                None => {}
            }
        }
    }
    // Nothing at all: the job died before its first target. Shown as one
    // failed column, never dropped.
    if run.columns.len() == first {
        if let Some(dir) = run_dir.filter(|d| d.is_dir()) {
            let id = dir.file_name().map_or_else(
                || dir.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            run.columns.push(Column {
                id: id.clone(),
                meta: Some(TargetMeta {
                    id,
                    landlock: true,
                    problems: vec![format!(
                        "{PARTIAL}: {} is empty and no target has a {}: the run ended \
                         before any kernel ran",
                        file.display(),
                        crate::layout::TARGET_META_FILE
                    )],
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
    }
    Ok(())
}

/// Plain records, as a suite binary writes them. A `suite_started` names
/// the suite of the records after it; before one, the file's name does.
fn read_plain(text: &str, suite: &str, file: &Path, column: &mut Column, run: &mut Run) {
    let mut current = suite.to_string();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(record) => {
                if let Record::SuiteStarted(s) = &record {
                    current = s.suite.clone();
                }
                column.suite_mut(&current).apply(&record);
            }
            Err(e) => run
                .unreadable
                .push(format!("{}:{}: {e}", file.display(), n + 1)),
        }
    }
}

/// Kernels in version order (`debian-6.1` < `debian-6.12` < `debian-7.0`),
/// the `default` variant first, then the others by name.
pub fn column_order(a: &Column, b: &Column) -> Ordering {
    let kernel = |c: &Column| c.kernel.clone().unwrap_or_else(|| c.id.clone());
    let variant_rank = |c: &Column| match c.variant.as_deref() {
        Some("default") | None => 0,
        Some(_) => 1,
    };
    natural_cmp(&kernel(a), &kernel(b))
        .then(variant_rank(a).cmp(&variant_rank(b)))
        .then_with(|| natural_cmp(&a.id, &b.id))
}

/// Compares runs of digits as numbers: `6.9` < `6.12`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let na = std::str::from_utf8(&a[..da])
                    .unwrap()
                    .trim_start_matches('0');
                let nb = std::str::from_utf8(&b[..db])
                    .unwrap()
                    .trim_start_matches('0');
                let o = na.len().cmp(&nb.len()).then(na.cmp(nb));
                if o != Ordering::Equal {
                    return o;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_as_numbers() {
        let mut v = vec!["debian-7.0", "debian-6.12", "debian-6.1", "debian-6.18"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            ["debian-6.1", "debian-6.12", "debian-6.18", "debian-7.0"]
        );
    }

    #[test]
    fn default_variant_comes_first() {
        let col = |k: &str, v: &str| Column {
            id: format!("{k}-{v}"),
            kernel: Some(k.into()),
            variant: Some(v.into()),
            ..Default::default()
        };
        let mut v = [
            col("debian-6.12", "no-landlock"),
            col("debian-6.12", "audit-off"),
            col("debian-6.12", "default"),
            col("debian-6.1", "no-landlock"),
        ];
        v.sort_by(column_order);
        let ids: Vec<_> = v.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "debian-6.1-no-landlock",
                "debian-6.12-default",
                "debian-6.12-audit-off",
                "debian-6.12-no-landlock"
            ]
        );
    }

    #[test]
    fn plain_records_name_their_suite() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let results = dir.join("results");
        std::fs::create_dir_all(&results).unwrap();
        std::fs::write(
            results.join("base.jsonl"),
            "{\"type\":\"suite_started\",\"suite\":\"base\",\"kernel\":{\"release\":\"6.1\",\"landlock\":\"enabled\",\"abi\":2,\"errata\":null},\"tests_planned\":1,\"started_at\":1.0}\n\
             {\"type\":\"test_finished\",\"name\":\"base::a::b\",\"outcome\":\"passed\",\"duration_ms\":1.0}\n{\"torn",
        )
        .unwrap();
        let run = load(dir).unwrap();
        assert_eq!(run.ids(), [dir.file_name().unwrap().to_string_lossy()]);
        let c = &run.columns[0];
        assert_eq!(c.suites[0].suite, "base");
        assert_eq!(c.suites[0].tests.len(), 1);
        assert!(!c.suites[0].finished);
        assert_eq!(c.kernel_info().unwrap().abi, Some(2));
        assert_eq!(run.unreadable.len(), 1);
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn problems(c: &Column) -> Vec<String> {
        c.meta
            .as_ref()
            .map(|m| m.problems.clone())
            .unwrap_or_default()
    }

    const RECORDS: &str = "{\"type\":\"suite_started\",\"suite\":\"base\",\"kernel\":{\"release\":\"7.1.13\",\"landlock\":\"enabled\",\"abi\":9,\"errata\":7},\"tests_planned\":2,\"started_at\":1.0}\n{\"type\":\"test_finished\",\"name\":\"base::a::x\",\"outcome\":\"passed\",\"duration_ms\":1.0}\n";

    /// CI artifacts, one folder per job: one job's kernel never booted, one
    /// was killed mid-run, one died before its first kernel. None may be
    /// dropped, and each says what happened.
    #[test]
    fn failed_partial_and_empty_jobs_are_columns_with_their_problem() {
        let d = tempfile::tempdir().unwrap();
        let jobs = d.path();
        write(&jobs.join("dead/results.jsonl"), "");
        write(
            &jobs.join("dead/debian-6.18-default/target.json"),
            r#"{"id":"debian-6.18-default","kernel":"debian-6.18","variant":"default","problems":["vm::boot: kernel panic"]}"#,
        );
        write(&jobs.join("killed/results.jsonl"), "");
        write(
            &jobs.join("killed/debian-7.1-default/console.log"),
            "booting\n",
        );
        write(
            &jobs.join("killed/debian-7.1-default/results/base.jsonl"),
            RECORDS,
        );
        write(&jobs.join("nothing/results.jsonl"), "");
        let run = load(jobs).unwrap();
        assert_eq!(
            run.ids(),
            ["debian-6.18-default", "debian-7.1-default", "nothing"]
        );
        let dead = run.column("debian-6.18-default").unwrap();
        assert_eq!(problems(dead), ["vm::boot: kernel panic"]);
        let killed = run.column("debian-7.1-default").unwrap();
        assert!(
            problems(killed)[0].starts_with("report::partial: "),
            "{killed:?}"
        );
        assert_eq!(killed.suites[0].tests.len(), 1, "what it wrote is kept");
        let nothing = run.column("nothing").unwrap();
        assert!(problems(nothing)[0].contains("before any kernel ran"));
    }

    #[test]
    fn one_failed_target_folder_alone_is_a_report() {
        let d = tempfile::tempdir().unwrap();
        write(
            &d.path().join("target.json"),
            r#"{"id":"k-default","kernel":"k","variant":"default","problems":["vm::fetch: no package"]}"#,
        );
        let run = load(d.path()).unwrap();
        assert_eq!(run.ids(), ["k-default"]);
        assert_eq!(problems(&run.columns[0]), ["vm::fetch: no package"]);
    }
}
