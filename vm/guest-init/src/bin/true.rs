//! `/bin/true` of the qemu-initramfs guest: a static binary without an ELF
//! interpreter, which the fs suite copies and executes.

fn main() {}
