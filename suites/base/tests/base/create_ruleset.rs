//! `base::create_ruleset`: the attribute pointer, its size, and the handled
//! sets, with the answers each ABI must give.

use crate::abi;
use llconf_harness::abi::{self as uapi};
use llconf_harness::{
    expect_errno, expect_ok, sys, Errno, Requirement, RulesetAttr, Test, TestResult,
};

fn fs_exec() -> RulesetAttr {
    RulesetAttr {
        handled_access_fs: uapi::fs::EXECUTE,
        ..Default::default()
    }
}

fn full_size() -> usize {
    std::mem::size_of::<RulesetAttr>()
}

/// A buffer longer than any struct, the struct first and zeroes after.
fn padded(attr: RulesetAttr, len: usize) -> Vec<u8> {
    let mut v = attr.as_bytes().to_vec();
    v.resize(len, 0);
    v
}

/// The lowest bit past what this ABI knows in a table.
fn first_unknown_bit(table: &[uapi::Flag]) -> u64 {
    let known = uapi::mask_for_abi(table, abi().min(uapi::NEWEST_KNOWN_ABI));
    1u64 << (64 - known.leading_zeros())
}

fn page_size() -> usize {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .unwrap_or(4096) as usize
}

fn create(what: &str, attr: RulesetAttr, size: usize, expected: Errno) -> TestResult {
    expect_errno(what, sys::create_ruleset(&attr, size, 0), expected)
}

pub fn tests() -> Vec<Test> {
    let ll = Requirement::Landlock;
    vec![
        Test::new("base::create_ruleset::attr::null_efault", || {
            // SAFETY: a null pointer is the subject; the kernel must fault.
            let r = unsafe { sys::create_ruleset_raw(std::ptr::null(), full_size(), 0) };
            expect_errno("create_ruleset(NULL, sizeof, 0)", r, Errno::EFAULT)
        })
        .requires(ll.clone())
        .twin("base::create_ruleset::size::full_struct_accepted"),
        Test::new("base::create_ruleset::flags::unknown_einval", || {
            expect_errno(
                "create_ruleset(&attr, sizeof, 1<<31)",
                sys::create_ruleset(&fs_exec(), full_size(), 1 << 31),
                Errno::EINVAL,
            )
        })
        .requires(ll.clone())
        .twin("base::create_ruleset::size::full_struct_accepted"),
        Test::new("base::create_ruleset::size::zero_einval", || {
            create("create_ruleset(&attr, 0, 0)", fs_exec(), 0, Errno::EINVAL)
        })
        .requires(ll.clone())
        .twin("base::create_ruleset::size::abi1_struct_accepted"),
        Test::new("base::create_ruleset::size::too_small_einval", || {
            create("create_ruleset(&attr, 7, 0)", fs_exec(), 7, Errno::EINVAL)
        })
        .requires(ll.clone())
        .twin("base::create_ruleset::size::abi1_struct_accepted"),
        Test::new("base::create_ruleset::size::abi1_struct_accepted", || {
            expect_ok(
                "create_ruleset(&attr, 8, 0)",
                sys::create_ruleset(&fs_exec(), 8, 0),
            )
            .map(drop)
        })
        .requires(ll.clone())
        .twin("base::create_ruleset::size::too_small_einval"),
        Test::new(
            "base::create_ruleset::size::larger_zero_tail_accepted",
            || {
                let buf = padded(fs_exec(), 128);
                expect_ok(
                    "create_ruleset(attr + 80 zero bytes, 128, 0)",
                    sys::create_ruleset_bytes(&buf, 128, 0),
                )
                .map(drop)
            },
        )
        .requires(ll.clone())
        .twin("base::create_ruleset::size::larger_nonzero_tail_e2big"),
        Test::new(
            "base::create_ruleset::size::larger_nonzero_tail_e2big",
            || {
                let mut buf = padded(fs_exec(), 128);
                buf[127] = 1;
                expect_errno(
                    "create_ruleset(attr + non-zero tail, 128, 0)",
                    sys::create_ruleset_bytes(&buf, 128, 0),
                    Errno::E2BIG,
                )
            },
        )
        .requires(ll.clone())
        .twin("base::create_ruleset::size::larger_zero_tail_accepted"),
        Test::new("base::create_ruleset::size::above_page_e2big", || {
            let page = page_size();
            let buf = padded(fs_exec(), page + 1);
            expect_errno(
                "create_ruleset(attr, PAGE_SIZE + 1, 0)",
                sys::create_ruleset_bytes(&buf, page + 1, 0),
                Errno::E2BIG,
            )
        })
        .requires(ll.clone())
        .twin("base::create_ruleset::size::page_zero_tail_accepted"),
        Test::new("base::create_ruleset::handled::empty_enomsg", || {
            create(
                "create_ruleset(all zero)",
                RulesetAttr::default(),
                full_size(),
                Errno::ENOMSG,
            )
        })
        .requires(ll.clone())
        .twin("base::create_ruleset::size::full_struct_accepted"),
        Test::new(
            "base::create_ruleset::handled::unknown_fs_bit_einval",
            || {
                let bit = first_unknown_bit(uapi::ACCESS_FS);
                let attr = RulesetAttr {
                    handled_access_fs: bit,
                    ..Default::default()
                };
                create(
                    &format!("handled_access_fs={bit:#x}"),
                    attr,
                    8,
                    Errno::EINVAL,
                )?;
                let attr = RulesetAttr {
                    handled_access_fs: uapi::fs::EXECUTE | 1 << 63,
                    ..Default::default()
                };
                create("handled_access_fs=EXECUTE|1<<63", attr, 8, Errno::EINVAL)
            },
        )
        .requires(ll.clone())
        .twin("base::create_ruleset::handled::known_fs_bits_accepted"),
        // Before ABI 4 the net field lies past the struct the kernel knows.
        Test::new(
            "base::create_ruleset::handled::unknown_net_bit_rejected",
            || {
                let bit = first_unknown_bit(uapi::ACCESS_NET);
                let attr = RulesetAttr {
                    handled_access_net: bit,
                    ..Default::default()
                };
                let expected = if abi() >= 4 {
                    Errno::EINVAL
                } else {
                    Errno::E2BIG
                };
                create(&format!("handled_access_net={bit:#x}"), attr, 16, expected)
            },
        )
        .requires(ll.clone())
        .twin("base::create_ruleset::handled::net_only_accepted"),
        // Before ABI 6 the scoped field lies past the struct the kernel knows.
        Test::new(
            "base::create_ruleset::handled::unknown_scope_bit_rejected",
            || {
                let bit = first_unknown_bit(uapi::SCOPE);
                let attr = RulesetAttr {
                    scoped: bit,
                    ..Default::default()
                };
                let expected = if abi() >= 6 {
                    Errno::EINVAL
                } else {
                    Errno::E2BIG
                };
                create(&format!("scoped={bit:#x}"), attr, 24, expected)
            },
        )
        .requires(ll.clone())
        .twin("base::create_ruleset::handled::scope_only_accepted"),
        Test::new("base::create_ruleset::handled::net_only_accepted", || {
            let attr = RulesetAttr {
                handled_access_net: uapi::net::BIND_TCP,
                ..Default::default()
            };
            expect_ok(
                "create_ruleset(handled_access_net=BIND_TCP)",
                sys::create_ruleset(&attr, 16, 0),
            )
            .map(drop)
        })
        .needs("LANDLOCK_ACCESS_NET_BIND_TCP")
        .twin("base::create_ruleset::handled::unknown_net_bit_rejected"),
        Test::new("base::create_ruleset::handled::scope_only_accepted", || {
            let attr = RulesetAttr {
                scoped: uapi::scope::SIGNAL,
                ..Default::default()
            };
            expect_ok(
                "create_ruleset(scoped=SIGNAL)",
                sys::create_ruleset(&attr, 24, 0),
            )
            .map(drop)
        })
        .needs("LANDLOCK_SCOPE_SIGNAL")
        .twin("base::create_ruleset::handled::unknown_scope_bit_rejected"),
        // The well-formed call each argument check below is one argument
        // away from: the whole struct, a handled right, no flag.
        Test::new("base::create_ruleset::size::full_struct_accepted", || {
            expect_ok(
                "create_ruleset(&attr, sizeof, 0)",
                sys::create_ruleset(&fs_exec(), full_size(), 0),
            )
            .map(drop)
        })
        .requires(ll.clone())
        .twin("base::create_ruleset::flags::unknown_einval"),
        // The largest size the kernel copies: a page, zero past the struct.
        Test::new(
            "base::create_ruleset::size::page_zero_tail_accepted",
            || {
                let page = page_size();
                expect_ok(
                    format!("create_ruleset(attr + zero bytes, PAGE_SIZE = {page}, 0)"),
                    sys::create_ruleset_bytes(&padded(fs_exec(), page), page, 0),
                )
                .map(drop)
            },
        )
        .requires(ll.clone())
        .twin("base::create_ruleset::size::above_page_e2big"),
        // Every right this ABI knows (up to the newest the suite knows) is
        // accepted; the lowest bit past them is not.
        Test::new(
            "base::create_ruleset::handled::known_fs_bits_accepted",
            || {
                let known = uapi::mask_for_abi(uapi::ACCESS_FS, abi().min(uapi::NEWEST_KNOWN_ABI));
                let attr = RulesetAttr {
                    handled_access_fs: known,
                    ..Default::default()
                };
                expect_ok(
                    format!("create_ruleset(handled_access_fs={known:#x})"),
                    sys::create_ruleset(&attr, 8, 0),
                )
                .map(drop)
            },
        )
        .requires(ll.clone())
        .twin("base::create_ruleset::handled::unknown_fs_bit_einval"),
    ]
}
