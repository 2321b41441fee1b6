//! `unix::<type>::older_abi`: what kernels without RESOLVE_UNIX (ABI < 9) or
//! without the abstract scope (ABI < 6) must do: nothing about UNIX sockets
//! can be restricted, even by a sandbox that handles everything they know.

use crate::domain::{all_fs_rights, all_net_rights, expect_read_denied, per_type, with_twin};
use crate::server;
use crate::sock::{abstract_addr, expect_reach, path_addr, Type};
use llconf_harness::fixture::TempTree;
use llconf_harness::{Requirement, Ruleset, RulesetAttr, Test, TestResult};

fn pathname_reachable_with_all_fs_rights_handled(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/", "f"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    let _peer = server::spawn(ty, &[addr])?;
    Ruleset::fs(all_fs_rights())?.enforce()?;
    expect_reach(ty, &addr, None)?;
    expect_read_denied(&t.path("f"))
}

fn abstract_reachable_with_all_rights_handled(ty: Type) -> TestResult {
    let t = TempTree::with(&["f"])?;
    let abs = abstract_addr("outside")?;
    let _peer = server::spawn(ty, &[abs])?;
    Ruleset::new(RulesetAttr {
        handled_access_fs: all_fs_rights(),
        handled_access_net: all_net_rights(),
        ..Default::default()
    })?
    .enforce()?;
    expect_reach(ty, &abs, None)?;
    expect_read_denied(&t.path("f"))
}

pub fn tests() -> Vec<Test> {
    let below = |version, what| Requirement::AbiBelow { version, what };
    [
        with_twin(
            per_type(
                "older_abi",
                "pathname_reachable_with_all_fs_rights_handled",
                pathname_reachable_with_all_fs_rights_handled,
            ),
            "connect::denied_without_rules",
        )
        .into_iter()
        .map(|t| {
            t.requires(below(9, "pathname UNIX sockets left unrestricted"))
                .enforcement()
        })
        .collect::<Vec<_>>(),
        with_twin(
            per_type(
                "older_abi",
                "abstract_reachable_with_all_rights_handled",
                abstract_reachable_with_all_rights_handled,
            ),
            "abstract_scope::created_outside_domain_eperm",
        )
        .into_iter()
        .map(|t| {
            t.requires(below(6, "abstract UNIX sockets left unrestricted"))
                .enforcement()
        })
        .collect::<Vec<_>>(),
    ]
    .concat()
}
