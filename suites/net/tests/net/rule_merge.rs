//! `net::rule_merge::<family>::*` (TCP) and `net::rule_merge_udp::<family>::*`
//! (UDP, ABI 10): two rules for one port, in both orders, from the shared
//! table (llconf_harness::fixture::rule_merge, which says why one ruleset
//! gives the union and layers the intersection, quiet or not).
//!
//! The port is `port::ALLOWED`. For TCP the narrow right is BIND_TCP and
//! the extra one CONNECT_TCP: each cell binds a socket to the port, or
//! connects to a listener created on it before the sandbox, which counts
//! what arrived. For UDP the narrow right is BIND_UDP and the extra one
//! CONNECT_SEND_UDP: each cell binds to the port, or sends to a receiver on
//! it from a socket bound before the sandbox (an unbound one would
//! autobind, which BIND_UDP checks as port 0), and counts what arrived.
//! No rule covers `port::DENIED`: binding to it is the witness that the
//! domain is in force.

use llconf_harness::abi::net::{BIND_TCP, BIND_UDP, CONNECT_SEND_UDP, CONNECT_TCP};
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::fixture::rule_merge::{enforce_layer, Cell, Probe, ProbeNames, Rule, CELLS};
use llconf_harness::{
    expect_errno, expect_ok, expect_result, sys, Errno, RulesetAttr, Test, TestResult,
};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, Addr, Family, Listener, Receiver, BOTH};

/// The protocol's narrow and extra rights.
#[derive(Clone, Copy, Debug)]
enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    fn rights(self) -> (u64, u64) {
        match self {
            Proto::Tcp => (BIND_TCP, CONNECT_TCP),
            Proto::Udp => (BIND_UDP, CONNECT_SEND_UDP),
        }
    }

    fn names(self) -> ProbeNames {
        ProbeNames {
            narrow: "bind",
            extra: match self {
                Proto::Tcp => "connect",
                Proto::Udp => "send",
            },
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Proto::Tcp => "net::rule_merge",
            Proto::Udp => "net::rule_merge_udp",
        }
    }

    fn feature(self) -> &'static str {
        match self {
            Proto::Tcp => "LANDLOCK_ACCESS_NET_BIND_TCP",
            Proto::Udp => "LANDLOCK_ACCESS_NET_BIND_UDP",
        }
    }

    fn socket(self, f: Family) -> Result<std::os::fd::OwnedFd, llconf_harness::Stop> {
        match self {
            Proto::Tcp => call::tcp(f),
            Proto::Udp => call::udp(f),
        }
    }
}

/// One layer of rules on the port: the quiet scopes set quiet_access_net
/// to everything handled, which a quiet rule needs.
fn layer(p: Proto, rules: &[Rule], quiet: bool) -> TestResult {
    let (n, x) = p.rights();
    let attr = RulesetAttr {
        handled_access_net: n | x,
        quiet_access_net: if quiet { n | x } else { 0 },
        ..Default::default()
    };
    enforce_layer(&attr, rules, |rs, r| {
        let (access, flags) = (r.access(n, x), r.flags());
        expect_ok(
            format!("add_rule(NET_PORT, {ALLOWED}, {access:#x}, flags={flags:#x})"),
            sys::add_net_port(rs, access, ALLOWED as u64, flags),
        )
    })
}

fn run(c: &Cell, f: Family) -> TestResult {
    enter_loopback_netns()?;
    let listener = match c.probe {
        Probe::Extra => Some(Listener::bind(f, ALLOWED)?),
        Probe::Narrow => None,
    };
    for rules in c.layers {
        layer(Proto::Tcp, rules, c.quiet())?;
    }
    let s = call::tcp(f)?;
    let what = format!("{:?} with {:?}", c.probe, c.layers);
    match (c.probe, listener) {
        (Probe::Narrow, _) => expect_result(
            format!("bind({ALLOWED}): {what}"),
            call::bind(&s, &Addr::loopback(f, ALLOWED)),
            c.expect,
        )?,
        (Probe::Extra, Some(l)) => {
            expect_result(
                format!("connect({ALLOWED}): {what}"),
                call::connect(&s, &Addr::loopback(f, ALLOWED)),
                c.expect,
            )?;
            l.expect(
                "connections that reached the listener",
                usize::from(c.expect.is_none()),
            )?;
        }
        (Probe::Extra, None) => unreachable!("a connect cell has a listener"),
    }
    witness(Proto::Tcp, f)
}

fn run_udp(c: &Cell, f: Family) -> TestResult {
    enter_loopback_netns()?;
    // The receiver and the sender's own port are bound before the sandbox:
    // only the probe's right is checked after it.
    let receiver = match c.probe {
        Probe::Extra => Some(Receiver::bind(f, ALLOWED)?),
        Probe::Narrow => None,
    };
    let s = call::udp(f)?;
    if c.probe == Probe::Extra {
        expect_ok(
            "bind the sender to an ephemeral port before the sandbox",
            call::bind(&s, &Addr::loopback(f, 0)),
        )?;
    }
    for rules in c.layers {
        layer(Proto::Udp, rules, c.quiet())?;
    }
    let what = format!("{:?} with {:?}", c.probe, c.layers);
    match (c.probe, receiver) {
        (Probe::Narrow, _) => expect_result(
            format!("bind({ALLOWED}): {what}"),
            call::bind(&s, &Addr::loopback(f, ALLOWED)),
            c.expect,
        )?,
        (Probe::Extra, Some(r)) => {
            expect_result(
                format!("sendto({ALLOWED}): {what}"),
                call::sendto(&s, b"merge", &Addr::loopback(f, ALLOWED)).map(|_| ()),
                c.expect,
            )?;
            r.expect(
                "datagrams that reached the receiver",
                usize::from(c.expect.is_none()),
            )?;
        }
        (Probe::Extra, None) => unreachable!("a send cell has a receiver"),
    }
    witness(Proto::Udp, f)
}

/// No rule covers `DENIED`: a bind there is refused, so the domain is in
/// force whatever the probe gave.
fn witness(p: Proto, f: Family) -> TestResult {
    let w = p.socket(f)?;
    expect_errno(
        format!("bind({DENIED}), under no rule: the domain is in force"),
        call::bind(&w, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )
}

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    for p in [Proto::Tcp, Proto::Udp] {
        for c in CELLS {
            for &f in BOTH.iter() {
                let full = |case: String| format!("{}::{}::{case}", p.prefix(), f.name());
                let body: Box<dyn Fn() -> TestResult + Send + Sync> = match p {
                    Proto::Tcp => Box::new(move || run(c, f)),
                    Proto::Udp => Box::new(move || run_udp(c, f)),
                };
                v.push(c.test(
                    full(c.case(p.names())),
                    full(c.twin_case(p.names())),
                    p.feature(),
                    body,
                ));
            }
        }
    }
    v
}
