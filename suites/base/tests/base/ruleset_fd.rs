//! `base::ruleset_fd`: what the fd returned by create_ruleset allows.

use llconf_harness::abi as uapi;
use llconf_harness::{ensure, expect_errno, expect_ok, sys, Errno, Requirement, RulesetAttr, Test};
use std::os::fd::{AsRawFd, OwnedFd};

fn ruleset() -> Result<OwnedFd, llconf_harness::Stop> {
    let attr = RulesetAttr {
        handled_access_fs: uapi::fs::EXECUTE,
        ..Default::default()
    };
    expect_ok("create_ruleset", sys::create_ruleset(&attr, 8, 0))
}

pub fn tests() -> Vec<Test> {
    vec![
        Test::new("base::ruleset_fd::io::read_einval", || {
            let fd = ruleset()?;
            let mut buf = [0u8; 8];
            expect_errno(
                "read(ruleset_fd)",
                nix::unistd::read(fd.as_raw_fd(), &mut buf),
                Errno::EINVAL,
            )
        })
        .requires(Requirement::Landlock),
        Test::new("base::ruleset_fd::io::write_einval", || {
            let fd = ruleset()?;
            expect_errno(
                "write(ruleset_fd)",
                nix::unistd::write(&fd, b"x"),
                Errno::EINVAL,
            )
        })
        .requires(Requirement::Landlock),
        Test::new("base::ruleset_fd::flags::close_on_exec", || {
            let fd = ruleset()?;
            let flags = expect_ok(
                "fcntl(F_GETFD)",
                nix::fcntl::fcntl(fd.as_raw_fd(), nix::fcntl::FcntlArg::F_GETFD),
            )?;
            ensure!(
                flags & libc::FD_CLOEXEC != 0,
                "ruleset fd lacks FD_CLOEXEC (flags {flags:#x})"
            );
            Ok(())
        })
        .requires(Requirement::Landlock),
    ]
}
