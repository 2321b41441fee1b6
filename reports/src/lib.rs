//! Result records and the reports built from them.
//!
//! Suites write [`record::Record`]s as JSON Lines; the runner reads them back
//! and hands them to the reporters in this crate. The schema lives in the
//! small `llconf-record` crate, re-exported here as [`record`], so that both
//! sides agree on it while the runner links no suite code and the suite
//! binaries link none of these reporters (nor quick-junit, nor chrono).

pub mod annotations;
pub mod coverage;
pub mod diff;
pub mod html;
pub mod junit;
pub mod kcidb;
pub mod ksft_tap;
pub mod ktap;
pub mod layout;
pub mod markdown;
pub mod matrix;
pub mod mutants;
pub mod results;
pub mod run_results;
pub mod summary;
pub mod test_lines;
pub mod text;

/// Re-exported so that users read reports back with the very version that
/// wrote them.
pub use quick_junit;

/// The record schema, kept in its own small crate for the suite binaries
/// that write it; re-exported here for everything that reads it.
pub use llconf_record as record;
