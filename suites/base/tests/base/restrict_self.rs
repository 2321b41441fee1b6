//! `base::restrict_self`: privileges, flags, the ruleset fd, the layer
//! limit, and the smallest proof that a domain is enforced.

use crate::abi;
use llconf_harness::abi::{self as uapi};
use llconf_harness::fixture::TempTree;
use llconf_harness::ruleset::verify_domain_in_effect;
use llconf_harness::{
    ensure, expect_errno, expect_ok, fail, skip, sys, Errno, OrFail, Requirement, Ruleset,
    RulesetAttr, Stop, Test, TestResult,
};
use std::os::fd::{AsRawFd, OwnedFd};

fn exec_ruleset() -> Result<OwnedFd, Stop> {
    let attr = RulesetAttr {
        handled_access_fs: uapi::fs::EXECUTE,
        ..Default::default()
    };
    expect_ok("create_ruleset", sys::create_ruleset(&attr, 8, 0))
}

/// Clears every capability set of this process, so that CAP_SYS_ADMIN no
/// longer stands in for no_new_privs.
fn drop_all_capabilities() -> TestResult {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    let hdr = Header {
        version: VERSION_3,
        pid: 0,
    };
    let data = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capset with a v3 header reads two data structs.
    let r = unsafe { libc::syscall(libc::SYS_capset, &hdr, data.as_ptr()) };
    expect_ok("capset(all zero)", Errno::result(r))?;
    Ok(())
}

fn no_new_privs_already_set() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("NoNewPrivs:") && l.ends_with('1'))
        })
        .unwrap_or(false)
}

fn without_nnp_eperm() -> TestResult {
    if no_new_privs_already_set() {
        return Err(skip(
            "the test process inherited no_new_privs, so the EPERM path cannot be reached",
        ));
    }
    let rs = exec_ruleset()?;
    drop_all_capabilities()?;
    expect_errno(
        "restrict_self without no_new_privs or CAP_SYS_ADMIN",
        sys::restrict_self(rs.as_raw_fd(), 0),
        Errno::EPERM,
    )
}

fn flags_known_per_abi() -> TestResult {
    expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    let known = abi().min(uapi::NEWEST_KNOWN_ABI);
    for flag in uapi::RESTRICT_SELF_FLAGS {
        // With a bad fd the kernel says EBADF only once it accepted the flag.
        let expected = if flag.abi <= known {
            Errno::EBADF
        } else {
            Errno::EINVAL
        };
        expect_errno(
            format!("restrict_self(fd=-2, {}) on ABI {}", flag.name, abi()),
            sys::restrict_self(-2, flag.bit as u32),
            expected,
        )?;
    }
    expect_errno(
        "restrict_self(fd=-2, 1<<31)",
        sys::restrict_self(-2, 1 << 31),
        Errno::EINVAL,
    )
}

fn sixteen_layers_then_e2big() -> TestResult {
    expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    let start = sys::restrict_self_calls();
    let base: u32 = std::env::var(llconf_harness::ruleset::BASE_DEPTH_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for layer in base + 1..=16 {
        let rs = exec_ruleset()?;
        expect_ok(
            format!("restrict_self for layer {layer}"),
            sys::restrict_self(rs.as_raw_fd(), 0),
        )?;
    }
    let rs = exec_ruleset()?;
    expect_errno(
        "restrict_self for layer 17",
        sys::restrict_self(rs.as_raw_fd(), 0),
        Errno::E2BIG,
    )?;
    ensure!(
        sys::restrict_self_calls() - start == 16 - base,
        "wrong number of layers enforced"
    );
    verify_domain_in_effect()
}

fn denies_outside_rule() -> TestResult {
    let t = TempTree::with(&["allowed/f", "denied/f"])?;
    let rs = Ruleset::fs(uapi::fs::READ_FILE)?;
    rs.allow_path(&t.path("allowed"), uapi::fs::READ_FILE)?;
    rs.enforce()?;
    expect_ok(
        "read allowed/f",
        std::fs::read(t.path("allowed/f")).map_err(errno),
    )?;
    expect_errno(
        "read denied/f",
        std::fs::read(t.path("denied/f")).map_err(errno),
        Errno::EACCES,
    )
}

fn unhandled_right_unaffected() -> TestResult {
    let t = TempTree::with(&["f"])?;
    Ruleset::fs(uapi::fs::READ_FILE)?.enforce()?;
    // WRITE_FILE is not handled, READ_FILE is: the first works, the second
    // proves the domain is there.
    expect_ok(
        "write f (WRITE_FILE not handled)",
        std::fs::write(t.path("f"), b"x").map_err(errno),
    )?;
    expect_errno(
        "read f (READ_FILE handled)",
        std::fs::read(t.path("f")).map_err(errno),
        Errno::EACCES,
    )
}

fn fd_outlives_close() -> TestResult {
    let t = TempTree::with(&["a/f", "b/f"])?;
    let rs = Ruleset::fs(uapi::fs::READ_FILE)?;
    rs.allow_path(&t.path("a"), uapi::fs::READ_FILE)?;
    // The domain copies the ruleset; closing the fd must not undo it.
    rs.enforce()?;
    expect_errno(
        "read b/f after the ruleset fd closed",
        std::fs::read(t.path("b/f")).map_err(errno),
        Errno::EACCES,
    )?;
    let f = std::fs::File::open(t.path("a/f")).or_fail("open a/f")?;
    drop(f);
    Ok(())
}

fn errno(e: std::io::Error) -> Errno {
    e.raw_os_error()
        .map(Errno::from_raw)
        .unwrap_or(Errno::UnknownErrno)
}

pub fn tests() -> Vec<Test> {
    let ll = Requirement::Landlock;
    vec![
        Test::new(
            "base::restrict_self::privileges::without_nnp_eperm",
            without_nnp_eperm,
        )
        .enforcement(),
        Test::new(
            "base::restrict_self::flags::unknown_per_abi_einval",
            flags_known_per_abi,
        )
        .requires(ll.clone()),
        Test::new("base::restrict_self::ruleset_fd::bad_fd_ebadf", || {
            expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
            expect_errno(
                "restrict_self(fd=-1, 0)",
                sys::restrict_self(-1, 0),
                Errno::EBADF,
            )
        })
        .requires(ll.clone()),
        Test::new(
            "base::restrict_self::ruleset_fd::not_a_ruleset_ebadfd",
            || {
                expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
                let null = std::fs::File::open("/dev/null").or_fail("open /dev/null")?;
                expect_errno(
                    "restrict_self(fd=/dev/null, 0)",
                    sys::restrict_self(null.as_raw_fd(), 0),
                    Errno::EBADFD,
                )
            },
        )
        .requires(ll.clone()),
        Test::new(
            "base::restrict_self::layers::sixteen_then_e2big",
            sixteen_layers_then_e2big,
        )
        .enforcement(),
        Test::new(
            "base::restrict_self::enforce::denies_outside_rule",
            denies_outside_rule,
        )
        .enforcement(),
        Test::new(
            "base::restrict_self::enforce::unhandled_right_unaffected",
            unhandled_right_unaffected,
        )
        .enforcement(),
        Test::new(
            "base::restrict_self::enforce::survives_ruleset_close",
            fd_outlives_close,
        )
        .enforcement(),
        Test::new(
            "base::restrict_self::enforce::domain_depth_measurable",
            || {
                Ruleset::fs(uapi::fs::EXECUTE)?.enforce()?;
                Ruleset::fs(uapi::fs::EXECUTE)?.enforce()?;
                if sys::restrict_self_calls() != 2 {
                    return Err(fail("two layers enforced, counter disagrees"));
                }
                Ok(())
            },
        )
        .enforcement(),
    ]
}
