//! How a suite declares one test: its name, body, needs and limits.

use crate::check::TestResult;
use crate::requirement::Requirement;
use std::sync::Arc;
use std::time::Duration;

pub type Body = Arc<dyn Fn() -> TestResult + Send + Sync>;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Test {
    /// `suite::fixture::variant::case`.
    pub name: String,
    pub body: Body,
    pub timeout: Duration,
    /// Runs alone, with no other test process alive (audit tests).
    pub serial: bool,
    pub requires: Vec<Requirement>,
    /// Checks what an enforced domain does; must never pass without one.
    pub enforcement: bool,
    /// Like `#[ignore]`: only run with `--ignored` or `--include-ignored`.
    pub ignored: bool,
    /// The case one rule, right or layer apart with the opposite verdict.
    pub twin: Twin,
}

impl Test {
    pub fn new(
        name: impl Into<String>,
        body: impl Fn() -> TestResult + Send + Sync + 'static,
    ) -> Test {
        Test {
            name: name.into(),
            body: Arc::new(body),
            timeout: DEFAULT_TIMEOUT,
            serial: false,
            requires: Vec::new(),
            enforcement: false,
            ignored: false,
            twin: Twin::Undeclared,
        }
    }

    pub fn requires(mut self, r: Requirement) -> Self {
        if !self.requires.contains(&r) {
            self.requires.push(r);
        }
        self
    }

    /// Shorthand for a right, scope or flag by its UAPI name.
    pub fn needs(self, feature: &str) -> Self {
        self.requires(Requirement::feature(feature))
    }

    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    pub fn serial(mut self) -> Self {
        self.serial = true;
        self
    }

    /// Marks a test whose subject is enforcement. It needs Landlock, so it is
    /// skipped (never passed) where Landlock is disabled or missing.
    pub fn enforcement(mut self) -> Self {
        self.enforcement = true;
        if !self.requires.contains(&Requirement::Landlock) {
            self.requires.insert(0, Requirement::Landlock);
        }
        self
    }

    pub fn ignored(mut self) -> Self {
        self.ignored = true;
        self
    }

    /// Names the twin: the full name of the case one rule, right or layer
    /// apart that must get the opposite verdict.
    pub fn twin(mut self, name: impl Into<String>) -> Self {
        self.twin = Twin::Of(name.into());
        self
    }

    /// Says why this case can have no twin.
    pub fn untwinned(mut self, reason: impl Into<String>) -> Self {
        self.twin = Twin::Exempt(reason.into());
        self
    }
}

/// What a test declares of its twin (the `twin` module lists and checks it), kept here with
/// the test so that `twin` builds on `test` and not the other way round.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Twin {
    /// Nothing declared yet: listed as untwinned.
    #[default]
    Undeclared,
    /// The full name of the case one rule, right or layer apart whose
    /// verdict is the opposite.
    Of(String),
    /// No twin can exist, and why (a version query, a malformed argument
    /// that has no allowed counterpart, ...).
    Exempt(String),
}
