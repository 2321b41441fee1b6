//! What llconf finds on the host: tools on PATH, the accelerator (KVM or
//! TCG), and the cargo workspace that holds the suites. A leaf: it imports
//! nothing else of llconf but the cache directory.

pub mod accel;
pub mod tools;
pub mod workspace;
