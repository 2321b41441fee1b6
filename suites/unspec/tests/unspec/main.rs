//! Suite `unspec`: not written yet.

fn main() {
    llconf_harness::runner::main("unspec", Vec::new())
}
