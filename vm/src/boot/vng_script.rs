//! The shell script the guest runs. It lives in the shared read-write
//! directory, so the host reads everything it leaves there while it runs:
//! - `results/<suite>.jsonl`: the suite's records (`LLCONF_RESULTS`);
//! - `logs/<suite>.log`: the suite binary's stdout and stderr;
//! - `status/<suite>.started`, `status/<suite>.exit` (its exit code);
//! - `dmesg.txt` at the end.
//!
//! Its own stdout (the `llconf-guest:` lines) comes back through vng.

use crate::boot::shell::quote;
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub const SCRIPT: &str = "guest.sh";
/// The first line the guest prints: the kernel is up and userspace runs.
pub const STARTED_MARK: &str = "llconf-guest: started";
pub const DONE_MARK: &str = "llconf-guest: done";

pub struct GuestPlan<'a> {
    /// The target directory, shared read-write at the same path.
    pub dir: &'a Path,
    /// Suite name and binary, in order.
    pub suites: Vec<(&'a str, &'a Path)>,
    pub suite_args: &'a [String],
    /// `LLCONF_TIMEOUT_SCALE`: per-test timeouts stretched for slow guests.
    pub timeout_scale: f64,
    pub setup: Option<&'a str>,
}

pub fn results_path(dir: &Path, suite: &str) -> PathBuf {
    dir.join("results").join(format!("{suite}.jsonl"))
}

pub fn log_path(dir: &Path, suite: &str) -> PathBuf {
    dir.join("logs").join(format!("{suite}.log"))
}

pub fn started_path(dir: &Path, suite: &str) -> PathBuf {
    dir.join("status").join(format!("{suite}.started"))
}

pub fn exit_path(dir: &Path, suite: &str) -> PathBuf {
    dir.join("status").join(format!("{suite}.exit"))
}

pub fn dmesg_path(dir: &Path) -> PathBuf {
    dir.join("dmesg.txt")
}

pub fn render(plan: &GuestPlan) -> String {
    let q = |p: &Path| quote(&p.display().to_string());
    let mut s = String::new();
    s.push_str("#!/bin/sh\n# Written by llconf; runs inside the guest as root.\n");
    let _ = writeln!(s, "out={}", q(plan.dir));
    let _ = writeln!(s, "export LLCONF_TIMEOUT_SCALE={}", plan.timeout_scale);
    let _ = writeln!(s, "echo \"{STARTED_MARK} on $(uname -r)\"");
    // vng overlays the guest's /tmp on the host's root shared over 9p, where
    // overlay mounts fail and audit cannot name the device; /run is a plain
    // tmpfs in the guest, so test scratch goes there.
    s.push_str(
        "if grep -q virtme_ /proc/cmdline && mkdir -p /run/llconf-scratch; then\n\
         \texport TMPDIR=/run/llconf-scratch\n\
         fi\n",
    );
    if let Some(setup) = plan.setup {
        s.push_str("# The variant's setup command.\n");
        let _ = writeln!(s, "{setup}");
    }
    s.push_str(
        r#"run_suite() {
    name=$1
    shift
    : > "$out/status/$name.started"
    echo "llconf-guest: suite $name started"
    LLCONF_RESULTS="$out/results/$name.jsonl" "$@" </dev/null >"$out/logs/$name.log" 2>&1
    rc=$?
    echo "$rc" > "$out/status/$name.exit"
    echo "llconf-guest: suite $name exited with $rc"
}
"#,
    );
    for (name, binary) in &plan.suites {
        let mut line = format!("run_suite {} {}", quote(name), q(binary));
        for a in plan.suite_args {
            line.push(' ');
            line.push_str(&quote(a));
        }
        let _ = writeln!(s, "{line}");
    }
    s.push_str("dmesg > \"$out/dmesg.txt\" 2>&1\nsync\n");
    let _ = writeln!(s, "echo {}", quote(DONE_MARK));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_runs_each_suite_with_its_results_file() {
        let args = vec!["--exact".to_string(), "it's".to_string()];
        let text = render(&GuestPlan {
            dir: Path::new("/out/debian-6.12-default"),
            suites: vec![
                ("base", Path::new("/t/base-1")),
                ("fs", Path::new("/t/my fs")),
            ],
            suite_args: &args,
            timeout_scale: 4.0,
            setup: None,
        });
        assert!(text.starts_with("#!/bin/sh\n"));
        assert!(text.contains("out='/out/debian-6.12-default'\n"));
        assert!(text.contains("export LLCONF_TIMEOUT_SCALE=4\n"));
        assert!(text.contains(
            "run_suite 'base' '/t/base-1' '--exact' 'it'\\''s'\nrun_suite 'fs' '/t/my fs'"
        ));
        assert!(text.contains("LLCONF_RESULTS=\"$out/results/$name.jsonl\""));
        assert!(text.contains("dmesg > \"$out/dmesg.txt\""));
        assert!(text.trim_end().ends_with("echo 'llconf-guest: done'"));
        assert!(!text.contains("variant's setup"));
    }

    #[test]
    fn the_script_runs_and_leaves_its_files() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["results", "logs", "status"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let suite = dir.path().join("suite.sh");
        std::fs::write(
            &suite,
            "#!/bin/sh\necho \"{}\" >> \"$LLCONF_RESULTS\"\necho hi; exit 101\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&suite, std::fs::Permissions::from_mode(0o755)).unwrap();
        let text = render(&GuestPlan {
            dir: dir.path(),
            suites: vec![("base", &suite)],
            suite_args: &[],
            timeout_scale: 1.0,
            setup: Some("echo setup-ran"),
        });
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&text)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("setup-ran"), "{stdout}");
        assert!(stdout.contains("llconf-guest: suite base exited with 101"));
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(exit_path(dir.path(), "base")), "101\n");
        assert_eq!(read(results_path(dir.path(), "base")), "{}\n");
        assert_eq!(read(log_path(dir.path(), "base")), "hi\n");
        assert!(started_path(dir.path(), "base").exists());
    }
}
