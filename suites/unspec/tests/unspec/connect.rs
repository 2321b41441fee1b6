//! connect(2) with AF_UNSPEC: with at least sizeof(sa_family_t) bytes it
//! disconnects and is always allowed; shorter is EINVAL; a UNIX stream
//! socket answers EINVAL, a UNIX datagram socket disconnects.

use crate::case::{enforced, TCP, UDP};
use llconf_harness::abi::net::{BIND_TCP, BIND_UDP, CONNECT_SEND_UDP, CONNECT_TCP};
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::{expect_errno, expect_ok, Errno, OrFail, Test, TestResult};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, domain, Addr, Family, Listener, Receiver};
use std::os::fd::{FromRawFd, OwnedFd};

fn disconnect_forms(f: Family) -> [Addr; 2] {
    [Addr::unspec_minimal(), Addr::unspec(f, DENIED)]
}

fn tcp_disconnect_allowed(f: Family) -> TestResult {
    let l = Listener::bind(f, DENIED)?;
    domain::enforce(CONNECT_TCP | BIND_TCP, &[])?;
    for a in disconnect_forms(f) {
        let s = call::tcp(f)?;
        expect_ok(
            format!("connect({a}) on an unconnected socket, every port denied"),
            call::connect(&s, &a),
        )?;
    }
    // The port inside the AF_UNSPEC address was never connected to.
    l.expect("connect(AF_UNSPEC) naming this port", 0)
}

fn tcp_disconnect_connected(f: Family) -> TestResult {
    let l = Listener::bind(f, ALLOWED)?;
    let s = call::tcp(f)?;
    call::connect(&s, &Addr::loopback(f, ALLOWED)).or_fail("connect before the sandbox")?;
    domain::enforce(CONNECT_TCP | BIND_TCP, &[])?;
    expect_ok(
        "connect(AF_UNSPEC, 2 bytes) with every port denied",
        call::connect(&s, &Addr::unspec_minimal()),
    )?;
    expect_errno(
        "getpeername after the disconnect",
        call::peer_port(&s),
        Errno::ENOTCONN,
    )?;
    expect_errno(
        "re-connect(port with no rule) after the disconnect",
        call::connect(&s, &Addr::loopback(f, ALLOWED)),
        Errno::EACCES,
    )?;
    l.expect("the connection made before the sandbox only", 1)
}

fn short_einval(f: Family, s: &OwnedFd) -> TestResult {
    for len in [0, 1] {
        let a = Addr::unspec(f, DENIED).with_len(len);
        expect_errno(format!("connect({a})"), call::connect(s, &a), Errno::EINVAL)?;
    }
    Ok(())
}

fn tcp_short_einval(f: Family) -> TestResult {
    let _l = Listener::bind(f, ALLOWED)?;
    let s = call::tcp(f)?;
    call::connect(&s, &Addr::loopback(f, ALLOWED)).or_fail("connect before the sandbox")?;
    domain::enforce(CONNECT_TCP | BIND_TCP, &[])?;
    short_einval(f, &s)?;
    expect_ok("getpeername: still connected", call::peer_port(&s)).map(drop)
}

fn udp_disconnect_connected(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    let s = call::udp(f)?;
    call::connect(&s, &Addr::loopback(f, ALLOWED)).or_fail("connect before the sandbox")?;
    domain::enforce(CONNECT_SEND_UDP | BIND_UDP, &[])?;
    for a in disconnect_forms(f) {
        expect_ok(
            format!("connect({a}) with every port denied"),
            call::connect(&s, &a),
        )?;
        expect_errno(
            "getpeername after the disconnect",
            call::peer_port(&s),
            Errno::ENOTCONN,
        )?;
    }
    // Disconnecting released the autobound port, so a send without an
    // address meets the autobind check (BIND_UDP handled, no rule for port
    // 0) before the stack could answer EDESTADDRREQ.
    expect_errno(
        "send() after the disconnect",
        call::send(&s, b"x"),
        Errno::EACCES,
    )?;
    r.expect("after the disconnect", 0)
}

fn udp_short_einval(f: Family) -> TestResult {
    let _r = Receiver::bind(f, ALLOWED)?;
    let s = call::udp(f)?;
    call::connect(&s, &Addr::loopback(f, ALLOWED)).or_fail("connect before the sandbox")?;
    domain::enforce(CONNECT_SEND_UDP | BIND_UDP, &[])?;
    short_einval(f, &s)?;
    expect_ok("getpeername: still connected", call::peer_port(&s)).map(drop)
}

fn unix_socket(ty: libc::c_int) -> Result<OwnedFd, llconf_harness::Stop> {
    // SAFETY: plain integer arguments.
    let fd = unsafe { libc::socket(libc::AF_UNIX, ty | libc::SOCK_CLOEXEC, 0) };
    Errno::result(fd)
        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
        .or_fail("socket(AF_UNIX)")
}

fn unix_case(ty: libc::c_int, expected: Option<Errno>) -> TestResult {
    enter_loopback_netns()?;
    domain::enforce(domain::TCP, &[])?;
    let s = unix_socket(ty)?;
    let a = Addr::unspec_minimal();
    llconf_harness::expect_result(
        format!("connect({a}) on an AF_UNIX socket"),
        call::connect(&s, &a),
        expected,
    )?;
    // The domain is real.
    expect_errno(
        "TCP connect(port with no rule)",
        call::connect(&call::tcp(Family::V4)?, &Addr::loopback(Family::V4, DENIED)),
        Errno::EACCES,
    )
}

pub fn tests() -> Vec<Test> {
    let mut v = [
        enforced(
            "unspec::tcp",
            TCP,
            "connect_unspec_unconnected_allowed",
            tcp_disconnect_allowed,
        ),
        enforced(
            "unspec::tcp",
            TCP,
            "connect_unspec_disconnects_allowed",
            tcp_disconnect_connected,
        ),
        enforced(
            "unspec::tcp",
            TCP,
            "connect_unspec_short_einval",
            tcp_short_einval,
        ),
        enforced(
            "unspec::udp",
            UDP,
            "connect_unspec_disconnects_allowed",
            udp_disconnect_connected,
        ),
        enforced(
            "unspec::udp",
            UDP,
            "connect_unspec_short_einval",
            udp_short_einval,
        ),
    ]
    .concat();
    v.push(
        Test::new("unspec::unix::stream::connect_unspec_einval", || {
            unix_case(libc::SOCK_STREAM, Some(Errno::EINVAL))
        })
        .needs(TCP)
        .enforcement(),
    );
    v.push(
        Test::new("unspec::unix::dgram::connect_unspec_disconnects", || {
            unix_case(libc::SOCK_DGRAM, None)
        })
        .needs(TCP)
        .enforcement(),
    );
    v
}
