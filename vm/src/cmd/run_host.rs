//! `llconf run`: runs the suites, shows progress, writes the reports.

use crate::cli::{RunArgs, RunFormat};
use crate::report::junit_writer;
use crate::run::collector::Collector;
use crate::run::events::Consumer;
use crate::run::host::{self, HostRun};
use crate::suites::selection;
use crate::ui::ktap_stream::KtapStream;
use crate::ui::progress::Progress;
use anyhow::{bail, Context, Result};
use llconf_reports::layout::TargetDir;
use llconf_reports::results::SuiteResults;
use llconf_reports::summary;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The default limit of a whole host run, as for a VM run under TCG.
const DEFAULT_TIMEOUT_SECS: u64 = 1800;

pub fn run(root: &Path, args: RunArgs) -> Result<ExitCode> {
    // A bad --junit is found before anything is built or run.
    if let Some(junit) = &args.junit {
        junit_writer::check_destination(junit)?;
    }
    let suites = selection::resolve(root, &args.suites)?;
    // What the run plans: the overall progress, and a filter that selects
    // nothing refused before anything runs.
    let lists: Vec<Result<Vec<String>>> = suites
        .iter()
        .map(|s| crate::suites::list::list_tests(s, &args.suites.suite_args))
        .collect();
    if !args.suites.suite_args.is_empty() {
        let lists = lists
            .iter()
            .map(|l| l.as_ref().map_err(|e| anyhow::anyhow!("{e:#}")))
            .collect::<Result<Vec<_>>>()?;
        crate::suites::list::require_some(lists, &args.suites.suite_args)?;
    }
    // A suite that cannot list is reported when it runs; the overall count
    // then stays unknown.
    let planned: Option<usize> = lists.iter().map(|l| l.as_ref().ok().map(Vec::len)).sum();
    let wall = Instant::now();

    let out = std::path::absolute(&args.out)
        .with_context(|| format!("output directory {}", args.out.display()))?;
    crate::host::disk::check_room(&out)?;
    let _out_lock = crate::report::out_dir::claim(&out)?;
    // One host run on a machine at a time: they would share the kernel's
    // audit socket, and one would skip every audit test.
    let _host_lock = crate::host::lock::wait_exclusive(
        &crate::cache_dir::Cache::from_env().host_run_dir(),
        "llconf run --host on this machine",
    )?;
    crate::run::interrupt::install_handler();
    let limit = Duration::from_secs(args.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS));
    let plan = HostRun {
        deadline: Instant::now() + limit,
        limit,
        suites,
        suite_args: args.suites.suite_args.clone(),
        out: TargetDir::new(out.clone()),
    };
    plan.create_dirs()
        .with_context(|| format!("creating the folders of {}", plan.out.root().display()))?;
    let junit = args.junit.clone().unwrap_or_else(|| plan.out.junit());
    junit_writer::check_destination(&junit)?;

    let ktap = args.format == RunFormat::Ktap;
    let mut ktap_out = ktap.then(|| KtapStream::new(std::io::stdout(), plan.suites.len()));
    let (tx, rx) = mpsc::channel();
    let producer = std::thread::spawn(move || host::run(plan, tx));

    let stderr = std::io::stderr();
    let live = stderr.is_terminal();
    let mut progress = Progress::new(stderr, live);
    if let Some(total) = planned {
        progress = progress.with_total(total);
    }
    let mut collector = Collector::default();
    for event in rx {
        progress.on_event(&event);
        collector.on_event(&event);
        if let Some(k) = ktap_out.as_mut() {
            k.on_event(&event);
        }
    }
    if producer.join().is_err() {
        bail!("the suite runner thread panicked");
    }

    if let Some(k) = ktap_out {
        k.finish();
    }
    let results = collector.into_results();
    // With KTAP, stdout is KTAP only.
    let summary = format!("\n{}", summary::render(&results));
    // Which machine: several hosts' reports side by side stay apart.
    let mut report = llconf_reports::junit::report(&results, None);
    let host = nix::sys::utsname::uname()
        .map(|u| u.nodename().to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".into());
    for suite in &mut report.test_suites {
        suite.add_property(llconf_reports::quick_junit::Property::new(
            "host.name",
            host.as_str(),
        ));
        suite.add_property(llconf_reports::quick_junit::Property::new(
            "target.id",
            "host",
        ));
    }
    junit_writer::write_report(&junit, &report)?;
    let junit_line = format!("JUnit report: {}", junit.display());
    if ktap {
        eprint!("{summary}");
        eprintln!("{junit_line}");
    } else {
        print!("{summary}");
        println!("{junit_line}");
    }

    let known = summary::totals(&results).known_failures;
    if args.strict && known > 0 {
        eprintln!("llconf: --strict: {known} known failures fail the run");
    }
    crate::host::disk::warn_if_full(&out);
    let kernel_problems = kernel_problems(&results, &args);
    for p in &kernel_problems {
        eprintln!("\nllconf: !!! {p} !!!");
    }
    if crate::run::interrupt::interrupted() {
        eprintln!(
            "llconf: interrupted; the suite under way was killed, the reports keep what finished"
        );
        return Ok(ExitCode::from(130));
    }
    let all_good = results.iter().all(|s| s.is_success())
        && !(args.strict && known > 0)
        && kernel_problems.is_empty();
    // The last line, as nextest ends: the verdict, the wall time, the counts.
    let t = summary::totals(&results);
    let last = format!(
        "{} [{:>6.1}s] {} run: {} passed, {} failed, {} known failures, {} skipped",
        if all_good { "PASS" } else { "FAIL" },
        wall.elapsed().as_secs_f64(),
        llconf_reports::text::count(t.total(), "test"),
        t.passed,
        t.failed,
        t.known_failures,
        t.skipped
    );
    if ktap {
        eprintln!("{last}");
    } else {
        println!("{last}");
    }
    Ok(if all_good {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What the running kernel must offer and does not: Landlock itself (a
/// run where it is off passes nothing and must not end green unless asked
/// for), and the ABI the user expects.
fn kernel_problems(results: &[SuiteResults], args: &RunArgs) -> Vec<String> {
    use crate::cli::ExpectLandlock;
    use llconf_reports::record::LandlockStatus;
    let Some(k) = results.iter().find_map(|s| s.kernel.as_ref()) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    match (k.landlock, args.expect_landlock) {
        (LandlockStatus::Enabled, ExpectLandlock::Off) => problems.push(format!(
            "Landlock is enabled on kernel {} (ABI {}), but --expect-landlock off says \
             it must not be",
            k.release,
            k.abi.map_or("?".into(), |a| a.to_string())
        )),
        (LandlockStatus::Enabled, ExpectLandlock::On) | (_, ExpectLandlock::Off) => {}
        (status, ExpectLandlock::On) => problems.push(format!(
            "LANDLOCK IS {} ON KERNEL {}: nothing was enforced, so no enforcement test \
             passed; this fails the run (say --expect-landlock off if it is meant)",
            status.to_string().to_uppercase(),
            k.release
        )),
    }
    if let Some(want) = args.expect_abi {
        if k.abi != Some(want) {
            problems.push(format!(
                "ABI regression: kernel {} answers Landlock ABI {}, but --expect-abi {want}",
                k.release,
                k.abi.map_or("none".into(), |a| a.to_string())
            ));
        }
    }
    problems
}
