//! What llconf finds on the host, and how it shares it: tools on PATH, the
//! accelerator (KVM or TCG), the cargo workspace that holds the suites, the
//! locks that keep two runs off one cache folder, and the parent-death
//! signal of every child, the room left on a disk, and whether files
//! changed (`--watch`). A leaf: it imports nothing else of llconf but the
//! cache directory.

pub mod accel;
pub mod children;
pub mod disk;
pub mod lock;
pub mod mtimes;
pub mod target_dir;
pub mod tools;
pub mod workspace;
