//! The plan llconf's guest init follows (which suites, where, with which
//! arguments and environment), for the guests it boots: qemu-initramfs,
//! where the suites are packed into the initramfs, and uml, whose root is
//! the host's filesystem.

use crate::suites::binary::SuiteBinary;
use llconf_guest_init::{Plan, SUITES_DIR};
use std::path::{Path, PathBuf};

/// Where the initramfs holds the modules the init loads.
pub const MODULES_DIR: &str = "/llconf/modules";

/// The plan of one VM run: suite binaries at their place in the initramfs.
pub fn plan(
    suites: &[SuiteBinary],
    suite_args: &[String],
    timeout_scale: f64,
    setup: Option<&str>,
    modules: &[PathBuf],
) -> Plan {
    Plan {
        suites: suites
            .iter()
            .map(|s| (s.suite.clone(), format!("{SUITES_DIR}/{}", s.suite)))
            .collect(),
        args: suite_args.to_vec(),
        env: vec![
            ("LLCONF_TIMEOUT_SCALE".into(), timeout_scale.to_string()),
            // The guest's init enforces nothing: the suites start outside
            // any domain, so layer counts are expectations, not guesses.
            ("LLCONF_START_DEPTH".into(), "0".into()),
        ],
        setup: setup.map(str::to_string),
        modules: modules
            .iter()
            .map(|m| format!("{MODULES_DIR}/{}", file_name(m)))
            .collect(),
    }
}

/// The plan of a guest whose root is the host's filesystem (uml): the
/// suites at their host paths as the guest sees them under
/// [`llconf_guest_init::HOST_VIEW`], no modules.
pub fn plan_at_host_paths(
    suites: &[SuiteBinary],
    suite_args: &[String],
    timeout_scale: f64,
    setup: Option<&str>,
) -> Plan {
    Plan {
        suites: suites
            .iter()
            .map(|s| {
                let at = format!("{}{}", llconf_guest_init::HOST_VIEW, s.path.display());
                (s.suite.clone(), at)
            })
            .collect(),
        ..plan(&[], suite_args, timeout_scale, setup, &[])
    }
}

pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map_or("module".into(), |n| n.to_string_lossy().into_owned())
}
