//! `task::tsync`: LANDLOCK_RESTRICT_SELF_TSYNC (ABI 8) applies the new
//! domain to every thread of the process, "irrespective of previously
//! established Landlock domains" on them (the UAPI's words): a sibling
//! thread is then denied what the domain denies and allowed what it
//! allows, even if it had a stricter domain of its own; and no_new_privs
//! reaches the siblings with it. A sibling with credentials of its own (a
//! gid set on that thread alone) keeps them: TSYNC hands out the domain,
//! not the caller's credentials (both llconf and the selftests missed
//! tsync.c:89, which gave such a sibling the caller's credentials). Without
//! the flag a sibling is untouched.

use crate::domains::open_dir;
use llconf_harness::abi::{fs, restrict};
use llconf_harness::fixture::TempTree;
use llconf_harness::sys::SYS_RESTRICT_SELF;
use llconf_harness::{
    expect_eq, expect_result, fail, twin, Errno, Requirement, Ruleset, Stop, Test, TestResult,
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
    /// Its real, effective and saved gid.
    gids: [libc::gid_t; 3],
}

/// What the sibling thread has before the main thread enforces.
#[derive(Clone, Copy, PartialEq)]
enum Sibling {
    Plain,
    /// A stricter domain of its own.
    OwnDomain,
    /// Its own gid (OWN_GID), set with the raw system call so that only
    /// that thread's credentials change.
    OwnGid,
}

const OWN_GID: libc::gid_t = 4242;

/// This thread's gids, by the raw system call.
fn thread_gids() -> [libc::gid_t; 3] {
    let mut g = [0; 3];
    // SAFETY: three writable gid_t.
    unsafe {
        libc::syscall(
            libc::SYS_getresgid,
            &mut g[0] as *mut libc::gid_t,
            &mut g[1] as *mut libc::gid_t,
            &mut g[2] as *mut libc::gid_t,
        )
    };
    g
}

/// The sibling's own set-up: a domain of its own or a gid of its own.
fn own_setup(what: Sibling) -> Result<(), String> {
    match what {
        Sibling::Plain => Ok(()),
        Sibling::OwnGid => {
            let g = OWN_GID as libc::c_long;
            // SAFETY: plain integer arguments; glibc's setresgid would
            // change every thread, the system call only this one.
            let r = unsafe { libc::syscall(libc::SYS_setresgid, g, g, g) };
            if r == 0 {
                Ok(())
            } else {
                Err(format!("the sibling's setresgid: {}", Errno::last()))
            }
        }
        Sibling::OwnDomain => {
            // A domain that denies reading every directory, enforced on this
            // thread alone; the raw call, since the harness counts the
            // layers of the main thread.
            let own = Ruleset::fs(fs::READ_DIR).map_err(|_| "ruleset".to_string());
            own.and_then(|rs| {
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
            })
        }
    }
}

/// A sibling thread (set up as `what` first) waits while the main thread
/// enforces a domain that allows `a/` only, with `flags`; then it tries
/// both directories.
fn sibling_after(t: &TempTree, flags: u32, what: Sibling) -> Result<Seen, Stop> {
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (a, other) = (t.path("a"), t.path("other"));
    let sibling = std::thread::spawn(move || {
        let _ = ready_tx.send(own_setup(what));
        let _ = go_rx.recv();
        Seen {
            a: open_dir(&a),
            other: open_dir(&other),
            no_new_privs: no_new_privs(),
            gids: thread_gids(),
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

fn check(what: Sibling, tsync: bool) -> TestResult {
    let t = TempTree::with(&["a/", "other/"])?;
    let flags = if tsync { restrict::TSYNC } else { 0 };
    let gids = match what {
        Sibling::OwnGid => [OWN_GID; 3],
        _ => thread_gids(),
    };
    let seen = sibling_after(&t, flags, what)?;
    let own = what == Sibling::OwnDomain;
    let who = match what {
        Sibling::Plain => "the sibling thread",
        Sibling::OwnDomain => "the sibling thread, which had a stricter domain of its own,",
        Sibling::OwnGid => "the sibling thread, which had a gid of its own,",
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
    )?;
    expect_eq(format!("getresgid() in {who}"), seen.gids, gids)
}

/// Sets no_new_privs, and makes a ruleset that handles READ_DIR and allows
/// it on a/ only.
fn nnp_and_a_only(t: &TempTree) -> Result<Ruleset, Stop> {
    llconf_harness::expect_ok(
        "prctl(PR_SET_NO_NEW_PRIVS)",
        llconf_harness::sys::set_no_new_privs(),
    )?;
    let rs = Ruleset::fs(fs::READ_DIR)?;
    rs.allow_path(&t.path("a"), fs::READ_DIR)?;
    Ok(rs)
}

/// Two TSYNC calls one after the other in one process: both return 0, and
/// the sibling ends in both domains (the second one denies a/ too). The
/// first call must leave nothing held: a kernel that kept the process's
/// exec_update_lock (tsync.c:637, its up_write dropped) restarts the
/// second call for ever, and the test runs out of time.
fn twice() -> TestResult {
    let t = TempTree::with(&["a/", "other/"])?;
    let (a, other) = (t.path("a"), t.path("other"));
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let sibling = std::thread::spawn(move || {
        let _ = go_rx.recv();
        (open_dir(&a), open_dir(&other))
    });
    let first = nnp_and_a_only(&t)?;
    let second = Ruleset::fs(fs::READ_DIR)?;
    for (which, rs) in [("first", &first), ("second", &second)] {
        expect_result(
            format!("the {which} restrict_self(TSYNC)"),
            llconf_harness::sys::restrict_self(rs.fd(), restrict::TSYNC),
            None,
        )?;
    }
    let _ = go_tx.send(());
    let (a, other) = sibling
        .join()
        .map_err(|_| fail("the sibling thread panicked"))?;
    expect_result(
        "open(a/) in the sibling, in both domains",
        a,
        Some(Errno::EACCES),
    )?;
    expect_result("open(other/) in the sibling", other, Some(Errno::EACCES))
}

/// TSYNC from a process with no other thread: the call returns 0 and the
/// domain is this thread's. With no sibling nobody else finishes, so a
/// kernel that waits for its siblings all the same (tsync.c:633, `> 0`
/// made `>= 0`) never returns, and the test runs out of time.
fn single_thread() -> TestResult {
    if !llconf_harness::runner::only_thread() {
        return Err(fail(
            "setup: the test process must be alone, /proc/self/status says otherwise",
        ));
    }
    let t = TempTree::with(&["a/", "other/"])?;
    let rs = nnp_and_a_only(&t)?;
    expect_result(
        "restrict_self(TSYNC) with no other thread",
        llconf_harness::sys::restrict_self(rs.fd(), restrict::TSYNC),
        None,
    )?;
    expect_result("open(a/)", open_dir(&t.path("a")), None)?;
    expect_result(
        "open(other/)",
        open_dir(&t.path("other")),
        Some(Errno::EACCES),
    )
}

pub fn tests() -> Vec<Test> {
    let single = Test::new("task::tsync::single_thread::restricted", single_thread)
        .needs("LANDLOCK_RESTRICT_SELF_TSYNC")
        .enforcement()
        // One thread apart: a sibling is there, and restricted too.
        .twin("task::tsync::sibling_thread::restricted");
    let twice = Test::new("task::tsync::sibling_thread::restricted_twice", twice)
        .needs("LANDLOCK_RESTRICT_SELF_TSYNC")
        .enforcement()
        // One call apart: after the first call alone a/ is allowed.
        .twin("task::tsync::sibling_thread::restricted");
    // Each case's twin is the same threads one flag apart (TSYNC or not).
    [single, twice]
        .into_iter()
        .chain(
            [
                ("sibling_thread::restricted", Sibling::Plain, true),
                (
                    "sibling_thread_without_flag::unrestricted",
                    Sibling::Plain,
                    false,
                ),
                ("sibling_own_domain::overridden", Sibling::OwnDomain, true),
                (
                    "sibling_own_domain_without_flag::kept",
                    Sibling::OwnDomain,
                    false,
                ),
                (
                    "sibling_own_gid::restricted_keeps_gid",
                    Sibling::OwnGid,
                    true,
                ),
                (
                    "sibling_own_gid_without_flag::unrestricted",
                    Sibling::OwnGid,
                    false,
                ),
            ]
            .chunks(2)
            .flat_map(|two| {
                let [a, b] = [two[0], two[1]].map(|(name, what, tsync)| {
                    let t = Test::new(format!("task::tsync::{name}"), move || check(what, tsync))
                        .needs("LANDLOCK_RESTRICT_SELF_TSYNC")
                        .enforcement();
                    if what == Sibling::OwnGid {
                        t.requires(Requirement::Root)
                    } else {
                        t
                    }
                });
                twin::pair(a, b)
            }),
        )
        .collect()
}
