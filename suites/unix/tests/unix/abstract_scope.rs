//! `unix::<type>::abstract_scope`: LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (ABI
//! 6) denies with EPERM any abstract socket created outside the domain. It
//! is a different mechanism from RESOLVE_UNIX (EACCES) and leaves pathname
//! sockets alone.

use crate::domain::{
    enforce_abstract_scope, enforce_fs, expect_read_denied, scope_case, with_twin, RESOLVE_UNIX,
};
use crate::server::{self, listen_at};
use crate::sock::{
    abstract_addr, connect, connected_explicit, expect_reach, expect_sent, path_addr, send,
    sendmsg_to, sendto, socket, Type,
};
use llconf_harness::abi::{self, fs};
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_ok, Errno, Ruleset, RulesetAttr, Test, TestResult};

fn created_outside_domain_eperm(ty: Type) -> TestResult {
    let abs = abstract_addr("outside")?;
    let _peer = server::spawn(ty, &[abs])?;
    enforce_abstract_scope()?;
    expect_reach(ty, &abs, Some(Errno::EPERM))
}

/// The shortest abstract address, an empty name (the leading NUL only, a
/// length of `offsetof(sun_path) + 1`), is abstract too. A network
/// namespace of the test's own keeps that one name free.
fn empty_name_outside_domain_eperm(ty: Type) -> TestResult {
    llconf_harness::fixture::enter_loopback_netns()?;
    let abs = nix::sys::socket::UnixAddr::new_abstract(b"")
        .map_err(|e| llconf_harness::fail(format!("empty abstract sockaddr_un: {e}")))?;
    let _peer = server::spawn(ty, &[abs])?;
    enforce_abstract_scope()?;
    expect_reach(ty, &abs, Some(Errno::EPERM))
}

fn created_inside_domain_allowed(ty: Type) -> TestResult {
    let outside = abstract_addr("outside")?;
    let _peer = server::spawn(ty, &[outside])?;
    enforce_abstract_scope()?;
    let inside = abstract_addr("inside")?;
    let _srv = expect_ok(
        format!("bind {ty} server at {inside} in the domain"),
        listen_at(ty, &inside),
    )?;
    expect_reach(ty, &inside, None)?;
    expect_reach(ty, &outside, Some(Errno::EPERM))
}

fn pathname_unaffected(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let named = path_addr(&t.path("srv/sock"))?;
    let abs = abstract_addr("outside")?;
    let _peer = server::spawn(ty, &[named, abs])?;
    enforce_abstract_scope()?;
    expect_reach(ty, &named, None)?;
    expect_reach(ty, &abs, Some(Errno::EPERM))
}

/// A socket connected before restrict_self keeps working. Unlike
/// RESOLVE_UNIX, the scope lets a datagram socket name its own peer again.
fn connected_before_restrict_keeps_working(ty: Type) -> TestResult {
    let abs = abstract_addr("outside")?;
    let _peer = server::spawn(ty, &[abs])?;
    let fd = socket(ty)?;
    expect_ok(format!("connect({ty}, {abs})"), connect(&fd, &abs))?;
    enforce_abstract_scope()?;
    expect_sent("send on the connected socket", send(&fd), None)?;
    let to_peer = connected_explicit(ty, None);
    expect_sent(
        format!("sendto({abs}) on the connected socket"),
        sendto(&fd, &abs),
        to_peer,
    )?;
    expect_sent(
        format!("sendmsg({abs}) on the connected socket"),
        sendmsg_to(&fd, &abs),
        to_peer,
    )?;
    expect_reach(ty, &abs, Some(Errno::EPERM))
}

fn server_from_parent_domain_eperm(ty: Type) -> TestResult {
    let abs = abstract_addr("parent")?;
    enforce_abstract_scope()?;
    let _srv = expect_ok("bind server in the first layer", listen_at(ty, &abs))?;
    enforce_abstract_scope()?;
    expect_reach(ty, &abs, Some(Errno::EPERM))
}

fn server_from_nested_domain_allowed(ty: Type) -> TestResult {
    let abs = abstract_addr("nested")?;
    enforce_abstract_scope()?;
    let _peer = server::spawn_after(ty, &[abs], enforce_abstract_scope)?;
    expect_reach(ty, &abs, None)
}

/// A domain without the scope, even one that handles filesystem rights,
/// reaches abstract sockets from outside.
fn unscoped_domain_allowed(ty: Type) -> TestResult {
    let t = TempTree::with(&["f"])?;
    let abs = abstract_addr("outside")?;
    let _peer = server::spawn(ty, &[abs])?;
    enforce_fs(fs::READ_FILE, &[])?;
    expect_reach(ty, &abs, None)?;
    expect_read_denied(&t.path("f"))
}

/// Both mechanisms in one domain, each with its own errno.
fn resolve_unix_eacces_scope_eperm(ty: Type) -> TestResult {
    let t = TempTree::with(&["srv/"])?;
    let named = path_addr(&t.path("srv/sock"))?;
    let abs = abstract_addr("outside")?;
    let _peer = server::spawn(ty, &[named, abs])?;
    Ruleset::new(RulesetAttr {
        handled_access_fs: fs::RESOLVE_UNIX,
        scoped: abi::scope::ABSTRACT_UNIX_SOCKET,
        ..Default::default()
    })?
    .enforce()?;
    expect_reach(ty, &abs, Some(Errno::EPERM))?;
    expect_reach(ty, &named, Some(Errno::EACCES))
}

pub fn tests() -> Vec<Test> {
    let f = "abstract_scope";
    [
        with_twin(
            scope_case(
                f,
                "created_outside_domain_eperm",
                created_outside_domain_eperm,
            ),
            "abstract_scope::unscoped_domain_allowed",
        ),
        with_twin(
            scope_case(
                f,
                "created_inside_domain_allowed",
                created_inside_domain_allowed,
            ),
            "abstract_scope::created_outside_domain_eperm",
        ),
        with_twin(
            scope_case(
                f,
                "empty_name_outside_domain_eperm",
                empty_name_outside_domain_eperm,
            ),
            "abstract_scope::unscoped_domain_allowed",
        ),
        with_twin(
            scope_case(f, "pathname_unaffected", pathname_unaffected),
            "abstract_scope::resolve_unix_eacces_scope_eperm",
        ),
        with_twin(
            scope_case(
                f,
                "connected_before_restrict_keeps_working",
                connected_before_restrict_keeps_working,
            ),
            "abstract_scope::created_outside_domain_eperm",
        ),
        with_twin(
            scope_case(
                f,
                "server_from_parent_domain_eperm",
                server_from_parent_domain_eperm,
            ),
            "abstract_scope::server_from_nested_domain_allowed",
        ),
        with_twin(
            scope_case(
                f,
                "server_from_nested_domain_allowed",
                server_from_nested_domain_allowed,
            ),
            "abstract_scope::server_from_parent_domain_eperm",
        ),
        with_twin(
            scope_case(f, "unscoped_domain_allowed", unscoped_domain_allowed),
            "abstract_scope::created_outside_domain_eperm",
        ),
        with_twin(
            scope_case(
                f,
                "resolve_unix_eacces_scope_eperm",
                resolve_unix_eacces_scope_eperm,
            ),
            "abstract_scope::pathname_unaffected",
        )
        .into_iter()
        .map(|t| t.needs(RESOLVE_UNIX))
        .collect::<Vec<_>>(),
    ]
    .concat()
}
