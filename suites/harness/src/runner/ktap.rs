//! `--format ktap`: results as KTAP, the format the kernel's own kselftest
//! runners, LAVA and KernelCI read. libtest-mimic knows only its own formats,
//! so in this mode the runner schedules the tests itself. The lines come
//! from `llconf_record::ktap`, as those of `llconf run --format ktap` do.

use crate::test::Test;
use libtest_mimic::{Arguments, Trial};
use llconf_record::ktap;
use llconf_record::{Counts, TestRecord};
use std::io::Write;
use std::sync::{Mutex, RwLock};

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
        let _ = write!(
            o.0,
            "{}\n# llconf suite {suite}\n{}",
            ktap::VERSION,
            ktap::plan(selected.len())
        );
    }
    let threads = super::test_threads(args);
    let queue = Mutex::new(selected.iter());
    // Serial tests must run alone here too.
    let serial = RwLock::new(());
    let work = || loop {
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
        o.2.count(&record.outcome);
        let text = ktap::test_lines(o.1, &record);
        let _ = o.0.write_all(text.as_bytes());
        let _ = o.0.flush();
    };
    if threads == 1 {
        // On this thread: the runner then forks its test processes, which
        // it may only do with no other thread alive.
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(work);
            }
        });
    }
    let (mut stdout, _, counts) = out.into_inner().unwrap();
    let _ = stdout.write_all(ktap::totals(counts).as_bytes());
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
