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
use crate::cli::{MutantsArgs, Peer};
use crate::coverage::ksft;
use crate::host::accel::Accel;
use crate::host::workspace;
use crate::kernel::backend::Backend;
use crate::kernel::catalogue::{Builder, Catalogue, Kernel, Source, Variant};
use crate::kernel::image::{BootImage, Prepared};
use crate::kernel::uml_build::{self, CoverageTree};
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
use llconf_reports::ksft_tap;
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
    /// With `--peer ksft`: the kernel's selftests on the same mutant.
    #[serde(skip_serializing_if = "Option::is_none")]
    ksft: Option<PeerJudged>,
}

#[derive(Debug, Clone, Serialize)]
struct PeerJudged {
    outcome: Verdict,
    killers: Vec<String>,
    run_seconds: f64,
}

#[derive(Debug, Serialize)]
struct MutantsFile<'a> {
    kernel: &'a str,
    source: &'a Path,
    baseline: BaselineFacts,
    #[serde(skip_serializing_if = "Option::is_none")]
    ksft_baseline: Option<BaselineFacts>,
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
    /// `--peer ksft`: the selftests' wrappers, and their program names.
    peer: Option<(Kit, Vec<String>)>,
}

/// Which suites a run is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suites {
    Llconf,
    Ksft,
}

/// One run: its suites, the failed run-level checks, whether it timed out,
/// and how long it took.
type Ran = (Vec<SuiteResults>, Vec<String>, bool, f64);

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
        for i in 1..=2 {
            let (suites, problems, _, s) =
                self.run(&format!("{name}-{i}"), self.settings.timeout, which);
            if !problems.is_empty() {
                bail!(
                    "baseline run {i} of the unmutated kernel failed, so nothing can be judged: {}",
                    problems.join("; ")
                );
            }
            eprintln!("{name} run {i}: {s:.1} s");
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
        judging: &Judging,
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
                let (baseline, limit) = &judging.llconf;
                let (suites, problems, timed_out, s) =
                    self.run(&format!("m{}", index + 1), *limit, Suites::Llconf);
                let (v, k) = judge::judge(baseline, &suites, &problems, timed_out);
                (v, k, None, s)
            }
        };
        let compiled = matches!(
            outcome,
            Verdict::Caught | Verdict::Missed | Verdict::Timeout
        );
        let ksft = match &judging.ksft {
            Some((baseline, limit)) if compiled => {
                let (suites, problems, timed_out, s) =
                    self.run(&format!("m{}-ksft", index + 1), *limit, Suites::Ksft);
                let (v, k) = judge::judge(baseline, &suites, &problems, timed_out);
                Some(PeerJudged {
                    outcome: v,
                    killers: k,
                    run_seconds: s,
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
            build_seconds,
            run_seconds,
            ksft,
        })
    }

    /// One run of llconf's suites or of the kernel's selftests.
    fn run(&self, id: &str, timeout: Duration, which: Suites) -> Ran {
        let settings = Settings {
            timeout,
            ..self.settings.clone()
        };
        let (kit, planned, expected_abi) = match (which, &self.peer) {
            (Suites::Ksft, Some((kit, _))) => (kit, BTreeMap::new(), None),
            // The selftests report no ABI: only llconf's runs check it.
            _ => (&self.kit, self.planned.clone(), self.kernel.expected_abi),
        };
        let dir = self.run_dir.target(id);
        let t = VmTarget::new(
            0,
            dir.clone(),
            Backend::Uml,
            &self.image,
            &self.variant,
            kit,
            &settings,
        );
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
        vm::run_to_end(t, |event| target.on_event(&event));
        let seconds = start.elapsed().as_secs_f64();
        let dmesg = std::fs::read_to_string(dir.dmesg()).ok();
        target.finish(dmesg.as_deref());
        let timed_out = matches!(target.end, Some(VmEnd::TimedOut(_)));
        let suites = match (which, &self.peer) {
            // Their verdicts are in their TAP, not in records.
            (Suites::Ksft, Some((_, programs))) => programs
                .iter()
                .map(|p| {
                    let text = std::fs::read_to_string(dir.log(p)).unwrap_or_default();
                    ksft_tap::parse(p, &text)
                })
                .collect(),
            _ => target.suites().to_vec(),
        };
        (suites, target.problems(), timed_out, seconds)
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
            &judging,
        )?;
        eprintln!("mutant {}/{} {}: {}", i + 1, picked.len(), j.id, said(&j));
        judged.push(j);
        write_results(&out, kernel, tree, &facts, &judged)?;
    }
    // Leave the kernel unmutated for the next run.
    let _ = ws.make(kernels_dir, &build_log);
    write_results(&out, kernel, tree, &facts, &judged)?;
    print!("{}", summary(&judged));
    let only_ksft: Vec<&str> = judged
        .iter()
        .filter(|j| {
            j.outcome == Verdict::Missed && j.ksft.as_ref().is_some_and(|k| caught(k.outcome))
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
    baselines: &(BaselineFacts, Option<BaselineFacts>),
    judged: &[Judged],
) -> Result<()> {
    let file = MutantsFile {
        kernel: &kernel.name,
        source: tree,
        baseline: baselines.0.clone(),
        ksft_baseline: baselines.1.clone(),
        mutants: judged,
    };
    let json = serde_json::to_string_pretty(&file)? + "\n";
    let tmp = out.join(".mutants.json.tmp");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, out.join("mutants.json"))?;
    // Missed by every suite that ran.
    let missed: String = judged
        .iter()
        .filter(|j| {
            j.outcome == Verdict::Missed && !j.ksft.as_ref().is_some_and(|k| caught(k.outcome))
        })
        .map(|j| format!("# {}\n{}\n", j.id, j.diff))
        .collect();
    std::fs::write(out.join("missed.txt"), missed)?;
    Ok(())
}

fn caught(v: Verdict) -> bool {
    matches!(v, Verdict::Caught | Verdict::Timeout)
}

/// One line of progress: the verdict, and who noticed.
fn said(j: &Judged) -> String {
    let one = |v: Verdict, killers: &[String]| {
        let name = serde_json::to_value(v)
            .ok()
            .and_then(|x| x.as_str().map(str::to_string))
            .unwrap_or_default();
        let head: Vec<&str> = killers.iter().take(3).map(String::as_str).collect();
        if head.is_empty() {
            name
        } else {
            format!("{name} by {}", head.join(", "))
        }
    };
    match &j.ksft {
        Some(k) => format!(
            "llconf {}; ksft {}",
            one(j.outcome, &j.killers),
            one(k.outcome, &k.killers)
        ),
        None => one(j.outcome, &j.killers),
    }
}

/// Per file: how many mutants were judged, the share each suite caught
/// (timeouts count as caught) and both together, and what could not be
/// judged.
fn summary(judged: &[Judged]) -> String {
    #[derive(Default)]
    struct Row {
        judged: usize,
        llconf: usize,
        ksft: Option<usize>,
        either: usize,
        unviable: usize,
        not_compiled: usize,
    }
    let mut per: BTreeMap<&str, Row> = BTreeMap::new();
    for j in judged {
        for key in [j.file.as_str(), "total"] {
            let r = per.entry(key).or_default();
            match j.outcome {
                Verdict::Unviable => r.unviable += 1,
                Verdict::NotCompiled => r.not_compiled += 1,
                v => {
                    r.judged += 1;
                    let by_ksft = j.ksft.as_ref().is_some_and(|k| caught(k.outcome));
                    r.llconf += usize::from(caught(v));
                    if j.ksft.is_some() {
                        *r.ksft.get_or_insert(0) += usize::from(by_ksft);
                    }
                    r.either += usize::from(caught(v) || by_ksft);
                }
            }
        }
    }
    let rate = |n: usize, of: usize| {
        if of == 0 {
            "-".to_string()
        } else {
            format!("{n} ({:.0}%)", 100.0 * n as f64 / of as f64)
        }
    };
    let mut s = format!(
        "\n{:<29} {:>6}  {:>10}  {:>10}  {:>10}  {:>8}  {:>12}\n",
        "file", "judged", "llconf", "ksft", "either", "unviable", "not-compiled"
    );
    let mut rows: Vec<_> = per.into_iter().collect();
    rows.sort_by_key(|(f, _)| (*f == "total", f.to_string()));
    for (file, r) in rows {
        s.push_str(&format!(
            "{file:<29} {:>6}  {:>10}  {:>10}  {:>10}  {:>8}  {:>12}\n",
            r.judged,
            rate(r.llconf, r.judged),
            r.ksft.map_or("-".into(), |k| rate(k, r.judged)),
            rate(r.either, r.judged),
            r.unviable,
            r.not_compiled
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
            ksft: None,
        };
        let mut peer = j("a.c", Verdict::Missed);
        peer.ksft = Some(PeerJudged {
            outcome: Verdict::Caught,
            killers: vec!["ksft::net_test::x".into()],
            run_seconds: 1.0,
        });
        let s = summary(&[
            j("a.c", Verdict::Caught),
            j("a.c", Verdict::Missed),
            j("a.c", Verdict::Timeout),
            j("a.c", Verdict::Unviable),
            j("b.c", Verdict::NotCompiled),
            peer.clone(),
        ]);
        assert!(said(&peer).starts_with("llconf missed; ksft caught by ksft::net_test::x"));
        let row = |f: &str| {
            s.lines()
                .find(|l| l.starts_with(f))
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
        };
        // judged 4: llconf 2 of 4, ksft 1 of 4 (judged on one), either 3.
        assert_eq!(
            row("a.c"),
            ["a.c", "4", "2", "(50%)", "1", "(25%)", "3", "(75%)", "1", "0"]
        );
        assert_eq!(row("b.c"), ["b.c", "0", "-", "-", "-", "0", "1"]);
        assert!(s.trim_end().lines().last().unwrap().starts_with("total"));
    }
}
