//! Suite `base`: the argument checks of the three Landlock syscalls, each
//! gated by the ABI that introduced it, plus the smallest enforcement checks.

mod add_rule;
mod create_ruleset;
mod parent_fd;
mod quiet;
mod restrict_self;
mod ruleset_fd;
mod version;

use llconf_harness::probe;
use llconf_harness::Test;

/// The running kernel's ABI, or 0 when Landlock is not enabled.
pub fn abi() -> u32 {
    probe::kernel().abi
}

fn main() {
    let tests: Vec<Test> = [
        version::tests(),
        create_ruleset::tests(),
        ruleset_fd::tests(),
        add_rule::tests(),
        parent_fd::tests(),
        restrict_self::tests(),
        quiet::tests(),
    ]
    .concat();
    llconf_harness::runner::main("base", tests)
}
