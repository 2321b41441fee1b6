//! `task::tsync`: LANDLOCK_RESTRICT_SELF_TSYNC (ABI 8) applies the new
//! domain to every thread of the process, "irrespective of previously
//! established Landlock domains" on them (the UAPI's words): a sibling
//! thread is then denied what the domain denies and allowed what it
//! allows, even if it had a stricter domain of its own; and no_new_privs
//! reaches the siblings with it. Without the flag a sibling is untouched.

use crate::domains::open_dir;
use llconf_harness::abi::{fs, restrict};
use llconf_harness::fixture::TempTree;
use llconf_harness::sys::SYS_RESTRICT_SELF;
use llconf_harness::{
    expect_eq, expect_result, fail, twin, Errno, Ruleset, Stop, Test, TestResult,
};
use std::sync::mpsc;

fn no_new_privs() -> i32 {
    // SAFETY: a plain prctl query.
    unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) }
}

/// What the sibling thread sees after the main thread's enforcement.
struct Seen {
    a: Result<(), Errno>,
    other: Result<(), Errno>,
    no_new_privs: i32,
}

/// A sibling thread (with a domain of its own first, if `own`) waits while
/// the main thread enforces a domain that allows `a/` only, with `flags`;
/// then it tries both directories.
fn sibling_after(t: &TempTree, flags: u32, own: bool) -> Result<Seen, Stop> {
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (a, other) = (t.path("a"), t.path("other"));
    let sibling = std::thread::spawn(move || {
        if own {
            // A domain that denies reading every directory, enforced on this
            // thread alone; the raw call, since the harness counts the
            // layers of the main thread.
            let own = Ruleset::fs(fs::READ_DIR).map_err(|_| "ruleset".to_string());
            let r = own.and_then(|rs| {
                // SAFETY: plain integer arguments.
                let r = unsafe {
                    libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                    libc::syscall(SYS_RESTRICT_SELF, rs.fd(), 0)
                };
                if r == 0 {
                    Ok(())
                } else {
                    Err(format!(
                        "the sibling's own restrict_self: {}",
                        Errno::last()
                    ))
                }
            });
            let _ = ready_tx.send(r);
        } else {
            let _ = ready_tx.send(Ok(()));
        }
        let _ = go_rx.recv();
        Seen {
            a: open_dir(&a),
            other: open_dir(&other),
            no_new_privs: no_new_privs(),
        }
    });
    ready_rx
        .recv()
        .map_err(|_| fail("the sibling thread vanished"))?
        .map_err(fail)?;
    let rs = Ruleset::fs(fs::READ_DIR)?;
    rs.allow_path(&t.path("a"), fs::READ_DIR)?;
    rs.enforce_with_flags(flags)?;
    let _ = go_tx.send(());
    sibling
        .join()
        .map_err(|_| fail("the sibling thread panicked"))
}

fn check(own: bool, tsync: bool) -> TestResult {
    let t = TempTree::with(&["a/", "other/"])?;
    let flags = if tsync { restrict::TSYNC } else { 0 };
    let seen = sibling_after(&t, flags, own)?;
    let who = if own {
        "the sibling thread, which had a stricter domain of its own,"
    } else {
        "the sibling thread"
    };
    // With TSYNC the main thread's domain replaces the sibling's; without
    // it the sibling keeps what it had (its own domain, or none).
    let (a, other) = match (tsync, own) {
        (true, _) => (None, Some(Errno::EACCES)),
        (false, true) => (Some(Errno::EACCES), Some(Errno::EACCES)),
        (false, false) => (None, None),
    };
    expect_result(format!("open(a/) in {who}"), seen.a, a)?;
    expect_result(format!("open(other/) in {who}"), seen.other, other)?;
    expect_eq(
        format!("PR_GET_NO_NEW_PRIVS in {who}"),
        seen.no_new_privs,
        i32::from(tsync || own),
    )
}

pub fn tests() -> Vec<Test> {
    // Each case's twin is the same threads one flag apart (TSYNC or not).
    [
        ("sibling_thread::restricted", false, true),
        ("sibling_thread_without_flag::unrestricted", false, false),
        ("sibling_own_domain::overridden", true, true),
        ("sibling_own_domain_without_flag::kept", true, false),
    ]
    .chunks(2)
    .flat_map(|two| {
        let [a, b] = [two[0], two[1]].map(|(name, own, tsync)| {
            Test::new(format!("task::tsync::{name}"), move || check(own, tsync))
                .needs("LANDLOCK_RESTRICT_SELF_TSYNC")
                .enforcement()
        });
        twin::pair(a, b)
    })
    .collect()
}
