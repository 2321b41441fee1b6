//! `task::signal_scope`: LANDLOCK_SCOPE_SIGNAL (ABI 6) between a process
//! and its child, for every relation of their domains, each made with the
//! signal scope: kill(2) is allowed when the sender's domain is the
//! target's or an ancestor of it (or the sender has none), and EPERM
//! otherwise, sibling domains included. Threads of one process may always
//! signal each other, whatever their domains (erratum 2: where the kernel
//! does not claim the fix and denies, a known failure).

use crate::domains::{case_name, twin_of, Domains, CASES};
use llconf_harness::abi::scope;
use llconf_harness::fixture::Peer;
use llconf_harness::{expect_result, fail, Requirement, Ruleset, Test, TestResult};
use nix::sys::signal::kill;
use nix::unistd::{pipe, read};
use std::os::fd::AsRawFd;

fn scoped() -> TestResult {
    Ruleset::scoped(scope::SIGNAL)?.enforce()
}

fn signal_child(d: Domains) -> TestResult {
    if d.shared {
        scoped()?;
    }
    // The child leaves when the pipe closes: a scoped sender may not be
    // allowed to kill it.
    let (release_r, release_w) = pipe().map_err(|e| fail(format!("pipe: {e}")))?;
    let writer = release_w.as_raw_fd();
    let child = Peer::spawn(move |ready| {
        // The child's copy of the write end, or it would wait for itself.
        // SAFETY: a descriptor this (forked) process owns and never uses.
        unsafe { libc::close(writer) };
        if d.other && scoped().is_err() {
            return 100;
        }
        ready.signal();
        let mut b = [0u8; 1];
        let _ = read(release_r.as_raw_fd(), &mut b);
        0
    })?;
    child.wait_ready()?;
    if d.actor {
        scoped()?;
    }
    let r = kill(child.pid(), None);
    drop(release_w);
    let code = child.join();
    if code != 0 {
        return Err(fail(format!("the child failed to set up (exit {code})")));
    }
    let denied = (!d.actor_scope_contains_other()).then_some(llconf_harness::Errno::EPERM);
    expect_result("kill(child, 0)", r, denied)
}

/// A sibling thread enters a scoped domain of its own, then signals the
/// main thread (outside that domain): allowed, as the same process; and a
/// child process, also outside: denied, so the domain is in effect.
fn thread_to_own_process() -> TestResult {
    let child = llconf_harness::fixture::peer::sleeper()?;
    let pid = nix::unistd::getpid().as_raw();
    // SAFETY: gettid has no arguments.
    let main_tid = unsafe { libc::gettid() };
    let target = child.pid();
    let seen = std::thread::spawn(
        move || -> Result<(i64, Result<(), nix::errno::Errno>), String> {
            let rs = Ruleset::scoped(scope::SIGNAL).map_err(|_| "ruleset".to_string())?;
            // Raw calls: the domain is this thread's alone, and the harness
            // counts the main thread's layers.
            // SAFETY: plain integer arguments.
            let r = unsafe {
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                libc::syscall(llconf_harness::sys::SYS_RESTRICT_SELF, rs.fd(), 0)
            };
            if r != 0 {
                return Err(format!(
                    "restrict_self in the thread: {}",
                    nix::errno::Errno::last()
                ));
            }
            // SAFETY: tgkill with signal 0 only checks permission.
            let to_main = unsafe { libc::syscall(libc::SYS_tgkill, pid, main_tid, 0) };
            let to_main = if to_main == 0 {
                0
            } else {
                nix::errno::Errno::last_raw() as i64
            };
            Ok((to_main, kill(target, None)))
        },
    )
    .join()
    .map_err(|_| fail("the thread panicked"))?
    .map_err(fail)?;
    drop(child);
    // The domain is in force: a process outside it may not be signalled.
    expect_result(
        "kill(child, 0) from the scoped thread",
        seen.1,
        Some(llconf_harness::Errno::EPERM),
    )?;
    let to_main = if seen.0 == 0 {
        Ok(())
    } else {
        Err(llconf_harness::Errno::from_raw(seen.0 as i32))
    };
    let what = "tgkill(own process, main thread, 0) from a scoped sibling thread";
    let errata = llconf_harness::probe::kernel().errata;
    let claimed = errata.map(|bits| bits & (1 << 1) != 0);
    match (claimed, to_main) {
        (Some(true) | None, Ok(())) => Ok(()),
        // The fix claimed and missing, or present and not claimed: the bit
        // and the behaviour disagree.
        (Some(true), observed) => expect_result(
            format!("{what}; errata {errata:#x?}: bit 1 (erratum 2) is set"),
            observed,
            None,
        ),
        (Some(false), Ok(())) => Err(fail(format!(
            "{what} was allowed, but errata {errata:#x?} has bit 1 (erratum 2) clear: \
             the kernel has the fix and does not report it"
        ))),
        // The old behaviour where the kernel does not claim the fix.
        (_, Err(llconf_harness::Errno::EPERM)) => Err(llconf_harness::lacks_erratum(
            2,
            format!("{what} gave EPERM"),
        )),
        (_, observed) => expect_result(what, observed, None),
    }
}

pub fn tests() -> Vec<Test> {
    let threads = Test::new(
        "task::signal_scope::thread_to_own_process::allowed",
        thread_to_own_process,
    )
    .needs("LANDLOCK_SCOPE_SIGNAL")
    .enforcement()
    // The same scoped sender, its target another process: denied.
    .twin("task::signal_scope::sender_domain::denied");
    std::iter::once(threads)
        .chain(CASES.into_iter().map(|(variant, d)| {
            let verdict = d.verdict();
            let (twin, twin_verdict) = twin_of(d);
            let twin = case_name(twin, "sender", "target");
            let variant = case_name(variant, "sender", "target");
            // One layer apart: the sender's own domain added or removed.
            let t = Test::new(
                format!("task::signal_scope::{variant}::{verdict}"),
                move || signal_child(d),
            )
            .needs("LANDLOCK_SCOPE_SIGNAL")
            .twin(format!("task::signal_scope::{twin}::{twin_verdict}"));
            if d.any() {
                t.enforcement()
            } else {
                t.requires(Requirement::Landlock)
            }
        }))
        .collect()
}
