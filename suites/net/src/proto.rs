//! TCP or UDP: which socket a case opens and which rights cover it, so that
//! a case written once runs for both.

use crate::addr::Family;
use crate::{call, case};
use llconf_harness::abi::net::{BIND_TCP, BIND_UDP, CONNECT_SEND_UDP, CONNECT_TCP};
use llconf_harness::Stop;
use std::os::fd::OwnedFd;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn socket(self, f: Family) -> Result<OwnedFd, Stop> {
        match self {
            Proto::Tcp => call::tcp(f),
            Proto::Udp => call::udp(f),
        }
    }

    pub fn bind_right(self) -> u64 {
        match self {
            Proto::Tcp => BIND_TCP,
            Proto::Udp => BIND_UDP,
        }
    }

    /// CONNECT_TCP, or CONNECT_SEND_UDP.
    pub fn connect_right(self) -> u64 {
        match self {
            Proto::Tcp => CONNECT_TCP,
            Proto::Udp => CONNECT_SEND_UDP,
        }
    }

    pub fn all(self) -> u64 {
        self.bind_right() | self.connect_right()
    }

    /// The feature a case of this protocol needs.
    pub fn feature(self) -> &'static str {
        match self {
            Proto::Tcp => case::TCP,
            Proto::Udp => case::UDP,
        }
    }

    /// The protocol's part of a test name.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}
