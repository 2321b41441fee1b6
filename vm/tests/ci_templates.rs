//! The pipeline templates in ci/ parse, have the shape the README promises
//! (a job per kernel of the default set and one for uml-7.3, JUnit
//! uploaded, a report job, the kernel cache, a coverage job) and, when
//! actionlint is installed, pass it.

use serde_yaml::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The kernels marked `default = true` in kernels/, in version order.
fn default_kernels() -> Vec<String> {
    let mut v = Vec::new();
    for entry in std::fs::read_dir(root().join("kernels")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let def: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
            if def.get("default").and_then(|d| d.as_bool()) == Some(true) {
                v.push(def["name"].as_str().unwrap().to_string());
            }
        }
    }
    v.sort_by(|a, b| {
        let key = |s: &str| -> Vec<u32> {
            s.trim_start_matches("debian-")
                .split('.')
                .map(|n| n.parse().unwrap_or(0))
                .collect()
        };
        key(a).cmp(&key(b))
    });
    v
}

/// The matrix: the default set, then the User-Mode Linux kernel that a CI
/// job can build and cache.
fn matrix_kernels() -> Vec<String> {
    let mut v = default_kernels();
    v.push("uml-7.3".into());
    assert!(
        root().join("kernels/uml-7.3.toml").is_file(),
        "the templates name uml-7.3"
    );
    v
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Every `run:` script of a GitHub job, joined.
fn scripts(job: &Value) -> String {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn uses<'a>(job: &'a Value, action: &str) -> Vec<&'a Value> {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .collect()
}

#[test]
fn github_workflow_runs_a_job_per_kernel_then_a_report() {
    let wf = load("ci/github/llconf.yml");
    let kernel = &wf["jobs"]["kernel"];
    assert_eq!(
        strings(&kernel["strategy"]["matrix"]["kernel"]),
        matrix_kernels()
    );
    assert_eq!(kernel["strategy"]["fail-fast"], Value::Bool(false));
    let run = scripts(kernel);
    assert!(
        run.contains("run --kernel \"${{ matrix.kernel }}\" --out \"out/${{ matrix.kernel }}\""),
        "{run}"
    );
    let cache = uses(kernel, "actions/cache@");
    assert!(cache
        .iter()
        .any(|c| c["with"]["path"].as_str() == Some("~/.cache/llconf")));
    let upload = uses(kernel, "actions/upload-artifact@");
    assert_eq!(upload.len(), 1);
    assert_eq!(upload[0]["if"].as_str(), Some("always()"));
    assert!(upload[0]["with"]["path"]
        .as_str()
        .unwrap()
        .contains("out/${{ matrix.kernel }}"));

    let report = &wf["jobs"]["report"];
    assert_eq!(report["needs"].as_str(), Some("kernel"));
    assert_eq!(report["if"].as_str(), Some("always()"));
    let download = uses(report, "actions/download-artifact@");
    assert_eq!(download[0]["with"]["path"].as_str(), Some("out"));
    let run = scripts(report);
    assert!(run.contains("-p llconf -- report out"), "{run}");
    assert!(run.contains("cat out/report.md >> \"$GITHUB_STEP_SUMMARY\""));
}

#[test]
fn gitlab_pipeline_runs_a_parallel_matrix_with_junit_reports() {
    let ci = load("ci/gitlab/llconf.gitlab-ci.yml");
    let job = &ci["llconf"];
    let matrix = &job["parallel"]["matrix"][0];
    assert_eq!(strings(&matrix["KERNEL"]), matrix_kernels());
    let script = strings(&job["script"]).join("\n");
    assert!(script.contains("run --kernel \"$KERNEL\" --out \"out/$KERNEL\""));
    assert_eq!(
        job["artifacts"]["reports"]["junit"].as_str(),
        Some("out/$KERNEL/junit.xml")
    );
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
    // The kernel cache, inside the project as GitLab wants it.
    assert_eq!(
        ci["variables"]["LLCONF_CACHE"].as_str(),
        Some("$CI_PROJECT_DIR/.cache/llconf")
    );
    let caches = job["cache"].as_sequence().unwrap();
    assert!(caches
        .iter()
        .any(|c| strings(&c["paths"]).contains(&".cache/llconf/".to_string())));

    let report = &ci["report"];
    assert_eq!(report["needs"][0]["job"].as_str(), Some("llconf"));
    assert_eq!(report["when"].as_str(), Some("always"));
    assert!(strings(&report["script"])
        .iter()
        .any(|s| s.ends_with("-p llconf -- report out")));
    assert_eq!(
        strings(&ci["stages"]),
        [
            job["stage"].as_str().unwrap(),
            report["stage"].as_str().unwrap()
        ]
    );
}

#[test]
fn both_pipelines_measure_coverage_beside_the_kernel_s_selftests() {
    let command = "coverage --kernel uml-7.3 --peer ksft --out out/coverage";
    let gh = load("ci/github/llconf.yml");
    let job = &gh["jobs"]["coverage"];
    let run = scripts(job);
    assert!(run.contains(command), "{run}");
    assert!(run.contains("cat out/coverage/coverage.md >> \"$GITHUB_STEP_SUMMARY\""));
    assert!(uses(job, "actions/cache@")
        .iter()
        .any(|c| c["with"]["path"].as_str() == Some("~/.cache/llconf")));
    let gl = load("ci/gitlab/llconf.gitlab-ci.yml");
    let job = &gl["coverage"];
    assert!(strings(&job["script"]).join("\n").contains(command));
    assert_eq!(
        job["artifacts"]["reports"]["junit"].as_str(),
        Some("out/coverage/junit.xml")
    );
    assert!(root().join("kernels/coverage.config").is_file());
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[test]
fn github_workflow_passes_actionlint_when_installed() {
    let Some(actionlint) = on_path("actionlint") else {
        println!("SKIPPED actionlint: not installed; the YAML structure is checked above");
        return;
    };
    let file = root().join("ci/github/llconf.yml");
    let output = std::process::Command::new(actionlint)
        .arg(Path::new(&file))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
