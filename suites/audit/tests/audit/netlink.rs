//! A NETLINK_AUDIT socket spoken to directly: the three requests the suite
//! needs (AUDIT_GET, AUDIT_SET, a user message) and reading records.
//!
//! Written here rather than taken from the netlink-packet-audit and
//! netlink-sys crates: the suite needs four message types and the raw text
//! of two record types the crates do not model (1423, 1424), plus control
//! of the receive timeout. That is about a hundred lines over libc, against
//! a handful of new dependencies.

use nix::errno::Errno;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

pub const AUDIT_GET: u16 = 1000;
pub const AUDIT_SET: u16 = 1001;
pub const AUDIT_USER: u16 = 1005;
pub const AUDIT_LANDLOCK_ACCESS: u16 = 1423;
pub const AUDIT_LANDLOCK_DOMAIN: u16 = 1424;

pub const AUDIT_STATUS_ENABLED: u32 = 1 << 0;
pub const AUDIT_STATUS_PID: u32 = 1 << 2;

const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const HDR: usize = 16;

/// The two fields of `struct audit_status` (at bytes 4 and 12) the suite
/// reads; the kernel copies what is sent and zeroes the rest.
#[derive(Debug, Default, Clone, Copy)]
pub struct Status {
    pub enabled: u32,
    pub pid: u32,
}

/// One message read from the socket.
#[derive(Debug, Clone)]
pub struct Message {
    pub kind: u16,
    pub payload: Vec<u8>,
}

pub struct AuditSocket {
    fd: OwnedFd,
    seq: u32,
}

impl AuditSocket {
    pub fn open() -> Result<AuditSocket, Errno> {
        // SAFETY: plain integer arguments; the fd is owned on success.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_AUDIT,
            )
        };
        let fd = Errno::result(fd)?;
        // Other processes' denials share this socket while a test runs; a
        // large buffer keeps kauditd from dropping ours behind them.
        let size: libc::c_int = 8 << 20;
        // SAFETY: an int option value.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as u32,
            )
        };
        Ok(AuditSocket {
            // SAFETY: a new fd we own.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            seq: 0,
        })
    }

    fn send(&mut self, kind: u16, flags: u16, payload: &[u8]) -> Result<u32, Errno> {
        self.seq += 1;
        let len = HDR + payload.len();
        let mut buf = Vec::with_capacity(len);
        buf.extend_from_slice(&(len as u32).to_ne_bytes());
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
        buf.extend_from_slice(&self.seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(payload);
        // SAFETY: sockaddr_nl is plain data; zero means the kernel.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as u16;
        loop {
            // SAFETY: buf and addr live across the call.
            let r = unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    buf.as_ptr().cast(),
                    buf.len(),
                    0,
                    (&addr as *const libc::sockaddr_nl).cast(),
                    std::mem::size_of::<libc::sockaddr_nl>() as u32,
                )
            };
            match Errno::result(r) {
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
                Ok(_) => return Ok(self.seq),
            }
        }
    }

    /// Reads one message, waiting at most `timeout`. `None` on timeout.
    pub fn recv(&self, timeout: Duration) -> Result<Option<Message>, Errno> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one pollfd.
        match Errno::result(unsafe { libc::poll(&mut pfd, 1, ms) }) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(Errno::EINTR) => return Ok(None),
            Err(e) => return Err(e),
        }
        let mut buf = vec![0u8; 16384];
        // SAFETY: buf has room for its length.
        let n = unsafe {
            libc::recv(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        let n = match Errno::result(n) {
            Ok(n) => n as usize,
            Err(Errno::EAGAIN) | Err(Errno::EINTR) => return Ok(None),
            Err(e) => return Err(e),
        };
        if n < HDR {
            return Err(Errno::EBADMSG);
        }
        // The kernel does not count the header in the nlmsg_len of audit
        // records (kauditd's long-standing quirk), so trust the datagram.
        let kind = u16::from_ne_bytes(buf[4..6].try_into().unwrap());
        Ok(Some(Message {
            kind,
            payload: buf[HDR..n].to_vec(),
        }))
    }

    /// Sends a request with NLM_F_ACK and waits for its acknowledgement,
    /// setting aside any record that arrives meanwhile.
    fn request_ack(&mut self, kind: u16, payload: &[u8]) -> Result<(), Errno> {
        let seq = self.send(kind, NLM_F_ACK, payload)?;
        let _ = seq;
        for _ in 0..1000 {
            match self.recv(Duration::from_secs(2))? {
                None => return Err(Errno::ETIMEDOUT),
                Some(m) if m.kind == NLMSG_ERROR && m.payload.len() >= 4 => {
                    let err = i32::from_ne_bytes(m.payload[0..4].try_into().unwrap());
                    return if err == 0 {
                        Ok(())
                    } else {
                        Err(Errno::from_raw(-err))
                    };
                }
                Some(_) => continue,
            }
        }
        Err(Errno::ETIMEDOUT)
    }

    pub fn get_status(&mut self) -> Result<Status, Errno> {
        self.send(AUDIT_GET, 0, &[])?;
        for _ in 0..1000 {
            match self.recv(Duration::from_secs(2))? {
                None => return Err(Errno::ETIMEDOUT),
                Some(m) if m.kind == AUDIT_GET && m.payload.len() >= 16 => {
                    let w = |i: usize| u32::from_ne_bytes(m.payload[i..i + 4].try_into().unwrap());
                    return Ok(Status {
                        enabled: w(4),
                        pid: w(12),
                    });
                }
                Some(m) if m.kind == NLMSG_ERROR && m.payload.len() >= 4 => {
                    let err = i32::from_ne_bytes(m.payload[0..4].try_into().unwrap());
                    return Err(Errno::from_raw(-err));
                }
                Some(_) => continue,
            }
        }
        Err(Errno::ETIMEDOUT)
    }

    pub fn set_status(&mut self, mask: u32, enabled: u32, pid: u32) -> Result<(), Errno> {
        let mut payload = [0u8; 40];
        payload[0..4].copy_from_slice(&mask.to_ne_bytes());
        payload[4..8].copy_from_slice(&enabled.to_ne_bytes());
        payload[12..16].copy_from_slice(&pid.to_ne_bytes());
        self.request_ack(AUDIT_SET, &payload)
    }

    /// Logs a user message, which makes kauditd talk to whatever daemon is
    /// registered (and drop a registration whose socket is gone).
    /// An AUDIT_USER message sent without waiting for its acknowledgement,
    /// which could arrive after records the caller must not discard.
    pub fn user_message_no_ack(&mut self, text: &str) -> Result<(), Errno> {
        let mut payload = text.as_bytes().to_vec();
        payload.push(0);
        self.send(AUDIT_USER, 0, &payload).map(drop)
    }

    pub fn user_message(&mut self, text: &str) -> Result<(), Errno> {
        let mut payload = text.as_bytes().to_vec();
        payload.push(0);
        self.request_ack(AUDIT_USER, &payload)
    }
}
