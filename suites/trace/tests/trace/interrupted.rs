//! `trace::free_domain::tsync_interrupted`: a TSYNC restrict_self that a
//! signal interrupts. Each attempt creates its domain (create_domain)
//! before it waits for the sibling threads to take it; a signal in that
//! wait makes the attempt abort its credentials and the syscall start
//! again (ERESTARTNOINTR), with a new domain. The aborted domain is freed
//! like any other, so its free_domain event comes: the kernel keeps the
//! create and free events paired (syscalls.c, on the thread-sync error
//! path).
//!
//! The wait is made certain, not raced: the sibling thread is inside
//! vfork(2), whose wait only a fatal signal ends, so it cannot take its
//! part until its vfork child exits. The test process signals the caller
//! until a second create_domain shows that an attempt was interrupted,
//! then lets the vfork child go, and the call completes.

use crate::common::*;
use llconf_harness::abi::{fs, restrict};
use llconf_harness::fixture::trace::{Instance, Pids};
use llconf_harness::fixture::TempTree;
use llconf_harness::{ensure, expect_ok, fail, sys, OrFail, Ruleset, Stop, Test, TestResult};
use nix::unistd::{pipe, read, write};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::{Duration, Instant};

extern "C" fn on_sigusr1(_: libc::c_int) {}

/// The vfork child: says it runs, then waits for the test's go. It shares
/// its parent thread's memory, so it makes raw syscalls only.
extern "C" fn vfork_child(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` points at two fds on the stack of the thread that is
    // blocked in vfork until this child exits.
    let [ready, go] = unsafe { *(arg as *const [RawFd; 2]) };
    let mut b = 0u8;
    // SAFETY: plain syscalls on fds this process holds.
    unsafe {
        libc::write(ready, b"v".as_ptr().cast(), 1);
        libc::read(go, (&mut b as *mut u8).cast(), 1);
        libc::_exit(0)
    }
}

/// A thread that sits in vfork(2) until `go` is readable; returns once the
/// vfork child has exited and been reaped.
fn sibling_in_vfork(ready: RawFd, go: RawFd) -> std::thread::JoinHandle<Result<(), String>> {
    std::thread::spawn(move || {
        let mut stack = vec![0u8; 64 * 1024];
        let mut fds = [ready, go];
        // The stack grows down: its top, 16-byte aligned.
        let top = (stack.as_mut_ptr() as usize + stack.len()) & !15;
        // SAFETY: the child runs vfork_child on its own stack and only
        // makes raw syscalls; this thread is blocked until it exits, so
        // `fds` and `stack` outlive it.
        let pid = unsafe {
            libc::clone(
                vfork_child,
                top as *mut libc::c_void,
                libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                (&mut fds as *mut [RawFd; 2]).cast(),
            )
        };
        if pid < 0 {
            return Err(format!(
                "clone(CLONE_VFORK): {}",
                std::io::Error::last_os_error()
            ));
        }
        let mut status = 0;
        // SAFETY: reaping our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        Ok(())
    })
}

/// Installs a handler for SIGUSR1, so that the test's signals interrupt
/// the caller rather than kill it.
fn catch_sigusr1() -> TestResult {
    // SAFETY: a handler that does nothing, installed before any signal.
    let r = unsafe { libc::signal(libc::SIGUSR1, on_sigusr1 as *const () as libc::sighandler_t) };
    ensure!(r != libc::SIG_ERR, "signal(SIGUSR1) failed");
    Ok(())
}

/// The ids of the domains `pid` created, in the order of the events.
fn created_by(t: &Instance, pid: nix::unistd::Pid) -> Result<Vec<u64>, Stop> {
    domains_created_by(t, pid)?
        .iter()
        .map(|e| e.id("domain"))
        .collect()
}

fn every_attempt_freed() -> TestResult {
    let tree = TempTree::with(&["d/"])?;
    let created = Instance::with(&[CREATE_DOMAIN], Pids::OwnAndChildren, &[])?;
    // Freed from a kworker, maybe before the test knows the ids: every
    // process, told apart by id below.
    let freed = Instance::with(&[FREE_DOMAIN], Pids::All, &[])?;
    let rs = Ruleset::fs(fs::READ_FILE)?;
    rs.allow_path(&tree.path("d"), fs::READ_FILE)?;
    let (go_r, go_w) = pipe().or_fail("pipe")?;
    let mut child = Child::spawn(|steps| {
        catch_sigusr1()?;
        let (ready_r, ready_w) = pipe().or_fail("pipe")?;
        let sibling = sibling_in_vfork(ready_w.as_raw_fd(), go_r.as_raw_fd());
        let mut b = [0u8; 1];
        ensure!(
            matches!(read(ready_r.as_raw_fd(), &mut b), Ok(1)),
            "the sibling's vfork child never ran"
        );
        expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
        steps.ready();
        let r = sys::restrict_self(rs.fd(), restrict::TSYNC);
        let joined = sibling.join();
        expect_ok(
            "landlock_restrict_self(TSYNC), interrupted and restarted",
            r,
        )?;
        match joined {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(fail(e)),
            Err(_) => Err(fail("the sibling thread panicked")),
        }
    })?;
    child.wait_ready()?;
    let pid = child.pid();
    let until = Instant::now() + kernel_deadline();
    let mut ids = created_by(&created, pid)?;
    while ids.len() < 2 && Instant::now() < until {
        // SAFETY: a signal to the child's main thread, which catches it.
        unsafe { libc::syscall(libc::SYS_tgkill, pid.as_raw(), pid.as_raw(), libc::SIGUSR1) };
        std::thread::sleep(Duration::from_millis(20));
        ids = created_by(&created, pid)?;
    }
    let _ = write(go_w.as_fd(), b"g");
    child.finish()?;
    ensure!(
        ids.len() >= 2,
        "restrict_self(TSYNC) created {} domain(s) in {:?} of signals while its sibling could \
         not take part: a signal in the wait must abort the attempt and start the call again, \
         with a new domain",
        ids.len(),
        kernel_deadline()
    );
    // Every attempt's domain: the aborted ones, and the one committed,
    // whose last task has now exited.
    let ids = created_by(&created, pid)?;
    let until = Instant::now() + kernel_deadline();
    loop {
        let gone: Vec<u64> = freed
            .events(FREE_DOMAIN)?
            .iter()
            .filter_map(|e| e.id("domain").ok())
            .collect();
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !gone.contains(id))
            .map(|id| format!("{id:x}"))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(fail(format!(
                "no free_domain within {:?} for domain(s) {} of the {} that restrict_self(TSYNC) \
                 created (each interrupted attempt aborts its domain, which must be freed)",
                kernel_deadline(),
                missing.join(", "),
                ids.len()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn tests() -> Vec<Test> {
    vec![case(
        "free_domain::tsync_interrupted::every_attempt_freed",
        FREE_DOMAIN,
        every_attempt_freed,
    )
    .needs("LANDLOCK_RESTRICT_SELF_TSYNC")
    .requires(llconf_harness::Requirement::TraceEvent(CREATE_DOMAIN))
    .enforcement()
    .twin("trace::free_domain::task_alive::no_event")]
}
