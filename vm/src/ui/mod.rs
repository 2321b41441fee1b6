//! What a person or a CI log sees while a run goes on: progress lines and
//! bars, and the KTAP stream. Event consumers only.

pub mod ktap_stream;
pub mod progress;
pub mod vm_progress;
