//! Live progress on stderr: one line per failed test and per suite, and on a
//! terminal a running count rewritten in place.

use crate::run::collector::crash_note;
use crate::run::events::{Consumer, Event};
use llconf_reports::record::{Outcome, Record, TestRecord};
use llconf_reports::results::SuiteResults;
use std::io::Write;

/// Known failures as the progress shows them: not failures, but never
/// silent. The first of each issue names the bug and its fix; the next ones
/// of the same issue name only its id, since one erratum often explains
/// several tests.
#[derive(Default)]
pub struct KnownLines {
    seen: std::collections::HashSet<(usize, String)>,
}

impl KnownLines {
    /// The line for `t`, of the target numbered `target`.
    pub fn line(&mut self, target: usize, t: &TestRecord) -> String {
        let Some(k) = &t.known else {
            return format!("XFAIL  {}: known failure", t.name);
        };
        if self.seen.insert((target, k.id.clone())) {
            format!("XFAIL  {}: {}", t.name, k.describe())
        } else {
            format!("XFAIL  {}: {} (as above)", t.name, k.id)
        }
    }
}

/// `[ 12.3s] [#####-----] 300/699, ETA 15s  `: the run as a whole.
pub fn overall_bar(done: usize, total: usize, elapsed: std::time::Duration) -> String {
    const WIDTH: usize = 20;
    let filled = (done * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH)
        .min(WIDTH);
    let eta = if done > 0 && done < total {
        let left = elapsed.as_secs_f64() * (total - done) as f64 / done as f64;
        format!(", ETA {left:.0}s")
    } else {
        String::new()
    };
    format!(
        "[{:>6.1}s] [{}{}] {done}/{total}{eta}  ",
        elapsed.as_secs_f64(),
        "#".repeat(filled),
        "-".repeat(WIDTH - filled)
    )
}

pub struct Progress<W: Write> {
    out: W,
    /// Whether to keep a count line that is rewritten in place.
    live: bool,
    count_shown: bool,
    /// The suite under way, folded as the collector folds it.
    current: Option<SuiteResults>,
    known: KnownLines,
    /// Tests the whole run plans, when listed beforehand, and how many of
    /// all suites are done: the overall line with its ETA.
    total: Option<usize>,
    done_before: usize,
    start: std::time::Instant,
}

impl<W: Write> Progress<W> {
    pub fn new(out: W, live: bool) -> Self {
        Progress {
            out,
            live,
            count_shown: false,
            current: None,
            known: KnownLines::default(),
            total: None,
            done_before: 0,
            start: std::time::Instant::now(),
        }
    }

    /// Shows the run as a whole too: `total` tests across every suite.
    pub fn with_total(mut self, total: usize) -> Self {
        self.total = Some(total);
        self
    }

    /// Prints a full line, above the count line when there is one.
    fn line(&mut self, text: &str) {
        self.clear_count();
        let _ = writeln!(self.out, "{text}");
        self.show_count();
    }

    fn clear_count(&mut self) {
        if self.count_shown {
            let _ = write!(self.out, "\r\x1b[2K");
            self.count_shown = false;
        }
    }

    fn show_count(&mut self) {
        let Some(s) = self.current.as_ref().filter(|_| self.live) else {
            return;
        };
        let c = s.counts();
        let of = s.tests_planned.map(|p| format!("/{p}")).unwrap_or_default();
        let overall = self
            .total
            .map(|total| overall_bar(self.done_before + c.total(), total, self.start.elapsed()))
            .unwrap_or_default();
        let _ = write!(
            self.out,
            "\r\x1b[2K{overall}{}: {}{of} done, {} passed, {} failed, {} skipped",
            s.suite,
            c.total(),
            c.passed,
            c.failed,
            c.skipped
        );
        let _ = self.out.flush();
        self.count_shown = true;
    }
}

impl<W: Write> Consumer for Progress<W> {
    fn on_event(&mut self, event: &Event) {
        match event {
            Event::SuiteLaunched { suite, binary } => {
                self.current = Some(SuiteResults::new(suite.as_str()));
                self.line(&format!("{suite}: running {}", binary.display()));
            }
            Event::Record { suite, record } => {
                if let Some(s) = self.current.as_mut() {
                    s.apply(record);
                }
                match record {
                    Record::SuiteStarted(started) => {
                        let kernel = &started.kernel;
                        let abi = kernel.abi.map_or("-".into(), |a| a.to_string());
                        let errata = kernel.errata.map_or("-".into(), |e| format!("{e:#x}"));
                        self.line(&format!(
                            "{suite}: {} tests on kernel {}, Landlock {}, ABI {abi}, errata {errata}",
                            started.tests_planned, kernel.release, kernel.landlock
                        ));
                    }
                    Record::TestFinished(t) if t.outcome == Outcome::Failed => {
                        let why = t
                            .failure
                            .as_ref()
                            .map(|f| format!(": {}", llconf_reports::text::visible(&f.to_string())))
                            .unwrap_or_default();
                        self.line(&format!("FAILED {}{why}", t.name));
                    }
                    Record::TestFinished(t) if t.outcome == Outcome::KnownFailure => {
                        let text = self.known.line(0, t);
                        self.line(&text);
                    }
                    Record::TestFinished(_) => self.show_count(),
                    Record::SuiteFinished(_) => {}
                }
            }
            Event::UnreadableLine { suite, line, error } => {
                self.line(&format!(
                    "warning: {suite}: unreadable results line ({error}): {line}"
                ));
            }
            Event::SuiteEnded {
                suite,
                cause,
                elapsed,
                log,
            } => {
                let done = self.current.take().unwrap_or_default();
                let c = done.counts();
                self.done_before += c.total();
                let known = if c.known_failures > 0 {
                    format!(", {} known failures", c.known_failures)
                } else {
                    String::new()
                };
                let counts = format!(
                    "{} passed, {} failed{known}, {} skipped",
                    c.passed, c.failed, c.skipped
                );
                let text = match crash_note(cause, done.finished, c.failed) {
                    None => format!(
                        "{suite}: {counts} in {:.1} s; output in {}",
                        elapsed.as_secs_f64(),
                        log.display()
                    ),
                    Some(note) => format!(
                        "{suite}: SUITE BINARY {note} after {counts}; output in {}",
                        log.display()
                    ),
                };
                self.clear_count();
                self.line(&text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::events::EndCause;
    use llconf_reports::record::{Failure, TestRecord};
    use std::time::Duration;

    fn test(name: &str, outcome: Outcome, failure: Option<Failure>) -> Event {
        Event::Record {
            suite: "base".into(),
            record: Record::TestFinished(match failure {
                Some(f) => TestRecord::failed(name, 1.0, f),
                None => TestRecord::new(name, outcome, 1.0),
            }),
        }
    }

    fn feed(live: bool) -> String {
        let mut p = Progress::new(Vec::new(), live);
        for e in [
            Event::SuiteLaunched {
                suite: "base".into(),
                binary: "/bin/base".into(),
            },
            test("base::a::x", Outcome::Passed, None),
            test(
                "base::a::y",
                Outcome::Failed,
                Some(Failure::Panic {
                    message: "boom".into(),
                }),
            ),
            Event::SuiteEnded {
                suite: "base".into(),
                cause: EndCause::Signaled(11),
                elapsed: Duration::from_secs(1),
                log: "/out/logs/base.log".into(),
            },
        ] {
            p.on_event(&e);
        }
        String::from_utf8(p.out).unwrap()
    }

    #[test]
    fn plain_output_has_one_line_per_failure_and_per_suite() {
        let text = feed(false);
        assert_eq!(
            text,
            "base: running /bin/base\n\
             FAILED base::a::y: panicked: boom\n\
             base: SUITE BINARY killed by signal SIGSEGV (11) after 1 passed, 1 failed, 0 skipped; \
             output in /out/logs/base.log\n"
        );
    }

    #[test]
    fn live_output_rewrites_a_count_line() {
        let text = feed(true);
        assert!(text.contains("\r\x1b[2Kbase: 1 done, 1 passed, 0 failed, 0 skipped"));
        assert!(text.ends_with("output in /out/logs/base.log\n"), "{text:?}");
    }

    #[test]
    fn a_known_issue_is_described_once_per_target() {
        let known = |name: &str| {
            TestRecord::known_failure(
                name,
                1.0,
                Failure::Crash { exit_code: 1 },
                llconf_reports::record::KnownIssue {
                    id: "erratum-4".into(),
                    summary: "whiteouts".into(),
                    fix: None,
                    commit: None,
                    fixed_in: Some("7.3".into()),
                    erratum: Some(4),
                },
            )
        };
        let mut lines = KnownLines::default();
        assert_eq!(
            lines.line(0, &known("fs::a")),
            "XFAIL  fs::a: lacks the fix for erratum 4: whiteouts; fixed in 7.3"
        );
        assert_eq!(
            lines.line(0, &known("fs::b")),
            "XFAIL  fs::b: erratum-4 (as above)"
        );
        assert!(lines.line(1, &known("fs::a")).contains("whiteouts"));
    }

    #[test]
    fn the_overall_bar_fills_and_estimates() {
        let d = Duration::from_secs(10);
        assert_eq!(
            overall_bar(50, 100, d),
            "[  10.0s] [##########----------] 50/100, ETA 10s  "
        );
        assert_eq!(
            overall_bar(100, 100, d),
            "[  10.0s] [####################] 100/100  "
        );
        assert_eq!(
            overall_bar(0, 0, d),
            "[  10.0s] [####################] 0/0  "
        );
    }
}
