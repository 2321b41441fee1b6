//! `net::udp::<family>` connect and autobind cases: CONNECT_SEND_UDP on
//! connect(2), and the implicit bind to port 0 that connect(2) or a first
//! send does on an unbound socket, which BIND_UDP checks (ABI 10).

use llconf_harness::abi::net::{BIND_UDP, CONNECT_SEND_UDP};
use llconf_harness::{expect_eq, expect_errno, expect_ok, Errno, OrFail, Test, TestResult};
use llconf_net::case::{table, Case, UDP};
use llconf_net::port::{ALLOWED, ALLOWED2, DENIED, SOURCE};
use llconf_net::setup::udp_connected;
use llconf_net::{call, domain, Addr, Family, Receiver};

const CONNECT: u64 = CONNECT_SEND_UDP;

fn connect_allowed(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(CONNECT, &[(ALLOWED, CONNECT)])?;
    let s = udp_connected(f, ALLOWED, "connect(allowed port)")?;
    expect_ok("send() on the connected socket", call::send(&s, b"x"))?;
    r.expect("send after an allowed connect", 1)
}

fn connect_denied(f: Family) -> TestResult {
    let r = Receiver::bind(f, DENIED)?;
    domain::enforce(CONNECT, &[(ALLOWED, CONNECT)])?;
    let s = call::udp(f)?;
    expect_errno(
        "connect(denied port)",
        call::connect(&s, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    expect_errno(
        "send() after the denied connect",
        call::send(&s, b"x"),
        Errno::EDESTADDRREQ,
    )?;
    r.expect("denied connect", 0)
}

fn reconnect_checked_again(f: Family) -> TestResult {
    let a = Receiver::bind(f, ALLOWED)?;
    let d = Receiver::bind(f, DENIED)?;
    domain::enforce(CONNECT, &[(ALLOWED, CONNECT)])?;
    let s = udp_connected(f, ALLOWED, "connect(allowed port)")?;
    expect_errno(
        "re-connect(denied port)",
        call::connect(&s, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    expect_eq(
        "peer port after the denied re-connect",
        call::peer_port(&s).or_fail("getpeername")?,
        ALLOWED,
    )?;
    expect_ok("send() after the denied re-connect", call::send(&s, b"x"))?;
    a.expect("send still goes to the first peer", 1)?;
    d.expect("denied re-connect", 0)
}

fn disconnect_unspec_allowed(f: Family) -> TestResult {
    let a = Receiver::bind(f, ALLOWED)?;
    domain::enforce(CONNECT, &[(ALLOWED, CONNECT)])?;
    let s = udp_connected(f, ALLOWED, "connect(allowed port)")?;
    // A second layer denies every port: disconnecting must still work.
    domain::enforce(CONNECT | BIND_UDP, &[])?;
    expect_ok(
        "connect(AF_UNSPEC) with every port denied",
        call::connect(&s, &Addr::unspec_minimal()),
    )?;
    expect_errno(
        "getpeername after the disconnect",
        call::peer_port(&s),
        Errno::ENOTCONN,
    )?;
    // Disconnecting released the autobound port, so a send without an
    // address meets the autobind check (BIND_UDP handled, no rule for port
    // 0) before the stack could answer EDESTADDRREQ.
    expect_errno(
        "send() after the disconnect",
        call::send(&s, b"x"),
        Errno::EACCES,
    )?;
    expect_errno(
        "connect(allowed by layer 1 only)",
        call::connect(&s, &Addr::loopback(f, ALLOWED)),
        Errno::EACCES,
    )?;
    a.expect("nothing after the disconnect", 0)
}

fn autobind_connect_denied(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(CONNECT | BIND_UDP, &[(ALLOWED, CONNECT)])?;
    let s = call::udp(f)?;
    expect_errno(
        "connect(allowed port) on an unbound socket, no rule for port 0",
        call::connect(&s, &Addr::loopback(f, ALLOWED)),
        Errno::EACCES,
    )?;
    expect_eq(
        "local port after the denied autobind",
        call::local_port(&s).or_fail("getsockname")?,
        0,
    )?;
    r.expect("denied autobind", 0)
}

fn autobind_sendto_denied(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(CONNECT | BIND_UDP, &[(ALLOWED, CONNECT)])?;
    let s = call::udp(f)?;
    expect_errno(
        "first sendto(allowed port) on an unbound socket, no rule for port 0",
        call::sendto(&s, b"x", &Addr::loopback(f, ALLOWED)),
        Errno::EACCES,
    )?;
    expect_errno(
        "first sendmsg(allowed port) on an unbound socket, no rule for port 0",
        call::sendmsg(&s, b"x", Some(&Addr::loopback(f, ALLOWED))),
        Errno::EACCES,
    )?;
    r.expect("denied autobind", 0)
}

fn autobind_port_zero_rule_allows(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(CONNECT | BIND_UDP, &[(ALLOWED, CONNECT), (0, BIND_UDP)])?;
    let s = udp_connected(f, ALLOWED, "connect(allowed port) with a rule for port 0")?;
    expect_ok("send() after the autobind", call::send(&s, b"x"))?;
    let s2 = call::udp(f)?;
    expect_ok(
        "first sendto(allowed port) with a rule for port 0",
        call::sendto(&s2, b"y", &Addr::loopback(f, ALLOWED)),
    )?;
    r.expect("two autobound sockets", 2)
}

fn autobind_after_explicit_bind(f: Family) -> TestResult {
    let r = Receiver::bind(f, ALLOWED)?;
    domain::enforce(
        CONNECT | BIND_UDP,
        &[(ALLOWED, CONNECT), (SOURCE, BIND_UDP)],
    )?;
    let s = call::udp(f)?;
    expect_ok(
        "bind(allowed source port)",
        call::bind(&s, &Addr::loopback(f, SOURCE)),
    )?;
    expect_ok(
        "sendto(allowed port) from the bound socket",
        call::sendto(&s, b"x", &Addr::loopback(f, ALLOWED)),
    )?;
    expect_ok(
        "connect(allowed port) on the bound socket",
        call::connect(&s, &Addr::loopback(f, ALLOWED)),
    )?;
    expect_ok(
        "send() on the bound, connected socket",
        call::send(&s, b"y"),
    )?;
    let got = r.collect(2, llconf_net::count::ARRIVAL_WAIT);
    expect_eq("datagrams received", got.len(), 2)?;
    expect_eq(
        "source ports",
        got.iter().map(|g| g.1).collect::<Vec<_>>(),
        vec![SOURCE, SOURCE],
    )
}

/// The twin of `reconnect_checked_again`: a re-connect to a port the
/// domain allows moves the association.
fn reconnect_allowed(f: Family) -> TestResult {
    let a = Receiver::bind(f, ALLOWED)?;
    let a2 = Receiver::bind(f, ALLOWED2)?;
    domain::enforce(CONNECT, &[(ALLOWED, CONNECT), (ALLOWED2, CONNECT)])?;
    let s = udp_connected(f, ALLOWED, "connect(allowed port)")?;
    expect_ok(
        "re-connect(other allowed port)",
        call::connect(&s, &Addr::loopback(f, ALLOWED2)),
    )?;
    expect_eq(
        "peer port after the allowed re-connect",
        call::peer_port(&s).or_fail("getpeername")?,
        ALLOWED2,
    )?;
    expect_ok("send() after the allowed re-connect", call::send(&s, b"x"))?;
    a2.expect("send goes to the new peer", 1)?;
    a.expect("nothing to the first peer", 0)
}

pub fn tests() -> Vec<Test> {
    let cases: [Case; 9] = [
        ("connect_allowed", "connect_denied", connect_allowed),
        ("connect_denied", "connect_allowed", connect_denied),
        (
            "reconnect_allowed",
            "reconnect_checked_again",
            reconnect_allowed,
        ),
        (
            "reconnect_checked_again",
            "reconnect_allowed",
            reconnect_checked_again,
        ),
        // The same socket's connect to an address, not AF_UNSPEC, under
        // the same deny-all layer is denied.
        (
            "disconnect_unspec_allowed",
            "reconnect_checked_again",
            disconnect_unspec_allowed,
        ),
        (
            "autobind_connect_denied",
            "autobind_port_zero_rule_allows",
            autobind_connect_denied,
        ),
        (
            "autobind_sendto_denied",
            "autobind_port_zero_rule_allows",
            autobind_sendto_denied,
        ),
        (
            "autobind_port_zero_rule_allows",
            "autobind_connect_denied",
            autobind_port_zero_rule_allows,
        ),
        // One step apart: without the explicit bind the first send
        // autobinds, which no rule allows.
        (
            "autobind_after_explicit_bind",
            "autobind_sendto_denied",
            autobind_after_explicit_bind,
        ),
    ];
    table("net::udp", UDP, &cases)
}
