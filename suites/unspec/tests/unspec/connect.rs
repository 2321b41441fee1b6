//! connect(2) with AF_UNSPEC: with at least sizeof(sa_family_t) bytes it
//! disconnects and is always allowed; shorter is EINVAL; a UNIX stream
//! socket answers EINVAL, a UNIX datagram socket disconnects.

use llconf_harness::abi::net::{BIND_TCP, CONNECT_TCP};
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::twin;
use llconf_harness::{expect_errno, expect_ok, Errno, OrFail, Stop, Test, TestResult};
use llconf_net::case::{table, Case, TCP, UDP};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, domain, Addr, Family, Listener, Proto, Receiver};
use std::os::fd::{FromRawFd, OwnedFd};

fn disconnect_forms(f: Family) -> [Addr; 2] {
    [Addr::unspec_minimal(), Addr::unspec(f, DENIED)]
}

/// A socket connected to the allowed port, then a sandbox that denies every
/// port of its protocol. The caller keeps the peer alive.
fn connected_before_sandbox(p: Proto, f: Family) -> Result<OwnedFd, Stop> {
    let s = p.socket(f)?;
    call::connect(&s, &Addr::loopback(f, ALLOWED)).or_fail("connect before the sandbox")?;
    domain::enforce(p.all(), &[])?;
    Ok(s)
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

fn disconnected(s: &OwnedFd) -> TestResult {
    expect_errno(
        "getpeername after the disconnect",
        call::peer_port(s),
        Errno::ENOTCONN,
    )
}

fn tcp_disconnect_connected(f: Family) -> TestResult {
    let l = Listener::bind(f, ALLOWED)?;
    let s = connected_before_sandbox(Proto::Tcp, f)?;
    expect_ok(
        "connect(AF_UNSPEC, 2 bytes) with every port denied",
        call::connect(&s, &Addr::unspec_minimal()),
    )?;
    disconnected(&s)?;
    expect_errno(
        "re-connect(port with no rule) after the disconnect",
        call::connect(&s, &Addr::loopback(f, ALLOWED)),
        Errno::EACCES,
    )?;
    l.expect("the connection made before the sandbox only", 1)
}

fn udp_disconnect_connected(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    let s = connected_before_sandbox(Proto::Udp, f)?;
    for a in disconnect_forms(f) {
        expect_ok(
            format!("connect({a}) with every port denied"),
            call::connect(&s, &a),
        )?;
        disconnected(&s)?;
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

/// The twin of the disconnects: the bytes of the AF_UNSPEC address that
/// names the denied port, with the socket's own family, are a connect to
/// that port and denied. A UDP socket stays connected to its peer.
fn own_family_denied(p: Proto, f: Family) -> TestResult {
    let s = connected_before_sandbox(p, f)?;
    let a = Addr::unspec(f, DENIED).with_family(f.af());
    expect_errno(
        format!("connect({a}) with every port denied"),
        call::connect(&s, &a),
        Errno::EACCES,
    )?;
    expect_ok("getpeername: still connected", call::peer_port(&s)).map(drop)
}

fn tcp_own_family_denied(f: Family) -> TestResult {
    let _l = Listener::bind(f, ALLOWED)?;
    let d = Listener::bind(f, DENIED)?;
    own_family_denied(Proto::Tcp, f)?;
    d.expect("connect(own family) to the denied port", 0)
}

fn udp_own_family_denied(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    let d = Receiver::bind(f, DENIED)?;
    own_family_denied(Proto::Udp, f)?;
    d.expect("connect(own family) to the denied port", 0)?;
    r.expect("connects send nothing", 0)
}

/// Too short to be AF_UNSPEC: EINVAL, and the socket stays connected.
fn short_einval(p: Proto, f: Family) -> TestResult {
    let s = connected_before_sandbox(p, f)?;
    for len in [0, 1] {
        let a = Addr::unspec(f, DENIED).with_len(len);
        expect_errno(
            format!("connect({a})"),
            call::connect(&s, &a),
            Errno::EINVAL,
        )?;
    }
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
    let tcp: [Case; 4] = [
        (
            "connect_unspec_unconnected_allowed",
            "connect_own_family_denied",
            tcp_disconnect_allowed,
        ),
        (
            "connect_unspec_disconnects_allowed",
            "connect_own_family_denied",
            tcp_disconnect_connected,
        ),
        (
            "connect_own_family_denied",
            "connect_unspec_disconnects_allowed",
            tcp_own_family_denied,
        ),
        // Twin: two bytes of AF_UNSPEC, one byte longer, disconnect.
        (
            "connect_unspec_short_einval",
            "connect_unspec_disconnects_allowed",
            |f| {
                let _l = Listener::bind(f, ALLOWED)?;
                short_einval(Proto::Tcp, f)
            },
        ),
    ];
    let udp: [Case; 3] = [
        (
            "connect_unspec_disconnects_allowed",
            "connect_own_family_denied",
            udp_disconnect_connected,
        ),
        (
            "connect_own_family_denied",
            "connect_unspec_disconnects_allowed",
            udp_own_family_denied,
        ),
        (
            "connect_unspec_short_einval",
            "connect_unspec_disconnects_allowed",
            |f| {
                let _r = Receiver::bind(f, ALLOWED)?;
                short_einval(Proto::Udp, f)
            },
        ),
    ];
    let mut v = [
        table("unspec::tcp", TCP, &tcp),
        table("unspec::udp", UDP, &udp),
    ]
    .concat();
    let unix: [(&str, libc::c_int, Option<Errno>); 2] = [
        (
            "stream::connect_unspec_einval",
            libc::SOCK_STREAM,
            Some(Errno::EINVAL),
        ),
        ("dgram::connect_unspec_disconnects", libc::SOCK_DGRAM, None),
    ];
    // Twins of each other, one socket type apart.
    let [stream, dgram] = unix.map(|(name, ty, expected)| {
        Test::new(format!("unspec::unix::{name}"), move || {
            unix_case(ty, expected)
        })
        .needs(TCP)
        .enforcement()
    });
    v.extend(twin::pair(stream, dgram));
    v
}
