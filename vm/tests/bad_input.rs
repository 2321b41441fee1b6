//! Bad input is refused with exit code 2 and a message naming the culprit,
//! before any suite runs.

mod support;

use support::*;

fn ok_suite(f: &Fixture) -> std::path::PathBuf {
    f.suite(
        "base",
        &[started("base", 0), finished("base", 0, 0, 0)],
        None,
        End::Exit(0),
    )
}

#[test]
fn junit_in_a_missing_directory_is_made_and_an_impossible_one_refused_before_running() {
    let f = Fixture::new();
    let base = ok_suite(&f);
    // As the README's `--junit out/base.xml` on a fresh checkout.
    let missing = f.path().join("no-such-dir");
    let output = f
        .llconf()
        .args(["run", "--host", "--junit"])
        .arg(missing.join("junit.xml"))
        .arg(suite_bin("base", &base))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert!(missing.join("junit.xml").is_file());

    let file = f.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let other = f.suite("other", &[], None, End::Exit(0));
    let output = f
        .llconf()
        .args(["run", "--host", "--out", "out2", "--junit"])
        .arg(file.join("junit.xml"))
        .arg(suite_bin("other", &other))
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(f.args_of("other").is_none(), "the suite ran anyway");
    assert!(!f.path().join("out2").exists(), "output was created anyway");
}

#[test]
fn a_missing_suite_binary_is_named() {
    let f = Fixture::new();
    let missing = f.path().join("not-built");
    let output = f
        .llconf()
        .args(["run", "--host", &suite_bin("base", &missing)])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(err.contains("`base`"), "{err}");
}

/// A catalogue of one kernel, `k`, that is never booted.
fn one_kernel_catalogue(f: &Fixture) -> std::path::PathBuf {
    let kernels = f.path().join("kernels");
    std::fs::create_dir_all(&kernels).unwrap();
    std::fs::write(
        kernels.join("k.toml"),
        "name = \"k\"\n[source]\ntype = \"local\"\npath = \"vmlinuz\"\n",
    )
    .unwrap();
    kernels
}

#[test]
fn run_without_host_and_an_unknown_kernel_names_the_known_ones() {
    let f = Fixture::new();
    let base = ok_suite(&f);
    let kernels = one_kernel_catalogue(&f);
    let output = f
        .llconf()
        .arg("--kernels")
        .arg(&kernels)
        .args(["run", "--kernel", "nope", &suite_bin("base", &base)])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.contains("unknown kernel `nope`") && err.contains(": k"),
        "{err}"
    );
    assert!(f.args_of("base").is_none());
}

#[rstest::rstest]
#[case::zero_parts("1/0", "expected K/N")]
#[case::past_the_end("3/2", "expected K/N")]
#[case::an_empty_part("2/2", "only 1 targets are selected")]
fn a_shard_that_cannot_hold_a_target_is_refused(#[case] shard: &str, #[case] message: &str) {
    let f = Fixture::new();
    let base = ok_suite(&f);
    let kernels = one_kernel_catalogue(&f);
    let output = f
        .llconf()
        .arg("--kernels")
        .arg(&kernels)
        .args([
            "run",
            "--kernel",
            "k",
            "--shard",
            shard,
            &suite_bin("base", &base),
        ])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains(message), "{}", stderr(&output));
    assert!(f.args_of("base").is_none());
}

#[test]
fn a_malformed_suite_bin_is_a_usage_error() {
    let f = Fixture::new();
    let output = f
        .llconf()
        .args(["run", "--host", "--suite-bin", "base"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("NAME=PATH"), "{}", stderr(&output));
}

/// A workspace with one suite, `base`, and one package that is not a suite;
/// `cargo metadata --no-deps` reads it without building or downloading.
fn workspace(f: &Fixture) -> std::path::PathBuf {
    let ws = f.path().join("ws");
    for (pkg, extra) in [
        ("base", "[package.metadata.llconf]\nsuite = \"base\"\n"),
        ("helper", ""),
    ] {
        std::fs::create_dir_all(ws.join(pkg).join("src")).unwrap();
        std::fs::write(ws.join(pkg).join("src/lib.rs"), "").unwrap();
        std::fs::write(
            ws.join(pkg).join("Cargo.toml"),
            format!(
                "[package]\nname = \"{pkg}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{extra}"
            ),
        )
        .unwrap();
    }
    std::fs::write(
        ws.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"base\", \"helper\"]\n",
    )
    .unwrap();
    ws
}

#[test]
fn an_unknown_suite_is_named_with_the_known_ones() {
    let f = Fixture::new();
    let ws = workspace(&f);
    let base = ok_suite(&f);
    let output = f
        .llconf()
        .args(["run", "--host", "--workspace"])
        .arg(&ws)
        .args([
            "--suite",
            "base",
            "--suite",
            "nope",
            &suite_bin("base", &base),
        ])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(err.contains("unknown suite `nope`"), "{err}");
    assert!(err.contains("known suites: base"), "{err}");
    assert!(!err.contains("helper"), "a non-suite package listed: {err}");
    assert!(f.args_of("base").is_none(), "the suite ran anyway");
    assert!(!f.out().exists(), "output was created anyway");
}

#[test]
fn run_help_states_exit_codes_and_every_environment_variable() {
    let f = Fixture::new();
    let output = f.llconf().args(["run", "--help"]).output().unwrap();
    assert_eq!(code(&output), 0);
    let help = stdout(&output);
    for want in [
        "Exit codes:",
        "130  interrupted",
        "LLCONF_CACHE",
        "LLCONF_WORKSPACE",
        "LLCONF_TIMEOUT_SCALE",
        "LLCONF_KNOWN_ISSUES",
        "LLCONF_VNG",
        "LLCONF_KEEP_INITRAMFS",
        "LLCONF_GUEST_INIT",
        "LLCONF_RESULTS",
    ] {
        assert!(help.contains(want), "run --help lacks {want}:\n{help}");
    }
}
