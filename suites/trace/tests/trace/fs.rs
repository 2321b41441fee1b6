//! `trace::deny_access_fs`: a denied open(2) gives one
//! landlock_deny_access_fs event naming the denying domain (the id of its
//! create_domain event), the right, the file (dev:ino and its escaped
//! path), same_exec and logged; an allowed open none. `logged` is the
//! domain's audit-logging decision, which a quiet rule
//! (LANDLOCK_ADD_RULE_QUIET, ABI 10) or LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF
//! (ABI 7) turns off: the denial is still traced, with logged=0.
//!
//! `logged` does not depend on audit being on: the kernel's
//! Documentation/trace/events-landlock.rst says it "reflects the domain's
//! log policy but not the global audit_enabled toggle", and log.c computes
//! it before and apart from audit_enabled. So the same values hold on a
//! kernel booted with audit=0, and these cases are not gated on audit.

use crate::common::*;
use llconf_harness::abi::{add_rule, fs, restrict};
use llconf_harness::fixture::trace::Instance;
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_ok, expect_result, sys, Errno, OrFail, Ruleset, RulesetAttr, Test, TestResult,
};
use std::os::fd::AsRawFd;

/// How the domain is built, and what the event's `logged` must be.
struct Case {
    variant: &'static str,
    /// The case one rule, quiet bit or flag apart: no event where this one
    /// has one (or the other way), or the other `logged`.
    twin: &'static str,
    /// The file's name in directory d.
    file: &'static str,
    /// A READ_FILE rule on d (the open is allowed, no event).
    allowed: bool,
    /// A READ_DIR rule on d with LANDLOCK_ADD_RULE_QUIET, in a ruleset
    /// whose quiet_access_fs is READ_FILE (Some(false): the same rule
    /// without the flag).
    quiet_rule: Option<bool>,
    restrict_flags: u32,
    logged: &'static str,
    needs: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        variant: "open_denied::one_event",
        twin: "open_allowed::no_event",
        file: "f",
        allowed: false,
        quiet_rule: None,
        restrict_flags: 0,
        logged: "1",
        needs: &[],
    },
    Case {
        variant: "open_allowed::no_event",
        twin: "open_denied::one_event",
        file: "f",
        allowed: true,
        quiet_rule: None,
        restrict_flags: 0,
        logged: "1",
        needs: &[],
    },
    Case {
        variant: "escaped_name::octal",
        twin: "escaped_name_allowed::no_event",
        file: "a b\nc=\u{e9}",
        allowed: false,
        quiet_rule: None,
        restrict_flags: 0,
        logged: "1",
        needs: &[],
    },
    // The escaped name's open allowed by a rule: no event at all.
    Case {
        variant: "escaped_name_allowed::no_event",
        twin: "escaped_name::octal",
        file: "a b\nc=\u{e9}",
        allowed: true,
        quiet_rule: None,
        restrict_flags: 0,
        logged: "1",
        needs: &[],
    },
    Case {
        variant: "quiet_rule::logged_0",
        twin: "same_rule_not_quiet::logged_1",
        file: "f",
        allowed: false,
        quiet_rule: Some(true),
        restrict_flags: 0,
        logged: "0",
        needs: &["LANDLOCK_ADD_RULE_QUIET"],
    },
    Case {
        variant: "same_rule_not_quiet::logged_1",
        twin: "quiet_rule::logged_0",
        file: "f",
        allowed: false,
        quiet_rule: Some(false),
        restrict_flags: 0,
        logged: "1",
        needs: &["LANDLOCK_ADD_RULE_QUIET"],
    },
    Case {
        variant: "log_same_exec_off::logged_0",
        twin: "open_denied::one_event",
        file: "f",
        allowed: false,
        quiet_rule: None,
        restrict_flags: restrict::LOG_SAME_EXEC_OFF,
        logged: "0",
        needs: &["LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF"],
    },
];

fn open_file(c: &Case) -> TestResult {
    let tree = TempTree::with(&[&format!("d/{}", c.file)])?;
    let f = tree.path(&format!("d/{}", c.file));
    let rs = Ruleset::new(RulesetAttr {
        handled_access_fs: fs::READ_FILE | fs::READ_DIR,
        quiet_access_fs: if c.quiet_rule.is_some() {
            fs::READ_FILE
        } else {
            0
        },
        ..Default::default()
    })?;
    if c.allowed {
        rs.allow_path(&tree.path("d"), fs::READ_FILE)?;
    }
    if let Some(quiet) = c.quiet_rule {
        let d = std::fs::File::open(tree.path("d")).or_fail("open d")?;
        let flags = if quiet { add_rule::QUIET } else { 0 };
        expect_ok(
            format!("add_rule(PATH_BENEATH, d, READ_DIR, flags={flags:#x})"),
            sys::add_path_beneath(rs.fd(), fs::READ_DIR, d.as_raw_fd(), flags),
        )?;
    }
    let t = Instance::new(&[CREATE_DOMAIN, DENY_FS])?;
    rs.enforce_with_flags(c.restrict_flags)?;
    expect_result(
        "open(d/FILE, O_RDONLY)",
        std::fs::File::open(&f)
            .map(|_| ())
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0))),
        (!c.allowed).then_some(Errno::EACCES),
    )?;
    if c.allowed {
        return t.none(DENY_FS, "after an allowed open");
    }
    let (id, _) = created_domain(&t, 0, "after enforcing")?;
    let e = t.one(DENY_FS, "after a denied open")?;
    expect_id(&e, "domain", id)?;
    // This process entered the domain itself, without an exec since.
    e.expect("same_exec", "1")?;
    e.expect("logged", c.logged)?;
    e.expect("blockers", "read_file")?;
    let (dev, ino) = dev_ino(&f)?;
    e.expect("dev", &dev)?;
    e.expect("ino", &ino.to_string())?;
    e.expect("path", &escaped(&abs_bytes(&f)?))
}

pub fn tests() -> Vec<Test> {
    CASES
        .iter()
        .map(|c| {
            let mut t = case(
                &format!("deny_access_fs::{}", c.variant),
                DENY_FS,
                move || open_file(c),
            );
            for n in c.needs {
                t = t.needs(n);
            }
            t.enforcement()
                .twin(format!("trace::deny_access_fs::{}", c.twin))
        })
        .collect()
}
