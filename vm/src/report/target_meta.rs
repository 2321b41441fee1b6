//! `<out>/<target>/target.json`: what the runner knows about a target that
//! no suite record carries (boot time, backend, packages, the failed
//! run-level checks), for `llconf report` and `llconf diff`. The schema is
//! `llconf_reports::run_results::TargetMeta`.

use crate::report::target::Target;
use llconf_reports::layout::TargetDir;
use llconf_reports::run_results::TargetMeta;

pub fn write(dir: &TargetDir, t: &Target) -> std::io::Result<()> {
    let i = &t.info;
    let meta = TargetMeta {
        id: i.id.clone(),
        kernel: i.kernel.clone(),
        variant: i.variant.clone(),
        backend: i.backend.to_string(),
        accel: crate::report::target::accel_label(i.accel),
        packages: i.packages.clone(),
        boot_seconds: t.boot.map(|d| (d.as_secs_f64() * 10.0).round() / 10.0),
        elapsed_seconds: t.elapsed.map(|d| (d.as_secs_f64() * 10.0).round() / 10.0),
        expected_abi: i.expected_abi,
        landlock: i.landlock,
        problems: t.problems(),
    };
    let text = serde_json::to_string_pretty(&meta).map_err(std::io::Error::other)?;
    std::fs::write(dir.meta(), text + "\n")
}
