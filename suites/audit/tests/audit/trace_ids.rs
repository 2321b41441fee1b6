//! `audit::trace_id`: the audit record and the trace event of one denial
//! name the same domain (both print the hierarchy's id), and a denial that
//! a quiet rule mutes in audit is still traced, with logged=0. Gated on
//! the trace events as well as on audit.

use crate::common::{audit_test, io_errno, signal_body, signal_denied, sleeper};
use crate::layers::{enforce, expect_exactly, Layer, On, Rule};
use crate::objects::path_fields;
use crate::session::Session;
use llconf_harness::abi::{fs, scope};
use llconf_harness::fixture::trace::Instance;
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_eq, expect_errno, Errno, Requirement, RulesetAttr, Test, TestResult};

const DENY_FS: &str = "landlock_deny_access_fs";
const DENY_SIGNAL: &str = "landlock_deny_scope_signal";

/// A read denied by one layer; with `quiet`, a quiet rule on the file's
/// directory and READ_FILE in the quiet mask.
fn fs_read(quiet: bool) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    let f = t.path("d/f");
    let mut session = Session::open()?;
    let object = path_fields(&f)?;
    let body = format!("blockers=fs.read_file {object}");
    let rules = if quiet {
        vec![Rule {
            on: On::Path(t.path("d")),
            access: 0,
            quiet: true,
        }]
    } else {
        vec![]
    };
    let layer = Layer {
        attr: RulesetAttr {
            handled_access_fs: fs::READ_FILE,
            quiet_access_fs: if quiet { fs::READ_FILE } else { 0 },
            ..Default::default()
        },
        rules,
    };
    let trace = Instance::new(&[DENY_FS])?;
    enforce(&[layer])?;
    let from = session.seen().len();
    expect_errno(
        "read d/f",
        std::fs::read(&f).map_err(io_errno),
        Errno::EACCES,
    )?;
    let event = trace.one(DENY_FS, "after the denied read")?;
    if quiet {
        event.expect("logged", "0")?;
        return expect_exactly(&mut session, from, &[object], &[]);
    }
    event.expect("logged", "1")?;
    let record = session.expect_access(&body)?;
    expect_eq(
        "the trace event's domain= against the audit record's domain=",
        event.id("domain")?,
        record.domain,
    )
}

/// A signal denied by one scoping layer; with `quiet`, SIGNAL in the
/// layer's quiet_scoped (no rule needed): no record, the event logged=0.
fn signal(quiet: bool) -> TestResult {
    let target = sleeper()?;
    let mut session = Session::open()?;
    let body = signal_body(target.pid())?;
    let trace = Instance::new(&[DENY_SIGNAL])?;
    enforce(&[Layer {
        attr: RulesetAttr {
            scoped: scope::SIGNAL,
            quiet_scoped: if quiet { scope::SIGNAL } else { 0 },
            ..Default::default()
        },
        rules: vec![],
    }])?;
    let from = session.seen().len();
    signal_denied(target.pid())?;
    let event = trace.one(DENY_SIGNAL, "after the denied signal")?;
    if quiet {
        event.expect("logged", "0")?;
        let object = format!("opid={} ", target.pid());
        return expect_exactly(&mut session, from, &[object], &[]);
    }
    event.expect("logged", "1")?;
    let record = session.expect_access(&body)?;
    expect_eq(
        "the trace event's domain= against the audit record's domain=",
        event.id("domain")?,
        record.domain,
    )
}

pub fn tests() -> Vec<Test> {
    use llconf_harness::twin::pair;
    [
        pair(
            audit_test("trace_id::fs_read::record_domain_is_event_domain", || {
                fs_read(false)
            })
            .requires(Requirement::TraceEvent(DENY_FS)),
            audit_test(
                "trace_id::fs_read::quiet_muted_record_event_logged_0",
                || fs_read(true),
            )
            .requires(Requirement::TraceEvent(DENY_FS))
            .needs("LANDLOCK_ADD_RULE_QUIET"),
        ),
        pair(
            audit_test(
                "trace_id::scope_signal::record_domain_is_event_domain",
                || signal(false),
            )
            .requires(Requirement::TraceEvent(DENY_SIGNAL))
            .needs("LANDLOCK_SCOPE_SIGNAL"),
            audit_test(
                "trace_id::scope_signal::quiet_muted_record_event_logged_0",
                || signal(true),
            )
            .requires(Requirement::TraceEvent(DENY_SIGNAL))
            .needs("LANDLOCK_SCOPE_SIGNAL")
            .needs("LANDLOCK_ADD_RULE_QUIET"),
        ),
    ]
    .concat()
}
