//! The suite binaries: which suites a run selects, and how they are built
//! with cargo (as built, or linked static for guests without a libc), and
//! the store of the binaries runs execute.

pub mod binary;
pub mod build;
pub mod elf;
pub mod list;
pub mod prebuilt;
pub mod selection;
pub mod store;
