//! `<out>/results.jsonl`: every record of every target of a VM run, in one
//! file, for tools that compare kernels. One
//! [`MergedLine`](llconf_reports::run_results::MergedLine) a line, the
//! schema `llconf report` and `llconf diff` read back.

use llconf_reports::run_results::MergedLine;
use std::io::Write;
use std::path::Path;

/// Appends the lines of one finished target.
pub fn append(file: &Path, lines: &[MergedLine]) -> std::io::Result<()> {
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    let mut buf = Vec::new();
    for line in lines {
        serde_json::to_writer(&mut buf, line)?;
        buf.push(b'\n');
    }
    // One write per target, so that a reader never sees half a target.
    out.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use llconf_reports::record::{Record, SuiteFinished};

    #[test]
    fn lines_are_appended_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("results.jsonl");
        let line = MergedLine {
            target: "k-default".into(),
            kernel: "k".into(),
            variant: "default".into(),
            suite: "base".into(),
            record: Record::SuiteFinished(SuiteFinished {
                suite: "base".into(),
                passed: 1,
                failed: 0,
                skipped: 0,
                known_failures: 0,
                duration_ms: 2.5,
            }),
        };
        append(&file, std::slice::from_ref(&line)).unwrap();
        append(&file, &[]).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            text,
            "{\"target\":\"k-default\",\"kernel\":\"k\",\"variant\":\"default\",\"suite\":\"base\",\
             \"record\":{\"type\":\"suite_finished\",\"suite\":\"base\",\"passed\":1,\"failed\":0,\
             \"skipped\":0,\"known_failures\":0,\"duration_ms\":2.5}}\n"
        );
        let back: MergedLine = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(back, line);
    }
}
