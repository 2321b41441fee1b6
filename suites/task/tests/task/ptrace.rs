//! ptrace between a tracer and its child, for every way their domains can
//! relate: allowed when the tracer's domain is the tracee's or an ancestor
//! of it (or the tracer has none), denied otherwise, whether the tracer
//! attaches (PTRACE_ATTACH: EPERM), reads the tracee's memory
//! (/proc/PID/mem: EACCES) or the tracee asks to be traced
//! (PTRACE_TRACEME: EPERM). Each allowed case has denied twins one domain
//! apart.

use crate::domains::{case_name, sandbox, twin_of, Domains, CASES};
use llconf_harness::fixture::Peer;
use llconf_harness::Requirement;
use llconf_harness::{expect_result, fail, Errno, Stop, Test, TestResult};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::{pipe, read, write, Pid};
use std::os::fd::{AsFd, AsRawFd};

/// The child exits with this when it could not set itself up.
const SETUP_FAILED: i32 = 200;

/// How the tracer and the tracee meet.
#[derive(Debug, Clone, Copy)]
enum Way {
    Attach,
    ProcMem,
    TraceMe,
}

impl Way {
    fn denied_with(self) -> Errno {
        match self {
            Way::Attach | Way::TraceMe => Errno::EPERM,
            Way::ProcMem => Errno::EACCES,
        }
    }
}

fn attach(pid: Pid) -> Result<(), Errno> {
    // SAFETY: a plain system call with integer arguments.
    let r = unsafe { libc::ptrace(libc::PTRACE_ATTACH, pid.as_raw(), 0, 0) };
    if r == -1 {
        return Err(Errno::last());
    }
    // Attached: wait for the stop, then let go.
    let _ = waitpid(pid, Some(WaitPidFlag::__WALL));
    // SAFETY: as above.
    unsafe { libc::ptrace(libc::PTRACE_DETACH, pid.as_raw(), 0, 0) };
    Ok(())
}

fn proc_mem(pid: Pid) -> Result<(), Errno> {
    let path = format!("/proc/{pid}/mem\0");
    // SAFETY: a NUL-terminated path.
    let fd = unsafe { libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd == -1 {
        return Err(Errno::last());
    }
    // SAFETY: fd was just opened here.
    unsafe { libc::close(fd) };
    Ok(())
}

/// The tracer's side: a child that sits in its domains while the tracer
/// (this process) acts on it.
fn tracer_acts(d: Domains, way: Way) -> TestResult {
    if d.shared {
        sandbox()?;
    }
    let child = Peer::spawn(|ready| {
        if d.other && sandbox().is_err() {
            return SETUP_FAILED;
        }
        ready.signal();
        loop {
            // SAFETY: waits for a signal; SIGKILL ends it.
            unsafe { libc::pause() };
        }
    })?;
    child.wait_ready()?;
    if d.actor {
        sandbox()?;
    }
    let (what, r) = match way {
        Way::Attach => ("ptrace(PTRACE_ATTACH, child)", attach(child.pid())),
        _ => ("open(/proc/<child>/mem, O_RDONLY)", proc_mem(child.pid())),
    };
    expected(d, way, what, r)
}

/// The tracee's side: the child asks to be traced by this process once
/// both are in their domains.
fn tracee_asks(d: Domains) -> TestResult {
    if d.shared {
        sandbox()?;
    }
    let (go_r, go_w) = pipe().map_err(|e| fail(format!("pipe: {e}")))?;
    let child = Peer::spawn(move |ready| {
        if d.other && sandbox().is_err() {
            return SETUP_FAILED;
        }
        ready.signal();
        let mut b = [0u8; 1];
        if read(go_r.as_raw_fd(), &mut b) != Ok(1) {
            return SETUP_FAILED;
        }
        // SAFETY: a plain system call with integer arguments.
        let r = unsafe { libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) };
        if r == -1 {
            Errno::last_raw()
        } else {
            0
        }
    })?;
    child.wait_ready()?;
    if d.actor {
        sandbox()?;
    }
    write(go_w.as_fd(), b"g").map_err(|e| fail(format!("write to the child: {e}")))?;
    let r = match child.join() {
        0 => Ok(()),
        SETUP_FAILED => return Err(fail("the child could not set itself up")),
        code => Err(Errno::from_raw(code)),
    };
    expected(d, Way::TraceMe, "ptrace(PTRACE_TRACEME) in the child", r)
}

fn expected(d: Domains, way: Way, what: &str, r: Result<(), Errno>) -> TestResult {
    let denied = (!d.actor_scope_contains_other()).then_some(way.denied_with());
    expect_result(what, r, denied)
}

pub fn tests() -> Vec<Test> {
    let mut tests = Vec::new();
    for (fixture, way) in [
        ("attach", Way::Attach),
        ("proc_mem", Way::ProcMem),
        ("traceme", Way::TraceMe),
    ] {
        for (variant, d) in CASES {
            let verdict = d.verdict();
            let (twin, twin_verdict) = twin_of(d);
            let twin = format!(
                "task::ptrace_{fixture}::{}::{twin_verdict}",
                case_name(twin, "tracer", "tracee")
            );
            let variant = case_name(variant, "tracer", "tracee");
            let name = format!("task::ptrace_{fixture}::{variant}::{verdict}");
            let body = move || -> Result<(), Stop> {
                match way {
                    Way::TraceMe => tracee_asks(d),
                    _ => tracer_acts(d, way),
                }
            };
            // One layer apart: the tracer's own domain added or removed.
            let test = Test::new(name, body).twin(twin);
            // Without a domain Landlock must not deny: a check of Landlock,
            // skipped where it is missing, though it enforces nothing.
            tests.push(if d.any() {
                test.enforcement()
            } else {
                test.requires(Requirement::Landlock)
            });
        }
    }
    tests
}
