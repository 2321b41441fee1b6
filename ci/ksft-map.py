#!/usr/bin/env python3
"""Check suites/KSFT.md, the map from the kernel's Landlock selftests to llconf.

    ci/ksft-map.py --check [KSFT_DIR] [--list FILE|-]
    ci/ksft-map.py --summary [KSFT_DIR] [--list FILE|-]
    ci/ksft-map.py --update [KSFT_DIR] [--list FILE|-]

KSFT_DIR is the kernel's tools/testing/selftests/landlock. Without it the
script looks under llconf's cache (LLCONF_CACHE, else ~/.cache/llconf) for
the copy that `llconf coverage --peer ksft` or `llconf mutants --peer ksft`
unpacked, and with none there it says so and exits 0: the check needs the
sources. The llconf case names come from `--list` (a file, or - for stdin,
holding `llconf list` output), else from running `cargo run -q -p llconf --
list` in the repository.

--check fails (exit 1) when
  - a KSFT test has no row in the map, or a row names no KSFT test;
  - a row's `match` is not same, partly or none, or says none while it
    names llconf cases (or names none while it says same or partly);
  - a name or glob in a row (or in the last section) matches no llconf case;
  - the summary table or a count of the last section is not what the
    sources and the list give (--update rewrites both).
--summary prints the summary table and the counts. Python 3, stdlib only.
"""

import argparse
import fnmatch
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAP = os.path.join(ROOT, "suites", "KSFT.md")
MATCHES = ("same", "partly", "none")


# --- the KSFT sources -------------------------------------------------------

def _strip(text):
    """C text without comments and #define bodies (macros that build tests
    would otherwise read as tests named after their parameters)."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    return re.sub(r"^[ \t]*#[ \t]*define(?:[^\n]*\\\n)*[^\n]*", "", text, flags=re.M)


def _load(path, depth=0):
    """A source file with its local #include "..." files inlined, since
    variant lists live in headers (scoped_base_variants.h)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = _strip(f.read())
    if depth > 4:
        return text

    def inline(m):
        inc = os.path.join(os.path.dirname(path), m.group(1))
        return _load(inc, depth + 1) if os.path.isfile(inc) else ""

    return re.sub(r'#[ \t]*include[ \t]+"([^"]+)"', inline, text)


TEST_RE = re.compile(
    r"\b(TEST|TEST_SIGNAL|TEST_F|TEST_F_SIGNAL|TEST_F_TIMEOUT|TEST_F_FORK)\s*\(\s*(\w+)\s*(?:,\s*(\w+)\s*)?[,)]"
)
VARIANT_RE = re.compile(r"\bFIXTURE_VARIANT_ADD\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")


def ksft_tests(ksft_dir):
    """{file: [(id, cases)]} in source order; id is fixture.test or test."""
    out = {}
    for name in sorted(os.listdir(ksft_dir)):
        if not name.endswith(".c"):
            continue
        text = _load(os.path.join(ksft_dir, name))
        variants = {}
        for m in VARIANT_RE.finditer(text):
            variants.setdefault(m.group(1), []).append(m.group(2))
        tests = []
        for m in TEST_RE.finditer(text):
            kind, a, b = m.groups()
            if kind in ("TEST", "TEST_SIGNAL"):
                tests.append((a, 1))
            else:
                tests.append((f"{a}.{b}", len(variants.get(a, [])) or 1))
        if tests:
            out[name] = tests
    return out


def find_ksft_dir():
    cache = os.environ.get("LLCONF_CACHE") or os.path.expanduser("~/.cache/llconf")
    found = []
    for pattern in ("uml/*/src/tools/testing/selftests/landlock",
                    "uml/*/tools/testing/selftests/landlock",
                    "trees/*/tools/testing/selftests/landlock"):
        for d in sorted(glob.glob(os.path.join(cache, pattern))):
            if glob.glob(os.path.join(d, "*_test.c")):
                found.append(d)
    # The map is of 7.3's selftests: prefer a 7.3 tree.
    found.sort(key=lambda d: ("7.3" not in d, d))
    return found[0] if found else None


# --- llconf's cases -----------------------------------------------------------

def llconf_cases(list_arg):
    if list_arg == "-":
        text = sys.stdin.read()
    elif list_arg:
        with open(list_arg, encoding="utf-8") as f:
            text = f.read()
    else:
        text = subprocess.run(
            ["cargo", "run", "-q", "-p", "llconf", "--", "list"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
    cases = []
    for line in text.splitlines():
        # `llconf list`: "suite (N tests)" headers, then indented names.
        s = line.strip()
        if line.startswith((" ", "\t")) and "::" in s and " " not in s:
            cases.append(s)
    return cases


def matching(pattern, cases):
    return [c for c in cases if fnmatch.fnmatchcase(c, pattern)]


# --- the map ------------------------------------------------------------------

def _cells(line):
    cells = re.split(r"(?<!\\)\|", line.strip())
    return [c.strip() for c in cells[1:-1]]


def parse_map(text):
    """(rows, reverse_rows). rows: {file: [(lineno, id, cases, pats, match)]};
    reverse_rows: [(lineno, kind, pats, count)]."""
    rows, reverse = {}, []
    section, in_reverse = None, False
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^###\s+(\S+\.c)\s*$", line)
        if m:
            section, in_reverse = m.group(1), False
            rows.setdefault(section, [])
            continue
        if re.match(r"^##\s+What llconf checks that KSFT does not", line):
            section, in_reverse = None, True
            continue
        if re.match(r"^##\s", line):
            section, in_reverse = None, False
            continue
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        cells = _cells(line)
        if section and len(cells) >= 4 and cells[0].startswith("`"):
            ident = cells[0].strip("`")
            try:
                cases = int(cells[1].lstrip("×x"))
            except ValueError:
                cases = None
            pats = re.findall(r"`([^`]+)`", cells[2])
            rows[section].append((n, ident, cases, pats, cells[3]))
        elif in_reverse and len(cells) >= 3 and re.search(r"`[^`]+`", cells[1]):
            pats = re.findall(r"`([^`]+)`", cells[1])
            try:
                count = int(cells[2])
            except ValueError:
                count = None
            reverse.append((n, cells[0], pats, count))
    return rows, reverse


# --- the summary --------------------------------------------------------------

def summary(tests, rows):
    """The summary table, as Markdown, from the sources and the map."""
    match_of = {}
    for f, rs in rows.items():
        for (_, ident, _, _, match) in rs:
            match_of[(f, ident)] = match
    lines = [
        "| KSFT file | tests (cases) | same | partly | none |",
        "|---|---:|---:|---:|---:|",
    ]
    tot = {"t": 0, "c": 0}
    for k in MATCHES:
        tot[k] = [0, 0]
    for f, ts in tests.items():
        per = {k: [0, 0] for k in MATCHES}
        for ident, cases in ts:
            k = match_of.get((f, ident))
            if k in per:
                per[k][0] += 1
                per[k][1] += cases
        t, c = len(ts), sum(x for _, x in ts)
        tot["t"] += t
        tot["c"] += c
        for k in MATCHES:
            tot[k][0] += per[k][0]
            tot[k][1] += per[k][1]
        lines.append(f"| {f} | {t} ({c}) | " + " | ".join(
            f"{per[k][0]} ({per[k][1]})" for k in MATCHES) + " |")
    lines.append(f"| **total** | **{tot['t']} ({tot['c']})** | " + " | ".join(
        f"**{tot[k][0]} ({tot[k][1]})**" for k in MATCHES) + " |")
    return "\n".join(lines)


def summary_block(text):
    m = re.search(r"<!-- summary -->\n(.*?)<!-- /summary -->", text, flags=re.S)
    return m


# --- main ----------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", nargs="?", const="", metavar="KSFT_DIR")
    mode.add_argument("--summary", nargs="?", const="", metavar="KSFT_DIR")
    mode.add_argument("--update", nargs="?", const="", metavar="KSFT_DIR")
    ap.add_argument("--list", metavar="FILE", help="`llconf list` output (- for stdin)")
    ap.add_argument("--map", default=MAP, help=argparse.SUPPRESS)
    args = ap.parse_args()

    ksft_dir = args.check if args.check is not None else (
        args.summary if args.summary is not None else args.update)
    if not ksft_dir:
        ksft_dir = find_ksft_dir()
        if not ksft_dir:
            print("ksft-map: skipped: no kernel Landlock selftests found under llconf's "
                  "cache (run `llconf coverage --peer ksft` or `llconf mutants --peer ksft` "
                  "first, or give KSFT_DIR)")
            return 0
    if not os.path.isdir(ksft_dir):
        print(f"ksft-map: {ksft_dir}: no such directory", file=sys.stderr)
        return 2

    tests = ksft_tests(ksft_dir)
    cases = llconf_cases(args.list)
    if not cases:
        print("ksft-map: `llconf list` gave no case names", file=sys.stderr)
        return 2
    with open(args.map, encoding="utf-8") as f:
        text = f.read()
    rows, reverse = parse_map(text)

    errors = []
    rel = os.path.relpath(args.map, ROOT)

    # Every KSFT test has exactly one row; every row is a KSFT test.
    for f, ts in tests.items():
        have = {}
        for (n, ident, c, _, _) in rows.get(f, []):
            if ident in have:
                errors.append(f"{rel}:{n}: {f}: `{ident}` has two rows (also line {have[ident]})")
            have[ident] = n
        for ident, c in ts:
            if ident not in have:
                errors.append(f"{rel}: {f}: `{ident}` ({c} cases) has no row")
        known = {i: c for i, c in ts}
        for (n, ident, c, _, _) in rows.get(f, []):
            if ident not in known:
                errors.append(f"{rel}:{n}: {f}: `{ident}` is no test of the KSFT sources")
            elif c != known[ident]:
                errors.append(f"{rel}:{n}: {f}: `{ident}` runs {known[ident]} cases, the row says {c}")
    for f in rows:
        if f not in tests:
            errors.append(f"{rel}: section {f}: no such KSFT file with tests")

    # Each row's match agrees with its llconf cell; every pattern matches.
    for f, rs in rows.items():
        for (n, ident, _, pats, match) in rs:
            if match not in MATCHES:
                errors.append(f"{rel}:{n}: `{ident}`: match `{match}` is not one of {', '.join(MATCHES)}")
            elif (match == "none") != (not pats):
                errors.append(f"{rel}:{n}: `{ident}`: match `{match}` but "
                              + ("names llconf cases" if pats else "names no llconf case"))
            for p in pats:
                if not matching(p, cases):
                    errors.append(f"{rel}:{n}: `{ident}`: `{p}` matches no llconf case")

    # The last section's counts.
    counts = []
    for (n, kind, pats, count) in reverse:
        got = set()
        for p in pats:
            m = matching(p, cases)
            if not m:
                errors.append(f"{rel}:{n}: `{p}` matches no llconf case")
            got.update(m)
        counts.append((n, kind, len(got)))
        if count != len(got):
            errors.append(f"{rel}:{n}: {kind}: the row says {count}, its globs match {len(got)} cases")

    table = summary(tests, rows)
    block = summary_block(text)
    if block is None:
        errors.append(f"{rel}: no <!-- summary --> ... <!-- /summary --> block")
    elif block.group(1).strip() != table:
        errors.append(f"{rel}: the summary table is stale (ci/ksft-map.py --update rewrites it)")

    if args.summary is not None:
        print(table)
        print()
        for (n, kind, c) in counts:
            print(f"{c:5}  {kind}")
        return 0

    if args.update is not None:
        # The counts first, by line number, then the summary (which moves lines).
        lines = text.split("\n")
        for (n, _, c) in counts:
            cells = re.split(r"(?<!\\)\|", lines[n - 1])
            cells[3] = f" {c} "
            lines[n - 1] = "|".join(cells)
        text = "\n".join(lines)
        block = summary_block(text)
        if block is not None:
            text = text[:block.start(1)] + table + "\n" + text[block.end(1):]
        with open(args.map, "w", encoding="utf-8") as f:
            f.write(text)
        errors = [e for e in errors if "stale" not in e and "the row says" not in e]
        print(f"ksft-map: {rel} updated")

    n_tests = sum(len(t) for t in tests.values())
    if errors:
        for e in errors:
            print(f"ksft-map: {e}", file=sys.stderr)
        print(f"ksft-map: FAILED: {len(errors)} problem(s); {n_tests} KSFT tests in {ksft_dir}, "
              f"{len(cases)} llconf cases", file=sys.stderr)
        return 1
    if args.check is not None:
        print(f"ksft-map: ok: {n_tests} KSFT tests ({sum(c for t in tests.values() for _, c in t)} cases) "
              f"from {ksft_dir} mapped; {len(cases)} llconf cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
