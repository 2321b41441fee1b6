//! Socket helpers for the network suites (`net`, `unspec`).
//!
//! Addresses are raw bytes with an explicit length, so that tests can hand
//! the kernel any family with any length; calls return the kernel's errno
//! untouched. Receivers and listeners are created before a test sandboxes
//! itself and count what really arrived.

pub mod addr;
pub mod call;
pub mod case;
pub mod count;
pub mod domain;
pub mod proto;
pub mod setup;

pub use addr::{Addr, Family, BOTH};
pub use count::{Listener, Receiver};
pub use proto::Proto;

/// Ports the suites use inside their private network namespaces.
pub mod port {
    /// Covered by the rules a test grants.
    pub const ALLOWED: u16 = 4000;
    /// Never covered by a rule.
    pub const DENIED: u16 = 4001;
    /// A local port a test binds to explicitly.
    pub const SOURCE: u16 = 4002;
    /// A second allowed port.
    pub const ALLOWED2: u16 = 4003;
}
