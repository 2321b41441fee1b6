//! The `qemu-initramfs` backend: qemu boots the bare kernel image with an
//! initramfs of llconf's own (its static `/init`, a static `/bin/true`, the
//! static suite binaries and the plan). No 9p, no modules, no udev: every
//! Debian kernel boots, those without a modules package too.
//!
//! - ttyS0 (`-serial stdio`) is the kernel console and the init's own
//!   lines: read like vng's output, scanned for panics and warnings.
//! - ttyS1 (`-serial file:records.raw`) carries only the init's frames
//!   (see `llconf_guest_init`), turned back into files by `record_port`.
//! - `panic=-1` and `-no-reboot`: a panicking guest ends qemu at once; the
//!   init powers off when done, and says `done` first, which is how a
//!   complete run is told from a crash (qemu exits 0 either way).

use crate::boot::cpio::CpioWriter;
use crate::boot::plan::{self, file_name, MODULES_DIR};
use crate::boot::{port_end, Boot, Guest, Launch, VmEnd};
use crate::host::accel::Accel;
use crate::suites::binary::{GuestBinaries, SuiteBinary};
use anyhow::{Context, Result};
use llconf_guest_init::{Plan, PLAN_PATH, SUITES_DIR};
use llconf_reports::layout::TargetDir;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// Modules of Debian's kernels the suites use (overlayfs; loop, for the
/// fs suite's block-device cases, which virtme-ng's udev loads), loaded by
/// the init when the kernel's modules are at hand; none of them has
/// dependencies.
pub const GUEST_MODULES: [&str; 2] = ["kernel/fs/overlayfs/overlay", "kernel/drivers/block/loop"];

/// [`GUEST_MODULES`] of an extracted Debian kernel: its `lib/modules/<release>`
/// is found above the image. Empty when the modules are not there (Debian's
/// 6.19 to 7.1, whose modules packages are gone).
pub fn find_modules(image: &Path, release: Option<&str>) -> Vec<PathBuf> {
    let Some(release) = release else {
        return Vec::new();
    };
    for root in image.ancestors().skip(1).take(5) {
        for base in ["lib/modules", "usr/lib/modules"] {
            let dir = root.join(base).join(release);
            if !dir.is_dir() {
                continue;
            }
            return GUEST_MODULES
                .iter()
                .filter_map(|m| {
                    ["", ".xz", ".zst", ".gz"]
                        .iter()
                        .map(|ext| dir.join(format!("{m}.ko{ext}")))
                        .find(|p| p.is_file())
                })
                .collect();
        }
    }
    Vec::new()
}

pub struct BootSpec<'a> {
    pub qemu: &'a Path,
    pub image: &'a Path,
    pub initramfs: &'a Path,
    pub accel: Accel,
    pub append: &'a str,
    pub cpus: usize,
    pub memory_mib: u64,
    /// Where `records.raw` goes.
    pub dir: &'a TargetDir,
}

/// The kernel command line: console on ttyS0, warnings and worse on it
/// (for the scan), a panic ends the VM, then the variant's own.
pub fn kernel_cmdline(append: &str) -> String {
    let mut s = String::from("console=ttyS0 panic=-1 rdinit=/init");
    if !append.is_empty() {
        s.push(' ');
        s.push_str(append);
    }
    s
}

pub fn args(spec: &BootSpec) -> Vec<String> {
    let mut a: Vec<String> = vec!["-M".into(), "q35".into()];
    match spec.accel {
        Accel::Kvm => a.extend(["-accel", "kvm", "-cpu", "host"].map(String::from)),
        Accel::Tcg => a.extend(["-accel", "tcg", "-cpu", "max"].map(String::from)),
    }
    a.extend([
        "-smp".into(),
        spec.cpus.to_string(),
        "-m".into(),
        format!("{}M", spec.memory_mib),
        "-nodefaults".into(),
        "-no-user-config".into(),
        "-display".into(),
        "none".into(),
        "-no-reboot".into(),
        "-kernel".into(),
        spec.image.display().to_string(),
        "-initrd".into(),
        spec.initramfs.display().to_string(),
        "-append".into(),
        kernel_cmdline(spec.append),
        "-serial".into(),
        "stdio".into(),
        "-serial".into(),
        format!("file:{}", spec.dir.records_raw().display()),
    ]);
    a
}

pub fn command(spec: &BootSpec) -> Command {
    let mut cmd = Command::new(spec.qemu);
    cmd.args(args(spec))
        .current_dir(spec.dir.root())
        .stdin(Stdio::null());
    cmd
}

/// Writes the initramfs: uncompressed (every Debian kernel unpacks plain
/// newc, and TCG spends longer gunzipping than reading).
pub fn write_initramfs(
    path: &Path,
    guest: &GuestBinaries,
    suites: &[SuiteBinary],
    modules: &[PathBuf],
    plan: &Plan,
) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = CpioWriter::new(BufWriter::new(file));
    let io = |r: std::io::Result<()>| r.with_context(|| format!("writing {}", path.display()));
    for dir in [
        "bin",
        "dev",
        "proc",
        "sys",
        "tmp",
        "run",
        "root",
        "llconf",
        "llconf/suites",
        "llconf/modules",
    ] {
        io(w.dir(dir, if dir == "tmp" { 0o1777 } else { 0o755 }))?;
    }
    // The kernel opens /dev/console for init's stdin, stdout and stderr
    // before devtmpfs is mounted.
    io(w.char_dev("dev/console", 0o600, 5, 1))?;
    let mut add = |name: &str, from: &Path| -> Result<()> {
        let mut f = std::fs::File::open(from)
            .with_context(|| format!("opening {} for the initramfs", from.display()))?;
        let len = f.metadata()?.len();
        io(w.file_from(name, 0o755, &mut f, len))
    };
    add("init", &guest.init)?;
    add("bin/true", &guest.true_bin)?;
    for s in suites {
        add(
            &format!("{}/{}", SUITES_DIR.trim_start_matches('/'), s.suite),
            &s.path,
        )?;
    }
    for m in modules {
        add(
            &format!("{}/{}", MODULES_DIR.trim_start_matches('/'), file_name(m)),
            m,
        )?;
    }
    io(w.file(
        PLAN_PATH.trim_start_matches('/'),
        0o644,
        plan.encode().as_bytes(),
    ))?;
    w.finish()
        .and_then(|mut out| std::io::Write::flush(&mut out))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// qemu, with llconf's static guest programs and the kernel's modules
/// that the suites use.
#[derive(Debug, Clone)]
pub struct QemuInitramfs {
    pub qemu: PathBuf,
    pub guest: GuestBinaries,
    /// Packed and loaded by the init (see [`find_modules`]).
    pub modules: Vec<PathBuf>,
}

impl Boot for QemuInitramfs {
    fn launch(&self, guest: &Guest) -> anyhow::Result<Launch> {
        let plan = plan::plan(
            &guest.suites,
            &guest.suite_args,
            guest.timeout_scale,
            guest.setup.as_deref(),
            &self.modules,
        );
        std::fs::write(guest.dir.plan(), plan.encode())?;
        let initramfs = guest.dir.initramfs();
        write_initramfs(&initramfs, &self.guest, &guest.suites, &self.modules, &plan)?;
        let image = guest.image.kernel_image();
        let spec = BootSpec {
            qemu: &self.qemu,
            image: &image,
            initramfs: &initramfs,
            accel: guest.accel,
            append: &guest.append,
            cpus: guest.cpus,
            memory_mib: guest.memory_mib,
            dir: &guest.dir,
        };
        Ok(Launch {
            command: command(&spec),
            program: self.qemu.clone(),
            notes: Vec::new(),
        })
    }

    fn uses_record_port(&self) -> bool {
        true
    }

    /// qemu exits 0 on power-off and on a panic alike (-no-reboot): only
    /// the init's `done` tells them apart.
    fn ended(&self, status: ExitStatus, done: bool) -> VmEnd {
        port_end(status, done, VmEnd::QemuFailed, VmEnd::Signaled)
    }

    fn clean_up(&self, dir: &TargetDir) {
        if std::env::var_os("LLCONF_KEEP_INITRAMFS").is_none() {
            // Tens of MB per target; plan.txt says what was in it.
            let _ = std::fs::remove_file(dir.initramfs());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcg_command_line() {
        let dir = TargetDir::new("/o/k");
        let spec = BootSpec {
            qemu: Path::new("qemu-system-x86_64"),
            image: Path::new("/c/vmlinuz"),
            initramfs: Path::new("/o/k/initramfs.cpio"),
            accel: Accel::Tcg,
            append: "lsm=lockdown,capability,yama",
            cpus: 2,
            memory_mib: 2048,
            dir: &dir,
        };
        assert_eq!(
            args(&spec).join(" "),
            "-M q35 -accel tcg -cpu max -smp 2 -m 2048M -nodefaults -no-user-config \
             -display none -no-reboot -kernel /c/vmlinuz -initrd /o/k/initramfs.cpio \
             -append console=ttyS0 panic=-1 rdinit=/init lsm=lockdown,capability,yama \
             -serial stdio -serial file:/o/k/records.raw"
        );
        let kvm = BootSpec {
            accel: Accel::Kvm,
            append: "",
            ..spec
        };
        let a = args(&kvm).join(" ");
        assert!(a.contains("-accel kvm -cpu host"), "{a}");
        assert!(
            a.contains("-append console=ttyS0 panic=-1 rdinit=/init -serial"),
            "{a}"
        );
    }

    #[test]
    fn the_initramfs_holds_init_true_the_suites_and_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let w = |n: &str, t: &str| {
            std::fs::write(d.join(n), t).unwrap();
            d.join(n)
        };
        let guest = GuestBinaries {
            init: w("init", "INIT"),
            true_bin: w("true", "TRUE"),
        };
        let suites = [SuiteBinary {
            suite: "base".into(),
            path: w("base-123", "BASE"),
        }];
        let modules = [w("overlay.ko.xz", "XZ")];
        let plan = crate::boot::plan::plan(&suites, &["--exact".into()], 4.0, None, &modules);
        let out = TargetDir::new(d).initramfs();
        write_initramfs(&out, &guest, &suites, &modules, &plan).unwrap();
        let entries = crate::boot::cpio::read(&std::fs::read(&out).unwrap()).unwrap();
        let find = |n: &str| {
            entries
                .iter()
                .find(|e| e.name == n)
                .unwrap_or_else(|| panic!("{n} missing"))
        };
        assert_eq!(find("init").data, b"INIT");
        assert_eq!(find("bin/true").data, b"TRUE");
        assert_eq!(find("llconf/suites/base").data, b"BASE");
        assert_eq!(find("dev/console").rdev, (5, 1));
        let back = Plan::decode(std::str::from_utf8(&find("llconf/plan").data).unwrap()).unwrap();
        assert_eq!(back.suites, [("base".into(), "/llconf/suites/base".into())]);
        assert_eq!(back.args, ["--exact"]);
        assert_eq!(
            back.env,
            [
                ("LLCONF_TIMEOUT_SCALE".into(), "4".into()),
                ("LLCONF_START_DEPTH".into(), "0".into())
            ]
        );
        assert_eq!(back.modules, ["/llconf/modules/overlay.ko.xz"]);
        assert_eq!(find("llconf/modules/overlay.ko.xz").data, b"XZ");
    }

    #[test]
    fn modules_are_found_above_the_image_in_either_layout() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Unsplit: boot/vmlinuz-R and lib/modules/R.
        let image = d.join("a/boot/vmlinuz-6.12.95+deb12-amd64");
        let m = d.join("a/lib/modules/6.12.95+deb12-amd64/kernel/fs/overlayfs/overlay.ko.xz");
        std::fs::create_dir_all(m.parent().unwrap()).unwrap();
        std::fs::create_dir_all(image.parent().unwrap()).unwrap();
        std::fs::write(&m, "").unwrap();
        assert_eq!(find_modules(&image, Some("6.12.95+deb12-amd64")), [m]);
        // Split, modules package gone: the image alone.
        let image = d.join("b/usr/lib/modules/7.1.13+deb13-amd64/vmlinuz");
        std::fs::create_dir_all(image.parent().unwrap()).unwrap();
        assert!(find_modules(&image, Some("7.1.13+deb13-amd64")).is_empty());
        assert!(find_modules(&image, None).is_empty());
    }
}
