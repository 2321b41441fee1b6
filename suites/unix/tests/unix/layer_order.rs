//! `unix::layer_order::<type>::layers_<n>::<which>`: an abstract socket
//! created outside the domain is reachable only when no layer of the stack
//! scopes abstract sockets. A denying layer has
//! LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, an allowing one scopes nothing and
//! handles only LANDLOCK_ACCESS_FS_EXECUTE, which the test never uses. (Not
//! LANDLOCK_SCOPE_SIGNAL: the test could then not kill its server, forked
//! outside the domain.) Stream and datagram sockets, which the kernel
//! checks in different hooks (connect and send).

use crate::domain::SCOPE_ABSTRACT;
use crate::server;
use crate::sock::{abstract_addr, expect_reach, Type};
use llconf_harness::abi::{fs, scope};
use llconf_harness::fixture::layer_order::{cases, Deniers, LayerCase};
use llconf_harness::{Errno, Ruleset, Test, TestResult};

fn stack(ty: Type, c: LayerCase) -> TestResult {
    let abs = abstract_addr("outside")?;
    let _peer = server::spawn(ty, &[abs])?;
    for i in 0..c.layers {
        if c.denies(i) {
            Ruleset::scoped(scope::ABSTRACT_UNIX_SOCKET)?.enforce()?;
        } else {
            Ruleset::fs(fs::EXECUTE)?.enforce()?;
        }
    }
    expect_reach(ty, &abs, c.denied().then_some(Errno::EPERM))
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
    [Type::Stream, Type::Dgram]
        .into_iter()
        .flat_map(|ty| {
            cases().into_iter().map(move |c| {
                c.test(&format!("unix::layer_order::{ty}"), move |c| stack(ty, c))
                    .needs(SCOPE_ABSTRACT)
                    .twin(format!("unix::layer_order::{ty}::{}", twin(c).name()))
            })
        })
        .collect()
}
