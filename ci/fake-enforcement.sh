#!/usr/bin/env bash
# Runs every suite under a seccomp filter that makes landlock_restrict_self
# return 0 without enforcing anything, then checks that every enforcement
# test failed and that no test that called restrict_self passed.
# A suite that passes under this lie has a test that cannot fail.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
out=${1:-target/fake-enforcement}
rm -rf "$out" && mkdir -p "$out"

cargo build -q -p llconf-harness --bin llconf-fake-restrict-self
suites=$(llconf_suites)
for suite in $suites; do
  bin=$(llconf_suite_bin "$suite")
  echo "== $suite under a faked landlock_restrict_self: $bin"
  # The suite is expected to fail here; its verdicts are checked below.
  LLCONF_RESULTS="$out/$suite.jsonl" target/debug/llconf-fake-restrict-self "$bin" --test-threads 2 \
    >"$out/$suite.log" 2>&1 || true
done

python3 - "$out" <<'PY'
import glob, json, sys
bad, enforcement, failed, total = [], 0, 0, 0
for path in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
    for line in open(path):
        r = json.loads(line)
        if r["type"] != "test_finished":
            continue
        total += 1
        if r["enforcement"]:
            enforcement += 1
            # A skip (feature missing on this kernel) is not a pass.
            if r["outcome"] == "failed":
                failed += 1
            elif r["outcome"] == "passed":
                bad.append(f'{r["name"]}: enforcement test passed under a faked restrict_self')
        if r["outcome"] == "passed" and r.get("restrict_self_calls", 0) > 0:
            bad.append(f'{r["name"]}: passed although its restrict_self calls were faked')
if failed == 0:
    bad.append("no enforcement test ran: nothing was checked")
print(f"fake-enforcement: {total} tests, {enforcement} enforcement tests "
      f"({failed} failed as they must, {enforcement - failed} skipped here), {len(bad)} problems")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY
