//! `trace::create_ruleset`, `trace::free_ruleset`,
//! `trace::add_rule_path_beneath`, `trace::add_rule_net_port`: the events
//! of building a ruleset, which need no domain. A ruleset's id is read
//! from its create_ruleset event and must be the one every later event of
//! that ruleset names; its version counts the rules added. The path of a
//! path_beneath rule is also where the escaping and the truncation of
//! untrusted strings are checked.

use crate::common::*;
use llconf_harness::abi::{self, fs, net};
use llconf_harness::fixture::trace::Instance;
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    ensure, expect_errno, probe, sys, Errno, OrFail, Ruleset, RulesetAttr, Stop, Test, TestResult,
};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

const PORT: u16 = 4242;

/// The id of the one ruleset created while `t` traced.
fn created_ruleset(t: &Instance) -> Result<u64, Stop> {
    t.one(CREATE_RULESET, "after one ruleset created")?
        .id("ruleset")
}

fn create_ruleset(valid: bool) -> TestResult {
    let t = Instance::new(&[CREATE_RULESET])?;
    let attr = RulesetAttr {
        handled_access_fs: fs::READ_FILE | fs::READ_DIR,
        handled_access_net: net::BIND_TCP,
        scoped: abi::scope::SIGNAL,
        ..Default::default()
    };
    if !valid {
        // One bit past every right: refused before any ruleset exists.
        let bad = RulesetAttr {
            handled_access_fs: attr.handled_access_fs | 1 << 63,
            ..attr
        };
        expect_errno(
            "create_ruleset(handled_access_fs with an unknown bit)",
            sys::create_ruleset(&bad, std::mem::size_of::<RulesetAttr>(), 0),
            Errno::EINVAL,
        )?;
        return t.none(CREATE_RULESET, "after a refused create_ruleset");
    }
    let _rs = Ruleset::new(attr)?;
    let e = t.one(CREATE_RULESET, "after one create_ruleset")?;
    ensure!(e.id("ruleset")? != 0, "ruleset id 0 in `{e}`");
    // A new ruleset has had no rule added: version 0.
    ensure!(
        e.get("ruleset").is_some_and(|v| v.ends_with(".0")),
        "version of a new ruleset in `{e}`, expected .0"
    );
    e.expect("handled_fs", &fs_names(attr.handled_access_fs))?;
    e.expect("handled_net", &net_names(attr.handled_access_net))?;
    e.expect("scoped", &scope_names(attr.scoped))
}

/// Two rules, then the last descriptor closed (or, in the twin, a
/// duplicate kept open).
fn free_ruleset(closed: bool) -> TestResult {
    let tree = TempTree::with(&["a/", "b/"])?;
    let t = Instance::new(&[CREATE_RULESET, FREE_RULESET])?;
    let rs = Ruleset::fs(fs::READ_FILE)?;
    rs.allow_path(&tree.path("a"), fs::READ_FILE)?;
    rs.allow_path(&tree.path("b"), fs::READ_FILE)?;
    let id = created_ruleset(&t)?;
    // SAFETY: dup of a descriptor this process owns.
    let dup = (!closed).then(|| unsafe { libc::dup(rs.fd()) });
    drop(rs);
    if let Some(fd) = dup {
        t.none(FREE_RULESET, "after closing one of two descriptors")?;
        // SAFETY: the duplicate made above.
        unsafe { libc::close(fd) };
        return Ok(());
    }
    let e = t.one(FREE_RULESET, "after closing the ruleset's only descriptor")?;
    e.expect("ruleset", &format!("{id:x}.2"))
}

/// One path_beneath rule: `handled` by the ruleset, `access` on `target`;
/// `expected` the access_rights the event prints, or None where the rule
/// is refused.
struct PathRule {
    variant: &'static str,
    /// The rule one right or one target apart that is refused (no event),
    /// or for that one, the rule added.
    twin: &'static str,
    handled: fn() -> u64,
    access: u64,
    target: &'static str,
    expected: Option<fn() -> u64>,
}

const PATH_RULES: &[PathRule] = &[
    PathRule {
        variant: "added::one_event",
        twin: "dir_right_on_file::no_event",
        handled: all_fs,
        access: fs::READ_FILE | fs::READ_DIR,
        target: "d",
        expected: Some(|| fs::READ_FILE | fs::READ_DIR),
    },
    // What the ruleset does not handle is allowed, and the event shows the
    // rights made absolute (refer excepted: it is denied until granted).
    PathRule {
        variant: "relative_rights::made_absolute",
        twin: "dir_right_on_file::no_event",
        handled: || fs::READ_FILE,
        access: fs::READ_FILE,
        target: "d",
        expected: Some(|| all_fs() & !fs::REFER),
    },
    // A directory right on a regular file: EINVAL, no rule, no event.
    PathRule {
        variant: "dir_right_on_file::no_event",
        twin: "added::one_event",
        handled: all_fs,
        access: fs::READ_DIR,
        target: "d/f",
        expected: None,
    },
];

fn add_path_rule(r: &PathRule) -> TestResult {
    let tree = TempTree::with(&["d/f"])?;
    let target = tree.path(r.target);
    let t = Instance::new(&[CREATE_RULESET, ADD_RULE_PATH])?;
    let rs = Ruleset::fs((r.handled)())?;
    let Some(expected) = r.expected else {
        let f = std::fs::File::open(&target).or_fail("open")?;
        expect_errno(
            format!("add_rule(PATH_BENEATH, {}, READ_DIR)", r.target),
            sys::add_path_beneath(rs.fd(), r.access, f.as_raw_fd(), 0),
            Errno::EINVAL,
        )?;
        return t.none(ADD_RULE_PATH, "after a refused rule");
    };
    rs.allow_path(&target, r.access)?;
    let id = created_ruleset(&t)?;
    let e = t.one(ADD_RULE_PATH, "after one rule added")?;
    e.expect("ruleset", &format!("{id:x}.1"))?;
    e.expect("access_rights", &fs_names(expected()))?;
    let (dev, ino) = dev_ino(&target)?;
    e.expect("dev", &dev)?;
    e.expect("ino", &ino.to_string())?;
    e.expect("path", &escaped(&abs_bytes(&target)?))
}

/// A directory whose name holds a space, a newline, an `=`, a quote, a
/// backslash and a two-byte UTF-8 letter: each printed escaped, so that
/// the field cannot be split or forged.
fn escaped_name() -> TestResult {
    let name = "a b\nc=d'\"\\\u{e9}";
    let tree = TempTree::with(&[&format!("{name}/")])?;
    let dir = tree.path(name);
    let t = Instance::new(&[ADD_RULE_PATH])?;
    let rs = Ruleset::fs(fs::READ_DIR)?;
    rs.allow_path(&dir, fs::READ_DIR)?;
    let e = t.one(ADD_RULE_PATH, "after one rule added")?;
    let abs = abs_bytes(&dir)?;
    let want = escaped(&abs);
    // Spelled out once, so that the escaping itself is checked too.
    ensure!(
        want.ends_with("/a\\040b\\nc\\075d\\047\\\"\\\\\\303\\251"),
        "expected escaping of the name is wrong: {want}"
    );
    e.expect("path", &want)
}

/// A directory under the test's tree whose absolute path escapes to
/// exactly `escaped_len` bytes: components of `é` (8 escaped bytes for 2
/// raw ones, so the path stays far below PATH_MAX) and a last one of
/// ASCII letters to land on the length.
fn deep_dir(tree: &TempTree, escaped_len: usize) -> Result<PathBuf, Stop> {
    let base = abs_bytes(tree.root())?;
    let mut left = escaped_len
        .checked_sub(crate::common::escaped_len(&base))
        .ok_or_else(|| llconf_harness::fail("scratch path too long"))?;
    let mut dir = PathBuf::from(String::from_utf8_lossy(&base).into_owned());
    while left > 0 {
        // Each component costs its slash and its escaped name.
        if left - 1 <= 255 {
            dir.push("a".repeat(left - 1));
            break;
        }
        let mut n = ((left - 1) / 8).min(60);
        if left - 1 - 8 * n == 1 {
            n -= 1;
        }
        dir.push("\u{e9}".repeat(n));
        left -= 1 + 8 * n;
    }
    std::fs::create_dir_all(&dir).or_fail("mkdir the deep tree")?;
    let got = crate::common::escaped_len(&abs_bytes(&dir)?);
    ensure!(
        got == escaped_len,
        "built a path escaping to {got} bytes, wanted {escaped_len}"
    );
    Ok(dir)
}

/// The longest path that is printed whole (its escaped form and a NUL fill
/// the output limit), and the same one byte longer, truncated with the
/// marker.
fn long_path(truncated: bool) -> TestResult {
    let tree = TempTree::new()?;
    let len = UNTRUSTED_OUTPUT_SIZE - 1 + usize::from(truncated);
    let dir = deep_dir(&tree, len)?;
    let t = Instance::new(&[ADD_RULE_PATH])?;
    let rs = Ruleset::fs(fs::READ_DIR)?;
    rs.allow_path(&dir, fs::READ_DIR)?;
    let e = t.one(ADD_RULE_PATH, "after one rule added")?;
    let want = escaped(&abs_bytes(&dir)?);
    ensure!(
        want.ends_with(TRUNCATION_MARKER) == truncated,
        "expected path of {len} escaped bytes: truncated={truncated} but computed `{want}`"
    );
    e.expect("path", &want)
}

fn add_net_rule(refused: bool) -> TestResult {
    let handled = net::BIND_TCP | net::CONNECT_TCP;
    let t = Instance::new(&[CREATE_RULESET, ADD_RULE_NET])?;
    let rs = Ruleset::net(if refused { net::BIND_TCP } else { handled })?;
    if refused {
        expect_errno(
            "add_rule(NET_PORT, CONNECT_TCP) to a ruleset that does not handle it",
            sys::add_net_port(rs.fd(), net::CONNECT_TCP, PORT.into(), 0),
            Errno::EINVAL,
        )?;
        return t.none(ADD_RULE_NET, "after a refused rule");
    }
    rs.allow_port(PORT.into(), net::BIND_TCP)?;
    let id = created_ruleset(&t)?;
    let e = t.one(ADD_RULE_NET, "after one rule added")?;
    e.expect("ruleset", &format!("{id:x}.1"))?;
    e.expect("port", &PORT.to_string())?;
    // The rights made absolute: what is not handled is allowed, so the
    // handled right without a rule (connect_tcp) is absent.
    let all_net = abi::mask_for_abi(abi::ACCESS_NET, probe::kernel().abi);
    e.expect(
        "access_rights",
        &net_names(all_net & !handled | net::BIND_TCP),
    )
}

pub fn tests() -> Vec<Test> {
    use llconf_harness::twin::pair;
    const PRINTING: &str = "checks how the event prints a path: its presence against its \
        absence is twinned by add_rule_path_beneath::added::one_event and \
        dir_right_on_file::no_event";
    let mut v = [
        pair(
            case("create_ruleset::created::one_event", CREATE_RULESET, || {
                create_ruleset(true)
            }),
            case("create_ruleset::refused::no_event", CREATE_RULESET, || {
                create_ruleset(false)
            }),
        ),
        pair(
            case(
                "free_ruleset::last_fd_closed::one_event",
                FREE_RULESET,
                || free_ruleset(true),
            ),
            case(
                "free_ruleset::dup_still_open::no_event",
                FREE_RULESET,
                || free_ruleset(false),
            ),
        ),
        // One byte apart: printed whole against truncated with the marker.
        pair(
            case(
                "add_rule_path_beneath::long_path::whole",
                ADD_RULE_PATH,
                || long_path(false),
            ),
            case(
                "add_rule_path_beneath::long_path::truncated",
                ADD_RULE_PATH,
                || long_path(true),
            ),
        ),
        pair(
            case("add_rule_net_port::added::one_event", ADD_RULE_NET, || {
                add_net_rule(false)
            }),
            case("add_rule_net_port::refused::no_event", ADD_RULE_NET, || {
                add_net_rule(true)
            }),
        ),
    ]
    .concat();
    v.push(
        case(
            "add_rule_path_beneath::escaped_name::octal",
            ADD_RULE_PATH,
            escaped_name,
        )
        .untwinned(PRINTING),
    );
    for r in PATH_RULES {
        v.push(
            case(
                &format!("add_rule_path_beneath::{}", r.variant),
                ADD_RULE_PATH,
                move || add_path_rule(r),
            )
            .twin(format!("trace::add_rule_path_beneath::{}", r.twin)),
        );
    }
    v.into_iter()
        .map(|t| {
            let net = t.name.contains("net_port") || t.name.contains("create_ruleset");
            let t = if net {
                t.needs("LANDLOCK_ACCESS_NET_BIND_TCP")
            } else {
                t
            };
            if t.name.contains("create_ruleset") {
                t.needs("LANDLOCK_SCOPE_SIGNAL")
            } else {
                t
            }
        })
        .collect()
}
