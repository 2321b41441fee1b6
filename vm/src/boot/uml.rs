//! The `uml` backend: the kernel is a host program (`make ARCH=um`). Its
//! root is the host's filesystem over hostfs, mounted read-only, and its
//! init is llconf's static guest init, which reads the plan at the host
//! path it is given and sends its frames as in a qemu-initramfs guest.
//!
//! - `con0` writes the console to stdout (a pipe, read like qemu's), with
//!   no input.
//! - `ssl1` (the guest's `/dev/ttyS1`, the record port) writes to fd 3,
//!   which is `records.raw` opened by llconf; `record_port` reads it back.
//! - `uml_dir` keeps UML's per-instance directory (its management console
//!   socket) in the target directory rather than `~/.uml`.
//! - A panicking UML kernel aborts (SIGABRT, after the panic text on the
//!   console); cores are not dumped.
//! - A build that offers it (7.x) runs with seccomp userspace, and with
//!   SMP when built so (`uml.config` asks for it): twice as fast as ptrace
//!   userspace, and the races of the suites get two CPUs.

use crate::boot::{plan, port_end, Boot, Guest, Launch, VmEnd};
use llconf_guest_init::PLAN_ENV;
use llconf_reports::layout::TargetDir;
use nix::libc;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// The host fd the guest's record port writes to.
const RECORD_FD: i32 = 3;

/// What a UML build offers beyond the basics, from its `--help` (which
/// lists the options it was built with) without booting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// `seccomp=`: userspace driven by a seccomp filter and a signal
    /// instead of ptrace (7.x): fewer context switches, and the only mode
    /// in which UML runs SMP. It trusts the guest's userspace, which here
    /// is llconf's own suites.
    pub seccomp: bool,
    /// `ncpus=`: built with CONFIG_SMP.
    pub smp: bool,
}

pub fn capabilities(program: &Path) -> Capabilities {
    let help = Command::new(program)
        .arg("--help")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    parse_help(&help)
}

fn parse_help(help: &str) -> Capabilities {
    let has = |opt: &str| help.lines().any(|l| l.starts_with(opt));
    Capabilities {
        seccomp: has("seccomp="),
        smp: has("ncpus="),
    }
}

pub struct BootSpec<'a> {
    /// The `linux` program.
    pub program: &'a Path,
    pub caps: Capabilities,
    /// Virtual CPUs, when the build has SMP.
    pub cpus: usize,
    /// llconf's static guest init, as the host sees it.
    pub init: &'a Path,
    pub plan: &'a Path,
    pub append: &'a str,
    pub memory_mib: u64,
    /// The target directory: `records.raw` and the UML instance directory.
    pub dir: &'a TargetDir,
}

pub fn args(spec: &BootSpec) -> Vec<String> {
    let mut a: Vec<String> = vec![
        format!("mem={}M", spec.memory_mib),
        "root=/dev/root".into(),
        "rootfstype=hostfs".into(),
        "rootflags=/".into(),
        "ro".into(),
        format!("init={}", spec.init.display()),
        "con=null".into(),
        "con0=null,fd:1".into(),
        "ssl=null".into(),
        format!("ssl1=null,fd:{RECORD_FD}"),
        format!("uml_dir={}", spec.dir.uml_instance().display()),
        format!("{PLAN_ENV}={}", spec.plan.display()),
    ];
    // UML runs SMP only with seccomp userspace.
    if spec.caps.seccomp {
        a.push("seccomp=on".into());
        if spec.caps.smp {
            a.push(format!("ncpus={}", spec.cpus.max(1)));
        }
    }
    a.extend(spec.append.split_whitespace().map(str::to_string));
    a
}

/// The command, with `records.raw` created and handed over as fd 3.
pub fn command(spec: &BootSpec) -> std::io::Result<Command> {
    let records = std::fs::File::create(spec.dir.records_raw())?;
    std::fs::create_dir_all(spec.dir.uml_instance())?;
    let mut cmd = Command::new(spec.program);
    cmd.args(args(spec))
        .current_dir(spec.dir.root())
        .stdin(Stdio::null());
    if let Some(dir) = memory_dir(spec) {
        cmd.env("TMPDIR", dir);
    }
    let fd = records.as_raw_fd();
    // SAFETY: only async-signal-safe calls between fork and exec; `records`
    // lives in the closure, so its fd is open until then.
    unsafe {
        cmd.pre_exec(move || {
            let _keep = &records;
            // dup2 onto itself would keep close-on-exec.
            let r = if fd == RECORD_FD {
                libc::fcntl(fd, libc::F_SETFD, 0)
            } else {
                libc::dup2(fd, RECORD_FD)
            };
            if r < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            Ok(())
        });
    }
    Ok(cmd)
}

/// Where UML keeps the file behind the guest's memory: its own choice,
/// /dev/shm, unless that is too small for the guest (a container's 64 MB
/// /dev/shm: the guest would die of SIGBUS once its memory filled it);
/// then the target directory, on disk.
fn memory_dir(spec: &BootSpec) -> Option<PathBuf> {
    let free_mib = nix::sys::statvfs::statvfs("/dev/shm")
        .map(|s| s.blocks_available() * s.fragment_size() / (1 << 20))
        .unwrap_or(0);
    (free_mib < spec.memory_mib).then(|| spec.dir.root().to_path_buf())
}

/// A UML kernel (the image is its `linux` program), booting llconf's
/// static init.
#[derive(Debug, Clone)]
pub struct Uml {
    pub init: PathBuf,
}

impl Boot for Uml {
    fn launch(&self, guest: &Guest) -> anyhow::Result<Launch> {
        // The guest reads the suites where they are on the host.
        let plan = plan::plan_at_host_paths(
            &guest.suites,
            &guest.suite_args,
            guest.timeout_scale,
            guest.setup.as_deref(),
        );
        let plan_path = guest.dir.plan();
        std::fs::write(&plan_path, plan.encode())?;
        let program = guest.image.kernel_image();
        let caps = capabilities(&program);
        let note = format!(
            "llconf: UML {} userspace, {}",
            if caps.seccomp { "seccomp" } else { "ptrace" },
            if caps.seccomp && caps.smp {
                format!("{} CPUs", guest.cpus)
            } else {
                "1 CPU".into()
            }
        );
        let spec = BootSpec {
            program: &program,
            caps,
            cpus: guest.cpus,
            init: &self.init,
            plan: &plan_path,
            append: &guest.append,
            memory_mib: guest.memory_mib,
            dir: &guest.dir,
        };
        Ok(Launch {
            command: command(&spec)?,
            program,
            notes: vec![note],
        })
    }

    fn uses_record_port(&self) -> bool {
        true
    }

    /// A UML kernel exits 0 on power-off and aborts on a panic.
    fn ended(&self, status: ExitStatus, done: bool) -> VmEnd {
        port_end(status, done, VmEnd::UmlFailed, |sig| match sig {
            libc::SIGABRT => VmEnd::UmlAborted,
            sig => VmEnd::Signaled(sig),
        })
    }

    /// UML's instance directory (its management console socket); a killed
    /// UML leaves it behind.
    fn clean_up(&self, dir: &TargetDir) {
        let _ = std::fs::remove_dir_all(dir.uml_instance());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_roots_the_guest_in_the_host_read_only() {
        let dir = TargetDir::new("/o/k");
        let spec = BootSpec {
            program: Path::new("/c/linux"),
            caps: Capabilities::default(),
            cpus: 2,
            init: Path::new("/o/bin/guest/init"),
            plan: Path::new("/o/k/plan.txt"),
            append: "lsm=capability audit=0",
            memory_mib: 2048,
            dir: &dir,
        };
        assert_eq!(
            args(&spec).join(" "),
            "mem=2048M root=/dev/root rootfstype=hostfs rootflags=/ ro \
             init=/o/bin/guest/init con=null con0=null,fd:1 ssl=null ssl1=null,fd:3 \
             uml_dir=/o/k/uml LLCONF_PLAN=/o/k/plan.txt lsm=capability audit=0"
        );
        let smp = BootSpec {
            caps: Capabilities {
                seccomp: true,
                smp: true,
            },
            append: "",
            ..spec
        };
        let a = args(&smp).join(" ");
        assert!(
            a.ends_with("LLCONF_PLAN=/o/k/plan.txt seccomp=on ncpus=2"),
            "{a}"
        );
    }

    #[test]
    fn capabilities_come_from_the_help_text() {
        let old = "mem=<Amount of desired ram>\n    This controls\n--help\n";
        assert_eq!(parse_help(old), Capabilities::default());
        let new = "seccomp=<on/auto/off>\n    Configure\nncpus=<# of desired CPUs>\n";
        assert_eq!(
            parse_help(new),
            Capabilities {
                seccomp: true,
                smp: true
            }
        );
        assert_eq!(
            capabilities(Path::new("/nonexistent")),
            Capabilities::default()
        );
    }

    #[test]
    fn the_record_port_is_fd_3_of_the_kernel() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = TargetDir::new(tmp.path());
        // A stand-in kernel that writes a frame where ssl1 would.
        let program = tmp.path().join("linux");
        std::fs::write(&program, "#!/bin/sh\necho frame >&3\n").unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let spec = BootSpec {
            program: &program,
            caps: Capabilities::default(),
            cpus: 1,
            init: Path::new("/init"),
            plan: Path::new("/plan"),
            append: "",
            memory_mib: 64,
            dir: &dir,
        };
        let status = command(&spec).unwrap().status().unwrap();
        assert!(status.success());
        let raw = std::fs::read_to_string(dir.records_raw()).unwrap();
        assert_eq!(raw, "frame\n");
        assert!(dir.uml_instance().is_dir());
    }
}
