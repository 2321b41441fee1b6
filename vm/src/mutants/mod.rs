//! `llconf mutants`: plausible one-line bugs planted in security/landlock,
//! each built and run, to see which ones the suites notice. This folder
//! finds the mutation points, keeps the private copy they are planted in,
//! and judges a run against the baseline, which it keeps for `--resume`;
//! the runs are ordinary UML runs.

pub mod judge;
pub mod kept_baseline;
pub mod points;
pub mod select;
pub mod source;
pub mod workspace;
