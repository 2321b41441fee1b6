//! Suite `audit`: the Landlock audit records (ABI 7), read as the audit
//! daemon over NETLINK_AUDIT. Every record test runs alone (`serial`),
//! needs root, and skips when a live audit daemon owns the socket.

mod common;
mod denials;
mod domains;
mod flags;
mod netlink;
mod objects;
mod quiet;
mod record;
mod session;

fn main() {
    flags::exec_helper();
    let tests = [
        denials::tests(),
        domains::tests(),
        flags::tests(),
        quiet::tests(),
    ]
    .concat();
    llconf_harness::runner::main("audit", tests)
}
