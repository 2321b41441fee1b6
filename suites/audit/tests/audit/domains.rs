//! `audit::domain`: the AUDIT_LANDLOCK_DOMAIN records. Allocation comes with
//! the first logged denial and names the task that enforced the domain;
//! deallocation follows the domain's death with the count of denials, also
//! when a file's SIGIO owner held it and was replaced; IDs
//! are at least 2^32, increase, and nested domains go innermost first.

use crate::common::{
    audit_test, control_record, deny_signal_to, in_child, signal_body, signal_denied,
};
use crate::objects::own_exe_comm;
use crate::session::Session;
use llconf_harness::abi as uapi;
use llconf_harness::{ensure, expect_eq, expect_ok, fail, Ruleset, Stop, Test, TestResult};
use nix::unistd::{getpid, getppid, getuid};

fn allocated_names_the_task() -> TestResult {
    let target = crate::common::sleeper()?;
    let mut session = Session::open()?;
    let body = signal_body(target.pid())?;
    let (exe, comm) = own_exe_comm()?;
    deny_signal_to(target.pid())?;
    let access = session.expect_access(&body)?;
    let dom = session.expect_allocated(access.domain)?;
    expect_eq(
        "allocation record",
        dom.rest,
        format!(
            "status=allocated mode=enforcing pid={} uid={} exe={exe} comm={comm}",
            getpid(),
            getuid()
        ),
    )
}

/// The twin of the allocation: the same domain with no denial, only an
/// allowed signal (to this process, inside it), is never logged as
/// allocated. A child's denial afterwards proves the reader was listening.
fn not_allocated_without_denial() -> TestResult {
    let mut session = Session::open()?;
    let me = getpid();
    Ruleset::scoped(uapi::scope::SIGNAL)?.enforce()?;
    expect_ok(
        "kill(self, 0) inside the signal scope",
        nix::sys::signal::kill(me, None),
    )?;
    control_record(&mut session)?;
    session.sync()?;
    ensure!(
        !session
            .seen()
            .iter()
            .any(|r| r.is_domain() && r.field("pid") == Some(&*me.to_string())),
        "an allocation record names this process, whose domain denied nothing; {}",
        session.describe_seen()
    );
    Ok(())
}

/// pid= is the thread group ID even when another thread enforced.
fn allocated_pid_is_tgid() -> TestResult {
    let target = crate::common::sleeper()?;
    let mut session = Session::open()?;
    let body = signal_body(target.pid())?;
    let pid = target.pid();
    let tid = std::thread::spawn(move || -> Result<i32, Stop> {
        deny_signal_to(pid)?;
        // SAFETY: no arguments.
        Ok(unsafe { libc::gettid() })
    })
    .join()
    .map_err(|_| fail("the enforcing thread panicked"))??;
    ensure!(tid != getpid().as_raw(), "the thread has the process ID");
    let access = session.expect_access(&body)?;
    let dom = session.expect_allocated(access.domain)?;
    expect_eq(
        "pid= of the allocation",
        dom.field("pid"),
        Some(&*getpid().to_string()),
    )
}

fn deallocated_counts_denials() -> TestResult {
    let mut session = Session::open()?;
    let me = getpid();
    let body = signal_body(me)?;
    in_child(|| {
        deny_signal_to(getppid())?;
        signal_denied(getppid())?;
        signal_denied(getppid())
    })?;
    let first = session.expect_access(&body)?;
    let dealloc = session.expect_deallocated(first.domain)?;
    expect_eq(
        "deallocation record",
        dealloc.rest,
        "status=deallocated denials=3".to_string(),
    )
}

/// Who a child's file names as its SIGIO owner, one F_SETOWN after the
/// other, before the child closes it and exits. Setting an owner in
/// another process records the caller's domain in the file and takes a
/// reference on it; each later F_SETOWN must drop the one before, or the
/// domain outlives every task and file and is never deallocated.
#[derive(Clone, Copy)]
enum Owners {
    /// The parent once: the file's release drops the one reference.
    Once,
    /// The parent twice: the second call drops the first one's.
    Twice,
    /// The parent, then the child itself, which records no domain.
    ThenSelf,
}

fn set_owner(fd: std::os::fd::RawFd, to: nix::unistd::Pid) -> TestResult {
    // SAFETY: fcntl on an fd this process owns, with an integer argument.
    if unsafe { libc::fcntl(fd, libc::F_SETOWN, to.as_raw()) } == -1 {
        return Err(fail(format!(
            "fcntl(F_SETOWN, {to}): {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

fn deallocated_after_owners(owners: Owners) -> TestResult {
    use std::os::fd::AsRawFd;
    let mut session = Session::open()?;
    let body = signal_body(getpid())?;
    in_child(|| {
        deny_signal_to(getppid())?;
        let (read, _write) = nix::unistd::pipe().map_err(|e| fail(format!("pipe: {e}")))?;
        let fd = read.as_raw_fd();
        set_owner(fd, getppid())?;
        match owners {
            Owners::Once => {}
            Owners::Twice => set_owner(fd, getppid())?,
            Owners::ThenSelf => set_owner(fd, getpid())?,
        }
        Ok(())
    })?;
    let first = session.expect_access(&body)?;
    let dealloc = session.expect_deallocated(first.domain)?;
    expect_eq(
        "deallocation record of the domain once the file's owners are gone",
        dealloc.rest,
        "status=deallocated denials=1".to_string(),
    )
}

const LAYERS: usize = 4;

/// A child stacks `LAYERS` domains, each with one denial; returns their IDs
/// in creation order, read from the access records.
fn stacked_domains(session: &mut Session) -> Result<Vec<u64>, Stop> {
    let body = signal_body(getpid())?;
    in_child(|| {
        for _ in 0..LAYERS {
            Ruleset::scoped(uapi::scope::SIGNAL)?.enforce()?;
            signal_denied(getppid())?;
        }
        Ok(())
    })?;
    (0..LAYERS)
        .map(|_| session.expect_access(&body).map(|r| r.domain))
        .collect()
}

fn ids_increase() -> TestResult {
    let mut session = Session::open()?;
    let ids = stacked_domains(&mut session)?;
    for (i, id) in ids.iter().enumerate() {
        ensure!(*id >= 1 << 32, "domain {i} has ID {id:x}, below 2^32");
        session.expect_allocated(*id)?;
    }
    ensure!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "domain IDs do not strictly increase with nesting: {ids:x?}"
    );
    Ok(())
}

fn nested_deallocated_innermost_first() -> TestResult {
    let mut session = Session::open()?;
    let ids = stacked_domains(&mut session)?;
    for id in &ids {
        let r = session.expect_deallocated(*id)?;
        expect_eq(
            format!("deallocation of {id:x}"),
            r.rest,
            "status=deallocated denials=1".to_string(),
        )?;
    }
    let order: Vec<u64> = session
        .seen()
        .iter()
        .filter(|r| r.is_domain() && r.field("status") == Some("deallocated"))
        .map(|r| r.domain)
        .filter(|d| ids.contains(d))
        .collect();
    let mut innermost_first = ids.clone();
    innermost_first.reverse();
    expect_eq("deallocation order", order, innermost_first)
}

pub fn tests() -> Vec<Test> {
    const NONE: &str = "audit::domain::not_allocated_without_denial";
    const ORDER: &str = "checks the ids and the order of the records of four domains that \
        each deny: no verdict one rule apart is left to invert (a domain that denies \
        nothing is domain::not_allocated_without_denial's)";
    let [allocated, none] = llconf_harness::twin::pair(
        audit_test("domain::allocated_names_the_task", allocated_names_the_task),
        audit_test(
            "domain::not_allocated_without_denial",
            not_allocated_without_denial,
        ),
    );
    const OWNERS: [(&str, Owners); 3] = [
        ("parent_once", Owners::Once),
        ("parent_twice", Owners::Twice),
        ("parent_then_self", Owners::ThenSelf),
    ];
    let owners = OWNERS.into_iter().map(|(name, owners)| {
        audit_test(
            &format!("domain::deallocated::file_owner_{name}"),
            move || deallocated_after_owners(owners),
        )
        .twin(NONE)
    });
    vec![
        allocated,
        none,
        audit_test("domain::allocated_pid_is_tgid", allocated_pid_is_tgid).twin(NONE),
        audit_test(
            "domain::deallocated_counts_denials",
            deallocated_counts_denials,
        )
        .twin(NONE),
        audit_test("domain::ids_at_least_2_32_and_increasing", ids_increase).untwinned(ORDER),
        audit_test(
            "domain::nested_deallocated_innermost_first",
            nested_deallocated_innermost_first,
        )
        .untwinned(ORDER),
    ]
    .into_iter()
    .chain(owners)
    .map(|t| t.needs("LANDLOCK_SCOPE_SIGNAL"))
    .collect()
}
