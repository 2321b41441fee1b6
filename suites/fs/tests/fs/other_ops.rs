//! Other syscalls that need a MAKE_* right than mknod(2): binding a
//! pathname UNIX socket needs MAKE_SOCK, open(O_CREAT) needs MAKE_REG.
//! A domain that handles no filesystem right at all does not restrict
//! reparenting: REFER is only implied in domains that handle fs rights.

use crate::common::*;
use llconf_harness::abi::{fs, scope};
use llconf_harness::fixture::TempTree;
use llconf_harness::twin::pair;
use llconf_harness::{expect_result, Errno, Ruleset, Test, TestResult};
use nix::sys::socket::{bind, socket, AddressFamily, SockFlag, SockType, UnixAddr};
use std::os::fd::AsRawFd;

fn unix_bind(rule: bool) -> TestResult {
    let t = TempTree::with(&["d/", "other/"])?;
    let rs = Ruleset::fs(fs::MAKE_SOCK)?;
    rs.allow_path(&t.path(if rule { "d" } else { "other" }), fs::MAKE_SOCK)?;
    rs.enforce()?;
    let s = setup(
        "socket(AF_UNIX, SOCK_STREAM)",
        socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_CLOEXEC,
            None,
        ),
    )?;
    let addr = setup("sockaddr_un", UnixAddr::new(&t.path("d/sock")))?;
    expect_result(
        "bind(d/sock)",
        bind(s.as_raw_fd(), &addr),
        (!rule).then_some(Errno::EACCES),
    )
}

fn open_creat(rule: bool) -> TestResult {
    let t = TempTree::with(&["d/", "other/"])?;
    let rs = Ruleset::fs(fs::MAKE_REG)?;
    rs.allow_path(&t.path(if rule { "d" } else { "other" }), fs::MAKE_REG)?;
    rs.enforce()?;
    expect_result(
        "open(d/new, O_CREAT|O_WRONLY)",
        try_open(&t.path("d/new"), libc::O_CREAT | libc::O_WRONLY),
        (!rule).then_some(Errno::EACCES),
    )
}

/// O_CREAT on a file that exists creates nothing, so needs no MAKE_REG.
fn open_creat_existing() -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    Ruleset::fs(fs::MAKE_REG)?.enforce()?;
    expect_result(
        "open(d/f, O_CREAT|O_WRONLY) on an existing file",
        try_open(&t.path("d/f"), libc::O_CREAT | libc::O_WRONLY),
        None,
    )?;
    expect_result(
        "open(d/new, O_CREAT|O_WRONLY)",
        try_open(&t.path("d/new"), libc::O_CREAT | libc::O_WRONLY),
        Some(Errno::EACCES),
    )
}

fn fs_free_domain_reparents() -> TestResult {
    let t = TempTree::with(&["a/f", "b/"])?;
    Ruleset::scoped(scope::SIGNAL)?.enforce()?;
    expect_result(
        "rename(a/f, b/f)",
        rename(&t.path("a/f"), &t.path("b/f")),
        None,
    )?;
    expect_result("link(b/f, a/l)", link(&t.path("b/f"), &t.path("a/l")), None)
}

pub fn tests() -> Vec<Test> {
    let [bind_allowed, bind_denied] = pair(
        Test::new("fs::make_sock::unix_bind::allowed", || unix_bind(true)).enforcement(),
        Test::new("fs::make_sock::unix_bind::denied", || unix_bind(false)).enforcement(),
    );
    let [creat_allowed, creat_denied] = pair(
        Test::new("fs::make_reg::open_o_creat::allowed", || open_creat(true)).enforcement(),
        Test::new("fs::make_reg::open_o_creat::denied", || open_creat(false)).enforcement(),
    );
    vec![
        bind_allowed,
        bind_denied,
        creat_allowed,
        creat_denied,
        // One file apart: the same open of a name that does not exist yet.
        Test::new(
            "fs::make_reg::open_o_creat::existing_file_allowed",
            open_creat_existing,
        )
        .enforcement()
        .twin("fs::make_reg::open_o_creat::denied"),
        // One right apart: a domain that handles filesystem rights (and
        // not REFER) denies the same move across directories.
        Test::new(
            "fs::refer::implicit::fs_free_domain::reparent_allowed",
            fs_free_domain_reparents,
        )
        .needs("LANDLOCK_SCOPE_SIGNAL")
        .enforcement()
        .twin("fs::refer::implicit::not_handled::rename_across_exdev"),
    ]
}
