//! Builds the per-family variants of a case, each in a fresh loopback-only
//! network namespace so that fixed ports never collide.

use crate::addr::{Family, BOTH};
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::{Test, TestResult};

/// The feature a TCP case needs.
pub const TCP: &str = "LANDLOCK_ACCESS_NET_BIND_TCP";
/// The feature a UDP case needs.
pub const UDP: &str = "LANDLOCK_ACCESS_NET_BIND_UDP";

/// A case name and its body.
pub type Case = (&'static str, fn(Family) -> TestResult);

/// `<prefix>::<family>::<case>`, with no requirement of its own.
pub fn plain(
    prefix: &str,
    fam: Family,
    case: &str,
    body: impl Fn(Family) -> TestResult + Send + Sync + 'static,
) -> Test {
    Test::new(format!("{prefix}::{}::{case}", fam.name()), move || {
        enter_loopback_netns()?;
        body(fam)
    })
}

/// An enforcement case for one family that needs the right named by
/// `feature`.
pub fn one(
    prefix: &str,
    fam: Family,
    case: &str,
    feature: &str,
    body: impl Fn(Family) -> TestResult + Send + Sync + 'static,
) -> Test {
    plain(prefix, fam, case, body).needs(feature).enforcement()
}

/// The IPv4 and IPv6 variants, with no requirement of their own.
pub fn per_family(
    prefix: &str,
    case: &str,
    body: impl Fn(Family) -> TestResult + Clone + Send + Sync + 'static,
) -> Vec<Test> {
    BOTH.iter()
        .map(|&f| plain(prefix, f, case, body.clone()))
        .collect()
}

/// The IPv4 and IPv6 variants of an enforcement case.
pub fn enforced(
    prefix: &str,
    feature: &str,
    case: &str,
    body: impl Fn(Family) -> TestResult + Clone + Send + Sync + 'static,
) -> Vec<Test> {
    BOTH.iter()
        .map(|&f| one(prefix, f, case, feature, body.clone()))
        .collect()
}

/// Each case of a table, in order, as IPv4 and IPv6 enforcement cases.
pub fn table(prefix: &str, feature: &str, cases: &[Case]) -> Vec<Test> {
    cases
        .iter()
        .flat_map(|&(name, body)| enforced(prefix, feature, name, body))
        .collect()
}
