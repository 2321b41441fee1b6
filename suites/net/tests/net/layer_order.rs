//! `net::layer_order::<proto>::layers_<n>::<which>`: a bind is allowed only
//! when every layer of the stack allows it. Each layer handles the
//! protocol's bind and connect rights; an allowing layer grants both on the
//! port, a denying one only the connect right, one right apart. So the
//! bind is EACCES exactly when some layer denies. IPv4 only: the family is
//! not what this matrix varies.

use llconf_harness::fixture::enter_loopback_netns;
use llconf_harness::fixture::layer_order::{cases, Deniers, LayerCase};
use llconf_harness::{expect_result, Errno, Test, TestResult};
use llconf_net::port::ALLOWED;
use llconf_net::{call, domain, Addr, Family, Proto};

fn stack(p: Proto, c: LayerCase) -> TestResult {
    enter_loopback_netns()?;
    for i in 0..c.layers {
        let grant = if c.denies(i) {
            p.connect_right()
        } else {
            p.all()
        };
        domain::enforce(p.all(), &[(ALLOWED, grant)])?;
    }
    expect_result(
        format!("bind({} port {ALLOWED}) ({})", p.name(), c.name()),
        call::bind(&p.socket(Family::V4)?, &Addr::loopback(Family::V4, ALLOWED)),
        c.denied().then_some(Errno::EACCES),
    )
}

/// A stack where some layer denies is twinned with the stack of the same
/// size where none does, one right apart; that one with the stack where
/// the youngest alone denies.
fn twin(p: Proto, c: LayerCase) -> String {
    let deniers = if c.denied() {
        Deniers::None
    } else {
        Deniers::Youngest
    };
    let t = LayerCase { deniers, ..c };
    format!("net::layer_order::{}::{}", p.name(), t.name())
}

pub fn tests() -> Vec<Test> {
    [Proto::Tcp, Proto::Udp]
        .into_iter()
        .flat_map(|p| {
            cases().into_iter().map(move |c| {
                c.test(&format!("net::layer_order::{}", p.name()), move |c| {
                    stack(p, c)
                })
                .needs(p.feature())
                .twin(twin(p, c))
            })
        })
        .collect()
}
