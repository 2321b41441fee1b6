//! The protocol between `llconf` (the host) and the init of its
//! qemu-initramfs and User-Mode Linux guests.
//!
//! - The host packs a [`Plan`] at [`PLAN_PATH`] in the initramfs: the suites
//!   to run (binaries under [`SUITES_DIR`]), their arguments and
//!   environment, and the variant's setup command. A UML guest, whose root
//!   is the host's filesystem, is told the plan's host path instead in
//!   [`PLAN_ENV`] (a `NAME=value` on the kernel command line, which the
//!   kernel hands to init as its environment). Its init's own tmpfs mounts
//!   (/tmp, /run) hide those host directories, so it mounts the host's
//!   root again at [`HOST_VIEW`] and reads every host path there: the plan
//!   names the suites as `HOST_VIEW` + their host path.
//! - The guest streams [`Frame`]s, one per line, over the second serial port
//!   ([`RECORD_PORT`], qemu's second `-serial`, UML's `ssl1` on a host file
//!   descriptor), which carries nothing else:
//!   `@@llconf <kind> <field>...`, fields [`escape`]d so that a frame never
//!   holds a space, a control byte or a newline of its own. The kernel
//!   console stays on the first port, for the panic and warning scan.
//! - The host turns the frames back into the files a vng guest leaves in its
//!   shared directory (`results/<suite>.jsonl`, `logs/<suite>.log`,
//!   `status/<suite>.started|exit`, `dmesg.txt`), so that both backends
//!   share one collector and one report path.
//!
//! std only: the host links this library, the guest links it statically.

use std::fmt::Write as _;

/// Where the plan is in the initramfs.
pub const PLAN_PATH: &str = "/llconf/plan";
/// The environment variable that names the plan's host path (UML).
pub const PLAN_ENV: &str = "LLCONF_PLAN";
/// Where a UML guest sees the host's root (hostfs) after its own mounts.
pub const HOST_VIEW: &str = "/run/llconf-host";
/// Where the suite binaries are in the initramfs.
pub const SUITES_DIR: &str = "/llconf/suites";
/// The serial port that carries only frames (ttyS0 is the console).
pub const RECORD_PORT: &str = "/dev/ttyS1";
/// Starts every frame line.
pub const FRAME_PREFIX: &str = "@@llconf";
/// Printed on the console once userspace runs: the end of the boot (the
/// same mark as the vng guest script's).
pub const STARTED_MARK: &str = "llconf-guest: started";
pub const DONE_MARK: &str = "llconf-guest: done";

/// Bytes as one word: printable ASCII but `%` stays, everything else is
/// `%XX`. JSON records pass nearly unchanged (only their spaces grow).
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x21..0x7f).contains(&b) && b != b'%' {
            s.push(b as char);
        } else {
            let _ = write!(s, "%{b:02X}");
        }
    }
    s
}

pub fn unescape(word: &str) -> Result<Vec<u8>, String> {
    let raw = word.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = raw
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad escape at byte {i} of `{word}`"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn text(word: &str) -> Result<String, String> {
    String::from_utf8(unescape(word)?).map_err(|e| e.to_string())
}

/// One message from the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The init runs; the kernel release (`uname -r`).
    Hello { release: String },
    /// The suite binary is about to start.
    Started { suite: String },
    /// One complete line of the suite's results file, without its newline.
    Record { suite: String, line: Vec<u8> },
    /// What was left of the results file without a newline when the suite
    /// ended: a record torn by a crash.
    Partial { suite: String, bytes: Vec<u8> },
    /// A chunk of the suite binary's stdout and stderr.
    Log { suite: String, bytes: Vec<u8> },
    /// The suite binary ended: its exit code, or 128 + the signal, as a
    /// shell reports it.
    Exit { suite: String, code: i32 },
    /// One line of the kernel log, read at the end.
    Dmesg { line: Vec<u8> },
    /// Something the init has to say (a mount that failed, ...).
    Note { text: String },
    /// Every suite ran; the guest powers off next.
    Done,
}

impl Frame {
    /// The line, with its newline.
    pub fn encode(&self) -> String {
        let (kind, fields): (&str, Vec<String>) = match self {
            Frame::Hello { release } => ("hello", vec![escape(release.as_bytes())]),
            Frame::Started { suite } => ("started", vec![escape(suite.as_bytes())]),
            Frame::Record { suite, line } => {
                ("record", vec![escape(suite.as_bytes()), escape(line)])
            }
            Frame::Partial { suite, bytes } => {
                ("partial", vec![escape(suite.as_bytes()), escape(bytes)])
            }
            Frame::Log { suite, bytes } => ("log", vec![escape(suite.as_bytes()), escape(bytes)]),
            Frame::Exit { suite, code } => {
                ("exit", vec![escape(suite.as_bytes()), code.to_string()])
            }
            Frame::Dmesg { line } => ("dmesg", vec![escape(line)]),
            Frame::Note { text } => ("note", vec![escape(text.as_bytes())]),
            Frame::Done => ("done", vec![]),
        };
        let mut s = format!("{FRAME_PREFIX} {kind}");
        for f in fields {
            s.push(' ');
            s.push_str(&f);
        }
        s.push('\n');
        s
    }

    /// `None` for a line that is not a frame (noise on the port); `Err` for
    /// a frame that does not parse.
    pub fn decode(line: &[u8]) -> Option<Result<Frame, String>> {
        let line = std::str::from_utf8(line).ok()?;
        let line = line.trim_end_matches(['\n', '\r']);
        let rest = line.strip_prefix(FRAME_PREFIX)?.strip_prefix(' ')?;
        Some(Self::parse(rest))
    }

    fn parse(rest: &str) -> Result<Frame, String> {
        let words: Vec<&str> = rest.split(' ').collect();
        let bad = || format!("malformed frame `{FRAME_PREFIX} {rest}`");
        let field = |i: usize| words.get(i).copied().ok_or_else(bad);
        let frame = match words[0] {
            "hello" => Frame::Hello {
                release: text(field(1)?)?,
            },
            "started" => Frame::Started {
                suite: text(field(1)?)?,
            },
            "record" => Frame::Record {
                suite: text(field(1)?)?,
                line: unescape(field(2)?)?,
            },
            "partial" => Frame::Partial {
                suite: text(field(1)?)?,
                bytes: unescape(field(2)?)?,
            },
            "log" => Frame::Log {
                suite: text(field(1)?)?,
                bytes: unescape(field(2)?)?,
            },
            "exit" => Frame::Exit {
                suite: text(field(1)?)?,
                code: field(2)?.parse().map_err(|_| bad())?,
            },
            "dmesg" => Frame::Dmesg {
                line: unescape(field(1)?)?,
            },
            "note" => Frame::Note {
                text: text(field(1)?)?,
            },
            "done" => Frame::Done,
            other => return Err(format!("unknown frame kind `{other}`")),
        };
        let expected = match frame {
            Frame::Done => 1,
            Frame::Hello { .. }
            | Frame::Started { .. }
            | Frame::Dmesg { .. }
            | Frame::Note { .. } => 2,
            _ => 3,
        };
        if words.len() != expected {
            return Err(bad());
        }
        Ok(frame)
    }
}

/// What the guest runs, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Suite name and the binary's path in the guest.
    pub suites: Vec<(String, String)>,
    /// Arguments for every suite binary.
    pub args: Vec<String>,
    /// Environment for every suite binary.
    pub env: Vec<(String, String)>,
    /// The variant's setup command, run before the suites.
    pub setup: Option<String>,
    /// Kernel modules to load first (paths in the guest; `.ko`, or
    /// compressed for kernels that decompress them).
    pub modules: Vec<String>,
}

impl Plan {
    /// One line per item: `suite NAME PATH`, `arg A`, `env K V`, `setup CMD`,
    /// `module PATH`.
    pub fn encode(&self) -> String {
        let e = |s: &str| escape(s.as_bytes());
        let mut out = String::from("# llconf guest plan\n");
        for (name, path) in &self.suites {
            let _ = writeln!(out, "suite {} {}", e(name), e(path));
        }
        for a in &self.args {
            let _ = writeln!(out, "arg {}", e(a));
        }
        for (k, v) in &self.env {
            let _ = writeln!(out, "env {} {}", e(k), e(v));
        }
        if let Some(s) = &self.setup {
            let _ = writeln!(out, "setup {}", e(s));
        }
        for m in &self.modules {
            let _ = writeln!(out, "module {}", e(m));
        }
        out
    }

    pub fn decode(text_in: &str) -> Result<Plan, String> {
        let mut plan = Plan::default();
        for (n, line) in text_in.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split(' ').collect();
            let bad = || format!("plan line {}: `{line}`", n + 1);
            match (words[0], words.len()) {
                ("suite", 3) => plan.suites.push((text(words[1])?, text(words[2])?)),
                ("arg", 2) => plan.args.push(text(words[1])?),
                ("env", 3) => plan.env.push((text(words[1])?, text(words[2])?)),
                ("setup", 2) => plan.setup = Some(text(words[1])?),
                ("module", 2) => plan.modules.push(text(words[1])?),
                _ => return Err(bad()),
            }
        }
        Ok(plan)
    }
}

/// Splits a byte stream into frames: feed it what the port delivered, get
/// back the frames of the lines it completed. Lines that are not frames
/// are returned apart, as noise.
#[derive(Debug, Default)]
pub struct FrameReader {
    partial: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    Frame(Frame),
    /// A frame line that does not parse, with why.
    Malformed(String),
    /// A line that is not a frame.
    Noise(Vec<u8>),
}

impl FrameReader {
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Item> {
        self.partial.extend_from_slice(bytes);
        let mut items = Vec::new();
        while let Some(nl) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            let line = &line[..nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            items.push(match Frame::decode(line) {
                Some(Ok(f)) => Item::Frame(f),
                Some(Err(e)) => Item::Malformed(e),
                None => Item::Noise(line.to_vec()),
            });
        }
        items
    }

    /// Bytes after the last newline: a frame cut off by the VM's end.
    pub fn rest(&self) -> &[u8] {
        &self.partial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let word = escape(&all);
        assert!(!word.contains([' ', '\n', '\r']));
        assert_eq!(unescape(&word).unwrap(), all);
        assert_eq!(escape(b"{\"a\":\"b c\"}"), "{\"a\":\"b%20c\"}");
        assert!(unescape("%4").is_err());
        assert!(unescape("%zz").is_err());
    }

    #[test]
    fn every_frame_round_trips() {
        let frames = [
            Frame::Hello {
                release: "6.12.95+deb12-amd64".into(),
            },
            Frame::Started {
                suite: "base".into(),
            },
            Frame::Record {
                suite: "base".into(),
                line: br#"{"type":"test","name":"a b","stdout":"x\ny"}"#.to_vec(),
            },
            Frame::Partial {
                suite: "fs".into(),
                bytes: b"{\"type\":\"te".to_vec(),
            },
            Frame::Log {
                suite: "fs".into(),
                bytes: b"line 1\nline 2\r\n\x00\xff".to_vec(),
            },
            Frame::Exit {
                suite: "net".into(),
                code: -1,
            },
            Frame::Dmesg {
                line: b"[    0.000000] Linux version 6.12".to_vec(),
            },
            Frame::Note {
                text: "mount /sys: EBUSY".into(),
            },
            Frame::Done,
        ];
        for f in frames {
            let line = f.encode();
            assert!(
                line.ends_with('\n') && line.matches('\n').count() == 1,
                "{line}"
            );
            assert_eq!(Frame::decode(line.as_bytes()), Some(Ok(f)), "{line}");
        }
    }

    #[test]
    fn noise_and_malformed_frames_are_told_apart() {
        assert_eq!(Frame::decode(b"[ 1.0] serial8250: ttyS1"), None);
        assert!(matches!(
            Frame::decode(b"@@llconf exit base x"),
            Some(Err(_))
        ));
        assert!(matches!(
            Frame::decode(b"@@llconf done extra"),
            Some(Err(_))
        ));
        assert!(matches!(Frame::decode(b"@@llconf warp 9"), Some(Err(_))));
    }

    #[test]
    fn the_reader_splits_a_stream_cut_anywhere() {
        let stream = [
            Frame::Started {
                suite: "base".into(),
            }
            .encode(),
            "boot noise\n".into(),
            Frame::Exit {
                suite: "base".into(),
                code: 0,
            }
            .encode(),
            Frame::Done.encode(),
        ]
        .concat()
        .replace('\n', "\r\n");
        for cut in 0..stream.len() {
            let mut r = FrameReader::default();
            let mut items = r.feed(&stream.as_bytes()[..cut]);
            items.extend(r.feed(&stream.as_bytes()[cut..]));
            assert_eq!(items.len(), 4, "cut at {cut}");
            assert_eq!(items[1], Item::Noise(b"boot noise".to_vec()));
            assert_eq!(items[3], Item::Frame(Frame::Done));
            assert!(r.rest().is_empty());
        }
    }

    #[test]
    fn a_plan_round_trips() {
        let plan = Plan {
            suites: vec![
                ("base".into(), "/llconf/suites/base".into()),
                ("fs".into(), "/llconf/suites/fs".into()),
            ],
            args: vec!["--exact".into(), "it's a test".into(), String::new()],
            env: vec![("LLCONF_TIMEOUT_SCALE".into(), "4".into())],
            setup: Some("echo c > /proc/sysrq-trigger".into()),
            modules: vec!["/llconf/modules/overlay.ko.xz".into()],
        };
        assert_eq!(Plan::decode(&plan.encode()).unwrap(), plan);
        assert!(Plan::decode("suite onlyname\n").is_err());
        assert_eq!(Plan::decode("").unwrap(), Plan::default());
    }
}
