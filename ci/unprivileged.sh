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

python3 - "$out" <<'PY'
import glob, json, sys
failed, total, skipped = [], 0, 0
for path in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
    for line in open(path):
        r = json.loads(line)
        if r["type"] != "test_finished":
            continue
        total += 1
        if r["outcome"] == "failed":
            failed.append(f'{r["name"]}: {r.get("failure")}')
        elif r["outcome"] == "skipped":
            skipped += 1
print(f"unprivileged: {total} tests, {len(failed)} failed, {skipped} skipped")
for f in failed:
    print("  " + f)
sys.exit(1 if failed or total == 0 else 0)
PY
