//! Boot backends: how one VM run starts, and how it ended. One file per
//! backend (virtme-ng, qemu with llconf's initramfs, User-Mode Linux), each
//! implementing [`Boot`]: what it writes for the guest, its command line,
//! and how to read its exit. Beside them what they share: the guest plan,
//! the cpio writer, the record port that turns the guest's frames back
//! into files, and the [`kit::Kit`] of tools and binaries a run boots with.
//!
//! The run loop (`run::vm`) knows nothing of any one backend: it asks the
//! backend for a [`Launch`], follows the target directory, and asks the
//! backend what the exit meant.

pub mod cpio;
pub mod kit;
pub mod plan;
pub mod qemu_initramfs;
pub mod record_port;
pub mod shell;
pub mod uml;
pub mod vng;
pub mod vng_script;

use crate::host::accel::Accel;
use crate::kernel::backend::Backend;
use crate::kernel::image::BootImage;
use crate::suites::binary::SuiteBinary;
use llconf_reports::layout::TargetDir;
use std::fmt::Debug;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::time::Duration;

/// What every backend is told of one VM run (a kernel × variant).
#[derive(Debug, Clone)]
pub struct Guest {
    /// `<out>/<kernel>-<variant>`, absolute: shared with vng guests.
    pub dir: TargetDir,
    pub image: BootImage,
    pub accel: Accel,
    /// The variant's kernel command line.
    pub append: String,
    /// The variant's shell command, run in the guest before the suites.
    pub setup: Option<String>,
    pub cpus: usize,
    pub memory_mib: u64,
    /// In the order the guest runs them.
    pub suites: Vec<SuiteBinary>,
    pub suite_args: Vec<String>,
    /// `LLCONF_TIMEOUT_SCALE` in the guest.
    pub timeout_scale: f64,
}

/// A VM about to start.
pub struct Launch {
    /// Not yet started; the run loop adds the pipes and the process group.
    pub command: Command,
    /// What is started, for messages.
    pub program: PathBuf,
    /// Lines for the console log before the VM's own (how it was set up).
    pub notes: Vec<String>,
}

/// One boot backend, with what it needs (its tools, the guest programs).
pub trait Boot: Debug + Send + Sync {
    /// Writes what the guest reads (a script, a plan, an initramfs) into
    /// its target directory, which holds nothing of an earlier run, and
    /// gives the command that boots it.
    fn launch(&self, guest: &Guest) -> anyhow::Result<Launch>;

    /// Whether the guest sends its results over the record port
    /// (`records.raw`) rather than writing them into the shared directory.
    fn uses_record_port(&self) -> bool;

    /// What the exit of the VM process means; `done`: the guest's init
    /// said, over the record port, that it ran everything.
    fn ended(&self, status: ExitStatus, done: bool) -> VmEnd;

    /// After the VM is gone: removes what only the VM needed.
    fn clean_up(&self, _dir: &TargetDir) {}
}

/// How the exit of a VM whose init reports over the record port reads:
/// such a VM exits 0 on power-off and on some deaths alike, so only the
/// init's `done` makes a complete run. Other exits are the backend's to
/// name.
pub fn port_end(
    status: ExitStatus,
    done: bool,
    failed: impl Fn(i32) -> VmEnd,
    signaled: impl Fn(i32) -> VmEnd,
) -> VmEnd {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(0), _) if done => VmEnd::Completed,
        (Some(0), _) => VmEnd::Stopped,
        (Some(code), _) => failed(code),
        (None, Some(sig)) => signaled(sig),
        (None, None) => VmEnd::SpawnFailed(format!("unknown status {status}")),
    }
}

/// How much longer a test may take in the guest than on the host.
pub fn timeout_scale(kind: Backend, accel: Accel) -> f64 {
    match (kind, accel) {
        // UML runs natively, but every guest syscall is a round trip
        // through the host (ptrace, or seccomp's signal on 7.x).
        (Backend::Uml, _) => 2.0,
        (_, Accel::Tcg) => 4.0,
        (_, Accel::Kvm) => 1.0,
    }
}

/// How a VM run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmEnd {
    /// The guest ran every suite.
    Completed,
    /// vng returned the guest command's exit code, other than 0 and 255.
    GuestExited(i32),
    /// vng's 255: the guest panicked or exited unexpectedly.
    Unexpected,
    /// qemu-initramfs: qemu ended before the guest's init reported the end
    /// of the run.
    Stopped,
    /// qemu-initramfs: qemu itself failed, with this exit code.
    QemuFailed(i32),
    /// uml: the kernel program aborted, which is what UML does on a kernel
    /// panic (the console has the panic).
    UmlAborted,
    /// uml: the kernel program exited with this code.
    UmlFailed(i32),
    /// The per-VM limit passed and llconf killed qemu.
    TimedOut(Duration),
    /// vng or qemu died from a signal (not from llconf).
    Signaled(i32),
    /// llconf was interrupted and killed qemu.
    Interrupted,
    /// The caller had seen what it needed and llconf killed the VM.
    Enough,
    SpawnFailed(String),
}

impl VmEnd {
    pub fn is_ok(&self) -> bool {
        *self == VmEnd::Completed
    }

    pub fn describe(&self) -> String {
        match self {
            VmEnd::Completed => "the guest ran every suite".into(),
            VmEnd::GuestExited(code) => format!("the guest script exited with code {code}"),
            VmEnd::Unexpected => {
                "the VM exited unexpectedly (vng exit code 255: a guest panic, or the \
                 guest stopped before its command finished)"
                    .into()
            }
            VmEnd::Stopped => "the VM stopped before the guest's init reported the end of \
                 the run (a kernel panic: panic=-1 with -no-reboot ends qemu; or init died)"
                .into(),
            VmEnd::QemuFailed(code) => format!("qemu failed with exit code {code}"),
            VmEnd::UmlAborted => "the UML kernel aborted (SIGABRT): a kernel panic, or UML \
                 itself failed; see the console"
                .into(),
            VmEnd::UmlFailed(code) => format!("the UML kernel exited with code {code}"),
            VmEnd::TimedOut(limit) => format!(
                "the VM ran past its {} s limit and qemu was killed",
                limit.as_secs()
            ),
            VmEnd::Signaled(n) => format!(
                "the VM process (vng, qemu or the UML kernel) was killed by signal {}",
                shell::signal_name(*n)
            ),
            VmEnd::Interrupted => {
                "interrupted; the VM (qemu, vng or the UML kernel) was killed".into()
            }
            VmEnd::Enough => "stopped by llconf once it had seen what it needed".into(),
            VmEnd::SpawnFailed(e) => format!("the VM could not be started: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::qemu_initramfs::QemuInitramfs;
    use super::uml::Uml;
    use super::vng::Vng;
    use super::*;
    use rstest::rstest;
    use std::os::unix::process::ExitStatusExt;

    fn vng() -> Box<dyn Boot> {
        Box::new(Vng { vng: "vng".into() })
    }

    fn qemu() -> Box<dyn Boot> {
        Box::new(QemuInitramfs {
            qemu: "qemu".into(),
            guest: Default::default(),
            modules: Vec::new(),
        })
    }

    fn uml() -> Box<dyn Boot> {
        Box::new(Uml {
            init: "init".into(),
        })
    }

    fn exit(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    fn killed(signal: i32) -> ExitStatus {
        ExitStatus::from_raw(signal)
    }

    #[rstest]
    #[case::vng_returns_the_guest_script(vng(), exit(0), false, VmEnd::Completed)]
    #[case::vng_255_is_a_lost_guest(vng(), exit(255), false, VmEnd::Unexpected)]
    #[case::vng_other_codes_are_the_script(vng(), exit(3), false, VmEnd::GuestExited(3))]
    #[case::vng_killed(vng(), killed(9), false, VmEnd::Signaled(9))]
    #[case::qemu_done_then_off(qemu(), exit(0), true, VmEnd::Completed)]
    #[case::qemu_off_without_done(qemu(), exit(0), false, VmEnd::Stopped)]
    #[case::qemu_failed(qemu(), exit(1), true, VmEnd::QemuFailed(1))]
    #[case::qemu_killed(qemu(), killed(15), false, VmEnd::Signaled(15))]
    #[case::uml_done_then_off(uml(), exit(0), true, VmEnd::Completed)]
    #[case::uml_off_without_done(uml(), exit(0), false, VmEnd::Stopped)]
    #[case::uml_failed(uml(), exit(2), false, VmEnd::UmlFailed(2))]
    #[case::uml_panic_aborts(uml(), killed(6), false, VmEnd::UmlAborted)]
    #[case::uml_killed(uml(), killed(9), false, VmEnd::Signaled(9))]
    fn each_backend_reads_its_exit(
        #[case] boot: Box<dyn Boot>,
        #[case] status: ExitStatus,
        #[case] done: bool,
        #[case] expected: VmEnd,
    ) {
        assert_eq!(boot.ended(status, done), expected);
    }

    #[rstest]
    #[case(Backend::Uml, Accel::Tcg, 2.0)]
    #[case(Backend::Uml, Accel::Kvm, 2.0)]
    #[case(Backend::Vng, Accel::Tcg, 4.0)]
    #[case(Backend::QemuInitramfs, Accel::Kvm, 1.0)]
    fn slow_guests_stretch_the_test_timeouts(
        #[case] kind: Backend,
        #[case] accel: Accel,
        #[case] scale: f64,
    ) {
        assert_eq!(timeout_scale(kind, accel), scale);
    }
}
