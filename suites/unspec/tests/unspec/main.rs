//! Suite `unspec`: AF_UNSPEC addresses and the races around them, for TCP
//! (ABI 4) and UDP (ABI 10), over IPv4 and IPv6. See `lengths.rs` for the
//! short-length table and `race.rs` for the races.
//!
//! Expected short-length table (every port denied; "ok" is success). The
//! TCP rows were measured on 6.18 (ABI 7); the UDP rows follow
//! security/landlock/net.c of 7.2 and 7.3 and the network stack's answers
//! measured without a sandbox.
//!
//! ```text
//! TCP, CONNECT_TCP and BIND_TCP handled   IPv4 socket                IPv6 socket
//! bind    own family                     0-15 EINVAL, 16-29 EACCES  0-23 EINVAL, 24-29 EACCES
//! bind    AF_UNSPEC (INADDR_ANY)         0-15 EINVAL, 16-29 EACCES  0-23 EINVAL, 24-29 EAFNOSUPPORT
//! bind    the other IP family            0-29 EINVAL                0-29 EINVAL
//! bind    AF_UNIX                        0-15 EINVAL, 16-29 EAFNOSUPPORT  0-23 EINVAL, 24-29 EAFNOSUPPORT
//! connect own family                     0-15 EINVAL, 16-29 EACCES  0-23 EINVAL, 24-29 EACCES
//! connect AF_UNSPEC                      0-1 EINVAL, 2-29 ok        0-1 EINVAL, 2-29 ok
//! connect the other IP family            0-29 EINVAL                0-29 EINVAL
//! connect AF_UNIX                        0-15 EINVAL, 16-29 EAFNOSUPPORT  0-23 EINVAL, 24-29 EAFNOSUPPORT
//!
//! UDP, both rights handled, port 0 bind allowed (bind rows as for TCP)
//! connect own family                     0-15 EINVAL, 16-29 EACCES  0-23 EINVAL, 24-29 EACCES
//! connect AF_UNSPEC                      0-1 EINVAL, 2-29 ok        0-1 EINVAL, 2-29 ok
//! connect the other IP family            0-29 EINVAL                0-29 EINVAL
//! connect AF_UNIX                        0-15 EINVAL, 16-29 EAFNOSUPPORT  0-23 EINVAL, 24-29 EAFNOSUPPORT
//! sendto  own family                     0-15 EINVAL, 16-29 EACCES  0-23 EINVAL, 24-29 EACCES
//! sendto  AF_UNSPEC                      0-15 EINVAL, 16-29 EACCES  0-1 EINVAL, 2-29 EACCES
//! sendto  the other IP family            0-29 EINVAL                0-29 EINVAL
//! sendto  AF_UNIX                        0-15 EINVAL, 16-29 EAFNOSUPPORT  0-29 EINVAL
//!
//! UDP, only BIND_UDP handled, no rule: the denied autobind answers first
//! sendto  any family                     0-29 EACCES (even 0 and 1)
//! connect AF_UNSPEC                      0-1 EINVAL, 2-29 ok
//! connect any other family               0-1 EINVAL, 2-29 EACCES (even short ones)
//! ```
//!
//! Races: on 6.18 each TCP race ran 20000 iterations in about 6.5 s
//! (debug build, 2 cores).

mod bind;
mod connect;
mod lengths;
mod race;
mod sendto;

use llconf_harness::Test;

fn main() {
    let tests: Vec<Test> = [
        connect::tests(),
        bind::tests(),
        sendto::tests(),
        lengths::tests(),
        race::tests(),
    ]
    .concat();
    llconf_harness::runner::main("unspec", tests)
}
