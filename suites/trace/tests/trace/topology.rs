//! `trace::deny_access_fs::change_topology::*`: a domain that handles any
//! filesystem right cannot umount or remount (EPERM), and the
//! deny_access_fs event it gives has blockers=change_topology. A umount
//! denial carries a bare dentry (the mount's root), not a path: the event
//! names it by its path inside its own filesystem (`dentry_path_raw()`),
//! not by where it is mounted, and says `<too_long>` when that path does
//! not fit in PATH_MAX. A remount through mount(2) is denied as a mount,
//! on the mount point's path, which the event names in full. Each case has
//! a twin under a domain that handles no filesystem right: the operation
//! goes through, and no event comes.
//!
//! Each test enters a mount namespace of its own (as root) and mounts a
//! tmpfs there, so the paths inside the filesystem are known.

use crate::common::*;
use llconf_harness::abi::{fs, scope};
use llconf_harness::fixture::trace::Instance;
use llconf_harness::fixture::{enter_private_mount_ns, TempTree};
use llconf_harness::{expect_result, Errno, OrFail, Requirement, Ruleset, Stop, Test, TestResult};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use std::path::Path;

/// 21 nested names of 200 bytes make a path of 4,221 bytes, past
/// PATH_MAX (4,096).
const NAME_LEN: usize = 200;
const DEPTH: usize = 21;

/// What the test does to the mount, and what the event must name.
#[derive(Clone, Copy)]
enum Op {
    /// umount(2) of a tmpfs: its root, `/`.
    UmountTmpfs,
    /// A read-only remount of a tmpfs through mount(2): the sb_mount
    /// hook denies it first, on the mount point's absolute path.
    RemountTmpfs,
    /// umount(2) of a bind mount of a/b inside the tmpfs: `/a/b`, where
    /// it is in its filesystem, not where it is mounted.
    UmountBindOfSubdir,
    /// umount(2) of a bind mount of a directory 21 long names deep:
    /// `<too_long>`.
    UmountBindTooDeep,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::UmountTmpfs => "umount_tmpfs",
            Op::RemountTmpfs => "remount_tmpfs",
            Op::UmountBindOfSubdir => "umount_bind_of_subdir",
            Op::UmountBindTooDeep => "umount_bind_too_deep",
        }
    }

    /// The event's `path=` for a denial on `target`.
    fn path(self, target: &Path) -> Result<String, Stop> {
        Ok(match self {
            Op::UmountTmpfs => "/".into(),
            Op::RemountTmpfs => escaped(&abs_bytes(target)?),
            Op::UmountBindOfSubdir => "/a/b".into(),
            Op::UmountBindTooDeep => "<too_long>".into(),
        })
    }
}

fn setup<T>(what: &str, r: Result<T, Errno>) -> Result<T, Stop> {
    r.or_fail(format!("setup: {what}"))
}

/// A private mount namespace with a tmpfs on `mnt`, and what `op` needs
/// besides; the mount point whose dentry the denial names.
fn prepare(t: &TempTree, op: Op) -> Result<std::path::PathBuf, Stop> {
    enter_private_mount_ns()?;
    let mnt = t.path("mnt");
    setup(
        "mount tmpfs on mnt",
        mount(
            Some("tmpfs"),
            &mnt,
            Some("tmpfs"),
            MsFlags::empty(),
            Some("size=1m"),
        ),
    )?;
    let bind = |src: &Path| -> Result<std::path::PathBuf, Stop> {
        let to = t.path("bind");
        setup(
            "bind mount",
            mount(Some(src), &to, None::<&str>, MsFlags::MS_BIND, None::<&str>),
        )?;
        Ok(to)
    };
    match op {
        Op::UmountTmpfs | Op::RemountTmpfs => Ok(mnt),
        Op::UmountBindOfSubdir => {
            std::fs::create_dir_all(mnt.join("a/b")).or_fail("setup: mkdir mnt/a/b")?;
            bind(&mnt.join("a/b"))
        }
        Op::UmountBindTooDeep => {
            // Built one level at a time from inside: the whole path is
            // too long for any system call to take at once.
            let back = std::env::current_dir().or_fail("getcwd")?;
            std::env::set_current_dir(&mnt).or_fail("chdir mnt")?;
            let long = "l".repeat(NAME_LEN);
            for _ in 0..DEPTH {
                std::fs::create_dir(&long).or_fail("setup: mkdir a long name")?;
                std::env::set_current_dir(&long).or_fail("chdir a long name")?;
            }
            let to = bind(Path::new("."));
            std::env::set_current_dir(back).or_fail("chdir back")?;
            to
        }
    }
}

fn act(op: Op, target: &Path) -> Result<(), Errno> {
    match op {
        Op::RemountTmpfs => mount(
            None::<&str>,
            target,
            None::<&str>,
            MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
            None::<&str>,
        ),
        _ => umount2(target, MntFlags::empty()),
    }
}

fn run(op: Op, handles_fs: bool) -> TestResult {
    let t = TempTree::with(&["mnt/", "bind/"])?;
    let target = prepare(&t, op)?;
    let (dev, ino) = dev_ino(&target)?;
    let rs = if handles_fs {
        Ruleset::fs(fs::READ_FILE)?
    } else {
        Ruleset::scoped(scope::SIGNAL)?
    };
    let trace = Instance::new(&[CREATE_DOMAIN, DENY_FS])?;
    rs.enforce()?;
    let what = format!("{} in a domain", op.name());
    expect_result(&what, act(op, &target), handles_fs.then_some(Errno::EPERM))?;
    if !handles_fs {
        return trace.none(DENY_FS, &format!("after an allowed {}", op.name()));
    }
    let (id, _) = created_domain(&trace, 0, "after enforcing")?;
    let e = trace.one(DENY_FS, &format!("after a denied {}", op.name()))?;
    expect_id(&e, "domain", id)?;
    e.expect("same_exec", "1")?;
    e.expect("logged", "1")?;
    e.expect("blockers", "change_topology")?;
    e.expect("dev", &dev)?;
    e.expect("ino", &ino.to_string())?;
    e.expect("path", &op.path(&target)?)
}

pub fn tests() -> Vec<Test> {
    let ops = [
        Op::UmountTmpfs,
        Op::RemountTmpfs,
        Op::UmountBindOfSubdir,
        Op::UmountBindTooDeep,
    ];
    let name = |op: Op, handles_fs: bool| {
        format!(
            "deny_access_fs::change_topology::{}::{}",
            op.name(),
            if handles_fs {
                "fs_domain_event"
            } else {
                "fs_free_domain_no_event"
            }
        )
    };
    let mut v = Vec::new();
    for op in ops {
        for handles_fs in [true, false] {
            let mut t = case(&name(op, handles_fs), DENY_FS, move || run(op, handles_fs))
                .requires(Requirement::Root)
                .enforcement()
                .twin(format!("trace::{}", name(op, !handles_fs)));
            if !handles_fs {
                t = t.needs("LANDLOCK_SCOPE_SIGNAL");
            }
            v.push(t);
        }
    }
    v
}
