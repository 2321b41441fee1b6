//! Thin wrappers over the three Landlock syscalls.
//!
//! Every wrapper takes the arguments the kernel takes, unchecked, so that
//! tests can send deliberately bad sizes, flags and pointers. Successful
//! `landlock_restrict_self` calls are counted, which lets the runner tell
//! argument checks from tests that really enforced a domain.

use nix::errno::Errno;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};

pub const SYS_CREATE_RULESET: libc::c_long = 444;
pub const SYS_ADD_RULE: libc::c_long = 445;
pub const SYS_RESTRICT_SELF: libc::c_long = 446;

/// `struct landlock_ruleset_attr` in its newest known shape. Older kernels
/// read a prefix of it; pass [`crate::abi::ruleset_attr_size`] as the size.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RulesetAttr {
    pub handled_access_fs: u64,
    pub handled_access_net: u64,
    pub scoped: u64,
    pub quiet_access_fs: u64,
    pub quiet_access_net: u64,
    pub quiet_scoped: u64,
}

/// `struct landlock_path_beneath_attr`, packed to 12 bytes as in the UAPI.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub struct PathBeneathAttr {
    pub allowed_access: u64,
    pub parent_fd: i32,
}

/// `struct landlock_net_port_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct NetPortAttr {
    pub allowed_access: u64,
    pub port: u64,
}

fn check(ret: libc::c_long) -> Result<libc::c_long, Errno> {
    if ret < 0 {
        Err(Errno::last())
    } else {
        Ok(ret)
    }
}

/// `landlock_create_ruleset(attr, size, flags)` with raw arguments. Returns
/// the raw return value: an fd, or the version / errata for query flags.
///
/// # Safety
/// `attr` must be null or point to at least `size` readable bytes, unless the
/// test wants the kernel to fault (EFAULT) on a bad pointer.
pub unsafe fn create_ruleset_raw(
    attr: *const libc::c_void,
    size: usize,
    flags: u32,
) -> Result<libc::c_long, Errno> {
    check(libc::syscall(SYS_CREATE_RULESET, attr, size, flags))
}

/// Creates a ruleset from the first `size` bytes of `bytes` (which may be
/// longer than any struct the kernel knows, to test E2BIG).
pub fn create_ruleset_bytes(bytes: &[u8], size: usize, flags: u32) -> Result<OwnedFd, Errno> {
    assert!(size <= bytes.len(), "size past the buffer");
    // SAFETY: size bytes are readable.
    let fd = unsafe { create_ruleset_raw(bytes.as_ptr().cast(), size, flags)? };
    // SAFETY: the kernel returned a new fd that we now own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Creates a ruleset from `attr`, passing `size` as the struct size.
pub fn create_ruleset(attr: &RulesetAttr, size: usize, flags: u32) -> Result<OwnedFd, Errno> {
    create_ruleset_bytes(attr.as_bytes(), size, flags)
}

impl RulesetAttr {
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: repr(C) struct of u64s has no padding.
        unsafe {
            std::slice::from_raw_parts((self as *const Self).cast(), std::mem::size_of::<Self>())
        }
    }
}

/// `landlock_create_ruleset(NULL, 0, VERSION)`.
pub fn abi_version() -> Result<u32, Errno> {
    // SAFETY: a null attr with size 0 is the documented query form.
    unsafe { create_ruleset_raw(std::ptr::null(), 0, crate::abi::CREATE_RULESET_VERSION) }
        .map(|v| v as u32)
}

/// `landlock_create_ruleset(NULL, 0, ERRATA)`.
pub fn errata() -> Result<u64, Errno> {
    // SAFETY: as for abi_version.
    unsafe { create_ruleset_raw(std::ptr::null(), 0, crate::abi::CREATE_RULESET_ERRATA) }
        .map(|v| v as u64)
}

/// `landlock_add_rule(ruleset_fd, rule_type, attr, flags)` with raw arguments.
///
/// # Safety
/// `attr` must be null or point to a readable rule attribute for the type,
/// unless the test wants EFAULT.
pub unsafe fn add_rule_raw(
    ruleset_fd: RawFd,
    rule_type: u32,
    attr: *const libc::c_void,
    flags: u32,
) -> Result<(), Errno> {
    check(libc::syscall(
        SYS_ADD_RULE,
        ruleset_fd,
        rule_type,
        attr,
        flags,
    ))
    .map(|_| ())
}

pub fn add_path_beneath(
    ruleset_fd: RawFd,
    allowed_access: u64,
    parent_fd: RawFd,
    flags: u32,
) -> Result<(), Errno> {
    let attr = PathBeneathAttr {
        allowed_access,
        parent_fd,
    };
    // SAFETY: attr lives across the call.
    unsafe {
        add_rule_raw(
            ruleset_fd,
            crate::abi::RULE_PATH_BENEATH,
            (&attr as *const PathBeneathAttr).cast(),
            flags,
        )
    }
}

pub fn add_net_port(
    ruleset_fd: RawFd,
    allowed_access: u64,
    port: u64,
    flags: u32,
) -> Result<(), Errno> {
    let attr = NetPortAttr {
        allowed_access,
        port,
    };
    // SAFETY: attr lives across the call.
    unsafe {
        add_rule_raw(
            ruleset_fd,
            crate::abi::RULE_NET_PORT,
            (&attr as *const NetPortAttr).cast(),
            flags,
        )
    }
}

static RESTRICT_SELF_CALLS: AtomicU32 = AtomicU32::new(0);

/// `landlock_restrict_self(ruleset_fd, flags)`.
pub fn restrict_self(ruleset_fd: RawFd, flags: u32) -> Result<(), Errno> {
    // SAFETY: plain integer arguments.
    let r = check(unsafe { libc::syscall(SYS_RESTRICT_SELF, ruleset_fd, flags) });
    if r.is_ok() {
        RESTRICT_SELF_CALLS.fetch_add(1, Ordering::SeqCst);
    }
    r.map(|_| ())
}

/// Starts the count again, in a test process forked from the runner.
pub fn reset_restrict_self_calls() {
    RESTRICT_SELF_CALLS.store(0, Ordering::SeqCst);
}

/// Successful restrict_self calls made by this process so far.
pub fn restrict_self_calls() -> u32 {
    RESTRICT_SELF_CALLS.load(Ordering::SeqCst)
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`, which restrict_self needs without
/// CAP_SYS_ADMIN.
pub fn set_no_new_privs() -> Result<(), Errno> {
    // SAFETY: plain integer arguments.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    Errno::result(r).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_structs_have_uapi_sizes() {
        assert_eq!(std::mem::size_of::<PathBeneathAttr>(), 12);
        assert_eq!(std::mem::size_of::<NetPortAttr>(), 16);
        assert_eq!(std::mem::size_of::<RulesetAttr>(), 48);
    }
}
