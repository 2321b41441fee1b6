//! Suite `fs`: not written yet.

fn main() {
    llconf_harness::runner::main("fs", Vec::new())
}
