//! `trace::deny_access_net`: a denied bind(2) gives one
//! landlock_deny_access_net event naming the denying domain (the id of its
//! create_domain event), the right and the port, with same_exec=1 and
//! logged=1 (default flags); an allowed one none. The same holds for an
//! address as long as a sockaddr_storage (128 bytes), the longest the
//! event copies.

use crate::common::*;
use llconf_harness::abi::net;
use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::fixture::trace::Instance;
use llconf_harness::{Ruleset, Test, TestResult};

const PORT: u16 = 4242;

/// bind(2) of a new TCP socket to 127.0.0.1:`port` with the address in a
/// whole sockaddr_storage, its length passed as 128: EACCES when `denied`.
fn bind_tcp_v4_storage_len(port: u16, denied: bool) -> TestResult {
    use llconf_harness::{expect_result, Errno, OrFail};
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
    v
}
