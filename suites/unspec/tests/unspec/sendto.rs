//! sendto(2) with AF_UNSPEC on UDP (ABI 10). IPv4 reads the address as
//! AF_INET and checks its port; IPv6 takes AF_UNSPEC as "no address", which
//! Landlock denies outright when CONNECT_SEND_UDP is handled, because the
//! socket may turn IPv4 under it (IPV6_ADDRFORM).

use crate::case::{one, UDP};
use llconf_harness::abi::net::{BIND_UDP, CONNECT_SEND_UDP};
use llconf_harness::{expect_eq, expect_errno, expect_ok, Errno, OrFail, Test, TestResult};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, domain, Addr, Family, Receiver};

const SEND: u64 = CONNECT_SEND_UDP;

fn v4_allowed_port(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    let a = Addr::unspec(f, ALLOWED);
    expect_eq(
        format!("sendto({a})"),
        call::sendto(&call::udp(f)?, b"abc", &a),
        Ok(3),
    )?;
    r.expect("AF_UNSPEC read as AF_INET, allowed port", 1)
}

fn v4_denied_port(f: Family) -> TestResult {
    let r = Receiver::bind(f, DENIED)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    let a = Addr::unspec(f, DENIED);
    expect_errno(
        format!("sendto({a})"),
        call::sendto(&call::udp(f)?, b"abc", &a),
        Errno::EACCES,
    )?;
    r.expect("AF_UNSPEC read as AF_INET, denied port", 0)
}

fn v4_minimal_einval(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    let a = Addr::unspec_minimal();
    expect_errno(
        format!("sendto({a})"),
        call::sendto(&call::udp(f)?, b"x", &a),
        Errno::EINVAL,
    )?;
    r.expect("2-byte AF_UNSPEC address", 0)
}

fn v6_denied_unconnected(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    let s = call::udp(f)?;
    for a in [Addr::unspec_minimal(), Addr::unspec(f, ALLOWED)] {
        expect_errno(
            format!("sendto({a}) on an unconnected IPv6 socket"),
            call::sendto(&s, b"x", &a),
            Errno::EACCES,
        )?;
    }
    r.expect("AF_UNSPEC on IPv6", 0)
}

fn v6_denied_connected(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(SEND, &[(ALLOWED, SEND)])?;
    let s = call::udp(f)?;
    expect_ok(
        "connect(allowed port)",
        call::connect(&s, &Addr::loopback(f, ALLOWED)),
    )?;
    for a in [Addr::unspec_minimal(), Addr::unspec(f, ALLOWED)] {
        expect_errno(
            format!("sendto({a}) on an IPv6 socket connected to an allowed port"),
            call::sendto(&s, b"x", &a),
            Errno::EACCES,
        )?;
    }
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
    let (v4, v6) = (Family::V4, Family::V6);
    vec![
        one(
            "unspec::udp",
            v4,
            "sendto_unspec_allowed_port",
            UDP,
            v4_allowed_port,
        ),
        one(
            "unspec::udp",
            v4,
            "sendto_unspec_denied_port",
            UDP,
            v4_denied_port,
        ),
        one(
            "unspec::udp",
            v4,
            "sendto_unspec_minimal_einval",
            UDP,
            v4_minimal_einval,
        ),
        one(
            "unspec::udp",
            v6,
            "sendto_unspec_unconnected_denied",
            UDP,
            v6_denied_unconnected,
        ),
        one(
            "unspec::udp",
            v6,
            "sendto_unspec_connected_denied",
            UDP,
            v6_denied_connected,
        ),
        one(
            "unspec::udp",
            v6,
            "sendto_unspec_unhandled_is_no_address",
            UDP,
            v6_unhandled_no_address,
        ),
    ]
}
