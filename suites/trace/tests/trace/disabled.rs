//! `trace::<event>::disabled::no_event`: an event that is not enabled in
//! an instance is not recorded there, even for an operation that emits
//! it. Each case runs one scenario that emits ten of the events (build a
//! ruleset, enforce it, an allowed and a denied access of each kind)
//! under two instances at once: one with every event of the scenario
//! enabled, which must record the event (so the operation did emit it),
//! and one with every event but that one, which must record the others
//! and not it.

use crate::common::*;
use llconf_harness::abi::{fs, net};
use llconf_harness::fixture::trace::Instance;
use llconf_harness::fixture::{enter_loopback_netns, TempTree};
use llconf_harness::{ensure, expect_result, Errno, Ruleset, RulesetAttr, Test, TestResult};

const PORT: u16 = 4444;

const SCENARIO: &[&str] = &[
    CREATE_RULESET,
    FREE_RULESET,
    ADD_RULE_PATH,
    ADD_RULE_NET,
    CREATE_DOMAIN,
    ENFORCE_DOMAIN,
    CHECK_RULE_INODE,
    CHECK_RULE_NET,
    DENY_FS,
    DENY_NET,
];

fn disabled(event: &'static str) -> TestResult {
    enter_loopback_netns()?;
    let tree = TempTree::with(&["d/f"])?;
    let d = tree.path("d");
    let on = Instance::new(SCENARIO)?;
    let others: Vec<&str> = SCENARIO.iter().copied().filter(|e| *e != event).collect();
    let off = Instance::new(&others)?;
    let rs = Ruleset::new(RulesetAttr {
        handled_access_fs: fs::MAKE_DIR | fs::READ_FILE,
        handled_access_net: net::BIND_TCP,
        ..Default::default()
    })?;
    rs.allow_path(&d, fs::MAKE_DIR)?;
    rs.allow_port(PORT.into(), net::BIND_TCP)?;
    // Consumes the ruleset: its descriptor is closed, and it is freed.
    rs.enforce()?;
    expect_result(
        "mkdir(d/x)",
        std::fs::create_dir(d.join("x"))
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0))),
        None,
    )?;
    expect_result(
        "open(d/f)",
        std::fs::File::open(d.join("f"))
            .map(drop)
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0))),
        Some(Errno::EACCES),
    )?;
    bind_tcp_v4(PORT, false)?;
    bind_tcp_v4(PORT + 1, true)?;
    ensure!(
        !on.lines(event)?.is_empty(),
        "the scenario emitted no {event} in the instance that enables it"
    );
    for other in &others {
        ensure!(
            !off.lines(other)?.is_empty(),
            "the instance without {event} recorded no {other}, which it enables"
        );
    }
    off.none(event, "in an instance where it is not enabled")
}

/// The case of the suite where the event is enabled and emitted once:
/// one instance setting apart, the event is there.
fn enabled_twin(event: &str) -> &'static str {
    match event {
        CREATE_RULESET => "create_ruleset::created::one_event",
        FREE_RULESET => "free_ruleset::last_fd_closed::one_event",
        ADD_RULE_PATH => "add_rule_path_beneath::added::one_event",
        ADD_RULE_NET => "add_rule_net_port::added::one_event",
        CREATE_DOMAIN => "create_domain::first_layer::one_event",
        ENFORCE_DOMAIN => "enforce_domain::no_tsync::caller_only",
        CHECK_RULE_INODE => "check_rule_inode::one_layer::grants",
        CHECK_RULE_NET => "check_rule_net_port::one_layer::grants",
        DENY_FS => "deny_access_fs::open_denied::one_event",
        DENY_NET => "deny_access_net::bind_denied::one_event",
        _ => unreachable!("{event} is not in the scenario"),
    }
}

pub fn tests() -> Vec<Test> {
    SCENARIO
        .iter()
        .map(|&event| {
            let short = event.trim_start_matches("landlock_");
            case(&format!("{short}::disabled::no_event"), event, move || {
                disabled(event)
            })
            .needs("LANDLOCK_ACCESS_NET_BIND_TCP")
            .enforcement()
            .twin(format!("trace::{}", enabled_twin(event)))
        })
        .collect()
}
