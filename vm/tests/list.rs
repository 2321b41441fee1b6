//! `llconf list`, and finding suite binaries through cargo in a real (tiny)
//! workspace.

mod support;

use support::*;

#[test]
fn lists_the_tests_of_given_binaries() {
    let f = Fixture::new();
    let base = f.suite(
        "base",
        &[
            started("base", 2),
            passed("base::ruleset::size::exact"),
            passed("base::ruleset::size::too_small"),
            finished("base", 2, 0, 0),
        ],
        None,
        End::Exit(0),
    );
    let output = f
        .llconf()
        .args(["list", &suite_bin("base", &base), "--", "size"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "base (2 tests)\n  base::ruleset::size::exact\n  base::ruleset::size::too_small\n"
    );
    assert_eq!(
        f.args_of("base").unwrap(),
        ["--list", "--format", "terse", "size"]
    );
}

/// A workspace whose suite `base` is a real integration test target built by
/// cargo: checks discovery with cargo metadata and `cargo test --no-run`.
fn cargo_workspace(f: &Fixture) -> std::path::PathBuf {
    let ws = f.path().join("ws");
    let write = |rel: &str, text: &str| {
        let p = ws.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\"base\", \"helper\"]\n",
    );
    write(
        "base/Cargo.toml",
        "[package]\nname = \"base\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.llconf]\nsuite = \"base\"\n\n\
         [[test]]\nname = \"base\"\nharness = false\n",
    );
    write("base/src/lib.rs", "");
    let started = serde_json::to_string(&support::started("base", 1)).unwrap();
    let passed = serde_json::to_string(&support::passed("base::fake::one")).unwrap();
    let finished = serde_json::to_string(&support::finished("base", 1, 0, 0)).unwrap();
    write(
        "base/tests/base.rs",
        &format!(
            r##"use std::io::Write;
fn main() {{
    if std::env::args().any(|a| a == "--list") {{
        println!("base::fake::one: test");
        return;
    }}
    let path = std::env::var("LLCONF_RESULTS").unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).create(true).open(path).unwrap();
    for line in [r#"{started}"#, r#"{passed}"#, r#"{finished}"#] {{
        writeln!(f, "{{line}}").unwrap();
    }}
}}
"##
        ),
    );
    // Not a suite, though it has a test target named like one.
    write(
        "helper/Cargo.toml",
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [[test]]\nname = \"base\"\nharness = false\n",
    );
    write("helper/src/lib.rs", "");
    write(
        "helper/tests/base.rs",
        "fn main() { std::process::exit(7) }\n",
    );
    ws
}

#[test]
fn builds_and_finds_suite_binaries_with_cargo() {
    let f = Fixture::new();
    let ws = cargo_workspace(&f);
    let llconf = |args: &[&str]| {
        f.llconf()
            .args(args)
            .arg("--workspace")
            .arg(&ws)
            // Its own target directory: no waiting on the outer build's lock.
            .env("CARGO_TARGET_DIR", ws.join("target"))
            .env("CARGO_NET_OFFLINE", "true")
            .output()
            .unwrap()
    };

    let output = llconf(&["list"]);
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert_eq!(stdout(&output), "base (1 tests)\n  base::fake::one\n");

    let output = llconf(&["run", "--host"]);
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert_eq!(
        summary_row(&output, "base")[..5],
        ["base", "ok", "1", "0", "0"]
    );
}
