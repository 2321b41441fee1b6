//! `fs::refer::*`: link, rename and RENAME_EXCHANGE within one directory
//! and across two, with and without REFER. Across directories the kernel
//! wants REFER on both sides and a destination at least as restricted as
//! the source; when that fails it says EXDEV, unless a plain right
//! (MAKE_*, REMOVE_*) is missing too, and then EACCES wins.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{ensure, expect_result, Errno, Requirement, Ruleset, Test, TestResult};

const MR: u64 = fs::MAKE_REG;
const RF: u64 = fs::REMOVE_FILE;
const RE: u64 = fs::REFER;
const RD: u64 = fs::READ_FILE;
const H: u64 = RE | MR | RF;
const MD: u64 = fs::MAKE_DIR;
const RMD: u64 = fs::REMOVE_DIR;
const HD: u64 = RE | MD | RMD;
const EX: u64 = fs::EXECUTE;

#[derive(Clone, Copy)]
enum Op {
    Link(&'static str, &'static str),
    Rename(&'static str, &'static str),
    Exchange(&'static str, &'static str),
}

impl Op {
    fn run(self, t: &TempTree) -> Result<(), Errno> {
        match self {
            Op::Link(a, b) => link(&t.path(a), &t.path(b)),
            Op::Rename(a, b) => rename(&t.path(a), &t.path(b)),
            Op::Exchange(a, b) => exchange(&t.path(a), &t.path(b)),
        }
    }
    fn source(self) -> &'static str {
        match self {
            Op::Link(a, _) | Op::Rename(a, _) | Op::Exchange(a, _) => a,
        }
    }
}

/// One layer: the handled rights and its rules as (path, access).
type Layer = (u64, &'static [(&'static str, u64)]);

struct Case {
    name: &'static str,
    /// The case one rule, right or layer apart with the opposite verdict.
    twin: &'static str,
    layers: &'static [Layer],
    op: Op,
    expect: Option<Errno>,
}

const SAME_DIR_LINK: Op = Op::Link("src/f", "src/l");
const ACROSS_LINK: Op = Op::Link("src/f", "dst/l");
const SAME_DIR_RENAME: Op = Op::Rename("src/f", "src/n");
const ACROSS_RENAME: Op = Op::Rename("src/f", "dst/n");
const SAME_DIR_EXCHANGE: Op = Op::Exchange("src/f", "src/g");
const ACROSS_EXCHANGE: Op = Op::Exchange("src/f", "dst/h");
const MOVE_DIR: Op = Op::Rename("src/sub", "dst/sub");
const EACCES: Option<Errno> = Some(Errno::EACCES);
const EXDEV: Option<Errno> = Some(Errno::EXDEV);

const CASES: &[Case] = &[
    // link(2): the new name needs MAKE_REG; across directories REFER too.
    Case {
        name: "link::same_dir::allowed_without_refer",
        twin: "link::same_dir::no_make_reg_eacces",
        layers: &[(H, &[("src", MR)])],
        op: SAME_DIR_LINK,
        expect: None,
    },
    Case {
        name: "link::same_dir::no_make_reg_eacces",
        twin: "link::same_dir::allowed_without_refer",
        layers: &[(H, &[("src", RF | RE)])],
        op: SAME_DIR_LINK,
        expect: EACCES,
    },
    Case {
        name: "link::across::refer_both_sides_allowed",
        twin: "link::across::refer_on_source_only_exdev",
        layers: &[(H, &[("src", RE), ("dst", RE | MR)])],
        op: ACROSS_LINK,
        expect: None,
    },
    Case {
        name: "link::across::refer_on_common_parent_allowed",
        twin: "link::across::common_parent_without_refer_exdev",
        layers: &[(H, &[("", RE | MR)])],
        op: ACROSS_LINK,
        expect: None,
    },
    Case {
        name: "link::across::common_parent_without_refer_exdev",
        twin: "link::across::refer_on_common_parent_allowed",
        layers: &[(H, &[("", MR)])],
        op: ACROSS_LINK,
        expect: EXDEV,
    },
    Case {
        name: "link::across::no_refer_exdev",
        twin: "link::across::refer_both_sides_allowed",
        layers: &[(H, &[("src", MR), ("dst", MR)])],
        op: ACROSS_LINK,
        expect: EXDEV,
    },
    Case {
        name: "link::across::refer_on_source_only_exdev",
        twin: "link::across::refer_both_sides_allowed",
        layers: &[(H, &[("src", RE), ("dst", MR)])],
        op: ACROSS_LINK,
        expect: EXDEV,
    },
    Case {
        name: "link::across::refer_on_destination_only_exdev",
        twin: "link::across::refer_both_sides_allowed",
        layers: &[(H, &[("src", MR), ("dst", RE | MR)])],
        op: ACROSS_LINK,
        expect: EXDEV,
    },
    Case {
        name: "link::across::no_make_reg_eacces_over_exdev",
        twin: "link::across::refer_both_sides_allowed",
        layers: &[(H, &[("src", MR), ("dst", RF)])],
        op: ACROSS_LINK,
        expect: EACCES,
    },
    Case {
        name: "link::across::to_less_restricted_exdev",
        twin: "link::across::to_equally_restricted_allowed",
        layers: &[(H | RD, &[("src", RE), ("dst", RE | MR | RD)])],
        op: ACROSS_LINK,
        expect: EXDEV,
    },
    // READ_FILE on the source too: the destination is no less restricted.
    Case {
        name: "link::across::to_equally_restricted_allowed",
        twin: "link::across::to_less_restricted_exdev",
        layers: &[(H | RD, &[("src", RE | RD), ("dst", RE | MR | RD)])],
        op: ACROSS_LINK,
        expect: None,
    },
    // rename(2): MAKE_REG in the destination, REMOVE_FILE in the source.
    Case {
        name: "rename::same_dir::allowed_without_refer",
        twin: "rename::same_dir::no_remove_file_eacces",
        layers: &[(H, &[("src", MR | RF)])],
        op: SAME_DIR_RENAME,
        expect: None,
    },
    Case {
        name: "rename::same_dir::no_remove_file_eacces",
        twin: "rename::same_dir::allowed_without_refer",
        layers: &[(H, &[("src", MR | RE)])],
        op: SAME_DIR_RENAME,
        expect: EACCES,
    },
    Case {
        name: "rename::same_dir::no_make_reg_eacces",
        twin: "rename::same_dir::allowed_without_refer",
        layers: &[(H, &[("src", RF | RE)])],
        op: SAME_DIR_RENAME,
        expect: EACCES,
    },
    Case {
        name: "rename::across::refer_both_sides_allowed",
        twin: "rename::across::no_make_reg_with_refer_eacces",
        layers: &[(H, &[("src", RE | RF), ("dst", RE | MR)])],
        op: ACROSS_RENAME,
        expect: None,
    },
    Case {
        name: "rename::across::no_refer_exdev",
        twin: "rename::across::refer_both_sides_allowed",
        layers: &[(H, &[("src", RF), ("dst", MR)])],
        op: ACROSS_RENAME,
        expect: EXDEV,
    },
    Case {
        name: "rename::across::no_remove_file_eacces_over_exdev",
        twin: "rename::across::refer_both_sides_allowed",
        layers: &[(H, &[("src", MR), ("dst", MR)])],
        op: ACROSS_RENAME,
        expect: EACCES,
    },
    Case {
        name: "rename::across::no_make_reg_with_refer_eacces",
        twin: "rename::across::refer_both_sides_allowed",
        layers: &[(H, &[("src", RE | RF), ("dst", RE)])],
        op: ACROSS_RENAME,
        expect: EACCES,
    },
    Case {
        name: "rename::across::to_less_restricted_exdev",
        twin: "rename::across::to_more_restricted_allowed",
        layers: &[(H | RD, &[("src", RE | RF), ("dst", RE | MR | RD)])],
        op: ACROSS_RENAME,
        expect: EXDEV,
    },
    Case {
        name: "rename::across::to_more_restricted_allowed",
        twin: "rename::across::to_less_restricted_exdev",
        layers: &[(H | RD, &[("src", RE | RF | RD), ("dst", RE | MR)])],
        op: ACROSS_RENAME,
        expect: None,
    },
    Case {
        name: "rename::across::overwrite_needs_remove_in_destination_eacces",
        twin: "rename::across::overwrite_allowed",
        layers: &[(H, &[("src", RE | RF), ("dst", RE | MR)])],
        op: Op::Rename("src/f", "dst/h"),
        expect: EACCES,
    },
    Case {
        name: "rename::across::overwrite_allowed",
        twin: "rename::across::overwrite_needs_remove_in_destination_eacces",
        layers: &[(H, &[("src", RE | RF), ("dst", RE | MR | RF)])],
        op: Op::Rename("src/f", "dst/h"),
        expect: None,
    },
    Case {
        name: "rename::across::directory_allowed",
        twin: "rename::across::directory_no_refer_exdev",
        layers: &[(HD, &[("src", HD), ("dst", HD)])],
        op: MOVE_DIR,
        expect: None,
    },
    Case {
        name: "rename::across::directory_no_refer_exdev",
        twin: "rename::across::directory_allowed",
        layers: &[(HD, &[("src", MD | RMD), ("dst", MD | RMD)])],
        op: MOVE_DIR,
        expect: EXDEV,
    },
    // For a directory every right counts, not only the file ones: a
    // destination that allows MAKE_DIR where the source did not widens.
    Case {
        name: "rename::across::directory_to_less_restricted_exdev",
        twin: "rename::across::directory_allowed",
        layers: &[(HD, &[("src", RE | RMD), ("dst", HD)])],
        op: MOVE_DIR,
        expect: EXDEV,
    },
    // For a file only the file rights count: MAKE_REG in the destination
    // alone does not make it less restricted.
    Case {
        name: "rename::across::file_ignores_directory_rights_allowed",
        twin: "rename::across::to_less_restricted_exdev",
        layers: &[(H, &[("src", RE | RF), ("dst", RE | MR | RF)])],
        op: ACROSS_RENAME,
        expect: None,
    },
    // A rule on the moved object itself moves with it: a destination that
    // grants more is no widening where the object's own rule grants that
    // much already (fs.c reads each child's own rules, the
    // `get_inode_id(dentry_child1)` and `dentry_child2` steps of
    // is_access_to_paths_allowed).
    Case {
        name: "own_rule::rename_file_to_wider_allowed",
        twin: "rename::across::to_less_restricted_exdev",
        layers: &[(
            H | RD,
            &[("src", RE | RF), ("dst", RE | MR | RD), ("src/f", RD)],
        )],
        op: ACROSS_RENAME,
        expect: None,
    },
    Case {
        name: "own_rule::rename_file_to_wider_than_it_exdev",
        twin: "own_rule::rename_file_to_wider_allowed",
        layers: &[(
            H | RD | EX,
            &[("src", RE | RF), ("dst", RE | MR | RD | EX), ("src/f", RD)],
        )],
        op: ACROSS_RENAME,
        expect: EXDEV,
    },
    Case {
        name: "own_rule::rename_directory_to_wider_allowed",
        twin: "own_rule::rename_directory_without_it_exdev",
        layers: &[(HD | RD, &[("src", HD), ("dst", HD | RD), ("src/sub", RD)])],
        op: MOVE_DIR,
        expect: None,
    },
    Case {
        name: "own_rule::rename_directory_without_it_exdev",
        twin: "own_rule::rename_directory_to_wider_allowed",
        layers: &[(HD | RD, &[("src", HD), ("dst", HD | RD)])],
        op: MOVE_DIR,
        expect: EXDEV,
    },
    // The second object of an exchange: dst/h moves into src, which grants
    // READ_FILE; its own rule grants it already.
    Case {
        name: "own_rule::exchange_second_object_allowed",
        twin: "exchange::across::asymmetric_rights_exdev",
        layers: &[(H | RD, &[("src", H | RD), ("dst", H), ("dst/h", RD)])],
        op: ACROSS_EXCHANGE,
        expect: None,
    },
    Case {
        name: "own_rule::exchange_first_object_only_exdev",
        twin: "own_rule::exchange_second_object_allowed",
        layers: &[(H | RD, &[("src", H | RD), ("dst", H), ("src/f", RD)])],
        op: ACROSS_EXCHANGE,
        expect: EXDEV,
    },
    // RENAME_EXCHANGE: each side makes and removes a file.
    Case {
        name: "exchange::same_dir::allowed_without_refer",
        twin: "exchange::same_dir::no_make_reg_eacces",
        layers: &[(H, &[("src", MR | RF)])],
        op: SAME_DIR_EXCHANGE,
        expect: None,
    },
    Case {
        name: "exchange::same_dir::no_make_reg_eacces",
        twin: "exchange::same_dir::allowed_without_refer",
        layers: &[(H, &[("src", RF | RE)])],
        op: SAME_DIR_EXCHANGE,
        expect: EACCES,
    },
    Case {
        name: "exchange::same_dir::no_remove_file_eacces",
        twin: "exchange::same_dir::allowed_without_refer",
        layers: &[(H, &[("src", MR | RE)])],
        op: SAME_DIR_EXCHANGE,
        expect: EACCES,
    },
    Case {
        name: "exchange::across::refer_both_sides_allowed",
        twin: "exchange::across::no_refer_exdev",
        layers: &[(H, &[("src", H), ("dst", H)])],
        op: ACROSS_EXCHANGE,
        expect: None,
    },
    Case {
        name: "exchange::across::no_refer_exdev",
        twin: "exchange::across::refer_both_sides_allowed",
        layers: &[(H, &[("src", MR | RF), ("dst", MR | RF)])],
        op: ACROSS_EXCHANGE,
        expect: EXDEV,
    },
    Case {
        name: "exchange::across::destination_no_remove_eacces_over_exdev",
        twin: "exchange::across::refer_both_sides_allowed",
        layers: &[(H, &[("src", MR | RF), ("dst", MR)])],
        op: ACROSS_EXCHANGE,
        expect: EACCES,
    },
    Case {
        name: "exchange::across::source_no_make_reg_with_refer_eacces",
        twin: "exchange::across::refer_both_sides_allowed",
        layers: &[(H, &[("src", RE | RF), ("dst", H)])],
        op: ACROSS_EXCHANGE,
        expect: EACCES,
    },
    // Exchange moves both ways, so any difference in rights is a widening.
    Case {
        name: "exchange::across::asymmetric_rights_exdev",
        twin: "exchange::across::symmetric_rights_allowed",
        layers: &[(H | RD, &[("src", H | RD), ("dst", H)])],
        op: ACROSS_EXCHANGE,
        expect: EXDEV,
    },
    Case {
        name: "exchange::across::symmetric_rights_allowed",
        twin: "exchange::across::asymmetric_rights_exdev",
        layers: &[(H | RD, &[("src", H | RD), ("dst", H | RD)])],
        op: ACROSS_EXCHANGE,
        expect: None,
    },
    // REFER is denied by default by every layer, handled or not.
    Case {
        name: "implicit::not_handled::rename_across_exdev",
        twin: "rename::across::refer_both_sides_allowed",
        layers: &[(MR | RF, &[("src", MR | RF), ("dst", MR | RF)])],
        op: ACROSS_RENAME,
        expect: EXDEV,
    },
    Case {
        name: "implicit::not_handled::link_across_exdev",
        twin: "link::across::refer_both_sides_allowed",
        layers: &[(MR | RF, &[("src", MR | RF), ("dst", MR | RF)])],
        op: ACROSS_LINK,
        expect: EXDEV,
    },
    Case {
        name: "implicit::not_handled::exchange_across_exdev",
        twin: "exchange::across::refer_both_sides_allowed",
        layers: &[(MR | RF, &[("src", MR | RF), ("dst", MR | RF)])],
        op: ACROSS_EXCHANGE,
        expect: EXDEV,
    },
    Case {
        name: "implicit::not_handled::rename_same_dir_allowed",
        twin: "implicit::not_handled::rename_across_exdev",
        layers: &[(MR | RF, &[("src", MR | RF)])],
        op: SAME_DIR_RENAME,
        expect: None,
    },
    Case {
        name: "implicit::not_handled::exchange_same_dir_allowed",
        twin: "implicit::not_handled::exchange_across_read_only_domain_exdev",
        layers: &[(RD, &[])],
        op: SAME_DIR_EXCHANGE,
        expect: None,
    },
    Case {
        name: "implicit::not_handled::exchange_across_read_only_domain_exdev",
        twin: "implicit::not_handled::exchange_same_dir_allowed",
        layers: &[(RD, &[])],
        op: ACROSS_EXCHANGE,
        expect: EXDEV,
    },
    Case {
        name: "implicit::second_layer_without_refer_exdev",
        twin: "implicit::both_layers_grant_refer_allowed",
        layers: &[(H, &[("", H)]), (RD, &[("", RD)])],
        op: ACROSS_RENAME,
        expect: EXDEV,
    },
    Case {
        name: "implicit::both_layers_grant_refer_allowed",
        twin: "implicit::second_layer_without_refer_exdev",
        layers: &[(H, &[("", H)]), (RE | RD, &[("", RE | RD)])],
        op: ACROSS_RENAME,
        expect: None,
    },
    Case {
        name: "layers::second_layer_denies_remove_eacces",
        twin: "layers::second_layer_grants_remove_allowed",
        layers: &[(H, &[("", H)]), (H, &[("src", RE | MR), ("dst", H)])],
        op: ACROSS_RENAME,
        expect: EACCES,
    },
    Case {
        name: "layers::second_layer_grants_remove_allowed",
        twin: "layers::second_layer_denies_remove_eacces",
        layers: &[(H, &[("", H)]), (H, &[("src", H), ("dst", H)])],
        op: ACROSS_RENAME,
        expect: None,
    },
];

fn run(c: &Case) -> TestResult {
    let t = TempTree::with(&["src/f", "src/g", "src/sub/x", "dst/h"])?;
    for (handled, rules) in c.layers {
        let rs = Ruleset::fs(*handled)?;
        for (at, access) in rules.iter() {
            let p = if at.is_empty() {
                t.root().to_owned()
            } else {
                t.path(at)
            };
            rs.allow_path(&p, *access)?;
        }
        rs.enforce()?;
    }
    expect_result(format!("{:?}", describe(c.op)), c.op.run(&t), c.expect)?;
    let src_left = exists(&t.path(c.op.source()));
    match (c.op, c.expect) {
        (Op::Rename(..), None) => {
            ensure!(!src_left, "rename succeeded but the source is still there")
        }
        _ => ensure!(src_left, "the source is gone"),
    }
    Ok(())
}

/// The selftests' layout1.refer_part_mount_tree_is_allowed shape: src and
/// dst in a tmpfs mounted on `mnt`, the destination's rights only from a
/// rule above the mount point, the source with its own rule too. What is
/// gathered below the mount root settles the source side; the walk must go
/// on past the mount point for the destination (llconf missed fs.c:938,
/// that walk stopped once either side was settled). The twin drops
/// REMOVE_FILE from the source's rule: EACCES.
fn across_part_of_a_mount(source_rule: u64, expect: Option<Errno>) -> TestResult {
    let t = TempTree::with(&["mnt/"])?;
    llconf_harness::fixture::enter_private_mount_ns()?;
    setup("mount tmpfs on mnt", mount_tmpfs(&t.path("mnt")))?;
    for d in ["mnt/src", "mnt/dst"] {
        setup(format!("mkdir {d}"), mkdir(&t.path(d)))?;
    }
    setup("create mnt/src/f", creat(&t.path("mnt/src/f")))?;
    let rs = Ruleset::fs(H)?;
    rs.allow_path(t.root(), RE | MR)?;
    rs.allow_path(&t.path("mnt/src"), source_rule)?;
    rs.enforce()?;
    expect_result(
        "rename(mnt/src/f, mnt/dst/n) inside a tmpfs on mnt",
        rename(&t.path("mnt/src/f"), &t.path("mnt/dst/n")),
        expect,
    )
}

fn describe(op: Op) -> String {
    match op {
        Op::Link(a, b) => format!("link({a}, {b})"),
        Op::Rename(a, b) => format!("rename({a}, {b})"),
        Op::Exchange(a, b) => format!("renameat2({a}, {b}, RENAME_EXCHANGE)"),
    }
}

pub fn tests() -> Vec<Test> {
    let part = |name: &str, source_rule, expect| {
        Test::new(
            format!("fs::refer::rename::across_part_of_a_mount::{name}"),
            move || across_part_of_a_mount(source_rule, expect),
        )
        .needs("LANDLOCK_ACCESS_FS_REFER")
        .requires(Requirement::Root)
        .enforcement()
    };
    let mut v: Vec<Test> = llconf_harness::twin::pair(
        part("destination_rights_from_above_allowed", H, None),
        part("source_without_remove_file_eacces", RE | MR, EACCES),
    )
    .into();
    v.extend(CASES.iter().enumerate().map(|(i, c)| {
        Test::new(format!("fs::refer::{}", c.name), move || run(&CASES[i]))
            .needs("LANDLOCK_ACCESS_FS_REFER")
            .enforcement()
            .twin(format!("fs::refer::{}", c.twin))
    }));
    v
}
