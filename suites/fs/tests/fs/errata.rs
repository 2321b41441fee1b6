//! `fs::errata::*`: the two filesystem errata, each checked against the
//! errata bit the kernel reports (erratum N is bit N-1 of the answer to
//! `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_ERRATA)`).
//!
//! - `whiteout` (erratum 4, bit 3): creating a whiteout (a 0:0 character
//!   device) by mknod(2), link(2), rename(2) of an existing one, or
//!   renameat2(RENAME_WHITEOUT) is guarded by MAKE_REG on a fixed kernel.
//!   Before the fix mknod, link and rename asked for MAKE_CHAR, as for any
//!   character device, and the whiteout that RENAME_WHITEOUT leaves in the
//!   source directory was not checked at all. A real character device
//!   needs MAKE_CHAR on every kernel.
//! - `disconnected` (erratum 3, bit 2): a directory moved out from under a
//!   bind mount stays reachable through a file descriptor opened through
//!   the bind mount. A fixed kernel grants what the rules give on both the
//!   directory's own ancestors up to the filesystem root and the bind
//!   mount's hierarchy. Before the fix the walk stopped at the filesystem
//!   root and denied, while the rename check still counted the mount's
//!   hierarchy, so a rename could widen access.
//!
//! A kernel whose bit is set must show the fixed behaviour, a kernel whose
//! bit is clear the old one: a known failure that names the erratum and its
//! fix (suites/known-issues.toml), not a pass. A clear bit with the fixed
//! behaviour is a failure: the kernel under-reports. A kernel without the
//! errata query (no answer at all) may show either, but every observation
//! of a test must then fit the same one; the old one is a known failure.

use crate::common::*;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{
    expect_errno, expect_result, fail, lacks_erratum, probe, skip, Errno, OrFail, Requirement,
    Ruleset, Stop, Test, TestResult,
};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

const EACCES: Option<Errno> = Some(Errno::EACCES);
const ALLOWED: Option<Errno> = None;

/// One erratum: its number and what it is about, for messages.
struct Erratum {
    number: u32,
    topic: &'static str,
}

const WHITEOUTS: Erratum = Erratum {
    number: 4,
    topic: "whiteout creation",
};

const DISCONNECTED: Erratum = Erratum {
    number: 3,
    topic: "disconnected directories",
};

impl Erratum {
    fn bit(&self) -> u64 {
        1 << (self.number - 1)
    }
}

/// One call and what it must give on a fixed and on an old kernel.
struct Obs {
    what: String,
    observed: Result<(), Errno>,
    fixed: Option<Errno>,
    old: Option<Errno>,
}

fn show(r: Option<Errno>) -> String {
    match r {
        None => "success".into(),
        Some(e) => format!("{e:?}"),
    }
}

impl Obs {
    fn new(
        what: impl Into<String>,
        observed: Result<(), Errno>,
        fixed: Option<Errno>,
        old: Option<Errno>,
    ) -> Obs {
        Obs {
            what: what.into(),
            observed,
            fixed,
            old,
        }
    }
    fn fits(&self, fixed: bool) -> bool {
        self.observed.err() == if fixed { self.fixed } else { self.old }
    }
    fn line(&self) -> String {
        format!(
            "{}: {} (fixed kernel: {}, old kernel: {})",
            self.what,
            show(self.observed.err()),
            show(self.fixed),
            show(self.old)
        )
    }
}

/// Checks observations against the behaviour the errata bit demands.
///
/// With an errata answer, every `subject` observation must give exactly what
/// the bit demands. Without one, `subject` and `context` together must fit
/// either the fixed or the old behaviour as a whole. `context` holds the same
/// operation under the other grants of the same domain: it is what catches a
/// kernel that, say, denies a whiteout whichever right is granted.
fn judge(e: &Erratum, subject: &[Obs], context: &[Obs]) -> TestResult {
    let errata = probe::kernel().errata;
    println!(
        "erratum {} ({}); errata answer: {}",
        e.number,
        e.topic,
        errata.map_or("none (no errata query)".into(), |b| format!("{b:#x}"))
    );
    for o in subject.iter().chain(context) {
        println!("  {}", o.line());
    }
    match errata {
        Some(bits) => {
            let fixed = bits & e.bit() != 0;
            let why = format!(
                "errata {bits:#x}: bit {} (erratum {}, {}) is {}, so the {} behaviour is due",
                e.number - 1,
                e.number,
                e.topic,
                if fixed { "set" } else { "clear" },
                if fixed { "fixed" } else { "old" }
            );
            for o in subject {
                let expected = if fixed { o.fixed } else { o.old };
                expect_result(format!("{}; {why}", o.what), o.observed, expected)?;
            }
            // The old behaviour, as the clear bit says: a kernel without
            // the fix, which is a known failure and never a pass. Cases
            // where both behaviours agree are controls, and pass.
            if !fixed && subject.iter().any(|o| o.fixed != o.old) {
                // The same domain's other grants must show the old
                // behaviour too, or this is no kernel that merely lacks
                // the fix.
                if let Some(o) = context.iter().find(|o| !o.fits(false)) {
                    return Err(fail(format!(
                        "{}; {why}, but this does not fit it: {}",
                        o.what,
                        o.line()
                    )));
                }
                return Err(lacks(e, subject));
            }
            Ok(())
        }
        None => {
            let all: Vec<&Obs> = subject.iter().chain(context).collect();
            let (fixed, old) = (
                all.iter().all(|o| o.fits(true)),
                all.iter().all(|o| o.fits(false)),
            );
            if fixed || old {
                println!(
                    "no errata query: the kernel shows the {} behaviour of erratum {}",
                    if fixed { "fixed" } else { "old" },
                    e.number
                );
                return if fixed {
                    Ok(())
                } else {
                    Err(lacks(e, subject))
                };
            }
            let lines: Vec<String> = all.iter().map(|o| o.line()).collect();
            Err(fail(format!(
                "no errata query, and the kernel shows neither the fixed nor the old behaviour \
                 of erratum {} ({}): {}",
                e.number,
                e.topic,
                lines.join("; ")
            )))
        }
    }
}

/// The known failure of a kernel without the fix, with what it did.
fn lacks(e: &Erratum, subject: &[Obs]) -> Stop {
    let lines: Vec<String> = subject
        .iter()
        .filter(|o| o.fixed != o.old)
        .map(Obs::line)
        .collect();
    lacks_erratum(
        e.number,
        format!(
            "{} behaves as before the fix: {}",
            e.topic,
            lines.join("; ")
        ),
    )
}

fn renameat2(
    olddir: RawFd,
    old: &Path,
    newdir: RawFd,
    new: &Path,
    flags: u32,
) -> Result<(), Errno> {
    // SAFETY: valid C strings; renameat2 through syscall(2) because older
    // glibc lacks the wrapper.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            olddir,
            c(old).as_ptr(),
            newdir,
            c(new).as_ptr(),
            flags,
        )
    };
    Errno::result(r).map(drop)
}

fn rename_whiteout(from: &Path, to: &Path) -> Result<(), Errno> {
    renameat2(
        libc::AT_FDCWD,
        from,
        libc::AT_FDCWD,
        to,
        libc::RENAME_WHITEOUT,
    )
}

fn openat(dir: RawFd, name: &str, flags: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: valid C string; no O_CREAT, so no mode.
    let fd = unsafe { libc::openat(dir, c(Path::new(name)).as_ptr(), flags | libc::O_CLOEXEC) };
    // SAFETY: a new fd owned by the caller.
    Errno::result(fd).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

fn whiteout_dev() -> libc::dev_t {
    libc::makedev(0, 0)
}

fn mknod_whiteout(p: &Path) -> Result<(), Errno> {
    mknod(p, libc::S_IFCHR, whiteout_dev())
}

fn mkfifo(p: &Path) -> Result<(), Errno> {
    mknod(p, libc::S_IFIFO, 0)
}

fn is_whiteout(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .map(|m| m.file_type().is_char_device() && m.rdev() == whiteout_dev())
        .unwrap_or(false)
}

// ---------------------------------------------------------------------------
// Erratum 4: whiteouts.

/// What a domain grants, besides the companions an operation needs, in the
/// directory where the operation acts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Grant {
    MakeReg,
    MakeChar,
    Neither,
}

impl Grant {
    fn dir(self) -> &'static str {
        match self {
            Grant::MakeReg => "top/reg",
            Grant::MakeChar => "top/chr",
            Grant::Neither => "top/none",
        }
    }
    fn bits(self) -> u64 {
        match self {
            Grant::MakeReg => fs::MAKE_REG,
            Grant::MakeChar => fs::MAKE_CHAR,
            Grant::Neither => 0,
        }
    }
    fn label(self) -> &'static str {
        match self {
            Grant::MakeReg => "MAKE_REG only",
            Grant::MakeChar => "MAKE_CHAR only",
            Grant::Neither => "neither MAKE_REG nor MAKE_CHAR",
        }
    }
}

/// A way to create a whiteout inside one directory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum WhiteoutOp {
    /// mknod(dir/w, S_IFCHR, 0:0).
    Mknod,
    /// link(dir/w, dir/w2) of an existing whiteout.
    Link,
    /// rename(dir/w, dir/w2) of an existing whiteout.
    RenameExisting,
    /// renameat2(dir/p, dir/q, RENAME_WHITEOUT) of a FIFO: the whiteout
    /// takes the FIFO's place.
    RenameWhiteout,
}

impl WhiteoutOp {
    fn name(self) -> &'static str {
        match self {
            WhiteoutOp::Mknod => "mknod",
            WhiteoutOp::Link => "link",
            WhiteoutOp::RenameExisting => "rename_existing",
            WhiteoutOp::RenameWhiteout => "rename_whiteout",
        }
    }
    /// Rights the operation needs besides the whiteout's own. They are
    /// handled and granted in every directory, so only the grant decides.
    fn companions(self) -> u64 {
        match self {
            WhiteoutOp::Mknod | WhiteoutOp::Link => 0,
            WhiteoutOp::RenameExisting => fs::REMOVE_FILE,
            // The FIFO moves to its new name in the same directory.
            WhiteoutOp::RenameWhiteout => fs::REMOVE_FILE | fs::MAKE_FIFO,
        }
    }
    /// The grants worth comparing. The FIFO's rename needs no right for the
    /// whiteout at all on an old kernel, which only a third directory with
    /// neither right shows.
    fn grants(self) -> &'static [Grant] {
        match self {
            WhiteoutOp::RenameWhiteout => &[Grant::MakeReg, Grant::MakeChar, Grant::Neither],
            _ => &[Grant::MakeReg, Grant::MakeChar],
        }
    }
    fn prepare(self, dir: &Path) -> TestResult {
        match self {
            WhiteoutOp::Mknod => Ok(()),
            WhiteoutOp::Link | WhiteoutOp::RenameExisting => setup(
                format!("mknod whiteout {}/w", dir.display()),
                mknod_whiteout(&dir.join("w")),
            ),
            WhiteoutOp::RenameWhiteout => setup(
                format!("mkfifo {}/p", dir.display()),
                mkfifo(&dir.join("p")),
            ),
        }
    }
    fn describe(self, dir: &str) -> String {
        match self {
            WhiteoutOp::Mknod => format!("mknod({dir}/w, S_IFCHR, 0:0)"),
            WhiteoutOp::Link => format!("link({dir}/w, {dir}/w2) of a whiteout"),
            WhiteoutOp::RenameExisting => format!("rename({dir}/w, {dir}/w2) of a whiteout"),
            WhiteoutOp::RenameWhiteout => {
                format!("renameat2({dir}/p, {dir}/q, RENAME_WHITEOUT) of a FIFO")
            }
        }
    }
    fn run(self, dir: &Path) -> Result<(), Errno> {
        match self {
            WhiteoutOp::Mknod => mknod_whiteout(&dir.join("w")),
            WhiteoutOp::Link => link(&dir.join("w"), &dir.join("w2")),
            WhiteoutOp::RenameExisting => rename(&dir.join("w"), &dir.join("w2")),
            WhiteoutOp::RenameWhiteout => rename_whiteout(&dir.join("p"), &dir.join("q")),
        }
    }
    /// Where a whiteout must be after a successful run.
    fn created(self, dir: &Path) -> std::path::PathBuf {
        match self {
            WhiteoutOp::Mknod => dir.join("w"),
            WhiteoutOp::Link | WhiteoutOp::RenameExisting => dir.join("w2"),
            WhiteoutOp::RenameWhiteout => dir.join("p"),
        }
    }
    /// What the operation gives with `grant` (plus its companions).
    fn expected(self, grant: Grant, fixed: bool) -> Option<Errno> {
        let allowed = match (self, fixed) {
            (_, true) => grant == Grant::MakeReg,
            // The whiteout left by RENAME_WHITEOUT was not checked.
            (WhiteoutOp::RenameWhiteout, false) => true,
            (_, false) => grant == Grant::MakeChar,
        };
        if allowed {
            ALLOWED
        } else {
            EACCES
        }
    }
}

/// Runs `op` once without a domain in `dir`: a filesystem that cannot make
/// whiteouts (or a process that may not) is a reason to skip, not a verdict.
fn control(what: &str, dir: &Path, r: Result<(), Errno>) -> TestResult {
    match r {
        Ok(()) => Ok(()),
        Err(e @ (Errno::EINVAL | Errno::EOPNOTSUPP | Errno::EPERM)) => Err(skip(format!(
            "{what} fails with {e:?} without any domain in {}: the scratch filesystem or \
             this process cannot do it",
            dir.display()
        ))),
        Err(e) => Err(fail(format!(
            "setup: {what} without any domain in {}: {e:?}",
            dir.display()
        ))),
    }
}

/// The tree of the whiteout cases: one directory per grant, and one for the
/// control run without a domain.
fn whiteout_tree() -> Result<TempTree, Stop> {
    TempTree::with(&["top/reg/", "top/chr/", "top/none/", "top/control/"])
}

/// One domain for all grants: MAKE_REG and MAKE_CHAR (and the companions)
/// handled, `top/reg` granted MAKE_REG, `top/chr` MAKE_CHAR, `top/none`
/// neither, each with the companions.
fn whiteout_domain(t: &TempTree, companions: u64) -> TestResult {
    let rs = Ruleset::fs(fs::MAKE_REG | fs::MAKE_CHAR | companions)?;
    for g in [Grant::MakeReg, Grant::MakeChar, Grant::Neither] {
        if g.bits() | companions != 0 {
            rs.allow_path(&t.path(g.dir()), g.bits() | companions)?;
        }
    }
    rs.enforce()?;
    // Whatever the erratum, a regular file in top/none needs MAKE_REG.
    expect_errno(
        "creat(top/none/witness) with neither MAKE_REG nor MAKE_CHAR: the domain is in force",
        creat(&t.path("top/none/witness")),
        Errno::EACCES,
    )
}

fn whiteout_case(op: WhiteoutOp, grant: Grant) -> TestResult {
    let t = whiteout_tree()?;
    for g in op.grants() {
        op.prepare(&t.path(g.dir()))?;
    }
    let ctl = t.path("top/control");
    op.prepare(&ctl)?;
    control(&op.describe("top/control"), &ctl, op.run(&ctl))?;
    if !is_whiteout(&op.created(&ctl)) {
        return Err(fail(format!(
            "setup: {} succeeded without a domain but left no whiteout (0:0 character device)",
            op.describe("top/control")
        )));
    }
    whiteout_domain(&t, op.companions())?;
    let observe = |g: Grant| {
        let dir = t.path(g.dir());
        let observed = op.run(&dir);
        let obs = Obs::new(
            format!("{} with {}", op.describe(g.dir()), g.label()),
            observed,
            op.expected(g, true),
            op.expected(g, false),
        );
        if observed.is_ok() && !is_whiteout(&op.created(&dir)) {
            return Err(fail(format!(
                "{} succeeded but left no whiteout (0:0 character device) at {}",
                obs.what,
                op.created(&dir).display()
            )));
        }
        Ok(obs)
    };
    let subject = [observe(grant)?];
    let mut context = Vec::new();
    for &g in op.grants().iter().filter(|&&g| g != grant) {
        context.push(observe(g)?);
    }
    judge(&WHITEOUTS, &subject, &context)
}

/// renameat2(RENAME_WHITEOUT) across two directories: the whiteout is made
/// in the source directory, so a fixed kernel wants MAKE_REG there and not
/// in the destination. REFER, MAKE_FIFO and REMOVE_FILE are granted on the
/// whole tree, MAKE_REG only in `top/a`, MAKE_CHAR nowhere.
fn whiteout_reparent() -> TestResult {
    let t = TempTree::with(&["top/a/", "top/b/", "top/control/"])?;
    for d in ["top/a", "top/b", "top/control"] {
        setup(format!("mkfifo {d}/p"), mkfifo(&t.path(d).join("p")))?;
    }
    setup("mkdir top/control/sub", mkdir(&t.path("top/control/sub")))?;
    control(
        "renameat2(top/control/p, top/control/sub/q, RENAME_WHITEOUT)",
        &t.path("top/control"),
        rename_whiteout(&t.path("top/control/p"), &t.path("top/control/sub/q")),
    )?;
    let rest = fs::REFER | fs::MAKE_FIFO | fs::REMOVE_FILE;
    let rs = Ruleset::fs(fs::MAKE_REG | fs::MAKE_CHAR | rest)?;
    rs.allow_path(&t.path("top"), rest)?;
    rs.allow_path(&t.path("top/a"), fs::MAKE_REG)?;
    rs.enforce()?;
    expect_errno(
        "creat(top/b/witness) without MAKE_REG: the domain is in force",
        creat(&t.path("top/b/witness")),
        Errno::EACCES,
    )?;
    let into_a = rename_whiteout(&t.path("top/b/p"), &t.path("top/a/q"));
    let out_of_a = rename_whiteout(&t.path("top/a/p"), &t.path("top/b/q"));
    if out_of_a.is_ok() && !is_whiteout(&t.path("top/a/p")) {
        return Err(fail(
            "renameat2(top/a/p, top/b/q, RENAME_WHITEOUT) succeeded but left no whiteout in top/a",
        ));
    }
    judge(
        &WHITEOUTS,
        &[
            Obs::new(
                "renameat2(top/b/p, top/a/q, RENAME_WHITEOUT): the whiteout lands in top/b, \
                 which lacks MAKE_REG",
                into_a,
                EACCES,
                ALLOWED,
            ),
            Obs::new(
                "renameat2(top/a/p, top/b/q, RENAME_WHITEOUT): the whiteout lands in top/a, \
                 which has MAKE_REG",
                out_of_a,
                ALLOWED,
                ALLOWED,
            ),
        ],
        &[],
    )
}

/// The control of erratum 4: a real character device (1:3, /dev/null's
/// numbers) needs MAKE_CHAR on every kernel, fixed or not.
fn char_device(grant: Grant) -> TestResult {
    let t = whiteout_tree()?;
    let null = libc::makedev(1, 3);
    let ctl = t.path("top/control");
    control(
        "mknod(top/control/null, S_IFCHR, 1:3)",
        &ctl,
        mknod(&ctl.join("null"), libc::S_IFCHR, null),
    )?;
    whiteout_domain(&t, 0)?;
    let expected = if grant == Grant::MakeChar {
        ALLOWED
    } else {
        EACCES
    };
    expect_result(
        format!(
            "mknod({}/null, S_IFCHR, 1:3) with {} (any kernel, fixed or not)",
            grant.dir(),
            grant.label()
        ),
        mknod(&t.path(grant.dir()).join("null"), libc::S_IFCHR, null),
        expected,
    )
}

// ---------------------------------------------------------------------------
// Erratum 3: disconnected directories.
//
// Inside a private tmpfs `fs`:
//
//   fs/src/               bind-mounted on fs/mnt/parent/view
//   fs/src/old/d/{f,g}    opened as view/old/d, then moved to fs/away/d
//   fs/mnt/parent/view/   the bind mount
//   fs/away/              the moved directory's new parent
//   fs/other/f            covered by no rule: the witness
//
// After the move, the descriptor of view/old/d names a directory that the
// bind mount no longer shows: ".." from it gives ENOENT. From it, a walk up
// the dentries meets fs's root (not the bind mount's root), and a fixed
// kernel goes on from the bind mount's root, through the mount point, up
// fs/mnt/parent; an old kernel stopped there and denied.

struct Disconnected {
    t: TempTree,
    /// fs/mnt/parent/view/old/d, now disconnected.
    d: OwnedFd,
    /// fs/mnt/parent/view, the bind mount's root (connected).
    view: OwnedFd,
}

impl Disconnected {
    fn new() -> Result<Disconnected, Stop> {
        let t = TempTree::with(&["fs/"])?;
        llconf_harness::fixture::enter_private_mount_ns()?;
        let fsdir = t.path("fs");
        setup("mount tmpfs on fs", mount_tmpfs(&fsdir))?;
        for d in ["src/old/d", "mnt/parent/view", "away", "other"] {
            std::fs::create_dir_all(fsdir.join(d)).or_fail(format!("mkdir fs/{d}"))?;
        }
        for f in ["src/old/d/f", "src/old/d/g", "other/f"] {
            std::fs::write(fsdir.join(f), f).or_fail(format!("write fs/{f}"))?;
        }
        setup(
            "bind mount fs/src on fs/mnt/parent/view",
            bind_mount(&fsdir.join("src"), &fsdir.join("mnt/parent/view")),
        )?;
        let dir_flags = libc::O_PATH | libc::O_DIRECTORY;
        let d = setup(
            "open fs/mnt/parent/view/old/d",
            open(&fsdir.join("mnt/parent/view/old/d"), dir_flags),
        )?;
        let view = setup(
            "open fs/mnt/parent/view",
            open(&fsdir.join("mnt/parent/view"), dir_flags),
        )?;
        setup(
            "read view/old/d/f before the move, without a domain",
            openat(d.as_raw_fd(), "f", libc::O_RDONLY),
        )?;
        setup(
            "rename fs/src/old/d to fs/away/d",
            rename(&fsdir.join("src/old/d"), &fsdir.join("away/d")),
        )?;
        expect_errno(
            "setup: openat(view/old/d, \"..\") after the move, which must be disconnected",
            openat(d.as_raw_fd(), "..", libc::O_RDONLY | libc::O_DIRECTORY),
            Errno::ENOENT,
        )?;
        Ok(Disconnected { t, d, view })
    }
    fn p(&self, rel: &str) -> std::path::PathBuf {
        self.t.path("fs").join(rel)
    }
    /// A domain that handles `handled` and grants `access` on `fs/<at>`,
    /// then the witness: fs/other/f is not readable.
    fn enforce(&self, handled: u64, at: &str, access: u64) -> TestResult {
        let rs = Ruleset::fs(handled)?;
        rs.allow_path(&self.p(at), access)?;
        rs.enforce()?;
        expect_errno(
            "open(fs/other/f, O_RDONLY), under no rule: the domain is in force",
            open(&self.p("other/f"), libc::O_RDONLY),
            Errno::EACCES,
        )
    }
    fn read_d(&self, name: &str) -> Result<(), Errno> {
        openat(self.d.as_raw_fd(), name, libc::O_RDONLY).map(drop)
    }
}

/// Reads fs/away/d/f through the disconnected descriptor with READ_FILE
/// granted on one directory.
fn disconnected_read(at: &'static str, fixed: Option<Errno>, old: Option<Errno>) -> TestResult {
    let s = Disconnected::new()?;
    s.enforce(fs::READ_FILE, at, fs::READ_FILE)?;
    let obs = Obs::new(
        format!("openat([disconnected d], \"f\", O_RDONLY) with READ_FILE on fs/{at}"),
        s.read_d("f"),
        fixed,
        old,
    );
    judge(&DISCONNECTED, &[obs], &[])
}

/// A rename inside the disconnected directory, with `granted` (MAKE_REG
/// and REMOVE_FILE, or one of them less: the denied twins) on the bind
/// mount's parent only. A fixed kernel allows it with both and denies it
/// with one missing; an old one denied it either way.
fn disconnected_same_dir_rename(granted: u64) -> TestResult {
    let s = Disconnected::new()?;
    let rights = fs::MAKE_REG | fs::REMOVE_FILE;
    s.enforce(fs::READ_FILE | rights, "mnt/parent", granted)?;
    let d = s.d.as_raw_fd();
    let obs = Obs::new(
        format!(
            "renameat([disconnected d], \"f\", [disconnected d], \"f2\") with {} on \
             fs/mnt/parent",
            grant_names(granted)
        ),
        renameat2(d, Path::new("f"), d, Path::new("f2"), 0),
        if granted == rights { ALLOWED } else { EACCES },
        EACCES,
    );
    judge(&DISCONNECTED, &[obs], &[])
}

/// The rights of the disconnected cases, by name, for messages.
fn grant_names(granted: u64) -> String {
    let names: Vec<&str> = [
        (fs::READ_FILE, "READ_FILE"),
        (fs::REFER, "REFER"),
        (fs::MAKE_REG, "MAKE_REG"),
        (fs::REMOVE_FILE, "REMOVE_FILE"),
    ]
    .into_iter()
    .filter(|(b, _)| granted & b != 0)
    .map(|(_, n)| n)
    .collect();
    names.join("|")
}

/// The widening the erratum is about. READ_FILE, REFER, MAKE_REG and
/// REMOVE_FILE are granted on the bind mount's parent. The rename check has
/// always counted that rule for a file in the disconnected directory, so
/// moving the file to the bind mount's root is allowed and makes it readable
/// there. A fixed kernel lets it be read where it was too, so the rename
/// widens nothing; an old one denied that read.
///
/// The rename is made only where the fix is in (bit set, or no errata
/// answer and the read was allowed). Without the fix, the rename check's
/// walk from the disconnected directory meets the filesystem root and hits
/// `WARN_ON_ONCE(IS_ROOT(dir))` in collect_domain_accesses(): the rename is
/// still allowed (debian-6.1, 6.1.176, errata 0x0, did exactly that), but the
/// warning taints the kernel and fails a VM run as a whole. There the test
/// checks the read alone.
fn disconnected_rename_out() -> TestResult {
    disconnected_rename_out_with(RENAME_OUT_RIGHTS, ALLOWED)
}

const RENAME_OUT_RIGHTS: u64 = fs::READ_FILE | fs::REFER | fs::MAKE_REG | fs::REMOVE_FILE;

/// The rename out of the disconnected directory with `granted` on the bind
/// mount's parent; `denial` is what the rename gives on a fixed kernel
/// (None for every right granted). The denied twins, one right less, leave
/// the file where it was.
fn disconnected_rename_out_with(granted: u64, denial: Option<Errno>) -> TestResult {
    let s = Disconnected::new()?;
    s.enforce(RENAME_OUT_RIGHTS, "mnt/parent", granted)?;
    let before = s.read_d("g");
    let before_obs = Obs::new(
        "openat([disconnected d], \"g\", O_RDONLY) before any rename",
        before,
        ALLOWED,
        EACCES,
    );
    let unfixed = match probe::kernel().errata {
        Some(bits) => bits & DISCONNECTED.bit() == 0,
        None => before == Err(Errno::EACCES),
    };
    if unfixed {
        println!(
            "no rename through the disconnected directory: a kernel without the fix for \
             erratum 3 warns in collect_domain_accesses() (WARN_ON_ONCE(IS_ROOT(dir)))"
        );
        if denial.is_some() {
            // The read is the subject of the allowed case; here the
            // rename is, and it cannot be tried.
            return Err(skip(
                "a kernel without the fix for erratum 3 warns in collect_domain_accesses() on \
                 any rename out of a disconnected directory, so the denied rename is not tried",
            ));
        }
        return judge(&DISCONNECTED, &[before_obs], &[]);
    }
    let moved = renameat2(
        s.d.as_raw_fd(),
        Path::new("f"),
        s.view.as_raw_fd(),
        Path::new("f"),
        0,
    );
    let after = openat(s.view.as_raw_fd(), "f", libc::O_RDONLY).map(drop);
    let (after_expect, left) = match denial {
        None => (ALLOWED, Some(Errno::ENOENT)),
        Some(_) => (Some(Errno::ENOENT), ALLOWED),
    };
    judge(
        &DISCONNECTED,
        &[
            before_obs,
            Obs::new(
                format!(
                    "renameat([disconnected d], \"f\", [bind mount root], \"f\") with {} on \
                     fs/mnt/parent",
                    grant_names(granted)
                ),
                moved,
                denial,
                denial,
            ),
            Obs::new(
                "openat([bind mount root], \"f\", O_RDONLY) after the rename",
                after,
                after_expect,
                after_expect,
            ),
            Obs::new(
                "openat([disconnected d], \"f\", O_RDONLY) after the rename",
                s.read_d("f"),
                left,
                left,
            ),
        ],
        &[],
    )
}

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    let make = [
        "LANDLOCK_ACCESS_FS_MAKE_REG",
        "LANDLOCK_ACCESS_FS_MAKE_CHAR",
    ];
    // Every case names its twin below fs::errata::whiteout: the same
    // operation with the other grant, whose verdict on a fixed kernel is
    // the opposite.
    let whiteout = |case: String, body: Box<dyn Fn() -> TestResult + Send + Sync>, twin: &str| {
        let mut t = Test::new(format!("fs::errata::whiteout::{case}"), body);
        for n in make {
            t = t.needs(n);
        }
        t.enforcement()
            .twin(format!("fs::errata::whiteout::{twin}"))
    };
    for op in [
        WhiteoutOp::Mknod,
        WhiteoutOp::Link,
        WhiteoutOp::RenameExisting,
        WhiteoutOp::RenameWhiteout,
    ] {
        for &g in op.grants() {
            let suffix = match g {
                Grant::MakeReg => "make_reg_only",
                Grant::MakeChar => "make_char_only",
                Grant::Neither => "neither",
            };
            let twin = match (op, g) {
                (WhiteoutOp::RenameWhiteout, Grant::MakeReg) => "neither",
                (_, Grant::MakeReg) => "make_char_only",
                _ => "make_reg_only",
            };
            v.push(whiteout(
                format!("{}_{suffix}", op.name()),
                Box::new(move || whiteout_case(op, g)),
                &format!("{}_{twin}", op.name()),
            ));
        }
    }
    v.push(
        whiteout(
            "rename_whiteout_reparent".into(),
            Box::new(whiteout_reparent),
            "rename_whiteout_neither",
        )
        .needs("LANDLOCK_ACCESS_FS_REFER"),
    );
    for (case, g, twin) in [
        (
            "char_device_make_reg_only",
            Grant::MakeReg,
            "char_device_make_char_only",
        ),
        (
            "char_device_make_char_only",
            Grant::MakeChar,
            "char_device_make_reg_only",
        ),
    ] {
        // CAP_MKNOD for a real device.
        v.push(
            whiteout(case.into(), Box::new(move || char_device(g)), twin)
                .requires(Requirement::Root),
        );
    }

    // Twins below fs::errata::disconnected: the read with a rule that
    // must not reach, and each rename with one right less.
    let disconnected = |case: &str, body: Box<dyn Fn() -> TestResult + Send + Sync>, twin: &str| {
        Test::new(format!("fs::errata::disconnected::{case}"), body)
            .requires(Requirement::Root)
            .needs("LANDLOCK_ACCESS_FS_READ_FILE")
            .enforcement()
            .twin(format!("fs::errata::disconnected::{twin}"))
    };
    v.push(disconnected(
        "read_with_rule_on_mount_parent",
        Box::new(|| disconnected_read("mnt/parent", ALLOWED, EACCES)),
        "read_with_rule_on_old_parent",
    ));
    v.push(disconnected(
        "read_with_rule_on_new_parent",
        Box::new(|| disconnected_read("away", ALLOWED, ALLOWED)),
        "read_with_rule_on_old_parent",
    ));
    v.push(disconnected(
        "read_with_rule_on_old_parent",
        Box::new(|| disconnected_read("src/old", EACCES, EACCES)),
        "read_with_rule_on_mount_parent",
    ));
    let rename_rights = fs::MAKE_REG | fs::REMOVE_FILE;
    v.push(disconnected(
        "same_dir_rename_with_rule_on_mount_parent",
        Box::new(move || disconnected_same_dir_rename(rename_rights)),
        "same_dir_rename_without_remove_file_eacces",
    ));
    for (case, missing) in [
        (
            "same_dir_rename_without_remove_file_eacces",
            fs::REMOVE_FILE,
        ),
        ("same_dir_rename_without_make_reg_eacces", fs::MAKE_REG),
    ] {
        v.push(disconnected(
            case,
            Box::new(move || disconnected_same_dir_rename(rename_rights & !missing)),
            "same_dir_rename_with_rule_on_mount_parent",
        ));
    }
    v.push(
        disconnected(
            "rename_out_does_not_widen",
            Box::new(disconnected_rename_out),
            "rename_out_without_refer_exdev",
        )
        .needs("LANDLOCK_ACCESS_FS_REFER"),
    );
    for (case, missing, denial) in [
        ("rename_out_without_refer_exdev", fs::REFER, Errno::EXDEV),
        (
            "rename_out_without_make_reg_eacces",
            fs::MAKE_REG,
            Errno::EACCES,
        ),
        (
            "rename_out_without_remove_file_eacces",
            fs::REMOVE_FILE,
            Errno::EACCES,
        ),
    ] {
        v.push(
            disconnected(
                case,
                Box::new(move || {
                    disconnected_rename_out_with(RENAME_OUT_RIGHTS & !missing, Some(denial))
                }),
                "rename_out_does_not_widen",
            )
            .needs("LANDLOCK_ACCESS_FS_REFER"),
        );
    }
    v
}
