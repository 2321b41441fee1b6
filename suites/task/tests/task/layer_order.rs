//! `task::layer_order::signal::layers_<n>::<which>`: a process outside the
//! domain may be signalled only when no layer of the stack scopes signals.
//! A denying layer has LANDLOCK_SCOPE_SIGNAL, an allowing one only
//! LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, one scope apart. The target is a
//! child forked before the first layer; kill(child, 0) asks the same
//! question as a real signal without delivering one.

use llconf_harness::abi::scope;
use llconf_harness::fixture::layer_order::{cases, Deniers, LayerCase};
use llconf_harness::fixture::peer::sleeper;
use llconf_harness::{expect_result, Errno, Ruleset, Test, TestResult};
use nix::sys::signal::kill;

fn stack(c: LayerCase) -> TestResult {
    // A sleeper leaves by itself: the sandboxed test may not kill it.
    let child = sleeper()?;
    let mut enforced = Ok(());
    for i in 0..c.layers {
        let scopes = if c.denies(i) {
            scope::SIGNAL
        } else {
            scope::ABSTRACT_UNIX_SOCKET
        };
        enforced = Ruleset::scoped(scopes).and_then(|rs| rs.enforce());
        if enforced.is_err() {
            break;
        }
    }
    let r = enforced.as_ref().ok().map(|_| kill(child.pid(), None));
    drop(child);
    enforced?;
    expect_result(
        format!("kill(child outside the domain, 0) ({})", c.name()),
        r.expect("enforced"),
        c.denied().then_some(Errno::EPERM),
    )
}

/// A stack where some layer denies is twinned with the stack of the same
/// size where none does, one scope apart; that one with the stack where
/// the youngest alone denies.
fn twin(c: LayerCase) -> LayerCase {
    let deniers = if c.denied() {
        Deniers::None
    } else {
        Deniers::Youngest
    };
    LayerCase { deniers, ..c }
}

pub fn tests() -> Vec<Test> {
    cases()
        .into_iter()
        .map(|c| {
            c.test("task::layer_order::signal", stack)
                .needs("LANDLOCK_SCOPE_SIGNAL")
                .needs("LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET")
                .twin(format!("task::layer_order::signal::{}", twin(c).name()))
        })
        .collect()
}
