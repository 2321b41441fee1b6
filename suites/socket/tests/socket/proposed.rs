//! PROPOSED UAPI for socket creation control. NOT MERGED IN ANY KERNEL.
//!
//! Every constant and layout the `socket` suite assumes about the proposal
//! lives here and nowhere else, so that a maintainer who boots a patched
//! kernel adapts the suite by editing this one file. The values follow the
//! mailing-list proposals as summarised in issue 8 and
//! shared/landlock-reference.md; where the threads left a detail open, the
//! choice made here is said next to it.

/// The two shapes the proposal took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `LANDLOCK_ACCESS_SOCKET_CREATE` in a new `handled_access_socket`
    /// ruleset field, with rules of type `LANDLOCK_RULE_SOCKET`.
    AccessSocket,
    /// The same right as `LANDLOCK_PERM_SOCKET_CREATE` in a `handled_perm`
    /// ruleset field. The threads did not settle how its rules look; this
    /// suite assumes the same `LANDLOCK_RULE_SOCKET` rule, with the
    /// permission bit in `allowed_access`.
    HandledPerm,
}

impl Shape {
    pub const ALL: [Shape; 2] = [Shape::AccessSocket, Shape::HandledPerm];

    /// The ruleset field the shape adds.
    pub fn field(self) -> &'static str {
        match self {
            Shape::AccessSocket => "handled_access_socket",
            Shape::HandledPerm => "handled_perm",
        }
    }

    /// Byte offset of the field in `struct landlock_ruleset_attr`. Appended
    /// after the last merged field (`quiet_scoped`, ending at byte 48).
    pub fn field_offset(self) -> usize {
        match self {
            Shape::AccessSocket => HANDLED_ACCESS_SOCKET_OFFSET,
            Shape::HandledPerm => HANDLED_PERM_OFFSET,
        }
    }

    /// The bit that handles (and, in a rule, allows) socket creation.
    pub fn create_bit(self) -> u64 {
        match self {
            Shape::AccessSocket => ACCESS_SOCKET_CREATE,
            Shape::HandledPerm => PERM_SOCKET_CREATE,
        }
    }

    /// `struct landlock_ruleset_attr` size the shape needs.
    pub fn attr_size(self) -> usize {
        self.field_offset() + 8
    }

    /// The ruleset attribute, `attr_size()` bytes, with only the socket
    /// field set to `handled`.
    pub fn ruleset_attr(self, handled: u64) -> Vec<u8> {
        let mut bytes = vec![0u8; self.attr_size()];
        let off = self.field_offset();
        bytes[off..off + 8].copy_from_slice(&handled.to_ne_bytes());
        bytes
    }

    pub fn create_name(self) -> &'static str {
        match self {
            Shape::AccessSocket => "LANDLOCK_ACCESS_SOCKET_CREATE",
            Shape::HandledPerm => "LANDLOCK_PERM_SOCKET_CREATE",
        }
    }
}

/// `LANDLOCK_RULE_SOCKET`: the next rule type after `LANDLOCK_RULE_NET_PORT`.
pub const RULE_SOCKET: u32 = 3;

/// `LANDLOCK_ACCESS_SOCKET_CREATE`: bit 0 of `handled_access_socket`.
pub const ACCESS_SOCKET_CREATE: u64 = 1 << 0;

/// `LANDLOCK_PERM_SOCKET_CREATE`: bit 0 of `handled_perm`.
pub const PERM_SOCKET_CREATE: u64 = 1 << 0;

pub const HANDLED_ACCESS_SOCKET_OFFSET: usize = 48;
pub const HANDLED_PERM_OFFSET: usize = 48;

/// Wildcard for `type` and `protocol` in a socket rule.
pub const WILDCARD: i32 = -1;

/// `struct landlock_socket_attr`. Packed like `landlock_path_beneath_attr`,
/// so that it has no trailing padding: 20 bytes.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub struct SocketAttr {
    pub allowed_access: u64,
    pub family: i32,
    pub type_: i32,
    pub protocol: i32,
}

/// The first kernel ABI that could carry the proposal: this harness knows
/// every ABI up to [`llconf_harness::abi::NEWEST_KNOWN_ABI`], and none of
/// them has it.
pub const FIRST_POSSIBLE_ABI: u32 = llconf_harness::abi::NEWEST_KNOWN_ABI + 1;

// Checked at build time, as the UAPI's build_check_abi() would.
const _: () = assert!(std::mem::size_of::<SocketAttr>() == 20);
