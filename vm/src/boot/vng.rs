//! The virtme-ng command line for one VM run, and where vng and qemu are.

use crate::host::accel::Accel;
use crate::kernel::prepare::{BootImage, Cache};
use anyhow::{bail, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const QEMU: &str = "qemu-system-x86_64";

/// `$LLCONF_VNG`, else the venv `llconf setup` makes, else `vng` on PATH.
pub fn vng_path(cache: &Cache) -> PathBuf {
    if let Some(p) = std::env::var_os("LLCONF_VNG") {
        return PathBuf::from(p);
    }
    let venv = cache.venv().join("bin/vng");
    if venv.is_file() {
        return venv;
    }
    find_on_path("vng").unwrap_or_else(|| PathBuf::from("vng"))
}

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Refuses early, naming the fix, when vng or qemu is missing.
pub fn check_tools(cache: &Cache) -> Result<PathBuf> {
    if find_on_path(QEMU).is_none() {
        bail!("{QEMU} is not installed (not on PATH); run `llconf setup` to install qemu");
    }
    let vng = vng_path(cache);
    if !is_executable(&vng) {
        bail!(
            "virtme-ng (vng) is not installed: not in {} nor on PATH; \
             run `llconf setup` to install it",
            cache.venv().join("bin").display()
        );
    }
    Ok(vng)
}

pub struct BootSpec<'a> {
    pub vng: &'a Path,
    pub image: &'a BootImage,
    pub accel: Accel,
    pub append: &'a str,
    pub cpus: usize,
    pub memory_mib: u64,
    /// Shared read-write; also the guest's working directory.
    pub dir: &'a Path,
    pub script: &'a Path,
}

/// The command, not yet started. vng runs `virtme-run` from its own bin
/// directory, so that goes first on PATH.
pub fn command(spec: &BootSpec) -> Command {
    let mut cmd = Command::new(spec.vng);
    if let Some(bin) = spec.vng.parent() {
        let mut path = OsString::from(bin);
        if let Some(old) = std::env::var_os("PATH") {
            path.push(":");
            path.push(old);
        }
        cmd.env("PATH", path);
    }
    cmd.args(args(spec));
    match spec.image {
        // Inside a built tree vng boots that tree, with its modules.
        BootImage::Tree(tree) => cmd.current_dir(tree),
        BootImage::Image(_) => cmd.current_dir(spec.dir),
    };
    cmd.stdin(Stdio::null());
    cmd
}

pub fn args(spec: &BootSpec) -> Vec<String> {
    let mut a: Vec<String> = Vec::new();
    if spec.accel == Accel::Tcg {
        a.push("--disable-kvm".into());
    }
    if let BootImage::Image(image) = spec.image {
        a.extend(["-r".into(), image.display().to_string()]);
    }
    // --verbose puts the kernel console on vng's stderr, which is how
    // panics and warnings reach the host.
    a.push("--verbose".into());
    a.extend([
        "--cpus".into(),
        spec.cpus.to_string(),
        "--memory".into(),
        format!("{}M", spec.memory_mib),
        "--rwdir".into(),
        spec.dir.display().to_string(),
        "--cwd".into(),
        spec.dir.display().to_string(),
    ]);
    if !spec.append.is_empty() {
        a.extend(["--append".into(), spec.append.to_string()]);
    }
    a.extend([
        "--exec".into(),
        format!(
            "sh {}",
            crate::boot::vng_script::quote(&spec.script.display().to_string())
        ),
    ]);
    a
}

/// How the command reads in a log: arguments with spaces quoted.
pub fn display(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| {
            let a = a.to_string_lossy();
            if a.contains([' ', '\'', '"']) {
                crate::boot::vng_script::quote(&a)
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcg_boot_of_an_image() {
        let image = BootImage::Image("/c/k/vmlinuz".into());
        let spec = BootSpec {
            vng: Path::new("/venv/bin/vng"),
            image: &image,
            accel: Accel::Tcg,
            append: "lsm=lockdown,capability,yama",
            cpus: 2,
            memory_mib: 2048,
            dir: Path::new("/out/k-default"),
            script: Path::new("/out/k-default/guest.sh"),
        };
        assert_eq!(
            args(&spec).join(" "),
            "--disable-kvm -r /c/k/vmlinuz --verbose --cpus 2 --memory 2048M \
             --rwdir /out/k-default --cwd /out/k-default \
             --append lsm=lockdown,capability,yama --exec sh '/out/k-default/guest.sh'"
        );
        let cmd = command(&spec);
        let path = cmd
            .get_envs()
            .find(|(k, _)| *k == "PATH")
            .and_then(|(_, v)| v)
            .unwrap();
        assert!(path.to_string_lossy().starts_with("/venv/bin:"));
    }

    #[test]
    fn kvm_boot_of_a_tree_has_no_image_and_no_disable() {
        let image = BootImage::Tree("/src/linux".into());
        let spec = BootSpec {
            vng: Path::new("vng"),
            image: &image,
            accel: Accel::Kvm,
            append: "",
            cpus: 1,
            memory_mib: 1024,
            dir: Path::new("/o"),
            script: Path::new("/o/guest.sh"),
        };
        let a = args(&spec);
        assert!(!a.contains(&"--disable-kvm".to_string()));
        assert!(!a.contains(&"-r".to_string()));
        assert!(!a.contains(&"--append".to_string()));
        assert_eq!(
            command(&spec).get_current_dir(),
            Some(Path::new("/src/linux"))
        );
    }
}
