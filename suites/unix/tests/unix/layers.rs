//! `unix::<type>::layers`: every layer that handles RESOLVE_UNIX must allow
//! the socket; a layer that does not handle it has no say.

use crate::domain::{enforce_fs, enforce_resolve, resolve_case, with_twin};
use crate::server;
use crate::sock::{expect_reach, path_addr, Type};
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{Errno, Test, TestResult};
use nix::sys::socket::UnixAddr;

/// A tree with servers at `srv/sock` and `other/sock`, outside any domain.
fn setup(
    ty: Type,
) -> Result<(TempTree, UnixAddr, UnixAddr, llconf_harness::fixture::Peer), llconf_harness::Stop> {
    let t = TempTree::with(&["srv/", "other/"])?;
    let srv = path_addr(&t.path("srv/sock"))?;
    let other = path_addr(&t.path("other/sock"))?;
    let peer = server::spawn(ty, &[srv, other])?;
    Ok((t, srv, other, peer))
}

fn every_layer_allows(ty: Type) -> TestResult {
    let (t, srv, other, _peer) = setup(ty)?;
    enforce_resolve(&[&t.path("srv")])?;
    enforce_resolve(&[&t.path("srv/sock")])?;
    expect_reach(ty, &srv, None)?;
    expect_reach(ty, &other, Some(Errno::EACCES))
}

fn first_layer_denies(ty: Type) -> TestResult {
    let (t, srv, _other, _peer) = setup(ty)?;
    enforce_resolve(&[&t.path("other")])?;
    enforce_resolve(&[&t.path("srv")])?;
    expect_reach(ty, &srv, Some(Errno::EACCES))
}

fn second_layer_denies(ty: Type) -> TestResult {
    let (t, srv, _other, _peer) = setup(ty)?;
    enforce_resolve(&[&t.path("srv")])?;
    enforce_resolve(&[&t.path("other")])?;
    expect_reach(ty, &srv, Some(Errno::EACCES))
}

/// Layers are ANDed, so the second layer's rule on `other` does not widen
/// what the first layer allows.
fn later_rule_does_not_widen(ty: Type) -> TestResult {
    let (t, srv, other, _peer) = setup(ty)?;
    enforce_resolve(&[&t.path("srv")])?;
    enforce_resolve(&[&t.path("srv"), &t.path("other")])?;
    expect_reach(ty, &srv, None)?;
    expect_reach(ty, &other, Some(Errno::EACCES))
}

fn unhandling_layer_ignored(ty: Type) -> TestResult {
    let (t, srv, other, _peer) = setup(ty)?;
    enforce_resolve(&[&t.path("srv")])?;
    enforce_fs(fs::EXECUTE, &[])?;
    expect_reach(ty, &srv, None)?;
    expect_reach(ty, &other, Some(Errno::EACCES))
}

pub fn tests() -> Vec<Test> {
    [
        with_twin(
            resolve_case("layers", "every_layer_allows", every_layer_allows),
            "layers::first_layer_denies",
        ),
        with_twin(
            resolve_case("layers", "first_layer_denies", first_layer_denies),
            "layers::every_layer_allows",
        ),
        with_twin(
            resolve_case("layers", "second_layer_denies", second_layer_denies),
            "layers::every_layer_allows",
        ),
        with_twin(
            resolve_case(
                "layers",
                "later_rule_does_not_widen",
                later_rule_does_not_widen,
            ),
            "layers::second_layer_denies",
        ),
        with_twin(
            resolve_case(
                "layers",
                "unhandling_layer_ignored",
                unhandling_layer_ignored,
            ),
            "layers::second_layer_denies",
        ),
    ]
    .concat()
}
