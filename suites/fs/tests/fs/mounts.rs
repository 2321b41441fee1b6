//! `fs::mount_ops::*`: a domain that handles any filesystem right cannot
//! change the mount topology: mount(2) in all its forms, umount(2),
//! pivot_root(2), move_mount(2) and a reconfiguration with fsconfig(2)
//! give EPERM. A domain with no filesystem
//! right handled does not stop them.
//!
//! Each test first enters a private mount namespace (as root), proves the
//! same operation works there without a domain, then sandboxes itself.

use crate::common::*;
use llconf_harness::abi::{fs, scope};
use llconf_harness::fixture::{mount_api, TempTree};
use llconf_harness::{expect_result, Errno, Requirement, Ruleset, Stop, Test, TestResult};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const EPERM: Option<Errno> = Some(Errno::EPERM);

struct Ns {
    t: TempTree,
}

impl Ns {
    fn new() -> Result<Ns, Stop> {
        let t = TempTree::with(&["a/f", "mnt/", "newroot/"])?;
        llconf_harness::fixture::enter_private_mount_ns()?;
        Ok(Ns { t })
    }
    fn p(&self, rel: &str) -> std::path::PathBuf {
        self.t.path(rel)
    }
}

/// A domain that handles one filesystem right and has a rule on the tree:
/// what is denied here is the mount operation itself, not a path.
fn fs_domain(n: &Ns) -> TestResult {
    let rs = Ruleset::fs(fs::READ_FILE)?;
    rs.allow_path(n.t.root(), fs::READ_FILE)?;
    rs.enforce()
}

fn remount_ro(target: &Path) -> Result<(), Errno> {
    mount(
        None::<&str>,
        target,
        None::<&str>,
        MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
        None::<&str>,
    )
}

fn make_private(target: &Path) -> Result<(), Errno> {
    mount(
        None::<&str>,
        target,
        None::<&str>,
        MsFlags::MS_PRIVATE,
        None::<&str>,
    )
}

fn move_mount_ms(from: &Path, to: &Path) -> Result<(), Errno> {
    mount(Some(from), to, None::<&str>, MsFlags::MS_MOVE, None::<&str>)
}

fn pivot_root(new: &Path, old: &Path) -> Result<(), Errno> {
    let (n, o) = (cstr(new), cstr(old));
    // SAFETY: valid C strings.
    Errno::result(unsafe { libc::syscall(libc::SYS_pivot_root, n.as_ptr(), o.as_ptr()) }).map(drop)
}

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("path without NUL")
}

type Setup = fn(&Ns) -> TestResult;
type Op = fn(&Ns) -> Result<(), Errno>;

fn no_setup(_: &Ns) -> TestResult {
    Ok(())
}

fn tmpfs_on_mnt(n: &Ns) -> TestResult {
    setup("mount tmpfs on mnt", mount_tmpfs(&n.p("mnt")))
}

fn pivot_setup(n: &Ns) -> TestResult {
    setup("mount tmpfs on newroot", mount_tmpfs(&n.p("newroot")))?;
    setup("mkdir newroot/old", mkdir(&n.p("newroot/old")))
}

/// Each operation: its name, a setup that makes it possible, the operation,
/// and how to undo it so that the control run can be repeated.
const OPS: &[(&str, Setup, Op, Op)] = &[
    (
        "mount_tmpfs",
        no_setup,
        |n| mount_tmpfs(&n.p("mnt")),
        |n| umount2(&n.p("mnt"), MntFlags::empty()),
    ),
    (
        "bind_mount",
        no_setup,
        |n| bind_mount(&n.p("a"), &n.p("mnt")),
        |n| umount2(&n.p("mnt"), MntFlags::empty()),
    ),
    (
        "remount_read_only",
        tmpfs_on_mnt,
        |n| remount_ro(&n.p("mnt")),
        |n| {
            mount(
                None::<&str>,
                &n.p("mnt"),
                None::<&str>,
                MsFlags::MS_REMOUNT,
                None::<&str>,
            )
        },
    ),
    (
        "change_propagation",
        tmpfs_on_mnt,
        |n| make_private(&n.p("mnt")),
        |_| Ok(()),
    ),
    (
        "ms_move",
        tmpfs_on_mnt,
        |n| move_mount_ms(&n.p("mnt"), &n.p("newroot")),
        |n| move_mount_ms(&n.p("newroot"), &n.p("mnt")),
    ),
    (
        "umount",
        tmpfs_on_mnt,
        |n| umount2(&n.p("mnt"), MntFlags::empty()),
        |n| mount_tmpfs(&n.p("mnt")),
    ),
    (
        "move_mount_syscall",
        no_setup,
        |n| mount_api::clone_and_move(&n.p("a"), &n.p("mnt")),
        |n| umount2(&n.p("mnt"), MntFlags::MNT_DETACH),
    ),
    // fspick(2) and fsconfig(2) reach the sb_remount hook alone: mount(2)
    // with MS_REMOUNT is stopped at sb_mount first.
    (
        "reconfigure_read_only",
        tmpfs_on_mnt,
        |n| mount_api::reconfigure(&n.p("mnt"), "ro"),
        |n| mount_api::reconfigure(&n.p("mnt"), "rw"),
    ),
    // Never tried without a domain: it would swap this process's root.
    (
        "pivot_root",
        pivot_setup,
        |n| pivot_root(&n.p("newroot"), &n.p("newroot/old")),
        |_| Ok(()),
    ),
];

fn run(i: usize, domain: fn(&Ns) -> TestResult, expect: Option<Errno>) -> TestResult {
    let (name, prep, op, undo) = OPS[i];
    let n = Ns::new()?;
    prep(&n)?;
    if name != "pivot_root" {
        setup(format!("{name} without a domain"), op(&n))?;
        setup(format!("undo {name}"), undo(&n))?;
    }
    domain(&n)?;
    expect_result(format!("{name} in the domain"), op(&n), expect)
}

fn scope_domain(_: &Ns) -> TestResult {
    Ruleset::scoped(scope::SIGNAL)?.enforce()
}

/// pivot_root(newroot, newroot/old) in a child with a mount namespace of
/// its own, so that the test process keeps its root.
fn pivot_in_child(n: &Ns) -> Result<(), Errno> {
    mount_api::pivot_root_in_child(&n.p("newroot"), &n.p("newroot/old"))
}

/// The twin of pivot_root::fs_domain_eperm: a domain that handles no
/// filesystem right lets pivot_root through. It runs in a child, after a
/// control run without a domain that shows pivot_root works here at all
/// (it does not where the root is the initramfs' rootfs: EINVAL).
fn pivot_root_fs_free() -> TestResult {
    let n = Ns::new()?;
    pivot_setup(&n)?;
    match pivot_in_child(&n) {
        Ok(()) => {}
        Err(Errno::EINVAL) => {
            return Err(llconf_harness::skip(
                "pivot_root gives EINVAL here without any domain: the root cannot be \
                 pivoted (rootfs, or not a mount point)",
            ))
        }
        r => setup("pivot_root in a child without a domain", r)?,
    }
    scope_domain(&n)?;
    expect_result(
        "pivot_root in a child, in a domain that handles no filesystem right",
        pivot_in_child(&n),
        None,
    )
}

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    // Each operation's twin is the same operation under a domain that
    // handles no filesystem right, one handled right apart.
    for (i, (name, ..)) in OPS.iter().enumerate() {
        v.push(
            Test::new(
                format!("fs::mount_ops::{name}::fs_domain_eperm"),
                move || run(i, fs_domain, EPERM),
            )
            .requires(Requirement::Root)
            .enforcement()
            .twin(format!("fs::mount_ops::{name}::fs_free_domain_allowed")),
        );
    }
    for (i, (name, ..)) in OPS.iter().enumerate() {
        let body: Body = if *name == "pivot_root" {
            Box::new(pivot_root_fs_free)
        } else {
            Box::new(move || run(i, scope_domain, None))
        };
        v.push(
            Test::new(
                format!("fs::mount_ops::{name}::fs_free_domain_allowed"),
                body,
            )
            .requires(Requirement::Root)
            .needs("LANDLOCK_SCOPE_SIGNAL")
            .enforcement()
            .twin(format!("fs::mount_ops::{name}::fs_domain_eperm")),
        );
    }
    v
}
