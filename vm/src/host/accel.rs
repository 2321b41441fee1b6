//! KVM or TCG. /dev/kvm may exist and open yet be unusable (nested or
//! emulated KVM: qemu aborts setting MSRs, or the guest hangs), so the only
//! trustworthy test is a boot. It is done once per machine, with a short
//! timeout, and the verdict is kept in the cache.

use crate::cache_dir::Cache;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Accel {
    Kvm,
    Tcg,
}

impl std::fmt::Display for Accel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        })
    }
}

/// A real KVM boots a bare kernel to its root-mount panic in a second or
/// two; a broken one aborts at once or hangs.
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdict {
    pub accel: Accel,
    pub reason: String,
    /// What the verdict holds for: the cache may be shared by machines.
    pub machine: String,
}

/// What identifies "this machine" for the verdict: a new host kernel or a
/// move to other hardware probes again.
pub fn machine_key() -> String {
    let id = std::fs::read_to_string("/etc/machine-id").unwrap_or_default();
    let release = nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{}/{release}", id.trim())
}

/// Whether /dev/kvm can be opened for use at all; `Err` says why not.
pub fn kvm_device() -> Result<(), String> {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("/dev/kvm: {e}")),
    }
}

pub fn cached(cache: &Cache) -> Option<Verdict> {
    let bytes = std::fs::read(cache.accel_file()).ok()?;
    let v: Verdict = serde_json::from_slice(&bytes).ok()?;
    (v.machine == machine_key()).then_some(v)
}

/// The accelerator to use: forced, cached, or probed now with `kernel`.
pub fn decide(
    cache: &Cache,
    forced: Option<Accel>,
    kernel: Option<&Path>,
    say: &mut dyn FnMut(String),
) -> Verdict {
    let machine = machine_key();
    if let Some(accel) = forced {
        return Verdict {
            accel,
            reason: "forced with --accel".into(),
            machine,
        };
    }
    if let Err(why) = kvm_device() {
        return Verdict {
            accel: Accel::Tcg,
            reason: format!("no usable KVM device ({why})"),
            machine,
        };
    }
    if let Some(mut v) = cached(cache) {
        v.reason = format!(
            "{}; verdict cached in {}",
            v.reason,
            cache.accel_file().display()
        );
        return v;
    }
    let Some(kernel) = kernel else {
        return Verdict {
            accel: Accel::Tcg,
            reason: "KVM not probed yet (no kernel to probe with)".into(),
            machine,
        };
    };
    say(format!(
        "probing KVM with a bare boot of {} (at most {} s)",
        kernel.display(),
        PROBE_TIMEOUT.as_secs()
    ));
    let verdict = match probe_kvm(kernel) {
        Ok(took) => Verdict {
            accel: Accel::Kvm,
            reason: format!("KVM boot probe reached the kernel's root mount in {took:.1?}"),
            machine,
        },
        Err(why) => Verdict {
            accel: Accel::Tcg,
            reason: format!("KVM boot probe failed: {why}"),
            machine,
        },
    };
    let _ = std::fs::create_dir_all(&cache.root);
    let _ = std::fs::write(
        cache.accel_file(),
        serde_json::to_vec_pretty(&verdict).expect("serializable"),
    );
    verdict
}

/// Boots `kernel` without a root filesystem: under a working KVM it gets to
/// "VFS: Unable to mount root fs" and, with panic=-1 and -no-reboot, qemu
/// exits.
fn probe_kvm(kernel: &Path) -> Result<Duration, String> {
    let start = Instant::now();
    let mut child = Command::new("qemu-system-x86_64")
        .args(["-accel", "kvm", "-cpu", "host", "-M", "q35", "-m", "512"])
        .args([
            "-nographic",
            "-nodefaults",
            "-no-reboot",
            "-serial",
            "stdio",
        ])
        .arg("-kernel")
        .arg(kernel)
        .args(["-append", "console=ttyS0 panic=-1 loglevel=4"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > PROBE_TIMEOUT => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(e.to_string()),
        }
    };
    if status.is_none() {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = child.wait();
    }
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut out);
    }
    let booted = out.contains("Kernel panic - not syncing: VFS");
    match status {
        _ if booted => Ok(start.elapsed()),
        None => Err(format!(
            "the guest did not finish booting within {} s",
            PROBE_TIMEOUT.as_secs()
        )),
        Some(s) => {
            let last = out
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            Err(format!("qemu {s}: {}", last.trim()))
        }
    }
}
