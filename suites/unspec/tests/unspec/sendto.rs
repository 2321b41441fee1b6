//! sendto(2) with AF_UNSPEC on UDP (ABI 10). IPv4 reads the address as
//! AF_INET and checks its port; IPv6 takes AF_UNSPEC as "no address", which
//! Landlock denies outright when CONNECT_SEND_UDP is handled, because the
//! socket may turn IPv4 under it (IPV6_ADDRFORM).

use llconf_harness::abi::net::{BIND_UDP, CONNECT_SEND_UDP};
use llconf_harness::{expect_eq, expect_errno, expect_ok, Errno, OrFail, Stop, Test, TestResult};
use llconf_net::case::{one, twin_name, Case, UDP};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::setup::udp_connected;
use llconf_net::{call, domain, Addr, Family, Receiver};
use std::os::fd::OwnedFd;

const SEND: u64 = CONNECT_SEND_UDP;

/// A receiver on `port`, created before the sandbox that allows sending to
/// ALLOWED only.
fn sandboxed(f: Family, port: u16) -> Result<Receiver, Stop> {
    let r = Receiver::bind(f, port)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    Ok(r)
}

fn v4_allowed_port(f: Family) -> TestResult {
    let r = sandboxed(f, ALLOWED)?;
    let a = Addr::unspec(f, ALLOWED);
    expect_eq(
        format!("sendto({a})"),
        call::sendto(&call::udp(f)?, b"abc", &a),
        Ok(3),
    )?;
    r.expect("AF_UNSPEC read as AF_INET, allowed port", 1)
}

/// A sendto(a) that fails with `expected` and sends nothing to `port`.
fn v4_refused(f: Family, port: u16, a: Addr, expected: Errno, what: &str) -> TestResult {
    let r = sandboxed(f, port)?;
    expect_errno(
        format!("sendto({a})"),
        call::sendto(&call::udp(f)?, b"x", &a),
        expected,
    )?;
    r.expect(what, 0)
}

/// Both AF_UNSPEC forms are denied on an IPv6 socket, whatever its state.
fn v6_both_forms_denied(f: Family, s: &OwnedFd, state: &str) -> TestResult {
    for a in [Addr::unspec_minimal(), Addr::unspec(f, ALLOWED)] {
        expect_errno(
            format!("sendto({a}) on {state}"),
            call::sendto(s, b"x", &a),
            Errno::EACCES,
        )?;
    }
    Ok(())
}

fn v6_denied_unconnected(f: Family) -> TestResult {
    let r = sandboxed(f, ALLOWED)?;
    v6_both_forms_denied(f, &call::udp(f)?, "an unconnected IPv6 socket")?;
    r.expect("AF_UNSPEC on IPv6", 0)
}

fn v6_denied_connected(f: Family) -> TestResult {
    let r = sandboxed(f, ALLOWED)?;
    let s = udp_connected(f, ALLOWED, "connect(allowed port)")?;
    v6_both_forms_denied(f, &s, "an IPv6 socket connected to an allowed port")?;
    r.expect("AF_UNSPEC on a connected IPv6 socket", 0)?;
    expect_ok("send() to the connected peer", call::send(&s, b"y"))?;
    r.expect("send() to the connected peer", 1)
}

/// Without CONNECT_SEND_UDP handled, IPv6's own meaning shows through.
fn v6_unhandled_no_address(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(BIND_UDP, &[(0, BIND_UDP)])?;
    let s = call::udp(f)?;
    let a = Addr::unspec_minimal();
    expect_errno(
        format!("sendto({a}), unconnected"),
        call::sendto(&s, b"x", &a),
        Errno::EDESTADDRREQ,
    )?;
    call::connect(&s, &Addr::loopback(f, ALLOWED)).or_fail("connect")?;
    expect_ok(
        format!("sendto({a}), connected: falls back to the peer"),
        call::sendto(&s, b"x", &a),
    )?;
    r.expect("AF_UNSPEC as no address", 1)?;
    expect_errno(
        "bind(denied port): the domain is real",
        call::bind(&call::udp(f)?, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )
}

pub fn tests() -> Vec<Test> {
    let v4: [Case; 3] = [
        (
            "sendto_unspec_allowed_port",
            "sendto_unspec_denied_port",
            v4_allowed_port,
        ),
        (
            "sendto_unspec_denied_port",
            "sendto_unspec_allowed_port",
            |f| {
                let a = Addr::unspec(f, DENIED);
                let what = "AF_UNSPEC read as AF_INET, denied port";
                v4_refused(f, DENIED, a, Errno::EACCES, what)
            },
        ),
        // Twin: the whole 16-byte address reaches the port rules.
        (
            "sendto_unspec_minimal_einval",
            "sendto_unspec_allowed_port",
            |f| {
                let a = Addr::unspec_minimal();
                v4_refused(f, ALLOWED, a, Errno::EINVAL, "2-byte AF_UNSPEC address")
            },
        ),
    ];
    // One right apart: without CONNECT_SEND_UDP handled, AF_UNSPEC on IPv6
    // is "no address" and a connected socket sends to its peer.
    let v6: [Case; 3] = [
        (
            "sendto_unspec_unconnected_denied",
            "sendto_unspec_unhandled_is_no_address",
            v6_denied_unconnected,
        ),
        (
            "sendto_unspec_connected_denied",
            "sendto_unspec_unhandled_is_no_address",
            v6_denied_connected,
        ),
        (
            "sendto_unspec_unhandled_is_no_address",
            "sendto_unspec_connected_denied",
            v6_unhandled_no_address,
        ),
    ];
    let on = |f: Family, cases: [Case; 3]| {
        cases.into_iter().map(move |(name, twin, body)| {
            one("unspec::udp", f, name, UDP, body).twin(twin_name("unspec::udp", f, twin))
        })
    };
    on(Family::V4, v4).chain(on(Family::V6, v6)).collect()
}
