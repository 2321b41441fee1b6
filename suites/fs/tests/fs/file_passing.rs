//! `fs::file_passing::<right>::<route>::<case>`: how a file reaches the
//! process that uses it.
//!
//! TRUNCATE (ftruncate) and IOCTL_DEV (FIONREAD on /dev/null) are fixed in
//! the file when it is opened, by the opener's domain (hook_file_open);
//! WRITE_FILE is checked when it is opened and never at write(2). So a use
//! of the fd follows the opener's domain wherever the fd goes: a forked
//! child, a child that adds a layer, a process in a sibling domain, in an
//! older domain or in none (SCM_RIGHTS), a dup. A new open, including one
//! through /proc/self/fd/N, is checked again against the domain of the
//! process that makes it; so is truncate(2) on the path.
//!
//! Every route is a pair one rule apart: the opener (or reopener) with the
//! rule, whose fd works, and without it, whose fd (or open) is denied.
//! Where a route's user is in a domain of its own, it also checks what
//! that domain allows for a fresh use, so that the verdict on the passed fd
//! cannot come from the user's domain.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::{Peer, TempTree};
use llconf_harness::twin::pair;
use llconf_harness::{expect_result, fail, Errno, Ruleset, Stop, Test, TestResult};
use nix::sys::socket::{
    recvmsg, sendmsg, socketpair, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags,
    SockFlag, SockType,
};
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

const DENIED: Option<Errno> = Some(Errno::EACCES);

/// What a step under test gave: success or the errno.
type Outcome = Result<(), Errno>;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Right {
    Truncate,
    IoctlDev,
    WriteFile,
}

impl Right {
    fn name(self) -> &'static str {
        match self {
            Right::Truncate => "truncate",
            Right::IoctlDev => "ioctl_dev",
            Right::WriteFile => "write_file",
        }
    }
    fn bit(self) -> u64 {
        match self {
            Right::Truncate => fs::TRUNCATE,
            Right::IoctlDev => fs::IOCTL_DEV,
            Right::WriteFile => fs::WRITE_FILE,
        }
    }
    fn target(self, t: &TempTree) -> PathBuf {
        match self {
            Right::IoctlDev => "/dev/null".into(),
            _ => t.path("d/f"),
        }
    }
    /// Where the rule that grants the right goes: the file's directory, or
    /// the device file itself.
    fn rule_at(self, t: &TempTree) -> PathBuf {
        match self {
            Right::IoctlDev => "/dev/null".into(),
            _ => t.path("d"),
        }
    }
    fn flags(self) -> i32 {
        match self {
            Right::IoctlDev => libc::O_RDONLY,
            _ => libc::O_WRONLY,
        }
    }
    /// WRITE_FILE is denied by the open itself; the others by the use.
    fn denied_at_open(self) -> bool {
        self == Right::WriteFile
    }
    /// The use of an opened fd: ftruncate, FIONREAD, write.
    fn use_fd(self, fd: RawFd) -> Outcome {
        match self {
            Right::Truncate => ftruncate(fd, 0),
            // The null driver has no ioctl handler: ENOTTY means the call
            // got past Landlock.
            Right::IoctlDev => {
                let mut n = 0;
                match ioctl_int(fd, libc::FIONREAD, &mut n) {
                    Err(Errno::ENOTTY) => Ok(()),
                    Ok(_) => Err(Errno::UnknownErrno),
                    Err(e) => Err(e),
                }
            }
            Right::WriteFile => {
                // SAFETY: one byte from a static buffer.
                let n = unsafe { libc::write(fd, b"x".as_ptr().cast(), 1) };
                Errno::result(n).map(drop)
            }
        }
    }
    /// What the caller's own domain allows now: truncate(2) on the path,
    /// or a new open (and FIONREAD on it).
    fn fresh(self, t: &TempTree) -> Outcome {
        match self {
            Right::Truncate => truncate(&self.target(t), 0),
            Right::IoctlDev => {
                let fd = open(&self.target(t), self.flags())?;
                self.use_fd(fd.as_raw_fd())
            }
            Right::WriteFile => try_open(&self.target(t), self.flags()),
        }
    }
}

fn tree() -> Result<TempTree, Stop> {
    TempTree::with(&["d/f", "other/"])
}

/// A layer handling the right, with its rule or none.
fn layer(r: Right, t: &TempTree, rule: bool) -> TestResult {
    let rs = Ruleset::fs(r.bit())?;
    if rule {
        rs.allow_path(&r.rule_at(t), r.bit())?;
    }
    rs.enforce()
}

/// The opener's open: its errno is the outcome where the right is checked
/// at open, and a setup failure otherwise (only the use may be denied).
fn open_as_opener(r: Right, t: &TempTree) -> Result<Result<OwnedFd, Errno>, Stop> {
    match open(&r.target(t), r.flags()) {
        Ok(fd) => Ok(Ok(fd)),
        Err(e) if r.denied_at_open() => Ok(Err(e)),
        Err(e) => Err(fail(format!(
            "setup: open {} {:#x}: {e}",
            r.target(t).display(),
            r.flags()
        ))),
    }
}

fn reopen(r: Right, fd: RawFd) -> Result<Result<OwnedFd, Errno>, Stop> {
    let p = PathBuf::from(format!("/proc/self/fd/{fd}"));
    match open(&p, r.flags()) {
        Ok(fd) => Ok(Ok(fd)),
        Err(e) if r.denied_at_open() => Ok(Err(e)),
        Err(e) => Err(fail(format!("setup: reopen {}: {e}", p.display()))),
    }
}

/// Asserts what the caller's own domain allows now.
fn fresh_is(r: Right, t: &TempTree, expect: Option<Errno>) -> TestResult {
    expect_result(
        format!("{} by a fresh use in this process", r.name()),
        r.fresh(t),
        expect,
    )
}

const CHILD_SETUP: i32 = 250;

/// Forks a child that reports the outcome of its step through its exit
/// code; a failed setup or check is printed on its stderr.
fn child(body: impl FnOnce() -> Result<Outcome, Stop>) -> Result<Peer, Stop> {
    Peer::spawn(|_ready| match body() {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => (e as i32).clamp(1, 199),
        Err(stop) => {
            eprintln!("child process {}: {stop:?}", std::process::id());
            CHILD_SETUP
        }
    })
}

fn joined(p: Peer) -> Result<Outcome, Stop> {
    match p.join() {
        0 => Ok(Ok(())),
        c @ 1..=199 => Ok(Err(Errno::from_raw(c))),
        c => Err(fail(format!(
            "a child process failed a setup step or check (exit {c}; its stderr says which)"
        ))),
    }
}

fn pair_of_sockets() -> Result<(OwnedFd, OwnedFd), Stop> {
    setup(
        "socketpair(AF_UNIX)",
        socketpair(
            AddressFamily::Unix,
            SockType::Stream,
            None,
            SockFlag::SOCK_CLOEXEC,
        ),
    )
}

fn send_fd(sock: &OwnedFd, fd: RawFd) -> Result<(), Errno> {
    let iov = [IoSlice::new(b"f")];
    let fds = [fd];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None).map(drop)
}

/// The fd sent on `sock`, or `None` when the sender closed without one.
fn recv_fd(sock: &OwnedFd) -> Result<Option<OwnedFd>, Stop> {
    let mut buf = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = setup(
        "recvmsg(SCM_RIGHTS)",
        recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ),
    )?;
    for c in setup("read the control messages", msg.cmsgs())? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            if let Some(&fd) = fds.first() {
                // SAFETY: the kernel installed this fd for us.
                return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }));
            }
        }
    }
    Ok(None)
}

/// A child that opens as the opener (after `before`, which sets up its
/// domain) and sends the fd on `sock`; when the open is denied it sends
/// nothing and reports the errno.
fn sending_child(
    r: Right,
    t: &TempTree,
    sock: OwnedFd,
    before: impl FnOnce() -> Result<Option<OwnedFd>, Stop>,
) -> Result<Peer, Stop> {
    child(move || {
        let early = before()?;
        let fd = match early {
            Some(fd) => fd,
            None => match open_as_opener(r, t)? {
                Ok(fd) => fd,
                Err(e) => return Ok(Err(e)),
            },
        };
        setup("send the fd", send_fd(&sock, fd.as_raw_fd()))?;
        Ok(Ok(()))
    })
}

/// Receives from a [`sending_child`] and uses the fd: the outcome, or the
/// child's errno when its open was denied.
fn receive_and_use(r: Right, sock: &OwnedFd, sender: Peer) -> Result<Outcome, Stop> {
    let fd = recv_fd(sock)?;
    let sent = joined(sender)?;
    match (fd, sent) {
        (Some(fd), Ok(())) => Ok(r.use_fd(fd.as_raw_fd())),
        (None, Err(e)) => Ok(Err(e)),
        (fd, sent) => Err(fail(format!(
            "the sender reported {sent:?} but {} an fd",
            if fd.is_some() { "sent" } else { "did not send" }
        ))),
    }
}

fn verdict(r: Right, what: &str, with: bool, o: Outcome) -> TestResult {
    expect_result(
        format!("{} on an fd {what}", r.name()),
        o,
        (!with).then_some(Errno::EACCES),
    )
}

/// The opener's fd, used by a forked child.
fn forked_child(r: Right, with: bool) -> TestResult {
    let t = tree()?;
    layer(r, &t, with)?;
    let fd = match open_as_opener(r, &t)? {
        Ok(fd) => fd,
        Err(e) => return verdict(r, "opened by the parent", with, Err(e)),
    };
    let p = child(|| Ok(r.use_fd(fd.as_raw_fd())))?;
    verdict(r, "inherited by a forked child", with, joined(p)?)
}

/// The child adds a layer without the rule, which denies its own fresh
/// use, and uses the inherited fd: the parent's open decides.
fn child_adds_layer(r: Right, with: bool) -> TestResult {
    let t = tree()?;
    layer(r, &t, with)?;
    let fd = match open_as_opener(r, &t)? {
        Ok(fd) => fd,
        Err(e) => return verdict(r, "opened by the parent", with, Err(e)),
    };
    let p = child(|| {
        layer(r, &t, false)?;
        fresh_is(r, &t, DENIED)?;
        Ok(r.use_fd(fd.as_raw_fd()))
    })?;
    verdict(
        r,
        "inherited by a child that added a layer",
        with,
        joined(p)?,
    )
}

/// Two sibling domains: the opener's and the receiver's, which grants
/// what the opener's does not, or the other way round.
fn scm_rights_to_sibling(r: Right, with: bool) -> TestResult {
    let t = tree()?;
    let (a, b) = pair_of_sockets()?;
    // The sender first: the receiver then holds no copy of its end, and
    // sees the end of the stream if the sender dies before it sends.
    let sender = sending_child(r, &t, a, || {
        layer(r, &t, with)?;
        Ok(None)
    })?;
    let receiver = child(|| {
        layer(r, &t, !with)?;
        fresh_is(r, &t, with.then_some(Errno::EACCES))?;
        match recv_fd(&b)? {
            Some(fd) => Ok(r.use_fd(fd.as_raw_fd())),
            None => Err(fail("the sibling sent no fd")),
        }
    })?;
    drop(b);
    expect_result("the sibling that opens and sends", joined(sender)?, None)?;
    verdict(r, "received from a sibling domain", with, joined(receiver)?)
}

/// The receiver's domain is the opener's parent domain, which has the
/// rule; the opener's own layer decides.
fn scm_rights_to_older_domain(r: Right, with: bool) -> TestResult {
    let t = tree()?;
    layer(r, &t, true)?;
    let (a, b) = pair_of_sockets()?;
    let sender = sending_child(r, &t, a, || {
        layer(r, &t, with)?;
        Ok(None)
    })?;
    fresh_is(r, &t, None)?;
    let o = receive_and_use(r, &b, sender)?;
    verdict(r, "received from a nested domain", with, o)
}

fn scm_rights_to_no_domain(r: Right, with: bool) -> TestResult {
    let t = tree()?;
    let (a, b) = pair_of_sockets()?;
    let sender = sending_child(r, &t, a, || {
        layer(r, &t, with)?;
        Ok(None)
    })?;
    let o = receive_and_use(r, &b, sender)?;
    verdict(r, "received by a process in no domain", with, o)
}

/// A dup shares the open file, and its open-time rights, even after the
/// process adds a layer without the rule.
fn dup(r: Right, with: bool) -> TestResult {
    let t = tree()?;
    layer(r, &t, with)?;
    let fd = match open_as_opener(r, &t)? {
        Ok(fd) => fd,
        Err(e) => return verdict(r, "opened in the domain", with, Err(e)),
    };
    let copy = setup("dup", fd.try_clone().map_err(errno_of))?;
    drop(fd);
    layer(r, &t, false)?;
    fresh_is(r, &t, DENIED)?;
    verdict(
        r,
        "dup'ed, then a layer added",
        with,
        r.use_fd(copy.as_raw_fd()),
    )
}

/// An fd opened before the domain keeps its rights; reopening it through
/// /proc/self/fd/N in the domain is a new open, checked against the rule.
fn proc_reopen_in_domain(r: Right, with: bool) -> TestResult {
    let t = tree()?;
    let early = setup("open before the domain", open(&r.target(&t), r.flags()))?;
    layer(r, &t, with)?;
    let again = reopen(r, early.as_raw_fd())?;
    expect_result(
        format!("{} on the fd opened before the domain", r.name()),
        r.use_fd(early.as_raw_fd()),
        None,
    )?;
    let o = again.and_then(|fd| r.use_fd(fd.as_raw_fd()));
    verdict(r, "reopened through /proc/self/fd in the domain", with, o)
}

/// An fd opened without the right, received by a process in no domain:
/// reopening it there gives a file with every right, unless the receiver
/// enforces a layer of its own first.
fn proc_reopen_received(r: Right, with: bool) -> TestResult {
    let t = tree()?;
    let (a, b) = pair_of_sockets()?;
    let sender = sending_child(r, &t, a, || {
        layer(r, &t, false)?;
        Ok(None)
    })?;
    let fd = recv_fd(&b)?.ok_or_else(|| fail("the opener sent no fd"))?;
    expect_result("the opener", joined(sender)?, None)?;
    expect_result(
        format!("{} on the received fd", r.name()),
        r.use_fd(fd.as_raw_fd()),
        DENIED,
    )?;
    if !with {
        layer(r, &t, false)?;
    }
    let o = reopen(r, fd.as_raw_fd())?.and_then(|fd| r.use_fd(fd.as_raw_fd()));
    let what = if with {
        "reopened through /proc/self/fd outside any domain"
    } else {
        "reopened through /proc/self/fd after the receiver's own layer"
    };
    verdict(r, what, with, o)
}

/// The opener opens once before it enforces its domain and once after,
/// and sends one of the two to a process in no domain.
fn opener_domain_changes(r: Right, before: bool) -> TestResult {
    let t = tree()?;
    let (a, b) = pair_of_sockets()?;
    let sender = sending_child(r, &t, a, || {
        let early = setup("open before the domain", open(&r.target(&t), r.flags()))?;
        layer(r, &t, false)?;
        Ok(before.then_some(early))
    })?;
    let o = receive_and_use(r, &b, sender)?;
    let what = if before {
        "opened before the opener's domain"
    } else {
        "opened after the opener's domain"
    };
    verdict(r, what, before, o)
}

type Route = fn(Right, bool) -> TestResult;

/// Each route: its name, the names of its two cases, the body, and whether
/// it applies to a right denied at open (whose denied opener has no fd).
#[rustfmt::skip]
const ROUTES: &[(&str, &str, &str, Route, bool)] = &[
    ("forked_child", "opened_with_right_allowed", "opened_without_right_denied", forked_child, true),
    ("child_adds_layer", "opened_with_right_allowed", "opened_without_right_denied", child_adds_layer, true),
    ("scm_rights_to_sibling_domain", "opened_with_right_allowed", "opened_without_right_denied", scm_rights_to_sibling, false),
    ("scm_rights_to_older_domain", "opened_with_right_allowed", "opened_without_right_denied", scm_rights_to_older_domain, true),
    ("scm_rights_to_no_domain", "opened_with_right_allowed", "opened_without_right_denied", scm_rights_to_no_domain, true),
    ("dup", "opened_with_right_allowed", "opened_without_right_denied", dup, true),
    ("proc_reopen_in_domain", "rule_allowed", "no_rule_denied", proc_reopen_in_domain, true),
    ("proc_reopen_received", "outside_any_domain_allowed", "after_own_layer_denied", proc_reopen_received, false),
    ("opener_domain_changes", "opened_before_allowed", "opened_after_denied", opener_domain_changes, true),
];

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    for r in [Right::Truncate, Right::IoctlDev, Right::WriteFile] {
        let needs = flag(r.bit()).name;
        for &(route, yes, no, body, at_open_too) in ROUTES {
            if r.denied_at_open() && !at_open_too {
                continue;
            }
            let t = |case: &str, with: bool| {
                Test::new(
                    format!("fs::file_passing::{}::{route}::{case}", r.name()),
                    move || body(r, with),
                )
                .needs(needs)
                .enforcement()
            };
            v.extend(pair(t(yes, true), t(no, false)));
        }
    }
    v
}
