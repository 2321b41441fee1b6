//! `trace::<deny event>::layer_order::layers_<n>::<which>`: in a stack of
//! 2, 3 or 16 layers, the denial event names the youngest layer that
//! denied (`domain=`), not the youngest layer, not the first that denied;
//! and no event when no layer denies. The stacks are those of the errno
//! matrices (`fs::layer_order`, `net::layer_order`,
//! `task::layer_order::signal`): one right or scope apart per layer.
//!
//! `trace::deny_access_fs::log_flag_layer::*`: whether the denial is
//! `logged` follows the log flags of the layer that denied, not of the
//! others: LOG_SAME_EXEC_OFF on the denying middle layer of three gives
//! logged=0; on the older or the younger (allowing) layer, logged=1.

use crate::common::*;
use llconf_harness::abi::{fs, net, restrict, scope};
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::fixture::layer_order::{cases, Deniers, LayerCase};
use llconf_harness::fixture::peer::sleeper;
use llconf_harness::fixture::trace::Instance;
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_result, Errno, Ruleset, Test, TestResult};
use nix::sys::signal::kill;

/// Checks the one `event` against the case: absent when no layer denies,
/// else naming the youngest denying layer of the `layers` stacked.
fn expect_denier(t: &Instance, event: &str, c: LayerCase) -> TestResult {
    let ids = chain(t, c.layers as usize)?;
    match (0..c.layers).rev().find(|&i| c.denies(i)) {
        None => t.none(event, &format!("{}: no layer denies", c.name())),
        Some(i) => {
            let e = t.one(event, &format!("{}: a denial", c.name()))?;
            expect_id(&e, "domain", ids[i as usize])
        }
    }
}

fn fs_read(c: LayerCase) -> TestResult {
    let tree = TempTree::with(&["d/f"])?;
    let f = tree.path("d/f");
    let t = Instance::new(&[CREATE_DOMAIN, DENY_FS])?;
    c.enforce_fs_read_stack(&tree.path("d"))?;
    expect_result(
        format!("read {}", f.display()),
        std::fs::read(&f)
            .map(drop)
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0))),
        c.denied().then_some(Errno::EACCES),
    )?;
    expect_denier(&t, DENY_FS, c)
}

const PORT: u16 = 4242;

fn net_bind(c: LayerCase) -> TestResult {
    enter_loopback_netns()?;
    let t = Instance::new(&[CREATE_DOMAIN, DENY_NET])?;
    let handled = net::BIND_TCP | net::CONNECT_TCP;
    for i in 0..c.layers {
        let grant = if c.denies(i) {
            net::CONNECT_TCP
        } else {
            handled
        };
        let rs = Ruleset::net(handled)?;
        rs.allow_port(PORT.into(), grant)?;
        rs.enforce()?;
    }
    bind_tcp_v4(PORT, c.denied())?;
    expect_denier(&t, DENY_NET, c)
}

fn signal(c: LayerCase) -> TestResult {
    // A sleeper leaves by itself: the sandboxed test may not kill it.
    let target = sleeper()?;
    let t = Instance::new(&[CREATE_DOMAIN, DENY_SIGNAL])?;
    for i in 0..c.layers {
        let scopes = if c.denies(i) {
            scope::SIGNAL
        } else {
            scope::ABSTRACT_UNIX_SOCKET
        };
        Ruleset::scoped(scopes)?.enforce()?;
    }
    expect_result(
        "kill(process outside the domain, 0)",
        kill(target.pid(), None),
        c.denied().then_some(Errno::EPERM),
    )?;
    expect_denier(&t, DENY_SIGNAL, c)
}

/// Three layers; the middle one denies reads. LOG_SAME_EXEC_OFF goes on
/// layer `flagged` (0, 1 or 2).
fn log_flag_layer(flagged: u32) -> TestResult {
    let tree = TempTree::with(&["d/f"])?;
    let f = tree.path("d/f");
    let t = Instance::new(&[CREATE_DOMAIN, DENY_FS])?;
    for i in 0..3 {
        let grant = if i == 1 {
            fs::WRITE_FILE
        } else {
            fs::READ_FILE | fs::WRITE_FILE
        };
        let rs = Ruleset::fs(fs::READ_FILE | fs::WRITE_FILE)?;
        rs.allow_path(&tree.path("d"), grant)?;
        let flags = if i == flagged {
            restrict::LOG_SAME_EXEC_OFF
        } else {
            0
        };
        rs.enforce_with_flags(flags)?;
    }
    expect_result(
        format!("read {}", f.display()),
        std::fs::read(&f)
            .map(drop)
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0))),
        Some(Errno::EACCES),
    )?;
    let ids = chain(&t, 3)?;
    let e = t.one(DENY_FS, "the middle layer's denial")?;
    expect_id(&e, "domain", ids[1])?;
    e.expect("same_exec", "1")?;
    e.expect("logged", if flagged == 1 { "0" } else { "1" })
}

/// The case one layer apart with the other verdict: for a denial, the
/// same stack where no layer denies (no event); for that one, the stack
/// where only the oldest layer denies (an event naming it).
fn twin_name(prefix: &str, c: LayerCase) -> String {
    let deniers = if c.denied() {
        Deniers::None
    } else {
        Deniers::Oldest
    };
    format!("{prefix}::{}", LayerCase { deniers, ..c }.name())
}

pub fn tests() -> Vec<Test> {
    let matrix = |event: &'static str, body: fn(LayerCase) -> TestResult, feature: &'static str| {
        cases().into_iter().map(move |c| {
            let prefix = format!("trace::{}::layer_order", &event["landlock_".len()..]);
            c.test(&prefix, body)
                .twin(twin_name(&prefix, c))
                .requires(llconf_harness::Requirement::TraceEvent(event))
                .requires(llconf_harness::Requirement::TraceEvent(CREATE_DOMAIN))
                .needs(feature)
        })
    };
    let mut tests: Vec<Test> = matrix(DENY_FS, fs_read, "LANDLOCK_ACCESS_FS_READ_FILE")
        .chain(matrix(DENY_NET, net_bind, "LANDLOCK_ACCESS_NET_BIND_TCP"))
        .chain(
            matrix(DENY_SIGNAL, signal, "LANDLOCK_SCOPE_SIGNAL")
                .map(|t| t.needs("LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET")),
        )
        .collect();
    // logged=0 against logged=1, the flag one layer apart.
    let not_logged = "flag_on_denying_layer::not_logged";
    for (name, flagged, twin) in [
        (not_logged, 1, "flag_on_older_layer::logged"),
        ("flag_on_older_layer::logged", 0, not_logged),
        ("flag_on_younger_layer::logged", 2, not_logged),
    ] {
        tests.push(
            case(
                &format!("deny_access_fs::log_flag_layer::{name}"),
                DENY_FS,
                move || log_flag_layer(flagged),
            )
            .requires(llconf_harness::Requirement::TraceEvent(CREATE_DOMAIN))
            .needs("LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF")
            .enforcement()
            .twin(format!("trace::deny_access_fs::log_flag_layer::{twin}")),
        );
    }
    tests
}
