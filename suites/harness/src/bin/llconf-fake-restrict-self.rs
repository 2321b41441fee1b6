//! `llconf-fake-restrict-self CMD [ARGS...]` runs CMD under a seccomp filter
//! that makes landlock_restrict_self return 0 without doing anything
//! ([`llconf_harness::fake`]).
//!
//! This is how llconf checks itself: under this lie, every enforcement test
//! must fail and none may pass (see `ci/fake-enforcement.sh`).

use std::os::unix::process::CommandExt;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(cmd) = args.next() else {
        eprintln!("usage: llconf-fake-restrict-self CMD [ARGS...]");
        std::process::exit(2);
    };
    if let Err(e) = llconf_harness::fake::install() {
        eprintln!("llconf-fake-restrict-self: cannot install the seccomp filter: {e}");
        std::process::exit(2);
    }
    let err = std::process::Command::new(&cmd).args(args).exec();
    eprintln!(
        "llconf-fake-restrict-self: cannot run {}: {err}",
        cmd.to_string_lossy()
    );
    std::process::exit(127);
}
