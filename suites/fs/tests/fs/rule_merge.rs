//! `fs::rule_merge::*`: two rules for one directory, in both orders, from
//! the shared table (llconf_harness::fixture::rule_merge, which says why
//! one ruleset gives the union and layers the intersection, quiet or not).
//!
//! The directory is `d`; the narrow right is READ_FILE, the extra one
//! WRITE_FILE; MAKE_REG is handled and never granted, the witness that the
//! domain is in force. Each cell opens d/f for reading or for writing.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::rule_merge::{enforce_layer, Cell, Probe, ProbeNames, Rule, CELLS};
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_errno, expect_ok, expect_result, Errno, OrFail, RulesetAttr, Test, TestResult,
};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

const N: u64 = fs::READ_FILE;
const X: u64 = fs::WRITE_FILE;
const HANDLED: u64 = N | X | fs::MAKE_REG;
const NAMES: ProbeNames = ProbeNames {
    narrow: "read",
    extra: "write",
};

/// One layer of rules on `d`: the quiet scopes set quiet_access_fs to
/// everything handled, which a quiet rule needs.
fn layer(dir: &std::path::Path, rules: &[Rule], quiet: bool) -> TestResult {
    let attr = RulesetAttr {
        handled_access_fs: HANDLED,
        quiet_access_fs: if quiet { HANDLED } else { 0 },
        ..Default::default()
    };
    let d = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(dir)
        .or_fail(format!("open O_PATH {}", dir.display()))?;
    enforce_layer(&attr, rules, |rs, r| {
        let (access, flags) = (r.access(N, X), r.flags());
        expect_ok(
            format!("add_rule(PATH_BENEATH, d, {access:#x}, flags={flags:#x})"),
            llconf_harness::sys::add_path_beneath(rs, access, d.as_raw_fd(), flags),
        )
    })
}

fn run(c: &Cell) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    for rules in c.layers {
        layer(&t.path("d"), rules, c.quiet())?;
    }
    let f = t.path("d/f");
    let (what, r) = match c.probe {
        Probe::Narrow => ("open(d/f, O_RDONLY)", try_open(&f, libc::O_RDONLY)),
        Probe::Extra => ("open(d/f, O_WRONLY)", try_open(&f, libc::O_WRONLY)),
    };
    expect_result(format!("{what} with {:?}", c.layers), r, c.expect)?;
    expect_errno(
        "creat(d/n), MAKE_REG handled and never granted: the domain is in force",
        creat(&t.path("d/n")),
        Errno::EACCES,
    )
}

fn full(case: &str) -> String {
    format!("fs::rule_merge::{case}")
}

pub fn tests() -> Vec<Test> {
    CELLS
        .iter()
        .map(|c| {
            c.test(
                full(&c.case(NAMES)),
                full(&c.twin_case(NAMES)),
                "LANDLOCK_ACCESS_FS_READ_FILE",
                move || run(c),
            )
        })
        .collect()
}
