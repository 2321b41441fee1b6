//! `/init` of a qemu-initramfs guest. Mounts what the suites need, runs each
//! suite binary of the plan while streaming its results and output to the
//! host over the record port, sends the kernel log, then powers off.
//!
//! It is PID 1: returning or dying would panic the kernel, so every path,
//! a Rust panic included, ends in [`power_off`]. A kernel panic is still
//! what the host sees if something kills init anyway.

use llconf_guest_init::{
    Frame, Plan, DONE_MARK, HOST_VIEW, PLAN_ENV, PLAN_PATH, RECORD_PORT, STARTED_MARK,
};
use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How often a running suite's files are looked at.
const POLL: Duration = Duration::from_millis(50);
/// Bytes of output per `log` frame.
const LOG_CHUNK: usize = 2048;
/// Scratch for the suites' own files, on a tmpfs.
const WORK: &str = "/run/llconf";

fn main() {
    if std::process::id() != 1 {
        eprintln!("llconf-guest-init is the /init of llconf's qemu-initramfs guests; not PID 1, doing nothing");
        std::process::exit(2);
    }
    // `-- poweroff` on the kernel command line: the benchmark's floor, a
    // boot that ends as soon as userspace starts.
    if std::env::args().skip(1).any(|a| a == "poweroff") {
        power_off();
    }
    let outcome = std::panic::catch_unwind(run);
    if let Err(e) = &outcome {
        let what = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        println!("llconf-guest: init panicked: {what}");
    }
    power_off();
}

fn power_off() -> ! {
    // SAFETY: plain syscalls; reboot only returns on failure.
    unsafe {
        libc::sync();
        libc::reboot(libc::RB_POWER_OFF);
    }
    println!(
        "llconf-guest: power-off failed: {}",
        std::io::Error::last_os_error()
    );
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// The record port, or the console when the port cannot be opened (the
/// host then sees no frames and reports the suites as lost).
struct Port {
    file: File,
}

impl Port {
    fn open() -> Result<Port, String> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags_noctty()
            .open(RECORD_PORT)
            .map_err(|e| format!("{RECORD_PORT}: {e}"))?;
        raw_mode(&file);
        Ok(Port { file })
    }

    fn send(&mut self, frame: &Frame) {
        // A write error has nowhere to go but the console.
        if let Err(e) = self.file.write_all(frame.encode().as_bytes()) {
            println!("llconf-guest: writing to {RECORD_PORT}: {e}");
        }
    }

    fn note(&mut self, text: String) {
        println!("llconf-guest: {text}");
        self.send(&Frame::Note { text });
    }
}

trait NoCtty {
    fn custom_flags_noctty(&mut self) -> &mut Self;
}

impl NoCtty for std::fs::OpenOptions {
    fn custom_flags_noctty(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NOCTTY)
    }
}

/// No newline translation, no echo: the port carries bytes as written.
fn raw_mode(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: termios is plain data, filled by tcgetattr before use.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(file.as_raw_fd(), &mut t) == 0 {
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(file.as_raw_fd(), libc::TCSANOW, &t);
        }
    }
}

fn run() {
    let release = uname_release();
    println!("{STARTED_MARK} on {release}");
    let root_failure = root_on_a_mount().err();
    let mut failures = mount_all();
    failures.extend(root_failure);
    let mut port = match Port::open() {
        Ok(p) => p,
        Err(e) => {
            println!("llconf-guest: no record port: {e}; powering off");
            return;
        }
    };
    port.send(&Frame::Hello { release });
    for f in failures.drain(..) {
        port.note(f);
    }
    if let Err(e) = loopback_up() {
        port.note(format!("bringing lo up: {e}"));
    }
    let plan_path = match std::env::var(PLAN_ENV) {
        // UML: the host's root is `/`, but the mounts above hide parts of it.
        Ok(host_path) => {
            if let Err(e) = mount_host_view() {
                port.note(format!("mounting the host's root at {HOST_VIEW}: {e}"));
            }
            format!("{HOST_VIEW}{host_path}")
        }
        Err(_) => PLAN_PATH.into(),
    };
    let plan = match std::fs::read_to_string(&plan_path)
        .map_err(|e| format!("{plan_path}: {e}"))
        .and_then(|t| Plan::decode(&t))
    {
        Ok(p) => p,
        Err(e) => {
            port.note(format!("no plan: {e}"));
            return;
        }
    };
    if let Err(e) = std::fs::create_dir_all(WORK) {
        port.note(format!("creating {WORK}: {e}"));
    }
    for m in &plan.modules {
        match load_module(m) {
            Ok(()) => println!("llconf-guest: loaded {m}"),
            Err(e) => port.note(format!("loading {m}: {e}")),
        }
    }
    if let Some(setup) = &plan.setup {
        if let Err(e) = run_setup(setup) {
            port.note(format!("setup `{setup}`: {e}"));
        }
    }
    for (name, path) in &plan.suites {
        run_suite(&mut port, name, path, &plan);
    }
    send_dmesg(&mut port);
    port.send(&Frame::Done);
    // SAFETY: sync has no preconditions.
    unsafe { libc::sync() };
    println!("{DONE_MARK}");
}

fn uname_release() -> String {
    // SAFETY: utsname is plain data filled by uname.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return "unknown".into();
        }
        std::ffi::CStr::from_ptr(u.release.as_ptr())
            .to_string_lossy()
            .into_owned()
    }
}

/// Makes `/` a mount of its own when it is the initramfs's rootfs, as
/// switch_root does: a bind mount of it, moved onto `/`, then chroot. The
/// rootfs can never be pivoted away from (pivot_root gives EINVAL there),
/// so without this the fs suite's pivot_root cases skip in this guest
/// while they run in virtme-ng and UML, whose root is a real mount.
fn root_on_a_mount() -> Result<(), String> {
    const RAMFS_MAGIC: i64 = 0x8584_58f6;
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    // SAFETY: statfs fills plain data.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c"/".as_ptr(), &mut st) } != 0 {
        return Err(format!("statfs /: {}", std::io::Error::last_os_error()));
    }
    if !matches!(st.f_type as i64, RAMFS_MAGIC | TMPFS_MAGIC) {
        // UML's hostfs root, or anything else mounted already.
        return Ok(());
    }
    let step = |what: &str, r: libc::c_int| {
        if r == 0 {
            Ok(())
        } else {
            Err(format!("{what}: {}", std::io::Error::last_os_error()))
        }
    };
    let _ = std::fs::create_dir("/.root");
    // SAFETY: every pointer is a live NUL-terminated string or null.
    unsafe {
        step(
            "bind / on /.root",
            libc::mount(
                c"/".as_ptr(),
                c"/.root".as_ptr(),
                std::ptr::null(),
                libc::MS_BIND | libc::MS_REC,
                std::ptr::null(),
            ),
        )?;
        step("chdir /.root", libc::chdir(c"/.root".as_ptr()))?;
        step(
            "move /.root onto /",
            libc::mount(
                c".".as_ptr(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_MOVE,
                std::ptr::null(),
            ),
        )?;
        step("chroot .", libc::chroot(c".".as_ptr()))?;
        step("chdir /", libc::chdir(c"/".as_ptr()))
    }
}

/// Mounts the pseudo filesystems; returns what failed.
fn mount_all() -> Vec<String> {
    let mounts: [(&str, &str, &str, &str); 10] = [
        ("proc", "/proc", "proc", ""),
        ("sysfs", "/sys", "sysfs", ""),
        ("devtmpfs", "/dev", "devtmpfs", "mode=0755"),
        ("devpts", "/dev/pts", "devpts", "ptmxmode=0666,mode=0620"),
        ("tmpfs", "/dev/shm", "tmpfs", "mode=1777"),
        ("tmpfs", "/tmp", "tmpfs", "mode=1777"),
        ("tmpfs", "/run", "tmpfs", "mode=0755"),
        ("securityfs", "/sys/kernel/security", "securityfs", ""),
        ("cgroup2", "/sys/fs/cgroup", "cgroup2", ""),
        // Where a distribution has it, for Landlock's trace events (7.3)
        // and the kernel's own trace selftests; a kernel built without
        // tracing has neither the filesystem nor its mount point.
        ("tracefs", "/sys/kernel/tracing", "tracefs", ""),
    ];
    let mut failed = Vec::new();
    for (source, target, fstype, data) in mounts {
        let _ = std::fs::create_dir_all(target);
        let c = |s: &str| CString::new(s).expect("no NUL");
        let (source_c, target_c, fstype_c, data_c) = (c(source), c(target), c(fstype), c(data));
        // SAFETY: every pointer is a live NUL-terminated string.
        let r = unsafe {
            libc::mount(
                source_c.as_ptr(),
                target_c.as_ptr(),
                fstype_c.as_ptr(),
                libc::MS_NOSUID,
                data_c.as_ptr().cast(),
            )
        };
        let e = std::io::Error::last_os_error();
        // A kernel with DEVTMPFS_MOUNT (UML's defconfig) has /dev mounted
        // before init runs.
        let absent =
            fstype == "tracefs" && matches!(e.raw_os_error(), Some(libc::ENODEV | libc::ENOENT));
        if r != 0 && !(target == "/dev" && e.raw_os_error() == Some(libc::EBUSY)) && !absent {
            failed.push(format!("mount {fstype} on {target}: {e}"));
        }
    }
    failed
}

/// hostfs with the host's `/`, read-only, at [`HOST_VIEW`].
fn mount_host_view() -> std::io::Result<()> {
    std::fs::create_dir_all(HOST_VIEW)?;
    let c = |s: &str| CString::new(s).expect("no NUL");
    let (source, target, fstype, data) = (c("hostfs"), c(HOST_VIEW), c("hostfs"), c("/"));
    // SAFETY: every pointer is a live NUL-terminated string.
    let r = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            libc::MS_RDONLY | libc::MS_NOSUID,
            data.as_ptr().cast(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn loopback_up() -> std::io::Result<()> {
    // SAFETY: a datagram socket for the interface ioctls, closed below;
    // ifreq is plain data and the name fits with its NUL.
    unsafe {
        let sock = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if sock < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (d, s) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
            *d = *s as libc::c_char;
        }
        let mut r = libc::ioctl(sock, libc::SIOCGIFFLAGS, &mut ifr);
        if r == 0 {
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            r = libc::ioctl(sock, libc::SIOCSIFFLAGS, &ifr);
        }
        let e = std::io::Error::last_os_error();
        libc::close(sock);
        if r == 0 {
            Ok(())
        } else {
            Err(e)
        }
    }
}

/// finit_module(2), asking the kernel to decompress a compressed module.
fn load_module(path: &str) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    const MODULE_INIT_COMPRESSED_FILE: libc::c_long = 4;
    let f = File::open(path)?;
    let compressed = [".xz", ".zst", ".gz"].iter().any(|x| path.ends_with(x));
    let flags = if compressed {
        MODULE_INIT_COMPRESSED_FILE
    } else {
        0
    };
    // SAFETY: a live fd and a NUL-terminated empty parameter string.
    let r = unsafe {
        libc::syscall(
            libc::SYS_finit_module,
            f.as_raw_fd() as libc::c_long,
            c"".as_ptr(),
            flags,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// There is no shell in the initramfs: `echo WORDS > PATH` (what the
/// built-in variants use) is done here, anything else needs a /bin/sh.
fn run_setup(cmd: &str) -> Result<(), String> {
    if let Some((words, path)) = cmd
        .strip_prefix("echo ")
        .and_then(|rest| rest.split_once(" > "))
    {
        let path = path.trim();
        return std::fs::write(path, format!("{}\n", words.trim()))
            .map_err(|e| format!("writing {path}: {e}"));
    }
    if !std::path::Path::new("/bin/sh").exists() {
        return Err("no /bin/sh in the initramfs; only `echo WORDS > PATH` is supported".into());
    }
    let status = Command::new("/bin/sh")
        .args(["-c", cmd])
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("exited with {status}"))
    }
}

/// A file another process appends to, read as it grows.
struct Tail {
    file: Option<File>,
    partial: Vec<u8>,
}

impl Tail {
    fn new(path: &str) -> Tail {
        Tail {
            file: File::open(path).ok(),
            partial: Vec::new(),
        }
    }

    fn read_new(&mut self) -> Vec<u8> {
        let mut buf = Vec::new();
        if let Some(f) = self.file.as_mut() {
            let _ = f.read_to_end(&mut buf);
        }
        buf
    }

    /// Complete lines, without their newline.
    fn lines(&mut self) -> Vec<Vec<u8>> {
        let new = self.read_new();
        self.partial.extend_from_slice(&new);
        let mut out = Vec::new();
        while let Some(nl) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            if nl > 0 {
                out.push(line[..nl].to_vec());
            }
        }
        out
    }
}

fn run_suite(port: &mut Port, name: &str, path: &str, plan: &Plan) {
    let results = format!("{WORK}/{name}.jsonl");
    let log = format!("{WORK}/{name}.log");
    port.send(&Frame::Started { suite: name.into() });
    println!("llconf-guest: suite {name} started");
    let files = File::create(&results).and_then(|_| {
        let l = File::create(&log)?;
        Ok((l.try_clone()?, l))
    });
    let spawned = files.and_then(|(out, err)| {
        Command::new(path)
            .args(&plan.args)
            .env_clear()
            .env("PATH", "/bin")
            .env("HOME", "/root")
            .env("TMPDIR", "/tmp")
            .envs(plan.env.iter().map(|(k, v)| (k, v)))
            .env("LLCONF_RESULTS", &results)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
    });
    let code = match spawned {
        Err(e) => {
            port.send(&Frame::Log {
                suite: name.into(),
                bytes: format!("llconf-guest: cannot start {path}: {e}\n").into_bytes(),
            });
            127
        }
        Ok(child) => {
            let pid = child.id() as libc::pid_t;
            // Reaped by hand below, with the orphans it leaves to PID 1.
            drop(child);
            let mut records = Tail::new(&results);
            let mut output = Tail::new(&log);
            let code = loop {
                let ended = reap(pid);
                forward(port, name, &mut records, &mut output);
                if let Some(code) = ended {
                    break code;
                }
                std::thread::sleep(POLL);
            };
            forward(port, name, &mut records, &mut output);
            if !records.partial.is_empty() {
                port.send(&Frame::Partial {
                    suite: name.into(),
                    bytes: std::mem::take(&mut records.partial),
                });
            }
            code
        }
    };
    port.send(&Frame::Exit {
        suite: name.into(),
        code,
    });
    println!("llconf-guest: suite {name} exited with {code}");
    let _ = std::fs::remove_file(&results);
    let _ = std::fs::remove_file(&log);
}

fn forward(port: &mut Port, name: &str, records: &mut Tail, output: &mut Tail) {
    for line in records.lines() {
        port.send(&Frame::Record {
            suite: name.into(),
            line,
        });
    }
    let bytes = output.read_new();
    for chunk in bytes.chunks(LOG_CHUNK) {
        port.send(&Frame::Log {
            suite: name.into(),
            bytes: chunk.to_vec(),
        });
    }
}

/// Reaps every child that ended; the exit code of `pid` (128 + signal when
/// killed, as a shell has it) once it is among them.
fn reap(pid: libc::pid_t) -> Option<i32> {
    let mut found = None;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status into a live int.
        let r = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if r <= 0 {
            break;
        }
        if r == pid {
            found = Some(if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else if libc::WIFSIGNALED(status) {
                128 + libc::WTERMSIG(status)
            } else {
                continue;
            });
        }
    }
    found
}

/// The kernel log as `dmesg` prints it: one frame per line, without the
/// `<level>` prefix.
fn send_dmesg(port: &mut Port) {
    const READ_ALL: libc::c_int = 3;
    const SIZE_BUFFER: libc::c_int = 10;
    // SAFETY: klogctl writes at most `size` bytes into the buffer.
    let text = unsafe {
        let size = libc::klogctl(SIZE_BUFFER, std::ptr::null_mut(), 0).max(1 << 16);
        let mut buf = vec![0u8; size as usize];
        let n = libc::klogctl(READ_ALL, buf.as_mut_ptr().cast(), size);
        buf.truncate(n.max(0) as usize);
        buf
    };
    for line in text.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        let line = match line.strip_prefix(b"<") {
            Some(rest) => match rest.iter().position(|&b| b == b'>') {
                Some(end) if rest[..end].iter().all(u8::is_ascii_digit) => &rest[end + 1..],
                _ => line,
            },
            None => line,
        };
        port.send(&Frame::Dmesg {
            line: line.to_vec(),
        });
    }
}
