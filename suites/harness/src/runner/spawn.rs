//! The runner side of one test: a fresh process for that test alone, in
//! its own process group; collect its output and verdict, and kill the
//! whole group when it ends or runs past its timeout.
//!
//! The process is made one of two ways. A runner with worker threads
//! re-executes this binary (fork, then exec), because a fork from a
//! threaded process may copy a lock another thread holds. A runner on one
//! thread, which never runs a test body itself, forks it and calls the body
//! there, as kselftest does: no exec, no new runtime, no rebuilt test list,
//! which under TCG is most of a small test's cost.

use super::escapees::{self, KILL_GRACE};
use super::verdict::{Verdict, CHILD_TEST_ENV, VERDICT_FD, VERDICT_FD_ENV};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Output kept per stream; a runaway test must not exhaust the runner.
const OUTPUT_LIMIT: usize = 1 << 20;

pub struct ChildRun {
    pub status: ExitStatus,
    pub timed_out: bool,
    /// It did not go within [`KILL_GRACE`] of SIGKILL: stuck in the kernel
    /// (an uninterruptible sleep that never ends), and left behind.
    pub stuck: bool,
    pub verdict: Option<Verdict>,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
}

pub struct Spawn<'a> {
    pub test_name: &'a str,
    /// Fork and call this in the child instead of exec'ing the binary; it
    /// must not return. Only for a runner with no other thread.
    pub forked_body: Option<&'a dyn Fn()>,
    pub timeout: Duration,
    /// When false the test inherits the runner's stdout and stderr.
    pub capture: bool,
    pub env: Vec<(String, String)>,
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds are new and ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: plain integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: a non-negative result is a new fd.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on an fd we own.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// Reads what is available now; returns false at end of file.
fn drain(fd: RawFd, into: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 16 * 1024];
    loop {
        // SAFETY: buf is writable for its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            0 => return false,
            n if n > 0 => {
                let room = OUTPUT_LIMIT.saturating_sub(into.len());
                into.extend_from_slice(&buf[..(n as usize).min(room)]);
            }
            _ => return io::Error::last_os_error().kind() != io::ErrorKind::UnexpectedEof,
        }
    }
}

/// Waits for the killed test process, for `grace` at most: its status, or
/// `None` if it is still there.
fn wait_killed(child: &mut Started, grace: Duration) -> io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + grace;
    loop {
        if child.try_wait()? {
            return child.wait().map(Some);
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill_group(pgid: u32) {
    // SAFETY: signalling a process group we created; ESRCH is fine.
    unsafe { libc::kill(-(pgid as libc::pid_t), libc::SIGKILL) };
}

/// The test process, started: its pid, the read ends of its output, and
/// how to wait for it.
struct Started {
    pid: u32,
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
    /// `None` for a forked child, waited for by pid.
    child: Option<std::process::Child>,
}

impl Started {
    fn try_wait(&mut self) -> io::Result<bool> {
        match &mut self.child {
            Some(c) => Ok(c.try_wait()?.is_some()),
            None => {
                // The status is collected by `wait`; only peek here.
                let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
                // SAFETY: waitid on our own child with a valid siginfo.
                let r = unsafe {
                    libc::waitid(
                        libc::P_PID,
                        self.pid,
                        &mut info,
                        libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
                    )
                };
                if r < 0 {
                    return Err(io::Error::last_os_error());
                }
                // SAFETY: waitid filled si_pid (0 when nothing changed).
                Ok(unsafe { info.si_pid() } != 0)
            }
        }
    }

    fn wait(&mut self) -> io::Result<ExitStatus> {
        match &mut self.child {
            Some(c) => c.wait(),
            None => loop {
                let mut status = 0;
                // SAFETY: waitpid on our own child.
                let r = unsafe { libc::waitpid(self.pid as libc::pid_t, &mut status, 0) };
                if r >= 0 {
                    return Ok(ExitStatus::from_raw(status));
                }
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            },
        }
    }
}

/// fork + exec of this binary, told which test to run by its environment.
fn exec_child(spec: &Spawn<'_>, verdict_w: &OwnedFd) -> io::Result<Started> {
    let exe = std::env::current_exe()?;
    let verdict_w_raw = verdict_w.as_raw_fd();
    let mut cmd = Command::new(exe);
    // Records come from this runner only: the test process is not told
    // where the results file is.
    cmd.env_remove(super::results_file::RESULTS_ENV)
        .env(CHILD_TEST_ENV, spec.test_name)
        .env(VERDICT_FD_ENV, VERDICT_FD.to_string())
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .process_group(0);
    if spec.capture {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if verdict_w_raw == VERDICT_FD {
                let fl = libc::fcntl(VERDICT_FD, libc::F_GETFD);
                libc::fcntl(VERDICT_FD, libc::F_SETFD, fl & !libc::FD_CLOEXEC);
            } else if libc::dup2(verdict_w_raw, VERDICT_FD) < 0 {
                return Err(io::Error::last_os_error());
            }
            // A runner that dies must not leave test processes behind.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    Ok(Started {
        pid: child.id(),
        stdout: child.stdout.take().map(OwnedFd::from),
        stderr: child.stderr.take().map(OwnedFd::from),
        child: Some(child),
    })
}

/// fork, and the body called in the child, which is left in the state an
/// exec'd test process starts in: its own process group, stdin on
/// /dev/null, its output on the pipes, the verdict pipe on `VERDICT_FD`,
/// no other fd, and the same environment.
fn fork_child(spec: &Spawn<'_>, body: &dyn Fn(), verdict_w: &OwnedFd) -> io::Result<Started> {
    let (out, err) = if spec.capture {
        (Some(pipe()?), Some(pipe()?))
    } else {
        (None, None)
    };
    let null = std::fs::File::open("/dev/null")?;
    // Unwritten output would be written twice, once by each process.
    use std::io::Write;
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the caller runs no other thread, so the child may do what a
    // single-threaded process may.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: plain syscalls on fds this process owns.
        unsafe {
            libc::setpgid(0, 0);
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent {
                libc::_exit(127);
            }
            let moves = [
                (Some(null.as_raw_fd()), 0),
                (out.as_ref().map(|(_, w)| w.as_raw_fd()), 1),
                (err.as_ref().map(|(_, w)| w.as_raw_fd()), 2),
                (Some(verdict_w.as_raw_fd()), VERDICT_FD),
            ];
            for (from, to) in moves {
                let Some(from) = from else { continue };
                if from == to {
                    let fl = libc::fcntl(to, libc::F_GETFD);
                    libc::fcntl(to, libc::F_SETFD, fl & !libc::FD_CLOEXEC);
                } else if libc::dup2(from, to) < 0 {
                    libc::_exit(127);
                }
            }
            // What exec would have closed (every runner fd is CLOEXEC).
            libc::syscall(libc::SYS_close_range, VERDICT_FD + 1, u32::MAX, 0);
        }
        std::env::remove_var(super::results_file::RESULTS_ENV);
        std::env::set_var(CHILD_TEST_ENV, spec.test_name);
        std::env::set_var(VERDICT_FD_ENV, VERDICT_FD.to_string());
        for (k, v) in &spec.env {
            std::env::set_var(k, v);
        }
        crate::sys::reset_restrict_self_calls();
        body();
        // The body ends the process; a return is a crash.
        unsafe { libc::_exit(127) }
    }
    // A child that exits before this still names its group: its pid is
    // not reused until it is waited for.
    let _ = unsafe { libc::setpgid(pid, pid) };
    Ok(Started {
        pid: pid as u32,
        stdout: out.map(|(r, _)| r),
        stderr: err.map(|(r, _)| r),
        child: None,
    })
}

pub fn run(spec: Spawn<'_>) -> io::Result<ChildRun> {
    let (verdict_r, verdict_w) = pipe()?;
    let start = Instant::now();
    let mut child = match spec.forked_body {
        Some(body) => fork_child(&spec, body, &verdict_w)?,
        None => exec_child(&spec, &verdict_w)?,
    };
    drop(verdict_w);
    let pid = child.pid;
    let pidfd = pidfd_open(pid);

    let out_fd = child.stdout.as_ref().map(|s| s.as_raw_fd());
    let err_fd = child.stderr.as_ref().map(|s| s.as_raw_fd());
    for fd in [out_fd, err_fd, Some(verdict_r.as_raw_fd())]
        .into_iter()
        .flatten()
    {
        set_nonblocking(fd);
    }
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut verdict_bytes = Vec::new();
    let (mut out_open, mut err_open, mut verdict_open) = (out_fd.is_some(), err_fd.is_some(), true);
    let deadline = start + spec.timeout;
    let mut timed_out = false;

    loop {
        let exited = match &pidfd {
            Some(_) => false,
            None => child.try_wait()?,
        };
        if exited {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            timed_out = true;
            break;
        }
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(4);
        let mut push = |fd: RawFd| {
            fds.push(libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
        };
        if let Some(p) = &pidfd {
            push(p.as_raw_fd());
        }
        if out_open {
            push(out_fd.unwrap());
        }
        if err_open {
            push(err_fd.unwrap());
        }
        if verdict_open {
            push(verdict_r.as_raw_fd());
        }
        let wait_ms = if pidfd.is_some() {
            (deadline - now).as_millis().min(i32::MAX as u128) as i32 + 1
        } else {
            10
        };
        // SAFETY: fds is a valid array of pollfd.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let mut child_gone = false;
        for p in &fds {
            if p.revents == 0 {
                continue;
            }
            if Some(p.fd) == pidfd.as_ref().map(|f| f.as_raw_fd()) {
                child_gone = true;
            } else if Some(p.fd) == out_fd {
                out_open = drain(p.fd, &mut stdout);
            } else if Some(p.fd) == err_fd {
                err_open = drain(p.fd, &mut stderr);
            } else {
                verdict_open = drain(p.fd, &mut verdict_bytes);
            }
        }
        if child_gone {
            break;
        }
    }

    // The leader is a zombie or still running, so its pid still names the
    // group: no other process can have taken it yet.
    kill_group(pid);
    let (status, stuck) = match wait_killed(&mut child, KILL_GRACE)? {
        Some(status) => (status, false),
        // Left behind: waiting would stop every test after this one.
        None => {
            escapees::leave_behind(pid as i32);
            (ExitStatus::from_raw(libc::SIGKILL), true)
        }
    };
    let duration = start.elapsed();
    if let Some(fd) = out_fd {
        drain(fd, &mut stdout);
    }
    if let Some(fd) = err_fd {
        drain(fd, &mut stderr);
    }
    drain(verdict_r.as_raw_fd(), &mut verdict_bytes);
    let verdict = if timed_out {
        None
    } else {
        serde_json::from_slice(&verdict_bytes).ok()
    };
    Ok(ChildRun {
        status,
        timed_out,
        stuck,
        verdict,
        stdout: lossy(stdout),
        stderr: lossy(stderr),
        duration,
    })
}

fn lossy(mut bytes: Vec<u8>) -> String {
    if bytes.len() >= OUTPUT_LIMIT {
        bytes.extend_from_slice(b"\n[llconf: output truncated at 1 MiB]\n");
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The signal's name, as the report shows it.
pub fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("SIG{sig}"))
}

pub fn exit_signal(status: &ExitStatus) -> Option<i32> {
    status.signal()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(script: &str) -> Started {
        let child = Command::new("sh")
            .args(["-c", script])
            .process_group(0)
            .spawn()
            .unwrap();
        Started {
            pid: child.id(),
            stdout: None,
            stderr: None,
            child: Some(child),
        }
    }

    #[test]
    fn a_process_that_goes_is_waited_for() {
        let mut c = started("exit 3");
        let status = wait_killed(&mut c, Duration::from_secs(10)).unwrap();
        assert_eq!(status.and_then(|s| s.code()), Some(3));
    }

    /// As a process stuck in the kernel does: still there after the grace,
    /// and left behind rather than waited for.
    #[test]
    fn a_process_that_stays_is_left_behind() {
        let mut c = started("sleep 30");
        // Some(status) would mean it waited for the end of the sleep.
        assert!(wait_killed(&mut c, Duration::from_millis(200))
            .unwrap()
            .is_none());
        kill_group(c.pid);
        c.wait().unwrap();
    }
}
