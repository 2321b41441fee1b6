//! What `llconf mutants` writes and prints of its verdicts, and the
//! verdicts and mutation operators themselves:
//! `mutants.json` (described by `reports/schema/mutants.schema.json`), read back
//! by `--resume`; `missed.txt`; the summary table and the line said of each
//! mutant.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Some test or run-level check noticed.
    Caught,
    /// Nothing noticed: a hole in the suites, or a change that is no bug.
    Missed,
    /// The run went past its limit: noticed, shown apart.
    Timeout,
    /// The mutant does not compile.
    Unviable,
    /// The mutated code is not built in this configuration (the object did
    /// not change): nothing to judge.
    NotCompiled,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Operator {
    /// `return -EACCES;` → `return 0;`
    ErrorToSuccess,
    /// `return 0;` → `return -EACCES;`
    SuccessToError,
    /// `if (x)` → `if (!(x))`
    NegateCondition,
    /// `&&` ↔ `||`
    SwapLogic,
    /// `<` ↔ `<=`, `>` ↔ `>=`, `==` ↔ `!=`
    Comparison,
    /// `A | LANDLOCK_ACCESS_X` → `A`
    DropFlag,
    /// `f(x);` → `;`
    DropCall,
    /// `return 0;` (or `return;`) as the first statement of a `hook_*`
    EarlyReturn,
}

impl Operator {
    pub const ALL: [Operator; 8] = [
        Operator::ErrorToSuccess,
        Operator::SuccessToError,
        Operator::NegateCondition,
        Operator::SwapLogic,
        Operator::Comparison,
        Operator::DropFlag,
        Operator::DropCall,
        Operator::EarlyReturn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operator::ErrorToSuccess => "error-to-success",
            Operator::SuccessToError => "success-to-error",
            Operator::NegateCondition => "negate-condition",
            Operator::SwapLogic => "swap-logic",
            Operator::Comparison => "comparison",
            Operator::DropFlag => "drop-flag",
            Operator::DropCall => "drop-call",
            Operator::EarlyReturn => "early-return",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The files of an `--out` folder.
pub const JSON: &str = "mutants.json";
pub const MISSED: &str = "missed.txt";
pub const HTML: &str = "mutants.html";

/// One judged mutant, as `mutants.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judged {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub operator: Operator,
    pub diff: String,
    pub outcome: Verdict,
    /// The tests and run-level checks that noticed (with test selection,
    /// the first one only unless `--all-killers`).
    pub killers: Vec<String>,
    /// Why it is unviable (the end of the build log), or why it was judged
    /// without a run (no test executed its lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// How many of llconf's tests ran on it: all, or the ones that executed
    /// the mutated lines.
    #[serde(default)]
    pub tests_run: usize,
    pub build_seconds: f64,
    pub run_seconds: f64,
    /// Tests that failed on this mutant once and passed when run on it
    /// again: their own flake, not a catch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flaky: Vec<String>,
    /// With `--peer ksft`: the kernel's selftests on the same mutant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ksft: Option<PeerJudged>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerJudged {
    pub outcome: Verdict,
    pub killers: Vec<String>,
    pub run_seconds: f64,
    /// Why the peer missed it without a run: its coverage says it never
    /// executes the mutated lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// As [`Judged::flaky`], for the peer's tests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flaky: Vec<String>,
}

/// The whole of `mutants.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MutantsFile {
    pub kernel: String,
    pub source: PathBuf,
    /// How tests were chosen: `all`, or `per-test coverage (FILE)`.
    pub selection: String,
    pub baseline: BaselineFacts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ksft_baseline: Option<BaselineFacts>,
    pub mutants: Vec<Judged>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineFacts {
    /// Tests that passed in both baseline runs: the ones that judge.
    pub passed: usize,
    pub flaky: Vec<String>,
    pub seconds: f64,
    /// A mutant's run past this is a timeout.
    pub limit_seconds: f64,
}

/// A file of an `--out` folder that could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {what}", path.display())]
pub struct FileError {
    pub path: PathBuf,
    pub what: String,
}

fn at(path: &Path) -> impl Fn(String) -> FileError + '_ {
    move |what| FileError {
        path: path.to_path_buf(),
        what,
    }
}

/// Writes `mutants.json` (whole or not at all: a temporary file renamed)
/// and `missed.txt`.
pub fn write(out: &Path, file: &MutantsFile) -> Result<(), FileError> {
    let json =
        serde_json::to_string_pretty(file).map_err(|e| at(&out.join(JSON))(e.to_string()))?;
    let tmp = out.join(format!(".{JSON}.tmp"));
    std::fs::write(&tmp, json + "\n").map_err(|e| at(&tmp)(e.to_string()))?;
    std::fs::rename(&tmp, out.join(JSON)).map_err(|e| at(&out.join(JSON))(e.to_string()))?;
    // Missed by every suite that ran.
    let missed: String = file
        .mutants
        .iter()
        .filter(|j| {
            j.outcome == Verdict::Missed && !j.ksft.as_ref().is_some_and(|k| caught(k.outcome))
        })
        .map(|j| format!("# {}\n{}\n", j.id, j.diff))
        .collect();
    std::fs::write(out.join(MISSED), missed).map_err(|e| at(&out.join(MISSED))(e.to_string()))?;
    std::fs::write(out.join(HTML), html(file)).map_err(|e| at(&out.join(HTML))(e.to_string()))?;
    Ok(())
}

/// What an earlier run in `out` judged, for `--resume`; none when it has
/// no `mutants.json`.
pub fn read(out: &Path) -> Result<Vec<Judged>, FileError> {
    let path = out.join(JSON);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(at(&path)(e.to_string())),
    };
    let file: MutantsFile = serde_json::from_str(&text)
        .map_err(|e| at(&path)(format!("not a mutants.json llconf wrote: {e}")))?;
    Ok(file.mutants)
}

pub fn caught(v: Verdict) -> bool {
    matches!(v, Verdict::Caught | Verdict::Timeout)
}

/// One line of progress: the verdict, and who noticed.
pub fn said(j: &Judged) -> String {
    let one = |v: Verdict, killers: &[String], flaky: &[String]| {
        let name = serde_json::to_value(v)
            .ok()
            .and_then(|x| x.as_str().map(str::to_string))
            .unwrap_or_default();
        let head: Vec<&str> = killers.iter().take(3).map(String::as_str).collect();
        let mut said = if head.is_empty() {
            name
        } else {
            format!("{name} by {}", head.join(", "))
        };
        if !flaky.is_empty() {
            said += &format!(" (flaky, failed once only: {})", flaky.join(", "));
        }
        said
    };
    match &j.ksft {
        Some(k) => format!(
            "llconf {}; ksft {}",
            one(j.outcome, &j.killers, &j.flaky),
            one(k.outcome, &k.killers, &k.flaky)
        ),
        None => one(j.outcome, &j.killers, &j.flaky),
    }
}

/// Per file: how many mutants were judged, the share each suite caught
/// (timeouts count as caught) and both together, and what could not be
/// judged.
/// With `--peer-on-missed` the selftests run only on what llconf missed;
/// their column then reads `caught/ran`, and `either` stays the union.
pub fn summary(judged: &[Judged]) -> String {
    #[derive(Default)]
    struct Row {
        judged: usize,
        llconf: usize,
        ksft: Option<usize>,
        /// Mutants the selftests ran on.
        ksft_run: usize,
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
                        r.ksft_run += 1;
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
            // Over the mutants they ran on, said when not all were
            // (`--peer-on-missed`).
            r.ksft.map_or("-".into(), |k| if r.ksft_run == r.judged {
                rate(k, r.judged)
            } else {
                format!(
                    "{k}/{} ({:.0}%)",
                    r.ksft_run,
                    100.0 * k as f64 / r.ksft_run as f64
                )
            }),
            rate(r.either, r.judged),
            r.unviable,
            r.not_compiled
        ));
    }
    s
}

/// What a mutant cost: the distribution of build + llconf's run over the
/// mutants that were built (the selftests' runs apart), against the
/// baseline, a full run of every test taken in the same run.
pub fn costs(file: &MutantsFile) -> Option<String> {
    let built: Vec<&Judged> = file
        .mutants
        .iter()
        .filter(|j| !matches!(j.outcome, Verdict::Unviable))
        .collect();
    if built.is_empty() {
        return None;
    }
    let quantile = |mut v: Vec<f64>, q: f64| {
        v.sort_by(f64::total_cmp);
        // Nearest rank.
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    };
    let cost: Vec<f64> = built
        .iter()
        .map(|j| j.build_seconds + j.run_seconds)
        .collect();
    let build: Vec<f64> = built.iter().map(|j| j.build_seconds).collect();
    let (median, p90) = (quantile(cost.clone(), 0.5), quantile(cost, 0.9));
    let full = file.baseline.seconds;
    let mut s = format!(
        "cost per mutant (build + llconf's run), over {} built: median {median:.1} s, \
         90th percentile {p90:.1} s (build alone: median {:.1} s); a full run of every test: \
         {full:.1} s, so the median mutant costs {:.2}x a full run",
        built.len(),
        quantile(build, 0.5),
        if full > 0.0 { median / full } else { 0.0 }
    );
    let peer: Vec<f64> = built
        .iter()
        .filter_map(|j| j.ksft.as_ref().map(|k| k.run_seconds))
        .collect();
    if !peer.is_empty() {
        let _ = write!(
            s,
            "; the kernel's selftests: median {:.1} s a run",
            quantile(peer, 0.5)
        );
    }
    Some(s)
}

/// `mutants.html`: one self-contained page (inline CSS, no script) with
/// the kill rates per file and every mutant's diff and killers, the missed
/// ones first.
pub fn html(file: &MutantsFile) -> String {
    use crate::html::esc;
    let name = |v: Verdict| {
        serde_json::to_value(v)
            .ok()
            .and_then(|x| x.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>llconf mutants: {kernel}</title><style>\
         body{{font:14px system-ui,sans-serif;margin:1.5em;color:#222}}\
         table{{border-collapse:collapse;margin:.5em 0 1.5em}}\
         td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}}\
         th{{background:#f3f3f3}} pre{{margin:.2em 0;background:#f8f8f8;padding:.3em;white-space:pre-wrap}}\
         td code{{overflow-wrap:anywhere}} td{{max-width:36em}}\
         .caught,.timeout{{color:#176f2c}} .missed{{color:#b00020;font-weight:bold}}\
         .unviable,.not-compiled{{color:#777}} code{{font-size:90%}}\
         </style></head><body>\n<h1>Mutants of {kernel}</h1>\n<p>Source: <code>{source}</code>. \
         Tests chosen: {selection}. llconf's baseline: {passed} tests passed in both runs \
         ({flaky} flaky), {secs:.0} s a run; a mutant's run past {limit:.0} s is a timeout.</p>\n",
        kernel = esc(&file.kernel),
        source = esc(&file.source.display().to_string()),
        selection = esc(&file.selection),
        passed = file.baseline.passed,
        flaky = file.baseline.flaky.len(),
        secs = file.baseline.seconds,
        limit = file.baseline.limit_seconds,
    );
    o.push_str("<h2>Kill rates</h2>\n<pre>");
    o.push_str(&esc(summary(&file.mutants).trim_matches('\n')));
    if let Some(c) = costs(file) {
        o.push_str("\n\n");
        o.push_str(&esc(&c));
    }
    o.push_str(
        "</pre>\n<h2>Every mutant</h2>\n<table><tr><th>mutant and its diff</th><th>llconf</th>",
    );
    let peer = file.mutants.iter().any(|j| j.ksft.is_some());
    if peer {
        o.push_str("<th>kernel selftests</th>");
    }
    o.push_str("</tr>\n");
    let mut order: Vec<&Judged> = file.mutants.iter().collect();
    order.sort_by_key(|j| (j.outcome != Verdict::Missed, j.outcome, j.id.clone()));
    let cell = |v: Verdict, killers: &[String], why: Option<&str>| {
        let mut c = format!("<td class=\"{0}\">{0}", name(v));
        for k in killers.iter().take(5) {
            let _ = write!(c, "<br><code>{}</code>", esc(k));
        }
        if killers.len() > 5 {
            let _ = write!(c, "<br>and {} more", killers.len() - 5);
        }
        if let Some(why) = why {
            let short: String = why
                .lines()
                .last()
                .unwrap_or(why)
                .chars()
                .take(200)
                .collect();
            let _ = write!(c, "<br><small>{}</small>", esc(&short));
        }
        c + "</td>"
    };
    for j in order {
        let _ = write!(
            o,
            "<tr id=\"{0}\"><td><code>{0}</code><pre>{1}</pre></td>",
            esc(&j.id),
            esc(j.diff.trim_end())
        );
        o.push_str(&cell(j.outcome, &j.killers, j.why.as_deref()));
        if peer {
            match &j.ksft {
                Some(k) => o.push_str(&cell(k.outcome, &k.killers, k.why.as_deref())),
                None => o.push_str("<td>-</td>"),
            }
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

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
            tests_run: 0,
            build_seconds: 0.0,
            run_seconds: 0.0,
            flaky: Vec::new(),
            ksft: None,
        };
        let mut peer = j("a.c", Verdict::Missed);
        peer.ksft = Some(PeerJudged {
            outcome: Verdict::Caught,
            killers: vec!["ksft::net_test::x".into()],
            run_seconds: 1.0,
            why: None,
            flaky: Vec::new(),
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
        // judged 4: llconf 2 of 4, ksft caught the one it ran on, either 3.
        assert_eq!(
            row("a.c"),
            ["a.c", "4", "2", "(50%)", "1/1", "(100%)", "3", "(75%)", "1", "0"]
        );
        assert_eq!(row("b.c"), ["b.c", "0", "-", "-", "-", "0", "1"]);
        assert!(s.trim_end().lines().last().unwrap().starts_with("total"));
    }

    #[test]
    fn mutants_json_follows_its_schema_and_reads_back() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../schema/mutants.schema.json")).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let facts = BaselineFacts {
            passed: 662,
            flaky: vec!["net::x::y::z".into()],
            seconds: 56.0,
            limit_seconds: 168.0,
        };
        let mutant = |outcome, why: Option<&str>, ksft| Judged {
            id: "security/landlock/net.c:120:10:error-to-success".into(),
            file: "security/landlock/net.c".into(),
            line: 120,
            operator: Operator::ErrorToSuccess,
            diff: "-\treturn -EACCES;\n+\treturn 0;\n".into(),
            outcome,
            killers: vec!["net::tcp::bind::denied".into()],
            why: why.map(str::to_string),
            tests_run: 12,
            build_seconds: 10.5,
            run_seconds: 3.2,
            flaky: Vec::new(),
            ksft,
        };
        let file = MutantsFile {
            kernel: "uml-7.3".into(),
            source: "/src/linux".into(),
            selection: "all".into(),
            baseline: facts.clone(),
            ksft_baseline: Some(facts),
            mutants: vec![
                mutant(Verdict::Caught, None, None),
                mutant(Verdict::Unviable, Some("error: x"), None),
                mutant(
                    Verdict::Missed,
                    None,
                    Some(PeerJudged {
                        outcome: Verdict::Timeout,
                        killers: vec![],
                        run_seconds: 300.0,
                        why: None,
                        flaky: Vec::new(),
                    }),
                ),
                mutant(
                    Verdict::Caught,
                    None,
                    Some(PeerJudged {
                        outcome: Verdict::Missed,
                        killers: vec![],
                        run_seconds: 0.0,
                        why: Some("the selftests execute none of the mutated lines".into()),
                        flaky: Vec::new(),
                    }),
                ),
            ],
        };
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), [], "no file: nothing judged yet");
        write(dir.path(), &file).unwrap();
        let text = std::fs::read_to_string(dir.path().join(JSON)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(read(dir.path()).unwrap(), file.mutants);
        let page = std::fs::read_to_string(dir.path().join(HTML)).unwrap();
        assert!(page.contains("security/landlock/net.c:120:10:error-to-success"));
        assert!(page.contains("<td class=\"missed\">missed"), "{page}");
        assert!(page.contains("return -EACCES;"));
        assert!(
            page.find("class=\"missed\"") < page.find("class=\"caught\""),
            "missed mutants come first"
        );
        let missed = std::fs::read_to_string(dir.path().join(MISSED)).unwrap();
        assert!(
            missed.is_empty(),
            "the missed one was caught by ksft: {missed}"
        );
        let mut bad = value.clone();
        bad["mutants"][0]["outcome"] = "survived".into();
        assert!(!validator.is_valid(&bad));
        std::fs::write(dir.path().join(JSON), "{").unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(format!("{err:#}").contains("mutants.json"), "{err:#}");
    }

    #[test]
    fn costs_give_the_median_and_90th_percentile_against_a_full_run() {
        let j = |build: f64, run: f64, outcome| Judged {
            id: "x.c:1:1:drop-call".into(),
            file: "x.c".into(),
            line: 1,
            operator: Operator::DropCall,
            diff: String::new(),
            outcome,
            killers: vec![],
            why: None,
            tests_run: 1,
            build_seconds: build,
            run_seconds: run,
            flaky: Vec::new(),
            ksft: None,
        };
        let mut mutants: Vec<Judged> = (1..=10)
            .map(|i| j(10.0, i as f64, Verdict::Caught))
            .collect();
        mutants.push(j(99.0, 0.0, Verdict::Unviable));
        let file = MutantsFile {
            kernel: "k".into(),
            source: "/s".into(),
            selection: "all".into(),
            baseline: BaselineFacts {
                passed: 1,
                flaky: vec![],
                seconds: 60.0,
                limit_seconds: 180.0,
            },
            ksft_baseline: None,
            mutants,
        };
        let c = costs(&file).unwrap();
        assert!(
            c.contains("over 10 built: median 15.0 s, 90th percentile 19.0 s"),
            "{c}"
        );
        assert!(c.contains("build alone: median 10.0 s"), "{c}");
        assert!(c.contains("0.25x a full run"), "{c}");
    }
}
