//! Argument checks that come before the rights: a zero or short addrlen
//! gives EINVAL before EACCES; a family Landlock does not know is left to
//! the network stack (EAFNOSUPPORT, or EINVAL where IPv6 UDP says so); the
//! other IP family is EINVAL from Landlock; rule ports above 65535 give
//! EINVAL. The ports in every address here are denied, so a wrong order
//! shows up as EACCES.

use crate::case::{enforced, Case, TCP, UDP};
use llconf_harness::abi::net::{BIND_TCP, BIND_UDP, CONNECT_SEND_UDP, CONNECT_TCP};
use llconf_harness::{expect_errno, expect_ok, sys, Errno, Ruleset, Test, TestResult};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, domain, Addr, Family};
use std::os::fd::OwnedFd;

type Call = fn(&OwnedFd, &Addr) -> Result<(), Errno>;

fn bind(s: &OwnedFd, a: &Addr) -> Result<(), Errno> {
    call::bind(s, a)
}
fn connect(s: &OwnedFd, a: &Addr) -> Result<(), Errno> {
    call::connect(s, a)
}
fn sendto(s: &OwnedFd, a: &Addr) -> Result<(), Errno> {
    call::sendto(s, b"x", a).map(drop)
}

fn tcp_domain() -> TestResult {
    let all = BIND_TCP | CONNECT_TCP;
    domain::enforce(all, &[(ALLOWED, all)])
}

/// Port 0 is allowed so that the autobind check, which comes after the
/// address check, never answers for the stack.
fn udp_domain() -> TestResult {
    let all = BIND_UDP | CONNECT_SEND_UDP;
    domain::enforce(all, &[(ALLOWED, all), (0, BIND_UDP)])
}

/// Lengths 0, 1 and the family's minimum minus one, on a denied port.
fn short_lengths(f: Family, sock: &OwnedFd, name: &str, c: Call) -> TestResult {
    for len in [0, 1, f.min_len() - 1] {
        let a = Addr::loopback(f, DENIED).with_len(len);
        expect_errno(format!("{name}({a})"), c(sock, &a), Errno::EINVAL)?;
    }
    Ok(())
}

fn tcp_short(f: Family, name: &str, c: Call) -> TestResult {
    tcp_domain()?;
    short_lengths(f, &call::tcp(f)?, name, c)?;
    // The same call with the full length reaches the rights.
    expect_errno(
        format!("{name}(denied port, full length)"),
        c(&call::tcp(f)?, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )
}

fn udp_short(f: Family, name: &str, c: Call) -> TestResult {
    udp_domain()?;
    short_lengths(f, &call::udp(f)?, name, c)?;
    expect_errno(
        format!("{name}(denied port, full length)"),
        c(&call::udp(f)?, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )
}

/// AF_UNIX in an IP call: Landlock steps aside and the stack answers.
fn foreign(f: Family, sock: OwnedFd, name: &str, c: Call, expected: Errno) -> TestResult {
    let a = Addr::loopback(f, DENIED).with_family(libc::AF_UNIX);
    expect_errno(format!("{name}({a})"), c(&sock, &a), expected)
}

/// The other IP family with its full length: Landlock's family check.
fn other_ip(f: Family, sock: OwnedFd, name: &str, c: Call) -> TestResult {
    let a = Addr::loopback(f.other(), DENIED);
    expect_errno(
        format!("{name}({a}) on an {} socket", f.name()),
        c(&sock, &a),
        Errno::EINVAL,
    )
}

fn rule_ports(handled: u64) -> TestResult {
    let rs = Ruleset::net(handled)?;
    for port in [65536u64, 1 << 32, u64::MAX] {
        expect_errno(
            format!("add_rule(NET_PORT, port {port})"),
            sys::add_net_port(rs.fd(), handled, port, 0),
            Errno::EINVAL,
        )?;
    }
    for port in [0u64, 65535] {
        expect_ok(
            format!("add_rule(NET_PORT, port {port})"),
            sys::add_net_port(rs.fd(), handled, port, 0),
        )?;
    }
    Ok(())
}

pub fn tests() -> Vec<Test> {
    let tcp: [Case; 6] = [
        ("bind_short_addrlen_einval", |f| tcp_short(f, "bind", bind)),
        ("connect_short_addrlen_einval", |f| {
            tcp_short(f, "connect", connect)
        }),
        ("bind_foreign_family_eafnosupport", |f| {
            tcp_domain()?;
            foreign(f, call::tcp(f)?, "bind", bind, Errno::EAFNOSUPPORT)
        }),
        ("connect_foreign_family_eafnosupport", |f| {
            tcp_domain()?;
            foreign(f, call::tcp(f)?, "connect", connect, Errno::EAFNOSUPPORT)
        }),
        ("bind_other_ip_family_einval", |f| {
            tcp_domain()?;
            other_ip(f, call::tcp(f)?, "bind", bind)
        }),
        ("connect_other_ip_family_einval", |f| {
            tcp_domain()?;
            other_ip(f, call::tcp(f)?, "connect", connect)
        }),
    ];
    let udp: [Case; 9] = [
        ("bind_short_addrlen_einval", |f| udp_short(f, "bind", bind)),
        ("connect_short_addrlen_einval", |f| {
            udp_short(f, "connect", connect)
        }),
        ("sendto_short_addrlen_einval", |f| {
            udp_short(f, "sendto", sendto)
        }),
        ("bind_foreign_family_eafnosupport", |f| {
            udp_domain()?;
            foreign(f, call::udp(f)?, "bind", bind, Errno::EAFNOSUPPORT)
        }),
        ("connect_foreign_family_eafnosupport", |f| {
            udp_domain()?;
            foreign(f, call::udp(f)?, "connect", connect, Errno::EAFNOSUPPORT)
        }),
        // udp_sendmsg answers EAFNOSUPPORT, udpv6_sendmsg EINVAL.
        ("sendto_foreign_family_rejected", |f| {
            udp_domain()?;
            let expected = match f {
                Family::V4 => Errno::EAFNOSUPPORT,
                Family::V6 => Errno::EINVAL,
            };
            foreign(f, call::udp(f)?, "sendto", sendto, expected)
        }),
        ("bind_other_ip_family_einval", |f| {
            udp_domain()?;
            other_ip(f, call::udp(f)?, "bind", bind)
        }),
        ("connect_other_ip_family_einval", |f| {
            udp_domain()?;
            other_ip(f, call::udp(f)?, "connect", connect)
        }),
        ("sendto_other_ip_family_einval", |f| {
            udp_domain()?;
            other_ip(f, call::udp(f)?, "sendto", sendto)
        }),
    ];
    let mut v: Vec<Test> = tcp
        .into_iter()
        .flat_map(|(n, b)| enforced("net::tcp", TCP, n, b))
        .chain(
            udp.into_iter()
                .flat_map(|(n, b)| enforced("net::udp", UDP, n, b)),
        )
        .collect();
    v.push(
        Test::new("net::tcp::rule::port_above_65535_einval", || {
            rule_ports(BIND_TCP | CONNECT_TCP)
        })
        .needs(TCP),
    );
    v.push(
        Test::new("net::udp::rule::port_above_65535_einval", || {
            rule_ports(BIND_UDP | CONNECT_SEND_UDP)
        })
        .needs(UDP),
    );
    v
}
