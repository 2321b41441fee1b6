//! Socket addresses as raw bytes with a length the test chooses.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

pub const BOTH: [Family; 2] = [Family::V4, Family::V6];

impl Family {
    /// The variant name in test names.
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }

    pub fn af(self) -> libc::c_int {
        match self {
            Family::V4 => libc::AF_INET,
            Family::V6 => libc::AF_INET6,
        }
    }

    pub fn other(self) -> Family {
        match self {
            Family::V4 => Family::V6,
            Family::V6 => Family::V4,
        }
    }

    /// sizeof(struct sockaddr_in) or sizeof(struct sockaddr_in6).
    pub fn sockaddr_len(self) -> usize {
        match self {
            Family::V4 => std::mem::size_of::<libc::sockaddr_in>(),
            Family::V6 => std::mem::size_of::<libc::sockaddr_in6>(),
        }
    }

    /// The shortest address the family's own checks accept: 16 bytes, and
    /// SIN6_LEN_RFC2133 (24, without the scope id) for IPv6.
    pub fn min_len(self) -> usize {
        match self {
            Family::V4 => 16,
            Family::V6 => 24,
        }
    }
}

/// Room for the largest address the tests build, plus slack for lengths
/// past it.
pub const ADDR_ROOM: usize = 64;

/// A socket address: `len` bytes of `bytes` are handed to the kernel.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub struct Addr {
    pub bytes: [u8; ADDR_ROOM],
    pub len: usize,
}

impl Addr {
    fn from_sockaddr<T>(sa: &T) -> Addr {
        let size = std::mem::size_of::<T>();
        let mut bytes = [0u8; ADDR_ROOM];
        // SAFETY: T is a plain sockaddr struct of `size` bytes.
        let src = unsafe { std::slice::from_raw_parts((sa as *const T).cast::<u8>(), size) };
        bytes[..size].copy_from_slice(src);
        Addr { bytes, len: size }
    }

    fn ip(fam: Family, port: u16, v4: [u8; 4], v6: [u8; 16]) -> Addr {
        match fam {
            Family::V4 => {
                // SAFETY: all-zero is a valid sockaddr_in.
                let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
                sa.sin_family = libc::AF_INET as libc::sa_family_t;
                sa.sin_port = port.to_be();
                sa.sin_addr.s_addr = u32::from_ne_bytes(v4);
                Addr::from_sockaddr(&sa)
            }
            Family::V6 => {
                // SAFETY: all-zero is a valid sockaddr_in6.
                let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_port = port.to_be();
                sa.sin6_addr.s6_addr = v6;
                Addr::from_sockaddr(&sa)
            }
        }
    }

    /// 127.0.0.1 or ::1.
    pub fn loopback(fam: Family, port: u16) -> Addr {
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        Addr::ip(fam, port, [127, 0, 0, 1], v6)
    }

    /// INADDR_ANY or in6addr_any.
    pub fn any(fam: Family, port: u16) -> Addr {
        Addr::ip(fam, port, [0; 4], [0; 16])
    }

    /// ::ffff:127.0.0.1, for IPv6 sockets that talk IPv4.
    pub fn v4_mapped_loopback(port: u16) -> Addr {
        let mut v6 = [0u8; 16];
        v6[10] = 0xff;
        v6[11] = 0xff;
        v6[12..].copy_from_slice(&[127, 0, 0, 1]);
        Addr::ip(Family::V6, port, [0; 4], v6)
    }

    /// The same bytes with another sa_family.
    pub fn with_family(mut self, af: libc::c_int) -> Addr {
        self.bytes[..2].copy_from_slice(&(af as u16).to_ne_bytes());
        self
    }

    /// The same bytes, handed over with another length.
    pub fn with_len(mut self, len: usize) -> Addr {
        assert!(len <= ADDR_ROOM, "address length past the buffer");
        self.len = len;
        self
    }

    /// An AF_UNSPEC address laid out as the given family's loopback address.
    pub fn unspec(layout: Family, port: u16) -> Addr {
        Addr::loopback(layout, port).with_family(libc::AF_UNSPEC)
    }

    /// An AF_UNSPEC address of exactly sizeof(sa_family_t).
    pub fn unspec_minimal() -> Addr {
        Addr::any(Family::V4, 0)
            .with_family(libc::AF_UNSPEC)
            .with_len(2)
    }

    pub fn family(&self) -> libc::c_int {
        u16::from_ne_bytes([self.bytes[0], self.bytes[1]]) as libc::c_int
    }

    pub fn port(&self) -> u16 {
        u16::from_be_bytes([self.bytes[2], self.bytes[3]])
    }

    pub fn as_ptr(&self) -> *const libc::sockaddr {
        self.bytes.as_ptr().cast()
    }
}

pub fn family_name(af: libc::c_int) -> String {
    match af {
        libc::AF_UNSPEC => "AF_UNSPEC".into(),
        libc::AF_UNIX => "AF_UNIX".into(),
        libc::AF_INET => "AF_INET".into(),
        libc::AF_INET6 => "AF_INET6".into(),
        n => format!("family {n}"),
    }
}

impl fmt::Debug for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{{} port {}, len {}}}",
            family_name(self.family()),
            self.port(),
            self.len
        )
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_have_uapi_layout() {
        let a = Addr::loopback(Family::V4, 0x1234);
        assert_eq!(a.len, 16);
        assert_eq!(a.family(), libc::AF_INET);
        assert_eq!(&a.bytes[2..8], &[0x12, 0x34, 127, 0, 0, 1]);
        let b = Addr::loopback(Family::V6, 80);
        assert_eq!(b.len, 28);
        assert_eq!(b.port(), 80);
        assert_eq!(b.bytes[8 + 15], 1);
        let u = Addr::unspec(Family::V4, 7);
        assert_eq!((u.family(), u.port(), u.len), (libc::AF_UNSPEC, 7, 16));
    }
}
