//! What a run produces, in order, for the consumers (progress, collector).
//! Producers send these over a channel; nothing flows back.

use llconf_reports::record::{KernelInfo, SuiteFinished, TestRecord};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Event {
    /// About to start the suite binary.
    SuiteLaunched {
        suite: String,
        binary: PathBuf,
    },
    /// The binary's `suite_started` record.
    SuiteStarted {
        suite: String,
        kernel: KernelInfo,
        tests_planned: usize,
        started_at: f64,
    },
    TestFinished {
        suite: String,
        record: TestRecord,
    },
    /// The binary's closing `suite_finished` record.
    SuiteFinished {
        suite: String,
        record: SuiteFinished,
    },
    /// A results line that is not a record, e.g. torn by a crash.
    UnreadableLine {
        suite: String,
        line: String,
        error: String,
    },
    /// The suite binary is gone; no more events for this suite.
    SuiteEnded {
        suite: String,
        cause: EndCause,
        elapsed: Duration,
        /// The binary's stdout and stderr.
        log: PathBuf,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndCause {
    Exited(i32),
    Signaled(i32),
    SpawnFailed(String),
    /// In a VM: the suite did not end by itself because the VM went away
    /// first, or never got to it.
    VmLost(String),
}

impl EndCause {
    pub fn describe(&self) -> String {
        match self {
            EndCause::Exited(code) => format!("exited with code {code}"),
            EndCause::Signaled(n) => format!("killed by signal {}", signal_name(*n)),
            EndCause::SpawnFailed(e) => format!("could not be started: {e}"),
            EndCause::VmLost(why) => format!("did not finish: {why}"),
        }
    }
}

/// `SIGSEGV (11)`.
pub fn signal_name(number: i32) -> String {
    match nix::sys::signal::Signal::try_from(number) {
        Ok(s) => format!("{} ({number})", s.as_str()),
        Err(_) => format!("signal {number}"),
    }
}

/// What happens to one VM run (a kernel × variant), in order.
#[derive(Debug, Clone)]
pub enum VmEvent {
    /// vng or qemu is about to start; `command` is the command line, for
    /// the record.
    BootStarted { command: String },
    /// The guest printed its first line: the kernel is up.
    GuestUp { boot: Duration },
    /// A line of console (vng's stderr with --verbose) or guest output.
    ConsoleLine(String),
    /// A suite event, as `llconf run --host` sends them.
    Suite(Event),
    /// vng is gone; no more events for this target.
    VmEnded { cause: VmEnd, elapsed: Duration },
}

/// How vng ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmEnd {
    /// The guest script ran to its end.
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
                signal_name(*n)
            ),
            VmEnd::Interrupted => "interrupted; qemu was killed".into(),
            VmEnd::SpawnFailed(e) => format!("the VM could not be started: {e}"),
        }
    }
}

/// A [`VmEvent`] of target number `target`.
#[derive(Debug, Clone)]
pub struct TargetEvent {
    pub target: usize,
    pub event: VmEvent,
}

/// Something that reacts to events as they arrive.
pub trait Consumer {
    fn on_event(&mut self, event: &Event);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_named() {
        assert_eq!(
            EndCause::Signaled(11).describe(),
            "killed by signal SIGSEGV (11)"
        );
        assert_eq!(signal_name(9999), "signal 9999");
    }
}
