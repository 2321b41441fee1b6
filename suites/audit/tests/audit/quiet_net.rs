//! `audit::quiet_net` and `audit::quiet_scope` (ABI 10): quiet_access_net
//! with quiet port rules (TCP connect and bind, UDP connect and sendto),
//! and quiet_scoped (signals, abstract UNIX sockets), which needs no rule.
//! The denial keeps its errno; the record is muted only when the youngest
//! layer that denies (for scopes: the youngest layer that scopes it) has
//! the access in its quiet mask and, for ports, a quiet rule on the port.

use crate::common::{abstract_server, audit_test, signal_body, sleeper};
use crate::layers::{enforce, expect_exactly, Layer, On, Rule};
use crate::session::Session;
use llconf_harness::abi::{net, scope};
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::{expect_errno, Errno, OrFail, RulesetAttr, Test, TestResult};
use nix::sys::socket::{self as nsock, SockaddrIn};
use std::os::fd::{AsRawFd, OwnedFd};

const QUIET_PORT: u16 = 4301;
const OTHER_PORT: u16 = 4302;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    ConnectTcp,
    BindTcp,
    ConnectUdp,
    SendtoUdp,
}

impl Op {
    fn right(self) -> u64 {
        match self {
            Op::ConnectTcp => net::CONNECT_TCP,
            Op::BindTcp => net::BIND_TCP,
            Op::ConnectUdp | Op::SendtoUdp => net::CONNECT_SEND_UDP,
        }
    }

    /// The other right of the same protocol, for a mask that misses.
    fn sibling(self) -> u64 {
        match self {
            Op::ConnectTcp => net::BIND_TCP,
            Op::BindTcp => net::CONNECT_TCP,
            Op::ConnectUdp | Op::SendtoUdp => net::BIND_UDP,
        }
    }

    fn record(self, port: u16) -> String {
        match self {
            Op::ConnectTcp => format!("blockers=net.connect_tcp daddr=127.0.0.1 dest={port}"),
            Op::BindTcp => format!("blockers=net.bind_tcp saddr=127.0.0.1 src={port}"),
            Op::ConnectUdp | Op::SendtoUdp => {
                format!("blockers=net.connect_send_udp daddr=127.0.0.1 dest={port}")
            }
        }
    }

    fn feature(self) -> &'static str {
        match self {
            Op::ConnectTcp | Op::BindTcp => "LANDLOCK_ACCESS_NET_CONNECT_TCP",
            _ => "LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP",
        }
    }

    fn run(self, port: u16) -> TestResult {
        let udp = matches!(self, Op::ConnectUdp | Op::SendtoUdp);
        let ty = if udp {
            libc::SOCK_DGRAM
        } else {
            libc::SOCK_STREAM
        };
        // SAFETY: plain integers; the fd is owned on success.
        let fd = unsafe { libc::socket(libc::AF_INET, ty | libc::SOCK_CLOEXEC, 0) };
        let fd = Errno::result(fd).or_fail("socket(AF_INET)")?;
        // SAFETY: a new fd we own.
        let s: OwnedFd = unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) };
        let addr = SockaddrIn::new(127, 0, 0, 1, port);
        let what = format!("port {port}");
        let r = match self {
            Op::ConnectTcp | Op::ConnectUdp => nsock::connect(s.as_raw_fd(), &addr),
            Op::BindTcp => nsock::bind(s.as_raw_fd(), &addr),
            Op::SendtoUdp => {
                nsock::sendto(s.as_raw_fd(), b"x", &addr, nsock::MsgFlags::empty()).map(drop)
            }
        };
        expect_errno(what, r, Errno::EACCES)
    }
}

/// A layer handling both rights of `op`'s protocol, quiet mask `quiet`,
/// and on QUIET_PORT a quiet rule (access 0) or a plain one allowing the
/// sibling right.
fn port_layer(op: Op, quiet: u64, quiet_rule: Option<bool>) -> Layer {
    let rules = match quiet_rule {
        Some(true) => vec![Rule {
            on: On::Port(QUIET_PORT),
            access: 0,
            quiet: true,
        }],
        Some(false) => vec![Rule {
            on: On::Port(QUIET_PORT),
            access: op.sibling(),
            quiet: false,
        }],
        None => vec![],
    };
    Layer {
        attr: RulesetAttr {
            handled_access_net: op.right() | op.sibling(),
            quiet_access_net: quiet,
            ..Default::default()
        },
        rules,
    }
}

fn net_case(op: Op, layers: Vec<Layer>, port: u16, muted: bool) -> TestResult {
    enter_loopback_netns()?;
    let mut session = Session::open()?;
    enforce(&layers)?;
    let from = session.seen().len();
    op.run(port)?;
    let expected = if muted { vec![] } else { vec![op.record(port)] };
    let objects = [format!("dest={port}"), format!("src={port}")];
    expect_exactly(&mut session, from, &objects, &expected)
}

fn net_tests() -> Vec<Test> {
    let mut v = Vec::new();
    for (opname, op) in [
        ("connect_tcp", Op::ConnectTcp),
        ("bind_tcp", Op::BindTcp),
        ("connect_udp", Op::ConnectUdp),
        ("sendto_udp", Op::SendtoUdp),
    ] {
        let (r, s) = (op.right(), op.sibling());
        // (name, layers, port, muted, twin): each twin is one quiet bit,
        // mask bit, port or layer order apart, with the other outcome.
        let cases: Vec<(&str, Vec<Layer>, u16, bool, &str)> = vec![
            (
                "quiet_rule_on_port",
                vec![port_layer(op, r, Some(true))],
                QUIET_PORT,
                true,
                "rule_without_quiet_bit",
            ),
            (
                "quiet_rule_on_another_port",
                vec![port_layer(op, r, Some(true))],
                OTHER_PORT,
                false,
                "quiet_rule_on_port",
            ),
            (
                "mask_without_the_right",
                vec![port_layer(op, s, Some(true))],
                QUIET_PORT,
                false,
                "quiet_rule_on_port",
            ),
            (
                "rule_without_quiet_bit",
                vec![port_layer(op, r, Some(false))],
                QUIET_PORT,
                false,
                "quiet_rule_on_port",
            ),
            // The kernel's connect_quiet_bind: the first layer's mask
            // misses, a second layer that also denies has it.
            (
                "younger_layer_has_the_mask",
                vec![port_layer(op, s, Some(true)), port_layer(op, r, Some(true))],
                QUIET_PORT,
                true,
                "older_layer_has_the_mask",
            ),
            (
                "older_layer_has_the_mask",
                vec![port_layer(op, r, Some(true)), port_layer(op, s, Some(true))],
                QUIET_PORT,
                false,
                "younger_layer_has_the_mask",
            ),
        ];
        for (name, layers, port, muted, twin) in cases {
            v.push(
                audit_test(&format!("quiet_net::{opname}::{name}"), move || {
                    net_case(op, layers.clone(), port, muted)
                })
                .needs(op.feature())
                .twin(format!("audit::quiet_net::{opname}::{twin}")),
            );
        }
    }
    v
}

fn scoped(scoped: u64, quiet_scoped: u64) -> Layer {
    Layer {
        attr: RulesetAttr {
            scoped,
            quiet_scoped,
            ..Default::default()
        },
        rules: vec![],
    }
}

fn signal_case(layers: Vec<Layer>, muted: bool) -> TestResult {
    let target = sleeper()?;
    let mut session = Session::open()?;
    let body = signal_body(target.pid())?;
    enforce(&layers)?;
    let from = session.seen().len();
    crate::common::signal_denied(target.pid())?;
    let expected = if muted { vec![] } else { vec![body] };
    let object = format!("opid={} ", target.pid());
    expect_exactly(&mut session, from, &[object], &expected)
}

fn abstract_case(layers: Vec<Layer>, muted: bool) -> TestResult {
    let (_server, addr, path) = abstract_server("quiet")?;
    let mut session = Session::open()?;
    let body = format!("blockers=scope.abstract_unix_socket path={path}");
    enforce(&layers)?;
    let from = session.seen().len();
    expect_errno(
        "connect to an abstract socket outside the domain",
        crate::common::connect_abstract(&addr)?,
        Errno::EPERM,
    )?;
    let expected = if muted { vec![] } else { vec![body] };
    expect_exactly(&mut session, from, &[format!("path={path}")], &expected)
}

fn scope_tests() -> Vec<Test> {
    let (sig, uds) = (scope::SIGNAL, scope::ABSTRACT_UNIX_SOCKET);
    let both = sig | uds;
    let mut v = Vec::new();
    // (name, layers, muted) for a signal; the same shapes with the two
    // scopes swapped for an abstract socket.
    // (name, layers, muted, twin): the twin is one quiet bit or one layer
    // order apart, with the other outcome.
    type Shape = (&'static str, Vec<Layer>, bool, &'static str);
    let shapes = |this: u64, other: u64| -> Vec<Shape> {
        vec![
            (
                "quiet_scoped_has_it",
                vec![scoped(both, this)],
                true,
                "quiet_scoped_empty",
            ),
            (
                "quiet_scoped_has_the_other_scope",
                vec![scoped(both, other)],
                false,
                "quiet_scoped_has_it",
            ),
            (
                "quiet_scoped_empty",
                vec![scoped(both, 0)],
                false,
                "quiet_scoped_has_it",
            ),
            (
                "younger_layer_quiet",
                vec![scoped(this, 0), scoped(this, this)],
                true,
                "older_layer_quiet_only",
            ),
            (
                "older_layer_quiet_only",
                vec![scoped(this, this), scoped(this, 0)],
                false,
                "younger_layer_quiet",
            ),
            // The youngest layer that scopes the access decides, even when
            // a younger layer exists that scopes something else.
            (
                "older_scoping_layer_quiet_younger_scopes_other",
                vec![scoped(this, this), scoped(other, other)],
                true,
                "older_scoping_layer_loud_younger_scopes_other",
            ),
            (
                "older_scoping_layer_loud_younger_scopes_other",
                vec![scoped(this, 0), scoped(other, other)],
                false,
                "older_scoping_layer_quiet_younger_scopes_other",
            ),
        ]
    };
    for (name, layers, muted, twin) in shapes(sig, uds) {
        v.push(
            audit_test(&format!("quiet_scope::signal::{name}"), move || {
                signal_case(layers.clone(), muted)
            })
            .needs("LANDLOCK_SCOPE_SIGNAL")
            .twin(format!("audit::quiet_scope::signal::{twin}")),
        );
    }
    for (name, layers, muted, twin) in shapes(uds, sig) {
        v.push(
            audit_test(&format!("quiet_scope::abstract_unix::{name}"), move || {
                abstract_case(layers.clone(), muted)
            })
            .needs("LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET")
            .twin(format!("audit::quiet_scope::abstract_unix::{twin}")),
        );
    }
    v
}

pub fn tests() -> Vec<Test> {
    [net_tests(), scope_tests()]
        .concat()
        .into_iter()
        .map(|t| t.needs("LANDLOCK_ADD_RULE_QUIET"))
        .collect()
}
