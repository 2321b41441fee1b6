//! Runs a short closure in a forked child and returns its exit code.
//!
//! Probes that enforce a domain, or change process-wide state, must not touch
//! the caller: a Landlock domain cannot be undone. The closure runs after
//! fork(2) in a possibly multi-threaded process, so it may only make raw
//! syscalls: no allocation, no locks.

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult};

/// The child's exit code, or `None` if it died from a signal.
pub fn exit_code_of(f: impl FnOnce() -> i32) -> Option<i32> {
    // SAFETY: the child only runs `f`, which by contract makes raw syscalls,
    // then leaves with _exit without running destructors or atexit handlers.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let code = f();
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => loop {
            match waitpid(child, None) {
                Ok(WaitStatus::Exited(_, code)) => return Some(code),
                Ok(WaitStatus::Signaled(..)) => return None,
                Ok(_) => continue,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => panic!("waitpid: {e}"),
            }
        },
    }
}
