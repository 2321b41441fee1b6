//! `fs::<right>::<variant>::<case>`: every filesystem right, one syscall
//! that needs it, and where a rule for it does or does not reach.
//!
//! The tree is `top/dir/` (where the syscall acts) and `top/other/` (a
//! sibling that rules can point at without covering `dir`).

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_result, Errno, Requirement, Ruleset, Stop, Test, TestResult};
use std::os::fd::AsRawFd;
use std::path::Path;

/// One right and the syscall that exercises it inside a directory.
#[derive(Clone, Copy)]
pub struct Right {
    pub name: &'static str,
    pub bit: u64,
    /// Rights the syscall needs besides `bit`. They are never handled here,
    /// so that only `bit` decides.
    companions: u64,
    /// The file the syscall acts on, relative to `dir`, for rights that a
    /// rule on a file may carry.
    file: Option<&'static str>,
    prepare: fn(&Path) -> TestResult,
    op: fn(&Path) -> Result<(), Errno>,
    /// What the kernel answers when `bit` is missing.
    denial: Errno,
    /// Where the right's cases make a device node, which needs CAP_MKNOD.
    mknod: Mknod,
}

/// Which cases of a right make a device node (CAP_MKNOD, so root): they are
/// skipped with that reason without it, never failed.
#[derive(Clone, Copy, PartialEq)]
enum Mknod {
    Never,
    /// The syscall under test makes one: where it is allowed.
    WhenAllowed,
    /// The setup makes one: every case.
    Always,
}

fn no_prepare(_: &Path) -> TestResult {
    Ok(())
}

fn prepare_file(dir: &Path) -> TestResult {
    std::fs::write(dir.join("f"), b"content").map_err(|e| llconf_harness::fail(e.to_string()))?;
    std::fs::write(dir.join("g"), b"content").map_err(|e| llconf_harness::fail(e.to_string()))
}

fn prepare_exec(dir: &Path) -> TestResult {
    require_mount_without(dir, libc::ST_NOEXEC, "noexec")?;
    install_true(&dir.join("true"))?;
    install_true(&dir.join("g"))
}

fn prepare_subdir(dir: &Path) -> TestResult {
    setup("mkdir dir/sub", mkdir(&dir.join("sub")))?;
    prepare_file(dir)
}

fn prepare_null(dir: &Path) -> TestResult {
    require_mount_without(dir, libc::ST_NODEV, "nodev")?;
    let null = libc::makedev(1, 3);
    setup(
        "mknod dir/null",
        mknod(&dir.join("null"), libc::S_IFCHR, null),
    )?;
    setup("mknod dir/g", mknod(&dir.join("g"), libc::S_IFCHR, null))
}

fn op_exec(dir: &Path) -> Result<(), Errno> {
    exec_ok(&dir.join("true"))
}

pub fn exec_ok(p: &Path) -> Result<(), Errno> {
    match exec(p)? {
        0 => Ok(()),
        // Not an errno: the program ran but failed, which no case expects.
        _ => Err(Errno::UnknownErrno),
    }
}

fn op_ioctl(dir: &Path) -> Result<(), Errno> {
    ioctl_dev_fionread(&dir.join("null"))
}

/// Opens a /dev/null node and asks FIONREAD. The null driver has no ioctl
/// handler, so ENOTTY means the call got past Landlock to the driver.
pub fn ioctl_dev_fionread(p: &Path) -> Result<(), Errno> {
    let fd = open(p, libc::O_RDONLY)?;
    let mut n = 0;
    match ioctl_int(fd.as_raw_fd(), libc::FIONREAD, &mut n) {
        Err(Errno::ENOTTY) => Ok(()),
        Ok(_) => Err(Errno::UnknownErrno),
        Err(e) => Err(e),
    }
}

pub const RIGHTS: &[Right] = &[
    Right {
        name: "execute",
        bit: fs::EXECUTE,
        // execve opens the program for reading too.
        companions: fs::READ_FILE,
        file: Some("true"),
        prepare: prepare_exec,
        op: op_exec,
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "write_file",
        bit: fs::WRITE_FILE,
        companions: 0,
        file: Some("f"),
        prepare: prepare_file,
        op: |d| try_open(&d.join("f"), libc::O_WRONLY),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "read_file",
        bit: fs::READ_FILE,
        companions: 0,
        file: Some("f"),
        prepare: prepare_file,
        op: |d| try_open(&d.join("f"), libc::O_RDONLY),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "read_dir",
        bit: fs::READ_DIR,
        companions: 0,
        file: None,
        prepare: no_prepare,
        op: |d| try_open(d, libc::O_RDONLY | libc::O_DIRECTORY),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "remove_dir",
        bit: fs::REMOVE_DIR,
        companions: 0,
        file: None,
        prepare: prepare_subdir,
        op: |d| rmdir(&d.join("sub")),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "remove_file",
        bit: fs::REMOVE_FILE,
        companions: 0,
        file: None,
        prepare: prepare_file,
        op: |d| unlink(&d.join("f")),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "make_char",
        bit: fs::MAKE_CHAR,
        companions: 0,
        file: None,
        prepare: no_prepare,
        op: |d| mknod(&d.join("new"), libc::S_IFCHR, libc::makedev(1, 3)),
        denial: Errno::EACCES,
        mknod: Mknod::WhenAllowed,
    },
    Right {
        name: "make_dir",
        bit: fs::MAKE_DIR,
        companions: 0,
        file: None,
        prepare: no_prepare,
        op: |d| mkdir(&d.join("new")),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "make_reg",
        bit: fs::MAKE_REG,
        companions: 0,
        file: None,
        prepare: no_prepare,
        op: |d| mknod(&d.join("new"), libc::S_IFREG, 0),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "make_sock",
        bit: fs::MAKE_SOCK,
        companions: 0,
        file: None,
        prepare: no_prepare,
        op: |d| mknod(&d.join("new"), libc::S_IFSOCK, 0),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "make_fifo",
        bit: fs::MAKE_FIFO,
        companions: 0,
        file: None,
        prepare: no_prepare,
        op: |d| mknod(&d.join("new"), libc::S_IFIFO, 0),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "make_block",
        bit: fs::MAKE_BLOCK,
        companions: 0,
        file: None,
        prepare: no_prepare,
        op: |d| mknod(&d.join("new"), libc::S_IFBLK, libc::makedev(7, 0)),
        denial: Errno::EACCES,
        mknod: Mknod::WhenAllowed,
    },
    Right {
        name: "make_sym",
        bit: fs::MAKE_SYM,
        companions: 0,
        file: None,
        prepare: no_prepare,
        op: |d| symlink("f", &d.join("new")),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "refer",
        bit: fs::REFER,
        // Same as any rename: make the file in the destination, remove it
        // from the source. Unhandled here, so a missing REFER alone decides
        // and the kernel answers EXDEV rather than EACCES.
        companions: fs::MAKE_REG | fs::REMOVE_FILE,
        file: None,
        prepare: prepare_subdir,
        op: |d| rename(&d.join("f"), &d.join("sub/f")),
        denial: Errno::EXDEV,
        mknod: Mknod::Never,
    },
    Right {
        name: "truncate",
        bit: fs::TRUNCATE,
        companions: 0,
        file: Some("f"),
        prepare: prepare_file,
        op: |d| truncate(&d.join("f"), 0),
        denial: Errno::EACCES,
        mknod: Mknod::Never,
    },
    Right {
        name: "ioctl_dev",
        bit: fs::IOCTL_DEV,
        companions: fs::READ_FILE,
        file: Some("null"),
        prepare: prepare_null,
        op: op_ioctl,
        denial: Errno::EACCES,
        mknod: Mknod::Always,
    },
];

struct Layout {
    tree: TempTree,
}

impl Layout {
    fn new(r: &Right) -> Result<Layout, Stop> {
        let tree = TempTree::with(&["top/dir/", "top/other/"])?;
        (r.prepare)(&tree.path("top/dir"))?;
        Ok(Layout { tree })
    }
    fn p(&self, rel: &str) -> std::path::PathBuf {
        self.tree.path(rel)
    }
}

/// A ruleset handling `handled`, with the ELF interpreter executable when
/// EXECUTE is handled (execve opens it with the same check).
pub fn ruleset_for(handled: u64) -> Result<Ruleset, Stop> {
    let rs = Ruleset::fs(handled)?;
    if handled & fs::EXECUTE != 0 {
        if let Some(interp) = elf_interpreter(Path::new("/bin/true"))? {
            rs.allow_path(Path::new(&interp), fs::EXECUTE)?;
        }
    }
    Ok(rs)
}

fn run(r: Right, rule_at: Option<&str>, handled: u64, expect: Option<Errno>) -> TestResult {
    let l = Layout::new(&r)?;
    let rs = ruleset_for(handled)?;
    if let Some(at) = rule_at {
        rs.allow_path(&l.p(at), r.bit)?;
    }
    rs.enforce()?;
    let what = format!("{} in top/dir (rule on {rule_at:?})", r.name);
    expect_result(what, (r.op)(&l.p("top/dir")), expect)
}

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    for &r in RIGHTS {
        let flag = flag(r.bit);
        // Twins, one rule apart: a rule on `dir` against the same rule on
        // its sibling, one on the parent against none, one on the file
        // against one on the other file; a right left unhandled against
        // the same right handled with no rule.
        let twin_of = |variant: &str| match variant {
            "rule_on_dir" => "rule_on_sibling::denied",
            "rule_on_sibling" => "rule_on_dir::allowed",
            "rule_on_parent" => "no_rule::denied",
            "no_rule" => "rule_on_parent::allowed",
            "not_handled" if r.bit == fs::REFER => "rule_on_dir::allowed",
            "not_handled" => "no_rule::denied",
            "rule_on_file" => "rule_on_other_file::denied",
            _ => "rule_on_file::allowed",
        };
        let t = |variant: &str, case: &str, body: Box<dyn Fn() -> TestResult + Send + Sync>| {
            let t = Test::new(format!("fs::{}::{variant}::{case}", r.name), body)
                .needs(flag.name)
                .enforcement()
                .twin(format!("fs::{}::{}", r.name, twin_of(variant)));
            match r.mknod {
                Mknod::Always => t.requires(Requirement::Root),
                Mknod::WhenAllowed if case == "allowed" => t.requires(Requirement::Root),
                _ => t,
            }
        };
        v.push(t(
            "rule_on_dir",
            "allowed",
            Box::new(move || run(r, Some("top/dir"), r.bit, None)),
        ));
        v.push(t(
            "rule_on_parent",
            "allowed",
            Box::new(move || run(r, Some("top"), r.bit, None)),
        ));
        v.push(t(
            "rule_on_sibling",
            "denied",
            Box::new(move || run(r, Some("top/other"), r.bit, Some(r.denial))),
        ));
        v.push(t(
            "no_rule",
            "denied",
            Box::new(move || run(r, None, r.bit, Some(r.denial))),
        ));
        // REFER is denied by every domain, handled or not: the one right
        // whose absence from the handled set does not mean "allowed".
        let (case, unhandled_expect) = if r.bit == fs::REFER {
            ("implicitly_denied", Some(Errno::EXDEV))
        } else {
            ("allowed", None)
        };
        v.push(t(
            "not_handled",
            case,
            Box::new(move || {
                let handled = known_fs() & !r.bit & !r.companions;
                run(r, None, handled, unhandled_expect)
            }),
        ));
        if let Some(file) = r.file {
            let on_file = format!("top/dir/{file}");
            v.push(t(
                "rule_on_file",
                "allowed",
                Box::new(move || run(r, Some(&on_file), r.bit, None)),
            ));
            v.push(t(
                "rule_on_other_file",
                "denied",
                Box::new(move || run(r, Some("top/dir/g"), r.bit, Some(r.denial))),
            ));
        }
    }
    v
}
