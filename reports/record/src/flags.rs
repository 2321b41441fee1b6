//! The suite binaries' own flags that the runner passes: a contract
//! between the two like the records, kept here so that neither spells it
//! alone.

/// `--race-seconds N`: caps each race's time limit at N seconds.
pub const RACE_SECONDS: &str = "--race-seconds";
