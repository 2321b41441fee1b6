//! Progress of VM runs on stderr: on a terminal, one indicatif bar per
//! target (its state and tests done/total) with event lines above them;
//! otherwise (CI) the same lines, plain, prefixed with the target.

use crate::run::events::{Event, VmEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use llconf_reports::record::{Outcome, Record};
use std::collections::HashMap;

pub struct VmProgress {
    multi: Option<MultiProgress>,
    bars: HashMap<usize, ProgressBar>,
    // A cell: the event handler's printing closure holds `self` shared.
    known: std::cell::RefCell<super::progress::KnownLines>,
}

impl VmProgress {
    pub fn new(live: bool) -> VmProgress {
        VmProgress {
            multi: live.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            bars: HashMap::new(),
            known: Default::default(),
        }
    }

    pub fn line(&self, text: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    /// A target about to start, with the tests it should run.
    pub fn add(&mut self, target: usize, id: &str, total: usize) {
        if let Some(m) = &self.multi {
            let bar = m.add(ProgressBar::new(total as u64));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:<28} [{elapsed:>4}] {bar:25} {pos}/{len} {msg}",
                )
                .expect("valid template"),
            );
            bar.set_prefix(id.to_string());
            bar.set_message("waiting");
            self.bars.insert(target, bar);
        }
    }

    fn status(&self, target: usize, msg: String) {
        if let Some(b) = self.bars.get(&target) {
            b.set_message(msg);
        }
    }

    pub fn on_event(&mut self, target: usize, id: &str, event: &VmEvent) {
        let say = |s: String| self.line(&format!("[{id}] {s}"));
        match event {
            VmEvent::BootStarted { .. } => {
                if let Some(b) = self.bars.get(&target) {
                    b.reset_elapsed();
                }
                self.status(target, "booting".into());
                say("booting".into());
            }
            VmEvent::GuestUp { boot } => {
                self.status(target, "running".into());
                say(format!("guest up after {:.1} s", boot.as_secs_f64()));
            }
            VmEvent::ConsoleLine(_) => {}
            VmEvent::Suite(e) => match e {
                Event::Record {
                    suite,
                    record: Record::SuiteStarted(started),
                } => {
                    let kernel = &started.kernel;
                    let abi = kernel.abi.map_or("-".into(), |a| a.to_string());
                    self.status(target, format!("running {suite}"));
                    say(format!(
                        "{suite}: {} tests on kernel {}, Landlock {}, ABI {abi}",
                        started.tests_planned, kernel.release, kernel.landlock
                    ));
                }
                Event::Record {
                    record: Record::TestFinished(t),
                    ..
                } => {
                    if let Some(b) = self.bars.get(&target) {
                        b.inc(1);
                    }
                    if t.outcome == Outcome::Failed {
                        let why = t
                            .failure
                            .as_ref()
                            .map(|f| format!(": {}", llconf_reports::text::visible(&f.to_string())))
                            .unwrap_or_default();
                        say(format!("FAILED {}{why}", t.name));
                    } else if t.outcome == Outcome::KnownFailure {
                        say(self.known.borrow_mut().line(target, t));
                    }
                }
                Event::SuiteEnded { suite, cause, .. } => {
                    say(format!("{suite}: {}", cause.describe()));
                }
                Event::UnreadableLine { suite, error, .. } => {
                    say(format!(
                        "warning: {suite}: unreadable results line ({error})"
                    ));
                }
                Event::SuiteLaunched { .. }
                | Event::Record {
                    record: Record::SuiteFinished(_),
                    ..
                } => {}
            },
            VmEvent::VmEnded { cause, elapsed } => {
                if let Some(b) = self.bars.get(&target) {
                    b.finish_with_message(if cause.is_ok() { "done" } else { "FAILED" });
                }
                say(format!(
                    "VM ended after {:.1} s: {}",
                    elapsed.as_secs_f64(),
                    cause.describe()
                ));
            }
        }
    }

    /// Removes the bars before the summary is printed.
    pub fn clear(&mut self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
        self.bars.clear();
    }
}
