//! Peers that count what really arrived: a UDP receiver and a TCP listener,
//! both bound before the test sandboxes itself.

use crate::addr::{Addr, Family};
use crate::call;
use llconf_harness::{Errno, OrFail, Stop};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// How long to wait for traffic that must arrive. Loopback delivers within
/// the sending call, so this only matters on a badly loaded machine.
pub const ARRIVAL_WAIT: Duration = Duration::from_secs(2);
/// How long to watch for traffic that must not arrive.
pub const SILENCE_WAIT: Duration = Duration::from_millis(50);

fn readable(fd: RawFd, wait: Duration) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one live pollfd.
    unsafe { libc::poll(&mut p, 1, wait.as_millis() as libc::c_int) > 0 }
}

fn nonblocking(fd: &OwnedFd) -> Result<(), Stop> {
    // SAFETY: plain fcntl on an fd we own.
    let r = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    Errno::result(r).map(drop).or_fail("fcntl(O_NONBLOCK)")
}

/// A UDP socket bound to a loopback port, counting datagrams.
pub struct Receiver {
    fd: OwnedFd,
    pub port: u16,
}

impl Receiver {
    pub fn bind(fam: Family, port: u16) -> Result<Receiver, Stop> {
        let fd = call::udp(fam)?;
        call::bind(&fd, &Addr::loopback(fam, port))
            .or_fail(format!("bind UDP receiver to {} port {port}", fam.name()))?;
        nonblocking(&fd)?;
        Ok(Receiver { fd, port })
    }

    /// Takes every queued datagram, returning (payload, source port) pairs.
    pub fn drain(&self) -> Vec<(Vec<u8>, u16)> {
        let mut out = Vec::new();
        loop {
            let mut buf = [0u8; 256];
            // SAFETY: sockaddr_storage fits any source address.
            let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            let mut l = std::mem::size_of_val(&ss) as libc::socklen_t;
            let n = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                    (&mut ss as *mut libc::sockaddr_storage).cast(),
                    &mut l,
                )
            };
            if n < 0 {
                return out;
            }
            out.push((buf[..n as usize].to_vec(), call::port_of(&ss)));
        }
    }

    /// Datagrams received, waiting up to `wait` for at least `want`.
    pub fn collect(&self, want: usize, wait: Duration) -> Vec<(Vec<u8>, u16)> {
        let deadline = Instant::now() + wait;
        let mut got = self.drain();
        while got.len() < want {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !readable(self.fd.as_raw_fd(), left) {
                break;
            }
            got.extend(self.drain());
        }
        got
    }

    pub fn count_within(&self, want: usize, wait: Duration) -> usize {
        self.collect(want, wait).len()
    }

    /// Checks that exactly `expected` datagrams arrived.
    pub fn expect(&self, what: &str, expected: usize) -> Result<(), Stop> {
        let n = if expected == 0 {
            self.count_within(1, SILENCE_WAIT)
        } else {
            let n = self.count_within(expected, ARRIVAL_WAIT);
            n + self.count_within(1, Duration::ZERO)
        };
        llconf_harness::expect_eq(
            format!("{what}: datagrams received on port {}", self.port),
            n,
            expected,
        )
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// A TCP (or MPTCP) listener on a loopback port, counting connections.
pub struct Listener {
    fd: OwnedFd,
    pub port: u16,
}

impl Listener {
    pub fn bind(fam: Family, port: u16) -> Result<Listener, Stop> {
        Listener::bind_proto(fam, port, 0)
    }

    pub fn bind_proto(fam: Family, port: u16, proto: libc::c_int) -> Result<Listener, Stop> {
        let fd = call::socket(fam, libc::SOCK_STREAM, proto)
            .or_fail(format!("socket({}, SOCK_STREAM, {proto})", fam.name()))?;
        call::set_int_opt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)
            .or_fail("SO_REUSEADDR")?;
        call::bind(&fd, &Addr::loopback(fam, port))
            .or_fail(format!("bind listener to {} port {port}", fam.name()))?;
        call::listen(&fd).or_fail("listen")?;
        nonblocking(&fd)?;
        Ok(Listener { fd, port })
    }

    /// Accepts and closes every pending connection.
    pub fn drain(&self) -> usize {
        let mut n = 0;
        loop {
            // SAFETY: accept4 without an address.
            let c = unsafe {
                libc::accept4(
                    self.fd.as_raw_fd(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    libc::SOCK_CLOEXEC,
                )
            };
            if c < 0 {
                return n;
            }
            let c = unsafe { OwnedFd::from_raw_fd(c) };
            // Best effort: an accepted socket that keeps its linger only
            // costs a TIME_WAIT.
            let _ = call::linger_rst(c.as_raw_fd());
            n += 1;
        }
    }

    pub fn count_within(&self, want: usize, wait: Duration) -> usize {
        let deadline = Instant::now() + wait;
        let mut n = self.drain();
        while n < want {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !readable(self.fd.as_raw_fd(), left) {
                break;
            }
            n += self.drain();
        }
        n
    }

    /// Checks that exactly `expected` connections arrived.
    pub fn expect(&self, what: &str, expected: usize) -> Result<(), Stop> {
        let n = if expected == 0 {
            self.count_within(1, SILENCE_WAIT)
        } else {
            self.count_within(expected, ARRIVAL_WAIT) + self.drain()
        };
        llconf_harness::expect_eq(
            format!("{what}: connections accepted on port {}", self.port),
            n,
            expected,
        )
    }
}
