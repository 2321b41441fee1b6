//! `audit::denial`: one denied access per kind of right gives exactly one
//! AUDIT_LANDLOCK_ACCESS record naming it, with the object's fields, and
//! the domain's AUDIT_LANDLOCK_DOMAIN allocation record follows it.
//!
//! `audit::allowed`: each denial's twin, one rule or one scope apart: the
//! same access is let through by Landlock (it succeeds, or fails for a
//! reason of its own, such as ENOTTY or ECONNREFUSED) and no record names
//! its object.

use crate::common::{abstract_server, audit_test, io_errno, signal_body};
use crate::layers::expect_exactly;
use crate::objects::path_fields;
use crate::session::Session;
use llconf_harness::abi::{fs, net, scope};
use llconf_harness::fixture::{enter_loopback_netns, TempTree};
use llconf_harness::{
    ensure, expect_errno, expect_ok, expect_result, Errno, OrFail, Ruleset, RulesetAttr, Stop,
    Test, TestResult,
};
use nix::sys::socket::{self as nsock, SockaddrIn};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

const PORT: u16 = 4242;

/// Checks the record, then that it is the only access record of its
/// domain and that the domain's allocation record arrived.
pub fn expect_single(session: &mut Session, body: &str) -> TestResult {
    let r = session.expect_access(body)?;
    ensure!(
        r.domain >= 1 << 32,
        "domain ID {:x} is below 2^32",
        r.domain
    );
    session.expect_allocated(r.domain)?;
    session.sync()?;
    let n = session.accesses_of(r.domain).len();
    ensure!(
        n == 1,
        "{n} access records for one denial; {}",
        session.describe_seen()
    );
    Ok(())
}

/// The end of a case: the denial's single record, or, for its allowed
/// twin, no access record that names `object` once the reader caught up.
pub fn finish(
    session: &mut Session,
    from: usize,
    allowed: bool,
    object: &str,
    body: &str,
) -> TestResult {
    if allowed {
        expect_exactly(session, from, &[object.to_string()], &[])
    } else {
        expect_single(session, body)
    }
}

/// EACCES for the denial; for the allowed twin `otherwise` (None: success).
fn landlock_errno(allowed: bool, otherwise: Option<Errno>) -> Option<Errno> {
    if allowed {
        otherwise
    } else {
        Some(Errno::EACCES)
    }
}

fn open_with(path: &Path, read: bool, write: bool) -> Result<std::fs::File, Errno> {
    std::fs::File::options()
        .read(read)
        .write(write)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .map_err(io_errno)
}

/// The twin allows `handled` on the file's directory.
fn open_denied(handled: u64, read: bool, write: bool, blockers: &str, allowed: bool) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    let f = t.path("d/f");
    let mut session = Session::open()?;
    let object = path_fields(&f)?;
    let body = format!("blockers={blockers} {object}");
    let rs = Ruleset::fs(handled)?;
    if allowed {
        rs.allow_path(&t.path("d"), handled)?;
    }
    rs.enforce()?;
    let from = session.seen().len();
    expect_result(
        format!("open(d/f, read={read}, write={write})"),
        open_with(&f, read, write),
        landlock_errno(allowed, None),
    )?;
    finish(&mut session, from, allowed, &object, &body)
}

/// Creation and removal are checked, and logged, on the parent directory;
/// the twin allows `handled` there.
fn dir_op_denied(
    handled: u64,
    blockers: &str,
    op: fn(&TempTree) -> Result<(), Errno>,
    allowed: bool,
) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    let mut session = Session::open()?;
    let object = path_fields(&t.path("d"))?;
    let body = format!("blockers={blockers} {object}");
    let rs = Ruleset::fs(handled)?;
    if allowed {
        rs.allow_path(&t.path("d"), handled)?;
    }
    rs.enforce()?;
    let from = session.seen().len();
    expect_result(
        format!("{blockers} in d"),
        op(&t),
        landlock_errno(allowed, None),
    )?;
    finish(&mut session, from, allowed, &object, &body)
}

/// Linking from a directory that allows REFER into one that does not: only
/// the destination denies, so one record, and EXDEV (REFER alone never
/// gives EACCES). The twin allows REFER on the destination too.
fn refer_denied(allowed: bool) -> TestResult {
    refer_one_side(allowed, "src", "dst")
}

/// The mirror: REFER on the destination only, so the source's side is
/// denied and the record names src alone (the selftests'
/// audit_layout1.refer_rename_half caught fs.c:1018, which filled the
/// allowed destination's side of the log request too, and llconf did not).
fn refer_source_denied(allowed: bool) -> TestResult {
    refer_one_side(allowed, "dst", "src")
}

/// link(src/f, dst/f) with REFER granted on `granted`; `denied` gets it
/// too when `allowed`. Denied: EXDEV and one record naming `denied`.
fn refer_one_side(allowed: bool, granted: &str, denied: &str) -> TestResult {
    let t = TempTree::with(&["src/f", "dst/"])?;
    let mut session = Session::open()?;
    let object = path_fields(&t.path(denied))?;
    let body = format!("blockers=fs.refer {object}");
    let rs = Ruleset::fs(fs::REFER)?;
    rs.allow_path(&t.path(granted), fs::REFER)?;
    if allowed {
        rs.allow_path(&t.path(denied), fs::REFER)?;
    }
    rs.enforce()?;
    let from = session.seen().len();
    expect_result(
        "link(src/f, dst/f)",
        std::fs::hard_link(t.path("src/f"), t.path("dst/f")).map_err(io_errno),
        (!allowed).then_some(Errno::EXDEV),
    )?;
    finish(&mut session, from, allowed, &object, &body)
}

/// A rename within one directory (no reparenting) takes its own path in
/// the kernel, and is logged there too: MAKE_REG denied on the directory.
/// The twin allows MAKE_REG on it.
fn rename_same_dir_denied(allowed: bool) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    let mut session = Session::open()?;
    let object = path_fields(&t.path("d"))?;
    let body = format!("blockers=fs.make_reg {object}");
    let rs = Ruleset::fs(fs::MAKE_REG)?;
    if allowed {
        rs.allow_path(&t.path("d"), fs::MAKE_REG)?;
    }
    rs.enforce()?;
    let from = session.seen().len();
    expect_result(
        "rename(d/f, d/g)",
        std::fs::rename(t.path("d/f"), t.path("d/g")).map_err(io_errno),
        landlock_errno(allowed, None),
    )?;
    finish(&mut session, from, allowed, &object, &body)
}

/// The twin allows TRUNCATE on the file's directory.
fn truncate_denied(allowed: bool) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    let f = t.path("d/f");
    let mut session = Session::open()?;
    let object = path_fields(&f)?;
    let body = format!("blockers=fs.truncate {object}");
    let rs = Ruleset::fs(fs::TRUNCATE)?;
    if allowed {
        rs.allow_path(&t.path("d"), fs::TRUNCATE)?;
    }
    rs.enforce()?;
    let from = session.seen().len();
    let c = std::ffi::CString::new(f.as_os_str().as_encoded_bytes()).or_fail("path")?;
    // SAFETY: a valid C string.
    let r = Errno::result(unsafe { libc::truncate(c.as_ptr(), 0) });
    expect_result("truncate(d/f, 0)", r, landlock_errno(allowed, None))?;
    finish(&mut session, from, allowed, &object, &body)
}

/// TCGETS on /dev/null is a device IOCTL that Landlock does not let
/// through, and is logged with the command. The twin allows IOCTL_DEV on
/// /dev/null: the command then reaches the driver, which has no terminal
/// to describe (ENOTTY).
fn ioctl_dev_denied(allowed: bool) -> TestResult {
    let null = Path::new("/dev/null");
    let mut session = Session::open()?;
    let object = path_fields(null)?;
    let body = format!(
        "blockers=fs.ioctl_dev {object} ioctlcmd=0x{:x}",
        libc::TCGETS as u16
    );
    let rs = Ruleset::fs(fs::IOCTL_DEV)?;
    if allowed {
        rs.allow_path(null, fs::IOCTL_DEV)?;
    }
    rs.enforce()?;
    let from = session.seen().len();
    let f = open_with(null, true, false).or_fail("open /dev/null")?;
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: TCGETS writes one termios.
    let r = Errno::result(unsafe { libc::ioctl(f.as_raw_fd(), libc::TCGETS, &mut t) });
    expect_result(
        "ioctl(/dev/null, TCGETS)",
        r,
        landlock_errno(allowed, Some(Errno::ENOTTY)),
    )?;
    finish(&mut session, from, allowed, &object, &body)
}

/// The twin allows RESOLVE_UNIX on the socket's directory.
fn resolve_unix_denied(allowed: bool) -> TestResult {
    let t = TempTree::with(&["d/"])?;
    let sock_path = t.path("d/s");
    let server = std::os::unix::net::UnixListener::bind(&sock_path).or_fail("bind d/s")?;
    let mut session = Session::open()?;
    let object = path_fields(&sock_path)?;
    let body = format!("blockers=fs.resolve_unix {object}");
    let rs = Ruleset::fs(fs::RESOLVE_UNIX)?;
    if allowed {
        rs.allow_path(&t.path("d"), fs::RESOLVE_UNIX)?;
    }
    rs.enforce()?;
    let from = session.seen().len();
    expect_result(
        "connect(d/s)",
        std::os::unix::net::UnixStream::connect(&sock_path).map_err(io_errno),
        landlock_errno(allowed, None),
    )?;
    drop(server);
    finish(&mut session, from, allowed, &object, &body)
}

fn inet_socket(ty: libc::c_int) -> Result<std::os::fd::OwnedFd, Stop> {
    // SAFETY: plain integers; the fd is owned on success.
    let fd = unsafe { libc::socket(libc::AF_INET, ty | libc::SOCK_CLOEXEC, 0) };
    let fd = Errno::result(fd).or_fail("socket(AF_INET)")?;
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
}

/// The twin allows `handled` on the port: a bind then succeeds, a UDP
/// connect too, and a TCP connect finds nobody listening (ECONNREFUSED).
fn net_denied(
    handled: u64,
    ty: libc::c_int,
    bind: bool,
    blockers: &str,
    allowed: bool,
) -> TestResult {
    enter_loopback_netns()?;
    let mut session = Session::open()?;
    let s = inet_socket(ty)?;
    let addr = SockaddrIn::new(127, 0, 0, 1, PORT);
    let rs = Ruleset::new(RulesetAttr {
        handled_access_net: handled,
        ..Default::default()
    })?;
    if allowed {
        rs.allow_port(PORT.into(), handled)?;
    }
    rs.enforce()?;
    let from = session.seen().len();
    // An unbound socket: only the sockaddr's fields appear.
    let (object, body) = if bind {
        expect_result(
            format!("bind(127.0.0.1:{PORT})"),
            nsock::bind(s.as_raw_fd(), &addr),
            landlock_errno(allowed, None),
        )?;
        let object = format!("saddr=127.0.0.1 src={PORT}");
        (object.clone(), format!("blockers={blockers} {object}"))
    } else {
        let refused = (ty == libc::SOCK_STREAM).then_some(Errno::ECONNREFUSED);
        expect_result(
            format!("connect(127.0.0.1:{PORT})"),
            nsock::connect(s.as_raw_fd(), &addr),
            landlock_errno(allowed, refused),
        )?;
        let object = format!("daddr=127.0.0.1 dest={PORT}");
        (object.clone(), format!("blockers={blockers} {object}"))
    };
    finish(&mut session, from, allowed, &object, &body)
}

/// The twin scopes abstract UNIX sockets instead: one scope apart, the
/// signal goes through.
fn signal_scope_denied(allowed: bool) -> TestResult {
    let peer = crate::common::sleeper()?;
    let mut session = Session::open()?;
    let body = signal_body(peer.pid())?;
    let object = format!("opid={} ", peer.pid());
    let s = if allowed {
        scope::ABSTRACT_UNIX_SOCKET
    } else {
        scope::SIGNAL
    };
    Ruleset::scoped(s)?.enforce()?;
    let from = session.seen().len();
    expect_result(
        format!("kill({}, 0)", peer.pid()),
        nix::sys::signal::kill(peer.pid(), None),
        (!allowed).then_some(Errno::EPERM),
    )?;
    finish(&mut session, from, allowed, &object, &body)
}

fn ptrace_attach(pid: nix::unistd::Pid) -> Result<(), Errno> {
    // SAFETY: a plain system call with integer arguments.
    let r = unsafe { libc::ptrace(libc::PTRACE_ATTACH, pid.as_raw(), 0, 0) };
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

/// A process outside the domain may not be traced from it; the record
/// names the tracee. PTRACE_ATTACH is audited (only PTRACE_MODE_NOAUDIT
/// checks, such as reading /proc/PID/stat, are not). The twin traces a
/// process forked after the enforcement, so inside the same domain.
fn ptrace_denied(allowed: bool) -> TestResult {
    let outside = crate::common::sleeper()?;
    let mut session = Session::open()?;
    Ruleset::fs(fs::EXECUTE)?.enforce()?;
    let from = session.seen().len();
    if allowed {
        let inside = llconf_harness::fixture::Peer::spawn(|ready| {
            ready.signal();
            // SAFETY: waits for a signal; killed when the peer drops.
            unsafe { libc::pause() };
            0
        })?;
        inside.wait_ready()?;
        let object = format!("opid={} ", inside.pid());
        expect_ok(
            format!("ptrace(PTRACE_ATTACH, {}) in the domain", inside.pid()),
            ptrace_attach(inside.pid()),
        )?;
        let _ = nix::sys::wait::waitpid(inside.pid(), None);
        // SAFETY: plain integer arguments.
        unsafe { libc::ptrace(libc::PTRACE_DETACH, inside.pid().as_raw(), 0, 0) };
        return finish(&mut session, from, true, &object, "");
    }
    let body = format!(
        "blockers=ptrace {}",
        crate::objects::task_fields(outside.pid().as_raw())?
    );
    expect_errno(
        format!("ptrace(PTRACE_ATTACH, {}) out of the domain", outside.pid()),
        ptrace_attach(outside.pid()),
        Errno::EPERM,
    )?;
    expect_single(&mut session, &body)
}

/// The peer socket is bound before the domain exists, so it is outside
/// it; the record names it by its abstract address, in hex with the
/// leading NUL. The twin scopes signals instead: the connect goes through.
fn abstract_unix_scope_denied(allowed: bool) -> TestResult {
    let (_server, addr, path) = abstract_server("audit")?;
    let mut session = Session::open()?;
    let object = format!("path={path}");
    let body = format!("blockers=scope.abstract_unix_socket {object}");
    let s = if allowed {
        scope::SIGNAL
    } else {
        scope::ABSTRACT_UNIX_SOCKET
    };
    Ruleset::scoped(s)?.enforce()?;
    let from = session.seen().len();
    expect_result(
        "connect to an abstract socket outside the domain",
        crate::common::connect_abstract(&addr)?,
        (!allowed).then_some(Errno::EPERM),
    )?;
    finish(&mut session, from, allowed, &object, &body)
}

/// An allowed access logs nothing; a denied one right after proves that
/// the reader was listening.
fn allowed_logs_nothing() -> TestResult {
    let t = TempTree::with(&["ok/f", "no/f"])?;
    let mut session = Session::open()?;
    let allowed_body = format!("blockers=fs.read_file {}", path_fields(&t.path("ok/f"))?);
    let denied_body = format!("blockers=fs.read_file {}", path_fields(&t.path("no/f"))?);
    let rs = Ruleset::fs(fs::READ_FILE)?;
    rs.allow_path(&t.path("ok"), fs::READ_FILE)?;
    rs.enforce()?;
    expect_ok("read ok/f", std::fs::read(t.path("ok/f")).map_err(io_errno))?;
    session.expect_no_access(&allowed_body)?;
    let pid = std::process::id();
    ensure!(
        !session
            .seen()
            .iter()
            .any(|r| r.is_domain() && r.field("pid") == Some(&pid.to_string())),
        "a domain record for this process arrived without any denial; {}",
        session.describe_seen()
    );
    expect_errno(
        "read no/f",
        std::fs::read(t.path("no/f")).map_err(io_errno),
        Errno::EACCES,
    )?;
    session.expect_access(&denied_body).map(drop)
}

/// One kind of denial: its name, its body (given whether this is the
/// allowed twin) and the feature it needs.
type Kind = (&'static str, fn(bool) -> TestResult, Option<&'static str>);

const KINDS: &[Kind] = &[
    (
        "fs_read_file",
        |a| open_denied(fs::READ_FILE, true, false, "fs.read_file", a),
        None,
    ),
    (
        "fs_write_file",
        |a| open_denied(fs::WRITE_FILE, false, true, "fs.write_file", a),
        None,
    ),
    (
        "fs_read_and_write_file",
        |a| {
            open_denied(
                fs::READ_FILE | fs::WRITE_FILE,
                true,
                true,
                "fs.write_file,fs.read_file",
                a,
            )
        },
        None,
    ),
    (
        "fs_make_reg",
        |a| {
            dir_op_denied(
                fs::MAKE_REG,
                "fs.make_reg",
                |t| {
                    std::fs::File::create(t.path("d/new"))
                        .map(drop)
                        .map_err(io_errno)
                },
                a,
            )
        },
        None,
    ),
    (
        "fs_remove_file",
        |a| {
            dir_op_denied(
                fs::REMOVE_FILE,
                "fs.remove_file",
                |t| std::fs::remove_file(t.path("d/f")).map_err(io_errno),
                a,
            )
        },
        None,
    ),
    ("fs_refer", refer_denied, Some("LANDLOCK_ACCESS_FS_REFER")),
    (
        "fs_refer_source_side",
        refer_source_denied,
        Some("LANDLOCK_ACCESS_FS_REFER"),
    ),
    ("fs_rename_same_dir", rename_same_dir_denied, None),
    (
        "fs_truncate",
        truncate_denied,
        Some("LANDLOCK_ACCESS_FS_TRUNCATE"),
    ),
    (
        "fs_ioctl_dev",
        ioctl_dev_denied,
        Some("LANDLOCK_ACCESS_FS_IOCTL_DEV"),
    ),
    (
        "fs_resolve_unix",
        resolve_unix_denied,
        Some("LANDLOCK_ACCESS_FS_RESOLVE_UNIX"),
    ),
    (
        "net_bind_tcp",
        |a| net_denied(net::BIND_TCP, libc::SOCK_STREAM, true, "net.bind_tcp", a),
        Some("LANDLOCK_ACCESS_NET_BIND_TCP"),
    ),
    (
        "net_connect_tcp",
        |a| {
            net_denied(
                net::CONNECT_TCP,
                libc::SOCK_STREAM,
                false,
                "net.connect_tcp",
                a,
            )
        },
        Some("LANDLOCK_ACCESS_NET_CONNECT_TCP"),
    ),
    (
        "net_bind_udp",
        |a| net_denied(net::BIND_UDP, libc::SOCK_DGRAM, true, "net.bind_udp", a),
        Some("LANDLOCK_ACCESS_NET_BIND_UDP"),
    ),
    (
        "net_connect_send_udp",
        |a| {
            net_denied(
                net::CONNECT_SEND_UDP,
                libc::SOCK_DGRAM,
                false,
                "net.connect_send_udp",
                a,
            )
        },
        Some("LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP"),
    ),
    ("ptrace", ptrace_denied, None),
    (
        "scope_signal",
        signal_scope_denied,
        Some("LANDLOCK_SCOPE_SIGNAL"),
    ),
    (
        "scope_abstract_unix_socket",
        abstract_unix_scope_denied,
        Some("LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET"),
    ),
];

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    for &(name, body, needs) in KINDS {
        // The scope twins enforce the other scope: both are of ABI 6, but
        // each case says what it uses.
        let gate = |t: Test| {
            let t = match needs {
                Some(n) => t.needs(n),
                None => t,
            };
            if name.starts_with("scope_") {
                t.needs("LANDLOCK_SCOPE_SIGNAL")
                    .needs("LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET")
            } else {
                t
            }
        };
        v.extend(llconf_harness::twin::pair(
            gate(audit_test(&format!("denial::{name}"), move || body(false))),
            gate(audit_test(&format!("allowed::{name}"), move || body(true))),
        ));
    }
    // Allowed then denied in one domain: its twin is the denied read alone.
    v.push(
        audit_test("denial::none_when_allowed", allowed_logs_nothing)
            .twin("audit::denial::fs_read_file"),
    );
    v
}
