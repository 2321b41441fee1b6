//! `fs::object_kinds::<kind>::<op>::<case>`: each filesystem right on each
//! kind of object it applies to, and on the kinds it must not apply to.
//!
//! The kinds: a regular file, a directory, a symlink, a character device,
//! a block device, a FIFO, a UNIX socket file, a memfd and an O_PATH file
//! descriptor. Each lives at `d/obj` in the test's own tree (`t/f` is the
//! symlink's target, `other/` a directory no rule reaches). What the kernel
//! does (security/landlock/fs.c):
//! - opening for reading or writing needs READ_FILE / WRITE_FILE on every
//!   kind but a directory, which needs READ_DIR; the check runs before the
//!   driver's open, so a socket file opened with the right fails ENXIO;
//! - TRUNCATE and IOCTL_DEV are fixed at open; IOCTL_DEV only ever denies
//!   on character and block devices; truncate(2) and O_TRUNC only reach
//!   Landlock on regular files (the VFS answers EISDIR or EINVAL, or drops
//!   O_TRUNC, first);
//! - a memfd and an O_PATH descriptor are never checked on open: a memfd
//!   lives on the kernel's internal shmem mount, O_PATH opens nothing;
//! - removing needs REMOVE_DIR for a directory and REMOVE_FILE otherwise,
//!   and making each kind needs its own MAKE_* right.
//!
//! Every cell names its twin: the same domain on the kind where the right
//! applies, or the same kind one rule or right apart.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_result, fail, skip, Errno, OrFail, Requirement, Ruleset, Stop, Test, TestResult,
};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

const DENIED: Option<Errno> = Some(Errno::EACCES);
const ALLOWED: Option<Errno> = None;
const ALL_MAKE: u64 = fs::MAKE_CHAR
    | fs::MAKE_DIR
    | fs::MAKE_REG
    | fs::MAKE_SOCK
    | fs::MAKE_FIFO
    | fs::MAKE_BLOCK
    | fs::MAKE_SYM;
const REMOVE: u64 = fs::REMOVE_FILE | fs::REMOVE_DIR;
/// `_IOR(0x12, 114, size_t)`: the size of a block device, a driver ioctl
/// that is not one of the commands Landlock always lets through.
const BLKGETSIZE64: libc::Ioctl = 0x8008_1272;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Reg,
    Dir,
    Sym,
    Chr,
    Blk,
    Fifo,
    Sock,
    Memfd,
    OPath,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Reg => "regular_file",
            Kind::Dir => "directory",
            Kind::Sym => "symlink",
            Kind::Chr => "char_device",
            Kind::Blk => "block_device",
            Kind::Fifo => "fifo",
            Kind::Sock => "unix_socket_file",
            Kind::Memfd => "memfd",
            Kind::OPath => "o_path_fd",
        }
    }
    /// The MAKE_* right that creating this kind needs.
    fn make_right(self) -> u64 {
        match self {
            Kind::Reg => fs::MAKE_REG,
            Kind::Dir => fs::MAKE_DIR,
            Kind::Sym => fs::MAKE_SYM,
            Kind::Chr => fs::MAKE_CHAR,
            Kind::Blk => fs::MAKE_BLOCK,
            Kind::Fifo => fs::MAKE_FIFO,
            Kind::Sock => fs::MAKE_SOCK,
            Kind::Memfd | Kind::OPath => 0,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Op {
    /// open(O_RDONLY|O_NONBLOCK).
    OpenRead,
    /// open(O_PATH), and with O_NOFOLLOW for the symlink itself.
    OpenPath,
    OpenPathNoFollow,
    /// open(O_RDONLY|O_NONBLOCK|O_TRUNC).
    OpenTrunc,
    /// truncate(2) on the path.
    Truncate,
    /// ftruncate(2) on an fd got in the domain.
    Ftruncate,
    /// A driver ioctl on an fd got in the domain: FIONREAD, or
    /// BLKGETSIZE64 on a block device.
    Ioctl,
    /// unlink(2), or rmdir(2) for a directory.
    Remove,
    /// Makes a new object of the kind at `d/new`.
    Make,
    /// memfd_create(2).
    Create,
    /// open("/proc/self/fd/N", O_RDONLY): a new open of the fd's file. The
    /// regular file's fd is opened before the domain, the others in it.
    ReopenProc,
    /// execveat(2) of a copy of /bin/true: by path, or on the fd itself
    /// (AT_EMPTY_PATH) for a memfd and an O_PATH fd. The exec opens the
    /// file again, and that open is what EXECUTE governs.
    Execute,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::OpenRead => "open_read",
            Op::OpenPath => "open_o_path",
            Op::OpenPathNoFollow => "open_o_path_nofollow",
            Op::OpenTrunc => "open_o_trunc",
            Op::Truncate => "truncate",
            Op::Ftruncate => "ftruncate",
            Op::Ioctl => "ioctl",
            Op::Remove => "remove",
            Op::Make => "make",
            Op::Create => "create",
            Op::ReopenProc => "reopen_proc_fd",
            Op::Execute => "execute",
        }
    }
}

/// One cell: the domain handles `handled`, with `rule` (where, what) if
/// any, and `op` on `kind` must give `expect`.
struct Cell {
    kind: Kind,
    op: Op,
    case: &'static str,
    handled: u64,
    rule: Option<(&'static str, u64)>,
    expect: Option<Errno>,
    /// The twin, as `kind::op::case`.
    twin: String,
}

impl Cell {
    fn name(&self) -> String {
        format!("{}::{}::{}", self.kind.name(), self.op.name(), self.case)
    }
}

fn id(kind: Kind, op: Op, case: &str) -> String {
    format!("{}::{}::{case}", kind.name(), op.name())
}

/// What the fixture keeps alive until the op ran.
#[derive(Default)]
struct Keep {
    fds: Vec<OwnedFd>,
    /// An fd the op works on (the regular file's before-domain fd).
    early: Option<OwnedFd>,
    /// The program a memfd gets, read before the domain.
    program: Vec<u8>,
}

/// A block device the kernel has, as (major, minor): a loop device first,
/// then a RAM disk, then any other (opened read-only and only queried).
fn block_device() -> Result<libc::dev_t, Stop> {
    let dir = std::fs::read_dir("/sys/dev/block")
        .map_err(|e| skip(format!("no block devices listed: /sys/dev/block: {e}")))?;
    let mut devs: Vec<(u32, u32)> = dir
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            let (a, b) = n.split_once(':')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect();
    devs.sort_by_key(|&(maj, min)| (maj != 7, maj != 1, maj, min));
    match devs.first() {
        Some(&(maj, min)) => Ok(libc::makedev(maj, min)),
        None => Err(skip(
            "no block device in this kernel (/sys/dev/block is empty): no loop, RAM or disk device",
        )),
    }
}

fn prepare(kind: Kind, op: Op, t: &TempTree) -> Result<Keep, Stop> {
    let obj = t.path("d/obj");
    let mut keep = Keep::default();
    if op == Op::Make {
        // Makes its own object at d/new.
        return Ok(keep);
    }
    match kind {
        _ if op == Op::Execute => {
            require_mount_without(t.root(), libc::ST_NOEXEC, "noexec")?;
            match kind {
                Kind::Memfd => {
                    keep.program = std::fs::read("/bin/true").or_fail("read /bin/true")?;
                    require_executable_memfd()?;
                }
                Kind::Sym => {
                    install_true(&t.path("t/true"))?;
                    let target = t.path("t/true");
                    let target = target
                        .to_str()
                        .ok_or_else(|| fail("tree path is not UTF-8"))?;
                    setup("symlink d/obj -> t/true", symlink(target, &obj))?
                }
                _ => install_true(&obj)?,
            }
        }
        Kind::Reg | Kind::OPath => {
            std::fs::write(&obj, b"abc").or_fail("write d/obj")?;
            if kind == Kind::Reg && op == Op::ReopenProc {
                keep.early = Some(setup(
                    "open d/obj before the domain",
                    open(&obj, libc::O_RDONLY),
                )?);
            }
        }
        Kind::Dir => setup("mkdir d/obj", mkdir(&obj))?,
        Kind::Sym => {
            let target = t.path("t/f");
            let target = target
                .to_str()
                .ok_or_else(|| fail("tree path is not UTF-8"))?;
            setup("symlink d/obj -> t/f", symlink(target, &obj))?
        }
        Kind::Chr => {
            require_mount_without(t.root(), libc::ST_NODEV, "nodev")?;
            setup(
                "mknod d/obj (1:3, null)",
                mknod(&obj, libc::S_IFCHR, libc::makedev(1, 3)),
            )?
        }
        Kind::Blk => {
            require_mount_without(t.root(), libc::ST_NODEV, "nodev")?;
            // Only opening needs a device the kernel has; removing a node
            // does not.
            let opens = matches!(op, Op::OpenRead | Op::OpenTrunc | Op::Ioctl);
            let dev = if opens {
                block_device()?
            } else {
                libc::makedev(7, 0)
            };
            setup("mknod d/obj (block)", mknod(&obj, libc::S_IFBLK, dev))?;
            if opens {
                if let Err(e) = open(&obj, libc::O_RDONLY | libc::O_NONBLOCK) {
                    return Err(skip(format!(
                        "the block device {}:{} cannot be opened here: {e}",
                        libc::major(dev),
                        libc::minor(dev)
                    )));
                }
            }
        }
        Kind::Fifo => setup("mkfifo d/obj", mknod(&obj, libc::S_IFIFO, 0))?,
        Kind::Sock => keep.fds.push(listen_unix(&obj)?),
        Kind::Memfd => {}
    }
    Ok(keep)
}

fn listen_unix(p: &Path) -> Result<OwnedFd, Stop> {
    use nix::sys::socket::{bind, listen, socket, AddressFamily, Backlog, SockFlag, SockType};
    let s = setup(
        "socket(AF_UNIX)",
        socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_CLOEXEC,
            None,
        ),
    )?;
    let addr = setup("sockaddr_un", nix::sys::socket::UnixAddr::new(p))?;
    setup("bind d/obj", bind(s.as_raw_fd(), &addr))?;
    setup("listen", listen(&s, Backlog::new(4).or_fail("backlog")?))?;
    Ok(s)
}

fn connect_unix(p: &Path) -> Result<OwnedFd, Stop> {
    use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType};
    let s = setup(
        "socket(AF_UNIX)",
        socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_CLOEXEC,
            None,
        ),
    )?;
    let addr = setup("sockaddr_un", nix::sys::socket::UnixAddr::new(p))?;
    setup("connect to d/obj", connect(s.as_raw_fd(), &addr))?;
    Ok(s)
}

fn memfd() -> Result<OwnedFd, Errno> {
    // SAFETY: a valid C string; a new fd owned by the caller.
    let fd = unsafe { libc::memfd_create(c"llconf".as_ptr(), libc::MFD_CLOEXEC) };
    Errno::result(fd).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// vm.memfd_noexec=2 (6.3 and later) forbids executable memfds before
/// Landlock is asked.
fn require_executable_memfd() -> TestResult {
    match std::fs::read_to_string("/proc/sys/vm/memfd_noexec") {
        Ok(v) if v.trim() == "2" => Err(skip(
            "vm.memfd_noexec=2 forbids executable memfds on this system",
        )),
        _ => Ok(()),
    }
}

/// execveat(dirfd, path, ["true"], [], flags) in a forked child: the exit
/// code of /bin/true (0), or the errno of execveat.
fn exec_at(dirfd: RawFd, path: &Path, flags: i32) -> Result<Result<(), Errno>, Stop> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(path.as_os_str().as_bytes()).or_fail("path")?;
    let arg0 = c"true";
    let argv = [arg0.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null::<libc::c_char>()];
    let code = llconf_harness::forked::exit_code_of(|| {
        // SAFETY: NUL-terminated strings and arrays that outlive the call.
        unsafe {
            libc::syscall(
                libc::SYS_execveat,
                dirfd,
                path.as_ptr(),
                argv.as_ptr(),
                envp.as_ptr(),
                flags,
            );
            *libc::__errno_location()
        }
    });
    match code {
        Some(0) => Ok(Ok(())),
        Some(e @ 1..=199) => Ok(Err(Errno::from_raw(e))),
        other => Err(fail(format!("the exec'ed child ended with {other:?}"))),
    }
}

fn proc_fd(fd: RawFd) -> PathBuf {
    format!("/proc/self/fd/{fd}").into()
}

fn fionread(fd: RawFd) -> Result<(), Errno> {
    let mut n = 0;
    ioctl_int(fd, libc::FIONREAD, &mut n).map(drop)
}

fn blk_size(fd: RawFd) -> Result<(), Errno> {
    let mut size: u64 = 0;
    // SAFETY: BLKGETSIZE64 writes one u64 we own.
    Errno::result(unsafe { libc::ioctl(fd, BLKGETSIZE64, &mut size as *mut u64) }).map(drop)
}

/// The op under test. Setup steps fail the test; the op's own outcome is
/// handed back.
fn perform(kind: Kind, op: Op, t: &TempTree, keep: &Keep) -> Result<Result<(), Errno>, Stop> {
    let obj = t.path("d/obj");
    let ro = libc::O_RDONLY | libc::O_NONBLOCK;
    Ok(match op {
        Op::OpenRead => try_open(&obj, ro),
        Op::OpenPath => try_open(&obj, libc::O_PATH),
        Op::OpenPathNoFollow => try_open(&obj, libc::O_PATH | libc::O_NOFOLLOW),
        Op::OpenTrunc => try_open(&obj, ro | libc::O_TRUNC),
        Op::Truncate => truncate(&obj, 0),
        Op::Ftruncate => {
            let fd = match kind {
                Kind::Memfd => setup("memfd_create", memfd())?,
                Kind::OPath => setup("open d/obj O_PATH", open(&obj, libc::O_PATH))?,
                _ => setup("open d/obj O_WRONLY", open(&obj, libc::O_WRONLY))?,
            };
            ftruncate(fd.as_raw_fd(), 0)
        }
        Op::Ioctl => match kind {
            Kind::Sock => fionread(connect_unix(&obj)?.as_raw_fd()),
            Kind::Memfd => fionread(setup("memfd_create", memfd())?.as_raw_fd()),
            Kind::Blk => blk_size(setup("open d/obj", open(&obj, ro))?.as_raw_fd()),
            Kind::OPath => fionread(
                setup(
                    "open /dev/null O_PATH",
                    open(Path::new("/dev/null"), libc::O_PATH),
                )?
                .as_raw_fd(),
            ),
            _ => fionread(setup("open d/obj", open(&obj, ro))?.as_raw_fd()),
        },
        Op::Remove => match kind {
            Kind::Dir => rmdir(&obj),
            _ => unlink(&obj),
        },
        Op::Make => {
            let new = t.path("d/new");
            match kind {
                Kind::Dir => mkdir(&new),
                Kind::Sym => symlink("obj", &new),
                Kind::Chr => mknod(&new, libc::S_IFCHR, libc::makedev(1, 3)),
                Kind::Blk => mknod(&new, libc::S_IFBLK, libc::makedev(7, 0)),
                Kind::Fifo => mknod(&new, libc::S_IFIFO, 0),
                Kind::Sock => mknod(&new, libc::S_IFSOCK, 0),
                _ => mknod(&new, libc::S_IFREG, 0),
            }
        }
        Op::Create => memfd().map(drop),
        Op::ReopenProc => {
            let fd = match kind {
                Kind::Memfd => setup("memfd_create", memfd())?,
                Kind::OPath => setup("open d/obj O_PATH", open(&obj, libc::O_PATH))?,
                _ => {
                    let early = keep.early.as_ref().ok_or_else(|| fail("no early fd"))?;
                    setup("dup the early fd", early.try_clone().map_err(errno_of))?
                }
            };
            try_open(&proc_fd(fd.as_raw_fd()), libc::O_RDONLY)
        }
        Op::Execute => match kind {
            Kind::Memfd => {
                let fd = setup("memfd_create", memfd())?;
                let mut f = std::fs::File::from(fd);
                std::io::Write::write_all(&mut f, &keep.program).or_fail("write the memfd")?;
                exec_at(f.as_raw_fd(), Path::new(""), libc::AT_EMPTY_PATH)?
            }
            Kind::OPath => {
                let fd = setup("open d/obj O_PATH", open(&obj, libc::O_PATH))?;
                exec_at(fd.as_raw_fd(), Path::new(""), libc::AT_EMPTY_PATH)?
            }
            _ => exec_at(libc::AT_FDCWD, &obj, 0)?,
        },
    })
}

fn run(
    kind: Kind,
    op: Op,
    handled: u64,
    rule: Option<(&str, u64)>,
    expect: Option<Errno>,
) -> TestResult {
    let t = TempTree::with(&["d/", "t/f", "other/"])?;
    let keep = prepare(kind, op, &t)?;
    let rs = Ruleset::fs(handled)?;
    if let Some((at, access)) = rule {
        rs.allow_path(&t.path(at), access)?;
    }
    // execve opens the ELF interpreter with the same EXECUTE check.
    if handled & fs::EXECUTE != 0 {
        if let Some(interp) = elf_interpreter(Path::new("/bin/true"))? {
            rs.allow_path(Path::new(&interp), fs::EXECUTE)?;
        }
    }
    rs.enforce()?;
    let r = perform(kind, op, &t, &keep)?;
    expect_result(
        format!(
            "{} on a {} (handled {handled:#x}, rule {rule:?})",
            op.name(),
            kind.name()
        ),
        r,
        expect,
    )
}

/// The cells. `c(kind, op, case, handled, rule, expect, twin)`.
#[rustfmt::skip]
fn cells() -> Vec<Cell> {
    use Kind::*;
    use Op::*;
    let mut v: Vec<Cell> = Vec::new();
    let mut c = |kind: Kind,
                 op: Op,
                 case: &'static str,
                 handled: u64,
                 rule: Option<(&'static str, u64)>,
                 expect: Option<Errno>,
                 twin: String| {
        v.push(Cell {
            kind,
            op,
            case,
            handled,
            rule,
            expect,
            twin,
        })
    };
    let rf = fs::READ_FILE;
    let tr = fs::TRUNCATE;
    let io = fs::IOCTL_DEV;

    // Opening for reading: READ_FILE on every kind that is opened, READ_DIR
    // on a directory; the check comes before the driver's open.
    for k in [Reg, Chr, Blk, Fifo] {
        c(k, OpenRead, "rule_allowed", rf, Some(("d", rf)), ALLOWED, id(k, OpenRead, "no_rule_denied"));
        c(k, OpenRead, "no_rule_denied", rf, None, DENIED, id(k, OpenRead, "rule_allowed"));
    }
    // A socket file passes Landlock, then cannot be opened at all.
    c(Sock, OpenRead, "rule_enxio", rf, Some(("d", rf)), Some(Errno::ENXIO), id(Sock, OpenRead, "no_rule_denied"));
    c(Sock, OpenRead, "no_rule_denied", rf, None, DENIED, id(Sock, OpenRead, "rule_enxio"));
    c(Dir, OpenRead, "read_file_handled_allowed", rf, None, ALLOWED, id(Reg, OpenRead, "no_rule_denied"));
    c(Dir, OpenRead, "read_dir_handled_denied", fs::READ_DIR, None, DENIED, id(Dir, OpenRead, "read_dir_rule_allowed"));
    c(Dir, OpenRead, "read_dir_rule_allowed", fs::READ_DIR, Some(("d", fs::READ_DIR)), ALLOWED, id(Dir, OpenRead, "read_dir_handled_denied"));
    c(Reg, OpenRead, "read_dir_handled_allowed", fs::READ_DIR, None, ALLOWED, id(Dir, OpenRead, "read_dir_handled_denied"));
    // A symlink is followed: the rule must cover the target, not the link.
    c(Sym, OpenRead, "rule_on_target_allowed", rf, Some(("t", rf)), ALLOWED, id(Sym, OpenRead, "rule_on_link_dir_denied"));
    c(Sym, OpenRead, "rule_on_link_dir_denied", rf, Some(("d", rf)), DENIED, id(Sym, OpenRead, "rule_on_target_allowed"));
    // O_PATH opens nothing, so nothing is checked, for the link itself too.
    c(Sym, OpenPathNoFollow, "rule_on_link_dir_allowed", rf, Some(("d", rf)), ALLOWED, id(Sym, OpenRead, "rule_on_link_dir_denied"));
    c(OPath, OpenPath, "no_rule_allowed", rf, None, ALLOWED, id(OPath, ReopenProc, "no_rule_denied"));
    // Reopening through /proc/self/fd is a new open, checked again: not
    // for a memfd, which lives on the kernel's internal (SB_NOUSER) mount.
    c(OPath, ReopenProc, "no_rule_denied", rf, None, DENIED, id(OPath, ReopenProc, "rule_allowed"));
    c(OPath, ReopenProc, "rule_allowed", rf, Some(("d", rf)), ALLOWED, id(OPath, ReopenProc, "no_rule_denied"));
    c(Reg, ReopenProc, "opened_before_domain_denied", rf, None, DENIED, id(Memfd, ReopenProc, "no_rule_allowed"));
    c(Memfd, ReopenProc, "no_rule_allowed", rf, None, ALLOWED, id(Reg, ReopenProc, "opened_before_domain_denied"));

    // TRUNCATE: only regular files reach the check.
    c(Reg, Truncate, "rule_allowed", tr, Some(("d", tr)), ALLOWED, id(Reg, Truncate, "no_rule_denied"));
    c(Reg, Truncate, "no_rule_denied", tr, None, DENIED, id(Reg, Truncate, "rule_allowed"));
    c(Sym, Truncate, "rule_on_target_allowed", tr, Some(("t", tr)), ALLOWED, id(Sym, Truncate, "rule_on_link_dir_denied"));
    c(Sym, Truncate, "rule_on_link_dir_denied", tr, Some(("d", tr)), DENIED, id(Sym, Truncate, "rule_on_target_allowed"));
    c(Dir, Truncate, "no_rule_eisdir", tr, None, Some(Errno::EISDIR), id(Reg, Truncate, "no_rule_denied"));
    for k in [Chr, Fifo, Sock] {
        c(k, Truncate, "no_rule_einval", tr, None, Some(Errno::EINVAL), id(Reg, Truncate, "no_rule_denied"));
    }
    c(Reg, OpenTrunc, "no_rule_denied", tr, None, DENIED, id(Reg, OpenTrunc, "rule_allowed"));
    c(Reg, OpenTrunc, "rule_allowed", tr, Some(("d", tr)), ALLOWED, id(Reg, OpenTrunc, "no_rule_denied"));
    // O_TRUNC on a device or FIFO is dropped: `> /dev/null` needs no right.
    for k in [Chr, Blk, Fifo] {
        c(k, OpenTrunc, "no_rule_allowed", tr, None, ALLOWED, id(Reg, OpenTrunc, "no_rule_denied"));
    }
    c(Reg, Ftruncate, "no_rule_denied", tr, None, DENIED, id(Reg, Ftruncate, "rule_allowed"));
    c(Reg, Ftruncate, "rule_allowed", tr, Some(("d", tr)), ALLOWED, id(Reg, Ftruncate, "no_rule_denied"));
    // A memfd never went through the open hook: it keeps every right.
    c(Memfd, Ftruncate, "no_rule_allowed", tr, None, ALLOWED, id(Reg, Ftruncate, "no_rule_denied"));
    // An O_PATH fd is no file to truncate: EBADF, never EACCES.
    c(OPath, Ftruncate, "no_rule_ebadf", tr, None, Some(Errno::EBADF), id(Reg, Ftruncate, "no_rule_denied"));

    // IOCTL_DEV: only character and block devices.
    c(Chr, Ioctl, "rule_allowed", io, Some(("d", io)), Some(Errno::ENOTTY), id(Chr, Ioctl, "no_rule_denied"));
    c(Chr, Ioctl, "no_rule_denied", io, None, DENIED, id(Chr, Ioctl, "rule_allowed"));
    c(Blk, Ioctl, "rule_allowed", io, Some(("d", io)), ALLOWED, id(Blk, Ioctl, "no_rule_denied"));
    c(Blk, Ioctl, "no_rule_denied", io, None, DENIED, id(Blk, Ioctl, "rule_allowed"));
    // A directory has no FIONREAD: the filesystem's ENOTTY, not Landlock's.
    c(Dir, Ioctl, "no_rule_enotty", io, None, Some(Errno::ENOTTY), id(Chr, Ioctl, "no_rule_denied"));
    c(Sock, Ioctl, "no_rule_allowed", io, None, ALLOWED, id(Chr, Ioctl, "no_rule_denied"));
    c(Memfd, Ioctl, "no_rule_allowed", io, None, ALLOWED, id(Chr, Ioctl, "no_rule_denied"));
    c(OPath, Ioctl, "no_rule_ebadf", io, None, Some(Errno::EBADF), id(Chr, Ioctl, "no_rule_denied"));

    // Removing: REMOVE_DIR for a directory, REMOVE_FILE for the rest.
    for k in [Reg, Dir, Sym, Chr, Blk, Fifo, Sock] {
        let (own, other) = if k == Dir {
            (fs::REMOVE_DIR, fs::REMOVE_FILE)
        } else {
            (fs::REMOVE_FILE, fs::REMOVE_DIR)
        };
        c(k, Remove, "own_right_allowed", REMOVE, Some(("d", own)), ALLOWED, id(k, Remove, "other_remove_right_denied"));
        c(k, Remove, "other_remove_right_denied", REMOVE, Some(("d", other)), DENIED, id(k, Remove, "own_right_allowed"));
    }
    // The symlink is removed from its own directory, not its target's.
    c(Sym, Remove, "rule_on_target_denied", REMOVE, Some(("t", fs::REMOVE_FILE)), DENIED, id(Sym, Remove, "own_right_allowed"));

    // Making: each kind needs its own MAKE_* right and no other grants it.
    for k in [Reg, Dir, Sym, Chr, Blk, Fifo, Sock] {
        let own = k.make_right();
        c(k, Make, "own_right_allowed", ALL_MAKE, Some(("d", own)), ALLOWED, id(k, Make, "other_make_rights_denied"));
        c(k, Make, "other_make_rights_denied", ALL_MAKE, Some(("d", ALL_MAKE & !own)), DENIED, id(k, Make, "own_right_allowed"));
    }
    // EXECUTE: the exec's own open is checked, through a symlink on its
    // target, on an O_PATH fd too; a memfd's is not (internal mount).
    let ex = fs::EXECUTE;
    for k in [Reg, OPath] {
        c(k, Execute, "rule_allowed", ex, Some(("d", ex)), ALLOWED, id(k, Execute, "no_rule_denied"));
        c(k, Execute, "no_rule_denied", ex, None, DENIED, id(k, Execute, "rule_allowed"));
    }
    c(Sym, Execute, "rule_on_target_allowed", ex, Some(("t", ex)), ALLOWED, id(Sym, Execute, "rule_on_link_dir_denied"));
    c(Sym, Execute, "rule_on_link_dir_denied", ex, Some(("d", ex)), DENIED, id(Sym, Execute, "rule_on_target_allowed"));
    c(Memfd, Execute, "no_rule_allowed", ex, None, ALLOWED, id(Reg, Execute, "no_rule_denied"));

    // memfd_create makes no file in any directory: no MAKE_REG.
    c(Memfd, Create, "no_make_reg_allowed", ALL_MAKE, Some(("d", ALL_MAKE & !fs::MAKE_REG)), ALLOWED, id(Reg, Make, "other_make_rights_denied"));
    v
}

pub fn tests() -> Vec<Test> {
    cells()
        .into_iter()
        .map(|cell| {
            let Cell {
                kind,
                op,
                handled,
                rule,
                expect,
                ..
            } = cell;
            let mut t = Test::new(format!("fs::object_kinds::{}", cell.name()), move || {
                run(kind, op, handled, rule, expect)
            })
            .twin(format!("fs::object_kinds::{}", cell.twin));
            let rights = handled | rule.map_or(0, |(_, a)| a);
            for bit in (0..64).map(|i| 1u64 << i).filter(|b| rights & b != 0) {
                t = t.needs(flag(bit).name);
            }
            // Device nodes need CAP_MKNOD: in every cell that makes one in
            // its setup, and where making one is allowed.
            let makes_node =
                matches!(kind, Kind::Chr | Kind::Blk) && !(op == Op::Make && expect.is_some());
            if makes_node {
                t = t.requires(Requirement::Root);
            }
            t.enforcement()
        })
        .collect()
}
