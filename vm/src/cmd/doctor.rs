//! `llconf doctor`: what a VM run would find on this machine.

use crate::cache_dir::Cache;
use crate::cmd::setup::dpkg_installed;
use crate::host::accel::{self, Accel};
use crate::host::tools;
use crate::kernel::catalogue::Catalogue;
use anyhow::Result;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

pub fn doctor(kernels_dir: &Path) -> Result<ExitCode> {
    let cache = Cache::from_env();
    let mut ready = true;
    let mut row = |what: &str, ok: bool, detail: String| {
        println!(
            "{:<8} {what:<22} {detail}",
            if ok { "ok" } else { "MISSING" }
        );
        ready &= ok;
    };

    let qemu = tools::find_on_path(tools::QEMU);
    row(
        tools::QEMU,
        qemu.is_some(),
        match &qemu {
            Some(p) => format!("{} ({})", first_line(p, "--version"), p.display()),
            None => "not on PATH; `llconf setup` installs it".into(),
        },
    );
    let vng = tools::vng_path(&cache);
    let version = first_line(&vng, "--version");
    row(
        "vng",
        !version.is_empty(),
        if version.is_empty() {
            format!(
                "not in {} nor on PATH; `llconf setup` installs it",
                cache.venv().display()
            )
        } else {
            format!("{version} ({})", vng.display())
        },
    );
    for p in ["kmod", "busybox-static", "udev"] {
        let ok = dpkg_installed(p);
        row(
            p,
            ok,
            if ok {
                "installed".into()
            } else {
                "missing; `llconf setup` installs it".into()
            },
        );
    }

    // Only `uml` kernels need them: not a reason to call the machine unready.
    let missing = crate::kernel::uml_build::missing_tools();
    if missing.is_empty() {
        println!(
            "{:<8} {:<22} make, gcc, flex, bison, bc",
            "ok", "uml build tools"
        );
    } else {
        println!(
            "{:<8} {:<22} {} missing: `uml` kernels cannot be built; `llconf setup` installs them",
            "-",
            "uml build tools",
            missing.join(", ")
        );
    }
    // Only `llconf coverage` needs lcov: not a reason either.
    match crate::coverage::counters::check_tools() {
        Ok(()) => println!("{:<8} {:<22} lcov, genhtml, gcov", "ok", "coverage tools"),
        Err(e) => println!("{:<8} {:<22} {e}", "-", "coverage tools"),
    }
    match accel::kvm_device() {
        Ok(()) => println!("{:<8} {:<22} opens read-write", "ok", "/dev/kvm"),
        Err(e) => println!("{:<8} {:<22} {e}: VMs use TCG (slow)", "-", "/dev/kvm"),
    }
    let verdict = match accel::cached(&cache) {
        Some(v) => format!(
            "{} ({}), cached in {}",
            v.accel,
            v.reason,
            cache.accel_file().display()
        ),
        None if accel::kvm_device().is_err() => format!("{} (no usable KVM device)", Accel::Tcg),
        None => "not probed yet: the next `llconf run` boots a kernel once with KVM".into(),
    };
    println!("{:<8} {:<22} {verdict}", "-", "accelerator");

    println!("\ncache: {}", cache.root.display());
    match Catalogue::load(kernels_dir) {
        Ok(c) => {
            for k in &c.kernels {
                println!(
                    "  {:<16} {}",
                    k.name,
                    crate::cmd::kernels::cache_state(&cache, k)
                );
            }
        }
        Err(e) => {
            println!("  catalogue: {e:#}");
            ready = false;
        }
    }
    Ok(if ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn first_line(program: &Path, arg: &str) -> String {
    Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}
