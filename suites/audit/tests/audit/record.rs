//! One Landlock audit record, as the kernel formats it in
//! security/landlock/audit.c: `audit(<time>:<serial>): domain=<hex> <rest>`.

use crate::netlink::{AUDIT_LANDLOCK_ACCESS, AUDIT_LANDLOCK_DOMAIN};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: u16,
    pub domain: u64,
    /// Everything after `domain=<hex> `, byte for byte.
    pub rest: String,
}

impl Record {
    pub fn parse(kind: u16, payload: &[u8]) -> Option<Record> {
        let end = payload
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(payload.len());
        let text = std::str::from_utf8(&payload[..end]).ok()?;
        let text = text.trim_end_matches('\n');
        let (_, body) = text.split_once("): ")?;
        let body = body.strip_prefix("domain=")?;
        let (hex, rest) = body.split_once(' ').unwrap_or((body, ""));
        Some(Record {
            kind,
            domain: u64::from_str_radix(hex, 16).ok()?,
            rest: rest.to_string(),
        })
    }

    pub fn is_access(&self) -> bool {
        self.kind == AUDIT_LANDLOCK_ACCESS
    }

    pub fn is_domain(&self) -> bool {
        self.kind == AUDIT_LANDLOCK_DOMAIN
    }

    /// The raw value of `key=` in `rest` (quotes kept), for unquoted fields.
    pub fn field(&self, key: &str) -> Option<&str> {
        let needle = format!("{key}=");
        let mut start = None;
        for (i, _) in self.rest.match_indices(&needle) {
            if i == 0 || self.rest.as_bytes()[i - 1] == b' ' {
                start = Some(i + needle.len());
                break;
            }
        }
        let s = &self.rest[start?..];
        Some(s.split(' ').next().unwrap_or(s))
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} domain={:x} {}", self.kind, self.domain, self.rest)
    }
}

/// How audit_log_untrustedstring() writes a string: quoted when it has no
/// control character, space, quote or byte >= 0x7f; upper-case hex otherwise.
pub fn untrusted(s: &[u8]) -> String {
    let clean = s.iter().all(|&b| b > 0x20 && b < 0x7f && b != b'"');
    if clean {
        format!("\"{}\"", String::from_utf8_lossy(s))
    } else {
        hex(s)
    }
}

pub fn hex(s: &[u8]) -> String {
    s.iter().map(|b| format!("{b:02X}")).collect()
}
