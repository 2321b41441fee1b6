//! The bind cases that read the same for TCP and UDP: only the socket and
//! the right (BIND_TCP or BIND_UDP) differ.

use llconf_harness::Stop;
use llconf_harness::{ensure, expect_eq, expect_errno, expect_ok, Errno, OrFail, TestResult};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, domain, Addr, Family, Proto};
use std::os::fd::OwnedFd;

fn enforce(p: Proto, port: u16) -> TestResult {
    domain::enforce(p.bind_right(), &[(port, p.bind_right())])
}

/// The socket bound to the allowed port, for the caller's own checks.
pub fn allowed(p: Proto, f: Family) -> Result<OwnedFd, Stop> {
    enforce(p, ALLOWED)?;
    let s = p.socket(f)?;
    expect_ok(
        "bind(allowed port)",
        call::bind(&s, &Addr::loopback(f, ALLOWED)),
    )?;
    Ok(s)
}

pub fn denied(p: Proto, f: Family) -> TestResult {
    enforce(p, ALLOWED)?;
    let s = p.socket(f)?;
    expect_errno(
        "bind(denied port)",
        call::bind(&s, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    expect_ok("getsockname after the denied bind", call::local_port(&s))
        .and_then(|p| expect_eq("local port after the denied bind", p, 0))
}

pub fn port_zero_denied(p: Proto, f: Family) -> TestResult {
    enforce(p, ALLOWED)?;
    expect_errno(
        "bind(port 0) without a rule for port 0",
        call::bind(&p.socket(f)?, &Addr::loopback(f, 0)),
        Errno::EACCES,
    )
}

pub fn port_zero_allowed(p: Proto, f: Family) -> TestResult {
    enforce(p, 0)?;
    let s = p.socket(f)?;
    expect_ok(
        "bind(port 0) with a rule for port 0",
        call::bind(&s, &Addr::loopback(f, 0)),
    )?;
    ensure!(
        call::local_port(&s).or_fail("getsockname")? != 0,
        "bind(port 0) succeeded but left the socket without a port"
    );
    expect_errno(
        "bind(denied port): a rule for port 0 allows only the ephemeral bind",
        call::bind(&p.socket(f)?, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )
}

/// 0x0102 in a rule is port 258 on the wire, never 513 (0x0201).
pub fn rule_port_host_endian(p: Proto, f: Family) -> TestResult {
    let (port, swapped) = (0x0102u16, 0x0201u16);
    enforce(p, port)?;
    let s = p.socket(f)?;
    expect_ok(
        "bind(the rule's port, host-endian)",
        call::bind(&s, &Addr::loopback(f, port)),
    )?;
    expect_errno(
        "bind(the rule's port byte-swapped)",
        call::bind(&p.socket(f)?, &Addr::loopback(f, swapped)),
        Errno::EACCES,
    )
}
