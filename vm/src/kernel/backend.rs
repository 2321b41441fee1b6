//! How a kernel is booted: virtme-ng, qemu directly with an initramfs of
//! llconf's own, or as a User-Mode Linux process.

use crate::host::accel::Accel;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// virtme-ng: the host's filesystem over 9p, the kernel's modules, udev.
    Vng,
    /// qemu with the bare image and an initramfs holding llconf's init and
    /// the static suite binaries; results come back over a serial port. No
    /// modules needed: it boots kernels whose modules package is gone.
    QemuInitramfs,
    /// User-Mode Linux: the kernel is a host program (`ARCH=um`), its root
    /// is the host's filesystem over hostfs, read-only. Only UML kernels
    /// boot this way, and UML kernels boot no other way.
    Uml,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Vng => "vng",
            Backend::QemuInitramfs => "qemu-initramfs",
            Backend::Uml => "uml",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The backend of a kernel: forced on the command line, else the
/// definition's, else vng where KVM works and the kernel can boot there (it
/// has its modules), and qemu-initramfs otherwise. Under TCG, virtme-ng's
/// boot (udev loading modules, its init, 9p) takes 20 to 60 s where
/// qemu-initramfs takes 4 to 8, for the same cases and verdicts. A UML
/// kernel is always `uml` (see [`check_forced`]).
pub fn choose(
    forced: Option<Backend>,
    defined: Option<Backend>,
    has_modules: bool,
    accel: Accel,
) -> Backend {
    if defined == Some(Backend::Uml) {
        return Backend::Uml;
    }
    forced
        .or(defined)
        .unwrap_or(if has_modules && accel == Accel::Kvm {
            Backend::Vng
        } else {
            Backend::QemuInitramfs
        })
}

/// `--backend` against a kernel it cannot boot: a UML kernel is a host
/// program, an x86 image is not.
pub fn check_forced(
    forced: Option<Backend>,
    defined: Option<Backend>,
    kernel: &str,
) -> Result<(), String> {
    let uml = defined == Some(Backend::Uml);
    match forced {
        Some(Backend::Uml) if !uml => Err(format!(
            "--backend uml: kernel `{kernel}` is not a User-Mode Linux kernel \
             (its definition needs `backend = \"uml\"` and a UML source)"
        )),
        Some(b) if uml && b != Backend::Uml => Err(format!(
            "--backend {b}: kernel `{kernel}` is a User-Mode Linux kernel; it boots only with `uml`"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_beats_defined_beats_what_the_kernel_and_accelerator_allow() {
        use Accel::*;
        use Backend::*;
        assert_eq!(choose(None, None, true, Kvm), Vng);
        assert_eq!(choose(None, None, true, Tcg), QemuInitramfs);
        assert_eq!(choose(None, None, false, Kvm), QemuInitramfs);
        assert_eq!(choose(None, Some(QemuInitramfs), true, Kvm), QemuInitramfs);
        assert_eq!(choose(None, Some(Vng), true, Tcg), Vng);
        assert_eq!(choose(Some(Vng), None, true, Tcg), Vng);
        assert_eq!(choose(Some(Vng), Some(QemuInitramfs), false, Kvm), Vng);
        #[derive(Deserialize)]
        struct T {
            b: Backend,
        }
        let t: T = toml::from_str("b = \"qemu-initramfs\"").unwrap();
        assert_eq!(t.b, QemuInitramfs);
        assert_eq!(QemuInitramfs.to_string(), "qemu-initramfs");
    }

    #[test]
    fn uml_kernels_boot_only_in_uml() {
        use Backend::*;
        assert_eq!(choose(Some(Vng), Some(Uml), true, Accel::Kvm), Uml);
        assert!(check_forced(Some(Vng), Some(Uml), "uml-6.12")
            .unwrap_err()
            .contains("`uml-6.12` is a User-Mode Linux kernel"));
        assert!(check_forced(Some(Uml), None, "debian-6.12")
            .unwrap_err()
            .contains("not a User-Mode Linux kernel"));
        assert!(check_forced(Some(Uml), Some(Uml), "u").is_ok());
        assert!(check_forced(None, Some(Uml), "u").is_ok());
        assert!(check_forced(Some(Vng), None, "d").is_ok());
    }
}
