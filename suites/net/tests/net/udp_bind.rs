//! `net::udp::<family>` bind cases: BIND_UDP (ABI 10) on explicit binds.

use crate::bind;
use llconf_harness::abi::net::CONNECT_SEND_UDP;
use llconf_harness::{expect_eq, expect_errno, expect_ok, Errno, OrFail, Test, TestResult};
use llconf_net::case::{table, Case, UDP};
use llconf_net::port::{ALLOWED, ALLOWED2, DENIED};
use llconf_net::{call, domain, Addr, Family, Proto, Receiver};

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

pub fn tests() -> Vec<Test> {
    let cases: [Case; 6] = [
        ("bind_allowed", "bind_denied", |f| {
            let s = bind::allowed(Proto::Udp, f)?;
            let port = call::local_port(&s).or_fail("getsockname")?;
            expect_eq("local port", port, ALLOWED)
        }),
        ("bind_denied", "bind_allowed", |f| {
            bind::denied(Proto::Udp, f)
        }),
        ("bind_port_zero_denied", "bind_port_zero_allowed", |f| {
            bind::port_zero_denied(Proto::Udp, f)
        }),
        ("bind_port_zero_allowed", "bind_port_zero_denied", |f| {
            bind::port_zero_allowed(Proto::Udp, f)
        }),
        // One right apart: BIND_UDP handled with no rule for the port.
        (
            "bind_unhandled_not_checked",
            "bind_denied",
            bind_unhandled_not_checked,
        ),
        ("rule_port_host_endian", "bind_allowed", |f| {
            bind::rule_port_host_endian(Proto::Udp, f)
        }),
    ];
    table("net::udp", UDP, &cases)
}
