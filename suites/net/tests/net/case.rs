//! Builds the per-family variants of a case.

use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::{Test, TestResult};
use llconf_net::{Family, BOTH};

pub const TCP: &str = "LANDLOCK_ACCESS_NET_BIND_TCP";
pub const UDP: &str = "LANDLOCK_ACCESS_NET_BIND_UDP";

/// `<prefix>::ipv4::<case>` and `<prefix>::ipv6::<case>`, each entering a
/// fresh loopback-only network namespace before the body runs.
pub fn per_family(prefix: &str, case: &str, body: fn(Family) -> TestResult) -> Vec<Test> {
    BOTH.iter()
        .map(|&fam| {
            Test::new(format!("{prefix}::{}::{case}", fam.name()), move || {
                enter_loopback_netns()?;
                body(fam)
            })
        })
        .collect()
}

/// An enforcement case that needs the right named by `feature`.
pub fn enforced(
    prefix: &str,
    feature: &str,
    case: &str,
    body: fn(Family) -> TestResult,
) -> Vec<Test> {
    per_family(prefix, case, body)
        .into_iter()
        .map(|t| t.needs(feature).enforcement())
        .collect()
}

/// A case name and its body.
pub type Case = (&'static str, fn(Family) -> TestResult);
