//! The three socket types every case runs with, and the calls the cases
//! make. Each call hands back the kernel's answer untouched, so that a case
//! can assert the exact errno.

use llconf_harness::{expect_eq, expect_ok, expect_result, Errno, OrFail, Stop, TestResult};
use nix::sys::socket::{self as s, AddressFamily, MsgFlags, SockFlag, UnixAddr};
use std::fmt;
use std::io::IoSlice;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Stream,
    Dgram,
    Seqpacket,
}

impl Type {
    pub const ALL: [Type; 3] = [Type::Stream, Type::Dgram, Type::Seqpacket];

    pub fn name(self) -> &'static str {
        match self {
            Type::Stream => "stream",
            Type::Dgram => "dgram",
            Type::Seqpacket => "seqpacket",
        }
    }

    pub fn nix(self) -> s::SockType {
        match self {
            Type::Stream => s::SockType::Stream,
            Type::Dgram => s::SockType::Datagram,
            Type::Seqpacket => s::SockType::SeqPacket,
        }
    }

    pub fn connection_oriented(self) -> bool {
        self != Type::Dgram
    }

    /// A different type, for a server that the client's type cannot reach.
    pub fn other(self) -> Type {
        match self {
            Type::Stream => Type::Dgram,
            Type::Dgram | Type::Seqpacket => Type::Stream,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The payload every send carries.
pub const MSG: &[u8] = b"llconf";

pub fn socket(ty: Type) -> Result<OwnedFd, Stop> {
    s::socket(AddressFamily::Unix, ty.nix(), SockFlag::SOCK_CLOEXEC, None)
        .or_fail(format!("socket(AF_UNIX, {ty})"))
}

pub fn path_addr(path: &Path) -> Result<UnixAddr, Stop> {
    UnixAddr::new(path).or_fail(format!("sockaddr_un for {}", path.display()))
}

/// An abstract address no other test process uses: the abstract namespace
/// is shared by every process in the network namespace.
pub fn abstract_addr(tag: &str) -> Result<UnixAddr, Stop> {
    let name = format!("llconf-unix-{}-{tag}", std::process::id());
    UnixAddr::new_abstract(name.as_bytes()).or_fail(format!("abstract sockaddr_un @{name}"))
}

pub fn connect(fd: &OwnedFd, addr: &UnixAddr) -> Result<(), Errno> {
    s::connect(fd.as_raw_fd(), addr)
}

// Sends never block: a full queue must fail the test, not hang it.

pub fn sendto(fd: &OwnedFd, addr: &UnixAddr) -> Result<usize, Errno> {
    s::sendto(fd.as_raw_fd(), MSG, addr, MsgFlags::MSG_DONTWAIT)
}

pub fn sendmsg_to(fd: &OwnedFd, addr: &UnixAddr) -> Result<usize, Errno> {
    s::sendmsg(
        fd.as_raw_fd(),
        &[IoSlice::new(MSG)],
        &[],
        MsgFlags::MSG_DONTWAIT,
        Some(addr),
    )
}

pub fn send(fd: &OwnedFd) -> Result<usize, Errno> {
    s::send(fd.as_raw_fd(), MSG, MsgFlags::MSG_DONTWAIT)
}

/// Asserts a send's outcome; a success must have sent the whole payload.
pub fn expect_sent(
    what: impl fmt::Display,
    r: Result<usize, Errno>,
    expected: Option<Errno>,
) -> TestResult {
    match expected {
        None => {
            let n = expect_ok(&what, r)?;
            expect_eq(format!("bytes sent by {what}"), n, MSG.len())
        }
        Some(_) => expect_result(what, r, expected),
    }
}

/// Asserts how a fresh socket of `ty` reaches `addr` (`None`: it does).
/// Every type tries connect(2); a datagram socket also tries sendto(2) and
/// sendmsg(2) with the address, which resolve it on their own path.
pub fn expect_reach(ty: Type, addr: &UnixAddr, expected: Option<Errno>) -> TestResult {
    let fd = socket(ty)?;
    expect_result(
        format!("connect({ty}, {addr})"),
        connect(&fd, addr),
        expected,
    )?;
    if ty == Type::Dgram {
        let fd = socket(ty)?;
        expect_sent(format!("sendto({ty}, {addr})"), sendto(&fd, addr), expected)?;
        let fd = socket(ty)?;
        expect_sent(
            format!("sendmsg({ty}, {addr})"),
            sendmsg_to(&fd, addr),
            expected,
        )?;
    }
    Ok(())
}

/// What sendto(2) with an address gives on an unconnected socket when
/// resolving that address would give `resolved`. Only datagram sockets
/// resolve it; stream sockets refuse any address and seqpacket sockets
/// refuse to send before they are connected.
pub fn unconnected_explicit(ty: Type, resolved: Option<Errno>) -> Option<Errno> {
    match ty {
        Type::Dgram => resolved,
        Type::Stream => Some(Errno::EOPNOTSUPP),
        Type::Seqpacket => Some(Errno::ENOTCONN),
    }
}

/// The same on a connected socket: stream sockets say EISCONN, seqpacket
/// sockets ignore the address and send to their peer.
pub fn connected_explicit(ty: Type, resolved: Option<Errno>) -> Option<Errno> {
    match ty {
        Type::Dgram => resolved,
        Type::Stream => Some(Errno::EISCONN),
        Type::Seqpacket => None,
    }
}
