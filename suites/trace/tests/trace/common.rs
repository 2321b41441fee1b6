//! What every module of the suite shares: the 14 event names, the flag
//! names as the events print them, the escaping of untrusted strings as
//! `include/trace/events/landlock.h` defines it, the test declaration, and
//! a forked child that the parent steps through a scenario.

use llconf_harness::abi::{self, Flag};
use llconf_harness::fixture::trace::{Fields, Instance};
use llconf_harness::requirement::Requirement;
use llconf_harness::{expect_result, fail, probe, Errno, OrFail, Stop, Test, TestResult};
use nix::sys::socket::{bind, socket, AddressFamily, SockFlag, SockType, SockaddrIn};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, pipe, read, write, ForkResult, Pid};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub const CREATE_RULESET: &str = "landlock_create_ruleset";
pub const FREE_RULESET: &str = "landlock_free_ruleset";
pub const ADD_RULE_PATH: &str = "landlock_add_rule_path_beneath";
pub const ADD_RULE_NET: &str = "landlock_add_rule_net_port";
pub const CREATE_DOMAIN: &str = "landlock_create_domain";
pub const ENFORCE_DOMAIN: &str = "landlock_enforce_domain";
pub const FREE_DOMAIN: &str = "landlock_free_domain";
pub const CHECK_RULE_INODE: &str = "landlock_check_rule_inode";
pub const CHECK_RULE_NET: &str = "landlock_check_rule_net_port";
pub const DENY_FS: &str = "landlock_deny_access_fs";
pub const DENY_NET: &str = "landlock_deny_access_net";
pub const DENY_PTRACE: &str = "landlock_deny_ptrace";
pub const DENY_SIGNAL: &str = "landlock_deny_scope_signal";
pub const DENY_UNIX: &str = "landlock_deny_scope_abstract_unix_socket";

pub use llconf_harness::deferred::kernel_deadline;

/// A test of the suite: `trace::<name>`, skipped unless `event` is in
/// tracefs.
pub fn case(
    name: &str,
    event: &'static str,
    body: impl Fn() -> TestResult + Send + Sync + 'static,
) -> Test {
    Test::new(format!("trace::{name}"), body).requires(Requirement::TraceEvent(event))
}

/// A mask as `__print_flags()` renders it with the kernel's name lists
/// (`include/linux/landlock.h`): the UAPI name without its prefix, in
/// lower case, in bit order, joined by `|`; nothing for 0.
fn names(table: &[Flag], prefix: &str, mask: u64) -> String {
    table
        .iter()
        .filter(|f| mask & f.bit != 0)
        .map(|f| f.name.trim_start_matches(prefix).to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("|")
}

pub fn fs_names(mask: u64) -> String {
    names(abi::ACCESS_FS, "LANDLOCK_ACCESS_FS_", mask)
}

pub fn net_names(mask: u64) -> String {
    names(abi::ACCESS_NET, "LANDLOCK_ACCESS_NET_", mask)
}

pub fn scope_names(mask: u64) -> String {
    names(abi::SCOPE, "LANDLOCK_SCOPE_", mask)
}

/// Every filesystem right of the running kernel's ABI
/// (`LANDLOCK_MASK_ACCESS_FS` of that kernel).
pub fn all_fs() -> u64 {
    abi::mask_for_abi(abi::ACCESS_FS, probe::kernel().abi)
}

/// `TRACE_UNTRUSTED_STR_OUTPUT_SIZE`: three quarters of
/// `TRACE_SEQ_BUFFER_SIZE`, which is 8192 less a `struct seq_buf` (three
/// words), a `size_t` and an `int`: 8156 on x86-64, so 6117.
pub const UNTRUSTED_OUTPUT_SIZE: usize = {
    let buffer = 8192 - (3 * 8 + 8 + 4);
    buffer - buffer / 4
};

/// The UTF-8 ellipsis that ends a truncated string.
pub const TRUNCATION_MARKER: &str = "\u{2026}";

/// One byte as `string_escape_mem()` renders it with ESCAPE_SPACE |
/// ESCAPE_SPECIAL | ESCAPE_NAP | ESCAPE_APPEND | ESCAPE_OCTAL and the
/// extra set `" ='\"\\"`: printable ASCII outside that set as is; `\n`,
/// `\r`, `\t`, `\v`, `\f` as a backslash and a letter; `\\`, `\a`, `\e`,
/// `"` likewise; everything else (the set's space, `=`, `'`, and every
/// control or non-ASCII byte) in three octal digits.
fn escape_byte(b: u8) -> String {
    let in_set = b" ='\"\\".contains(&b);
    if b.is_ascii() && (0x20..0x7f).contains(&b) && !in_set {
        return (b as char).to_string();
    }
    let letter = match b {
        b'\n' => Some('n'),
        b'\r' => Some('r'),
        b'\t' => Some('t'),
        0x0b => Some('v'),
        0x0c => Some('f'),
        b'\\' => Some('\\'),
        0x07 => Some('a'),
        0x1b => Some('e'),
        b'"' => Some('"'),
        _ => None,
    };
    match letter {
        Some(c) => format!("\\{c}"),
        None => format!("\\{:03o}", b),
    }
}

/// The length of `raw` escaped in full.
pub fn escaped_len(raw: &[u8]) -> usize {
    raw.iter().map(|&b| escape_byte(b).len()).sum()
}

/// An untrusted string (path, comm, abstract socket name) as the events
/// print it (`__trace_print_untrusted_str()`): escaped in full when that
/// is shorter than [`UNTRUSTED_OUTPUT_SIZE`]; otherwise the longest prefix
/// of whole escaped bytes that leaves room for the marker and a NUL,
/// then the marker.
pub fn escaped(raw: &[u8]) -> String {
    let parts: Vec<String> = raw.iter().map(|&b| escape_byte(b)).collect();
    let total: usize = parts.iter().map(String::len).sum();
    if total < UNTRUSTED_OUTPUT_SIZE {
        return parts.concat();
    }
    let room = UNTRUSTED_OUTPUT_SIZE - TRUNCATION_MARKER.len() - 1;
    let mut out = String::new();
    for p in parts {
        if out.len() + p.len() > room {
            break;
        }
        out.push_str(&p);
    }
    out + TRUNCATION_MARKER
}

/// `major:minor` of the filesystem holding `path`, and its inode number,
/// as the events print `dev=` and `ino=`.
pub fn dev_ino(path: &Path) -> Result<(String, u64), Stop> {
    let m = std::fs::symlink_metadata(path).or_fail(format!("stat {}", path.display()))?;
    let dev = m.dev();
    Ok((
        format!("{}:{}", libc::major(dev), libc::minor(dev)),
        m.ino(),
    ))
}

/// The absolute path the kernel resolves for `path`, as raw bytes.
pub fn abs_bytes(path: &Path) -> Result<Vec<u8>, Stop> {
    use std::os::unix::ffi::OsStrExt;
    let p = std::fs::canonicalize(path).or_fail(format!("canonicalize {}", path.display()))?;
    Ok(p.as_os_str().as_bytes().to_vec())
}

/// The comm of process `pid`, as the kernel stores it.
pub fn comm_of(pid: Pid) -> Result<Vec<u8>, Stop> {
    let mut c = std::fs::read(format!("/proc/{pid}/comm")).or_fail("read comm")?;
    if c.last() == Some(&b'\n') {
        c.pop();
    }
    Ok(c)
}

/// The one `create_domain` event with this parent (0: a first layer), and
/// the domain id.
pub fn created_domain(t: &Instance, parent: u64, what: &str) -> Result<(u64, Fields), Stop> {
    let e = t.created_domain(parent, what)?;
    Ok((e.id("domain")?, e))
}

/// The `create_domain` events emitted by process `pid`.
pub fn domains_created_by(t: &Instance, pid: Pid) -> Result<Vec<Fields>, Stop> {
    Ok(t.events(CREATE_DOMAIN)?
        .into_iter()
        .filter(|e| e.task_pid() == Some(pid.as_raw()))
        .collect())
}

/// Fails unless `e` has `key` equal to the id `id` (printed in hex).
pub fn expect_id(e: &Fields, key: &str, id: u64) -> TestResult {
    e.expect(key, &format!("{id:x}"))
}

/// A forked child that runs a scenario step by step with its parent:
/// `ready` and `go` are one byte each over two pipes.
pub struct Child {
    pid: Pid,
    from_child: OwnedFd,
    to_child: OwnedFd,
    joined: bool,
}

/// The child's side of the pipes.
pub struct Steps {
    to_parent: OwnedFd,
    from_parent: OwnedFd,
}

impl Steps {
    /// Tells the parent this step is done.
    pub fn ready(&self) {
        let _ = write(self.to_parent.as_fd(), b"r");
    }

    /// Waits for the parent's go; false if the parent is gone.
    pub fn wait_go(&self) -> bool {
        let mut b = [0u8; 1];
        matches!(read(self.from_parent.as_raw_fd(), &mut b), Ok(1))
    }
}

impl Child {
    /// Forks; the child runs `body` and exits 0 when it returns Ok, 1
    /// (with the reason on stderr) otherwise. The test process is single
    /// threaded, so running Rust code after fork is sound.
    pub fn spawn(body: impl FnOnce(&Steps) -> TestResult) -> Result<Child, Stop> {
        let (r1, w1) = pipe().or_fail("pipe")?;
        let (r2, w2) = pipe().or_fail("pipe")?;
        // SAFETY: see above; the child leaves with _exit.
        match unsafe { fork() }.or_fail("fork")? {
            ForkResult::Child => {
                drop((r1, w2));
                let steps = Steps {
                    to_parent: w1,
                    from_parent: r2,
                };
                let code = match body(&steps) {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("child {}: {e:?}", std::process::id());
                        1
                    }
                };
                unsafe { libc::_exit(code) }
            }
            ForkResult::Parent { child } => {
                drop((w1, r2));
                Ok(Child {
                    pid: child,
                    from_child: r1,
                    to_child: w2,
                    joined: false,
                })
            }
        }
    }

    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Waits for the child's next `ready`; fails (with its exit) if it
    /// ended first.
    pub fn wait_ready(&mut self) -> TestResult {
        let mut b = [0u8; 1];
        match read(self.from_child.as_raw_fd(), &mut b) {
            Ok(1) => Ok(()),
            _ => {
                let code = self.join()?;
                Err(fail(format!(
                    "the child ended (exit {code}) before its step was done; its stderr says why"
                )))
            }
        }
    }

    pub fn go(&self) {
        let _ = write(self.to_child.as_fd(), b"g");
    }

    /// Waits for the child to exit; its code (128+signal if killed).
    pub fn join(&mut self) -> Result<i32, Stop> {
        self.joined = true;
        loop {
            match waitpid(self.pid, None) {
                Ok(WaitStatus::Exited(_, c)) => return Ok(c),
                Ok(WaitStatus::Signaled(_, s, _)) => return Ok(128 + s as i32),
                Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(fail(format!("waitpid: {e}"))),
            }
        }
    }

    /// Lets the child finish and fails unless its scenario passed.
    pub fn finish(mut self) -> TestResult {
        self.go();
        match self.join()? {
            0 => Ok(()),
            c => Err(fail(format!(
                "the child's part failed (exit {c}); its stderr says why"
            ))),
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.joined {
            let _ = nix::sys::signal::kill(self.pid, nix::sys::signal::Signal::SIGKILL);
            let _ = waitpid(self.pid, None);
        }
    }
}

/// bind(2) of a new TCP socket to 127.0.0.1:`port`, EACCES when `denied`.
pub fn bind_tcp_v4(port: u16, denied: bool) -> TestResult {
    let s = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .or_fail("socket")?;
    expect_result(
        format!("bind(127.0.0.1:{port})"),
        bind(s.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, port)),
        denied.then_some(Errno::EACCES),
    )
}

/// The domain ids of the `n` layers a test stacked, oldest first.
pub fn chain(t: &Instance, n: usize) -> Result<Vec<u64>, Stop> {
    t.domain_chain(n)
}
