//! A run in KernelCI's KCIDB I/O format (schema 5): a checkout and a build
//! per kernel, one test per case and target, so that a lab submitting to
//! KernelCI's common database can send llconf's results as they are.
//!
//! - Checkout and build: one per kernel of the run. llconf does not build
//!   Debian's kernels; the build stands for the package booted (its
//!   `name=version` in `comment` and `misc.packages`).
//! - Test: `path` is `landlock.` and the test's name with `::` made `.`
//!   (`landlock.fs.execute.rule_on_dir.allowed`); the target's variant,
//!   backend, ABI and errata go to `environment` and `misc`.
//! - Status: passed PASS, failed FAIL, skipped SKIP; a known kernel bug is
//!   FAIL too (the kernel is faulty, as a known bug says), with the bug's id
//!   in `misc.known_issue`; a suite that crashed and a failed run-level check
//!   (boot, ABI) are ERROR, since what they should have tested is unknown.

use crate::record::{KernelInfo, Outcome};
use crate::run_results::{Column, Run};
use serde_json::{json, Map, Value};

/// KCIDB's limit on `log_excerpt`.
const EXCERPT_MAX: usize = 16384;

/// `origin` names the CI system (`[a-z0-9_]+`), `run_id` makes the ids of
/// this run unique among that system's (a CI pipeline id, a timestamp).
pub fn render(run: &Run, origin: &str, run_id: &str) -> Value {
    let mut checkouts = Vec::new();
    let mut builds = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut tests = Vec::new();
    for col in &run.columns {
        let kernel = col.kernel.clone().unwrap_or_else(|| col.id.clone());
        let build_id = format!("{origin}:{}", id_part(&format!("{run_id}-{kernel}")));
        if seen.insert(kernel.clone()) {
            let (checkout, build) = kernel_objects(col, &kernel, &build_id, origin);
            checkouts.push(checkout);
            builds.push(build);
        }
        tests.extend(column_tests(col, &build_id, origin, run_id));
    }
    json!({
        "version": { "major": 5, "minor": 3 },
        "checkouts": checkouts,
        "builds": builds,
        "tests": tests,
    })
}

fn kernel_objects(col: &Column, kernel: &str, id: &str, origin: &str) -> (Value, Value) {
    let packages = col
        .meta
        .as_ref()
        .map(|m| m.packages.clone())
        .unwrap_or_default();
    let release = col.kernel_info().map(|k| k.release.clone());
    let comment = if packages.is_empty() {
        match &release {
            Some(r) => format!("llconf kernel {kernel}: {r}"),
            None => format!("llconf kernel {kernel}"),
        }
    } else {
        format!("llconf kernel {kernel}: {}", packages.join(" "))
    };
    let checkout = json!({
        "id": id,
        "origin": origin,
        "tree_name": kernel,
        "comment": comment,
        "valid": true,
        "misc": { "packages": packages },
    });
    let arch = match col.meta.as_ref().map(|m| m.backend.as_str()) {
        Some("uml") => "um",
        _ => "x86_64",
    };
    let mut misc = Map::new();
    misc.insert("packages".into(), json!(packages));
    if let Some(r) = &release {
        misc.insert("release".into(), json!(r));
    }
    let build = json!({
        "id": id,
        "checkout_id": id,
        "origin": origin,
        "architecture": arch,
        "comment": comment,
        "status": "PASS",
        "misc": misc,
    });
    (checkout, build)
}

fn column_tests(col: &Column, build_id: &str, origin: &str, run_id: &str) -> Vec<Value> {
    let meta = col.meta.as_ref();
    let info = col.kernel_info();
    let variant = col
        .variant
        .clone()
        .or_else(|| meta.map(|m| m.variant.clone()))
        .filter(|v| !v.is_empty())
        // A host run has no variant: the kernel it ran on is the host's.
        .unwrap_or_else(|| "host".into());
    let environment = json!({
        "comment": environment_comment(&variant, meta.map(|m| (m.backend.as_str(), m.accel.as_str()))),
        "misc": environment_misc(&variant, meta.map(|m| m.backend.as_str()), info),
    });
    let test =
        |path: &str, status: &str, excerpt: Option<String>, misc: Value, secs: Option<f64>| {
            let mut t = Map::new();
            t.insert(
                "id".into(),
                json!(format!(
                    "{origin}:{}",
                    id_part(&format!("{run_id}-{}-{path}", col.id))
                )),
            );
            t.insert("build_id".into(), json!(build_id));
            t.insert("origin".into(), json!(origin));
            t.insert("path".into(), json!(path));
            t.insert("status".into(), json!(status));
            t.insert("environment".into(), environment.clone());
            if let Some(s) = secs {
                t.insert("duration".into(), json!(s));
            }
            if let Some(e) = excerpt {
                t.insert("log_excerpt".into(), json!(clip(&e)));
            }
            t.insert("misc".into(), misc);
            Value::Object(t)
        };
    let mut out = Vec::new();
    for p in meta.map(|m| m.problems.as_slice()).unwrap_or_default() {
        let check = p.split(':').next().unwrap_or("vm");
        out.push(test(
            &path_of(check),
            "ERROR",
            Some(p.clone()),
            json!({ "target": col.id }),
            None,
        ));
    }
    for s in &col.suites {
        if let Some(crash) = &s.crash {
            let mut e = crash.clone();
            if let Some(o) = &s.crash_output {
                e.push('\n');
                e.push_str(o);
            }
            out.push(test(
                &path_of(&format!("{}::crash", s.suite)),
                "ERROR",
                Some(e),
                json!({ "target": col.id }),
                None,
            ));
        }
        for r in &s.tests {
            let status = match r.outcome {
                Outcome::Passed => "PASS",
                Outcome::Failed | Outcome::KnownFailure => "FAIL",
                Outcome::Skipped => "SKIP",
            };
            let excerpt = match r.outcome {
                Outcome::Skipped => r.skip_reason.clone(),
                _ => r.failure.as_ref().map(|f| f.to_string()),
            };
            let mut misc = Map::new();
            misc.insert("target".into(), json!(col.id));
            misc.insert("name".into(), json!(r.name));
            misc.insert("enforcement".into(), json!(r.enforcement));
            if let Some(k) = &r.known {
                misc.insert("known_issue".into(), json!(k.id));
            }
            out.push(test(
                &path_of(&r.name),
                status,
                excerpt,
                Value::Object(misc),
                Some(r.duration_ms / 1000.0),
            ));
        }
    }
    out
}

fn environment_comment(variant: &str, boot: Option<(&str, &str)>) -> String {
    match boot {
        Some((backend, accel)) if !backend.is_empty() => {
            format!("llconf variant {variant}, backend {backend} ({accel})")
        }
        _ => format!("llconf variant {variant}"),
    }
}

fn environment_misc(variant: &str, backend: Option<&str>, info: Option<&KernelInfo>) -> Value {
    let mut m = Map::new();
    m.insert("variant".into(), json!(variant));
    if let Some(b) = backend.filter(|b| !b.is_empty()) {
        m.insert("backend".into(), json!(b));
    }
    if let Some(k) = info {
        m.insert("release".into(), json!(k.release));
        m.insert(
            "landlock".into(),
            json!(format!("{:?}", k.landlock).to_lowercase()),
        );
        if let Some(a) = k.abi {
            m.insert("abi".into(), json!(a));
        }
        if let Some(e) = k.errata {
            m.insert("errata".into(), json!(e));
        }
    }
    Value::Object(m)
}

/// `landlock.` and the name with `::` made `.`, every other character that
/// KCIDB's path pattern refuses made `_`.
pub fn path_of(name: &str) -> String {
    let parts: Vec<String> = std::iter::once("landlock")
        .chain(name.split("::"))
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .collect();
    parts.join(".")
}

/// An id's part after `origin:` may hold anything but NUL.
fn id_part(s: &str) -> String {
    s.replace('\0', "")
}

fn clip(s: &str) -> String {
    if s.len() <= EXCERPT_MAX {
        return s.to_string();
    }
    let mut end = EXCERPT_MAX - 3;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case(
        "fs::execute::rule_on_dir::allowed",
        "landlock.fs.execute.rule_on_dir.allowed"
    )]
    #[case("vm::boot", "landlock.vm.boot")]
    #[case("a::b c/d", "landlock.a.b_c_d")]
    fn paths_follow_kcidb_s_pattern(#[case] name: &str, #[case] path: &str) {
        assert_eq!(path_of(name), path);
    }

    #[test]
    fn long_excerpts_are_clipped_on_a_character_boundary() {
        let s = "é".repeat(EXCERPT_MAX);
        let c = clip(&s);
        assert!(c.len() <= EXCERPT_MAX && c.ends_with("..."));
    }
}
