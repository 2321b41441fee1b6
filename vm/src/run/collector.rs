//! Gathers events into per-suite results for the end-of-run reporters,
//! with the one fold of records (`SuiteResults::apply`) that `llconf
//! report` uses too, and decides when a suite binary did not end the way
//! the contract says.

use crate::run::events::{Consumer, EndCause, Event};
use llconf_reports::results::SuiteResults;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// How much of a crashed binary's output goes into the reports: the end is
/// where the reason usually is.
const LOG_TAIL_BYTES: u64 = 16 * 1024;

#[derive(Default)]
pub struct Collector {
    suites: Vec<SuiteResults>,
    /// Per suite, the results lines that could not be read: never skipped
    /// in silence, they fail the suite.
    unreadable: Vec<(String, String)>,
}

impl Collector {
    pub fn into_results(self) -> Vec<SuiteResults> {
        self.suites
    }

    fn suite(&mut self, name: &str) -> &mut SuiteResults {
        match self.suites.iter().position(|s| s.suite == name) {
            Some(i) => &mut self.suites[i],
            None => {
                self.suites.push(SuiteResults::new(name));
                self.suites.last_mut().unwrap()
            }
        }
    }
}

impl Consumer for Collector {
    fn on_event(&mut self, event: &Event) {
        match event {
            Event::SuiteLaunched { suite, .. } => {
                self.suite(suite);
            }
            Event::Record { suite, record } => self.suite(suite).apply(record),
            Event::UnreadableLine { suite, line, error } => {
                self.suite(suite);
                self.unreadable
                    .push((suite.clone(), format!("{error}: {line}")));
            }
            Event::SuiteEnded {
                suite,
                cause,
                elapsed,
                log,
            } => {
                let bad: Vec<&str> = self
                    .unreadable
                    .iter()
                    .filter(|(s, _)| s == suite)
                    .map(|(_, l)| l.as_str())
                    .collect();
                let bad_note = (!bad.is_empty()).then(|| {
                    format!(
                        "wrote {} unreadable results line{} (torn or not a record); first: {}",
                        bad.len(),
                        if bad.len() == 1 { "" } else { "s" },
                        bad[0]
                    )
                });
                let s = self.suite(suite);
                if s.duration_ms.is_none() {
                    s.duration_ms = Some(elapsed.as_secs_f64() * 1000.0);
                }
                let failed = s.counts().failed;
                if let Some(note) = crash_note(cause, s.finished, failed) {
                    // A suite a VM never got to has no output to point at.
                    s.crash = Some(if log.exists() {
                        format!("{note}; its output is in {}", log.display())
                    } else {
                        note
                    });
                    s.crash_output = log_tail(log);
                }
                if let Some(bad) = bad_note {
                    s.crash = Some(match s.crash.take() {
                        Some(crash) => format!("{crash}; it also {bad}"),
                        None => format!("suite binary {bad}"),
                    });
                }
            }
        }
    }
}

/// Why the end of a suite binary breaks the contract (exit 0 when all
/// passed, 101 when some failed, after a `suite_finished` record), or `None`
/// when it does not.
pub fn crash_note(cause: &EndCause, finished: bool, failed: usize) -> Option<String> {
    match cause {
        EndCause::Exited(0) if finished => None,
        EndCause::Exited(101) if finished && failed > 0 => None,
        EndCause::Exited(101) if finished => {
            Some("exited with code 101 but reported no failed test".into())
        }
        EndCause::Exited(code @ (0 | 101)) => Some(format!(
            "exited with code {code} without writing its suite_finished record"
        )),
        other => Some(other.describe()),
    }
}

fn log_tail(log: &Path) -> Option<String> {
    let mut f = std::fs::File::open(log).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)))
        .ok()?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    (!text.trim().is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_exits_are_not_crashes() {
        assert_eq!(crash_note(&EndCause::Exited(0), true, 0), None);
        assert_eq!(crash_note(&EndCause::Exited(101), true, 2), None);
    }

    #[test]
    fn everything_else_is() {
        let note = |c, fin, failed| crash_note(&c, fin, failed).unwrap();
        assert_eq!(note(EndCause::Exited(3), true, 0), "exited with code 3");
        assert_eq!(
            note(EndCause::Signaled(11), false, 0),
            "killed by signal SIGSEGV (11)"
        );
        assert!(note(EndCause::Exited(101), true, 0).contains("no failed test"));
        assert!(note(EndCause::Exited(0), false, 0).contains("suite_finished"));
        assert!(note(EndCause::SpawnFailed("ENOENT".into()), false, 0).contains("ENOENT"));
    }
}
