//! Suite `fs`: every Landlock filesystem right, granted and denied, with
//! file rules, layering, reparenting, truncation, device ioctls, mounts and
//! the behaviour of kernels older than each right, and the filesystem errata
//! (whiteouts, disconnected directories) against the errata bits.

mod common;
mod errata;
mod file_passing;
mod ioctl;
mod layer_order;
mod layers;
mod mounts;
mod object_kinds;
mod older_abi;
mod other_ops;
mod paths;
mod refer;
mod released;
mod rename_matrix;
mod rights;
mod rule_merge;
mod rule_objects;
mod truncate;
mod unmounted;

use llconf_harness::Test;

fn main() {
    let tests: Vec<Test> = [
        rights::tests(),
        other_ops::tests(),
        rule_objects::tests(),
        layers::tests(),
        layer_order::tests(),
        refer::tests(),
        rename_matrix::tests(),
        rule_merge::tests(),
        truncate::tests(),
        ioctl::tests(),
        mounts::tests(),
        paths::tests(),
        older_abi::tests(),
        errata::tests(),
        unmounted::tests(),
        released::tests(),
        object_kinds::tests(),
        file_passing::tests(),
    ]
    .concat();
    llconf_harness::runner::main("fs", tests)
}
