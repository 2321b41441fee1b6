//! The domains the cases enforce, and how a case becomes one test per
//! socket type.

use crate::sock::Type;
use llconf_harness::abi::{self, fs, mask_for_abi, ACCESS_FS, ACCESS_NET, NEWEST_KNOWN_ABI};
use llconf_harness::{expect_errno, probe, Errno, Ruleset, Test, TestResult};
use std::path::Path;

pub const RESOLVE_UNIX: &str = "LANDLOCK_ACCESS_FS_RESOLVE_UNIX";
pub const SCOPE_ABSTRACT: &str = "LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET";

/// One more layer that handles `handled` and allows RESOLVE_UNIX beneath
/// each of `allowed` (a directory, or the socket file itself).
pub fn enforce_fs(handled: u64, allowed: &[&Path]) -> TestResult {
    let rs = Ruleset::fs(handled)?;
    for path in allowed {
        rs.allow_path(path, fs::RESOLVE_UNIX)?;
    }
    rs.enforce()
}

/// One more layer that handles RESOLVE_UNIX only.
pub fn enforce_resolve(allowed: &[&Path]) -> TestResult {
    enforce_fs(fs::RESOLVE_UNIX, allowed)
}

/// One more layer scoped to the abstract UNIX socket namespace.
pub fn enforce_abstract_scope() -> TestResult {
    Ruleset::scoped(abi::scope::ABSTRACT_UNIX_SOCKET)?.enforce()
}

fn kernel_abi() -> u32 {
    probe::kernel().abi.min(NEWEST_KNOWN_ABI)
}

/// Every filesystem right the running kernel knows.
pub fn all_fs_rights() -> u64 {
    mask_for_abi(ACCESS_FS, kernel_abi())
}

/// Every network right the running kernel knows (none before ABI 4).
pub fn all_net_rights() -> u64 {
    mask_for_abi(ACCESS_NET, kernel_abi())
}

/// Shows that a domain handling READ_FILE without a rule is in effect.
pub fn expect_read_denied(file: &Path) -> TestResult {
    expect_errno(
        format!("read {} (READ_FILE handled, no rule)", file.display()),
        std::fs::read(file).map_err(errno),
        Errno::EACCES,
    )
}

pub fn errno(e: std::io::Error) -> Errno {
    e.raw_os_error()
        .map(Errno::from_raw)
        .unwrap_or(Errno::UnknownErrno)
}

/// `unix::<type>::<fixture>::<case>` for each socket type, ungated.
pub fn per_type(fixture: &str, case: &str, body: fn(Type) -> TestResult) -> Vec<Test> {
    Type::ALL
        .into_iter()
        .map(|ty| Test::new(format!("unix::{ty}::{fixture}::{case}"), move || body(ty)))
        .collect()
}

/// An enforcement case that needs RESOLVE_UNIX, once per socket type.
pub fn resolve_case(fixture: &str, case: &str, body: fn(Type) -> TestResult) -> Vec<Test> {
    per_type(fixture, case, body)
        .into_iter()
        .map(|t| t.needs(RESOLVE_UNIX).enforcement())
        .collect()
}

/// An enforcement case that needs the abstract-socket scope.
pub fn scope_case(fixture: &str, case: &str, body: fn(Type) -> TestResult) -> Vec<Test> {
    per_type(fixture, case, body)
        .into_iter()
        .map(|t| t.needs(SCOPE_ABSTRACT).enforcement())
        .collect()
}

/// Names each test's twin: the case `twin` (`<fixture>::<case>`) of the
/// same socket type, one rule, right, scope or layer apart.
pub fn with_twin(tests: Vec<Test>, twin: &str) -> Vec<Test> {
    tests
        .into_iter()
        .map(|t| {
            let ty = t
                .name
                .split("::")
                .nth(1)
                .expect("unix::<type>::...")
                .to_owned();
            t.twin(format!("unix::{ty}::{twin}"))
        })
        .collect()
}
