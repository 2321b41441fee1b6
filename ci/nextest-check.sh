#!/usr/bin/env bash
# The suites under cargo-nextest, which starts one process per test: a test
# whose needs the kernel does not meet must be SKIP there (never PASS), and
# the run's records must all land in one results file.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
status=0
for suite in base unix; do
  bin=$(llconf_suite_bin "$suite")
  total=$("$bin" --list --format terse | grep -c ': test$' || true)
  unmet=$("$bin" --list --format terse --ignored | grep -c ': test$' || true)
  dir=$(dirname "$(dirname "$bin")")/llconf-results
  before=$(ls "$dir"/"$suite"-nextest-*.jsonl 2>/dev/null | wc -l || true)
  summary=$(cargo nextest run -p "$suite" --no-fail-fast 2>&1 | grep 'Summary' || true)
  echo "$suite: $summary (listed: $total, unmet here: $unmet)"
  ran=$((total - unmet))
  case "$summary" in
    *"$ran tests run: $ran passed, $unmet skipped"*) ;;
    *) echo "  expected $ran run and passed, $unmet skipped"; status=1 ;;
  esac
  file=$(ls -t "$dir"/"$suite"-nextest-*.jsonl | head -1)
  records=$(grep -c '"type":"test_finished"' "$file" || true)
  after=$(ls "$dir"/"$suite"-nextest-*.jsonl | wc -l)
  if [ "$records" != "$ran" ] || [ "$after" != $((before + 1)) ]; then
    echo "  expected one new results file with $ran records; $file has $records"
    status=1
  fi
done
exit $status
