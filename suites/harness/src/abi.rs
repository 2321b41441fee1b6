//! Landlock UAPI constants, each tagged with the ABI version that brought it.
//!
//! Values follow `include/uapi/linux/landlock.h`; see
//! `shared/landlock-reference.md`. The tables let probes and skip reasons
//! name a right and its ABI without repeating the facts elsewhere.

/// One bit of a Landlock bitmask, with the ABI that introduced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    pub name: &'static str,
    pub bit: u64,
    pub abi: u32,
}

pub const CREATE_RULESET_VERSION: u32 = 1 << 0;
pub const CREATE_RULESET_ERRATA: u32 = 1 << 1;

pub const RULE_PATH_BENEATH: u32 = 1;
pub const RULE_NET_PORT: u32 = 2;

pub mod fs {
    pub const EXECUTE: u64 = 1 << 0;
    pub const WRITE_FILE: u64 = 1 << 1;
    pub const READ_FILE: u64 = 1 << 2;
    pub const READ_DIR: u64 = 1 << 3;
    pub const REMOVE_DIR: u64 = 1 << 4;
    pub const REMOVE_FILE: u64 = 1 << 5;
    pub const MAKE_CHAR: u64 = 1 << 6;
    pub const MAKE_DIR: u64 = 1 << 7;
    pub const MAKE_REG: u64 = 1 << 8;
    pub const MAKE_SOCK: u64 = 1 << 9;
    pub const MAKE_FIFO: u64 = 1 << 10;
    pub const MAKE_BLOCK: u64 = 1 << 11;
    pub const MAKE_SYM: u64 = 1 << 12;
    pub const REFER: u64 = 1 << 13;
    pub const TRUNCATE: u64 = 1 << 14;
    pub const IOCTL_DEV: u64 = 1 << 15;
    pub const RESOLVE_UNIX: u64 = 1 << 16;

    /// Rights that a rule on a non-directory may carry.
    pub const FILE_RIGHTS: u64 =
        EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV | RESOLVE_UNIX;
}

pub mod net {
    pub const BIND_TCP: u64 = 1 << 0;
    pub const CONNECT_TCP: u64 = 1 << 1;
    pub const BIND_UDP: u64 = 1 << 2;
    pub const CONNECT_SEND_UDP: u64 = 1 << 3;
}

pub mod scope {
    pub const ABSTRACT_UNIX_SOCKET: u64 = 1 << 0;
    pub const SIGNAL: u64 = 1 << 1;
}

pub mod restrict {
    pub const LOG_SAME_EXEC_OFF: u32 = 1 << 0;
    pub const LOG_NEW_EXEC_ON: u32 = 1 << 1;
    pub const LOG_SUBDOMAINS_OFF: u32 = 1 << 2;
    pub const TSYNC: u32 = 1 << 3;
    pub const NO_NEW_PRIVS: u32 = 1 << 4;
}

pub mod add_rule {
    pub const QUIET: u32 = 1 << 0;
}

const fn f(name: &'static str, bit: u64, abi: u32) -> Flag {
    Flag { name, bit, abi }
}

pub const ACCESS_FS: &[Flag] = &[
    f("LANDLOCK_ACCESS_FS_EXECUTE", fs::EXECUTE, 1),
    f("LANDLOCK_ACCESS_FS_WRITE_FILE", fs::WRITE_FILE, 1),
    f("LANDLOCK_ACCESS_FS_READ_FILE", fs::READ_FILE, 1),
    f("LANDLOCK_ACCESS_FS_READ_DIR", fs::READ_DIR, 1),
    f("LANDLOCK_ACCESS_FS_REMOVE_DIR", fs::REMOVE_DIR, 1),
    f("LANDLOCK_ACCESS_FS_REMOVE_FILE", fs::REMOVE_FILE, 1),
    f("LANDLOCK_ACCESS_FS_MAKE_CHAR", fs::MAKE_CHAR, 1),
    f("LANDLOCK_ACCESS_FS_MAKE_DIR", fs::MAKE_DIR, 1),
    f("LANDLOCK_ACCESS_FS_MAKE_REG", fs::MAKE_REG, 1),
    f("LANDLOCK_ACCESS_FS_MAKE_SOCK", fs::MAKE_SOCK, 1),
    f("LANDLOCK_ACCESS_FS_MAKE_FIFO", fs::MAKE_FIFO, 1),
    f("LANDLOCK_ACCESS_FS_MAKE_BLOCK", fs::MAKE_BLOCK, 1),
    f("LANDLOCK_ACCESS_FS_MAKE_SYM", fs::MAKE_SYM, 1),
    f("LANDLOCK_ACCESS_FS_REFER", fs::REFER, 2),
    f("LANDLOCK_ACCESS_FS_TRUNCATE", fs::TRUNCATE, 3),
    f("LANDLOCK_ACCESS_FS_IOCTL_DEV", fs::IOCTL_DEV, 5),
    f("LANDLOCK_ACCESS_FS_RESOLVE_UNIX", fs::RESOLVE_UNIX, 9),
];

pub const ACCESS_NET: &[Flag] = &[
    f("LANDLOCK_ACCESS_NET_BIND_TCP", net::BIND_TCP, 4),
    f("LANDLOCK_ACCESS_NET_CONNECT_TCP", net::CONNECT_TCP, 4),
    f("LANDLOCK_ACCESS_NET_BIND_UDP", net::BIND_UDP, 10),
    f(
        "LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP",
        net::CONNECT_SEND_UDP,
        10,
    ),
];

pub const SCOPE: &[Flag] = &[
    f(
        "LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET",
        scope::ABSTRACT_UNIX_SOCKET,
        6,
    ),
    f("LANDLOCK_SCOPE_SIGNAL", scope::SIGNAL, 6),
];

pub const RESTRICT_SELF_FLAGS: &[Flag] = &[
    f(
        "LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF",
        restrict::LOG_SAME_EXEC_OFF as u64,
        7,
    ),
    f(
        "LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON",
        restrict::LOG_NEW_EXEC_ON as u64,
        7,
    ),
    f(
        "LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF",
        restrict::LOG_SUBDOMAINS_OFF as u64,
        7,
    ),
    f("LANDLOCK_RESTRICT_SELF_TSYNC", restrict::TSYNC as u64, 8),
    f(
        "LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS",
        restrict::NO_NEW_PRIVS as u64,
        11,
    ),
];

pub const ADD_RULE_FLAGS: &[Flag] = &[f("LANDLOCK_ADD_RULE_QUIET", add_rule::QUIET as u64, 10)];

pub const CREATE_RULESET_FLAGS: &[Flag] = &[
    f(
        "LANDLOCK_CREATE_RULESET_VERSION",
        CREATE_RULESET_VERSION as u64,
        1,
    ),
    f(
        "LANDLOCK_CREATE_RULESET_ERRATA",
        CREATE_RULESET_ERRATA as u64,
        7,
    ),
];

/// The union of the bits in `table` that an ABI version knows.
pub fn mask_for_abi(table: &[Flag], abi: u32) -> u64 {
    table
        .iter()
        .filter(|f| f.abi <= abi)
        .fold(0, |m, f| m | f.bit)
}

/// Looks a single bit up in every table, for messages.
pub fn describe(table: &[Flag], bit: u64) -> Option<Flag> {
    table.iter().copied().find(|f| f.bit == bit)
}

/// Size in bytes of `struct landlock_ruleset_attr` as each ABI defines it.
pub fn ruleset_attr_size(abi: u32) -> usize {
    match abi {
        0..=3 => 8,
        4 | 5 => 16,
        6..=9 => 24,
        _ => 48,
    }
}

/// The highest ABI this build of the harness knows about.
pub const NEWEST_KNOWN_ABI: u32 = 11;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_grow_with_the_abi() {
        assert_eq!(mask_for_abi(ACCESS_FS, 1), (1 << 13) - 1);
        assert_eq!(mask_for_abi(ACCESS_FS, 2), (1 << 14) - 1);
        assert_eq!(mask_for_abi(ACCESS_FS, 8), (1 << 16) - 1);
        assert_eq!(mask_for_abi(ACCESS_FS, 9), (1 << 17) - 1);
        assert_eq!(mask_for_abi(ACCESS_NET, 3), 0);
        assert_eq!(mask_for_abi(ACCESS_NET, 10), 0b1111);
        assert_eq!(mask_for_abi(RESTRICT_SELF_FLAGS, 6), 0);
        assert_eq!(mask_for_abi(RESTRICT_SELF_FLAGS, 11), 0b11111);
    }

    #[test]
    fn every_table_has_distinct_single_bits() {
        for table in [ACCESS_FS, ACCESS_NET, SCOPE, RESTRICT_SELF_FLAGS] {
            let mut seen = 0u64;
            for f in table {
                assert_eq!(f.bit.count_ones(), 1, "{}", f.name);
                assert_eq!(seen & f.bit, 0, "{}", f.name);
                seen |= f.bit;
            }
        }
    }
}
