//! `audit::denial::fs_change_topology`: a domain that handles any filesystem right
//! cannot change the mount topology (EPERM), and the record's blocker is
//! `fs.change_topology`. mount(2) and move_mount(2) are denied on the mount
//! point's path (`path=`), pivot_root(2) on the new root's; umount(2) and a reconfiguration with fsconfig(2)
//! on a bare dentry, the mount's root, which lsm_audit.c names by its own
//! name (`name=`): `/` for a filesystem's root, the directory's last
//! component for a bind mount of it. Each has
//! a twin under a domain that handles a network right only: the operation
//! goes through and nothing is logged.
//!
//! Each test enters a mount namespace of its own (as root).

use crate::common::audit_test;
use crate::denials::finish;
use crate::objects::path_fields;
use crate::record::untrusted;
use crate::session::Session;
use llconf_harness::abi::{fs, net};
use llconf_harness::fixture::{enter_private_mount_ns, mount_api, TempTree};
use llconf_harness::{expect_result, Errno, OrFail, Ruleset, RulesetAttr, Stop, Test, TestResult};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The denial's domain handles a filesystem right; the twin's, one
/// network right and no filesystem right.
fn enforce(allowed: bool) -> TestResult {
    let rs = if allowed {
        Ruleset::new(RulesetAttr {
            handled_access_net: net::BIND_TCP,
            ..Default::default()
        })?
    } else {
        Ruleset::fs(fs::EXECUTE)?
    };
    rs.enforce()
}

fn mount_tmpfs(on: &Path) -> Result<(), Stop> {
    mount(
        Some("tmpfs"),
        on,
        Some("tmpfs"),
        MsFlags::empty(),
        None::<&str>,
    )
    .or_fail(format!("setup: mount tmpfs on {}", on.display()))
}

/// What every case ends with: an audit session, the domain (or the
/// twin's), the operation `what` (EPERM, or 0 for the twin), and then the
/// one record naming `object`, or none.
fn judge(
    object: String,
    allowed: bool,
    what: impl std::fmt::Display,
    op: impl FnOnce() -> Result<(), Errno>,
) -> TestResult {
    let mut session = Session::open()?;
    let body = format!("blockers=fs.change_topology {object}");
    enforce(allowed)?;
    let from = session.seen().len();
    expect_result(what, op(), (!allowed).then_some(Errno::EPERM))?;
    finish(&mut session, from, allowed, &object, &body)
}

/// A tmpfs mounted on d: the record names the mount point by its path.
fn mount_denied(allowed: bool) -> TestResult {
    enter_private_mount_ns()?;
    let t = TempTree::with(&["d/"])?;
    let d = t.path("d");
    let object = path_fields(&d)?;
    judge(object, allowed, "mount(tmpfs on d)", || {
        mount(
            Some("tmpfs"),
            &d,
            Some("tmpfs"),
            MsFlags::empty(),
            None::<&str>,
        )
    })
}

/// A clone of src (open_tree) moved onto d with move_mount(2): the record
/// names the destination by its path.
fn move_mount_denied(allowed: bool) -> TestResult {
    enter_private_mount_ns()?;
    let t = TempTree::with(&["src/f", "d/"])?;
    let d = t.path("d");
    let object = path_fields(&d)?;
    judge(
        object,
        allowed,
        "open_tree(src, OPEN_TREE_CLONE) then move_mount onto d",
        || mount_api::clone_and_move(&t.path("src"), &d),
    )
}

/// A tmpfs on mnt made read-only with fspick(2) and fsconfig(2): the
/// record names the superblock's root dentry, `/`.
fn reconfigure_denied(allowed: bool) -> TestResult {
    enter_private_mount_ns()?;
    let t = TempTree::with(&["mnt/"])?;
    let mnt = t.path("mnt");
    mount_tmpfs(&mnt)?;
    let ino = std::fs::metadata(&mnt).or_fail("stat mnt")?.ino();
    let object = format!("name={} dev=\"tmpfs\" ino={ino}", untrusted(b"/"));
    judge(
        object,
        allowed,
        "fspick(mnt), fsconfig(ro), FSCONFIG_CMD_RECONFIGURE",
        || mount_api::reconfigure(&mnt, "ro"),
    )
}

/// pivot_root(newroot, newroot/old), newroot a tmpfs: the record names the
/// new root by its path. It runs in a child with a mount namespace of its
/// own, so that the test process keeps its root when the twin's domain
/// lets it through.
fn pivot_root_denied(allowed: bool) -> TestResult {
    enter_private_mount_ns()?;
    let t = TempTree::with(&["newroot/"])?;
    let newroot = t.path("newroot");
    mount_tmpfs(&newroot)?;
    let old = newroot.join("old");
    std::fs::create_dir(&old).or_fail("setup: mkdir newroot/old")?;
    // The twin's pivot must work without a domain first: where the root
    // is the initramfs' rootfs, it cannot be pivoted at all (EINVAL). The
    // denial needs no such proof: Landlock refuses before that check.
    match allowed.then(|| mount_api::pivot_root_in_child(&newroot, &old)) {
        None | Some(Ok(())) => {}
        Some(Err(Errno::EINVAL)) => {
            return Err(llconf_harness::skip(
                "pivot_root gives EINVAL here without any domain: the root cannot be \
                 pivoted (rootfs, or not a mount point)",
            ))
        }
        Some(Err(e)) => {
            return Err(llconf_harness::fail(format!(
                "setup: pivot_root in a child without a domain: {e}"
            )))
        }
    }
    let object = path_fields(&newroot)?;
    judge(
        object,
        allowed,
        "pivot_root(newroot, newroot/old) in a child",
        || mount_api::pivot_root_in_child(&newroot, &old),
    )
}

/// What the umount cases unmount.
#[derive(Clone, Copy)]
enum Umount {
    /// A tmpfs: its root dentry is named `/`.
    Tmpfs,
    /// A bind mount of the tmpfs's a/b: its root dentry is b.
    BindOfSubdir,
}

fn umount_denied(what: Umount, allowed: bool) -> TestResult {
    enter_private_mount_ns()?;
    let t = TempTree::with(&["mnt/", "bind/"])?;
    let mnt = t.path("mnt");
    mount_tmpfs(&mnt)?;
    let (target, name) = match what {
        Umount::Tmpfs => (mnt.clone(), "/"),
        Umount::BindOfSubdir => {
            let sub = mnt.join("a/b");
            std::fs::create_dir_all(&sub).or_fail("setup: mkdir mnt/a/b")?;
            let bind = t.path("bind");
            mount(
                Some(&sub),
                &bind,
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .or_fail("setup: bind mnt/a/b on bind")?;
            (bind, "b")
        }
    };
    let ino = std::fs::metadata(&target)
        .or_fail(format!("stat {}", target.display()))?
        .ino();
    let object = format!(
        "name={} dev=\"tmpfs\" ino={ino}",
        untrusted(name.as_bytes())
    );
    judge(
        object,
        allowed,
        format!("umount({})", target.display()),
        || umount2(&target, MntFlags::empty()),
    )
}

type Case = (&'static str, fn(bool) -> TestResult);

const CASES: &[Case] = &[
    ("mount", mount_denied),
    ("move_mount", move_mount_denied),
    ("reconfigure_read_only", reconfigure_denied),
    ("pivot_root", pivot_root_denied),
    ("umount_tmpfs", |a| umount_denied(Umount::Tmpfs, a)),
    ("umount_bind_of_subdir", |a| {
        umount_denied(Umount::BindOfSubdir, a)
    }),
];

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    for &(name, body) in CASES {
        // The twin's domain handles a network right.
        let gate = |t: Test| t.needs("LANDLOCK_ACCESS_NET_BIND_TCP");
        v.extend(llconf_harness::twin::pair(
            gate(audit_test(
                &format!("denial::fs_change_topology::{name}"),
                move || body(false),
            )),
            gate(audit_test(
                &format!("allowed::fs_change_topology::{name}"),
                move || body(true),
            )),
        ));
    }
    v
}
