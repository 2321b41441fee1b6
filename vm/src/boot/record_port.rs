//! The host end of the qemu-initramfs record port: qemu writes the guest's
//! second serial port into `records.raw` in the target directory; this
//! reads what was added, splits it into frames and turns them back into
//! the files a vng guest writes into its shared directory (see
//! `guest_script`), so that the same tails, collector and reports serve
//! both backends.

use llconf_guest_init::{Frame, FrameReader, Item};
use llconf_reports::layout::TargetDir;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

pub struct RecordPort {
    dir: TargetDir,
    suites: Vec<String>,
    offset: u64,
    reader: FrameReader,
    /// The guest's `done`: every suite ran and dmesg was sent.
    pub done: bool,
    /// The release the init reported.
    pub release: Option<String>,
}

impl RecordPort {
    /// `suites`: the only names a frame may write files for.
    pub fn new(dir: &TargetDir, suites: Vec<String>) -> RecordPort {
        RecordPort {
            dir: dir.clone(),
            suites,
            offset: 0,
            reader: FrameReader::default(),
            done: false,
            release: None,
        }
    }

    /// Applies what arrived since the last call; returns lines worth
    /// showing with the console (the init's notes, frames that did not
    /// parse).
    pub fn poll(&mut self) -> io::Result<Vec<String>> {
        let mut file = match File::open(self.dir.records_raw()) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)?;
        self.offset += buf.len() as u64;
        let mut said = Vec::new();
        for item in self.reader.feed(&buf) {
            match item {
                Item::Frame(f) => {
                    if let Some(s) = self.apply(f)? {
                        said.push(s);
                    }
                }
                Item::Malformed(e) => said.push(format!("llconf: record port: {e}")),
                // Nothing else writes to the port; stray bytes are not news.
                Item::Noise(_) => {}
            }
        }
        Ok(said)
    }

    /// A frame cut off by the end of the VM, if any.
    pub fn leftover(&self) -> Option<String> {
        let rest = self.reader.rest();
        (!rest.is_empty()).then(|| String::from_utf8_lossy(rest).into_owned())
    }

    fn known(&self, suite: &str) -> bool {
        self.suites.iter().any(|s| s == suite)
    }

    fn apply(&mut self, frame: Frame) -> io::Result<Option<String>> {
        let dir = self.dir.clone();
        match frame {
            Frame::Hello { release } => self.release = Some(release),
            Frame::Started { suite } if self.known(&suite) => {
                File::create(dir.started(&suite))?;
            }
            Frame::Record { suite, mut line } if self.known(&suite) => {
                line.push(b'\n');
                append(&dir.results(&suite), &line)?;
            }
            Frame::Partial { suite, bytes } if self.known(&suite) => {
                append(&dir.results(&suite), &bytes)?;
            }
            Frame::Log { suite, bytes } if self.known(&suite) => {
                append(&dir.log(&suite), &bytes)?;
            }
            Frame::Exit { suite, code } if self.known(&suite) => {
                // One write: the tail reads the code only with its newline.
                std::fs::write(dir.exit(&suite), format!("{code}\n"))?;
            }
            Frame::Dmesg { mut line } => {
                line.push(b'\n');
                append(&dir.dmesg(), &line)?;
            }
            Frame::Note { text } => return Ok(Some(format!("llconf-guest: note: {text}"))),
            Frame::Done => self.done = true,
            Frame::Started { suite }
            | Frame::Record { suite, .. }
            | Frame::Partial { suite, .. }
            | Frame::Log { suite, .. }
            | Frame::Exit { suite, .. } => {
                return Ok(Some(format!(
                    "llconf: record port: a frame for suite `{suite}`, which is not in the plan"
                )))
            }
        }
        Ok(None)
    }
}

fn append(path: &Path, bytes: &[u8]) -> io::Result<()> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target_dir() -> (tempfile::TempDir, TargetDir) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = TargetDir::new(tmp.path());
        for sub in dir.live_dirs() {
            std::fs::create_dir_all(sub).unwrap();
        }
        (tmp, dir)
    }

    #[test]
    fn frames_become_the_files_of_a_vng_guest() {
        let (_tmp, dir) = target_dir();
        let d = &dir;
        let mut port = RecordPort::new(d, vec!["base".into()]);
        let frames = [
            Frame::Hello {
                release: "6.12.95+deb12-amd64".into(),
            },
            Frame::Started {
                suite: "base".into(),
            },
            Frame::Record {
                suite: "base".into(),
                line: b"{\"type\":\"suite_started\"}".to_vec(),
            },
            Frame::Log {
                suite: "base".into(),
                bytes: b"running 2 tests\n".to_vec(),
            },
            Frame::Partial {
                suite: "base".into(),
                bytes: b"{\"type\":\"te".to_vec(),
            },
            Frame::Exit {
                suite: "base".into(),
                code: 101,
            },
            Frame::Exit {
                suite: "../../etc".into(),
                code: 0,
            },
            Frame::Note {
                text: "mount cgroup2: ENODEV".into(),
            },
            Frame::Dmesg {
                line: b"[    0.0] Linux version 6.12".to_vec(),
            },
            Frame::Done,
        ];
        let stream: String = frames.iter().map(Frame::encode).collect();
        let (a, b) = stream.split_at(stream.len() / 2);
        std::fs::write(d.records_raw(), a).unwrap();
        let mut said = port.poll().unwrap();
        assert!(!port.done);
        let mut f = OpenOptions::new()
            .append(true)
            .open(d.records_raw())
            .unwrap();
        f.write_all(b.as_bytes()).unwrap();
        f.write_all(b"@@llconf exit base").unwrap();
        said.extend(port.poll().unwrap());
        assert!(port.done);
        assert_eq!(port.release.as_deref(), Some("6.12.95+deb12-amd64"));
        assert_eq!(port.leftover().as_deref(), Some("@@llconf exit base"));
        let read = |p: std::path::PathBuf| std::fs::read_to_string(p).unwrap();
        assert_eq!(
            read(d.results("base")),
            "{\"type\":\"suite_started\"}\n{\"type\":\"te"
        );
        assert_eq!(read(d.log("base")), "running 2 tests\n");
        assert_eq!(read(d.exit("base")), "101\n");
        assert!(d.started("base").exists());
        assert_eq!(read(d.dmesg()), "[    0.0] Linux version 6.12\n");
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(said[0].contains("`../../etc`"), "{said:?}");
        assert!(said[1].contains("mount cgroup2"), "{said:?}");
    }
}
