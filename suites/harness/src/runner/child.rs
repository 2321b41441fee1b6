//! The test-process side: run exactly one test body and report its verdict.

use super::verdict::{Verdict, VerdictKind, VERDICT_FD, VERDICT_FD_ENV};
use crate::check::Stop;
use crate::sys;
use crate::test::Test;
use llconf_record::Failure;
use std::io::Write;
use std::os::fd::FromRawFd;

pub fn run(name: &str, tests: &[Test]) -> ! {
    let Some(test) = tests.iter().find(|t| t.name == name) else {
        eprintln!("llconf-harness: no test named {name} in this binary");
        std::process::exit(3);
    };
    run_test(test)
}

/// Runs `test`'s body in this process, which is the test's own: exec'd for
/// it, or forked for it by a single-threaded runner.
pub fn run_test(test: &Test) -> ! {
    let body = test.body.clone();
    let kind = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || body())) {
        Ok(Ok(())) => VerdictKind::Passed,
        Ok(Err(Stop::Failed(failure))) => VerdictKind::Failed { failure },
        Ok(Err(Stop::Skipped(reason))) => VerdictKind::Skipped { reason },
        Ok(Err(Stop::Known { id, failure })) => VerdictKind::Known { id, failure },
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic payload".into());
            VerdictKind::Failed {
                failure: Failure::Panic { message },
            }
        }
    };
    let verdict = Verdict {
        kind,
        restrict_self_calls: sys::restrict_self_calls(),
    };
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    let fd = std::env::var(VERDICT_FD_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(VERDICT_FD);
    // SAFETY: the runner opened this fd for us and nothing else uses it.
    let mut pipe = unsafe { std::fs::File::from_raw_fd(fd) };
    let line = serde_json::to_string(&verdict).expect("verdict serializes");
    if pipe.write_all(line.as_bytes()).is_err() {
        // Run by hand without a runner: say it on stderr instead.
        eprintln!("{line}");
    }
    std::process::exit(0);
}
