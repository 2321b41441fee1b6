//! `llconf coverage`: which lines of security/landlock the suites execute,
//! measured in a gcov build of a User-Mode Linux kernel, and with `--peer
//! ksft` side by side with the kernel's own Landlock selftests on the same
//! build, counters reset in between.
//!
//! `--out DIR` holds `llconf/` (and `ksft/`): the run's target directory;
//! `coverage/<run>.info`: the lcov tracefiles; `coverage/html/<run>/`: the
//! annotated source; `coverage.json` and `coverage.md`; `junit.xml`: the
//! suites' verdicts, and the selftests' as `ksft.<binary>` suites.
//! `--diff OLD NEW` compares two such folders.

use crate::boot::kit::Kit;
use crate::boot::VmEnd;
use crate::cache_dir::Cache;
use crate::cli::{CoverageArgs, Peer};
use crate::coverage::counters::{self, DIRECTORY};
use crate::coverage::ksft;
use crate::host::accel::Accel;
use crate::kernel::backend::Backend;
use crate::kernel::catalogue::{Catalogue, Kernel, Variant};
use crate::kernel::image::Prepared;
use crate::kernel::prepare;
use crate::kernel::uml_build::CoverageTree;
use crate::report::junit_writer;
use crate::report::target::{Target, TargetInfo};
use crate::run::interrupt;
use crate::run::vm::{self, Settings, VmTarget};
use crate::suites::binary::{GuestBinaries, SuiteBinary};
use crate::suites::list::list_tests;
use crate::suites::selection;
use crate::ui::vm_progress::VmProgress;
use anyhow::{bail, Context, Result};
use llconf_reports::coverage::{self, Column, CoverageReport, Tracefile};
use llconf_reports::layout::RunDir;
use llconf_reports::quick_junit::Report;
use llconf_reports::record::Outcome;
use llconf_reports::results::SuiteResults;
use llconf_reports::test_lines::{self, TestLines};
use llconf_reports::{junit, ksft_tap};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// How many functions reached by one run only are printed.
const SHOWN: usize = 15;

/// The selftests' whole run: their verdicts, their counters, and the
/// programs built.
struct KsftRun {
    suites: Vec<SuiteResults>,
    trace: Tracefile,
    programs: Vec<SuiteBinary>,
}

/// What every measured run shares.
struct Bench<'a> {
    kernel: &'a Kernel,
    variant: &'a Variant,
    image: Prepared,
    tree: CoverageTree,
    guest: GuestBinaries,
    settings: Settings,
    run_dir: RunDir,
    coverage_dir: PathBuf,
}

pub fn coverage(root: &Path, kernels_dir: &Path, args: CoverageArgs) -> Result<ExitCode> {
    if let [old, new] = args.diff.as_slice() {
        return diff(old, new, &args.column);
    }
    counters::check_tools()?;
    let catalogue = Catalogue::load(kernels_dir)?;
    let kernel = catalogue.select(std::slice::from_ref(&args.kernel))?[0];
    let (_, variant) = kernel
        .select_variants(&["default".into()])?
        .into_iter()
        .next()
        .expect("one variant");
    // Bad input before the long build.
    let suites = selection::resolve(root, &args.suites)?;
    let guest = selection::guest(root, &args.suites)?;
    let out = std::path::absolute(&args.out)
        .with_context(|| format!("output directory {}", args.out.display()))?;
    let coverage_dir = out.join("coverage");
    std::fs::create_dir_all(&coverage_dir)
        .with_context(|| format!("creating {}", coverage_dir.display()))?;
    // The per-test loop runs for many minutes: a rebuild meanwhile must
    // not change its tests.
    let suites = crate::suites::binary::snapshot(&suites, &out.join("suites"))?;
    let guest = crate::suites::binary::snapshot_guest(&guest, &out.join("guest"))?;

    let cache = Cache::from_env();
    let mut say = |s: String| eprintln!("{s}");
    let built = prepare::coverage_build(&cache, kernel, kernels_dir, &mut say)?;
    // Ctrl-C kills the UML kernel (its own process group) and ends here,
    // rather than leaving it running.
    interrupt::install_handler();
    let tree = built
        .coverage
        .clone()
        .context("the coverage build kept no objects")?;
    // The counters are the build's: two runs at once would mix them.
    let _lock = crate::host::lock::exclusive(&tree.objects, "llconf coverage run")?;
    let bench = Bench {
        kernel,
        variant: &variant,
        image: prepare::from_uml(built.clone()),
        tree,
        guest,
        settings: Settings {
            // UML runs natively; no accelerator is involved.
            accel: Accel::Tcg,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            memory_mib: 2048,
            timeout: Duration::from_secs(args.vm_timeout.unwrap_or(1800)),
            suite_args: args.suites.suite_args.clone(),
        },
        run_dir: RunDir::new(&out),
        coverage_dir,
    };

    let mut planned = BTreeMap::new();
    for s in &suites {
        planned.insert(s.suite.clone(), list_tests(s, &args.suites.suite_args)?);
    }
    let (llconf, llconf_trace) = bench.measure("llconf", suites.clone(), planned)?;
    let mut report = Report::new("llconf-coverage");
    report.add_test_suites(llconf.report(None).test_suites);
    let mut columns = vec![("llconf".to_string(), llconf_trace)];
    let mut ksft_suites = Vec::new();
    // The suites' figures are kept even when the peer cannot be measured.
    let peer = match args.peer {
        Some(Peer::Ksft) => bench.measure_ksft(),
        None => Ok(None),
    };
    if args.per_test {
        let fresh = bench.measure_each_test(&built, &llconf, &suites)?;
        // The tests of other suites, measured earlier on the same build,
        // are kept: one suite can be measured again alone.
        let kept = bench.tree.objects.join(test_lines::FILE_NAME);
        let map = match std::fs::read_to_string(&kept)
            .ok()
            .and_then(|t| serde_json::from_str::<TestLines>(&t).ok())
        {
            Some(old) if old.release == fresh.release => old.merged_with(fresh),
            _ => fresh,
        };
        let text = serde_json::to_string(&map)? + "\n";
        for to in [
            bench.run_dir.root().join(test_lines::FILE_NAME),
            bench.tree.objects.join(test_lines::FILE_NAME),
        ] {
            std::fs::write(&to, &text).with_context(|| format!("writing {}", to.display()))?;
        }
        eprintln!(
            "per-test coverage of {} tests: {}",
            map.tests.len(),
            bench.run_dir.root().join(test_lines::FILE_NAME).display()
        );
    }
    let mut per_program: Option<Result<()>> = None;
    if let Ok(Some(KsftRun {
        suites,
        trace,
        programs,
    })) = &peer
    {
        // Kept beside the build, where `llconf mutants` finds it: the
        // selftests run only on mutants in lines they execute.
        let from = bench.coverage_dir.join("ksft.info");
        let to = bench.tree.objects.join(test_lines::PEER_LINES_FILE);
        std::fs::copy(&from, &to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
        if args.per_test {
            // Kept apart: a failure here leaves the reports to be written.
            per_program = Some(
                bench
                    .measure_each_program(&built, programs)
                    .and_then(|map| {
                        let text = serde_json::to_string(&map)? + "\n";
                        for to in [
                            bench.run_dir.root().join(test_lines::PEER_PROGRAMS_FILE),
                            bench.tree.objects.join(test_lines::PEER_PROGRAMS_FILE),
                        ] {
                            std::fs::write(&to, &text)
                                .with_context(|| format!("writing {}", to.display()))?;
                        }
                        eprintln!(
                            "the selftests' coverage per program, {} programs: {}",
                            map.tests.len(),
                            bench
                                .run_dir
                                .root()
                                .join(test_lines::PEER_PROGRAMS_FILE)
                                .display()
                        );
                        Ok(())
                    }),
            );
        }
        ksft_suites = suites.clone();
        report.add_test_suites(junit::report(&ksft_suites, None).test_suites);
        columns.push(("ksft".into(), trace.clone()));
    }
    junit_writer::write_report(&bench.run_dir.junit(), &report)?;

    let cov = bench.write_reports(&built, &columns)?;
    let shown: Vec<(&str, &coverage::Summary)> = cov
        .columns
        .iter()
        .map(|c| (c.name.as_str(), &c.summary))
        .collect();
    println!(
        "\ncoverage of {DIRECTORY} on {} ({}):\n",
        kernel.name, built.release
    );
    print!("{}", coverage::text(&shown));
    for (name, reached) in &cov.only {
        println!("\nfunctions with lines only {name} reaches (top {SHOWN} by lines):");
        let mut by_size: Vec<_> = reached.iter().collect();
        by_size.sort_by_key(|r| std::cmp::Reverse(r.lines.len()));
        for r in by_size.iter().take(SHOWN) {
            println!("  {}:{} ({} lines)", r.file, r.function, r.lines.len());
        }
    }
    if !ksft_suites.is_empty() {
        let mut c = llconf_reports::results::Counts::default();
        for s in &ksft_suites {
            c.add(s.counts());
        }
        let crashed = ksft_suites.iter().filter(|s| s.crash.is_some()).count();
        println!(
            "\nthe kernel's selftests: {} passed, {} failed, {} skipped; {crashed} of {} \
             programs did not finish their plan (verdicts in the JUnit, not in llconf's)",
            c.passed,
            c.failed,
            c.skipped,
            ksft_suites.len()
        );
    }
    println!(
        "\n{}\n{}\n{}",
        bench.run_dir.root().join("coverage.json").display(),
        bench.run_dir.root().join("coverage.md").display(),
        bench.coverage_dir.join("html").display()
    );
    peer.context("the kernel's selftests could not be measured; llconf's figures are written")?;
    if let Some(r) = per_program {
        r.context("the selftests' programs could not be measured one by one")?;
    }
    Ok(if llconf.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

impl Bench<'_> {
    /// A map of no test yet, of this build.
    fn empty_map(&self, built: &crate::kernel::uml_build::Built) -> TestLines {
        TestLines {
            kernel: self.kernel.name.clone(),
            release: built.release.clone(),
            packages: built.packages.clone(),
            directory: DIRECTORY.into(),
            ..TestLines::default()
        }
    }

    /// Every test that passed in the whole run, alone in a boot of its
    /// own, counters reset before: the lines each one executed.
    fn measure_each_test(
        &self,
        built: &crate::kernel::uml_build::Built,
        whole: &Target,
        suites: &[SuiteBinary],
    ) -> Result<TestLines> {
        let mut map = self.empty_map(built);
        let passed: Vec<(String, String)> = whole
            .suites()
            .iter()
            .flat_map(|s| {
                s.tests
                    .iter()
                    .filter(|t| t.outcome == Outcome::Passed)
                    .map(|t| (s.suite.clone(), t.name.clone()))
            })
            .collect();
        let list_dir = self.coverage_dir.join("per-test");
        std::fs::create_dir_all(&list_dir)?;
        let list = list_dir.join("test.txt");
        let start = std::time::Instant::now();
        for (i, (suite, test)) in passed.iter().enumerate() {
            if interrupt::interrupted() {
                bail!("interrupted: {i} of {} tests measured alone", passed.len());
            }
            let Some(binary) = suites.iter().find(|b| &b.suite == suite) else {
                continue;
            };
            std::fs::write(&list, format!("{test}\n"))?;
            counters::reset(&self.tree)?;
            let mut settings = self.settings.clone();
            settings.suite_args.extend([
                "--tests-from".to_string(),
                format!("{}{}", llconf_guest_init::HOST_VIEW, list.display()),
            ]);
            let kit = Kit {
                guest: Some(self.guest.clone()),
                suites: Some(vec![binary.clone()]),
                ..Kit::default()
            };
            let t = VmTarget::new(
                0,
                self.run_dir.target("per-test"),
                Backend::Uml,
                &self.image,
                self.variant,
                &kit,
                &settings,
            );
            let mut end = None;
            vm::run_to_end(t, |event| {
                if let crate::run::events::VmEvent::VmEnded { cause, .. } = event {
                    end = Some(cause);
                }
            });
            if end != Some(VmEnd::Completed) {
                bail!(
                    "measuring {test} alone: {}",
                    end.map_or("the run never started".into(), |e| e.describe())
                );
            }
            let info = list_dir.join("test.info");
            counters::capture(&self.tree, &info)?;
            let text = std::fs::read_to_string(&info)?;
            let trace = Tracefile::parse(&text, DIRECTORY)
                .with_context(|| format!("reading {}", info.display()))?;
            map.add(test, &trace);
            let done = i + 1;
            if done % 25 == 0 || done == passed.len() {
                let per = start.elapsed().as_secs_f64() / done as f64;
                eprintln!(
                    "per-test coverage: {done}/{} tests, {per:.1} s each, about {:.0} s left",
                    passed.len(),
                    per * (passed.len() - done) as f64
                );
            }
        }
        Ok(map)
    }

    /// The kernel's selftests, built from the same source and run on the
    /// same build: their verdicts, read from their TAP, and their counters.
    fn measure_ksft(&self) -> Result<Option<KsftRun>> {
        let log = self.coverage_dir.join("ksft-build.log");
        eprintln!(
            "building the kernel's Landlock selftests from {} (log: {})",
            self.tree.source.display(),
            log.display()
        );
        let programs = ksft::build(&self.tree, &log)?;
        let names: Vec<String> = programs.iter().map(|p| p.suite.clone()).collect();
        let (_, trace) = self.measure("ksft", programs.clone(), BTreeMap::new())?;
        let dir = self.run_dir.target("ksft");
        let suites = names
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(dir.log(name)).unwrap_or_default();
                ksft_tap::parse(name, &text)
            })
            .collect();
        Ok(Some(KsftRun {
            suites,
            trace,
            programs,
        }))
    }

    /// Each of the selftests' programs alone, counters reset before: the
    /// lines each one executed, keyed by program (`fs_test`), so that
    /// `llconf mutants` runs on a mutant only the programs that reach it.
    fn measure_each_program(
        &self,
        built: &crate::kernel::uml_build::Built,
        programs: &[SuiteBinary],
    ) -> Result<TestLines> {
        let mut map = self.empty_map(built);
        for program in programs {
            let name = format!("ksft-{}", program.suite);
            let (_, trace) = self.measure(&name, vec![program.clone()], BTreeMap::new())?;
            map.add(&program.suite, &trace);
        }
        Ok(map)
    }

    /// One run of `suites` in the coverage build, counters reset first;
    /// its verdicts and what it executed.
    fn measure(
        &self,
        name: &str,
        suites: Vec<SuiteBinary>,
        planned: BTreeMap<String, Vec<String>>,
    ) -> Result<(Target, Tracefile)> {
        counters::reset(&self.tree)?;
        let kit = Kit {
            guest: Some(self.guest.clone()),
            suites: Some(suites),
            ..Kit::default()
        };
        let dir = self.run_dir.target(name);
        let t = VmTarget::new(
            0,
            dir.clone(),
            Backend::Uml,
            &self.image,
            self.variant,
            &kit,
            &self.settings,
        );
        let total = planned.values().map(Vec::len).sum();
        let mut target = Target::new(TargetInfo {
            id: name.to_string(),
            kernel: self.kernel.name.clone(),
            variant: "default".into(),
            expected_abi: self.kernel.expected_abi,
            landlock: self.variant.landlock,
            append: self.variant.append.clone(),
            packages: self.image.packages.clone(),
            accel: None,
            backend: Backend::Uml.as_str(),
            planned,
        });
        let mut progress = VmProgress::new(std::io::stderr().is_terminal());
        progress.add(0, name, total);
        vm::run_to_end(t, |event| {
            progress.on_event(0, name, &event);
            target.on_event(&event);
        });
        progress.clear();
        if interrupt::interrupted() {
            bail!("interrupted: the {name} run was stopped and its kernel killed");
        }
        std::fs::create_dir_all(dir.root())?;
        let dmesg = std::fs::read_to_string(dir.dmesg()).ok();
        target.finish(dmesg.as_deref());
        junit_writer::write_report(&dir.junit(), &target.report(None))?;
        match &target.end {
            Some(VmEnd::Completed) => {}
            Some(end) => bail!(
                "the {name} run: {}; the counters are written only when the kernel powers \
                 off cleanly",
                end.describe()
            ),
            None => bail!("the {name} run never started"),
        }
        let info = self.coverage_dir.join(format!("{name}.info"));
        counters::capture(&self.tree, &info)?;
        let text = std::fs::read_to_string(&info)
            .with_context(|| format!("reading {}", info.display()))?;
        let trace = Tracefile::parse(&text, DIRECTORY)
            .with_context(|| format!("reading {}", info.display()))?;
        Ok((target, trace))
    }

    /// coverage.json, coverage.md and the HTML of each run.
    fn write_reports(
        &self,
        built: &crate::kernel::uml_build::Built,
        columns: &[(String, Tracefile)],
    ) -> Result<CoverageReport> {
        let mut cov = CoverageReport {
            kernel: self.kernel.name.clone(),
            release: built.release.clone(),
            packages: built.packages.clone(),
            directory: DIRECTORY.into(),
            ..Default::default()
        };
        for (name, trace) in columns {
            cov.columns.push(Column {
                name: name.clone(),
                summary: trace.summary(),
            });
        }
        if let [(a, ta), (b, tb)] = columns {
            cov.columns.push(Column {
                name: "union".into(),
                summary: ta.union(tb).summary(),
            });
            cov.only.insert(a.clone(), ta.only_here(tb));
            cov.only.insert(b.clone(), tb.only_here(ta));
        }
        let root = self.run_dir.root();
        let json = serde_json::to_string_pretty(&cov)?;
        std::fs::write(root.join("coverage.json"), json + "\n")?;
        let shown: Vec<(&str, &coverage::Summary)> = cov
            .columns
            .iter()
            .map(|c| (c.name.as_str(), &c.summary))
            .collect();
        let md = format!(
            "## Coverage of `{DIRECTORY}` on {} ({})\n\n{}",
            cov.kernel,
            cov.release,
            coverage::markdown(&shown)
        );
        std::fs::write(root.join("coverage.md"), md)?;
        for (name, _) in columns {
            let info = self.coverage_dir.join(format!("{name}.info"));
            let title = format!("{name} on {}", self.kernel.name);
            counters::html(&info, &title, &self.coverage_dir.join("html").join(name))?;
        }
        Ok(cov)
    }
}

/// Two coverage runs, file by file, for one of their columns.
fn diff(old: &Path, new: &Path, column: &str) -> Result<ExitCode> {
    let read = |p: &Path| -> Result<CoverageReport> {
        let file = if p.is_dir() {
            p.join("coverage.json")
        } else {
            p.to_path_buf()
        };
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        serde_json::from_str(&text).with_context(|| format!("reading {}", file.display()))
    };
    let (a, b) = (read(old)?, read(new)?);
    let pick = |r: &CoverageReport, p: &Path| -> Result<coverage::Summary> {
        r.column(column).cloned().with_context(|| {
            format!(
                "{} has no `{column}` column (it has: {})",
                p.display(),
                r.columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    };
    print!("{}", coverage::diff(&pick(&a, old)?, &pick(&b, new)?));
    Ok(ExitCode::SUCCESS)
}
