//! `audit::denial`: one denied access per kind of right gives exactly one
//! AUDIT_LANDLOCK_ACCESS record naming it, with the object's fields, and
//! the domain's AUDIT_LANDLOCK_DOMAIN allocation record follows it.

use crate::common::{abstract_server, audit_test, deny_signal_to, io_errno, signal_body};
use crate::objects::path_fields;
use crate::session::Session;
use llconf_harness::abi::{fs, net, scope};
use llconf_harness::fixture::{enter_loopback_netns, TempTree};
use llconf_harness::{
    ensure, expect_errno, expect_ok, Errno, OrFail, Ruleset, RulesetAttr, Stop, Test, TestResult,
};
use nix::sys::socket::{self as nsock, SockaddrIn};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

const PORT: u16 = 4242;

/// Checks the record, then that it is the only access record of its
/// domain and that the domain's allocation record arrived.
fn expect_single(session: &mut Session, body: &str) -> TestResult {
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

fn open_with(path: &Path, read: bool, write: bool) -> Result<std::fs::File, Errno> {
    std::fs::File::options()
        .read(read)
        .write(write)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .map_err(io_errno)
}

fn open_denied(handled: u64, read: bool, write: bool, blockers: &str) -> TestResult {
    let t = TempTree::with(&["f"])?;
    let f = t.path("f");
    let mut session = Session::open()?;
    let body = format!("blockers={blockers} {}", path_fields(&f)?);
    Ruleset::fs(handled)?.enforce()?;
    expect_errno(
        format!("open(f, read={read}, write={write})"),
        open_with(&f, read, write),
        Errno::EACCES,
    )?;
    expect_single(&mut session, &body)
}

/// Creation and removal are checked, and logged, on the parent directory.
fn dir_op_denied(
    handled: u64,
    blockers: &str,
    op: fn(&TempTree) -> Result<(), Errno>,
) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    let mut session = Session::open()?;
    let body = format!("blockers={blockers} {}", path_fields(&t.path("d"))?);
    Ruleset::fs(handled)?.enforce()?;
    expect_errno(format!("{blockers} in d"), op(&t), Errno::EACCES)?;
    expect_single(&mut session, &body)
}

/// Linking from a directory that allows REFER into one that does not: only
/// the destination denies, so one record, and EXDEV (REFER alone never
/// gives EACCES).
fn refer_denied() -> TestResult {
    let t = TempTree::with(&["src/f", "dst/"])?;
    let mut session = Session::open()?;
    let body = format!("blockers=fs.refer {}", path_fields(&t.path("dst"))?);
    let rs = Ruleset::fs(fs::REFER)?;
    rs.allow_path(&t.path("src"), fs::REFER)?;
    rs.enforce()?;
    expect_errno(
        "link(src/f, dst/f)",
        std::fs::hard_link(t.path("src/f"), t.path("dst/f")).map_err(io_errno),
        Errno::EXDEV,
    )?;
    expect_single(&mut session, &body)
}

/// A rename within one directory (no reparenting) takes its own path in
/// the kernel, and is logged there too: MAKE_REG denied on the directory.
fn rename_same_dir_denied() -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    let mut session = Session::open()?;
    let body = format!("blockers=fs.make_reg {}", path_fields(&t.path("d"))?);
    Ruleset::fs(fs::MAKE_REG)?.enforce()?;
    expect_errno(
        "rename(d/f, d/g)",
        std::fs::rename(t.path("d/f"), t.path("d/g")).map_err(io_errno),
        Errno::EACCES,
    )?;
    expect_single(&mut session, &body)
}

fn truncate_denied() -> TestResult {
    let t = TempTree::with(&["f"])?;
    let f = t.path("f");
    let mut session = Session::open()?;
    let body = format!("blockers=fs.truncate {}", path_fields(&f)?);
    Ruleset::fs(fs::TRUNCATE)?.enforce()?;
    let c = std::ffi::CString::new(f.as_os_str().as_encoded_bytes()).or_fail("path")?;
    // SAFETY: a valid C string.
    let r = Errno::result(unsafe { libc::truncate(c.as_ptr(), 0) });
    expect_errno("truncate(f, 0)", r, Errno::EACCES)?;
    expect_single(&mut session, &body)
}

/// TCGETS on /dev/null is a device IOCTL that Landlock does not let
/// through, and is logged with the command.
fn ioctl_dev_denied() -> TestResult {
    let null = Path::new("/dev/null");
    let mut session = Session::open()?;
    let body = format!(
        "blockers=fs.ioctl_dev {} ioctlcmd=0x{:x}",
        path_fields(null)?,
        libc::TCGETS as u16
    );
    Ruleset::fs(fs::IOCTL_DEV)?.enforce()?;
    let f = open_with(null, true, false).or_fail("open /dev/null")?;
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: TCGETS writes one termios.
    let r = Errno::result(unsafe { libc::ioctl(f.as_raw_fd(), libc::TCGETS, &mut t) });
    expect_errno("ioctl(/dev/null, TCGETS)", r, Errno::EACCES)?;
    expect_single(&mut session, &body)
}

fn resolve_unix_denied() -> TestResult {
    let t = TempTree::with(&["d/"])?;
    let sock_path = t.path("d/s");
    let server = std::os::unix::net::UnixListener::bind(&sock_path).or_fail("bind d/s")?;
    let mut session = Session::open()?;
    let body = format!("blockers=fs.resolve_unix {}", path_fields(&sock_path)?);
    Ruleset::fs(fs::RESOLVE_UNIX)?.enforce()?;
    expect_errno(
        "connect(d/s)",
        std::os::unix::net::UnixStream::connect(&sock_path).map_err(io_errno),
        Errno::EACCES,
    )?;
    drop(server);
    expect_single(&mut session, &body)
}

fn inet_socket(ty: libc::c_int) -> Result<std::os::fd::OwnedFd, Stop> {
    // SAFETY: plain integers; the fd is owned on success.
    let fd = unsafe { libc::socket(libc::AF_INET, ty | libc::SOCK_CLOEXEC, 0) };
    let fd = Errno::result(fd).or_fail("socket(AF_INET)")?;
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
}

fn net_denied(handled: u64, ty: libc::c_int, bind: bool, blockers: &str) -> TestResult {
    enter_loopback_netns()?;
    let mut session = Session::open()?;
    let s = inet_socket(ty)?;
    let addr = SockaddrIn::new(127, 0, 0, 1, PORT);
    Ruleset::new(RulesetAttr {
        handled_access_net: handled,
        ..Default::default()
    })?
    .enforce()?;
    // An unbound socket: only the sockaddr's fields appear.
    let body = if bind {
        expect_errno(
            format!("bind(127.0.0.1:{PORT})"),
            nsock::bind(s.as_raw_fd(), &addr),
            Errno::EACCES,
        )?;
        format!("blockers={blockers} saddr=127.0.0.1 src={PORT}")
    } else {
        expect_errno(
            format!("connect(127.0.0.1:{PORT})"),
            nsock::connect(s.as_raw_fd(), &addr),
            Errno::EACCES,
        )?;
        format!("blockers={blockers} daddr=127.0.0.1 dest={PORT}")
    };
    expect_single(&mut session, &body)
}

fn signal_scope_denied() -> TestResult {
    let peer = crate::common::sleeper()?;
    let mut session = Session::open()?;
    let body = signal_body(peer.pid())?;
    deny_signal_to(peer.pid())?;
    expect_single(&mut session, &body)
}

/// A process outside the domain may not be traced from it; the record
/// names the tracee. PTRACE_ATTACH is audited (only PTRACE_MODE_NOAUDIT
/// checks, such as reading /proc/PID/stat, are not).
fn ptrace_denied() -> TestResult {
    let peer = crate::common::sleeper()?;
    let mut session = Session::open()?;
    let body = format!(
        "blockers=ptrace {}",
        crate::objects::task_fields(peer.pid().as_raw())?
    );
    Ruleset::fs(fs::EXECUTE)?.enforce()?;
    // SAFETY: a plain system call with integer arguments.
    let r = unsafe { libc::ptrace(libc::PTRACE_ATTACH, peer.pid().as_raw(), 0, 0) };
    let r = if r == -1 { Err(Errno::last()) } else { Ok(()) };
    expect_errno(
        format!("ptrace(PTRACE_ATTACH, {}) out of the domain", peer.pid()),
        r,
        Errno::EPERM,
    )?;
    expect_single(&mut session, &body)
}

/// The peer socket is bound before the domain exists, so it is outside
/// it; the record names it by its abstract address, in hex with the
/// leading NUL.
fn abstract_unix_scope_denied() -> TestResult {
    let (_server, addr, path) = abstract_server("audit")?;
    let mut session = Session::open()?;
    let body = format!("blockers=scope.abstract_unix_socket path={path}");
    Ruleset::scoped(scope::ABSTRACT_UNIX_SOCKET)?.enforce()?;
    expect_errno(
        "connect to an abstract socket outside the domain",
        crate::common::connect_abstract(&addr)?,
        Errno::EPERM,
    )?;
    expect_single(&mut session, &body)
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

pub fn tests() -> Vec<Test> {
    let d = |name: &str, body: fn() -> TestResult| audit_test(&format!("denial::{name}"), body);
    vec![
        d("fs_read_file", || {
            open_denied(fs::READ_FILE, true, false, "fs.read_file")
        }),
        d("fs_write_file", || {
            open_denied(fs::WRITE_FILE, false, true, "fs.write_file")
        }),
        d("fs_read_and_write_file", || {
            open_denied(
                fs::READ_FILE | fs::WRITE_FILE,
                true,
                true,
                "fs.write_file,fs.read_file",
            )
        }),
        d("fs_make_reg", || {
            dir_op_denied(fs::MAKE_REG, "fs.make_reg", |t| {
                std::fs::File::create(t.path("d/new"))
                    .map(drop)
                    .map_err(io_errno)
            })
        }),
        d("fs_remove_file", || {
            dir_op_denied(fs::REMOVE_FILE, "fs.remove_file", |t| {
                std::fs::remove_file(t.path("d/f")).map_err(io_errno)
            })
        }),
        d("fs_refer", refer_denied).needs("LANDLOCK_ACCESS_FS_REFER"),
        d("fs_rename_same_dir", rename_same_dir_denied),
        d("fs_truncate", truncate_denied).needs("LANDLOCK_ACCESS_FS_TRUNCATE"),
        d("fs_ioctl_dev", ioctl_dev_denied).needs("LANDLOCK_ACCESS_FS_IOCTL_DEV"),
        d("fs_resolve_unix", resolve_unix_denied).needs("LANDLOCK_ACCESS_FS_RESOLVE_UNIX"),
        d("net_bind_tcp", || {
            net_denied(net::BIND_TCP, libc::SOCK_STREAM, true, "net.bind_tcp")
        })
        .needs("LANDLOCK_ACCESS_NET_BIND_TCP"),
        d("net_connect_tcp", || {
            net_denied(
                net::CONNECT_TCP,
                libc::SOCK_STREAM,
                false,
                "net.connect_tcp",
            )
        })
        .needs("LANDLOCK_ACCESS_NET_CONNECT_TCP"),
        d("net_bind_udp", || {
            net_denied(net::BIND_UDP, libc::SOCK_DGRAM, true, "net.bind_udp")
        })
        .needs("LANDLOCK_ACCESS_NET_BIND_UDP"),
        d("net_connect_send_udp", || {
            net_denied(
                net::CONNECT_SEND_UDP,
                libc::SOCK_DGRAM,
                false,
                "net.connect_send_udp",
            )
        })
        .needs("LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP"),
        d("ptrace", ptrace_denied),
        d("scope_signal", signal_scope_denied).needs("LANDLOCK_SCOPE_SIGNAL"),
        d("scope_abstract_unix_socket", abstract_unix_scope_denied)
            .needs("LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET"),
        d("none_when_allowed", allowed_logs_nothing),
    ]
}
