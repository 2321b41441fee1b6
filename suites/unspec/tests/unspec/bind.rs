//! bind(2) with AF_UNSPEC: an IPv4 socket takes AF_UNSPEC with INADDR_ANY
//! as AF_INET, so the bind rules apply; any other address is EAFNOSUPPORT,
//! and an IPv6 socket always answers EAFNOSUPPORT (EINVAL when shorter than
//! its own address).

use crate::case::{one, TCP, UDP};
use llconf_harness::abi::net::{BIND_TCP, BIND_UDP};
use llconf_harness::{expect_errno, expect_ok, Errno, Stop, Test, TestResult};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, domain, Addr, Family};
use std::os::fd::OwnedFd;

fn any_unspec(f: Family, port: u16) -> Addr {
    Addr::any(f, port).with_family(libc::AF_UNSPEC)
}

fn checked_as_inet(sock: fn(Family) -> Result<OwnedFd, Stop>, right: u64) -> TestResult {
    let f = Family::V4;
    domain::enforce(right, &[(ALLOWED, right)])?;
    let a = any_unspec(f, ALLOWED);
    expect_ok(
        format!("bind({a}), INADDR_ANY, allowed port"),
        call::bind(&sock(f)?, &a),
    )?;
    let d = any_unspec(f, DENIED);
    expect_errno(
        format!("bind({d}), INADDR_ANY, denied port"),
        call::bind(&sock(f)?, &d),
        Errno::EACCES,
    )?;
    for len in [2, 15] {
        let short = d.with_len(len);
        expect_errno(
            format!("bind({short})"),
            call::bind(&sock(f)?, &short),
            Errno::EINVAL,
        )?;
    }
    Ok(())
}

fn non_any_eafnosupport(sock: fn(Family) -> Result<OwnedFd, Stop>, right: u64) -> TestResult {
    let f = Family::V4;
    domain::enforce(right, &[(ALLOWED, right)])?;
    for port in [ALLOWED, DENIED] {
        let a = Addr::unspec(f, port);
        expect_errno(
            format!("bind({a}), 127.0.0.1"),
            call::bind(&sock(f)?, &a),
            Errno::EAFNOSUPPORT,
        )?;
    }
    Ok(())
}

fn ipv6_eafnosupport(sock: fn(Family) -> Result<OwnedFd, Stop>, right: u64) -> TestResult {
    let f = Family::V6;
    domain::enforce(right, &[(ALLOWED, right)])?;
    for port in [ALLOWED, DENIED] {
        let a = any_unspec(f, port);
        expect_errno(
            format!("bind({a}) on an IPv6 socket"),
            call::bind(&sock(f)?, &a),
            Errno::EAFNOSUPPORT,
        )?;
    }
    let short = any_unspec(f, DENIED).with_len(23);
    expect_errno(
        format!("bind({short}) on an IPv6 socket"),
        call::bind(&sock(f)?, &short),
        Errno::EINVAL,
    )
}

pub fn tests() -> Vec<Test> {
    vec![
        one(
            "unspec::tcp",
            Family::V4,
            "bind_unspec_any_checked_as_inet",
            TCP,
            |_| checked_as_inet(call::tcp, BIND_TCP),
        ),
        one(
            "unspec::tcp",
            Family::V4,
            "bind_unspec_non_any_eafnosupport",
            TCP,
            |_| non_any_eafnosupport(call::tcp, BIND_TCP),
        ),
        one(
            "unspec::tcp",
            Family::V6,
            "bind_unspec_eafnosupport",
            TCP,
            |_| ipv6_eafnosupport(call::tcp, BIND_TCP),
        ),
        one(
            "unspec::udp",
            Family::V4,
            "bind_unspec_any_checked_as_inet",
            UDP,
            |_| checked_as_inet(call::udp, BIND_UDP),
        ),
        one(
            "unspec::udp",
            Family::V4,
            "bind_unspec_non_any_eafnosupport",
            UDP,
            |_| non_any_eafnosupport(call::udp, BIND_UDP),
        ),
        one(
            "unspec::udp",
            Family::V6,
            "bind_unspec_eafnosupport",
            UDP,
            |_| ipv6_eafnosupport(call::udp, BIND_UDP),
        ),
    ]
}
