//! `unix::ruleset`: the argument checks for RESOLVE_UNIX and the abstract
//! scope, on kernels that know them and on kernels that do not. They do
//! not depend on a socket type.

use crate::domain::{all_fs_rights, RESOLVE_UNIX};
use crate::server::listen_at;
use crate::sock::{path_addr, Type};
use llconf_harness::abi::{self, fs, ruleset_attr_size};
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_errno, expect_ok, expect_result, sys, Errno, Requirement, Ruleset, RulesetAttr, Test,
    TestResult,
};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

fn handled_fs(bits: u64) -> RulesetAttr {
    RulesetAttr {
        handled_access_fs: bits,
        ..Default::default()
    }
}

fn create(what: &str, attr: RulesetAttr, expected: Option<Errno>) -> TestResult {
    let r = sys::create_ruleset(&attr, std::mem::size_of::<RulesetAttr>(), 0);
    expect_result(what, r, expected)
}

fn add_rule(ruleset: &Ruleset, path: &Path, access: u64) -> Result<(), Errno> {
    let f = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(path)
        .map_err(crate::domain::errno)?;
    sys::add_path_beneath(ruleset.fd(), access, f.as_raw_fd(), 0)
}

fn older_handled_einval() -> TestResult {
    create(
        "create_ruleset(handled_access_fs = RESOLVE_UNIX)",
        handled_fs(fs::RESOLVE_UNIX),
        Some(Errno::EINVAL),
    )?;
    create(
        "create_ruleset(handled_access_fs = every known right | RESOLVE_UNIX)",
        handled_fs(all_fs_rights() | fs::RESOLVE_UNIX),
        Some(Errno::EINVAL),
    )
}

fn older_known_rights_accepted() -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    create(
        "create_ruleset(handled_access_fs = every known right)",
        handled_fs(all_fs_rights()),
        None,
    )?;
    let rs = Ruleset::fs(all_fs_rights())?;
    expect_ok(
        "add_rule(srv/, every known right) on a ruleset handling them",
        add_rule(&rs, &t.path("srv"), all_fs_rights()),
    )
}

fn older_rule_einval() -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let rs = Ruleset::fs(all_fs_rights())?;
    expect_errno(
        "add_rule(srv/, RESOLVE_UNIX) on a ruleset handling every known right",
        add_rule(&rs, &t.path("srv"), fs::RESOLVE_UNIX),
        Errno::EINVAL,
    )
}

/// Before ABI 6 the `scoped` field is past the struct the kernel knows, so
/// a non-zero value there is a too-big struct, not an unknown bit.
fn older_scope_e2big() -> TestResult {
    let attr = RulesetAttr {
        scoped: abi::scope::ABSTRACT_UNIX_SOCKET,
        ..Default::default()
    };
    expect_errno(
        "create_ruleset(scoped = ABSTRACT_UNIX_SOCKET, size of ABI 6)",
        sys::create_ruleset(&attr, ruleset_attr_size(6), 0),
        Errno::E2BIG,
    )
}

fn handled_accepted() -> TestResult {
    create(
        "create_ruleset(handled_access_fs = RESOLVE_UNIX)",
        handled_fs(fs::RESOLVE_UNIX),
        None,
    )?;
    create(
        "create_ruleset(handled_access_fs = every known right)",
        handled_fs(all_fs_rights()),
        None,
    )
}

/// RESOLVE_UNIX is a file right: a rule may carry it on a socket file, a
/// regular file or a directory.
fn rule_targets_accepted() -> TestResult {
    let t = TempTree::with(&["srv/", "f"])?;
    let sock = t.path("srv/sock");
    let _srv = expect_ok(
        "bind a socket file",
        listen_at(Type::Stream, &path_addr(&sock)?),
    )?;
    let rs = Ruleset::fs(fs::RESOLVE_UNIX)?;
    for (what, path) in [
        ("socket file", sock.as_path()),
        ("regular file", &t.path("f")),
        ("directory", &t.path("srv")),
    ] {
        expect_ok(
            format!("add_rule({what}, RESOLVE_UNIX)"),
            add_rule(&rs, path, fs::RESOLVE_UNIX),
        )?;
    }
    Ok(())
}

fn rule_unhandled_einval() -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let rs = Ruleset::fs(fs::EXECUTE)?;
    expect_errno(
        "add_rule(srv/, RESOLVE_UNIX) on a ruleset handling EXECUTE only",
        add_rule(&rs, &t.path("srv"), fs::RESOLVE_UNIX),
        Errno::EINVAL,
    )
}

pub fn tests() -> Vec<Test> {
    let below = |version, what| Requirement::AbiBelow { version, what };
    vec![
        Test::new(
            "unix::ruleset::older_abi::handled_resolve_unix_einval",
            older_handled_einval,
        )
        .requires(below(9, "RESOLVE_UNIX as an unknown right"))
        .twin("unix::ruleset::older_abi::known_rights_accepted"),
        Test::new(
            "unix::ruleset::older_abi::rule_with_resolve_unix_einval",
            older_rule_einval,
        )
        .requires(below(9, "RESOLVE_UNIX as an unknown right"))
        .twin("unix::ruleset::older_abi::known_rights_accepted"),
        Test::new(
            "unix::ruleset::older_abi::abstract_scope_e2big",
            older_scope_e2big,
        )
        .requires(below(6, "the scoped field as unknown"))
        .twin("unix::ruleset::older_abi::zero_scope_accepted"),
        Test::new(
            "unix::ruleset::resolve_unix::handled_accepted",
            handled_accepted,
        )
        .needs(RESOLVE_UNIX)
        .twin("unix::ruleset::older_abi::handled_resolve_unix_einval"),
        Test::new(
            "unix::ruleset::resolve_unix::rule_targets_accepted",
            rule_targets_accepted,
        )
        .needs(RESOLVE_UNIX)
        .twin("unix::ruleset::resolve_unix::rule_unhandled_einval"),
        Test::new(
            "unix::ruleset::resolve_unix::rule_unhandled_einval",
            rule_unhandled_einval,
        )
        .needs(RESOLVE_UNIX)
        .twin("unix::ruleset::resolve_unix::rule_targets_accepted"),
        // What an older kernel accepts one right apart: every right it
        // knows, handled and in a rule.
        Test::new(
            "unix::ruleset::older_abi::known_rights_accepted",
            older_known_rights_accepted,
        )
        .requires(below(9, "RESOLVE_UNIX as an unknown right"))
        .twin("unix::ruleset::older_abi::rule_with_resolve_unix_einval"),
        Test::new("unix::ruleset::older_abi::zero_scope_accepted", || {
            expect_ok(
                "create_ruleset(handled_access_fs = EXECUTE, scoped = 0, size of ABI 6)",
                sys::create_ruleset(&handled_fs(fs::EXECUTE), ruleset_attr_size(6), 0),
            )
            .map(drop)
        })
        .requires(below(6, "the scoped field as unknown"))
        .twin("unix::ruleset::older_abi::abstract_scope_e2big"),
    ]
}
