//! `llconf report RUN...`: the kernel × test matrix of finished runs, as
//! `report.html` and `report.md`; or, for the `--out` folder of `llconf
//! mutants`, its page `mutants.html` and its summary, written again from
//! `mutants.json`.

use crate::cli::ReportArgs;
use anyhow::{Context, Result};
use llconf_reports::matrix::Matrix;
use llconf_reports::text::count;
use llconf_reports::{html, kcidb, markdown, mutants, run_results};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn report(args: ReportArgs) -> Result<ExitCode> {
    if let [dir] = args.runs.as_slice() {
        if dir.join(mutants::JSON).is_file() {
            return mutants_page(dir);
        }
    }
    let run = run_results::load_all(&args.runs)?;
    for line in &run.unreadable {
        eprintln!("warning: not a record, skipped: {line}");
    }
    let matrix = Matrix::from_run(&run);
    // Next to the run, whether it was named by directory or file; for
    // several, in the current directory, so that no run's own report is
    // overwritten by a merged one.
    let first = &args.runs[0];
    let base: PathBuf = if args.runs.len() > 1 {
        PathBuf::from(".")
    } else if first.is_dir() {
        first.clone()
    } else {
        first
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let html_path = args.html.unwrap_or_else(|| base.join("report.html"));
    let md_path = args.md.unwrap_or_else(|| base.join("report.md"));
    let page = html::Page {
        source: args
            .runs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        generated: generated_at(),
        base: html_path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .and_then(|p| std::path::absolute(p).ok()),
    };
    write(&html_path, &html::render(&matrix, &page))?;
    write(&md_path, &markdown::render(&matrix))?;
    if args.github_annotations {
        print!("{}", llconf_reports::annotations::github(&run));
    }
    if let Some(path) = &args.kcidb {
        let origin = &args.kcidb_origin;
        if origin.is_empty()
            || !origin
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            anyhow::bail!("--kcidb-origin {origin:?}: KCIDB wants [a-z0-9_]+");
        }
        let id = args.kcidb_run_id.clone().unwrap_or_else(run_stamp);
        let data = kcidb::render(&run, origin, &id);
        write(path, &(serde_json::to_string_pretty(&data)? + "\n"))?;
    }
    let mut t = llconf_reports::matrix::Tally::default();
    for h in &matrix.heads {
        t.add_tally(&h.tally);
    }
    println!(
        "{} × {}: {} passed, {} failed, {} errors, {} known failures, {} skipped",
        count(matrix.heads.len(), "target"),
        count(matrix.rows.len(), "test"),
        t.pass,
        t.fail,
        t.error,
        t.known,
        t.skip
    );
    for h in &matrix.heads {
        for p in &h.problems {
            println!("FAILED {}: {p}", h.id);
        }
    }
    for (h, issues) in matrix.known_by_target() {
        println!(
            "known on {}: {}",
            h.id,
            issues
                .iter()
                .map(|k| k.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!("HTML report: {}", html_path.display());
    println!("Markdown summary: {}", md_path.display());
    Ok(ExitCode::SUCCESS)
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// `YYYYMMDDhhmmss` of now, for KCIDB ids.
fn run_stamp() -> String {
    let (y, m, d, h, mi, sec) = now_utc();
    format!("{y:04}{m:02}{d:02}{h:02}{mi:02}{sec:02}")
}

/// `generated 2025-06-01 12:00 UTC`.
fn generated_at() -> String {
    let (y, m, d, h, mi, _) = now_utc();
    format!("generated {y:04}-{m:02}-{d:02} {h:02}:{mi:02} UTC")
}

/// Now as UTC date and time; `SOURCE_DATE_EPOCH` pins it, for reproducible
/// reports.
fn now_utc() -> (i64, u32, u32, i64, i64, i64) {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn mutants_page(dir: &Path) -> Result<ExitCode> {
    let path = dir.join(mutants::JSON);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let file: mutants::MutantsFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a mutants.json of llconf", path.display()))?;
    let page = dir.join(mutants::HTML);
    write(&page, &mutants::html(&file))?;
    print!("{}", mutants::summary(&file.mutants));
    if let Some(c) = mutants::costs(&file) {
        println!("\n{c}");
    }
    println!("\nHTML report: {}", page.display());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_gregorian() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }
}
