#!/usr/bin/env python3
"""Every command the README shows, checked from a fresh clone.

The README's commands are read from its indented code blocks. Those that
need no VM and no kernel build run for real, in order, in a scratch copy of
nothing but the checkout's own files (a fresh `out/`); the others (VM runs,
UML builds, coverage, mutants, benchmarks) cannot all run in one CI job, so
each is checked against `llconf <command> --help`: the subcommand exists and
every flag it uses is one that subcommand takes.
"""

import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLCONF = ["cargo", "run", "-q", "-p", "llconf", "--"]

# Run for real: cheap, and what a newcomer tries first.
RUN = [
    re.compile(r"^cargo run -p llconf -- (list|kernels|doctor)$"),
    re.compile(r"^cargo run -p llconf -- ci matrix --format (github|gitlab)$"),
    re.compile(r"^cargo run -p llconf -- run --host\b"),
    re.compile(r"^cargo run -p llconf -- report out$"),
    re.compile(r"^cargo test -p base -- (--list|create_ruleset::size)$"),
]


def commands():
    """Commands of the README's indented code blocks, comments cut."""
    out = []
    for line in open(os.path.join(ROOT, "README.md"), encoding="utf-8"):
        if not line.startswith("    "):
            continue
        text = line.strip()
        if not (text.startswith("cargo run -p llconf -- ") or text.startswith("cargo test -p ")):
            continue
        text = re.sub(r"\s+#.*$", "", text)
        out.append(text)
    return out


def flags_of(sub):
    """The long flags `llconf <sub> --help` lists, global ones included."""
    help_text = subprocess.run(
        LLCONF + [sub, "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", help_text))


def check_flags(cmd):
    words = shlex.split(cmd.split(" | ")[0].split(" > ")[0])
    args = words[words.index("--") + 1 :]
    if "--" in args:  # what follows goes to the suite binaries
        args = args[: args.index("--")]
    sub = args[0]
    known = flags_of(sub)
    unknown = [a.split("=")[0] for a in args[1:] if a.startswith("--") and a.split("=")[0] not in known]
    return f"unknown flags {unknown}" if unknown else None


def suite_counts():
    """The README's suites table against `llconf list`: a count that no
    longer holds is a README that lies."""
    text = open(os.path.join(ROOT, "README.md")).read()
    claimed = dict(re.findall(r"^\| `([a-z]+)` \| .* \| (\d+) \|$", text, re.M))
    listed = subprocess.run(LLCONF + ["list"], cwd=ROOT, capture_output=True, text=True).stdout
    actual = dict(re.findall(r"^([a-z]+) \((\d+) tests\)$", listed, re.M))
    if not claimed:
        return ["README: no suites table found"]
    return [
        f"README suites table: {s} has {actual.get(s, 'no')} cases, the table says {n}"
        for s, n in sorted(claimed.items())
        if actual.get(s) != n
    ] + [f"README suites table: suite {s} is missing" for s in sorted(set(actual) - set(claimed))]


def main():
    failures = suite_counts()
    print(f"README suites table: {len(failures)} wrong")
    cmds = commands()
    for cmd in cmds:
        if any(p.search(cmd) for p in RUN):
            words = shlex.split(cmd)
            if words[:2] == ["cargo", "run"]:
                words = words[:2] + ["-q"] + words[2:]
            r = subprocess.run(words, cwd=ROOT, capture_output=True, text=True)
            # A run whose tests fail on this machine's kernel still ran as
            # documented; usage errors (2) are what this checks.
            ok = r.returncode in (0, 1) if " run " in cmd else r.returncode == 0
            print(f"{'ran  ' if ok else 'FAIL '} {cmd} (exit {r.returncode})")
            if not ok:
                failures.append(f"{cmd}: exit {r.returncode}\n{r.stderr[-2000:]}")
        elif cmd.startswith("cargo run -p llconf -- "):
            problem = check_flags(cmd)
            print(f"{'flags' if not problem else 'FAIL '} {cmd}" + (f": {problem}" if problem else ""))
            if problem:
                failures.append(f"{cmd}: {problem}")
        else:
            print(f"skip  {cmd} (runs the suites; the test command covers it)")
    print(f"README commands: {len(cmds)}, {len(failures)} failing")
    for f in failures:
        print("  " + f)
    return 1 if failures or not cmds else 0


if __name__ == "__main__":
    sys.exit(main())
