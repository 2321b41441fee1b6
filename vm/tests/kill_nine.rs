//! kill -9 of llconf leaves nothing running: a suite binary it started
//! dies with it (the parent-death signal), rather than running to its end
//! and writing into an output folder nobody reads.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);
use support::*;

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')))
}

#[test]
fn a_suite_binary_dies_with_llconf_killed_by_sigkill() {
    let f = Fixture::new();
    let pid_file = f.path().join("suite.pid");
    let suite = f.path().join("slow-suite");
    write_exe(
        &suite,
        &format!(
            "#!/bin/sh\nif [ \"$1\" = --list ]; then echo 'base::a::x: test'; exit 0; fi\n\
             echo $$ > {0}.tmp && mv {0}.tmp {0}\nexec sleep 60\n",
            pid_file.display()
        ),
    );
    let mut llconf = f
        .llconf()
        .args(["run", "--host", "--out"])
        .arg(f.out())
        .arg(suite_bin("base", &suite))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the suite to start", LIMIT, || pid_file.exists());
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(pid));
    Command::new("kill")
        .args(["-9", &llconf.id().to_string()])
        .status()
        .unwrap();
    let _ = llconf.wait();
    wait_for("the suite binary to die with llconf", LIMIT, || !alive(pid));
}
