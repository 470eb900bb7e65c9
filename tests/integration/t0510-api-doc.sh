#!/bin/bash
# docs/api.md cannot drift from the daemon: every example in it (a ```sh
# block that runs curl, then a ```http block with the response) is replayed
# against a real daemon with two real nodes.  Each must get the documented
# status, the documented headers (digits aside: ids and seconds differ),
# and a body of the documented shape: the same keys, recursively, with the
# same JSON types (arrays compared as the union of their elements), and the
# same values for the jq paths listed after the response in a
# "<!-- exact: PATH... -->" comment.  Raw bodies must be equal; Prometheus
# text must have every documented "# TYPE" line.  Then examples/client.py
# runs one snippet through the same daemon.
#
# The examples' variables: SLUICE_SERVER, TOKEN (tenant alpha), ADMIN_TOKEN,
# OTHER_TOKEN (tenant beta), BUSY_TOKEN (beta, filled up to its quota first),
# ID (the job that the latest documented 201 created), RUNNING_ID (a job
# that is running; a new one whenever the last has ended) and CALLBACK_URL
# (a port of loopback that callback_allow lists and nothing listens on).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

DOC="$top_srcdir/docs/api.md"
CLIENT="$top_srcdir/examples/client.py"
command -v jq >/dev/null || tap_skip_all "no jq"

disp_setup 78000 2 2
# As in the documentation: node1 has the label big-memory, node2 none,
# tenant beta has quotas to run into, and alpha's token may be given in the
# path (the Piston and Judge0 APIs) and signs its callbacks.
sed -i -e 's/labels = \[ "n1" \];/labels = [ "big-memory" ];/' \
	-e 's/labels = \[ "n2" \];/labels = [ ];/' \
	-e 's/\(name = "alpha";.*role = "submit";\) }/\1 path_token = true; callback_secret = "doc-test-secret-0123456789"; }/' \
	-e 's/\(name = "beta";.*role = "submit";\) }/\1 max_pending = 1; max_running = 1; }/' \
	"$T/sluice.conf"
# Callbacks go to a port of loopback where nothing listens (they are tried
# again until the test ends; t0457 tests their delivery).
CALLBACK_PORT=$(node_free_port)
echo "callback_allow = [ \"127.0.0.1:$CALLBACK_PORT\" ];" >>"$T/sluice.conf"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the daemon is up with both nodes"

# Extract the examples: $T/ex/N.req (shell), N.resp (the response block),
# N.exact (jq paths), N.line (where the request is in the document).
mkdir -p "$T/ex"
awk -v dir="$T/ex" '
	/^```/ {
		if (!infence) {
			infence = 1; lang = substr($0, 4); buf = ""; start = NR
			next
		}
		infence = 0
		if (lang == "sh" && buf ~ /curl/) {
			req = buf; reqline = start
		} else if (lang == "http" && buf ~ /^HTTP\//) {
			if (req != "") {
				n++
				f = sprintf("%s/%03d", dir, n)
				printf "%s", req > (f ".req"); close(f ".req")
				printf "%s", buf > (f ".resp"); close(f ".resp")
				print reqline > (f ".line"); close(f ".line")
				printf "" > (f ".exact"); close(f ".exact")
				last = f
			}
			req = ""
		} else {
			req = ""; last = ""
		}
		next
	}
	infence { buf = buf $0 "\n"; next }
	/^<!-- exact: .* -->$/ && last != "" {
		s = $0; sub(/^<!-- exact: /, "", s); sub(/ -->$/, "", s)
		print s >> (last ".exact"); close(last ".exact")
	}
' "$DOC"
nex=$(ls "$T/ex"/*.req 2>/dev/null | wc -l)
tap_cmp "$nex" ">=" 25 "docs/api.md has its examples ($nex found)"

# shape: every path of a JSON document with the type at it, array indices
# folded into [] (so an array's shape is the union of its elements').
SHAPE='[paths as $p | ($p | map(if type == "number" then "[]" else tostring end) | join(".")) + ": " + (getpath($p) | type)] + ["(root): " + type] | unique | .[]'

export SLUICE_SERVER="$DISP_URL" TOKEN="$TOKEN_A" ADMIN_TOKEN="$TOKEN_ADMIN" \
	OTHER_TOKEN="$TOKEN_B" BUSY_TOKEN="$TOKEN_B" ID="" RUNNING_ID="" \
	CALLBACK_URL="http://127.0.0.1:$CALLBACK_PORT/sluice-hook"
created=""

# A job of tenant alpha that is RUNNING and has started (reused while it is).
ensure_running() {
	local st n
	if [ -n "$RUNNING_ID" ]; then
		st=$(api GET "/v1/jobs/$RUNNING_ID" | jq -r .state)
		[ "$st" = RUNNING ] && return 0
	fi
	RUNNING_ID=$(submit_py 'import time; time.sleep(60)' '{"limits": {"wall_seconds": 60}}')
	for n in $(seq 1 200); do
		[ "$(api GET "/v1/jobs/$RUNNING_ID" | jq -r '.state == "RUNNING" and .started_at != null')" = true ] &&
			return 0
		sleep 0.1
	done
	tap_diag "job $RUNNING_ID did not start running"
}

# Tenant beta submits sleepers until its quota answers 429 (three at most).
fill_quota() {
	local n
	[ -n "${QUOTA_FULL:-}" ] && return 0
	for n in 1 2 3; do
		submit_py 'import time; time.sleep(20)' '{"limits": {"wall_seconds": 30}}' "$TOKEN_B" >/dev/null
		[ "$(http_status)" = 429 ] && break
	done
	QUOTA_FULL=1
}

# Every job the examples created has ended (so that lists are stable).
wait_created() {
	local id
	for id in $created; do
		wait_job "$id" 60 >/dev/null
	done
}

# header NAME FILE: the value of header NAME (the last response's), or
# nothing.
header() {
	awk -v name="$1" '
		/^HTTP\// { delete h; next }
		{ sub(/\r$/, ""); i = index($0, ":"); if (i == 0) next
		  k = tolower(substr($0, 1, i - 1)); v = substr($0, i + 1); sub(/^[ \t]+/, "", v); h[k] = v }
		END { if (tolower(name) in h) print h[tolower(name)] }' "$2"
}

# what_of REQUEST: "METHOD PATH" of an example, for the test's name.
what_of() {
	local m=GET
	case "$1" in
	*"-X "*) m=$(grep -oE -- '-X [A-Z]+' <<<"$1" | head -1 | cut -c4-) ;;
	*" -d "* | *--data*) m=POST ;;
	esac
	echo "$m $(grep -oE '[$]SLUICE_SERVER[^ "]*' <<<"$1" | head -1 | sed 's/^[$]SLUICE_SERVER//')"
}

for req in "$T/ex"/*.req; do
	f=${req%.req}
	line=$(cat "$f.line")
	cmd=$(cat "$req")
	what="api.md:$line $(what_of "$cmd")"
	case "$cmd" in *'$RUNNING_ID'*) ensure_running ;; esac
	case "$cmd" in *'$BUSY_TOKEN'*) fill_quota ;; esac
	case "$cmd" in *'/v1/jobs?'*) wait_created ;; esac
	export ID RUNNING_ID
	rm -f "$T/got.hdr" "$T/got.body"
	# In the example, curl also writes the response's headers and body
	# where the checks below read them.
	(
		curl() {
			command curl -sS -D "$T/got.hdr" -o "$T/got.body" "$@"
		}
		set -o pipefail
		eval "$cmd"
	) >/dev/null 2>"$T/got.err"
	touch "$T/got.hdr" "$T/got.body"
	problems=""

	# The status.
	want_status=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$f.resp")
	got_status=$(grep -E '^HTTP/' "$T/got.hdr" | tail -1 | awk '{ print $2 }')
	[ "$got_status" = "$want_status" ] ||
		problems="$problems
status: got '$got_status', documented '$want_status'"

	# The documented headers (digits normalised), then the body.
	sed -n '2,/^$/p' "$f.resp" | sed '/^$/d' >"$T/want.hdr"
	sed '1,/^$/d' "$f.resp" >"$T/want.body"
	while IFS= read -r h; do
		name=${h%%:*}
		want=$(printf '%s' "${h#*:}" | sed 's/^ *//; s/[0-9][0-9]*/0/g')
		got=$(header "$name" "$T/got.hdr" | sed 's/[0-9][0-9]*/0/g')
		[ "$got" = "$want" ] ||
			problems="$problems
header $name: got '$(header "$name" "$T/got.hdr")', documented '${h#*: }'"
	done <"$T/want.hdr"
	ctype=$(header Content-Type "$T/want.hdr")
	case "$ctype" in
	application/json*)
		if ! jq -e . "$T/want.body" >/dev/null 2>&1; then
			problems="$problems
the documented body is not JSON"
		elif ! jq -e . "$T/got.body" >/dev/null 2>&1; then
			problems="$problems
the body is not JSON: $(head -c 300 "$T/got.body")"
		else
			jq -r "$SHAPE" "$T/want.body" >"$T/want.shape"
			jq -r "$SHAPE" "$T/got.body" >"$T/got.shape"
			if ! cmp -s "$T/want.shape" "$T/got.shape"; then
				problems="$problems
shape: only documented: $(comm -23 "$T/want.shape" "$T/got.shape" | tr '\n' ';')
shape: only in the answer: $(comm -13 "$T/want.shape" "$T/got.shape" | tr '\n' ';')"
			fi
			for p in $(cat "$f.exact"); do
				# A path jq cannot apply to the documented body
				# would fail the same way on the answer: an error.
				if ! w=$(jq -c "$p" "$T/want.body" 2>&1); then
					problems="$problems
$p: not a path of the documented body: $w"
					continue
				fi
				g=$(jq -c "$p" "$T/got.body" 2>&1)
				[ "$w" = "$g" ] || problems="$problems
$p: got $g, documented $w"
			done
		fi
		;;
	text/plain*)
		while IFS= read -r l; do
			grep -qxF -- "$l" "$T/got.body" ||
				problems="$problems
missing: $l"
		done < <(grep '^# TYPE ' "$T/want.body")
		;;
	*)
		cmp -s "$T/want.body" "$T/got.body" ||
			problems="$problems
body: got '$(head -c 200 "$T/got.body")', documented '$(head -c 200 "$T/want.body")'"
		;;
	esac
	if [ -z "$problems" ]; then
		tap_ok 0 "$what -> $want_status as documented"
	else
		tap_ok 1 "$what -> $want_status as documented"
		tap_diag "request: $cmd"
		tap_diag "${problems#?}"
		[ -s "$T/got.err" ] && tap_diag "curl: $(head -c 300 "$T/got.err")"
		tap_diag "answer: $(head -c 600 "$T/got.body")"
	fi
	# A documented job creation that worked names the job of the next
	# examples.
	if [ "$want_status" = 201 ] && [ "$got_status" = 201 ]; then
		ID=$(header Location "$T/got.hdr" | sed 's/.*\///')
		created="$created $ID"
	fi
done

# Every endpoint has a replayed example that succeeds.
covered() {
	local re=$1 f
	for f in "$T/ex"/*.req; do
		grep -qE '^HTTP/[0-9.]+ 2' "${f%.req}.resp" || continue
		tr '\n' ' ' <"$f" | grep -qE -- "$re" && return 0
	done
	return 1
}
while IFS='|' read -r name re; do
	covered "$re"
	tap_ok $? "docs/api.md shows $name succeeding"
done <<'EOF'
GET /v1/health|SLUICE_SERVER/v1/health
POST /v1/jobs (short form)|"source": .*SLUICE_SERVER/v1/jobs( |$)
POST /v1/jobs (long form)|SLUICE_SERVER/v1/jobs .*"files": [{]
GET /v1/jobs/ID|^curl -H [^X]*SLUICE_SERVER/v1/jobs/[$][A-Z_]+ *$
GET /v1/jobs/ID/wait|/v1/jobs/[$][A-Z_]+/wait[?]timeout_seconds=
GET /v1/jobs/ID/stdout|/v1/jobs/[$][A-Z_]+/stdout
GET /v1/jobs/ID/stderr|/v1/jobs/[$][A-Z_]+/stderr
GET /v1/jobs/ID/files/NAME|/v1/jobs/[$][A-Z_]+/files/
DELETE /v1/jobs/ID|-X DELETE .*/v1/jobs/[$][A-Z_]+
GET /v1/jobs (list)|/v1/jobs[?]
GET /v1/nodes|SLUICE_SERVER/v1/nodes( |$)
POST /v1/purge|SLUICE_SERVER/v1/purge
GET /v1/jobs/ID/attempts|/v1/jobs/[$][A-Z_]+/attempts
GET /v1/nodes/NAME|SLUICE_SERVER/v1/nodes/[a-z0-9]+( |$)
POST /v1/nodes/NAME/drain|/v1/nodes/[a-z0-9]+/drain
POST /v1/nodes/NAME/resume|/v1/nodes/[a-z0-9]+/resume
GET /v1/runtimes|/v1/runtimes
GET /metrics|SLUICE_SERVER/metrics
GET /api/v2/runtimes|/api/v2/runtimes
POST /api/v2/execute|/api/v2/execute
GET /statuses|SLUICE_SERVER/statuses
GET /languages|SLUICE_SERVER/languages
POST /submissions|SLUICE_SERVER/submissions[?]wait=true
GET /submissions/TOKEN|/submissions/[$]ID[?]
GET /submissions/batch|/submissions/batch[?]tokens=
POST /submissions/batch|SLUICE_SERVER/submissions/batch <<
EOF

# examples/client.py, the web application's view, against the same daemon.
out=$(SLUICE_SERVER="$DISP_URL" SLUICE_TOKEN="$TOKEN_A" timeout 120 \
	"$NODE_PYTHON" "$CLIENT" 2>"$T/client.err")
tap_is "$?" 0 "examples/client.py runs a snippet and exits 0"
tap_like "$out" 'COMPLETED, verdict ok' "client.py prints the state and verdict"
tap_like "$out" 'sum of squares below 10: 285' "client.py prints the program's stdout"
out=$(printf 'import sys\nsys.exit(3)\n' | SLUICE_SERVER="$DISP_URL" SLUICE_TOKEN="$TOKEN_A" \
	timeout 120 "$NODE_PYTHON" "$CLIENT" - 2>>"$T/client.err")
tap_is "$?" 1 "client.py exits 1 for a job that did not complete"
tap_like "$out" 'FAILED, verdict exited' "client.py reports the failure"
SLUICE_SERVER="$DISP_URL" SLUICE_TOKEN=not-a-token timeout 60 \
	"$NODE_PYTHON" "$CLIENT" >/dev/null 2>"$T/client.err2"
tap_is "$?" 2 "client.py exits 2 when the token is refused"
tap_like "$(cat "$T/client.err2")" 'HTTP 401' "client.py says why"

# Its 429 handling, against a stand-in that refuses two submissions with
# Retry-After: 1 before it accepts the third.
cat >"$T/busy.py" <<'EOF'
import http.server, json
posts = []
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def reply(self, code, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        posts.append(1)
        if len(posts) < 3:
            self.reply(429, {"error": "quota"}, [("Retry-After", "1")])
        else:
            self.reply(201, {"id": "9", "state": "PENDING"})
    def do_GET(self):
        self.reply(200, {"id": "9", "state": "COMPLETED", "verdict": "ok",
                         "exit_code": 0, "stdout": "posts: %d\n" % len(posts)})
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
"$NODE_PYTHON" "$T/busy.py" >"$T/busy.port" &
busy_pid=$!
for n in $(seq 1 50); do [ -s "$T/busy.port" ] && break; sleep 0.1; done
out=$(SLUICE_SERVER="http://127.0.0.1:$(cat "$T/busy.port")" SLUICE_TOKEN=x \
	timeout 60 "$NODE_PYTHON" "$CLIENT" 2>/dev/null)
tap_like "$out" 'posts: 3' "client.py waits Retry-After and submits again after a 429"
kill "$busy_pid" 2>/dev/null
wait "$busy_pid" 2>/dev/null

disp_stop TERM
tap_is "$DISP_STATUS" 0 "the daemon stops cleanly"
tap_done
