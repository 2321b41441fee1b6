//! How a kernel is booted: virtme-ng, or qemu directly with an initramfs of
//! llconf's own.

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
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Vng => "vng",
            Backend::QemuInitramfs => "qemu-initramfs",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The backend of a kernel: forced on the command line, else the
/// definition's, else vng when the kernel can boot there (it has its
/// modules) and qemu-initramfs when not.
pub fn choose(forced: Option<Backend>, defined: Option<Backend>, has_modules: bool) -> Backend {
    forced.or(defined).unwrap_or(if has_modules {
        Backend::Vng
    } else {
        Backend::QemuInitramfs
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_beats_defined_beats_what_the_kernel_allows() {
        use Backend::*;
        assert_eq!(choose(None, None, true), Vng);
        assert_eq!(choose(None, None, false), QemuInitramfs);
        assert_eq!(choose(None, Some(QemuInitramfs), true), QemuInitramfs);
        assert_eq!(choose(Some(Vng), Some(QemuInitramfs), false), Vng);
        #[derive(Deserialize)]
        struct T {
            b: Backend,
        }
        let t: T = toml::from_str("b = \"qemu-initramfs\"").unwrap();
        assert_eq!(t.b, QemuInitramfs);
        assert_eq!(QemuInitramfs.to_string(), "qemu-initramfs");
    }
}
