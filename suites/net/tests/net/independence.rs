//! `net::independence` and `net::mptcp`: TCP rights never touch UDP (not
//! even a send with MSG_FASTOPEN), UDP rights never touch TCP, and MPTCP stream sockets are not TCP sockets for
//! Landlock (erratum 1, errata bit 0).

use crate::unchecked;
use llconf_harness::abi::net::{BIND_TCP, CONNECT_TCP};
use llconf_harness::{
    expect_errno, expect_ok, fail, lacks_erratum, probe, skip, Errno, Test, TestResult,
};
use llconf_net::call::IPPROTO_MPTCP;
use llconf_net::case::{enforced, TCP, UDP};
use llconf_net::port::{DENIED, SOURCE};
use llconf_net::{call, domain, Addr, Family, Listener, Receiver};
use std::os::fd::AsRawFd;

fn tcp_rights_leave_udp_alone(f: Family) -> TestResult {
    let r = Receiver::bind(f, DENIED)?;
    let l = Listener::bind(f, DENIED)?;
    domain::enforce(domain::TCP, &[])?;
    let s = call::udp(f)?;
    expect_ok(
        "UDP bind(port with no rule)",
        call::bind(&s, &Addr::loopback(f, SOURCE)),
    )?;
    expect_ok(
        "UDP sendto(port with no rule)",
        call::sendto(&s, b"x", &Addr::loopback(f, DENIED)),
    )?;
    // MSG_FASTOPEN makes a send a TCP connect only on a TCP socket (the
    // selftests caught net.c:400 checking every Fast Open send as one).
    expect_ok(
        "UDP sendto(MSG_FASTOPEN, port with no rule)",
        call::sendto_raw(
            s.as_raw_fd(),
            b"f",
            libc::MSG_FASTOPEN,
            Some(&Addr::loopback(f, DENIED)),
        ),
    )?;
    unchecked::udp_connect_and_sends(f, &s)?;
    expect_ok(
        "UDP send(MSG_FASTOPEN) on the connected socket",
        call::sendto_raw(s.as_raw_fd(), b"g", libc::MSG_FASTOPEN, None),
    )?;
    r.expect("UDP under a TCP-only domain", 5)?;
    unchecked::tcp_connect_denied(f, &l)
}

fn udp_rights_leave_tcp_alone(f: Family) -> TestResult {
    let l = Listener::bind(f, DENIED)?;
    let r = Receiver::bind(f, DENIED)?;
    domain::enforce(domain::UDP, &[])?;
    let s = call::tcp(f)?;
    expect_ok(
        "TCP bind(port with no rule)",
        call::bind(&s, &Addr::loopback(f, SOURCE)),
    )?;
    expect_ok(
        "TCP connect(port with no rule)",
        call::connect(&s, &Addr::loopback(f, DENIED)),
    )?;
    l.expect("TCP under a UDP-only domain", 1)?;
    expect_errno(
        "UDP sendto(port with no rule)",
        call::sendto(&call::udp(f)?, b"x", &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    r.expect("denied UDP sendto", 0)
}

/// MPTCP bind and connect under a domain that denies every TCP port. A
/// plain TCP socket next to it proves the domain is in force. The errata
/// bit and the behaviour must agree; the old behaviour is a known failure.
fn mptcp_not_restricted(f: Family) -> TestResult {
    let l = match Listener::bind_proto(f, DENIED, IPPROTO_MPTCP) {
        Ok(l) => l,
        Err(e) => return match call::socket(f, libc::SOCK_STREAM, IPPROTO_MPTCP) {
            Err(Errno::EPROTONOSUPPORT) => Err(skip(
                "the kernel has no MPTCP: socket(IPPROTO_MPTCP) gives EPROTONOSUPPORT",
            )),
            Err(Errno::ENOPROTOOPT) => Err(skip(
                "MPTCP is disabled (net.mptcp.enabled=0): socket(IPPROTO_MPTCP) gives ENOPROTOOPT",
            )),
            _ => Err(e),
        },
    };
    domain::enforce(BIND_TCP | CONNECT_TCP, &[])?;
    let m = call::socket(f, libc::SOCK_STREAM, IPPROTO_MPTCP)
        .map_err(|e| fail(format!("socket(IPPROTO_MPTCP) in the sandbox: {e}")))?;
    let bind = call::bind(&m, &Addr::loopback(f, SOURCE));
    let connect = call::connect(&m, &Addr::loopback(f, DENIED));
    let accepted = l.count_within(1, llconf_net::count::ARRIVAL_WAIT);
    expect_errno(
        "plain TCP connect(port with no rule)",
        call::connect(&call::tcp(f)?, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    let unrestricted = bind.is_ok() && connect.is_ok() && accepted == 1;
    let observed = format!("MPTCP bind: {bind:?}, connect: {connect:?}, accepted: {accepted}");
    println!("errata {:?}; {observed}", probe::kernel().errata);
    if let Some(errata) = probe::kernel().errata {
        let fixed = errata & 1 != 0;
        if fixed != unrestricted {
            return Err(fail(format!(
                "errata bit 0 (erratum 1, TCP socket identification) is {} but the TCP rights {} MPTCP: {observed}",
                if fixed { "set" } else { "clear" },
                if unrestricted { "do not restrict" } else { "restrict" }
            )));
        }
    }
    // The bit is clear (or there is no errata query) and the kernel agrees:
    // it lacks the fix, a known failure.
    if !unrestricted {
        return Err(lacks_erratum(
            1,
            format!("the TCP rights restrict an MPTCP socket: {observed}"),
        ));
    }
    Ok(())
}

pub fn tests() -> Vec<Test> {
    [
        enforced(
            "net::independence",
            TCP,
            "tcp_rights_leave_udp_alone",
            // One right apart: CONNECT_SEND_UDP handled.
            "net::udp::{f}::sendto_denied",
            tcp_rights_leave_udp_alone,
        ),
        enforced(
            "net::independence",
            UDP,
            "udp_rights_leave_tcp_alone",
            // One right apart: CONNECT_TCP handled.
            "net::tcp::{f}::connect_denied",
            udp_rights_leave_tcp_alone,
        ),
        enforced(
            "net::mptcp",
            TCP,
            "not_restricted_by_tcp_rights",
            // One protocol apart: a plain TCP socket is restricted.
            "net::tcp::{f}::connect_denied",
            mptcp_not_restricted,
        ),
    ]
    .concat()
}
