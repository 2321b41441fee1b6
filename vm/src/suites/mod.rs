//! The suite binaries: which suites a run selects, and how they are built
//! with cargo (as built, or linked static for guests without a libc).

pub mod build;
pub mod selection;
