//! Suite `net`: not written yet.

fn main() {
    llconf_harness::runner::main("net", Vec::new())
}
