//! The names of every file and folder a run writes, in one place: the
//! runner that writes them and every reader (`llconf report`, `llconf
//! diff`, the tests) go through here, so that no name is spelled twice.
//!
//! `llconf run --out DIR` in VMs ([`RunDir`]):
//! - `DIR/junit.xml`: every target merged;
//! - `DIR/results.jsonl`: every record of every target, one
//!   one `MergedLine` (of `run_results`, which reads it back) a line;
//! - `DIR/bin/`: the run's copies of the suite binaries;
//! - `DIR/<kernel>-<variant>/`: one [`TargetDir`] per target.
//!
//! `llconf run --host --out DIR`: `DIR` is a [`TargetDir`] holding only
//! `results/`, `logs/` and `junit.xml`.

use std::path::{Path, PathBuf};

/// The JUnit report of a run, and of each target.
pub const JUNIT_FILE: &str = "junit.xml";
/// The merged results of a VM run.
pub const MERGED_RESULTS_FILE: &str = "results.jsonl";
/// What the runner knows about a target that no record carries.
pub const TARGET_META_FILE: &str = "target.json";
/// A target's folder of results files, one per suite.
pub const RESULTS_DIR: &str = "results";
const RESULTS_EXT: &str = "jsonl";
const LOGS_DIR: &str = "logs";
const STATUS_DIR: &str = "status";

/// The `--out` directory of a VM run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    pub fn new(root: impl Into<PathBuf>) -> RunDir {
        RunDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn junit(&self) -> PathBuf {
        self.root.join(JUNIT_FILE)
    }

    pub fn merged_results(&self) -> PathBuf {
        self.root.join(MERGED_RESULTS_FILE)
    }

    /// `<kernel>-<variant>`.
    pub fn target(&self, id: &str) -> TargetDir {
        TargetDir::new(self.root.join(id))
    }

    /// The run's copies of the suite binaries, as built.
    pub fn suite_bins(&self) -> PathBuf {
        self.root.join("bin")
    }

    /// The copies of the static suite binaries (qemu-initramfs).
    pub fn static_suite_bins(&self) -> PathBuf {
        self.suite_bins().join("static")
    }

    /// The copies of the static guest programs (init, true).
    pub fn guest_bins(&self) -> PathBuf {
        self.suite_bins().join("guest")
    }
}

/// One target's directory (a kernel × variant), or a host run's `--out`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDir {
    root: PathBuf,
}

impl TargetDir {
    pub fn new(root: impl Into<PathBuf>) -> TargetDir {
        TargetDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `results/<suite>.jsonl`: what the suite binary wrote
    /// (`LLCONF_RESULTS`).
    pub fn results(&self, suite: &str) -> PathBuf {
        self.results_dir().join(format!("{suite}.{RESULTS_EXT}"))
    }

    pub fn results_dir(&self) -> PathBuf {
        self.root.join(RESULTS_DIR)
    }

    /// The suite whose results file this is, if it is one.
    pub fn suite_of_results(file: &Path) -> Option<String> {
        if file.extension()? != RESULTS_EXT {
            return None;
        }
        Some(file.file_stem()?.to_string_lossy().into_owned())
    }

    /// `logs/<suite>.log`: the suite binary's stdout and stderr.
    pub fn log(&self, suite: &str) -> PathBuf {
        self.logs_dir().join(format!("{suite}.log"))
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.root.join(LOGS_DIR)
    }

    /// `status/<suite>.started`: the guest is about to start the suite.
    pub fn started(&self, suite: &str) -> PathBuf {
        self.status_dir().join(format!("{suite}.started"))
    }

    /// `status/<suite>.exit`: the suite's exit code and a newline, written
    /// in one go.
    pub fn exit(&self, suite: &str) -> PathBuf {
        self.status_dir().join(format!("{suite}.exit"))
    }

    pub fn status_dir(&self) -> PathBuf {
        self.root.join(STATUS_DIR)
    }

    /// The folders a VM run fills as it goes; emptied before it starts, so
    /// that nothing of an earlier run is read as this run's.
    pub fn live_dirs(&self) -> [PathBuf; 3] {
        [self.results_dir(), self.logs_dir(), self.status_dir()]
    }

    /// The files a VM run writes once; removed before it starts.
    pub fn vm_files(&self) -> [PathBuf; 5] {
        [
            self.console(),
            self.dmesg(),
            self.junit(),
            self.records_raw(),
            self.initramfs(),
        ]
    }

    pub fn junit(&self) -> PathBuf {
        self.root.join(JUNIT_FILE)
    }

    pub fn meta(&self) -> PathBuf {
        self.root.join(TARGET_META_FILE)
    }

    /// The VM's output: the guest console and the guest's own lines.
    pub fn console(&self) -> PathBuf {
        self.root.join("console.log")
    }

    /// The guest's dmesg at the end of the run.
    pub fn dmesg(&self) -> PathBuf {
        self.root.join("dmesg.txt")
    }

    /// vng: the shell script the guest runs.
    pub fn guest_script(&self) -> PathBuf {
        self.root.join("guest.sh")
    }

    /// qemu-initramfs and uml: the plan llconf's init follows.
    pub fn plan(&self) -> PathBuf {
        self.root.join("plan.txt")
    }

    /// qemu-initramfs: the initramfs, removed after the run.
    pub fn initramfs(&self) -> PathBuf {
        self.root.join("initramfs.cpio")
    }

    /// qemu-initramfs and uml: the guest's record port, as written.
    pub fn records_raw(&self) -> PathBuf {
        self.root.join("records.raw")
    }

    /// uml: UML's instance directory (its management console socket).
    pub fn uml_instance(&self) -> PathBuf {
        self.root.join("uml")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_lives_in_its_run() {
        let run = RunDir::new("/out");
        let t = run.target("debian-6.12-default");
        assert_eq!(
            t.results("base"),
            Path::new("/out/debian-6.12-default/results/base.jsonl")
        );
        assert_eq!(
            t.exit("base"),
            Path::new("/out/debian-6.12-default/status/base.exit")
        );
        assert_eq!(run.merged_results(), Path::new("/out/results.jsonl"));
        assert_eq!(
            TargetDir::suite_of_results(&t.results("unix")).as_deref(),
            Some("unix")
        );
        assert_eq!(TargetDir::suite_of_results(&t.log("unix")), None);
    }
}
