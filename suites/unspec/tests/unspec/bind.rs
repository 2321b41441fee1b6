//! bind(2) with AF_UNSPEC: an IPv4 socket takes AF_UNSPEC with INADDR_ANY
//! as AF_INET, so the bind rules apply; any other address is EAFNOSUPPORT,
//! and an IPv6 socket always answers EAFNOSUPPORT (EINVAL when shorter than
//! its own address).

use llconf_harness::{expect_errno, expect_ok, Errno, Test, TestResult};
use llconf_net::case::one;
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, domain, Addr, Family, Proto};

fn any_unspec(f: Family, port: u16) -> Addr {
    Addr::any(f, port).with_family(libc::AF_UNSPEC)
}

fn enforce(p: Proto) -> TestResult {
    let right = p.bind_right();
    domain::enforce(right, &[(ALLOWED, right)])
}

fn checked_as_inet(p: Proto) -> TestResult {
    let f = Family::V4;
    enforce(p)?;
    let a = any_unspec(f, ALLOWED);
    expect_ok(
        format!("bind({a}), INADDR_ANY, allowed port"),
        call::bind(&p.socket(f)?, &a),
    )?;
    let d = any_unspec(f, DENIED);
    expect_errno(
        format!("bind({d}), INADDR_ANY, denied port"),
        call::bind(&p.socket(f)?, &d),
        Errno::EACCES,
    )?;
    for len in [2, 15] {
        let short = d.with_len(len);
        expect_errno(
            format!("bind({short})"),
            call::bind(&p.socket(f)?, &short),
            Errno::EINVAL,
        )?;
    }
    Ok(())
}

/// The allowed and the denied port alike: the family is refused before
/// the port is looked at.
fn eafnosupport_on_both_ports(
    p: Proto,
    f: Family,
    addr: fn(Family, u16) -> Addr,
    note: &str,
) -> TestResult {
    for port in [ALLOWED, DENIED] {
        let a = addr(f, port);
        expect_errno(
            format!("bind({a}){note}"),
            call::bind(&p.socket(f)?, &a),
            Errno::EAFNOSUPPORT,
        )?;
    }
    Ok(())
}

fn non_any_eafnosupport(p: Proto) -> TestResult {
    enforce(p)?;
    eafnosupport_on_both_ports(p, Family::V4, Addr::unspec, ", 127.0.0.1")
}

fn ipv6_eafnosupport(p: Proto) -> TestResult {
    let f = Family::V6;
    enforce(p)?;
    eafnosupport_on_both_ports(p, f, any_unspec, " on an IPv6 socket")?;
    let short = any_unspec(f, DENIED).with_len(23);
    expect_errno(
        format!("bind({short}) on an IPv6 socket"),
        call::bind(&p.socket(f)?, &short),
        Errno::EINVAL,
    )
}

/// A case written once for TCP and UDP.
type Body = fn(Proto) -> TestResult;

pub fn tests() -> Vec<Test> {
    // The address that an IPv4 socket reads as AF_INET (and binds where a
    // rule allows) is the twin of the ones refused with EAFNOSUPPORT: one
    // field (the address, or the socket's family) apart.
    let cases: [(Family, &str, &str, Body); 3] = [
        (
            Family::V4,
            "bind_unspec_any_checked_as_inet",
            "ipv4::bind_unspec_non_any_eafnosupport",
            checked_as_inet,
        ),
        (
            Family::V4,
            "bind_unspec_non_any_eafnosupport",
            "ipv4::bind_unspec_any_checked_as_inet",
            non_any_eafnosupport,
        ),
        (
            Family::V6,
            "bind_unspec_eafnosupport",
            "ipv4::bind_unspec_any_checked_as_inet",
            ipv6_eafnosupport,
        ),
    ];
    let mut v = Vec::new();
    for p in [Proto::Tcp, Proto::Udp] {
        let prefix = format!("unspec::{}", p.name());
        for (f, name, twin, body) in cases {
            v.push(
                one(&prefix, f, name, p.feature(), move |_| body(p))
                    .twin(format!("{prefix}::{twin}")),
            );
        }
    }
    v
}
