//! Suite `trace`: the 14 Landlock trace events of tracefs (kernels that
//! have them), each read from a trace instance of the test's own: an
//! event is emitted for what happened, with the exact fields that say
//! what (ids that agree across events, rights by name, objects, flags),
//! and none for what did not happen or while the event is not enabled.
//! Every test is gated on its event being present in tracefs.
//!
//! - `common`: event names, flag names, the escaping of untrusted strings,
//!   a stepped child process.
//! - `ruleset`: create_ruleset, free_ruleset, add_rule_* (and path escaping).
//! - `domain`: create_domain, enforce_domain, free_domain.
//! - `interrupted`: free_domain for each attempt of a TSYNC call that a
//!   signal interrupted and restarted.
//! - `check_rule`: check_rule_inode, check_rule_net_port.
//! - `fs`, `net`: deny_access_fs (and `logged`), deny_access_net.
//! - `topology`: deny_access_fs for umount and remount, whose path is the
//!   dentry's inside its filesystem.
//! - `scope`: deny_ptrace, deny_scope_signal, deny_scope_abstract_unix_socket.
//! - `disabled`: no event in an instance where it is not enabled.
//! - `layer_order`: which of 2, 3 or 16 layers a denial names, and whose
//!   log flags decide `logged`.

mod check_rule;
mod common;
mod disabled;
mod domain;
mod fs;
mod interrupted;
mod layer_order;
mod net;
mod ruleset;
mod scope;
mod topology;

use llconf_harness::Test;

fn main() {
    let tests: Vec<Test> = [
        ruleset::tests(),
        domain::tests(),
        interrupted::tests(),
        check_rule::tests(),
        fs::tests(),
        topology::tests(),
        net::tests(),
        scope::tests(),
        disabled::tests(),
        layer_order::tests(),
    ]
    .concat();
    llconf_harness::runner::main("trace", tests)
}
