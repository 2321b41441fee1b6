//! `audit::exec`: denials before and after an execve under each
//! combination of the restrict_self log flags (ABI 7), after the kernel's
//! audit_exec selftest. A child enforces a signal scope with the flags and
//! signals sleeper A (same executable as the domain); it then execs this
//! binary, which signals sleeper B (a new executable for that domain),
//! enforces a nested domain handling READ_FILE and reads a file. The
//! flags decide, as landlock.h documents them:
//! - A is logged unless LOG_SAME_EXEC_OFF;
//! - B is logged only with LOG_NEW_EXEC_ON;
//! - the nested read is logged unless LOG_SUBDOMAINS_OFF (its own domain
//!   is enforced after the exec, with no flag).

use crate::common::{audit_test, signal_body, sleeper};
use crate::layers::expect_exactly;
use crate::objects::path_fields;
use crate::session::Session;
use llconf_harness::abi::{self as uapi, restrict};
use llconf_harness::fixture::{Peer, TempTree};
use llconf_harness::{expect_errno, fail, sys, Errno, Ruleset, RulesetAttr, Test, TestResult};
use std::ffi::CString;
use std::os::fd::AsRawFd;

/// Env var that turns the suite binary into the post-execve half:
/// `<pid of B>:<path to read>`.
pub const EXEC_STAGE_ENV: &str = "LLCONF_AUDIT_EXEC_STAGE2";

/// Called first thing in main. Exit codes: 0 as expected; 10 + n for the
/// step n that went otherwise. No harness checks here: this process's
/// counters started from zero at exec.
pub fn exec_helper() {
    let Ok(arg) = std::env::var(EXEC_STAGE_ENV) else {
        return;
    };
    let (pid, path) = arg.split_once(':').unwrap_or(("-1", ""));
    let pid = nix::unistd::Pid::from_raw(pid.parse().unwrap_or(-1));
    if nix::sys::signal::kill(pid, None) != Err(Errno::EPERM) {
        std::process::exit(11);
    }
    let attr = RulesetAttr {
        handled_access_fs: uapi::fs::READ_FILE,
        ..Default::default()
    };
    let Ok(rs) = sys::create_ruleset(&attr, 8, 0) else {
        std::process::exit(12);
    };
    if sys::restrict_self(rs.as_raw_fd(), 0).is_err() {
        std::process::exit(13);
    }
    match std::fs::read(path) {
        Err(e) if e.raw_os_error() == Some(libc::EACCES) => std::process::exit(0),
        _ => std::process::exit(14),
    }
}

fn run(flags: u32) -> TestResult {
    let t = TempTree::with(&["f"])?;
    let f = t.path("f");
    let (a, b) = (sleeper()?, sleeper()?);
    let mut session = Session::open()?;
    let pre = signal_body(a.pid())?;
    let post = signal_body(b.pid())?;
    let read = format!("blockers=fs.read_file {}", path_fields(&f)?);
    let exe = CString::new("/proc/self/exe").unwrap();
    let env = CString::new(format!("{EXEC_STAGE_ENV}={}:{}", b.pid(), f.display())).unwrap();
    let from = session.seen().len();
    let a_pid = a.pid();
    let child = Peer::spawn(|ready| {
        ready.signal();
        let r = (|| -> TestResult {
            Ruleset::scoped(uapi::scope::SIGNAL)?.enforce_with_flags(flags)?;
            expect_errno(
                "kill(A, 0) before the exec",
                nix::sys::signal::kill(a_pid, None),
                Errno::EPERM,
            )?;
            let e =
                nix::unistd::execve(&exe, std::slice::from_ref(&exe), std::slice::from_ref(&env))
                    .unwrap_err();
            Err(fail(format!("execve: {e}")))
        })();
        eprintln!("child: {r:?}");
        1
    })?;
    child.wait_ready()?;
    match child.join() {
        0 => {}
        code => {
            return Err(fail(format!(
                "the child failed (exit {code}: 1 before the exec, 11 to 14 at a step after it); see stderr"
            )))
        }
    }
    let mut expected = Vec::new();
    if flags & restrict::LOG_SAME_EXEC_OFF == 0 {
        expected.push(pre);
    }
    if flags & restrict::LOG_NEW_EXEC_ON != 0 {
        expected.push(post);
    }
    if flags & restrict::LOG_SUBDOMAINS_OFF == 0 {
        expected.push(read);
    }
    let objects = [
        format!("opid={} ", a.pid()),
        format!("opid={} ", b.pid()),
        path_fields(&f)?,
    ];
    expect_exactly(&mut session, from, &objects, &expected)
}

pub fn tests() -> Vec<Test> {
    let (same_off, new_on, sub_off) = (
        restrict::LOG_SAME_EXEC_OFF,
        restrict::LOG_NEW_EXEC_ON,
        restrict::LOG_SUBDOMAINS_OFF,
    );
    // Each combination's twin is one flag apart and logs one record more
    // or fewer.
    [
        ("default", 0, "same_exec_off"),
        ("same_exec_off", same_off, "default"),
        ("new_exec_on", new_on, "same_exec_off_and_new_exec_on"),
        (
            "same_exec_off_and_new_exec_on",
            same_off | new_on,
            "new_exec_on",
        ),
        ("subdomains_off", sub_off, "subdomains_off_and_new_exec_on"),
        (
            "subdomains_off_and_new_exec_on",
            sub_off | new_on,
            "subdomains_off",
        ),
    ]
    .into_iter()
    .map(|(name, flags, twin)| {
        audit_test(
            &format!("exec::{name}::signal_exec_signal_nested_read"),
            move || run(flags),
        )
        .needs("LANDLOCK_SCOPE_SIGNAL")
        .twin(format!(
            "audit::exec::{twin}::signal_exec_signal_nested_read"
        ))
    })
    .collect()
}
