//! What the running kernel offers, found by probing rather than by version.
//!
//! A right is supported when a ruleset that handles it can be created; the
//! kernel answers EINVAL for an unknown bit, and E2BIG for a field past the
//! struct it knows.

use crate::abi::{self, Flag};
use crate::forked;
use crate::sys::{self, RulesetAttr};
use llconf_record::{KernelInfo, LandlockStatus};
use nix::errno::Errno;
use std::sync::OnceLock;

#[derive(Debug, Clone)]
pub struct Kernel {
    pub release: String,
    /// The upstream version, for the known-issues table only: features are
    /// probed, never inferred from it.
    pub version: Option<crate::known::Version>,
    pub status: LandlockStatus,
    /// 0 when Landlock is not enabled.
    pub abi: u32,
    /// The errata query's answer; `None` where it is an unknown flag. The
    /// query came with ABI 7 upstream, but stable kernels carry it back
    /// (Debian's 6.12, ABI 6, answers 0x7, and 6.1, ABI 2, answers 0x0).
    pub errata: Option<u64>,
}

impl Kernel {
    pub fn probe() -> Kernel {
        let uname = nix::sys::utsname::uname().ok();
        let field = |f: fn(&nix::sys::utsname::UtsName) -> &std::ffi::OsStr| {
            uname
                .as_ref()
                .map(|u| f(u).to_string_lossy().into_owned())
                .unwrap_or_else(|| "unknown".into())
        };
        let release = field(|u| u.release());
        let version = crate::known::running_version(&release, &field(|u| u.version()));
        let (status, abi) = match sys::abi_version() {
            Ok(v) => (LandlockStatus::Enabled, v),
            Err(Errno::EOPNOTSUPP) => (LandlockStatus::Disabled, 0),
            Err(Errno::ENOSYS) => (LandlockStatus::Missing, 0),
            Err(e) => panic!("unexpected answer to the Landlock version query: {e}"),
        };
        let errata = if status == LandlockStatus::Enabled {
            sys::errata().ok()
        } else {
            None
        };
        Kernel {
            release,
            version,
            status,
            abi,
            errata,
        }
    }

    pub fn info(&self) -> KernelInfo {
        KernelInfo {
            release: self.release.clone(),
            landlock: self.status,
            abi: (self.status == LandlockStatus::Enabled).then_some(self.abi),
            errata: self.errata,
        }
    }

    /// "ABI 6", or why there is none, for skip reasons.
    pub fn describe_abi(&self) -> String {
        match self.status {
            LandlockStatus::Enabled => format!("ABI {}", self.abi),
            LandlockStatus::Disabled => "Landlock disabled (EOPNOTSUPP)".into(),
            LandlockStatus::Missing => "no Landlock (ENOSYS)".into(),
        }
    }
}

static KERNEL: OnceLock<Kernel> = OnceLock::new();

/// The running kernel, probed once per process.
pub fn kernel() -> &'static Kernel {
    KERNEL.get_or_init(Kernel::probe)
}

fn creates(attr: RulesetAttr) -> Result<(), Errno> {
    // The full struct with zeroes past what an older kernel knows is accepted
    // everywhere, so one size serves every ABI.
    sys::create_ruleset(&attr, std::mem::size_of::<RulesetAttr>(), 0).map(drop)
}

pub fn fs_supported(bits: u64) -> bool {
    creates(RulesetAttr {
        handled_access_fs: bits,
        ..Default::default()
    })
    .is_ok()
}

pub fn net_supported(bits: u64) -> bool {
    creates(RulesetAttr {
        handled_access_net: bits,
        ..Default::default()
    })
    .is_ok()
}

pub fn scope_supported(bits: u64) -> bool {
    creates(RulesetAttr {
        scoped: bits,
        ..Default::default()
    })
    .is_ok()
}

/// A restrict_self flag is known when the kernel gets past its flag check and
/// complains about the (invalid) fd instead. Done in a child because a known
/// flag with fd -1 can change the caller's logging state.
pub fn restrict_flag_supported(flag: u32) -> bool {
    let code = forked::exit_code_of(|| {
        if sys::set_no_new_privs().is_err() {
            return 2;
        }
        match sys::restrict_self(-2, flag) {
            Err(Errno::EBADF) => 0,
            _ => 1,
        }
    });
    code == Some(0)
}

/// An add_rule flag is known when the kernel gets past its flag check and
/// complains about the (invalid) ruleset fd instead.
pub fn add_rule_flag_supported(flag: u32) -> bool {
    matches!(
        sys::add_path_beneath(-2, abi::fs::EXECUTE, -2, flag),
        Err(Errno::EBADF)
    )
}

/// Which table a flag lives in decides how it is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    AccessFs,
    AccessNet,
    Scope,
    RestrictSelf,
    AddRule,
}

pub fn flag_supported(kind: FlagKind, flag: Flag) -> bool {
    match kind {
        FlagKind::AccessFs => fs_supported(flag.bit),
        FlagKind::AccessNet => net_supported(flag.bit),
        FlagKind::Scope => scope_supported(flag.bit),
        FlagKind::RestrictSelf => restrict_flag_supported(flag.bit as u32),
        FlagKind::AddRule => add_rule_flag_supported(flag.bit as u32),
    }
}

/// How many Landlock layers the calling thread runs under, measured by how
/// many more a child can stack before E2BIG. `None` when a child could stack
/// more than the kernel's limit of 16, which means restrict_self did not
/// really enforce anything.
pub fn domain_depth() -> Option<u32> {
    const MAX_LAYERS: i32 = 16;
    let code = forked::exit_code_of(|| {
        if sys::set_no_new_privs().is_err() {
            return 200;
        }
        let attr = RulesetAttr {
            handled_access_fs: abi::fs::EXECUTE,
            ..Default::default()
        };
        for added in 0..=MAX_LAYERS {
            let fd = match sys::create_ruleset(&attr, 8, 0) {
                Ok(fd) => fd,
                Err(_) => return 201,
            };
            use std::os::fd::AsRawFd;
            match sys::restrict_self(fd.as_raw_fd(), 0) {
                Ok(()) => {}
                Err(Errno::E2BIG) => return added,
                Err(_) => return 202,
            }
        }
        255
    });
    match code {
        Some(added) if (0..=MAX_LAYERS).contains(&added) => Some((MAX_LAYERS - added) as u32),
        _ => None,
    }
}
