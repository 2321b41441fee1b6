//! `fs::rule_merge::*`: two rules for one directory, in both orders. Within
//! one ruleset the kernel merges them into one rule whose rights are the
//! union (security/landlock/ruleset.c, landlock_store_rule: `access |=`),
//! whichever comes first; across layers each layer keeps its own rule and
//! an access needs every layer's (the intersection). A quiet rule
//! (LANDLOCK_ADD_RULE_QUIET, ABI 10) grants its rights like any rule: the
//! flag only silences the denial records (an audit matter, not checked
//! here), and a quiet rule with no rights grants nothing.
//!
//! The directory is `d`; the narrow right is READ_FILE, the extra one
//! WRITE_FILE; MAKE_REG is handled and never granted, the witness that the
//! domain is in force. Each cell opens d/f for reading or for writing.

use crate::common::*;
use llconf_harness::abi::{add_rule::QUIET, fs};
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_errno, expect_ok, expect_result, ruleset, sys, Errno, OrFail, RulesetAttr, Test,
    TestResult,
};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

const N: u64 = fs::READ_FILE;
const X: u64 = fs::WRITE_FILE;
const HANDLED: u64 = N | X | fs::MAKE_REG;

/// One rule on `d`: its rights and whether it carries the quiet flag.
#[derive(Clone, Copy, Debug)]
struct Rule {
    access: u64,
    quiet: bool,
}

const fn p(access: u64) -> Rule {
    Rule {
        access,
        quiet: false,
    }
}
const fn q(access: u64) -> Rule {
    Rule {
        access,
        quiet: true,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Probe {
    /// open(d/f, O_RDONLY): the narrow right.
    Read,
    /// open(d/f, O_WRONLY): the extra right.
    Write,
}

/// One cell: `scope::variant::probe_verdict`, its layers of rules (each
/// layer a ruleset of its own), what the probe must give, and its twin as
/// `scope::variant::probe_verdict`.
struct Cell {
    scope: &'static str,
    variant: &'static str,
    layers: &'static [&'static [Rule]],
    probe: Probe,
    expect: Option<Errno>,
    twin: &'static str,
}

impl Cell {
    fn quiet(&self) -> bool {
        self.scope.starts_with("quiet")
    }
    fn case(&self) -> String {
        let probe = match self.probe {
            Probe::Read => "read",
            Probe::Write => "write",
        };
        let verdict = if self.expect.is_none() {
            "allowed"
        } else {
            "eacces"
        };
        format!("{}::{}::{probe}_{verdict}", self.scope, self.variant)
    }
}

const OK: Option<Errno> = None;
const EACCES: Option<Errno> = Some(Errno::EACCES);

macro_rules! cell {
    ($scope:literal, $variant:literal, $layers:expr, $probe:ident, $expect:expr, $twin:literal) => {
        Cell {
            scope: $scope,
            variant: $variant,
            layers: $layers,
            probe: Probe::$probe,
            expect: $expect,
            twin: $twin,
        }
    };
}

/// The table, shared in shape with net::rule_merge.
const CELLS: &[Cell] = &[
    // One ruleset: the union, whatever the order.
    cell!(
        "one_ruleset",
        "narrow_then_wide",
        &[&[p(N), p(N | X)]],
        Read,
        OK,
        "one_ruleset::extra_twice::read_eacces"
    ),
    cell!(
        "one_ruleset",
        "narrow_then_wide",
        &[&[p(N), p(N | X)]],
        Write,
        OK,
        "two_layers::narrow_then_wide::write_eacces"
    ),
    cell!(
        "one_ruleset",
        "wide_then_narrow",
        &[&[p(N | X), p(N)]],
        Read,
        OK,
        "one_ruleset::extra_twice::read_eacces"
    ),
    cell!(
        "one_ruleset",
        "wide_then_narrow",
        &[&[p(N | X), p(N)]],
        Write,
        OK,
        "two_layers::wide_then_narrow::write_eacces"
    ),
    cell!(
        "one_ruleset",
        "narrow_twice",
        &[&[p(N), p(N)]],
        Read,
        OK,
        "one_ruleset::extra_twice::read_eacces"
    ),
    cell!(
        "one_ruleset",
        "narrow_twice",
        &[&[p(N), p(N)]],
        Write,
        EACCES,
        "one_ruleset::narrow_then_extra::write_allowed"
    ),
    cell!(
        "one_ruleset",
        "narrow_then_extra",
        &[&[p(N), p(X)]],
        Read,
        OK,
        "one_ruleset::extra_twice::read_eacces"
    ),
    cell!(
        "one_ruleset",
        "narrow_then_extra",
        &[&[p(N), p(X)]],
        Write,
        OK,
        "one_ruleset::narrow_twice::write_eacces"
    ),
    cell!(
        "one_ruleset",
        "extra_twice",
        &[&[p(X), p(X)]],
        Read,
        EACCES,
        "one_ruleset::narrow_then_extra::read_allowed"
    ),
    cell!(
        "one_ruleset",
        "extra_twice",
        &[&[p(X), p(X)]],
        Write,
        OK,
        "one_ruleset::narrow_twice::write_eacces"
    ),
    // Two layers: the intersection, whatever the order.
    cell!(
        "two_layers",
        "narrow_then_wide",
        &[&[p(N)], &[p(N | X)]],
        Read,
        OK,
        "two_layers::wide_then_extra::read_eacces"
    ),
    cell!(
        "two_layers",
        "narrow_then_wide",
        &[&[p(N)], &[p(N | X)]],
        Write,
        EACCES,
        "one_ruleset::narrow_then_wide::write_allowed"
    ),
    cell!(
        "two_layers",
        "wide_then_narrow",
        &[&[p(N | X)], &[p(N)]],
        Read,
        OK,
        "two_layers::wide_then_extra::read_eacces"
    ),
    cell!(
        "two_layers",
        "wide_then_narrow",
        &[&[p(N | X)], &[p(N)]],
        Write,
        EACCES,
        "one_ruleset::wide_then_narrow::write_allowed"
    ),
    cell!(
        "two_layers",
        "wide_twice",
        &[&[p(N | X)], &[p(N | X)]],
        Read,
        OK,
        "two_layers::wide_then_extra::read_eacces"
    ),
    cell!(
        "two_layers",
        "wide_twice",
        &[&[p(N | X)], &[p(N | X)]],
        Write,
        OK,
        "two_layers::wide_then_narrow::write_eacces"
    ),
    cell!(
        "two_layers",
        "wide_then_extra",
        &[&[p(N | X)], &[p(X)]],
        Read,
        EACCES,
        "two_layers::wide_twice::read_allowed"
    ),
    cell!(
        "two_layers",
        "wide_then_extra",
        &[&[p(N | X)], &[p(X)]],
        Write,
        OK,
        "two_layers::wide_then_narrow::write_eacces"
    ),
    // Quiet rules in one ruleset: merged like any rule, both orders.
    cell!(
        "quiet_one_ruleset",
        "plain_then_quiet",
        &[&[p(N), q(X)]],
        Read,
        OK,
        "quiet_one_ruleset::quiet_twice::read_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "plain_then_quiet",
        &[&[p(N), q(X)]],
        Write,
        OK,
        "quiet_one_ruleset::plain_then_quiet_empty::write_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_then_plain",
        &[&[q(X), p(N)]],
        Read,
        OK,
        "quiet_one_ruleset::quiet_twice::read_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_then_plain",
        &[&[q(X), p(N)]],
        Write,
        OK,
        "quiet_one_ruleset::quiet_empty_then_plain::write_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "plain_then_quiet_empty",
        &[&[p(N), q(0)]],
        Read,
        OK,
        "quiet_one_ruleset::quiet_twice::read_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "plain_then_quiet_empty",
        &[&[p(N), q(0)]],
        Write,
        EACCES,
        "quiet_one_ruleset::plain_then_quiet::write_allowed"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_empty_then_plain",
        &[&[q(0), p(N)]],
        Read,
        OK,
        "quiet_one_ruleset::quiet_twice::read_eacces"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_empty_then_plain",
        &[&[q(0), p(N)]],
        Write,
        EACCES,
        "quiet_one_ruleset::quiet_then_plain::write_allowed"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_twice",
        &[&[q(X), q(X)]],
        Read,
        EACCES,
        "quiet_one_ruleset::quiet_then_plain::read_allowed"
    ),
    cell!(
        "quiet_one_ruleset",
        "quiet_twice",
        &[&[q(X), q(X)]],
        Write,
        OK,
        "quiet_one_ruleset::plain_then_quiet_empty::write_eacces"
    ),
    // Quiet rules across layers: intersected like any rule.
    cell!(
        "quiet_two_layers",
        "plain_then_quiet",
        &[&[p(N | X)], &[q(N)]],
        Read,
        OK,
        "quiet_two_layers::plain_then_quiet_empty::read_eacces"
    ),
    cell!(
        "quiet_two_layers",
        "plain_then_quiet",
        &[&[p(N | X)], &[q(N)]],
        Write,
        EACCES,
        "quiet_two_layers::plain_then_quiet_wide::write_allowed"
    ),
    cell!(
        "quiet_two_layers",
        "quiet_then_plain",
        &[&[q(N | X)], &[p(N)]],
        Read,
        OK,
        "quiet_two_layers::plain_then_quiet_empty::read_eacces"
    ),
    cell!(
        "quiet_two_layers",
        "quiet_then_plain",
        &[&[q(N | X)], &[p(N)]],
        Write,
        EACCES,
        "quiet_two_layers::quiet_then_plain_wide::write_allowed"
    ),
    cell!(
        "quiet_two_layers",
        "plain_then_quiet_wide",
        &[&[p(N | X)], &[q(N | X)]],
        Read,
        OK,
        "quiet_two_layers::plain_then_quiet_empty::read_eacces"
    ),
    cell!(
        "quiet_two_layers",
        "plain_then_quiet_wide",
        &[&[p(N | X)], &[q(N | X)]],
        Write,
        OK,
        "quiet_two_layers::plain_then_quiet::write_eacces"
    ),
    cell!(
        "quiet_two_layers",
        "quiet_then_plain_wide",
        &[&[q(N | X)], &[p(N | X)]],
        Read,
        OK,
        "quiet_two_layers::plain_then_quiet_empty::read_eacces"
    ),
    cell!(
        "quiet_two_layers",
        "quiet_then_plain_wide",
        &[&[q(N | X)], &[p(N | X)]],
        Write,
        OK,
        "quiet_two_layers::quiet_then_plain::write_eacces"
    ),
    // A layer whose only rule is quiet and empty grants nothing.
    cell!(
        "quiet_two_layers",
        "plain_then_quiet_empty",
        &[&[p(N | X)], &[q(0)]],
        Read,
        EACCES,
        "quiet_two_layers::plain_then_quiet::read_allowed"
    ),
    cell!(
        "quiet_two_layers",
        "plain_then_quiet_empty",
        &[&[p(N | X)], &[q(0)]],
        Write,
        EACCES,
        "quiet_two_layers::plain_then_quiet_wide::write_allowed"
    ),
];

/// Builds and enforces one layer: the quiet scopes set quiet_access_fs to
/// everything handled, which a quiet rule needs.
fn enforce_layer(dir: &std::path::Path, rules: &[Rule], quiet: bool) -> TestResult {
    let attr = RulesetAttr {
        handled_access_fs: HANDLED,
        quiet_access_fs: if quiet { HANDLED } else { 0 },
        ..Default::default()
    };
    let rs = expect_ok(
        format!("landlock_create_ruleset({attr:?})"),
        sys::create_ruleset(&attr, std::mem::size_of::<RulesetAttr>(), 0),
    )?;
    let d = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(dir)
        .or_fail(format!("open O_PATH {}", dir.display()))?;
    for r in rules {
        let flags = if r.quiet { QUIET } else { 0 };
        expect_ok(
            format!(
                "add_rule(PATH_BENEATH, d, {:#x}, flags={flags:#x})",
                r.access
            ),
            sys::add_path_beneath(rs.as_raw_fd(), r.access, d.as_raw_fd(), flags),
        )?;
    }
    expect_ok("prctl(PR_SET_NO_NEW_PRIVS)", sys::set_no_new_privs())?;
    expect_ok(
        "landlock_restrict_self(flags=0)",
        sys::restrict_self(rs.as_raw_fd(), 0),
    )?;
    ruleset::verify_domain_in_effect()
}

fn run(c: &Cell) -> TestResult {
    let t = TempTree::with(&["d/f"])?;
    for layer in c.layers {
        enforce_layer(&t.path("d"), layer, c.quiet())?;
    }
    let f = t.path("d/f");
    let (what, r) = match c.probe {
        Probe::Read => ("open(d/f, O_RDONLY)", try_open(&f, libc::O_RDONLY)),
        Probe::Write => ("open(d/f, O_WRONLY)", try_open(&f, libc::O_WRONLY)),
    };
    expect_result(format!("{what} with {:?}", c.layers), r, c.expect)?;
    expect_errno(
        "creat(d/n), MAKE_REG handled and never granted: the domain is in force",
        creat(&t.path("d/n")),
        Errno::EACCES,
    )
}

fn full(case: &str) -> String {
    format!("fs::rule_merge::{case}")
}

pub fn tests() -> Vec<Test> {
    CELLS
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let t = Test::new(full(&c.case()), move || run(&CELLS[i]))
                .needs("LANDLOCK_ACCESS_FS_READ_FILE")
                .twin(full(c.twin));
            let t = if c.quiet() {
                t.needs("LANDLOCK_ADD_RULE_QUIET")
            } else {
                t
            };
            t.enforcement()
        })
        .collect()
}
