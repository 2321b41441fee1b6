//! The names of every file and folder a run writes, in one place: the
//! runner that writes them and every reader (`llconf report`, `llconf
//! diff`, the tests) go through here, so that no name is spelled twice.
//!
//! `llconf run --out DIR` in VMs ([`RunDir`]):
//! - `DIR/junit.xml`: every target merged;
//! - `DIR/results.jsonl`: every record of every target, one
//!   one `MergedLine` (of `run_results`, which reads it back) a line;
//! - `DIR/bin/`: the suite binaries the run executes (hard links into the
//!   binary store of the cache, or `bin/paths.json` naming its entries);
//! - `DIR/<kernel>-<variant>/`: one [`TargetDir`] per target.
//!
//! `llconf run --host --out DIR`: `DIR` is a [`TargetDir`] holding only
//! `results/`, `logs/` and `junit.xml`.
//!
//! A run owns its folder: [`contents`] tells what an earlier run left
//! there (replaced before the new run writes anything) from what no run
//! wrote (the run refuses the folder).

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
/// Held (flock) by the run writing into a folder.
pub const LOCK_FILE: &str = ".lock";
const STATUS_DIR: &str = "status";

/// Written by `llconf report` beside a run's results.
const REPORT_FILES: [&str; 2] = ["report.html", "report.md"];
/// What other llconf commands write into a folder of their own, which may
/// sit inside a run's folder (`out/coverage`, `out/mutants`).
const OTHER_COMMANDS: [&str; 3] = ["coverage.json", "mutants.json", "test-lines.json"];

/// What a folder holds, seen from a run about to write into it.
#[derive(Debug, Default, PartialEq)]
pub struct Contents {
    /// What an earlier run (VM or host) wrote: replaced by the new run.
    pub earlier_run: Vec<PathBuf>,
    /// What no llconf run wrote; a run refuses such a folder.
    pub foreign: Vec<PathBuf>,
}

/// A JUnit file llconf wrote under another name (`--junit out/base.xml`).
fn llconf_junit(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    path.extension().is_some_and(|e| e == "xml")
        && String::from_utf8_lossy(&head[..n]).contains("<testsuites name=\"llconf\"")
}

/// Sorts the entries of `dir` (which may not exist) into what an earlier
/// llconf run wrote, what other llconf commands wrote (left alone), and
/// the rest.
pub fn contents(dir: &Path) -> std::io::Result<Contents> {
    let mut c = Contents::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(c),
        Err(e) => return Err(e),
    };
    let t = TargetDir::new(dir);
    let run = RunDir::new(dir);
    let run_files: Vec<PathBuf> = [
        run.junit(),
        run.merged_results(),
        run.suite_bins(),
        t.results_dir(),
        t.logs_dir(),
        t.status_dir(),
        t.meta(),
        t.console(),
        t.dmesg(),
        t.guest_script(),
        t.plan(),
        t.initramfs(),
        t.records_raw(),
        t.uml_instance(),
        dir.join(LOCK_FILE),
    ]
    .into_iter()
    .chain(REPORT_FILES.iter().map(|f| dir.join(f)))
    .collect();
    for e in entries {
        let path = e?.path();
        let holds = |names: &[&str]| names.iter().any(|n| path.join(n).exists());
        if run_files.contains(&path)
            || llconf_junit(&path)
            || (path.is_dir() && holds(&[TARGET_META_FILE, JUNIT_FILE, RESULTS_DIR, "console.log"]))
        {
            c.earlier_run.push(path);
        } else if path.is_dir() && holds(&OTHER_COMMANDS) {
            // Another command's output folder: not the run's to touch.
        } else {
            c.foreign.push(path);
        }
    }
    c.earlier_run.sort();
    c.foreign.sort();
    Ok(c)
}

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

    #[test]
    fn a_folder_is_sorted_into_earlier_run_other_commands_and_foreign() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        for f in ["junit.xml", "results.jsonl", "report.html", "notes.txt"] {
            std::fs::write(p.join(f), "").unwrap();
        }
        std::fs::write(
            p.join("base.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"llconf\" tests=\"1\">",
        )
        .unwrap();
        std::fs::write(p.join("other.xml"), "<?xml version=\"1.0\"?>\n<svg/>").unwrap();
        for dir in [
            "results",
            "logs",
            "bin",
            "debian-7.3-default",
            "coverage",
            "photos",
        ] {
            std::fs::create_dir(p.join(dir)).unwrap();
        }
        std::fs::write(p.join("debian-7.3-default/target.json"), "{}").unwrap();
        std::fs::write(p.join("coverage/coverage.json"), "{}").unwrap();
        let c = contents(p).unwrap();
        let names = |v: &[PathBuf]| -> Vec<String> {
            v.iter()
                .map(|x| x.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(&c.earlier_run),
            [
                "base.xml",
                "bin",
                "debian-7.3-default",
                "junit.xml",
                "logs",
                "report.html",
                "results",
                "results.jsonl"
            ]
        );
        assert_eq!(names(&c.foreign), ["notes.txt", "other.xml", "photos"]);
        assert_eq!(contents(&p.join("absent")).unwrap(), Contents::default());
    }
}
