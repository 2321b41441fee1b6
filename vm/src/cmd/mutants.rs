//! `llconf mutants`: plausible one-line bugs planted in security/landlock,
//! each built into a User-Mode Linux kernel of llconf's own and run, to see
//! which ones the suites notice. `--list` prints the mutants and builds
//! nothing.
//!
//! The kernel's source is read from the tree of a `build` definition or
//! from the source a coverage build kept; mutants are planted in a private
//! copy (see `mutants::workspace`), never in that tree. Two baseline runs
//! of the unmutated kernel come first; then each mutant is built, run and
//! judged (`mutants::judge`). `--out` gets `mutants.json`, rewritten after
//! every mutant so that Ctrl-C keeps what was judged, and `missed.txt`, the
//! diff of every mutant nothing noticed.

use crate::boot::kit::Kit;
use crate::boot::VmEnd;
use crate::cache_dir::Cache;
use crate::cli::MutantsArgs;
use crate::host::accel::Accel;
use crate::host::workspace;
use crate::kernel::backend::Backend;
use crate::kernel::catalogue::{Builder, Catalogue, Kernel, Source, Variant};
use crate::kernel::image::{BootImage, Prepared};
use crate::kernel::uml_build;
use crate::mutants::judge::{self, Baseline, Verdict};
use crate::mutants::points::{self, Mutant, Operator};
use crate::mutants::workspace::Workspace;
use crate::report::target::{Target, TargetInfo};
use crate::run::interrupt;
use crate::run::vm::{self, Settings, VmTarget};
use crate::suites::build;
use crate::suites::list::list_tests;
use crate::suites::selection;
use anyhow::{bail, Context, Result};
use llconf_reports::layout::RunDir;
use llconf_reports::results::SuiteResults;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The folder mutated.
const FOLDER: &str = "security/landlock";

/// One judged mutant, as `mutants.json` holds it.
#[derive(Debug, Clone, Serialize)]
struct Judged {
    id: String,
    file: String,
    line: usize,
    operator: Operator,
    diff: String,
    outcome: Verdict,
    /// The tests and run-level checks that noticed.
    killers: Vec<String>,
    /// Why it is unviable: the end of the build log.
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<String>,
    build_seconds: f64,
    run_seconds: f64,
}

#[derive(Debug, Serialize)]
struct MutantsFile<'a> {
    kernel: &'a str,
    source: &'a Path,
    baseline: BaselineFacts,
    mutants: &'a [Judged],
}

#[derive(Debug, Clone, Serialize)]
struct BaselineFacts {
    /// Tests that passed in both baseline runs: the ones that judge.
    passed: usize,
    flaky: Vec<String>,
    seconds: f64,
    /// A mutant's run past this is a timeout.
    limit_seconds: f64,
}

pub fn mutants(root: &Path, kernels_dir: &Path, args: MutantsArgs) -> Result<ExitCode> {
    let catalogue = Catalogue::load(kernels_dir)?;
    let kernel = catalogue.select(std::slice::from_ref(&args.kernel))?[0];
    let cache = Cache::from_env();
    let tree = source_tree(&cache, kernel)?;
    let files = matching(&tree, &args.files)?;
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
    if args.list {
        return list(&tree, &files, &all, &sources);
    }
    let picked = match args.sample {
        Some(n) => sample(all, n as usize, args.seed),
        None => all,
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

/// `n` of the mutants, the same ones for the same seed, in id order.
fn sample(mut all: Vec<Mutant>, n: usize, seed: u64) -> Vec<Mutant> {
    // A 64-bit LCG (Knuth's MMIX constants): enough to spread a sample,
    // and the same on every machine.
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut picked = Vec::new();
    while picked.len() < n && !all.is_empty() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let i = (state >> 33) as usize % all.len();
        picked.push(all.swap_remove(i));
    }
    picked.sort_by_key(|m| (m.file.clone(), m.start, m.operator));
    picked
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
}

impl Loop<'_> {
    /// Two runs of the unmutated kernel: which tests judge, and the limit
    /// of a mutant's run.
    fn baseline(&self) -> Result<(Baseline, BaselineFacts, Duration)> {
        let mut runs = Vec::new();
        let mut seconds = 0.0;
        for i in 1..=2 {
            let (suites, problems, _, s) =
                self.run(&format!("baseline-{i}"), self.settings.timeout);
            if !problems.is_empty() {
                bail!(
                    "baseline run {i} of the unmutated kernel failed, so nothing can be judged: {}",
                    problems.join("; ")
                );
            }
            eprintln!("baseline run {i}: {s:.1} s");
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
        baseline: &Baseline,
        limit: Duration,
    ) -> Result<Judged> {
        ws.plant(m, source)?;
        let build_start = Instant::now();
        let built = ws.make(kernels_dir, build_log);
        let build_seconds = build_start.elapsed().as_secs_f64();
        let (outcome, killers, why, run_seconds) = match built {
            Err(e) => (Verdict::Unviable, Vec::new(), Some(format!("{e:#}")), 0.0),
            Ok(()) if digest(&ws.object(&m.file)) == objects[&m.file] => {
                (Verdict::NotCompiled, Vec::new(), None, 0.0)
            }
            Ok(()) => {
                let (suites, problems, timed_out, s) = self.run(&format!("m{}", index + 1), limit);
                let (v, k) = judge::judge(baseline, &suites, &problems, timed_out);
                (v, k, None, s)
            }
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
            build_seconds,
            run_seconds,
        })
    }

    /// One run of the suites; its suites, failed run-level checks, whether
    /// it timed out, and how long it took.
    fn run(&self, id: &str, timeout: Duration) -> (Vec<SuiteResults>, Vec<String>, bool, f64) {
        let settings = Settings {
            timeout,
            ..self.settings.clone()
        };
        let dir = self.run_dir.target(id);
        let t = VmTarget::new(
            0,
            dir.clone(),
            Backend::Uml,
            &self.image,
            &self.variant,
            &self.kit,
            &settings,
        );
        let mut target = Target::new(TargetInfo {
            id: id.to_string(),
            kernel: self.kernel.name.clone(),
            variant: "default".into(),
            expected_abi: self.kernel.expected_abi,
            landlock: self.variant.landlock,
            append: self.variant.append.clone(),
            packages: Vec::new(),
            accel: None,
            backend: Backend::Uml.as_str(),
            planned: self.planned.clone(),
        });
        let start = Instant::now();
        vm::run_to_end(t, |event| target.on_event(&event));
        let seconds = start.elapsed().as_secs_f64();
        let dmesg = std::fs::read_to_string(dir.dmesg()).ok();
        target.finish(dmesg.as_deref());
        let timed_out = matches!(target.end, Some(VmEnd::TimedOut(_)));
        (
            target.suites().to_vec(),
            target.problems(),
            timed_out,
            seconds,
        )
    }
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
    let guest = build::guest_binaries(&workspace::default_root())?;
    let mut planned = BTreeMap::new();
    for s in &suites {
        planned.insert(s.suite.clone(), list_tests(s, &args.suites.suite_args)?);
    }
    let ws_root = cache.uml_dir().join(format!("mutants-{}", kernel.name));
    let ws = Workspace::open(&ws_root, tree, FOLDER)?;
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
    };
    interrupt::install_handler();

    let (baseline, facts, limit) = lp.baseline()?;
    // What each file compiles to unmutated: a mutant that leaves it the
    // same is in code this configuration does not build.
    let mut objects = BTreeMap::new();
    for file in picked.iter().map(|m| &m.file) {
        objects
            .entry(file.clone())
            .or_insert_with(|| digest(&ws.object(file)));
    }

    let mut judged: Vec<Judged> = Vec::new();
    for (i, m) in picked.iter().enumerate() {
        if interrupt::interrupted() {
            eprintln!(
                "interrupted: {} of {} mutants judged",
                judged.len(),
                picked.len()
            );
            break;
        }
        let j = lp.judge_one(
            &ws,
            kernels_dir,
            &build_log,
            m,
            &sources[&m.file],
            i,
            &objects,
            &baseline,
            limit,
        )?;
        let head: Vec<&str> = j.killers.iter().take(3).map(String::as_str).collect();
        eprintln!(
            "mutant {}/{} {}: {}{}",
            i + 1,
            picked.len(),
            j.id,
            serde_json::to_value(j.outcome)?
                .as_str()
                .unwrap_or_default(),
            if head.is_empty() {
                String::new()
            } else {
                format!(" by {}", head.join(", "))
            }
        );
        judged.push(j);
        write_results(&out, kernel, tree, &facts, &judged)?;
    }
    // Leave the kernel unmutated for the next run.
    let _ = ws.make(kernels_dir, &build_log);
    write_results(&out, kernel, tree, &facts, &judged)?;
    print!("{}", summary(&judged));
    println!(
        "\n{}\n{}",
        out.join("mutants.json").display(),
        out.join("missed.txt").display()
    );
    Ok(if interrupt::interrupted() {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_results(
    out: &Path,
    kernel: &Kernel,
    tree: &Path,
    baseline: &BaselineFacts,
    judged: &[Judged],
) -> Result<()> {
    let file = MutantsFile {
        kernel: &kernel.name,
        source: tree,
        baseline: baseline.clone(),
        mutants: judged,
    };
    let json = serde_json::to_string_pretty(&file)? + "\n";
    let tmp = out.join(".mutants.json.tmp");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, out.join("mutants.json"))?;
    let missed: String = judged
        .iter()
        .filter(|j| j.outcome == Verdict::Missed)
        .map(|j| format!("# {}\n{}\n", j.id, j.diff))
        .collect();
    std::fs::write(out.join("missed.txt"), missed)?;
    Ok(())
}

/// Per file: each outcome, and the share of the judged mutants caught.
fn summary(judged: &[Judged]) -> String {
    let mut per: BTreeMap<&str, BTreeMap<Verdict, usize>> = BTreeMap::new();
    for j in judged {
        *per.entry(&j.file)
            .or_default()
            .entry(j.outcome)
            .or_default() += 1;
        *per.entry("total")
            .or_default()
            .entry(j.outcome)
            .or_default() += 1;
    }
    let mut s = String::from(
        "\nfile                          caught  missed  timeout  unviable  not-compiled  kill rate\n",
    );
    let mut rows: Vec<_> = per.into_iter().collect();
    rows.sort_by_key(|(f, _)| (*f == "total", f.to_string()));
    for (file, v) in rows {
        let n = |k: Verdict| v.get(&k).copied().unwrap_or(0);
        let judged = n(Verdict::Caught) + n(Verdict::Timeout) + n(Verdict::Missed);
        let rate = if judged == 0 {
            "-".to_string()
        } else {
            format!(
                "{:.0}%",
                100.0 * (n(Verdict::Caught) + n(Verdict::Timeout)) as f64 / judged as f64
            )
        };
        s.push_str(&format!(
            "{file:<29} {:>6}  {:>6}  {:>7}  {:>8}  {:>12}  {rate:>9}\n",
            n(Verdict::Caught),
            n(Verdict::Missed),
            n(Verdict::Timeout),
            n(Verdict::Unviable),
            n(Verdict::NotCompiled)
        ));
    }
    s
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

/// Where the kernel's source is, without modifying or building it.
fn source_tree(cache: &Cache, kernel: &Kernel) -> Result<PathBuf> {
    match &kernel.source {
        Source::Build {
            path,
            builder: Builder::Uml,
        } => Ok(path.clone()),
        Source::DebianTree(spec) => uml_build::cached_coverage(cache, spec)
            .and_then(|b| b.coverage)
            .map(|c| c.source)
            .with_context(|| {
                format!(
                    "kernel `{}`: no source kept yet; `llconf coverage --kernel {}` builds \
                     it and keeps the source",
                    kernel.name, kernel.name
                )
            }),
        _ => bail!(
            "kernel `{}` has no source llconf can reach: mutants need a UML kernel built \
             from source (`type = \"debian-source\"`, or `type = \"build\"` with \
             `builder = \"uml\"`)",
            kernel.name
        ),
    }
}

/// The files of `glob` under `tree`: a directory, then a file name in
/// which `*` matches any run of characters.
fn matching(tree: &Path, glob: &str) -> Result<Vec<PathBuf>> {
    let (dir, pattern) = glob.rsplit_once('/').unwrap_or(("", glob));
    let dir = tree.join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("--file {glob}: reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| wildcard(pattern, &n.to_string_lossy()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("--file {glob} matches no file in {}", tree.display());
    }
    Ok(files)
}

fn wildcard(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| wildcard(rest, &tail[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_within_a_file_name() {
        assert!(wildcard("*.c", "fs.c"));
        assert!(!wildcard("*.c", "fs.h"));
        assert!(wildcard("net.c", "net.c"));
        assert!(wildcard("a*b*.c", "axxbyy.c"));
        let dir = tempfile::tempdir().unwrap();
        let ll = dir.path().join("security/landlock");
        std::fs::create_dir_all(&ll).unwrap();
        for f in ["fs.c", "fs.h", "net.c"] {
            std::fs::write(ll.join(f), "").unwrap();
        }
        let found = matching(dir.path(), "security/landlock/*.c").unwrap();
        assert_eq!(found, [ll.join("fs.c"), ll.join("net.c")]);
        let err = matching(dir.path(), "security/landlock/*.rs").unwrap_err();
        assert!(err.to_string().contains("matches no file"), "{err}");
    }

    #[test]
    fn a_sample_is_the_same_for_the_same_seed() {
        let source = "int f(int a) { if (a < 1 && a > 2) return -EPERM; return 0; }\n";
        let all = points::find("x.c", source);
        assert!(all.len() >= 5);
        let ids = |v: Vec<Mutant>| v.iter().map(Mutant::id).collect::<Vec<_>>();
        let a = ids(sample(all.clone(), 3, 7));
        assert_eq!(a.len(), 3);
        assert_eq!(a, ids(sample(all.clone(), 3, 7)));
        assert_eq!(ids(sample(all.clone(), 99, 7)).len(), all.len());
    }

    #[test]
    fn the_summary_gives_a_kill_rate_per_file() {
        let j = |file: &str, outcome| Judged {
            id: String::new(),
            file: file.into(),
            line: 1,
            operator: Operator::DropCall,
            diff: String::new(),
            outcome,
            killers: Vec::new(),
            why: None,
            build_seconds: 0.0,
            run_seconds: 0.0,
        };
        let s = summary(&[
            j("a.c", Verdict::Caught),
            j("a.c", Verdict::Missed),
            j("a.c", Verdict::Timeout),
            j("a.c", Verdict::Unviable),
            j("b.c", Verdict::NotCompiled),
        ]);
        let row = |f: &str| {
            s.lines()
                .find(|l| l.starts_with(f))
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
        };
        assert_eq!(row("a.c"), ["a.c", "1", "1", "1", "1", "0", "67%"]);
        assert_eq!(row("b.c").last(), Some(&"-"));
        assert!(s.trim_end().lines().last().unwrap().starts_with("total"));
    }
}
