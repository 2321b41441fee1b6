//! `socket::boundaries`: where socket creation control must stop. accept(2),
//! kernel-internal sockets and received descriptors are not creations by
//! the sandboxed task; stacked layers intersect.

use crate::proposed::{Shape, WILDCARD as ANY};
use crate::support::{enforce_allowing, open_socket, require_support, socket};
use libc::{AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM};
use llconf_harness::fixture::{enter_loopback_netns, Peer};
use llconf_harness::{ensure, expect_errno, expect_ok, skip, Errno, OrFail, Test, TestResult};
use nix::sys::socket::{
    self as nsock, AddressFamily, Backlog, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag,
    SockType, SockaddrIn, UnixAddr,
};
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `IPPROTO_MPTCP`, whose sockets create their TCP subflow with
/// sock_create_kern().
const IPPROTO_MPTCP: i32 = 262;

/// Denies every creation, so that only what is not a creation can work.
fn deny_all(shape: Shape) -> TestResult {
    enforce_allowing(shape, &[])
}

fn accept_not_checked() -> TestResult {
    let shape = require_support()?;
    let name = format!("llconf-socket-accept-{}", std::process::id());
    let addr = UnixAddr::new_abstract(name.as_bytes()).or_fail("abstract address")?;
    let listener = open_socket(AF_UNIX, SOCK_STREAM, 0).or_fail("listener socket")?;
    nsock::bind(listener.as_raw_fd(), &addr).or_fail("bind listener")?;
    nsock::listen(&listener, Backlog::new(1).or_fail("backlog")?).or_fail("listen")?;
    let client = open_socket(AF_UNIX, SOCK_STREAM, 0).or_fail("client socket")?;
    deny_all(shape)?;
    expect_errno(
        "socket(AF_UNIX, SOCK_STREAM) in the domain",
        socket(AF_UNIX, SOCK_STREAM, 0),
        Errno::EACCES,
    )?;
    expect_ok(
        "connect a socket created before the domain",
        nsock::connect(client.as_raw_fd(), &addr),
    )?;
    let accepted = expect_ok(
        "accept(2), which creates a socket without socket(2)",
        nsock::accept(listener.as_raw_fd()),
    )?;
    // SAFETY: accept returned a new fd that we now own.
    drop(unsafe { OwnedFd::from_raw_fd(accepted) });
    Ok(())
}

fn kernel_socket_not_checked() -> TestResult {
    let shape = require_support()?;
    enter_loopback_netns()?;
    match socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP) {
        Ok(()) => {}
        Err(e) => {
            return Err(skip(format!(
                "MPTCP is not available here: socket gave {e}"
            )))
        }
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").or_fail("TCP listener")?;
    let port = listener.local_addr().or_fail("listener address")?.port();
    enforce_allowing(shape, &[(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)])?;
    expect_errno(
        "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) from user space",
        socket(AF_INET, SOCK_STREAM, libc::IPPROTO_TCP),
        Errno::EACCES,
    )?;
    // Creating it makes the kernel create a TCP subflow socket for it.
    let mptcp = expect_ok(
        "socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP), whose subflow is a kernel socket",
        open_socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP),
    )?;
    expect_ok(
        "connect the MPTCP socket to a TCP listener",
        nsock::connect(mptcp.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, port)),
    )
}

fn layers_intersect() -> TestResult {
    let shape = require_support()?;
    enforce_allowing(shape, &[(AF_UNIX, ANY, ANY), (AF_INET, ANY, ANY)])?;
    enforce_allowing(shape, &[(AF_INET, ANY, ANY), (AF_INET6, ANY, ANY)])?;
    expect_ok(
        "socket(AF_INET) allowed by both layers",
        socket(AF_INET, SOCK_DGRAM, 0),
    )?;
    expect_errno(
        "socket(AF_UNIX) allowed by the first layer only",
        socket(AF_UNIX, SOCK_DGRAM, 0),
        Errno::EACCES,
    )?;
    expect_errno(
        "socket(AF_INET6) allowed by the second layer only",
        socket(AF_INET6, SOCK_DGRAM, 0),
        Errno::EACCES,
    )
}

/// The peer, outside the domain, creates a UDP socket once told to and
/// passes it over `end` with SCM_RIGHTS.
fn send_new_udp_socket(end: &OwnedFd) -> i32 {
    let mut b = [0u8; 1];
    if nix::unistd::read(end.as_raw_fd(), &mut b) != Ok(1) {
        return 1;
    }
    let Ok(udp) = open_socket(AF_INET, SOCK_DGRAM, 0) else {
        return 2;
    };
    let fds = [udp.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let iov = [IoSlice::new(b"f")];
    match nsock::sendmsg::<()>(end.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None) {
        Ok(1) => 0,
        _ => 3,
    }
}

fn receive_fd(end: &OwnedFd) -> Result<OwnedFd, llconf_harness::Stop> {
    let mut buf = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = nsock::recvmsg::<()>(
        end.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .or_fail("recvmsg with SCM_RIGHTS")?;
    for c in msg.cmsgs().or_fail("control messages")? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            if let Some(&fd) = fds.first() {
                // SAFETY: the kernel installed this fd for us.
                return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
            }
        }
    }
    Err(llconf_harness::fail(
        "no descriptor arrived with SCM_RIGHTS",
    ))
}

fn passed_fd_works() -> TestResult {
    let shape = require_support()?;
    enter_loopback_netns()?;
    let (ours, theirs) = nsock::socketpair(
        AddressFamily::Unix,
        SockType::Datagram,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .or_fail("socketpair for the transport")?;
    let peer = Peer::spawn(|ready| {
        ready.signal();
        send_new_udp_socket(&theirs)
    })?;
    drop(theirs);
    peer.wait_ready()?;
    deny_all(shape)?;
    expect_errno(
        "socket(AF_INET, SOCK_DGRAM) in the domain",
        socket(AF_INET, SOCK_DGRAM, 0),
        Errno::EACCES,
    )?;
    nix::unistd::write(&ours, b"go").or_fail("tell the peer to send")?;
    let udp = receive_fd(&ours)?;
    expect_ok(
        "bind the received socket to 127.0.0.1:0",
        nsock::bind(udp.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, 0)),
    )?;
    let me: SockaddrIn = nsock::getsockname(udp.as_raw_fd()).or_fail("getsockname")?;
    let sent = expect_ok(
        "sendto itself on the received socket",
        nsock::sendto(udp.as_raw_fd(), b"abc", &me, MsgFlags::empty()),
    )?;
    ensure!(sent == 3, "sendto sent {sent} bytes, expected 3");
    let mut buf = [0u8; 8];
    let got = expect_ok(
        "recv on the received socket",
        nsock::recv(udp.as_raw_fd(), &mut buf, MsgFlags::empty()),
    )?;
    ensure!(got == 3, "recv got {got} bytes, expected 3");
    ensure!(peer.join() == 0, "the peer failed to pass the socket");
    Ok(())
}

/// Each case carries its own denied twin: the creation by socket(2) in the
/// same domain, one step from what the case allows (accept(2), a kernel
/// socket, a received descriptor), must fail with EACCES first; in
/// `layers_intersect` the family one layer leaves out.
pub fn tests() -> Vec<Test> {
    const IN_CASE: &str = "its denied twin is checked in the case itself: socket(2) in the same domain (EACCES), one step from what it allows";
    vec![
        Test::new("socket::boundaries::accept_not_checked", accept_not_checked)
            .enforcement()
            .untwinned(IN_CASE),
        Test::new(
            "socket::boundaries::kernel_socket_not_checked",
            kernel_socket_not_checked,
        )
        .enforcement()
        .untwinned(IN_CASE),
        Test::new("socket::boundaries::layers_intersect", layers_intersect)
            .enforcement()
            .untwinned(
                "its denied twins are checked in the case itself: the families allowed by one layer only (EACCES)",
            ),
        Test::new("socket::boundaries::scm_rights_fd_works", passed_fd_works)
            .enforcement()
            .untwinned(IN_CASE),
    ]
}
