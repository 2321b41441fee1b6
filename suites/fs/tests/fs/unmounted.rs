//! `fs::rule_object::*_fs_root`: a rule on the root of a mounted
//! filesystem applies while it is mounted. Once it is unmounted, the path
//! names the directory underneath, which has no rule, so access is denied;
//! and the kernel must let go of the inode the rule held when the
//! filesystem goes away (its sb_delete hook), which a VM run checks on the
//! console (a busy-inode warning).

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_result, Errno, Requirement, Ruleset, Test, TestResult};
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

pub fn tests() -> Vec<Test> {
    // Twins, one umount apart.
    llconf_harness::twin::pair(
        Test::new("fs::rule_object::mounted_fs_root::allowed", || {
            fs_root(false)
        }),
        Test::new("fs::rule_object::unmounted_fs_root::denied", || {
            fs_root(true)
        }),
    )
    .into_iter()
    .map(|t| t.requires(Requirement::Root).enforcement())
    .collect()
}
