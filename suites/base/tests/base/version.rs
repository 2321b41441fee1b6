//! `base::version` and `base::errata`: the two query flags of
//! landlock_create_ruleset.

use crate::abi;
use llconf_harness::abi::{self as uapi, Flag};
use llconf_harness::probe::{self, FlagKind};
use llconf_harness::{
    ensure, expect_errno, fail, sys, twin, Errno, Requirement, RulesetAttr, Test, TestResult,
};

fn query_must_reject(what: &str, attr: *const libc::c_void, size: usize, flags: u32) -> TestResult {
    // SAFETY: attr is null or points to a live RulesetAttr of at least size bytes.
    let r = unsafe { sys::create_ruleset_raw(attr, size, flags) };
    expect_errno(what, r, Errno::EINVAL)
}

fn probed_rights_match_version() -> TestResult {
    let version = abi();
    ensure!(version >= 1, "version query answered {version}");
    let known = version.min(uapi::NEWEST_KNOWN_ABI);
    let tables: [(FlagKind, &[Flag]); 4] = [
        (FlagKind::AccessFs, uapi::ACCESS_FS),
        (FlagKind::AccessNet, uapi::ACCESS_NET),
        (FlagKind::Scope, uapi::SCOPE),
        (FlagKind::RestrictSelf, uapi::RESTRICT_SELF_FLAGS),
    ];
    let mut wrong = Vec::new();
    for (kind, table) in tables {
        for flag in table {
            let supported = probe::flag_supported(kind, *flag);
            if supported != (flag.abi <= known) {
                wrong.push(format!(
                    "{} (ABI {}) is {}",
                    flag.name,
                    flag.abi,
                    if supported {
                        "supported"
                    } else {
                        "not supported"
                    }
                ));
            }
        }
    }
    ensure!(
        wrong.is_empty(),
        "kernel answers ABI {version}, but: {}",
        wrong.join("; ")
    );
    Ok(())
}

/// Erratum N is bit N-1; 1 and 2 concern features of ABI 4 and 6.
fn errata_bits_match_abi() -> TestResult {
    let version = abi();
    match sys::errata() {
        Ok(bits) => {
            ensure!(
                bits & !0xf == 0,
                "errata {bits:#x} has bits no erratum defines"
            );
            ensure!(
                version >= 4 || bits & 1 == 0,
                "erratum 1 (TCP) reported on ABI {version}"
            );
            ensure!(
                version >= 6 || bits & 2 == 0,
                "erratum 2 (scoped signals) reported on ABI {version}"
            );
            Ok(())
        }
        // Stable kernels before ABI 7 got the query as a backport, or not.
        Err(Errno::EINVAL) if version < 7 => Ok(()),
        Err(e) => Err(fail(format!("errata query on ABI {version} gave {e:?}"))),
    }
}

pub fn tests() -> Vec<Test> {
    let attr = RulesetAttr::default();
    let answers = "base::version::query::null_attr_zero_size_answers";
    let errata_answers = "base::errata::query::answers_from_abi7";
    let mut tests = vec![
        Test::new(
            "base::version::query::matches_probed_rights",
            probed_rights_match_version,
        )
        .requires(Requirement::Landlock)
        .untwinned(
            "compares the version the kernel reports with what the probes found; \
             a query has no denied counterpart",
        ),
        // The one well-formed query: the three rejections below are each
        // one argument away from it.
        Test::new(answers, || {
            let v = sys::abi_version();
            ensure!(
                matches!(v, Ok(n) if n >= 1),
                "create_ruleset(NULL, 0, VERSION) gave {v:?}, a version of at least 1 expected"
            );
            Ok(())
        })
        .requires(Requirement::Landlock)
        .twin("base::version::query::non_zero_size_einval"),
        Test::new("base::version::query::non_null_attr_einval", move || {
            query_must_reject(
                "create_ruleset(&attr, 0, VERSION)",
                (&attr as *const RulesetAttr).cast(),
                0,
                uapi::CREATE_RULESET_VERSION,
            )
        })
        .requires(Requirement::Landlock)
        .twin(answers),
        Test::new("base::version::query::non_zero_size_einval", || {
            query_must_reject(
                "create_ruleset(NULL, 8, VERSION)",
                std::ptr::null(),
                8,
                uapi::CREATE_RULESET_VERSION,
            )
        })
        .requires(Requirement::Landlock)
        .twin(answers),
        Test::new("base::version::query::two_query_flags_einval", || {
            query_must_reject(
                "create_ruleset(NULL, 0, VERSION|ERRATA)",
                std::ptr::null(),
                0,
                uapi::CREATE_RULESET_VERSION | uapi::CREATE_RULESET_ERRATA,
            )
        })
        .requires(Requirement::Landlock)
        .twin(answers),
        Test::new("base::errata::query::bits_match_abi", errata_bits_match_abi)
            .requires(Requirement::Landlock)
            .untwinned(
                "checks the errata bits the kernel reports against its ABI; \
                 a query has no denied counterpart",
            ),
        Test::new(
            "base::status::syscalls::answer_consistently",
            status_is_consistent,
        )
        .untwinned(
            "checks that the three syscalls agree on Landlock's state, whatever it is; \
             no argument of theirs changes that state",
        ),
    ];
    let abi7 = || Requirement::Abi {
        version: 7,
        what: "LANDLOCK_CREATE_RULESET_ERRATA",
    };
    tests.extend(twin::pair(
        Test::new(errata_answers, || {
            let r = sys::errata();
            ensure!(r.is_ok(), "errata query gave {:?}", r.err());
            Ok(())
        })
        .requires(abi7()),
        // The same query one argument apart: a size is for an attribute.
        Test::new("base::errata::query::non_zero_size_einval", || {
            query_must_reject(
                "create_ruleset(NULL, 8, ERRATA)",
                std::ptr::null(),
                8,
                uapi::CREATE_RULESET_ERRATA,
            )
        })
        .requires(abi7()),
    ));
    tests
}

/// Whatever state Landlock is in, all three syscalls must agree on it.
fn status_is_consistent() -> TestResult {
    let expected = match sys::abi_version() {
        Ok(_) => return Ok(()),
        Err(e @ (Errno::EOPNOTSUPP | Errno::ENOSYS)) => e,
        Err(e) => return Err(fail(format!("version query gave {e:?}"))),
    };
    let attr = RulesetAttr {
        handled_access_fs: uapi::fs::EXECUTE,
        ..Default::default()
    };
    expect_errno("create_ruleset", sys::create_ruleset(&attr, 8, 0), expected)?;
    expect_errno(
        "add_rule",
        sys::add_path_beneath(-1, uapi::fs::EXECUTE, -1, 0),
        expected,
    )?;
    // The EPERM check for no_new_privs comes after the Landlock check.
    expect_errno("restrict_self", sys::restrict_self(-1, 0), expected)
}
