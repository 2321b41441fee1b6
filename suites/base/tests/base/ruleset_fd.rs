//! `base::ruleset_fd`: what the fd returned by create_ruleset allows.

use llconf_harness::abi as uapi;
use llconf_harness::{
    ensure, expect_errno, expect_ok, sys, Errno, OrFail, Requirement, RulesetAttr, Test,
};
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
        .requires(Requirement::Landlock)
        .twin("base::ruleset_fd::io::add_rule_accepted"),
        Test::new("base::ruleset_fd::io::write_einval", || {
            let fd = ruleset()?;
            expect_errno(
                "write(ruleset_fd)",
                nix::unistd::write(&fd, b"x"),
                Errno::EINVAL,
            )
        })
        .requires(Requirement::Landlock)
        .twin("base::ruleset_fd::io::add_rule_accepted"),
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
        .requires(Requirement::Landlock)
        .untwinned(
            "a property of every ruleset fd: no argument of create_ruleset yields one without \
             FD_CLOEXEC",
        ),
        // The fd that refuses read(2) and write(2) takes what it is for: a
        // rule, through landlock_add_rule.
        Test::new("base::ruleset_fd::io::add_rule_accepted", || {
            let fd = ruleset()?;
            let dir = std::fs::File::open("/").or_fail("open /")?;
            expect_ok(
                "add_rule(ruleset_fd, PATH_BENEATH, EXECUTE, /)",
                sys::add_path_beneath(fd.as_raw_fd(), uapi::fs::EXECUTE, dir.as_raw_fd(), 0),
            )
        })
        .requires(Requirement::Landlock)
        .twin("base::ruleset_fd::io::write_einval"),
    ]
}
