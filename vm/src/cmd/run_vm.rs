//! `llconf run` in VMs: every selected kernel × variant boots, in virtme-ng,
//! in qemu with llconf's initramfs, or as User-Mode Linux (see `backend`),
//! and runs the suites;
//! one directory of results per target, a merged JUnit and results.jsonl
//! for the whole run.
//!
//! Bad input (unknown kernel or variant, malformed catalogue, missing qemu
//! or vng, unknown suite) stops the run before anything boots. Trouble with
//! one kernel (a package that is not there, a panic, a timeout) fails that
//! target only: the others still run and every report is still written.
//!
//! `--out DIR` holds:
//! - `DIR/<kernel>-<variant>/`: `junit.xml` (the suites and a `vm`
//!   testsuite of run-level checks), `results/<suite>.jsonl`,
//!   `logs/<suite>.log`, `console.log` (vng's or qemu's output: the guest
//!   console and the guest's own lines), `dmesg.txt`, `guest.sh` (vng) or
//!   `plan.txt` and `records.raw` (qemu-initramfs), `status/`;
//! - `DIR/junit.xml`: every target merged, one testsuite per kernel×suite
//!   named `<kernel>-<variant>/<suite>`, the id in every classname;
//! - `DIR/results.jsonl`: every record of every target (see
//!   `merged_results`).

use crate::boot::qemu_initramfs;
use crate::boot::vng_script;
use crate::cache_dir::Cache;
use crate::cli::{RunArgs, RunFormat};
use crate::host::accel::{self, Accel};
use crate::host::tools;
use crate::host::workspace;
use crate::kernel::backend::{self, Backend};
use crate::kernel::catalogue::Catalogue;
use crate::kernel::image::{BootImage, Freshness, Prepared};
use crate::kernel::prepare;
use crate::report::junit_writer;
use crate::report::merged_results;
use crate::report::target::{self, Target, TargetInfo};
use crate::report::target_meta;
use crate::run::events::{TargetEvent, VmEvent};
use crate::run::vm::{self, BootWith, VmTarget};
use crate::suites::binary::SuiteBinary;
use crate::suites::build;
use crate::suites::selection;
use crate::ui::ktap_stream::KtapStream;
use crate::ui::vm_progress::VmProgress;
use anyhow::{Context, Result};
use llconf_reports::summary;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// What one TCG guest wants; KVM guests get by with one core.
const VM_MEMORY_MIB: u64 = 2048;

pub fn run(root: &Path, kernels_dir: &Path, args: RunArgs) -> Result<ExitCode> {
    let wall = Instant::now();
    if let Some(junit) = &args.junit {
        junit_writer::check_destination(junit)?;
    }
    let catalogue = Catalogue::load(kernels_dir)?;
    let mut wanted = Vec::new();
    for kernel in catalogue.select(&args.kernels)? {
        for (name, variant) in kernel.select_variants(&args.variants)? {
            wanted.push((kernel, name, variant));
        }
    }
    for (kernel, _, _) in &wanted {
        backend::check_forced(args.backend, kernel.backend, &kernel.name)
            .map_err(anyhow::Error::msg)?;
    }
    let cache = Cache::from_env();
    // UML kernels are host programs; everything else boots in qemu.
    let all_uml = wanted
        .iter()
        .all(|(k, _, _)| k.backend == Some(Backend::Uml));
    let qemu = match tools::find_on_path(tools::QEMU) {
        Some(q) => q,
        None if all_uml => tools::QEMU.into(),
        None => anyhow::bail!(
            "{} is not installed (not on PATH); run `llconf setup` to install qemu",
            tools::QEMU
        ),
    };
    // A backend known before any download that needs vng: say so now.
    if wanted
        .iter()
        .any(|(k, _, _)| args.backend.or(k.backend) == Some(Backend::Vng))
    {
        tools::check_tools(&cache)?;
    }
    let suite_args = args.suites.suite_args.clone();

    let out = std::path::absolute(&args.out)
        .with_context(|| format!("output directory {}", args.out.display()))?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let junit = args.junit.clone().unwrap_or_else(|| out.join("junit.xml"));
    let results_file = out.join("results.jsonl");
    let _ = std::fs::remove_file(&results_file);

    let live = std::io::stderr().is_terminal();
    let mut progress = VmProgress::new(live);

    // Kernels first, one after the other: downloads share the apt state.
    // Which backend a kernel gets may depend on what its packages hold.
    let mut prepared: HashMap<String, Result<Prepared, String>> = HashMap::new();
    let mut backends: HashMap<String, Backend> = HashMap::new();
    for (kernel, _, _) in &wanted {
        if prepared.contains_key(&kernel.name) {
            continue;
        }
        let mut say = |s: String| progress.line(&s);
        let decided = args.backend.or(kernel.backend);
        let needs_modules = decided == Some(Backend::Vng);
        let p = prepare::prepare(
            &cache,
            kernel,
            kernels_dir,
            Freshness::IfOld,
            needs_modules,
            &mut say,
        )
        .map_err(|e| format!("{e:#}"));
        if let Err(e) = &p {
            progress.line(&format!("error: {e}"));
        }
        let has_modules = p.as_ref().map_or(true, |p| p.has_modules);
        backends.insert(
            kernel.name.clone(),
            backend::choose(args.backend, kernel.backend, has_modules),
        );
        prepared.insert(kernel.name.clone(), p);
    }

    // Suite binaries for each backend in use: as built for vng, static for
    // qemu-initramfs. Copies under <out>/bin, so that a build during the
    // run changes nothing.
    let uses = |b: Backend| backends.values().any(|x| *x == b);
    let vng = if uses(Backend::Vng) {
        Some(tools::check_tools(&cache)?)
    } else {
        None
    };
    let dynamic_suites = if uses(Backend::Vng) || uses(Backend::Uml) {
        let s = selection::resolve(root, &args.suites)?;
        Some(snapshot(&s, &out.join("bin"))?)
    } else {
        None
    };
    let guest = if uses(Backend::QemuInitramfs) || uses(Backend::Uml) {
        progress.line("building the static guest init for qemu-initramfs and uml");
        let guest = build::guest_binaries(&workspace::default_root())?;
        let dir = out.join("bin/guest");
        let copy = |name: &str, path: &Path| -> Result<std::path::PathBuf> {
            let bin = SuiteBinary {
                suite: name.into(),
                path: path.to_path_buf(),
            };
            Ok(snapshot(std::slice::from_ref(&bin), &dir)?.remove(0).path)
        };
        Some(crate::suites::binary::GuestBinaries {
            init: copy("init", &guest.init)?,
            true_bin: copy("true", &guest.true_bin)?,
        })
    } else {
        None
    };
    let static_suites = if uses(Backend::QemuInitramfs) {
        progress.line("building the static suite binaries for qemu-initramfs");
        let s = selection::resolve_static(root, &args.suites)?;
        Some(snapshot(&s, &out.join("bin/static"))?)
    } else {
        None
    };
    let mut planned = BTreeMap::new();
    let listed = dynamic_suites
        .as_ref()
        .or(static_suites.as_ref())
        .context("no suites to run")?;
    for s in listed {
        planned.insert(
            s.suite.clone(),
            crate::suites::list::list_tests(s, &suite_args)?,
        );
    }
    let probe_image = wanted
        .iter()
        .filter(|(k, _, _)| backends[&k.name] != Backend::Uml)
        .find_map(|(k, _, _)| match &prepared[&k.name] {
            Ok(p) => match &p.image {
                BootImage::Image(i) => Some(i.clone()),
                BootImage::Tree(t) => Some(t.join("arch/x86/boot/bzImage")),
            },
            Err(_) => None,
        });
    let verdict = accel::decide(&cache, args.accel, probe_image.as_deref(), &mut |s| {
        progress.line(&s)
    });
    if !all_uml {
        progress.line(&format!(
            "accelerator: {} ({})",
            verdict.accel, verdict.reason
        ));
    }
    let (jobs, cpus) = match args.jobs {
        Some(j) => (j as usize, cpus_per_vm(j as usize)),
        None => {
            let j = default_jobs(verdict.accel);
            (j, cpus_per_vm(j))
        }
    };
    let timeout = Duration::from_secs(args.vm_timeout.unwrap_or(match verdict.accel {
        Accel::Tcg => 1800,
        Accel::Kvm => 600,
    }));

    let mut targets: Vec<Target> = Vec::new();
    let mut queue = VecDeque::new();
    for (kernel, variant_name, variant) in &wanted {
        let id = format!("{}-{variant_name}", kernel.name);
        let dir = out.join(&id);
        let index = targets.len();
        let p = &prepared[&kernel.name];
        let backend = backends[&kernel.name];
        let info = TargetInfo {
            id: id.clone(),
            kernel: kernel.name.clone(),
            variant: variant_name.clone(),
            expected_abi: kernel.expected_abi,
            landlock: variant.landlock,
            append: variant.append.clone(),
            packages: p.as_ref().map(|p| p.packages.clone()).unwrap_or_default(),
            accel: (backend != Backend::Uml).then_some(verdict.accel),
            backend: backend.as_str(),
            planned: planned.clone(),
        };
        let mut target = Target::new(info);
        match p {
            Ok(p) => {
                let (boot, suites) = match backend {
                    Backend::Vng => (
                        BootWith::Vng {
                            vng: vng.clone().expect("checked for vng targets"),
                        },
                        dynamic_suites.clone().expect("built for vng targets"),
                    ),
                    Backend::QemuInitramfs => (
                        BootWith::QemuInitramfs {
                            qemu: qemu.clone(),
                            guest: guest.clone().expect("built for qemu targets"),
                        },
                        static_suites.clone().expect("built for qemu targets"),
                    ),
                    Backend::Uml => (
                        BootWith::Uml {
                            init: guest.clone().expect("built for uml targets").init,
                        },
                        dynamic_suites.clone().expect("built for uml targets"),
                    ),
                };
                queue.push_back(VmTarget {
                    index,
                    dir,
                    boot,
                    image: p.image.clone(),
                    accel: verdict.accel,
                    append: variant.append.clone(),
                    setup: variant.guest_setup.clone(),
                    modules: match backend {
                        Backend::QemuInitramfs => qemu_initramfs::find_modules(
                            &p.image.kernel_image(),
                            p.release.as_deref(),
                        ),
                        Backend::Vng | Backend::Uml => Vec::new(),
                    },
                    cpus,
                    memory_mib: VM_MEMORY_MIB,
                    suites,
                    suite_args: suite_args.clone(),
                    timeout,
                    // UML runs natively, but every guest syscall is a
                    // round trip through the host (ptrace, or seccomp's
                    // signal on 7.x).
                    timeout_scale: match (backend, verdict.accel) {
                        (Backend::Uml, _) => 2.0,
                        (_, Accel::Tcg) => 4.0,
                        (_, Accel::Kvm) => 1.0,
                    },
                });
            }
            Err(e) => target.prepare_error = Some(e.clone()),
        }
        targets.push(target);
    }
    progress.line(&format!(
        "{} VM runs, {jobs} at a time, {} and {VM_MEMORY_MIB} MiB each, limit {} s each",
        queue.len(),
        if all_uml {
            format!("{cpus} CPUs where the UML build has SMP")
        } else {
            format!("{cpus} CPUs")
        },
        timeout.as_secs()
    ));

    let ktap = args.format == RunFormat::Ktap;
    let mut ktap_out = ktap.then(|| KtapStream::new(std::io::stdout(), targets.len()));
    // Targets that cannot boot are final already.
    for t in targets.iter_mut().filter(|t| t.prepare_error.is_some()) {
        finish_target(t, &out, &results_file)?;
        if let Some(k) = ktap_out.as_mut() {
            k.target(&t.info.id, t.suites(), &t.problems());
        }
    }
    for (i, t) in targets.iter().enumerate() {
        if t.prepare_error.is_none() {
            let total = t.info.planned.values().map(Vec::len).sum();
            progress.add(i, &t.info.id, total);
        }
    }

    vm::install_interrupt_handler();
    let (tx, rx) = mpsc::channel::<TargetEvent>();
    let queue = Arc::new(Mutex::new(queue));
    let workers: Vec<_> = (0..jobs)
        .map(|_| {
            let (queue, tx) = (queue.clone(), tx.clone());
            std::thread::spawn(move || loop {
                let Some(t) = queue.lock().unwrap().pop_front() else {
                    break;
                };
                vm::run(&t, &tx);
            })
        })
        .collect();
    drop(tx);
    for TargetEvent { target, event } in rx {
        let t = &mut targets[target];
        progress.on_event(target, &t.info.id, &event);
        t.on_event(&event);
        if let VmEvent::VmEnded { .. } = event {
            finish_target(t, &out, &results_file)?;
            if let Some(k) = ktap_out.as_mut() {
                k.target(&t.info.id, t.suites(), &t.problems());
            }
        }
    }
    for w in workers {
        let _ = w.join();
    }
    progress.clear();

    if let Some(k) = ktap_out {
        k.finish();
    }
    // With KTAP, stdout is KTAP only and the summary goes to stderr.
    let mut summary = String::new();
    print_summary(&mut summary, &targets);
    junit_writer::write_report(&junit, &target::merged(&targets))?;
    summary += &format!(
        "merged JUnit report: {}\nall records: {}\nwall time: {:.1} s\n",
        junit.display(),
        results_file.display(),
        wall.elapsed().as_secs_f64()
    );
    if ktap {
        eprint!("{summary}");
    } else {
        print!("{summary}");
    }

    if vm::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
        return Ok(ExitCode::from(130));
    }
    Ok(if targets.iter().all(Target::is_success) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Copies of the suite binaries for the whole run. The guests read the
/// host's filesystem live: a `cargo build` on the host during a run would
/// otherwise swap a binary under a running guest (seen as SIGSEGVs in every
/// test), and two kernels could run different builds.
fn snapshot(suites: &[SuiteBinary], dir: &Path) -> Result<Vec<SuiteBinary>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    suites
        .iter()
        .map(|s| {
            let copy = dir.join(&s.suite);
            // Through a new file: a guest of an earlier run may still map the old one.
            let tmp = dir.join(format!(".{}.tmp", s.suite));
            std::fs::copy(&s.path, &tmp)
                .and_then(|_| std::fs::rename(&tmp, &copy))
                .with_context(|| format!("copying {} to {}", s.path.display(), copy.display()))?;
            Ok(SuiteBinary {
                suite: s.suite.clone(),
                path: copy,
            })
        })
        .collect()
}

/// The target's own reports, written as soon as it is done so that a run
/// cut short keeps what finished.
fn finish_target(t: &mut Target, out: &Path, results_file: &Path) -> Result<()> {
    let dir = out.join(&t.info.id);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let dmesg = std::fs::read_to_string(vng_script::dmesg_path(&dir)).ok();
    t.finish(dmesg.as_deref());
    junit_writer::write_report(&dir.join("junit.xml"), &t.report(None))?;
    target_meta::write(&dir, t)
        .with_context(|| format!("writing {}", dir.join("target.json").display()))?;
    let suites: Vec<String> = t.info.planned.keys().cloned().collect();
    merged_results::append(results_file, &t.info, &dir, &suites)
        .with_context(|| format!("writing {}", results_file.display()))?;
    Ok(())
}

fn print_summary(o: &mut String, targets: &[Target]) {
    use std::fmt::Write;
    for t in targets {
        let _ = writeln!(o, "\n== {} ({})", t.info.id, t.info.packages.join(" "));
        if !t.suites().is_empty() {
            o.push_str(&summary::render(t.suites()));
        }
        for p in t.problems() {
            let _ = writeln!(o, "FAILED {p}");
        }
    }
    let header = [
        "target", "backend", "result", "abi", "expected", "passed", "failed", "skipped", "boot",
        "total",
    ];
    let rows: Vec<Vec<String>> = targets
        .iter()
        .map(|t| {
            let c = t.counts();
            let secs =
                |d: Option<Duration>| d.map_or("-".into(), |d| format!("{:.1}s", d.as_secs_f64()));
            vec![
                t.info.id.clone(),
                t.info.backend.to_string(),
                if t.is_success() { "ok" } else { "FAILED" }.into(),
                t.observed_abi().map_or("-".into(), |a| a.to_string()),
                match t.info.expected_abi {
                    _ if !t.info.landlock => "off".into(),
                    Some(a) => a.to_string(),
                    None => "-".into(),
                },
                c.passed.to_string(),
                c.failed.to_string(),
                c.skipped.to_string(),
                secs(t.boot),
                secs(t.elapsed),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let _ = writeln!(o);
    let mut print_row = |cells: Vec<String>| {
        let line: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(o, "{}", line.join("  ").trim_end());
    };
    print_row(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        print_row(r);
    }
    let mut total = llconf_reports::results::Counts::default();
    for t in targets {
        total.add(t.counts());
    }
    let failed_targets = targets.iter().filter(|t| !t.is_success()).count();
    let _ = writeln!(
        o,
        "\ntotal: {} passed, {} failed, {} skipped; {} of {} VM runs failed",
        total.passed,
        total.failed,
        total.skipped,
        failed_targets,
        targets.len()
    );
}

/// TCG wants about two cores and 2 GiB per guest, KVM one core.
fn default_jobs(accel: Accel) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_vm = match accel {
        Accel::Tcg => 2,
        Accel::Kvm => 1,
    };
    let by_memory = mem_available_mib().map_or(usize::MAX, |m| (m / VM_MEMORY_MIB) as usize);
    (cores / per_vm).min(by_memory).max(1)
}

fn cpus_per_vm(jobs: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores / jobs).clamp(1, 4)
}

fn mem_available_mib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
