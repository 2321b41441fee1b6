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

pub fn tests() -> Vec<Test> {
    let t = |name: &str, allowed: &'static [Triple], cases: &'static [(Triple, Option<Errno>)]| {
        Test::new(format!("socket::create::{name}"), move || {
            check(allowed, cases)
        })
        .enforcement()
    };
    vec![
        t(
            "denied_family_eacces",
            &[(AF_INET, ANY, ANY)],
            &[
                ((AF_INET6, SOCK_STREAM, 0), DENIED),
                ((AF_UNIX, SOCK_STREAM, 0), DENIED),
                ((AF_INET, SOCK_STREAM, 0), OK),
            ],
        ),
        t(
            "denied_type_eacces",
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
            &[(AF_INET, SOCK_STREAM, IPPROTO_TCP)],
            &[
                ((AF_INET, SOCK_STREAM, IPPROTO_SCTP), DENIED),
                ((AF_INET, SOCK_STREAM, IPPROTO_TCP), OK),
            ],
        ),
        t(
            "nothing_allowed_denies_all",
            &[],
            &[
                ((AF_UNIX, SOCK_STREAM, 0), DENIED),
                ((AF_INET, SOCK_DGRAM, 0), DENIED),
                ((AF_INET6, SOCK_STREAM, 0), DENIED),
            ],
        ),
        t(
            "allowed_triples",
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
        t(
            "wildcard_type",
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
            &[(AF_INET, SOCK_DGRAM, ANY)],
            &[
                ((AF_INET, SOCK_DGRAM, 0), OK),
                ((AF_INET, SOCK_DGRAM, IPPROTO_UDP), OK),
                ((AF_INET, SOCK_STREAM, 0), DENIED),
            ],
        ),
        Test::new("socket::create::socketpair_checked", socketpair_checked).enforcement(),
    ]
}
