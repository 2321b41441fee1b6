#!/usr/bin/env bash
# Installs what a fresh machine lacks for llconf, then builds the workspace.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for tool in python3:python3 cc:gcc xmllint:libxml2-utils cpio:cpio chromium:chromium; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need_apt+=("${tool##*:}")
done
if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "llconf setup: please install: ${need_apt[*]}" >&2
    exit 1
  fi
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "llconf setup: cargo is missing; install a Rust toolchain (rustup) first" >&2
  exit 1
fi
cargo build --workspace --all-targets -q
# cargo-nextest, which Rust developers reach for first: CI checks that the
# suites' skips are skips under it too (ci/nextest-check.sh).
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "llconf setup: installing cargo-nextest from crates.io (a few minutes)"
  cargo install -q --locked cargo-nextest
fi
# qemu, virtme-ng and their helpers for VM runs; it says what it installs.
cargo run -q -p llconf -- setup
