//! `llconf bench`: what a VM costs, per backend. One kernel is booted N
//! times with each backend that can boot it, the same suites run N times
//! on the host, and a bare direct-qemu boot (`-kernel K -initrd <an init
//! that powers off at once>`) gives the floor no backend can beat. Medians:
//!
//! - `boot`: start of vng or qemu to the guest's first line of userspace;
//! - `first test`: to the first test result the host has read;
//! - `total`: to the end of the VM;
//! - ratios: boot and first test against the floor, total against the
//!   host run, and the overhead (total minus the host run) against the
//!   floor.

use crate::boot::cpio::CpioWriter;
use crate::boot::kit::Kit;
use crate::boot::qemu_initramfs;
use crate::cache_dir::Cache;
use crate::cli::BenchArgs;
use crate::host::accel::{self, Accel};
use crate::host::tools;
use crate::kernel::backend::Backend;
use crate::kernel::catalogue::{Catalogue, Kernel};
use crate::kernel::image::{Freshness, Prepared};
use crate::kernel::prepare;
use crate::run::events::{Event, TargetEvent, VmEnd, VmEvent};
use crate::run::host::{self, HostRun};
use crate::run::vm::{self, Settings, VmTarget};
use crate::suites::binary::SuiteBinary;
use crate::suites::selection;
use anyhow::{bail, Context, Result};
use llconf_reports::layout::TargetDir;
use llconf_reports::record::Record;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) const MEMORY_MIB: u64 = 2048;
/// A host run in a benchmark is not limited in practice.
const BENCH_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// One measured run; `None` where it does not apply.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sample {
    pub boot: Option<Duration>,
    pub first_test: Option<Duration>,
    pub total: Option<Duration>,
}

pub fn bench(root: &Path, kernels_dir: &Path, mut args: BenchArgs) -> Result<ExitCode> {
    let catalogue = Catalogue::load(kernels_dir)?;
    let kernel = catalogue.select(std::slice::from_ref(&args.kernel))?[0];
    let (cache, qemu, prepared) = floor_kernel(kernel, kernels_dir)?;
    let image = prepared.image.kernel_image();
    let mut say = |s: String| eprintln!("{s}");
    // The UML row boots its own kernel: UML cannot boot an x86 image.
    let uml = match &args.uml_kernel {
        Some(name) => {
            let k = catalogue.select(std::slice::from_ref(name))?[0];
            if k.backend != Some(Backend::Uml) {
                bail!("--uml-kernel {name}: not a User-Mode Linux kernel (see kernels/README.md)");
            }
            let p = prepare::prepare(&cache, k, kernels_dir, Freshness::IfOld, false, &mut say)?;
            Some((k.name.clone(), p))
        }
        None => None,
    };
    let backends = backends_to_bench(&args.backends, prepared.has_modules, uml.is_some())?;
    let verdict = accel::decide(&cache, args.accel, Some(&image), &mut say);
    if args.suites.suites.is_empty() && args.suites.suite_bins.is_empty() {
        args.suites.suites = vec!["base".into()];
    }
    let out = std::path::absolute(&args.out)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let host_suites = selection::resolve(root, &args.suites)?;
    let static_suites = selection::resolve_static(root, &args.suites)?;
    let guest = selection::guest(root, &args.suites)?;
    let vng = if backends.contains(&Backend::Vng) {
        Some(tools::check_tools(&cache)?)
    } else {
        None
    };
    let kit = Kit {
        vng,
        qemu: qemu.clone(),
        guest: Some(guest.clone()),
        suites: Some(host_suites.clone()),
        static_suites: Some(static_suites),
    };
    let (_, variant) = kernel
        .select_variants(&["default".into()])?
        .into_iter()
        .next()
        .expect("one variant");
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let settings = Settings {
        accel: verdict.accel,
        cpus,
        memory_mib: MEMORY_MIB,
        timeout: Duration::from_secs(1800),
        suite_args: args.suites.suite_args.clone(),
    };
    let names: Vec<&str> = host_suites.iter().map(|s| s.suite.as_str()).collect();
    eprintln!(
        "bench: {} ({}), suites {}, {} runs each, accelerator {}",
        kernel.name,
        image.display(),
        names.join(", "),
        args.runs,
        verdict.accel
    );

    let mut rows: Vec<(String, Vec<Sample>)> = Vec::new();

    let floor_cpio = out.join("floor.cpio");
    write_floor(&floor_cpio, &guest.init)?;
    let floor = sample(args.runs, "floor", || {
        let took = floor_boot(&qemu, &image, &floor_cpio, verdict.accel, cpus)?;
        Ok(Sample {
            boot: Some(took),
            first_test: None,
            total: Some(took),
        })
    })?;
    rows.push(("floor (bare qemu)".into(), floor));
    let host_dir = out.join("host");
    let host = sample(args.runs, "host", || {
        host_once(&host_suites, &args.suites.suite_args, &host_dir)
    })?;
    rows.push(("host".into(), host));
    for backend in &backends {
        // The UML row boots its own kernel.
        let (booted, name) = match (backend, &uml) {
            (Backend::Uml, Some((k, p))) => (p, format!("uml ({k})")),
            _ => (&prepared, backend.to_string()),
        };
        let samples = sample(args.runs, backend.as_str(), || {
            let dir = TargetDir::new(out.join(backend.as_str()));
            vm_once(&VmTarget::new(
                0, dir, *backend, booted, &variant, &kit, &settings,
            ))
        })?;
        rows.push((name, samples));
    }

    println!(
        "{} ({}), suites {}, accelerator {}, medians of {} runs:\n",
        kernel.name,
        prepared.release.as_deref().unwrap_or("local"),
        names.join(", "),
        verdict.accel,
        args.runs
    );
    print!("{}", render(&rows));
    Ok(ExitCode::SUCCESS)
}

/// The baselines of `bench --ladder`'s ratios, measured in the same
/// invocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Baselines {
    /// A bare qemu boot, seconds.
    pub floor: f64,
    /// Seconds per executed case on the host.
    pub host_case: f64,
}

/// Median seconds of some samples' totals.
fn median_total(samples: &[Sample]) -> Option<f64> {
    median(
        samples
            .iter()
            .filter_map(|s| s.total.map(|d| d.as_secs_f64()))
            .collect(),
    )
}

/// The baselines of `bench --ladder`: the median bare boot of
/// `--kernel`, and the median cost of an executed case when the suites the
/// guests run (static) run on this machine's kernel.
pub(crate) fn baselines(
    root: &Path,
    kernels_dir: &Path,
    args: &BenchArgs,
    out: &Path,
) -> Result<Baselines> {
    let catalogue = Catalogue::load(kernels_dir)?;
    let kernel = catalogue.select(std::slice::from_ref(&args.kernel))?[0];
    let (cache, qemu, prepared) = floor_kernel(kernel, kernels_dir)?;
    let image = prepared.image.kernel_image();
    let mut say = |s: String| eprintln!("{s}");
    let verdict = accel::decide(&cache, args.accel, Some(&image), &mut say);
    let suites = selection::resolve_static(root, &args.suites)?;
    let guest = selection::guest(root, &args.suites)?;
    let floor_cpio = out.join("floor.cpio");
    write_floor(&floor_cpio, &guest.init)?;
    let floor = sample(args.runs, "floor", || {
        let took = floor_boot(&qemu, &image, &floor_cpio, verdict.accel, 1)?;
        Ok(Sample {
            boot: Some(took),
            first_test: None,
            total: Some(took),
        })
    })?;
    let host_dir = out.join("host");
    let mut per_case = Vec::new();
    for i in 0..args.runs {
        let s = host_once(&suites, &args.suites.suite_args, &host_dir)?;
        let executed = executed_cases(&TargetDir::new(&host_dir))?;
        let total = s.total.map_or(0.0, |d| d.as_secs_f64());
        eprintln!(
            "host run {}: {executed} cases executed in {total:.2} s",
            i + 1
        );
        if executed > 0 {
            per_case.push(total / executed as f64);
        }
    }
    Ok(Baselines {
        floor: median_total(&floor).unwrap_or(f64::NAN),
        host_case: median(per_case).unwrap_or(f64::NAN),
    })
}

/// The x86 kernel of a benchmark's floor, ready: the cache, qemu and the
/// prepared kernel.
fn floor_kernel(kernel: &Kernel, kernels_dir: &Path) -> Result<(Cache, PathBuf, Prepared)> {
    if kernel.backend == Some(Backend::Uml) {
        bail!(
            "--kernel {}: a UML kernel cannot be the benchmark's qemu floor; \
             name an x86 kernel (and a UML one with --uml-kernel)",
            kernel.name
        );
    }
    let cache = Cache::from_env();
    let Some(qemu) = tools::find_on_path(tools::QEMU) else {
        bail!("{} is not installed; run `llconf setup`", tools::QEMU);
    };
    let mut say = |s: String| eprintln!("{s}");
    let prepared = prepare::prepare(
        &cache,
        kernel,
        kernels_dir,
        Freshness::IfOld,
        false,
        &mut say,
    )?;
    Ok((cache, qemu, prepared))
}

/// Passed, failed and known cases in a host run's results.
fn executed_cases(dir: &TargetDir) -> Result<usize> {
    let mut n = 0;
    for e in std::fs::read_dir(dir.results_dir())?.flatten() {
        let f = std::fs::File::open(e.path())?;
        let (records, _) = llconf_reports::record::read_records(std::io::BufReader::new(f))?;
        n += records
            .iter()
            .filter(|r| {
                matches!(r, Record::TestFinished(t) if t.outcome != llconf_reports::record::Outcome::Skipped)
            })
            .count();
    }
    Ok(n)
}

/// The backends asked for, else every one that can boot the kernel: vng
/// only with its modules, uml only with a UML kernel of its own.
fn backends_to_bench(asked: &[Backend], has_modules: bool, uml: bool) -> Result<Vec<Backend>> {
    let mut backends: Vec<Backend> = if !asked.is_empty() {
        asked.to_vec()
    } else if has_modules {
        vec![Backend::QemuInitramfs, Backend::Vng]
    } else {
        vec![Backend::QemuInitramfs]
    };
    if asked.is_empty() && uml {
        backends.push(Backend::Uml);
    }
    if backends.contains(&Backend::Uml) && !uml {
        bail!("--backend uml needs --uml-kernel NAME: UML boots a kernel of its own");
    }
    Ok(backends)
}

/// `runs` samples of one row, each said as it is taken.
fn sample(runs: u32, what: &str, mut once: impl FnMut() -> Result<Sample>) -> Result<Vec<Sample>> {
    let mut samples = Vec::new();
    for i in 0..runs {
        let s = once()?;
        if s.first_test.is_some() && s.boot.is_some() {
            eprintln!(
                "{what} run {}: boot {:.2} s, first test {:.2} s, total {:.2} s",
                i + 1,
                secs(s.boot),
                secs(s.first_test),
                secs(s.total)
            );
        } else {
            eprintln!("{what} run {}: {:.2} s", i + 1, secs(s.total));
        }
        samples.push(s);
    }
    Ok(samples)
}

fn secs(d: Option<Duration>) -> f64 {
    d.map_or(f64::NAN, |d| d.as_secs_f64())
}

/// The floor's initramfs: the guest init alone, told to power off at once.
fn write_floor(path: &Path, init: &Path) -> Result<()> {
    let file = std::fs::File::create(path)?;
    let mut w = CpioWriter::new(std::io::BufWriter::new(file));
    w.dir("dev", 0o755)?;
    w.char_dev("dev/console", 0o600, 5, 1)?;
    let mut f = std::fs::File::open(init).with_context(|| format!("{}", init.display()))?;
    let len = f.metadata()?.len();
    w.file_from("init", 0o755, &mut f, len)?;
    w.finish()?;
    Ok(())
}

fn floor_boot(
    qemu: &Path,
    image: &Path,
    initramfs: &Path,
    accel: Accel,
    cpus: usize,
) -> Result<Duration> {
    let dir = TargetDir::new(initramfs.parent().expect("in a directory"));
    let spec = qemu_initramfs::BootSpec {
        qemu,
        image,
        initramfs,
        accel,
        // After `--`, arguments go to init.
        append: "-- poweroff",
        cpus,
        memory_mib: MEMORY_MIB,
        dir: &dir,
    };
    let start = Instant::now();
    let status = qemu_initramfs::command(&spec)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("running {}", qemu.display()))?;
    let took = start.elapsed();
    if !status.success() {
        bail!("the floor boot failed: qemu {status}");
    }
    Ok(took)
}

fn host_once(suites: &[SuiteBinary], suite_args: &[String], dir: &Path) -> Result<Sample> {
    let out = TargetDir::new(dir);
    for d in [out.results_dir(), out.logs_dir()] {
        let _ = std::fs::remove_dir_all(d);
    }
    let plan = HostRun {
        deadline: Instant::now() + BENCH_LIMIT,
        limit: BENCH_LIMIT,
        suites: suites.to_vec(),
        suite_args: suite_args.to_vec(),
        out,
    };
    plan.create_dirs()?;
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let worker = std::thread::spawn(move || host::run(plan, tx));
    let mut first = None;
    for e in rx {
        if is_test_result(&e) && first.is_none() {
            first = Some(start.elapsed());
        }
    }
    let _ = worker.join();
    Ok(Sample {
        boot: None,
        first_test: first,
        total: Some(start.elapsed()),
    })
}

fn is_test_result(e: &Event) -> bool {
    matches!(
        e,
        Event::Record {
            record: Record::TestFinished(_),
            ..
        }
    )
}

pub(crate) fn vm_once(t: &VmTarget) -> Result<Sample> {
    std::fs::create_dir_all(t.guest.dir.root())?;
    let (tx, rx) = mpsc::channel::<TargetEvent>();
    let start = Instant::now();
    let target = t.clone();
    let worker = std::thread::spawn(move || vm::run(&target, &tx));
    let mut s = Sample::default();
    let mut end = None;
    for TargetEvent { event, .. } in rx {
        match event {
            VmEvent::GuestUp { boot } => s.boot = Some(boot),
            VmEvent::Suite(e) if is_test_result(&e) && s.first_test.is_none() => {
                s.first_test = Some(start.elapsed())
            }
            VmEvent::VmEnded { cause, elapsed } => {
                s.total = Some(elapsed);
                end = Some(cause);
            }
            _ => {}
        }
    }
    let _ = worker.join();
    match end {
        Some(VmEnd::Completed) => Ok(s),
        Some(e) => bail!("{}: {}", t.guest.dir.root().display(), e.describe()),
        None => bail!(
            "{}: the VM run ended without a word",
            t.guest.dir.root().display()
        ),
    }
}

pub(crate) fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The table: rows of samples → medians and ratios. Row 0 is the floor,
/// row 1 the host.
fn render(rows: &[(String, Vec<Sample>)]) -> String {
    let med = |samples: &[Sample], f: fn(&Sample) -> Option<Duration>| {
        median(samples.iter().map(|s| secs(f(s))).collect())
    };
    let floor = med(&rows[0].1, |s| s.total);
    let host = med(&rows[1].1, |s| s.total);
    let sec = |x: Option<f64>| x.map_or("-".into(), |x| format!("{x:.2} s"));
    let ratio = |x: Option<f64>, base: Option<f64>| match (x, base) {
        (Some(x), Some(b)) if b > 0.0 => format!("{:.2}x", x / b),
        _ => "-".into(),
    };
    let header = [
        "",
        "boot",
        "first test",
        "total",
        "boot/floor",
        "first test/floor",
        "total/host",
        "overhead/floor",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for (name, samples) in rows {
        let boot = med(samples, |s| s.boot);
        let first = med(samples, |s| s.first_test);
        let total = med(samples, |s| s.total);
        let overhead = match (total, host) {
            (Some(t), Some(h)) if name != "host" && !name.starts_with("floor") => Some(t - h),
            _ => None,
        };
        table.push(vec![
            name.clone(),
            sec(boot),
            sec(first),
            sec(total),
            ratio(boot, floor),
            ratio(first, floor),
            ratio(total, host),
            ratio(overhead, floor),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| table.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut s = String::new();
    for r in table {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        s.push_str(cells.join("  ").trim_end());
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(boot: Option<f64>, first: Option<f64>, total: f64) -> Sample {
        let d = |x: f64| Duration::from_secs_f64(x);
        Sample {
            boot: boot.map(d),
            first_test: first.map(d),
            total: Some(d(total)),
        }
    }

    #[test]
    fn medians_and_ratios() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![f64::NAN]), None);
        let rows = vec![
            ("floor".to_string(), vec![s(Some(5.0), None, 5.0)]),
            ("host".to_string(), vec![s(None, Some(0.1), 2.0)]),
            (
                "qemu-initramfs".to_string(),
                vec![s(Some(5.5), Some(6.0), 8.0), s(Some(6.5), Some(7.0), 9.0)],
            ),
        ];
        let table = render(&rows);
        let q = table.lines().find(|l| l.starts_with("qemu")).unwrap();
        let cells: Vec<&str> = q.split("  ").filter(|c| !c.is_empty()).collect();
        // boot 6.0, first 6.5, total 8.5; /floor 1.2, 1.3; /host 4.25; (8.5-2)/5 = 1.3
        assert_eq!(
            cells.iter().map(|c| c.trim()).collect::<Vec<_>>(),
            [
                "qemu-initramfs",
                "6.00 s",
                "6.50 s",
                "8.50 s",
                "1.20x",
                "1.30x",
                "4.25x",
                "1.30x"
            ]
        );
    }
}
