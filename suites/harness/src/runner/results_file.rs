//! The JSON Lines results file: one record per line, written and flushed as
//! each test finishes, so a crash part-way keeps what was already done.

use llconf_record::Record;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const RESULTS_ENV: &str = "LLCONF_RESULTS";

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
        Some(
            profile_dir
                .join("llconf-results")
                .join(format!("{suite}.jsonl")),
        )
    }

    pub fn create(path: &Path) -> std::io::Result<ResultsFile> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // Emptied, then written in append mode: each record is one write at
        // the end of the file, whatever else holds it open.
        File::create(path)?;
        let file = std::fs::OpenOptions::new().append(true).open(path)?;
        Ok(ResultsFile {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
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
