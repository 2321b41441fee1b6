//! A writer of cpio archives in the `newc` format, the one the kernel
//! unpacks as an initramfs (`Documentation/driver-api/early-userspace`).
//!
//! Each entry: the magic `070701`, thirteen 8-digit hex fields, the name
//! with its NUL, padding to 4 bytes, the data, padding to 4 bytes. The
//! archive ends with an entry named `TRAILER!!!`. Names have no leading
//! `/`; parents must come before their children.

use std::io::{self, Read, Write};

pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFCHR: u32 = 0o020000;
const TRAILER: &str = "TRAILER!!!";

pub struct CpioWriter<W: Write> {
    out: W,
    next_ino: u32,
    offset: u64,
}

impl<W: Write> CpioWriter<W> {
    pub fn new(out: W) -> Self {
        CpioWriter {
            out,
            next_ino: 1,
            offset: 0,
        }
    }

    pub fn dir(&mut self, name: &str, perm: u32) -> io::Result<()> {
        self.entry(name, S_IFDIR | perm, 2, (0, 0), &mut io::empty(), 0)
    }

    pub fn file(&mut self, name: &str, perm: u32, data: &[u8]) -> io::Result<()> {
        self.entry(
            name,
            S_IFREG | perm,
            1,
            (0, 0),
            &mut &data[..],
            data.len() as u64,
        )
    }

    /// A regular file whose `len` bytes are read from `data`.
    pub fn file_from(
        &mut self,
        name: &str,
        perm: u32,
        data: &mut dyn io::Read,
        len: u64,
    ) -> io::Result<()> {
        self.entry(name, S_IFREG | perm, 1, (0, 0), data, len)
    }

    pub fn char_dev(&mut self, name: &str, perm: u32, major: u32, minor: u32) -> io::Result<()> {
        self.entry(name, S_IFCHR | perm, 1, (major, minor), &mut io::empty(), 0)
    }

    /// Writes the trailer and hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.next_ino = 0;
        self.entry(TRAILER, 0, 1, (0, 0), &mut io::empty(), 0)?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn entry(
        &mut self,
        name: &str,
        mode: u32,
        nlink: u32,
        (rmajor, rminor): (u32, u32),
        data: &mut dyn io::Read,
        len: u64,
    ) -> io::Result<()> {
        let name = name.trim_start_matches('/');
        if name.is_empty() || name.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad cpio entry name `{name}`"),
            ));
        }
        let size = u32::try_from(len).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{name} is over 4 GiB"))
        })?;
        let ino = self.next_ino;
        self.next_ino += 1;
        let header = format!(
            "070701{ino:08X}{mode:08X}{:08X}{:08X}{nlink:08X}{:08X}{size:08X}{:08X}{:08X}{rmajor:08X}{rminor:08X}{:08X}{:08X}",
            0, // uid
            0, // gid
            0, // mtime: fixed, so that archives are reproducible
            0, // devmajor
            0, // devminor
            name.len() + 1,
            0, // check
        );
        self.put(header.as_bytes())?;
        self.put(name.as_bytes())?;
        self.put(b"\0")?;
        self.pad()?;
        let copied = io::copy(&mut Read::take(data, len), &mut self.out)?;
        if copied != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{name}: {copied} bytes instead of {len}"),
            ));
        }
        self.offset += copied;
        self.pad()
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let n = (4 - (self.offset % 4) as usize) % 4;
        self.put(&[0u8; 3][..n])
    }
}

/// One entry read back, for the tests.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub mode: u32,
    pub rdev: (u32, u32),
    pub data: Vec<u8>,
}

/// Reads a newc archive up to its trailer.
#[cfg(test)]
pub fn read(mut bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    let mut offset = 0usize;
    loop {
        if bytes.len() < 110 || &bytes[..6] != b"070701" {
            return Err(format!("no newc header at byte {offset}"));
        }
        let field = |i: usize| -> Result<u32, String> {
            let s =
                std::str::from_utf8(&bytes[6 + 8 * i..14 + 8 * i]).map_err(|e| e.to_string())?;
            u32::from_str_radix(s, 16).map_err(|e| format!("field {i} `{s}`: {e}"))
        };
        let (mode, size, rmajor, rminor, namesize) = (
            field(1)?,
            field(6)? as usize,
            field(9)?,
            field(10)?,
            field(11)? as usize,
        );
        let name_end = 110 + namesize;
        let data_start = name_end.div_ceil(4) * 4;
        let data_end = data_start + size;
        if bytes.len() < data_end || namesize == 0 {
            return Err(format!("entry at byte {offset} runs past the end"));
        }
        let name = String::from_utf8_lossy(&bytes[110..name_end - 1]).into_owned();
        if name == TRAILER {
            return Ok(entries);
        }
        entries.push(Entry {
            name,
            mode,
            rdev: (rmajor, rminor),
            data: bytes[data_start..data_end].to_vec(),
        });
        let next = data_end.div_ceil(4) * 4;
        offset += next;
        bytes = &bytes[next.min(bytes.len())..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = CpioWriter::new(Vec::new());
        w.dir("dev", 0o755).unwrap();
        w.char_dev("dev/console", 0o600, 5, 1).unwrap();
        w.file("/init", 0o755, b"\x7fELF...").unwrap();
        w.dir("llconf", 0o755).unwrap();
        w.file("llconf/plan", 0o644, b"suite base /llconf/suites/base\n")
            .unwrap();
        w.file("empty", 0o644, b"").unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn an_archive_reads_back() {
        let bytes = sample();
        assert_eq!(bytes.len() % 4, 0);
        let entries = read(&bytes).unwrap();
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "dev",
                "dev/console",
                "init",
                "llconf",
                "llconf/plan",
                "empty"
            ]
        );
        assert_eq!(entries[1].mode, S_IFCHR | 0o600);
        assert_eq!(entries[1].rdev, (5, 1));
        assert_eq!(entries[2].data, b"\x7fELF...");
        assert_eq!(entries[2].mode, S_IFREG | 0o755);
        assert_eq!(entries[0].mode, S_IFDIR | 0o755);
        assert!(entries[5].data.is_empty());
    }

    #[test]
    fn bad_names_and_short_data_are_refused() {
        let mut w = CpioWriter::new(Vec::new());
        assert!(w.file("", 0o644, b"x").is_err());
        let mut short: &[u8] = b"abc";
        assert!(w.file_from("f", 0o644, &mut short, 10).is_err());
    }

    /// GNU cpio, when installed, lists the same entries.
    #[test]
    fn gnu_cpio_agrees_when_installed() {
        let Some(cpio) = crate::host::tools::find_on_path("cpio") else {
            println!("cpio not installed; skipped");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a.cpio");
        std::fs::write(&archive, sample()).unwrap();
        let out = std::process::Command::new(cpio)
            .args(["-t", "--quiet", "-F"])
            .arg(&archive)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "dev\ndev/console\ninit\nllconf\nllconf/plan\nempty\n"
        );
    }
}
