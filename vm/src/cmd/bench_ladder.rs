//! `llconf bench --ladder`: what the default ladder costs, per target and
//! in total. It runs `llconf run` (every default kernel and variant, from
//! the cache) or reads a finished run (`--from`), and measures in the same
//! invocation the two baselines every figure is a ratio to:
//!
//! - the floor: a bare qemu boot of `--kernel` with an init that powers
//!   off at once (`bench`'s floor);
//! - the host: the same suite binaries run on this machine's kernel.
//!
//! Per target: boot, run (the VM's time after its boot), the cases
//! executed (passed, failed or known; a skip costs no test process in
//! most suites), the cost of a case, and boot / floor and case / host
//! case. `--before` prints an earlier run's table beside, with the ratios
//! of the totals.

use crate::cli::BenchArgs;
use crate::cmd::bench::{self, Baselines};
use anyhow::{bail, Context, Result};
use llconf_reports::run_results::{self, Column, Run};
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

/// One target of a ladder run.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub target: String,
    pub backend: String,
    pub boot: Option<f64>,
    pub elapsed: Option<f64>,
    /// Passed, failed and known failures: the cases that ran a body.
    pub executed: usize,
    pub skipped: usize,
}

impl Row {
    fn of(c: &Column) -> Row {
        let mut executed = 0;
        let mut skipped = 0;
        for s in &c.suites {
            let n = s.counts();
            executed += n.passed + n.failed + n.known_failures;
            skipped += n.skipped;
        }
        let meta = c.meta.as_ref();
        Row {
            target: c.id.clone(),
            backend: meta.map(|m| m.backend.clone()).unwrap_or_default(),
            boot: meta.and_then(|m| m.boot_seconds),
            elapsed: meta.and_then(|m| m.elapsed_seconds),
            executed,
            skipped,
        }
    }

    /// The VM's time after its boot.
    fn run(&self) -> Option<f64> {
        Some(self.elapsed? - self.boot.unwrap_or(0.0))
    }

    /// Seconds per executed case, after the boot.
    fn per_case(&self) -> Option<f64> {
        (self.executed > 0).then(|| self.run().map(|r| r / self.executed as f64))?
    }
}

pub fn rows(run: &Run) -> Vec<Row> {
    run.columns.iter().map(Row::of).collect()
}

/// The table: a line per target, then the totals; `wall` is the ladder's
/// wall time where it was measured.
pub fn render(rows: &[Row], base: Baselines, wall: Option<f64>) -> String {
    let ratio = |x: Option<f64>, b: f64| x.map_or("-".into(), |x| format!("{:.1}x", x / b));
    let secs = |x: Option<f64>| x.map_or("-".into(), |x| format!("{x:.1} s"));
    let ms = |x: Option<f64>| x.map_or("-".into(), |x| format!("{:.0} ms", x * 1e3));
    let header = [
        "target",
        "backend",
        "boot",
        "run",
        "executed",
        "skipped",
        "per case",
        "boot/floor",
        "case/host",
    ];
    let mut table: Vec<Vec<String>> = Vec::new();
    for r in rows {
        table.push(vec![
            r.target.clone(),
            r.backend.clone(),
            secs(r.boot),
            secs(r.run()),
            r.executed.to_string(),
            r.skipped.to_string(),
            ms(r.per_case()),
            ratio(r.boot, base.floor),
            ratio(r.per_case(), base.host_case),
        ]);
    }
    let boot: f64 = rows.iter().filter_map(|r| r.boot).sum();
    let run: f64 = rows.iter().filter_map(|r| r.run()).sum();
    let executed: usize = rows.iter().map(|r| r.executed).sum();
    let skipped: usize = rows.iter().map(|r| r.skipped).sum();
    let per_case = (executed > 0).then(|| run / executed as f64);
    table.push(vec![
        "total (VM time)".into(),
        String::new(),
        secs(Some(boot)),
        secs(Some(run)),
        executed.to_string(),
        skipped.to_string(),
        ms(per_case),
        ratio(Some(boot / rows.len().max(1) as f64), base.floor),
        ratio(per_case, base.host_case),
    ]);
    let mut out = llconf_reports::text::table(&header, &table);
    out += &format!(
        "\nfloor (bare qemu boot): {:.2} s; host: {:.1} ms a case{}\n",
        base.floor,
        base.host_case * 1e3,
        wall.map_or(String::new(), |w| format!(
            "; the ladder's wall time: {w:.0} s ({:.1} min)",
            w / 60.0
        ))
    );
    out
}

/// The totals of two tables, after against before.
pub fn compare(before: &[Row], after: &[Row]) -> String {
    let total = |rows: &[Row], f: fn(&Row) -> Option<f64>| rows.iter().filter_map(f).sum::<f64>();
    let cases = |rows: &[Row]| rows.iter().map(|r| r.executed).sum::<usize>();
    let per = |rows: &[Row]| total(rows, Row::run) / cases(rows).max(1) as f64;
    format!(
        "after / before: boot {:.2}x, run {:.2}x, VM time {:.2}x, per case {:.2}x \
         ({} cases executed before, {} after)\n",
        total(after, |r| r.boot) / total(before, |r| r.boot),
        total(after, Row::run) / total(before, Row::run),
        total(after, |r| r.elapsed) / total(before, |r| r.elapsed),
        per(after) / per(before),
        cases(before),
        cases(after)
    )
}

pub fn bench_ladder(root: &Path, kernels_dir: &Path, args: BenchArgs) -> Result<ExitCode> {
    // Bad input before minutes of ladder: the floor's kernel must exist.
    crate::kernel::catalogue::Catalogue::load(kernels_dir)?
        .select(std::slice::from_ref(&args.kernel))?;
    let out = std::path::absolute(&args.out)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let (run_dir, wall, run_ok) = match &args.from {
        Some(dir) => (dir.clone(), None, true),
        None => {
            let dir = out.join("ladder");
            let (wall, ok) = run_the_ladder(&dir, &args)?;
            (dir, Some(wall), ok)
        }
    };
    let run = run_results::load(&run_dir)
        .with_context(|| format!("reading the run in {}", run_dir.display()))?;
    if run.columns.is_empty() {
        bail!("{} holds no target of a run", run_dir.display());
    }
    let base = bench::baselines(root, kernels_dir, &args, &out)?;
    let after = rows(&run);
    println!("the ladder in {}:\n", run_dir.display());
    if !run_ok {
        println!("(the run had failures: see its summary above; the bench fails with it)\n");
    }
    print!("{}", render(&after, base, wall));
    if let Some(before) = &args.before {
        let b = run_results::load(before)
            .with_context(|| format!("reading the run in {}", before.display()))?;
        let before_rows = rows(&b);
        println!("\nbefore: {}\n", before.display());
        print!("{}", render(&before_rows, base, None));
        println!();
        print!("{}", compare(&before_rows, &after));
    }
    Ok(if run_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `llconf run --out DIR`, the default ladder, with this binary; its wall
/// time and whether it passed.
fn run_the_ladder(dir: &Path, args: &BenchArgs) -> Result<(f64, bool)> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("run").arg("--out").arg(dir);
    if let Some(bins) = &args.suites.bins {
        cmd.arg("--bins").arg(bins);
    }
    if let Some(a) = args.accel {
        cmd.args(["--accel", &a.to_string()]);
    }
    let start = Instant::now();
    let status = cmd.status().context("running `llconf run`")?;
    match status.code() {
        Some(0) => Ok((start.elapsed().as_secs_f64(), true)),
        // Verdicts failed: the run is whole, its costs are still worth a
        // table, and the bench fails with it.
        Some(1) => Ok((start.elapsed().as_secs_f64(), false)),
        // Refused (bad input, the folder held by another run: its files
        // are not this run's), interrupted, or killed: nothing to measure.
        _ => bail!(
            "`llconf run --out {}` ended with {status}: the ladder did not run to its end, \
             so there is nothing to benchmark",
            dir.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(target: &str, boot: f64, elapsed: f64, executed: usize) -> Row {
        Row {
            target: target.into(),
            backend: "qemu-initramfs".into(),
            boot: Some(boot),
            elapsed: Some(elapsed),
            executed,
            skipped: 3,
        }
    }

    #[test]
    fn a_case_costs_the_run_after_boot_over_the_cases_executed() {
        let r = row("debian-7.3-default", 5.0, 105.0, 1000);
        assert_eq!(r.run(), Some(100.0));
        assert_eq!(r.per_case(), Some(0.1));
        assert_eq!(row("off", 5.0, 6.0, 0).per_case(), None);
        let text = render(
            &[r, row("debian-6.1-default", 4.0, 24.0, 100)],
            Baselines {
                floor: 2.0,
                host_case: 0.01,
            },
            Some(300.0),
        );
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].contains("100 ms") && lines[1].contains("2.5x") && lines[1].contains("10.0x"),
            "{text}"
        );
        assert!(
            lines[3].starts_with("total (VM time)") && lines[3].contains("1100"),
            "{text}"
        );
        assert!(text.contains("wall time: 300 s (5.0 min)"), "{text}");
    }

    #[test]
    fn the_comparison_is_of_totals() {
        let before = [row("a", 30.0, 330.0, 1000)];
        let after = [row("a", 5.0, 105.0, 1000)];
        let text = compare(&before, &after);
        assert!(text.contains("boot 0.17x, run 0.33x"), "{text}");
        assert!(text.contains("per case 0.33x"), "{text}");
    }
}
