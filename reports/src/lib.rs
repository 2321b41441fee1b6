//! Result records and the reports built from them.
//!
//! Suites write [`record::Record`]s as JSON Lines; the runner reads them back
//! and hands them to the reporters in this crate. Keeping the schema here lets
//! both sides agree on it without the runner ever linking suite code.

pub mod diff;
pub mod html;
pub mod junit;
pub mod ktap;
pub mod layout;
pub mod markdown;
pub mod matrix;
pub mod results;
pub mod run_results;
pub mod summary;

/// Re-exported so that users read reports back with the very version that
/// wrote them.
pub use quick_junit;

/// The record schema, kept in its own small crate for the suite binaries
/// that write it; re-exported here for everything that reads it.
pub use llconf_record as record;
