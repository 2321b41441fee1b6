#!/usr/bin/env bash
# Installs what a fresh machine lacks for llconf, then builds the workspace.
# Safe to run again: it only installs what is missing. What only the
# project's own CI needs is in ci/setup-ci.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh

apt_install_missing "llconf setup" python3:python3 cc:gcc cpio:cpio
if ! command -v cargo >/dev/null 2>&1; then
  echo "llconf setup: cargo is missing; install Rust 1.80 or later first:" >&2
  echo "  curl https://sh.rustup.rs -sSf | sh   (or: apt-get install rustup && rustup default stable)" >&2
  exit 1
fi
rust=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n' 1.80.0 "$rust" | sort -V | head -1)" != 1.80.0 ]; then
  echo "llconf setup: Rust $rust is too old; llconf needs 1.80 or later (rustup update stable)" >&2
  exit 1
fi
cargo build --workspace --all-targets -q
# qemu, virtme-ng and their helpers for VM runs; it says what it installs.
cargo run -q -p llconf -- setup
