//! Building blocks of the quiet tests: a layer described as data (handled
//! rights, quiet masks, rules with or without LANDLOCK_ADD_RULE_QUIET),
//! enforced in order, and the check that exactly the expected access
//! records about the touched objects arrive.

use crate::session::{Session, RECORD_WAIT};
use llconf_harness::abi::add_rule::QUIET;
use llconf_harness::{expect_ok, fail, sys, OrFail, Ruleset, RulesetAttr, TestResult};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// What a rule is attached to.
#[derive(Debug, Clone)]
pub enum On {
    Path(PathBuf),
    Port(u16),
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub on: On,
    pub access: u64,
    pub quiet: bool,
}

/// One layer. An empty `attr` handles nothing and is not enforced.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub attr: RulesetAttr,
    pub rules: Vec<Rule>,
}

fn add(rs: &Ruleset, r: &Rule) -> TestResult {
    let flags = if r.quiet { QUIET } else { 0 };
    match &r.on {
        On::Path(p) => {
            let f = std::fs::File::options()
                .read(true)
                .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
                .open(p)
                .or_fail(format!("open O_PATH {}", p.display()))?;
            expect_ok(
                format!(
                    "add_rule(PATH_BENEATH, {}, {:#x}, flags={flags:#x})",
                    p.display(),
                    r.access
                ),
                sys::add_path_beneath(rs.fd(), r.access, f.as_raw_fd(), flags),
            )
        }
        On::Port(port) => expect_ok(
            format!(
                "add_rule(NET_PORT, {port}, {:#x}, flags={flags:#x})",
                r.access
            ),
            sys::add_net_port(rs.fd(), r.access, u64::from(*port), flags),
        ),
    }
}

/// Creates, fills and enforces each layer in order (oldest first).
pub fn enforce(layers: &[Layer]) -> TestResult {
    for l in layers {
        let rs = Ruleset::new(l.attr)?;
        for r in &l.rules {
            add(&rs, r)?;
        }
        rs.enforce()?;
    }
    Ok(())
}

/// After the test's denials, from `from` on in the session: the access
/// records whose text names one of `objects` must be exactly `expected`
/// (as a multiset, any order). Waits for the expected ones, then a quiet
/// window for any extra.
pub fn expect_exactly(
    session: &mut Session,
    from: usize,
    objects: &[String],
    expected: &[String],
) -> TestResult {
    let about = |rest: &str| objects.iter().any(|o| rest.contains(o.as_str()));
    let all_in = |seen: &[crate::record::Record]| {
        expected
            .iter()
            .all(|e| seen[from..].iter().any(|r| r.is_access() && &r.rest == e))
    };
    session.wait_until(RECORD_WAIT, all_in)?;
    session.sync()?;
    let mut got: Vec<String> = session.seen()[from..]
        .iter()
        .filter(|r| r.is_access() && about(&r.rest))
        .map(|r| r.rest.clone())
        .collect();
    let mut want = expected.to_vec();
    got.sort();
    want.sort();
    if got != want {
        return Err(fail(format!(
            "access records about {objects:?}: expected {want:?}, got {got:?}; {}",
            session.describe_seen()
        )));
    }
    Ok(())
}
