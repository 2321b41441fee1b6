//! `net::udp::<family>` bind cases: BIND_UDP (ABI 10) on explicit binds.

use crate::case::{enforced, Case, UDP};
use llconf_harness::abi::net::{BIND_UDP, CONNECT_SEND_UDP};
use llconf_harness::{ensure, expect_eq, expect_errno, expect_ok, Errno, OrFail, Test, TestResult};
use llconf_net::port::{ALLOWED, ALLOWED2, DENIED};
use llconf_net::{call, domain, Addr, Family, Receiver};

fn bind_allowed(f: Family) -> TestResult {
    domain::enforce(BIND_UDP, &[(ALLOWED, BIND_UDP)])?;
    let s = call::udp(f)?;
    expect_ok(
        "bind(allowed port)",
        call::bind(&s, &Addr::loopback(f, ALLOWED)),
    )?;
    expect_eq(
        "local port",
        call::local_port(&s).or_fail("getsockname")?,
        ALLOWED,
    )
}

fn bind_denied(f: Family) -> TestResult {
    domain::enforce(BIND_UDP, &[(ALLOWED, BIND_UDP)])?;
    let s = call::udp(f)?;
    expect_errno(
        "bind(denied port)",
        call::bind(&s, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    expect_eq(
        "local port after the denied bind",
        call::local_port(&s).or_fail("getsockname")?,
        0,
    )
}

fn bind_port_zero_denied(f: Family) -> TestResult {
    domain::enforce(BIND_UDP, &[(ALLOWED, BIND_UDP)])?;
    let s = call::udp(f)?;
    expect_errno(
        "bind(port 0) without a rule for port 0",
        call::bind(&s, &Addr::loopback(f, 0)),
        Errno::EACCES,
    )
}

fn bind_port_zero_allowed(f: Family) -> TestResult {
    domain::enforce(BIND_UDP, &[(0, BIND_UDP)])?;
    let s = call::udp(f)?;
    expect_ok(
        "bind(port 0) with a rule for port 0",
        call::bind(&s, &Addr::loopback(f, 0)),
    )?;
    ensure!(
        call::local_port(&s).or_fail("getsockname")? != 0,
        "bind(port 0) succeeded but left the socket without a port"
    );
    let s2 = call::udp(f)?;
    expect_errno(
        "bind(denied port): a rule for port 0 allows only the ephemeral bind",
        call::bind(&s2, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )
}

fn bind_unhandled_not_checked(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED2)?;
    domain::enforce(CONNECT_SEND_UDP, &[])?;
    let s = call::udp(f)?;
    expect_ok(
        "bind(any port) when only CONNECT_SEND_UDP is handled",
        call::bind(&s, &Addr::loopback(f, DENIED)),
    )?;
    // The domain is real: a send is checked.
    expect_errno(
        "sendto(no rule)",
        call::sendto(&s, b"x", &Addr::loopback(f, ALLOWED2)),
        Errno::EACCES,
    )?;
    r.expect("denied sendto", 0)
}

/// 0x0102 in a rule is port 258 on the wire, never 513 (0x0201).
fn rule_port_host_endian(f: Family) -> TestResult {
    let (port, swapped) = (0x0102u16, 0x0201u16);
    domain::enforce(BIND_UDP, &[(port, BIND_UDP)])?;
    let s = call::udp(f)?;
    expect_ok(
        "bind(the rule's port, host-endian)",
        call::bind(&s, &Addr::loopback(f, port)),
    )?;
    let s2 = call::udp(f)?;
    expect_errno(
        "bind(the rule's port byte-swapped)",
        call::bind(&s2, &Addr::loopback(f, swapped)),
        Errno::EACCES,
    )
}

pub fn tests() -> Vec<Test> {
    let cases: [Case; 6] = [
        ("bind_allowed", bind_allowed),
        ("bind_denied", bind_denied),
        ("bind_port_zero_denied", bind_port_zero_denied),
        ("bind_port_zero_allowed", bind_port_zero_allowed),
        ("bind_unhandled_not_checked", bind_unhandled_not_checked),
        ("rule_port_host_endian", rule_port_host_endian),
    ];
    cases
        .into_iter()
        .flat_map(|(name, body)| enforced("net::udp", UDP, name, body))
        .collect()
}
