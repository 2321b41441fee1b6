//! The progress bar of `llconf mutants`: mutants done of total, caught and
//! missed so far, and an ETA; plain lines when stderr is not a terminal.

use llconf_reports::mutants::{self as record, Judged, Verdict};
use std::io::IsTerminal;

/// The progress bar of the loop: mutants done of total, caught and missed
/// so far, and an ETA; plain lines when stderr is not a terminal.
pub struct Bar {
    bar: indicatif::ProgressBar,
}

impl Bar {
    pub fn new(total: usize, judged: &[Judged]) -> Bar {
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(total as u64)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} mutants, {msg}, ETA {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        let b = Bar { bar };
        b.judged(judged);
        b
    }

    pub fn start(&self, id: &str) {
        self.bar.set_prefix(id.to_string());
    }

    pub fn judged(&self, judged: &[Judged]) {
        let caught = judged.iter().filter(|j| record::caught(j.outcome)).count();
        let missed = judged
            .iter()
            .filter(|j| j.outcome == Verdict::Missed)
            .count();
        self.bar
            .set_message(format!("{caught} caught, {missed} missed"));
        self.bar.inc(0);
    }

    pub fn step(&self, judged: &[Judged]) {
        self.bar.inc(1);
        self.judged(judged);
    }

    pub fn println(&self, line: String) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
