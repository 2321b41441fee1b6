#!/usr/bin/env bash
# The pipeline templates, and the child pipeline llconf generates for GitLab,
# against the schemas GitHub and GitLab publish (bundled in check-jsonschema,
# which ci/setup-ci.sh installs).
set -euo pipefail
cd "$(dirname "$0")/.."
cjs="${HOME}/.cache/llconf-ci/venv/bin/check-jsonschema"
"$cjs" --builtin-schema vendor.github-workflows ci/github/llconf.yml
"$cjs" --builtin-schema vendor.gitlab-ci ci/gitlab/llconf.gitlab-ci.yml
mkdir -p target
cargo run -q -p llconf -- ci matrix --format gitlab >target/llconf-jobs.yml
"$cjs" --builtin-schema vendor.gitlab-ci target/llconf-jobs.yml
# The GitHub matrix is JSON with an `include` list, one entry a kernel job.
cargo run -q -p llconf -- ci matrix --format github | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert m["include"] and all({"kernel", "cache_key", "variants", "backend"} <= set(j) for j in m["include"]), m
print("ok -- github matrix:", " ".join(j["kernel"] for j in m["include"]))'
