//! `base::add_rule::parent_fd`: what a path_beneath rule may name. Since
//! ABI 1 landlock_add_rule refuses, with EBADFD, a parent_fd that is a
//! ruleset, or that lives on an internal mount (nsfs behind
//! /proc/PID/ns) or on a pseudo filesystem no one can mount (pipefs,
//! sockfs, anon_inodefs, the kernel's own shmem of memfd_create): no path
//! walk ever reaches them, so a rule there would be a lie. Each kind is
//! one of the four checks of that test, alone: nsfs is refused only for
//! its internal mount (it is not SB_NOUSER), a ruleset for its file
//! operations first.
//!
//! The right asked is EXECUTE, a file right: on a kernel that let the
//! object through, the rule would be taken.

use crate::add_rule;
use llconf_harness::abi as uapi;
use llconf_harness::{expect_errno, expect_ok, sys, Errno, OrFail, Requirement};
use llconf_harness::{Stop, Test};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// An object a rule may not name.
#[derive(Clone, Copy)]
enum Kind {
    Ruleset,
    Nsfs,
    Pipe,
    Socket,
    Eventfd,
    Memfd,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Ruleset,
        Kind::Nsfs,
        Kind::Pipe,
        Kind::Socket,
        Kind::Eventfd,
        Kind::Memfd,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Ruleset => "ruleset",
            Kind::Nsfs => "nsfs",
            Kind::Pipe => "pipe",
            Kind::Socket => "socket",
            Kind::Eventfd => "eventfd",
            Kind::Memfd => "memfd",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Ruleset => "another ruleset fd",
            Kind::Nsfs => "O_PATH of /proc/self/ns/mnt (nsfs)",
            Kind::Pipe => "a pipe's read end (pipefs)",
            Kind::Socket => "a UNIX stream socket (sockfs)",
            Kind::Eventfd => "an eventfd (anon_inodefs)",
            Kind::Memfd => "a memfd (the kernel's internal shmem)",
        }
    }

    fn open(self) -> Result<OwnedFd, Stop> {
        let raw = match self {
            Kind::Ruleset => return ruleset(),
            Kind::Nsfs => return open_path("/proc/self/ns/mnt"),
            Kind::Pipe => {
                let (r, _w) = nix::unistd::pipe().or_fail("pipe")?;
                return Ok(r);
            }
            // SAFETY: plain syscalls; each result is checked below.
            Kind::Socket => unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) },
            Kind::Eventfd => unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) },
            Kind::Memfd => unsafe { libc::memfd_create(c"llconf".as_ptr(), libc::MFD_CLOEXEC) },
        };
        let raw = Errno::result(raw).or_fail(self.what())?;
        // SAFETY: a descriptor just returned to us, owned by nothing else.
        Ok(unsafe { OwnedFd::from_raw_fd(raw) })
    }
}

fn ruleset() -> Result<OwnedFd, Stop> {
    add_rule::ruleset(uapi::fs::EXECUTE, 0)
}

fn open_path(p: &str) -> Result<OwnedFd, Stop> {
    Ok(add_rule::open_path(std::path::Path::new(p))?.into())
}

const ACCEPTED: &str = "base::add_rule::parent_fd::procfs_dir_accepted";

pub fn tests() -> Vec<Test> {
    let mut v: Vec<Test> = Kind::ALL
        .into_iter()
        .map(|k| {
            Test::new(
                format!("base::add_rule::parent_fd::{}_ebadfd", k.name()),
                move || {
                    let rs = ruleset()?;
                    let parent = k.open()?;
                    expect_errno(
                        format!("add_rule(PATH_BENEATH, EXECUTE, parent_fd = {})", k.what()),
                        sys::add_path_beneath(
                            rs.as_raw_fd(),
                            uapi::fs::EXECUTE,
                            parent.as_raw_fd(),
                            0,
                        ),
                        Errno::EBADFD,
                    )
                },
            )
            .requires(Requirement::Landlock)
            .twin(ACCEPTED)
        })
        .collect();
    // One path component from nsfs: /proc/self/ns itself is a procfs
    // directory on a mount user space made, and takes a rule.
    v.push(
        Test::new(ACCEPTED, || {
            let rs = ruleset()?;
            let parent = open_path("/proc/self/ns")?;
            expect_ok(
                "add_rule(PATH_BENEATH, EXECUTE, parent_fd = O_PATH of /proc/self/ns)",
                sys::add_path_beneath(rs.as_raw_fd(), uapi::fs::EXECUTE, parent.as_raw_fd(), 0),
            )
        })
        .requires(Requirement::Landlock)
        .twin("base::add_rule::parent_fd::nsfs_ebadfd"),
    );
    v
}
