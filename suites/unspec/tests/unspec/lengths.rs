//! Every addrlen from 0 to sizeof(sockaddr_in6)+1, for bind, connect and
//! (UDP) sendto, with the socket's own family, AF_UNSPEC, the other IP
//! family and AF_UNIX. Every port in the addresses is denied. The kernel's
//! answers are printed as a table and compared with the precedence that
//! `expected` writes down: EINVAL (short, or a family mismatch) before
//! EACCES, except where a denied UDP autobind answers first.

use llconf_harness::abi::net::BIND_UDP;
use llconf_harness::{fail, Errno, TestResult};
use llconf_net::addr::family_name;
use llconf_net::case::{enforced, TCP, UDP};
use llconf_net::port::DENIED;
use llconf_net::{call, domain, Addr, Family, Proto};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Bind,
    Connect,
    Sendto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Own,
    Unspec,
    OtherIp,
    Unix,
}

/// Which domain the table runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Every right of the protocol handled, the port denied (UDP: port 0
    /// allowed for the autobind).
    AllHandled,
    /// UDP with only BIND_UDP handled and no rule: the autobind is denied
    /// and the destination is never looked at.
    AutobindDenied,
}

pub const MAX_LEN: usize = 29;

fn address(f: Family, call: Call, kind: Kind) -> Addr {
    match kind {
        Kind::Own => Addr::loopback(f, DENIED),
        // INADDR_ANY is what IPv4 bind takes as AF_INET.
        Kind::Unspec if call == Call::Bind => Addr::any(f, DENIED).with_family(libc::AF_UNSPEC),
        Kind::Unspec => Addr::unspec(f, DENIED),
        Kind::OtherIp => Addr::loopback(f.other(), DENIED),
        Kind::Unix => Addr::loopback(f, DENIED).with_family(libc::AF_UNIX),
    }
}

/// The defined answer; `None` is success.
pub fn expected(policy: Policy, f: Family, call: Call, kind: Kind, len: usize) -> Option<Errno> {
    use Errno::*;
    let min = f.min_len();
    let short_or = |e| Some(if len < min { EINVAL } else { e });
    if policy == Policy::AutobindDenied && call != Call::Bind {
        // The destination right is not handled: only the autobind is
        // checked. sendto checks it whatever the address; connect only for
        // an address of at least two bytes that is not AF_UNSPEC.
        return match (call, kind) {
            (Call::Sendto, _) => Some(EACCES),
            _ if len < 2 => Some(EINVAL),
            (_, Kind::Unspec) => None,
            _ => Some(EACCES),
        };
    }
    if len < 2 {
        return Some(EINVAL);
    }
    match (call, kind) {
        // The other IP family: Landlock's length check for that family,
        // then its family check: EINVAL either way.
        (_, Kind::OtherIp) => Some(EINVAL),
        (_, Kind::Own) => short_or(EACCES),
        (Call::Bind, Kind::Unspec) => match f {
            Family::V4 => short_or(EACCES),
            Family::V6 => short_or(EAFNOSUPPORT),
        },
        (Call::Bind | Call::Connect, Kind::Unix) => short_or(EAFNOSUPPORT),
        (Call::Connect, Kind::Unspec) => None,
        (Call::Sendto, Kind::Unspec) => match f {
            Family::V4 => short_or(EACCES),
            Family::V6 => Some(EACCES),
        },
        (Call::Sendto, Kind::Unix) => match f {
            Family::V4 => short_or(EAFNOSUPPORT),
            Family::V6 => Some(EINVAL),
        },
    }
}

fn short(r: Option<Errno>) -> String {
    match r {
        None => "ok".into(),
        Some(e) => format!("{e:?}"),
    }
}

/// "0-15 EINVAL, 16-29 EACCES".
pub fn ranges(row: &[Option<Errno>]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut start = 0;
    for i in 1..=row.len() {
        if i == row.len() || row[i] != row[start] {
            let span = if i - 1 == start {
                format!("{start}")
            } else {
                format!("{start}-{}", i - 1)
            };
            out.push(format!("{span} {}", short(row[start])));
            start = i;
        }
    }
    out.join(", ")
}

fn run(p: Proto, policy: Policy, f: Family) -> TestResult {
    let calls: &[Call] = match p {
        Proto::Tcp => &[Call::Bind, Call::Connect],
        Proto::Udp => &[Call::Bind, Call::Connect, Call::Sendto],
    };
    let mut mismatches = Vec::new();
    println!(
        "{} {} table, {policy:?}, lengths 0-{MAX_LEN} (port {DENIED} denied):",
        p.name().to_uppercase(),
        f.name()
    );
    for &c in calls {
        for kind in [Kind::Own, Kind::Unspec, Kind::OtherIp, Kind::Unix] {
            let base = address(f, c, kind);
            let mut row = Vec::new();
            for len in 0..=MAX_LEN {
                let a = base.with_len(len);
                let s = p.socket(f)?;
                let r = match c {
                    Call::Bind => call::bind(&s, &a),
                    Call::Connect => call::connect(&s, &a),
                    Call::Sendto => call::sendto(&s, b"x", &a).map(drop),
                }
                .err();
                let want = expected(policy, f, c, kind, len);
                if r != want {
                    mismatches.push(format!(
                        "{c:?}({}, len {len}): expected {}, observed {}",
                        family_name(a.family()),
                        short(want),
                        short(r)
                    ));
                }
                row.push(r);
            }
            println!(
                "  {:<8} {:<10} {}",
                format!("{c:?}"),
                family_name(base.family()),
                ranges(&row)
            );
        }
    }
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(fail(format!(
            "{} answers differ from the defined precedence: {}",
            mismatches.len(),
            mismatches.join("; ")
        )))
    }
}

pub fn tests() -> Vec<llconf_harness::Test> {
    [
        // The tables hold both verdicts, mostly refusals of a denied port.
        // TCP's twin is the disconnect that must go through; UDP's two
        // tables are each other's, one right (CONNECT_SEND_UDP) apart.
        enforced(
            "unspec::lengths::tcp",
            TCP,
            "table",
            "unspec::tcp::{f}::connect_unspec_unconnected_allowed",
            |f| {
                domain::enforce(domain::TCP, &[])?;
                run(Proto::Tcp, Policy::AllHandled, f)
            },
        ),
        enforced(
            "unspec::lengths::udp",
            UDP,
            "table",
            "autobind_denied_table",
            |f| {
                domain::enforce(domain::UDP, &[(0, BIND_UDP)])?;
                run(Proto::Udp, Policy::AllHandled, f)
            },
        ),
        enforced(
            "unspec::lengths::udp",
            UDP,
            "autobind_denied_table",
            "table",
            |f| {
                domain::enforce(BIND_UDP, &[])?;
                run(Proto::Udp, Policy::AutobindDenied, f)
            },
        ),
    ]
    .concat()
}
