//! `trace::*_net_port`, `trace::deny_access_net`: a rule added gives one
//! landlock_add_rule_net_port event with its port and rights, a refused
//! rule none; a denied bind(2) gives one landlock_deny_access_net event
//! naming the right and the port, an allowed one none.

use llconf_harness::abi::net;
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::fixture::trace::Instance;
use llconf_harness::requirement::Requirement;
use llconf_harness::{ensure, expect_errno, expect_result, sys, Errno, Ruleset, Test, TestResult};
use nix::sys::socket::{bind, socket, AddressFamily, SockFlag, SockType, SockaddrIn};
use std::os::fd::AsRawFd;

const PORT: u16 = 4242;
const ADD_RULE: &str = "landlock_add_rule_net_port";
const DENY: &str = "landlock_deny_access_net";

fn rule_added() -> TestResult {
    let rs = Ruleset::net(net::BIND_TCP | net::CONNECT_TCP)?;
    let trace = Instance::new(&[ADD_RULE])?;
    rs.allow_port(PORT.into(), net::BIND_TCP)?;
    let e = trace.one(ADD_RULE, "after one rule added")?;
    e.expect("port", &PORT.to_string())?;
    // The rights are made absolute (what is not handled is allowed), so
    // the handled right without a rule must be absent.
    let names = e.names("access_rights");
    ensure!(
        names.contains(&"bind_tcp") && !names.contains(&"connect_tcp"),
        "access_rights of a BIND_TCP rule in a ruleset handling CONNECT_TCP too: `{}`",
        e.text
    );
    Ok(())
}

fn rule_refused() -> TestResult {
    let rs = Ruleset::net(net::BIND_TCP)?;
    let trace = Instance::new(&[ADD_RULE])?;
    expect_errno(
        "add_rule(port, CONNECT_TCP) to a ruleset that does not handle it",
        sys::add_net_port(rs.fd(), net::CONNECT_TCP, PORT.into(), 0),
        Errno::EINVAL,
    )?;
    trace.none(ADD_RULE, "after a refused rule")
}

fn bind_port(rule: bool) -> TestResult {
    enter_loopback_netns()?;
    let rs = Ruleset::net(net::BIND_TCP)?;
    if rule {
        rs.allow_port(PORT.into(), net::BIND_TCP)?;
    }
    let trace = Instance::new(&[DENY])?;
    rs.enforce()?;
    let s = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(|e| llconf_harness::fail(format!("socket: {e}")))?;
    expect_result(
        format!("bind(127.0.0.1:{PORT})"),
        bind(s.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, PORT)),
        (!rule).then_some(Errno::EACCES),
    )?;
    if rule {
        return trace.none(DENY, "after an allowed bind");
    }
    let e = trace.one(DENY, "after a denied bind")?;
    e.expect("blockers", "bind_tcp")?;
    e.expect("port", &PORT.to_string())
}

pub fn tests() -> Vec<Test> {
    let t = |name: &str, event: &'static str, body: fn() -> TestResult| {
        Test::new(format!("trace::{name}"), body)
            .needs("LANDLOCK_ACCESS_NET_BIND_TCP")
            .requires(Requirement::TraceEvent(event))
            .enforcement()
    };
    vec![
        t("add_rule_net_port::added::one_event", ADD_RULE, rule_added),
        t(
            "add_rule_net_port::refused::no_event",
            ADD_RULE,
            rule_refused,
        ),
        t("deny_access_net::bind_denied::one_event", DENY, || {
            bind_port(false)
        }),
        t("deny_access_net::bind_allowed::no_event", DENY, || {
            bind_port(true)
        }),
    ]
}
