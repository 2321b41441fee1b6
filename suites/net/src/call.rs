//! The socket calls under test, with raw arguments and the raw errno.

use crate::addr::{Addr, Family};
use llconf_harness::{Errno, OrFail, Stop};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub const IPPROTO_MPTCP: libc::c_int = 262;

pub fn socket(fam: Family, ty: libc::c_int, proto: libc::c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: plain integer arguments.
    let fd = unsafe { libc::socket(fam.af(), ty | libc::SOCK_CLOEXEC, proto) };
    Errno::result(fd).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

pub fn tcp(fam: Family) -> Result<OwnedFd, Stop> {
    socket(fam, libc::SOCK_STREAM, 0).or_fail(format!("socket({}, SOCK_STREAM)", fam.name()))
}

pub fn udp(fam: Family) -> Result<OwnedFd, Stop> {
    socket(fam, libc::SOCK_DGRAM, 0).or_fail(format!("socket({}, SOCK_DGRAM)", fam.name()))
}

fn len(a: &Addr) -> libc::socklen_t {
    a.len as libc::socklen_t
}

pub fn bind(fd: &impl AsRawFd, a: &Addr) -> Result<(), Errno> {
    // SAFETY: the address buffer holds at least len bytes.
    Errno::result(unsafe { libc::bind(fd.as_raw_fd(), a.as_ptr(), len(a)) }).map(drop)
}

pub fn connect(fd: &impl AsRawFd, a: &Addr) -> Result<(), Errno> {
    connect_raw(fd.as_raw_fd(), a)
}

/// For threads that share a socket by its number.
pub fn connect_raw(fd: RawFd, a: &Addr) -> Result<(), Errno> {
    // SAFETY: as for bind.
    Errno::result(unsafe { libc::connect(fd, a.as_ptr(), len(a)) }).map(drop)
}

pub fn listen(fd: &impl AsRawFd) -> Result<(), Errno> {
    // SAFETY: plain integer arguments.
    Errno::result(unsafe { libc::listen(fd.as_raw_fd(), 4096) }).map(drop)
}

/// sendto(2) with flags; `None` passes a NULL address.
pub fn sendto_raw(
    fd: RawFd,
    data: &[u8],
    flags: libc::c_int,
    to: Option<&Addr>,
) -> Result<usize, Errno> {
    let (p, l) = match to {
        Some(a) => (a.as_ptr(), len(a)),
        None => (std::ptr::null(), 0),
    };
    // SAFETY: data and the address are readable for the lengths given.
    let r = unsafe { libc::sendto(fd, data.as_ptr().cast(), data.len(), flags, p, l) };
    Errno::result(r).map(|n| n as usize)
}

pub fn sendto(fd: &impl AsRawFd, data: &[u8], to: &Addr) -> Result<usize, Errno> {
    sendto_raw(fd.as_raw_fd(), data, libc::MSG_DONTWAIT, Some(to))
}

/// send(2): no address at all.
pub fn send(fd: &impl AsRawFd, data: &[u8]) -> Result<usize, Errno> {
    sendto_raw(fd.as_raw_fd(), data, libc::MSG_DONTWAIT, None)
}

fn msghdr(iov: &mut libc::iovec, to: Option<&Addr>) -> libc::msghdr {
    // SAFETY: all-zero is a valid msghdr.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    if let Some(a) = to {
        m.msg_name = a.as_ptr() as *mut libc::c_void;
        m.msg_namelen = len(a);
    }
    m.msg_iov = iov;
    m.msg_iovlen = 1;
    m
}

pub fn sendmsg(fd: &impl AsRawFd, data: &[u8], to: Option<&Addr>) -> Result<usize, Errno> {
    sendmsg_raw(fd.as_raw_fd(), data, libc::MSG_DONTWAIT, to)
}

/// sendmsg(2) with flags, for threads that share a socket by its number.
pub fn sendmsg_raw(
    fd: RawFd,
    data: &[u8],
    flags: libc::c_int,
    to: Option<&Addr>,
) -> Result<usize, Errno> {
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    let m = msghdr(&mut iov, to);
    // SAFETY: m points to live buffers.
    let r = unsafe { libc::sendmsg(fd, &m, flags) };
    Errno::result(r).map(|n| n as usize)
}

/// sendmmsg(2) with one datagram per destination; returns how many went out.
pub fn sendmmsg(fd: &impl AsRawFd, data: &[u8], to: &[Addr]) -> Result<usize, Errno> {
    let mut iovs: Vec<libc::iovec> = to
        .iter()
        .map(|_| libc::iovec {
            iov_base: data.as_ptr() as *mut libc::c_void,
            iov_len: data.len(),
        })
        .collect();
    let mut msgs: Vec<libc::mmsghdr> = iovs
        .iter_mut()
        .zip(to)
        .map(|(iov, a)| libc::mmsghdr {
            msg_hdr: msghdr(iov, Some(a)),
            msg_len: 0,
        })
        .collect();
    // SAFETY: every header points to live buffers.
    let r = unsafe {
        libc::sendmmsg(
            fd.as_raw_fd(),
            msgs.as_mut_ptr(),
            msgs.len() as libc::c_uint,
            libc::MSG_DONTWAIT,
        )
    };
    Errno::result(r).map(|n| n as usize)
}

type NameCall =
    unsafe extern "C" fn(libc::c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int;

/// The port of an IPv4 or IPv6 address: both keep it at bytes 2 and 3.
pub fn port_of(ss: &libc::sockaddr_storage) -> u16 {
    // SAFETY: sockaddr_storage is larger than 4 bytes.
    let b: [u8; 4] = unsafe { *(ss as *const libc::sockaddr_storage).cast::<[u8; 4]>() };
    u16::from_be_bytes([b[2], b[3]])
}

fn name_port(fd: &impl AsRawFd, get: NameCall) -> Result<u16, Errno> {
    // SAFETY: sockaddr_storage is large enough for any address.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut l = std::mem::size_of_val(&ss) as libc::socklen_t;
    Errno::result(unsafe {
        get(
            fd.as_raw_fd(),
            (&mut ss as *mut libc::sockaddr_storage).cast(),
            &mut l,
        )
    })?;
    Ok(port_of(&ss))
}

/// The local port a socket is bound to (0 when unbound).
pub fn local_port(fd: &impl AsRawFd) -> Result<u16, Errno> {
    name_port(fd, libc::getsockname)
}

/// getpeername(2): ENOTCONN once a socket is disconnected.
pub fn peer_port(fd: &impl AsRawFd) -> Result<u16, Errno> {
    name_port(fd, libc::getpeername)
}

/// setsockopt(2) with an option value of type `T`.
pub fn set_opt<T>(fd: RawFd, level: libc::c_int, name: libc::c_int, v: &T) -> Result<(), Errno> {
    // SAFETY: v is a live T and its size is passed with it.
    Errno::result(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (v as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

pub fn set_int_opt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    v: libc::c_int,
) -> Result<(), Errno> {
    set_opt(fd, level, name, &v)
}

/// Zero linger: the socket closes with an RST and leaves no TIME_WAIT, so
/// that loops over fixed ports never run out of them.
pub fn linger_rst(fd: RawFd) -> Result<(), Errno> {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    set_opt(fd, libc::SOL_SOCKET, libc::SO_LINGER, &linger)
}

/// setsockopt(IPV6_ADDRFORM, AF_INET): turns a connected IPv6 socket into
/// an IPv4 one.
pub fn addrform_to_v4(fd: RawFd) -> Result<(), Errno> {
    set_int_opt(fd, libc::IPPROTO_IPV6, libc::IPV6_ADDRFORM, libc::AF_INET)
}

/// The socket's current family, read back with SO_DOMAIN.
pub fn domain_of(fd: RawFd) -> Result<libc::c_int, Errno> {
    let mut v: libc::c_int = 0;
    let mut l = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: an int option of the right size.
    Errno::result(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_DOMAIN,
            (&mut v as *mut libc::c_int).cast(),
            &mut l,
        )
    })?;
    Ok(v)
}
