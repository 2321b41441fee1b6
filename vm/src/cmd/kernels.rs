//! `llconf kernels`: the catalogue, and what of it is cached.

use crate::cache_dir::Cache;
use crate::cli::{KernelsArgs, KernelsFormat};
use crate::kernel::catalogue::{Builder, Catalogue, Kernel, Source};
use anyhow::Result;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

pub fn kernels(kernels_dir: &Path, args: KernelsArgs) -> Result<ExitCode> {
    let catalogue = Catalogue::load(kernels_dir)?;
    let cache = Cache::from_env();
    if args.format == KernelsFormat::Json {
        let list: Vec<_> = catalogue
            .kernels
            .iter()
            .map(|k| {
                json!({
                    "name": k.name,
                    "description": k.description,
                    "default": k.default,
                    "ci": k.ci,
                    "expected_abi": k.expected_abi,
                    "variants": k.variants,
                    "backend": k.backend.map(|b| b.to_string()),
                    "source": source(k),
                    "file": k.file,
                    "cached": cache_state(&cache, k),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("kernels in {} (* = default set):", kernels_dir.display());
    for k in &catalogue.kernels {
        let abi = k
            .expected_abi
            .map_or("ABI ?".into(), |a| format!("ABI {a}"));
        println!(
            "{} {:<16} {abi:<7} {}",
            if k.default { "*" } else { " " },
            k.name,
            k.description
        );
        println!("    source:   {}", source(k));
        println!("    variants: {}", k.variants.join(", "));
        println!(
            "    backend:  {}",
            match k.backend {
                Some(b) => b.to_string(),
                None => "vng, or qemu-initramfs when its modules are missing".into(),
            }
        );
        println!("    cached:   {}", cache_state(&cache, k));
    }
    Ok(ExitCode::SUCCESS)
}

fn source(k: &Kernel) -> String {
    match &k.source {
        Source::Debian(s) => {
            let mut out = format!("debian, series {}", s.series);
            if let Some(d) = &s.dist {
                out.push_str(&format!(", +{d}"));
            }
            out.push_str(&format!(", flavour {}", s.flavour));
            if let Some(v) = &s.version {
                out.push_str(&format!(", pinned to {v}"));
            }
            out
        }
        Source::Local { path } => format!("local {}", path.display()),
        Source::Build {
            path,
            builder,
            patches,
        } => format!(
            "build {} ({builder:?}){}",
            path.display(),
            patches_note(patches)
        ),
        Source::Tree { path, arch } => format!("--tree {} ({})", path.display(), arch.make_arch()),
        Source::DebianTree(s) => format!(
            "User-Mode Linux built from linux-source-{}{}{}",
            s.series,
            s.version
                .as_ref()
                .map_or(String::new(), |v| format!(", pinned to {v}")),
            patches_note(&s.patches)
        ),
    }
}

pub fn cache_state(cache: &Cache, k: &Kernel) -> String {
    match &k.source {
        Source::Debian(spec) => match crate::kernel::store::cached_for(cache, spec) {
            Some(m) => format!("{} ({})", m.packages.join(" "), m.image.display()),
            None => "not fetched (`llconf fetch` or the next run fetches it)".into(),
        },
        Source::Local { path } if path.exists() => format!("local: {}", path.display()),
        Source::Local { path } => format!("MISSING: {}", path.display()),
        Source::Build {
            path,
            builder: Builder::Uml,
            patches,
        } => format!(
            "built out of tree on every run, from {}{}, into {}",
            path.display(),
            if patches.is_empty() {
                ""
            } else {
                " (a patched copy of it)"
            },
            cache
                .uml_dir()
                .join(if patches.is_empty() {
                    format!("tree-{}", k.name)
                } else {
                    format!("tree-{}-patched", k.name)
                })
                .display()
        ),
        Source::DebianTree(spec) => match crate::kernel::uml_build::cached(cache, spec) {
            Some(b) => format!("built: {} ({})", b.packages.join(" "), b.program.display()),
            None => "not built (`llconf fetch` or the next run downloads and builds it, about 5 minutes on 2 cores)".into(),
        },
        Source::Build { path, .. } if path.join("arch/x86/boot/bzImage").is_file() => {
            format!("built: {}", path.join("arch/x86/boot/bzImage").display())
        }
        Source::Build { path, .. } => format!("not built yet: {}", path.display()),
        Source::Tree { path, arch } => format!(
            "built out of tree on every run into {}",
            crate::kernel::tree::build_dir(cache, path, *arch).0.display()
        ),
    }
}

/// `, patched with a, b`: the patch paths as the definition lists them.
fn patches_note(patches: &[std::path::PathBuf]) -> String {
    if patches.is_empty() {
        return String::new();
    }
    let listed: Vec<String> = patches.iter().map(|p| p.display().to_string()).collect();
    format!(", patched with {}", listed.join(", "))
}
