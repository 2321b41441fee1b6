//! `base::add_rule`: the ruleset fd, rule types, flags and the two rule
//! attributes.

use crate::abi;
use llconf_harness::abi::{self as uapi};
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_errno, expect_ok, sys, Errno, OrFail, Requirement, RulesetAttr, Stop, Test, TestResult,
};
use std::os::fd::{AsRawFd, OwnedFd};

pub(crate) fn ruleset(fs: u64, net: u64) -> Result<OwnedFd, Stop> {
    let attr = RulesetAttr {
        handled_access_fs: fs,
        handled_access_net: net,
        ..Default::default()
    };
    let size = if net == 0 { 8 } else { 16 };
    expect_ok("create_ruleset", sys::create_ruleset(&attr, size, 0))
}

pub(crate) fn open_path(p: &std::path::Path) -> Result<std::fs::File, Stop> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(p)
        .or_fail(format!("open {}", p.display()))
}

fn beneath(rs: &OwnedFd, access: u64, parent: &impl AsRawFd, flags: u32) -> Result<(), Errno> {
    sys::add_path_beneath(rs.as_raw_fd(), access, parent.as_raw_fd(), flags)
}

fn tmp_dir() -> Result<(TempTree, std::fs::File), Stop> {
    let t = TempTree::with(&["d/", "f"])?;
    let d = open_path(&t.path("d"))?;
    Ok((t, d))
}

fn file_rule_rights() -> TestResult {
    let t = TempTree::with(&["f"])?;
    let f = open_path(&t.path("f"))?;
    let all = uapi::mask_for_abi(uapi::ACCESS_FS, abi().min(uapi::NEWEST_KNOWN_ABI));
    let rs = ruleset(all, 0)?;
    let file_rights = all & uapi::fs::FILE_RIGHTS;
    expect_ok(
        format!("add_rule(file, {file_rights:#x} = the file rights)"),
        beneath(&rs, file_rights, &f, 0),
    )?;
    for flag in uapi::ACCESS_FS
        .iter()
        .filter(|x| x.bit & all & !uapi::fs::FILE_RIGHTS != 0)
    {
        expect_errno(
            format!("add_rule(regular file, {})", flag.name),
            beneath(&rs, flag.bit, &f, 0),
            Errno::EINVAL,
        )?;
    }
    Ok(())
}

/// The directory twin of the file case: the rights a file refuses, one
/// by one, are accepted on a directory.
fn dir_rule_rights() -> TestResult {
    let (_t, d) = tmp_dir()?;
    let all = uapi::mask_for_abi(uapi::ACCESS_FS, abi().min(uapi::NEWEST_KNOWN_ABI));
    let rs = ruleset(all, 0)?;
    for flag in uapi::ACCESS_FS
        .iter()
        .filter(|x| x.bit & all & !uapi::fs::FILE_RIGHTS != 0)
    {
        expect_ok(
            format!("add_rule(directory, {})", flag.name),
            beneath(&rs, flag.bit, &d, 0),
        )?;
    }
    expect_ok(
        format!("add_rule(directory, {all:#x} = every right)"),
        beneath(&rs, all, &d, 0),
    )
}

pub fn tests() -> Vec<Test> {
    let ll = Requirement::Landlock;
    let exec = uapi::fs::EXECUTE;
    vec![
        Test::new("base::add_rule::flags::unknown_einval", move || {
            let (_t, d) = tmp_dir()?;
            let rs = ruleset(exec, 0)?;
            expect_errno(
                "add_rule(flags=1<<31)",
                beneath(&rs, exec, &d, 1 << 31),
                Errno::EINVAL,
            )
        })
        .requires(ll.clone())
        .twin("base::add_rule::path_beneath::exec_on_dir_accepted"),
        Test::new(
            "base::add_rule::flags::quiet_before_abi10_einval",
            move || {
                let (_t, d) = tmp_dir()?;
                let rs = ruleset(exec, 0)?;
                expect_errno(
                    "add_rule(flags=QUIET)",
                    beneath(&rs, exec, &d, uapi::add_rule::QUIET),
                    Errno::EINVAL,
                )
            },
        )
        .requires(ll.clone())
        .requires(Requirement::AbiBelow {
            version: 10,
            what: "LANDLOCK_ADD_RULE_QUIET unknown",
        })
        .twin("base::add_rule::path_beneath::exec_on_dir_accepted"),
        Test::new("base::add_rule::ruleset_fd::bad_fd_ebadf", move || {
            let (_t, d) = tmp_dir()?;
            expect_errno(
                "add_rule(ruleset_fd=-1)",
                sys::add_path_beneath(-1, exec, d.as_raw_fd(), 0),
                Errno::EBADF,
            )
        })
        .requires(ll.clone())
        .twin("base::add_rule::path_beneath::exec_on_dir_accepted"),
        Test::new(
            "base::add_rule::ruleset_fd::not_a_ruleset_ebadfd",
            move || {
                let (_t, d) = tmp_dir()?;
                let null = std::fs::File::open("/dev/null").or_fail("open /dev/null")?;
                expect_errno(
                    "add_rule(ruleset_fd=/dev/null)",
                    sys::add_path_beneath(null.as_raw_fd(), exec, d.as_raw_fd(), 0),
                    Errno::EBADFD,
                )
            },
        )
        .requires(ll.clone())
        .twin("base::add_rule::path_beneath::exec_on_dir_accepted"),
        Test::new("base::add_rule::rule_type::unknown_einval", move || {
            let (_t, d) = tmp_dir()?;
            let rs = ruleset(exec, 0)?;
            let attr = sys::PathBeneathAttr {
                allowed_access: exec,
                parent_fd: d.as_raw_fd(),
            };
            for rule_type in [0u32, 0xffff] {
                // SAFETY: attr outlives the call.
                let r = unsafe {
                    sys::add_rule_raw(
                        rs.as_raw_fd(),
                        rule_type,
                        (&attr as *const sys::PathBeneathAttr).cast(),
                        0,
                    )
                };
                expect_errno(format!("add_rule(rule_type={rule_type})"), r, Errno::EINVAL)?;
            }
            Ok(())
        })
        .requires(ll.clone())
        .twin("base::add_rule::path_beneath::exec_on_dir_accepted"),
        Test::new(
            "base::add_rule::path_beneath::null_attr_efault",
            move || {
                let rs = ruleset(exec, 0)?;
                // SAFETY: a null attr is the subject; the kernel must fault.
                let r = unsafe {
                    sys::add_rule_raw(rs.as_raw_fd(), uapi::RULE_PATH_BENEATH, std::ptr::null(), 0)
                };
                expect_errno("add_rule(PATH_BENEATH, NULL)", r, Errno::EFAULT)
            },
        )
        .requires(ll.clone())
        .twin("base::add_rule::path_beneath::exec_on_dir_accepted"),
        Test::new(
            "base::add_rule::path_beneath::empty_access_enomsg",
            move || {
                let (_t, d) = tmp_dir()?;
                let rs = ruleset(exec, 0)?;
                expect_errno(
                    "add_rule(allowed_access=0)",
                    beneath(&rs, 0, &d, 0),
                    Errno::ENOMSG,
                )
            },
        )
        .requires(ll.clone())
        .twin("base::add_rule::path_beneath::exec_on_dir_accepted"),
        Test::new(
            "base::add_rule::path_beneath::unhandled_right_einval",
            move || {
                let (_t, d) = tmp_dir()?;
                let rs = ruleset(exec, 0)?;
                expect_errno(
                    "add_rule(READ_FILE) on a ruleset handling EXECUTE",
                    beneath(&rs, uapi::fs::READ_FILE, &d, 0),
                    Errno::EINVAL,
                )
            },
        )
        .requires(ll.clone())
        .twin("base::add_rule::path_beneath::exec_on_dir_accepted"),
        Test::new(
            "base::add_rule::path_beneath::bad_parent_fd_ebadf",
            move || {
                let rs = ruleset(exec, 0)?;
                expect_errno(
                    "add_rule(parent_fd=-1)",
                    sys::add_path_beneath(rs.as_raw_fd(), exec, -1, 0),
                    Errno::EBADF,
                )
            },
        )
        .requires(ll.clone())
        .twin("base::add_rule::path_beneath::exec_on_dir_accepted"),
        Test::new(
            "base::add_rule::path_beneath::file_takes_only_file_rights",
            file_rule_rights,
        )
        .requires(ll.clone())
        .twin("base::add_rule::path_beneath::dir_takes_all_rights"),
        Test::new(
            "base::add_rule::net_port::unhandled_right_einval",
            move || {
                let rs = ruleset(exec, 0)?;
                // Before ABI 4 the rule type itself is unknown: EINVAL as well.
                expect_errno(
                    "add_rule(NET_PORT, BIND_TCP) on an fs-only ruleset",
                    sys::add_net_port(rs.as_raw_fd(), uapi::net::BIND_TCP, 80, 0),
                    Errno::EINVAL,
                )
            },
        )
        .requires(ll.clone())
        .twin("base::add_rule::net_port::port_65535_accepted"),
        Test::new("base::add_rule::net_port::port_above_65535_einval", || {
            let rs = ruleset(uapi::fs::EXECUTE, uapi::net::BIND_TCP)?;
            expect_errno(
                "add_rule(NET_PORT, port=65536)",
                sys::add_net_port(rs.as_raw_fd(), uapi::net::BIND_TCP, 65536, 0),
                Errno::EINVAL,
            )
        })
        .needs("LANDLOCK_ACCESS_NET_BIND_TCP")
        .twin("base::add_rule::net_port::port_65535_accepted"),
        Test::new("base::add_rule::net_port::empty_access_enomsg", || {
            let rs = ruleset(uapi::fs::EXECUTE, uapi::net::BIND_TCP)?;
            expect_errno(
                "add_rule(NET_PORT, allowed_access=0)",
                sys::add_net_port(rs.as_raw_fd(), 0, 80, 0),
                Errno::ENOMSG,
            )
        })
        .needs("LANDLOCK_ACCESS_NET_BIND_TCP")
        .twin("base::add_rule::net_port::port_65535_accepted"),
        // The rule every path_beneath check above is one argument away
        // from: a handled right on a directory, no flag.
        Test::new(
            "base::add_rule::path_beneath::exec_on_dir_accepted",
            move || {
                let (_t, d) = tmp_dir()?;
                let rs = ruleset(exec, 0)?;
                expect_ok("add_rule(dir, EXECUTE, 0)", beneath(&rs, exec, &d, 0))
            },
        )
        .requires(ll.clone())
        .twin("base::add_rule::flags::unknown_einval"),
        Test::new(
            "base::add_rule::path_beneath::dir_takes_all_rights",
            dir_rule_rights,
        )
        .requires(ll.clone())
        .twin("base::add_rule::path_beneath::file_takes_only_file_rights"),
        Test::new("base::add_rule::net_port::port_65535_accepted", || {
            let rs = ruleset(uapi::fs::EXECUTE, uapi::net::BIND_TCP)?;
            expect_ok(
                "add_rule(NET_PORT, port=65535)",
                sys::add_net_port(rs.as_raw_fd(), uapi::net::BIND_TCP, 65535, 0),
            )
        })
        .needs("LANDLOCK_ACCESS_NET_BIND_TCP")
        .twin("base::add_rule::net_port::port_above_65535_einval"),
    ]
}
