//! `trace::deny_access_net`: a denied bind(2) gives one
//! landlock_deny_access_net event naming the denying domain (the id of its
//! create_domain event), the right and the port, with same_exec=1 and
//! logged=1 (default flags); an allowed one none.

use crate::common::*;
use llconf_harness::abi::net;
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::fixture::trace::Instance;
use llconf_harness::{Ruleset, Test, TestResult};

const PORT: u16 = 4242;

fn bind_port(rule: bool) -> TestResult {
    enter_loopback_netns()?;
    let rs = Ruleset::net(net::BIND_TCP)?;
    if rule {
        rs.allow_port(PORT.into(), net::BIND_TCP)?;
    }
    let t = Instance::new(&[CREATE_DOMAIN, DENY_NET])?;
    rs.enforce()?;
    bind_tcp_v4(PORT, !rule)?;
    if rule {
        return t.none(DENY_NET, "after an allowed bind");
    }
    let (id, _) = created_domain(&t, 0, "after enforcing")?;
    let e = t.one(DENY_NET, "after a denied bind")?;
    expect_id(&e, "domain", id)?;
    e.expect("same_exec", "1")?;
    e.expect("logged", "1")?;
    e.expect("blockers", "bind_tcp")?;
    e.expect("port", &PORT.to_string())
}

pub fn tests() -> Vec<Test> {
    let t = |name: &str, body: fn() -> TestResult| {
        case(name, DENY_NET, body)
            .needs("LANDLOCK_ACCESS_NET_BIND_TCP")
            .enforcement()
    };
    llconf_harness::twin::pair(
        t("deny_access_net::bind_denied::one_event", || {
            bind_port(false)
        }),
        t("deny_access_net::bind_allowed::no_event", || {
            bind_port(true)
        }),
    )
    .into()
}
