//! `fs::rule_object::*_fs_root`: a rule on the root of a mounted
//! filesystem applies while it is mounted. Once it is unmounted, the path
//! names the directory underneath, which has no rule, so access is denied;
//! and the kernel must let go of the inode the rule held when the
//! filesystem goes away (its sb_delete hook), which a VM run checks on the
//! console (a busy-inode warning).
//!
//! `fs::rule_object::umount_with_a_rule::*`: the umount must
//! return, whether the rule's hold on an inode of the filesystem was let
//! go before (the ruleset closed: release_inode) or is let go by the
//! umount itself (the ruleset still open: hook_sb_delete). The umount
//! waits until every release in flight is done (a count of them per
//! superblock): a release that does not count itself in leaves the count
//! below zero, and the umount waits forever, which only the test's
//! timeout ends.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_result, Errno, OrFail, Requirement, Ruleset, Test, TestResult};
use nix::mount::{umount2, MntFlags};

fn fs_root(unmount: bool) -> TestResult {
    let t = TempTree::with(&["a/", "m/"])?;
    llconf_harness::fixture::enter_private_mount_ns()?;
    setup("mount tmpfs on m", mount_tmpfs(&t.path("m")))?;
    let rs = Ruleset::fs(fs::READ_DIR)?;
    rs.allow_path(&t.path("a"), fs::READ_DIR)?;
    rs.allow_path(&t.path("m"), fs::READ_DIR)?;
    if unmount {
        setup("umount m", umount2(&t.path("m"), MntFlags::empty()))?;
    }
    rs.enforce()?;
    let dir = libc::O_RDONLY | libc::O_DIRECTORY;
    expect_result("open(a/)", try_open(&t.path("a"), dir), None)?;
    expect_result(
        if unmount {
            "open(m/) once its tmpfs is unmounted"
        } else {
            "open(m/), the root of a tmpfs with a rule"
        },
        try_open(&t.path("m"), dir),
        unmount.then_some(Errno::EACCES),
    )
}

/// A rule on m/f, in a tmpfs mounted on m; the ruleset closed first or
/// not; then m is unmounted.
fn umount_after_rule(close_first: bool) -> TestResult {
    let t = TempTree::with(&["m/"])?;
    llconf_harness::fixture::enter_private_mount_ns()?;
    setup("mount tmpfs on m", mount_tmpfs(&t.path("m")))?;
    let f = t.path("m/f");
    std::fs::write(&f, b"").or_fail("setup: create m/f")?;
    let rs = Ruleset::fs(fs::READ_FILE)?;
    rs.allow_path(&f, fs::READ_FILE)?;
    let held = if close_first {
        // The last reference to the rule, and so to the object that ties
        // it to m/f, goes with the fd (when close returns).
        drop(rs);
        None
    } else {
        Some(rs)
    };
    expect_result("umount(m)", umount2(&t.path("m"), MntFlags::empty()), None)?;
    drop(held);
    Ok(())
}

pub fn tests() -> Vec<Test> {
    let liveness = "a liveness check: the umount must return, nothing is allowed or denied";
    let mut v: Vec<Test> = [
        ("ruleset_closed_first", true),
        ("ruleset_still_open", false),
    ]
    .into_iter()
    .map(|(name, close_first)| {
        Test::new(
            format!("fs::rule_object::umount_with_a_rule::{name}"),
            move || umount_after_rule(close_first),
        )
        .requires(Requirement::Root)
        .untwinned(liveness)
    })
    .collect();
    // Twins, one umount apart.
    v.extend(
        llconf_harness::twin::pair(
            Test::new("fs::rule_object::mounted_fs_root::allowed", || {
                fs_root(false)
            }),
            Test::new("fs::rule_object::unmounted_fs_root::denied", || {
                fs_root(true)
            }),
        )
        .into_iter()
        .map(|t| t.requires(Requirement::Root).enforcement()),
    );
    v
}
