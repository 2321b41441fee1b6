//! Builds the per-family variants of a case, each in a fresh loopback-only
//! network namespace so that fixed ports never collide.

use crate::addr::{Family, BOTH};
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::{Test, TestResult};

/// The feature a TCP case needs.
pub const TCP: &str = "LANDLOCK_ACCESS_NET_BIND_TCP";
/// The feature a UDP case needs.
pub const UDP: &str = "LANDLOCK_ACCESS_NET_BIND_UDP";

/// A case name, the name of its twin (see [`twin_name`]) and its body.
pub type Case = (&'static str, &'static str, fn(Family) -> TestResult);

/// The full name of a twin for the `fam` variant of a case of `prefix`:
/// a bare case name is a case of the same table and family; a full name
/// (one with `::`) is taken as is, with `{f}` replaced by the family.
pub fn twin_name(prefix: &str, fam: Family, twin: &str) -> String {
    if twin.contains("::") {
        twin.replace("{f}", fam.name())
    } else {
        format!("{prefix}::{}::{twin}", fam.name())
    }
}

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

/// The IPv4 and IPv6 variants of an enforcement case, each twinned with
/// the same family's `twin` (as [`twin_name`] reads it).
pub fn enforced(
    prefix: &str,
    feature: &str,
    case: &str,
    twin: &str,
    body: impl Fn(Family) -> TestResult + Clone + Send + Sync + 'static,
) -> Vec<Test> {
    BOTH.iter()
        .map(|&f| one(prefix, f, case, feature, body.clone()).twin(twin_name(prefix, f, twin)))
        .collect()
}

/// Each case of a table, in order, as IPv4 and IPv6 enforcement cases
/// with their twins.
pub fn table(prefix: &str, feature: &str, cases: &[Case]) -> Vec<Test> {
    cases
        .iter()
        .flat_map(|&(name, twin, body)| enforced(prefix, feature, name, twin, body))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twin_names_stay_in_the_family() {
        assert_eq!(
            twin_name("net::tcp", Family::V6, "bind_denied"),
            "net::tcp::ipv6::bind_denied"
        );
        assert_eq!(
            twin_name(
                "net::independence",
                Family::V4,
                "net::udp::{f}::sendto_denied"
            ),
            "net::udp::ipv4::sendto_denied"
        );
    }
}
