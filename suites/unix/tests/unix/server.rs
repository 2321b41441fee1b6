//! Servers to connect to: in a peer process forked before the test
//! sandboxes itself (so created outside its domain), or in the test process.

use crate::sock::Type;
use llconf_harness::fixture::Peer;
use llconf_harness::{Errno, Stop, TestResult};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{self as s, AddressFamily, Backlog, MsgFlags, SockFlag, UnixAddr};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

/// A bound server socket of `ty` at `addr`, listening if the type has
/// connections. Its Landlock domain is the one of the calling process.
pub fn listen_at(ty: Type, addr: &UnixAddr) -> Result<OwnedFd, Errno> {
    let fd = s::socket(AddressFamily::Unix, ty.nix(), SockFlag::SOCK_CLOEXEC, None)?;
    s::bind(fd.as_raw_fd(), addr)?;
    if ty.connection_oriented() {
        s::listen(&fd, Backlog::MAXCONN)?;
    }
    Ok(fd)
}

/// Forks a peer that serves `ty` at every address in `addrs`. The peer is
/// outside any domain the test enforces afterwards.
pub fn spawn(ty: Type, addrs: &[UnixAddr]) -> Result<Peer, Stop> {
    spawn_after(ty, addrs, || Ok(()))
}

/// Like [`spawn`], but the peer first runs `setup` (to enforce a domain of
/// its own, say) and only then creates its sockets.
pub fn spawn_after(
    ty: Type,
    addrs: &[UnixAddr],
    setup: impl FnOnce() -> TestResult,
) -> Result<Peer, Stop> {
    let peer = Peer::spawn(|ready| {
        if setup().is_err() {
            return 1;
        }
        let mut socks = Vec::new();
        for addr in addrs {
            match listen_at(ty, addr) {
                Ok(fd) if ty.connection_oriented() => socks.push((fd, Role::Listener)),
                Ok(fd) => socks.push((fd, Role::Datagram)),
                Err(_) => return 2,
            }
        }
        ready.signal();
        serve(socks)
    })?;
    peer.wait_ready()?;
    Ok(peer)
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Listener,
    Connection,
    Datagram,
}

/// Accepts every connection and drains every queue, so that no client
/// blocks on a full backlog or receive queue.
fn serve(mut socks: Vec<(OwnedFd, Role)>) -> ! {
    let mut buf = [0u8; 512];
    loop {
        let ready: Vec<usize> = {
            let mut fds: Vec<PollFd> = socks
                .iter()
                .map(|(fd, _)| PollFd::new(fd.as_fd(), PollFlags::POLLIN))
                .collect();
            if poll(&mut fds, PollTimeout::NONE).is_err() {
                continue;
            }
            fds.iter()
                .enumerate()
                .filter(|(_, p)| p.revents().is_some_and(|r| !r.is_empty()))
                .map(|(i, _)| i)
                .collect()
        };
        let mut accepted = Vec::new();
        let mut closed = Vec::new();
        for i in ready {
            let (fd, role) = &socks[i];
            match role {
                Role::Listener => {
                    if let Ok(c) = s::accept(fd.as_raw_fd()) {
                        // SAFETY: accept returned a new fd that we now own.
                        accepted.push((unsafe { OwnedFd::from_raw_fd(c) }, Role::Connection));
                    }
                }
                Role::Connection => {
                    // A closed connection stays readable forever: drop it.
                    if let Ok(0) | Err(Errno::ECONNRESET) =
                        s::recv(fd.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT)
                    {
                        closed.push(i);
                    }
                }
                Role::Datagram => {
                    let _ = s::recv(fd.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT);
                }
            }
        }
        for i in closed.into_iter().rev() {
            socks.remove(i);
        }
        socks.extend(accepted);
    }
}
