//! `unix::<type>::relation_<relation>`: LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
//! (ABI 6) between a client and a server whose domains stand in every
//! relation the harness builds (`fixture::relation`): same domain, server
//! in the client's parent domain, nested one or three layers deeper,
//! sibling, cousin, an unrelated domain of the same depth, and a server
//! outside any domain. The scope sits on the client's older layer, its
//! younger one, both, or neither.
//!
//! The server's domain is the one it had when it created its socket. The
//! client reaches it (connect, and for a datagram socket sendto and
//! sendmsg with the address) unless one of its scoped layers is neither
//! the server's domain nor an ancestor of it: then every call gives EPERM.
//! The client's unscoped layers carry the signal scope, which must not
//! touch sockets, and the server's own layers the abstract-socket scope,
//! which limits what the server reaches, never who reaches it.
//!
//! abstract_scope.rs covers a server outside, in the parent and in a
//! nested domain with every layer scoped; these cells add siblings,
//! cousins, deep nesting and where the scope sits in the client's stack.

use crate::domain::SCOPE_ABSTRACT;
use crate::server::listen_at;
use crate::sock::{abstract_addr, connect, sendmsg_to, sendto, Type};
use llconf_harness::abi::scope;
use llconf_harness::fixture::relation::{
    self, scope_cells, scope_denies, scope_twin, Layer, Placement, Relation, Roles,
};
use llconf_harness::{expect_eq, expect_result, Errno, Ruleset, Test, TestResult};
use nix::sys::socket::{self as s, AddressFamily, SockFlag, UnixAddr};
use nix::unistd::Pid;

fn name(ty: Type, rel: Relation, p: Placement) -> String {
    let verdict = if scope_denies(rel, p) {
        "eperm"
    } else {
        "allowed"
    };
    format!(
        "unix::{ty}::relation_{}::{}_{verdict}",
        rel.name(),
        p.name()
    )
}

/// The calls a client of `ty` makes, each on a fresh socket.
fn calls(ty: Type) -> Vec<String> {
    let mut v = vec![format!("connect({ty})")];
    if ty == Type::Dgram {
        v.push(format!("sendto({ty})"));
        v.push(format!("sendmsg({ty})"));
    }
    v
}

fn reach(ty: Type, addr: &UnixAddr) -> Vec<Result<(), Errno>> {
    let fresh = || s::socket(AddressFamily::Unix, ty.nix(), SockFlag::SOCK_CLOEXEC, None);
    let mut v = vec![fresh().and_then(|fd| connect(&fd, addr))];
    if ty == Type::Dgram {
        v.push(fresh().and_then(|fd| sendto(&fd, addr)).map(drop));
        v.push(fresh().and_then(|fd| sendmsg_to(&fd, addr)).map(drop));
    }
    v
}

fn cell(ty: Type, rel: Relation, p: Placement) -> TestResult {
    let addr = abstract_addr(&format!("{}-{}", rel.name(), p.name()))?;
    let depth = rel.actor_depth();
    let enforce = |layer: Layer| match layer {
        Layer::Actor { pos, .. } if !p.scopes(pos, depth) => {
            Ruleset::scoped(scope::SIGNAL)?.enforce()
        }
        _ => Ruleset::scoped(scope::ABSTRACT_UNIX_SOCKET)?.enforce(),
    };
    // The server's socket lives as long as the target process.
    let serve = || {
        listen_at(ty, &addr)
            .map(std::mem::forget)
            .map_err(|e| format!("bind {ty} server at {addr}: {e}"))
    };
    let act = |_: Pid| reach(ty, &addr);
    let o = relation::run(
        rel,
        &Roles {
            enforce: &enforce,
            target_setup: &serve,
            act: &act,
            target_check: &|| 0,
        },
    )?;
    let expected = scope_denies(rel, p).then_some(Errno::EPERM);
    let calls = calls(ty);
    expect_eq(
        format!("number of calls the client made to {addr}"),
        o.acts.len(),
        calls.len(),
    )?;
    for (call, r) in calls.iter().zip(o.acts) {
        expect_result(format!("{call} to {addr}"), r, expected)?;
    }
    Ok(())
}

pub fn tests() -> Vec<Test> {
    Type::ALL
        .into_iter()
        .flat_map(|ty| {
            scope_cells().into_iter().map(move |(rel, p)| {
                let (trel, tp) = scope_twin(rel, p);
                Test::new(name(ty, rel, p), move || cell(ty, rel, p))
                    .needs(SCOPE_ABSTRACT)
                    .needs("LANDLOCK_SCOPE_SIGNAL")
                    .enforcement()
                    .twin(name(ty, trel, tp))
            })
        })
        .collect()
}
