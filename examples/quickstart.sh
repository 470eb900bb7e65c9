#!/bin/sh
# Quick start: install what sluice needs (Debian 12, as root), build it, and
# run examples/hello.py through sluice-agent in a throwaway sandbox, then
# show what happened.  Leaves nothing behind but the build in build/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "$(id -u)" -ne 0 ]; then
	echo "quickstart: run as root (the agent builds namespaces and cgroups)" >&2
	exit 1
fi
.ci/install-deps >/dev/null
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
mkdir -p build
cd build
[ -f Makefile ] || ../configure >/dev/null
make -j"$(nproc)" sluice-agent >/dev/null
cd "$top"

work=$(mktemp -d /tmp/sluice-quickstart.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/base/jobs/hello.1/files"
sed "s|^base_dir = .*|base_dir = \"$work/base\";|" etc/agent.conf >"$work/agent.conf"
cp examples/hello.py "$work/base/jobs/hello.1/files/hello.py"
cat >"$work/base/jobs/hello.1/job.json" <<JSON
{ "version": 1, "id": "hello", "runtime": "python3", "entry": "hello.py",
  "limits": { "cpu_seconds": 2, "wall_seconds": 5, "memory_bytes": 134217728 } }
JSON

echo "\$ sluice-agent run $work/base/jobs/hello.1"
build/sluice-agent --config "$work/agent.conf" run "$work/base/jobs/hello.1" |
	jq -r '.event + "  " + .at'
dir="$work/base/jobs/hello.1"
echo
echo "--- stdout"
cat "$dir/stdout"
echo "--- stderr"
cat "$dir/stderr"
echo "---"
jq -r '"verdict:  \(.verdict)\(if .exit_code != null then " (exit \(.exit_code))" else "" end)\(if .signal != null then " (signal \(.signal))" else "" end)",
       "cpu:      \(.cpu_seconds) s of \(.limits.cpu_seconds) s",
       "wall:     \(.wall_seconds) s of \(.limits.wall_seconds) s",
       "memory:   \(.memory_peak_bytes / 1048576 * 10 | floor / 10) MiB peak of \(.limits.memory_bytes / 1048576) MiB",
       "message:  \(if .message == "" then "-" else .message end)"' "$dir/result.json"
