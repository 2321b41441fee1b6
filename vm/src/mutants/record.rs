//! What `llconf mutants` writes and prints of its verdicts:
//! `mutants.json` (described by `reports/schema/mutants.schema.json`), read back
//! by `--resume`; `missed.txt`; the summary table and the line said of each
//! mutant.

use crate::mutants::judge::Verdict;
use crate::mutants::points::Operator;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The files of an `--out` folder.
pub const JSON: &str = "mutants.json";
pub const MISSED: &str = "missed.txt";

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
    /// With `--peer ksft`: the kernel's selftests on the same mutant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ksft: Option<PeerJudged>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerJudged {
    pub outcome: Verdict,
    pub killers: Vec<String>,
    pub run_seconds: f64,
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

/// Writes `mutants.json` (whole or not at all: a temporary file renamed)
/// and `missed.txt`.
pub fn write(out: &Path, file: &MutantsFile) -> Result<()> {
    let json = serde_json::to_string_pretty(file)? + "\n";
    let tmp = out.join(format!(".{JSON}.tmp"));
    std::fs::write(&tmp, json).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, out.join(JSON))
        .with_context(|| format!("writing {}", out.join(JSON).display()))?;
    // Missed by every suite that ran.
    let missed: String = file
        .mutants
        .iter()
        .filter(|j| {
            j.outcome == Verdict::Missed && !j.ksft.as_ref().is_some_and(|k| caught(k.outcome))
        })
        .map(|j| format!("# {}\n{}\n", j.id, j.diff))
        .collect();
    std::fs::write(out.join(MISSED), missed)
        .with_context(|| format!("writing {}", out.join(MISSED).display()))?;
    Ok(())
}

/// What an earlier run in `out` judged, for `--resume`; none when it has
/// no `mutants.json`.
pub fn read(out: &Path) -> Result<Vec<Judged>> {
    let path = out.join(JSON);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let file: MutantsFile = serde_json::from_str(&text).with_context(|| {
        format!(
            "--resume: {} is not a mutants.json llconf wrote",
            path.display()
        )
    })?;
    Ok(file.mutants)
}

pub fn caught(v: Verdict) -> bool {
    matches!(v, Verdict::Caught | Verdict::Timeout)
}

/// One line of progress: the verdict, and who noticed.
pub fn said(j: &Judged) -> String {
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
pub fn summary(judged: &[Judged]) -> String {
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

    #[test]
    fn mutants_json_follows_its_schema_and_reads_back() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../reports/schema/mutants.schema.json"))
                .unwrap();
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
}
