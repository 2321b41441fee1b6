#!/usr/bin/env bash
# The pipeline the CI templates run, in sequence on this machine: the build
# job (`llconf build`), two kernel jobs that take its binaries with no cargo
# on PATH (so a job that compiled would fail), then the report job, whose
# merged report and KCIDB file are checked. Usage:
#   ci/simulate-pipeline.sh [DIR]      (default target/sim)
# LLCONF_SIM_KERNELS (default "debian-7.0 debian-7.1": one variant each, both
# qemu-initramfs, so two short boots) and LLCONF_SIM_SUITES (default
# "--suite base --suite unspec"; empty for every suite) narrow it for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/sim}
kernels=${LLCONF_SIM_KERNELS:-debian-7.0 debian-7.1}
suites=${LLCONF_SIM_SUITES---suite base --suite unspec}
rm -rf "$dir"
mkdir -p "$dir"
start=$(date +%s)

echo "-- build job"
cargo run -q -p llconf -- build --out "$dir/bins"

echo "-- kernel jobs, from the build job's binaries"
nocargo=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '\.cargo' -e rustup | paste -sd: -)
if PATH="$nocargo" command -v cargo >/dev/null; then
  echo "cannot hide cargo from the kernel jobs: $(PATH="$nocargo" command -v cargo)" >&2
  exit 1
fi
for k in $kernels; do
  # shellcheck disable=SC2086
  env PATH="$nocargo" "$dir/bins/llconf" run --bins "$dir/bins" --kernel "$k" $suites --out "$dir/out/$k"
done

echo "-- report job"
"$dir/bins/llconf" report "$dir/out" --kcidb "$dir/out/kcidb.json" --kcidb-run-id sim
"${HOME}/.cache/llconf-ci/venv/bin/python" ci/kcidb-check.py "$dir/out/kcidb.json" 2
test -s "$dir/out/report.html" && test -s "$dir/out/report.md"
echo "simulated pipeline: $(($(date +%s) - start)) s"
