//! `trace::deny_access_net`: a denied bind(2) gives one
//! landlock_deny_access_net event naming the denying domain (the id of its
//! create_domain event), the right and the port, with same_exec=1 and
//! logged=1 (default flags); an allowed one none. The same holds for an
//! address as long as a sockaddr_storage (128 bytes), the longest the
//! event copies. The UDP shapes whose checked port is not the address's
//! (`udp_shapes`): an explicit bind to port 0, the autobind of a first
//! sendto (bind_udp on port 0), and an AF_UNSPEC send on IPv6 (no checked
//! port: -1).

use crate::common::*;
use llconf_harness::abi::net;
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::fixture::trace::Instance;
use llconf_harness::{expect_result, Errno, Ruleset, Test, TestResult};
use llconf_net::{call, Addr, Family};
use std::os::fd::OwnedFd;

const PORT: u16 = 4242;

/// bind(2) of a new TCP socket to 127.0.0.1:`port` with the address in a
/// whole sockaddr_storage, its length passed as 128: EACCES when `denied`.
fn bind_tcp_v4_storage_len(port: u16, denied: bool) -> TestResult {
    use llconf_harness::OrFail;
    // SAFETY: plain system call; the fd is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    let fd = Errno::result(fd).or_fail("socket")?;
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    // SAFETY: sockaddr_storage is larger than sockaddr_in and aligned for it.
    let sin = unsafe { &mut *(&mut ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
    sin.sin_family = libc::AF_INET as libc::sa_family_t;
    sin.sin_port = port.to_be();
    sin.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
    let len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: a valid fd and an address of `len` bytes.
    let r = Errno::result(unsafe {
        libc::bind(fd, (&ss as *const libc::sockaddr_storage).cast(), len)
    });
    // SAFETY: closing the fd made above.
    unsafe { libc::close(fd) };
    expect_result(
        format!("bind(127.0.0.1:{port}, addrlen={len})"),
        r.map(drop),
        denied.then_some(Errno::EACCES),
    )
}

/// A bind to PORT in a domain that handles BIND_TCP, with a rule for it
/// or not, made by `bind` (the address of its own length, or in a whole
/// sockaddr_storage): one event when denied, none when allowed.
fn bind_port(rule: bool, bind: fn(u16, bool) -> TestResult) -> TestResult {
    enter_loopback_netns()?;
    let rs = Ruleset::net(net::BIND_TCP)?;
    if rule {
        rs.allow_port(PORT.into(), net::BIND_TCP)?;
    }
    let t = Instance::new(&[CREATE_DOMAIN, DENY_NET])?;
    rs.enforce()?;
    bind(PORT, !rule)?;
    if rule {
        return t.none(DENY_NET, "after an allowed bind");
    }
    let (id, _) = created_domain(&t, 0, "after enforcing")?;
    let e = t.one(DENY_NET, "after a denied bind")?;
    expect_id(&e, "domain", id)?;
    e.expect("same_exec", "1")?;
    e.expect("logged", "1")?;
    e.expect("blockers", "bind_tcp")?;
    e.expect("port", &PORT.to_string())
}

/// One UDP shape: the socket's family, the domain's handled right and
/// port-0 rule, the call, and what a denial's event must say.
struct Udp {
    family: Family,
    handled: u64,
    /// A rule allowing BIND_UDP on port 0 (the twin that is not denied).
    rule_port_0: bool,
    call: fn(&OwnedFd, Family) -> Result<(), Errno>,
    /// The call's errno when Landlock does not deny it.
    not_denied: Option<Errno>,
    /// blockers and port of the event when denied.
    denied: Option<(&'static str, &'static str)>,
}

fn bind_0(s: &OwnedFd, f: Family) -> Result<(), Errno> {
    call::bind(s, &Addr::loopback(f, 0))
}

fn send_unbound(s: &OwnedFd, f: Family) -> Result<(), Errno> {
    call::sendto(s, b"x", &Addr::loopback(f, PORT)).map(drop)
}

fn send_unspec_minimal(s: &OwnedFd, _: Family) -> Result<(), Errno> {
    call::sendto(s, b"x", &Addr::unspec_minimal()).map(drop)
}

fn udp_shape(c: &Udp) -> TestResult {
    enter_loopback_netns()?;
    let s = call::udp(c.family)?;
    let rs = Ruleset::net(c.handled)?;
    if c.rule_port_0 {
        rs.allow_port(0, net::BIND_UDP)?;
    }
    let t = Instance::new(&[CREATE_DOMAIN, DENY_NET])?;
    rs.enforce()?;
    let r = (c.call)(&s, c.family);
    let Some((blockers, port)) = c.denied else {
        expect_result(format!("{} call", c.family.name()), r, c.not_denied)?;
        return t.none(DENY_NET, "after a call Landlock allows");
    };
    expect_result(format!("{} call", c.family.name()), r, Some(Errno::EACCES))?;
    let (id, _) = created_domain(&t, 0, "after enforcing")?;
    let e = t.one(DENY_NET, "after the denied call")?;
    expect_id(&e, "domain", id)?;
    e.expect("blockers", blockers)?;
    e.expect("port", port)
}

/// (name, twin, shape): each denial's twin is one rule or one handled
/// right apart.
fn udp_shapes() -> Vec<(&'static str, &'static str, Udp)> {
    let bind = |rule_port_0| Udp {
        family: Family::V4,
        handled: net::BIND_UDP,
        rule_port_0,
        call: bind_0,
        not_denied: None,
        denied: (!rule_port_0).then_some(("bind_udp", "0")),
    };
    let autobind = |rule_port_0| Udp {
        family: Family::V6,
        handled: net::BIND_UDP,
        rule_port_0,
        call: send_unbound,
        not_denied: None,
        denied: (!rule_port_0).then_some(("bind_udp", "0")),
    };
    // Without CONNECT_SEND_UDP handled, IPv6 reads AF_UNSPEC as no
    // address: EDESTADDRREQ on an unconnected socket.
    let unspec = |handles_send: bool| Udp {
        family: Family::V6,
        handled: if handles_send {
            net::CONNECT_SEND_UDP
        } else {
            net::BIND_UDP
        },
        rule_port_0: !handles_send,
        call: send_unspec_minimal,
        not_denied: Some(Errno::EDESTADDRREQ),
        denied: handles_send.then_some(("connect_send_udp", "-1")),
    };
    vec![
        (
            "udp_bind_port_0_denied::one_event",
            "udp_bind_port_0_allowed::no_event",
            bind(false),
        ),
        (
            "udp_bind_port_0_allowed::no_event",
            "udp_bind_port_0_denied::one_event",
            bind(true),
        ),
        (
            "udp_autobind_denied::one_event",
            "udp_autobind_allowed::no_event",
            autobind(false),
        ),
        (
            "udp_autobind_allowed::no_event",
            "udp_autobind_denied::one_event",
            autobind(true),
        ),
        (
            "udp_unspec_ipv6_denied::one_event",
            "udp_unspec_ipv6_unhandled::no_event",
            unspec(true),
        ),
        (
            "udp_unspec_ipv6_unhandled::no_event",
            "udp_unspec_ipv6_denied::one_event",
            unspec(false),
        ),
    ]
}

pub fn tests() -> Vec<Test> {
    let t = |name: &str, body: fn() -> TestResult| {
        case(name, DENY_NET, body)
            .needs("LANDLOCK_ACCESS_NET_BIND_TCP")
            .enforcement()
    };
    let mut v: Vec<Test> = llconf_harness::twin::pair(
        t("deny_access_net::bind_denied::one_event", || {
            bind_port(false, bind_tcp_v4)
        }),
        t("deny_access_net::bind_allowed::no_event", || {
            bind_port(true, bind_tcp_v4)
        }),
    )
    .into();
    v.extend(llconf_harness::twin::pair(
        t(
            "deny_access_net::bind_denied_storage_len::one_event",
            || bind_port(false, bind_tcp_v4_storage_len),
        ),
        t(
            "deny_access_net::bind_allowed_storage_len::no_event",
            || bind_port(true, bind_tcp_v4_storage_len),
        ),
    ));
    const PREFIX: &str = "deny_access_net";
    v.extend(udp_shapes().into_iter().map(|(name, twin, shape)| {
        case(&format!("{PREFIX}::{name}"), DENY_NET, move || {
            udp_shape(&shape)
        })
        .needs("LANDLOCK_ACCESS_NET_BIND_UDP")
        .enforcement()
        .twin(format!("trace::{PREFIX}::{twin}"))
    }));
    v
}
