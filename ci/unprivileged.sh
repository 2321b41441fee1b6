#!/usr/bin/env bash
# Runs every suite as an unprivileged user (nobody, through setpriv) and
# checks that nothing fails: a test that needs a privilege declares it and
# is skipped without it, with that reason, never failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
out=${1:-target/unprivileged}
rm -rf "$out" && mkdir -p "$out" && chmod 0777 "$out"

suites=$(llconf_suites)
for suite in $suites; do
  bin=$(llconf_suite_bin "$suite")
  # A copy nobody can run, wherever the checkout is.
  cp "$bin" "$out/$suite-bin" && chmod 0755 "$out/$suite-bin"
  echo "== $suite as nobody"
  (cd "$out" && LLCONF_RESULTS="$PWD/$suite.jsonl" setpriv --reuid=65534 --regid=65534 --clear-groups \
     "./$suite-bin" --test-threads 2 >"$suite.log" 2>&1) || true
done

ci/no-failures-check.py "$out" unprivileged $suites
