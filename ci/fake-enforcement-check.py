#!/usr/bin/env python3
"""Checks the results of suites run under a faked landlock_restrict_self.

Usage: ci/fake-enforcement-check.py DIR...

DIR is a folder of <suite>.jsonl files (ci/fake-enforcement.sh) or an
`llconf run` output folder (`llconf run ... -- --fake-restrict-self`),
whose results/<suite>.jsonl, or per target <target>/results/<suite>.jsonl,
are read. Every enforcement test must
have failed (or been skipped, for what the kernel lacks), and no test whose
restrict_self calls were faked may have passed: either would be a test
that cannot fail on a kernel that enforces nothing.
"""
import glob
import json
import os
import sys


def result_files(d):
    for pattern in (("*", "results", "*.jsonl"), ("results", "*.jsonl"), ("*.jsonl",)):
        found = sorted(glob.glob(os.path.join(d, *pattern)))
        if found:
            return found
    return []


def main(dirs):
    bad, enforcement, failed, total = [], 0, 0, 0
    for d in dirs:
        files = result_files(d)
        if not files:
            bad.append(f"{d}: no results found")
        for path in files:
            where = os.path.relpath(path, d)
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
                        bad.append(f'{where}: {r["name"]}: enforcement test passed under a faked restrict_self')
                if r["outcome"] == "passed" and r.get("restrict_self_calls", 0) > 0:
                    bad.append(f'{where}: {r["name"]}: passed although its restrict_self calls were faked')
    if failed == 0:
        bad.append("no enforcement test ran: nothing was checked")
    print(f"fake-enforcement: {total} tests, {enforcement} enforcement tests "
          f"({failed} failed as they must, {enforcement - failed} skipped here), {len(bad)} problems")
    for b in bad:
        print("  " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
