#!/usr/bin/env bash
# What the project's own CI needs beyond ci/setup.sh: xmllint for the JUnit
# schema checks, Chromium for the report's screenshot test, cargo-nextest
# for ci/nextest-check.sh. Users of llconf need none of it.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for tool in xmllint:libxml2-utils chromium:chromium; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need_apt+=("${tool##*:}")
done
if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "llconf CI setup: please install: ${need_apt[*]}" >&2
    exit 1
  fi
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "llconf CI setup: installing cargo-nextest from crates.io (a few minutes)"
  cargo install -q --locked cargo-nextest
fi
