#!/usr/bin/env python3
"""Reads the suites' results files (*.jsonl) in DIR and fails if any test
failed or none ran: the check behind the runs where every test must pass
or skip (ci/unprivileged.sh, ci/landlock-off.sh)."""
import glob
import json
import sys

folder, label = sys.argv[1], sys.argv[2]
failed, total, skipped = [], 0, 0
for path in sorted(glob.glob(folder + "/*.jsonl")):
    for line in open(path):
        r = json.loads(line)
        if r["type"] != "test_finished":
            continue
        total += 1
        if r["outcome"] == "failed":
            failed.append(f'{r["name"]}: {r.get("failure")}')
        elif r["outcome"] == "skipped":
            skipped += 1
print(f"{label}: {total} tests, {len(failed)} failed, {skipped} skipped")
for f in failed:
    print("  " + f)
sys.exit(1 if failed or total == 0 else 0)
