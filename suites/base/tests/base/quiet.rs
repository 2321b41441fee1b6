//! `base::quiet`: the argument checks of the quiet UAPI (ABI 10): the
//! quiet_* fields of the ruleset attribute and LANDLOCK_ADD_RULE_QUIET, each
//! rejection with its twin that the kernel accepts, and what a kernel from
//! before ABI 10 answers to the same calls.
//!
//! Facts: security/landlock/syscalls.c (the subset checks in
//! landlock_create_ruleset, the "useless quiet flag" checks in
//! add_rule_path_beneath and add_rule_net_port, the flag check first thing
//! in landlock_add_rule).

use llconf_harness::abi::{add_rule::QUIET, fs, net, scope};
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_errno, expect_ok, sys, Errno, OrFail, Requirement, RulesetAttr, Stop, Test, TestResult,
};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;

fn full() -> usize {
    std::mem::size_of::<RulesetAttr>()
}

fn create(attr: RulesetAttr) -> Result<OwnedFd, Errno> {
    sys::create_ruleset(&attr, full(), 0)
}

/// One create_ruleset case: the attribute, and `None` when it must be
/// accepted.
struct Create {
    name: &'static str,
    /// The case one bit apart with the opposite answer.
    twin: &'static str,
    attr: RulesetAttr,
    expected: Option<Errno>,
    needs: &'static str,
}

fn create_cases() -> Vec<Create> {
    let a =
        |handled_access_fs, quiet_access_fs, handled_access_net, quiet_access_net| RulesetAttr {
            handled_access_fs,
            quiet_access_fs,
            handled_access_net,
            quiet_access_net,
            ..Default::default()
        };
    let s = |scoped, quiet_scoped| RulesetAttr {
        scoped,
        quiet_scoped,
        ..Default::default()
    };
    let (r, w) = (fs::READ_FILE, fs::WRITE_FILE);
    let (b, c) = (net::BIND_TCP, net::CONNECT_TCP);
    let (sig, uds) = (scope::SIGNAL, scope::ABSTRACT_UNIX_SOCKET);
    let einval = Some(Errno::EINVAL);
    let mut v = vec![
        // fs: a quiet right the ruleset does not handle, and its twins.
        Create {
            name: "fs_not_handled_einval",
            twin: "fs_subset_accepted",
            attr: a(r, w, 0, 0),
            expected: einval,
            needs: "",
        },
        Create {
            name: "fs_superset_einval",
            twin: "fs_equal_accepted",
            attr: a(r, r | w, 0, 0),
            expected: einval,
            needs: "",
        },
        Create {
            name: "fs_subset_accepted",
            twin: "fs_not_handled_einval",
            attr: a(r | w, w, 0, 0),
            expected: None,
            needs: "",
        },
        Create {
            name: "fs_equal_accepted",
            twin: "fs_superset_einval",
            attr: a(r | w, r | w, 0, 0),
            expected: None,
            needs: "",
        },
        Create {
            name: "fs_unknown_bit_einval",
            twin: "fs_one_right_accepted",
            attr: a(r, r | 1 << 63, 0, 0),
            expected: einval,
            needs: "",
        },
        // A quiet mask of one type is not checked against another type's
        // handled set: fs quiet with only net handled is still refused.
        Create {
            name: "fs_quiet_net_handled_einval",
            twin: "fs_quiet_both_handled_accepted",
            attr: a(0, r, c, 0),
            expected: einval,
            needs: "LANDLOCK_ACCESS_NET_CONNECT_TCP",
        },
        Create {
            name: "net_not_handled_einval",
            twin: "net_subset_accepted",
            attr: a(r, 0, b, c),
            expected: einval,
            needs: "LANDLOCK_ACCESS_NET_CONNECT_TCP",
        },
        Create {
            name: "net_without_net_handled_einval",
            twin: "net_subset_accepted",
            attr: a(r, 0, 0, c),
            expected: einval,
            needs: "LANDLOCK_ACCESS_NET_CONNECT_TCP",
        },
        Create {
            name: "net_subset_accepted",
            twin: "net_not_handled_einval",
            attr: a(r, 0, b | c, c),
            expected: None,
            needs: "LANDLOCK_ACCESS_NET_CONNECT_TCP",
        },
        Create {
            name: "net_unknown_bit_einval",
            twin: "net_equal_accepted",
            attr: a(r, 0, b, b | 1 << 63),
            expected: einval,
            needs: "LANDLOCK_ACCESS_NET_CONNECT_TCP",
        },
        Create {
            name: "scoped_not_scoped_einval",
            twin: "scoped_subset_accepted",
            attr: s(sig, uds),
            expected: einval,
            needs: "LANDLOCK_SCOPE_SIGNAL",
        },
        Create {
            name: "scoped_without_scope_einval",
            twin: "scoped_equal_accepted",
            attr: s(0, sig),
            expected: einval,
            needs: "LANDLOCK_SCOPE_SIGNAL",
        },
        Create {
            name: "scoped_subset_accepted",
            twin: "scoped_not_scoped_einval",
            attr: s(sig | uds, sig),
            expected: None,
            needs: "LANDLOCK_SCOPE_SIGNAL",
        },
        Create {
            name: "scoped_unknown_bit_einval",
            twin: "scoped_equal_accepted",
            attr: s(sig, sig | 1 << 63),
            expected: einval,
            needs: "LANDLOCK_SCOPE_SIGNAL",
        },
    ];
    // The accepted twins one bit away from a rejection above.
    v.extend([
        Create {
            name: "fs_one_right_accepted",
            twin: "fs_unknown_bit_einval",
            attr: a(r, r, 0, 0),
            expected: None,
            needs: "",
        },
        Create {
            name: "fs_quiet_both_handled_accepted",
            twin: "fs_quiet_net_handled_einval",
            attr: a(r, r, c, 0),
            expected: None,
            needs: "LANDLOCK_ACCESS_NET_CONNECT_TCP",
        },
        Create {
            name: "net_equal_accepted",
            twin: "net_unknown_bit_einval",
            attr: a(r, 0, b, b),
            expected: None,
            needs: "LANDLOCK_ACCESS_NET_CONNECT_TCP",
        },
        Create {
            name: "scoped_equal_accepted",
            twin: "scoped_without_scope_einval",
            attr: s(sig, sig),
            expected: None,
            needs: "LANDLOCK_SCOPE_SIGNAL",
        },
    ]);
    // With handled_access_fs zero and quiet_scoped set but no scope, the
    // subset check comes before the empty-ruleset ENOMSG.
    v.push(Create {
        name: "scoped_only_quiet_einval_not_enomsg",
        twin: "scoped_subset_accepted",
        attr: s(0, uds),
        expected: einval,
        needs: "LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET",
    });
    v
}

fn open_path(p: &std::path::Path) -> Result<std::fs::File, Stop> {
    std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(p)
        .or_fail(format!("open O_PATH {}", p.display()))
}

/// add_rule(PATH_BENEATH, d, access, flags) on a ruleset made from `attr`.
fn beneath(attr: RulesetAttr, access: u64, flags: u32) -> Result<Result<(), Errno>, Stop> {
    let t = TempTree::with(&["d/"])?;
    let d = open_path(&t.path("d"))?;
    let rs = expect_ok(format!("create_ruleset({attr:?})"), create(attr))?;
    Ok(sys::add_path_beneath(
        rs.as_raw_fd(),
        access,
        d.as_raw_fd(),
        flags,
    ))
}

/// add_rule(NET_PORT, 80, access, flags) on a ruleset made from `attr`.
fn port(attr: RulesetAttr, access: u64, flags: u32) -> Result<Result<(), Errno>, Stop> {
    let rs = expect_ok(format!("create_ruleset({attr:?})"), create(attr))?;
    Ok(sys::add_net_port(rs.as_raw_fd(), access, 80, flags))
}

/// One add_rule case.
struct AddRule {
    name: &'static str,
    /// The case one bit or flag apart with the opposite answer.
    twin: &'static str,
    net: bool,
    attr: RulesetAttr,
    access: u64,
    flags: u32,
    expected: Option<Errno>,
    needs: &'static str,
}

fn add_rule_cases() -> Vec<AddRule> {
    let (r, w, x) = (fs::READ_FILE, fs::WRITE_FILE, fs::EXECUTE);
    let (b, c) = (net::BIND_TCP, net::CONNECT_TCP);
    let fsq = |quiet_access_fs| RulesetAttr {
        handled_access_fs: r | w,
        quiet_access_fs,
        ..Default::default()
    };
    let netq = |quiet_access_fs, quiet_access_net| RulesetAttr {
        handled_access_fs: r | w,
        quiet_access_fs,
        handled_access_net: b | c,
        quiet_access_net,
        ..Default::default()
    };
    let einval = Some(Errno::EINVAL);
    let tcp = "LANDLOCK_ACCESS_NET_CONNECT_TCP";
    vec![
        // "Useless quiet rule": QUIET on a ruleset with no quiet mask of
        // the rule's type, whatever the other types' masks say.
        AddRule {
            name: "fs_useless_quiet_einval",
            twin: "fs_quiet_with_mask_accepted",
            net: false,
            attr: fsq(0),
            access: r,
            flags: QUIET,
            expected: einval,
            needs: "",
        },
        AddRule {
            name: "fs_useless_quiet_empty_access_einval",
            twin: "fs_quiet_empty_access_accepted",
            net: false,
            attr: fsq(0),
            access: 0,
            flags: QUIET,
            expected: einval,
            needs: "",
        },
        AddRule {
            name: "fs_useless_quiet_net_mask_only_einval",
            twin: "fs_quiet_with_mask_accepted",
            net: false,
            attr: netq(0, c),
            access: r,
            flags: QUIET,
            expected: einval,
            needs: tcp,
        },
        AddRule {
            name: "fs_quiet_with_mask_accepted",
            twin: "fs_useless_quiet_einval",
            net: false,
            attr: fsq(w),
            access: r,
            flags: QUIET,
            expected: None,
            needs: "",
        },
        // An empty allowed_access is valid with QUIET (the rule only
        // marks), and ENOMSG without it.
        AddRule {
            name: "fs_quiet_empty_access_accepted",
            twin: "fs_plain_empty_access_enomsg",
            net: false,
            attr: fsq(w),
            access: 0,
            flags: QUIET,
            expected: None,
            needs: "",
        },
        AddRule {
            name: "fs_plain_empty_access_enomsg",
            twin: "fs_quiet_empty_access_accepted",
            net: false,
            attr: fsq(w),
            access: 0,
            flags: 0,
            expected: Some(Errno::ENOMSG),
            needs: "",
        },
        // QUIET does not widen what a rule may allow.
        AddRule {
            name: "fs_quiet_unhandled_access_einval",
            twin: "fs_quiet_with_mask_accepted",
            net: false,
            attr: fsq(w),
            access: x,
            flags: QUIET,
            expected: einval,
            needs: "",
        },
        AddRule {
            name: "fs_quiet_plus_unknown_flag_einval",
            twin: "fs_quiet_with_mask_accepted",
            net: false,
            attr: fsq(w),
            access: r,
            flags: QUIET | 1 << 1,
            expected: einval,
            needs: "",
        },
        AddRule {
            name: "fs_unknown_flag_einval",
            twin: "fs_plain_accepted",
            net: false,
            attr: fsq(w),
            access: r,
            flags: 1 << 1,
            expected: einval,
            needs: "",
        },
        AddRule {
            name: "fs_high_flag_einval",
            twin: "fs_plain_accepted",
            net: false,
            attr: fsq(w),
            access: r,
            flags: 1 << 31,
            expected: einval,
            needs: "",
        },
        // The same rule without any flag: what the unknown flags above are
        // one bit away from.
        AddRule {
            name: "fs_plain_accepted",
            twin: "fs_unknown_flag_einval",
            net: false,
            attr: fsq(w),
            access: r,
            flags: 0,
            expected: None,
            needs: "",
        },
        AddRule {
            name: "net_useless_quiet_einval",
            twin: "net_quiet_with_mask_accepted",
            net: true,
            attr: netq(0, 0),
            access: b,
            flags: QUIET,
            expected: einval,
            needs: tcp,
        },
        AddRule {
            name: "net_useless_quiet_fs_mask_only_einval",
            twin: "net_quiet_with_mask_accepted",
            net: true,
            attr: netq(r, 0),
            access: b,
            flags: QUIET,
            expected: einval,
            needs: tcp,
        },
        AddRule {
            name: "net_quiet_with_mask_accepted",
            twin: "net_useless_quiet_einval",
            net: true,
            attr: netq(0, c),
            access: b,
            flags: QUIET,
            expected: None,
            needs: tcp,
        },
        AddRule {
            name: "net_quiet_empty_access_accepted",
            twin: "net_plain_empty_access_enomsg",
            net: true,
            attr: netq(0, c),
            access: 0,
            flags: QUIET,
            expected: None,
            needs: tcp,
        },
        AddRule {
            name: "net_plain_empty_access_enomsg",
            twin: "net_quiet_empty_access_accepted",
            net: true,
            attr: netq(0, c),
            access: 0,
            flags: 0,
            expected: Some(Errno::ENOMSG),
            needs: tcp,
        },
        AddRule {
            name: "net_quiet_plus_unknown_flag_einval",
            twin: "net_quiet_with_mask_accepted",
            net: true,
            attr: netq(0, c),
            access: b,
            flags: QUIET | 1 << 1,
            expected: einval,
            needs: tcp,
        },
    ]
}

/// Before ABI 10 the attribute is at most 24 bytes: a 48-byte one whose
/// quiet fields are set has a non-zero tail, E2BIG (copy_struct_from_user),
/// while the same size with the quiet fields zero is accepted.
fn old_kernel_attr(quiet_nonzero: bool) -> TestResult {
    let attr = RulesetAttr {
        handled_access_fs: fs::READ_FILE,
        quiet_access_fs: if quiet_nonzero { fs::READ_FILE } else { 0 },
        ..Default::default()
    };
    let what = format!(
        "create_ruleset(48 bytes, quiet_access_fs={:#x})",
        attr.quiet_access_fs
    );
    if quiet_nonzero {
        expect_errno(what, create(attr), Errno::E2BIG)
    } else {
        expect_ok(what, create(attr)).map(drop)
    }
}

/// The flag check comes first in add_rule: before ABI 10 QUIET with a bad
/// ruleset fd is EINVAL; since ABI 10 the flag passes and the fd is EBADF.
fn quiet_bad_fd(expected: Errno) -> TestResult {
    expect_errno(
        "add_rule(ruleset_fd=-1, PATH_BENEATH, flags=QUIET)",
        sys::add_path_beneath(-1, fs::EXECUTE, -1, QUIET),
        expected,
    )
}

pub fn tests() -> Vec<Test> {
    let quiet = "LANDLOCK_ADD_RULE_QUIET";
    let gate = |t: Test, needs: &str| {
        let t = t.needs(quiet);
        if needs.is_empty() {
            t
        } else {
            t.needs(needs)
        }
    };
    let mut tests = Vec::new();
    for c in create_cases() {
        let (attr, expected, twin) = (c.attr, c.expected, c.twin);
        let t = Test::new(
            format!("base::quiet::create_ruleset::{}", c.name),
            move || {
                let what = format!("create_ruleset({attr:?})");
                match expected {
                    Some(e) => expect_errno(what, create(attr), e),
                    None => expect_ok(what, create(attr)).map(drop),
                }
            },
        )
        .twin(format!("base::quiet::create_ruleset::{twin}"));
        tests.push(gate(t, c.needs));
    }
    for c in add_rule_cases() {
        let twin = format!("base::quiet::add_rule::{}", c.twin);
        let (net, attr, access, flags, expected) = (c.net, c.attr, c.access, c.flags, c.expected);
        let t = Test::new(format!("base::quiet::add_rule::{}", c.name), move || {
            let (what, r) = if net {
                (
                    format!("add_rule(NET_PORT, {access:#x}, flags={flags:#x})"),
                    port(attr, access, flags)?,
                )
            } else {
                (
                    format!("add_rule(PATH_BENEATH, {access:#x}, flags={flags:#x})"),
                    beneath(attr, access, flags)?,
                )
            };
            llconf_harness::expect_result(what, r, expected)
        })
        .twin(twin);
        tests.push(gate(t, c.needs));
    }
    tests.push(
        Test::new(
            "base::quiet::add_rule::flag_checked_before_fd_ebadf",
            || quiet_bad_fd(Errno::EBADF),
        )
        .needs(quiet)
        .twin("base::quiet::add_rule::fs_quiet_with_mask_accepted"),
    );
    let before = |t: Test| {
        t.requires(Requirement::Landlock)
            .requires(Requirement::AbiBelow {
                version: 10,
                what: "the quiet UAPI being unknown",
            })
    };
    tests.push(before(
        Test::new(
            "base::quiet::before_abi_10::add_rule_quiet_bad_fd_einval",
            || quiet_bad_fd(Errno::EINVAL),
        )
        // The same rule without the flag an older kernel does not know.
        .twin("base::add_rule::path_beneath::exec_on_dir_accepted"),
    ));
    tests.push(before(
        Test::new("base::quiet::before_abi_10::attr_quiet_fs_e2big", || {
            old_kernel_attr(true)
        })
        .twin("base::quiet::before_abi_10::attr_quiet_zero_accepted"),
    ));
    tests.push(before(
        Test::new(
            "base::quiet::before_abi_10::attr_quiet_zero_accepted",
            || old_kernel_attr(false),
        )
        .twin("base::quiet::before_abi_10::attr_quiet_fs_e2big"),
    ));
    for (name, attr) in [
        (
            "attr_quiet_net_e2big",
            RulesetAttr {
                handled_access_fs: fs::READ_FILE,
                quiet_access_net: net::BIND_TCP,
                ..Default::default()
            },
        ),
        (
            "attr_quiet_scoped_e2big",
            RulesetAttr {
                handled_access_fs: fs::READ_FILE,
                quiet_scoped: scope::SIGNAL,
                ..Default::default()
            },
        ),
    ] {
        tests.push(before(
            Test::new(format!("base::quiet::before_abi_10::{name}"), move || {
                expect_errno(
                    format!("create_ruleset(48 bytes, {attr:?})"),
                    create(attr),
                    Errno::E2BIG,
                )
            })
            .twin("base::quiet::before_abi_10::attr_quiet_zero_accepted"),
        ));
    }
    tests
}
