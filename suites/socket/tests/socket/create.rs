//! `socket::create`: socket(2) and socketpair(2) under a domain that
//! handles socket creation. Skipped unless the kernel has the proposal.

use crate::proposed::WILDCARD as ANY;
use crate::support::{describe, enforce_allowing, require_support, socket, socketpair, Triple};
use libc::{AF_INET, AF_INET6, AF_UNIX, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};
use libc::{SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM};
use llconf_harness::{expect_errno, expect_ok, Errno, Test, TestResult};

/// Enforces `allowed`, then checks each `(triple, expected)`.
fn check(allowed: &'static [Triple], cases: &'static [(Triple, Option<Errno>)]) -> TestResult {
    let shape = require_support()?;
    enforce_allowing(shape, allowed)?;
    for &((f, t, p), expected) in cases {
        let what = describe(f, t, p);
        match expected {
            Some(e) => expect_errno(&what, socket(f, t, p), e)?,
            None => expect_ok(&what, socket(f, t, p))?,
        }
    }
    Ok(())
}

const DENIED: Option<Errno> = Some(Errno::EACCES);
const OK: Option<Errno> = None;

fn socketpair_checked() -> TestResult {
    let shape = require_support()?;
    enforce_allowing(shape, &[(AF_UNIX, SOCK_DGRAM, ANY)])?;
    expect_ok(
        "socketpair(AF_UNIX, SOCK_DGRAM) allowed by a rule",
        socketpair(AF_UNIX, SOCK_DGRAM),
    )?;
    expect_errno(
        "socketpair(AF_UNIX, SOCK_STREAM) with no rule",
        socketpair(AF_UNIX, SOCK_STREAM),
        Errno::EACCES,
    )
}

/// The twin of [`socketpair_checked`]: the rule names the other type, so
/// each verdict flips.
fn socketpair_rule_on_other_type() -> TestResult {
    let shape = require_support()?;
    enforce_allowing(shape, &[(AF_UNIX, SOCK_STREAM, ANY)])?;
    expect_errno(
        "socketpair(AF_UNIX, SOCK_DGRAM) with the rule on SOCK_STREAM",
        socketpair(AF_UNIX, SOCK_DGRAM),
        Errno::EACCES,
    )?;
    expect_ok(
        "socketpair(AF_UNIX, SOCK_STREAM) allowed by a rule",
        socketpair(AF_UNIX, SOCK_STREAM),
    )
}

/// Twins: every case here pairs with one whose ruleset is one rule (or one
/// field of one rule) apart, so that the request one case allows, the other
/// must deny, and the other way round where both verdicts are checked. A
/// kernel that ignores a field of the rule fails one of the two.
pub fn tests() -> Vec<Test> {
    let t = |name: &str,
             twin: &str,
             allowed: &'static [Triple],
             cases: &'static [(Triple, Option<Errno>)]| {
        Test::new(format!("socket::create::{name}"), move || {
            check(allowed, cases)
        })
        .enforcement()
        .twin(format!("socket::create::{twin}"))
    };
    vec![
        // Rule on AF_INET against the same rule on AF_INET6.
        t(
            "denied_family_eacces",
            "family_rule_on_other_family",
            &[(AF_INET, ANY, ANY)],
            &[
                ((AF_INET6, SOCK_STREAM, 0), DENIED),
                ((AF_UNIX, SOCK_STREAM, 0), DENIED),
                ((AF_INET, SOCK_STREAM, 0), OK),
            ],
        ),
        t(
            "family_rule_on_other_family",
            "denied_family_eacces",
            &[(AF_INET6, ANY, ANY)],
            &[
                ((AF_INET6, SOCK_STREAM, 0), OK),
                ((AF_INET, SOCK_STREAM, 0), DENIED),
            ],
        ),
        // Rule on (AF_INET, SOCK_STREAM) against (AF_INET, SOCK_DGRAM): each
        // checks both types, with opposite verdicts.
        t(
            "denied_type_eacces",
            "wildcard_protocol",
            &[(AF_INET, SOCK_STREAM, ANY)],
            &[
                ((AF_INET, SOCK_DGRAM, 0), DENIED),
                ((AF_INET, SOCK_STREAM, 0), OK),
            ],
        ),
        // The LSM hook runs before the protocol family looks at the
        // protocol, so EACCES comes even where SCTP is not built.
        t(
            "denied_protocol_eacces",
            "protocol_rule_on_other_protocol",
            &[(AF_INET, SOCK_STREAM, IPPROTO_TCP)],
            &[
                ((AF_INET, SOCK_STREAM, IPPROTO_SCTP), DENIED),
                ((AF_INET, SOCK_STREAM, IPPROTO_TCP), OK),
            ],
        ),
        // The same request under a rule for another protocol of the same
        // family and type. (The rule's own protocol is not tried: SCTP may
        // not be built.)
        t(
            "protocol_rule_on_other_protocol",
            "denied_protocol_eacces",
            &[(AF_INET, SOCK_STREAM, IPPROTO_SCTP)],
            &[((AF_INET, SOCK_STREAM, IPPROTO_TCP), DENIED)],
        ),
        // No rule against one rule for AF_UNIX.
        t(
            "nothing_allowed_denies_all",
            "wildcard_type",
            &[],
            &[
                ((AF_UNIX, SOCK_STREAM, 0), DENIED),
                ((AF_INET, SOCK_DGRAM, 0), DENIED),
                ((AF_INET6, SOCK_STREAM, 0), DENIED),
            ],
        ),
        t(
            "allowed_triples",
            "triples_one_rule_removed",
            &[
                (AF_UNIX, SOCK_STREAM, 0),
                (AF_INET, SOCK_DGRAM, IPPROTO_UDP),
                (AF_INET6, SOCK_STREAM, IPPROTO_TCP),
            ],
            &[
                ((AF_UNIX, SOCK_STREAM, 0), OK),
                ((AF_INET, SOCK_DGRAM, IPPROTO_UDP), OK),
                ((AF_INET6, SOCK_STREAM, IPPROTO_TCP), OK),
                ((AF_UNIX, SOCK_DGRAM, 0), DENIED),
                ((AF_INET, SOCK_STREAM, IPPROTO_TCP), DENIED),
            ],
        ),
        // allowed_triples without its AF_UNIX rule: that triple is denied,
        // the other two stay allowed.
        t(
            "triples_one_rule_removed",
            "allowed_triples",
            &[
                (AF_INET, SOCK_DGRAM, IPPROTO_UDP),
                (AF_INET6, SOCK_STREAM, IPPROTO_TCP),
            ],
            &[
                ((AF_UNIX, SOCK_STREAM, 0), DENIED),
                ((AF_INET, SOCK_DGRAM, IPPROTO_UDP), OK),
                ((AF_INET6, SOCK_STREAM, IPPROTO_TCP), OK),
            ],
        ),
        t(
            "wildcard_type",
            "nothing_allowed_denies_all",
            &[(AF_UNIX, ANY, ANY)],
            &[
                ((AF_UNIX, SOCK_STREAM, 0), OK),
                ((AF_UNIX, SOCK_DGRAM, 0), OK),
                ((AF_UNIX, SOCK_SEQPACKET, 0), OK),
                ((AF_INET, SOCK_STREAM, 0), DENIED),
            ],
        ),
        t(
            "wildcard_protocol",
            "denied_type_eacces",
            &[(AF_INET, SOCK_DGRAM, ANY)],
            &[
                ((AF_INET, SOCK_DGRAM, 0), OK),
                ((AF_INET, SOCK_DGRAM, IPPROTO_UDP), OK),
                ((AF_INET, SOCK_STREAM, 0), DENIED),
            ],
        ),
        Test::new("socket::create::socketpair_checked", socketpair_checked)
            .enforcement()
            .twin("socket::create::socketpair_rule_on_other_type"),
        Test::new(
            "socket::create::socketpair_rule_on_other_type",
            socketpair_rule_on_other_type,
        )
        .enforcement()
        .twin("socket::create::socketpair_checked"),
    ]
}
