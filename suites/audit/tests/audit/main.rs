//! Suite `audit`: the Landlock audit records (ABI 7), read as the audit
//! daemon over NETLINK_AUDIT. Every record test runs alone (`serial`),
//! needs root, and skips when a live audit daemon owns the socket.

mod common;
mod denials;
mod denials_child;
mod denials_net;
mod denials_topology;
mod denials_unspec;
mod domains;
mod exec;
mod flags;
mod layer_order;
mod layers;
mod netlink;
mod objects;
mod quiet;
mod quiet_fs;
mod quiet_net;
mod quiet_rename;
mod record;
mod session;
mod trace_ids;

fn main() {
    flags::exec_helper();
    exec::exec_helper();
    let tests = [
        denials::tests(),
        domains::tests(),
        flags::tests(),
        quiet::tests(),
        layer_order::tests(),
        quiet_fs::tests(),
        quiet_rename::tests(),
        quiet_net::tests(),
        denials_net::tests(),
        denials_child::tests(),
        denials_topology::tests(),
        denials_unspec::tests(),
        exec::tests(),
        trace_ids::tests(),
    ]
    .concat();
    llconf_harness::runner::main("audit", tests)
}
