//! `fs::paths::*`: how a rule reaches a file through bind mounts, overlayfs
//! and /proc/self/fd magic links.
//!
//! A rule is tied to an inode; an access is checked by walking the path
//! actually used, from the file up through parent mounts. So a rule on a
//! bind mount's source directory covers the mount, a rule on a parent of
//! the source does not, and overlayfs files are reached only by rules on
//! the overlay's own directories.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_result, skip, Errno, OrFail, Requirement, Ruleset, Stop, Test, TestResult,
};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

const R: u64 = fs::READ_FILE;
const DENIED: Option<Errno> = Some(Errno::EACCES);

fn read(p: &Path) -> Result<(), Errno> {
    try_open(p, libc::O_RDONLY)
}

fn check(p: PathBuf, expect: Option<Errno>) -> TestResult {
    expect_result(format!("read {}", p.display()), read(&p), expect)
}

fn enforce_read(rules: &[PathBuf]) -> TestResult {
    let rs = Ruleset::fs(R)?;
    for p in rules {
        rs.allow_path(p, R)?;
    }
    rs.enforce()
}

/// `src/dir/f` bind-mounted at `mp/at`, so `mp/at/f` is `src/dir/f`.
fn bind_tree() -> Result<TempTree, Stop> {
    let t = TempTree::with(&["src/dir/f", "mp/at/"])?;
    llconf_harness::fixture::enter_private_mount_ns()?;
    setup(
        "bind src/dir on mp/at",
        bind_mount(&t.path("src/dir"), &t.path("mp/at")),
    )?;
    Ok(t)
}

fn bind_rule_on_source_dir() -> TestResult {
    let t = bind_tree()?;
    enforce_read(&[t.path("src/dir")])?;
    check(t.path("mp/at/f"), None)?;
    check(t.path("src/dir/f"), None)
}

fn bind_rule_on_source_parent() -> TestResult {
    let t = bind_tree()?;
    enforce_read(&[t.path("src")])?;
    check(t.path("src/dir/f"), None)?;
    check(t.path("mp/at/f"), DENIED)
}

fn bind_rule_on_mountpoint_parent() -> TestResult {
    let t = bind_tree()?;
    enforce_read(&[t.path("mp")])?;
    check(t.path("mp/at/f"), None)?;
    check(t.path("src/dir/f"), DENIED)
}

/// Opening the mount point after mounting names the mount's root, which
/// is the source directory: the rule covers both paths.
fn bind_rule_through_mountpoint() -> TestResult {
    let t = bind_tree()?;
    enforce_read(&[t.path("mp/at")])?;
    check(t.path("mp/at/f"), None)?;
    check(t.path("src/dir/f"), None)
}

/// A rule on the directory a mount later covers names the hidden inode,
/// which no path walk through the mount meets.
fn bind_rule_on_covered_dir() -> TestResult {
    let t = TempTree::with(&["src/dir/f", "mp/at/"])?;
    llconf_harness::fixture::enter_private_mount_ns()?;
    let rs = Ruleset::fs(R)?;
    rs.allow_path(&t.path("mp/at"), R)?;
    setup(
        "bind src/dir on mp/at",
        bind_mount(&t.path("src/dir"), &t.path("mp/at")),
    )?;
    rs.enforce()?;
    check(t.path("mp/at/f"), DENIED)
}

/// lower/f, upper/g, merged = overlay(lower, upper).
fn overlay_tree() -> Result<TempTree, Stop> {
    let t = TempTree::with(&["lower/f", "upper/g", "work/", "merged/"])?;
    llconf_harness::fixture::enter_private_mount_ns()?;
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        t.path("lower").display(),
        t.path("upper").display(),
        t.path("work").display()
    );
    match nix::mount::mount(
        Some("overlay"),
        &t.path("merged"),
        Some("overlay"),
        nix::mount::MsFlags::empty(),
        Some(opts.as_str()),
    ) {
        Ok(()) => Ok(t),
        Err(Errno::ENODEV) => Err(skip("overlayfs is not available in this kernel (ENODEV)")),
        Err(e) => Err(llconf_harness::fail(format!("mount overlay: {e}"))),
    }
}

fn overlay_rule_on_layers() -> TestResult {
    let t = overlay_tree()?;
    enforce_read(&[t.path("lower"), t.path("upper")])?;
    check(t.path("lower/f"), None)?;
    check(t.path("upper/g"), None)?;
    check(t.path("merged/f"), DENIED)?;
    check(t.path("merged/g"), DENIED)
}

fn overlay_rule_on_merged() -> TestResult {
    let t = overlay_tree()?;
    enforce_read(&[t.path("merged")])?;
    check(t.path("merged/f"), None)?;
    check(t.path("merged/g"), None)?;
    check(t.path("lower/f"), DENIED)?;
    check(t.path("upper/g"), DENIED)
}

fn proc_fd(fd: &OwnedFd) -> PathBuf {
    format!("/proc/self/fd/{}", fd.as_raw_fd()).into()
}

/// Reopening through /proc/self/fd is checked against the file's real
/// path, whatever the fd was opened for.
fn proc_reopen(rule: bool) -> TestResult {
    let t = TempTree::with(&["d/f", "other/"])?;
    let o_path = setup("open d/f O_PATH", open(&t.path("d/f"), libc::O_PATH))?;
    enforce_read(&[t.path(if rule { "d" } else { "other" })])?;
    check(proc_fd(&o_path), (!rule).then_some(Errno::EACCES))
}

/// An fd opened for reading cannot be reopened for writing by its magic
/// link when WRITE_FILE is denied; with WRITE_FILE granted too (the twin,
/// one right apart) it can.
fn proc_reopen_wider(write_granted: bool) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    let rs = Ruleset::fs(R | fs::WRITE_FILE)?;
    let grant = if write_granted { R | fs::WRITE_FILE } else { R };
    rs.allow_path(&t.path("d"), grant)?;
    rs.enforce()?;
    let fd = setup("open d/f O_RDONLY", open(&t.path("d/f"), libc::O_RDONLY))?;
    expect_result(
        "reopen /proc/self/fd/N O_RDONLY",
        try_open(&proc_fd(&fd), libc::O_RDONLY),
        None,
    )?;
    expect_result(
        "reopen /proc/self/fd/N O_WRONLY",
        try_open(&proc_fd(&fd), libc::O_WRONLY),
        (!write_granted).then_some(Errno::EACCES),
    )
}

/// Pipes live on an internal filesystem that no rule can name: Landlock
/// lets them be reopened through /proc/self/fd even with everything
/// handled and no rule.
fn proc_pipe() -> TestResult {
    Ruleset::fs(known_fs())?.enforce()?;
    let (r, w) = nix::unistd::pipe().or_fail("pipe")?;
    expect_result(
        "reopen pipe read end",
        try_open(&proc_fd(&r), libc::O_RDONLY),
        None,
    )?;
    expect_result(
        "reopen pipe write end",
        try_open(&proc_fd(&w), libc::O_WRONLY),
        None,
    )?;
    // The domain is there: a regular path is denied.
    expect_result("open /", try_open(Path::new("/"), libc::O_RDONLY), DENIED)
}

/// truncate(2) through a magic link is checked against the real path.
fn proc_truncate(rule: bool) -> TestResult {
    let t = TempTree::with(&["d/f", "other/"])?;
    let o_path = setup("open d/f O_PATH", open(&t.path("d/f"), libc::O_PATH))?;
    let rs = Ruleset::fs(fs::TRUNCATE)?;
    rs.allow_path(&t.path(if rule { "d" } else { "other" }), fs::TRUNCATE)?;
    rs.enforce()?;
    expect_result(
        "truncate(/proc/self/fd/N)",
        truncate(&proc_fd(&o_path), 0),
        (!rule).then_some(Errno::EACCES),
    )
}

pub fn tests() -> Vec<Test> {
    // Each case names its twin (below fs::paths): one rule, right or
    // mount apart, with the opposite main verdict.
    let root = |name: &str, body: fn() -> TestResult, twin: &str| {
        Test::new(format!("fs::paths::{name}"), body)
            .requires(Requirement::Root)
            .enforcement()
            .twin(format!("fs::paths::{twin}"))
    };
    let plain = |name: &str, body: Box<dyn Fn() -> TestResult + Send + Sync>, twin: &str| {
        Test::new(format!("fs::paths::{name}"), body)
            .enforcement()
            .twin(format!("fs::paths::{twin}"))
    };
    vec![
        root(
            "bind_mount::rule_on_source_dir::allowed_both_ways",
            bind_rule_on_source_dir,
            "bind_mount::rule_on_source_parent::denied_through_mount",
        ),
        root(
            "bind_mount::rule_on_source_parent::denied_through_mount",
            bind_rule_on_source_parent,
            "bind_mount::rule_on_source_dir::allowed_both_ways",
        ),
        // The mirror: a parent of the mount point reaches through the
        // mount, a parent of the source does not.
        root(
            "bind_mount::rule_on_mountpoint_parent::allowed_through_mount_only",
            bind_rule_on_mountpoint_parent,
            "bind_mount::rule_on_source_parent::denied_through_mount",
        ),
        // The same rule on mp/at, taken after the mount and before it.
        root(
            "bind_mount::rule_through_mountpoint::covers_source",
            bind_rule_through_mountpoint,
            "bind_mount::rule_on_covered_dir::denied",
        ),
        root(
            "bind_mount::rule_on_covered_dir::denied",
            bind_rule_on_covered_dir,
            "bind_mount::rule_through_mountpoint::covers_source",
        ),
        root(
            "overlayfs::rule_on_layers::denied_in_merged",
            overlay_rule_on_layers,
            "overlayfs::rule_on_merged::allowed_only_there",
        ),
        root(
            "overlayfs::rule_on_merged::allowed_only_there",
            overlay_rule_on_merged,
            "overlayfs::rule_on_layers::denied_in_merged",
        ),
        plain(
            "proc_self_fd::o_path_fd::reopen_allowed",
            Box::new(|| proc_reopen(true)),
            "proc_self_fd::o_path_fd::reopen_denied",
        ),
        plain(
            "proc_self_fd::o_path_fd::reopen_denied",
            Box::new(|| proc_reopen(false)),
            "proc_self_fd::o_path_fd::reopen_allowed",
        ),
        plain(
            "proc_self_fd::read_fd::reopen_for_write_denied",
            Box::new(|| proc_reopen_wider(false)),
            "proc_self_fd::read_fd::reopen_for_write_allowed",
        ),
        plain(
            "proc_self_fd::read_fd::reopen_for_write_allowed",
            Box::new(|| proc_reopen_wider(true)),
            "proc_self_fd::read_fd::reopen_for_write_denied",
        ),
        // A regular file's magic link under a domain with no rule for it
        // is denied.
        plain(
            "proc_self_fd::pipe::reopen_allowed",
            Box::new(proc_pipe),
            "proc_self_fd::o_path_fd::reopen_denied",
        ),
        plain(
            "proc_self_fd::truncate::allowed",
            Box::new(|| proc_truncate(true)),
            "proc_self_fd::truncate::denied",
        )
        .needs("LANDLOCK_ACCESS_FS_TRUNCATE"),
        plain(
            "proc_self_fd::truncate::denied",
            Box::new(|| proc_truncate(false)),
            "proc_self_fd::truncate::allowed",
        )
        .needs("LANDLOCK_ACCESS_FS_TRUNCATE"),
    ]
}
