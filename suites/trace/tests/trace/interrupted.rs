//! `trace::{free,enforce}_domain::tsync_interrupted`: a TSYNC
//! restrict_self that a signal interrupts. Each attempt creates its domain (create_domain)
//! before it waits for the sibling threads to take it; a signal in that
//! wait makes the attempt abort its credentials and the syscall start
//! again (ERESTARTNOINTR), with a new domain. The aborted domain is freed
//! like any other, so its free_domain event comes: the kernel keeps the
//! create and free events paired (syscalls.c, on the thread-sync error
//! path). And only the attempt that completes is enforced: siblings that
//! prepared an aborted one abort it too, so no enforce_domain names it.
//!
//! The wait is made certain, not raced: one sibling thread is inside
//! vfork(2), whose wait only a fatal signal ends, so it cannot take its
//! part until its vfork child exits. The other, idle, takes its part at
//! once and then sleeps uninterruptibly for the caller's word, which the
//! test sees in /proc. Then the test signals the caller until a second
//! create_domain shows that an attempt was interrupted, lets the vfork
//! child go, and the call completes.

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

/// The state letter of thread `tid` of `pid` (/proc/PID/task/TID/status,
/// which unlike stat does not wait for the exec lock TSYNC holds).
fn state(pid: i32, tid: i32) -> Result<char, Stop> {
    let path = format!("/proc/{pid}/task/{tid}/status");
    let text = std::fs::read_to_string(&path).or_fail(format!("read {path}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("State:"))
        .and_then(|v| v.trim().chars().next())
        .ok_or_else(|| fail(format!("no State in {path}")))
}

/// The ids of the domains `pid` created, in the order of the events.
fn created_by(t: &Instance, pid: nix::unistd::Pid) -> Result<Vec<u64>, Stop> {
    domains_created_by(t, pid)?
        .iter()
        .map(|e| e.id("domain"))
        .collect()
}

/// What the scenario left: the instances that traced it, the caller's
/// pid, and the domains it created, the committed one last.
struct Interrupted {
    created: Instance,
    freed: Instance,
    pid: nix::unistd::Pid,
    ids: Vec<u64>,
}

/// A child with two sibling threads, one idle (it takes its part in every
/// attempt, and must abort it when the attempt fails) and one in vfork
/// (it can take part in none until the test lets its vfork child go),
/// calls restrict_self(TSYNC); the test signals it until an attempt has
/// been interrupted, then lets the call complete.
fn interrupted() -> Result<Interrupted, Stop> {
    let tree = TempTree::with(&["d/"])?;
    let created = Instance::with(&[CREATE_DOMAIN, ENFORCE_DOMAIN], Pids::OwnAndChildren, &[])?;
    // Freed from a kworker, maybe before the test knows the ids: every
    // process, told apart by id below.
    let freed = Instance::with(&[FREE_DOMAIN], Pids::All, &[])?;
    let rs = Ruleset::fs(fs::READ_FILE)?;
    rs.allow_path(&tree.path("d"), fs::READ_FILE)?;
    let (go_r, go_w) = pipe().or_fail("pipe")?;
    let (tid_r, tid_w) = pipe().or_fail("pipe")?;
    let mut child = Child::spawn(|steps| {
        catch_sigusr1()?;
        let (ready_r, ready_w) = pipe().or_fail("pipe")?;
        let (idle_tx, idle_rx) = std::sync::mpsc::channel::<()>();
        let (tid_tx, tid_rx) = std::sync::mpsc::channel::<i32>();
        let idle = std::thread::spawn(move || {
            let _ = tid_tx.send(nix::unistd::gettid().as_raw());
            let _ = idle_rx.recv();
        });
        let tid = tid_rx.recv().or_fail("the idle sibling's tid")?;
        write(tid_w.as_fd(), &tid.to_ne_bytes()).or_fail("write the idle sibling's tid")?;
        let in_vfork = sibling_in_vfork(ready_w.as_raw_fd(), go_r.as_raw_fd());
        let mut b = [0u8; 1];
        ensure!(
            matches!(read(ready_r.as_raw_fd(), &mut b), Ok(1)),
            "the sibling's vfork child never ran"
        );
        expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
        steps.ready();
        let r = sys::restrict_self(rs.fd(), restrict::TSYNC);
        let joined = in_vfork.join();
        drop(idle_tx);
        let _ = idle.join();
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
    let mut tid = [0u8; 4];
    ensure!(
        matches!(read(tid_r.as_raw_fd(), &mut tid), Ok(4)),
        "the child did not say its idle sibling's tid"
    );
    let idle = i32::from_ne_bytes(tid);
    let until = Instant::now() + kernel_deadline();
    // The idle sibling has taken its part once it sleeps uninterruptibly
    // (waiting for the caller's word): then the caller is in its own wait,
    // for the sibling in vfork, and a signal interrupts the attempt.
    while state(pid.as_raw(), idle)? != 'D' && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
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
        "restrict_self(TSYNC) created {} domain(s) in {:?} of signals while a sibling could \
         not take part: a signal in the wait must abort the attempt and start the call again, \
         with a new domain",
        ids.len(),
        kernel_deadline()
    );
    let ids = created_by(&created, pid)?;
    Ok(Interrupted {
        created,
        freed,
        pid,
        ids,
    })
}

/// Every attempt's domain is freed: the aborted ones, whose credentials
/// the caller and the idle sibling dropped, and the one committed, whose
/// last task has now exited.
fn every_attempt_freed() -> TestResult {
    let run = interrupted()?;
    let until = Instant::now() + kernel_deadline();
    loop {
        let gone: Vec<u64> = run
            .freed
            .events(FREE_DOMAIN)?
            .iter()
            .filter_map(|e| e.id("domain").ok())
            .collect();
        let missing: Vec<String> = run
            .ids
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
                run.ids.len()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Only the last attempt's domain is enforced, once per thread: the
/// caller (complete=1) and its two siblings (complete=0). A sibling that
/// took its part in an aborted attempt waits for the caller's word and
/// aborts: no enforce_domain names an aborted domain.
fn committed_domain_only() -> TestResult {
    let run = interrupted()?;
    let committed = *run.ids.last().ok_or_else(|| fail("no domain"))?;
    let en = run.created.events(ENFORCE_DOMAIN)?;
    let seen: Vec<String> = en.iter().map(|e| e.text.clone()).collect();
    for e in &en {
        let id = e.id("domain")?;
        ensure!(
            id == committed,
            "enforce_domain for domain {id:x}, an attempt that was aborted (the committed one is \
             {committed:x}): {seen:?}"
        );
    }
    ensure!(
        en.len() == 3,
        "{} enforce_domain events for the committed domain, expected 3 (the caller and its two \
         siblings): {seen:?}",
        en.len()
    );
    let caller: Vec<_> = en
        .iter()
        .filter(|e| e.task_pid() == Some(run.pid.as_raw()))
        .collect();
    ensure!(
        caller.len() == 1,
        "{} enforce_domain events from the caller (pid {}), expected one: {seen:?}",
        caller.len(),
        run.pid
    );
    caller[0].expect("complete", "1")
}

pub fn tests() -> Vec<Test> {
    let needs = |t: Test| {
        t.needs("LANDLOCK_RESTRICT_SELF_TSYNC")
            .requires(llconf_harness::Requirement::TraceEvent(CREATE_DOMAIN))
            .enforcement()
    };
    vec![
        needs(case(
            "free_domain::tsync_interrupted::every_attempt_freed",
            FREE_DOMAIN,
            every_attempt_freed,
        ))
        .twin("trace::free_domain::task_alive::no_event"),
        needs(case(
            "enforce_domain::tsync_interrupted::committed_domain_only",
            ENFORCE_DOMAIN,
            committed_domain_only,
        ))
        .twin("trace::enforce_domain::tsync::sibling_and_caller"),
    ]
}
