//! `audit::layer_order::fs_read::layers_<n>::<which>`: in a stack of 2, 3
//! or 16 layers (the `fs::layer_order` stacks: a denying layer grants
//! WRITE_FILE only, an allowing one READ_FILE too), the record of a denied
//! read names the youngest layer that denied in `domain=`, not the
//! youngest layer; no record when no layer denies. The layers' domain ids
//! come from their landlock_create_domain trace events, so the cases are
//! gated on the trace events as well as on audit.

use crate::common::io_errno;
use crate::objects::path_fields;
use crate::session::Session;
use llconf_harness::fixture::layer_order::{cases, Deniers, LayerCase};
use llconf_harness::fixture::trace::Instance;
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_eq, expect_result, Requirement, Test, TestResult};

const CREATE_DOMAIN: &str = "landlock_create_domain";

fn fs_read(c: LayerCase) -> TestResult {
    let tree = TempTree::with(&["d/f"])?;
    let f = tree.path("d/f");
    let body = format!("blockers=fs.read_file {}", path_fields(&f)?);
    let mut session = Session::open()?;
    let trace = Instance::new(&[CREATE_DOMAIN])?;
    c.enforce_fs_read_stack(&tree.path("d"))?;
    expect_result(
        format!("read {}", f.display()),
        std::fs::read(&f).map(drop).map_err(io_errno),
        c.denied().then_some(llconf_harness::Errno::EACCES),
    )?;
    let ids = trace.domain_chain(c.layers as usize)?;
    match (0..c.layers).rev().find(|&i| c.denies(i)) {
        None => session.expect_no_access(&body),
        Some(i) => {
            let r = session.expect_access(&body)?;
            expect_eq(
                format!("domain of the record ({})", c.name()),
                format!("{:x}", r.domain),
                format!("{:x}", ids[i as usize]),
            )
        }
    }
}

/// The case one layer apart with the other verdict: for a denial, the
/// same stack where no layer denies (no record); for that one, the stack
/// where only the oldest layer denies (a record naming it).
pub fn twin_name(prefix: &str, c: LayerCase) -> String {
    let deniers = if c.denied() {
        Deniers::None
    } else {
        Deniers::Oldest
    };
    let other = LayerCase { deniers, ..c };
    format!("{prefix}::{}", other.name())
}

pub fn tests() -> Vec<Test> {
    const PREFIX: &str = "audit::layer_order::fs_read";
    cases()
        .into_iter()
        .map(|c| {
            c.test(PREFIX, fs_read)
                .requires(Requirement::Audit)
                .requires(Requirement::TraceEvent(CREATE_DOMAIN))
                .serial()
                .twin(twin_name(PREFIX, c))
        })
        .collect()
}
