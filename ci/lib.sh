# Shell helpers the CI scripts share; sourced, not run.

# The suites of the workspace: packages marked [package.metadata.llconf].
llconf_suites() {
  cargo metadata -q --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    s = (p.get("metadata") or {}).get("llconf", {}).get("suite")
    if s: print(s)'
}

# The test binary of suite $1, built if needed.
llconf_suite_bin() {
  cargo test -q -p "$1" --no-run --message-format=json | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["profile"]["test"] and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}

# Installs the Debian packages of the `command:package` pairs whose command
# is missing; as another user than root, says what to install and fails.
apt_install_missing() {
  local need=() who=$1
  shift
  for tool in "$@"; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool##*:}")
  done
  ((${#need[@]})) || return 0
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    echo "$who: please install: ${need[*]}" >&2
    return 1
  fi
}
