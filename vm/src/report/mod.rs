//! Per-target verdicts and the files a VM run leaves: each target's JUnit
//! and target.json, the merged JUnit and results.jsonl; and the claim of
//! the `--out` folder a run writes into; what changed between two runs
//! (`--watch`).

pub mod junit_writer;
pub mod merged_results;
pub mod out_dir;
pub mod target;
pub mod target_meta;
pub mod verdict_changes;
