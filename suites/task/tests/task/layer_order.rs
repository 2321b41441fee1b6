//! `task::layer_order::signal::layers_<n>::<which>`: a process outside the
//! domain may be signalled only when no layer of the stack scopes signals.
//! A denying layer has LANDLOCK_SCOPE_SIGNAL, an allowing one only
//! LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, one scope apart. The target is a
//! child forked before the first layer; kill(child, 0) asks the same
//! question as a real signal without delivering one.

use llconf_harness::abi::scope;
use llconf_harness::fixture::layer_order::{cases, LayerCase};
use llconf_harness::fixture::Peer;
use llconf_harness::{expect_result, fail, Errno, Ruleset, Test, TestResult};
use nix::sys::signal::kill;
use nix::unistd::{pipe, read};
use std::os::fd::AsRawFd;

fn stack(c: LayerCase) -> TestResult {
    // The child leaves when the pipe closes: the sandboxed parent may not
    // be allowed to kill it.
    let (release_r, release_w) = pipe().map_err(|e| fail(format!("pipe: {e}")))?;
    let writer = release_w.as_raw_fd();
    let child = Peer::spawn(move |ready| {
        // SAFETY: this (forked) process's copy of the write end, unused.
        unsafe { libc::close(writer) };
        ready.signal();
        let mut b = [0u8; 1];
        let _ = read(release_r.as_raw_fd(), &mut b);
        0
    })?;
    child.wait_ready()?;
    let mut enforced = Ok(());
    for i in 0..c.layers {
        let scopes = if c.denies(i) {
            scope::SIGNAL
        } else {
            scope::ABSTRACT_UNIX_SOCKET
        };
        enforced = Ruleset::scoped(scopes).and_then(|rs| rs.enforce());
        if enforced.is_err() {
            break;
        }
    }
    let r = enforced.as_ref().ok().map(|_| kill(child.pid(), None));
    drop(release_w);
    child.join();
    enforced?;
    expect_result(
        format!("kill(child outside the domain, 0) ({})", c.name()),
        r.expect("enforced"),
        c.denied().then_some(Errno::EPERM),
    )
}

pub fn tests() -> Vec<Test> {
    cases()
        .into_iter()
        .map(|c| {
            c.test("task::layer_order::signal", stack)
                .needs("LANDLOCK_SCOPE_SIGNAL")
                .needs("LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET")
        })
        .collect()
}
