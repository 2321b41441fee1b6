//! `--format ktap`: results as KTAP, the format the kernel's own kselftest
//! runners, LAVA and KernelCI read. libtest-mimic knows only its own formats,
//! so in this mode the runner schedules the tests itself.

use crate::test::Test;
use libtest_mimic::{Arguments, Trial};
use llconf_reports::record::{Outcome, TestRecord};
use std::io::Write;
use std::sync::{Mutex, RwLock};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// Removes `--format ktap` (or `--format=ktap`) from the arguments, which
/// libtest-mimic would reject, and says whether it was there.
pub fn take_format_flag(argv: Vec<String>) -> (Vec<String>, bool) {
    let mut out = Vec::with_capacity(argv.len());
    let mut ktap = false;
    let mut it = argv.into_iter().peekable();
    while let Some(a) = it.next() {
        if a == "--format=ktap" {
            ktap = true;
        } else if a == "--format" && it.peek().map(String::as_str) == Some("ktap") {
            it.next();
            ktap = true;
        } else {
            out.push(a);
        }
    }
    (out, ktap)
}

/// A KTAP description may not contain `#`, which starts a directive.
fn description(name: &str) -> String {
    name.replace('#', "_")
}

/// One result line plus its diagnostic lines.
pub fn result_lines(number: usize, record: &TestRecord) -> String {
    let name = description(&record.name);
    let mut s = match record.outcome {
        Outcome::Passed => format!("ok {number} {name}\n"),
        Outcome::Skipped => format!(
            "ok {number} {name} # SKIP {}\n",
            record
                .skip_reason
                .as_deref()
                .unwrap_or("")
                .replace('\n', " ")
        ),
        Outcome::Failed => format!("not ok {number} {name}\n"),
    };
    if let Some(f) = &record.failure {
        for line in f.to_string().lines() {
            s.push_str(&format!("# {line}\n"));
        }
    }
    s
}

pub fn run(
    suite: &str,
    args: &Arguments,
    trials: Vec<Trial>,
    tests: Vec<Test>,
    run_test: &(dyn Fn(&Test) -> TestRecord + Sync),
) -> Counts {
    // The trials carry libtest's filter semantics; the tests are run.
    let selected: Vec<Test> = trials
        .iter()
        .zip(tests)
        .filter(|(trial, _)| !args.is_filtered_out(trial) && !args.is_ignored(trial))
        .map(|(_, t)| t)
        .collect();
    let out = Mutex::new((std::io::stdout(), 0usize, Counts::default()));
    {
        let mut o = out.lock().unwrap();
        let _ = writeln!(
            o.0,
            "KTAP version 1\n# llconf suite {suite}\n1..{}",
            selected.len()
        );
    }
    let threads = args
        .test_threads
        .or_else(|| std::thread::available_parallelism().ok().map(Into::into))
        .unwrap_or(1)
        .max(1);
    let queue = Mutex::new(selected.iter());
    // Serial tests must run alone here too.
    let serial = RwLock::new(());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let Some(test) = queue.lock().unwrap().next() else {
                    break;
                };
                let record = if test.serial {
                    let _g = serial.write().unwrap_or_else(|p| p.into_inner());
                    run_test(test)
                } else {
                    let _g = serial.read().unwrap_or_else(|p| p.into_inner());
                    run_test(test)
                };
                let mut o = out.lock().unwrap();
                o.1 += 1;
                match record.outcome {
                    Outcome::Passed => o.2.passed += 1,
                    Outcome::Failed => o.2.failed += 1,
                    Outcome::Skipped => o.2.skipped += 1,
                }
                let text = result_lines(o.1, &record);
                let _ = o.0.write_all(text.as_bytes());
                let _ = o.0.flush();
            });
        }
    });
    let (mut stdout, _, counts) = out.into_inner().unwrap();
    let _ = writeln!(
        stdout,
        "# Totals: pass:{} fail:{} xfail:0 xpass:0 skip:{} error:0",
        counts.passed, counts.failed, counts.skipped
    );
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use llconf_reports::record::Failure;

    fn record(outcome: Outcome) -> TestRecord {
        TestRecord {
            name: "base::x::y#z".into(),
            outcome,
            duration_ms: 1.0,
            skip_reason: None,
            failure: None,
            enforcement: false,
            restrict_self_calls: 0,
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    #[test]
    fn format_flag_is_taken_out_in_both_spellings() {
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            take_format_flag(argv(&["bin", "--format", "ktap", "filter"])),
            (argv(&["bin", "filter"]), true)
        );
        assert_eq!(
            take_format_flag(argv(&["bin", "--format=ktap"])),
            (argv(&["bin"]), true)
        );
        assert_eq!(
            take_format_flag(argv(&["bin", "--format", "json"])),
            (argv(&["bin", "--format", "json"]), false)
        );
    }

    #[test]
    fn result_lines_follow_ktap() {
        assert_eq!(
            result_lines(1, &record(Outcome::Passed)),
            "ok 1 base::x::y_z\n"
        );
        let mut skipped = record(Outcome::Skipped);
        skipped.skip_reason = Some("needs X (ABI 9); kernel has ABI 6".into());
        assert_eq!(
            result_lines(2, &skipped),
            "ok 2 base::x::y_z # SKIP needs X (ABI 9); kernel has ABI 6\n"
        );
        let mut failed = record(Outcome::Failed);
        failed.failure = Some(Failure::Signal {
            signal: "SIGSEGV".into(),
            number: 11,
        });
        assert_eq!(
            result_lines(3, &failed),
            "not ok 3 base::x::y_z\n# killed by signal SIGSEGV (11)\n"
        );
    }
}
