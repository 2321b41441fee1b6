//! `<out>/results.jsonl`: every record of every target of a VM run, in one
//! file, for tools that compare kernels.
//!
//! One JSON object per line:
//!
//! ```json
//! {"target":"debian-6.12-default","kernel":"debian-6.12","variant":"default",
//!  "suite":"base","record":{"type":"test_finished","name":"base::...",...}}
//! ```
//!
//! `record` is the suite's record exactly as the suite binary wrote it (the
//! schema of `llconf_reports::record::Record`). Targets appear in the order
//! they finished; within a target, suites in run order and records in file
//! order. A line the suite left torn (a crash) is not copied.

use crate::report::target::TargetInfo;
use llconf_reports::layout::TargetDir;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

#[derive(Serialize)]
struct Line<'a> {
    target: &'a str,
    kernel: &'a str,
    variant: &'a str,
    suite: &'a str,
    record: &'a serde_json::value::RawValue,
}

/// Appends the records of one finished target.
pub fn append(
    file: &Path,
    info: &TargetInfo,
    dir: &TargetDir,
    suites: &[String],
) -> std::io::Result<()> {
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    let mut buf = Vec::new();
    for suite in suites {
        let Ok(text) = std::fs::read_to_string(dir.results(suite)) else {
            continue;
        };
        for l in text.lines() {
            let Ok(record) = serde_json::from_str::<&serde_json::value::RawValue>(l) else {
                continue;
            };
            let line = Line {
                target: &info.id,
                kernel: &info.kernel,
                variant: &info.variant,
                suite,
                record,
            };
            serde_json::to_writer(&mut buf, &line)?;
            buf.push(b'\n');
        }
    }
    // One write per target, so that a reader never sees half a target.
    out.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::accel::Accel;

    #[test]
    fn records_are_wrapped_with_their_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("k-default");
        std::fs::create_dir_all(target.join("results")).unwrap();
        std::fs::write(
            target.join("results/base.jsonl"),
            "{\"type\":\"suite_finished\",\"suite\":\"base\"}\n{\"torn",
        )
        .unwrap();
        let info = TargetInfo {
            id: "k-default".into(),
            kernel: "k".into(),
            variant: "default".into(),
            expected_abi: None,
            landlock: true,
            append: String::new(),
            packages: Vec::new(),
            accel: Some(Accel::Tcg),
            backend: "vng",
            planned: Default::default(),
        };
        let file = dir.path().join("results.jsonl");
        append(
            &file,
            &info,
            &TargetDir::new(&target),
            &["base".into(), "fs".into()],
        )
        .unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            text,
            "{\"target\":\"k-default\",\"kernel\":\"k\",\"variant\":\"default\",\"suite\":\"base\",\
             \"record\":{\"type\":\"suite_finished\",\"suite\":\"base\"}}\n"
        );
    }
}
