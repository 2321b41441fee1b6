//! Per-target verdicts and the files a VM run leaves: each target's JUnit
//! and target.json, the merged JUnit and results.jsonl.

pub mod junit_writer;
pub mod merged_results;
pub mod target;
pub mod target_meta;
