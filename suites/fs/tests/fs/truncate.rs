//! `fs::truncation::*` (ABI 3): truncate(2), ftruncate(2), open with
//! O_TRUNC and creat(2). The right an fd has is fixed when it is opened.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_eq, expect_result, Errno, Ruleset, Stop, Test, TestResult};
use std::os::fd::{AsRawFd, OwnedFd};

const T: u64 = fs::TRUNCATE;
const DENIED: Option<Errno> = Some(Errno::EACCES);

struct Tr {
    t: TempTree,
}

impl Tr {
    fn new() -> Result<Tr, Stop> {
        Ok(Tr {
            t: TempTree::with(&["d/f", "d/g", "other/"])?,
        })
    }
    fn f(&self) -> std::path::PathBuf {
        self.t.path("d/f")
    }
    fn layer(&self, handled: u64, rule: Option<(&str, u64)>) -> TestResult {
        let rs = Ruleset::fs(handled)?;
        if let Some((at, access)) = rule {
            rs.allow_path(&self.t.path(at), access)?;
        }
        rs.enforce()
    }
    fn open_w(&self) -> Result<OwnedFd, Stop> {
        setup("open d/f O_WRONLY", open(&self.f(), libc::O_WRONLY))
    }
    fn len_is(&self, n: u64) -> TestResult {
        expect_eq("length of d/f", file_len(&self.f())?, n)
    }
}

const FULL: u64 = 3; // "d/f" as TempTree writes it

fn ftruncate_opened_in_domain(rule: bool) -> TestResult {
    let s = Tr::new()?;
    s.layer(T, rule.then_some(("d", T)))?;
    let fd = s.open_w()?;
    let expect = (!rule).then_some(Errno::EACCES);
    expect_result(
        "ftruncate(fd opened in the domain)",
        ftruncate(fd.as_raw_fd(), 0),
        expect,
    )?;
    s.len_is(if rule { 0 } else { FULL })
}

fn ftruncate_opened_before_domain() -> TestResult {
    let s = Tr::new()?;
    let fd = s.open_w()?;
    s.layer(T, None)?;
    expect_result("truncate(d/f) in the domain", truncate(&s.f(), 1), DENIED)?;
    expect_result(
        "ftruncate(fd opened before the domain)",
        ftruncate(fd.as_raw_fd(), 0),
        None,
    )?;
    s.len_is(0)
}

fn ftruncate_fd_from_earlier_layer() -> TestResult {
    let s = Tr::new()?;
    s.layer(T, Some(("d", T)))?;
    let early = s.open_w()?;
    s.layer(T, Some(("other", T)))?;
    let late = s.open_w()?;
    expect_result(
        "ftruncate(fd opened under layer 2)",
        ftruncate(late.as_raw_fd(), 1),
        DENIED,
    )?;
    expect_result("truncate(d/f) under layer 2", truncate(&s.f(), 1), DENIED)?;
    expect_result(
        "ftruncate(fd opened under layer 1)",
        ftruncate(early.as_raw_fd(), 0),
        None,
    )?;
    s.len_is(0)
}

fn open_trunc(rule: bool, flags: i32) -> TestResult {
    let s = Tr::new()?;
    s.layer(T, rule.then_some(("d", T)))?;
    let expect = (!rule).then_some(Errno::EACCES);
    expect_result(
        "open(d/f, O_TRUNC)",
        try_open(&s.f(), flags | libc::O_TRUNC),
        expect,
    )?;
    s.len_is(if rule { 0 } else { FULL })
}

fn creat_existing(rule: bool) -> TestResult {
    let s = Tr::new()?;
    s.layer(T, rule.then_some(("d", T)))?;
    let expect = (!rule).then_some(Errno::EACCES);
    expect_result("creat(d/f) (exists)", creat(&s.f()).map(drop), expect)?;
    s.len_is(if rule { 0 } else { FULL })
}

/// A file that creat(2) or O_CREAT|O_TRUNC makes is not truncated, so
/// TRUNCATE is not needed; MAKE_REG is, when handled.
fn create_new(flags: Option<i32>, handled: u64, expect: Option<Errno>) -> TestResult {
    let s = Tr::new()?;
    s.layer(handled, Some(("d", T)))?;
    let new = s.t.path("d/new");
    let r = match flags {
        None => creat(&new).map(drop),
        Some(fl) => try_open(&new, fl),
    };
    expect_result("create d/new", r, expect)?;
    expect_eq("d/new exists", exists(&new), expect.is_none())
}

/// With only WRITE_FILE handled (ABI 3 or later), no form of truncation is
/// restricted: TRUNCATE is a right of its own.
fn write_file_does_not_govern_truncation() -> TestResult {
    let s = Tr::new()?;
    s.layer(fs::WRITE_FILE, Some(("d", fs::WRITE_FILE)))?;
    expect_result("truncate(d/f)", truncate(&s.f(), 2), None)?;
    let fd = s.open_w()?;
    expect_result("ftruncate", ftruncate(fd.as_raw_fd(), 1), None)?;
    expect_result(
        "open(d/g, O_WRONLY|O_TRUNC)",
        try_open(&s.t.path("d/g"), libc::O_WRONLY | libc::O_TRUNC),
        None,
    )?;
    s.len_is(1)
}

/// The twin of the above, one handled right apart: with TRUNCATE handled
/// too and only WRITE_FILE granted, every form of truncation is denied,
/// while the write open itself is not.
fn write_file_without_truncate() -> TestResult {
    let s = Tr::new()?;
    s.layer(T | fs::WRITE_FILE, Some(("d", fs::WRITE_FILE)))?;
    expect_result("truncate(d/f)", truncate(&s.f(), 2), DENIED)?;
    let fd = s.open_w()?;
    expect_result("ftruncate", ftruncate(fd.as_raw_fd(), 1), DENIED)?;
    expect_result(
        "open(d/g, O_WRONLY|O_TRUNC)",
        try_open(&s.t.path("d/g"), libc::O_WRONLY | libc::O_TRUNC),
        DENIED,
    )?;
    s.len_is(FULL)
}

/// truncate(2) needs TRUNCATE and nothing else, not even WRITE_FILE.
fn truncate_without_write() -> TestResult {
    let s = Tr::new()?;
    s.layer(T | fs::WRITE_FILE, Some(("d", T)))?;
    expect_result(
        "open(d/f, O_WRONLY)",
        try_open(&s.f(), libc::O_WRONLY),
        DENIED,
    )?;
    expect_result("truncate(d/f)", truncate(&s.f(), 0), None)?;
    s.len_is(0)
}

/// The twin of the above, one right apart: WRITE_FILE granted, TRUNCATE
/// not, so the write open works and truncate(2) does not.
fn write_without_truncate() -> TestResult {
    let s = Tr::new()?;
    s.layer(T | fs::WRITE_FILE, Some(("d", fs::WRITE_FILE)))?;
    expect_result(
        "open(d/f, O_WRONLY)",
        try_open(&s.f(), libc::O_WRONLY),
        None,
    )?;
    expect_result("truncate(d/f)", truncate(&s.f(), 0), DENIED)?;
    s.len_is(FULL)
}

pub fn tests() -> Vec<Test> {
    const O_CREAT_TRUNC: i32 = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
    // (name, body, twin): the twin is one rule, right or layer apart with
    // the opposite main verdict.
    let cases: Vec<(&str, Body, &str)> = vec![
        (
            "ftruncate::opened_in_domain::allowed",
            Box::new(|| ftruncate_opened_in_domain(true)),
            "ftruncate::opened_in_domain::denied",
        ),
        (
            "ftruncate::opened_in_domain::denied",
            Box::new(|| ftruncate_opened_in_domain(false)),
            "ftruncate::opened_in_domain::allowed",
        ),
        (
            "ftruncate::opened_before_domain::keeps_right",
            Box::new(ftruncate_opened_before_domain),
            "ftruncate::opened_in_domain::denied",
        ),
        (
            "ftruncate::opened_under_earlier_layer::keeps_right",
            Box::new(ftruncate_fd_from_earlier_layer),
            "ftruncate::opened_in_domain::denied",
        ),
        (
            "open_trunc::write_only::allowed",
            Box::new(|| open_trunc(true, libc::O_WRONLY)),
            "open_trunc::write_only::denied",
        ),
        (
            "open_trunc::write_only::denied",
            Box::new(|| open_trunc(false, libc::O_WRONLY)),
            "open_trunc::write_only::allowed",
        ),
        (
            "open_trunc::read_only::allowed",
            Box::new(|| open_trunc(true, libc::O_RDONLY)),
            "open_trunc::read_only::denied",
        ),
        (
            "open_trunc::read_only::denied",
            Box::new(|| open_trunc(false, libc::O_RDONLY)),
            "open_trunc::read_only::allowed",
        ),
        (
            "open_trunc::read_write::allowed",
            Box::new(|| open_trunc(true, libc::O_RDWR)),
            "open_trunc::read_write::denied",
        ),
        (
            "open_trunc::read_write::denied",
            Box::new(|| open_trunc(false, libc::O_RDWR)),
            "open_trunc::read_write::allowed",
        ),
        (
            "creat::existing::allowed",
            Box::new(|| creat_existing(true)),
            "creat::existing::denied",
        ),
        (
            "creat::existing::denied",
            Box::new(|| creat_existing(false)),
            "creat::existing::allowed",
        ),
        (
            "creat::new_file::allowed_without_truncate",
            Box::new(|| create_new(None, T, None)),
            "creat::new_file::make_reg_denied",
        ),
        (
            "creat::new_file::make_reg_denied",
            Box::new(|| create_new(None, T | fs::MAKE_REG, Some(Errno::EACCES))),
            "creat::new_file::allowed_without_truncate",
        ),
        (
            "open_trunc::o_creat_new_file::allowed_without_truncate",
            Box::new(|| create_new(Some(O_CREAT_TRUNC), T, None)),
            "open_trunc::o_creat_new_file::make_reg_denied",
        ),
        (
            "open_trunc::o_creat_new_file::make_reg_denied",
            Box::new(|| create_new(Some(O_CREAT_TRUNC), T | fs::MAKE_REG, Some(Errno::EACCES))),
            "open_trunc::o_creat_new_file::allowed_without_truncate",
        ),
        (
            "not_handled::write_file_alone::allowed",
            Box::new(write_file_does_not_govern_truncation),
            "handled::write_file_and_truncate::denied",
        ),
        (
            "handled::write_file_and_truncate::denied",
            Box::new(write_file_without_truncate),
            "not_handled::write_file_alone::allowed",
        ),
        (
            "truncate::without_write_file::allowed",
            Box::new(truncate_without_write),
            "truncate::write_file_without_truncate::denied",
        ),
        (
            "truncate::write_file_without_truncate::denied",
            Box::new(write_without_truncate),
            "truncate::without_write_file::allowed",
        ),
    ];
    cases
        .into_iter()
        .map(|(name, body, twin)| {
            Test::new(format!("fs::truncation::{name}"), body)
                .needs("LANDLOCK_ACCESS_FS_TRUNCATE")
                .enforcement()
                .twin(format!("fs::truncation::{twin}"))
        })
        .collect()
}
