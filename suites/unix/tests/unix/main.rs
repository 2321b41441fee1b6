//! Suite `unix`: reaching named UNIX sockets under
//! LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9), the abstract-socket scope (ABI
//! 6), and what older kernels must do without them. Every behaviour case
//! runs once per socket type: stream, dgram and seqpacket sockets reach
//! their server on different kernel paths.

mod abstract_scope;
mod connect;
mod coredump;
mod domain;
mod layer_order;
mod layers;
mod older_abi;
mod precedence;
mod races;
mod ruleset;
mod same_domain;
mod scope_relations;
mod send;
mod server;
mod sock;
mod unaffected;

fn main() {
    let tests = [
        ruleset::tests(),
        connect::tests(),
        send::tests(),
        same_domain::tests(),
        layers::tests(),
        layer_order::tests(),
        unaffected::tests(),
        precedence::tests(),
        abstract_scope::tests(),
        scope_relations::tests(),
        older_abi::tests(),
        races::tests(),
        coredump::tests(),
    ]
    .concat();
    llconf_harness::runner::main("unix", tests)
}
