//! The two processes of a test and where their domains come from: made
//! before the fork (shared), or by either side after it (its own).

use llconf_harness::abi::fs;
use llconf_harness::{Ruleset, TestResult};

/// A domain that restricts nothing these tests do: it handles EXECUTE
/// and nobody here executes anything.
pub fn sandbox() -> TestResult {
    Ruleset::fs(fs::EXECUTE)?.enforce()
}

/// Who is in which domain, from the point of view of the process that
/// acts on the other (the tracer, the owner of a file).
#[derive(Debug, Clone, Copy)]
pub struct Domains {
    /// A domain enforced before the fork: both are in it.
    pub shared: bool,
    /// The acting process enforces one more after the fork.
    pub actor: bool,
    /// The other process enforces one more after the fork.
    pub other: bool,
}

impl Domains {
    pub const fn new(shared: bool, actor: bool, other: bool) -> Domains {
        Domains {
            shared,
            actor,
            other,
        }
    }

    /// Whether the actor's domain is the other's or an ancestor of it:
    /// the rule for ptrace and for scoped signals alike.
    pub fn actor_scope_contains_other(self) -> bool {
        !self.actor
    }
}
