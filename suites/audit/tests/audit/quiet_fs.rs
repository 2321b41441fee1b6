//! `audit::quiet_fs` (ABI 10): the quiet logging matrix for filesystem
//! rights. Each case enforces one or two layers, makes one denied access
//! (its errno unchanged by quieting), and checks that the access record is
//! there or not, as landlock.h's LANDLOCK_ADD_RULE_QUIET states it: a
//! denial is muted only when (1) the youngest layer that denies it has a
//! quiet rule on the object or on a directory above where the kernel's
//! walk starts, and (2) that layer's quiet_access_fs covers every right it
//! denies. A quiet rule in a layer that does not deny never mutes.
//!
//! Variants are layer set-ups; cases are `<access>_on_<where the rule is>`.

use crate::common::{audit_test, io_errno};
use crate::layers::{enforce, expect_exactly, Layer, On, Rule};
use crate::objects::path_fields;
use crate::session::Session;
use llconf_harness::abi::fs;
use llconf_harness::fixture::TempTree;
use llconf_harness::{expect_errno, Errno, OrFail, RulesetAttr, Stop, Test, TestResult};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Access {
    ReadFile,
    WriteFile,
    /// truncate(2) by path: checked on the path walk.
    Truncate,
    /// ftruncate(2) on a file opened for writing: checked from the rights
    /// recorded at open, the other code path for quiet flags.
    Ftruncate,
    MakeReg,
    RemoveFile,
    /// TCGETS on /dev/null.
    IoctlDev,
}

impl Access {
    fn right(self) -> u64 {
        match self {
            Access::ReadFile => fs::READ_FILE,
            Access::WriteFile => fs::WRITE_FILE,
            Access::Truncate | Access::Ftruncate => fs::TRUNCATE,
            Access::MakeReg => fs::MAKE_REG,
            Access::RemoveFile => fs::REMOVE_FILE,
            Access::IoctlDev => fs::IOCTL_DEV,
        }
    }

    fn blocker(self) -> &'static str {
        match self {
            Access::ReadFile => "fs.read_file",
            Access::WriteFile => "fs.write_file",
            Access::Truncate | Access::Ftruncate => "fs.truncate",
            Access::MakeReg => "fs.make_reg",
            Access::RemoveFile => "fs.remove_file",
            Access::IoctlDev => "fs.ioctl_dev",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Access::ReadFile => "read_file",
            Access::WriteFile => "write_file",
            Access::Truncate => "truncate",
            Access::Ftruncate => "ftruncate",
            Access::MakeReg => "make_reg",
            Access::RemoveFile => "remove_file",
            Access::IoctlDev => "ioctl_dev",
        }
    }

    fn feature(self) -> &'static str {
        match self {
            Access::Truncate | Access::Ftruncate => "LANDLOCK_ACCESS_FS_TRUNCATE",
            Access::IoctlDev => "LANDLOCK_ACCESS_FS_IOCTL_DEV",
            _ => "LANDLOCK_ACCESS_FS_READ_FILE",
        }
    }

    /// Creation and removal are checked (and logged) on the directory, so
    /// the kernel's walk starts there, not at the file.
    fn on_dir(self) -> bool {
        matches!(self, Access::MakeReg | Access::RemoveFile)
    }
}

/// Where a layer's rule sits, relative to the denied object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    /// On the file itself (for make_reg/remove_file: a file in the
    /// directory, which is not on the walk).
    File,
    /// On the directory holding the file.
    Parent,
    /// Two levels up.
    Grandparent,
    /// On a directory elsewhere.
    Unrelated,
}

impl Place {
    fn name(self) -> &'static str {
        match self {
            Place::File => "file",
            Place::Parent => "parent",
            Place::Grandparent => "grandparent",
            Place::Unrelated => "unrelated_dir",
        }
    }
}

/// The files of one case: top/d/f, other/ (unrelated), and for ioctl_dev
/// /dev/null in /dev.
pub struct Scene {
    pub t: TempTree,
    pub access: Access,
}

impl Scene {
    fn new(access: Access) -> Result<Scene, Stop> {
        Ok(Scene {
            t: TempTree::with(&["top/d/f", "other/"])?,
            access,
        })
    }

    fn dev(&self) -> bool {
        self.access == Access::IoctlDev
    }

    fn at(&self, p: Place) -> PathBuf {
        match (self.dev(), p) {
            (true, Place::File) => "/dev/null".into(),
            (true, Place::Parent) => "/dev".into(),
            (true, Place::Grandparent) => "/".into(),
            (false, Place::File) => self.t.path("top/d/f"),
            (false, Place::Parent) => self.t.path("top/d"),
            (false, Place::Grandparent) => self.t.path("top"),
            (_, Place::Unrelated) => self.t.path("other"),
        }
    }

    /// Where a layer that must not deny allows the access: above the
    /// object.
    fn allow_root(&self) -> PathBuf {
        if self.dev() {
            "/dev".into()
        } else {
            self.t.path("top")
        }
    }

    /// The object the record names.
    fn object(&self) -> PathBuf {
        match self.access {
            Access::IoctlDev => "/dev/null".into(),
            a if a.on_dir() => self.t.path("top/d"),
            _ => self.t.path("top/d/f"),
        }
    }

    pub fn record(&self) -> Result<String, Stop> {
        let mut body = format!(
            "blockers={} {}",
            self.access.blocker(),
            path_fields(&self.object())?
        );
        if self.dev() {
            body += &format!(" ioctlcmd=0x{:x}", libc::TCGETS as u16);
        }
        Ok(body)
    }

    /// Makes the denied access and checks its errno.
    pub fn deny(&self) -> TestResult {
        let f = self.t.path("top/d/f");
        let open = |p: &Path, write: bool| {
            std::fs::File::options()
                .read(!write)
                .write(write)
                .custom_flags(libc::O_CLOEXEC)
                .open(p)
                .map_err(io_errno)
        };
        let r: Result<(), Errno> = match self.access {
            Access::ReadFile => open(&f, false).map(drop),
            Access::WriteFile => open(&f, true).map(drop),
            Access::Truncate => {
                let c = std::ffi::CString::new(f.as_os_str().as_encoded_bytes()).or_fail("path")?;
                // SAFETY: a valid C string.
                Errno::result(unsafe { libc::truncate(c.as_ptr(), 0) }).map(drop)
            }
            Access::Ftruncate => {
                let file = open(&f, true).or_fail("open f for writing (allowed)")?;
                // SAFETY: an fd we own.
                Errno::result(unsafe { libc::ftruncate(file.as_raw_fd(), 0) }).map(drop)
            }
            Access::MakeReg => std::fs::File::create(self.t.path("top/d/new"))
                .map(drop)
                .map_err(io_errno),
            Access::RemoveFile => std::fs::remove_file(&f).map_err(io_errno),
            Access::IoctlDev => {
                let null = open(Path::new("/dev/null"), false).or_fail("open /dev/null")?;
                let mut t: libc::termios = unsafe { std::mem::zeroed() };
                // SAFETY: TCGETS writes one termios.
                Errno::result(unsafe { libc::ioctl(null.as_raw_fd(), libc::TCGETS, &mut t) })
                    .map(drop)
            }
        };
        expect_errno(
            format!("{} on {}", self.access.name(), self.object().display()),
            r,
            Errno::EACCES,
        )
    }
}

/// A layer's quiet_access_fs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mask {
    /// The denied right.
    Access,
    /// Another handled right (EXECUTE), not the denied one.
    Other,
    None,
}

/// The rule a layer puts at the case's place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum At {
    /// allowed_access 0, LANDLOCK_ADD_RULE_QUIET.
    Quiet,
    /// allowed_access EXECUTE (never the denied right), no flag.
    Plain,
    /// Both rules on the same object in one ruleset: quiet first.
    QuietThenPlain,
    /// Both rules on the same object in one ruleset: plain first.
    PlainThenQuiet,
    Nothing,
}

impl At {
    fn quiet(self) -> bool {
        matches!(self, At::Quiet | At::QuietThenPlain | At::PlainThenQuiet)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LayerCfg {
    /// Whether this layer denies the access (otherwise it allows it on a
    /// directory above the object).
    pub denies: bool,
    pub mask: Mask,
    pub at: At,
}

const fn l(denies: bool, mask: Mask, at: At) -> LayerCfg {
    LayerCfg { denies, mask, at }
}

fn build(scene: &Scene, place: Place, cfg: &LayerCfg) -> Layer {
    let right = scene.access.right();
    let quiet = match cfg.mask {
        Mask::Access => right,
        Mask::Other => fs::EXECUTE,
        Mask::None => 0,
    };
    let mut rules = Vec::new();
    if !cfg.denies {
        rules.push(Rule {
            on: On::Path(scene.allow_root()),
            access: right,
            quiet: false,
        });
    }
    let p = scene.at(place);
    let q = Rule {
        on: On::Path(p.clone()),
        access: 0,
        quiet: true,
    };
    let plain = Rule {
        on: On::Path(p),
        access: fs::EXECUTE,
        quiet: false,
    };
    match cfg.at {
        At::Quiet => rules.push(q),
        At::Plain => rules.push(plain),
        At::QuietThenPlain => rules.extend([q, plain]),
        At::PlainThenQuiet => rules.extend([plain, q]),
        At::Nothing => {}
    }
    Layer {
        attr: RulesetAttr {
            handled_access_fs: right | fs::EXECUTE,
            quiet_access_fs: quiet,
            ..Default::default()
        },
        rules,
    }
}

/// Whether a rule at `place` is on the kernel's walk for `access`.
fn covers(access: Access, place: Place) -> bool {
    match place {
        Place::Unrelated => false,
        Place::File => !access.on_dir(),
        Place::Parent | Place::Grandparent => true,
    }
}

/// The UAPI's rule: the youngest denying layer decides.
fn muted(layers: &[LayerCfg], access: Access, place: Place) -> bool {
    let Some(youngest) = layers.iter().rev().find(|c| c.denies) else {
        return false;
    };
    youngest.mask == Mask::Access && youngest.at.quiet() && covers(access, place)
}

fn run(access: Access, place: Place, cfgs: &[LayerCfg]) -> TestResult {
    let scene = Scene::new(access)?;
    let mut session = Session::open()?;
    let body = scene.record()?;
    let object = path_fields(&scene.object())?;
    let layers: Vec<Layer> = cfgs.iter().map(|c| build(&scene, place, c)).collect();
    enforce(&layers)?;
    let from = session.seen().len();
    scene.deny()?;
    let expected = if muted(cfgs, access, place) {
        vec![]
    } else {
        vec![body]
    };
    expect_exactly(&mut session, from, &[object], &expected)
}

const ALL: [Access; 7] = [
    Access::ReadFile,
    Access::WriteFile,
    Access::Truncate,
    Access::Ftruncate,
    Access::MakeReg,
    Access::RemoveFile,
    Access::IoctlDev,
];

/// The layer set-ups, run at the parent directory for every access, each
/// with its twin: the set-up one quiet rule, quiet bit, mask or layer
/// apart whose record is the other way (`one_layer_quiet` is the quiet
/// rule alone on the parent).
fn variants() -> Vec<(&'static str, Vec<LayerCfg>, &'static str)> {
    use At::*;
    use Mask::{Access as A, None as N, Other as O};
    vec![
        (
            "one_layer_mask_other",
            vec![l(true, O, Quiet)],
            "one_layer_quiet",
        ),
        (
            "one_layer_no_quiet_bit",
            vec![l(true, A, Plain)],
            "one_layer_quiet",
        ),
        (
            "one_layer_quiet_then_plain",
            vec![l(true, A, QuietThenPlain)],
            "one_layer_no_quiet_bit",
        ),
        (
            "one_layer_plain_then_quiet",
            vec![l(true, A, PlainThenQuiet)],
            "one_layer_no_quiet_bit",
        ),
        (
            "both_deny_quiet_in_younger",
            vec![l(true, N, Nothing), l(true, A, Quiet)],
            "both_deny_quiet_in_older",
        ),
        (
            "both_deny_quiet_in_older",
            vec![l(true, A, Quiet), l(true, N, Nothing)],
            "both_deny_quiet_in_younger",
        ),
        (
            "both_deny_quiet_in_both",
            vec![l(true, A, Quiet), l(true, A, Quiet)],
            "both_deny_quiet_in_older",
        ),
        (
            "older_denies_quiet_there",
            vec![l(true, A, Quiet), l(false, N, Nothing)],
            "older_denies_quiet_in_younger",
        ),
        (
            "older_denies_quiet_in_younger",
            vec![l(true, N, Nothing), l(false, A, Quiet)],
            "older_denies_quiet_there",
        ),
        (
            "younger_denies_quiet_there",
            vec![l(false, N, Nothing), l(true, A, Quiet)],
            "younger_denies_quiet_in_older",
        ),
        (
            "younger_denies_quiet_in_older",
            vec![l(false, A, Quiet), l(true, N, Nothing)],
            "younger_denies_quiet_there",
        ),
    ]
}

fn name(variant: &str, access: Access, place: Place) -> String {
    format!(
        "audit::quiet_fs::{variant}::{}_on_{}",
        access.name(),
        place.name()
    )
}

/// The twin of a lone quiet rule at `place`: muted at the parent, the
/// same rule without its quiet bit logs; elsewhere, the rule one place
/// apart (on the walk or off it) with the other outcome.
fn one_layer_twin(access: Access, place: Place) -> String {
    match place {
        Place::Parent => name("one_layer_no_quiet_bit", access, Place::Parent),
        p if covers(access, p) => name("one_layer_quiet", access, Place::Unrelated),
        _ => name("one_layer_quiet", access, Place::Parent),
    }
}

pub fn tests() -> Vec<Test> {
    let mut tests = Vec::new();
    let one = vec![l(true, Mask::Access, At::Quiet)];
    for access in ALL {
        let places: &[Place] = if access == Access::IoctlDev {
            &[Place::File, Place::Parent, Place::Unrelated]
        } else {
            &[
                Place::File,
                Place::Parent,
                Place::Grandparent,
                Place::Unrelated,
            ]
        };
        for &place in places {
            let cfgs = one.clone();
            tests.push(
                audit_test(
                    &name("one_layer_quiet", access, place)["audit::".len()..],
                    move || run(access, place, &cfgs),
                )
                .needs(access.feature())
                .twin(one_layer_twin(access, place)),
            );
        }
    }
    for (variant, cfgs, twin) in variants() {
        for access in ALL {
            let cfgs = cfgs.clone();
            tests.push(
                audit_test(
                    &name(variant, access, Place::Parent)["audit::".len()..],
                    move || run(access, Place::Parent, &cfgs),
                )
                .needs(access.feature())
                .twin(name(twin, access, Place::Parent)),
            );
        }
    }
    tests
        .into_iter()
        .map(|t| t.needs("LANDLOCK_ADD_RULE_QUIET"))
        .collect()
}
