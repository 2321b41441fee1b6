//! `net::older_abi`: what kernels before the UDP rights (ABI < 10) and
//! before any network right (ABI < 4) must answer.

use crate::unchecked;
use llconf_harness::abi::{self as uapi, net};
use llconf_harness::{
    expect_errno, expect_ok, probe, sys, Errno, OrFail, Requirement, RulesetAttr, Test, TestResult,
};
use llconf_net::case::{plain, twin_name, TCP};
use llconf_net::port::{ALLOWED, DENIED, SOURCE};
use llconf_net::{call, domain, Addr, Family, Listener, Receiver, BOTH};

const BEFORE_UDP: Requirement = Requirement::AbiBelow {
    version: 10,
    what: "UDP rights rejected as unknown",
};

fn net_attr(handled: u64) -> RulesetAttr {
    RulesetAttr {
        handled_access_net: handled,
        ..Default::default()
    }
}

fn udp_rights_einval() -> TestResult {
    for (name, bits) in [
        ("BIND_UDP", net::BIND_UDP),
        ("CONNECT_SEND_UDP", net::CONNECT_SEND_UDP),
        (
            "BIND_TCP|CONNECT_TCP|BIND_UDP|CONNECT_SEND_UDP",
            domain::TCP | domain::UDP,
        ),
    ] {
        for size in [16, std::mem::size_of::<RulesetAttr>()] {
            expect_errno(
                format!("create_ruleset(handled_access_net={name}, size {size})"),
                sys::create_ruleset(&net_attr(bits), size, 0),
                Errno::EINVAL,
            )?;
        }
    }
    Ok(())
}

/// Under a domain that handles every network right this kernel knows, UDP
/// goes anywhere.
fn udp_unrestricted(f: Family) -> TestResult {
    let r = Receiver::bind(f, DENIED)?;
    let l = Listener::bind(f, DENIED)?;
    let known = uapi::mask_for_abi(uapi::ACCESS_NET, probe::kernel().abi);
    domain::enforce(known, &[(ALLOWED, known)])?;
    let s = call::udp(f)?;
    expect_ok(
        "UDP bind(port with no rule)",
        call::bind(&s, &Addr::loopback(f, SOURCE)),
    )?;
    unchecked::udp_connect_and_sends(f, &s)?;
    r.expect("UDP on a kernel without UDP rights", 2)?;
    unchecked::tcp_connect_denied(f, &l)
}

/// Before ABI 4 the struct ends after handled_access_fs: a non-zero
/// handled_access_net lies past it.
fn handled_net_e2big() -> TestResult {
    let attr = RulesetAttr {
        handled_access_fs: uapi::fs::EXECUTE,
        handled_access_net: net::BIND_TCP,
        ..Default::default()
    };
    expect_errno(
        "create_ruleset(fs=EXECUTE, net=BIND_TCP, size 16)",
        sys::create_ruleset(&attr, 16, 0),
        Errno::E2BIG,
    )?;
    expect_errno(
        "create_ruleset(net=BIND_TCP only, size 16)",
        sys::create_ruleset(&net_attr(net::BIND_TCP), 16, 0),
        Errno::E2BIG,
    )?;
    expect_ok(
        "create_ruleset(fs=EXECUTE, size 8): the net field unread",
        sys::create_ruleset(&attr, 8, 0),
    )
    .map(drop)
}

/// The twin of the two argument checks below, on any ABI: a ruleset whose
/// handled_access_net is zero is accepted at size 16, and a PATH_BENEATH
/// rule, the rule type every ABI knows, is accepted on it.
fn fs_ruleset_accepted() -> TestResult {
    let attr = RulesetAttr {
        handled_access_fs: uapi::fs::EXECUTE,
        ..Default::default()
    };
    let rs = expect_ok(
        "create_ruleset(fs=EXECUTE, net=0, size 16)",
        sys::create_ruleset(&attr, 16, 0),
    )?;
    let root = std::fs::File::open("/").or_fail("open /")?;
    use std::os::fd::AsRawFd;
    expect_ok(
        "add_rule(LANDLOCK_RULE_PATH_BENEATH, EXECUTE, /)",
        sys::add_path_beneath(rs.as_raw_fd(), uapi::fs::EXECUTE, root.as_raw_fd(), 0),
    )
}

fn net_port_rule_einval() -> TestResult {
    let attr = RulesetAttr {
        handled_access_fs: uapi::fs::EXECUTE,
        ..Default::default()
    };
    let rs = expect_ok(
        "create_ruleset(fs=EXECUTE, size 8)",
        sys::create_ruleset(&attr, 8, 0),
    )?;
    use std::os::fd::AsRawFd;
    expect_errno(
        "add_rule(LANDLOCK_RULE_NET_PORT) before ABI 4",
        sys::add_net_port(rs.as_raw_fd(), net::BIND_TCP, 80, 0),
        Errno::EINVAL,
    )
}

pub fn tests() -> Vec<Test> {
    let before_net = Requirement::AbiBelow {
        version: 4,
        what: "handled_access_net past the struct the kernel knows",
    };
    let twin = "net::older_abi::fs_ruleset_accepted";
    let mut v = vec![
        // Twin: the TCP rights, which this kernel knows, are accepted.
        Test::new("net::older_abi::udp_rights_einval", udp_rights_einval)
            .needs(TCP)
            .requires(BEFORE_UDP)
            .twin("net::tcp::ipv4::bind_allowed"),
        Test::new("net::older_abi::handled_net_e2big", handled_net_e2big)
            .requires(Requirement::Landlock)
            .requires(before_net.clone())
            .twin(twin),
        Test::new("net::older_abi::net_port_rule_einval", net_port_rule_einval)
            .requires(Requirement::Landlock)
            .requires(before_net)
            .twin(twin),
        Test::new(twin, fs_ruleset_accepted)
            .requires(Requirement::Landlock)
            .twin("net::older_abi::handled_net_e2big"),
    ];
    // Twin: from ABI 10 the same sends to a port with no rule are denied.
    v.extend(BOTH.map(|f| {
        plain("net::older_abi", f, "udp_unrestricted", udp_unrestricted)
            .needs(TCP)
            .requires(BEFORE_UDP)
            .enforcement()
            .twin(twin_name("", f, "net::udp::{f}::sendto_denied"))
    }));
    v
}
