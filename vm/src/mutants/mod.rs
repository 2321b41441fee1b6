//! `llconf mutants`: plausible one-line bugs planted in security/landlock,
//! each built and run, to see which ones the suites notice. This folder
//! finds the mutation points; the runs are ordinary UML runs.

pub mod points;
