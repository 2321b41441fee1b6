//! Suite `unix`: not written yet.

fn main() {
    llconf_harness::runner::main("unix", Vec::new())
}
