//! `fs::ioctl_dev::*` (ABI 5): ioctl(2) on character devices opened in a
//! domain that handles IOCTL_DEV. FIOCLEX, FIONCLEX, FIONBIO and FIOASYNC
//! always pass; other commands need the right, which the fd gets at open.
//! Files that are not devices are never affected. The same checks through
//! the 32-bit ioctl(2) (`compat_syscall`), which has its own allow-list.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_eq, expect_result, skip, Errno, OrFail, Ruleset, Stop, Test, TestResult,
};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

const IO: u64 = fs::IOCTL_DEV;
const DENIED: Option<Errno> = Some(Errno::EACCES);

#[derive(Clone, Copy, PartialEq)]
enum Dev {
    Null,
    Zero,
    /// The slave side of a pseudo-terminal from /dev/ptmx.
    Pty,
}

impl Dev {
    fn name(self) -> &'static str {
        match self {
            Dev::Null => "dev_null",
            Dev::Zero => "dev_zero",
            Dev::Pty => "pty",
        }
    }
    /// What FIONREAD answers once Landlock lets it through: the memory
    /// devices have no ioctl handler (ENOTTY); a tty reports 0 bytes queued.
    fn fionread_passed(self) -> Option<Errno> {
        match self {
            Dev::Null | Dev::Zero => Some(Errno::ENOTTY),
            Dev::Pty => None,
        }
    }
}

/// Keeps the pty master open so that its slave stays usable.
struct Opened {
    path: PathBuf,
    _master: Option<OwnedFd>,
}

fn prepare(d: Dev) -> Result<Opened, Stop> {
    Ok(match d {
        Dev::Null => Opened {
            path: "/dev/null".into(),
            _master: None,
        },
        Dev::Zero => Opened {
            path: "/dev/zero".into(),
            _master: None,
        },
        Dev::Pty => {
            let (m, path) = match open_pty() {
                Err(e @ (Errno::ENOENT | Errno::ENODEV | Errno::ENXIO)) => {
                    return Err(skip(format!(
                        "no pseudo-terminals here: /dev/ptmx gives {e}"
                    )))
                }
                r => setup("open a pty through /dev/ptmx", r)?,
            };
            Opened {
                path,
                _master: Some(m),
            }
        }
    })
}

fn open_dev(p: &Path) -> Result<OwnedFd, Stop> {
    setup(
        format!("open {}", p.display()),
        open(p, libc::O_RDWR | libc::O_NOCTTY),
    )
}

fn fionread(fd: RawFd) -> Result<(), Errno> {
    let mut n = 0;
    ioctl_int(fd, libc::FIONREAD, &mut n).map(drop)
}

fn enforce(rule: Option<&str>) -> TestResult {
    let rs = Ruleset::fs(IO)?;
    if let Some(at) = rule {
        rs.allow_path(Path::new(at), IO)?;
    }
    rs.enforce()
}

fn fionread_case(d: Dev, rule: Option<&'static str>) -> TestResult {
    let o = prepare(d)?;
    enforce(rule)?;
    let fd = open_dev(&o.path)?;
    let expect = if rule.is_some() {
        d.fionread_passed()
    } else {
        DENIED
    };
    expect_result(
        format!("FIONREAD on {} (rule on {rule:?})", o.path.display()),
        fionread(fd.as_raw_fd()),
        expect,
    )
}

fn opened_before(d: Dev) -> TestResult {
    let o = prepare(d)?;
    let early = open_dev(&o.path)?;
    enforce(None)?;
    let late = open_dev(&o.path)?;
    expect_result(
        "FIONREAD on the fd opened in the domain",
        fionread(late.as_raw_fd()),
        DENIED,
    )?;
    expect_result(
        "FIONREAD on the fd opened before",
        fionread(early.as_raw_fd()),
        d.fionread_passed(),
    )
}

/// The commands that also exist as fcntl(2) operations are never denied.
fn always_allowed(d: Dev, cmd: libc::Ioctl, name: &str) -> TestResult {
    let o = prepare(d)?;
    enforce(None)?;
    let fd = open_dev(&o.path)?;
    expect_result(
        "FIONREAD (proves the denial)",
        fionread(fd.as_raw_fd()),
        DENIED,
    )?;
    let r = if cmd == libc::FIOCLEX || cmd == libc::FIONCLEX {
        ioctl_noarg(fd.as_raw_fd(), cmd)
    } else {
        let mut off = 0;
        ioctl_int(fd.as_raw_fd(), cmd, &mut off)
    };
    expect_result(format!("{name} on {}", o.path.display()), r, None)?;
    cloexec_after(fd.as_raw_fd(), name, cmd != libc::FIONCLEX)
}

/// The command did its job, not only passed the check.
fn cloexec_after(fd: RawFd, name: &str, want: bool) -> TestResult {
    // SAFETY: a plain fcntl query on an fd we own.
    let fdflags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    expect_eq(
        format!("FD_CLOEXEC after {name}"),
        fdflags & libc::FD_CLOEXEC != 0,
        want,
    )
}

fn tty_tcgets(rule: Option<&'static str>) -> TestResult {
    let o = prepare(Dev::Pty)?;
    enforce(rule)?;
    let fd = open_dev(&o.path)?;
    // SAFETY: TCGETS fills a termios we own.
    let mut tio: libc::termios = unsafe { std::mem::zeroed() };
    let r = Errno::result(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TCGETS, &mut tio) });
    expect_result(
        "TCGETS on the pty",
        r.map(drop),
        if rule.is_some() { None } else { DENIED },
    )
}

fn ptmx_master(rule: Option<&'static str>) -> TestResult {
    enforce(rule)?;
    let m = open_dev(Path::new("/dev/ptmx"))?;
    let mut n = 0;
    let r = ioctl_int(m.as_raw_fd(), libc::TIOCGPTN, &mut n);
    expect_result(
        "TIOCGPTN on /dev/ptmx opened in the domain",
        r.map(drop),
        if rule.is_some() { None } else { DENIED },
    )
}

fn rule_on_device_file() -> TestResult {
    enforce(Some("/dev/null"))?;
    let null = open_dev(Path::new("/dev/null"))?;
    let zero = open_dev(Path::new("/dev/zero"))?;
    expect_result(
        "FIONREAD on /dev/null",
        fionread(null.as_raw_fd()),
        Some(Errno::ENOTTY),
    )?;
    expect_result("FIONREAD on /dev/zero", fionread(zero.as_raw_fd()), DENIED)
}

fn earlier_layer() -> TestResult {
    enforce(Some("/dev"))?;
    let early = open_dev(Path::new("/dev/null"))?;
    enforce(None)?;
    let late = open_dev(Path::new("/dev/null"))?;
    expect_result(
        "FIONREAD on the fd opened under layer 2",
        fionread(late.as_raw_fd()),
        DENIED,
    )?;
    expect_result(
        "FIONREAD on the fd opened under layer 1",
        fionread(early.as_raw_fd()),
        Some(Errno::ENOTTY),
    )
}

/// Regular files, named pipes and pipes are not devices: FIONREAD works on
/// them with IOCTL_DEV handled and no rule.
fn non_device(kind: &'static str) -> TestResult {
    let t = TempTree::with(&["f"])?;
    let fifo = t.path("fifo");
    setup("mkfifo", mknod(&fifo, libc::S_IFIFO, 0))?;
    enforce(None)?;
    let (fd, _keep): (OwnedFd, Option<OwnedFd>) = match kind {
        "regular_file" => (setup("open f", open(&t.path("f"), libc::O_RDONLY))?, None),
        // O_RDWR so that opening a FIFO with no peer does not block.
        "named_pipe" => (setup("open fifo", open(&fifo, libc::O_RDWR))?, None),
        _ => {
            let (r, w) = nix::unistd::pipe().or_fail("pipe")?;
            (r, Some(w))
        }
    };
    let mut n = -1;
    expect_result(
        format!("FIONREAD on a {kind}"),
        ioctl_int(fd.as_raw_fd(), libc::FIONREAD, &mut n).map(drop),
        None,
    )?;
    let expect_n = if kind == "regular_file" { 1 } else { 0 };
    expect_eq("bytes reported", n, expect_n)
}

/// FS_IOC32_GETFLAGS, `_IOR('f', 1, int)` with a 32-bit int: a command
/// compat_ioctl forwards to the file, never blanket-permitted on a device.
const FS_IOC32_GETFLAGS: u32 = 0x8004_6601;

/// The compat commands, made by a 64-bit process through `int $0x80`: the
/// check has its own allow-list for them (`hook_file_ioctl_compat`).
#[derive(Clone, Copy)]
enum CompatCase {
    FionreadDenied,
    FionreadAllowed,
    FioclexAllowed,
    Getflags32Denied,
}

fn compat_ioctl(fd: RawFd, cmd: u32) -> Result<(), Errno> {
    // No argument: FIONREAD is refused or answered ENOTTY by /dev/null
    // before it writes, and FIOCLEX takes none.
    llconf_harness::compat32::syscall3(llconf_harness::compat32::NR_IOCTL, fd as u32, cmd, 0)
        .map(drop)
}

fn compat_case(c: CompatCase) -> TestResult {
    let rule = matches!(c, CompatCase::FionreadAllowed).then_some("/dev");
    enforce(rule)?;
    let fd = open_dev(Path::new("/dev/null"))?;
    let raw = fd.as_raw_fd();
    match c {
        CompatCase::FionreadDenied => expect_result(
            "32-bit FIONREAD on /dev/null",
            compat_ioctl(raw, libc::FIONREAD as u32),
            DENIED,
        ),
        CompatCase::FionreadAllowed => expect_result(
            "32-bit FIONREAD on /dev/null (rule on /dev)",
            compat_ioctl(raw, libc::FIONREAD as u32),
            Some(Errno::ENOTTY),
        ),
        CompatCase::Getflags32Denied => expect_result(
            "32-bit FS_IOC32_GETFLAGS on /dev/null",
            compat_ioctl(raw, FS_IOC32_GETFLAGS),
            DENIED,
        ),
        CompatCase::FioclexAllowed => {
            expect_result(
                "32-bit FIONREAD (proves the denial)",
                compat_ioctl(raw, libc::FIONREAD as u32),
                DENIED,
            )?;
            expect_result(
                "32-bit FIOCLEX on /dev/null",
                compat_ioctl(raw, libc::FIOCLEX as u32),
                None,
            )?;
            cloexec_after(raw, "fioclex", true)
        }
    }
}

pub fn tests() -> Vec<Test> {
    // (case, body, twin), names below fs::ioctl_dev: the twin is one rule,
    // one fd (opened before or in the domain) or one command or object
    // apart, with the opposite verdict.
    let mut v: Vec<(String, Body, String)> = Vec::new();
    for d in [Dev::Null, Dev::Zero, Dev::Pty] {
        let n = d.name();
        let denied = format!("{n}::no_rule::fionread_denied");
        let allowed = format!("{n}::rule_on_dev::fionread_allowed");
        v.push((
            denied.clone(),
            Box::new(move || fionread_case(d, None)),
            allowed.clone(),
        ));
        v.push((
            allowed,
            Box::new(move || fionread_case(d, Some("/dev"))),
            denied.clone(),
        ));
        v.push((
            format!("{n}::opened_before_domain::fionread_allowed"),
            Box::new(move || opened_before(d)),
            denied.clone(),
        ));
        for (cmd, cname) in [
            (libc::FIOCLEX, "fioclex"),
            (libc::FIONCLEX, "fionclex"),
            (libc::FIONBIO, "fionbio"),
            (libc::FIOASYNC, "fioasync"),
        ] {
            v.push((
                format!("{n}::no_rule::{cname}_allowed"),
                Box::new(move || always_allowed(d, cmd, cname)),
                denied.clone(),
            ));
        }
    }
    let null_denied = || "dev_null::no_rule::fionread_denied".to_string();
    v.push((
        "dev_null::rule_on_file::only_that_device".into(),
        Box::new(rule_on_device_file),
        null_denied(),
    ));
    v.push((
        "dev_null::opened_under_earlier_layer::keeps_right".into(),
        Box::new(earlier_layer),
        null_denied(),
    ));
    v.push((
        "pty::no_rule::tcgets_denied".into(),
        Box::new(|| tty_tcgets(None)),
        "pty::rule_on_dev::tcgets_allowed".into(),
    ));
    v.push((
        "pty::rule_on_dev::tcgets_allowed".into(),
        Box::new(|| tty_tcgets(Some("/dev"))),
        "pty::no_rule::tcgets_denied".into(),
    ));
    v.push((
        "pty::rule_on_dev_pts::tcgets_allowed".into(),
        Box::new(|| tty_tcgets(Some("/dev/pts"))),
        "pty::no_rule::tcgets_denied".into(),
    ));
    v.push((
        "ptmx::no_rule::tiocgptn_denied".into(),
        Box::new(|| ptmx_master(None)),
        "ptmx::rule_on_dev::tiocgptn_allowed".into(),
    ));
    v.push((
        "ptmx::rule_on_dev::tiocgptn_allowed".into(),
        Box::new(|| ptmx_master(Some("/dev"))),
        "ptmx::no_rule::tiocgptn_denied".into(),
    ));
    for kind in ["regular_file", "named_pipe", "pipe"] {
        // The same domain and command on a device is denied.
        v.push((
            format!("not_a_device::{kind}::fionread_allowed"),
            Box::new(move || non_device(kind)),
            null_denied(),
        ));
    }
    let compat: Vec<(&str, CompatCase, &str)> = vec![
        (
            "no_rule::fionread_denied",
            CompatCase::FionreadDenied,
            "rule_on_dev::fionread_allowed",
        ),
        (
            "rule_on_dev::fionread_allowed",
            CompatCase::FionreadAllowed,
            "no_rule::fionread_denied",
        ),
        (
            "no_rule::fioclex_allowed",
            CompatCase::FioclexAllowed,
            "no_rule::fionread_denied",
        ),
        // One command apart from FIOCLEX: compat_ioctl rewrites it to the
        // file's own FS_IOC_GETFLAGS, so it must not pass as a VFS command.
        (
            "no_rule::fs_ioc32_getflags_denied",
            CompatCase::Getflags32Denied,
            "no_rule::fioclex_allowed",
        ),
    ];
    let compat = compat.into_iter().map(|(name, case, twin)| {
        let prefix = "fs::ioctl_dev::compat_syscall::dev_null";
        Test::new(format!("{prefix}::{name}"), move || compat_case(case))
            .needs("LANDLOCK_ACCESS_FS_IOCTL_DEV")
            .requires(llconf_harness::Requirement::Compat32)
            .enforcement()
            .twin(format!("{prefix}::{twin}"))
    });
    v.into_iter()
        .map(|(name, body, twin)| {
            Test::new(format!("fs::ioctl_dev::{name}"), body)
                .needs("LANDLOCK_ACCESS_FS_IOCTL_DEV")
                .enforcement()
                .twin(format!("fs::ioctl_dev::{twin}"))
        })
        .chain(compat)
        .collect()
}
