//! `unix::<type>::unaffected`: what RESOLVE_UNIX must not touch. Nothing
//! here resolves a path: abstract names, socketpair(2), and sockets that
//! arrive already connected through SCM_RIGHTS.

use crate::domain::{enforce_resolve, resolve_case, with_twin};
use crate::server::{self, listen_at};
use crate::sock::{abstract_addr, expect_reach, expect_sent, path_addr, send, Type, MSG};
use llconf_harness::fixture::{Peer, TempTree};
use llconf_harness::{expect_eq, expect_ok, fail, Errno, OrFail, Test, TestResult};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{self as s, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags};
use nix::sys::socket::{SockFlag, UnixAddr};
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};

fn abstract_socket_reachable(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let named = path_addr(&t.path("srv/sock"))?;
    let abs = abstract_addr("srv")?;
    let _peer = server::spawn(ty, &[named, abs])?;
    enforce_resolve(&[])?;
    expect_reach(ty, &abs, None)?;
    expect_reach(ty, &named, Some(Errno::EACCES))
}

fn socketpair_works(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let named = path_addr(&t.path("srv/sock"))?;
    let _peer = server::spawn(ty, &[named])?;
    enforce_resolve(&[])?;
    let (a, b) = expect_ok(
        format!("socketpair(AF_UNIX, {ty})"),
        s::socketpair(AddressFamily::Unix, ty.nix(), None, SockFlag::SOCK_CLOEXEC),
    )?;
    expect_sent("send on the socketpair", send(&a), None)?;
    let mut buf = [0u8; 64];
    let n = expect_ok(
        "recv on the socketpair",
        s::recv(b.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT),
    )?;
    expect_eq("payload through the socketpair", &buf[..n], MSG)?;
    expect_reach(ty, &named, Some(Errno::EACCES))
}

/// The peer (outside any domain) connects a socket to a server the test may
/// not reach, and passes it over SCM_RIGHTS; the sandboxed test sends on it
/// and the peer confirms the payload arrived.
fn scm_rights_fd_usable(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let named = path_addr(&t.path("srv/sock"))?;
    let (mine, theirs) = s::socketpair(
        AddressFamily::Unix,
        s::SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .or_fail("socketpair for the fd channel")?;
    let peer = Peer::spawn(|ready| pass_connected_socket(ty, &named, &theirs, ready))?;
    peer.wait_ready()?;
    drop(theirs);
    enforce_resolve(&[])?;
    let passed = receive_fd(&mine)?;
    expect_sent(
        "send on the socket received by SCM_RIGHTS",
        send(&passed),
        None,
    )?;
    expect_ack(&mine)?;
    expect_reach(ty, &named, Some(Errno::EACCES))
}

/// The peer side of [`scm_rights_fd_usable`]; exit codes say which step
/// failed.
fn pass_connected_socket(
    ty: Type,
    named: &UnixAddr,
    channel: &OwnedFd,
    ready: llconf_harness::fixture::peer::Ready,
) -> i32 {
    let Ok(srv) = listen_at(ty, named) else {
        return 1;
    };
    let Ok(client) = s::socket(AddressFamily::Unix, ty.nix(), SockFlag::SOCK_CLOEXEC, None) else {
        return 2;
    };
    if s::connect(client.as_raw_fd(), named).is_err() {
        return 3;
    }
    let conn = if ty.connection_oriented() {
        match s::accept(srv.as_raw_fd()) {
            // SAFETY: accept returned a new fd that we now own.
            Ok(fd) => unsafe { OwnedFd::from_raw_fd(fd) },
            Err(_) => return 4,
        }
    } else {
        srv
    };
    let fds = [client.as_raw_fd()];
    let sent = s::sendmsg::<UnixAddr>(
        channel.as_raw_fd(),
        &[IoSlice::new(b"fd")],
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    );
    if sent.is_err() {
        return 5;
    }
    drop(client);
    ready.signal();
    let mut buf = [0u8; 64];
    match s::recv(conn.as_raw_fd(), &mut buf, MsgFlags::empty()) {
        Ok(n) if &buf[..n] == MSG => {}
        _ => return 6,
    }
    if s::send(channel.as_raw_fd(), b"got", MsgFlags::empty()).is_err() {
        return 7;
    }
    loop {
        nix::unistd::pause();
    }
}

fn receive_fd(channel: &OwnedFd) -> Result<OwnedFd, llconf_harness::Stop> {
    let mut buf = [0u8; 8];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = expect_ok(
        "recvmsg(SCM_RIGHTS) in the domain",
        s::recvmsg::<UnixAddr>(
            channel.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ),
    )?;
    for cmsg in msg.cmsgs().or_fail("read control messages")? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            if let Some(&fd) = fds.first() {
                // SAFETY: the kernel installed this fd for us.
                return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
            }
        }
    }
    Err(fail("the peer's message carried no SCM_RIGHTS fd"))
}

fn expect_ack(channel: &OwnedFd) -> TestResult {
    let mut fds = [PollFd::new(channel.as_fd(), PollFlags::POLLIN)];
    let n = poll(&mut fds, PollTimeout::from(10_000u16)).or_fail("poll the fd channel")?;
    if n == 0 {
        return Err(fail(
            "the server never received what was sent on the passed socket",
        ));
    }
    let mut buf = [0u8; 8];
    let n = s::recv(channel.as_raw_fd(), &mut buf, MsgFlags::empty()).or_fail("recv ack")?;
    expect_eq("the peer's acknowledgement", &buf[..n], b"got".as_slice())
}

pub fn tests() -> Vec<Test> {
    [
        with_twin(
            resolve_case(
                "unaffected",
                "abstract_socket_reachable",
                abstract_socket_reachable,
            ),
            "connect::denied_without_rules",
        ),
        with_twin(
            resolve_case("unaffected", "socketpair_works", socketpair_works),
            "connect::denied_without_rules",
        ),
        with_twin(
            resolve_case("unaffected", "scm_rights_fd_usable", scm_rights_fd_usable),
            "connect::denied_without_rules",
        ),
    ]
    .concat()
}
