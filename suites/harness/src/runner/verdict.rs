//! What a test process tells the runner about its one test, over a pipe on
//! a fixed fd, so that the test's own stdout and stderr stay untouched.

use llconf_record::Failure;
use serde::{Deserialize, Serialize};

pub const CHILD_TEST_ENV: &str = "LLCONF_CHILD_TEST";
pub const VERDICT_FD_ENV: &str = "LLCONF_VERDICT_FD";
/// The fd number the verdict pipe gets in the test process.
pub const VERDICT_FD: i32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum VerdictKind {
    Passed,
    Failed {
        failure: Failure,
    },
    Skipped {
        reason: String,
    },
    /// A known issue's failure; the runner looks the id up in the table.
    Known {
        id: String,
        failure: Failure,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    #[serde(flatten)]
    pub kind: VerdictKind,
    pub restrict_self_calls: u32,
}
