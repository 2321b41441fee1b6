//! `fs::rule_object::storage_released::*`: a rule holds the inode it was
//! added for (the Landlock object takes a reference on it), and must let
//! go once nothing refers to the rule any more: when its ruleset is closed,
//! or when the last process of a domain made from it is gone. Until then
//! an unlinked file lives on; after, its storage must come back.
//!
//! Seen through a tmpfs's free blocks: the pages of an unlinked file go
//! back to its tmpfs only when its inode goes. Each case first sees the
//! pages still held while the rule lives, which shows that the count can
//! tell, then waits for them to come back (the kernel frees a domain
//! later, from a workqueue; see `llconf_harness::deferred`).
//!
//! llconf and the selftests missed every reference a bug kept: add_rule's
//! own (fs.c:374), the rule a new layer replaces in a domain
//! (ruleset.c:263), the rules of a freed ruleset or domain (ruleset.c:161,
//! 332, 345; domain.c:72), and the
//! sibling threads TSYNC held on to (tsync.c:329, 332), whose credentials
//! keep the domain. Without kmemleak, only what the leak holds shows it.

use crate::common::*;
use llconf_harness::abi::{fs, restrict};
use llconf_harness::deferred::{kernel_deadline, within_deadline};
use llconf_harness::fixture::TempTree;
use llconf_harness::{fail, sys, Errno, OrFail, Requirement, Ruleset, Stop, Test, TestResult};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, pipe, read, write, ForkResult, Pid};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

/// The file's size in pages of 4 KiB: enough to stand out of any other
/// use of the tmpfs.
const PAGES: usize = 64;

/// A tmpfs on m/ in a private mount namespace, holding m/f, and the
/// tmpfs's free blocks before m/f was written.
struct Tmpfs {
    t: TempTree,
    f: PathBuf,
    empty: u64,
}

impl Tmpfs {
    fn new() -> Result<Tmpfs, Stop> {
        let t = TempTree::with(&["m/"])?;
        llconf_harness::fixture::enter_private_mount_ns()?;
        setup("mount tmpfs on m", mount_tmpfs(&t.path("m")))?;
        let mut tmpfs = Tmpfs {
            f: t.path("m/f"),
            t,
            empty: 0,
        };
        tmpfs.empty = tmpfs.free()?;
        std::fs::write(&tmpfs.f, vec![1u8; PAGES * 4096]).or_fail("setup: write m/f")?;
        Ok(tmpfs)
    }

    fn free(&self) -> Result<u64, Stop> {
        let m = self.t.path("m");
        let st = nix::sys::statvfs::statvfs(&m).or_fail(format!("statvfs {}", m.display()))?;
        Ok(st.blocks_free())
    }

    fn unlink(&self) -> TestResult {
        std::fs::remove_file(&self.f).or_fail("setup: unlink m/f")
    }

    /// The unlinked m/f still takes its pages, while `holder` lives.
    fn held(&self, holder: &str) -> TestResult {
        let free = self.free()?;
        if free >= self.empty {
            return Err(fail(format!(
                "unlinked m/f's pages were back ({free} blocks free, {} before m/f) while {holder} \
                 still held a rule on it: the rule does not hold its inode, or the count cannot \
                 tell",
                self.empty
            )));
        }
        Ok(())
    }

    /// Every page of the unlinked m/f comes back, once `gone` (in time:
    /// see `kernel_deadline`).
    fn released(&self, gone: &str) -> TestResult {
        let mut last = 0;
        let back = within_deadline(|| {
            last = self.free()?;
            Ok::<_, Stop>((last == self.empty).then_some(()))
        })?;
        if back.is_none() {
            return Err(fail(format!(
                "unlinked m/f still held {} of its blocks {:?} after {gone} ({last} free, {} \
                 before m/f): a reference to its inode was never put",
                self.empty.saturating_sub(last),
                kernel_deadline(),
                self.empty
            )));
        }
        Ok(())
    }
}

/// A rule on m/f, m/f unlinked; held while the ruleset is open, released
/// when it is closed.
fn ruleset_closed() -> TestResult {
    let tmpfs = Tmpfs::new()?;
    let rs = Ruleset::fs(fs::READ_FILE)?;
    rs.allow_path(&tmpfs.f, fs::READ_FILE)?;
    tmpfs.unlink()?;
    tmpfs.held("the open ruleset")?;
    drop(rs);
    tmpfs.released("the ruleset was closed")
}

/// One byte, or the end of the pipe as an error.
fn read_byte(fd: &OwnedFd) -> Result<(), Errno> {
    let mut b = [0u8];
    match read(fd.as_raw_fd(), &mut b)? {
        1 => Ok(()),
        _ => Err(Errno::EPIPE),
    }
}

/// The child's side: the domain of `rs_fd` (with `flags`), `layers` times
/// over, its own copy of the ruleset fd closed, a byte on `ready`, and the exit once `go` says
/// so. With TSYNC a sibling thread takes the domain too and exits before
/// the process does. Exit codes: 0 done, 1 restrict_self failed, 2 a
/// pipe or thread failed.
fn child(rs_fd: RawFd, flags: u32, layers: usize, ready: &OwnedFd, go: &OwnedFd) -> i32 {
    let sibling = (flags & restrict::TSYNC != 0).then(|| {
        let (quit_r, quit_w) = pipe().expect("pipe");
        let t = std::thread::spawn(move || read_byte(&quit_r));
        (t, quit_w)
    });
    if sys::set_no_new_privs().is_err()
        || (0..layers).any(|_| sys::restrict_self(rs_fd, flags).is_err())
    {
        return 1;
    }
    // SAFETY: this process's copy of the ruleset fd, not used again.
    unsafe { libc::close(rs_fd) };
    if let Some((t, quit_w)) = sibling {
        if write(&quit_w, b"q").is_err() || !matches!(t.join(), Ok(Ok(()))) {
            return 2;
        }
    }
    if write(ready, b"r").is_err() || read_byte(go).is_err() {
        return 2;
    }
    0
}

fn wait_exit(pid: Pid) -> Result<Option<i32>, Stop> {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(Some(code)),
            Ok(WaitStatus::Signaled(..)) => return Ok(None),
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(e) => return Err(fail(format!("waitpid: {e}"))),
        }
    }
}

/// A child enforces a ruleset with a rule on m/f (with `flags`, `layers`
/// times: each layer after the first replaces the domain's rule on m/f
/// with one of more layers), the ruleset is closed and m/f unlinked: held
/// while the child lives, released once it exited.
fn domain_exited(flags: u32, layers: usize) -> TestResult {
    let tmpfs = Tmpfs::new()?;
    let rs = Ruleset::fs(fs::READ_FILE)?;
    rs.allow_path(&tmpfs.f, fs::READ_FILE)?;
    if flags & restrict::TSYNC != 0 && !llconf_harness::runner::only_thread() {
        // The child starts a thread: only a fork of one thread may.
        return Err(fail("setup: the test process has more than one thread"));
    }
    let (ready_r, ready_w) = setup("pipe", pipe())?;
    let (go_r, go_w) = setup("pipe", pipe())?;
    // SAFETY: this process has one thread (checked above where the child
    // starts one; otherwise it only makes system calls), so the child may
    // allocate and spawn as any process does.
    let pid = match unsafe { fork() }.or_fail("setup: fork")? {
        ForkResult::Child => {
            drop((ready_r, go_w));
            let code = child(rs.fd(), flags, layers, &ready_w, &go_r);
            // SAFETY: leave without the parent's destructors.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => child,
    };
    drop((ready_w, go_r));
    let ready = read_byte(&ready_r);
    drop(rs);
    if ready.is_err() {
        return Err(fail(format!(
            "the child exited with {:?} before its domain was in place (1: restrict_self \
             failed, 2: a pipe or thread did)",
            wait_exit(pid)?
        )));
    }
    tmpfs.unlink()?;
    let held = tmpfs.held("the child's domain");
    let _ = write(&go_w, b"g");
    let code = wait_exit(pid)?;
    held?;
    if code != Some(0) {
        return Err(fail(format!("the child exited with {code:?}, not 0")));
    }
    tmpfs.released("the child exited")
}

pub fn tests() -> Vec<Test> {
    let reason = "a resource check, twinned within: each case sees the file held while the rule \
                  lives, then released";
    let name = |s: &str| format!("fs::rule_object::storage_released::{s}");
    vec![
        Test::new(name("ruleset_closed"), ruleset_closed)
            .requires(Requirement::Root)
            .requires(Requirement::Landlock)
            .untwinned(reason),
        Test::new(name("domain_exited"), || domain_exited(0, 1))
            .requires(Requirement::Root)
            .enforcement()
            .untwinned(reason),
        Test::new(name("domain_of_two_layers_exited"), || domain_exited(0, 2))
            .requires(Requirement::Root)
            .enforcement()
            .untwinned(reason),
        Test::new(name("tsync_domain_exited"), || {
            domain_exited(restrict::TSYNC, 1)
        })
        .requires(Requirement::Root)
        .needs("LANDLOCK_RESTRICT_SELF_TSYNC")
        .enforcement()
        .untwinned(reason),
    ]
}
