//! Steps most audit tests share.

use crate::objects::task_fields;
use crate::session::Session;
use llconf_harness::abi as uapi;
use llconf_harness::fixture::Peer;
use llconf_harness::{expect_errno, fail, Errno, Requirement, Ruleset, Stop, Test, TestResult};
use nix::sys::signal::kill;
use nix::unistd::{getppid, Pid};

/// An audit test: root, ABI 7, alone (only one process can be the audit
/// daemon), and an enforcement test.
pub fn audit_test(name: &str, body: impl Fn() -> TestResult + Send + Sync + 'static) -> Test {
    Test::new(format!("audit::{name}"), body)
        .requires(Requirement::Audit)
        .serial()
        .enforcement()
}

pub fn io_errno(e: std::io::Error) -> Errno {
    e.raw_os_error()
        .map(Errno::from_raw)
        .unwrap_or(Errno::UnknownErrno)
}

/// Runs `body` in a forked child and fails unless it succeeded. The test
/// process is single-threaded when this is called.
pub fn in_child(body: impl FnOnce() -> TestResult) -> TestResult {
    let child = Peer::spawn(|ready| {
        ready.signal();
        match body() {
            Ok(()) => 0,
            Err(Stop::Failed(f)) => {
                eprintln!("child: {f}");
                1
            }
            Err(Stop::Skipped(s)) => {
                eprintln!("child skipped: {s}");
                2
            }
            Err(Stop::Known { id, failure }) => {
                eprintln!("child: known issue {id}: {failure}");
                3
            }
        }
    })?;
    child.wait_ready()?;
    match child.join() {
        0 => Ok(()),
        code => Err(fail(format!(
            "the sandboxed child failed (exit {code}); see stderr"
        ))),
    }
}

/// Enforces a signal scope and checks that signalling `target` is denied.
pub fn deny_signal_to(target: Pid) -> TestResult {
    Ruleset::scoped(uapi::scope::SIGNAL)?.enforce()?;
    signal_denied(target)
}

pub fn signal_denied(target: Pid) -> TestResult {
    expect_errno(
        format!("kill({target}, 0) across the signal scope"),
        kill(target, None),
        Errno::EPERM,
    )
}

/// The access record text of a denied signal to `pid`.
pub fn signal_body(pid: Pid) -> Result<String, Stop> {
    Ok(format!(
        "blockers=scope.signal {}",
        task_fields(pid.as_raw())?
    ))
}

/// Proves the reader works before a test asserts silence: a child with a
/// plain domain signals this process, and its record must arrive.
pub fn control_record(session: &mut Session) -> Result<u64, Stop> {
    in_child(|| deny_signal_to(getppid()))?;
    let me = nix::unistd::getpid();
    let r = session.expect_access(&signal_body(me)?)?;
    Ok(r.domain)
}

pub use llconf_harness::fixture::peer::sleeper;

/// A datagram socket bound to the abstract name `llconf-<tag>-<pid>`
/// before the test's domain exists (so outside it), its address, and the
/// name as records print it: hex, with the leading NUL.
pub fn abstract_server(
    tag: &str,
) -> Result<(std::os::fd::OwnedFd, nix::sys::socket::UnixAddr, String), Stop> {
    use llconf_harness::OrFail;
    use nix::sys::socket::{self as nsock, UnixAddr};
    use std::os::fd::AsRawFd;
    let name = format!("llconf-{tag}-{}", std::process::id());
    let addr = UnixAddr::new_abstract(name.as_bytes()).or_fail("abstract address")?;
    let server = nsock::socket(
        nsock::AddressFamily::Unix,
        nsock::SockType::Datagram,
        nsock::SockFlag::SOCK_CLOEXEC,
        None,
    )
    .or_fail("server socket")?;
    nsock::bind(server.as_raw_fd(), &addr).or_fail("bind the abstract address")?;
    let mut raw = vec![0u8];
    raw.extend_from_slice(name.as_bytes());
    Ok((server, addr, crate::record::hex(&raw)))
}

/// connect(2) of a new datagram socket to the abstract address `addr`.
pub fn connect_abstract(addr: &nix::sys::socket::UnixAddr) -> Result<Result<(), Errno>, Stop> {
    use llconf_harness::OrFail;
    use nix::sys::socket as nsock;
    use std::os::fd::AsRawFd;
    let client = nsock::socket(
        nsock::AddressFamily::Unix,
        nsock::SockType::Datagram,
        nsock::SockFlag::SOCK_CLOEXEC,
        None,
    )
    .or_fail("client socket")?;
    Ok(nsock::connect(client.as_raw_fd(), addr))
}
