//! The races around AF_UNSPEC. Thread A calls connect(AF_UNSPEC) or
//! sendto(AF_UNSPEC) while thread B flips the same socket: it reconnects
//! and disconnects it, or turns it from IPv6 to IPv4 (IPV6_ADDRFORM). A
//! receiver on the denied port must get nothing; an allowed control port
//! must get traffic, so that the race really ran.
//!
//! Each race runs `LLCONF_RACE_ITERATIONS` iterations (default 20000; also
//! capped at 20 s), with jitter from a fixed seed, prints the iterations
//! done and every call's errno counts, and stops at the first bypass with
//! its iteration number. The domain is enforced with a bare restrict_self
//! and checked only after the race, so that under a restrict_self that does
//! nothing the bypass check itself is what fails.

use llconf_harness::abi::net::{BIND_UDP, CONNECT_SEND_UDP, CONNECT_TCP};
use llconf_harness::fixture::race::{Bounds, Rng};
use llconf_harness::ruleset::verify_domain_in_effect;
use llconf_harness::{
    ensure, expect_ok, fail, sys, Errno, OrFail, Ruleset, Stop, Test, TestResult,
};
use llconf_net::case::{one, twin_name, TCP, UDP};
use llconf_net::port::{ALLOWED, DENIED};
use llconf_net::{call, Addr, Family, Listener, Receiver};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering::SeqCst};
use std::sync::Barrier;
use std::time::Duration;

pub const ITERATIONS_ENV: &str = "LLCONF_RACE_ITERATIONS";
pub const DEFAULT_ITERATIONS: u64 = 20_000;
const SEED: u64 = 0x6c6c_636f_6e66_0007;
const TIME_LIMIT: Duration = Duration::from_secs(20);

fn bounds() -> Bounds {
    let iterations = std::env::var(ITERATIONS_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ITERATIONS);
    Bounds {
        seed: SEED,
        iterations,
        time_limit: TIME_LIMIT,
    }
}

/// How often each call returned each result.
#[derive(Default)]
pub struct Tally(BTreeMap<&'static str, BTreeMap<String, u64>>);

impl Tally {
    fn note<T>(&mut self, op: &'static str, r: &Result<T, Errno>) {
        let k = match r {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("{e:?}"),
        };
        self.note_key(op, k);
    }

    fn note_key(&mut self, op: &'static str, key: String) {
        self.add(op, key, 1);
    }

    fn add(&mut self, op: &'static str, key: String, n: u64) {
        *self.0.entry(op).or_default().entry(key).or_default() += n;
    }

    fn merge(&mut self, other: Tally) {
        for (op, m) in other.0 {
            for (k, v) in m {
                self.add(op, k, v);
            }
        }
    }

    fn print(&self) {
        for (op, m) in &self.0 {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
            println!("  {op}: {}", parts.join(" "));
        }
    }
}

/// Enforces without the harness's depth check, which runs after the race.
fn restrict(handled: u64, rules: &[(u16, u64)]) -> TestResult {
    let rs = Ruleset::net(handled)?;
    for &(port, access) in rules {
        rs.allow_port(port as u64, access)?;
    }
    expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    expect_ok("landlock_restrict_self", sys::restrict_self(rs.fd(), 0))
}

pub struct Race<'a> {
    pub name: &'a str,
    /// A fresh socket for each iteration.
    pub make: &'a dyn Fn() -> Result<OwnedFd, Stop>,
    /// Thread A; an error stops the race (a broken invariant).
    pub a: &'a dyn Fn(RawFd, u64, &mut Tally) -> TestResult,
    /// Thread B.
    pub b: &'a (dyn Fn(RawFd, &mut Tally) + Sync),
    /// After both, on the main thread.
    pub after: &'a dyn Fn(RawFd, &mut Tally),
    /// Connections or datagrams that reached the denied port.
    pub denied: &'a dyn Fn() -> usize,
    /// Those that reached the control port.
    pub control: &'a dyn Fn() -> usize,
    /// Each call's correct results, whatever the state it met ("ok" or an
    /// errno name): any other result of a call listed here fails the race
    /// once it is over. Calls not listed are only counted.
    pub outcomes: &'a [(&'static str, &'a [&'a str])],
}

/// Every result of a call that `outcomes` lists is one of its correct ones.
fn check_outcomes(tally: &Tally, outcomes: &[(&'static str, &[&str])]) -> TestResult {
    let mut wrong = Vec::new();
    for (op, correct) in outcomes {
        for (k, n) in tally.0.get(op).into_iter().flatten() {
            if !correct.contains(&k.as_str()) {
                wrong.push(format!("{op} gave {k} {n} times (correct: {correct:?})"));
            }
        }
    }
    ensure!(
        wrong.is_empty(),
        "results no state allows: {}",
        wrong.join("; ")
    );
    Ok(())
}

pub fn run(race: Race) -> TestResult {
    let bounds = bounds();
    let fd_cell = AtomicI32::new(-1);
    let stop = AtomicBool::new(false);
    let (start, end) = (Barrier::new(2), Barrier::new(2));
    let mut tally = Tally::default();
    let mut control = 0usize;
    let (ran, b_tally) = std::thread::scope(|sc| {
        let h = sc.spawn(|| {
            let mut t = Tally::default();
            let mut rng = Rng::new(SEED ^ 0xb);
            loop {
                start.wait();
                if stop.load(SeqCst) {
                    return t;
                }
                rng.jitter(1 << 9, |_| false);
                (race.b)(fd_cell.load(SeqCst), &mut t);
                end.wait();
            }
        });
        let mut rng = Rng::new(SEED);
        let ran = bounds.run(|i| {
            let s = match (race.make)() {
                Ok(s) => s,
                Err(e) => return ControlFlow::Break(e),
            };
            fd_cell.store(s.as_raw_fd(), SeqCst);
            start.wait();
            // A waits longer on average, so that it lands before, during
            // and after B's call.
            rng.jitter(1 << 12, |_| false);
            let r = (race.a)(s.as_raw_fd(), i, &mut tally);
            end.wait();
            (race.after)(s.as_raw_fd(), &mut tally);
            drop(s);
            control += (race.control)();
            let d = (race.denied)();
            if d > 0 {
                return ControlFlow::Break(fail(format!(
                    "bypass at iteration {i}: the denied port {DENIED} received {d} (after {} \
                     iterations)",
                    i + 1
                )));
            }
            r.map_or_else(ControlFlow::Break, ControlFlow::Continue)
        });
        stop.store(true, SeqCst);
        start.wait();
        (ran, h.join().expect("race thread B panicked"))
    });
    tally.merge(b_tally);
    println!(
        "race {}: {} ({ITERATIONS_ENV} sets the count); control port received {control}",
        race.name,
        ran.summary(&bounds)
    );
    tally.print();
    if let Some(e) = ran.stopped {
        return Err(e);
    }
    check_outcomes(&tally, race.outcomes)?;
    ensure!(
        control > 0,
        "the control port {ALLOWED} received nothing in {} iterations: the race did not run",
        ran.done
    );
    verify_domain_in_effect()?;
    Ok(())
}

fn with_send_timeout(s: OwnedFd) -> Result<OwnedFd, Stop> {
    // Bounds a blocking connect that the other thread disturbed.
    let tv = libc::timeval {
        tv_sec: 1,
        tv_usec: 0,
    };
    call::set_opt(s.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDTIMEO, &tv)
        .or_fail("SO_SNDTIMEO")?;
    call::linger_rst(s.as_raw_fd()).or_fail("SO_LINGER")?;
    Ok(s)
}

/// Thread A's connect(AF_UNSPEC): disconnecting is always allowed, so a
/// denial is a broken invariant whatever B did.
fn disconnect(fd: RawFd, unspec: &Addr, i: u64, t: &mut Tally) -> TestResult {
    let r = call::connect_raw(fd, unspec);
    t.note("A connect(AF_UNSPEC)", &r);
    if r == Err(Errno::EACCES) {
        return Err(fail(format!(
            "connect(AF_UNSPEC) denied at iteration {i}: disconnecting is always allowed"
        )));
    }
    Ok(())
}

/// Thread B's connect to the allowed port, which feeds the control port.
fn reconnect(fd: RawFd, to_allowed: &Addr, t: &mut Tally) {
    t.note(
        "B connect(allowed port)",
        &call::connect_raw(fd, to_allowed),
    );
}

fn unconnect(fd: RawFd, t: &mut Tally) {
    t.note(
        "B connect(AF_UNSPEC)",
        &call::connect_raw(fd, &Addr::unspec_minimal()),
    );
}

/// Counts the sendto(AF_UNSPEC) calls that went through, which a UDP race
/// must never see: Landlock denies every reading of that address here.
#[derive(Default)]
struct Sent(std::cell::Cell<u64>);

impl Sent {
    fn note<T>(&self, r: &Result<T, Errno>) {
        if r.is_ok() {
            self.0.set(self.0.get() + 1);
        }
    }

    fn ensure_none(&self) -> TestResult {
        ensure!(
            self.0.get() == 0,
            "sendto(AF_UNSPEC) succeeded {} times; it must always be EACCES here",
            self.0.get()
        );
        Ok(())
    }
}

/// TCP: A disconnects with AF_UNSPEC (naming the denied port) and then
/// tries the denied port; B connects to the allowed port and disconnects.
fn tcp_connect_vs_reconnect(f: Family) -> TestResult {
    let control = Listener::bind(f, ALLOWED)?;
    let denied = Listener::bind(f, DENIED)?;
    restrict(CONNECT_TCP, &[(ALLOWED, CONNECT_TCP)])?;
    let (unspec, to_denied, to_allowed) = (
        Addr::unspec(f, DENIED),
        Addr::loopback(f, DENIED),
        Addr::loopback(f, ALLOWED),
    );
    run(Race {
        name: "tcp connect(AF_UNSPEC) vs reconnect",
        make: &|| with_send_timeout(call::tcp(f)?),
        a: &|fd, i, t| {
            disconnect(fd, &unspec, i, t)?;
            t.note("A connect(denied port)", &call::connect_raw(fd, &to_denied));
            Ok(())
        },
        b: &|fd, t| {
            reconnect(fd, &to_allowed, t);
            unconnect(fd, t);
        },
        after: &|_, _| {},
        denied: &|| denied.drain(),
        control: &|| control.drain(),
        outcomes: &[],
    })
}

/// UDP: as for TCP, with A also sending with no address and to an
/// AF_UNSPEC address that names the denied port.
fn udp_connect_vs_reconnect(f: Family) -> TestResult {
    let control = Receiver::bind(f, ALLOWED)?;
    let denied = Receiver::bind(f, DENIED)?;
    restrict(
        CONNECT_SEND_UDP | BIND_UDP,
        &[(ALLOWED, CONNECT_SEND_UDP), (0, BIND_UDP)],
    )?;
    let (unspec, to_allowed) = (Addr::unspec(f, DENIED), Addr::loopback(f, ALLOWED));
    let sent = Sent::default();
    run(Race {
        name: "udp connect(AF_UNSPEC) vs reconnect",
        make: &|| call::udp(f),
        a: &|fd, i, t| {
            disconnect(fd, &unspec, i, t)?;
            t.note(
                "A send()",
                &call::sendto_raw(fd, b"a", libc::MSG_DONTWAIT, None),
            );
            let s = call::sendto_raw(fd, b"u", libc::MSG_DONTWAIT, Some(&unspec));
            sent.note(&s);
            t.note("A sendto(AF_UNSPEC, denied port)", &s);
            Ok(())
        },
        b: &|fd, t| {
            reconnect(fd, &to_allowed, t);
            // Reaches the control port unless A disconnected in between.
            t.note(
                "B send()",
                &call::sendto_raw(fd, b"b", libc::MSG_DONTWAIT, None),
            );
            unconnect(fd, t);
        },
        after: &|_, _| {},
        denied: &|| denied.drain().len(),
        control: &|| control.drain().len(),
        outcomes: &[],
    })?;
    sent.ensure_none()
}

/// UDP over IPv6: A sends to an AF_UNSPEC address naming the denied port
/// while B turns the socket into an IPv4 one, where AF_UNSPEC reads as
/// AF_INET. Landlock must deny both readings.
fn udp_sendto_vs_addrform(f: Family) -> TestResult {
    let control = Receiver::bind(Family::V4, ALLOWED)?;
    let denied = Receiver::bind(Family::V4, DENIED)?;
    restrict(
        CONNECT_SEND_UDP | BIND_UDP,
        &[(ALLOWED, CONNECT_SEND_UDP), (0, BIND_UDP)],
    )?;
    let unspec = Addr::unspec(Family::V4, DENIED);
    let sent = Sent::default();
    run(Race {
        name: "udp sendto(AF_UNSPEC) vs IPV6_ADDRFORM",
        make: &|| {
            let s = call::udp(f)?;
            call::connect(&s, &Addr::v4_mapped_loopback(ALLOWED))
                .or_fail("connect(::ffff:127.0.0.1, allowed port)")?;
            Ok(s)
        },
        a: &|fd, i, t| {
            // Both lengths: 16 is a whole sockaddr_in, 28 a sockaddr_in6.
            let a = unspec.with_len(if i % 2 == 0 { 16 } else { 28 });
            let r = call::sendto_raw(fd, b"u", libc::MSG_DONTWAIT, Some(&a));
            sent.note(&r);
            t.note("A sendto(AF_UNSPEC, denied port)", &r);
            Ok(())
        },
        b: &|fd, t| {
            t.note(
                "B setsockopt(IPV6_ADDRFORM, AF_INET)",
                &call::addrform_to_v4(fd),
            )
        },
        after: &|fd, t| {
            let fam = call::domain_of(fd).map(llconf_net::addr::family_name);
            t.note_key("family after the race", format!("{fam:?}"));
            t.note(
                "send() to the connected control port",
                &call::sendto_raw(fd, b"c", libc::MSG_DONTWAIT, None),
            );
        },
        denied: &|| denied.drain().len(),
        control: &|| control.drain().len(),
        outcomes: &[],
    })?;
    sent.ensure_none()
}

/// UDP: A sends to the denied and to the allowed port (sendto and
/// sendmsg, explicit addresses) and without an address, while B connects
/// the socket to the allowed port, sends, tries the denied port and
/// disconnects with AF_UNSPEC. Whatever state A meets, an explicit
/// destination is checked on its own: the denied port is EACCES and the
/// allowed one goes through; a send without an address goes to the
/// connected peer (the allowed port) or finds none (EDESTADDRREQ: the
/// autobind it needs first is allowed by the rule for port 0). Every
/// datagram a call reported sent reaches the allowed port, and none the
/// denied one.
fn udp_send_vs_reconnect(f: Family) -> TestResult {
    let control = Receiver::bind(f, ALLOWED)?;
    let denied = Receiver::bind(f, DENIED)?;
    restrict(
        CONNECT_SEND_UDP | BIND_UDP,
        &[(ALLOWED, CONNECT_SEND_UDP), (0, BIND_UDP)],
    )?;
    let (to_denied, to_allowed) = (Addr::loopback(f, DENIED), Addr::loopback(f, ALLOWED));
    // Blocking sends: no EAGAIN to tell apart from the outcomes.
    // (call, destination, sendmsg rather than sendto)
    let sends: [(&'static str, Option<&Addr>, bool); 5] = [
        ("A sendto(denied port)", Some(&to_denied), false),
        ("A sendmsg(denied port)", Some(&to_denied), true),
        ("A sendto(allowed port)", Some(&to_allowed), false),
        ("A sendmsg(allowed port)", Some(&to_allowed), true),
        ("A send()", None, false),
    ];
    let a_sent = std::cell::Cell::new(0usize);
    // Sends with the allowed port as their explicit destination: nothing
    // the other thread does to the socket can take that from them.
    let a_explicit = std::cell::Cell::new(0usize);
    let delivered = std::cell::Cell::new(0usize);
    let (b_sent, b_turn) = (AtomicU64::new(0), AtomicU64::new(0));
    run(Race {
        name: "udp sendto/sendmsg vs connect(AF_UNSPEC) and reconnect",
        make: &|| call::udp(f),
        a: &|fd, i, t| {
            // Each call leads in turn, so that each meets B's calls.
            for k in 0..sends.len() {
                let (name, to, msg) = sends[(k + i as usize) % sends.len()];
                let r = if msg {
                    call::sendmsg_raw(fd, b"m", 0, to)
                } else {
                    call::sendto_raw(fd, b"t", 0, to)
                };
                t.note(name, &r);
                if to.is_some_and(|a| a.port() == DENIED) && r.is_ok() {
                    return Err(fail(format!(
                        "{name} went through at iteration {i}: an explicit destination \
                         is checked whatever the socket's state"
                    )));
                }
                a_sent.set(a_sent.get() + usize::from(r.is_ok()));
                if to.is_some() && r.is_ok() {
                    a_explicit.set(a_explicit.get() + 1);
                }
            }
            Ok(())
        },
        b: &|fd, t| {
            // On one CPU (UML) B would run its four calls before A runs at
            // all: B yields after one of them, in turn, so that A meets the
            // socket connected, being disconnected and disconnected.
            let pause = b_turn.fetch_add(1, SeqCst) % 4;
            let maybe_yield = |step| {
                if step == pause {
                    std::thread::yield_now();
                }
            };
            reconnect(fd, &to_allowed, t);
            maybe_yield(0);
            let r = call::sendto_raw(fd, b"b", 0, None);
            if r.is_ok() {
                b_sent.fetch_add(1, SeqCst);
            }
            t.note("B send()", &r);
            maybe_yield(1);
            t.note("B connect(denied port)", &call::connect_raw(fd, &to_denied));
            maybe_yield(2);
            unconnect(fd, t);
        },
        after: &|_, _| {},
        denied: &|| denied.drain().len(),
        control: &|| {
            let n = control.drain().len();
            delivered.set(delivered.get() + n);
            n
        },
        outcomes: &[
            ("A sendto(denied port)", &["EACCES"]),
            ("A sendmsg(denied port)", &["EACCES"]),
            ("A sendto(allowed port)", &["ok"]),
            ("A sendmsg(allowed port)", &["ok"]),
            ("A send()", &["ok", "EDESTADDRREQ"]),
            ("B connect(allowed port)", &["ok"]),
            ("B send()", &["ok", "EDESTADDRREQ"]),
            ("B connect(denied port)", &["EACCES"]),
            ("B connect(AF_UNSPEC)", &["ok"]),
        ],
    })?;
    // Loopback delivers within the call, but a loaded machine may defer it.
    let reported = a_sent.get() + b_sent.load(SeqCst) as usize;
    let late = reported.saturating_sub(delivered.get());
    let total = delivered.get() + control.count_within(late, llconf_net::count::ARRIVAL_WAIT);
    // A send() without an address that meets connect(AF_UNSPEC) half-way
    // can read the peer's address before and its port after: UDP then
    // reports it sent, to port 0, and it reaches nobody (seen once in 6,836
    // on one vCPU). That is UDP's, not Landlock's: such sends are bounded,
    // not counted.
    ensure!(
        total <= reported && total >= a_explicit.get(),
        "datagrams on the allowed port: {total}, expected at least the {} sendto/sendmsg \
         to it and at most the {reported} sends reported sent",
        a_explicit.get()
    );
    denied.expect("the denied port after the race", 0)
}

type Body = fn(Family) -> TestResult;

pub fn tests() -> Vec<Test> {
    let timeout = Duration::from_secs(30);
    // (fixture, case, families, body, twin): each race's twin is the plain
    // case of the call whose verdict it holds while the socket changes
    // under it.
    let v6: &[Family] = &[Family::V6];
    let races: [(&str, &str, &[Family], Body, &str); 4] = [
        (
            "tcp",
            "connect_unspec_vs_reconnect",
            &llconf_net::BOTH,
            tcp_connect_vs_reconnect,
            "unspec::tcp::{f}::connect_unspec_disconnects_allowed",
        ),
        (
            "udp",
            "connect_unspec_vs_reconnect",
            &llconf_net::BOTH,
            udp_connect_vs_reconnect,
            "unspec::udp::{f}::connect_unspec_disconnects_allowed",
        ),
        (
            "udp",
            "send_vs_reconnect",
            &llconf_net::BOTH,
            udp_send_vs_reconnect,
            "unspec::udp::{f}::connect_own_family_denied",
        ),
        (
            "udp",
            "sendto_unspec_vs_addrform",
            v6,
            udp_sendto_vs_addrform,
            "unspec::udp::{f}::sendto_unspec_unhandled_is_no_address",
        ),
    ];
    let mut v = Vec::new();
    for (proto, case, families, body, twin) in races {
        let (prefix, feature) = match proto {
            "tcp" => ("unspec::race::tcp", TCP),
            _ => ("unspec::race::udp", UDP),
        };
        for &f in families {
            v.push(
                one(prefix, f, case, feature, body)
                    .timeout(timeout)
                    .twin(twin_name(prefix, f, twin)),
            );
        }
    }
    v
}
