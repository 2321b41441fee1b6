#!/usr/bin/env bash
# What the project's own CI needs beyond ci/setup.sh: xmllint for the JUnit
# schema checks, Chromium for the report's screenshot test, cargo-nextest
# for ci/nextest-check.sh. Users of llconf need none of it.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh

apt_install_missing "llconf CI setup" xmllint:libxml2-utils chromium:chromium
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "llconf CI setup: installing cargo-nextest from crates.io (a few minutes)"
  cargo install -q --locked cargo-nextest
fi
# check-jsonschema (PyPI) for ci/templates-check.sh: it ships the schemas of
# GitHub workflows and GitLab CI files, so validating needs no network; and
# kcidb-io, KernelCI's schema of KCIDB data, for ci/kcidb-check.py.
venv="${HOME}/.cache/llconf-ci/venv"
if ! "$venv/bin/check-jsonschema" --version >/dev/null 2>&1 \
  || ! "$venv/bin/python" -c 'import kcidb_io' 2>/dev/null; then
  echo "llconf CI setup: installing check-jsonschema and kcidb-io from PyPI into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q check-jsonschema kcidb-io
fi
