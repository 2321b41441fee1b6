//! `unix::<type>::precedence`: which errno wins when the path lookup itself
//! fails. The kernel resolves the path and finds the bound socket before it
//! asks Landlock, so lookup errors (ENOENT, ECONNREFUSED, EPROTOTYPE) come
//! first, whether or not a rule covers the path.

use crate::domain::{enforce_resolve, resolve_case, with_twin};
use crate::server::{self, listen_at};
use crate::sock::{expect_reach, path_addr, Type};
use llconf_harness::fixture::{Peer, TempTree};
use llconf_harness::{expect_ok, Errno, Stop, Test, TestResult};

/// What sits at `srv/target` when the client tries it.
#[derive(Clone, Copy)]
enum Target {
    Missing,
    RegularFile,
    /// A socket file whose socket was closed.
    Stale,
    /// A live server of another socket type.
    WrongType,
}

impl Target {
    fn errno(self) -> Errno {
        match self {
            Target::Missing => Errno::ENOENT,
            Target::RegularFile | Target::Stale => Errno::ECONNREFUSED,
            Target::WrongType => Errno::EPROTOTYPE,
        }
    }

    fn prepare(self, ty: Type, t: &TempTree) -> Result<Option<Peer>, Stop> {
        let target = t.path("srv/target");
        match self {
            Target::Missing => Ok(None),
            Target::RegularFile => {
                std::fs::write(&target, b"not a socket")
                    .map_err(|e| llconf_harness::fail(format!("write srv/target: {e}")))?;
                Ok(None)
            }
            Target::Stale => {
                let srv = expect_ok("bind srv/target", listen_at(ty, &path_addr(&target)?))?;
                drop(srv);
                Ok(None)
            }
            Target::WrongType => Ok(Some(server::spawn(ty.other(), &[path_addr(&target)?])?)),
        }
    }
}

fn check(ty: Type, target: Target, inside_rule: bool) -> TestResult {
    let t = TempTree::with(&["srv/", "elsewhere/"])?;
    let _peer = target.prepare(ty, &t)?;
    let allowed = if inside_rule { "srv" } else { "elsewhere" };
    enforce_resolve(&[&t.path(allowed)])?;
    expect_reach(ty, &path_addr(&t.path("srv/target"))?, Some(target.errno()))
}

pub fn tests() -> Vec<Test> {
    // An error that comes before Landlock's check wins over it. Outside
    // the rule, the twin is the same rule with a live socket there, which
    // Landlock denies (EACCES); inside it, the twin is the same target one
    // rule apart, outside it, with the same errno.
    macro_rules! case {
        ($name:literal, $target:expr, $inside:expr) => {{
            let outside = $name.replace("_inside_rule_", "_outside_rule_");
            let twin = if $inside {
                format!("precedence::{outside}")
            } else {
                "connect::denied_outside_rule".to_string()
            };
            with_twin(
                resolve_case("precedence", $name, |ty| check(ty, $target, $inside)),
                &twin,
            )
        }};
    }
    [
        case!("missing_path_outside_rule_enoent", Target::Missing, false),
        case!("missing_path_inside_rule_enoent", Target::Missing, true),
        case!(
            "not_a_socket_outside_rule_econnrefused",
            Target::RegularFile,
            false
        ),
        case!(
            "not_a_socket_inside_rule_econnrefused",
            Target::RegularFile,
            true
        ),
        case!(
            "stale_socket_outside_rule_econnrefused",
            Target::Stale,
            false
        ),
        case!("stale_socket_inside_rule_econnrefused", Target::Stale, true),
        case!(
            "wrong_type_outside_rule_eprototype",
            Target::WrongType,
            false
        ),
        case!("wrong_type_inside_rule_eprototype", Target::WrongType, true),
    ]
    .concat()
}
