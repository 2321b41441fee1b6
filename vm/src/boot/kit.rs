//! What the backends of one run boot with: tools found and binaries built
//! once, then shared by every target. `llconf run` and `llconf bench` both
//! turn a kernel into a backend through [`Kit::boot`].

use crate::boot::qemu_initramfs::{self, QemuInitramfs};
use crate::boot::uml::Uml;
use crate::boot::vng::Vng;
use crate::boot::Boot;
use crate::kernel::backend::Backend;
use crate::kernel::image::Prepared;
use crate::suites::binary::{GuestBinaries, SuiteBinary};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Kit {
    /// virtme-ng, when a target boots with it.
    pub vng: Option<PathBuf>,
    pub qemu: PathBuf,
    /// llconf's static init and `true`, for qemu-initramfs and uml guests.
    pub guest: Option<GuestBinaries>,
    /// As built: vng and uml guests run them from the host's filesystem.
    pub suites: Option<Vec<SuiteBinary>>,
    /// Linked static: packed into qemu-initramfs guests.
    pub static_suites: Option<Vec<SuiteBinary>>,
}

impl Kit {
    /// The backend `kind` for a prepared kernel, and the suite binaries its
    /// guest runs. Panics when the kit lacks what `kind` needs: the caller
    /// built the kit for the backends in use.
    pub fn boot(&self, kind: Backend, kernel: &Prepared) -> (Arc<dyn Boot>, Vec<SuiteBinary>) {
        let guest = || {
            self.guest
                .clone()
                .expect("guest binaries built for this backend")
        };
        match kind {
            Backend::Vng => (
                Arc::new(Vng {
                    vng: self.vng.clone().expect("vng checked for vng targets"),
                }),
                self.suites.clone().expect("suites built for vng targets"),
            ),
            Backend::QemuInitramfs => (
                Arc::new(QemuInitramfs {
                    qemu: self.qemu.clone(),
                    guest: guest(),
                    modules: qemu_initramfs::find_modules(
                        &kernel.image.kernel_image(),
                        kernel.release.as_deref(),
                    ),
                }),
                self.static_suites
                    .clone()
                    .expect("static suites built for qemu-initramfs targets"),
            ),
            Backend::Uml => (
                Arc::new(Uml { init: guest().init }),
                self.suites.clone().expect("suites built for uml targets"),
            ),
        }
    }
}
