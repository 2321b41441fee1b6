//! Enforcing a network domain in one line.

use llconf_harness::abi::net;
use llconf_harness::{Ruleset, TestResult};

pub const TCP: u64 = net::BIND_TCP | net::CONNECT_TCP;
pub const UDP: u64 = net::BIND_UDP | net::CONNECT_SEND_UDP;

/// Enforces a domain that handles `handled` and allows `(port, access)`.
pub fn enforce(handled: u64, rules: &[(u16, u64)]) -> TestResult {
    let rs = Ruleset::net(handled)?;
    for &(port, access) in rules {
        rs.allow_port(port as u64, access)?;
    }
    rs.enforce()
}
