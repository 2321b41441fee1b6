//! The states a case starts from, reached with a checked call so that a
//! case that cannot get there fails instead of testing something else.

use crate::addr::{Addr, Family};
use crate::call;
use llconf_harness::{expect_ok, Stop};
use std::os::fd::OwnedFd;

/// A UDP socket connected to the loopback `port`; `what` names the connect
/// in a failure.
pub fn udp_connected(f: Family, port: u16, what: &str) -> Result<OwnedFd, Stop> {
    let s = call::udp(f)?;
    expect_ok(what, call::connect(&s, &Addr::loopback(f, port)))?;
    Ok(s)
}
