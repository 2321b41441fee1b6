//! A domain survives KEYCTL_SESSION_TO_PARENT: that call installs new
//! credentials on the parent without going through cred_prepare (the
//! kernel's cred_transfer hook copies the Landlock part), so a kernel that
//! forgets the copy leaves the parent unsandboxed. Read access is handled
//! with one directory allowed; after the child's call the parent must still
//! be denied the other directory and allowed the one.

use crate::domains::open_dir;
use llconf_harness::abi::fs;
use llconf_harness::fixture::{Peer, TempTree};
use llconf_harness::{
    ensure, expect_ok, expect_result, fail, skip, twin, Errno, Ruleset, Stop, Test, TestResult,
};

const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
const KEYCTL_SESSION_TO_PARENT: libc::c_long = 18;
const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;

fn keyctl(op: libc::c_long) -> Result<(), Errno> {
    // SAFETY: keyctl with integer (and null) arguments only.
    let r = unsafe { libc::syscall(libc::SYS_keyctl, op, 0usize, 0usize, 0usize, 0usize) };
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

fn check(t: &TempTree, when: &str) -> TestResult {
    expect_result(
        format!("open(allowed/) {when}"),
        open_dir(&t.path("allowed")),
        None,
    )?;
    expect_result(
        format!("open(other/) {when}"),
        open_dir(&t.path("other")),
        Some(Errno::EACCES),
    )
}

/// The serial of this process's session keyring, or a skip where the
/// kernel has no key retention service.
fn session_keyring() -> Result<libc::c_long, Stop> {
    // SAFETY: keyctl with integer arguments only.
    let r = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_GET_KEYRING_ID,
            KEY_SPEC_SESSION_KEYRING,
            0usize,
        )
    };
    match r {
        -1 => match Errno::last() {
            Errno::ENOSYS | Errno::EOPNOTSUPP => Err(skip(
                "needs the kernel's key retention service (CONFIG_KEYS)",
            )),
            e => Err(fail(format!("keyctl(KEYCTL_GET_KEYRING_ID, session): {e}"))),
        },
        id => Ok(id),
    }
}

/// Gives this process a session keyring of its own, then has a child
/// (which runs `in_child` first and exits with its code if not 0) join one
/// more of its own and install it on this process with
/// KEYCTL_SESSION_TO_PARENT. The kernel does nothing when both keyrings
/// are the same, hence the child's own; the changed serial shows the new
/// credentials are in place.
fn child_installs_session(in_child: fn() -> i32) -> TestResult {
    session_keyring()?;
    expect_ok(
        "keyctl(KEYCTL_JOIN_SESSION_KEYRING) in the parent",
        keyctl(KEYCTL_JOIN_SESSION_KEYRING),
    )?;
    let before = session_keyring()?;
    let child = Peer::spawn(move |ready| {
        let code = match in_child() {
            0 => match keyctl(KEYCTL_JOIN_SESSION_KEYRING)
                .and_then(|()| keyctl(KEYCTL_SESSION_TO_PARENT))
            {
                Ok(()) => 0,
                Err(e) => e as i32,
            },
            code => code,
        };
        ready.signal();
        code
    })?;
    child.wait_ready()?;
    match child.join() {
        0 => {}
        CHILD_NOT_SANDBOXED => {
            return Err(fail(
                "the child could open other/ after enforcing its domain",
            ))
        }
        code => {
            return Err(fail(format!(
                "keyctl(KEYCTL_JOIN_SESSION_KEYRING, then KEYCTL_SESSION_TO_PARENT) in the \
                 child: {}",
                Errno::from_raw(code)
            )))
        }
    }
    // The new credentials are installed when the parent next returns to
    // user space, which this call does.
    let after = session_keyring()?;
    ensure!(
        after != before,
        "the session keyring is still {before} after the child's KEYCTL_SESSION_TO_PARENT: \
         the credentials were not replaced"
    );
    Ok(())
}

/// The child's exit code when its own domain did not deny other/.
const CHILD_NOT_SANDBOXED: i32 = 200;

fn session_to_parent() -> TestResult {
    let t = TempTree::with(&["allowed/", "other/"])?;
    let rs = Ruleset::fs(fs::READ_DIR)?;
    rs.allow_path(&t.path("allowed"), fs::READ_DIR)?;
    rs.enforce()?;
    check(&t, "in the domain")?;
    child_installs_session(|| 0)?;
    check(&t, "after the child's KEYCTL_SESSION_TO_PARENT")
}

/// The twin, one layer moved: the domain is the child's, not the
/// parent's. The credentials the child installs keep the parent's own
/// (no) domain: other/ stays open to the parent.
fn child_domain_not_taken() -> TestResult {
    static OTHER: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let t = TempTree::with(&["allowed/", "other/"])?;
    let _ = OTHER.set(t.path("other"));
    child_installs_session(|| {
        let other = OTHER.get().expect("set before the fork");
        let rs = match Ruleset::fs(fs::READ_DIR) {
            Ok(rs) => rs,
            Err(_) => return 201,
        };
        if rs.enforce().is_err() {
            return 202;
        }
        match open_dir(other) {
            Err(Errno::EACCES) => 0,
            _ => CHILD_NOT_SANDBOXED,
        }
    })?;
    expect_result(
        "open(other/) after a sandboxed child's KEYCTL_SESSION_TO_PARENT",
        open_dir(&t.path("other")),
        None,
    )
}

pub fn tests() -> Vec<Test> {
    twin::pair(
        Test::new(
            "task::cred_transfer::session_to_parent::domain_kept",
            session_to_parent,
        )
        .enforcement(),
        Test::new(
            "task::cred_transfer::session_to_parent::child_domain_not_taken",
            child_domain_not_taken,
        )
        .enforcement(),
    )
    .into()
}
