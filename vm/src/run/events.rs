//! What a run produces, in order, for the consumers (progress, collector).
//! Producers send these over a channel; nothing flows back.

pub use crate::boot::shell::signal_name;
pub use crate::boot::VmEnd;
use llconf_reports::record::Record;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Event {
    /// About to start the suite binary.
    SuiteLaunched { suite: String, binary: PathBuf },
    /// A record the suite binary wrote, read once into the schema type.
    Record { suite: String, record: Record },
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
    /// On the host: the run was stopped (Ctrl-C, SIGTERM, its time limit)
    /// before the suite ended by itself, or before it started.
    Stopped(String),
}

impl EndCause {
    pub fn describe(&self) -> String {
        match self {
            EndCause::Exited(code) => format!("exited with code {code}"),
            EndCause::Signaled(n) => format!("killed by signal {}", signal_name(*n)),
            EndCause::SpawnFailed(e) => format!("could not be started: {e}"),
            EndCause::VmLost(why) | EndCause::Stopped(why) => format!("did not finish: {why}"),
        }
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
