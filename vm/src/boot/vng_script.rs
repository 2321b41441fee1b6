//! The shell script a vng guest runs. It lives in the shared read-write
//! target directory, so the host reads everything it leaves there while it
//! runs: per suite its results, its log, and the started and exit marks,
//! then dmesg at the end (names from `llconf_reports::layout`).
//!
//! Its own stdout (the `llconf-guest:` lines) comes back through vng.

use crate::boot::shell::quote;
use llconf_guest_init::{DONE_MARK, STARTED_MARK};
use llconf_reports::layout::TargetDir;
use std::fmt::Write;
use std::path::Path;

pub struct GuestPlan<'a> {
    /// The target directory, shared read-write at the same path.
    pub dir: &'a TargetDir,
    /// Suite name and binary, in order.
    pub suites: Vec<(&'a str, &'a Path)>,
    pub suite_args: &'a [String],
    /// `LLCONF_TIMEOUT_SCALE`: per-test timeouts stretched for slow guests.
    pub timeout_scale: f64,
    pub setup: Option<&'a str>,
}

pub fn render(plan: &GuestPlan) -> String {
    let q = |p: &Path| quote(&p.display().to_string());
    let dir = plan.dir;
    let mut s = String::new();
    s.push_str("#!/bin/sh\n# Written by llconf; runs inside the guest as root.\n");
    let _ = writeln!(s, "export LLCONF_TIMEOUT_SCALE={}", plan.timeout_scale);
    // vng's guest enforces no Landlock domain before the suites.
    s.push_str("export LLCONF_START_DEPTH=0\n");
    let _ = writeln!(s, "echo \"{STARTED_MARK} on $(uname -r)\"");
    // vng overlays the guest's /tmp on the host's root shared over 9p, where
    // overlay mounts fail and audit cannot name the device; /run is a plain
    // tmpfs in the guest, so test scratch goes there.
    s.push_str(
        "if grep -q virtme_ /proc/cmdline && mkdir -p /run/llconf-scratch; then\n\
         \texport TMPDIR=/run/llconf-scratch\n\
         fi\n",
    );
    // A block device for the fs suite's block-device cases, as the
    // qemu-initramfs guests have: vng's udev no longer loads the disk
    // drivers (`vng::UNUSED_DRIVERS`).
    s.push_str("modprobe -q loop 2>/dev/null || true\n");
    if let Some(setup) = plan.setup {
        s.push_str("# The variant's setup command.\n");
        let _ = writeln!(s, "{setup}");
    }
    // run_suite NAME STARTED RESULTS LOG EXIT BINARY [ARG...]: the paths
    // come from the host's layout, so that host and guest agree on them.
    s.push_str(
        r#"run_suite() {
    name=$1 started=$2 results=$3 log=$4 exit=$5
    shift 5
    : > "$started"
    echo "llconf-guest: suite $name started"
    LLCONF_RESULTS="$results" "$@" </dev/null >"$log" 2>&1
    rc=$?
    echo "$rc" > "$exit"
    echo "llconf-guest: suite $name exited with $rc"
}
"#,
    );
    for (name, binary) in &plan.suites {
        let mut line = format!(
            "run_suite {} {} {} {} {} {}",
            quote(name),
            q(&dir.started(name)),
            q(&dir.results(name)),
            q(&dir.log(name)),
            q(&dir.exit(name)),
            q(binary)
        );
        for a in plan.suite_args {
            line.push(' ');
            line.push_str(&quote(a));
        }
        let _ = writeln!(s, "{line}");
    }
    let _ = writeln!(s, "dmesg > {} 2>&1\nsync", q(&dir.dmesg()));
    let _ = writeln!(s, "echo {}", quote(DONE_MARK));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_runs_each_suite_with_its_results_file() {
        let args = vec!["--exact".to_string(), "it's".to_string()];
        let dir = TargetDir::new("/out/debian-6.12-default");
        let text = render(&GuestPlan {
            dir: &dir,
            suites: vec![
                ("base", Path::new("/t/base-1")),
                ("fs", Path::new("/t/my fs")),
            ],
            suite_args: &args,
            timeout_scale: 4.0,
            setup: None,
        });
        assert!(text.starts_with("#!/bin/sh\n"));
        assert!(text.contains("export LLCONF_TIMEOUT_SCALE=4\n"));
        let o = "/out/debian-6.12-default";
        assert!(text.contains(&format!(
            "run_suite 'base' '{o}/status/base.started' '{o}/results/base.jsonl' \
             '{o}/logs/base.log' '{o}/status/base.exit' '/t/base-1' '--exact' 'it'\\''s'\n\
             run_suite 'fs' "
        )));
        assert!(text.contains("LLCONF_RESULTS=\"$results\""));
        assert!(text.contains(&format!("dmesg > '{o}/dmesg.txt'")));
        assert!(text.trim_end().ends_with("echo 'llconf-guest: done'"));
        assert!(!text.contains("variant's setup"));
    }

    #[test]
    fn the_script_runs_and_leaves_its_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = TargetDir::new(tmp.path());
        for sub in dir.live_dirs() {
            std::fs::create_dir_all(sub).unwrap();
        }
        let suite = tmp.path().join("suite.sh");
        std::fs::write(
            &suite,
            "#!/bin/sh\necho \"{}\" >> \"$LLCONF_RESULTS\"\necho hi; exit 101\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&suite, std::fs::Permissions::from_mode(0o755)).unwrap();
        let text = render(&GuestPlan {
            dir: &dir,
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
        let read = |p: std::path::PathBuf| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(dir.exit("base")), "101\n");
        assert_eq!(read(dir.results("base")), "{}\n");
        assert_eq!(read(dir.log("base")), "hi\n");
        assert!(dir.started("base").exists());
        assert!(dir.dmesg().exists());
    }
}
