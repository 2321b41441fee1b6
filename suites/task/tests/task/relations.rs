//! `task::signal_relation` and `task::ptrace_relation`: one actor, one
//! target, and every relation of their domains the harness builds
//! (`fixture::relation`): same domain, target in the actor's parent
//! domain, nested one or three layers deeper, sibling, cousin, an
//! unrelated domain of the same depth, and no domain at all on the
//! target's side.
//!
//! Signals (LANDLOCK_SCOPE_SIGNAL, ABI 6): the scope sits on the actor's
//! older layer, its younger one, both, or neither. kill(SIGUSR1) is
//! allowed and delivered unless one of the scoped layers is neither the
//! target's domain nor an ancestor of it; then it gives EPERM and nothing
//! is pending. The actor's unscoped layers carry the abstract-socket scope,
//! which must not touch signals, and the target's own layers the signal
//! scope, which limits what the target sends, never what it receives.
//!
//! ptrace (ABI 1): every layer counts. PTRACE_ATTACH (EPERM) and opening
//! /proc/PID/mem (PTRACE_MODE_ATTACH) or /proc/PID/environ
//! (PTRACE_MODE_READ, EACCES both) succeed only when the actor's domain is
//! the target's or an ancestor of it. A READ-mode access to another
//! process's memory map is granted to CAP_PERFMON (or CAP_SYS_ADMIN)
//! whatever the LSMs say (mm_access), so the actor drops both from its
//! effective set before it opens environ.
//!
//! signal_scope.rs and ptrace.rs cover a parent and child with a domain
//! per side; these cells add the cousin, the deep nesting and where the
//! scope sits in the actor's stack.

use llconf_harness::abi::{fs, scope};
use llconf_harness::fixture::relation::{
    self, domain_twin, scope_cells, scope_denies, scope_twin, Layer, Outcome, Placement, Relation,
    Roles,
};
use llconf_harness::{expect_eq, expect_result, skip, Errno, Ruleset, Test, TestResult};
use nix::sys::signal::{kill, SigSet, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

fn signal_name(rel: Relation, p: Placement) -> String {
    let verdict = if scope_denies(rel, p) {
        "eperm"
    } else {
        "allowed"
    };
    format!(
        "task::signal_relation::{}::{}_{verdict}",
        rel.name(),
        p.name()
    )
}

fn signal_cell(rel: Relation, p: Placement) -> TestResult {
    let depth = rel.actor_depth();
    let enforce = |layer: Layer| match layer {
        Layer::Actor { pos, .. } if !p.scopes(pos, depth) => {
            Ruleset::scoped(scope::ABSTRACT_UNIX_SOCKET)?.enforce()
        }
        _ => Ruleset::scoped(scope::SIGNAL)?.enforce(),
    };
    // The target blocks SIGUSR1: a delivered signal stays pending.
    let block = || {
        SigSet::from(Signal::SIGUSR1)
            .thread_set_mask()
            .map(|_| ())
            .map_err(|e| format!("block SIGUSR1: {e}"))
    };
    let act = |target: Pid| vec![kill(target, Signal::SIGUSR1)];
    // sigpending(2): what was sent and is still blocked; -1 if it fails.
    let pending = || {
        let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigpending fills the set it is given.
        if unsafe { libc::sigpending(set.as_mut_ptr()) } != 0 {
            return -1;
        }
        // SAFETY: initialised by sigpending above; a valid signal number.
        unsafe { libc::sigismember(set.as_ptr(), libc::SIGUSR1) }
    };
    let o = relation::run(
        rel,
        &Roles {
            enforce: &enforce,
            target_setup: &block,
            act: &act,
            target_check: &pending,
        },
    )?;
    let denied = scope_denies(rel, p);
    expect_one(&o, "kill(target, SIGUSR1)", denied.then_some(Errno::EPERM))?;
    expect_eq(
        "SIGUSR1 pending in the target (1: delivered)",
        o.check,
        i32::from(!denied),
    )
}

/// Checks the single call the actor made.
fn expect_one(o: &Outcome, what: &str, expected: Option<Errno>) -> TestResult {
    match o.acts.as_slice() {
        [r] => expect_result(what, *r, expected),
        other => Err(llconf_harness::fail(format!(
            "{what}: expected one result, got {other:?}"
        ))),
    }
}

/// How the actor reaches for the target.
#[derive(Debug, Clone, Copy)]
enum Way {
    Attach,
    ProcMem,
    ProcEnviron,
}

impl Way {
    const ALL: [Way; 3] = [Way::Attach, Way::ProcMem, Way::ProcEnviron];

    fn name(self) -> &'static str {
        match self {
            Way::Attach => "attach",
            Way::ProcMem => "proc_mem",
            Way::ProcEnviron => "proc_environ",
        }
    }

    fn call(self) -> &'static str {
        match self {
            Way::Attach => "ptrace(PTRACE_ATTACH, target)",
            Way::ProcMem => "open(/proc/<target>/mem, O_RDONLY)",
            Way::ProcEnviron => "open(/proc/<target>/environ, O_RDONLY)",
        }
    }

    fn denied_with(self) -> Errno {
        match self {
            Way::Attach => Errno::EPERM,
            Way::ProcMem | Way::ProcEnviron => Errno::EACCES,
        }
    }

    /// The actor's calls; the last is the one under test.
    fn act(self, target: Pid) -> Vec<Result<(), Errno>> {
        match self {
            Way::Attach => vec![attach(target)],
            Way::ProcMem => vec![open_proc(target, "mem")],
            Way::ProcEnviron => vec![drop_read_bypass(), open_proc(target, "environ")],
        }
    }
}

/// Clears CAP_SYS_ADMIN and CAP_PERFMON from the effective set: either
/// lets a READ-mode access through (perfmon_capable in mm_access).
fn drop_read_bypass() -> Result<(), Errno> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    const CAP_SYS_ADMIN: u32 = 21;
    const CAP_PERFMON: u32 = 38;
    let hdr = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget with a v3 header fills two data structs.
    Errno::result(unsafe { libc::syscall(libc::SYS_capget, &hdr, data.as_mut_ptr()) })?;
    for cap in [CAP_SYS_ADMIN, CAP_PERFMON] {
        data[(cap / 32) as usize].effective &= !(1 << (cap % 32));
    }
    // SAFETY: capset with a v3 header reads two data structs.
    Errno::result(unsafe { libc::syscall(libc::SYS_capset, &hdr, data.as_ptr()) }).map(drop)
}

fn attach(pid: Pid) -> Result<(), Errno> {
    // SAFETY: a plain system call with integer arguments.
    if unsafe { libc::ptrace(libc::PTRACE_ATTACH, pid.as_raw(), 0, 0) } == -1 {
        return Err(Errno::last());
    }
    // Attached: the target stops; let it go again.
    loop {
        match waitpid(pid, Some(WaitPidFlag::__WALL)) {
            Ok(WaitStatus::Stopped(..)) => break,
            Err(Errno::EINTR) => continue,
            _ => break,
        }
    }
    // SAFETY: as above.
    unsafe { libc::ptrace(libc::PTRACE_DETACH, pid.as_raw(), 0, 0) };
    Ok(())
}

fn open_proc(pid: Pid, file: &str) -> Result<(), Errno> {
    let path = format!("/proc/{pid}/{file}\0");
    // SAFETY: a NUL-terminated path.
    let fd = unsafe { libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd == -1 {
        return Err(Errno::last());
    }
    // SAFETY: fd was just opened here.
    unsafe { libc::close(fd) };
    Ok(())
}

/// Yama may forbid an attach Landlock allows. The actor is the target's
/// parent, which relational mode (1) allows; admin-only mode (2) needs
/// CAP_SYS_PTRACE, and mode 3 forbids every attach. The setting is read,
/// never changed: it belongs to the whole machine.
fn yama_allows_attach() -> Result<(), llconf_harness::Stop> {
    let path = "/proc/sys/kernel/yama/ptrace_scope";
    let Ok(v) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    match v.trim() {
        "0" | "1" => Ok(()),
        "2" if nix::unistd::geteuid().is_root() => Ok(()),
        other => Err(skip(format!(
            "Yama forbids the attach these cells need ({path} is {other}, run as uid {}); \
             the harness does not change a machine-wide setting",
            nix::unistd::geteuid()
        ))),
    }
}

fn ptrace_name(rel: Relation, way: Way) -> String {
    let verdict = if rel.actor_domain_contains_target() {
        "allowed".to_string()
    } else {
        format!("{:?}", way.denied_with()).to_lowercase()
    };
    format!(
        "task::ptrace_relation::{}::{}_{verdict}",
        rel.name(),
        way.name()
    )
}

fn ptrace_cell(rel: Relation, way: Way) -> TestResult {
    if matches!(way, Way::Attach | Way::ProcMem) {
        yama_allows_attach()?;
    }
    let enforce = |_: Layer| Ruleset::fs(fs::EXECUTE)?.enforce();
    let act = move |target: Pid| way.act(target);
    let o = relation::run(
        rel,
        &Roles {
            enforce: &enforce,
            target_setup: &|| Ok(()),
            act: &act,
            target_check: &|| 0,
        },
    )?;
    let denied = (!rel.actor_domain_contains_target()).then_some(way.denied_with());
    match (way, o.acts.as_slice()) {
        (Way::ProcEnviron, [dropped, r]) => {
            expect_result("capset(without CAP_SYS_ADMIN, CAP_PERFMON)", *dropped, None)?;
            expect_result(way.call(), *r, denied)
        }
        _ => expect_one(&o, way.call(), denied),
    }
}

pub fn tests() -> Vec<Test> {
    let signals = scope_cells().into_iter().map(|(rel, p)| {
        let (trel, tp) = scope_twin(rel, p);
        Test::new(signal_name(rel, p), move || signal_cell(rel, p))
            .needs("LANDLOCK_SCOPE_SIGNAL")
            .needs("LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET")
            .enforcement()
            .twin(signal_name(trel, tp))
    });
    let ptrace = Way::ALL.into_iter().flat_map(|way| {
        Relation::ALL.into_iter().map(move |rel| {
            Test::new(ptrace_name(rel, way), move || ptrace_cell(rel, way))
                .enforcement()
                .twin(ptrace_name(domain_twin(rel), way))
        })
    });
    signals.chain(ptrace).collect()
}
