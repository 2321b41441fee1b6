//! Following a results file while a suite binary appends to it.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

/// Hands out complete lines as they are appended; a line is complete once
/// its newline is written, so a record torn by a crash is never parsed early.
pub struct JsonlTail {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
}

impl JsonlTail {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonlTail {
            path: path.into(),
            offset: 0,
            partial: Vec::new(),
        }
    }

    /// Lines completed since the last call. Reopens by path each time so that
    /// a writer that recreates the file is still followed.
    pub fn poll(&mut self) -> io::Result<Vec<String>> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if file.metadata()?.len() < self.offset {
            // Truncated or replaced: start over on the new content.
            self.offset = 0;
            self.partial.clear();
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)?;
        self.offset += buf.len() as u64;
        self.partial.extend_from_slice(&buf);

        let mut lines = Vec::new();
        while let Some(nl) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line[..nl]).trim().to_string();
            if !line.is_empty() {
                lines.push(line);
            }
        }
        Ok(lines)
    }

    /// What is left after the writer is gone: a last line without its
    /// newline, if any.
    pub fn finish(mut self) -> io::Result<(Vec<String>, Option<String>)> {
        let lines = self.poll()?;
        let rest = String::from_utf8_lossy(&self.partial).trim().to_string();
        Ok((lines, (!rest.is_empty()).then_some(rest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn hands_out_only_complete_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let mut tail = JsonlTail::new(&path);
        assert!(tail.poll().unwrap().is_empty(), "missing file is empty");

        let mut f = File::create(&path).unwrap();
        f.write_all(b"{\"a\":1}\n{\"b\":").unwrap();
        assert_eq!(tail.poll().unwrap(), ["{\"a\":1}"]);
        f.write_all(b"2}\n\n{\"c\"").unwrap();
        assert_eq!(tail.poll().unwrap(), ["{\"b\":2}"]);
        let (lines, rest) = tail.finish().unwrap();
        assert!(lines.is_empty());
        assert_eq!(rest.as_deref(), Some("{\"c\""));
    }

    #[test]
    fn follows_a_recreated_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        let mut tail = JsonlTail::new(&path);
        assert_eq!(tail.poll().unwrap(), ["one", "two"]);
        std::fs::write(&path, "3\n").unwrap();
        assert_eq!(tail.poll().unwrap(), ["3"]);
    }
}
