//! Suite `task`: what a Landlock domain does to other processes. A
//! sandboxed process may ptrace only processes in its own domain or one
//! nested in it (ABI 1), whichever side asks (PTRACE_ATTACH, /proc/PID/mem,
//! PTRACE_TRACEME); and with LANDLOCK_SCOPE_SIGNAL (ABI 6) the SIGIO a file
//! sends to its owner follows the domain of whoever set that owner. A
//! domain also survives credentials installed from another process
//! (KEYCTL_SESSION_TO_PARENT), and LANDLOCK_RESTRICT_SELF_TSYNC (ABI 8)
//! puts every thread of the process in the new domain.

mod cred_transfer;
mod domains;
mod layer_order;
mod ptrace;
mod races;
mod relations;
mod sigio;
mod signal_scope;
mod tsync;

use llconf_harness::Test;

fn main() {
    let tests: Vec<Test> = [
        ptrace::tests(),
        sigio::tests(),
        signal_scope::tests(),
        cred_transfer::tests(),
        tsync::tests(),
        layer_order::tests(),
        relations::tests(),
        races::tests(),
    ]
    .concat();
    llconf_harness::runner::main("task", tests)
}
