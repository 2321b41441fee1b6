//! `llconf bench --tree PATH`: what the kernel developer's loop costs. The
//! tree is built once (configured if need be), then `--runs` times its
//! `--edit` file (security/landlock/net.c) is made newer, its content
//! untouched, which makes `make` do what a one-line edit makes it do
//! (compile that file, link the kernel); the rebuild is timed, then the
//! suites' run (default `--suite net`). Printed per round and as medians:
//! rebuild, run and total (the change to the last verdict).

use crate::boot::kit::Kit;
use crate::cache_dir::Cache;
use crate::cli::BenchArgs;
use crate::cmd::bench::{median, vm_once, MEMORY_MIB};
use crate::host::accel;
use crate::host::tools;
use crate::kernel::catalogue::Source;
use crate::kernel::image::{BootImage, Prepared};
use crate::kernel::tree;
use crate::run::interrupt;
use crate::run::vm::{Settings, VmTarget};
use crate::suites::selection;
use anyhow::{bail, Context, Result};
use llconf_reports::layout::TargetDir;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

pub fn bench_tree(root: &Path, kernels_dir: &Path, mut args: BenchArgs) -> Result<ExitCode> {
    let given = args.tree.clone().context("--tree")?;
    let kernel = tree::kernel(&given, args.tree_arch)?;
    let Source::Tree { path, arch } = &kernel.source else {
        unreachable!("a --tree kernel");
    };
    let edit = path.join(&args.edit);
    if !edit.is_file() {
        bail!("--edit {}: no such file in the tree", edit.display());
    }
    if args.suites.suites.is_empty() && args.suites.suite_bins.is_empty() {
        args.suites.suites = vec!["net".into()];
    }
    let cache = Cache::from_env();
    let mut say = |s: String| eprintln!("{s}");
    // Suites first: a bad --suite is said before a long build.
    let suites = selection::resolve(root, &args.suites)?;
    let static_suites = match arch {
        crate::kernel::catalogue::TreeArch::X86_64 => {
            Some(selection::resolve_static(root, &args.suites)?)
        }
        crate::kernel::catalogue::TreeArch::Um => None,
    };
    let guest = selection::guest(root, &args.suites)?;
    let start = Instant::now();
    let first = tree::build(&cache, path, *arch, kernels_dir, &mut say)?;
    say(format!(
        "first build: {:.1} s ({})",
        start.elapsed().as_secs_f64(),
        first.image.display()
    ));
    let backend = kernel.backend.expect("a --tree kernel has its backend");
    let qemu = tools::find_on_path(tools::QEMU).unwrap_or_else(|| tools::QEMU.into());
    let verdict = accel::decide(&cache, args.accel, None, &mut say);
    let kit = Kit {
        vng: None,
        qemu,
        guest: Some(guest),
        suites: Some(suites.clone()),
        static_suites,
    };
    let (_, variant) = kernel
        .select_variants(&["default".into()])?
        .into_iter()
        .next()
        .expect("the default variant");
    let settings = Settings {
        accel: verdict.accel,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
        memory_mib: MEMORY_MIB,
        timeout: Duration::from_secs(1800),
        suite_args: args.suites.suite_args.clone(),
    };
    let out = std::path::absolute(&args.out)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    interrupt::install_handler();
    let names: Vec<&str> = suites.iter().map(|s| s.suite.as_str()).collect();
    say(format!(
        "bench: {} ({}), {} made newer each round, suites {}, {} rounds",
        kernel.name,
        arch.make_arch(),
        args.edit.display(),
        names.join(", "),
        args.runs
    ));
    let (mut rebuilds, mut runs, mut totals) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..args.runs {
        if interrupt::interrupted() {
            return Ok(ExitCode::from(130));
        }
        touch(&edit)?;
        let t0 = Instant::now();
        let built = tree::build(&cache, path, *arch, kernels_dir, &mut |_| {})?;
        let rebuild = t0.elapsed();
        let prepared = Prepared {
            image: BootImage::Image(built.image.clone()),
            packages: built.facts(path),
            release: Some(built.release.clone()),
            has_modules: true,
        };
        let dir = TargetDir::new(out.join(&kernel.name));
        let sample = vm_once(&VmTarget::new(
            0, dir, backend, &prepared, &variant, &kit, &settings,
        ))?;
        let run = sample.total.unwrap_or_default();
        let total = t0.elapsed();
        say(format!(
            "round {}: rebuild {:.1} s, run {:.1} s, total {:.1} s",
            i + 1,
            rebuild.as_secs_f64(),
            run.as_secs_f64(),
            total.as_secs_f64()
        ));
        rebuilds.push(rebuild.as_secs_f64());
        runs.push(run.as_secs_f64());
        totals.push(total.as_secs_f64());
    }
    let m = |v: Vec<f64>| median(v).map_or("-".into(), |x| format!("{x:.1} s"));
    println!(
        "{} ({}), {} made newer, suites {}, medians of {} rounds:\n\
         rebuild  {}\nrun      {}\ntotal    {}",
        kernel.name,
        arch.make_arch(),
        args.edit.display(),
        names.join(", "),
        args.runs,
        m(rebuilds),
        m(runs),
        m(totals)
    );
    Ok(ExitCode::SUCCESS)
}

/// Makes `file` newer than its object, as saving an edit does; its
/// content stays as it is.
fn touch(file: &Path) -> Result<()> {
    let now = nix::sys::time::TimeSpec::from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    );
    nix::sys::stat::utimensat(
        None,
        file,
        &now,
        &now,
        nix::sys::stat::UtimensatFlags::FollowSymlink,
    )
    .with_context(|| format!("setting the mtime of {}", file.display()))
}
