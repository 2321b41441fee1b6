//! Boot backends: how one VM run starts and ends. One file per backend
//! (virtme-ng, qemu with our initramfs, User-Mode Linux), plus what they
//! share: the cpio writer and the record port that turns the guest's frames
//! back into files.

pub mod cpio;
pub mod plan;
pub mod qemu_initramfs;
pub mod record_port;
pub mod shell;
pub mod uml;
pub mod vng;
pub mod vng_script;
