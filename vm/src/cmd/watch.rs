//! `llconf run --tree PATH --watch`: the kernel developer's loop. Each
//! round is an ordinary `llconf run` of the same arguments (without
//! `--watch`) in a child process, its output in a log beside the tree's
//! build; then only the tests that started or stopped failing since the
//! last round are printed. A round starts when a file under the tree's
//! `security/` or the workspace's `suites/` changed (polled once a second).
//!
//! Ctrl-C reaches the round under way (same process group; SIGTERM is
//! passed on): it stops its build or VM as any run does, and the loop
//! ends with 130 once the child is gone.

use crate::cache_dir::Cache;
use crate::cli::RunArgs;
use crate::host::children;
use crate::host::mtimes;
use crate::report::verdict_changes::{self, Verdicts};
use crate::run::interrupt;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

pub fn watch(root: &Path, args: RunArgs) -> Result<ExitCode> {
    let tree = args.tree.clone().context("--watch needs --tree")?;
    let kernel = crate::kernel::tree::kernel(&tree, args.tree_arch)?;
    let crate::kernel::catalogue::Source::Tree { path: tree, .. } = &kernel.source else {
        unreachable!("a --tree kernel");
    };
    let watched = [tree.join("security"), root.join("suites")];
    let out = std::path::absolute(&args.out)?;
    let cache = Cache::from_env();
    let log = cache.tree_dir(tree).join("watch.log");
    std::fs::create_dir_all(log.parent().expect("in the cache"))?;
    // The same command line, one round at a time.
    let round_args: Vec<std::ffi::OsString> = std::env::args_os()
        .skip(1)
        .filter(|a| a != "--watch")
        .collect();
    interrupt::install_handler();
    eprintln!(
        "watching {} and {} (Ctrl-C ends); each round's output goes to {}",
        watched[0].display(),
        watched[1].display(),
        log.display()
    );
    let mut last: Option<Verdicts> = None;
    loop {
        let seen = mtimes::fingerprint(&watched);
        let start = Instant::now();
        eprintln!("[{}] building and running {}", clock(), kernel.name);
        let code = round(&round_args, root, &log)?;
        if interrupt::interrupted() || code == Some(130) {
            eprintln!("stopped");
            return Ok(ExitCode::from(130));
        }
        let took = start.elapsed().as_secs_f64();
        match code {
            Some(0 | 1) => match verdict_changes::read(&out) {
                Ok(now) => {
                    print_changes(last.as_ref(), &now, took);
                    last = Some(now);
                }
                Err(e) => eprintln!("  no verdicts in {}: {e:#}", out.display()),
            },
            _ => {
                eprintln!("  the round failed after {took:.1} s:");
                for l in last_error(&log) {
                    eprintln!("  {l}");
                }
                eprintln!("  (full output: {})", log.display());
            }
        }
        eprintln!("waiting for a change");
        while mtimes::fingerprint(&watched) == seen {
            if interrupt::interrupted() {
                return Ok(ExitCode::from(130));
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// One `llconf run` of the loop; its exit code (`None`: killed).
fn round(args: &[std::ffi::OsString], root: &Path, log: &Path) -> Result<Option<i32>> {
    let file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let exe = std::env::current_exe().context("finding llconf's own program")?;
    let mut cmd = Command::new(exe);
    cmd.args(args)
        // The workspace this loop watches, however it was found.
        .env("LLCONF_WORKSPACE", root)
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    let mut child = children::die_with_parent(&mut cmd)
        .spawn()
        .context("starting a round of llconf run")?;
    let mut told = false;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status.code());
        }
        if interrupt::interrupted() && !told {
            // Ctrl-C reached it already; a SIGTERM of ours did not.
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            told = true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn print_changes(last: Option<&Verdicts>, now: &Verdicts, took: f64) {
    let empty = Verdicts::new();
    let c = verdict_changes::changes(last.unwrap_or(&empty), now);
    for t in &c.started_failing {
        println!("  FAILING  {t}");
    }
    for t in &c.stopped_failing {
        println!("  FIXED    {t}");
    }
    if last.is_some() && c.started_failing.is_empty() && c.stopped_failing.is_empty() {
        println!("  no change");
    }
    println!("  {} failing of {} ({took:.1} s)", c.failing, c.total);
}

/// The `error:` lines of a round that failed before its verdicts: a build
/// error, a bad tree.
fn last_error(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let from = text
        .lines()
        .position(|l| l.starts_with("error:") || l.contains(": error: "))
        .unwrap_or(0);
    text.lines()
        .skip(from)
        .take(12)
        .map(str::to_string)
        .collect()
}

fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // UTC, as the logs' timestamps are.
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}
