//! The two processes of a test and where their domains come from: made
//! before the fork (shared), or by either side after it (its own); and the
//! directory read that tells which domain a process is in.

use llconf_harness::abi::fs;
use llconf_harness::{Errno, Ruleset, TestResult};
use std::ffi::CString;
use std::path::Path;

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

    /// Whether either process enforces a domain at all.
    pub fn any(self) -> bool {
        self.shared || self.actor || self.other
    }

    /// Whether the actor's domain is the other's or an ancestor of it:
    /// the rule for ptrace and for scoped signals alike.
    pub fn actor_scope_contains_other(self) -> bool {
        !self.actor
    }

    /// `allowed` or `denied`, as the case names end.
    pub fn verdict(self) -> &'static str {
        if self.actor_scope_contains_other() {
            "allowed"
        } else {
            "denied"
        }
    }
}

/// open(2) of a directory for reading, closed at once.
pub fn open_dir(p: &Path) -> Result<(), Errno> {
    let c = CString::new(p.as_os_str().as_encoded_bytes()).map_err(|_| Errno::EINVAL)?;
    // SAFETY: a NUL-terminated path.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd == -1 {
        return Err(Errno::last());
    }
    // SAFETY: fd was just opened here.
    unsafe { libc::close(fd) };
    Ok(())
}

/// Every relation of the two domains, named; the first has none at all:
/// Landlock must then stay out of the way.
pub const CASES: [(&str, Domains); 8] = [
    ("no_domain", Domains::new(false, false, false)),
    ("shared_domain", Domains::new(true, false, false)),
    ("other_nested", Domains::new(false, false, true)),
    ("shared_then_other_nested", Domains::new(true, false, true)),
    ("actor_domain", Domains::new(false, true, false)),
    ("shared_then_actor_nested", Domains::new(true, true, false)),
    ("sibling_domains", Domains::new(false, true, true)),
    ("shared_then_siblings", Domains::new(true, true, true)),
];

/// The name of a case for one side: `tracer` and `tracee`, say.
pub fn case_name(name: &str, actor: &str, other: &str) -> String {
    name.replace("actor", actor).replace("other", other)
}

/// The case one layer apart with the opposite verdict: the same
/// relation with the actor's own domain added or taken away. Its name in
/// CASES and its verdict.
pub fn twin_of(d: Domains) -> (&'static str, &'static str) {
    let flipped = Domains::new(d.shared, !d.actor, d.other);
    let name = CASES
        .iter()
        .find(|(_, c)| {
            (c.shared, c.actor, c.other) == (flipped.shared, flipped.actor, flipped.other)
        })
        .map(|(name, _)| *name)
        .expect("CASES holds every relation");
    (name, flipped.verdict())
}
