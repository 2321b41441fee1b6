//! Telling static executables from dynamic ones, for guests that have no
//! dynamic loader nor libc (qemu-initramfs).

use anyhow::{Context, Result};
use std::path::Path;

/// Whether an ELF executable runs without an interpreter (no PT_INTERP):
/// the initramfs holds no dynamic loader nor libc.
pub fn is_static_elf(path: &Path) -> Result<bool> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let bad = || anyhow::anyhow!("{} is not a 64-bit ELF executable", path.display());
    if data.len() < 64 || &data[..4] != b"\x7fELF" || data[4] != 2 {
        return Err(bad());
    }
    let u16_at = |o: usize| u16::from_le_bytes([data[o], data[o + 1]]) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(data[o..o + 8].try_into().unwrap()) as usize;
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let ty = data.get(ph..ph + 4).ok_or_else(bad)?;
        if u32::from_le_bytes(ty.try_into().unwrap()) == 3 {
            return Ok(false); // PT_INTERP
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_and_dynamic_executables_are_told_apart() {
        // The test binary itself is dynamic unless built with crt-static.
        let me = std::env::current_exe().unwrap();
        let dynamic = !cfg!(target_feature = "crt-static");
        assert_eq!(is_static_elf(&me).unwrap(), !dynamic);
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        assert!(is_static_elf(&script).is_err());
    }
}
