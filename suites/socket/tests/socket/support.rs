//! Probing for the proposal, and the steps positive cases share: build a
//! ruleset in the proposed shape, add socket rules, enforce.

use crate::proposed::{Shape, SocketAttr, RULE_SOCKET};
use llconf_harness::ruleset::verify_domain_in_effect;
use llconf_harness::{expect_ok, skip, sys, Errno, Stop, TestResult};
use std::os::fd::{AsRawFd, OwnedFd};

pub const UNSUPPORTED: &str = "socket creation control not supported by this kernel";

/// The shape the running kernel accepts, if any: a ruleset that handles
/// only socket creation, at the size the proposal needs, can be created.
pub fn supported_shape() -> Option<Shape> {
    Shape::ALL.into_iter().find(|shape| {
        let attr = shape.ruleset_attr(shape.create_bit());
        sys::create_ruleset_bytes(&attr, attr.len(), 0).is_ok()
    })
}

/// The supported shape, or the skip every positive case gives.
pub fn require_support() -> Result<Shape, Stop> {
    supported_shape().ok_or_else(|| skip(UNSUPPORTED))
}

/// A rule: `(family, type, protocol)`, with [`crate::proposed::WILDCARD`]
/// allowed for the last two.
pub type Triple = (i32, i32, i32);

pub fn add_socket_rule(
    ruleset: &OwnedFd,
    allowed: u64,
    (family, type_, protocol): Triple,
) -> Result<(), Errno> {
    let attr = SocketAttr {
        allowed_access: allowed,
        family,
        type_,
        protocol,
    };
    // SAFETY: attr lives across the call.
    unsafe {
        sys::add_rule_raw(
            ruleset.as_raw_fd(),
            RULE_SOCKET,
            (&attr as *const SocketAttr).cast(),
            0,
        )
    }
}

/// Creates a ruleset that handles socket creation, allows `allowed` and
/// enforces it as one more layer.
pub fn enforce_allowing(shape: Shape, allowed: &[Triple]) -> TestResult {
    let attr = shape.ruleset_attr(shape.create_bit());
    let ruleset = expect_ok(
        format!(
            "create_ruleset({} = {})",
            shape.field(),
            shape.create_name()
        ),
        sys::create_ruleset_bytes(&attr, attr.len(), 0),
    )?;
    for t in allowed {
        expect_ok(
            format!("add_rule(RULE_SOCKET, {t:?})"),
            add_socket_rule(&ruleset, shape.create_bit(), *t),
        )?;
    }
    expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    expect_ok(
        "landlock_restrict_self",
        sys::restrict_self(ruleset.as_raw_fd(), 0),
    )?;
    verify_domain_in_effect()
}

/// socket(2), closing the socket on success.
pub fn socket(family: i32, type_: i32, protocol: i32) -> Result<(), Errno> {
    open_socket(family, type_, protocol).map(drop)
}

pub fn open_socket(family: i32, type_: i32, protocol: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: plain integer arguments; the fd is owned on success.
    let fd = unsafe { libc::socket(family, type_ | libc::SOCK_CLOEXEC, protocol) };
    Errno::result(fd).map(|fd| unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
}

/// socketpair(2), closing both ends on success.
pub fn socketpair(family: i32, type_: i32) -> Result<(), Errno> {
    let mut fds = [-1; 2];
    // SAFETY: fds has room for the two descriptors.
    let r = unsafe { libc::socketpair(family, type_ | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) };
    Errno::result(r)?;
    for fd in fds {
        // SAFETY: both fds were just returned to us.
        unsafe { libc::close(fd) };
    }
    Ok(())
}

/// A readable name for messages.
pub fn describe(family: i32, type_: i32, protocol: i32) -> String {
    let family = match family {
        libc::AF_UNIX => "AF_UNIX".into(),
        libc::AF_INET => "AF_INET".into(),
        libc::AF_INET6 => "AF_INET6".into(),
        f => format!("family {f}"),
    };
    let type_ = match type_ {
        libc::SOCK_STREAM => "SOCK_STREAM".into(),
        libc::SOCK_DGRAM => "SOCK_DGRAM".into(),
        libc::SOCK_SEQPACKET => "SOCK_SEQPACKET".into(),
        t => format!("type {t}"),
    };
    format!("socket({family}, {type_}, {protocol})")
}
