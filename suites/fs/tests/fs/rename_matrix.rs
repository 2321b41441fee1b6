//! `fs::rename_matrix::*`: link, rename and RENAME_EXCHANGE between two
//! directories, one table of moves (file to a new name, file over a file,
//! directory to a new name, directory over a directory, and the exchanges
//! file/file, directory/file, directory/directory) crossed with where
//! REFER is granted and which plain right each end lacks.
//!
//! - `same_mount`: REFER on the source parent, the destination parent,
//!   both or neither, in one layer or split over two; then each MAKE_* or
//!   REMOVE_* right the move needs at one end withheld. Both ends always
//!   get the same plain rights, so that no move widens access and REFER
//!   alone decides between success and EXDEV; a missing plain right gives
//!   EACCES, which wins over EXDEV (security/landlock/fs.c,
//!   current_check_refer_path and is_eacces).
//! - `bind`: a bind mount of the whole tree. Within it the rules apply as
//!   on the tree; from the tree into it the VFS answers EXDEV before any
//!   LSM hook runs, whatever the domain grants or lacks.
//! - `disconnected`: two directories opened through a bind mount, then
//!   moved out of the mount's reach (the layout of the kernel selftests'
//!   layout4_disconnected_leafs). A kernel with the fix for erratum 3
//!   counts the rules on the directories themselves and on their new
//!   parents (the dentry walk up to the filesystem root) and on the bind
//!   mount's parent, never those on their old parents; and it still refuses
//!   (EXDEV) a move into the side that grants a file right (EXECUTE) more,
//!   and an exchange when either side does. A kernel without the
//!   fix warns in collect_domain_accesses() on such a rename, so the move is
//!   only made where a read through the disconnected directory shows the
//!   fix; elsewhere the cell is the known failure of erratum 3.
//!
//! fs::refer holds the single cases these tables generalise.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_errno, expect_ok, expect_result, fail, lacks_erratum, probe, Errno, OrFail, Requirement,
    Ruleset, Stop, Test, TestResult,
};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

const RE: u64 = fs::REFER;
const MR: u64 = fs::MAKE_REG;
const RF: u64 = fs::REMOVE_FILE;
const MD: u64 = fs::MAKE_DIR;
const RMD: u64 = fs::REMOVE_DIR;
const RD: u64 = fs::READ_FILE;
/// Handled by every layer of the same-mount and bind cells.
const HANDLED: u64 = RE | MR | RF | MD | RMD;
const EXDEV: Option<Errno> = Some(Errno::EXDEV);
const EACCES: Option<Errno> = Some(Errno::EACCES);
const ALLOWED: Option<Errno> = None;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Link,
    Rename,
    Exchange,
}

/// One move from `src/<from>` to `dst/<to>`, and the plain rights each
/// parent must grant for it (fs.c: get_dentry_access and maybe_remove).
#[derive(Clone, Copy)]
struct Move {
    name: &'static str,
    op: Op,
    from: &'static str,
    to: &'static str,
    src_needs: u64,
    dst_needs: u64,
}

const MOVES: &[Move] = &[
    Move {
        name: "link_file",
        op: Op::Link,
        from: "f",
        to: "n",
        src_needs: 0,
        dst_needs: MR,
    },
    Move {
        name: "rename_file_to_new",
        op: Op::Rename,
        from: "f",
        to: "n",
        src_needs: RF,
        dst_needs: MR,
    },
    Move {
        name: "rename_file_over_file",
        op: Op::Rename,
        from: "f",
        to: "g",
        src_needs: RF,
        dst_needs: MR | RF,
    },
    Move {
        name: "rename_dir_to_new",
        op: Op::Rename,
        from: "d",
        to: "n",
        src_needs: RMD,
        dst_needs: MD,
    },
    Move {
        name: "rename_dir_over_dir",
        op: Op::Rename,
        from: "d",
        to: "e",
        src_needs: RMD,
        dst_needs: MD | RMD,
    },
    Move {
        name: "exchange_file_file",
        op: Op::Exchange,
        from: "f",
        to: "g",
        src_needs: MR | RF,
        dst_needs: MR | RF,
    },
    // The file comes into src, the directory goes into dst.
    Move {
        name: "exchange_dir_file",
        op: Op::Exchange,
        from: "d",
        to: "g",
        src_needs: RMD | MR,
        dst_needs: RF | MD,
    },
    Move {
        name: "exchange_dir_dir",
        op: Op::Exchange,
        from: "d",
        to: "e",
        src_needs: RMD | MD,
        dst_needs: RMD | MD,
    },
];

impl Move {
    /// What both parents grant: the same on each side, so that nothing the
    /// move carries gains a right.
    fn plain(&self) -> u64 {
        self.src_needs | self.dst_needs
    }
    fn describe(&self, from: &str, to: &str) -> String {
        match self.op {
            Op::Link => format!("link({from}, {to})"),
            Op::Rename => format!("rename({from}, {to})"),
            Op::Exchange => format!("renameat2({from}, {to}, RENAME_EXCHANGE)"),
        }
    }
    fn run(&self, from: &Path, to: &Path) -> Result<(), Errno> {
        match self.op {
            Op::Link => link(from, to),
            Op::Rename => rename(from, to),
            Op::Exchange => exchange(from, to),
        }
    }
}

/// What is at a path, by inode (stat needs no right, reading might):
/// compared before and after a move.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Node {
    Missing,
    Dir(u64),
    File(u64),
}

fn node(p: &Path) -> Node {
    use std::os::unix::fs::MetadataExt;
    match std::fs::symlink_metadata(p) {
        Err(_) => Node::Missing,
        Ok(m) if m.is_dir() => Node::Dir(m.ino()),
        Ok(m) => Node::File(m.ino()),
    }
}

/// Runs the move and checks both its answer and what it left: a success
/// must have moved (or linked, or swapped) the objects, a denial must have
/// left both names as they were.
fn checked_move(
    m: &Move,
    from: &Path,
    to: &Path,
    label: String,
    expect: Option<Errno>,
) -> TestResult {
    let (a, b) = (node(from), node(to));
    expect_result(&label, m.run(from, to), expect)?;
    let (a2, b2) = (node(from), node(to));
    let want = match (expect, m.op) {
        (Some(_), _) => (a.clone(), b.clone()),
        (None, Op::Link) => (a.clone(), a.clone()),
        (None, Op::Rename) => (Node::Missing, a.clone()),
        (None, Op::Exchange) => (b.clone(), a.clone()),
    };
    if (a2.clone(), b2.clone()) != want {
        return Err(fail(format!(
            "{label}: the names hold {a2:?} and {b2:?} afterwards, {want:?} expected"
        )));
    }
    Ok(())
}

/// The objects of every move: files carry their own path as content.
const ENTRIES: &[&str] = &["top/src/f", "top/src/d/x", "top/dst/g", "top/dst/e/"];

/// After the move: a file in `top`, which no rule covers, cannot be made.
/// Catches a domain that is not in force, whatever the move answered.
fn witness(top: &Path) -> TestResult {
    expect_errno(
        "creat(top/witness) under no rule: the domain is in force",
        creat(&top.join("witness")),
        Errno::EACCES,
    )
}

// ---------------------------------------------------------------------------
// Same mount and bind mount: where REFER is, and which plain right lacks.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Source,
    Destination,
}

/// Where REFER is granted within one layer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Refer {
    Neither,
    Source,
    Destination,
    Both,
}

impl Refer {
    fn on(self, side: Side) -> u64 {
        let yes = matches!(
            (self, side),
            (Refer::Both, _)
                | (Refer::Source, Side::Source)
                | (Refer::Destination, Side::Destination)
        );
        if yes {
            RE
        } else {
            0
        }
    }
    fn name(self) -> &'static str {
        match self {
            Refer::Neither => "neither",
            Refer::Source => "source",
            Refer::Destination => "destination",
            Refer::Both => "both",
        }
    }
}

/// The layers of one cell.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Grants {
    /// One layer, REFER as given, every plain right on both sides.
    One(Refer),
    /// Two layers, each with REFER on both sides.
    TwoBoth,
    /// REFER on the source in the first layer, on the destination in the
    /// second: each layer lacks it on one side.
    TwoSplit,
    /// REFER on both sides in the first layer, on neither in the second.
    TwoSecondNeither,
    /// One layer, REFER on both sides, one needed right withheld at one end.
    Withheld(Side, u64),
    /// The same without any REFER: EACCES before EXDEV.
    WithheldNoRefer(Side, u64),
}

fn right_name(bit: u64) -> &'static str {
    match bit {
        MR => "make_reg",
        RF => "remove_file",
        MD => "make_dir",
        RMD => "remove_dir",
        _ => "right",
    }
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Source => "source",
        Side::Destination => "destination",
    }
}

impl Grants {
    /// Each layer's rules as (source access, destination access).
    fn layers(self, m: &Move) -> Vec<(u64, u64)> {
        let p = m.plain();
        let one = |r: Refer| (p | r.on(Side::Source), p | r.on(Side::Destination));
        let without = |r: Refer, side: Side, bit: u64| {
            let (s, d) = one(r);
            match side {
                Side::Source => (s & !bit, d),
                Side::Destination => (s, d & !bit),
            }
        };
        match self {
            Grants::One(r) => vec![one(r)],
            Grants::TwoBoth => vec![one(Refer::Both), one(Refer::Both)],
            Grants::TwoSplit => vec![one(Refer::Source), one(Refer::Destination)],
            Grants::TwoSecondNeither => vec![one(Refer::Both), one(Refer::Neither)],
            Grants::Withheld(side, bit) => vec![without(Refer::Both, side, bit)],
            Grants::WithheldNoRefer(side, bit) => vec![without(Refer::Neither, side, bit)],
        }
    }
    fn expected(self) -> Option<Errno> {
        match self {
            Grants::One(Refer::Both) | Grants::TwoBoth => ALLOWED,
            Grants::One(_) | Grants::TwoSplit | Grants::TwoSecondNeither => EXDEV,
            Grants::Withheld(..) | Grants::WithheldNoRefer(..) => EACCES,
        }
    }
    fn name(self) -> String {
        let verdict = match self.expected() {
            None => "allowed",
            Some(Errno::EXDEV) => "exdev",
            Some(_) => "eacces",
        };
        let what = match self {
            Grants::One(r) => format!("one_layer_refer_{}", r.name()),
            Grants::TwoBoth => "two_layers_refer_both".into(),
            Grants::TwoSplit => "two_layers_refer_split".into(),
            Grants::TwoSecondNeither => "two_layers_second_without_refer".into(),
            Grants::Withheld(s, b) => format!("no_{}_in_{}", right_name(b), side_name(s)),
            Grants::WithheldNoRefer(s, b) => {
                format!("no_{}_in_{}_nor_refer", right_name(b), side_name(s))
            }
        };
        format!("{what}_{verdict}")
    }
    /// The cell one rule, right or layer apart with the other verdict.
    fn twin(self) -> Grants {
        match self {
            // REFER on the destination is the one right apart.
            Grants::One(Refer::Both) => Grants::One(Refer::Source),
            // The second layer without REFER is the one layer apart.
            Grants::TwoBoth => Grants::TwoSecondNeither,
            Grants::TwoSecondNeither => Grants::TwoBoth,
            // The same grants in one layer.
            _ => Grants::One(Refer::Both),
        }
    }
}

/// Every cell of one move.
fn grants_of(m: &Move) -> Vec<Grants> {
    let mut v = vec![
        Grants::One(Refer::Neither),
        Grants::One(Refer::Source),
        Grants::One(Refer::Destination),
        Grants::One(Refer::Both),
        Grants::TwoBoth,
        Grants::TwoSplit,
        Grants::TwoSecondNeither,
    ];
    for (side, needs) in [
        (Side::Source, m.src_needs),
        (Side::Destination, m.dst_needs),
    ] {
        for bit in [MR, RF, MD, RMD] {
            if needs & bit != 0 {
                v.push(Grants::Withheld(side, bit));
            }
        }
    }
    // EACCES over EXDEV: the first right the destination needs.
    let first = [MR, RF, MD, RMD]
        .into_iter()
        .find(|b| m.dst_needs & b != 0)
        .expect("every move makes something in its destination");
    v.push(Grants::WithheldNoRefer(Side::Destination, first));
    v
}

fn enforce_grants(top: &Path, g: Grants, m: &Move) -> TestResult {
    for (src, dst) in g.layers(m) {
        let rs = Ruleset::fs(HANDLED)?;
        for (dir, access) in [("src", src), ("dst", dst)] {
            if access != 0 {
                rs.allow_path(&top.join(dir), access)?;
            }
        }
        rs.enforce()?;
    }
    Ok(())
}

fn same_mount(m: &Move, g: Grants) -> TestResult {
    let t = TempTree::with(ENTRIES)?;
    let top = t.path("top");
    enforce_grants(&top, g, m)?;
    let (from, to) = (top.join("src").join(m.from), top.join("dst").join(m.to));
    let label = format!(
        "{} with {:?}",
        m.describe(&format!("src/{}", m.from), &format!("dst/{}", m.to)),
        g.layers(m)
    );
    checked_move(m, &from, &to, label, g.expected())?;
    witness(&top)
}

/// Where the bind cells move from and to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Bind {
    /// view/src to view/dst, REFER on both: allowed.
    WithinAllowed,
    /// view/src to view/dst, REFER on neither: Landlock's EXDEV.
    WithinNoRefer,
    /// top/src to view/dst, REFER on both: the VFS's EXDEV.
    Across,
    /// top/src to view/dst, a needed right withheld: still the VFS's EXDEV,
    /// where the same mount would give EACCES.
    AcrossWithheld,
}

impl Bind {
    fn name(self) -> &'static str {
        match self {
            Bind::WithinAllowed => "within_bind_mount_allowed",
            Bind::WithinNoRefer => "within_bind_mount_no_refer_exdev",
            Bind::Across => "across_mounts_exdev",
            Bind::AcrossWithheld => "across_mounts_missing_right_exdev",
        }
    }
    fn twin(self) -> Bind {
        match self {
            Bind::WithinAllowed => Bind::WithinNoRefer,
            _ => Bind::WithinAllowed,
        }
    }
}

/// A private tmpfs holding the tree, with `fs/view` a bind mount of
/// `fs/top`.
fn bind_tree() -> Result<(TempTree, PathBuf), Stop> {
    let t = TempTree::with(&["fs/"])?;
    llconf_harness::fixture::enter_private_mount_ns()?;
    let fsdir = t.path("fs");
    setup("mount tmpfs on fs", mount_tmpfs(&fsdir))?;
    for e in ENTRIES {
        let p = fsdir.join(e.trim_end_matches('/'));
        if e.ends_with('/') {
            std::fs::create_dir_all(&p).or_fail(format!("mkdir {}", p.display()))?;
        } else {
            std::fs::create_dir_all(p.parent().expect("a parent"))
                .or_fail(format!("mkdir for {}", p.display()))?;
            std::fs::write(&p, e.as_bytes()).or_fail(format!("write {}", p.display()))?;
        }
    }
    setup("mkdir fs/view", mkdir(&fsdir.join("view")))?;
    setup(
        "bind mount fs/top on fs/view",
        bind_mount(&fsdir.join("top"), &fsdir.join("view")),
    )?;
    Ok((t, fsdir))
}

fn bind(m: &Move, b: Bind) -> TestResult {
    let (_t, fsdir) = bind_tree()?;
    let top = fsdir.join("top");
    let first = [MR, RF, MD, RMD]
        .into_iter()
        .find(|x| m.dst_needs & x != 0)
        .expect("every move makes something in its destination");
    let (g, from_root, expect) = match b {
        Bind::WithinAllowed => (Grants::One(Refer::Both), "view", ALLOWED),
        Bind::WithinNoRefer => (Grants::One(Refer::Neither), "view", EXDEV),
        Bind::Across => (Grants::One(Refer::Both), "top", EXDEV),
        Bind::AcrossWithheld => (Grants::Withheld(Side::Destination, first), "top", EXDEV),
    };
    enforce_grants(&top, g, m)?;
    let from = fsdir.join(from_root).join("src").join(m.from);
    let to = fsdir.join("view/dst").join(m.to);
    let label = format!(
        "{} with {:?}",
        m.describe(
            &format!("{from_root}/src/{}", m.from),
            &format!("view/dst/{}", m.to)
        ),
        g.layers(m)
    );
    checked_move(m, &from, &to, label, expect)?;
    witness(&top)
}

// ---------------------------------------------------------------------------
// Disconnected directories.
//
// Inside a private tmpfs `fs`:
//
//   fs/src/                bind-mounted on fs/mnt/view
//   fs/src/o1/d1/{f1,f2}   opened as view/o1/d1, then moved to fs/a1/d1
//   fs/src/o2/d2/{f3,f4}   opened as view/o2/d2, then moved to fs/a2/d2
//   fs/other/f             under no rule: the witness
//
// The moves go from d1 to d2 through the two descriptors.

const ERRATUM: u32 = 3;

/// Where the rules of a disconnected cell are.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Place {
    /// On d1 and d2 themselves.
    Own,
    /// On a1 and a2, their parents since the move.
    NewParent,
    /// On o1 and o2, their parents before the move: never counted.
    OldParent,
    /// One rule on fs/mnt, the bind mount's parent, for both.
    MountParent,
}

impl Place {
    fn name(self) -> &'static str {
        match self {
            Place::Own => "rules_on_directories",
            Place::NewParent => "rules_on_new_parents",
            Place::OldParent => "rules_on_old_parents",
            Place::MountParent => "rule_on_mount_parent",
        }
    }
    fn dirs(self) -> (&'static str, &'static str) {
        match self {
            Place::Own => ("a1/d1", "a2/d2"),
            Place::NewParent => ("a1", "a2"),
            Place::OldParent => ("src/o1", "src/o2"),
            Place::MountParent => ("mnt", "mnt"),
        }
    }
    fn refers(self) -> &'static [Refer] {
        match self {
            Place::Own | Place::NewParent => &[
                Refer::Neither,
                Refer::Source,
                Refer::Destination,
                Refer::Both,
            ],
            Place::MountParent => &[Refer::Neither, Refer::Both],
            Place::OldParent => &[Refer::Both],
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum DOp {
    /// renameat(d1, "f1", d2, "n").
    Rename,
    /// renameat2(d1, "f2", d2, "f3", RENAME_EXCHANGE).
    Exchange,
    /// linkat(d1, "f1", d2, "l").
    Link,
    /// renameat(d2, "f4", d2, "m"): no reparenting, no REFER needed.
    SameDir,
}

impl DOp {
    fn name(self) -> &'static str {
        match self {
            DOp::Rename => "rename",
            DOp::Exchange => "exchange",
            DOp::Link => "link",
            DOp::SameDir => "same_dir_rename",
        }
    }
}

/// The plain rights every disconnected cell grants where its rules are.
const D_PLAIN: u64 = MR | RF;
/// A file right one side may grant on top: moving a file there widens.
const EX: u64 = fs::EXECUTE;
const D_HANDLED: u64 = RE | MR | RF | RD | EX;

fn d_expected(place: Place, refer: Refer, wider: Option<Side>, op: DOp) -> Option<Errno> {
    match (place, op, wider) {
        (Place::OldParent, _, _) => EACCES,
        (_, DOp::SameDir, _) => ALLOWED,
        _ if refer != Refer::Both => EXDEV,
        // The file would gain EXECUTE in the destination.
        (_, _, Some(Side::Destination)) => EXDEV,
        // The exchange moves a file the other way too, where it would gain.
        (_, DOp::Exchange, Some(Side::Source)) => EXDEV,
        _ => ALLOWED,
    }
}

fn d_name(place: Place, refer: Refer, wider: Option<Side>, op: DOp) -> String {
    let verdict = match d_expected(place, refer, wider, op) {
        None => "allowed",
        Some(Errno::EXDEV) => "exdev",
        Some(_) => "eacces",
    };
    let refer = if op == DOp::SameDir {
        String::new()
    } else {
        format!("refer_{}_", refer.name())
    };
    let wider = match wider {
        None => "",
        Some(Side::Source) => "source_wider_",
        Some(Side::Destination) => "destination_wider_",
    };
    format!(
        "fs::rename_matrix::disconnected::{}::{}::{refer}{wider}{verdict}",
        place.name(),
        op.name()
    )
}

fn d_twin(place: Place, refer: Refer, wider: Option<Side>, op: DOp) -> String {
    match (place, refer, wider, op) {
        // Old parents: the same rules on the directories themselves.
        (Place::OldParent, _, _, _) => d_name(Place::Own, Refer::Both, None, op),
        // No REFER is needed: the twin is the old parents', never counted.
        (_, _, _, DOp::SameDir) => d_name(Place::OldParent, Refer::Both, None, op),
        // One right (EXECUTE) apart: the same with no side wider.
        (_, _, Some(Side::Destination), _) | (_, _, Some(Side::Source), DOp::Exchange) => {
            d_name(place, refer, None, op)
        }
        // One right apart: EXECUTE on the other side instead.
        (_, _, Some(Side::Source), _) => d_name(place, refer, Some(Side::Destination), op),
        (Place::MountParent, Refer::Both, _, _) => d_name(place, Refer::Neither, None, op),
        (_, Refer::Both, _, _) => d_name(place, Refer::Source, None, op),
        _ => d_name(place, Refer::Both, None, op),
    }
}

fn at(name: &str) -> CString {
    c(Path::new(name))
}

fn renameat2(a: RawFd, an: &str, b: RawFd, bn: &str, flags: u32) -> Result<(), Errno> {
    let (an, bn) = (at(an), at(bn));
    // SAFETY: valid C strings; renameat2 through syscall(2) because older
    // glibc lacks the wrapper.
    let r = unsafe { libc::syscall(libc::SYS_renameat2, a, an.as_ptr(), b, bn.as_ptr(), flags) };
    Errno::result(r).map(drop)
}

fn linkat(a: RawFd, an: &str, b: RawFd, bn: &str) -> Result<(), Errno> {
    let (an, bn) = (at(an), at(bn));
    // SAFETY: valid C strings.
    Errno::result(unsafe { libc::linkat(a, an.as_ptr(), b, bn.as_ptr(), 0) }).map(drop)
}

fn openat(dir: RawFd, name: &str, flags: i32) -> Result<OwnedFd, Errno> {
    use std::os::fd::FromRawFd;
    let n = at(name);
    // SAFETY: valid C string; no O_CREAT, so no mode.
    let fd = unsafe { libc::openat(dir, n.as_ptr(), flags | libc::O_CLOEXEC) };
    // SAFETY: a new fd owned by the caller.
    Errno::result(fd).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

struct Disconnected {
    _t: TempTree,
    fsdir: PathBuf,
    d1: OwnedFd,
    d2: OwnedFd,
}

impl Disconnected {
    fn new() -> Result<Disconnected, Stop> {
        let t = TempTree::with(&["fs/"])?;
        llconf_harness::fixture::enter_private_mount_ns()?;
        let fsdir = t.path("fs");
        setup("mount tmpfs on fs", mount_tmpfs(&fsdir))?;
        for d in ["src/o1/d1", "src/o2/d2", "mnt/view", "a1", "a2", "other"] {
            std::fs::create_dir_all(fsdir.join(d)).or_fail(format!("mkdir fs/{d}"))?;
        }
        for f in [
            "src/o1/d1/f1",
            "src/o1/d1/f2",
            "src/o2/d2/f3",
            "src/o2/d2/f4",
            "other/f",
        ] {
            std::fs::write(fsdir.join(f), f).or_fail(format!("write fs/{f}"))?;
        }
        setup(
            "bind mount fs/src on fs/mnt/view",
            bind_mount(&fsdir.join("src"), &fsdir.join("mnt/view")),
        )?;
        let flags = libc::O_PATH | libc::O_DIRECTORY;
        let d1 = setup(
            "open view/o1/d1",
            open(&fsdir.join("mnt/view/o1/d1"), flags),
        )?;
        let d2 = setup(
            "open view/o2/d2",
            open(&fsdir.join("mnt/view/o2/d2"), flags),
        )?;
        setup(
            "rename fs/src/o1/d1 to fs/a1/d1",
            rename(&fsdir.join("src/o1/d1"), &fsdir.join("a1/d1")),
        )?;
        setup(
            "rename fs/src/o2/d2 to fs/a2/d2",
            rename(&fsdir.join("src/o2/d2"), &fsdir.join("a2/d2")),
        )?;
        for (name, d) in [("d1", &d1), ("d2", &d2)] {
            expect_errno(
                format!("setup: openat(view/.../{name}, \"..\") after the move: disconnected"),
                openat(d.as_raw_fd(), "..", libc::O_RDONLY | libc::O_DIRECTORY),
                Errno::ENOENT,
            )?;
        }
        Ok(Disconnected {
            _t: t,
            fsdir,
            d1,
            d2,
        })
    }
}

/// The gate of erratum 3: READ_FILE is granted on fs/mnt, so a read
/// through d1 is allowed where the fix is in and denied where it is not.
/// Ok to go on with the move; the known failure of erratum 3 otherwise.
fn erratum_gate(read: Result<(), Errno>) -> TestResult {
    let what =
        "openat([disconnected d1], \"f2\", O_RDONLY) with READ_FILE on the bind mount's parent";
    match probe::kernel().errata {
        Some(bits) if bits & (1 << (ERRATUM - 1)) != 0 => {
            expect_ok(format!("{what}; errata {bits:#x} has bit 2 set"), read)
        }
        Some(bits) => {
            expect_errno(
                format!("{what}; errata {bits:#x} has bit 2 clear, so the old behaviour is due"),
                read,
                Errno::EACCES,
            )?;
            Err(lacks_erratum(
                ERRATUM,
                format!("{what}: EACCES; the move through the disconnected directory is not made (collect_domain_accesses() warns there without the fix)"),
            ))
        }
        None => match read {
            Ok(()) => Ok(()),
            Err(Errno::EACCES) => Err(lacks_erratum(
                ERRATUM,
                format!("{what}: EACCES (no errata query); the move through the disconnected directory is not made"),
            )),
            Err(e) => Err(fail(format!(
                "{what}: {e:?}, neither the fixed (success) nor the old (EACCES) behaviour"
            ))),
        },
    }
}

fn disconnected(place: Place, refer: Refer, wider: Option<Side>, op: DOp) -> TestResult {
    let s = Disconnected::new()?;
    let before: std::collections::HashMap<&str, Node> = [
        ("f1", "a1/d1/f1"),
        ("f2", "a1/d1/f2"),
        ("f3", "a2/d2/f3"),
        ("f4", "a2/d2/f4"),
    ]
    .into_iter()
    .map(|(k, rel)| (k, node(&s.fsdir.join(rel))))
    .collect();
    let rs = Ruleset::fs(D_HANDLED)?;
    rs.allow_path(&s.fsdir.join("mnt"), RD)?;
    let (p1, p2) = place.dirs();
    let extra = |side: Side| if wider == Some(side) { EX } else { 0 };
    let (g1, g2) = (
        D_PLAIN | refer.on(Side::Source) | extra(Side::Source),
        D_PLAIN | refer.on(Side::Destination) | extra(Side::Destination),
    );
    rs.allow_path(&s.fsdir.join(p1), g1)?;
    rs.allow_path(&s.fsdir.join(p2), g2)?;
    rs.enforce()?;
    expect_errno(
        "open(fs/other/f, O_RDONLY) under no rule: the domain is in force",
        open(&s.fsdir.join("other/f"), libc::O_RDONLY),
        Errno::EACCES,
    )?;
    erratum_gate(openat(s.d1.as_raw_fd(), "f2", libc::O_RDONLY).map(drop))?;
    let (d1, d2) = (s.d1.as_raw_fd(), s.d2.as_raw_fd());
    let rules = format!("{g1:#x} on fs/{p1}, {g2:#x} on fs/{p2}");
    let expect = d_expected(place, refer, wider, op);
    match op {
        DOp::Rename => expect_result(
            format!("renameat([d1], \"f1\", [d2], \"n\") with {rules}"),
            renameat2(d1, "f1", d2, "n", 0),
            expect,
        )?,
        DOp::Exchange => expect_result(
            format!("renameat2([d1], \"f2\", [d2], \"f3\", RENAME_EXCHANGE) with {rules}"),
            renameat2(d1, "f2", d2, "f3", libc::RENAME_EXCHANGE),
            expect,
        )?,
        DOp::Link => expect_result(
            format!("linkat([d1], \"f1\", [d2], \"l\") with {rules}"),
            linkat(d1, "f1", d2, "l"),
            expect,
        )?,
        DOp::SameDir => expect_result(
            format!("renameat([d2], \"f4\", [d2], \"m\") with {rules}"),
            renameat2(d2, "f4", d2, "m", 0),
            expect,
        )?,
    }
    // What the move left, by path from outside the bind mount.
    let f = |rel: &str| before[rel].clone();
    let after = match (op, expect) {
        (DOp::Rename, None) => vec![("a1/d1/f1", Node::Missing), ("a2/d2/n", f("f1"))],
        (DOp::Rename, Some(_)) => vec![("a1/d1/f1", f("f1")), ("a2/d2/n", Node::Missing)],
        (DOp::Exchange, None) => vec![("a1/d1/f2", f("f3")), ("a2/d2/f3", f("f2"))],
        (DOp::Exchange, Some(_)) => vec![("a1/d1/f2", f("f2")), ("a2/d2/f3", f("f3"))],
        (DOp::Link, None) => vec![("a1/d1/f1", f("f1")), ("a2/d2/l", f("f1"))],
        (DOp::Link, Some(_)) => vec![("a1/d1/f1", f("f1")), ("a2/d2/l", Node::Missing)],
        (DOp::SameDir, None) => vec![("a2/d2/f4", Node::Missing), ("a2/d2/m", f("f4"))],
        (DOp::SameDir, Some(_)) => vec![("a2/d2/f4", f("f4")), ("a2/d2/m", Node::Missing)],
    };
    for (rel, want) in after {
        let got = node(&s.fsdir.join(rel));
        if got != want {
            return Err(fail(format!(
                "after the {}: fs/{rel} holds {got:?}, {want:?} expected",
                op.name()
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------

fn same_name(m: &Move, g: Grants) -> String {
    format!("fs::rename_matrix::same_mount::{}::{}", m.name, g.name())
}

fn bind_name(m: &Move, b: Bind) -> String {
    format!("fs::rename_matrix::bind::{}::{}", m.name, b.name())
}

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    for m in MOVES {
        for g in grants_of(m) {
            let m2 = *m;
            v.push(
                Test::new(same_name(m, g), move || same_mount(&m2, g))
                    .needs("LANDLOCK_ACCESS_FS_REFER")
                    .enforcement()
                    .twin(same_name(m, g.twin())),
            );
        }
        for b in [
            Bind::WithinAllowed,
            Bind::WithinNoRefer,
            Bind::Across,
            Bind::AcrossWithheld,
        ] {
            let m2 = *m;
            v.push(
                Test::new(bind_name(m, b), move || bind(&m2, b))
                    .requires(Requirement::Root)
                    .needs("LANDLOCK_ACCESS_FS_REFER")
                    .enforcement()
                    .twin(bind_name(m, b.twin())),
            );
        }
    }
    for place in [
        Place::Own,
        Place::NewParent,
        Place::MountParent,
        Place::OldParent,
    ] {
        let mut cells: Vec<(Refer, Option<Side>)> =
            place.refers().iter().map(|&r| (r, None)).collect();
        if matches!(place, Place::Own | Place::NewParent) {
            cells.push((Refer::Both, Some(Side::Source)));
            cells.push((Refer::Both, Some(Side::Destination)));
        }
        for (refer, wider) in cells {
            for op in [DOp::Rename, DOp::Exchange, DOp::Link] {
                v.push(
                    Test::new(d_name(place, refer, wider, op), move || {
                        disconnected(place, refer, wider, op)
                    })
                    .requires(Requirement::Root)
                    .needs("LANDLOCK_ACCESS_FS_REFER")
                    .enforcement()
                    .twin(d_twin(place, refer, wider, op)),
                );
            }
        }
        let refer = Refer::Both;
        v.push(
            Test::new(d_name(place, refer, None, DOp::SameDir), move || {
                disconnected(place, refer, None, DOp::SameDir)
            })
            .requires(Requirement::Root)
            .needs("LANDLOCK_ACCESS_FS_REFER")
            .enforcement()
            .twin(d_twin(place, refer, None, DOp::SameDir)),
        );
    }
    v
}
