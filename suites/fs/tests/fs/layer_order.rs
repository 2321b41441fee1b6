//! `fs::layer_order::layers_<n>::<which>`: a read is allowed only when every
//! layer of the stack allows it. Each layer handles READ_FILE and
//! WRITE_FILE; an allowing layer grants both beneath d/, a denying one only
//! WRITE_FILE, one right apart. So the read of d/f is EACCES exactly when
//! some layer denies, and the write is allowed in every case: a kernel
//! that denies too much fails as surely as one that allows too much.

use crate::common::try_open;
use llconf_harness::fixture::layer_order::{cases, Deniers, LayerCase};
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_result, Errno, Test, TestResult};

fn stack(c: LayerCase) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    let f = t.path("d/f");
    c.enforce_fs_read_stack(&t.path("d"))?;
    expect_result(
        format!("write {} ({})", f.display(), c.name()),
        try_open(&f, libc::O_WRONLY),
        None,
    )?;
    expect_result(
        format!("read {} ({})", f.display(), c.name()),
        try_open(&f, libc::O_RDONLY),
        c.denied().then_some(Errno::EACCES),
    )
}

pub fn tests() -> Vec<Test> {
    cases()
        .into_iter()
        .map(|c| {
            // The stack where none denies is the twin of every other of
            // its size; its own twin is the one whose youngest layer
            // lacks READ_FILE, one right apart.
            let twin = LayerCase {
                layers: c.layers,
                deniers: if c.denied() {
                    Deniers::None
                } else {
                    Deniers::Youngest
                },
            };
            let t = Test::new(format!("fs::layer_order::{}", c.name()), move || stack(c))
                .enforcement()
                .twin(format!("fs::layer_order::{}", twin.name()));
            match c.requirement() {
                Some(r) => t.requires(r),
                None => t,
            }
        })
        .collect()
}
