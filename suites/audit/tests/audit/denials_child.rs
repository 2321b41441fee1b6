//! `audit::denial_child`: ptrace, signal-scope and abstract-UNIX-scope
//! denials made by a forked child that enforced its own domain. The access
//! record's domain must be the one whose allocation record names the
//! child (pid=, uid=, exe=, comm=), and the domain's deallocation, once the
//! child is gone, counts its one denial. Each has a twin one scope or one
//! target apart that is allowed and logs nothing about the target.

use crate::common::{abstract_server, audit_test, signal_body, sleeper};
use crate::layers::expect_exactly;
use crate::objects::{own_exe_comm, task_fields};
use crate::session::Session;
use llconf_harness::abi::{fs, scope};
use llconf_harness::fixture::Peer;
use llconf_harness::{
    expect_eq, expect_errno, expect_ok, fail, Errno, Ruleset, Stop, Test, TestResult,
};
use nix::sys::socket::UnixAddr;
use nix::unistd::{getuid, Pid};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Ptrace,
    Signal,
    AbstractUnix,
}

fn ptrace(req: libc::c_uint, pid: Pid) -> Result<(), Errno> {
    // SAFETY: plain integer arguments.
    let r = unsafe { libc::ptrace(req, pid.as_raw(), 0, 0) };
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

/// What the child does once forked: enforce, then the access.
fn child_body(kind: Kind, allowed: bool, target: Pid, addr: &UnixAddr) -> TestResult {
    match kind {
        Kind::Ptrace => {
            Ruleset::fs(fs::EXECUTE)?.enforce()?;
            if !allowed {
                return expect_errno(
                    format!("ptrace(PTRACE_ATTACH, {target}) out of the domain"),
                    ptrace(libc::PTRACE_ATTACH, target),
                    Errno::EPERM,
                );
            }
            // The twin: a tracee forked after enforcement is in the
            // tracer's own domain.
            let inner = Peer::spawn(|ready| {
                ready.signal();
                // SAFETY: waits for a signal; killed when the peer drops.
                unsafe { libc::pause() };
                0
            })?;
            inner.wait_ready()?;
            expect_ok(
                "ptrace(PTRACE_ATTACH) of a process in the same domain",
                ptrace(libc::PTRACE_ATTACH, inner.pid()),
            )?;
            let _ = nix::sys::wait::waitpid(inner.pid(), None);
            let _ = ptrace(libc::PTRACE_DETACH, inner.pid());
            Ok(())
        }
        Kind::Signal => {
            let s = if allowed {
                scope::ABSTRACT_UNIX_SOCKET
            } else {
                scope::SIGNAL
            };
            Ruleset::scoped(s)?.enforce()?;
            let r = nix::sys::signal::kill(target, None);
            if allowed {
                expect_ok("kill(target, 0) without the signal scope", r)
            } else {
                expect_errno("kill(target, 0) across the signal scope", r, Errno::EPERM)
            }
        }
        Kind::AbstractUnix => {
            let s = if allowed {
                scope::SIGNAL
            } else {
                scope::ABSTRACT_UNIX_SOCKET
            };
            Ruleset::scoped(s)?.enforce()?;
            let r = crate::common::connect_abstract(addr)?;
            if allowed {
                expect_ok("connect to the abstract socket without its scope", r)
            } else {
                expect_errno(
                    "connect to an abstract socket outside the domain",
                    r,
                    Errno::EPERM,
                )
            }
        }
    }
}

/// Forks the child, runs `child_body` there, and returns its pid once it
/// exited successfully.
fn run_child(kind: Kind, allowed: bool, target: Pid, addr: &UnixAddr) -> Result<Pid, Stop> {
    let child = Peer::spawn(|ready| {
        ready.signal();
        match child_body(kind, allowed, target, addr) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("child: {e:?}");
                1
            }
        }
    })?;
    child.wait_ready()?;
    let pid = child.pid();
    match child.join() {
        0 => Ok(pid),
        code => Err(fail(format!("the child failed (exit {code}); see stderr"))),
    }
}

fn case(kind: Kind, allowed: bool) -> TestResult {
    let target = sleeper()?;
    let (_server, addr, path) = abstract_server("child")?;
    let mut session = Session::open()?;
    let (object, body) = match kind {
        Kind::Ptrace => {
            let fields = task_fields(target.pid().as_raw())?;
            (
                format!("opid={} ", target.pid()),
                format!("blockers=ptrace {fields}"),
            )
        }
        Kind::Signal => (
            format!("opid={} ", target.pid()),
            signal_body(target.pid())?,
        ),
        Kind::AbstractUnix => (
            format!("path={path}"),
            format!("blockers=scope.abstract_unix_socket path={path}"),
        ),
    };
    let from = session.seen().len();
    let child = run_child(kind, allowed, target.pid(), &addr)?;
    if allowed {
        return expect_exactly(&mut session, from, &[object], &[]);
    }
    let access = session.expect_access(&body)?;
    let alloc = session.expect_allocated(access.domain)?;
    let (exe, comm) = own_exe_comm()?;
    expect_eq(
        "allocation record of the child's domain",
        alloc.rest,
        format!(
            "status=allocated mode=enforcing pid={child} uid={} exe={exe} comm={comm}",
            getuid()
        ),
    )?;
    let dealloc = session.expect_deallocated(access.domain)?;
    expect_eq(
        "deallocation record of the child's domain",
        dealloc.rest,
        "status=deallocated denials=1".to_string(),
    )?;
    expect_exactly(&mut session, from, &[object], &[body])
}

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    for (kname, kind, needs) in [
        ("ptrace", Kind::Ptrace, "LANDLOCK_ACCESS_FS_EXECUTE"),
        ("scope_signal", Kind::Signal, "LANDLOCK_SCOPE_SIGNAL"),
        (
            "scope_abstract_unix",
            Kind::AbstractUnix,
            "LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET",
        ),
    ] {
        let t = |cname: &str, allowed: bool| {
            audit_test(&format!("denial_child::{kname}::{cname}"), move || {
                case(kind, allowed)
            })
            .needs(needs)
        };
        v.extend(llconf_harness::twin::pair(
            t("denied_record_names_child_domain", false),
            t("allowed_twin_logs_nothing", true),
        ));
    }
    v
}
