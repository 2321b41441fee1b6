//! `fs::abi::*`: each right that came after ABI 1 is accepted from its ABI
//! on and rejected with EINVAL before it; on those older kernels the
//! operation it would control stays uncontrolled.

use crate::common::*;
use crate::rights::ioctl_dev_fionread;
use llconf_harness::abi::{self as uapi, fs};
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_result, skip, sys, Errno, Requirement, Ruleset, RulesetAttr, Test, TestResult,
};
use std::path::Path;

fn create(handled: u64) -> Result<(), Errno> {
    let attr = RulesetAttr {
        handled_access_fs: handled,
        ..Default::default()
    };
    sys::create_ruleset(&attr, std::mem::size_of::<RulesetAttr>(), 0).map(drop)
}

fn unknown_bits_einval() -> TestResult {
    let abi = llconf_harness::probe::kernel().abi;
    if abi > uapi::NEWEST_KNOWN_ABI {
        return Err(skip(format!(
            "kernel ABI {abi} is newer than the newest this suite knows ({}), so its unknown bits are unknown here",
            uapi::NEWEST_KNOWN_ABI
        )));
    }
    let known = known_fs();
    for bit in (0..64).map(|i| 1u64 << i).filter(|b| known & b == 0) {
        expect_result(
            format!("create_ruleset(handled_access_fs={bit:#x}) on ABI {abi}"),
            create(bit),
            Some(Errno::EINVAL),
        )?;
        expect_result(
            format!("create_ruleset(handled_access_fs=known|{bit:#x}) on ABI {abi}"),
            create(known | bit),
            Some(Errno::EINVAL),
        )?;
    }
    expect_result("create_ruleset(every known right)", create(known), None)
}

/// Truncation is not controlled before ABI 3, even with every right the
/// kernel knows handled and no rule at all.
fn truncate_uncontrolled_before_abi3() -> TestResult {
    let t = TempTree::with(&["f"])?;
    Ruleset::fs(known_fs())?.enforce()?;
    expect_result(
        "truncate(f) under every handled right",
        truncate(&t.path("f"), 0),
        None,
    )?;
    // The domain is there: opening the same file is denied.
    expect_result(
        "open(f)",
        try_open(&t.path("f"), libc::O_RDONLY),
        Some(Errno::EACCES),
    )
}

/// Device ioctls are not controlled before ABI 5.
fn ioctl_uncontrolled_before_abi5() -> TestResult {
    let null = Path::new("/dev/null");
    let rs = Ruleset::fs(known_fs())?;
    rs.allow_path(null, fs::READ_FILE)?;
    rs.enforce()?;
    expect_result(
        "FIONREAD on /dev/null opened in the domain",
        ioctl_dev_fionread(null),
        None,
    )?;
    expect_result(
        "open(/dev/zero)",
        try_open(Path::new("/dev/zero"), libc::O_RDONLY),
        Some(Errno::EACCES),
    )
}

/// A rule cannot carry RESOLVE_UNIX before ABI 9: the bit is unknown.
fn resolve_unix_rule_einval_before_abi9() -> TestResult {
    let t = TempTree::with(&["f"])?;
    let rs = Ruleset::fs(fs::READ_FILE)?;
    let f = std::fs::File::open(t.path("f")).map_err(|e| llconf_harness::fail(e.to_string()))?;
    use std::os::fd::AsRawFd;
    expect_result(
        "add_rule(file, READ_FILE|RESOLVE_UNIX)",
        sys::add_path_beneath(rs.fd(), fs::READ_FILE | fs::RESOLVE_UNIX, f.as_raw_fd(), 0),
        Some(Errno::EINVAL),
    )
}

pub fn tests() -> Vec<Test> {
    let mut v = vec![
        // Unknown bits against a known one accepted: the oldest right
        // that came after ABI 1.
        Test::new("fs::abi::unknown_bits::einval", unknown_bits_einval)
            .requires(Requirement::Landlock)
            .twin("fs::abi::refer::handled_accepted"),
    ];
    for f in uapi::ACCESS_FS.iter().filter(|f| f.abi > 1) {
        let name = f
            .name
            .trim_start_matches("LANDLOCK_ACCESS_FS_")
            .to_lowercase();
        let bit = f.bit;
        v.push(
            Test::new(
                format!("fs::abi::{name}::handled_below_abi{}_einval", f.abi),
                move || {
                    expect_result(
                        format!("create_ruleset({bit:#x})"),
                        create(bit),
                        Some(Errno::EINVAL),
                    )?;
                    let older = known_fs();
                    expect_result(
                        format!("create_ruleset(known|{bit:#x})"),
                        create(older | bit),
                        Some(Errno::EINVAL),
                    )
                },
            )
            .requires(Requirement::AbiBelow {
                version: f.abi,
                what: f.name,
            })
            .twin(format!("fs::abi::{name}::handled_accepted")),
        );
        v.push(
            Test::new(format!("fs::abi::{name}::handled_accepted"), move || {
                expect_result(format!("create_ruleset({bit:#x})"), create(bit), None)
            })
            .needs(f.name)
            .twin(format!(
                "fs::abi::{name}::handled_below_abi{}_einval",
                f.abi
            )),
        );
    }
    v.push(
        Test::new(
            "fs::abi::truncate::uncontrolled_below_abi3",
            truncate_uncontrolled_before_abi3,
        )
        .requires(Requirement::AbiBelow {
            version: 3,
            what: "truncate(2) outside Landlock's control",
        })
        .enforcement()
        .twin("fs::truncate::no_rule::denied"),
    );
    v.push(
        Test::new(
            "fs::abi::ioctl_dev::uncontrolled_below_abi5",
            ioctl_uncontrolled_before_abi5,
        )
        .requires(Requirement::AbiBelow {
            version: 5,
            what: "device ioctls outside Landlock's control",
        })
        .enforcement()
        .twin("fs::ioctl_dev::no_rule::denied"),
    );
    v.push(
        Test::new(
            "fs::abi::resolve_unix::rule_below_abi9_einval",
            resolve_unix_rule_einval_before_abi9,
        )
        .requires(Requirement::AbiBelow {
            version: 9,
            what: "LANDLOCK_ACCESS_FS_RESOLVE_UNIX unknown in a rule",
        })
        .twin("fs::rule_object::on_file::resolve_unix_accepted"),
    );
    v
}
