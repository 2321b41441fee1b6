#!/usr/bin/env python3
"""Checks a file written by `llconf report --kcidb` against KernelCI's KCIDB
I/O schema (the kcidb-io package from PyPI, which ci/setup-ci.sh installs),
and that it holds one test per case: usage: kcidb-check.py FILE [MIN_TESTS]."""
import json
import sys

import kcidb_io

path = sys.argv[1]
least = int(sys.argv[2]) if len(sys.argv) > 2 else 1
data = json.load(open(path, encoding="utf-8"))
kcidb_io.schema.LATEST.validate_exactly(data)
tests = data.get("tests", [])
if len(tests) < least:
    sys.exit(f"{path}: {len(tests)} tests, expected at least {least}")
statuses = {}
for t in tests:
    statuses[t["status"]] = statuses.get(t["status"], 0) + 1
print(
    f"ok -- {path}: KCIDB {data['version']['major']}.{data['version']['minor']}, "
    f"{len(data['checkouts'])} checkouts, {len(data['builds'])} builds, {len(tests)} tests "
    + " ".join(f"{k}={v}" for k, v in sorted(statuses.items()))
)
