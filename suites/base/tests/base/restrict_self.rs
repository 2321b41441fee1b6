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
use std::os::unix::fs::OpenOptionsExt;

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

/// Without any capability, no_new_privs is what makes restrict_self
/// allowed.
fn with_nnp_accepted() -> TestResult {
    let rs = exec_ruleset()?;
    drop_all_capabilities()?;
    expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    expect_ok(
        "restrict_self(ruleset, 0) with no_new_privs and no capability",
        sys::restrict_self(rs.as_raw_fd(), 0),
    )?;
    verify_domain_in_effect()
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

/// Enforces layers up to the limit of 16, counting those the suites were
/// declared to start under (Requirement::StartDepth: never measured, which
/// would calibrate a wrong limit away); returns how many those were.
fn stack_to_sixteen_layers() -> Result<u32, Stop> {
    let base = llconf_harness::ruleset::declared_start_depth().unwrap_or(0);
    for layer in base + 1..=16 {
        let rs = exec_ruleset()?;
        expect_ok(
            format!("restrict_self for layer {layer}"),
            sys::restrict_self(rs.as_raw_fd(), 0),
        )?;
    }
    Ok(base)
}

/// restrict_self(rs) past the limit of 16 layers: E2BIG.
fn refused_as_layer_17(rs: &OwnedFd, what: &str) -> TestResult {
    expect_errno(what, sys::restrict_self(rs.as_raw_fd(), 0), Errno::E2BIG)
}

fn sixteen_layers_then_e2big() -> TestResult {
    expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    let start = sys::restrict_self_calls();
    let base = stack_to_sixteen_layers()?;
    let rs = exec_ruleset()?;
    refused_as_layer_17(&rs, "restrict_self for layer 17")?;
    ensure!(
        sys::restrict_self_calls() - start == 16 - base,
        "wrong number of layers enforced"
    );
    verify_domain_in_effect()
}

/// A restrict_self refused with E2BIG leaves the ruleset as it was: it
/// still takes a rule, and is refused again the same way. The refusal
/// comes from inside the merge, under the ruleset's lock; a kernel that
/// kept the lock on that path would never give the ruleset back.
fn ruleset_usable_after_e2big() -> TestResult {
    let root = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open("/")
        .or_fail("open / O_PATH")?;
    expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    stack_to_sixteen_layers()?;
    let rs = exec_ruleset()?;
    refused_as_layer_17(&rs, "restrict_self for layer 17")?;
    expect_ok(
        "add_rule(EXECUTE beneath /) on the ruleset refused as layer 17",
        sys::add_path_beneath(rs.as_raw_fd(), uapi::fs::EXECUTE, root.as_raw_fd(), 0),
    )?;
    refused_as_layer_17(&rs, "restrict_self for layer 17 again")
}

/// Under a domain that allows READ_FILE beneath allowed/ only: allowed/f
/// reads, denied/f is EACCES.
fn reads_allowed_f_not_denied_f(t: &TempTree) -> TestResult {
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

fn denies_outside_rule() -> TestResult {
    let t = TempTree::with(&["allowed/f", "denied/f"])?;
    let rs = Ruleset::fs(uapi::fs::READ_FILE)?;
    rs.allow_path(&t.path("allowed"), uapi::fs::READ_FILE)?;
    rs.enforce()?;
    reads_allowed_f_not_denied_f(&t)
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

/// A ruleset fd numbered 0 is a ruleset fd like any other: with stdin
/// closed, create_ruleset hands out 0 (the lowest free number), and the
/// ruleset behind it must live until that fd closes, take its rule and be
/// enforced. A kernel that took 0 for a failed anon_inode_getfd() would
/// drop the ruleset under the fd it returned.
fn fd_zero_enforces() -> TestResult {
    let t = TempTree::with(&["allowed/f", "denied/f"])?;
    // SAFETY: closing a descriptor this test process owns; nothing of the
    // harness reads stdin in a test.
    unsafe { libc::close(0) };
    let rs = Ruleset::fs(uapi::fs::READ_FILE)?;
    ensure!(
        rs.fd() == 0,
        "create_ruleset returned fd {} with fd 0 free: not the lowest free number",
        rs.fd()
    );
    rs.allow_path(&t.path("allowed"), uapi::fs::READ_FILE)?;
    rs.enforce()?;
    reads_allowed_f_not_denied_f(&t)
}

/// What `prctl(PR_GET_NO_NEW_PRIVS)` answers.
fn no_new_privs() -> bool {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 }
}

/// An unprivileged process (no capability, no no_new_privs): the one
/// whose restrict_self checks are in question.
fn unprivileged() -> TestResult {
    if no_new_privs_already_set() {
        return Err(skip(
            "the test process inherited no_new_privs, so a process without it cannot be tested",
        ));
    }
    drop_all_capabilities()
}

/// The order of restrict_self's first checks for a process that may not
/// restrict itself. Before ABI 11 the privilege check came first: unknown
/// flags gave EPERM. Since NO_NEW_PRIVS (ABI 11), a flag that answers the
/// privilege check, the flags come first: unknown ones give EINVAL. Known
/// flags without privileges give EPERM on every ABI.
fn unknown_flags_without_privileges() -> TestResult {
    unprivileged()?;
    let flags_first = abi() >= 11;
    expect_errno(
        format!(
            "restrict_self(fd=-1, all bits) without no_new_privs or CAP_SYS_ADMIN on ABI {} \
             (flags are checked {} privileges)",
            abi(),
            if flags_first { "before" } else { "after" }
        ),
        sys::restrict_self(-1, u32::MAX),
        if flags_first {
            Errno::EINVAL
        } else {
            Errno::EPERM
        },
    )?;
    expect_errno(
        "restrict_self(fd=-1, 0) without no_new_privs or CAP_SYS_ADMIN",
        sys::restrict_self(-1, 0),
        Errno::EPERM,
    )
}

/// LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS (ABI 11) stands in for
/// prctl(PR_SET_NO_NEW_PRIVS): the same unprivileged call is refused
/// without the flag and enforces with it, setting no_new_privs.
fn no_new_privs_flag_enforces() -> TestResult {
    unprivileged()?;
    let t = TempTree::with(&["allowed/f", "denied/f"])?;
    let rs = Ruleset::fs(uapi::fs::READ_FILE)?;
    rs.allow_path(&t.path("allowed"), uapi::fs::READ_FILE)?;
    expect_errno(
        "restrict_self(ruleset, 0) without no_new_privs",
        sys::restrict_self(rs.fd(), 0),
        Errno::EPERM,
    )?;
    ensure!(!no_new_privs(), "a refused restrict_self set no_new_privs");
    expect_ok(
        "restrict_self(ruleset, NO_NEW_PRIVS) without no_new_privs",
        sys::restrict_self(rs.fd(), uapi::restrict::NO_NEW_PRIVS),
    )?;
    ensure!(
        no_new_privs(),
        "restrict_self(NO_NEW_PRIVS) succeeded but PR_GET_NO_NEW_PRIVS answers 0"
    );
    verify_domain_in_effect()?;
    reads_allowed_f_not_denied_f(&t)
}

/// The flag needs a ruleset: with fd -1 it is EBADF, and no_new_privs is
/// set only once the enforcement succeeds, so it stays unset.
fn no_new_privs_needs_a_ruleset() -> TestResult {
    unprivileged()?;
    expect_errno(
        "restrict_self(fd=-1, NO_NEW_PRIVS)",
        sys::restrict_self(-1, uapi::restrict::NO_NEW_PRIVS),
        Errno::EBADF,
    )?;
    ensure!(
        !no_new_privs(),
        "a failed restrict_self(NO_NEW_PRIVS) left no_new_privs set"
    );
    Ok(())
}

/// Past the 16-layer limit the flag fails with E2BIG and leaves
/// no_new_privs unset. The 16 layers are stacked with CAP_SYS_ADMIN, which
/// stands in for no_new_privs, so that none of them sets it.
fn no_new_privs_past_the_limit() -> TestResult {
    if no_new_privs_already_set() {
        return Err(skip(
            "the test process inherited no_new_privs, so it cannot be seen left unset",
        ));
    }
    // With CAP_SYS_ADMIN (root), which stands in for no_new_privs.
    stack_to_sixteen_layers()?;
    ensure!(
        !no_new_privs(),
        "16 layers without the flag set no_new_privs"
    );
    let rs = exec_ruleset()?;
    expect_errno(
        "restrict_self(layer 17, NO_NEW_PRIVS)",
        sys::restrict_self(rs.as_raw_fd(), uapi::restrict::NO_NEW_PRIVS),
        Errno::E2BIG,
    )?;
    ensure!(
        !no_new_privs(),
        "restrict_self(NO_NEW_PRIVS) failed with E2BIG but set no_new_privs"
    );
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
        .enforcement()
        .twin("base::restrict_self::privileges::with_nnp_accepted"),
        Test::new(
            "base::restrict_self::flags::unknown_per_abi_einval",
            flags_known_per_abi,
        )
        .requires(ll.clone())
        .twin("base::restrict_self::privileges::with_nnp_accepted"),
        Test::new(
            "base::restrict_self::privileges::unknown_flags_without_privileges",
            unknown_flags_without_privileges,
        )
        .requires(ll.clone())
        .twin("base::restrict_self::privileges::with_nnp_accepted"),
        Test::new(
            "base::restrict_self::no_new_privs::unprivileged::enforces_and_sets_nnp",
            no_new_privs_flag_enforces,
        )
        .needs("LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS")
        .enforcement()
        .twin("base::restrict_self::privileges::without_nnp_eperm"),
        Test::new(
            "base::restrict_self::no_new_privs::no_ruleset::ebadf_nnp_unset",
            no_new_privs_needs_a_ruleset,
        )
        .needs("LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS")
        .requires(ll.clone())
        .twin("base::restrict_self::no_new_privs::unprivileged::enforces_and_sets_nnp"),
        Test::new(
            "base::restrict_self::no_new_privs::layer_17::e2big_nnp_unset",
            no_new_privs_past_the_limit,
        )
        .needs("LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS")
        .requires(Requirement::Root)
        .requires(Requirement::StartDepth)
        .enforcement()
        .twin("base::restrict_self::no_new_privs::unprivileged::enforces_and_sets_nnp"),
        Test::new("base::restrict_self::ruleset_fd::bad_fd_ebadf", || {
            expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
            expect_errno(
                "restrict_self(fd=-1, 0)",
                sys::restrict_self(-1, 0),
                Errno::EBADF,
            )
        })
        .requires(ll.clone())
        .twin("base::restrict_self::privileges::with_nnp_accepted"),
        Test::new(
            "base::restrict_self::ruleset_fd::fd_zero_enforces",
            fd_zero_enforces,
        )
        .enforcement()
        .twin("base::restrict_self::enforce::denies_outside_rule"),
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
        .requires(ll.clone())
        .twin("base::restrict_self::privileges::with_nnp_accepted"),
        Test::new(
            "base::restrict_self::layers::sixteen_then_e2big",
            sixteen_layers_then_e2big,
        )
        .requires(Requirement::StartDepth)
        .enforcement()
        .twin("base::restrict_self::layers::sixteen_accepted"),
        Test::new(
            "base::restrict_self::layers::ruleset_usable_after_e2big",
            ruleset_usable_after_e2big,
        )
        .requires(Requirement::StartDepth)
        .enforcement()
        .twin("base::restrict_self::layers::sixteen_then_e2big"),
        Test::new(
            "base::restrict_self::enforce::denies_outside_rule",
            denies_outside_rule,
        )
        .enforcement()
        .twin("base::restrict_self::enforce::unhandled_right_unaffected"),
        Test::new(
            "base::restrict_self::enforce::unhandled_right_unaffected",
            unhandled_right_unaffected,
        )
        .enforcement()
        .twin("base::restrict_self::enforce::denies_outside_rule"),
        Test::new(
            "base::restrict_self::enforce::survives_ruleset_close",
            fd_outlives_close,
        )
        .enforcement()
        .twin("base::restrict_self::enforce::denies_outside_rule"),
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
        .enforcement()
        .untwinned(
            "checks that the harness counts the layers it enforced; no access is decided, so \
             there is no verdict to invert",
        ),
        // The call the privilege, flag and fd checks are one argument away
        // from: no capability left, but no_new_privs set, a ruleset, no flag.
        Test::new(
            "base::restrict_self::privileges::with_nnp_accepted",
            with_nnp_accepted,
        )
        .enforcement()
        .twin("base::restrict_self::privileges::without_nnp_eperm"),
        Test::new("base::restrict_self::layers::sixteen_accepted", || {
            expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
            stack_to_sixteen_layers()?;
            verify_domain_in_effect()
        })
        .requires(Requirement::StartDepth)
        .enforcement()
        .twin("base::restrict_self::layers::sixteen_then_e2big"),
    ]
}
