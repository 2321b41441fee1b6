//! `llconf ci matrix`: the job matrix of a CI pipeline, from kernels/.

use crate::ci::matrix;
use crate::cli::{CiFormat, CiMatrixArgs};
use crate::kernel::catalogue::Catalogue;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::ExitCode;

pub fn matrix(root: &Path, kernels_dir: &Path, args: CiMatrixArgs) -> Result<ExitCode> {
    let catalogue = Catalogue::load(kernels_dir)?;
    let jobs = matrix::jobs(&catalogue)?;
    if jobs.is_empty() {
        // An empty matrix is a pipeline that tests nothing and ends green.
        bail!(
            "no kernel of {} is marked for CI (`default = true` or `ci = true`)",
            kernels_dir.display()
        );
    }
    let out = match args.format {
        // One line: `echo "matrix=$(llconf ci matrix --format github)" >> $GITHUB_OUTPUT`.
        CiFormat::Github => serde_json::to_string(&matrix::github(&jobs))?,
        CiFormat::Gitlab => {
            let path = args
                .templates
                .unwrap_or_else(|| root.join("ci/gitlab/kernel-jobs.yml"));
            let templates = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the job templates {}", path.display()))?;
            matrix::gitlab(&jobs, &templates)
        }
    };
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}
