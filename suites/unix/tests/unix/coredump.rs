//! `unix::stream::coredump::*`: a core dump sent to a socket (core_pattern
//! `@PATH`, Linux 6.16) is a connection the kernel makes for the crashing
//! process, to a path the administrator chose. RESOLVE_UNIX must not stop
//! it, even when the process's domain denies that socket; a connect(2) of
//! the same process to the same socket stays denied (EACCES), which the
//! case checks first, and which `connect::denied_without_rules` checks
//! alone as its twin.

use crate::domain::enforce_resolve;
use crate::server::listen_at;
use crate::sock::{expect_reach, path_addr, Type};
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_eq, fail, Errno, OrFail, Requirement, Stop, Test, TestResult};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;
use nix::sys::socket::{self as s, sockopt};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult};
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

const CORE_PATTERN: &str = "/proc/sys/kernel/core_pattern";
/// How long the kernel may take to connect and send the dump.
const WAIT_MS: u16 = 10_000;

/// core_pattern set for the test, the old one written back on drop (the
/// setting is the whole system's).
struct CorePattern(String);

impl CorePattern {
    fn set(pattern: &str) -> Result<CorePattern, Stop> {
        let old = std::fs::read_to_string(CORE_PATTERN).or_fail("setup: read core_pattern")?;
        std::fs::write(CORE_PATTERN, pattern)
            .or_fail(format!("setup: write {pattern:?} to core_pattern"))?;
        Ok(CorePattern(old.trim_end_matches('\n').to_owned()))
    }
}

impl Drop for CorePattern {
    fn drop(&mut self) {
        let _ = std::fs::write(CORE_PATTERN, &self.0);
    }
}

/// A child that dumps core: SIGABRT with its default action (the Rust
/// runtime handles SIGSEGV), and no limit on the core's size.
fn crash() -> Result<nix::unistd::Pid, Stop> {
    // SAFETY: the child makes raw syscalls only, then dies or _exits.
    match unsafe { fork() }.or_fail("fork the crashing child")? {
        ForkResult::Child => unsafe {
            let unlimited = libc::rlimit {
                rlim_cur: libc::RLIM_INFINITY,
                rlim_max: libc::RLIM_INFINITY,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &unlimited);
            libc::signal(libc::SIGABRT, libc::SIG_DFL);
            libc::raise(libc::SIGABRT);
            libc::_exit(1)
        },
        ForkResult::Parent { child } => Ok(child),
    }
}

fn kernel_connection_allowed() -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let path = t.path("srv/core.sock");
    let addr = path_addr(&path)?;
    let listener = listen_at(Type::Stream, &addr).or_fail("setup: listen at srv/core.sock")?;
    let _pattern = CorePattern::set(&format!("@{}", path.display()))?;
    enforce_resolve(&[])?;
    // The domain is in effect for this socket: this process may not reach it.
    expect_reach(Type::Stream, &addr, Some(Errno::EACCES))?;
    let child = crash()?;
    let conn = match accept_within(&listener, "the core dump")? {
        Some(c) => c,
        None => {
            let _ = waitpid(child, None);
            return Err(fail(format!(
                "no connection to srv/core.sock within {} s of the child's SIGABRT: \
                 the kernel's core dump did not reach the socket",
                WAIT_MS / 1000
            )));
        }
    };
    let cred = s::getsockopt(&conn, sockopt::PeerCredentials).or_fail("SO_PEERCRED")?;
    expect_eq(
        "the pid of the connection's peer",
        cred.pid(),
        child.as_raw(),
    )?;
    let mut core = std::fs::File::from(conn);
    let mut bytes = Vec::new();
    core.read_to_end(&mut bytes).or_fail("read the core dump")?;
    if !bytes.starts_with(b"\x7fELF") {
        return Err(fail(format!(
            "the {} bytes sent are not an ELF core",
            bytes.len()
        )));
    }
    match waitpid(child, None).or_fail("wait for the crashed child")? {
        WaitStatus::Signaled(_, Signal::SIGABRT, true) => Ok(()),
        other => Err(fail(format!(
            "the child ended with {other:?}, not SIGABRT with a core dumped"
        ))),
    }
}

/// The next connection on `listener`, or None after [`WAIT_MS`].
fn accept_within(listener: &OwnedFd, what: &str) -> Result<Option<OwnedFd>, Stop> {
    let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
    let n = poll(&mut fds, PollTimeout::from(WAIT_MS)).or_fail(format!("poll for {what}"))?;
    if n == 0 {
        return Ok(None);
    }
    let fd = s::accept(listener.as_raw_fd()).or_fail(format!("accept {what}"))?;
    // SAFETY: a new fd accept just gave this process.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }))
}

pub fn tests() -> Vec<Test> {
    vec![Test::new(
        "unix::stream::coredump::kernel_connection_allowed",
        kernel_connection_allowed,
    )
    .requires(Requirement::Root)
    .needs(crate::domain::RESOLVE_UNIX)
    .serial()
    .enforcement()
    .twin("unix::stream::connect::denied_without_rules")]
}
