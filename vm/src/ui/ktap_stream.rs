//! `llconf run --format ktap`: KTAP v1 on stdout while the run goes on,
//! built by `llconf_reports::ktap`. A host run has one subtest per suite,
//! written as each suite ends; a VM run one per target (each holding one
//! per suite), written as each target ends, so that the targets that run
//! at once never interleave. Test numbers follow the order of the output.

use crate::run::collector::Collector;
use crate::run::events::{Consumer, Event};
use llconf_reports::ktap;
use llconf_reports::results::{Counts, SuiteResults};
use std::io::Write;

pub struct KtapStream<W: Write> {
    out: W,
    number: usize,
    totals: Counts,
    /// Host runs: the suite under way.
    collector: Collector,
}

impl<W: Write> KtapStream<W> {
    /// Writes the version line and the plan: `subtests` suites (host) or
    /// targets (VMs).
    pub fn new(mut out: W, subtests: usize) -> Self {
        let _ = out.write_all(ktap::header(subtests).as_bytes());
        let _ = out.flush();
        KtapStream {
            out,
            number: 0,
            totals: Counts::default(),
            collector: Collector::default(),
        }
    }

    fn emit(&mut self, text: &str, suites: &[SuiteResults]) {
        for s in suites {
            self.totals.add(s.counts());
        }
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    /// A finished VM target.
    pub fn target(&mut self, id: &str, suites: &[SuiteResults], problems: &[String]) {
        self.number += 1;
        let text = ktap::target(self.number, id, suites, problems);
        self.emit(&text, suites);
    }

    /// The closing totals line.
    pub fn finish(mut self) {
        let line = ktap::totals(self.totals);
        let _ = self.out.write_all(line.as_bytes());
        let _ = self.out.flush();
    }
}

impl<W: Write> Consumer for KtapStream<W> {
    /// Host runs: a suite's subtest once its binary is gone.
    fn on_event(&mut self, event: &Event) {
        self.collector.on_event(event);
        if let Event::SuiteEnded { .. } = event {
            let suites = std::mem::take(&mut self.collector).into_results();
            for s in &suites {
                self.number += 1;
                let text = ktap::suite(self.number, s);
                self.emit(&text, std::slice::from_ref(s));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::events::EndCause;
    use llconf_reports::record::{Outcome, Record, SuiteFinished, TestRecord};
    use std::time::Duration;

    fn test(name: &str, outcome: Outcome) -> Event {
        Event::Record {
            suite: "base".into(),
            record: Record::TestFinished(TestRecord::new(name, outcome, 1.0)),
        }
    }

    #[test]
    fn host_suites_become_subtests_as_they_end() {
        let mut buf = Vec::new();
        {
            let mut k = KtapStream::new(&mut buf, 2);
            for e in [
                test("base::a::x", Outcome::Passed),
                Event::Record {
                    suite: "base".into(),
                    record: Record::SuiteFinished(SuiteFinished {
                        suite: "base".into(),
                        passed: 1,
                        failed: 0,
                        skipped: 0,
                        known_failures: 0,
                        duration_ms: 1.0,
                    }),
                },
                Event::SuiteEnded {
                    suite: "base".into(),
                    cause: EndCause::Exited(0),
                    elapsed: Duration::from_millis(5),
                    log: "/nonexistent".into(),
                },
                Event::SuiteEnded {
                    suite: "unix".into(),
                    cause: EndCause::Signaled(9),
                    elapsed: Duration::from_millis(5),
                    log: "/nonexistent".into(),
                },
            ] {
                k.on_event(&e);
            }
            k.finish();
        }
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "KTAP version 1\n1..2\n    KTAP version 1\n    # Subtest: base\n    1..1\n    \
             ok 1 base::a::x\nok 1 base\n    KTAP version 1\n    # Subtest: unix\n    1..0\n\
             # suite binary killed by signal SIGKILL (9); 0 tests reported\nnot ok 2 unix\n\
             # Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0\n"
        );
    }
}
