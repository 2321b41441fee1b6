//! `fs::rule_object::*`: which rights a path_beneath rule may carry, by the
//! kind of object its fd names. A directory takes every handled right; a
//! file (or any non-directory) takes only the file rights, else EINVAL.

use crate::common::*;
use llconf_harness::abi::{self as uapi, fs};
use llconf_harness::fixture::TempTree;
use llconf_harness::twin::pair;
use llconf_harness::{expect_result, sys, Errno, OrFail, Requirement, Ruleset, Test, TestResult};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The rights a rule on a non-directory may carry, as the kernel defines
/// them: EXECUTE, WRITE_FILE, READ_FILE, TRUNCATE, IOCTL_DEV, RESOLVE_UNIX.
const FILE_RIGHTS: u64 =
    fs::EXECUTE | fs::WRITE_FILE | fs::READ_FILE | fs::TRUNCATE | fs::IOCTL_DEV | fs::RESOLVE_UNIX;

fn add_rule_on(path: &Path, handled: u64, allowed: u64) -> Result<(), llconf_harness::Errno> {
    let rs = Ruleset::fs(handled).expect("ruleset");
    let obj = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open(path)
        .expect("O_PATH open");
    sys::add_path_beneath(rs.fd(), allowed, obj.as_raw_fd(), 0)
}

/// The object of the rule: (variant name, how to make it under the tree).
type MakeObject = fn(&TempTree) -> Result<std::path::PathBuf, llconf_harness::Stop>;

fn objects() -> Vec<(&'static str, MakeObject)> {
    vec![
        ("on_dir", |t| Ok(t.path("d"))),
        ("on_file", |t| Ok(t.path("f"))),
        ("on_fifo", |t| {
            let p = t.path("fifo");
            setup("mkfifo", mknod(&p, libc::S_IFIFO, 0))?;
            Ok(p)
        }),
        ("on_char_dev", |t| {
            let p = t.path("null");
            setup("mknod null", mknod(&p, libc::S_IFCHR, libc::makedev(1, 3)))?;
            Ok(p)
        }),
    ]
}

/// Each right on the object: accepted, or EINVAL for a directory right on
/// a non-directory (twinned with the same right on a directory). An
/// accepted rule has a twin one right apart: the same rule in a ruleset
/// that handles every other right but not this one, which is EINVAL.
fn per_right(variant: &'static str, make: MakeObject) -> Vec<Test> {
    let mut v = Vec::new();
    for f in uapi::ACCESS_FS {
        let bit = f.bit;
        let is_dir = variant == "on_dir";
        let object_einval = !is_dir && bit & FILE_RIGHTS == 0;
        let name = f
            .name
            .trim_start_matches("LANDLOCK_ACCESS_FS_")
            .to_lowercase();
        let case = |case: &str, handled: fn(u64) -> u64, expect: Option<Errno>| {
            let t = Test::new(
                format!("fs::rule_object::{variant}::{name}_{case}"),
                move || {
                    let t = TempTree::with(&["d/", "f"])?;
                    let obj = make(&t)?;
                    let handled = handled(bit);
                    expect_result(
                        format!(
                            "add_rule(PATH_BENEATH {variant}, {bit:#x}) to a ruleset handling {handled:#x}"
                        ),
                        add_rule_on(&obj, handled, bit),
                        expect,
                    )
                },
            )
            .needs(f.name);
            // A character device is made with mknod: CAP_MKNOD, so root.
            if variant == "on_char_dev" {
                t.requires(Requirement::Root)
            } else {
                t
            }
        };
        if object_einval {
            v.push(
                case("einval", |bit| bit, Some(Errno::EINVAL))
                    .twin(format!("fs::rule_object::on_dir::{name}_accepted")),
            );
        } else {
            v.extend(pair(
                case("accepted", |bit| bit, None),
                case(
                    "not_handled_einval",
                    |bit| known_fs() & !bit,
                    Some(Errno::EINVAL),
                ),
            ));
        }
    }
    v
}

/// All file rights together on a file, and then one directory right more.
fn file_rights_together() -> TestResult {
    let t = TempTree::with(&["f"])?;
    let known = known_fs();
    let file = FILE_RIGHTS & known;
    expect_result(
        "add_rule(file, all file rights)",
        add_rule_on(&t.path("f"), known, file),
        None,
    )?;
    expect_result(
        "add_rule(file, file rights | READ_DIR)",
        add_rule_on(&t.path("f"), known, file | fs::READ_DIR),
        Some(Errno::EINVAL),
    )?;
    expect_result(
        "add_rule(dir, every known right)",
        add_rule_on(t.root(), known, known),
        None,
    )
}

/// A file rule narrows to that file: its siblings stay denied.
fn file_rule_covers_only_that_file() -> TestResult {
    let t = TempTree::with(&["d/a", "d/b"])?;
    let rs = Ruleset::fs(fs::READ_FILE | fs::READ_DIR)?;
    rs.allow_path(&t.path("d/a"), fs::READ_FILE)?;
    rs.enforce()?;
    expect_result("read d/a", try_open(&t.path("d/a"), libc::O_RDONLY), None)?;
    expect_result(
        "read d/b",
        try_open(&t.path("d/b"), libc::O_RDONLY),
        Some(Errno::EACCES),
    )?;
    expect_result(
        "readdir d",
        try_open(&t.path("d"), libc::O_RDONLY | libc::O_DIRECTORY),
        Some(Errno::EACCES),
    )
}

/// A rule follows the inode, not the name: a hard link elsewhere to the
/// same file is allowed, while a new file under the old name is not.
fn file_rule_follows_inode() -> TestResult {
    let t = TempTree::with(&["d/a", "e/"])?;
    std::fs::hard_link(t.path("d/a"), t.path("e/hl")).or_fail("link d/a e/hl")?;
    let rs = Ruleset::fs(fs::READ_FILE)?;
    rs.allow_path(&t.path("d/a"), fs::READ_FILE)?;
    std::fs::remove_file(t.path("d/a")).or_fail("rm d/a")?;
    std::fs::write(t.path("d/a"), b"new").or_fail("recreate d/a")?;
    rs.enforce()?;
    expect_result(
        "read e/hl (same inode)",
        try_open(&t.path("e/hl"), libc::O_RDONLY),
        None,
    )?;
    expect_result(
        "read the new d/a (other inode)",
        try_open(&t.path("d/a"), libc::O_RDONLY),
        Some(Errno::EACCES),
    )
}

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    for (variant, make) in objects() {
        v.extend(per_right(variant, make));
    }
    v.push(
        Test::new(
            "fs::rule_object::on_file::all_file_rights_then_one_more",
            file_rights_together,
        )
        .requires(Requirement::Landlock)
        .twin("fs::rule_object::on_file::read_dir_einval"),
    );
    v.push(
        Test::new(
            "fs::rule_object::on_file::covers_only_that_file",
            file_rule_covers_only_that_file,
        )
        .enforcement()
        .twin("fs::read_file::rule_on_file::allowed"),
    );
    v.push(
        Test::new(
            "fs::rule_object::on_file::follows_the_inode",
            file_rule_follows_inode,
        )
        .enforcement()
        .twin("fs::read_file::rule_on_other_file::denied"),
    );
    v
}
