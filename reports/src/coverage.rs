//! Kernel line and function coverage, read from lcov tracefiles (`.info`),
//! for `llconf coverage`: per file and in total, two runs side by side
//! (llconf and the kernel's own selftests on the same build), their union,
//! and the lines only one of them reaches, grouped by function.
//!
//! A tracefile is a list of records, one per source file:
//! `SF:<path>`, `FN:<line>[,<end>],<name>`, `FNDA:<hits>,<name>`,
//! `DA:<line>,<hits>[,<checksum>]`, ..., `end_of_record`. Counts are
//! recomputed from the `DA` and `FNDA` lines rather than trusted from
//! `LF`/`LH`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What one run executed, per source file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tracefile {
    /// Keyed by the path relative to the measured directory (`fs.c`).
    pub files: BTreeMap<String, FileLines>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileLines {
    /// Executable line → times run.
    pub lines: BTreeMap<u32, u64>,
    /// Function name → its first line and times called.
    pub functions: BTreeMap<String, Function>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Function {
    pub line: u32,
    pub hits: u64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("line {line} of the tracefile: {what}")]
pub struct ParseError {
    pub line: usize,
    pub what: String,
}

impl Tracefile {
    /// Reads a tracefile, keeping the files under `dir` (a path component
    /// such as `security/landlock`), keyed by the rest of their path.
    pub fn parse(text: &str, dir: &str) -> Result<Tracefile, ParseError> {
        let marker = format!("{}/", dir.trim_matches('/'));
        let mut t = Tracefile::default();
        let mut current: Option<(String, FileLines)> = None;
        for (n, raw) in text.lines().enumerate() {
            let err = |what: &str| ParseError {
                line: n + 1,
                what: format!("{what}: {raw}"),
            };
            let line = raw.trim();
            if line == "end_of_record" {
                if let Some((name, f)) = current.take() {
                    t.merge_file(name, f);
                }
                continue;
            }
            let Some((tag, value)) = line.split_once(':') else {
                continue;
            };
            if tag == "SF" {
                let kept = value
                    .find(&marker)
                    .map(|i| value[i + marker.len()..].to_string());
                current = Some((kept.unwrap_or_default(), FileLines::default()));
                continue;
            }
            let Some((_, f)) = current.as_mut() else {
                continue;
            };
            let num = |s: &str| s.trim().parse::<u64>().map_err(|_| err("not a number"));
            // gcov's counters are not atomic: on several CPUs they can be
            // inconsistent, and lcov then derives a negative count for a
            // line that ran. It ran.
            let count = |s: &str| match s.trim().parse::<i64>() {
                Ok(n) if n < 0 => Ok(1),
                Ok(n) => Ok(n as u64),
                Err(_) => Err(err("not a number")),
            };
            match tag {
                "DA" => {
                    let mut parts = value.split(',');
                    let l = num(parts.next().unwrap_or(""))? as u32;
                    let hits = count(parts.next().ok_or_else(|| err("DA without a count"))?)?;
                    *f.lines.entry(l).or_default() += hits;
                }
                "FN" => {
                    let (first, name) = value
                        .rsplit_once(',')
                        .ok_or_else(|| err("FN without a name"))?;
                    let start = num(first.split(',').next().unwrap_or(""))? as u32;
                    f.functions.entry(name.to_string()).or_default().line = start;
                }
                "FNDA" => {
                    let (hits, name) = value
                        .split_once(',')
                        .ok_or_else(|| err("FNDA without a name"))?;
                    f.functions.entry(name.to_string()).or_default().hits += count(hits)?;
                }
                _ => {}
            }
        }
        // Files outside `dir` were read under an empty name: drop them.
        t.files.remove("");
        Ok(t)
    }

    fn merge_file(&mut self, name: String, f: FileLines) {
        let into = self.files.entry(name).or_default();
        for (l, hits) in f.lines {
            *into.lines.entry(l).or_default() += hits;
        }
        for (name, func) in f.functions {
            let e = into.functions.entry(name).or_default();
            e.line = func.line;
            e.hits += func.hits;
        }
    }

    /// What either run executed.
    pub fn union(&self, other: &Tracefile) -> Tracefile {
        let mut u = self.clone();
        for (name, f) in &other.files {
            u.merge_file(name.clone(), f.clone());
        }
        u
    }

    pub fn summary(&self) -> Summary {
        let files: Vec<FileSummary> = self
            .files
            .iter()
            .map(|(name, f)| FileSummary {
                file: name.clone(),
                lines: Ratio::of(f.lines.values()),
                functions: Ratio::of(f.functions.values().map(|x| &x.hits)),
                per_function: f.per_function(),
            })
            .collect();
        let mut total = FileSummary {
            file: "total".into(),
            ..Default::default()
        };
        for f in &files {
            total.lines.add(f.lines);
            total.functions.add(f.functions);
        }
        Summary { files, total }
    }

    /// The lines `self` executes and `other` does not, grouped by file and
    /// by the function they are in (the function starting last before the
    /// line; `-` before the first).
    pub fn only_here(&self, other: &Tracefile) -> Vec<Reached> {
        let mut out = Vec::new();
        for (name, f) in &self.files {
            let theirs = other.files.get(name);
            let mut by_function: BTreeMap<(u32, &str), Vec<u32>> = BTreeMap::new();
            for (&l, &hits) in &f.lines {
                let missed = theirs.and_then(|t| t.lines.get(&l)).is_none_or(|h| *h == 0);
                if hits > 0 && missed {
                    let name = f.function_of(l).unwrap_or("-");
                    let start = f.functions.get(name).map_or(0, |x| x.line);
                    by_function.entry((start, name)).or_default().push(l);
                }
            }
            for ((_, function), lines) in by_function {
                out.push(Reached {
                    file: name.clone(),
                    function: function.to_string(),
                    lines,
                });
            }
        }
        out
    }
}

impl FileLines {
    /// The function a line is in: the one starting last before it.
    fn function_of(&self, line: u32) -> Option<&str> {
        self.functions
            .iter()
            .filter(|(_, f)| f.line <= line)
            .max_by_key(|(_, f)| f.line)
            .map(|(n, _)| n.as_str())
    }

    fn per_function(&self) -> Vec<FunctionSummary> {
        let mut out: BTreeMap<&str, FunctionSummary> = self
            .functions
            .iter()
            .map(|(n, f)| {
                let s = FunctionSummary {
                    name: n.clone(),
                    line: f.line,
                    calls: f.hits,
                    lines: Ratio::default(),
                };
                (n.as_str(), s)
            })
            .collect();
        for (&l, &hits) in &self.lines {
            if let Some(f) = self.function_of(l).and_then(|n| out.get_mut(n)) {
                f.lines.add(Ratio {
                    hit: usize::from(hits > 0),
                    total: 1,
                });
            }
        }
        let mut v: Vec<FunctionSummary> = out.into_values().collect();
        v.sort_by_key(|f| f.line);
        v
    }
}

/// One function of a file: how often it was called, and its lines.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FunctionSummary {
    pub name: String,
    /// Its first line.
    pub line: u32,
    pub calls: u64,
    pub lines: Ratio,
}

/// Lines a run reaches that another does not, in one function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reached {
    pub file: String,
    pub function: String,
    pub lines: Vec<u32>,
}

/// How many of something ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ratio {
    pub hit: usize,
    pub total: usize,
}

impl Ratio {
    fn of<'a>(counts: impl Iterator<Item = &'a u64>) -> Ratio {
        let mut r = Ratio::default();
        for c in counts {
            r.total += 1;
            r.hit += usize::from(*c > 0);
        }
        r
    }

    fn add(&mut self, other: Ratio) {
        self.hit += other.hit;
        self.total += other.total;
    }

    /// `93.7%`; `-` for nothing to count.
    pub fn percent(&self) -> String {
        if self.total == 0 {
            return "-".into();
        }
        format!("{:.1}%", 100.0 * self.hit as f64 / self.total as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileSummary {
    pub file: String,
    pub lines: Ratio,
    pub functions: Ratio,
    /// In source order; empty for the total.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_function: Vec<FunctionSummary>,
}

/// Per file and in total: the body of `coverage.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub files: Vec<FileSummary>,
    pub total: FileSummary,
}

impl Summary {
    fn file(&self, name: &str) -> Option<&FileSummary> {
        if name == "total" {
            return Some(&self.total);
        }
        self.files.iter().find(|f| f.file == name)
    }
}

/// `coverage.json`: what one `llconf coverage` measured.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CoverageReport {
    /// The kernel definition, and what it was built from.
    pub kernel: String,
    pub release: String,
    pub packages: Vec<String>,
    /// The directory measured, in the kernel's source.
    pub directory: String,
    /// `llconf`, and with a peer `ksft` and `union`, in that order.
    pub columns: Vec<Column>,
    /// Per run with a peer: the lines it reaches and the other does not.
    #[serde(default)]
    pub only: BTreeMap<String, Vec<Reached>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub summary: Summary,
}

impl CoverageReport {
    pub fn column(&self, name: &str) -> Option<&Summary> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.summary)
    }
}

/// Two measurements of the same run (`llconf` unless asked otherwise),
/// file by file: what a change to the suites did to the count.
pub fn diff(old: &Summary, new: &Summary) -> String {
    let mut names: Vec<&str> = old
        .files
        .iter()
        .chain(&new.files)
        .map(|f| f.file.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.push("total");
    let mut rows = vec![vec![
        "file".to_string(),
        "old".into(),
        "new".into(),
        "lines".into(),
    ]];
    for name in names {
        let (o, n) = (old.file(name), new.file(name));
        let hit = |f: Option<&FileSummary>| f.map_or(0, |f| f.lines.hit) as i64;
        let delta = hit(n) - hit(o);
        let pct = |f: Option<&FileSummary>| f.map_or("-".into(), |f| f.lines.percent());
        rows.push(vec![
            name.to_string(),
            pct(o),
            pct(n),
            if delta == 0 {
                "=".into()
            } else {
                format!("{delta:+}")
            },
        ]);
    }
    align(rows)
}

fn align(rows: Vec<Vec<String>>) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Every file of any run, sorted, then `total`.
fn row_names<'a>(columns: &[(&str, &'a Summary)]) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    for (_, s) in columns {
        for f in &s.files {
            if !names.contains(&f.file.as_str()) {
                names.push(&f.file);
            }
        }
    }
    names.sort_unstable();
    names.push("total");
    names
}

/// Runs side by side, a row per file and the total: lines and functions
/// of each, as a Markdown table (a CI job summary).
pub fn markdown(columns: &[(&str, &Summary)]) -> String {
    let names = row_names(columns);
    let mut out = String::from("| file |");
    for (name, _) in columns {
        let _ = write!(out, " {name} lines | {name} functions |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|---:|".repeat(columns.len()));
    out.push('\n');
    for file in names {
        let bold = |s: String| {
            if file == "total" {
                format!("**{s}**")
            } else {
                s
            }
        };
        let _ = write!(out, "| {} |", bold(file.to_string()));
        for (_, s) in columns {
            match s.file(file) {
                Some(f) => {
                    let _ = write!(
                        out,
                        " {} | {} |",
                        bold(format!(
                            "{} ({}/{})",
                            f.lines.percent(),
                            f.lines.hit,
                            f.lines.total
                        )),
                        bold(format!("{}/{}", f.functions.hit, f.functions.total))
                    );
                }
                None => out.push_str(" - | - |"),
            }
        }
        out.push('\n');
    }
    out
}

/// The same for a terminal: aligned columns of line coverage.
pub fn text(columns: &[(&str, &Summary)]) -> String {
    let mut rows: Vec<Vec<String>> = vec![std::iter::once("file".to_string())
        .chain(columns.iter().map(|(n, _)| n.to_string()))
        .collect()];
    let names = row_names(columns);
    for file in names {
        let mut row = vec![file.to_string()];
        for (_, s) in columns {
            row.push(s.file(file).map_or("-".into(), |f| {
                format!("{} of {}", f.lines.percent(), f.lines.total)
            }));
        }
        rows.push(row);
    }
    align(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "TN:\nSF:/b/src/security/landlock/fs.c\nFN:10,hook_a\nFN:20,22,hook_b\n\
        FNDA:3,hook_a\nFNDA:0,hook_b\nFNF:2\nFNH:1\nDA:11,3\nDA:12,0\nDA:21,0\nLF:3\nLH:1\n\
        end_of_record\nSF:/b/src/kernel/fork.c\nDA:1,1\nend_of_record\n\
        SF:/b/src/security/landlock/net.c\nFN:5,hook_c\nFNDA:1,hook_c\nDA:6,1,abcd\nend_of_record\n";
    const TWO: &str = "SF:/b/src/security/landlock/fs.c\nFN:10,hook_a\nFN:20,hook_b\n\
        FNDA:0,hook_a\nFNDA:2,hook_b\nDA:11,0\nDA:12,0\nDA:21,2\nend_of_record\n";

    #[test]
    fn a_tracefile_reads_into_files_of_the_directory() {
        let t = Tracefile::parse(ONE, "security/landlock").unwrap();
        assert_eq!(t.files.keys().collect::<Vec<_>>(), ["fs.c", "net.c"]);
        let fs = &t.files["fs.c"];
        assert_eq!(fs.lines[&11], 3);
        assert_eq!(fs.functions["hook_b"], Function { line: 20, hits: 0 });
        let s = t.summary();
        assert_eq!(s.total.lines, Ratio { hit: 2, total: 4 });
        assert_eq!(s.total.functions, Ratio { hit: 2, total: 3 });
        assert_eq!(s.total.lines.percent(), "50.0%");
        let fs_functions = &s.files[0].per_function;
        assert_eq!(fs_functions[0].name, "hook_a");
        assert_eq!(fs_functions[0].lines, Ratio { hit: 1, total: 2 });
        assert_eq!((fs_functions[1].calls, fs_functions[1].lines.total), (0, 1));
        let racy = Tracefile::parse(
            "SF:/x/security/landlock/a.c\nDA:3,-1\nend_of_record\n",
            "security/landlock",
        );
        assert_eq!(
            racy.unwrap().files["a.c"].lines[&3],
            1,
            "a negative count ran"
        );
        let bad = Tracefile::parse("SF:/x/security/landlock/a.c\nDA:x,1\n", "security/landlock");
        assert_eq!(bad.unwrap_err().line, 2);
    }

    #[test]
    fn an_added_run_moves_the_count() {
        let one = Tracefile::parse(ONE, "security/landlock").unwrap();
        let two = Tracefile::parse(TWO, "security/landlock").unwrap();
        let u = one.union(&two);
        assert_eq!(u.summary().total.lines, Ratio { hit: 3, total: 4 });
        assert!(u.summary().total.lines.hit > one.summary().total.lines.hit);
        assert_eq!(
            one.only_here(&two),
            [
                Reached {
                    file: "fs.c".into(),
                    function: "hook_a".into(),
                    lines: vec![11]
                },
                Reached {
                    file: "net.c".into(),
                    function: "hook_c".into(),
                    lines: vec![6]
                }
            ]
        );
        assert_eq!(
            two.only_here(&one),
            [Reached {
                file: "fs.c".into(),
                function: "hook_b".into(),
                lines: vec![21]
            }]
        );
    }

    #[test]
    fn tables_put_runs_side_by_side() {
        let one = Tracefile::parse(ONE, "security/landlock")
            .unwrap()
            .summary();
        let two = Tracefile::parse(TWO, "security/landlock")
            .unwrap()
            .summary();
        let md = markdown(&[("llconf", &one), ("ksft", &two)]);
        assert!(
            md.starts_with("| file | llconf lines | llconf functions | ksft lines |"),
            "{md}"
        );
        assert!(
            md.contains("| fs.c | 33.3% (1/3) | 1/2 | 33.3% (1/3) | 1/2 |"),
            "{md}"
        );
        assert!(
            md.contains("| net.c | 100.0% (1/1) | 1/1 | - | - |"),
            "{md}"
        );
        assert!(md.contains("| **total** | **50.0% (2/4)** |"), "{md}");
        let d = diff(&two, &one);
        assert!(d.contains("net.c  -"), "{d}");
        assert!(
            d.lines()
                .any(|l| l.starts_with("total") && l.ends_with("+1")),
            "{d}"
        );
        let t = text(&[("llconf", &one)]);
        assert!(t.lines().last().unwrap().starts_with("total"), "{t}");
        assert!(t.contains("50.0% of 4"), "{t}");
    }
}
