//! Suite `socket`: not written yet.

fn main() {
    llconf_harness::runner::main("socket", Vec::new())
}
