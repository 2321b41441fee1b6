//! What a test body returns, and the checks that build it.
//!
//! A failed check carries the call that was made, the errno the kernel must
//! return and the one it did return, so that the report tells a kernel
//! developer exactly what broke.

use llconf_record::{self as record, ErrnoOrSuccess, Failure, SuccessTag};
use nix::errno::Errno;
use std::fmt::Display;

/// Why a test body stopped early.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    Failed(Failure),
    /// Found at run time that the test cannot run here (for example auditd
    /// owns the audit socket). Never a pass.
    Skipped(String),
    /// Failed as the known issue `id` of `suites/known-issues.toml` makes
    /// this kernel fail (the behaviour of a kernel without an erratum's
    /// fix): a known failure, not a pass.
    Known {
        id: String,
        failure: Failure,
    },
}

pub type TestResult = Result<(), Stop>;

pub fn errno_record(e: Errno) -> record::Errno {
    record::Errno {
        name: format!("{e:?}"),
        code: e as i32,
    }
}

fn as_observed<T>(r: &Result<T, Errno>) -> ErrnoOrSuccess {
    match r {
        Ok(_) => ErrnoOrSuccess::Success(SuccessTag::Success),
        Err(e) => ErrnoOrSuccess::Errno(errno_record(*e)),
    }
}

/// A plain failure with a message.
pub fn fail(message: impl Display) -> Stop {
    Stop::Failed(Failure::Assertion {
        message: message.to_string(),
        expected: None,
        observed: None,
    })
}

pub fn skip(reason: impl Display) -> Stop {
    Stop::Skipped(reason.to_string())
}

/// The kernel showed the behaviour of a kernel without the fix for erratum
/// `n`, as its errata answer (or the lack of one) allows: a known failure
/// that names the erratum, never a pass.
pub fn lacks_erratum(n: u32, observed: impl Display) -> Stop {
    Stop::Known {
        id: format!("erratum-{n}"),
        failure: Failure::Assertion {
            message: format!("kernel lacks the fix for erratum {n}: {observed}"),
            expected: None,
            observed: None,
        },
    }
}

/// Asserts that `what` failed with exactly `expected`.
pub fn expect_errno<T>(what: impl Display, r: Result<T, Errno>, expected: Errno) -> TestResult {
    match r {
        Err(e) if e == expected => Ok(()),
        other => Err(Stop::Failed(Failure::Assertion {
            message: what.to_string(),
            expected: Some(ErrnoOrSuccess::Errno(errno_record(expected))),
            observed: Some(as_observed(&other)),
        })),
    }
}

/// Asserts that `what` succeeded, and hands back its value.
pub fn expect_ok<T>(what: impl Display, r: Result<T, Errno>) -> Result<T, Stop> {
    match r {
        Ok(v) => Ok(v),
        Err(e) => Err(Stop::Failed(Failure::Assertion {
            message: what.to_string(),
            expected: Some(ErrnoOrSuccess::Success(SuccessTag::Success)),
            observed: Some(ErrnoOrSuccess::Errno(errno_record(e))),
        })),
    }
}

/// Asserts that `what` gave the expected outcome: `None` for success.
pub fn expect_result<T>(
    what: impl Display,
    r: Result<T, Errno>,
    expected: Option<Errno>,
) -> TestResult {
    match expected {
        Some(e) => expect_errno(what, r, e),
        None => expect_ok(what, r).map(drop),
    }
}

/// Asserts equality of two plain values.
pub fn expect_eq<T: PartialEq + std::fmt::Debug>(
    what: impl Display,
    observed: T,
    expected: T,
) -> TestResult {
    if observed == expected {
        Ok(())
    } else {
        Err(fail(format!(
            "{what}: expected {expected:?}, observed {observed:?}"
        )))
    }
}

/// Turns a setup error (not the thing under test) into a failure with
/// context, so that `?` reads naturally in test bodies.
pub trait OrFail<T> {
    fn or_fail(self, what: impl Display) -> Result<T, Stop>;
}

impl<T, E: Display> OrFail<T> for Result<T, E> {
    fn or_fail(self, what: impl Display) -> Result<T, Stop> {
        self.map_err(|e| fail(format!("{what}: {e}")))
    }
}

/// `ensure!(cond, "message {}", x)` fails the test with the message.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err($crate::check::fail(format!($($msg)+)));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_errno_names_both_sides() {
        let r: Result<(), Errno> = Err(Errno::EPERM);
        let Err(Stop::Failed(f)) = expect_errno("restrict_self", r, Errno::EACCES) else {
            panic!("must fail");
        };
        assert_eq!(
            f.to_string(),
            "restrict_self: expected EACCES (13), observed EPERM (1)"
        );
    }

    #[test]
    fn success_where_an_errno_was_due_fails() {
        let Err(Stop::Failed(f)) = expect_errno("open", Ok::<_, Errno>(3), Errno::EACCES) else {
            panic!("must fail");
        };
        assert_eq!(
            f.to_string(),
            "open: expected EACCES (13), observed success"
        );
    }
}
