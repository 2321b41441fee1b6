//! `llconf run` in VMs: every selected kernel × variant boots, in virtme-ng,
//! in qemu with llconf's initramfs, or as User-Mode Linux (see `boot`), and
//! runs the suites; one directory of results per target, a merged JUnit and
//! results.jsonl for the whole run (names in `llconf_reports::layout`).
//!
//! Bad input (unknown kernel or variant, malformed catalogue, missing qemu
//! or vng, unknown suite) stops the run before anything boots. Trouble with
//! one kernel (a package that is not there, a panic, a timeout) fails that
//! target only: the others still run and every report is still written.
//!
//! The stages, in order: select the targets, make their kernels ready,
//! build the kit the backends boot with, size the VMs, run the queue with
//! `jobs` workers while the events feed the progress display, each
//! target's verdict and KTAP, then write the merged reports.

use crate::boot::kit::Kit;
use crate::cache_dir::Cache;
use crate::cli::{RunArgs, RunFormat};
use crate::host::accel::{self, Accel};
use crate::host::tools;
use crate::kernel::backend::{self, Backend};
use crate::kernel::catalogue::{Catalogue, Kernel, Variant};
use crate::kernel::image::{Freshness, Prepared};
use crate::kernel::prepare;
use crate::report::junit_writer;
use crate::report::merged_results;
use crate::report::out_dir;
use crate::report::target::{self, Target, TargetInfo};
use crate::report::target_meta;
use crate::run::events::{TargetEvent, VmEvent};
use crate::run::interrupt;
use crate::run::vm::{self, Settings, VmTarget};
use crate::suites::binary::{GuestBinaries, SuiteBinary};
use crate::suites::list::list_tests;
use crate::suites::selection;
use crate::ui::ktap_stream::KtapStream;
use crate::ui::vm_progress::VmProgress;
use anyhow::{bail, Context, Result};
use llconf_reports::layout::RunDir;
use llconf_reports::summary;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// What one TCG guest wants; KVM guests get by with one core.
const VM_MEMORY_MIB: u64 = 2048;

/// Each race's time limit under TCG (the suites' `--race-seconds`), unless
/// the suite arguments set one. An emulated CPU gets through a few percent
/// of a race's iterations in the suites' own limits (15 to 20 s), and the
/// ten races of a kernel would be a third of its run; every race still
/// runs, and its output says how many iterations it did (about 1,300 of
/// the UDP send race's 20,000 in 2 s on Debian 7.3). At 3 s the races were
/// a quarter of a 7.3 run and a case cost 73 ms in the audit-off variant.
const TCG_RACE_SECONDS: f64 = 2.0;

/// A kernel × variant the run asks for.
struct Wanted<'a> {
    kernel: &'a Kernel,
    variant_name: String,
    variant: Variant,
}

/// The kernels of the run, made ready (or why not), and the backend each
/// boots with.
struct Kernels {
    prepared: HashMap<String, Result<Prepared, String>>,
    backends: HashMap<String, Backend>,
}

impl Kernels {
    fn uses(&self, b: Backend) -> bool {
        self.backends.values().any(|x| *x == b)
    }
}

pub fn run(root: &Path, kernels_dir: &Path, args: RunArgs) -> Result<ExitCode> {
    let wall = Instant::now();
    if let Some(junit) = &args.junit {
        junit_writer::check_destination(junit)?;
    }
    let catalogue = Catalogue::load(kernels_dir)?;
    let tree = match &args.tree {
        Some(t) => Some(crate::kernel::tree::kernel(t, args.tree_arch)?),
        None => None,
    };
    let wanted = select(&catalogue, tree.as_ref(), &args)?;
    let cache = Cache::from_env();
    // UML kernels are host programs; everything else boots in qemu.
    let all_uml = wanted
        .iter()
        .all(|w| w.kernel.backend == Some(Backend::Uml));
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
        .any(|w| args.backend.or(w.kernel.backend) == Some(Backend::Vng))
    {
        tools::check_tools(&cache)?;
    }

    let out = std::path::absolute(&args.out)
        .with_context(|| format!("output directory {}", args.out.display()))?;
    // Held to the end: one run writes into a folder at a time, and the
    // files of an earlier run are gone before this one writes any.
    crate::host::disk::check_room(&out)?;
    let _out_lock = out_dir::claim(&out)?;
    let run_dir = RunDir::new(&out);
    let junit = args.junit.clone().unwrap_or_else(|| run_dir.junit());

    let live = std::io::stderr().is_terminal();
    let mut progress = VmProgress::new(live);

    let prepared = prepare_kernels(&wanted, &args, &cache, kernels_dir, &mut progress);
    let verdict = decide_accel(&wanted, &prepared, &args, &cache, &mut progress);
    let kernels = choose_backends(&wanted, prepared, &args, verdict.accel, &mut progress);
    let kit = build_kit(root, &args, &kernels, &cache, qemu, &run_dir, &mut progress)?;
    let planned = planned_tests(&kit, &args.suites.suite_args)?;
    crate::suites::list::require_some(planned.values(), &args.suites.suite_args)?;
    let (settings, jobs) = size_vms(&args, verdict.accel);
    let (mut targets, queue) = make_targets(&wanted, &kernels, &kit, &settings, &planned, &run_dir);
    let queue = longest_first(queue, &targets);
    progress.line(&format!(
        "{} VM runs, {jobs} at a time, {} and {VM_MEMORY_MIB} MiB each, limit {} s each",
        queue.len(),
        if all_uml {
            format!(
                "{} where the UML build has SMP",
                llconf_reports::text::count(settings.cpus, "CPU")
            )
        } else {
            llconf_reports::text::count(settings.cpus, "CPU")
        },
        settings.timeout.as_secs()
    ));

    let ktap = args.format == RunFormat::Ktap;
    let mut ktap_out = ktap.then(|| KtapStream::new(std::io::stdout(), targets.len()));
    let mut finish = |t: &mut Target| -> Result<()> {
        finish_target(t, &run_dir)?;
        if let Some(k) = ktap_out.as_mut() {
            k.target(&t.info.id, t.suites(), &t.problems());
        }
        Ok(())
    };
    // Targets that cannot boot are final already.
    for t in targets.iter_mut().filter(|t| t.prepare_error.is_some()) {
        finish(t)?;
    }
    for (i, t) in targets.iter().enumerate() {
        if t.prepare_error.is_none() {
            let total = t.info.planned.values().map(Vec::len).sum();
            progress.add(i, &t.info.id, total);
        }
    }
    run_queue(queue, jobs, |TargetEvent { target, event }| {
        let t = &mut targets[target];
        progress.on_event(target, &t.info.id, &event);
        t.on_event(&event);
        match event {
            VmEvent::VmEnded { .. } => finish(t),
            _ => Ok(()),
        }
    })?;
    progress.clear();

    if let Some(k) = ktap_out {
        k.finish();
    }
    write_summary(&targets, &junit, &run_dir, wall, ktap, args.strict)?;
    crate::host::disk::warn_if_full(&out);
    if interrupt::interrupted() {
        return Ok(ExitCode::from(130));
    }
    let known = targets
        .iter()
        .map(|t| t.counts().known_failures)
        .sum::<usize>();
    Ok(
        if targets.iter().all(Target::is_success) && !(args.strict && known > 0) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

/// Suite → the tests its binary lists on the host: what every target
/// should report.
fn planned_tests(kit: &Kit, suite_args: &[String]) -> Result<BTreeMap<String, Vec<String>>> {
    let listed = kit
        .suites
        .as_ref()
        .or(kit.static_suites.as_ref())
        .context("no suites to run")?;
    let mut planned = BTreeMap::new();
    for s in listed {
        planned.insert(s.suite.clone(), list_tests(s, suite_args)?);
    }
    Ok(planned)
}

/// A verdict-to-be per kernel × variant, and the VM runs of those whose
/// kernel is ready; the others carry why not.
fn make_targets(
    wanted: &[Wanted],
    kernels: &Kernels,
    kit: &Kit,
    settings: &Settings,
    planned: &BTreeMap<String, Vec<String>>,
    run_dir: &RunDir,
) -> (Vec<Target>, VecDeque<VmTarget>) {
    let mut targets: Vec<Target> = Vec::new();
    let mut queue = VecDeque::new();
    for w in wanted {
        let id = format!("{}-{}", w.kernel.name, w.variant_name);
        let index = targets.len();
        let p = &kernels.prepared[&w.kernel.name];
        let kind = kernels.backends[&w.kernel.name];
        let mut target = Target::new(TargetInfo {
            id: id.clone(),
            kernel: w.kernel.name.clone(),
            variant: w.variant_name.clone(),
            expected_abi: w.kernel.expected_abi,
            landlock: w.variant.landlock,
            append: w.variant.append.clone(),
            packages: p.as_ref().map(|p| p.packages.clone()).unwrap_or_default(),
            accel: (kind != Backend::Uml).then_some(settings.accel),
            backend: kind.as_str(),
            planned: planned.clone(),
        });
        match p {
            Ok(p) => queue.push_back(VmTarget::new(
                index,
                run_dir.target(&id),
                kind,
                p,
                &w.variant,
                kit,
                settings,
            )),
            Err(e) => target.prepare_error = Some(e.clone()),
        }
        targets.push(target);
    }
    (targets, queue)
}

/// The VM runs that take longest first, so that the last to finish is a
/// short one and the workers end together: a kernel with Landlock runs
/// more cases the newer its ABI; one without runs a single case.
fn longest_first(queue: VecDeque<VmTarget>, targets: &[Target]) -> VecDeque<VmTarget> {
    let mut v: Vec<VmTarget> = queue.into();
    v.sort_by_key(|t| {
        let i = &targets[t.index].info;
        (!i.landlock, std::cmp::Reverse(i.expected_abi.unwrap_or(0)))
    });
    v.into()
}

/// Every kernel × variant asked for (the `--tree` kernel alone, when
/// given), refusing a `--backend` that cannot boot one of them.
fn select<'a>(
    catalogue: &'a Catalogue,
    tree: Option<&'a Kernel>,
    args: &RunArgs,
) -> Result<Vec<Wanted<'a>>> {
    let mut wanted = Vec::new();
    let kernels = match tree {
        Some(t) => vec![t],
        None => catalogue.select(&args.kernels)?,
    };
    for kernel in kernels {
        for (variant_name, variant) in kernel.select_variants(&args.variants)? {
            wanted.push(Wanted {
                kernel,
                variant_name,
                variant,
            });
        }
    }
    if let Some(shard) = args.shard {
        let all = wanted.len();
        wanted = wanted
            .into_iter()
            .enumerate()
            .filter(|(i, _)| shard.takes(*i))
            .map(|(_, w)| w)
            .collect();
        if wanted.is_empty() {
            // An empty shard would be a green job that ran nothing.
            bail!(
                "--shard {}/{}: only {all} targets are selected, so this part has none; \
                 use at most {all} parts",
                shard.k,
                shard.n
            );
        }
    }
    for w in &wanted {
        backend::check_forced(args.backend, w.kernel.backend, &w.kernel.name)
            .map_err(anyhow::Error::msg)?;
    }
    Ok(wanted)
}

/// Kernels one after the other: downloads share the apt state. A kernel
/// that cannot be made ready fails its targets only.
fn prepare_kernels(
    wanted: &[Wanted],
    args: &RunArgs,
    cache: &Cache,
    kernels_dir: &Path,
    progress: &mut VmProgress,
) -> HashMap<String, Result<Prepared, String>> {
    let mut prepared = HashMap::new();
    for kernel in wanted.iter().map(|w| w.kernel) {
        if prepared.contains_key(&kernel.name) {
            continue;
        }
        let mut say = |s: String| progress.line(&s);
        let decided = args.backend.or(kernel.backend);
        let needs_modules = decided == Some(Backend::Vng);
        let p = prepare::prepare(
            cache,
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
        prepared.insert(kernel.name.clone(), p);
    }
    prepared
}

/// KVM or TCG: forced, cached, or probed with the first qemu kernel ready.
fn decide_accel(
    wanted: &[Wanted],
    prepared: &HashMap<String, Result<Prepared, String>>,
    args: &RunArgs,
    cache: &Cache,
    progress: &mut VmProgress,
) -> accel::Verdict {
    let qemu_kernels = || {
        wanted
            .iter()
            .filter(|w| w.kernel.backend != Some(Backend::Uml))
    };
    let probe_image = qemu_kernels().find_map(|w| match &prepared[&w.kernel.name] {
        Ok(p) => Some(p.image.kernel_image()),
        Err(_) => None,
    });
    let verdict = accel::decide(cache, args.accel, probe_image.as_deref(), &mut |s| {
        progress.line(&s)
    });
    if qemu_kernels().next().is_some() {
        progress.line(&format!(
            "accelerator: {} ({})",
            verdict.accel, verdict.reason
        ));
    }
    verdict
}

/// The backend of every kernel (see `backend::choose`), said in the run's
/// header where the accelerator decided it.
fn choose_backends(
    wanted: &[Wanted],
    prepared: HashMap<String, Result<Prepared, String>>,
    args: &RunArgs,
    accel: Accel,
    progress: &mut VmProgress,
) -> Kernels {
    let mut backends = HashMap::new();
    let mut by_accel = Vec::new();
    for kernel in wanted.iter().map(|w| w.kernel) {
        let has_modules = prepared[&kernel.name]
            .as_ref()
            .map_or(true, |p| p.has_modules);
        let b = backend::choose(args.backend, kernel.backend, has_modules, accel);
        if args.backend.is_none() && kernel.backend.is_none() && !by_accel.contains(&kernel.name) {
            by_accel.push(kernel.name.clone());
        }
        backends.insert(kernel.name.clone(), b);
    }
    if accel == Accel::Tcg && !by_accel.is_empty() {
        progress.line(&format!(
            "backend: qemu-initramfs for {} (under TCG it boots in seconds where virtme-ng \
             takes a minute, and runs the same cases; --backend vng to use virtme-ng)",
            by_accel.join(", ")
        ));
    }
    Kernels { prepared, backends }
}

/// Suite binaries for each backend in use (as built for vng and uml,
/// static for qemu-initramfs), and the static guest programs. Snapshots in
/// the binary store, linked under the run's `bin/`, so that a build during
/// the run changes nothing.
fn build_kit(
    root: &Path,
    args: &RunArgs,
    kernels: &Kernels,
    cache: &Cache,
    qemu: PathBuf,
    run_dir: &RunDir,
    progress: &mut VmProgress,
) -> Result<Kit> {
    let mut kit = Kit {
        qemu,
        ..Kit::default()
    };
    if kernels.uses(Backend::Vng) {
        kit.vng = Some(tools::check_tools(cache)?);
    }
    if kernels.uses(Backend::Vng) || kernels.uses(Backend::Uml) {
        let s = selection::resolve(root, &args.suites)?;
        kit.suites = Some(snapshot(&s, cache, &run_dir.suite_bins())?);
    }
    if kernels.uses(Backend::QemuInitramfs) || kernels.uses(Backend::Uml) {
        progress.line("building the static guest init for qemu-initramfs and uml");
        let guest = selection::guest(root, &args.suites)?;
        let dir = run_dir.guest_bins();
        let copy = |name: &str, path: &Path| -> Result<PathBuf> {
            let bin = SuiteBinary {
                suite: name.into(),
                path: path.to_path_buf(),
            };
            Ok(snapshot(std::slice::from_ref(&bin), cache, &dir)?
                .remove(0)
                .path)
        };
        kit.guest = Some(GuestBinaries {
            init: copy("init", &guest.init)?,
            true_bin: copy("true", &guest.true_bin)?,
        });
    }
    if kernels.uses(Backend::QemuInitramfs) {
        progress.line("building the static suite binaries for qemu-initramfs");
        let s = selection::resolve_static(root, &args.suites)?;
        kit.static_suites = Some(snapshot(&s, cache, &run_dir.static_suite_bins())?);
    }
    Ok(kit)
}

/// How many VMs at once, and the size and limit of each.
fn size_vms(args: &RunArgs, accel: Accel) -> (Settings, usize) {
    let jobs = match args.jobs {
        Some(j) => j as usize,
        None => default_jobs(),
    };
    let timeout = Duration::from_secs(args.vm_timeout.unwrap_or(match accel {
        Accel::Tcg => 1800,
        Accel::Kvm => 600,
    }));
    let settings = Settings {
        accel,
        cpus: cpus_per_vm(jobs),
        memory_mib: VM_MEMORY_MIB,
        timeout,
        suite_args: guest_suite_args(&args.suites.suite_args, accel),
    };
    (settings, jobs)
}

/// The suite arguments of the guests: the user's, and under TCG a cap on
/// each race's time limit unless the user gave one.
fn guest_suite_args(user: &[String], accel: Accel) -> Vec<String> {
    let mut a = user.to_vec();
    let flag = llconf_reports::record::flags::RACE_SECONDS;
    let given = user
        .iter()
        .any(|x| x == flag || x.starts_with(&format!("{flag}=")));
    if accel == Accel::Tcg && !given {
        a.extend([flag.to_string(), TCG_RACE_SECONDS.to_string()]);
    }
    a
}

/// Runs the queue with `jobs` workers; every event goes to `on_event` on
/// this thread, in the order it arrives. Stops early only if `on_event`
/// fails (the output folder cannot be written).
fn run_queue(
    queue: VecDeque<VmTarget>,
    jobs: usize,
    mut on_event: impl FnMut(TargetEvent) -> Result<()>,
) -> Result<()> {
    interrupt::install_handler();
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
    for event in rx {
        on_event(event)?;
    }
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

/// The suite binaries for the whole run, from the binary store
/// (`suites::store`): the guests read the host's filesystem live, and a
/// `cargo build` on the host during a run would otherwise swap a binary
/// under a running guest (seen as SIGSEGVs in every test), and two kernels
/// could run different builds.
fn snapshot(suites: &[SuiteBinary], cache: &Cache, dir: &Path) -> Result<Vec<SuiteBinary>> {
    crate::suites::store::keep(suites, &cache.bins_dir(), dir)
}

/// The target's own reports, written as soon as it is done so that a run
/// cut short keeps what finished.
fn finish_target(t: &mut Target, run_dir: &RunDir) -> Result<()> {
    let dir = run_dir.target(&t.info.id);
    std::fs::create_dir_all(dir.root())
        .with_context(|| format!("creating {}", dir.root().display()))?;
    let dmesg = std::fs::read_to_string(dir.dmesg()).ok();
    t.finish(dmesg.as_deref());
    junit_writer::write_report(&dir.junit(), &t.report(None))?;
    target_meta::write(&dir, t).with_context(|| format!("writing {}", dir.meta().display()))?;
    let merged = run_dir.merged_results();
    merged_results::append(&merged, &t.merged_lines())
        .with_context(|| format!("writing {}", merged.display()))?;
    Ok(())
}

/// The merged JUnit, and the summary: on stdout, or on stderr when stdout
/// is KTAP only.
fn write_summary(
    targets: &[Target],
    junit: &Path,
    run_dir: &RunDir,
    wall: Instant,
    ktap: bool,
    strict: bool,
) -> Result<()> {
    let mut summary = String::new();
    print_summary(&mut summary, targets, strict);
    junit_writer::write_report(junit, &target::merged(targets))?;
    summary += &format!(
        "merged JUnit report: {}\nall records: {}\nwall time: {:.1} s\n",
        junit.display(),
        run_dir.merged_results().display(),
        wall.elapsed().as_secs_f64()
    );
    if ktap {
        eprint!("{summary}");
    } else {
        print!("{summary}");
    }
    Ok(())
}

fn print_summary(o: &mut String, targets: &[Target], strict: bool) {
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
        "target", "backend", "result", "abi", "expected", "passed", "failed", "known", "skipped",
        "boot", "total",
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
                c.known_failures.to_string(),
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
    let failed_targets = targets
        .iter()
        .filter(|t| !t.is_success() || (strict && t.counts().known_failures > 0))
        .count();
    let known: Vec<(String, Vec<llconf_reports::record::KnownIssue>)> = targets
        .iter()
        .map(|t| (t.info.id.clone(), t.known_issues()))
        .filter(|(_, k)| !k.is_empty())
        .collect();
    if !known.is_empty() {
        let _ = writeln!(
            o,
            "\nknown kernel bugs and missing fixes{}:",
            if strict {
                " (failures under --strict)"
            } else {
                ""
            }
        );
        let mut all: Vec<&llconf_reports::record::KnownIssue> = Vec::new();
        for (id, issues) in &known {
            let names: Vec<String> = issues.iter().map(|k| k.short()).collect();
            let _ = writeln!(o, "  {id}: {}", names.join(", "));
            all.extend(issues.iter());
        }
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all.dedup_by(|a, b| a.id == b.id);
        for k in all {
            let _ = writeln!(o, "  - {}: {}", k.short(), k.details());
        }
    }
    let _ = writeln!(
        o,
        "\ntotal: {} passed, {} failed, {} known failures, {} skipped; {} of {} failed",
        total.passed,
        total.failed,
        total.known_failures,
        total.skipped,
        failed_targets,
        llconf_reports::text::count(targets.len(), "VM run")
    );
}

/// One core per guest, with KVM or TCG, as many guests as cores and
/// memory allow. Under TCG a second vCPU costs more than it gives: every
/// RCU grace period (a tracefs instance made and removed, an audit
/// session) then waits on an emulated CPU. On one vCPU a suite runs its
/// tests one at a time, each forked rather than exec'd, which is the
/// cheapest start of a test there; two guests use both cores. Measured on
/// Debian 7.3 under TCG: 177 s on one vCPU, 197 s on two.
fn default_jobs() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let by_memory = mem_available_mib().map_or(usize::MAX, |m| (m / VM_MEMORY_MIB) as usize);
    cores.min(by_memory).max(1)
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
