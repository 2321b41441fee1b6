//! What a domain must leave alone, shared by the independence and older-ABI
//! cases: UDP that no handled right covers, next to the TCP connect that
//! proves the domain is in force.

use llconf_harness::{expect_errno, expect_ok, Errno, TestResult};
use llconf_net::port::DENIED;
use llconf_net::{call, Addr, Family, Listener};
use std::os::fd::OwnedFd;

/// connect(2) and send(2) on `s`, then a first sendto(2) from a fresh
/// socket, all to a port no rule covers: each must go through.
pub fn udp_connect_and_sends(f: Family, s: &OwnedFd) -> TestResult {
    expect_ok(
        "UDP connect(port with no rule)",
        call::connect(s, &Addr::loopback(f, DENIED)),
    )?;
    expect_ok("UDP send()", call::send(s, b"y"))?;
    let s2 = call::udp(f)?;
    expect_ok(
        "UDP first sendto on an unbound socket",
        call::sendto(&s2, b"z", &Addr::loopback(f, DENIED)),
    )
    .map(drop)
}

/// The TCP rights are in force: a connect to a port with no rule is denied
/// and never reaches the listener.
pub fn tcp_connect_denied(f: Family, l: &Listener) -> TestResult {
    expect_errno(
        "TCP connect(port with no rule)",
        call::connect(&call::tcp(f)?, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    l.expect("denied TCP connect", 0)
}
