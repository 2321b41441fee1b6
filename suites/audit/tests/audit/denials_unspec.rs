//! `audit::denial_net::unspec_ipv6::<layers>`: sendto() with an AF_UNSPEC
//! address on a connected IPv6 UDP socket. Landlock denies it outright when
//! a layer handles CONNECT_SEND_UDP (the socket may turn IPv4 under it), so
//! even a rule for the peer's port does not help. The record names the
//! blocker and the socket's own ends (lsm_audit prints no daddr for
//! AF_UNSPEC), and `domain=` the youngest layer that handles the right.
//! Its twin: no layer handles it, the datagram reaches the connected peer
//! and nothing is logged.
//!
//! The selftests caught mutant net.c:136 here (the layer masks of this
//! denial left unset) and llconf had no record of this denial. The layers'
//! ids come from their landlock_create_domain trace events.

use crate::common::audit_test;
use crate::denials_net::rule;
use crate::layers::{enforce, expect_exactly, Layer};
use crate::session::Session;
use llconf_harness::abi::net::{BIND_UDP, CONNECT_SEND_UDP};
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::fixture::trace::Instance;
use llconf_harness::{
    expect_eq, expect_errno, fail, OrFail, Requirement, RulesetAttr, Test, TestResult,
};
use llconf_net::Receiver;
use llconf_net::{call, Addr, Family};

const LOCAL: u16 = 4411;
const REMOTE: u16 = 4412;
const CREATE_DOMAIN: &str = "landlock_create_domain";

/// One layer per entry, oldest first: true handles CONNECT_SEND_UDP (with
/// a rule for REMOTE), false handles BIND_UDP only (with a rule for LOCAL).
fn layer(handles_send: bool) -> Layer {
    let (handled, port) = if handles_send {
        (CONNECT_SEND_UDP, REMOTE)
    } else {
        (BIND_UDP, LOCAL)
    };
    Layer {
        attr: RulesetAttr {
            handled_access_net: handled,
            ..Default::default()
        },
        rules: vec![rule(port, handled)],
    }
}

fn sendto_unspec(handles_send: &'static [bool]) -> TestResult {
    enter_loopback_netns()?;
    let f = Family::V6;
    let peer = Receiver::bind(f, REMOTE)?;
    let s = call::udp(f)?;
    call::bind(&s, &Addr::loopback(f, LOCAL)).or_fail("bind([::1]:LOCAL)")?;
    call::connect(&s, &Addr::loopback(f, REMOTE)).or_fail("connect([::1]:REMOTE)")?;
    let mut session = Session::open()?;
    let trace = Instance::new(&[CREATE_DOMAIN])?;
    let layers: Vec<Layer> = handles_send.iter().map(|&h| layer(h)).collect();
    enforce(&layers)?;
    let ids = trace.domain_chain(layers.len())?;
    let from = session.seen().len();
    let a = Addr::unspec(f, REMOTE);
    let what = format!("sendto({a}) on an IPv6 socket connected to [::1]:{REMOTE}");
    let r = call::sendto(&s, b"x", &a);
    let objects = ["blockers=net.".to_string()];
    let Some(denier) = handles_send.iter().rposition(|&h| h) else {
        expect_eq(what, r, Ok(1))?;
        peer.expect("AF_UNSPEC as no address: to the connected peer", 1)?;
        return expect_exactly(&mut session, from, &objects, &[]);
    };
    expect_errno(what, r, llconf_harness::Errno::EACCES)?;
    peer.expect("AF_UNSPEC on IPv6 with CONNECT_SEND_UDP handled", 0)?;
    let body =
        format!("blockers=net.connect_send_udp laddr=::1 lport={LOCAL} faddr=::1 fport={REMOTE}");
    expect_exactly(&mut session, from, &objects, std::slice::from_ref(&body))?;
    let record = session.seen()[from..]
        .iter()
        .find(|r| r.is_access() && r.rest == body)
        .ok_or_else(|| fail(format!("the record `{body}` went missing")))?;
    expect_eq(
        format!(
            "domain of the record (layer {} of {})",
            denier + 1,
            ids.len()
        ),
        format!("{:x}", record.domain),
        format!("{:x}", ids[denier]),
    )
}

pub fn tests() -> Vec<Test> {
    const PREFIX: &str = "denial_net::unspec_ipv6";
    // (name, layers, twin): each denial's twin is the same stack with no
    // layer handling CONNECT_SEND_UDP.
    let cases: [(&str, &'static [bool], &str); 5] = [
        ("one_layer_denied", &[true], "one_layer_not_handled"),
        ("one_layer_not_handled", &[false], "one_layer_denied"),
        (
            "older_layer_denied",
            &[true, false],
            "two_layers_not_handled",
        ),
        (
            "younger_layer_denied",
            &[false, true],
            "two_layers_not_handled",
        ),
        (
            "two_layers_not_handled",
            &[false, false],
            "older_layer_denied",
        ),
    ];
    cases
        .into_iter()
        .map(|(name, layers, twin)| {
            audit_test(&format!("{PREFIX}::{name}"), move || sendto_unspec(layers))
                .needs("LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP")
                .requires(Requirement::TraceEvent(CREATE_DOMAIN))
                .twin(format!("audit::{PREFIX}::{twin}"))
        })
        .collect()
}
