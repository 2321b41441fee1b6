//! `trace::check_rule_inode`, `trace::check_rule_net_port`: a rule that
//! matches during an access check gives one event with the enforcing
//! (innermost) domain, the rights requested, the object (dev:ino, or the
//! port) and per layer, outermost first, the requested rights that rule
//! grants there (`grants={make_dir,}`: granted by layer 1, not by layer
//! 2); a check that meets no rule gives none.

use crate::common::*;
use llconf_harness::abi::{fs, net};
use llconf_harness::fixture::trace::Instance;
use llconf_harness::fixture::{enter_loopback_netns, TempTree};
use llconf_harness::{ensure, expect_result, fail, Errno, Ruleset, Test, TestResult};

const PORT: u16 = 4343;

/// One layer: the rights it handles, and the rights of its rule (on the
/// directory, or the port, that the access checks), or a rule elsewhere.
#[derive(Clone, Copy)]
struct Layer {
    handled: u64,
    rule: Option<u64>,
}

struct Case {
    variant: &'static str,
    /// The case one rule, right or layer apart: no event where this one
    /// has one, or the access denied where this one is allowed.
    twin: &'static str,
    layers: &'static [Layer],
}

const fn l(handled: u64, rule: Option<u64>) -> Layer {
    Layer { handled, rule }
}

const INODE: &[Case] = &[
    Case {
        variant: "one_layer::grants",
        twin: "rule_elsewhere::no_event",
        layers: &[l(fs::MAKE_DIR, Some(fs::MAKE_DIR))],
    },
    Case {
        variant: "two_layers::grants_per_layer",
        twin: "two_layers::second_grants_none",
        layers: &[
            l(fs::MAKE_DIR, Some(fs::MAKE_DIR)),
            l(fs::MAKE_DIR, Some(fs::MAKE_DIR)),
        ],
    },
    // The second layer's rule on the directory grants make_reg only: the
    // one event shows layer 2 empty, and mkdir is denied.
    Case {
        variant: "two_layers::second_grants_none",
        twin: "two_layers::grants_per_layer",
        layers: &[
            l(fs::MAKE_DIR | fs::MAKE_REG, Some(fs::MAKE_DIR)),
            l(fs::MAKE_DIR | fs::MAKE_REG, Some(fs::MAKE_REG)),
        ],
    },
    Case {
        variant: "rule_elsewhere::no_event",
        twin: "one_layer::grants",
        layers: &[l(fs::MAKE_DIR, None)],
    },
];

const NET: &[Case] = &[
    Case {
        variant: "one_layer::grants",
        twin: "rule_elsewhere::no_event",
        layers: &[l(net::BIND_TCP, Some(net::BIND_TCP))],
    },
    Case {
        variant: "two_layers::second_grants_none",
        twin: "one_layer::grants",
        layers: &[
            l(net::BIND_TCP | net::CONNECT_TCP, Some(net::BIND_TCP)),
            l(net::BIND_TCP | net::CONNECT_TCP, Some(net::CONNECT_TCP)),
        ],
    },
    Case {
        variant: "rule_elsewhere::no_event",
        twin: "one_layer::grants",
        layers: &[l(net::BIND_TCP, None)],
    },
];

/// `grants={...}` for the requested right `req` under `layers`.
fn grants(layers: &[Layer], req: u64, names: fn(u64) -> String) -> String {
    let per: Vec<String> = layers
        .iter()
        .map(|l| names(l.rule.unwrap_or(0) & req))
        .collect();
    format!("{{{}}}", per.join(","))
}

/// mkdir(d/x): allowed only when every layer's rule on d grants make_dir.
fn inode(c: &Case) -> TestResult {
    let tree = TempTree::with(&["d/", "e/"])?;
    let d = tree.path("d");
    let t = Instance::new(&[CREATE_DOMAIN, CHECK_RULE_INODE])?;
    for layer in c.layers {
        let rs = Ruleset::fs(layer.handled)?;
        match layer.rule {
            Some(a) => rs.allow_path(&d, a)?,
            None => rs.allow_path(&tree.path("e"), layer.handled)?,
        };
        rs.enforce()?;
    }
    let allowed = c
        .layers
        .iter()
        .all(|l| l.rule.unwrap_or(0) & fs::MAKE_DIR != 0);
    expect_result(
        "mkdir(d/x)",
        std::fs::create_dir(d.join("x"))
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0))),
        (!allowed).then_some(Errno::EACCES),
    )?;
    let ids = chain(&t, c.layers.len())?;
    if c.layers.iter().any(|l| l.rule.is_none()) {
        return t.none(CHECK_RULE_INODE, "after a check that met no rule");
    }
    let e = t.one(CHECK_RULE_INODE, "after mkdir under the rule's directory")?;
    expect_id(&e, "domain", *ids.last().expect("a layer"))?;
    e.expect("access_request", "make_dir")?;
    let (dev, ino) = dev_ino(&d)?;
    e.expect("dev", &dev)?;
    e.expect("ino", &ino.to_string())?;
    e.expect("grants", &grants(c.layers, fs::MAKE_DIR, fs_names))
}

/// bind(127.0.0.1:PORT): allowed only when every layer's rule on PORT
/// grants bind_tcp.
fn net_port(c: &Case) -> TestResult {
    enter_loopback_netns()?;
    let t = Instance::new(&[CREATE_DOMAIN, CHECK_RULE_NET])?;
    for layer in c.layers {
        let rs = Ruleset::net(layer.handled)?;
        match layer.rule {
            Some(a) => rs.allow_port(PORT.into(), a)?,
            None => rs.allow_port(u64::from(PORT) + 1, layer.handled)?,
        };
        rs.enforce()?;
    }
    let allowed = c
        .layers
        .iter()
        .all(|l| l.rule.unwrap_or(0) & net::BIND_TCP != 0);
    bind_tcp_v4(PORT, !allowed)?;
    let ids = chain(&t, c.layers.len())?;
    if c.layers.iter().any(|l| l.rule.is_none()) {
        return t.none(CHECK_RULE_NET, "after a check that met no rule");
    }
    let e = t.one(CHECK_RULE_NET, "after bind to the rule's port")?;
    expect_id(&e, "domain", *ids.last().ok_or_else(|| fail("no layer"))?)?;
    e.expect("access_request", "bind_tcp")?;
    e.expect("port", &PORT.to_string())?;
    e.expect("grants", &grants(c.layers, net::BIND_TCP, net_names))?;
    ensure!(
        e.names("access_request").len() == 1,
        "one right requested: `{e}`"
    );
    Ok(())
}

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    for c in INODE {
        v.push(
            case(
                &format!("check_rule_inode::{}", c.variant),
                CHECK_RULE_INODE,
                move || inode(c),
            )
            .enforcement()
            .twin(format!("trace::check_rule_inode::{}", c.twin)),
        );
    }
    for c in NET {
        v.push(
            case(
                &format!("check_rule_net_port::{}", c.variant),
                CHECK_RULE_NET,
                move || net_port(c),
            )
            .needs("LANDLOCK_ACCESS_NET_BIND_TCP")
            .enforcement()
            .twin(format!("trace::check_rule_net_port::{}", c.twin)),
        );
    }
    v
}
