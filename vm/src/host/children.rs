//! Children die with llconf. A VM (qemu, vng, a UML kernel) or a suite
//! binary left running after llconf is killed, even by kill -9, burns a CPU
//! and writes into an output folder nobody reads: each one gets the
//! parent-death signal SIGKILL. The kernel sends it when the thread that
//! spawned the child ends, so the spawning thread must wait for the child,
//! as llconf's run loops do.

use nix::sys::signal::Signal;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Makes `cmd`'s process receive SIGKILL when the spawning thread ends.
pub fn die_with_parent(cmd: &mut Command) -> &mut Command {
    die_with_parent_by(cmd, Signal::SIGKILL)
}

/// The same with another signal: one a child cleans up on (make stops its
/// compilers on SIGTERM).
pub fn die_with_parent_by(cmd: &mut Command, signal: Signal) -> &mut Command {
    // SAFETY: the closure only makes one async-signal-safe system call.
    unsafe {
        cmd.pre_exec(move || nix::sys::prctl::set_pdeathsig(signal).map_err(std::io::Error::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    // Reaped below with waitpid, after the spawning thread is gone.
    #[allow(clippy::zombie_processes)]
    fn a_child_dies_when_the_thread_that_spawned_it_ends() {
        let pid = std::thread::spawn(|| {
            let child = die_with_parent(&mut Command::new("sleep"))
                .arg("30")
                .spawn()
                .unwrap();
            child.id()
        })
        .join()
        .unwrap();
        let start = Instant::now();
        let proc = format!("/proc/{pid}/stat");
        // Gone, or a zombie of this process waiting to be reaped.
        let dead = || {
            std::fs::read_to_string(&proc)
                .map(|s| s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')))
                .unwrap_or(true)
        };
        while !dead() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(dead(), "sleep {pid} outlived the thread that spawned it");
        let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid as i32), None);
    }
}
