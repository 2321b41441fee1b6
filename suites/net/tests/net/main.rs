//! Suite `net`: the network rights. TCP bind and connect (ABI 4), UDP bind
//! and connect-or-send (ABI 10), each over IPv4 and IPv6, with delivery
//! counted by a peer, the argument checks that come before the rights, the
//! independence of the TCP and UDP rights, MPTCP (erratum 1), and what
//! older ABIs answer.
//!
//! Every test enters its own network namespace with loopback up before it
//! creates a socket, so fixed ports never collide.

mod args;
mod bind;
mod independence;
mod layer_order;
mod older_abi;
mod rule_merge;
mod tcp;
mod udp_bind;
mod udp_connect;
mod udp_send;
mod unchecked;

use llconf_harness::Test;

fn main() {
    let tests: Vec<Test> = [
        tcp::tests(),
        udp_bind::tests(),
        udp_connect::tests(),
        udp_send::tests(),
        args::tests(),
        independence::tests(),
        layer_order::tests(),
        older_abi::tests(),
        rule_merge::tests(),
    ]
    .concat();
    llconf_harness::runner::main("net", tests)
}
