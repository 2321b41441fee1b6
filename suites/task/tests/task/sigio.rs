//! SIGIO under LANDLOCK_SCOPE_SIGNAL (ABI 6): a file's owner (F_SETOWN) is
//! sent SIGIO when the file becomes readable, and the signal is checked
//! against the domain of the process that set the owner, at the time it
//! did. A process in a signal-scoped domain cannot make SIGIO reach a
//! process outside it (the signal is dropped: no errno, nothing arrives);
//! a domain that does not scope signals, or a target in the same domain,
//! or the owner's own process, gets it.
//!
//! A thread of the process is the process too: a scoped thread that makes
//! an unsandboxed sibling thread the owner (F_SETOWN_EX, F_OWNER_TID) must
//! get SIGIO to it, since signals between threads of one process are never
//! scoped. The kernel exempts the owner's own process twice, when the
//! owner is set and again at delivery, so this case fails only on a kernel
//! that lost both.
//!
//! A process-group owner (F_SETOWN with a negative pgid) fans SIGIO out to
//! every member at delivery time, and each member is checked: a scoped
//! member of a group cannot reach an unsandboxed member of it, though its
//! own SIGIO arrives (CVE-2026-72183; the known issue
//! sigio-pgid-scope-bypass on kernels without the fix).

use crate::domains::sandbox;
use llconf_harness::abi::scope;
use llconf_harness::fixture::Peer;
use llconf_harness::{ensure, fail, twin, Ruleset, Stop, Test, TestResult};
use nix::sys::signal::{SigSet, Signal};
use nix::unistd::{getpid, getppid, pipe, read, write, Pid};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

/// How long a signal that should arrive is waited for, and how long one
/// that must not arrive is watched for.
const WINDOW: Duration = Duration::from_secs(2);

/// The domain of the process that sets the owner.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Owner {
    /// Scopes signals: SIGIO to a process outside is dropped.
    Scoped,
    /// A domain that does not scope signals.
    NotScoped,
}

fn enforce(owner: Owner) -> TestResult {
    match owner {
        Owner::Scoped => Ruleset::scoped(scope::SIGNAL)?.enforce(),
        Owner::NotScoped => sandbox(),
    }
}

/// A pipe whose read end sends SIGIO to `to` when written to.
fn armed_pipe(to: Pid) -> Result<(OwnedFd, OwnedFd), String> {
    let (r, w) = pipe().map_err(|e| format!("pipe: {e}"))?;
    let fd = r.as_raw_fd();
    // SAFETY: fcntl on a descriptor owned here, with integer arguments.
    unsafe {
        if libc::fcntl(fd, libc::F_SETOWN, to.as_raw()) == -1 {
            return Err(format!(
                "fcntl(F_SETOWN, {to}): {}",
                nix::errno::Errno::last()
            ));
        }
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if libc::fcntl(fd, libc::F_SETFL, flags | libc::O_ASYNC) == -1 {
            return Err(format!(
                "fcntl(F_SETFL, O_ASYNC): {}",
                nix::errno::Errno::last()
            ));
        }
    }
    Ok((r, w))
}

fn block_sigio() -> Result<SigSet, Stop> {
    let mut set = SigSet::empty();
    set.add(Signal::SIGIO);
    set.thread_block()
        .map_err(|e| fail(format!("blocking SIGIO: {e}")))?;
    Ok(set)
}

/// Whether SIGIO arrived within the window.
fn sigio_arrived(set: &SigSet) -> Result<bool, Stop> {
    let ts = libc::timespec {
        tv_sec: WINDOW.as_secs() as libc::time_t,
        tv_nsec: 0,
    };
    // SAFETY: valid pointers to a signal set and a timespec.
    let r = unsafe { libc::sigtimedwait(set.as_ref(), std::ptr::null_mut(), &ts) };
    match r {
        n if n == libc::SIGIO => Ok(true),
        -1 if nix::errno::Errno::last() == nix::errno::Errno::EAGAIN => Ok(false),
        -1 => Err(fail(format!("sigtimedwait: {}", nix::errno::Errno::last()))),
        n => Err(fail(format!("sigtimedwait returned signal {n}, not SIGIO"))),
    }
}

fn expect_delivery(what: &str, arrived: bool, expected: bool) -> TestResult {
    ensure!(
        arrived == expected,
        "{what}: SIGIO {} (expected it {})",
        if arrived { "arrived" } else { "did not arrive" },
        if expected {
            "to arrive"
        } else {
            "to be dropped"
        }
    );
    Ok(())
}

/// A child in `owner`'s domain makes this process, outside its domain
/// (or in it, with `shared`), the owner of a pipe and writes to it.
fn to_parent(owner: Owner, shared: bool) -> TestResult {
    let set = block_sigio()?;
    if shared {
        enforce(owner)?;
    }
    let child = Peer::spawn(|ready| {
        if !shared && enforce(owner).is_err() {
            return 100;
        }
        let Ok((_r, w)) = armed_pipe(getppid()) else {
            return 101;
        };
        if write(w.as_fd(), b"x") != Ok(1) {
            return 102;
        }
        ready.signal();
        0
    })?;
    child.wait_ready()?;
    let arrived = sigio_arrived(&set)?;
    match child.join() {
        0 => {}
        code => return Err(fail(format!("the child failed to set up (exit {code})"))),
    }
    let expected = shared || owner == Owner::NotScoped;
    expect_delivery(
        "SIGIO from a pipe the child armed for its parent",
        arrived,
        expected,
    )
}

/// A scoped process owns the pipe itself: its own SIGIO always arrives.
fn to_itself() -> TestResult {
    let set = block_sigio()?;
    enforce(Owner::Scoped)?;
    let (r, w) = armed_pipe(getpid()).map_err(fail)?;
    write(w.as_fd(), b"x").map_err(|e| fail(format!("write: {e}")))?;
    let arrived = sigio_arrived(&set)?;
    let mut b = [0u8; 1];
    let _ = read(r.as_raw_fd(), &mut b);
    expect_delivery("SIGIO from a pipe armed for this process", arrived, true)
}

/// F_SETOWN_EX and its `struct f_owner_ex` (uapi asm-generic/fcntl.h),
/// which the libc crate lacks.
const F_SETOWN_EX: libc::c_int = 15;
const F_OWNER_TID: libc::c_int = 0;
#[repr(C)]
struct FOwnerEx {
    kind: libc::c_int,
    pid: libc::pid_t,
}

/// A sibling thread, started before this thread enforces a signal-scoped
/// domain on itself alone, is made the owner of a pipe by this thread
/// (F_OWNER_TID); the write's SIGIO must reach it.
fn to_sibling_thread() -> TestResult {
    // Blocked before the sibling starts, which inherits the mask.
    let set = block_sigio()?;
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let sibling = std::thread::spawn(move || {
        // SAFETY: gettid has no arguments.
        let _ = tid_tx.send(unsafe { libc::gettid() });
        if go_rx.recv().is_err() {
            return Ok(false);
        }
        sigio_arrived(&set)
    });
    let tid = tid_rx
        .recv()
        .map_err(|_| fail("the sibling thread did not start"))?;
    // This thread only: no TSYNC, the sibling keeps no domain.
    enforce(Owner::Scoped)?;
    let (r, w) = pipe().map_err(|e| fail(format!("pipe: {e}")))?;
    let owner = FOwnerEx {
        kind: F_OWNER_TID,
        pid: tid,
    };
    // SAFETY: fcntl on a pipe owned here, with a valid f_owner_ex.
    unsafe {
        ensure!(
            libc::fcntl(r.as_raw_fd(), F_SETOWN_EX, &owner) == 0,
            "fcntl(F_SETOWN_EX, F_OWNER_TID {tid}): {}",
            nix::errno::Errno::last()
        );
        let flags = libc::fcntl(r.as_raw_fd(), libc::F_GETFL);
        ensure!(
            libc::fcntl(r.as_raw_fd(), libc::F_SETFL, flags | libc::O_ASYNC) == 0,
            "fcntl(F_SETFL, O_ASYNC): {}",
            nix::errno::Errno::last()
        );
    }
    let _ = go_tx.send(());
    write(w.as_fd(), b"x").map_err(|e| fail(format!("write: {e}")))?;
    let arrived = sibling
        .join()
        .map_err(|_| fail("the sibling thread panicked"))??;
    expect_delivery(
        "SIGIO from a pipe a scoped thread armed for its unsandboxed sibling thread",
        arrived,
        true,
    )
}

/// An unsandboxed process starts a process group and a sandboxed one joins
/// it last, then arms a pipe for the whole group (F_SETOWN -pgid) and
/// writes to it. The owner's own SIGIO must arrive; the other member's must
/// be dropped when the owner's domain scopes signals, and arrive when it
/// does not. Joining last matters: the kernel finds a group's first task as
/// the one that joined last, which a kernel without the fix took for the
/// only recipient, so it never checked the others.
fn to_own_group(owner: Owner) -> TestResult {
    // Exit codes: 0 its SIGIO did not arrive, 1 it did, 100+ setup.
    let outsider = Peer::spawn(|ready| {
        let Ok(set) = block_sigio() else { return 101 };
        if nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0)).is_err() {
            return 100;
        }
        ready.signal();
        match sigio_arrived(&set) {
            Ok(arrived) => i32::from(arrived),
            Err(_) => 106,
        }
    })?;
    outsider.wait_ready()?;
    let group = outsider.pid();
    let sandboxed = Peer::spawn(move |ready| {
        if nix::unistd::setpgid(Pid::from_raw(0), group).is_err() {
            return 100;
        }
        let Ok(set) = block_sigio() else { return 101 };
        ready.signal();
        if enforce(owner).is_err() {
            return 103;
        }
        let Ok((_r, w)) = armed_pipe(Pid::from_raw(-group.as_raw())) else {
            return 104;
        };
        if write(w.as_fd(), b"x") != Ok(1) {
            return 105;
        }
        match sigio_arrived(&set) {
            Ok(arrived) => i32::from(arrived),
            Err(_) => 106,
        }
    })?;
    sandboxed.wait_ready()?;
    let (own, other) = (sandboxed.join(), outsider.join());
    for (who, code) in [("the sandboxed member", own), ("the other member", other)] {
        if code > 1 {
            return Err(fail(format!("{who} failed to set up (exit {code})")));
        }
    }
    expect_delivery(
        "SIGIO to the sandboxed owner from the pipe it armed for its group",
        own == 1,
        true,
    )?;
    expect_delivery(
        "SIGIO to the unsandboxed member of the owner's group",
        other == 1,
        owner == Owner::NotScoped,
    )
}

pub fn tests() -> Vec<Test> {
    // (case, twin): each case's twin is one scope or one domain apart.
    let cases: [(&str, Owner, bool, &str); 3] = [
        (
            "scoped_owner::to_parent_outside::denied",
            Owner::Scoped,
            false,
            "unscoped_owner::to_parent_outside::allowed",
        ),
        (
            "unscoped_owner::to_parent_outside::allowed",
            Owner::NotScoped,
            false,
            "scoped_owner::to_parent_outside::denied",
        ),
        (
            "scoped_owner::to_parent_same_domain::allowed",
            Owner::Scoped,
            true,
            "scoped_owner::to_parent_outside::denied",
        ),
    ];
    let mut tests: Vec<Test> = cases
        .into_iter()
        .map(|(name, owner, shared, twin)| {
            Test::new(format!("task::sigio::{name}"), move || {
                to_parent(owner, shared)
            })
            .twin(format!("task::sigio::{twin}"))
        })
        .collect();
    tests.push(
        Test::new("task::sigio::scoped_owner::to_itself::allowed", to_itself)
            .twin("task::sigio::scoped_owner::to_parent_outside::denied"),
    );
    tests.push(
        Test::new(
            "task::sigio::scoped_owner::to_sibling_thread::allowed",
            to_sibling_thread,
        )
        // One process apart: the parent outside the domain is denied.
        .twin("task::sigio::scoped_owner::to_parent_outside::denied"),
    );
    tests.extend(twin::pair(
        Test::new(
            "task::sigio::scoped_owner::to_own_group::outsider_denied",
            || to_own_group(Owner::Scoped),
        ),
        Test::new(
            "task::sigio::unscoped_owner::to_own_group::outsider_allowed",
            || to_own_group(Owner::NotScoped),
        ),
    ));
    tests
        .into_iter()
        .map(|t| t.needs("LANDLOCK_SCOPE_SIGNAL").enforcement())
        .collect()
}
