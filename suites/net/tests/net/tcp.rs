//! `net::tcp::<family>`: BIND_TCP and CONNECT_TCP (ABI 4), with every
//! connection counted by a listener created before the sandbox.

use crate::bind;
use llconf_harness::abi::net::{BIND_TCP, CONNECT_TCP};
use llconf_harness::{expect_eq, expect_errno, expect_ok, Errno, Test, TestResult};
use llconf_net::case::{table, Case, TCP};
use llconf_net::port::{ALLOWED, ALLOWED2, DENIED};
use llconf_net::{call, domain, Addr, Family, Listener, Proto};

fn bind_unhandled_not_checked(f: Family) -> TestResult {
    let l = Listener::bind(f, DENIED)?;
    domain::enforce(CONNECT_TCP, &[])?;
    let s = call::tcp(f)?;
    expect_ok(
        "bind(any port) when only CONNECT_TCP is handled",
        call::bind(&s, &Addr::loopback(f, ALLOWED)),
    )?;
    // The domain is real: a connect is checked.
    expect_errno(
        "connect(no rule)",
        call::connect(&s, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    l.expect("denied connect", 0)
}

fn connect_allowed(f: Family) -> TestResult {
    let l = Listener::bind(f, ALLOWED)?;
    domain::enforce(CONNECT_TCP, &[(ALLOWED, CONNECT_TCP)])?;
    let s = call::tcp(f)?;
    expect_ok(
        "connect(allowed port)",
        call::connect(&s, &Addr::loopback(f, ALLOWED)),
    )?;
    // Data on the connected socket is no connect: neither send() nor a
    // sendto() without an address is checked (the selftests caught
    // net.c:400 checking every TCP send, and llconf did not). Sent before
    // the listener counts (and closes) the connection.
    expect_eq(
        "send() on the connected socket",
        call::send(&s, b"ab"),
        Ok(2),
    )?;
    expect_eq(
        "sendto(no address) on the connected socket",
        call::sendto_raw(std::os::fd::AsRawFd::as_raw_fd(&s), b"c", 0, None),
        Ok(1),
    )?;
    l.expect("allowed connect", 1)
}

fn connect_denied(f: Family) -> TestResult {
    let denied = Listener::bind(f, DENIED)?;
    let allowed = Listener::bind(f, ALLOWED)?;
    domain::enforce(CONNECT_TCP, &[(ALLOWED, CONNECT_TCP)])?;
    let s = call::tcp(f)?;
    expect_errno(
        "connect(denied port)",
        call::connect(&s, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )?;
    denied.expect("denied connect", 0)?;
    // A denial leaves the socket usable.
    expect_ok(
        "connect(allowed port) after the denial",
        call::connect(&s, &Addr::loopback(f, ALLOWED)),
    )?;
    allowed.expect("allowed connect after a denial", 1)
}

fn connect_unhandled_not_checked(f: Family) -> TestResult {
    let l = Listener::bind(f, DENIED)?;
    domain::enforce(BIND_TCP, &[])?;
    let s = call::tcp(f)?;
    expect_ok(
        "connect(any port) when only BIND_TCP is handled",
        call::connect(&s, &Addr::loopback(f, DENIED)),
    )?;
    l.expect("connect", 1)?;
    let s2 = call::tcp(f)?;
    expect_errno(
        "bind(no rule)",
        call::bind(&s2, &Addr::loopback(f, ALLOWED)),
        Errno::EACCES,
    )
}

fn connect_layers_intersect(f: Family) -> TestResult {
    let a = Listener::bind(f, ALLOWED)?;
    let b = Listener::bind(f, ALLOWED2)?;
    domain::enforce(
        CONNECT_TCP,
        &[(ALLOWED, CONNECT_TCP), (ALLOWED2, CONNECT_TCP)],
    )?;
    domain::enforce(CONNECT_TCP, &[(ALLOWED, CONNECT_TCP)])?;
    let s = call::tcp(f)?;
    expect_errno(
        "connect(port allowed by the first layer only)",
        call::connect(&s, &Addr::loopback(f, ALLOWED2)),
        Errno::EACCES,
    )?;
    b.expect("connect denied by the second layer", 0)?;
    expect_ok(
        "connect(port allowed by both layers)",
        call::connect(&s, &Addr::loopback(f, ALLOWED)),
    )?;
    a.expect("connect allowed by both layers", 1)
}

/// sendto(MSG_FASTOPEN) connects: CONNECT_TCP must check it.
fn fastopen_denied(f: Family) -> TestResult {
    let l = Listener::bind(f, DENIED)?;
    domain::enforce(CONNECT_TCP, &[(ALLOWED, CONNECT_TCP)])?;
    let s = call::tcp(f)?;
    let r = call::sendto_raw(
        std::os::fd::AsRawFd::as_raw_fd(&s),
        b"A",
        libc::MSG_FASTOPEN,
        Some(&Addr::loopback(f, DENIED)),
    );
    println!("sendto(MSG_FASTOPEN, denied) = {r:?}");
    expect_errno("sendto(MSG_FASTOPEN, denied port)", r, Errno::EACCES)?;
    l.expect("denied Fast Open connect", 0)
}

/// The twin of `fastopen_denied`: with a rule for the port, the Fast Open
/// sendto connects (a plain connect, as no cookie is cached yet) and sends.
fn fastopen_allowed(f: Family) -> TestResult {
    let l = Listener::bind(f, ALLOWED)?;
    domain::enforce(CONNECT_TCP, &[(ALLOWED, CONNECT_TCP)])?;
    let s = call::tcp(f)?;
    let r = call::sendto_raw(
        std::os::fd::AsRawFd::as_raw_fd(&s),
        b"A",
        libc::MSG_FASTOPEN,
        Some(&Addr::loopback(f, ALLOWED)),
    );
    expect_eq("sendto(MSG_FASTOPEN, allowed port)", r, Ok(1))?;
    l.expect("allowed Fast Open connect", 1)
}

pub fn tests() -> Vec<Test> {
    let cases: [Case; 12] = [
        ("bind_allowed", "bind_denied", |f| {
            let s = bind::allowed(Proto::Tcp, f)?;
            expect_ok("listen on the allowed port", call::listen(&s))
        }),
        ("bind_denied", "bind_allowed", |f| {
            bind::denied(Proto::Tcp, f)
        }),
        ("bind_port_zero_denied", "bind_port_zero_allowed", |f| {
            bind::port_zero_denied(Proto::Tcp, f)
        }),
        ("bind_port_zero_allowed", "bind_port_zero_denied", |f| {
            bind::port_zero_allowed(Proto::Tcp, f)
        }),
        // One right apart: BIND_TCP handled with no rule for the port.
        (
            "bind_unhandled_not_checked",
            "bind_denied",
            bind_unhandled_not_checked,
        ),
        ("connect_allowed", "connect_denied", connect_allowed),
        ("connect_denied", "connect_allowed", connect_denied),
        (
            "connect_unhandled_not_checked",
            "connect_denied",
            connect_unhandled_not_checked,
        ),
        // One layer apart: without the second layer the port is allowed.
        (
            "connect_layers_intersect",
            "connect_allowed",
            connect_layers_intersect,
        ),
        ("rule_port_host_endian", "bind_allowed", |f| {
            bind::rule_port_host_endian(Proto::Tcp, f)
        }),
        ("fastopen_allowed", "fastopen_denied", fastopen_allowed),
        // Kernels without the fix connect anyway: the known issue
        // tcp-fastopen-bypass (suites/known-issues.toml).
        ("fastopen_denied", "fastopen_allowed", fastopen_denied),
    ];
    table("net::tcp", TCP, &cases)
}
