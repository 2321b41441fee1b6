//! `llconf diff OLD NEW`: regressions, fixes and moves between skipped and
//! executed, between two runs or two targets of one run.

use crate::cli::{DiffArgs, DiffFormat};
use anyhow::Result;
use llconf_reports::diff;
use llconf_reports::run_results::{self, Column};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `PATH#TARGET` or `PATH`. A path that exists as written wins, so that a
/// `#` in a file name still works.
pub fn parse_side(spec: &str) -> (PathBuf, Option<String>) {
    if Path::new(spec).exists() {
        return (PathBuf::from(spec), None);
    }
    match spec.rsplit_once('#') {
        Some((path, target)) if !target.is_empty() => {
            (PathBuf::from(path), Some(target.to_string()))
        }
        _ => (PathBuf::from(spec), None),
    }
}

fn load_side(spec: &str) -> Result<Column> {
    let (path, target) = parse_side(spec);
    let run = run_results::load(&path)?;
    match target {
        Some(t) => Ok(run.find_column(&t)?.clone()),
        None => match run.columns.as_slice() {
            [one] => Ok(one.clone()),
            _ => anyhow::bail!(
                "`{spec}` holds {} targets; name one as {}#TARGET, TARGET one of: {}",
                run.columns.len(),
                path.display(),
                run.ids().join(", ")
            ),
        },
    }
}

pub fn diff(args: DiffArgs) -> Result<ExitCode> {
    let old = load_side(&args.old)?;
    let new = load_side(&args.new)?;
    let label = |spec: &str, c: &Column| {
        let (path, _) = parse_side(spec);
        format!("{}#{}", path.display(), c.id)
    };
    let d = diff::diff(
        (&label(&args.old, &old), &old),
        (&label(&args.new, &new), &new),
    );
    match args.format {
        DiffFormat::Text => print!("{}", diff::render_text(&d)),
        DiffFormat::Json => println!("{}", serde_json::to_string_pretty(&d)?),
        DiffFormat::Markdown => print!("{}", diff::render_markdown(&d)),
    }
    Ok(if d.has_regressions() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_follows_the_last_hash() {
        assert_eq!(
            parse_side("no/such/out#debian-6.12-default"),
            (
                PathBuf::from("no/such/out"),
                Some("debian-6.12-default".into())
            )
        );
        assert_eq!(
            parse_side("no/such/out"),
            (PathBuf::from("no/such/out"), None)
        );
        assert_eq!(
            parse_side("no/such/out#"),
            (PathBuf::from("no/such/out#"), None)
        );
    }
}
