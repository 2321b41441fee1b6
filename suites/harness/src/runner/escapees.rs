//! Processes that escape a test's process group (setsid(2), setpgid(2))
//! survive the group kill. The runner is their child subreaper, so when
//! their parent dies they become its children, not init's: after each test
//! it finds those that carry the test's name in their environment (every
//! process a test starts inherits `LLCONF_CHILD_TEST`), kills them, and the
//! test fails naming them. Whatever is left at the end of the suite is
//! killed and reported too.

use super::verdict::CHILD_TEST_ENV;
use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

/// Makes this process the reaper of its orphaned descendants.
pub fn become_subreaper() {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

/// A child of this process: its pid, its command name, whether it is
/// already a zombie, and the test named in its environment.
struct Child {
    pid: i32,
    comm: String,
    zombie: bool,
    test: Option<String>,
}

fn children() -> Vec<Child> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut v = Vec::new();
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces and parentheses.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("");
        let ppid: i32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if ppid != me {
            continue;
        }
        let comm = head.split_once('(').map_or("", |(_, c)| c).to_string();
        let prefix = format!("{CHILD_TEST_ENV}=");
        let test = std::fs::read(format!("/proc/{pid}/environ"))
            .ok()
            .and_then(|env| {
                env.split(|&b| b == 0)
                    .find_map(|kv| kv.strip_prefix(prefix.as_bytes()))
                    .map(|v| String::from_utf8_lossy(v).into_owned())
            });
        v.push(Child {
            pid,
            comm,
            zombie: state == "Z",
            test,
        });
    }
    v
}

fn kill_and_reap(c: &Child) {
    let pid = Pid::from_raw(c.pid);
    if !c.zombie {
        // Its own group, if it made one, and itself.
        let _ = killpg(pid, Signal::SIGKILL);
        let _ = kill(pid, Signal::SIGKILL);
    }
    let _ = waitpid(pid, None);
}

/// Kills and reaps the processes test `name` left behind; describes the
/// ones that were still alive. `alone`: no other test was running, so an
/// adopted child whose environment names no test is this test's too (a
/// test process forked rather than exec'd keeps the runner's environment
/// in /proc, and so do its forked children).
pub fn reap_for(name: &str, alone: bool) -> Vec<String> {
    let mut alive = Vec::new();
    for c in children()
        .into_iter()
        .filter(|c| c.test.as_deref() == Some(name) || (alone && c.test.is_none()))
    {
        if !c.zombie {
            alive.push(format!("pid {} ({})", c.pid, c.comm));
        }
        kill_and_reap(&c);
    }
    alive
}

/// Kills and reaps every process this runner still has as a child once
/// every test is over: each is an orphan it adopted, and nothing a suite
/// started may outlive it.
pub fn reap_all() -> Vec<String> {
    let mut alive = Vec::new();
    for c in children() {
        if !c.zombie {
            alive.push(format!(
                "pid {} ({}) of {}",
                c.pid,
                c.comm,
                c.test.as_deref().unwrap_or("an unknown test")
            ));
        }
        kill_and_reap(&c);
    }
    alive
}
