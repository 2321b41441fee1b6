//! `trace::deny_access_fs`: a denied open(2) gives one
//! landlock_deny_access_fs event naming the right and the file (its inode
//! and its path); an allowed one none.

use llconf_harness::abi::fs;
use llconf_harness::fixture::trace::Instance;
use llconf_harness::fixture::TempTree;
use llconf_harness::requirement::Requirement;
use llconf_harness::{expect_result, Errno, Ruleset, Test, TestResult};
use std::os::unix::fs::MetadataExt;

const DENY: &str = "landlock_deny_access_fs";

fn open_file(rule: bool) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    let f = t.path("d/f");
    let ino = std::fs::metadata(&f)
        .map_err(|e| llconf_harness::fail(format!("stat d/f: {e}")))?
        .ino();
    let rs = Ruleset::fs(fs::READ_FILE)?;
    if rule {
        rs.allow_path(&t.path("d"), fs::READ_FILE)?;
    }
    let trace = Instance::new(&[DENY])?;
    rs.enforce()?;
    expect_result(
        "open(d/f, O_RDONLY)",
        std::fs::File::open(&f)
            .map(|_| ())
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0))),
        (!rule).then_some(Errno::EACCES),
    )?;
    if rule {
        return trace.none(DENY, "after an allowed open");
    }
    let e = trace.one(DENY, "after a denied open")?;
    e.expect("blockers", "read_file")?;
    e.expect("ino", &ino.to_string())?;
    let path = e.get("path").unwrap_or("");
    llconf_harness::ensure!(
        path.ends_with("/d/f"),
        "path={path} in `{}`, expected the file's path",
        e.text
    );
    Ok(())
}

pub fn tests() -> Vec<Test> {
    vec![
        Test::new("trace::deny_access_fs::open_denied::one_event", || {
            open_file(false)
        }),
        Test::new("trace::deny_access_fs::open_allowed::no_event", || {
            open_file(true)
        }),
    ]
    .into_iter()
    .map(|t| t.requires(Requirement::TraceEvent(DENY)).enforcement())
    .collect()
}
