//! `llconf ci matrix`: the job matrix of a CI pipeline, from kernels/.

use crate::cache_dir::Cache;
use crate::ci::matrix;
use crate::cli::{CiFormat, CiMatrixArgs};
use crate::kernel::backend::Backend;
use crate::kernel::catalogue::{Catalogue, Kernel, Source};
use crate::kernel::debian::Apt;
use crate::kernel::image::Freshness;
use crate::kernel::prepare::{self, Packages};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::ExitCode;

pub fn matrix(root: &Path, kernels_dir: &Path, args: CiMatrixArgs) -> Result<ExitCode> {
    let catalogue = Catalogue::load(kernels_dir)?;
    let cache = Cache::from_env();
    let mut resolve = |k: &Kernel| -> Result<Option<Vec<String>>> {
        let mut say = |s: String| eprintln!("{s}");
        match &k.source {
            Source::Debian(spec) => {
                // As a run decides: only a kernel bound to vng needs its modules.
                let needs_modules = k.backend == Some(Backend::Vng);
                Ok(Some(
                    match prepare::debian_packages(
                        &cache,
                        k,
                        spec,
                        Freshness::IfOld,
                        needs_modules,
                        &mut say,
                    )? {
                        Packages::Resolved(_, p) => p,
                        Packages::Cached(m) => m.packages,
                    },
                ))
            }
            Source::DebianTree(spec) => {
                let package = format!("linux-source-{}", spec.series);
                let version = match &spec.version {
                    Some(v) => v.clone(),
                    None => Apt::new(cache.apt_dir()).candidate_version(&package)?,
                };
                Ok(Some(vec![format!("{package}={version}")]))
            }
            _ => Ok(None),
        }
    };
    let jobs = matrix::jobs(
        &catalogue,
        if args.resolve {
            Some(&mut resolve)
        } else {
            None
        },
    )?;
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
