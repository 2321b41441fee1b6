//! `net::udp::<family>` send and receive cases: CONNECT_SEND_UDP on every
//! explicit destination (ABI 10), never on a plain send(2) through an
//! allowed connection, and never on receiving.

use llconf_harness::abi::net::{BIND_UDP, CONNECT_SEND_UDP};
use llconf_harness::{expect_eq, expect_errno, expect_ok, Errno, Test, TestResult};
use llconf_net::case::{table, Case, UDP};
use llconf_net::port::{ALLOWED, ALLOWED2, DENIED};
use llconf_net::setup::udp_connected;
use llconf_net::{call, domain, Addr, Family, Receiver};
use std::os::fd::OwnedFd;

const SEND: u64 = CONNECT_SEND_UDP;

type Send = fn(&OwnedFd, &[u8], &Addr) -> Result<usize, Errno>;

fn sendto(s: &OwnedFd, data: &[u8], to: &Addr) -> Result<usize, Errno> {
    call::sendto(s, data, to)
}

fn sendmsg(s: &OwnedFd, data: &[u8], to: &Addr) -> Result<usize, Errno> {
    call::sendmsg(s, data, Some(to))
}

fn allowed(f: Family, name: &str, send: Send) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    expect_eq(
        format!("{name}(allowed port)"),
        send(&call::udp(f)?, b"abc", &Addr::loopback(f, ALLOWED)),
        Ok(3),
    )?;
    r.expect(&format!("allowed {name}"), 1)
}

fn denied(f: Family, name: &str, send: Send) -> TestResult {
    let r = Receiver::bind(f, DENIED)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    expect_errno(
        format!("{name}(denied port)"),
        send(&call::udp(f)?, b"abc", &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    r.expect(&format!("denied {name}"), 0)
}

fn sendto_explicit_on_connected_denied(f: Family) -> TestResult {
    let a = Receiver::bind(f, ALLOWED)?;
    let d = Receiver::bind(f, DENIED)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    let s = udp_connected(f, ALLOWED, "connect(allowed port)")?;
    expect_errno(
        "sendto(denied port) on a connected socket",
        call::sendto(&s, b"x", &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    expect_errno(
        "sendmsg(denied port) on a connected socket",
        call::sendmsg(&s, b"x", Some(&Addr::loopback(f, DENIED))),
        Errno::EACCES,
    )?;
    d.expect("explicit denied destination on a connected socket", 0)?;
    expect_ok("send() to the connected peer", call::send(&s, b"y"))?;
    a.expect("send() to the connected peer", 1)
}

fn sendto_explicit_on_connected_allowed(f: Family) -> TestResult {
    let a2 = Receiver::bind(f, ALLOWED2)?;
    domain::enforce(SEND, &[(ALLOWED, SEND), (ALLOWED2, SEND)])?;
    let s = udp_connected(f, ALLOWED, "connect(allowed port)")?;
    expect_ok(
        "sendto(other allowed port) on a connected socket",
        call::sendto(&s, b"x", &Addr::loopback(f, ALLOWED2)),
    )?;
    a2.expect("explicit allowed destination on a connected socket", 1)
}

fn send_connected_not_rechecked(f: Family) -> TestResult {
    let a = Receiver::bind(f, ALLOWED)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    let s = udp_connected(f, ALLOWED, "connect(allowed port)")?;
    // Now no port at all is allowed, yet the existing association stands.
    domain::enforce(SEND | BIND_UDP, &[])?;
    expect_ok(
        "send() on a socket connected while allowed",
        call::send(&s, b"x"),
    )?;
    expect_ok(
        "sendmsg(no address) on a socket connected while allowed",
        call::sendmsg(&s, b"y", None),
    )?;
    a.expect("sends through the earlier connection", 2)?;
    explicit_to_peer_denied(
        f,
        &s,
        &a,
        "sendto(the same port, explicit) under the deny-all layer",
        "explicit send under the deny-all layer",
    )
}

fn connected_before_sandbox_keeps_sending(f: Family) -> TestResult {
    let a = Receiver::bind(f, ALLOWED)?;
    let s = udp_connected(f, ALLOWED, "connect before the sandbox")?;
    domain::enforce(SEND | BIND_UDP, &[])?;
    expect_ok(
        "send() on a socket connected before restrict_self",
        call::send(&s, b"x"),
    )?;
    a.expect("send on a pre-sandbox connection", 1)?;
    explicit_to_peer_denied(
        f,
        &s,
        &a,
        "sendto(the connected port, explicit)",
        "explicit send on a pre-sandbox connection",
    )
}

/// The connection does not cover its own peer once the address is
/// explicit: the sendto is checked like any other, and nothing arrives.
fn explicit_to_peer_denied(
    f: Family,
    s: &OwnedFd,
    peer: &Receiver,
    call_what: &str,
    arrival_what: &str,
) -> TestResult {
    expect_errno(
        call_what,
        call::sendto(s, b"z", &Addr::loopback(f, peer.port)),
        Errno::EACCES,
    )?;
    peer.expect(arrival_what, 0)
}

fn sendmmsg_stops_at_first_denied(f: Family) -> TestResult {
    let a = Receiver::bind(f, ALLOWED)?;
    let d = Receiver::bind(f, DENIED)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    let s = call::udp(f)?;
    let (ok, no) = (Addr::loopback(f, ALLOWED), Addr::loopback(f, DENIED));
    let sent = call::sendmmsg(&s, b"m", &[ok, no, ok]);
    println!("sendmmsg([allowed, denied, allowed]) = {sent:?}");
    expect_eq(
        "sendmmsg([allowed, denied, allowed]) messages sent",
        sent,
        Ok(1),
    )?;
    a.expect("sendmmsg up to the denied message", 1)?;
    d.expect("sendmmsg's denied message", 0)?;
    let sent = call::sendmmsg(&s, b"m", &[no, ok]);
    println!("sendmmsg([denied, allowed]) = {sent:?}");
    expect_errno("sendmmsg([denied, allowed])", sent, Errno::EACCES)?;
    a.expect("sendmmsg after a denied first message", 0)?;
    d.expect("sendmmsg's denied first message", 0)
}

/// The twin of `sendmmsg_stops_at_first_denied`, one rule apart: with the
/// middle port allowed too, every message goes out.
fn sendmmsg_all_allowed(f: Family) -> TestResult {
    let a = Receiver::bind(f, ALLOWED)?;
    let a2 = Receiver::bind(f, ALLOWED2)?;
    domain::enforce(SEND, &[(ALLOWED, SEND), (ALLOWED2, SEND)])?;
    let s = call::udp(f)?;
    let (ok, ok2) = (Addr::loopback(f, ALLOWED), Addr::loopback(f, ALLOWED2));
    expect_eq(
        "sendmmsg([allowed, other allowed, allowed]) messages sent",
        call::sendmmsg(&s, b"m", &[ok, ok2, ok]),
        Ok(3),
    )?;
    a.expect("sendmmsg to the allowed port", 2)?;
    a2.expect("sendmmsg to the other allowed port", 1)
}

fn recvmsg_once(fd: i32, wait: bool) -> Result<usize, Errno> {
    if wait {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd.
        unsafe {
            libc::poll(
                &mut p,
                1,
                llconf_net::count::ARRIVAL_WAIT.as_millis() as i32,
            )
        };
    }
    let mut buf = [0u8; 64];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: all-zero is a valid msghdr; it points to live buffers below.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_name = (&mut ss as *mut libc::sockaddr_storage).cast();
    m.msg_namelen = std::mem::size_of_val(&ss) as libc::socklen_t;
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    let r = unsafe { libc::recvmsg(fd, &mut m, libc::MSG_DONTWAIT) };
    Errno::result(r).map(|n| n as usize)
}

/// Receiving is never checked, even on a port no rule covers.
fn recv_not_restricted(f: Family) -> TestResult {
    let r = Receiver::bind(f, DENIED)?;
    let sender = udp_connected(f, DENIED, "connect the sender before the sandbox")?;
    domain::enforce(SEND | BIND_UDP, &[])?;
    expect_ok(
        "send() on the pre-sandbox connection",
        call::send(&sender, b"one"),
    )?;
    let got = r.collect(1, llconf_net::count::ARRIVAL_WAIT);
    expect_eq("recvfrom on the denied port: datagrams", got.len(), 1)?;
    expect_eq("recvfrom: payload", got[0].0.as_slice(), b"one".as_slice())?;
    expect_ok(
        "send() on the pre-sandbox connection",
        call::send(&sender, b"two"),
    )?;
    expect_eq(
        "recvmsg on the denied port",
        recvmsg_once(r.fd(), true),
        Ok(3),
    )?;
    let fresh = call::udp(f)?;
    expect_errno(
        "sendto(denied port) from inside the sandbox",
        call::sendto(&fresh, b"x", &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    expect_eq(
        "recvmsg after the denied sendto",
        recvmsg_once(r.fd(), false),
        Err(Errno::EAGAIN),
    )?;
    Ok(())
}

pub fn tests() -> Vec<Test> {
    let cases: [Case; 11] = [
        ("sendto_allowed", "sendto_denied", |f| {
            allowed(f, "sendto", sendto)
        }),
        ("sendto_denied", "sendto_allowed", |f| {
            denied(f, "sendto", sendto)
        }),
        ("sendmsg_allowed", "sendmsg_denied", |f| {
            allowed(f, "sendmsg", sendmsg)
        }),
        ("sendmsg_denied", "sendmsg_allowed", |f| {
            denied(f, "sendmsg", sendmsg)
        }),
        (
            "sendto_explicit_on_connected_denied",
            "sendto_explicit_on_connected_allowed",
            sendto_explicit_on_connected_denied,
        ),
        (
            "sendto_explicit_on_connected_allowed",
            "sendto_explicit_on_connected_denied",
            sendto_explicit_on_connected_allowed,
        ),
        // Twin: the explicit destination on a connected socket is checked.
        (
            "send_connected_not_rechecked",
            "sendto_explicit_on_connected_denied",
            send_connected_not_rechecked,
        ),
        (
            "connected_before_sandbox_keeps_sending",
            "sendto_explicit_on_connected_denied",
            connected_before_sandbox_keeps_sending,
        ),
        (
            "sendmmsg_stops_at_first_denied",
            "sendmmsg_all_allowed",
            sendmmsg_stops_at_first_denied,
        ),
        (
            "sendmmsg_all_allowed",
            "sendmmsg_stops_at_first_denied",
            sendmmsg_all_allowed,
        ),
        // Twin: sending to the same port no rule covers is denied.
        ("recv_not_restricted", "sendto_denied", recv_not_restricted),
    ];
    table("net::udp", UDP, &cases)
}
