//! A domain survives KEYCTL_SESSION_TO_PARENT: that call installs new
//! credentials on the parent without going through cred_prepare (the
//! kernel's cred_transfer hook copies the Landlock part), so a kernel that
//! forgets the copy leaves the parent unsandboxed. Read access is handled
//! with one directory allowed; after the child's call the parent must still
//! be denied the other directory and allowed the one.

use crate::domains::open_dir;
use llconf_harness::abi::fs;
use llconf_harness::fixture::{Peer, TempTree};
use llconf_harness::{expect_result, fail, skip, Errno, Ruleset, TestResult};

const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
const KEYCTL_SESSION_TO_PARENT: libc::c_long = 18;

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

fn session_to_parent() -> TestResult {
    let t = TempTree::with(&["allowed/", "other/"])?;
    let rs = Ruleset::fs(fs::READ_DIR)?;
    rs.allow_path(&t.path("allowed"), fs::READ_DIR)?;
    rs.enforce()?;
    check(&t, "in the domain")?;
    // The parent needs a session keyring of its own for the child to
    // replace it.
    match keyctl(KEYCTL_JOIN_SESSION_KEYRING) {
        Ok(()) => {}
        Err(Errno::ENOSYS | Errno::EOPNOTSUPP) => {
            return Err(skip(
                "needs the kernel's key retention service (CONFIG_KEYS)",
            ))
        }
        Err(e) => return Err(fail(format!("keyctl(KEYCTL_JOIN_SESSION_KEYRING): {e}"))),
    }
    let child = Peer::spawn(|ready| {
        let code = match keyctl(KEYCTL_SESSION_TO_PARENT) {
            Ok(()) => 0,
            Err(e) => e as i32,
        };
        ready.signal();
        code
    })?;
    child.wait_ready()?;
    match child.join() {
        0 => {}
        code => {
            return Err(fail(format!(
                "keyctl(KEYCTL_SESSION_TO_PARENT) in the child: {}",
                Errno::from_raw(code)
            )))
        }
    }
    // The new credentials are installed when the parent next returns to
    // user space; one more system call makes sure it has.
    let _ = nix::unistd::getpid();
    check(&t, "after the child's KEYCTL_SESSION_TO_PARENT")
}

pub fn tests() -> Vec<llconf_harness::Test> {
    vec![llconf_harness::Test::new(
        "task::cred_transfer::session_to_parent::domain_kept",
        session_to_parent,
    )
    .enforcement()]
}
