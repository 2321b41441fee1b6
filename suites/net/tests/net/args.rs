//! Argument checks that come before the rights: a zero or short addrlen
//! gives EINVAL before EACCES; a family Landlock does not know is left to
//! the network stack (EAFNOSUPPORT, or EINVAL where IPv6 UDP says so); the
//! other IP family is EINVAL from Landlock, short or whole, even where the
//! stack would say ENETUNREACH (an IPv6-only UDP socket); rule ports above
//! 65535 give EINVAL. The ports in every address here are denied, so a wrong order
//! shows up as EACCES.

use llconf_harness::abi::net::BIND_UDP;
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::{expect_errno, expect_ok, sys, Errno, OrFail, Ruleset, Test, TestResult};
use llconf_net::case::enforced;
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, domain, Addr, Family, Proto};
use std::os::fd::{AsRawFd, OwnedFd};

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

/// The calls a protocol's cases cover, in the order of the test list.
fn calls(p: Proto) -> &'static [(&'static str, Call)] {
    match p {
        Proto::Tcp => &[("bind", bind), ("connect", connect)],
        Proto::Udp => &[("bind", bind), ("connect", connect), ("sendto", sendto)],
    }
}

/// Every right handled, the allowed port allowed. For UDP port 0 is allowed
/// too, so that the autobind check, which comes after the address check,
/// never answers for the stack.
fn enforce(p: Proto) -> TestResult {
    let all = p.all();
    match p {
        Proto::Tcp => domain::enforce(all, &[(ALLOWED, all)]),
        Proto::Udp => domain::enforce(all, &[(ALLOWED, all), (0, BIND_UDP)]),
    }
}

#[derive(Debug, Clone, Copy)]
enum Check {
    ShortAddrlen,
    ForeignFamily,
    OtherIpFamily,
}

impl Check {
    fn case_name(self, call: &str) -> String {
        match self {
            Check::ShortAddrlen => format!("{call}_short_addrlen_einval"),
            Check::ForeignFamily if call == "sendto" => format!("{call}_foreign_family_rejected"),
            Check::ForeignFamily => format!("{call}_foreign_family_eafnosupport"),
            Check::OtherIpFamily => format!("{call}_other_ip_family_einval"),
        }
    }
}

fn run(p: Proto, check: Check, name: &str, c: Call, f: Family) -> TestResult {
    enforce(p)?;
    let sock = p.socket(f)?;
    match check {
        Check::ShortAddrlen => {
            short_lengths(f, &sock, name, c)?;
            // The same call with the full length reaches the rights.
            expect_errno(
                format!("{name}(denied port, full length)"),
                c(&p.socket(f)?, &Addr::loopback(f, DENIED)),
                Errno::EACCES,
            )
        }
        Check::ForeignFamily => {
            // udp_sendmsg answers EAFNOSUPPORT, udpv6_sendmsg EINVAL.
            let expected = match (name, f) {
                ("sendto", Family::V6) => Errno::EINVAL,
                _ => Errno::EAFNOSUPPORT,
            };
            foreign(f, sock, name, c, expected)
        }
        Check::OtherIpFamily => other_ip(f, sock, name, c),
    }
}

/// Lengths 0, 1 and the family's minimum minus one, on a denied port.
fn short_lengths(f: Family, sock: &OwnedFd, name: &str, c: Call) -> TestResult {
    for len in [0, 1, f.min_len() - 1] {
        let a = Addr::loopback(f, DENIED).with_len(len);
        expect_errno(format!("{name}({a})"), c(sock, &a), Errno::EINVAL)?;
    }
    Ok(())
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

/// sendto() of an IPv4 address, one byte short and whole, on an IPv6-only
/// UDP socket. The stack answers ENETUNREACH to both; with UDP handled,
/// Landlock's own length and family checks come first: EINVAL. Only this
/// socket tells Landlock's short-IPv4 check from the stack's, which gives
/// the same EINVAL everywhere else (the selftests missed net.c:214, that
/// check made to allow).
fn v6only_ipv4_sendto(udp_handled: bool) -> TestResult {
    enter_loopback_netns()?;
    let expected = if udp_handled {
        enforce(Proto::Udp)?;
        Errno::EINVAL
    } else {
        enforce(Proto::Tcp)?;
        Errno::ENETUNREACH
    };
    let s = Proto::Udp.socket(Family::V6)?;
    call::set_int_opt(s.as_raw_fd(), libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)
        .or_fail("setsockopt(IPV6_V6ONLY)")?;
    let whole = Addr::loopback(Family::V4, DENIED);
    for a in [whole.with_len(Family::V4.min_len() - 1), whole] {
        expect_errno(
            format!("sendto({a}) on an IPv6-only UDP socket"),
            sendto(&s, &a),
            expected,
        )?;
    }
    Ok(())
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
    let mut v = Vec::new();
    for p in [Proto::Tcp, Proto::Udp] {
        let prefix = format!("net::{}", p.name());
        for check in [
            Check::ShortAddrlen,
            Check::ForeignFamily,
            Check::OtherIpFamily,
        ] {
            for &(name, c) in calls(p) {
                // Twin: the same call with a whole address of the socket's
                // family, to a port a rule allows, goes through.
                let twin = format!("{prefix}::{{f}}::{name}_allowed");
                v.extend(enforced(
                    &prefix,
                    p.feature(),
                    &check.case_name(name),
                    &twin,
                    move |f| run(p, check, name, c, f),
                ));
            }
        }
    }
    let v6only = "net::udp::ipv6::v6only_sendto_ipv4";
    v.extend(llconf_harness::twin::pair(
        Test::new(format!("{v6only}_einval"), || v6only_ipv4_sendto(true))
            .needs(Proto::Udp.feature())
            .enforcement(),
        Test::new(format!("{v6only}_unhandled_enetunreach"), || {
            v6only_ipv4_sendto(false)
        })
        .needs(Proto::Udp.feature()),
    ));
    for p in [Proto::Tcp, Proto::Udp] {
        let name = format!("net::{}::rule::port_above_65535_einval", p.name());
        // Twin: a rule for a port in range, which bind_allowed uses.
        let twin = format!("net::{}::ipv4::bind_allowed", p.name());
        v.push(
            Test::new(name, move || rule_ports(p.all()))
                .needs(p.feature())
                .twin(twin),
        );
    }
    v
}
