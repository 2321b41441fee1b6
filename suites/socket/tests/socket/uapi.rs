//! `socket::uapi`: what kernels without the proposal must answer to its
//! ruleset field and rule type. This is conformance for every merged ABI.

use crate::proposed::{Shape, SocketAttr, FIRST_POSSIBLE_ABI, RULE_SOCKET, WILDCARD};
use llconf_harness::abi::{self as uapi, ruleset_attr_size};
use llconf_harness::{expect_errno, expect_ok, probe, sys, Errno, Requirement, Test, TestResult};
use std::os::fd::AsRawFd;

/// A field past the struct the kernel knows is E2BIG when non-zero
/// (copy_struct_from_user); a field the kernel does know carries a bit it
/// rejects, which is EINVAL.
fn expected_for(shape: Shape, abi: u32) -> Errno {
    if shape.field_offset() >= ruleset_attr_size(abi) {
        Errno::E2BIG
    } else {
        Errno::EINVAL
    }
}

fn nonzero_field_rejected(shape: Shape) -> TestResult {
    let abi = probe::kernel().abi;
    let attr = shape.ruleset_attr(shape.create_bit());
    expect_errno(
        format!(
            "create_ruleset({} = {:#x} at byte {}, size {}) on ABI {abi}",
            shape.field(),
            shape.create_bit(),
            shape.field_offset(),
            attr.len()
        ),
        sys::create_ruleset_bytes(&attr, attr.len(), 0),
        expected_for(shape, abi),
    )
}

/// The same size with the field left zero is accepted: the size alone is
/// not what the kernel refuses.
fn zero_field_accepted(shape: Shape) -> TestResult {
    let mut attr = shape.ruleset_attr(0);
    attr[..8].copy_from_slice(&uapi::fs::EXECUTE.to_ne_bytes());
    expect_ok(
        format!(
            "create_ruleset(handled_access_fs = EXECUTE, {} = 0, size {})",
            shape.field(),
            attr.len()
        ),
        sys::create_ruleset_bytes(&attr, attr.len(), 0),
    )
    .map(drop)
}

fn socket_attr() -> SocketAttr {
    SocketAttr {
        allowed_access: Shape::AccessSocket.create_bit(),
        family: libc::AF_INET,
        type_: WILDCARD,
        protocol: WILDCARD,
    }
}

fn rule_type_einval() -> TestResult {
    let attr = uapi_fs_ruleset()?;
    let rule = socket_attr();
    // SAFETY: rule lives across the call.
    let r = unsafe {
        sys::add_rule_raw(
            attr.as_raw_fd(),
            RULE_SOCKET,
            (&rule as *const SocketAttr).cast(),
            0,
        )
    };
    expect_errno(
        format!("add_rule(type {RULE_SOCKET}) on a filesystem ruleset"),
        r,
        Errno::EINVAL,
    )
}

/// The ruleset fd is checked before the rule type, on every ABI.
fn rule_type_bad_fd_ebadf() -> TestResult {
    let rule = socket_attr();
    // SAFETY: rule lives across the call.
    let r = unsafe { sys::add_rule_raw(-1, RULE_SOCKET, (&rule as *const SocketAttr).cast(), 0) };
    expect_errno(
        format!("add_rule(fd -1, type {RULE_SOCKET})"),
        r,
        Errno::EBADF,
    )
}

fn uapi_fs_ruleset() -> Result<std::os::fd::OwnedFd, llconf_harness::Stop> {
    let attr = llconf_harness::RulesetAttr {
        handled_access_fs: uapi::fs::EXECUTE,
        ..Default::default()
    };
    expect_ok(
        "create_ruleset(handled_access_fs = EXECUTE)",
        sys::create_ruleset(&attr, 8, 0),
    )
}

pub fn tests() -> Vec<Test> {
    let unmerged = Requirement::AbiBelow {
        version: FIRST_POSSIBLE_ABI,
        what: "the answer of kernels without socket creation control",
    };
    let mut tests = Vec::new();
    for shape in Shape::ALL {
        let field = shape.field();
        // Twins one field value apart: the same size, the field non-zero
        // (refused) or zero (accepted).
        let nonzero = format!("socket::uapi::{field}::nonzero_past_known_struct");
        let zero = format!("socket::uapi::{field}::zero_at_proposed_size_accepted");
        tests.push(
            Test::new(nonzero.clone(), move || nonzero_field_rejected(shape))
                .requires(unmerged.clone())
                .twin(zero.clone()),
        );
        tests.push(
            Test::new(zero, move || zero_field_accepted(shape))
                .requires(Requirement::Landlock)
                .twin(nonzero),
        );
    }
    tests.push(
        Test::new(
            "socket::uapi::rule_socket::unknown_type_einval",
            rule_type_einval,
        )
        .requires(unmerged)
        .untwinned("a rule type the kernel does not know has no accepted counterpart there"),
    );
    tests.push(
        Test::new(
            "socket::uapi::rule_socket::bad_fd_before_type_ebadf",
            rule_type_bad_fd_ebadf,
        )
        .requires(Requirement::Landlock)
        .untwinned("a malformed argument (fd -1) has no accepted counterpart"),
    );
    tests
}
