#!/usr/bin/env python3
"""The mutant measure kept in this folder: merge runs into it, print its table,
list what still needs a reason.

  measure.py merge OUT... [--into FILE]  add the verdicts of `llconf mutants`
                                         runs (their --out folders or their
                                         mutants.json) to the kept verdicts
  measure.py merge --again OUT...        the same, for runs that judged
                                         mutants again with cases written
                                         for them: kept in rejudged.json too,
                                         they win over every run, now and in
                                         every later merge
  measure.py table [--readme|--update-readme]
                                         the per-file table (Markdown); with
                                         --readme, fail unless README.md holds
                                         it; --update-readme writes it there
  measure.py survivors                   mutants both sides missed with no reason
                                         in reasons.md, and the selftests'
                                         catches that llconf missed
  measure.py llconf-only                 llconf's catches the selftests are
                                         known to miss (they ran on it: in a
                                         run before llconf's case, or with
                                         --peer on every mutant)

Why a file in the repository: a measure takes several sessions, and a machine
may not outlive one. The verdicts are kept here, so any machine goes on from
them (`llconf mutants --resume` with this file copied into its --out).

Merging keeps at most KILLERS of a mutant's killers (a kernel that does not
boot fails every test), with a last entry saying how many more there were.
A mutant judged in several inputs takes llconf's verdict from the last
input named and the selftests' verdict from the last input that ran them.
The verdicts of `--again` runs (rejudged.json) come after every input: the
shards, which run the suites frozen at their start, judge such a mutant
later too, without the case, and must not undo its verdict.
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KERNEL = "uml-7.3"
KEPT = os.path.join(HERE, KERNEL, "mutants.json")
POINTS = os.path.join(HERE, KERNEL, "points.txt")
REASONS = os.path.join(HERE, KERNEL, "reasons.md")
REJUDGED = os.path.join(HERE, KERNEL, "rejudged.json")
README = os.path.join(HERE, "..", "README.md")

NOTICED = ("caught", "timeout")
KILLERS = 10
NOT_BUILT = ("not-compiled", "unviable")
TABLE_START = "<!-- measure table: measure/measure.py table -->"
TABLE_END = "<!-- end of measure table -->"


def load(path):
    if os.path.isdir(path):
        path = os.path.join(path, "mutants.json")
    with open(path) as f:
        return json.load(f)


def write_whole(path, text):
    """Writes `path` whole or not at all: a Ctrl-C or a full disk half-way
    leaves the kept verdicts (or the README) as they were."""
    tmp = path + ".partial"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def merge(inputs, into, again=False, rejudged=REJUDGED):
    if again:
        before = [load(rejudged)] if os.path.exists(rejudged) else []
        runs = before + [load(p) for p in inputs]
        latest = {}
        for f in runs:
            for m in f["mutants"]:
                latest[m["id"]] = trimmed(with_ksft_of(m, latest.get(m["id"])))
        text = json.dumps({"mutants": list(latest.values())}, indent=1) + "\n"
        write_whole(rejudged, text)
        print(f"{rejudged}: {len(latest)} mutants judged again")
    kept = load(into) if os.path.exists(into) else None
    files = ([kept] if kept else []) + [load(p) for p in inputs]
    if os.path.exists(rejudged):
        files.append(load(rejudged))
    by_id = {}
    order = []
    for f in files:
        for m in f["mutants"]:
            old = by_id.get(m["id"])
            if old is None:
                order.append(m["id"])
                by_id[m["id"]] = m
                continue
            by_id[m["id"]] = with_ksft_of(m, old)
    head = dict(files[0])
    head["mutants"] = [trimmed(by_id[i]) for i in order]
    os.makedirs(os.path.dirname(into), exist_ok=True)
    write_whole(into, json.dumps(head, indent=1) + "\n")
    print(f"{into}: {len(order)} mutants judged")


def with_ksft_of(m, old):
    """`m`, keeping the selftests' verdict of `old` if `m` has none: a run
    without them does not undo theirs."""
    new = dict(m)
    if old is not None and new.get("ksft") is None and old.get("ksft") is not None:
        new["ksft"] = old["ksft"]
    return new


def trimmed(m):
    """The mutant with its killers' lists cut to KILLERS names."""
    def cut(names):
        if len(names) <= KILLERS:
            return names
        return names[:KILLERS] + [f"... and {len(names) - KILLERS} more"]
    m = dict(m)
    m["killers"] = cut(m["killers"])
    if m.get("ksft"):
        m["ksft"] = dict(m["ksft"], killers=cut(m["ksft"]["killers"]))
    return m


def points():
    """Every mutant id of the measured source, in `llconf mutants --list` order."""
    with open(POINTS) as f:
        return [line.strip() for line in f if line.strip()]


def file_of(mid):
    return mid.split(":")[0]


def side(m):
    """llconf's verdict and the selftests' (None when they did not run)."""
    k = m.get("ksft")
    return m["outcome"], (k["outcome"] if k else None)


def kept():
    """The kept verdicts; none before the first merge."""
    return load(KEPT)["mutants"] if os.path.exists(KEPT) else []


def rows():
    ids = points()
    judged = {m["id"]: m for m in kept()}
    stray = sorted(set(judged) - set(ids))
    if stray:
        sys.exit(f"{KEPT}: {len(stray)} verdicts for mutants not in {POINTS}, e.g. {stray[0]}")
    files = []
    for mid in ids:
        if file_of(mid) not in files:
            files.append(file_of(mid))
    out = []
    for name in files:
        r = dict(file=os.path.basename(name), mutants=0, done=0, judged=0, caught=0,
                 ksft_only=0, both=0, unrun=0, not_built=0)
        for mid in ids:
            if file_of(mid) != name:
                continue
            r["mutants"] += 1
            m = judged.get(mid)
            if m is None:
                continue
            r["done"] += 1
            ours, theirs = side(m)
            if ours in NOT_BUILT:
                r["not_built"] += 1
                continue
            r["judged"] += 1
            if ours in NOTICED:
                r["caught"] += 1
            elif theirs is None:
                r["unrun"] += 1
            elif theirs in NOTICED:
                r["ksft_only"] += 1
            else:
                r["both"] += 1
        out.append(r)
    return out


def pct(n, d):
    return f"{n} ({round(100 * n / d)}%)" if d else str(n)


def table():
    rs = rows()
    total = {k: sum(r[k] for r in rs) for k in rs[0] if k != "file"}
    total["file"] = "total"
    lines = [
        "| file | mutants | done | judged | llconf caught | selftests only | both missed "
        "| selftests not run | not compiled |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rs + [total]:
        lines.append(
            f"| {r['file']} | {r['mutants']} | {r['done']} | {r['judged']} "
            f"| {pct(r['caught'], r['judged'])} | {r['ksft_only']} | {r['both']} "
            f"| {r['unrun']} | {r['not_built']} |"
        )
    return "\n".join(lines) + "\n"


def reasons():
    """The ids reasons.md gives a reason for: lines `- \\`ID\\`: why`."""
    got = {}
    with open(REASONS) as f:
        for line in f:
            m = re.match(r"- `([^`]+)`: (.+)", line)
            if m:
                got[m.group(1)] = m.group(2)
    return got


def survivors():
    why = reasons()
    bad = 0
    for m in kept():
        ours, theirs = side(m)
        if ours != "missed":
            continue
        if theirs in NOTICED:
            print(f"selftests only: {m['id']} (killers: {', '.join(m['ksft']['killers'])})")
            bad += 1
        elif theirs is None:
            print(f"selftests not run: {m['id']}")
            bad += 1
        elif m["id"] not in why:
            print(f"no reason: {m['id']}\n{m['diff']}")
            bad += 1
    survivors_ = {m["id"] for m in kept() if side(m) == ("missed", "missed")}
    for mid in sorted(set(why) - survivors_):
        if mid in {m["id"] for m in kept()}:
            print(f"a reason for a mutant that is no survivor of both: {mid}")
            bad += 1
    print(f"{bad} to look at")
    return 1 if bad else 0


def llconf_only():
    for m in kept():
        ours, theirs = side(m)
        if ours in NOTICED and theirs == "missed":
            # A test that noticed says more than the VM's own checks.
            killers = m.get("killers") or ["?"]
            tests = [k for k in killers if not k.startswith(("vm::", "... "))]
            killer = (tests or killers)[0]
            print(f"{m['id']}: {killer}")


def readme_block():
    with open(README) as f:
        text = f.read()
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < 0:
        sys.exit(f"{README}: no {TABLE_START} ... {TABLE_END} block")
    return text, start + len(TABLE_START), end


def update_readme():
    text, start, end = readme_block()
    write_whole(README, text[:start] + "\n" + table() + text[end:])
    print(f"{README}: measure table written")


def check_readme():
    text, start, end = readme_block()
    held = text[start:end].strip() + "\n"
    if held != table():
        print(table(), end="")
        sys.exit(f"{README}: the measure table is not the kept verdicts' (above)")
    print("README's measure table matches the kept verdicts")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("merge")
    m.add_argument("inputs", nargs="+")
    m.add_argument("--into", default=KEPT)
    m.add_argument("--again", action="store_true")
    t = sub.add_parser("table")
    t.add_argument("--readme", action="store_true")
    t.add_argument("--update-readme", action="store_true")
    sub.add_parser("survivors")
    sub.add_parser("llconf-only")
    a = p.parse_args()
    if a.cmd == "merge":
        merge(a.inputs, a.into, a.again)
    elif a.cmd == "table":
        if a.update_readme:
            update_readme()
        elif a.readme:
            check_readme()
        else:
            print(table(), end="")
    elif a.cmd == "llconf-only":
        llconf_only()
    else:
        sys.exit(survivors())


if __name__ == "__main__":
    main()
