//! Processes that escape a test's process group (setsid(2), setpgid(2))
//! survive the group kill. The runner is their child subreaper, so when
//! their parent dies they become its children, not init's: after each test
//! it finds those that carry the test's name in their environment (every
//! process a test starts inherits `LLCONF_CHILD_TEST`), kills them, and the
//! test fails naming them. Whatever is left at the end of the suite is
//! killed and reported too.
//!
//! A process that does not go within [`KILL_GRACE`] of SIGKILL sleeps
//! uninterruptibly in the kernel, maybe for ever: it is left behind (never
//! waited for again), so that one stuck process cannot stop every test
//! after it.

use super::verdict::CHILD_TEST_ENV;
use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a killed process may take to go.
pub const KILL_GRACE: Duration = Duration::from_secs(10);

/// The processes left behind, stuck: not ours to wait for any more.
static LEFT_BEHIND: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Never waits for `pid` again (a test process stuck in the kernel).
pub fn leave_behind(pid: i32) {
    LEFT_BEHIND
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(pid);
}

fn left_behind(pid: i32) -> bool {
    LEFT_BEHIND
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&pid)
}

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

/// How long reading a process's environment may take. The read takes the
/// process's exec_update_lock, which a task stuck in the kernel can hold
/// for ever (a TSYNC landlock_restrict_self whose siblings never report
/// back): past this, the process is taken as stuck and its test unknown.
const ENVIRON_WAIT: Duration = Duration::from_secs(2);

/// Processes whose environment did not answer: never read again (each try
/// leaves a thread asleep in the kernel).
static UNREADABLE: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

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
        if left_behind(pid) {
            continue;
        }
        // Not /proc/PID/stat: since Linux 6.x reading it waits for the
        // process's exec_update_lock too, and one stuck process would stop
        // the runner at its next look for escapees. status does not.
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let Some((comm, state, ppid)) = status_fields(&status) else {
            continue;
        };
        if ppid != me {
            continue;
        }
        let prefix = format!("{CHILD_TEST_ENV}=");
        let test = environ(pid).and_then(|env| {
            env.split(|&b| b == 0)
                .find_map(|kv| kv.strip_prefix(prefix.as_bytes()))
                .map(|v| String::from_utf8_lossy(v).into_owned())
        });
        v.push(Child {
            pid,
            comm,
            zombie: state == 'Z',
            test,
        });
    }
    v
}

/// Name, state letter and parent of a /proc/PID/status text.
fn status_fields(status: &str) -> Option<(String, char, i32)> {
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim_start_matches([' ', '\t']))
    };
    let comm = field("Name:")?.to_string();
    let state = field("State:")?.chars().next()?;
    let ppid = field("PPid:")?.trim().parse().ok()?;
    Some((comm, state, ppid))
}

/// /proc/PID/environ, or None when it cannot be read within
/// [`ENVIRON_WAIT`] (the reading thread is then left asleep; it goes when
/// the runner exits, as its sleep is killable).
fn environ(pid: i32) -> Option<Vec<u8>> {
    if UNREADABLE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&pid)
    {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let _ = tx.send(std::fs::read(format!("/proc/{pid}/environ")).ok());
    });
    match rx.recv_timeout(ENVIRON_WAIT) {
        Ok(env) => {
            // Gone before the next test forks: a forked test starts from a
            // runner with no other thread.
            let _ = reader.join();
            env
        }
        Err(_) => {
            UNREADABLE
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(pid);
            None
        }
    }
}

/// Kills and reaps `c`; false if it did not go within [`KILL_GRACE`], and
/// was left behind.
fn kill_and_reap(c: &Child) -> bool {
    let pid = Pid::from_raw(c.pid);
    if !c.zombie {
        // Its own group, if it made one, and itself.
        let _ = killpg(pid, Signal::SIGKILL);
        let _ = kill(pid, Signal::SIGKILL);
    }
    let deadline = Instant::now() + KILL_GRACE;
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Ok(WaitStatus::StillAlive) => {
                leave_behind(c.pid);
                return false;
            }
            _ => return true,
        }
    }
}

/// How a process left by a test is described.
fn described(c: &Child, gone: bool, of_test: bool) -> String {
    let mut s = format!("pid {} ({})", c.pid, c.comm);
    if of_test {
        s += &format!(" of {}", c.test.as_deref().unwrap_or("an unknown test"));
    }
    if !gone {
        s += ", stuck in the kernel and left behind";
    }
    s
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
        let gone = kill_and_reap(&c);
        if !c.zombie {
            alive.push(described(&c, gone, false));
        }
    }
    alive
}

/// Kills and reaps every process this runner still has as a child once
/// every test is over: each is an orphan it adopted, and nothing a suite
/// started may outlive it.
pub fn reap_all() -> Vec<String> {
    let mut alive = Vec::new();
    for c in children() {
        let gone = kill_and_reap(&c);
        if !c.zombie {
            alive.push(described(&c, gone, true));
        }
    }
    alive
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process left behind is not among the children to kill and wait
    /// for: after each later test, that would wait for it again.
    #[test]
    fn a_process_left_behind_is_not_waited_for_again() {
        let mut c = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = c.id() as i32;
        assert!(children().iter().any(|k| k.pid == pid));
        leave_behind(pid);
        assert!(!children().iter().any(|k| k.pid == pid));
        c.kill().unwrap();
        c.wait().unwrap();
    }

    #[test]
    fn status_gives_name_state_and_parent() {
        let text = "Name:\tsleep (x)\nUmask:\t0022\nState:\tD (disk sleep)\n\
                    Tgid:\t77\nPid:\t77\nPPid:\t42\n";
        assert_eq!(status_fields(text), Some(("sleep (x)".into(), 'D', 42)));
        assert_eq!(status_fields("Name:\tx\n"), None);
    }

    /// The environment names the test a process was started for.
    #[test]
    fn a_child_is_found_with_its_test() {
        let mut c = std::process::Command::new("sleep")
            .arg("30")
            .env(CHILD_TEST_ENV, "suite::fixture::case")
            .spawn()
            .unwrap();
        let pid = c.id() as i32;
        // spawn returns once the exec has begun, and the kernel sets the
        // new image's environment bounds a little later: until then
        // /proc/PID/environ reads empty.
        let deadline = Instant::now() + Duration::from_secs(10);
        let found = loop {
            let found = children().into_iter().find(|k| k.pid == pid);
            if found.as_ref().is_some_and(|k| k.test.is_some()) || Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        c.kill().unwrap();
        c.wait().unwrap();
        let found = found.expect("the child is found");
        assert_eq!(found.test.as_deref(), Some("suite::fixture::case"));
        assert_eq!(found.comm, "sleep");
        assert!(!found.zombie);
    }
}
