//! Runs suite binaries on the running kernel, one after the other, and turns
//! what they write into events while they run.

use crate::run::events::{EndCause, Event};
use crate::run::jsonl_tail::JsonlTail;
use crate::run::records::to_event;
use crate::suites::binary::SuiteBinary;
use llconf_reports::layout::TargetDir;
use std::fs::File;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// How often the results file is read while a suite runs: often enough to
/// look live, rare enough to cost nothing.
const POLL: Duration = Duration::from_millis(50);

pub struct HostRun {
    pub suites: Vec<SuiteBinary>,
    /// Passed to every suite binary.
    pub suite_args: Vec<String>,
    /// Where the results and logs go; absolute, since the suite binaries
    /// may change directory.
    pub out: TargetDir,
    /// When the whole run must be over: a suite binary still running then
    /// is killed, and the suites after it are not started.
    pub deadline: Instant,
    /// What the limit was, for the messages.
    pub limit: Duration,
}

/// Why the run stops early, if it does: checked while each suite runs.
fn stop_reason(plan: &HostRun) -> Option<String> {
    if crate::run::interrupt::interrupted() {
        Some("the run was interrupted (SIGINT or SIGTERM)".into())
    } else if Instant::now() >= plan.deadline {
        Some(format!(
            "the run passed its time limit of {} s (--timeout)",
            plan.limit.as_secs()
        ))
    } else {
        None
    }
}

impl HostRun {
    /// Creates the folders the suites write into.
    pub fn create_dirs(&self) -> std::io::Result<()> {
        for dir in [self.out.results_dir(), self.out.logs_dir()] {
            std::fs::create_dir_all(dir)?;
        }
        Ok(())
    }
}

/// Runs every suite, even after one crashed. Returns when all are done,
/// the run is stopped (every suite not run is reported as such), or the
/// receiver is gone.
pub fn run(plan: HostRun, events: Sender<Event>) {
    for suite in &plan.suites {
        let sent = match stop_reason(&plan) {
            Some(why) => send(
                &events,
                Event::SuiteEnded {
                    suite: suite.suite.clone(),
                    cause: EndCause::Stopped(format!("{why}, before the suite started")),
                    elapsed: Duration::ZERO,
                    log: plan.out.log(&suite.suite),
                },
            ),
            None => run_suite(&plan, suite, &events),
        };
        if sent.is_err() {
            // The consumers went away: nobody would see the results.
            return;
        }
    }
}

/// The consumers hung up.
struct Gone;

/// How a suite binary's end was missed.
enum Lost {
    Stopped(String),
    Io(std::io::Error),
}

type Sent = Result<(), Gone>;

fn send(events: &Sender<Event>, event: Event) -> Sent {
    events.send(event).map_err(|_| Gone)
}

fn run_suite(plan: &HostRun, suite: &SuiteBinary, events: &Sender<Event>) -> Sent {
    let name = suite.suite.clone();
    let results = plan.out.results(&name);
    let log = plan.out.log(&name);
    send(
        events,
        Event::SuiteLaunched {
            suite: name.clone(),
            binary: suite.path.clone(),
        },
    )?;
    let start = Instant::now();
    let ended = |cause| Event::SuiteEnded {
        suite: name.clone(),
        cause,
        elapsed: start.elapsed(),
        log: log.clone(),
    };

    let mut child = match spawn(suite, &plan.suite_args, &results, &log) {
        Ok(child) => child,
        Err(e) => return send(events, ended(EndCause::SpawnFailed(e.to_string()))),
    };

    let mut tail = JsonlTail::new(&results);
    let mut stopped = None;
    let status = loop {
        if let Some(why) = stopped.take() {
            break Err(Lost::Stopped(why));
        }
        // Checked before reading so that the last read follows the exit and
        // sees every line written.
        let exited = child.try_wait();
        match tail.poll() {
            Ok(lines) => send_lines(&name, lines, events)?,
            Err(e) => send(events, unreadable(&name, &results, e))?,
        }
        match exited {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => {}
            Err(e) => break child.wait().map_err(|_| Lost::Io(e)),
        }
        if let Some(why) = stop_reason(plan) {
            // Its whole group; its test processes, in groups of their own,
            // die with it (parent-death signal).
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = child.wait();
            stopped = Some(format!("{why}; the suite binary was killed"));
        } else {
            std::thread::sleep(POLL);
        }
    };
    match tail.finish() {
        Ok((lines, torn)) => {
            send_lines(&name, lines, events)?;
            if let Some(line) = torn {
                send(
                    events,
                    Event::UnreadableLine {
                        suite: name.clone(),
                        line,
                        error: "incomplete last line (no newline)".into(),
                    },
                )?;
            }
        }
        Err(e) => send(events, unreadable(&name, &results, e))?,
    }
    let cause = match status {
        Ok(status) => end_cause(status),
        Err(Lost::Stopped(why)) => EndCause::Stopped(why),
        Err(Lost::Io(e)) => EndCause::SpawnFailed(format!("lost track of the process: {e}")),
    };
    send(events, ended(cause))
}

fn spawn(
    suite: &SuiteBinary,
    suite_args: &[String],
    results: &Path,
    log: &Path,
) -> std::io::Result<std::process::Child> {
    // A fresh file so that records of an earlier run can never be read as
    // this run's; the binary appends to it.
    File::create(results)?;
    let out = File::create(log)?;
    let err = out.try_clone()?;
    let mut cmd = Command::new(&suite.path);
    crate::host::children::die_with_parent(&mut cmd)
        // Its own group, so that stopping the run kills all of it.
        .process_group(0)
        .args(suite_args)
        .env("LLCONF_RESULTS", results)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
}

fn end_cause(status: ExitStatus) -> EndCause {
    match (status.code(), status.signal()) {
        (Some(code), _) => EndCause::Exited(code),
        (None, Some(signal)) => EndCause::Signaled(signal),
        (None, None) => EndCause::SpawnFailed(format!("ended with unknown status {status}")),
    }
}

fn unreadable(suite: &str, results: &Path, e: std::io::Error) -> Event {
    Event::UnreadableLine {
        suite: suite.to_string(),
        line: String::new(),
        error: format!("reading {}: {e}", results.display()),
    }
}

fn send_lines(suite: &str, lines: Vec<String>, events: &Sender<Event>) -> Sent {
    for line in lines {
        send(events, to_event(suite, line))?;
    }
    Ok(())
}
