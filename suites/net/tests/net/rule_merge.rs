//! `net::rule_merge::<family>::*`: two rules for one port, in both orders,
//! from the shared table (llconf_harness::fixture::rule_merge, which says
//! why one ruleset gives the union and layers the intersection, quiet or
//! not).
//!
//! The port is `port::ALLOWED`; the narrow right is BIND_TCP, the extra
//! one CONNECT_TCP. Each cell binds a socket to the port, or connects to a
//! listener created on it before the sandbox, which counts what arrived.
//! No rule covers `port::DENIED`: binding to it is the witness that the
//! domain is in force.

use llconf_harness::abi::net::{BIND_TCP, CONNECT_TCP};
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::fixture::rule_merge::{enforce_layer, Cell, Probe, ProbeNames, Rule, CELLS};
use llconf_harness::{
    expect_errno, expect_ok, expect_result, sys, Errno, RulesetAttr, Test, TestResult,
};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, Addr, Family, Listener, BOTH};

const N: u64 = BIND_TCP;
const X: u64 = CONNECT_TCP;
const HANDLED: u64 = N | X;
const NAMES: ProbeNames = ProbeNames {
    narrow: "bind",
    extra: "connect",
};

/// One layer of rules on the port: the quiet scopes set quiet_access_net
/// to everything handled, which a quiet rule needs.
fn layer(rules: &[Rule], quiet: bool) -> TestResult {
    let attr = RulesetAttr {
        handled_access_net: HANDLED,
        quiet_access_net: if quiet { HANDLED } else { 0 },
        ..Default::default()
    };
    enforce_layer(&attr, rules, |rs, r| {
        let (access, flags) = (r.access(N, X), r.flags());
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
        layer(rules, c.quiet())?;
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
    let w = call::tcp(f)?;
    expect_errno(
        format!("bind({DENIED}), under no rule: the domain is in force"),
        call::bind(&w, &Addr::loopback(f, DENIED)),
        Errno::EACCES,
    )
}

const PREFIX: &str = "net::rule_merge";

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    for c in CELLS {
        for &f in BOTH.iter() {
            let full = |case: String| format!("{PREFIX}::{}::{case}", f.name());
            v.push(c.test(
                full(c.case(NAMES)),
                full(c.twin_case(NAMES)),
                "LANDLOCK_ACCESS_NET_BIND_TCP",
                move || run(c, f),
            ));
        }
    }
    v
}
