//! Result records and the reports built from them.
//!
//! Suites write [`record::Record`]s as JSON Lines; the runner reads them back
//! and hands them to the reporters in this crate. Keeping the schema here lets
//! both sides agree on it without the runner ever linking suite code.

pub mod junit;
pub mod record;
pub mod results;
pub mod summary;

/// Re-exported so that users read reports back with the very version that
/// wrote them.
pub use quick_junit;
