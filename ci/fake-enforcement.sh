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

ci/fake-enforcement-check.py "$out"
