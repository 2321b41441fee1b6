//! `trace::deny_ptrace`, `trace::deny_scope_signal`,
//! `trace::deny_scope_abstract_unix_socket`: denials between two processes
//! name the denying domain and the other party: its domain (0 when it is
//! unsandboxed), its pid, and its comm or socket name, escaped. Each has a
//! twin where the same act stays inside what the domain allows, and
//! gives no event. Children's events are traced through event-fork.

use crate::common::*;
use llconf_harness::abi::{fs, scope};
use llconf_harness::fixture::trace::{Instance, Pids};
use llconf_harness::{ensure, expect_result, fail, Errno, Ruleset, Stop, Test, TestResult};
use nix::unistd::{getpid, Pid};

/// A domain with no other effect than to exist (ptrace is restricted by
/// any domain).
fn sandbox() -> TestResult {
    Ruleset::fs(fs::READ_FILE)?.enforce()
}

fn errno_of(r: libc::c_long) -> Result<(), Errno> {
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

fn ptrace_attach(pid: Pid) -> Result<(), Errno> {
    // SAFETY: a system call with integer arguments.
    errno_of(unsafe { libc::ptrace(libc::PTRACE_ATTACH, pid.as_raw(), 0, 0) })?;
    let _ = nix::sys::wait::waitpid(pid, Some(nix::sys::wait::WaitPidFlag::__WALL));
    // SAFETY: as above; lets the tracee go.
    unsafe { libc::ptrace(libc::PTRACE_DETACH, pid.as_raw(), 0, 0) };
    Ok(())
}

fn traceme() -> Result<(), Errno> {
    // SAFETY: a system call with integer arguments.
    errno_of(unsafe { libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) })
}

/// The domain that `child` created with `parent` as its parent.
fn child_domain(t: &Instance, child: Pid, parent: u64) -> Result<u64, Stop> {
    let found: Vec<u64> = domains_created_by(t, child)?
        .iter()
        .filter(|e| e.id("parent").ok() == Some(parent))
        .map(|e| e.id("domain"))
        .collect::<Result<_, _>>()?;
    ensure!(
        found.len() == 1,
        "{} create_domain events of the child with parent={parent:x}, expected one",
        found.len()
    );
    Ok(found[0])
}

/// The parent (this process), sandboxed or not, and a sandboxed child
/// that acts on it with `act` (denied, one `event`), or, with `inside`,
/// on itself or what it made (allowed, no event). Returns the instance,
/// the child's domain and the parent's (0 when unsandboxed).
fn from_sandboxed_child(
    event: &str,
    parent_sandboxed: bool,
    child_rules: fn() -> TestResult,
    act: impl FnOnce(Pid) -> TestResult,
) -> Result<(Instance, u64, u64), Stop> {
    let t = Instance::with(&[CREATE_DOMAIN, event], Pids::OwnAndChildren, &[])?;
    let parent = getpid();
    if parent_sandboxed {
        sandbox()?;
    }
    let mut child = Child::spawn(|steps| {
        child_rules()?;
        steps.ready();
        steps.wait_go();
        act(parent)
    })?;
    child.wait_ready()?;
    let outer = if parent_sandboxed {
        created_domain(&t, 0, "after the parent enforced")?.0
    } else {
        0
    };
    let inner = child_domain(&t, child.pid(), outer)?;
    child.finish()?;
    Ok((t, inner, outer))
}

fn expect_party(
    t: &Instance,
    event: &str,
    domain: u64,
    role: &str,
    other_domain: u64,
    other: Pid,
    other_comm: &[u8],
) -> TestResult {
    let e = t.one(event, "after a denial")?;
    expect_id(&e, "domain", domain)?;
    e.expect("same_exec", "1")?;
    e.expect("logged", "1")?;
    expect_id(&e, &format!("{role}_domain"), other_domain)?;
    e.expect(&format!("{role}_pid"), &other.to_string())?;
    e.expect(&format!("{role}_comm"), &escaped(other_comm))
}

/// A sandboxed child attaches to its parent (unsandboxed, or in an outer
/// domain): denied, tracee_domain the parent's.
fn attach_parent(parent_sandboxed: bool) -> TestResult {
    // Read while this process may still read /proc.
    let comm = comm_of(getpid())?;
    let (t, inner, outer) = from_sandboxed_child(DENY_PTRACE, parent_sandboxed, sandbox, |p| {
        expect_result(
            "ptrace(PTRACE_ATTACH, parent)",
            ptrace_attach(p),
            Some(Errno::EPERM),
        )
    })?;
    expect_party(&t, DENY_PTRACE, inner, "tracee", outer, getpid(), &comm)
}

/// The unsandboxed parent attaches to its sandboxed child: allowed.
fn attach_child() -> TestResult {
    let t = Instance::with(&[DENY_PTRACE], Pids::OwnAndChildren, &[])?;
    let mut child = Child::spawn(|steps| {
        sandbox()?;
        steps.ready();
        steps.wait_go();
        Ok(())
    })?;
    child.wait_ready()?;
    expect_result(
        "ptrace(PTRACE_ATTACH, child)",
        ptrace_attach(child.pid()),
        None,
    )?;
    child.finish()?;
    t.none(DENY_PTRACE, "after an allowed attach")
}

/// PTRACE_TRACEME from an unsandboxed child of a sandboxed parent: the
/// parent's domain denies; the tracer (the parent) entered it itself, and
/// the tracee is the child, unsandboxed. The twin: a sandboxed child of an
/// unsandboxed parent, allowed.
fn traceme_case(parent_sandboxed: bool) -> TestResult {
    let t = Instance::with(&[CREATE_DOMAIN, DENY_PTRACE], Pids::OwnAndChildren, &[])?;
    let mut child = Child::spawn(|steps| {
        if !parent_sandboxed {
            sandbox()?;
        }
        steps.ready();
        steps.wait_go();
        expect_result(
            "ptrace(PTRACE_TRACEME)",
            traceme(),
            parent_sandboxed.then_some(Errno::EPERM),
        )
    })?;
    child.wait_ready()?;
    if !parent_sandboxed {
        child.finish()?;
        return t.none(DENY_PTRACE, "after an allowed PTRACE_TRACEME");
    }
    // Read before the parent's domain denies reading /proc.
    let comm = comm_of(child.pid())?;
    sandbox()?;
    let (outer, _) = created_domain(&t, 0, "after the parent enforced")?;
    let pid = child.pid();
    child.finish()?;
    let e = t.one(DENY_PTRACE, "after a denied PTRACE_TRACEME")?;
    expect_id(&e, "domain", outer)?;
    e.expect("same_exec", "1")?;
    e.expect("logged", "1")?;
    e.expect("tracee_domain", "0")?;
    e.expect("tracee_pid", &pid.to_string())?;
    e.expect("tracee_comm", &escaped(&comm))
}

fn scoped_signal() -> TestResult {
    Ruleset::scoped(scope::SIGNAL)?.enforce()
}

fn kill0(pid: Pid) -> Result<(), Errno> {
    nix::sys::signal::kill(pid, None)
}

/// A child scoped for signals signals its parent (outside the scope):
/// denied, target_domain the parent's.
fn signal_parent(parent_sandboxed: bool) -> TestResult {
    let comm = comm_of(getpid())?;
    let (t, inner, outer) =
        from_sandboxed_child(DENY_SIGNAL, parent_sandboxed, scoped_signal, |p| {
            expect_result("kill(parent, 0)", kill0(p), Some(Errno::EPERM))
        })?;
    expect_party(&t, DENY_SIGNAL, inner, "target", outer, getpid(), &comm)
}

/// The same child signals itself, inside its scope: allowed.
fn signal_self() -> TestResult {
    let (t, _, _) = from_sandboxed_child(DENY_SIGNAL, false, scoped_signal, |_| {
        expect_result("kill(self, 0)", kill0(getpid()), None)
    })?;
    t.none(DENY_SIGNAL, "after a signal inside the scope")
}

/// An abstract stream socket listening on `name`.
struct Abstract {
    _fd: std::os::fd::OwnedFd,
}

fn sockaddr(name: &[u8]) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: plain data.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in a.sun_path[1..].iter_mut().zip(name) {
        *d = *s as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + 1 + name.len();
    (a, len as libc::socklen_t)
}

fn unix_socket() -> Result<std::os::fd::OwnedFd, Errno> {
    use std::os::fd::FromRawFd;
    // SAFETY: a new socket, owned below.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: just created.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

impl Abstract {
    fn listen(name: &[u8]) -> Result<Abstract, Stop> {
        use std::os::fd::AsRawFd;
        let s = unix_socket().map_err(|e| fail(format!("socket: {e}")))?;
        let (a, len) = sockaddr(name);
        // SAFETY: a valid address of `len` bytes.
        let r = unsafe { libc::bind(s.as_raw_fd(), (&a as *const libc::sockaddr_un).cast(), len) };
        if r != 0 || unsafe { libc::listen(s.as_raw_fd(), 4) } != 0 {
            return Err(fail(format!(
                "bind/listen abstract socket: {}",
                Errno::last()
            )));
        }
        Ok(Abstract { _fd: s })
    }
}

fn connect_to(name: &[u8]) -> Result<(), Errno> {
    use std::os::fd::AsRawFd;
    let s = unix_socket()?;
    let (a, len) = sockaddr(name);
    // SAFETY: a valid address of `len` bytes.
    errno_of(
        unsafe { libc::connect(s.as_raw_fd(), (&a as *const libc::sockaddr_un).cast(), len) }
            as libc::c_long,
    )
}

/// A name with a space and an `=`, which the event escapes.
fn socket_name(tag: &str) -> Vec<u8> {
    format!("llconf trace={tag}-{}", std::process::id()).into_bytes()
}

fn scoped_unix() -> TestResult {
    Ruleset::scoped(scope::ABSTRACT_UNIX_SOCKET)?.enforce()
}

/// The unsandboxed parent listens; a scoped child connects: denied,
/// peer_domain 0, peer_pid the listener's (listen(2) records it), and
/// sun_path the escaped name.
fn unix_outside() -> TestResult {
    let name = socket_name("outside");
    let _server = Abstract::listen(&name)?;
    let n = name.clone();
    let (t, inner, _) = from_sandboxed_child(DENY_UNIX, false, scoped_unix, move |_| {
        expect_result(
            "connect(abstract socket of the parent)",
            connect_to(&n),
            Some(Errno::EPERM),
        )
    })?;
    let e = t.one(DENY_UNIX, "after a denied connect")?;
    expect_id(&e, "domain", inner)?;
    e.expect("same_exec", "1")?;
    e.expect("logged", "1")?;
    e.expect("peer_domain", "0")?;
    e.expect("peer_pid", &getpid().to_string())?;
    e.expect("sun_path", &escaped(&name))
}

/// The scoped child listens itself and connects: inside its scope.
fn unix_inside() -> TestResult {
    let (t, _, _) = from_sandboxed_child(DENY_UNIX, false, scoped_unix, |_| {
        let name = socket_name("inside");
        let _server = Abstract::listen(&name)?;
        expect_result("connect(own abstract socket)", connect_to(&name), None)
    })?;
    t.none(DENY_UNIX, "after a connect inside the scope")
}

pub fn tests() -> Vec<Test> {
    let ptrace =
        |n: &str, body: fn() -> TestResult| case(&format!("deny_ptrace::{n}"), DENY_PTRACE, body);
    let signal = |n: &str, body: fn() -> TestResult| {
        case(&format!("deny_scope_signal::{n}"), DENY_SIGNAL, body).needs("LANDLOCK_SCOPE_SIGNAL")
    };
    let unix = |n: &str, body: fn() -> TestResult| {
        case(
            &format!("deny_scope_abstract_unix_socket::{n}"),
            DENY_UNIX,
            body,
        )
        .needs("LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET")
    };
    use llconf_harness::twin::pair;
    // Denied (an event) against allowed (none), one party or scope apart;
    // the denial from an outer domain's child names the same allowed twin.
    let mut v = [
        pair(
            ptrace("attach_unsandboxed_parent::one_event", || {
                attach_parent(false)
            }),
            ptrace("attach_sandboxed_child::no_event", attach_child),
        ),
        pair(
            ptrace("traceme_sandboxed_parent::one_event", || traceme_case(true)),
            ptrace("traceme_unsandboxed_parent::no_event", || {
                traceme_case(false)
            }),
        ),
        pair(
            signal("kill_unsandboxed_parent::one_event", || {
                signal_parent(false)
            }),
            signal("kill_self::no_event", signal_self),
        ),
        pair(
            unix("connect_outside::one_event", unix_outside),
            unix("connect_inside::no_event", unix_inside),
        ),
    ]
    .concat();
    v.push(
        ptrace("attach_sandboxed_parent::tracee_domain", || {
            attach_parent(true)
        })
        .twin("trace::deny_ptrace::attach_sandboxed_child::no_event"),
    );
    v.push(
        signal("kill_sandboxed_parent::target_domain", || {
            signal_parent(true)
        })
        .twin("trace::deny_scope_signal::kill_self::no_event"),
    );
    v.into_iter().map(Test::enforcement).collect()
}
