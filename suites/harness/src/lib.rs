//! The harness every llconf suite is built on.
//!
//! - [`sys`]: the three Landlock syscalls, raw enough for bad arguments.
//! - [`abi`]: the UAPI constants, each with the ABI that brought it.
//! - [`probe`]: what the running kernel offers, found by probing.
//! - [`ruleset`]: create, add rules, enforce, and check the domain took.
//! - [`check`]: the exact-errno assertions test bodies return.
//! - [`requirement`] and [`test`]: how a test declares what it needs.
//! - [`known`]: the known kernel bugs and errata, and what fixes them.
//! - [`deferred`]: waiting, up to a deadline, for what the kernel defers.
//! - [`compat32`]: the 32-bit x86 syscalls, for hooks only they reach.
//! - [`fixture`]: temporary trees, peer processes, network namespaces,
//!   tracefs instances.
//! - [`runner`]: the process-per-test main with libtest's CLI.
//! - [`fake`]: the faked restrict_self under which enforcement tests must fail.
//! - [`twin`]: each case's twin, one rule, right or layer apart.

pub mod abi;
pub mod check;
pub mod compat32;
pub mod deferred;
pub mod fake;
pub mod fixture;
pub mod forked;
pub mod known;
pub mod probe;
pub mod requirement;
pub mod ruleset;
pub mod runner;
pub mod sys;
pub mod test;
pub mod twin;

pub use check::{
    expect_eq, expect_errno, expect_ok, expect_result, fail, lacks_erratum, skip, OrFail, Stop,
    TestResult,
};
pub use nix::errno::Errno;
pub use requirement::Requirement;
pub use ruleset::Ruleset;
pub use sys::RulesetAttr;
pub use test::Test;
