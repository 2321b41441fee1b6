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
//!
//! `fs::rule_object::umount_after_sandboxed_open::*`: a sandboxed child
//! opens m/f in a tmpfs on m, then its unsandboxed parent unmounts m,
//! which must not be busy: the path walk of the child's access must let
//! go of every dentry and mount it held. Where a rule on m grants the
//! access, the walk ends inside the tmpfs (llconf and the selftests missed
//! fs.c:1002, that walk's last path_put dropped); the twin, without the
//! rule, is denied and its walk ends outside.

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

/// In a private mount namespace, a tmpfs on m/ holding an empty m/f.
fn tmpfs_with_file() -> Result<(TempTree, std::path::PathBuf), llconf_harness::Stop> {
    let t = TempTree::with(&["m/"])?;
    llconf_harness::fixture::enter_private_mount_ns()?;
    setup("mount tmpfs on m", mount_tmpfs(&t.path("m")))?;
    let f = t.path("m/f");
    std::fs::write(&f, b"").or_fail("setup: create m/f")?;
    Ok((t, f))
}

/// A rule on m/f, in a tmpfs mounted on m; the ruleset closed first or
/// not; then m is unmounted.
fn umount_after_rule(close_first: bool) -> TestResult {
    let (t, f) = tmpfs_with_file()?;
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

fn umount_after_sandboxed_open(rule: bool) -> TestResult {
    let (t, f) = tmpfs_with_file()?;
    let rs = Ruleset::fs(fs::READ_FILE)?;
    if rule {
        rs.allow_path(&t.path("m"), fs::READ_FILE)?;
    }
    let path = c(&f);
    let (rs_fd, want) = (rs.fd(), if rule { 0 } else { libc::EACCES });
    // The child only makes raw system calls: 0 when open() ends as it
    // must, 1 when restrict_self fails, 2 when open() ends otherwise.
    let code = llconf_harness::forked::exit_code_of(|| {
        // SAFETY: plain system calls on a live fd and a C string.
        unsafe {
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            if libc::syscall(llconf_harness::sys::SYS_RESTRICT_SELF, rs_fd, 0) != 0 {
                return 1;
            }
            let fd = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            let got = if fd >= 0 {
                0
            } else {
                *libc::__errno_location()
            };
            i32::from(got != want) * 2
        }
    });
    llconf_harness::expect_eq(
        format!(
            "the sandboxed child's open(m/f) ({}; 0: as expected)",
            if rule {
                "allowed by a rule on m"
            } else {
                "no rule: EACCES"
            }
        ),
        code,
        Some(0),
    )?;
    expect_result(
        "umount(m) after the child's access",
        umount2(&t.path("m"), MntFlags::empty()),
        None,
    )
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
        .requires(Requirement::Landlock)
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
    // The allowed case passes without any domain as well: only its twin
    // is an enforcement case.
    v.extend(
        llconf_harness::twin::pair(
            Test::new(
                "fs::rule_object::umount_after_sandboxed_open::allowed",
                || umount_after_sandboxed_open(true),
            ),
            Test::new(
                "fs::rule_object::umount_after_sandboxed_open::denied",
                || umount_after_sandboxed_open(false),
            )
            .enforcement(),
        )
        .into_iter()
        // The allowed case makes a ruleset all the same.
        .map(|t| {
            t.requires(Requirement::Root)
                .requires(Requirement::Landlock)
        }),
    );
    v
}
