#!/usr/bin/env python3
"""Reads the suites' results files (*.jsonl) in DIR and fails if any test
failed, none ran, a suite named after LABEL left no results, or a suite
finished fewer tests than it planned (it died on the way): the check
behind the runs where every test must pass or skip (ci/unprivileged.sh,
ci/landlock-off.sh).

  no-failures-check.py DIR LABEL SUITE...
"""
import glob
import json
import sys

folder, label, suites = sys.argv[1], sys.argv[2], sys.argv[3:]
failed, total, skipped = [], 0, 0
for suite in suites:
    if not glob.glob(f"{folder}/{suite}.jsonl"):
        failed.append(f"{suite}: no results file (see {folder}/{suite}.log)")
for path in sorted(glob.glob(folder + "/*.jsonl")):
    planned, finished = 0, 0
    for line in open(path):
        r = json.loads(line)
        if r["type"] == "suite_started":
            planned += r.get("tests_planned", 0)
        if r["type"] != "test_finished":
            continue
        finished += 1
        total += 1
        if r["outcome"] == "failed":
            failed.append(f'{r["name"]}: {r.get("failure")}')
        elif r["outcome"] == "skipped":
            skipped += 1
    if finished < planned:
        failed.append(f"{path}: {finished} of {planned} planned tests finished")
print(f"{label}: {total} tests, {len(failed)} failed, {skipped} skipped")
for f in failed:
    print("  " + f)
sys.exit(1 if failed or total == 0 else 0)
