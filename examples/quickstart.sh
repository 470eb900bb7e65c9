#!/bin/bash
# Quick start: on one Debian 12 machine, as root, with nothing configured by
# hand.  Installs what sluice needs, builds it, generates SSH keys, starts a
# loopback sshd "node" with its own config and port, starts the dispatcher
# (sluice serve), submits examples/hello.py over the HTTP API, prints the
# job, runs it again with the command line (sluice), and stops everything it
# started.  With --keep it leaves the node and the daemon running and says
# how to use them, and how to stop them.
#
# On a machine shared with other agents, keep out of their way with
#   SLUICE_QS_UID_BASE  the first of the node's 4 slot uids and gids
#                       (default: etc/agent.conf's 61000); two agents given
#                       the same slot ids share their cgroups and limits
#   SLUICE_QS_PORT, SLUICE_QS_API_PORT
#                       the node's sshd and the daemon's ports on 127.0.0.1
#                       (default: free ones the kernel picks)
set -euo pipefail
keep=no
[ "${1:-}" = --keep ] && keep=yes
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "$(id -u)" -ne 0 ]; then
	echo "quickstart: run as root (the agent builds namespaces and cgroups)" >&2
	exit 1
fi
echo "== installing packages and building"
.ci/install-deps >/dev/null
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure >/dev/null; } &&
	make -j"$(nproc)" sluice sluice-agent >/dev/null)

T=$(mktemp -d /tmp/sluice-quickstart.XXXXXX)
chmod 755 "$T"
daemon=
cleanup() {
	[ "$keep" = yes ] && return
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	node_teardown_all
	rm -rf "$T"
}
trap cleanup EXIT
# The same helpers the integration tests use to run a loopback sshd node.
. tests/lib/node.sh

echo "== a node: sshd on 127.0.0.1 with its own host key, and an agent"
node_init
node_port=${SLUICE_QS_PORT:-$(node_free_port)}
node_start node1 "$node_port"
mkdir -p "$T/node1/jobs"
sed "s|^base_dir = .*|base_dir = \"$T/node1\";|" etc/agent.conf >"$T/agent.conf"
if [ -n "${SLUICE_QS_UID_BASE:-}" ]; then
	sed -i -e "s|^uid_base = .*|uid_base = $SLUICE_QS_UID_BASE;|" \
		-e "s|^gid_base = .*|gid_base = $SLUICE_QS_UID_BASE;|" "$T/agent.conf"
fi

echo "== the dispatcher"
api_port=${SLUICE_QS_API_PORT:-$(node_free_port)}
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$T/sluice.conf" <<EOC
listen = "127.0.0.1:$api_port";
state_dir = "$T/state";
ui_dir = "$top/ui";   # the dashboard's files, from the clone (make install puts them where the default looks)
tokens = ( { name = "quickstart"; role = "admin";
             sha256 = "$(printf %s "$token" | sha256sum | cut -d' ' -f1)"; } );
nodes = ( { name = "node1"; host = "127.0.0.1"; port = $node_port; user = "root";
            identity = "$T/ssh/id_ed25519"; known_hosts = "$T/ssh/known_hosts";
            agent = [ "$top/build/sluice-agent", "--config", "$T/agent.conf" ]; } );
EOC
build/sluice serve --config "$T/sluice.conf" 2>"$T/serve.log" &
daemon=$!
api() {
	curl -fsS -H "Authorization: Bearer $token" "$@"
}
for i in $(seq 1 100); do
	[ "$(api "http://127.0.0.1:$api_port/v1/nodes" 2>/dev/null |
		jq -r '.nodes[0].state')" = UP ] && break
	sleep 0.1
done

echo "== POST /v1/jobs with examples/hello.py"
body=$(jq -n --rawfile src examples/hello.py \
	'{runtime: "python3", entry: "hello.py", files: {"hello.py": $src},
	  limits: {cpu_seconds: 2, wall_seconds: 5, memory_bytes: 134217728}}')
id=$(api -H 'Content-Type: application/json' --data-binary "$body" \
	"http://127.0.0.1:$api_port/v1/jobs" | jq -r .id)
echo "job $id submitted; waiting for it (GET /v1/jobs/$id/wait)"
job=$(api "http://127.0.0.1:$api_port/v1/jobs/$id/wait?timeout_seconds=30")
echo
printf '%s\n' "$job" | jq '{id, state, verdict, node, attempts, exit_code,
	cpu_seconds, wall_seconds, memory_peak_bytes, stdout, stderr}'
echo
echo "--- the program's output"
printf '%s\n' "$job" | jq -r .stdout

echo
echo "== the same with the command line: sluice submit --wait, list, nodes"
export SLUICE_SERVER="http://127.0.0.1:$api_port" SLUICE_TOKEN="$token"
build/sluice submit --wait examples/hello.py
build/sluice list
build/sluice nodes
echo
if [ "$keep" = yes ]; then
	cat <<EON
== next steps: the node and the daemon are still running
  export SLUICE_SERVER=$SLUICE_SERVER SLUICE_TOKEN=$token
  $top/build/sluice submit --wait examples/hello.py     # any Python file, or a directory
  $top/build/sluice list ; $top/build/sluice nodes ; man ./man/sluice.1
  curl -H "Authorization: Bearer \$SLUICE_TOKEN" \$SLUICE_SERVER/v1/runtimes   # docs/api.md
  the dashboard: open $SLUICE_SERVER/ in a browser on this machine and type the token
  the daemon's config: $T/sluice.conf (read once, at start), its log: $T/serve.log;
  restart it after a change: kill $daemon; $top/build/sluice serve --config $T/sluice.conf 2>>$T/serve.log &
  stop them: kill the daemon (pid $daemon until a restart) and \$(cat $T/node-node1/sshd.pid); rm -rf $T
For a real deployment (accounts, keys, tokens, nodes): README, "A real
deployment", and examples/deploy.sh.
EON
else
	echo "== next steps: run it again with --keep to leave the node and the daemon"
	echo "running and use them; for a real deployment, README and examples/deploy.sh"
fi
