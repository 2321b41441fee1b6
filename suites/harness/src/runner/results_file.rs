//! The JSON Lines results file: one record per line, written and flushed as
//! each test finishes, so a crash part-way keeps what was already done.

use llconf_record::Record;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const RESULTS_ENV: &str = "LLCONF_RESULTS";

/// Set by cargo-nextest, which starts the binary once per test: the
/// records of one nextest run go to one file, appended to, never emptied.
pub const NEXTEST_RUN_ENV: &str = "NEXTEST_RUN_ID";

/// The nextest run this process belongs to, if any.
pub fn nextest_run() -> Option<String> {
    std::env::var(NEXTEST_RUN_ENV)
        .ok()
        .filter(|v| !v.is_empty())
}

pub struct ResultsFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl ResultsFile {
    /// `$LLCONF_RESULTS`, or `<target>/<profile>/llconf-results/<suite>.jsonl`
    /// beside the test binary when run straight from cargo.
    pub fn default_path(suite: &str) -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(RESULTS_ENV) {
            return (!p.is_empty()).then(|| PathBuf::from(p));
        }
        let exe = std::env::current_exe().ok()?;
        let profile_dir = exe.parent()?.parent()?;
        let file = match nextest_run() {
            Some(run) => format!("{suite}-nextest-{run}.jsonl"),
            None => format!("{suite}.jsonl"),
        };
        Some(profile_dir.join("llconf-results").join(file))
    }

    /// Opens `path` for appending, emptied first when `truncate`; says
    /// whether it held anything before.
    pub fn open(path: &Path, truncate: bool) -> std::io::Result<(ResultsFile, bool)> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if truncate {
            File::create(path)?;
        }
        // Append mode: each record is one write at the end of the file,
        // whatever else holds it open.
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let had_records = file.metadata()?.len() > 0;
        Ok((
            ResultsFile {
                path: path.to_owned(),
                file: Mutex::new(file),
            },
            had_records,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&self, record: &Record) {
        let mut line = serde_json::to_string(record).expect("records serialize");
        line.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        // One write per record keeps lines whole; a full disk must not stop
        // the tests, so the error is only reported.
        if let Err(e) = f.write_all(line.as_bytes()) {
            eprintln!("llconf-harness: cannot write {}: {e}", self.path.display());
        }
    }
}
