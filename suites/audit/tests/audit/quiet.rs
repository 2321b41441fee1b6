//! `audit::quiet` (ABI 10): a rule added with LANDLOCK_ADD_RULE_QUIET mutes
//! the records of the layer that denies, for the accesses its quiet_*
//! field names, on the objects beneath the rule. A layer can only mute
//! what it denies itself.

use crate::common::{audit_test, io_errno};
use crate::objects::path_fields;
use crate::session::Session;
use llconf_harness::abi::{add_rule, fs};
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_errno, expect_ok, sys, Errno, OrFail, Ruleset, RulesetAttr, Test, TestResult,
};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

fn add_quiet_rule(rs: &Ruleset, dir: &Path) -> TestResult {
    let d = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(dir)
        .or_fail(format!("open O_PATH {}", dir.display()))?;
    // An empty allowed_access is valid with QUIET: the rule only marks.
    expect_ok(
        format!("add_rule(PATH_BENEATH, {}, 0, QUIET)", dir.display()),
        sys::add_path_beneath(rs.fd(), 0, d.as_raw_fd(), add_rule::QUIET),
    )
}

fn read_denied(path: &Path) -> TestResult {
    expect_errno(
        format!("read {}", path.display()),
        std::fs::read(path).map_err(io_errno),
        Errno::EACCES,
    )
}

/// `handled` READ_FILE | WRITE_FILE, `quiet` as given, a quiet rule on q/
/// when `mark`; then a read in q/ and a read in loud/.
fn scenario(quiet: u64, mark: bool, expect_quiet_read: bool) -> TestResult {
    let t = TempTree::with(&["q/f", "loud/f"])?;
    let mut session = Session::open()?;
    let in_q = format!("blockers=fs.read_file {}", path_fields(&t.path("q/f"))?);
    let loud = format!("blockers=fs.read_file {}", path_fields(&t.path("loud/f"))?);
    let rs = Ruleset::new(RulesetAttr {
        handled_access_fs: fs::READ_FILE | fs::WRITE_FILE,
        quiet_access_fs: quiet,
        ..Default::default()
    })?;
    if mark {
        add_quiet_rule(&rs, &t.path("q"))?;
    }
    rs.enforce()?;
    read_denied(&t.path("q/f"))?;
    if expect_quiet_read {
        session.expect_no_access(&in_q)?;
    } else {
        session.expect_access(&in_q)?;
    }
    // The same layer still logs outside the quiet rule.
    read_denied(&t.path("loud/f"))?;
    session.expect_access(&loud).map(drop)
}

pub fn tests() -> Vec<Test> {
    // Muted against logged, one quiet rule apart; the mask that misses the
    // access is one mask bit from the muted case.
    let muted = "audit::quiet::rule_and_field_mute";
    [
        (
            "quiet::rule_and_field_mute",
            fs::READ_FILE,
            true,
            true,
            "audit::quiet::field_without_a_quiet_rule_logs",
        ),
        (
            "quiet::field_without_the_access_logs",
            fs::WRITE_FILE,
            true,
            false,
            muted,
        ),
        (
            "quiet::field_without_a_quiet_rule_logs",
            fs::READ_FILE,
            false,
            false,
            muted,
        ),
    ]
    .into_iter()
    .map(|(name, quiet, mark, muted, twin)| {
        audit_test(name, move || scenario(quiet, mark, muted))
            .needs("LANDLOCK_ADD_RULE_QUIET")
            .twin(twin)
    })
    .collect()
}
