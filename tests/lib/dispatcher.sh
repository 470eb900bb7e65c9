# Helpers for dispatcher integration tests: real sshd nodes on loopback
# (tests/lib/node.sh), each with its own agent config (distinct base_dir and
# uid_base), and the real `sluice serve` driven over HTTP with curl.
# Source tests/lib/tap.sh first.

: "${top_builddir:?run through make check, or set top_builddir}"
: "${top_srcdir:?run through make check, or set top_srcdir}"

. "$top_srcdir/tests/lib/node.sh"

SLUICE_BIN="$top_builddir/sluice"
AGENT_BIN="$top_builddir/sluice-agent"
NODESHELL_BIN="$top_builddir/sluice-node-shell"
TOKEN_A=token-alpha-$$
TOKEN_B=token-beta-$$
TOKEN_ADMIN=token-admin-$$

# disp_setup UID_BASE [NODES] [SLOTS] [EXTRA_CONF]: make $T, NODES nodes
# (with DISP_RUNTIMES set, more entries of each node's runtimes list, such
# as etc_runtime's from tests/lib/agent.sh)
# (with DISP_WARM set, their python3 has warm_start: agent/park.h)
# (node i runs as UID_BASE + 100 (i - 1) + slot: give each test its own
# thousand, so that tests running at once never share a uid or cgroup)
# (default 2) called node1.., each with SLOTS slots (default 2), and a
# sluice.conf; nothing is started yet.
disp_setup() {
	[ "$(id -u)" -eq 0 ] || tap_skip_all "dispatcher tests need root"
	[ -x "$SLUICE_BIN" ] && [ -x "$AGENT_BIN" ] || tap_skip_all "build first"
	command -v curl >/dev/null || tap_skip_all "no curl"
	DISP_UID_BASE=$1
	DISP_NODES=${2:-2}
	DISP_SLOTS=${3:-2}
	T=$(mktemp -d /tmp/sluice-disp.XXXXXX)
	chmod 755 "$T"
	trap disp_teardown EXIT
	node_init
	DISP_PORT=$(node_free_port)
	DISP_URL="http://127.0.0.1:$DISP_PORT"
	local i nodes="" sha_a sha_b sha_admin
	for i in $(seq 1 "$DISP_NODES"); do
		disp_agent_conf "node$i" $((DISP_UID_BASE + (i - 1) * 100))
		eval "NODE_PORT_node$i=\$(node_free_port)"
		# The node's key is restricted as README sets a real node up:
		# the forced command runs the agent's verbs (and SFTP, confined
		# to the jobs directory) and nothing else.
		mkdir -p "$(node_dir "node$i")"
		echo "$NODESHELL_BIN --jobs $T/node$i.base/jobs -- $AGENT_BIN --config $T/node$i.agent.conf" \
			>"$(node_dir "node$i")/forced"
		nodes="$nodes{ name = \"node$i\"; host = \"127.0.0.1\"; port = $(eval echo \$NODE_PORT_node$i); user = \"root\";
    identity = \"$T/ssh/id_ed25519\"; known_hosts = \"$T/ssh/known_hosts\";
    agent = [ \"$AGENT_BIN\" ];
    labels = [ \"n$i\" ]; },
"
	done
	sha_a=$(printf '%s' "$TOKEN_A" | sha256sum | cut -d' ' -f1)
	sha_b=$(printf '%s' "$TOKEN_B" | sha256sum | cut -d' ' -f1)
	sha_admin=$(printf '%s' "$TOKEN_ADMIN" | sha256sum | cut -d' ' -f1)
	cat >"$T/sluice.conf" <<EOC
listen = "127.0.0.1:$DISP_PORT";
state_dir = "$T/state";
max_attempts = ${DISP_MAX_ATTEMPTS:-3};
connect_timeout_seconds = 5;
io_timeout_seconds = 5;
keepalive_seconds = 0.5;
dead_after_seconds = 3;
reconnect_min_seconds = 0.2;
reconnect_max_seconds = 2;
ui_dir = "$top_srcdir/ui";
tokens = ( { name = "alpha"; sha256 = "$sha_a"; role = "submit"; },
           { name = "beta";  sha256 = "$sha_b"; role = "submit"; },
           { name = "ops";   sha256 = "$sha_admin"; role = "admin"; } );
nodes = ( ${nodes%,
} );
${4:-}
EOC
}

# disp_agent_conf NAME UID_BASE: the agent config of one node.
disp_agent_conf() {
	mkdir -p "$T/$1.base/jobs"
	cat >"$T/$1.agent.conf" <<EOC
base_dir = "$T/$1.base";
slots = $DISP_SLOTS;
uid_base = $2;
runtimes = ( { name = "python3";
  command = [ "/usr/bin/python3", "-B", "-s", "{entry}" ];${DISP_WARM:+
  warm_start = true;}
  binds = [ "/usr", "/lib", "/lib64", "/bin", "/etc/python3.11" ]; }${DISP_RUNTIMES:+,
$DISP_RUNTIMES} );
EOC
}

# disp_start_nodes: start every node's sshd.
disp_start_nodes() {
	local i
	for i in $(seq 1 "$DISP_NODES"); do
		node_start "node$i" "$(eval echo \$NODE_PORT_node$i)"
	done
}

# disp_serve: start the daemon (log in $T/serve.log) and wait for health.
disp_serve() {
	"$SLUICE_BIN" serve --config "$T/sluice.conf" >>"$T/serve.log" 2>&1 &
	DISP_PID=$!
	local n
	for n in $(seq 1 100); do
		curl -fsS "$DISP_URL/v1/health" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	tap_diag "$(tail -20 "$T/serve.log")"
	return 1
}

# disp_stop [SIGNAL]: stop the daemon and wait for it.
disp_stop() {
	[ -n "${DISP_PID:-}" ] || return 0
	kill "-${1:-TERM}" "$DISP_PID" 2>/dev/null
	wait "$DISP_PID" 2>/dev/null
	DISP_STATUS=$?
	DISP_PID=
}

# disp_wait_nodes STATE [TIMEOUT]: wait until every node shows STATE.
disp_wait_nodes() {
	local want=$1 tries=$((${2:-20} * 10)) n
	for n in $(seq 1 "$tries"); do
		[ "$(api GET /v1/nodes | jq -r "[.nodes[].state] | all(. == \"$want\")")" = true ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# disp_wait_node NAME STATE [TIMEOUT]: wait until node NAME shows STATE.
disp_wait_node() {
	local tries=$((${3:-20} * 10)) n
	for n in $(seq 1 "$tries"); do
		[ "$(api GET /v1/nodes | jq -r ".nodes[] | select(.name == \"$1\") | .state")" = "$2" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

disp_teardown() {
	disp_stop KILL
	node_teardown_all
	local i s
	for i in $(seq 1 "$DISP_NODES"); do
		# One past the slots: a warm_start node's parked sandbox.
		for s in $(seq 0 "$DISP_SLOTS"); do
			pkill -KILL -U $((DISP_UID_BASE + (i - 1) * 100 + s)) 2>/dev/null
		done
		pkill -KILL -f -- "--config $T/node$i.agent.conf" 2>/dev/null
	done
	[ -n "${SLUICE_TEST_KEEP:-}" ] && cp "$T/serve.log" "$SLUICE_TEST_KEEP" 2>/dev/null
	rm -rf "$T"
}

# api METHOD PATH [BODY] [TOKEN]: the response body; http_status tells the
# status.
api() {
	local out args=(-sS -X "$1" -H "Authorization: Bearer ${4:-$TOKEN_A}"
		-w '\n%{http_code}')
	[ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json'
		--data-binary "$3")
	out=$(curl "${args[@]}" "$DISP_URL$2")
	# Called in $(...) as a rule: the status goes through a file.
	printf '%s' "${out##*$'\n'}" >"$T/.http_status"
	printf '%s' "${out%$'\n'*}"
}

# api_raw PATH FILE [TOKEN]: GET PATH into FILE, bytes as they are.
api_raw() {
	curl -sS -H "Authorization: Bearer ${3:-$TOKEN_A}" -o "$2" \
		-w '%{http_code}' "$DISP_URL$1" >"$T/.http_status"
}

# http_status: the status of the last api call.
http_status() {
	cat "$T/.http_status"
}

# submit_py CODE [EXTRA_JSON] [TOKEN]: submit a short-form or long-form
# Python job; prints the job id (http_status tells the status).
submit_py() {
	local body
	body=$(jq -cn --arg src "$1" --argjson extra "${2:-"{}"}" \
		'{runtime: "python3", source: $src} + $extra')
	api POST /v1/jobs "$body" "${3:-$TOKEN_A}" | jq -r '.id // empty'
}

# wait_job ID [TIMEOUT] [TOKEN]: the job object once it has ended.
wait_job() {
	api GET "/v1/jobs/$1/wait?timeout_seconds=${2:-60}" "" "${3:-$TOKEN_A}"
}

# state_of ID [TOKEN]: the job's state.
state_of() {
	api GET "/v1/jobs/$1" "" "${2:-$TOKEN_A}" | jq -r .state
}

# wait_state ID STATE [TOKEN]: wait up to 10 s until the job shows STATE;
# status 0 if it did.
wait_state() {
	local n
	for n in $(seq 1 100); do
		[ "$(state_of "$1" "${3:-$TOKEN_A}")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
