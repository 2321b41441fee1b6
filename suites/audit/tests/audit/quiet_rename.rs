//! `audit::quiet_rename` and `audit::quiet_mount` (ABI 10): quiet rules
//! on renames and links, whose rights are checked on the source and the
//! destination directories (two records, one per directory, each muted on
//! its own), and a quiet rule above a mount point.
//!
//! A rename moves src/f to dst/f in one layer handling MAKE_REG,
//! REMOVE_FILE and REFER; the expected records follow the kernel's
//! audit_quiet_rename selftests: a directory's record lists the rights
//! that directory lacks, in bit order, and is muted when that directory
//! has a quiet rule and the layer's quiet mask covers all of them. A quiet
//! flag on the file being renamed is not on either walk, so it is ignored.

use crate::common::{audit_test, io_errno};
use crate::layers::{enforce, expect_exactly, Layer, On, Rule};
use crate::objects::path_fields;
use crate::session::Session;
use llconf_harness::abi::fs::{MAKE_REG, READ_FILE, REFER, REMOVE_FILE};
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_errno, Errno, OrFail, RulesetAttr, Test, TestResult};

const ALL: u64 = MAKE_REG | REMOVE_FILE | REFER;

/// One rule of the rename layer: tree path, allowed rights, quiet bit.
type R = (&'static str, u64, bool);

struct Case {
    name: &'static str,
    /// The case one quiet rule, quiet bit or mask apart whose records
    /// differ.
    twin: &'static str,
    quiet_mask: u64,
    rules: &'static [R],
    /// Rename src/f to this path (dst/f: across directories; src/g: within).
    to: &'static str,
    /// Whether dst/f exists before the rename (then it is replaced).
    dest_exists: bool,
    errno: Errno,
    /// Expected records: (directory, blockers).
    records: &'static [(&'static str, &'static str)],
}

const SRC_BLOCKERS: &str = "fs.remove_file,fs.refer";
const DST_BLOCKERS: &str = "fs.make_reg,fs.refer";

const CASES: &[Case] = &[
    Case {
        name: "no_quiet",
        twin: "quiet_both_dirs",
        quiet_mask: ALL,
        rules: &[],
        to: "dst/f",
        dest_exists: false,
        errno: Errno::EACCES,
        records: &[("src", SRC_BLOCKERS), ("dst", DST_BLOCKERS)],
    },
    Case {
        name: "quiet_both_dirs",
        twin: "no_quiet",
        quiet_mask: ALL,
        rules: &[("src", 0, true), ("dst", 0, true)],
        to: "dst/f",
        dest_exists: false,
        errno: Errno::EACCES,
        records: &[],
    },
    Case {
        name: "quiet_source_only",
        twin: "quiet_both_dirs",
        quiet_mask: ALL,
        rules: &[("src", 0, true)],
        to: "dst/f",
        dest_exists: false,
        errno: Errno::EACCES,
        records: &[("dst", DST_BLOCKERS)],
    },
    Case {
        name: "quiet_dest_only",
        twin: "quiet_both_dirs",
        quiet_mask: ALL,
        rules: &[("dst", 0, true)],
        to: "dst/f",
        dest_exists: false,
        errno: Errno::EACCES,
        records: &[("src", SRC_BLOCKERS)],
    },
    // The mask covers REFER only: each directory also lacks another right.
    Case {
        name: "mask_refer_only",
        twin: "quiet_both_dirs",
        quiet_mask: REFER,
        rules: &[("src", 0, true), ("dst", 0, true)],
        to: "dst/f",
        dest_exists: false,
        errno: Errno::EACCES,
        records: &[("src", SRC_BLOCKERS), ("dst", DST_BLOCKERS)],
    },
    // Source allowed: only the destination denies, and it is quiet.
    Case {
        name: "source_allowed_dest_quiet",
        twin: "source_allowed_dest_not_quiet",
        quiet_mask: ALL,
        rules: &[("src", ALL, false), ("dst", 0, true)],
        to: "dst/f",
        dest_exists: false,
        errno: Errno::EACCES,
        records: &[],
    },
    Case {
        name: "source_allowed_dest_not_quiet",
        twin: "source_allowed_dest_quiet",
        quiet_mask: ALL,
        rules: &[("src", ALL, false), ("dst", 0, false)],
        to: "dst/f",
        dest_exists: false,
        errno: Errno::EACCES,
        records: &[("dst", DST_BLOCKERS)],
    },
    // Only REFER is missing: EXDEV, and REFER alone is in the mask.
    Case {
        name: "only_refer_denied_quiet",
        twin: "only_refer_denied_not_quiet",
        quiet_mask: REFER,
        rules: &[
            ("src", MAKE_REG | REMOVE_FILE, true),
            ("dst", MAKE_REG | REMOVE_FILE, true),
        ],
        to: "dst/f",
        dest_exists: false,
        errno: Errno::EXDEV,
        records: &[],
    },
    Case {
        name: "only_refer_denied_not_quiet",
        twin: "only_refer_denied_quiet",
        quiet_mask: REFER,
        rules: &[
            ("src", MAKE_REG | REMOVE_FILE, false),
            ("dst", MAKE_REG | REMOVE_FILE, false),
        ],
        to: "dst/f",
        dest_exists: false,
        errno: Errno::EXDEV,
        records: &[("src", "fs.refer"), ("dst", "fs.refer")],
    },
    Case {
        name: "only_refer_denied_source_quiet",
        twin: "only_refer_denied_quiet",
        quiet_mask: REFER,
        rules: &[
            ("src", MAKE_REG | REMOVE_FILE, true),
            ("dst", MAKE_REG | REMOVE_FILE, false),
        ],
        to: "dst/f",
        dest_exists: false,
        errno: Errno::EXDEV,
        records: &[("dst", "fs.refer")],
    },
    // Quiet flags on the files: ignored. The destination exists, so its
    // directory also lacks REMOVE_FILE.
    Case {
        name: "quiet_flag_on_files_ignored",
        twin: "quiet_flag_on_dirs_with_dest_existing",
        quiet_mask: ALL,
        rules: &[("src/f", 0, true), ("dst/f", 0, true)],
        to: "dst/f",
        dest_exists: true,
        errno: Errno::EACCES,
        records: &[
            ("src", SRC_BLOCKERS),
            ("dst", "fs.remove_file,fs.make_reg,fs.refer"),
        ],
    },
    Case {
        name: "quiet_flag_on_dirs_with_dest_existing",
        twin: "quiet_flag_on_files_ignored",
        quiet_mask: ALL,
        rules: &[("src", 0, true), ("dst", 0, true)],
        to: "dst/f",
        dest_exists: true,
        errno: Errno::EACCES,
        records: &[],
    },
    // Within one directory: no REFER, one walk, one record.
    Case {
        name: "same_dir_quiet",
        twin: "same_dir_not_quiet",
        quiet_mask: ALL,
        rules: &[("src", 0, true)],
        to: "src/g",
        dest_exists: false,
        errno: Errno::EACCES,
        records: &[],
    },
    Case {
        name: "same_dir_not_quiet",
        twin: "same_dir_quiet",
        quiet_mask: ALL,
        rules: &[],
        to: "src/g",
        dest_exists: false,
        errno: Errno::EACCES,
        records: &[("src", "fs.remove_file,fs.make_reg")],
    },
    Case {
        name: "same_dir_quiet_flag_on_file_ignored",
        twin: "same_dir_quiet",
        quiet_mask: ALL,
        rules: &[("src/f", 0, true)],
        to: "src/g",
        dest_exists: false,
        errno: Errno::EACCES,
        records: &[("src", "fs.remove_file,fs.make_reg")],
    },
];

fn run(c: &'static Case) -> TestResult {
    let mut entries = vec!["src/f", "dst/"];
    if c.dest_exists {
        entries.push("dst/f");
    }
    let t = TempTree::with(&entries)?;
    let mut session = Session::open()?;
    let objects = vec![path_fields(&t.path("src"))?, path_fields(&t.path("dst"))?];
    let mut expected = Vec::new();
    for (dir, blockers) in c.records {
        expected.push(format!(
            "blockers={blockers} {}",
            path_fields(&t.path(dir))?
        ));
    }
    // A rule with no right and no quiet bit would be ENOMSG: leave it out.
    let rules = c
        .rules
        .iter()
        .filter(|(_, access, quiet)| *access != 0 || *quiet)
        .map(|(p, access, quiet)| Rule {
            on: On::Path(t.path(p)),
            access: *access,
            quiet: *quiet,
        })
        .collect();
    enforce(&[Layer {
        attr: RulesetAttr {
            handled_access_fs: ALL,
            quiet_access_fs: c.quiet_mask,
            ..Default::default()
        },
        rules,
    }])?;
    let from = session.seen().len();
    expect_errno(
        format!("rename(src/f, {})", c.to),
        std::fs::rename(t.path("src/f"), t.path(c.to)).map_err(io_errno),
        c.errno,
    )?;
    expect_exactly(&mut session, from, &objects, &expected)
}

/// A tmpfs mounted on top/m in a private mount namespace; the quiet rule
/// is on `rule` (above the mount point, or unrelated), the read is of
/// top/m/f, on the mounted filesystem.
fn across_mount(rule: &'static str, muted: bool) -> TestResult {
    let t = TempTree::with(&["top/m/", "other/"])?;
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).or_fail("unshare(CLONE_NEWNS)")?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .or_fail("make / private")?;
    nix::mount::mount(
        Some("tmpfs"),
        &t.path("top/m"),
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )
    .or_fail("mount tmpfs on top/m")?;
    let f = t.path("top/m/f");
    std::fs::write(&f, b"f").or_fail("write top/m/f")?;
    let mut session = Session::open()?;
    let object = path_fields(&f)?;
    let body = format!("blockers=fs.read_file {object}");
    enforce(&[Layer {
        attr: RulesetAttr {
            handled_access_fs: READ_FILE | MAKE_REG,
            quiet_access_fs: READ_FILE,
            ..Default::default()
        },
        rules: vec![Rule {
            on: On::Path(t.path(rule)),
            access: 0,
            quiet: true,
        }],
    }])?;
    let from = session.seen().len();
    expect_errno(
        "read top/m/f",
        std::fs::read(&f).map_err(io_errno),
        Errno::EACCES,
    )?;
    let expected = if muted { vec![] } else { vec![body] };
    expect_exactly(&mut session, from, &[object], &expected)
}

pub fn tests() -> Vec<Test> {
    let mut tests: Vec<Test> = CASES
        .iter()
        .map(|c| {
            audit_test(&format!("quiet_rename::one_layer::{}", c.name), move || {
                run(c)
            })
            .needs("LANDLOCK_ACCESS_FS_REFER")
            .twin(format!("audit::quiet_rename::one_layer::{}", c.twin))
        })
        .collect();
    tests.extend(llconf_harness::twin::pair(
        audit_test(
            "quiet_mount::one_layer::rule_above_mount_point_mutes",
            || across_mount("top", true),
        ),
        audit_test("quiet_mount::one_layer::rule_on_unrelated_dir_logs", || {
            across_mount("other", false)
        }),
    ));
    tests
        .into_iter()
        .map(|t| t.needs("LANDLOCK_ADD_RULE_QUIET"))
        .collect()
}
