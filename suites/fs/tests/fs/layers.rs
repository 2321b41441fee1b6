//! `fs::layers::*`: rules within one layer are ORed, layers are ANDed, and
//! nothing a later layer or a reused ruleset says can widen access.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_errno, expect_result, sys, Errno, Ruleset, Stop, Test, TestResult};
use std::path::{Path, PathBuf};

const RW: u64 = fs::READ_FILE | fs::WRITE_FILE;

fn tree() -> Result<TempTree, Stop> {
    TempTree::with(&["a/f", "a/sub/f", "b/f"])
}

fn read(p: &Path) -> Result<(), Errno> {
    try_open(p, libc::O_RDONLY)
}
fn write(p: &Path) -> Result<(), Errno> {
    try_open(p, libc::O_WRONLY)
}

fn check(what: &str, p: PathBuf, r: Result<(), Errno>, expect: Option<Errno>) -> TestResult {
    expect_result(format!("{what} {}", p.display()), r, expect)
}

const DENIED: Option<Errno> = Some(Errno::EACCES);

/// Two rules on the same directory in one layer add up.
fn union_same_dir() -> TestResult {
    let t = tree()?;
    let rs = Ruleset::fs(RW)?;
    rs.allow_path(&t.path("a"), fs::READ_FILE)?;
    rs.allow_path(&t.path("a"), fs::WRITE_FILE)?;
    rs.enforce()?;
    check(
        "rdwr",
        t.path("a/f"),
        try_open(&t.path("a/f"), libc::O_RDWR),
        None,
    )?;
    check("read", t.path("b/f"), read(&t.path("b/f")), DENIED)
}

/// The twin of the unions, one rule apart: READ_FILE alone on `a` does
/// not open a/f for reading and writing.
fn one_rule_short() -> TestResult {
    let t = tree()?;
    let rs = Ruleset::fs(RW)?;
    rs.allow_path(&t.path("a"), fs::READ_FILE)?;
    rs.enforce()?;
    check(
        "rdwr",
        t.path("a/f"),
        try_open(&t.path("a/f"), libc::O_RDWR),
        DENIED,
    )?;
    check("read", t.path("a/f"), read(&t.path("a/f")), None)
}

/// A rule on a parent and one on a child in one layer add up beneath the
/// child, and a narrower child rule takes nothing away from the parent's.
fn union_parent_and_child() -> TestResult {
    let t = tree()?;
    let rs = Ruleset::fs(RW)?;
    rs.allow_path(&t.path("a"), fs::READ_FILE)?;
    rs.allow_path(&t.path("a/sub"), fs::WRITE_FILE)?;
    rs.enforce()?;
    check(
        "rdwr",
        t.path("a/sub/f"),
        try_open(&t.path("a/sub/f"), libc::O_RDWR),
        None,
    )?;
    check("write", t.path("a/f"), write(&t.path("a/f")), DENIED)?;
    check("read", t.path("a/f"), read(&t.path("a/f")), None)
}

/// A second layer that allows elsewhere takes away what the first allowed.
fn intersect_disjoint_rules() -> TestResult {
    let t = tree()?;
    let l1 = Ruleset::fs(fs::READ_FILE)?;
    l1.allow_path(&t.path("a"), fs::READ_FILE)?;
    l1.enforce()?;
    check(
        "read (one layer)",
        t.path("a/f"),
        read(&t.path("a/f")),
        None,
    )?;
    let l2 = Ruleset::fs(fs::READ_FILE)?;
    l2.allow_path(&t.path("b"), fs::READ_FILE)?;
    l2.enforce()?;
    check("read", t.path("a/f"), read(&t.path("a/f")), DENIED)?;
    check("read", t.path("b/f"), read(&t.path("b/f")), DENIED)
}

/// Both layers allow the same place: still allowed.
fn intersect_overlapping_rules() -> TestResult {
    let t = tree()?;
    for at in ["a", "a/sub"] {
        let l = Ruleset::fs(fs::READ_FILE)?;
        l.allow_path(&t.path(at), fs::READ_FILE)?;
        l.enforce()?;
    }
    check("read", t.path("a/sub/f"), read(&t.path("a/sub/f")), None)?;
    check("read", t.path("a/f"), read(&t.path("a/f")), DENIED)
}

/// A later layer granting more than an earlier one does not loosen it.
fn nested_never_loosens() -> TestResult {
    let t = tree()?;
    let l1 = Ruleset::fs(RW)?;
    l1.allow_path(&t.path("a"), fs::READ_FILE)?;
    l1.enforce()?;
    let l2 = Ruleset::fs(RW)?;
    l2.allow_path(&t.path("a"), RW)?;
    l2.allow_path(&t.path("b"), RW)?;
    l2.enforce()?;
    check("write", t.path("a/f"), write(&t.path("a/f")), DENIED)?;
    check("read", t.path("a/f"), read(&t.path("a/f")), None)?;
    check("write", t.path("b/f"), write(&t.path("b/f")), DENIED)
}

/// Layers that handle different rights each restrict only their own.
fn layers_handle_different_rights() -> TestResult {
    let t = tree()?;
    let l1 = Ruleset::fs(fs::READ_FILE)?;
    l1.allow_path(&t.path("a"), fs::READ_FILE)?;
    l1.enforce()?;
    Ruleset::fs(fs::WRITE_FILE)?.enforce()?;
    check("read", t.path("a/f"), read(&t.path("a/f")), None)?;
    check("read", t.path("b/f"), read(&t.path("b/f")), DENIED)?;
    check("write", t.path("a/f"), write(&t.path("a/f")), DENIED)
}

/// An unrelated second layer (another right, another tree) changes nothing
/// for what the first allows.
fn unrelated_layer_keeps_access() -> TestResult {
    let t = tree()?;
    let l1 = Ruleset::fs(RW)?;
    l1.allow_path(&t.path("a"), RW)?;
    l1.enforce()?;
    let l2 = Ruleset::fs(fs::EXECUTE)?;
    l2.allow_path(&t.path("b"), fs::EXECUTE)?;
    l2.enforce()?;
    check(
        "rdwr",
        t.path("a/f"),
        try_open(&t.path("a/f"), libc::O_RDWR),
        None,
    )?;
    check("read", t.path("b/f"), read(&t.path("b/f")), DENIED)
}

/// Rules added to a ruleset after it was enforced are not in the domain;
/// enforcing it again adds a layer, which cannot widen either.
fn ruleset_reuse_cannot_widen() -> TestResult {
    let t = tree()?;
    let rs = Ruleset::fs(RW)?;
    rs.allow_path(&t.path("a"), fs::READ_FILE)?;
    expect_errno_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    setup("restrict_self (layer 1)", sys::restrict_self(rs.fd(), 0))?;
    rs.allow_path(&t.path("a"), fs::WRITE_FILE)?;
    rs.allow_path(&t.path("b"), RW)?;
    check(
        "write (rule added after enforcing)",
        t.path("a/f"),
        write(&t.path("a/f")),
        DENIED,
    )?;
    setup(
        "restrict_self (layer 2, same ruleset)",
        sys::restrict_self(rs.fd(), 0),
    )?;
    llconf_harness::ruleset::verify_domain_in_effect()?;
    check("write", t.path("a/f"), write(&t.path("a/f")), DENIED)?;
    check("read", t.path("b/f"), read(&t.path("b/f")), DENIED)?;
    check("read", t.path("a/f"), read(&t.path("a/f")), None)
}

fn expect_errno_ok(what: &str, r: Result<(), Errno>) -> TestResult {
    expect_result(what, r, None)
}

/// 16 layers stack, the 17th gives E2BIG, and the 16 still enforce.
fn sixteen_layers_then_e2big() -> TestResult {
    let t = tree()?;
    // Declared, never measured (Requirement::StartDepth): a measured start
    // would calibrate a wrong limit away.
    let base = llconf_harness::ruleset::declared_start_depth().unwrap_or(0);
    for _ in base..16 {
        let l = Ruleset::fs(fs::READ_FILE)?;
        l.allow_path(&t.path("a"), fs::READ_FILE)?;
        l.enforce()?;
    }
    let l = Ruleset::fs(fs::READ_FILE)?;
    l.allow_path(t.root(), fs::READ_FILE)?;
    expect_errno(
        "restrict_self (layer 17)",
        sys::restrict_self(l.fd(), 0),
        Errno::E2BIG,
    )?;
    check("read", t.path("a/f"), read(&t.path("a/f")), None)?;
    check("read", t.path("b/f"), read(&t.path("b/f")), DENIED)
}

/// Seven layers that alternately allow and mask reads and writes on one
/// file, in the spirit of the kernel's interleaved_masked_accesses: each
/// step may only take away.
fn interleaved_masks() -> TestResult {
    let t = TempTree::with(&["d1/d2/d3/f1", "d1/d2/d3/f2", "other/"])?;
    let f1 = t.path("d1/d2/d3/f1");
    let f2 = t.path("d1/d2/d3/f2");
    let layer = |handled: u64, rules: &[(&str, u64)]| -> TestResult {
        let rs = Ruleset::fs(handled)?;
        for (at, access) in rules {
            rs.allow_path(&t.path(at), *access)?;
        }
        rs.enforce()
    };
    let state = |step: &str, f1r, f1w, f2r, f2w| -> TestResult {
        check(&format!("{step}: read"), f1.clone(), read(&f1), f1r)?;
        check(&format!("{step}: write"), f1.clone(), write(&f1), f1w)?;
        check(&format!("{step}: read"), f2.clone(), read(&f2), f2r)?;
        check(&format!("{step}: write"), f2.clone(), write(&f2), f2w)
    };
    layer(fs::READ_FILE, &[("d1/d2/d3/f1", fs::READ_FILE)])?;
    state("layer 1", None, None, DENIED, None)?;
    layer(RW, &[("d1/d2/d3", RW), ("d1/d2", fs::WRITE_FILE)])?;
    state("layer 2", None, None, DENIED, None)?;
    layer(fs::READ_FILE, &[("d1", fs::READ_FILE)])?;
    state("layer 3", None, None, DENIED, None)?;
    layer(RW, &[("d1/d2", fs::READ_FILE)])?;
    state("layer 4", None, DENIED, DENIED, DENIED)?;
    layer(fs::READ_FILE, &[("d1/d2", fs::READ_FILE)])?;
    state("layer 5", None, DENIED, DENIED, DENIED)?;
    layer(fs::EXECUTE, &[("other", fs::EXECUTE)])?;
    state("layer 6", None, DENIED, DENIED, DENIED)?;
    layer(RW, &[("d1/d2", fs::WRITE_FILE)])?;
    state("layer 7", DENIED, DENIED, DENIED, DENIED)
}

type CaseFn = fn() -> TestResult;

pub fn tests() -> Vec<Test> {
    // (name, body, twin): the twin is the case one rule, right or layer
    // apart whose main verdict is the opposite.
    let cases: [(&str, CaseFn, &str); 11] = [
        (
            "one_layer::union_same_dir",
            union_same_dir,
            "fs::layers::one_layer::one_rule_short_denied",
        ),
        (
            "one_layer::one_rule_short_denied",
            one_rule_short,
            "fs::layers::one_layer::union_same_dir",
        ),
        (
            "one_layer::union_parent_and_child",
            union_parent_and_child,
            "fs::layers::one_layer::one_rule_short_denied",
        ),
        (
            "two_layers::intersect_disjoint_rules",
            intersect_disjoint_rules,
            "fs::layers::two_layers::intersect_overlapping_rules",
        ),
        (
            "two_layers::intersect_overlapping_rules",
            intersect_overlapping_rules,
            "fs::layers::two_layers::intersect_disjoint_rules",
        ),
        (
            "two_layers::nested_never_loosens",
            nested_never_loosens,
            "fs::layers::two_layers::unrelated_layer_keeps_access",
        ),
        (
            "two_layers::different_handled_rights",
            layers_handle_different_rights,
            "fs::layers::two_layers::unrelated_layer_keeps_access",
        ),
        (
            "two_layers::unrelated_layer_keeps_access",
            unrelated_layer_keeps_access,
            "fs::layers::two_layers::different_handled_rights",
        ),
        (
            "reuse::ruleset_changes_cannot_widen",
            ruleset_reuse_cannot_widen,
            "fs::layers::one_layer::union_same_dir",
        ),
        (
            "limit::sixteen_then_e2big",
            sixteen_layers_then_e2big,
            "fs::layer_order::layers_16::none_deny",
        ),
        (
            "seven_layers::interleaved_masks",
            interleaved_masks,
            "fs::layers::two_layers::intersect_overlapping_rules",
        ),
    ];
    cases
        .into_iter()
        .map(|(name, body, twin)| {
            let t = Test::new(format!("fs::layers::{name}"), body)
                .enforcement()
                .twin(twin);
            if name.starts_with("limit::") {
                t.requires(llconf_harness::Requirement::StartDepth)
            } else {
                t
            }
        })
        .collect()
}
