//! Raw filesystem calls that answer with the kernel's errno, and the small
//! setup steps most fixtures share.

use llconf_harness::abi::{self as uapi, Flag};
use llconf_harness::{expect_ok, fail, probe, Errno, OrFail, Stop};
use std::ffi::CString;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Every filesystem right the running kernel knows.
pub fn known_fs() -> u64 {
    uapi::mask_for_abi(uapi::ACCESS_FS, probe::kernel().abi)
}

pub fn flag(bit: u64) -> Flag {
    uapi::describe(uapi::ACCESS_FS, bit).expect("a filesystem right")
}

pub fn c(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("path without NUL")
}

fn unit(r: libc::c_int) -> Result<(), Errno> {
    Errno::result(r).map(drop)
}

pub fn open(p: &Path, flags: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: valid C string; the mode is read only with O_CREAT.
    let fd = unsafe { libc::open(c(p).as_ptr(), flags | libc::O_CLOEXEC, 0o644) };
    // SAFETY: a new fd owned by the caller.
    Errno::result(fd).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens and closes again: the usual shape of a permission probe.
pub fn try_open(p: &Path, flags: i32) -> Result<(), Errno> {
    open(p, flags).map(drop)
}

pub fn creat(p: &Path) -> Result<OwnedFd, Errno> {
    // SAFETY: valid C string.
    let fd = unsafe { libc::creat(c(p).as_ptr(), 0o644) };
    // SAFETY: a new fd owned by the caller.
    Errno::result(fd).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

pub fn mknod(p: &Path, mode: libc::mode_t, dev: libc::dev_t) -> Result<(), Errno> {
    // SAFETY: valid C string.
    unit(unsafe { libc::mknod(c(p).as_ptr(), mode | 0o644, dev) })
}

pub fn mkdir(p: &Path) -> Result<(), Errno> {
    // SAFETY: valid C string.
    unit(unsafe { libc::mkdir(c(p).as_ptr(), 0o755) })
}

pub fn rmdir(p: &Path) -> Result<(), Errno> {
    // SAFETY: valid C string.
    unit(unsafe { libc::rmdir(c(p).as_ptr()) })
}

pub fn unlink(p: &Path) -> Result<(), Errno> {
    // SAFETY: valid C string.
    unit(unsafe { libc::unlink(c(p).as_ptr()) })
}

pub fn symlink(target: &str, p: &Path) -> Result<(), Errno> {
    let t = CString::new(target).expect("target without NUL");
    // SAFETY: valid C strings.
    unit(unsafe { libc::symlink(t.as_ptr(), c(p).as_ptr()) })
}

pub fn link(from: &Path, to: &Path) -> Result<(), Errno> {
    // SAFETY: valid C strings.
    unit(unsafe { libc::link(c(from).as_ptr(), c(to).as_ptr()) })
}

pub fn rename(from: &Path, to: &Path) -> Result<(), Errno> {
    renameat2(from, to, 0)
}

pub fn exchange(a: &Path, b: &Path) -> Result<(), Errno> {
    renameat2(a, b, libc::RENAME_EXCHANGE)
}

fn renameat2(from: &Path, to: &Path, flags: u32) -> Result<(), Errno> {
    // SAFETY: valid C strings; renameat2 through syscall(2) because older
    // glibc lacks the wrapper.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            c(from).as_ptr(),
            libc::AT_FDCWD,
            c(to).as_ptr(),
            flags,
        )
    };
    Errno::result(r).map(drop)
}

pub fn truncate(p: &Path, len: i64) -> Result<(), Errno> {
    // SAFETY: valid C string.
    unit(unsafe { libc::truncate(c(p).as_ptr(), len) })
}

pub fn ftruncate(fd: RawFd, len: i64) -> Result<(), Errno> {
    // SAFETY: plain integers.
    unit(unsafe { libc::ftruncate(fd, len) })
}

/// ioctl(2) with an int argument, answering with the return value.
pub fn ioctl_int(fd: RawFd, cmd: libc::Ioctl, arg: &mut libc::c_int) -> Result<i32, Errno> {
    // SAFETY: every command used here reads or writes at most one int.
    Errno::result(unsafe { libc::ioctl(fd, cmd, arg as *mut libc::c_int) })
}

pub fn ioctl_noarg(fd: RawFd, cmd: libc::Ioctl) -> Result<i32, Errno> {
    // SAFETY: FIOCLEX and FIONCLEX take no argument.
    Errno::result(unsafe { libc::ioctl(fd, cmd) })
}

pub fn file_len(p: &Path) -> Result<u64, Stop> {
    Ok(std::fs::metadata(p)
        .or_fail(format!("stat {}", p.display()))?
        .len())
}

pub fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

pub fn errno_of(e: std::io::Error) -> Errno {
    e.raw_os_error()
        .map(Errno::from_raw)
        .unwrap_or(Errno::UnknownErrno)
}

/// Runs `path` and waits: Ok with its exit code, or the errno of execve.
pub fn exec(path: &Path) -> Result<i32, Errno> {
    std::process::Command::new(path)
        .env_clear()
        .status()
        .map(|s| s.code().unwrap_or(-1))
        .map_err(errno_of)
}

/// The ELF interpreter of `bin` (PT_INTERP), which execve opens with the
/// same EXECUTE check as the program; `None` for a static binary.
pub fn elf_interpreter(bin: &Path) -> Result<Option<String>, Stop> {
    let data = std::fs::read(bin).or_fail(format!("read {}", bin.display()))?;
    let u16_at = |o: usize| u16::from_le_bytes([data[o], data[o + 1]]) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(data[o..o + 8].try_into().unwrap()) as usize;
    if data.len() < 64 || &data[..4] != b"\x7fELF" || data[4] != 2 {
        return Err(fail(format!("{} is not a 64-bit ELF file", bin.display())));
    }
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32::from_le_bytes(data[ph..ph + 4].try_into().unwrap()) == libc::PT_INTERP {
            let (off, size) = (u64_at(ph + 8), u64_at(ph + 32));
            let raw = &data[off..off + size];
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            return Ok(Some(String::from_utf8_lossy(&raw[..end]).into_owned()));
        }
    }
    Ok(None)
}

/// Copies /bin/true to `dst` with the execute bits set.
pub fn install_true(dst: &Path) -> Result<(), Stop> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::copy("/bin/true", dst).or_fail(format!("copy /bin/true to {}", dst.display()))?;
    std::fs::set_permissions(dst, std::fs::Permissions::from_mode(0o755)).or_fail("chmod 755")?;
    Ok(())
}

pub fn mount_tmpfs(target: &Path) -> Result<(), Errno> {
    nix::mount::mount(
        Some("tmpfs"),
        target,
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        Some("size=1m"),
    )
}

pub fn bind_mount(src: &Path, target: &Path) -> Result<(), Errno> {
    nix::mount::mount(
        Some(src),
        target,
        None::<&str>,
        nix::mount::MsFlags::MS_BIND,
        None::<&str>,
    )
}

/// Opens a pseudo-terminal through /dev/ptmx and unlocks it: the master
/// and the path of its slave, which the caller opens when it needs to.
pub fn open_pty() -> Result<(OwnedFd, std::path::PathBuf), Errno> {
    use std::os::fd::AsRawFd;
    let master = open(Path::new("/dev/ptmx"), libc::O_RDWR | libc::O_NOCTTY)?;
    let m = master.as_raw_fd();
    let mut unlock: libc::c_int = 0;
    ioctl_int(m, libc::TIOCSPTLCK, &mut unlock)?;
    let mut n: libc::c_int = 0;
    ioctl_int(m, libc::TIOCGPTN, &mut n)?;
    Ok((master, format!("/dev/pts/{n}").into()))
}

/// Setup wrapper: a step that is not the subject must succeed.
pub fn setup<T>(what: impl std::fmt::Display, r: Result<T, Errno>) -> Result<T, Stop> {
    expect_ok(format!("setup: {what}"), r)
}

/// A test body built at registration time, for tables of cases.
pub type Body = Box<dyn Fn() -> llconf_harness::TestResult + Send + Sync>;

/// Skips when `dir` sits on a mount whose flag (ST_NOEXEC, ST_NODEV) would
/// deny the operation before Landlock is ever asked.
pub fn require_mount_without(dir: &Path, flag: u64, name: &str) -> llconf_harness::TestResult {
    let st = nix::sys::statvfs::statvfs(dir).or_fail(format!("statvfs {}", dir.display()))?;
    if st.flags().bits() & flag != 0 {
        return Err(llconf_harness::skip(format!(
            "the scratch directory {} is on a {name} mount",
            dir.display()
        )));
    }
    Ok(())
}
