//! `llconf mutants`: plausible one-line bugs planted in security/landlock,
//! each built into a User-Mode Linux kernel of llconf's own and run, to see
//! which ones the suites notice. `--list` prints the mutants and builds
//! nothing.
//!
//! The kernel's source is read from the tree of a `build` definition or
//! from the source a coverage build kept; mutants are planted in a private
//! copy (see `mutants::workspace`), never in that tree. Two baseline runs
//! of the unmutated kernel come first; then each mutant is built, run and
//! judged (`mutants::judge`): with per-test coverage, on the tests that
//! executed the mutated lines only (`mutants::select`), stopped at the
//! first that notices. `--out` gets `mutants.json`, `missed.txt` (the diff
//! of every mutant nothing noticed) and `mutants.html`, all rewritten after
//! every mutant so that Ctrl-C keeps what was judged and `--resume` goes
//! on from there (`llconf_reports::mutants`).

use crate::boot::kit::Kit;
use crate::boot::VmEnd;
use crate::cache_dir::Cache;
use crate::cli::{MutantsArgs, Peer};
use crate::coverage::ksft;
use crate::host::accel::Accel;
use crate::host::lock;
use crate::kernel::backend::Backend;
use crate::kernel::catalogue::{Catalogue, Kernel, Variant};
use crate::kernel::image::{BootImage, Prepared};
use crate::kernel::uml_build::CoverageTree;
use crate::mutants::judge::{self, Baseline, Verdict};
use crate::mutants::kept_baseline::{self, Fingerprint};
use crate::mutants::points::{self, Mutant, Operator};
use crate::mutants::select::{self, Shard, Tests};
use crate::mutants::workspace::Workspace;
use crate::report::target::{Target, TargetInfo};
use crate::run::console_scan;
use crate::run::events::{Event, VmEvent};
use crate::run::interrupt;
use crate::run::vm::{self, Settings, VmTarget};
use crate::suites::list::list_tests;
use crate::suites::selection;
use anyhow::{bail, Context, Result};
use llconf_reports::ksft_tap;
use llconf_reports::layout::RunDir;
use llconf_reports::mutants::{self as record, BaselineFacts, Judged, MutantsFile, PeerJudged};
use llconf_reports::record::{Outcome, Record};
use llconf_reports::results::SuiteResults;
use llconf_reports::test_lines::TestLines;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::mutants::source::{self, FOLDER};
use crate::ui::mutants_bar::Bar;

pub fn mutants(root: &Path, kernels_dir: &Path, args: MutantsArgs) -> Result<ExitCode> {
    let catalogue = Catalogue::load(kernels_dir)?;
    let kernel = catalogue.select(std::slice::from_ref(&args.kernel))?[0];
    let cache = Cache::from_env();
    let tree = source::tree(&cache, kernel)?;
    if let Some(s) = &args.shard {
        s.parse::<Shard>().map_err(anyhow::Error::msg)?;
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for glob in &args.files {
        for file in source::matching(&tree, glob)? {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    let mut all = Vec::new();
    let mut sources = BTreeMap::new();
    for file in &files {
        let rel = file
            .strip_prefix(&tree)
            .unwrap_or(file)
            .display()
            .to_string();
        let source =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        all.extend(points::find(&rel, &source));
        sources.insert(rel, source);
    }
    if !args.mutants.is_empty() {
        let unknown: Vec<&String> = args
            .mutants
            .iter()
            .filter(|id| !all.iter().any(|m| &m.id() == *id))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "no such mutant in {}: {} (`--list` gives the ids)",
                args.files.join(", "),
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        all.retain(|m| args.mutants.contains(&m.id()));
    }
    if args.list {
        return list(&tree, &files, &all, &sources);
    }
    let picked = match args.sample {
        Some(n) => select::sample(all, n as usize, args.seed),
        None => all,
    };
    let picked = match &args.shard {
        Some(s) => select::shard(picked, s.parse::<Shard>().map_err(anyhow::Error::msg)?),
        None => picked,
    };
    judge_all(
        root,
        kernels_dir,
        kernel,
        &cache,
        &tree,
        &picked,
        &sources,
        &args,
    )
}

fn list(
    tree: &Path,
    files: &[PathBuf],
    all: &[Mutant],
    sources: &BTreeMap<String, String>,
) -> Result<ExitCode> {
    let mut by_operator: BTreeMap<Operator, usize> = BTreeMap::new();
    let mut out = std::io::stdout().lock();
    for m in all {
        if let Err(e) = writeln!(out, "{}\n{}", m.id(), m.diff(&sources[&m.file])) {
            // `| head`: the reader has what it wanted.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(e.into());
        }
        *by_operator.entry(m.operator).or_default() += 1;
    }
    let counts: Vec<String> = by_operator
        .iter()
        .map(|(op, n)| format!("{n} {op}"))
        .collect();
    let _ = writeln!(
        out,
        "{} mutants in {} files of {}: {}",
        all.len(),
        files.len(),
        tree.display(),
        counts.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// The selection with the tests the coverage map has not measured added:
/// a map older than a test must not keep it from judging.
fn with_unmapped(selected: Tests, unmapped: &BTreeSet<String>) -> Tests {
    match selected {
        Tests::These(mut t) => {
            t.extend(unmapped.iter().cloned());
            Tests::These(t)
        }
        Tests::Nobody if !unmapped.is_empty() => Tests::These(unmapped.clone()),
        other => other,
    }
}

/// What every run of the loop shares.
struct Loop<'a> {
    kernel: &'a Kernel,
    variant: Variant,
    kit: Kit,
    settings: Settings,
    planned: BTreeMap<String, Vec<String>>,
    image: Prepared,
    run_dir: RunDir,
    /// `--peer ksft`: the selftests' wrappers, and their program names.
    peer: Option<(Kit, Vec<String>)>,
    /// Per-test coverage, to run only the tests that executed a mutant.
    test_lines: Option<TestLines>,
    /// Tests the coverage map has not measured (newer than it): they run
    /// on every mutant, since nothing says which lines they reach.
    unmapped: BTreeSet<String>,
    /// Stop a mutant's run at its first kill.
    first_kill: bool,
    /// Run the peer only on what llconf missed.
    peer_on_missed: bool,
    /// The peer's line coverage, per program (`fs_test`) or as a map of
    /// one test: it runs only on mutants in lines it executes, and only
    /// the programs that execute them.
    peer_lines: Option<TestLines>,
    /// Where the lists of selected tests are written for the guest.
    lists: PathBuf,
    /// `--out` and the fingerprint of what the baselines depend on: they
    /// are kept there, and found again by `--resume`.
    kept: Option<(PathBuf, String)>,
    resume: bool,
}

/// Which suites a run is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suites {
    Llconf,
    Ksft,
}

/// One run: its suites, the failed run-level checks, whether it timed out,
/// how long it took, and, when it was stopped at its first kill, the tests
/// that had noticed by then.
struct Ran {
    suites: Vec<SuiteResults>,
    problems: Vec<String>,
    timed_out: bool,
    seconds: f64,
    stopped: Option<Vec<String>>,
}

impl Ran {
    /// The verdict against `baseline`, among `among` if not all tests ran.
    fn judge(
        &self,
        baseline: &Baseline,
        among: Option<&BTreeSet<String>>,
    ) -> (Verdict, Vec<String>) {
        match &self.stopped {
            // The rest of the run was cut short on purpose: only what was
            // seen before counts.
            Some(killers) => (Verdict::Caught, killers.clone()),
            None => judge::judge(
                baseline,
                &self.suites,
                &self.problems,
                self.timed_out,
                among,
            ),
        }
    }
}

/// A verdict after its catch was confirmed (see `Loop::run_confirmed`).
struct Confirmed {
    outcome: Verdict,
    killers: Vec<String>,
    flaky: Vec<String>,
    seconds: f64,
}

/// The baselines a mutant is judged against, and the limit of its runs.
struct Judging {
    llconf: (Baseline, Duration),
    ksft: Option<(Baseline, Duration)>,
}

impl Loop<'_> {
    /// Two runs of the unmutated kernel: which tests judge, and the limit
    /// of a mutant's run.
    fn baseline(&self, which: Suites) -> Result<(Baseline, BaselineFacts, Duration)> {
        let mut runs = Vec::new();
        let mut seconds = 0.0;
        let name = match which {
            Suites::Llconf => "baseline",
            Suites::Ksft => "ksft-baseline",
        };
        if let (Some((out, fingerprint)), true) = (&self.kept, self.resume) {
            if let Some(k) = kept_baseline::load(out, fingerprint, name) {
                eprintln!(
                    "{name}: kept in {} (the same source, configuration, suites and \
                     arguments): {} tests judge",
                    out.join(kept_baseline::FILE_NAME).display(),
                    k.facts.passed
                );
                let limit = Duration::from_secs_f64(k.facts.limit_seconds);
                return Ok((k.baseline, k.facts, limit));
            }
        }
        for i in 1..=2 {
            let ran = self.run(
                &format!("{name}-{i}"),
                self.settings.timeout,
                which,
                None,
                None,
            );
            let (suites, problems, s) = (ran.suites, ran.problems, ran.seconds);
            if !problems.is_empty() {
                bail!(
                    "baseline run {i} of the unmutated kernel failed, so nothing can be judged: {}",
                    problems.join("; ")
                );
            }
            eprintln!("{name} run {i}: {s:.1} s");
            if i == 1 {
                for (suite, n, why) in judge::idle_suites(&suites) {
                    eprintln!(
                        "WARNING: suite {suite} passes none of its {n} tests on this kernel ({}): \
                         it judges no mutant here, and a mutant only it could notice is missed",
                        why.as_deref().unwrap_or("no skip reason")
                    );
                }
            }
            seconds += s / 2.0;
            runs.push(suites);
        }
        let baseline = Baseline::of(&runs);
        let limit = Duration::from_secs_f64((3.0 * seconds).max(60.0));
        let facts = BaselineFacts {
            passed: baseline.passed(),
            flaky: baseline.flaky.iter().cloned().collect(),
            seconds,
            limit_seconds: limit.as_secs_f64(),
        };
        if let Some((out, fingerprint)) = &self.kept {
            let kept = kept_baseline::Kept { baseline, facts };
            kept_baseline::save(out, fingerprint, name, &kept)?;
            return Ok((kept.baseline, kept.facts, limit));
        }
        Ok((baseline, facts, limit))
    }

    /// Plants one mutant, builds, runs and judges it, and undoes it.
    #[allow(clippy::too_many_arguments)]
    fn judge_one(
        &self,
        ws: &Workspace,
        kernels_dir: &Path,
        build_log: &Path,
        m: &Mutant,
        source: &str,
        index: usize,
        objects: &BTreeMap<String, u64>,
        judging: &Judging,
    ) -> Result<Judged> {
        if !ws.object(&m.file).is_file() {
            // The file is not part of this configuration (trace.c without
            // tracepoints): nothing to build.
            return Ok(Judged {
                id: m.id(),
                file: m.file.clone(),
                line: m.line,
                operator: m.operator,
                diff: m.diff(source),
                outcome: Verdict::NotCompiled,
                killers: Vec::new(),
                why: Some(format!(
                    "{} builds no {}",
                    ws.build.display(),
                    ws.object(&m.file).display()
                )),
                tests_run: 0,
                build_seconds: 0.0,
                run_seconds: 0.0,
                flaky: Vec::new(),
                ksft: None,
            });
        }
        ws.plant(m, source)?;
        let build_start = Instant::now();
        let built = ws.make(kernels_dir, build_log);
        let build_seconds = build_start.elapsed().as_secs_f64();
        let (baseline, limit) = &judging.llconf;
        let mut tests_run = 0;
        let mut flaky = Vec::new();
        let (outcome, killers, why, run_seconds) = match built {
            // A full disk is no verdict on the mutant: stop, keeping what
            // was judged.
            Err(e) if format!("{e:#}").contains("No space left on device") => {
                let _ = ws.undo(m, source);
                bail!(
                    "building {} in {}: the disk is full; the mutants judged so far are kept",
                    m.id(),
                    ws.build.display()
                )
            }
            Err(e) => (Verdict::Unviable, Vec::new(), Some(format!("{e:#}")), 0.0),
            Ok(()) if digest(&ws.object(&m.file)) == objects[&m.file] => {
                (Verdict::NotCompiled, Vec::new(), None, 0.0)
            }
            Ok(()) => match with_unmapped(
                select::tests_for(self.test_lines.as_ref(), m, source)?,
                // Only those that can judge: a test the baseline skips
                // would turn "nobody executed these lines" into a run.
                &self
                    .unmapped
                    .iter()
                    .filter(|t| baseline.judges(t))
                    .cloned()
                    .collect(),
            ) {
                Tests::Nobody => (
                    Verdict::Missed,
                    Vec::new(),
                    Some("no test executed the mutated lines (per-test coverage)".into()),
                    0.0,
                ),
                Tests::All => {
                    tests_run = baseline.passed();
                    let c = self.run_confirmed(
                        &format!("m{}", index + 1),
                        *limit,
                        Suites::Llconf,
                        None,
                        baseline,
                    );
                    flaky = c.flaky;
                    (c.outcome, c.killers, None, c.seconds)
                }
                Tests::These(tests) => {
                    let judging: BTreeSet<String> =
                        tests.into_iter().filter(|t| baseline.judges(t)).collect();
                    tests_run = judging.len();
                    if judging.is_empty() {
                        (
                            Verdict::Missed,
                            Vec::new(),
                            Some(
                                "the tests that executed the mutated lines are flaky or not \
                                 among the selected suites"
                                    .into(),
                            ),
                            0.0,
                        )
                    } else {
                        let c = self.run_confirmed(
                            &format!("m{}", index + 1),
                            *limit,
                            Suites::Llconf,
                            Some(&judging),
                            baseline,
                        );
                        flaky = c.flaky;
                        (c.outcome, c.killers, None, c.seconds)
                    }
                }
            },
        };
        // The peer judges what was built and run (or missed without a run).
        let peer_runs = if self.peer_on_missed {
            outcome == Verdict::Missed
        } else {
            matches!(
                outcome,
                Verdict::Caught | Verdict::Missed | Verdict::Timeout
            )
        };
        let peer_reach = select::tests_for(self.peer_lines.as_ref(), m, source)?;
        let ksft = match &judging.ksft {
            Some(_) if peer_runs && peer_reach == Tests::Nobody => Some(PeerJudged {
                outcome: Verdict::Missed,
                killers: Vec::new(),
                run_seconds: 0.0,
                why: Some(
                    "the selftests execute none of the mutated lines (their coverage)".into(),
                ),
                flaky: Vec::new(),
            }),
            Some((baseline, limit)) if peer_runs => {
                let names = self.peer.as_ref().map_or(&[][..], |(_, n)| n.as_slice());
                let pick = peer_programs(&peer_reach, names).map(|programs| {
                    baseline
                        .judging()
                        .iter()
                        .filter(|t| programs.contains(ksft_program(t)))
                        .cloned()
                        .collect::<BTreeSet<String>>()
                });
                let c = self.run_confirmed(
                    &format!("m{}-ksft", index + 1),
                    *limit,
                    Suites::Ksft,
                    pick.as_ref(),
                    baseline,
                );
                Some(PeerJudged {
                    outcome: c.outcome,
                    killers: c.killers,
                    run_seconds: c.seconds,
                    why: None,
                    flaky: c.flaky,
                })
            }
            _ => None,
        };
        ws.undo(m, source)?;
        Ok(Judged {
            id: m.id(),
            file: m.file.clone(),
            line: m.line,
            operator: m.operator,
            diff: m.diff(source),
            outcome,
            killers,
            why,
            tests_run,
            build_seconds,
            run_seconds,
            flaky,
            ksft,
        })
    }

    /// A run judged, and a catch by failed tests alone confirmed: those
    /// tests run on the mutant again (the selftests, which take no list,
    /// all of them again). A test that does not fail again flaked on its
    /// own: it is no catch, and the tests the first run did not reach
    /// (it stopped at that one) run without it.
    fn run_confirmed(
        &self,
        id: &str,
        limit: Duration,
        which: Suites,
        pick: Option<&BTreeSet<String>>,
        baseline: &Baseline,
    ) -> Confirmed {
        let stop = self.first_kill.then_some(baseline);
        let ran = self.run(id, limit, which, pick, stop);
        let mut seconds = ran.seconds;
        let (outcome, killers) = ran.judge(baseline, pick);
        if outcome != Verdict::Caught || !judge::by_tests_alone(&killers) {
            return Confirmed {
                outcome,
                killers,
                flaky: Vec::new(),
                seconds,
            };
        }
        let again_pick: Option<BTreeSet<String>> = match which {
            Suites::Llconf => Some(killers.iter().cloned().collect()),
            Suites::Ksft => pick.cloned(),
        };
        let again = self.run(
            &format!("{id}-again"),
            limit,
            which,
            again_pick.as_ref(),
            stop,
        );
        seconds += again.seconds;
        let (outcome2, killers2) = again.judge(baseline, again_pick.as_ref());
        if outcome2 != Verdict::Missed || which == Suites::Ksft {
            let flaky = if outcome2 == Verdict::Missed {
                killers
            } else {
                Vec::new()
            };
            return Confirmed {
                outcome: outcome2,
                killers: killers2,
                flaky,
                seconds,
            };
        }
        // llconf's: the rest of the selection, without the flaky tests.
        let rest: BTreeSet<String> = match pick {
            Some(p) => p.iter().filter(|t| !killers.contains(t)).cloned().collect(),
            None => baseline
                .judging()
                .iter()
                .filter(|t| !killers.contains(t))
                .cloned()
                .collect(),
        };
        if rest.is_empty() {
            return Confirmed {
                outcome: Verdict::Missed,
                killers: Vec::new(),
                flaky: killers,
                seconds,
            };
        }
        let third = self.run(&format!("{id}-rest"), limit, which, Some(&rest), stop);
        seconds += third.seconds;
        let (outcome3, killers3) = third.judge(baseline, Some(&rest));
        Confirmed {
            outcome: outcome3,
            killers: killers3,
            flaky: killers,
            seconds,
        }
    }

    /// One run of llconf's suites or of the kernel's selftests: of the
    /// tests in `pick` only, if given; stopped at the first test that
    /// passed in `stop_at_kill` and does not now, if given.
    fn run(
        &self,
        id: &str,
        timeout: Duration,
        which: Suites,
        pick: Option<&BTreeSet<String>>,
        stop_at_kill: Option<&Baseline>,
    ) -> Ran {
        let mut settings = Settings {
            timeout,
            ..self.settings.clone()
        };
        let (mut kit, mut planned, expected_abi) = match (which, &self.peer) {
            (Suites::Ksft, Some((kit, _))) => (kit.clone(), BTreeMap::new(), None),
            // The selftests report no ABI: only llconf's runs check it.
            _ => (
                self.kit.clone(),
                self.planned.clone(),
                self.kernel.expected_abi,
            ),
        };
        if let Some(pick) = pick {
            for names in planned.values_mut() {
                names.retain(|n| pick.contains(n));
            }
            planned.retain(|_, names| !names.is_empty());
            if let Some(suites) = kit.suites.as_mut() {
                match which {
                    // A program runs whole: it is picked by its tests.
                    Suites::Ksft => {
                        suites.retain(|s| pick.iter().any(|t| ksft_program(t) == s.suite))
                    }
                    Suites::Llconf => suites.retain(|s| planned.contains_key(&s.suite)),
                }
            }
            let list = self.lists.join(format!("{id}.txt"));
            let text: String = pick.iter().map(|n| format!("{n}\n")).collect();
            if let Err(e) = std::fs::write(&list, text) {
                return Ran {
                    suites: Vec::new(),
                    problems: vec![format!("vm::setup: writing {}: {e}", list.display())],
                    timed_out: false,
                    seconds: 0.0,
                    stopped: None,
                };
            }
            settings.suite_args.extend([
                "--tests-from".to_string(),
                format!("{}{}", llconf_guest_init::HOST_VIEW, list.display()),
            ]);
        }
        let dir = self.run_dir.target(id);
        let mut t = VmTarget::new(
            0,
            dir.clone(),
            Backend::Uml,
            &self.image,
            &self.variant,
            &kit,
            &settings,
        );
        let enough = Arc::new(AtomicBool::new(false));
        if stop_at_kill.is_some() {
            t.enough = Some(enough.clone());
        }
        let mut target = Target::new(TargetInfo {
            id: id.to_string(),
            kernel: self.kernel.name.clone(),
            variant: "default".into(),
            expected_abi,
            landlock: self.variant.landlock,
            append: self.variant.append.clone(),
            packages: Vec::new(),
            accel: None,
            backend: Backend::Uml.as_str(),
            planned,
        });
        let start = Instant::now();
        let mut killers = Vec::new();
        vm::run_to_end(t, |event| {
            if let Some(baseline) = stop_at_kill.filter(|_| !enough.load(Ordering::Relaxed)) {
                let now = first_kills(baseline, which, &event);
                if !now.is_empty() {
                    killers = now;
                    enough.store(true, Ordering::Relaxed);
                }
            }
            target.on_event(&event);
        });
        let seconds = start.elapsed().as_secs_f64();
        let dmesg = std::fs::read_to_string(dir.dmesg()).ok();
        target.finish(dmesg.as_deref());
        let stopped = matches!(target.end, Some(VmEnd::Enough)).then_some(killers);
        let timed_out = matches!(target.end, Some(VmEnd::TimedOut(_)));
        let suites = match (which, &self.peer) {
            // Their verdicts are in their TAP, not in records.
            (Suites::Ksft, Some((_, programs))) => programs
                .iter()
                .filter(|p| kit.suites.iter().flatten().any(|s| &s.suite == *p))
                .map(|p| {
                    let text = std::fs::read_to_string(dir.log(p)).unwrap_or_default();
                    ksft_tap::parse(p, &text)
                })
                .collect(),
            _ => target.suites().to_vec(),
        };
        Ran {
            suites,
            problems: target.problems(),
            timed_out,
            seconds,
            stopped,
        }
    }
}

/// The selftests' programs to run on a mutant the peer's coverage says
/// `reach` of, of the programs built (`names`): `None` for all of them (a
/// map of the whole run, or one that names none of the programs built).
fn peer_programs(reach: &Tests, names: &[String]) -> Option<BTreeSet<String>> {
    let Tests::These(by) = reach else {
        return None;
    };
    let programs: BTreeSet<String> = names.iter().filter(|n| by.contains(*n)).cloned().collect();
    (!programs.is_empty() && programs.len() < names.len()).then_some(programs)
}

/// The program of one of the selftests' tests: `fs_test` of
/// `ksft::fs_test::layout1.a` (see `ksft_tap`).
fn ksft_program(test: &str) -> &str {
    let rest = test.strip_prefix("ksft::").unwrap_or(test);
    rest.split_once("::").map_or(rest, |(program, _)| program)
}

#[allow(clippy::too_many_arguments)]
fn judge_all(
    root: &Path,
    kernels_dir: &Path,
    kernel: &Kernel,
    cache: &Cache,
    tree: &Path,
    picked: &[Mutant],
    sources: &BTreeMap<String, String>,
    args: &MutantsArgs,
) -> Result<ExitCode> {
    let out = std::path::absolute(&args.out)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let suites = selection::resolve(root, &args.suites)?;
    let suites = crate::suites::binary::snapshot(&suites, &out.join("suites"))?;
    let guest = crate::suites::binary::snapshot_guest(
        &selection::guest(root, &args.suites)?,
        &out.join("guest"),
    )?;
    let mut planned = BTreeMap::new();
    for s in &suites {
        planned.insert(s.suite.clone(), list_tests(s, &args.suites.suite_args)?);
    }
    // Two runs never write one --out.
    let _out_lock = lock::exclusive(&out, "llconf mutants run")?;
    // One workspace per run at a time, so that shards of one measure can
    // run side by side: twice as many as cores, as a UML run leaves its
    // core about half idle (it waits on its timers and on the host).
    let slots = 2 * std::thread::available_parallelism().map_or(1, |n| n.get());
    let roots: Vec<PathBuf> = (1..=slots)
        .map(|i| match i {
            1 => cache.uml_dir().join(format!("mutants-{}", kernel.name)),
            i => cache.uml_dir().join(format!("mutants-{}.{i}", kernel.name)),
        })
        .collect();
    let ws = Workspace::open_free(&roots, tree, FOLDER)?;
    let ws_root = ws.root.clone();
    if ws_root != roots[0] {
        eprintln!(
            "workspace: {} (the first is in use by another run)",
            ws_root.display()
        );
    }
    let peer = match args.peer {
        Some(Peer::Ksft) => {
            // Built from the tree read, into the workspace: the tree is
            // only read (headers_install and the selftests write to O= and
            // OUTPUT=).
            let log = out.join("ksft-build.log");
            eprintln!(
                "building the kernel's Landlock selftests (log: {})",
                log.display()
            );
            let at = CoverageTree {
                source: tree.to_path_buf(),
                objects: ws_root.clone(),
            };
            let programs = ksft::build(&at, &log)?;
            let names = programs.iter().map(|p| p.suite.clone()).collect();
            Some((programs, names))
        }
        None => None,
    };
    let build_log = out.join("build.log");
    eprintln!(
        "building the unmutated kernel in {} (the first time: minutes; log: {})",
        ws.build.display(),
        build_log.display()
    );
    ws.make(kernels_dir, &build_log)?;
    let (_, variant) = kernel
        .select_variants(&["default".into()])?
        .into_iter()
        .next()
        .expect("one variant");
    let lp = Loop {
        kernel,
        variant,
        kit: Kit {
            guest: Some(guest),
            suites: Some(suites),
            ..Kit::default()
        },
        settings: Settings {
            accel: Accel::Tcg,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            memory_mib: 2048,
            timeout: Duration::from_secs(1800),
            suite_args: args.suites.suite_args.clone(),
        },
        planned,
        image: Prepared {
            image: BootImage::Image(ws.program()),
            packages: Vec::new(),
            release: None,
            has_modules: true,
        },
        run_dir: RunDir::new(out.join("runs")),
        peer: None,
        test_lines: None,
        unmapped: BTreeSet::new(),
        first_kill: !args.all_killers,
        peer_on_missed: args.peer_on_missed,
        peer_lines: None,
        lists: out.join("runs").join("selected"),
        kept: None,
        resume: args.resume,
    };
    let lp = Loop {
        peer: peer.map(|(programs, names)| {
            let kit = Kit {
                suites: Some(programs),
                ..lp.kit.clone()
            };
            (kit, names)
        }),
        ..lp
    };
    let test_lines = source::test_lines(cache, kernel, args.test_lines.as_deref())?;
    let unmapped: BTreeSet<String> = match &test_lines {
        Some((_, map)) => lp
            .planned
            .values()
            .flatten()
            .filter(|t| !map.tests.contains_key(*t))
            .cloned()
            .collect(),
        None => BTreeSet::new(),
    };
    let mode = match &test_lines {
        Some((path, _)) => {
            let total: usize = lp.planned.values().map(Vec::len).sum();
            eprintln!(
                "test selection: per-test coverage from {} ({} of {total} tests measured; \
                 the other {} run on every mutant); each mutant runs the tests that executed \
                 its lines{}",
                path.display(),
                total - unmapped.len(),
                unmapped.len(),
                if args.all_killers {
                    ""
                } else {
                    ", stopping at the first that notices"
                }
            );
            format!("per-test coverage ({})", path.display())
        }
        None => {
            eprintln!(
                "test selection: none (no per-test coverage; `llconf coverage --kernel {} \
                 --per-test` measures it): every test runs on every mutant{}",
                kernel.name,
                if args.all_killers {
                    ""
                } else {
                    ", stopping at the first that notices"
                }
            );
            "all".to_string()
        }
    };
    let peer_lines = match &lp.peer {
        Some(_) => source::peer_lines(cache, kernel, args.peer_lines.as_deref(), "ksft")?,
        None => None,
    };
    match &peer_lines {
        Some((path, map)) => eprintln!(
            "the selftests' line coverage: {} (they run only on mutants in lines they \
             execute{})",
            path.display(),
            match &lp.peer {
                Some((_, names)) if names.iter().any(|n| map.tests.contains_key(n)) =>
                    ", and only the programs that execute them",
                _ => "",
            }
        ),
        None if lp.peer.is_some() => eprintln!(
            "the selftests' line coverage: none (`llconf coverage --kernel {} --peer ksft` \
             measures it); they run on every mutant they judge",
            kernel.name
        ),
        None => {}
    }
    std::fs::create_dir_all(&lp.lists)
        .with_context(|| format!("creating {}", lp.lists.display()))?;
    let mut fingerprint = Fingerprint::new();
    fingerprint.path("source", &tree.join(FOLDER))?;
    fingerprint.path("config", &ws.build.join(".config"))?;
    for s in lp.kit.suites.iter().flatten() {
        fingerprint.path(&format!("suite {}", s.suite), &s.path)?;
    }
    // The init runs the suites and reports their records.
    if let Some(g) = &lp.kit.guest {
        fingerprint.path("guest init", &g.init)?;
    }
    fingerprint.text("suite arguments", &args.suites.suite_args.join("\n"));
    if lp.peer.is_some() {
        fingerprint.path("ksft", &ws.root.join("ksft"))?;
    }
    let lp = Loop {
        test_lines: test_lines.map(|(_, m)| m),
        unmapped,
        peer_lines: peer_lines.map(|(_, m)| m),
        kept: Some((out.clone(), fingerprint.hex())),
        ..lp
    };
    interrupt::install_handler();

    let (baseline, facts, limit) = lp.baseline(Suites::Llconf)?;
    let (ksft, ksft_facts) = match lp.peer {
        Some(_) => {
            let (b, f, l) = lp.baseline(Suites::Ksft)?;
            (Some((b, l)), Some(f))
        }
        None => (None, None),
    };
    let judging = Judging {
        llconf: (baseline, limit),
        ksft,
    };
    let facts = (facts, ksft_facts);
    // What each file compiles to unmutated: a mutant that leaves it the
    // same is in code this configuration does not build.
    let mut objects = BTreeMap::new();
    for file in picked.iter().map(|m| &m.file) {
        objects
            .entry(file.clone())
            .or_insert_with(|| digest(&ws.object(file)));
    }

    let mut judged: Vec<Judged> = if args.resume {
        record::read(&out)?
    } else {
        Vec::new()
    };
    let done: BTreeSet<String> = judged.iter().map(|j| j.id.clone()).collect();
    let todo: Vec<(usize, &Mutant)> = picked
        .iter()
        .enumerate()
        .filter(|(_, m)| !done.contains(&m.id()))
        .collect();
    if args.resume {
        eprintln!(
            "--resume: {} mutants already judged in {}; {} to go",
            picked.len() - todo.len(),
            out.display(),
            todo.len()
        );
    }
    let file = |judged: &[Judged]| MutantsFile {
        kernel: kernel.name.clone(),
        source: tree.to_path_buf(),
        selection: mode.clone(),
        baseline: facts.0.clone(),
        ksft_baseline: facts.1.clone(),
        mutants: judged.to_vec(),
    };
    record::write(&out, &file(&judged))?;
    let bar = Bar::new(todo.len(), &judged);
    for (i, m) in todo {
        if interrupt::interrupted() {
            bar.println(format!(
                "interrupted: {} of {} mutants judged; --resume goes on",
                judged.len(),
                picked.len()
            ));
            break;
        }
        bar.start(&m.id());
        let j = lp.judge_one(
            &ws,
            kernels_dir,
            &build_log,
            m,
            &sources[&m.file],
            i,
            &objects,
            &judging,
        )?;
        if interrupt::interrupted() {
            // The stop killed its build or its run: a make or a kernel
            // killed by us is no verdict on the mutant, so --resume judges
            // it again.
            bar.println(format!(
                "interrupted while judging {}: not recorded; {} of {} mutants judged; --resume goes on",
                j.id,
                judged.len(),
                picked.len()
            ));
            break;
        }
        bar.println(format!(
            "mutant {}/{} {}: {}",
            i + 1,
            picked.len(),
            j.id,
            record::said(&j)
        ));
        judged.push(j);
        bar.step(&judged);
        record::write(&out, &file(&judged))?;
    }
    bar.finish();
    // Leave the kernel unmutated for the next run.
    let _ = ws.make(kernels_dir, &build_log);
    record::write(&out, &file(&judged))?;
    print!("{}", record::summary(&judged));
    if let Some(c) = record::costs(&file(&judged)) {
        println!("\n{c}");
    }
    let only_ksft: Vec<&str> = judged
        .iter()
        .filter(|j| {
            j.outcome == Verdict::Missed
                && j.ksft.as_ref().is_some_and(|k| record::caught(k.outcome))
        })
        .map(|j| j.id.as_str())
        .collect();
    if !only_ksft.is_empty() {
        println!("\ncaught by the kernel's selftests, missed by llconf:");
        for id in only_ksft {
            println!("  {id}");
        }
    }
    println!(
        "\n{}\n{}\n{}",
        out.join(record::JSON).display(),
        out.join(record::MISSED).display(),
        out.join(record::HTML).display()
    );
    Ok(if interrupt::interrupted() {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}

/// The tests that noticed, as soon as an event shows them: a record of
/// llconf's that fails a test that passed in the baselines, or a selftest
/// program that ended with such a test in its TAP (their verdicts come
/// only at the end of each program).
fn first_kills(baseline: &Baseline, which: Suites, event: &VmEvent) -> Vec<String> {
    match event {
        // Kernel trouble fails the run whatever the tests say: no need to
        // wait for them, nor for the run's limit when the kernel is stuck.
        VmEvent::ConsoleLine(line) if console_scan::classify(line).is_some() => {
            vec!["vm::console".into()]
        }
        VmEvent::Suite(Event::Record {
            record: Record::TestFinished(r),
            ..
        }) if baseline.judges(&r.name) && r.outcome != Outcome::Passed => vec![r.name.clone()],
        VmEvent::Suite(Event::SuiteEnded { suite, log, .. }) if which == Suites::Ksft => {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            ksft_tap::parse(suite, &text)
                .tests
                .iter()
                .filter(|t| baseline.judges(&t.name) && t.outcome != Outcome::Passed)
                .map(|t| t.name.clone())
                .collect()
        }
        _ => Vec::new(),
    }
}

/// FNV-1a of a file's bytes; an empty digest when it cannot be read.
fn digest(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::a_program_map_runs_those_reached(&["fs_test", "net_test"], Some(&["fs_test", "net_test"][..]))]
    #[case::one_program(&["net_test"], Some(&["net_test"][..]))]
    #[case::every_program_is_all(&["fs_test", "net_test", "base_test"], None)]
    #[case::a_whole_run_map_is_all(&["ksft"], None)]
    #[case::programs_not_built_are_all(&["old_test"], None)]
    fn the_selftests_run_only_the_programs_that_reach_a_mutant(
        #[case] reached: &[&str],
        #[case] run: Option<&[&str]>,
    ) {
        let names: Vec<String> = ["base_test", "fs_test", "net_test"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let by = reached.iter().map(|s| s.to_string()).collect();
        let want = run.map(|r| r.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
        assert_eq!(peer_programs(&Tests::These(by), &names), want);
        assert_eq!(peer_programs(&Tests::All, &names), None);
    }

    #[rstest]
    #[case("ksft::fs_test::layout1.a", "fs_test")]
    #[case("ksft::net_test::t.one::x", "net_test")]
    fn a_selftest_names_its_program(#[case] test: &str, #[case] program: &str) {
        assert_eq!(ksft_program(test), program);
    }

    #[test]
    fn tests_the_map_has_not_measured_run_on_every_mutant() {
        let set = |v: &[&str]| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<BTreeSet<String>>()
        };
        let new = set(&["fs::refer::own_rule::a"]);
        assert_eq!(
            with_unmapped(Tests::These(set(&["fs::x"])), &new),
            Tests::These(set(&["fs::x", "fs::refer::own_rule::a"]))
        );
        assert_eq!(
            with_unmapped(Tests::Nobody, &new),
            Tests::These(new.clone())
        );
        assert_eq!(
            with_unmapped(Tests::Nobody, &BTreeSet::new()),
            Tests::Nobody
        );
        assert_eq!(with_unmapped(Tests::All, &new), Tests::All);
    }

    #[test]
    fn the_first_kill_is_seen_in_a_record_or_in_a_selftest_s_tap() {
        use llconf_reports::record::TestRecord;
        let mut passed = SuiteResults::new("net");
        passed.tests.push(TestRecord::passed("net::a", 1.0));
        let mut ksft = SuiteResults::new("ksft.net_test");
        ksft.tests
            .push(TestRecord::passed("ksft::net_test::t.one", 1.0));
        let b = Baseline::of(&[vec![passed.clone(), ksft.clone()]]);
        let record = |name: &str, o: Outcome| {
            VmEvent::Suite(Event::Record {
                suite: "net".into(),
                record: Record::TestFinished(TestRecord::new(name, o, 1.0)),
            })
        };
        assert_eq!(
            first_kills(&b, Suites::Llconf, &record("net::a", Outcome::Failed)),
            ["net::a"]
        );
        assert!(first_kills(&b, Suites::Llconf, &record("net::a", Outcome::Passed)).is_empty());
        assert!(
            first_kills(&b, Suites::Llconf, &record("net::new", Outcome::Failed)).is_empty(),
            "a test that never passed judges nothing"
        );
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("net_test.log");
        std::fs::write(&log, "TAP version 13\n1..1\nnot ok 1 t.one\n").unwrap();
        let ended = VmEvent::Suite(Event::SuiteEnded {
            suite: "net_test".into(),
            cause: crate::run::events::EndCause::Exited(1),
            elapsed: Duration::from_secs(1),
            log,
        });
        assert_eq!(
            first_kills(&b, Suites::Ksft, &ended),
            ["ksft::net_test::t.one"]
        );
        assert!(
            first_kills(&b, Suites::Llconf, &ended).is_empty(),
            "llconf's verdicts come from records"
        );
        // Kernel trouble on the console stops either run at once.
        for which in [Suites::Llconf, Suites::Ksft] {
            let stall =
                VmEvent::ConsoleLine("rcu: INFO: rcu_sched self-detected stall on CPU".into());
            assert_eq!(first_kills(&b, which, &stall), ["vm::console"]);
            let plain = VmEvent::ConsoleLine("llconf-guest: suite net started".into());
            assert!(first_kills(&b, which, &plain).is_empty());
        }
    }
}
