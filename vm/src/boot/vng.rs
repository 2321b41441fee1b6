//! The `vng` backend: virtme-ng boots the kernel with the host's
//! filesystem over 9p and its modules; the guest runs a shell script
//! (`vng_script`) that writes results into the shared target directory.

use crate::boot::shell::quote;
use crate::boot::vng_script::{self, GuestPlan};
use crate::boot::{Boot, Guest, Launch, VmEnd};
use crate::host::accel::Accel;
use crate::kernel::image::BootImage;
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// virtme-ng, at this path.
#[derive(Debug, Clone)]
pub struct Vng {
    pub vng: PathBuf,
}

impl Boot for Vng {
    fn launch(&self, guest: &Guest) -> anyhow::Result<Launch> {
        let script = guest.dir.guest_script();
        let text = vng_script::render(&GuestPlan {
            dir: &guest.dir,
            suites: guest
                .suites
                .iter()
                .map(|s| (s.suite.as_str(), s.path.as_path()))
                .collect(),
            suite_args: &guest.suite_args,
            timeout_scale: guest.timeout_scale,
            setup: guest.setup.as_deref(),
        });
        std::fs::write(&script, text)?;
        let spec = BootSpec {
            vng: &self.vng,
            image: &guest.image,
            accel: guest.accel,
            append: &guest.append,
            cpus: guest.cpus,
            memory_mib: guest.memory_mib,
            dir: guest.dir.root(),
            script: &script,
        };
        Ok(Launch {
            command: command(&spec),
            program: self.vng.clone(),
            notes: Vec::new(),
        })
    }

    fn uses_record_port(&self) -> bool {
        false
    }

    /// vng returns the guest command's exit code, and 255 when the guest
    /// did not get to return one.
    fn ended(&self, status: ExitStatus, _done: bool) -> VmEnd {
        match (status.code(), status.signal()) {
            (Some(0), _) => VmEnd::Completed,
            (Some(255), _) => VmEnd::Unexpected,
            (Some(code), _) => VmEnd::GuestExited(code),
            (None, Some(sig)) => VmEnd::Signaled(sig),
            (None, None) => VmEnd::SpawnFailed(format!("unknown status {status}")),
        }
    }
}

/// Drivers of qemu's emulated PC that virtme-ng's udev would load at boot
/// and no suite uses (disk and CD-ROM controllers, watchdogs, SMBus, the
/// PC speaker, mice, KVM): under TCG loading them was 5 of vng's 22 s of
/// boot on Debian 7.3. udev and modprobe both skip a module named in
/// `modprobe.blacklist=`; a test's own request (overlay, a protocol, loop)
/// is none of these.
pub const UNUSED_DRIVERS: [&str; 25] = [
    "ahci",
    "libahci",
    "libata",
    "ata_generic",
    "ata_piix",
    "sr_mod",
    "cdrom",
    "sg",
    "scsi_mod",
    "i2c_i801",
    "i2c_smbus",
    "lpc_ich",
    "iTCO_wdt",
    "iTCO_vendor_support",
    "i6300esb",
    "pcspkr",
    "button",
    "psmouse",
    "serio_raw",
    "joydev",
    "mousedev",
    "evdev",
    "kvm_amd",
    "kvm_intel",
    "kvm",
];

pub struct BootSpec<'a> {
    pub vng: &'a Path,
    pub image: &'a BootImage,
    pub accel: Accel,
    pub append: &'a str,
    pub cpus: usize,
    pub memory_mib: u64,
    /// Shared read-write; also the guest's working directory.
    pub dir: &'a Path,
    pub script: &'a Path,
}

/// The command, not yet started. vng runs `virtme-run` from its own bin
/// directory, so that goes first on PATH.
pub fn command(spec: &BootSpec) -> Command {
    let mut cmd = Command::new(spec.vng);
    if let Some(bin) = spec.vng.parent() {
        let mut path = OsString::from(bin);
        if let Some(old) = std::env::var_os("PATH") {
            path.push(":");
            path.push(old);
        }
        cmd.env("PATH", path);
    }
    cmd.args(args(spec));
    match spec.image {
        // Inside a built tree vng boots that tree, with its modules.
        BootImage::Tree(tree) => cmd.current_dir(tree),
        BootImage::Image(_) => cmd.current_dir(spec.dir),
    };
    cmd.stdin(Stdio::null());
    cmd
}

pub fn args(spec: &BootSpec) -> Vec<String> {
    let mut a: Vec<String> = Vec::new();
    if spec.accel == Accel::Tcg {
        a.push("--disable-kvm".into());
    }
    if let BootImage::Image(image) = spec.image {
        a.extend(["-r".into(), image.display().to_string()]);
    }
    // --verbose puts the kernel console on vng's stderr, which is how
    // panics and warnings reach the host.
    a.push("--verbose".into());
    a.extend([
        "--cpus".into(),
        spec.cpus.to_string(),
        "--memory".into(),
        format!("{}M", spec.memory_mib),
        "--rwdir".into(),
        spec.dir.display().to_string(),
        "--cwd".into(),
        spec.dir.display().to_string(),
    ]);
    if !spec.append.is_empty() {
        a.extend(["--append".into(), spec.append.to_string()]);
    }
    a.extend([
        "--append".into(),
        format!("modprobe.blacklist={}", UNUSED_DRIVERS.join(",")),
    ]);
    a.extend([
        "--exec".into(),
        format!("sh {}", quote(&spec.script.display().to_string())),
    ]);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcg_boot_of_an_image() {
        let image = BootImage::Image("/c/k/vmlinuz".into());
        let spec = BootSpec {
            vng: Path::new("/venv/bin/vng"),
            image: &image,
            accel: Accel::Tcg,
            append: "lsm=lockdown,capability,yama",
            cpus: 2,
            memory_mib: 2048,
            dir: Path::new("/out/k-default"),
            script: Path::new("/out/k-default/guest.sh"),
        };
        assert_eq!(
            args(&spec).join(" "),
            "--disable-kvm -r /c/k/vmlinuz --verbose --cpus 2 --memory 2048M \
             --rwdir /out/k-default --cwd /out/k-default \
             --append lsm=lockdown,capability,yama --append modprobe.blacklist=ahci,libahci,\
             libata,ata_generic,ata_piix,sr_mod,cdrom,sg,scsi_mod,i2c_i801,i2c_smbus,lpc_ich,\
             iTCO_wdt,iTCO_vendor_support,i6300esb,pcspkr,button,psmouse,serio_raw,joydev,mousedev,\
             evdev,kvm_amd,kvm_intel,kvm --exec sh '/out/k-default/guest.sh'"
        );
        let cmd = command(&spec);
        let path = cmd
            .get_envs()
            .find(|(k, _)| *k == "PATH")
            .and_then(|(_, v)| v)
            .unwrap();
        assert!(path.to_string_lossy().starts_with("/venv/bin:"));
    }

    #[test]
    fn kvm_boot_of_a_tree_has_no_image_and_no_disable() {
        let image = BootImage::Tree("/src/linux".into());
        let spec = BootSpec {
            vng: Path::new("vng"),
            image: &image,
            accel: Accel::Kvm,
            append: "",
            cpus: 1,
            memory_mib: 1024,
            dir: Path::new("/o"),
            script: Path::new("/o/guest.sh"),
        };
        let a = args(&spec);
        assert!(!a.contains(&"--disable-kvm".to_string()));
        assert!(!a.contains(&"-r".to_string()));
        // Only the drivers no suite uses: the variant appends nothing.
        let appends: Vec<&String> = a
            .windows(2)
            .filter(|w| w[0] == "--append")
            .map(|w| &w[1])
            .collect();
        assert_eq!(appends.len(), 1);
        assert!(appends[0].starts_with("modprobe.blacklist=ahci,"));
        assert_eq!(
            command(&spec).get_current_dir(),
            Some(Path::new("/src/linux"))
        );
    }
}
