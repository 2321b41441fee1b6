//! Suite `trace`: the Landlock trace events in tracefs (kernels that have
//! them), each read from a trace instance of the test's own, filtered to
//! its own process: an event is emitted for what happened, with the
//! fields that say what, and none for what did not happen. Every test
//! is gated on its event being present in tracefs.

mod fs;
mod net;

use llconf_harness::Test;

fn main() {
    let tests: Vec<Test> = [net::tests(), fs::tests()].concat();
    llconf_harness::runner::main("trace", tests)
}
