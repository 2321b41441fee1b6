//! A ruleset as most enforcement tests use it: create, add rules, enforce.
//!
//! Argument-check tests use [`crate::sys`] directly; this layer is for tests
//! whose subject is what an enforced domain does, so every step that is not
//! the subject fails the test with context. [`Ruleset::enforce`] also checks
//! that the domain really took effect, so that a kernel (or a seccomp filter)
//! that answers 0 without enforcing cannot make an enforcement test pass.

use crate::check::{expect_ok, fail, OrFail, Stop};
use crate::probe;
use crate::sys::{self, RulesetAttr};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;

pub struct Ruleset {
    fd: OwnedFd,
}

impl Ruleset {
    pub fn new(attr: RulesetAttr) -> Result<Ruleset, Stop> {
        let fd = expect_ok(
            format!("landlock_create_ruleset({attr:?})"),
            sys::create_ruleset(&attr, std::mem::size_of::<RulesetAttr>(), 0),
        )?;
        Ok(Ruleset { fd })
    }

    /// A ruleset that handles the given filesystem rights only.
    pub fn fs(handled: u64) -> Result<Ruleset, Stop> {
        Self::new(RulesetAttr {
            handled_access_fs: handled,
            ..Default::default()
        })
    }

    /// A ruleset that handles the given network rights only.
    pub fn net(handled: u64) -> Result<Ruleset, Stop> {
        Self::new(RulesetAttr {
            handled_access_net: handled,
            ..Default::default()
        })
    }

    /// A ruleset with the given scopes only.
    pub fn scoped(scopes: u64) -> Result<Ruleset, Stop> {
        Self::new(RulesetAttr {
            scoped: scopes,
            ..Default::default()
        })
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Allows `access` beneath `path`.
    pub fn allow_path(&self, path: &Path, access: u64) -> Result<&Self, Stop> {
        let dir = std::fs::File::options()
            .read(true)
            .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
            .open(path)
            .or_fail(format!("open O_PATH {}", path.display()))?;
        expect_ok(
            format!("add_rule(PATH_BENEATH, {}, {access:#x})", path.display()),
            sys::add_path_beneath(self.fd(), access, dir.as_raw_fd(), 0),
        )?;
        Ok(self)
    }

    /// Allows `access` on `port`.
    pub fn allow_port(&self, port: u64, access: u64) -> Result<&Self, Stop> {
        expect_ok(
            format!("add_rule(NET_PORT, {port}, {access:#x})"),
            sys::add_net_port(self.fd(), access, port, 0),
        )?;
        Ok(self)
    }

    /// Sets no_new_privs, enforces the ruleset on the calling thread, and
    /// checks that the domain stack grew by one layer.
    pub fn enforce(self) -> Result<(), Stop> {
        self.enforce_with_flags(0)
    }

    pub fn enforce_with_flags(self, flags: u32) -> Result<(), Stop> {
        expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
        expect_ok(
            format!("landlock_restrict_self(flags={flags:#x})"),
            sys::restrict_self(self.fd(), flags),
        )?;
        verify_domain_in_effect()
    }
}

use std::os::unix::fs::OpenOptionsExt;

/// Env var through which the runner hands each test process the domain depth
/// it starts under (non-zero when the whole run is itself sandboxed): the
/// declared one ([`START_DEPTH_ENV`]) when there is one, else measured.
pub const BASE_DEPTH_ENV: &str = "LLCONF_BASE_DOMAIN_DEPTH";

/// Env var by which whoever starts the suites declares how many Landlock
/// layers they start under: llconf's VM guests set it to 0, since their
/// init enforces nothing. Unset (a host run), it is not known, and tests
/// that count layers to the limit skip ([`crate::Requirement::StartDepth`]).
pub const START_DEPTH_ENV: &str = "LLCONF_START_DEPTH";

/// The declared starting depth, if any. A value that is not a number of
/// layers up to the limit is a usage error the supervisor reports.
pub fn declared_start_depth() -> Option<u32> {
    parse_start_depth(&std::env::var(START_DEPTH_ENV).ok()?).ok()
}

/// `LLCONF_START_DEPTH`'s value: 0 to 16.
pub fn parse_start_depth(v: &str) -> Result<u32, String> {
    match v.trim().parse::<u32>() {
        Ok(d) if d <= 16 => Ok(d),
        _ => Err(format!(
            "{START_DEPTH_ENV}={v:?}: expected the number of Landlock layers the suites start under, 0 to 16"
        )),
    }
}

/// Fails unless the calling thread runs under exactly as many layers as the
/// test enforced on top of the depth it started with.
pub fn verify_domain_in_effect() -> Result<(), Stop> {
    let base: u32 =
        match std::env::var(BASE_DEPTH_ENV).as_deref() {
            Ok("unmeasurable") => return Err(fail(
                "landlock_restrict_self does not enforce on this system: the runner could stack \
                 more than 16 layers (is it faked by a seccomp filter?)",
            )),
            Ok(v) => v.parse().unwrap_or(0),
            Err(_) => 0,
        };
    let expected = base + sys::restrict_self_calls();
    match probe::domain_depth() {
        Some(d) if d == expected => Ok(()),
        Some(d) => Err(fail(format!(
            "landlock_restrict_self returned success but the domain is not in effect: \
             {d} layers measured, {expected} expected"
        ))),
        None => Err(fail(
            "landlock_restrict_self returned success but the domain is not in effect: \
             more than 16 layers could be stacked",
        )),
    }
}
