//! `audit::flags`: the restrict_self logging flags (ABI 7), their
//! inheritance across fork and threads (TSYNC, ABI 8), and their rejection
//! by older kernels.

use crate::common::{audit_test, control_record, deny_signal_to, in_child, signal_body, sleeper};
use crate::session::Session;
use llconf_harness::abi::{self as uapi, restrict};
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_errno, fail, sys, Errno, OrFail, Requirement, Ruleset, Test, TestResult,
};
use nix::unistd::{getpid, getppid};
use std::ffi::CString;

/// Env var that turns the suite binary into the post-execve half of the
/// exec tests: it signals the given pid and reports the result.
pub const EXEC_KILL_ENV: &str = "LLCONF_AUDIT_EXEC_KILL";

/// Called first thing in main: the exec'd process only tries the signal.
pub fn exec_helper() {
    if let Ok(pid) = std::env::var(EXEC_KILL_ENV) {
        let pid = nix::unistd::Pid::from_raw(pid.parse().unwrap_or(-1));
        let code = match nix::sys::signal::kill(pid, None) {
            Err(Errno::EPERM) => 0,
            _ => 3,
        };
        std::process::exit(code);
    }
}

/// restrict_self(-1, flags) through the raw syscall, so that it does not
/// count as an enforced layer: it creates no domain.
fn restrict_without_domain(flags: u32) -> Result<(), Errno> {
    // SAFETY: plain integer arguments.
    Errno::result(unsafe { libc::syscall(sys::SYS_RESTRICT_SELF, -1, flags) }).map(drop)
}

/// With LOG_SAME_EXEC_OFF the denial is not logged; the twin, without
/// the flag, logs it.
fn same_exec(off: bool) -> TestResult {
    let target = sleeper()?;
    let mut session = Session::open()?;
    control_record(&mut session)?;
    let body = signal_body(target.pid())?;
    let flags = if off { restrict::LOG_SAME_EXEC_OFF } else { 0 };
    Ruleset::scoped(uapi::scope::SIGNAL)?.enforce_with_flags(flags)?;
    crate::common::signal_denied(target.pid())?;
    if off {
        session.expect_no_access(&body)
    } else {
        session.expect_access(&body).map(drop)
    }
}

/// A child enforces with `flags`, then execs this binary, which signals
/// the test process.
fn signal_after_exec(flags: u32) -> TestResult {
    let exe = CString::new("/proc/self/exe").unwrap();
    let target = getpid().to_string();
    in_child(move || {
        Ruleset::scoped(uapi::scope::SIGNAL)?.enforce_with_flags(flags)?;
        let argv = [exe.clone()];
        let env = [CString::new(format!("{EXEC_KILL_ENV}={target}")).unwrap()];
        let e = nix::unistd::execve(&exe, &argv, &env).unwrap_err();
        Err(fail(format!("execve: {e}")))
    })
}

fn new_exec_on_logs_after_exec() -> TestResult {
    let mut session = Session::open()?;
    signal_after_exec(restrict::LOG_NEW_EXEC_ON)?;
    session.expect_access(&signal_body(getpid())?).map(drop)
}

fn default_silent_after_exec() -> TestResult {
    let mut session = Session::open()?;
    control_record(&mut session)?;
    signal_after_exec(0)?;
    session.expect_no_access(&signal_body(getpid())?)
}

/// The domain enforced with LOG_SUBDOMAINS_OFF still logs; the one nested
/// in it does not. The twin, without the flag, logs both.
fn subdomains_nested(off: bool) -> TestResult {
    let t = TempTree::with(&["f"])?;
    let target = sleeper()?;
    let mut session = Session::open()?;
    let read_body = format!(
        "blockers=fs.read_file {}",
        crate::objects::path_fields(&t.path("f"))?
    );
    let flags = if off { restrict::LOG_SUBDOMAINS_OFF } else { 0 };
    Ruleset::scoped(uapi::scope::SIGNAL)?.enforce_with_flags(flags)?;
    crate::common::signal_denied(target.pid())?;
    session.expect_access(&signal_body(target.pid())?)?;
    Ruleset::fs(uapi::fs::READ_FILE)?.enforce()?;
    expect_errno(
        "read f in the nested domain",
        std::fs::read(t.path("f")).map_err(crate::common::io_errno),
        Errno::EACCES,
    )?;
    if off {
        session.expect_no_access(&read_body)
    } else {
        session.expect_access(&read_body).map(drop)
    }
}

/// LOG_SUBDOMAINS_OFF set with no domain (fd -1) is inherited by a child
/// forked afterwards. The twin sets no flag: the child's denial is logged.
/// (Its domain is the child's own: this process has none.)
fn subdomains_off_across_fork(set: bool) -> TestResult {
    let mut session = Session::open()?;
    control_record(&mut session)?;
    if set {
        expect_errno_ok(
            "restrict_self(-1, LOG_SUBDOMAINS_OFF)",
            restrict_without_domain(restrict::LOG_SUBDOMAINS_OFF),
        )?;
    }
    in_child(|| deny_signal_to(getppid()))?;
    if set {
        session.expect_no_access(&signal_body(getpid())?)
    } else {
        session.expect_access(&signal_body(getpid())?).map(drop)
    }
}

/// With TSYNC, LOG_SUBDOMAINS_OFF reaches a sibling thread, whose later
/// domain is then muted; without TSYNC (the twin) it stays on the calling
/// thread, and the sibling's denial is logged.
fn subdomains_off_threads(tsync: bool) -> TestResult {
    let target = sleeper()?;
    let mut session = Session::open()?;
    control_record(&mut session)?;
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let pid = target.pid();
    let sibling = std::thread::spawn(move || {
        go_rx.recv().map_err(|_| fail("main thread vanished"))?;
        deny_signal_to(pid)
    });
    let flags = if tsync {
        restrict::LOG_SUBDOMAINS_OFF | restrict::TSYNC
    } else {
        restrict::LOG_SUBDOMAINS_OFF
    };
    expect_errno_ok(
        &format!("restrict_self(-1, {flags:#x})"),
        restrict_without_domain(flags),
    )?;
    go_tx.send(()).or_fail("wake the sibling")?;
    sibling
        .join()
        .map_err(|_| fail("the sibling thread panicked"))??;
    if tsync {
        session.expect_no_access(&signal_body(target.pid())?)
    } else {
        session.expect_access(&signal_body(target.pid())?).map(drop)
    }
}

fn expect_errno_ok(what: &str, r: Result<(), Errno>) -> TestResult {
    llconf_harness::expect_ok(what, r)
}

fn log_flag_einval_before_7(flag: u32) -> TestResult {
    // Whatever the order of the privilege and flag checks, only the flag
    // is left to refuse.
    llconf_harness::expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    expect_errno(
        format!("restrict_self(-1, {flag:#x}) before ABI 7"),
        restrict_without_domain(flag),
        Errno::EINVAL,
    )
}

pub fn tests() -> Vec<Test> {
    use llconf_harness::twin::pair;
    let t = |name: &str, body: fn() -> TestResult| audit_test(name, body);
    let mut tests = [
        pair(
            t("flags::same_exec_off_silences", || same_exec(true)),
            t("flags::no_flag_logs_same_exec", || same_exec(false)),
        ),
        pair(
            t(
                "flags::new_exec_on_logs_after_exec",
                new_exec_on_logs_after_exec,
            ),
            t(
                "flags::default_silent_after_exec",
                default_silent_after_exec,
            ),
        ),
        pair(
            t("flags::subdomains_off_mutes_nested", || {
                subdomains_nested(true)
            }),
            t("flags::no_flag_logs_nested", || subdomains_nested(false)),
        ),
        pair(
            t("flags::subdomains_off_inherited_across_fork", || {
                subdomains_off_across_fork(true)
            }),
            t("flags::no_flag_child_logged_across_fork", || {
                subdomains_off_across_fork(false)
            }),
        ),
        pair(
            t("flags::subdomains_off_tsync_reaches_threads", || {
                subdomains_off_threads(true)
            })
            .needs("LANDLOCK_RESTRICT_SELF_TSYNC"),
            t("flags::subdomains_off_without_tsync_sibling_logged", || {
                subdomains_off_threads(false)
            }),
        ),
    ]
    .concat()
    .into_iter()
    .map(|t| t.needs("LANDLOCK_SCOPE_SIGNAL"))
    .collect::<Vec<_>>();
    // Each flag refused before ABI 7 is twinned with a case of ABI 7 that
    // has it accepted.
    for (name, flag, accepted) in [
        (
            "log_same_exec_off",
            restrict::LOG_SAME_EXEC_OFF,
            "flags::same_exec_off_silences",
        ),
        (
            "log_new_exec_on",
            restrict::LOG_NEW_EXEC_ON,
            "flags::new_exec_on_logs_after_exec",
        ),
        (
            "log_subdomains_off",
            restrict::LOG_SUBDOMAINS_OFF,
            "flags::subdomains_off_inherited_across_fork",
        ),
    ] {
        tests.push(
            Test::new(
                format!("audit::flags::before_abi_7::{name}_einval"),
                move || log_flag_einval_before_7(flag),
            )
            .requires(Requirement::AbiBelow {
                version: 7,
                what: "the restrict_self log flags being unknown",
            })
            .twin(format!("audit::{accepted}")),
        );
    }
    tests
}
