//! The pipeline templates in ci/ parse, have the shape the README promises
//! (a job per kernel of the generated matrix, which holds the default set
//! and the kernels marked `ci = true`, JUnit uploaded, a report job, the
//! kernel cache keyed per kernel, a coverage job) and, when actionlint is
//! installed, pass it. Adding a kernel definition adds a job to both.

use serde_yaml::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The kernels of kernels/ that get a CI job (`ci`, by default `default`).
fn ci_kernels() -> Vec<String> {
    let mut v = Vec::new();
    for entry in std::fs::read_dir(root().join("kernels")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let def: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
            let default = def.get("default").and_then(|d| d.as_bool()) == Some(true);
            if def.get("ci").and_then(|d| d.as_bool()).unwrap_or(default) {
                v.push(def["name"].as_str().unwrap().to_string());
            }
        }
    }
    v.sort();
    v
}

/// `llconf ci matrix --format F`, with `--kernels DIR` if given.
fn generated(format: &str, kernels: Option<&Path>) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_llconf"));
    if let Some(dir) = kernels {
        cmd.arg("--kernels").arg(dir);
    }
    let out = cmd
        .args(["ci", "matrix", "--format", format])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn github_matrix(kernels: Option<&Path>) -> Vec<String> {
    let m: serde_json::Value = serde_json::from_str(&generated("github", kernels)).unwrap();
    m["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["kernel"].as_str().unwrap().to_string())
        .collect()
}

/// The generated child pipeline.
fn gitlab_pipeline(kernels: Option<&Path>) -> Value {
    serde_yaml::from_str(&generated("gitlab", kernels)).unwrap()
}

fn gitlab_kernel_jobs(p: &Value) -> Vec<String> {
    let mut v: Vec<String> = p
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, job)| job["extends"].as_str() == Some(".llconf-kernel"))
        .map(|(_, job)| job["variables"]["KERNEL"].as_str().unwrap().to_string())
        .collect();
    v.sort();
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
    let matrix = &wf["jobs"]["matrix"];
    let run = scripts(matrix);
    assert!(
        run.contains("-p llconf -- ci matrix --format github"),
        "{run}"
    );
    assert!(run.contains(">> \"$GITHUB_OUTPUT\""), "{run}");
    let kernel = &wf["jobs"]["kernel"];
    assert_eq!(strings(&kernel["needs"]), ["matrix", "build"]);
    assert_eq!(
        kernel["strategy"]["matrix"].as_str(),
        Some("${{ fromJSON(needs.matrix.outputs.matrix) }}")
    );
    let mut jobs = github_matrix(None);
    jobs.sort();
    assert_eq!(jobs, ci_kernels());
    assert_eq!(kernel["strategy"]["fail-fast"], Value::Bool(false));
    let run = scripts(kernel);
    assert!(
        run.contains(
            "bins/llconf run --bins bins --kernel \"${{ matrix.kernel }}\" --out \"out/${{ matrix.kernel }}\""
        ),
        "{run}"
    );
    // One build job compiles; the kernel jobs take its binaries.
    assert!(!run.contains("cargo"), "{run}");
    assert!(scripts(&wf["jobs"]["build"]).contains("-p llconf -- build --out bins"));
    let bins = uses(kernel, "actions/download-artifact@");
    assert_eq!(bins[0]["with"]["name"].as_str(), Some("build-bins"));
    let cache = uses(kernel, "actions/cache@");
    // Keyed by what it holds, so a run saves no new entry unless that changed.
    assert!(cache
        .iter()
        .any(|c| c["with"]["path"].as_str() == Some("~/.cache/llconf")
            && c["with"]["key"].as_str() == Some("${{ matrix.cache_key }}")));
    let upload = uses(kernel, "actions/upload-artifact@");
    assert_eq!(upload.len(), 1);
    assert_eq!(upload[0]["if"].as_str(), Some("always()"));
    assert!(upload[0]["with"]["path"]
        .as_str()
        .unwrap()
        .contains("out/${{ matrix.kernel }}"));

    let report = &wf["jobs"]["report"];
    assert_eq!(strings(&report["needs"]), ["build", "kernel"]);
    assert_eq!(report["if"].as_str(), Some("always()"));
    let download = uses(report, "actions/download-artifact@");
    assert!(download
        .iter()
        .any(|d| d["with"]["path"].as_str() == Some("out")
            && d["with"]["pattern"].as_str() == Some("llconf-*")));
    let run = scripts(report);
    assert!(
        run.contains("bins/llconf report out --github-annotations --kcidb out/kcidb.json"),
        "{run}"
    );
    assert!(run.contains("cat out/report.md >> \"$GITHUB_STEP_SUMMARY\""));
}

#[test]
fn gitlab_pipeline_runs_a_generated_child_pipeline_with_junit_reports() {
    let ci = load("ci/gitlab/llconf.gitlab-ci.yml");
    let script = strings(&ci["matrix"]["script"]).join("\n");
    assert!(
        script.contains("-p llconf -- ci matrix --format gitlab --resolve > llconf-jobs.yml"),
        "{script}"
    );
    assert_eq!(
        strings(&ci["matrix"]["artifacts"]["paths"]),
        ["llconf-jobs.yml"]
    );
    let trigger = &ci["kernels"]["trigger"];
    assert_eq!(
        trigger["include"][0]["artifact"].as_str(),
        Some("llconf-jobs.yml")
    );
    assert_eq!(trigger["include"][0]["job"].as_str(), Some("matrix"));
    assert_eq!(trigger["strategy"].as_str(), Some("depend"));

    let child = gitlab_pipeline(None);
    assert_eq!(gitlab_kernel_jobs(&child), ci_kernels());
    // The generated pipeline starts with the templates' jobs.
    let jobs = load("ci/gitlab/kernel-jobs.yml");
    assert_eq!(child[".llconf-kernel"], jobs[".llconf-kernel"]);
    let job = &jobs[".llconf-kernel"];
    let script = strings(&job["script"]).join("\n");
    assert!(
        script.contains("bins/llconf run --bins bins --kernel \"$KERNEL\" --out \"out/$KERNEL\"")
    );
    assert!(!script.contains("cargo"), "{script}");
    assert_eq!(job["needs"][0]["job"].as_str(), Some("build"));
    assert!(strings(&ci["build"]["script"])
        .join("\n")
        .contains("-p llconf -- build --out bins"));
    assert_eq!(
        job["artifacts"]["reports"]["junit"].as_str(),
        Some("out/$KERNEL/junit.xml")
    );
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
    // The kernel cache, inside the project as GitLab wants it, per kernel.
    assert_eq!(
        jobs["variables"]["LLCONF_CACHE"].as_str(),
        Some("$CI_PROJECT_DIR/.cache/llconf")
    );
    assert!(job["cache"].as_sequence().unwrap().iter().any(|c| {
        strings(&c["paths"]).contains(&".cache/llconf/".to_string())
            && c["key"].as_str() == Some("$LLCONF_CACHE_KEY")
    }));

    let report = &jobs[".llconf-report"];
    assert_eq!(report["when"].as_str(), Some("always"));
    assert!(strings(&report["script"])
        .iter()
        .any(|s| s.contains("llconf report out --kcidb out/kcidb.json")));
    let needs = child["llconf report"]["needs"].as_sequence().unwrap();
    assert_eq!(
        needs.len(),
        ci_kernels().len() + 1,
        "the kernels and the build"
    );
    assert_eq!(
        strings(&child["stages"]),
        [
            job["stage"].as_str().unwrap(),
            report["stage"].as_str().unwrap()
        ]
    );
}

#[test]
fn a_new_kernel_definition_adds_a_job_to_both_matrices() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(root().join("kernels")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        dir.path().join("debian-6.17.toml"),
        "name = \"debian-6.17\"\ndefault = true\nexpected_abi = 7\n\
         [source]\ntype = \"debian\"\nseries = \"6.17\"\n",
    )
    .unwrap();
    let before = github_matrix(None);
    let after = github_matrix(Some(dir.path()));
    assert!(!before.contains(&"debian-6.17".to_string()));
    assert!(after.contains(&"debian-6.17".to_string()), "{after:?}");
    assert_eq!(after.len(), before.len() + 1);
    let child = gitlab_kernel_jobs(&gitlab_pipeline(Some(dir.path())));
    assert!(child.contains(&"debian-6.17".to_string()), "{child:?}");
    assert_eq!(child.len(), before.len() + 1);
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
