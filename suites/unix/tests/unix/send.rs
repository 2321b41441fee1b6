//! `unix::<type>::send`: datagram sends with an explicit address resolve
//! it every time; sends on a connected socket do not. Stream and seqpacket
//! sockets never resolve a send's address, which these cases pin down too.

use crate::domain::{enforce_resolve, resolve_case, with_twin};
use crate::server;
use crate::sock::{
    connect, connected_explicit, expect_reach, expect_sent, path_addr, send, sendmsg_to, sendto,
    socket, unconnected_explicit, Type,
};
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_ok, Errno, Test, TestResult};

/// One unconnected socket alternates between an allowed and a denied
/// address: each datagram is checked on its own.
fn explicit_address_checked_each_time(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/", "other/"])?;
    let allowed = path_addr(&t.path("srv/sock"))?;
    let denied = path_addr(&t.path("other/sock"))?;
    let _peer = server::spawn(ty, &[allowed, denied])?;
    enforce_resolve(&[&t.path("srv")])?;
    let fd = socket(ty)?;
    let ok = unconnected_explicit(ty, None);
    let eacces = unconnected_explicit(ty, Some(Errno::EACCES));
    expect_sent(format!("sendto({allowed})"), sendto(&fd, &allowed), ok)?;
    expect_sent(format!("sendto({denied})"), sendto(&fd, &denied), eacces)?;
    expect_sent(
        format!("sendto({allowed}) again"),
        sendto(&fd, &allowed),
        ok,
    )?;
    expect_sent(
        format!("sendmsg({denied})"),
        sendmsg_to(&fd, &denied),
        eacces,
    )?;
    expect_sent(format!("sendmsg({allowed})"), sendmsg_to(&fd, &allowed), ok)?;
    expect_sent(
        format!("sendmsg({denied}) again"),
        sendmsg_to(&fd, &denied),
        eacces,
    )
}

/// After a connect the first layer allowed, a second layer denies every
/// resolution; the connected socket still sends, because a plain send does
/// not resolve anything.
fn plain_send_after_allowed_connect_not_rechecked(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    let _peer = server::spawn(ty, &[addr])?;
    enforce_resolve(&[&t.path("srv")])?;
    let fd = socket(ty)?;
    expect_ok(format!("connect({ty}, {addr})"), connect(&fd, &addr))?;
    enforce_resolve(&[])?;
    expect_sent("send on the connected socket", send(&fd), None)?;
    expect_sent(
        format!("sendto({addr}) on the connected socket"),
        sendto(&fd, &addr),
        connected_explicit(ty, Some(Errno::EACCES)),
    )?;
    expect_reach(ty, &addr, Some(Errno::EACCES))
}

/// A socket connected before restrict_self keeps sending; an explicit
/// address on it is resolved again, and denied.
fn connected_before_restrict_keeps_working(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let addr = path_addr(&t.path("srv/sock"))?;
    let _peer = server::spawn(ty, &[addr])?;
    let fd = socket(ty)?;
    expect_ok(format!("connect({ty}, {addr})"), connect(&fd, &addr))?;
    enforce_resolve(&[])?;
    expect_sent("send on the connected socket", send(&fd), None)?;
    let resolved = connected_explicit(ty, Some(Errno::EACCES));
    expect_sent(
        format!("sendto({addr}) on the connected socket"),
        sendto(&fd, &addr),
        resolved,
    )?;
    expect_sent(
        format!("sendmsg({addr}) on the connected socket"),
        sendmsg_to(&fd, &addr),
        resolved,
    )?;
    expect_sent("send on the connected socket again", send(&fd), None)?;
    expect_reach(ty, &addr, Some(Errno::EACCES))
}

pub fn tests() -> Vec<Test> {
    [
        with_twin(
            resolve_case(
                "send",
                "explicit_address_checked_each_time",
                explicit_address_checked_each_time,
            ),
            "connect::allowed_by_rule_on_parent_dir",
        ),
        with_twin(
            resolve_case(
                "send",
                "plain_send_after_allowed_connect_not_rechecked",
                plain_send_after_allowed_connect_not_rechecked,
            ),
            "connect::denied_without_rules",
        ),
        with_twin(
            resolve_case(
                "send",
                "connected_before_restrict_keeps_working",
                connected_before_restrict_keeps_working,
            ),
            "connect::denied_without_rules",
        ),
    ]
    .concat()
}
