//! `trace::create_domain`, `trace::enforce_domain`, `trace::free_domain`:
//! a domain's life. create_domain names the ruleset it was made from (the
//! id of its create_ruleset event, at the version of its rule count) and
//! its parent (0 for a first layer, the outer domain's id for a nested
//! one); enforce_domain names the same domain with the flags of the
//! enforcement; free_domain fires from a kworker once the last task in the
//! domain is gone, with the denials it counted.

use crate::common::*;
use llconf_harness::abi::{fs, restrict};
use llconf_harness::fixture::trace::{Fields, Instance, Pids};
use llconf_harness::fixture::TempTree;
use llconf_harness::ruleset::verify_domain_in_effect;
use llconf_harness::{
    ensure, expect_errno, expect_ok, expect_result, fail, sys, Errno, OrFail, Ruleset, Stop, Test,
    TestResult,
};
use std::time::Duration;

/// A field of /proc/self/status (`Threads`, `NoNewPrivs`).
fn status(key: &str) -> Result<String, Stop> {
    let s = std::fs::read_to_string("/proc/self/status").or_fail("read /proc/self/status")?;
    s.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
        .map(|v| v.trim().to_string())
        .ok_or_else(|| llconf_harness::fail(format!("no {key} in /proc/self/status")))
}

/// A ruleset handling READ_FILE with one rule on `dir`.
fn one_rule_ruleset(tree: &TempTree) -> Result<Ruleset, Stop> {
    let rs = Ruleset::fs(fs::READ_FILE)?;
    rs.allow_path(&tree.path("d"), fs::READ_FILE)?;
    Ok(rs)
}

/// The enforce_domain events of domain `id`.
fn enforcements(t: &Instance, id: u64) -> Result<Vec<Fields>, Stop> {
    Ok(t.events(ENFORCE_DOMAIN)?
        .into_iter()
        .filter(|e| e.id("domain").ok() == Some(id))
        .collect())
}

/// One layer, or two: create_domain names the ruleset and the parent,
/// enforce_domain the same domain.
fn created(layers: u32) -> TestResult {
    let tree = TempTree::with(&["d/"])?;
    let t = Instance::new(&[CREATE_RULESET, CREATE_DOMAIN, ENFORCE_DOMAIN])?;
    let single = status("Threads")? == "1";
    let mut parent = 0;
    for layer in 1..=layers {
        let rs = one_rule_ruleset(&tree)?;
        let rulesets = t.events(CREATE_RULESET)?;
        let rsid = rulesets
            .last()
            .ok_or_else(|| llconf_harness::fail("no create_ruleset event"))?
            .id("ruleset")?;
        rs.enforce()?;
        let (id, e) = created_domain(&t, parent, &format!("after enforcing layer {layer}"))?;
        ensure!(
            id != 0 && id != parent,
            "domain id {id:x} of layer {layer} (parent {parent:x})"
        );
        e.expect("ruleset", &format!("{rsid:x}.1"))?;
        let en = enforcements(&t, id)?;
        ensure!(
            en.len() == 1,
            "layer {layer}: {} enforce_domain events for domain {id:x}, expected one",
            en.len()
        );
        en[0].expect("complete", "1")?;
        en[0].expect("process_wide", if single { "1" } else { "0" })?;
        en[0].expect("no_new_privs", "1")?;
        parent = id;
    }
    ensure!(
        t.events(CREATE_DOMAIN)?.len() == layers as usize,
        "{:?}: expected one create_domain per layer",
        t.lines(CREATE_DOMAIN)?
    );
    Ok(())
}

/// restrict_self with a flag no ABI defines: EINVAL, no domain, neither
/// event.
fn refused() -> TestResult {
    let tree = TempTree::with(&["d/"])?;
    let t = Instance::new(&[CREATE_DOMAIN, ENFORCE_DOMAIN])?;
    let rs = one_rule_ruleset(&tree)?;
    expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    expect_errno(
        "landlock_restrict_self(flags=1<<31)",
        sys::restrict_self(rs.fd(), 1 << 31),
        Errno::EINVAL,
    )?;
    t.none(CREATE_DOMAIN, "after a refused restrict_self")?;
    t.none(ENFORCE_DOMAIN, "after a refused restrict_self")
}

/// Enforced by root without no_new_privs (CAP_SYS_ADMIN suffices):
/// no_new_privs=0, where the same enforcement after prctl shows 1.
fn without_nnp() -> TestResult {
    let tree = TempTree::with(&["d/"])?;
    ensure!(
        status("NoNewPrivs")? == "0",
        "the test process already has no_new_privs: this case cannot run"
    );
    let t = Instance::new(&[CREATE_DOMAIN, ENFORCE_DOMAIN])?;
    let rs = one_rule_ruleset(&tree)?;
    expect_ok(
        "landlock_restrict_self as root without no_new_privs",
        sys::restrict_self(rs.fd(), 0),
    )?;
    verify_domain_in_effect()?;
    let (id, _) = created_domain(&t, 0, "after enforcing")?;
    let en = enforcements(&t, id)?;
    ensure!(en.len() == 1, "{} enforce_domain events", en.len());
    en[0].expect("complete", "1")?;
    en[0].expect("no_new_privs", "0")
}

/// A child with a second thread enforces, with TSYNC or without: with it
/// the sibling gets an event too (complete=0) and both are process_wide;
/// without it only the caller, and a process with two threads is not
/// process_wide.
fn threads(tsync: bool) -> TestResult {
    let tree = TempTree::with(&["d/"])?;
    let t = Instance::with(&[CREATE_DOMAIN, ENFORCE_DOMAIN], Pids::OwnAndChildren, &[])?;
    let rs = one_rule_ruleset(&tree)?;
    let mut child = Child::spawn(|steps| {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let sibling = std::thread::spawn(move || {
            let _ = rx.recv();
        });
        let flags = if tsync { restrict::TSYNC } else { 0 };
        let r = rs.enforce_with_flags(flags);
        steps.ready();
        steps.wait_go();
        drop(tx);
        let _ = sibling.join();
        r
    })?;
    child.wait_ready()?;
    let (id, _) = created_domain(&t, 0, "after the child enforced")?;
    let mut en = enforcements(&t, id)?;
    let pid = child.pid().as_raw();
    child.finish()?;
    if !tsync {
        ensure!(
            en.len() == 1,
            "{} enforce_domain events, expected one",
            en.len()
        );
        en[0].expect("complete", "1")?;
        return en[0].expect("process_wide", "0");
    }
    ensure!(
        en.len() == 2,
        "{} enforce_domain events, expected the sibling's and the caller's: {:?}",
        en.len(),
        en.iter().map(|e| &e.text).collect::<Vec<_>>()
    );
    // The caller commits last: its event, complete=1, concludes. Told
    // apart by the task, not by the order in the buffer: per-CPU buffers
    // merged by time stamp put the two in either order (seen once on UML).
    let Some(at) = en.iter().position(|e| e.task_pid() == Some(pid)) else {
        return Err(fail(format!(
            "no enforce_domain event from the caller (pid {pid}): {:?}",
            en.iter().map(|e| &e.task).collect::<Vec<_>>()
        )));
    };
    let caller = en.remove(at);
    caller.expect("complete", "1")?;
    caller.expect("process_wide", "1")?;
    en[0].expect("complete", "0")?;
    en[0].expect("process_wide", "1")?;
    ensure!(
        en[0].task_pid() != caller.task_pid(),
        "caller's event from {}, sibling's from {}: expected the child's pid and its thread's",
        caller.task,
        en[0].task
    );
    Ok(())
}

/// A child enforces, is denied `denials` times, and exits (or, in the
/// twin, stays): free_domain comes from a kworker, so it is traced by an
/// instance of every process filtered on the domain's id.
fn freed(denials: u32, exits: bool) -> TestResult {
    let tree = TempTree::with(&["f"])?;
    let f = tree.path("f");
    let t = Instance::with(&[CREATE_DOMAIN], Pids::OwnAndChildren, &[])?;
    let mut child = Child::spawn(|steps| {
        Ruleset::fs(fs::READ_FILE)?.enforce()?;
        for i in 0..denials {
            expect_result(
                format!("open(f) #{i}"),
                std::fs::File::open(&f)
                    .map(drop)
                    .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0))),
                Some(Errno::EACCES),
            )?;
        }
        steps.ready();
        steps.wait_go();
        Ok(())
    })?;
    child.wait_ready()?;
    let (id, _) = created_domain(&t, 0, "after the child enforced")?;
    let filter = format!("domain_id == 0x{id:x}");
    let freed = Instance::with(&[FREE_DOMAIN], Pids::All, &[(FREE_DOMAIN, &filter)])?;
    if !exits {
        freed.none_within(
            FREE_DOMAIN,
            "while the domain's task lives",
            Duration::from_secs(2),
        )?;
        return child.finish();
    }
    child.finish()?;
    let e = freed.wait_one(
        FREE_DOMAIN,
        "after the domain's last task exited",
        kernel_deadline(),
    )?;
    expect_id(&e, "domain", id)?;
    e.expect("denials", &denials.to_string())?;
    ensure!(
        e.task.starts_with("kworker/"),
        "free_domain from `{}`, expected a kworker (the free is deferred)",
        e.task
    );
    Ok(())
}

pub fn tests() -> Vec<Test> {
    use llconf_harness::twin::pair;
    let e = |t: Test| t.enforcement();
    [
        // One flag apart: a domain created, or restrict_self refused.
        pair(
            e(case(
                "create_domain::first_layer::one_event",
                CREATE_DOMAIN,
                || created(1),
            )),
            case("create_domain::refused::no_event", CREATE_DOMAIN, refused),
        ),
        pair(
            e(case(
                "enforce_domain::tsync::sibling_and_caller",
                ENFORCE_DOMAIN,
                || threads(true),
            )
            .needs("LANDLOCK_RESTRICT_SELF_TSYNC")),
            e(case(
                "enforce_domain::no_tsync::caller_only",
                ENFORCE_DOMAIN,
                || threads(false),
            )),
        ),
        // The same three denials, the task gone or alive.
        pair(
            e(case(
                "free_domain::last_task_exited::denials_3",
                FREE_DOMAIN,
                || freed(3, true),
            )),
            e(case(
                "free_domain::task_alive::no_event",
                FREE_DOMAIN,
                || freed(3, false),
            )),
        ),
    ]
    .concat()
    .into_iter()
    .chain([
        // One layer apart: parent=0 for the first layer.
        e(case(
            "create_domain::nested::parent_is_outer",
            CREATE_DOMAIN,
            || created(2),
        ))
        .twin("trace::create_domain::first_layer::one_event"),
        // The same enforcement after prctl(PR_SET_NO_NEW_PRIVS) shows 1.
        e(case(
            "enforce_domain::no_new_privs_unset::flag_0",
            ENFORCE_DOMAIN,
            without_nnp,
        ))
        .twin("trace::create_domain::first_layer::one_event"),
        // Three denials apart: denials=0 against denials=3.
        e(case(
            "free_domain::last_task_exited::no_denial",
            FREE_DOMAIN,
            || freed(0, true),
        ))
        .twin("trace::free_domain::last_task_exited::denials_3"),
    ])
    .collect()
}
