//! `task::signal_scope`: LANDLOCK_SCOPE_SIGNAL (ABI 6) between a process
//! and its child, for every relation of their domains, each made with the
//! signal scope: kill(2) is allowed when the sender's domain is the
//! target's or an ancestor of it (or the sender has none), and EPERM
//! otherwise, sibling domains included.

use crate::domains::{case_name, Domains, CASES};
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

pub fn tests() -> Vec<Test> {
    CASES
        .into_iter()
        .map(|(variant, d)| {
            let verdict = if d.actor_scope_contains_other() {
                "allowed"
            } else {
                "denied"
            };
            let variant = case_name(variant, "sender", "target");
            let t = Test::new(
                format!("task::signal_scope::{variant}::{verdict}"),
                move || signal_child(d),
            )
            .needs("LANDLOCK_SCOPE_SIGNAL");
            if d.any() {
                t.enforcement()
            } else {
                t.requires(Requirement::Landlock)
            }
        })
        .collect()
}
