//! `unix::<type>::connect`: reaching a pathname socket whose server was
//! created outside the domain is allowed only by a RESOLVE_UNIX rule on the
//! socket file or one of its parent directories.

use crate::domain::{
    all_fs_rights, enforce_fs, enforce_resolve, expect_read_denied, resolve_case, with_twin,
};
use crate::server;
use crate::sock::{expect_reach, path_addr, Type};
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{Errno, OrFail, Test, TestResult};

fn denied_outside_rule(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/", "allowed/"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    let _peer = server::spawn(ty, &[addr])?;
    enforce_resolve(&[&t.path("allowed")])?;
    expect_reach(ty, &addr, Some(Errno::EACCES))
}

fn denied_without_rules(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    let _peer = server::spawn(ty, &[addr])?;
    enforce_resolve(&[])?;
    expect_reach(ty, &addr, Some(Errno::EACCES))
}

fn allowed_by_rule_on_socket_file(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let allowed = path_addr(&t.path("srv/sock"))?;
    let sibling = path_addr(&t.path("srv/sibling"))?;
    let _peer = server::spawn(ty, &[allowed, sibling])?;
    enforce_resolve(&[&t.path("srv/sock")])?;
    expect_reach(ty, &allowed, None)?;
    // The rule is on the file, not on its directory.
    expect_reach(ty, &sibling, Some(Errno::EACCES))
}

fn allowed_by_rule_on_parent_dir(ty: Type) -> TestResult {
    let t = TempTree::with(&["a/b/", "other/"])?;
    let inside = path_addr(&t.path("a/b/sock"))?;
    let outside = path_addr(&t.path("other/sock"))?;
    let _peer = server::spawn(ty, &[inside, outside])?;
    enforce_resolve(&[&t.path("a")])?;
    expect_reach(ty, &inside, None)?;
    expect_reach(ty, &outside, Some(Errno::EACCES))
}

fn allowed_when_not_handled(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/", "f"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    let _peer = server::spawn(ty, &[addr])?;
    enforce_fs(all_fs_rights() & !fs::RESOLVE_UNIX, &[])?;
    expect_reach(ty, &addr, None)?;
    expect_read_denied(&t.path("f"))
}

/// The right is checked on the socket the path resolves to, not on the
/// symlink that names it.
fn symlink_checked_at_target(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/", "other/"])?;
    let _peer = server::spawn(
        ty,
        &[
            path_addr(&t.path("srv/sock"))?,
            path_addr(&t.path("other/sock"))?,
        ],
    )?;
    let symlink = |target: &str, link: &str| {
        std::os::unix::fs::symlink(t.path(target), t.path(link)).or_fail(format!("symlink {link}"))
    };
    symlink("srv/sock", "other/to_allowed")?;
    symlink("other/sock", "srv/to_denied")?;
    enforce_resolve(&[&t.path("srv")])?;
    expect_reach(ty, &path_addr(&t.path("other/to_allowed"))?, None)?;
    expect_reach(
        ty,
        &path_addr(&t.path("srv/to_denied"))?,
        Some(Errno::EACCES),
    )
}

pub fn tests() -> Vec<Test> {
    [
        with_twin(
            resolve_case("connect", "denied_outside_rule", denied_outside_rule),
            "connect::allowed_by_rule_on_parent_dir",
        ),
        with_twin(
            resolve_case("connect", "denied_without_rules", denied_without_rules),
            "connect::allowed_by_rule_on_socket_file",
        ),
        with_twin(
            resolve_case(
                "connect",
                "allowed_by_rule_on_socket_file",
                allowed_by_rule_on_socket_file,
            ),
            "connect::denied_without_rules",
        ),
        with_twin(
            resolve_case(
                "connect",
                "allowed_by_rule_on_parent_dir",
                allowed_by_rule_on_parent_dir,
            ),
            "connect::denied_outside_rule",
        ),
        with_twin(
            resolve_case(
                "connect",
                "allowed_when_not_handled",
                allowed_when_not_handled,
            ),
            "connect::denied_without_rules",
        ),
        with_twin(
            resolve_case(
                "connect",
                "symlink_checked_at_target",
                symlink_checked_at_target,
            ),
            "connect::denied_outside_rule",
        ),
    ]
    .concat()
}
