//! Every case of every suite of this workspace names its twin, the case one
//! rule, right or layer apart that must get the opposite verdict, or says
//! why it has none: a kernel that allows too much, or too little, then fails
//! a case. `llconf list --untwinned` is the listing this keeps at zero.

use std::path::Path;
use std::process::Command;

#[test]
fn every_case_of_the_workspace_has_a_twin_or_a_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(env!("CARGO_BIN_EXE_llconf"))
        .args(["list", "--untwinned"])
        .current_dir(&root)
        .env("LLCONF_WORKSPACE", &root)
        .env_remove("LLCONF_RESULTS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "llconf list --untwinned:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // One summary line a suite, and not one case listed under it.
    assert!(
        stdout.lines().all(|l| l.contains(" 0 untwinned,")),
        "{stdout}"
    );
}
