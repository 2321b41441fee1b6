//! Suite `audit`: not written yet.

fn main() {
    llconf_harness::runner::main("audit", Vec::new())
}
