//! `llconf fetch`: makes kernels ready now, with fresh package lists.

use crate::cache_dir::Cache;
use crate::cli::FetchArgs;
use crate::kernel::catalogue::Catalogue;
use crate::kernel::image::Freshness;
use crate::kernel::prepare;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

pub fn fetch(kernels_dir: &Path, args: FetchArgs) -> Result<ExitCode> {
    let catalogue = Catalogue::load(kernels_dir)?;
    let cache = Cache::from_env();
    let mut failed = 0;
    for k in catalogue.select(&args.kernels)? {
        let mut say = |s: String| eprintln!("{s}");
        let needs_modules = k.backend == Some(crate::kernel::backend::Backend::Vng);
        match prepare::prepare(
            &cache,
            k,
            kernels_dir,
            Freshness::Now,
            needs_modules,
            &mut say,
        ) {
            Ok(p) => println!(
                "{}: {} ({})",
                k.name,
                if p.packages.is_empty() {
                    "ready".into()
                } else {
                    p.packages.join(" ")
                },
                p.image.path().display()
            ),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e:#}");
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
