//! What a test needs from the kernel and the process, and the skip reason
//! when it is missing.

use crate::abi::{self, Flag};
use crate::probe::{self, FlagKind, Kernel};
use llconf_record::LandlockStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// Landlock must be enabled (any ABI).
    Landlock,
    /// One access right, scope or flag, found by probing.
    Feature(FlagKind, Flag),
    /// An ABI version, for behaviour that has no probe of its own (for
    /// example the errata query).
    Abi { version: u32, what: &'static str },
    /// Behaviour that only kernels older than an ABI show (an unknown flag
    /// that a later ABI defines).
    AbiBelow { version: u32, what: &'static str },
    /// Effective root (CAP_SYS_ADMIN and friends).
    Root,
    /// Landlock audit records can be read: root, and ABI 7 or later. Whether
    /// auditd already owns the audit socket is only known at run time, so
    /// tests skip themselves for that.
    Audit,
    /// A Landlock trace event in tracefs (`landlock_deny_access_net`),
    /// read as root.
    TraceEvent(&'static str),
    /// The number of layers the suite starts under is declared
    /// ([`crate::ruleset::START_DEPTH_ENV`]; llconf's VMs declare 0), for
    /// tests that count layers up to the UAPI's limit of 16. Measuring it
    /// instead would read a kernel whose limit is wrong as a deeper start.
    StartDepth,
    /// The 32-bit x86 syscalls (`int $0x80`), for hooks only a compat
    /// syscall reaches; probed by [`crate::compat32`].
    Compat32,
}

/// Where the kernel's trace events are (the guest init mounts tracefs).
pub const TRACEFS: &str = "/sys/kernel/tracing";

impl Requirement {
    /// A right, scope or flag by its UAPI name, looked up in the tables.
    pub fn feature(name: &str) -> Requirement {
        let tables: [(FlagKind, &[Flag]); 5] = [
            (FlagKind::AccessFs, abi::ACCESS_FS),
            (FlagKind::AccessNet, abi::ACCESS_NET),
            (FlagKind::Scope, abi::SCOPE),
            (FlagKind::RestrictSelf, abi::RESTRICT_SELF_FLAGS),
            (FlagKind::AddRule, abi::ADD_RULE_FLAGS),
        ];
        for (kind, table) in tables {
            if let Some(f) = table.iter().find(|f| f.name == name) {
                return Requirement::Feature(kind, *f);
            }
        }
        panic!("unknown Landlock feature name {name}");
    }

    /// `None` when met, otherwise the reason to skip.
    pub fn unmet(&self, kernel: &Kernel) -> Option<String> {
        let enabled = kernel.status == LandlockStatus::Enabled;
        match self {
            Requirement::Landlock if !enabled => Some(format!(
                "needs Landlock; kernel {} has {}",
                kernel.release,
                kernel.describe_abi()
            )),
            Requirement::Landlock => None,
            Requirement::Feature(kind, flag) => {
                if enabled && probe::flag_supported(*kind, *flag) {
                    None
                } else {
                    Some(format!(
                        "needs {} (ABI {}); kernel has {}",
                        flag.name,
                        flag.abi,
                        kernel.describe_abi()
                    ))
                }
            }
            Requirement::Abi { version, what } => {
                if enabled && kernel.abi >= *version {
                    None
                } else {
                    Some(format!(
                        "needs {what} (ABI {version}); kernel has {}",
                        kernel.describe_abi()
                    ))
                }
            }
            Requirement::AbiBelow { version, what } => {
                if enabled && kernel.abi < *version {
                    None
                } else {
                    Some(format!(
                        "checks {what}, which only kernels before ABI {version} show; kernel has {}",
                        kernel.describe_abi()
                    ))
                }
            }
            Requirement::Root => {
                let euid = nix::unistd::geteuid();
                (!euid.is_root()).then(|| format!("needs root; running as uid {euid}"))
            }
            Requirement::Audit => Requirement::Abi {
                version: 7,
                what: "Landlock audit records",
            }
            .unmet(kernel)
            .or_else(|| {
                let euid = nix::unistd::geteuid();
                (!euid.is_root())
                    .then(|| format!("needs root to read audit records; running as uid {euid}"))
            }),
            Requirement::TraceEvent(name) => Requirement::Landlock
                .unmet(kernel)
                .or_else(|| Requirement::Root.unmet(kernel))
                .or_else(|| {
                    let dir = format!("{TRACEFS}/events/landlock/{name}");
                    (!std::path::Path::new(&dir).is_dir()).then(|| {
                        format!(
                            "needs the trace event landlock:{name} ({dir}: a kernel with \
                             Landlock trace events and tracing, tracefs mounted); kernel {} \
                             has none",
                            kernel.release
                        )
                    })
                }),
            Requirement::StartDepth => {
                crate::ruleset::declared_start_depth().is_none().then(|| {
                    format!(
                        "needs the domain depth the suites start at, declared as {}=N \
                         (llconf's VMs declare 0); on this host it is not known",
                        crate::ruleset::START_DEPTH_ENV
                    )
                })
            }
            Requirement::Compat32 => crate::compat32::unavailable(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(status: LandlockStatus, abi: u32) -> Kernel {
        Kernel {
            release: "6.12.0-test".into(),
            version: Some((6, 12, 0)),
            status,
            abi,
            errata: None,
        }
    }

    #[test]
    fn abi_reason_names_feature_and_kernel_abi() {
        let r = Requirement::Abi {
            version: 9,
            what: "LANDLOCK_ACCESS_FS_RESOLVE_UNIX",
        };
        assert_eq!(
            r.unmet(&kernel(LandlockStatus::Enabled, 6)).unwrap(),
            "needs LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9); kernel has ABI 6"
        );
        assert_eq!(r.unmet(&kernel(LandlockStatus::Enabled, 9)), None);
    }

    #[test]
    fn disabled_landlock_is_named_in_the_reason() {
        let r = Requirement::Landlock.unmet(&kernel(LandlockStatus::Disabled, 0));
        assert_eq!(
            r.unwrap(),
            "needs Landlock; kernel 6.12.0-test has Landlock disabled (EOPNOTSUPP)"
        );
    }

    #[test]
    fn feature_names_resolve_to_their_abi() {
        match Requirement::feature("LANDLOCK_ACCESS_FS_RESOLVE_UNIX") {
            Requirement::Feature(FlagKind::AccessFs, f) => assert_eq!(f.abi, 9),
            other => panic!("{other:?}"),
        }
    }
}
