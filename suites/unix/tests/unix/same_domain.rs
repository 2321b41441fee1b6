//! `unix::<type>::same_domain`: a server socket created inside the client's
//! own domain (or in a domain nested in it) is reachable without a rule.
//! What counts is the domain of the process that created the socket.

use crate::domain::{enforce_fs, enforce_resolve, resolve_case, with_twin};
use crate::server::{self, listen_at};
use crate::sock::{expect_reach, path_addr, socket, Type};
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_ok, Errno, Test, TestResult};
use nix::sys::socket::{self as s, Backlog};
use std::os::fd::AsRawFd;

fn server_created_in_same_domain_allowed(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/", "out/"])?;
    let outside = path_addr(&t.path("out/sock"))?;
    let _peer = server::spawn(ty, &[outside])?;
    enforce_resolve(&[])?;
    let inside = path_addr(&t.path("srv/sock"))?;
    let _srv = expect_ok(
        format!("bind {ty} server in the domain"),
        listen_at(ty, &inside),
    )?;
    expect_reach(ty, &inside, None)?;
    expect_reach(ty, &outside, Some(Errno::EACCES))
}

fn server_from_no_domain_denied(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    let _peer = server::spawn(ty, &[addr])?;
    enforce_resolve(&[])?;
    expect_reach(ty, &addr, Some(Errno::EACCES))
}

/// The socket is created before restrict_self and bound after it, by the
/// same process: it still belongs to no domain, because the credentials of
/// socket(2) count, not those of bind(2).
fn socket_created_before_restrict_denied(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    let srv = socket(ty)?;
    enforce_resolve(&[])?;
    expect_ok(
        format!("bind({addr}) after restrict_self"),
        s::bind(srv.as_raw_fd(), &addr),
    )?;
    if ty.connection_oriented() {
        expect_ok("listen", s::listen(&srv, Backlog::MAXCONN))?;
    }
    expect_reach(ty, &addr, Some(Errno::EACCES))
}

fn server_from_parent_domain_denied(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    enforce_resolve(&[])?;
    let _srv = expect_ok("bind server in the first layer", listen_at(ty, &addr))?;
    enforce_resolve(&[])?;
    expect_reach(ty, &addr, Some(Errno::EACCES))
}

/// Only layers that handle the right count: the first layer exempts its own
/// server, and the second does not handle RESOLVE_UNIX.
fn server_from_parent_domain_allowed_if_new_layer_unhandled(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/", "out/"])?;
    let outside = path_addr(&t.path("out/sock"))?;
    let _peer = server::spawn(ty, &[outside])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    enforce_resolve(&[])?;
    let _srv = expect_ok("bind server in the first layer", listen_at(ty, &addr))?;
    enforce_fs(fs::EXECUTE, &[])?;
    expect_reach(ty, &addr, None)?;
    expect_reach(ty, &outside, Some(Errno::EACCES))
}

/// A server in a domain nested inside the client's is in a lower domain,
/// which the client may always reach.
fn server_from_nested_domain_allowed(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    enforce_resolve(&[])?;
    let _peer = server::spawn_after(ty, &[addr], || enforce_resolve(&[]))?;
    expect_reach(ty, &addr, None)
}

/// Two domains built from the same rules are still two domains.
fn server_from_sibling_domain_denied(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    let _peer = server::spawn_after(ty, &[addr], || enforce_resolve(&[]))?;
    enforce_resolve(&[])?;
    expect_reach(ty, &addr, Some(Errno::EACCES))
}

pub fn tests() -> Vec<Test> {
    [
        with_twin(
            resolve_case(
                "same_domain",
                "server_created_in_same_domain_allowed",
                server_created_in_same_domain_allowed,
            ),
            "same_domain::server_from_no_domain_denied",
        ),
        with_twin(
            resolve_case(
                "same_domain",
                "server_from_no_domain_denied",
                server_from_no_domain_denied,
            ),
            "same_domain::server_created_in_same_domain_allowed",
        ),
        with_twin(
            resolve_case(
                "same_domain",
                "socket_created_before_restrict_denied",
                socket_created_before_restrict_denied,
            ),
            "same_domain::server_created_in_same_domain_allowed",
        ),
        with_twin(
            resolve_case(
                "same_domain",
                "server_from_parent_domain_denied",
                server_from_parent_domain_denied,
            ),
            "same_domain::server_from_parent_domain_allowed_if_new_layer_unhandled",
        ),
        with_twin(
            resolve_case(
                "same_domain",
                "server_from_parent_domain_allowed_if_new_layer_unhandled",
                server_from_parent_domain_allowed_if_new_layer_unhandled,
            ),
            "same_domain::server_from_parent_domain_denied",
        ),
        with_twin(
            resolve_case(
                "same_domain",
                "server_from_nested_domain_allowed",
                server_from_nested_domain_allowed,
            ),
            "same_domain::server_from_sibling_domain_denied",
        ),
        with_twin(
            resolve_case(
                "same_domain",
                "server_from_sibling_domain_denied",
                server_from_sibling_domain_denied,
            ),
            "same_domain::server_from_nested_domain_allowed",
        ),
    ]
    .concat()
}
