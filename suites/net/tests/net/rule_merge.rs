//! `net::rule_merge::<family>::*`: two rules for one port, in both orders.
//! Within one ruleset the kernel merges them into one rule whose rights are
//! the union (security/landlock/ruleset.c, landlock_store_rule: `access
//! |=`), whichever comes first; across layers each layer keeps its own rule
//! and an access needs every layer's (the intersection). A quiet rule
//! (LANDLOCK_ADD_RULE_QUIET, ABI 10) grants its rights like any rule: the
//! flag only silences the denial records (an audit matter, not checked
//! here), and a quiet rule with no rights grants nothing.
//!
//! The port is `port::ALLOWED`; the narrow right is BIND_TCP, the extra
//! one CONNECT_TCP. Each cell binds a socket to the port, or connects to a
//! listener created on it before the sandbox, which counts what arrived.
//! No rule covers `port::DENIED`: binding to it is the witness that the
//! domain is in force.

use llconf_harness::abi::add_rule::QUIET;
use llconf_harness::abi::net::{BIND_TCP, CONNECT_TCP};
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::{
    expect_errno, expect_ok, expect_result, ruleset, sys, Errno, RulesetAttr, Test, TestResult,
};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, Addr, Family, Listener, BOTH};
use std::os::fd::AsRawFd;

const N: u64 = BIND_TCP;
const X: u64 = CONNECT_TCP;
const HANDLED: u64 = N | X;

/// One rule on the port: its rights and whether it carries the quiet flag.
#[derive(Clone, Copy, Debug)]
struct Rule {
    access: u64,
    quiet: bool,
}

const fn p(access: u64) -> Rule {
    Rule {
        access,
        quiet: false,
    }
}
const fn q(access: u64) -> Rule {
    Rule {
        access,
        quiet: true,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Probe {
    /// bind(port): the narrow right.
    Bind,
    /// connect(port): the extra right.
    Connect,
}

/// One cell: `scope::variant::probe_verdict`, its layers of rules (each
/// layer a ruleset of its own), what the probe must give, and its twin as
/// `scope::variant::probe_verdict`. The table has the shape of
/// fs::rule_merge's.
struct Cell {
    scope: &'static str,
    variant: &'static str,
    layers: &'static [&'static [Rule]],
    probe: Probe,
    expect: Option<Errno>,
    twin: &'static str,
}

impl Cell {
    fn quiet(&self) -> bool {
        self.scope.starts_with("quiet")
    }
    fn case(&self) -> String {
        let probe = match self.probe {
            Probe::Bind => "bind",
            Probe::Connect => "connect",
        };
        let verdict = if self.expect.is_none() {
            "allowed"
        } else {
            "eacces"
        };
        format!("{}::{}::{probe}_{verdict}", self.scope, self.variant)
    }
}

const OK: Option<Errno> = None;
const EACCES: Option<Errno> = Some(Errno::EACCES);

macro_rules! cell {
    ($scope:literal, $variant:literal, $layers:expr, $probe:ident, $expect:expr, $twin:literal) => {
        Cell {
            scope: $scope,
            variant: $variant,
            layers: $layers,
            probe: Probe::$probe,
            expect: $expect,
            twin: $twin,
        }
    };
}

const CELLS: &[Cell] = &[
    // One ruleset: the union, whatever the order.
    cell!(
        "one_ruleset",
        "narrow_then_wide",
        &[&[p(N), p(N | X)]],
        Bind,
        OK,
        "one_ruleset::extra_twice::bind_eacces"
    ),
    cell!(
        "one_ruleset",
        "narrow_then_wide",
        &[&[p(N), p(N | X)]],
        Connect,
        OK,
        "two_layers::narrow_then_wide::connect_eacces"
    ),
    cell!(
        "one_ruleset",
        "wide_then_narrow",
        &[&[p(N | X), p(N)]],
        Bind,
        OK,
        "one_ruleset::extra_twice::bind_eacces"
    ),
    cell!(
        "one_ruleset",
        "wide_then_narrow",
        &[&[p(N | X), p(N)]],
        Connect,
        OK,
        "two_layers::wide_then_narrow::connect_eacces"
    ),
    cell!(
        "one_ruleset",
        "narrow_twice",
        &[&[p(N), p(N)]],
        Bind,
        OK,
        "one_ruleset::extra_twice::bind_eacces"
    ),
    cell!(
        "one_ruleset",
        "narrow_twice",
        &[&[p(N), p(N)]],
        Connect,
        EACCES,
        "one_ruleset::narrow_then_extra::connect_allowed"
    ),
    cell!(
        "one_ruleset",
        "narrow_then_extra",
        &[&[p(N), p(X)]],
        Bind,
        OK,
        "one_ruleset::extra_twice::bind_eacces"
    ),
    cell!(
        "one_ruleset",
        "narrow_then_extra",
        &[&[p(N), p(X)]],
        Connect,
        OK,
        "one_ruleset::narrow_twice::connect_eacces"
    ),
    cell!(
        "one_ruleset",
        "extra_twice",
        &[&[p(X), p(X)]],
        Bind,
        EACCES,
        "one_ruleset::narrow_then_extra::bind_allowed"
    ),
    cell!(
        "one_ruleset",
        "extra_twice",
        &[&[p(X), p(X)]],
        Connect,
        OK,
        "one_ruleset::narrow_twice::connect_eacces"
    ),
    // Two layers: the intersection, whatever the order.
    cell!(
        "two_layers",
        "narrow_then_wide",
        &[&[p(N)], &[p(N | X)]],
        Bind,
        OK,
        "two_layers::wide_then_extra::bind_eacces"
    ),
    cell!(
        "two_layers",
        "narrow_then_wide",
        &[&[p(N)], &[p(N | X)]],
        Connect,
        EACCES,
        "one_ruleset::narrow_then_wide::connect_allowed"
    ),
    cell!(
        "two_layers",
        "wide_then_narrow",
        &[&[p(N | X)], &[p(N)]],
        Bind,
        OK,
        "two_layers::wide_then_extra::bind_eacces"
    ),
    cell!(
        "two_layers",
        "wide_then_narrow",
        &[&[p(N | X)], &[p(N)]],
        Connect,
        EACCES,
        "one_ruleset::wide_then_narrow::connect_allowed"
    ),
    cell!(
        "two_layers",
        "wide_twice",
        &[&[p(N | X)], &[p(N | X)]],
        Bind,
        OK,
        "two_layers::wide_then_extra::bind_eacces"
    ),
    cell!(
        "two_layers",
        "wide_twice",
        &[&[p(N | X)], &[p(N | X)]],
        Connect,
        OK,
        "two_layers::wide_then_narrow::connect_eacces"
    ),
    cell!(
        "two_layers",
        "wide_then_extra",
        &[&[p(N | X)], &[p(X)]],
        Bind,
        EACCES,
        "two_layers::wide_twice::bind_allowed"
    ),
    cell!(
        "two_layers",
        "wide_then_extra",
        &[&[p(N | X)], &[p(X)]],
        Connect,
        OK,
        "two_layers::wide_then_narrow::connect_eacces"
    ),
    // Quiet rules in one ruleset: merged like any rule, both orders.
    cell!(
        "quiet_one_ruleset",
        "plain_then_quiet",
        &[&[p(N), q(X)]],
        Bind,
        OK,
        "quiet_one_ruleset::quiet_twice::bind_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "plain_then_quiet",
        &[&[p(N), q(X)]],
        Connect,
        OK,
        "quiet_one_ruleset::plain_then_quiet_empty::connect_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_then_plain",
        &[&[q(X), p(N)]],
        Bind,
        OK,
        "quiet_one_ruleset::quiet_twice::bind_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_then_plain",
        &[&[q(X), p(N)]],
        Connect,
        OK,
        "quiet_one_ruleset::quiet_empty_then_plain::connect_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "plain_then_quiet_empty",
        &[&[p(N), q(0)]],
        Bind,
        OK,
        "quiet_one_ruleset::quiet_twice::bind_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "plain_then_quiet_empty",
        &[&[p(N), q(0)]],
        Connect,
        EACCES,
        "quiet_one_ruleset::plain_then_quiet::connect_allowed"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_empty_then_plain",
        &[&[q(0), p(N)]],
        Bind,
        OK,
        "quiet_one_ruleset::quiet_twice::bind_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_empty_then_plain",
        &[&[q(0), p(N)]],
        Connect,
        EACCES,
        "quiet_one_ruleset::quiet_then_plain::connect_allowed"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_twice",
        &[&[q(X), q(X)]],
        Bind,
        EACCES,
        "quiet_one_ruleset::quiet_then_plain::bind_allowed"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_twice",
        &[&[q(X), q(X)]],
        Connect,
        OK,
        "quiet_one_ruleset::plain_then_quiet_empty::connect_eacces"
    ),
    // Quiet rules across layers: intersected like any rule.
    cell!(
        "quiet_two_layers",
        "plain_then_quiet",
        &[&[p(N | X)], &[q(N)]],
        Bind,
        OK,
        "quiet_two_layers::plain_then_quiet_empty::bind_eacces"
    ),
    cell!(
        "quiet_two_layers",
        "plain_then_quiet",
        &[&[p(N | X)], &[q(N)]],
        Connect,
        EACCES,
        "quiet_two_layers::plain_then_quiet_wide::connect_allowed"
    ),
    cell!(
        "quiet_two_layers",
        "quiet_then_plain",
        &[&[q(N | X)], &[p(N)]],
        Bind,
        OK,
        "quiet_two_layers::plain_then_quiet_empty::bind_eacces"
    ),
    cell!(
        "quiet_two_layers",
        "quiet_then_plain",
        &[&[q(N | X)], &[p(N)]],
        Connect,
        EACCES,
        "quiet_two_layers::quiet_then_plain_wide::connect_allowed"
    ),
    cell!(
        "quiet_two_layers",
        "plain_then_quiet_wide",
        &[&[p(N | X)], &[q(N | X)]],
        Bind,
        OK,
        "quiet_two_layers::plain_then_quiet_empty::bind_eacces"
    ),
    cell!(
        "quiet_two_layers",
        "plain_then_quiet_wide",
        &[&[p(N | X)], &[q(N | X)]],
        Connect,
        OK,
        "quiet_two_layers::plain_then_quiet::connect_eacces"
    ),
    cell!(
        "quiet_two_layers",
        "quiet_then_plain_wide",
        &[&[q(N | X)], &[p(N | X)]],
        Bind,
        OK,
        "quiet_two_layers::plain_then_quiet_empty::bind_eacces"
    ),
    cell!(
        "quiet_two_layers",
        "quiet_then_plain_wide",
        &[&[q(N | X)], &[p(N | X)]],
        Connect,
        OK,
        "quiet_two_layers::quiet_then_plain::connect_eacces"
    ),
    // A layer whose only rule is quiet and empty grants nothing.
    cell!(
        "quiet_two_layers",
        "plain_then_quiet_empty",
        &[&[p(N | X)], &[q(0)]],
        Bind,
        EACCES,
        "quiet_two_layers::plain_then_quiet::bind_allowed"
    ),
    cell!(
        "quiet_two_layers",
        "plain_then_quiet_empty",
        &[&[p(N | X)], &[q(0)]],
        Connect,
        EACCES,
        "quiet_two_layers::plain_then_quiet_wide::connect_allowed"
    ),
];

/// Builds and enforces one layer: the quiet scopes set quiet_access_net to
/// everything handled, which a quiet rule needs.
fn enforce_layer(rules: &[Rule], quiet: bool) -> TestResult {
    let attr = RulesetAttr {
        handled_access_net: HANDLED,
        quiet_access_net: if quiet { HANDLED } else { 0 },
        ..Default::default()
    };
    let rs = expect_ok(
        format!("landlock_create_ruleset({attr:?})"),
        sys::create_ruleset(&attr, std::mem::size_of::<RulesetAttr>(), 0),
    )?;
    for r in rules {
        let flags = if r.quiet { QUIET } else { 0 };
        expect_ok(
            format!(
                "add_rule(NET_PORT, {ALLOWED}, {:#x}, flags={flags:#x})",
                r.access
            ),
            sys::add_net_port(rs.as_raw_fd(), r.access, ALLOWED as u64, flags),
        )?;
    }
    expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    expect_ok(
        "landlock_restrict_self(flags=0)",
        sys::restrict_self(rs.as_raw_fd(), 0),
    )?;
    ruleset::verify_domain_in_effect()
}

fn run(c: &Cell, f: Family) -> TestResult {
    enter_loopback_netns()?;
    let listener = match c.probe {
        Probe::Connect => Some(Listener::bind(f, ALLOWED)?),
        Probe::Bind => None,
    };
    for layer in c.layers {
        enforce_layer(layer, c.quiet())?;
    }
    let s = call::tcp(f)?;
    let what = format!("{:?} with {:?}", c.probe, c.layers);
    match (c.probe, listener) {
        (Probe::Bind, _) => expect_result(
            format!("bind({ALLOWED}): {what}"),
            call::bind(&s, &Addr::loopback(f, ALLOWED)),
            c.expect,
        )?,
        (Probe::Connect, Some(l)) => {
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
        (Probe::Connect, None) => unreachable!("a connect cell has a listener"),
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
    for (i, c) in CELLS.iter().enumerate() {
        for &f in BOTH.iter() {
            let t = Test::new(format!("{PREFIX}::{}::{}", f.name(), c.case()), move || {
                run(&CELLS[i], f)
            })
            .needs("LANDLOCK_ACCESS_NET_BIND_TCP")
            .twin(format!("{PREFIX}::{}::{}", f.name(), c.twin));
            let t = if c.quiet() {
                t.needs("LANDLOCK_ADD_RULE_QUIET")
            } else {
                t
            };
            v.push(t.enforcement());
        }
    }
    v
}
