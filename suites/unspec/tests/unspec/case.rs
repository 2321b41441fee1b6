//! Builds the per-family variants of a case.

use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::{Test, TestResult};
use llconf_net::{Family, BOTH};

pub const TCP: &str = "LANDLOCK_ACCESS_NET_BIND_TCP";
pub const UDP: &str = "LANDLOCK_ACCESS_NET_BIND_UDP";

pub fn one(
    prefix: &str,
    fam: Family,
    case: &str,
    feature: &str,
    body: fn(Family) -> TestResult,
) -> Test {
    Test::new(format!("{prefix}::{}::{case}", fam.name()), move || {
        enter_loopback_netns()?;
        body(fam)
    })
    .needs(feature)
    .enforcement()
}

/// Enforcement variants for IPv4 and IPv6, each in its own loopback-only
/// network namespace.
pub fn enforced(
    prefix: &str,
    feature: &str,
    case: &str,
    body: fn(Family) -> TestResult,
) -> Vec<Test> {
    BOTH.iter()
        .map(|&f| one(prefix, f, case, feature, body))
        .collect()
}
