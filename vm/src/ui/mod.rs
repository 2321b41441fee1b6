//! What a person or a CI log sees while a run goes on: progress lines and
//! bars (the mutants loop's too), and the KTAP stream.

pub mod ktap_stream;
pub mod mutants_bar;
pub mod progress;
pub mod vm_progress;
