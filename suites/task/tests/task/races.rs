//! `task::tsync::race::threads_cloned_during_the_call`:
//! landlock_restrict_self with LANDLOCK_RESTRICT_SELF_TSYNC (ABI 8) while
//! other threads of the process keep cloning threads. Every thread alive
//! once the call has returned is in the new domain, including threads
//! that a sibling cloned while the call was finding and preparing the
//! siblings: the kernel must keep looking until no thread is new.
//!
//! Each iteration forks a child (a domain cannot be undone). The child
//! starts cloner threads, each cloning leaf threads: some leave at once
//! (threads come and go during the call), the others wait for the call to
//! return. The main thread sets no_new_privs on itself alone and enforces
//! a domain that allows reading a/ only, with TSYNC, while the cloners run.
//! Then every thread still there (main, cloners, waiting leaves) checks
//! that it is in the domain: a/ opens, other/ gives EACCES, and
//! no_new_privs is set (TSYNC hands it to the siblings).
//!
//! Fixed: the iteration count, the seed of each thread's jitter, and a
//! time limit after which the iterations done so far count.
//!
//! `task::tsync::race::signals_during_the_call`: the same call while one
//! thread sends SIGUSR1 to the caller without pause, next to 100 idle
//! siblings. A signal that ends the caller's wait for its siblings makes
//! the kernel cancel the works not yet started, abort and restart the
//! call: it must return 0, and every thread must be in the domain.
//!
//! `task::tsync::race::signal_swept_through_the_call`: the same, with the
//! signal from a timer of the caller's own, one shot at a time, each a
//! quarter later than the one before: the interruptions sweep the call
//! from its start, where the works not yet started are cancelled.

use crate::domains::open_dir;
use llconf_harness::abi::{fs, restrict};
use llconf_harness::fixture::race::{Bounds, Ran, Rng};
use llconf_harness::fixture::TempTree;
use llconf_harness::{fail, sys, Errno, OrFail, Ruleset, Stop, Test, TestResult};
use std::io::{Read, Write};
use std::ops::ControlFlow;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

const BOUNDS: Bounds = Bounds {
    seed: 0x6c6c_636f_6e66_0008,
    iterations: 40,
    time_limit: Duration::from_secs(20),
};
const CLONERS: u64 = 3;
/// Leaves each cloner clones at most, in one iteration.
const LEAVES: u64 = 16;
const TEST_TIMEOUT: Duration = Duration::from_secs(45);

/// Spins a little, and now and then yields, so that one CPU (UML)
/// interleaves the threads too.
fn jitter(rng: &mut Rng) {
    rng.jitter(2048, |r| r & 0x3000 == 0);
}

/// What the threads of one child share.
struct Shared {
    a: PathBuf,
    other: PathBuf,
    /// Set just before the call, and once it has returned.
    calling: AtomicBool,
    returned: Mutex<bool>,
    wake: Condvar,
    /// Leaves whose clone returned while the call was under way.
    born_during: AtomicU64,
    checked: AtomicU64,
    wrong: Mutex<Vec<String>>,
}

impl Shared {
    fn new(a: &Path, other: &Path) -> Arc<Shared> {
        Arc::new(Shared {
            a: a.to_owned(),
            other: other.to_owned(),
            calling: AtomicBool::new(false),
            returned: Mutex::new(false),
            wake: Condvar::new(),
            born_during: AtomicU64::new(0),
            checked: AtomicU64::new(0),
            wrong: Mutex::new(Vec::new()),
        })
    }

    fn has_returned(&self) -> bool {
        *self.returned.lock().unwrap()
    }

    fn wait_returned(&self) {
        let mut r = self.returned.lock().unwrap();
        while !*r {
            r = self.wake.wait(r).unwrap();
        }
    }

    /// The calling thread is in the domain: a/ allowed, other/ denied,
    /// no_new_privs set.
    fn check(&self, who: &str) {
        let a = open_dir(&self.a);
        let other = open_dir(&self.other);
        // SAFETY: a plain prctl query.
        let nnp = unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) };
        self.checked.fetch_add(1, SeqCst);
        if a.is_ok() && other == Err(Errno::EACCES) && nnp == 1 {
            return;
        }
        self.wrong.lock().unwrap().push(format!(
            "{who}: open(a/) = {a:?} (must be Ok), open(other/) = {other:?} (must be \
             EACCES), no_new_privs = {nnp} (must be 1)"
        ));
    }
}

fn leaf(s: Arc<Shared>, stays: bool, name: String) {
    let during = s.calling.load(SeqCst) && !s.has_returned();
    if during {
        s.born_during.fetch_add(1, SeqCst);
    }
    if !stays && !s.has_returned() {
        // Gone (or going) before the call ends: nothing to check.
        return;
    }
    s.wait_returned();
    s.check(&name);
}

fn cloner(s: Arc<Shared>, k: u64, seed: u64) {
    let mut rng = Rng::new(seed ^ (k + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut leaves = Vec::new();
    for j in 0..LEAVES {
        if s.has_returned() {
            break;
        }
        let stays = rng.draw().is_multiple_of(2);
        let (s2, name) = (s.clone(), format!("leaf {j} of cloner {k}"));
        match std::thread::Builder::new().spawn(move || leaf(s2, stays, name)) {
            Ok(h) => leaves.push(h),
            Err(e) => s
                .wrong
                .lock()
                .unwrap()
                .push(format!("cloner {k}: clone: {e}")),
        }
        jitter(&mut rng);
    }
    s.wait_returned();
    s.check(&format!("cloner {k}"));
    for h in leaves {
        let _ = h.join();
    }
}

/// The child's body: its report, one line.
fn child(a: &Path, other: &Path, ruleset: i32, seed: u64) -> String {
    let s = Shared::new(a, other);
    let cloners: Vec<_> = (0..CLONERS)
        .map(|k| {
            let s2 = s.clone();
            std::thread::spawn(move || cloner(s2, k, seed))
        })
        .collect();
    jitter(&mut Rng::new(seed));
    let nnp = sys::set_no_new_privs();
    s.calling.store(true, SeqCst);
    let r = sys::restrict_self(ruleset, restrict::TSYNC);
    *s.returned.lock().unwrap() = true;
    s.wake.notify_all();
    if let Err(e) = nnp.and(r) {
        s.wrong
            .lock()
            .unwrap()
            .push(format!("restrict_self(TSYNC) = {e} (must be 0)"));
    }
    s.check("the calling thread");
    for h in cloners {
        let _ = h.join();
    }
    // Counted once every leaf has started.
    report(&s, Vec::new(), s.born_during.load(SeqCst))
}

type Body = fn(&Path, &Path, i32, u64) -> String;

/// Forks, runs `body` there, and hands back its report.
fn in_child(t: &TempTree, rs: &Ruleset, seed: u64, body: Body) -> Result<String, Stop> {
    let (rx, tx): (OwnedFd, OwnedFd) = nix::unistd::pipe().or_fail("pipe")?;
    // SAFETY: the test process is single-threaded here; the child writes
    // its report and leaves with _exit.
    match unsafe { nix::unistd::fork() }.or_fail("fork")? {
        nix::unistd::ForkResult::Child => {
            drop(rx);
            let report = body(&t.path("a"), &t.path("other"), rs.fd(), seed);
            let _ = std::fs::File::from(tx).write_all(report.as_bytes());
            // SAFETY: leaves without running the parent's destructors.
            unsafe { libc::_exit(0) }
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(tx);
            let mut report = String::new();
            let read = std::fs::File::from(rx).read_to_string(&mut report);
            let status = nix::sys::wait::waitpid(child, None).or_fail("waitpid")?;
            read.or_fail("read the child's report")?;
            if !matches!(status, nix::sys::wait::WaitStatus::Exited(_, 0)) {
                return Err(fail(format!("the child ended with {status:?}: {report}")));
            }
            Ok(report)
        }
    }
}

/// Runs `body` in a child of its own for each iteration of `bounds`, on
/// a tree with a/ and other/ and a domain that may read a/ only. Each
/// child reports "ok A B"; the sums of A and B come back with the run.
fn iterate(bounds: &Bounds, body: Body) -> Result<(Ran<Stop>, u64, u64), Stop> {
    let t = TempTree::with(&["a/", "other/"])?;
    let rs = Ruleset::fs(fs::READ_DIR)?;
    rs.allow_path(&t.path("a"), fs::READ_DIR)?;
    let (mut first, mut second) = (0u64, 0u64);
    let ran = bounds.run(|i| {
        let report = match in_child(&t, &rs, bounds.seed.wrapping_add(i), body) {
            Ok(r) => r,
            Err(e) => return ControlFlow::Break(e),
        };
        let counts: Vec<u64> = report
            .strip_prefix("ok ")
            .map(|r| r.split(' ').filter_map(|n| n.parse().ok()).collect())
            .unwrap_or_default();
        if let [a, b] = counts[..] {
            first += a;
            second += b;
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(fail(format!("iteration {i}: {report}")))
        }
    });
    Ok((ran, first, second))
}

fn threads_cloned_during_the_call() -> TestResult {
    let (ran, checked, born_during) = iterate(&BOUNDS, child)?;
    println!(
        "race restrict_self(TSYNC) vs clone: {}, {CLONERS} cloners of up to {LEAVES} threads \
         each; {checked} threads checked after the call, {born_during} threads cloned while it \
         ran",
        ran.summary(&BOUNDS)
    );
    ran.stopped.map_or(Ok(()), Err)
}

/// Idle siblings of the signal race: enough that the calling thread is
/// still waiting for some of them to prepare when a signal comes.
const IDLE: u64 = 100;

/// SIGUSR1s the calling thread handled while its call was under way.
static HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_signal(_: libc::c_int) {
    HANDLED.fetch_add(1, SeqCst);
}

/// Installs `handler` for SIGUSR1, without SA_RESTART: the kernel
/// restarts an interrupted TSYNC call by itself.
fn on_sigusr1(handler: extern "C" fn(libc::c_int)) {
    // SAFETY: the handlers given only touch atomics and re-arm a timer.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
    }
}

/// `IDLE` sibling threads that wait for the call to return, then check
/// that they are in the domain.
fn idle_siblings(s: &Arc<Shared>) -> Vec<std::thread::JoinHandle<()>> {
    (0..IDLE)
        .map(|k| {
            let s2 = s.clone();
            std::thread::spawn(move || {
                s2.wait_returned();
                s2.check(&format!("idle thread {k}"));
            })
        })
        .collect()
}

/// The child's report once every thread has checked itself: "ok
/// CHECKED `second`", or what was wrong.
fn report(s: &Shared, threads: Vec<std::thread::JoinHandle<()>>, second: u64) -> String {
    for h in threads {
        let _ = h.join();
    }
    let wrong = s.wrong.lock().unwrap();
    if wrong.is_empty() {
        format!("ok {} {second}", s.checked.load(SeqCst))
    } else {
        format!(
            "{} threads not in the domain: {}",
            wrong.len(),
            wrong.join("; ")
        )
    }
}

/// The child of the signal race: idle siblings, and one more thread that
/// sends SIGUSR1 to the calling thread without pause until the call has
/// returned. A signal that comes while the caller waits for its siblings
/// to prepare ends that wait: the kernel cancels the works not yet
/// started, lets the others finish, aborts, and restarts the call
/// (ERESTARTNOINTR), which must then succeed and reach every thread.
fn signalled_child(a: &Path, other: &Path, ruleset: i32, _seed: u64) -> String {
    on_sigusr1(count_signal);
    let s = Shared::new(a, other);
    let idle = idle_siblings(&s);
    // SAFETY: the id of this thread, which outlives the signaller.
    let caller = unsafe { libc::pthread_self() };
    let s2 = s.clone();
    let signaller = std::thread::spawn(move || {
        while !s2.has_returned() {
            // SAFETY: a signal to a live thread of this process, whose
            // handler is installed.
            unsafe { libc::pthread_kill(caller, libc::SIGUSR1) };
        }
        s2.check("the signalling thread");
    });
    let nnp = sys::set_no_new_privs();
    HANDLED.store(0, SeqCst);
    s.calling.store(true, SeqCst);
    let r = sys::restrict_self(ruleset, restrict::TSYNC);
    let handled = HANDLED.load(SeqCst);
    *s.returned.lock().unwrap() = true;
    s.wake.notify_all();
    if let Err(e) = nnp.and(r) {
        s.wrong.lock().unwrap().push(format!(
            "restrict_self(TSYNC) under signals = {e} (must be 0: the kernel restarts it)"
        ));
    }
    let _ = signaller.join();
    s.check("the calling thread");
    report(&s, idle, handled)
}

fn signals_during_the_call() -> TestResult {
    let (ran, checked, handled) = iterate(&SIGNAL_BOUNDS, signalled_child)?;
    println!(
        "race restrict_self(TSYNC) vs SIGUSR1: {}, {IDLE} idle siblings; {checked} threads \
         checked after the call, {handled} signals handled by the caller during it",
        ran.summary(&SIGNAL_BOUNDS)
    );
    ran.stopped.map_or(Ok(()), Err)
}

/// The timer of the swept race, as the handler re-arms it.
static SWEEP_TIMER: AtomicU64 = AtomicU64::new(0);
/// How many times it has fired, and the sweep's first delay (ns).
static SWEEP_FIRED: AtomicU64 = AtomicU64::new(0);
static SWEEP_START: AtomicU64 = AtomicU64::new(0);
/// Steps of the sweep: each delay a quarter longer than the one before,
/// so that 64 steps from a microsecond reach past a second, longer than
/// any one attempt of the call.
const SWEEP_STEPS: u64 = 64;

fn sweep_delay_ns(k: u64) -> u64 {
    let mut d = SWEEP_START.load(SeqCst);
    for _ in 0..k {
        d += d / 4;
    }
    d
}

/// Arms the caller's one-shot timer for step `k` of the sweep.
fn arm_sweep(k: u64) {
    let d = sweep_delay_ns(k);
    let its = libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: libc::timespec {
            tv_sec: (d / 1_000_000_000) as libc::time_t,
            tv_nsec: (d % 1_000_000_000) as libc::c_long,
        },
    };
    // SAFETY: a timer this process created; async-signal-safe (a syscall).
    unsafe {
        libc::timer_settime(
            SWEEP_TIMER.load(SeqCst) as libc::timer_t,
            0,
            &its,
            std::ptr::null_mut(),
        )
    };
}

extern "C" fn sweep_signal(_: libc::c_int) {
    let k = SWEEP_FIRED.fetch_add(1, SeqCst) + 1;
    if k < SWEEP_STEPS {
        arm_sweep(k);
    }
}

/// The child of the swept race: idle siblings, and a one-shot timer that
/// signals the calling thread itself, re-armed by its handler a little
/// later each time. The call is interrupted and restarted at one point
/// after another of its course, early ones included: a signal that comes
/// while the caller is still queueing the siblings' works is pending when
/// it starts to wait, so it cancels works no sibling has started yet,
/// which a signalling thread seldom manages on one CPU (the siblings it
/// just woke run before it). Once a delay outlasts an attempt, the call
/// completes: it must return 0 and reach every thread.
fn swept_child(a: &Path, other: &Path, ruleset: i32, seed: u64) -> String {
    on_sigusr1(sweep_signal);
    let s = Shared::new(a, other);
    let idle = idle_siblings(&s);
    // SAFETY: a signal event for this very thread.
    let timer = unsafe {
        let mut ev: libc::sigevent = std::mem::zeroed();
        ev.sigev_notify = libc::SIGEV_THREAD_ID;
        ev.sigev_signo = libc::SIGUSR1;
        ev.sigev_notify_thread_id = libc::gettid();
        let mut timer: libc::timer_t = std::ptr::null_mut();
        if libc::timer_create(libc::CLOCK_MONOTONIC, &mut ev, &mut timer) != 0 {
            return format!("timer_create: {}", std::io::Error::last_os_error());
        }
        timer
    };
    SWEEP_TIMER.store(timer as u64, SeqCst);
    SWEEP_FIRED.store(0, SeqCst);
    // Each iteration starts the sweep at its own phase, from its seed.
    SWEEP_START.store(1_000 + seed % 1_000, SeqCst);
    let nnp = sys::set_no_new_privs();
    s.calling.store(true, SeqCst);
    arm_sweep(0);
    let r = sys::restrict_self(ruleset, restrict::TSYNC);
    SWEEP_FIRED.fetch_add(SWEEP_STEPS, SeqCst);
    let fired = SWEEP_FIRED.load(SeqCst) - SWEEP_STEPS;
    // SAFETY: the timer created above; no handler arms it any more.
    unsafe { libc::timer_delete(timer) };
    *s.returned.lock().unwrap() = true;
    s.wake.notify_all();
    if let Err(e) = nnp.and(r) {
        s.wrong.lock().unwrap().push(format!(
            "restrict_self(TSYNC) under a swept signal = {e} (must be 0: the kernel \
             restarts it)"
        ));
    }
    s.check("the calling thread");
    report(&s, idle, fired)
}

fn signal_swept_through_the_call() -> TestResult {
    let (ran, checked, fired) = iterate(&SIGNAL_BOUNDS, swept_child)?;
    println!(
        "race restrict_self(TSYNC) vs a swept timer signal: {}, {IDLE} idle siblings; \
         {checked} threads checked after the call, {fired} signals to the caller",
        ran.summary(&SIGNAL_BOUNDS)
    );
    ran.stopped.map_or(Ok(()), Err)
}

const SIGNAL_BOUNDS: Bounds = Bounds {
    seed: 0x6c6c_636f_6e66_0018,
    iterations: 10,
    time_limit: Duration::from_secs(20),
};

pub fn tests() -> Vec<Test> {
    vec![
        Test::new(
            "task::tsync::race::threads_cloned_during_the_call",
            threads_cloned_during_the_call,
        )
        .needs("LANDLOCK_RESTRICT_SELF_TSYNC")
        .enforcement()
        .timeout(TEST_TIMEOUT)
        // One flag apart: without TSYNC a sibling thread stays unrestricted.
        .twin("task::tsync::sibling_thread_without_flag::unrestricted"),
        Test::new(
            "task::tsync::race::signal_swept_through_the_call",
            signal_swept_through_the_call,
        )
        .needs("LANDLOCK_RESTRICT_SELF_TSYNC")
        .enforcement()
        .timeout(TEST_TIMEOUT)
        .twin("task::tsync::sibling_thread_without_flag::unrestricted"),
        Test::new(
            "task::tsync::race::signals_during_the_call",
            signals_during_the_call,
        )
        .needs("LANDLOCK_RESTRICT_SELF_TSYNC")
        .enforcement()
        .timeout(TEST_TIMEOUT)
        .twin("task::tsync::sibling_thread_without_flag::unrestricted"),
    ]
}
