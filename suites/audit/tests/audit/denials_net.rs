//! `audit::denial_net`: the records of network denials on sockets that
//! already have a local address (the record adds the socket's laddr and
//! lport before the target's daddr and dest, as lsm_audit.c prints a
//! socket), and of the UDP autobind that a first sendto() implies (checked
//! as a bind to port 0, so the record has no address at all). Each has a
//! twin one rule apart where the call succeeds and nothing is logged.

use crate::common::audit_test;
use crate::layers::{enforce, expect_exactly, Layer, On, Rule};
use crate::session::Session;
use llconf_harness::abi::net;
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::{
    expect_errno, expect_ok, Errno, OrFail, Requirement, RulesetAttr, Test, TestResult,
};
use nix::sys::socket::{self as nsock, SockaddrIn};
use std::os::fd::{AsRawFd, OwnedFd};

const LOCAL: u16 = 4401;
const REMOTE: u16 = 4402;

fn socket(ty: libc::c_int) -> Result<OwnedFd, llconf_harness::Stop> {
    // SAFETY: plain integers; the fd is owned on success.
    let fd = unsafe { libc::socket(libc::AF_INET, ty | libc::SOCK_CLOEXEC, 0) };
    let fd = Errno::result(fd).or_fail("socket(AF_INET)")?;
    // SAFETY: a new fd we own.
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
}

/// A plain (not quiet) rule for `port`.
pub fn rule(port: u16, access: u64) -> Rule {
    Rule {
        on: On::Port(port),
        access,
        quiet: false,
    }
}

/// Binds to LOCAL (allowed), then connects to REMOTE: denied with a record
/// naming both ends, or, when `allow_remote` adds the rule for REMOTE,
/// not denied by Landlock (TCP: ECONNREFUSED, nobody listens; UDP: success)
/// and not logged.
fn connect_bound(udp: bool, allow_remote: bool) -> TestResult {
    enter_loopback_netns()?;
    let (bind, connect, ty, blocker) = if udp {
        (
            net::BIND_UDP,
            net::CONNECT_SEND_UDP,
            libc::SOCK_DGRAM,
            "net.connect_send_udp",
        )
    } else {
        (
            net::BIND_TCP,
            net::CONNECT_TCP,
            libc::SOCK_STREAM,
            "net.connect_tcp",
        )
    };
    let mut session = Session::open()?;
    let mut rules = vec![rule(LOCAL, bind)];
    if allow_remote {
        rules.push(rule(REMOTE, connect));
    }
    enforce(&[Layer {
        attr: RulesetAttr {
            handled_access_net: bind | connect,
            ..Default::default()
        },
        rules,
    }])?;
    let s = socket(ty)?;
    expect_ok(
        format!("bind(127.0.0.1:{LOCAL})"),
        nsock::bind(s.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, LOCAL)),
    )?;
    let from = session.seen().len();
    let r = nsock::connect(s.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, REMOTE));
    let what = format!("connect(127.0.0.1:{REMOTE}) from 127.0.0.1:{LOCAL}");
    let expected = match (allow_remote, udp) {
        (false, _) => {
            expect_errno(what, r, Errno::EACCES)?;
            vec![format!(
                "blockers={blocker} laddr=127.0.0.1 lport={LOCAL} daddr=127.0.0.1 dest={REMOTE}"
            )]
        }
        (true, false) => {
            expect_errno(what, r, Errno::ECONNREFUSED)?;
            vec![]
        }
        (true, true) => {
            expect_ok(what, r)?;
            vec![]
        }
    };
    expect_exactly(&mut session, from, &[format!("dest={REMOTE}")], &expected)
}

/// sendto() on an unbound UDP socket, to a port the domain allows: the
/// implied autobind is a bind to port 0, denied unless a rule allows
/// BIND_UDP on port 0.
fn autobind(allow_port_0: bool) -> TestResult {
    enter_loopback_netns()?;
    let mut session = Session::open()?;
    let mut rules = vec![rule(REMOTE, net::CONNECT_SEND_UDP)];
    if allow_port_0 {
        rules.push(rule(0, net::BIND_UDP));
    }
    enforce(&[Layer {
        attr: RulesetAttr {
            handled_access_net: net::BIND_UDP | net::CONNECT_SEND_UDP,
            ..Default::default()
        },
        rules,
    }])?;
    let s = socket(libc::SOCK_DGRAM)?;
    let from = session.seen().len();
    let r = nsock::sendto(
        s.as_raw_fd(),
        b"x",
        &SockaddrIn::new(127, 0, 0, 1, REMOTE),
        nsock::MsgFlags::empty(),
    );
    let what = format!("sendto(127.0.0.1:{REMOTE}) on an unbound UDP socket");
    let expected = if allow_port_0 {
        expect_ok(what, r)?;
        vec![]
    } else {
        expect_errno(what, r, Errno::EACCES)?;
        vec!["blockers=net.bind_udp".to_string()]
    };
    expect_exactly(
        &mut session,
        from,
        &["blockers=net.".to_string()],
        &expected,
    )
}

pub fn tests() -> Vec<Test> {
    let tcp = "LANDLOCK_ACCESS_NET_CONNECT_TCP";
    let udp = "LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP";
    use llconf_harness::twin::pair;
    [
        pair(
            audit_test(
                "denial_net::connect_bound::tcp_denied_names_both_ends",
                || connect_bound(false, false),
            )
            .needs(tcp)
            // Kernels before ABI 9 log a connect without the socket's own
            // address (no sk in the record's network data; seen on 6.18.15
            // and 7.0.13, ABIs 7 and 8); 7.1 (ABI 9) on add laddr and lport,
            // as the kernel's own selftests expect. No probe shows it but the
            // ABI.
            .requires(Requirement::Abi {
                version: 9,
                what: "the bound socket's laddr and lport in a connect record",
            }),
            audit_test(
                "denial_net::connect_bound::tcp_allowed_logs_nothing",
                || connect_bound(false, true),
            )
            .needs(tcp),
        ),
        pair(
            audit_test(
                "denial_net::connect_bound::udp_denied_names_both_ends",
                || connect_bound(true, false),
            )
            .needs(udp),
            audit_test(
                "denial_net::connect_bound::udp_allowed_logs_nothing",
                || connect_bound(true, true),
            )
            .needs(udp),
        ),
        pair(
            audit_test(
                "denial_net::autobind::sendto_udp_denied_bind_port_0",
                || autobind(false),
            )
            .needs(udp),
            audit_test("denial_net::autobind::sendto_udp_port_0_allowed", || {
                autobind(true)
            })
            .needs(udp),
        ),
    ]
    .concat()
}
