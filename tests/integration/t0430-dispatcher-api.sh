#!/bin/bash
# The rest of the HTTP API against the real daemon and two nodes: cancel
# at each stage, listing with paging, tenants, quotas, drain and resume,
# runtimes, metrics (checked by a small Prometheus text parser), and the
# errors of each endpoint.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 79000 2 1 'max_body_bytes = 200000;'
# Quotas for tenant beta: at most 2 pending, 1 running.
sed -i 's/{ name = "beta";  sha256 = "\([0-9a-f]*\)"; role = "submit"; }/{ name = "beta"; sha256 = "\1"; role = "submit"; max_pending = 2; max_running = 1; }/' "$T/sluice.conf"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "both nodes UP"

# --- Cancel a running job.
run=$(submit_py 'import time; time.sleep(30)')
wait_state "$run" RUNNING
out=$(api DELETE "/v1/jobs/$run")
tap_is "$(http_status)" 202 "DELETE a running job answers 202"
job=$(wait_job "$run" 10)
tap_is "$(printf '%s' "$job" | jq -r '[.state, .verdict] | @tsv')" "$(printf 'CANCELLED\tcancelled')" \
	"a running job is stopped on its node: CANCELLED, verdict cancelled"
api DELETE "/v1/jobs/$run" >/dev/null
tap_is "$(http_status)" 409 "DELETE of an ended job answers 409"

# --- Cancel while staging: ninety files take a while to upload, and the
# job is placed (staging) before POST answers.
jq -cn '{runtime: "python3", entry: "main.py",
	files: (([range(90)] | map({key: "f\(.).txt", value: ("x" * 1000)})
	        | from_entries) + {"main.py": "import time; time.sleep(20)"})}' >"$T/many.json"
out=$(curl -s -H "Authorization: Bearer $TOKEN_A" --data-binary @"$T/many.json" "$DISP_URL/v1/jobs")
stg=$(printf '%s' "$out" | jq -r .id)
tap_like "$(printf '%s' "$out" | jq -r .reason)" '^staging on node' "a new job is staging when POST answers"
api DELETE "/v1/jobs/$stg" >/dev/null
tap_is "$(http_status)" 202 "DELETE while staging answers 202"
tap_is "$(wait_job "$stg" 20 | jq -r .state)" CANCELLED "a job cancelled while staging ends CANCELLED"

# --- Cancel a queued job: both slots busy, a third job waits.  The two
# that hold the slots run for a minute and are cancelled afterwards (with
# a few seconds each, a loaded machine that took long to start the second
# freed the first's slot before the DELETE, and the queued job ran).
b1=$(submit_py 'import time; time.sleep(60)')
b2=$(submit_py 'import time; time.sleep(60)')
wait_state "$b1" RUNNING
wait_state "$b2" RUNNING
q=$(submit_py 'print("never")')
sleep 0.3
tap_is "$(state_of "$q")" PENDING "a job waits while every slot is busy"
tap_like "$(api GET "/v1/jobs/$q" | jq -r .reason)" 'slot' "its reason says it waits for a slot"
api DELETE "/v1/jobs/$q" >/dev/null
tap_is "$(http_status)" 202 "DELETE a queued job answers 202"
job=$(api GET "/v1/jobs/$q")
tap_is "$(printf '%s' "$job" | jq -r '[.state, .node // "none", .attempts] | @tsv')" \
	"$(printf 'CANCELLED\tnone\t0')" "a queued job ends CANCELLED at once and never runs"

# --- Cancel while results come back.  The race is taken out: once the job
# runs, its node's sftp-server is stopped, so the collection (SFTP) cannot
# end before the DELETE; it is continued well within the I/O timeout.  The
# job prints, so that its stdout must come over SFTP (an empty stream and
# an empty out/ are not fetched).
api DELETE "/v1/jobs/$b1" >/dev/null
api DELETE "/v1/jobs/$b2" >/dev/null
wait_job "$b1" 20 >/dev/null
wait_job "$b2" 20 >/dev/null
col=$(submit_py 'import time; time.sleep(2); print("collected")')
wait_state "$col" RUNNING
col_node=$(api GET "/v1/jobs/$col" | jq -r .node)
sftp_bin=$(readlink -f "$NODE_SFTP_SERVER")
sftp_pids=""
for p in $(node_pids "$col_node"); do
	[ "$(readlink -f "/proc/$p/exe" 2>/dev/null)" = "$sftp_bin" ] && sftp_pids="$sftp_pids $p"
done
tap_isnt "$sftp_pids" "" "the job's node ($col_node) has an sftp-server to hold"
[ -n "$sftp_pids" ] && kill -STOP $sftp_pids
wait_state "$col" COMPLETING
tap_is "$(state_of "$col")" COMPLETING "the job is collecting while its node's SFTP is held"
api DELETE "/v1/jobs/$col" >/dev/null
tap_is "$(http_status)" 202 "DELETE while collecting answers 202"
[ -n "$sftp_pids" ] && kill -CONT $sftp_pids
job=$(wait_job "$col" 30)
tap_is "$(printf '%s' "$job" | jq -r .state)" CANCELLED "a job cancelled while collecting ends CANCELLED"
tap_is "$(printf '%s' "$job" | jq -r '[.reason, .verdict, .attempts] | @tsv')" \
	"$(printf 'cancelled while its results came back\tok\t1')" \
	"it was collected, not lost with its node: the reason says so, the verdict is the program's"

# --- Tenants: another tenant can neither read, wait on nor cancel.
mine=$(submit_py 'import time; time.sleep(1)')
api GET "/v1/jobs/$mine" "" "$TOKEN_B" >/dev/null
tap_is "$(http_status)" 403 "another tenant cannot read the job"
api GET "/v1/jobs/$mine/wait?timeout_seconds=1" "" "$TOKEN_B" >/dev/null
tap_is "$(http_status)" 403 "another tenant cannot wait on it"
api DELETE "/v1/jobs/$mine" "" "$TOKEN_B" >/dev/null
tap_is "$(http_status)" 403 "another tenant cannot cancel it"
api GET "/v1/jobs/$mine/stdout" "" "$TOKEN_B" >/dev/null
tap_is "$(http_status)" 403 "another tenant cannot read its output"
tap_is "$(wait_job "$mine" 10 | jq -r .state)" COMPLETED "the job is untouched by those attempts"

# --- Listing: newest first, paging, filters, tenant scope.
list=$(api GET "/v1/jobs?limit=3")
tap_is "$(http_status)" 200 "GET /v1/jobs answers 200"
tap_is "$(printf '%s' "$list" | jq '.jobs | length')" 3 "limit caps the page"
ids=$(printf '%s' "$list" | jq -r '.jobs[].id' | tr '\n' ' ')
tap_is "$ids" "$(printf '%s\n' $ids | sort -rn | tr '\n' ' ')" "newest first"
next=$(printf '%s' "$list" | jq -r .next_before)
page2=$(api GET "/v1/jobs?limit=3&before=$next")
tap_cmp "$(printf '%s' "$page2" | jq -r '.jobs[0].id')" "<" "$next" "before= gives the next page"
tap_is "$(api GET '/v1/jobs?state=CANCELLED&limit=100' | jq -r '[.jobs[].state] | unique | join(",")')" \
	CANCELLED "state= filters"
tap_is "$(api GET '/v1/jobs?limit=1000' "" "$TOKEN_B" | jq '.jobs | length')" 0 \
	"a submit token lists only its own jobs"
tap_cmp "$(api GET '/v1/jobs?limit=1000' "" "$TOKEN_ADMIN" | jq '.jobs | length')" ">" 5 \
	"the admin token lists every job"
tap_is "$(api GET '/v1/jobs?limit=1' | jq 'has("next_before") and (.jobs[0] | has("stdout") | not)')" true \
	"list entries carry no inline output"
for bad in 'state=DONE' 'limit=0' 'limit=abc' 'limit=5000' 'before=-1' \
	'state=RUNNING%00x'; do
	api GET "/v1/jobs?$bad" >/dev/null
	tap_is "$(http_status)" 400 "GET /v1/jobs?$bad answers 400"
done

# --- Quotas: beta may have 2 pending and 1 running.
ids=""
codes=""
for i in 1 2 3 4 5; do
	out=$(api POST /v1/jobs '{"runtime":"python3","source":"import time; time.sleep(2)"}' "$TOKEN_B")
	codes="$codes$(http_status) "
done
tap_like "$codes" '429' "submissions over the pending quota answer 429"
curl -s -D "$T/h" -o /dev/null -H "Authorization: Bearer $TOKEN_B" \
	--data '{"runtime":"python3","source":"x"}' "$DISP_URL/v1/jobs"
tap_like "$(cat "$T/h")" 'Retry-After: [0-9]+' "429 carries Retry-After"
running=$(api GET '/v1/jobs?state=RUNNING' "" "$TOKEN_B" | jq '.jobs | length')
tap_cmp "$running" "<=" 1 "the running quota holds"
pend=$(api GET '/v1/jobs?state=PENDING' "" "$TOKEN_B" | jq -r '.jobs[0].reason // ""')
tap_like "$pend" 'quota|slot|staging' "a job held back by the running quota says why"

# --- Drain and resume.
api POST /v1/nodes/node1/drain '{"reason":"maintenance"}' >/dev/null
tap_is "$(http_status)" 403 "draining needs an admin token"
slow=$(submit_py 'import time; time.sleep(2); print("finished on the drained node")' '{"labels":["n1"]}')
wait_state "$slow" RUNNING
node=$(api POST /v1/nodes/node1/drain '{"reason":"maintenance"}' "$TOKEN_ADMIN")
tap_is "$(http_status)" 200 "an admin drains a node"
tap_is "$(printf '%s' "$node" | jq -r .state)" DRAINING "a busy drained node is DRAINING"
tap_like "$(printf '%s' "$node" | jq -r .reason)" 'maintenance' "with the reason given"
new=$(submit_py 'print("elsewhere")')
tap_is "$(wait_job "$new" 20 | jq -r .node)" node2 "no new job goes to a draining node"
tap_is "$(wait_job "$slow" 20 | jq -r .state)" COMPLETED "the job already on it finishes"
disp_wait_node node1 DRAINED 10
tap_ok $? "once idle it shows DRAINED"
api POST /v1/nodes/nope/drain '{}' "$TOKEN_ADMIN" >/dev/null
tap_is "$(http_status)" 404 "draining an unknown node is 404"
api POST /v1/nodes/node1/drain '{"reason": 5}' "$TOKEN_ADMIN" >/dev/null
tap_is "$(http_status)" 400 "a malformed drain body is 400"
api POST /v1/nodes/node1/resume '' "$TOKEN_ADMIN" >/dev/null
tap_is "$(http_status)" 200 "an admin resumes the node"
disp_wait_node node1 UP 10
tap_ok $? "the resumed node is UP again"

# --- Runtimes.
rt=$(api GET /v1/runtimes)
tap_is "$(printf '%s' "$rt" | jq -r '.runtimes[0].name')" python3 "GET /v1/runtimes names python3"
tap_like "$(printf '%s' "$rt" | jq -r '.runtimes[0].version')" '^Python 3' "with the version the agents report"
tap_is "$(printf '%s' "$rt" | jq -c '.runtimes[0].nodes | sort')" '["node1","node2"]' "and the nodes that offer it"

# --- Metrics, parsed as Prometheus would.
curl -s -D "$T/mh" -H "Authorization: Bearer $TOKEN_ADMIN" "$DISP_URL/metrics" >"$T/metrics"
tap_like "$(cat "$T/mh")" 'Content-Type: text/plain; version=0.0.4' "metrics in Prometheus text format"
python3 - "$T/metrics" >"$T/mcheck" <<'PY'
import re, sys
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
sample = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(' + label + r'(,' + label + r')*)?\})? (?P<value>-?[0-9.eE+-]+|\+Inf|NaN)$')
types, seen, errors = {}, {}, []
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ", 3)
        types[name] = kind
        continue
    if line.startswith("# HELP ") or not line:
        continue
    m = sample.match(line)
    if not m:
        errors.append("line %d: %r" % (n, line)); continue
    name = m.group("name")
    base = re.sub(r'_(bucket|sum|count)$', '', name)
    if name not in types and base not in types:
        errors.append("line %d: %s has no TYPE" % (n, name))
    seen[name] = float(m.group("value").replace("+Inf", "inf"))
for need in ["sluice_jobs", "sluice_jobs_finished_total", "sluice_job_run_seconds_bucket",
             "sluice_job_wait_seconds_count", "sluice_nodes", "sluice_ssh_reconnects_total",
             "sluice_http_requests_total"]:
    if need not in seen:
        errors.append("missing " + need)
print("ok" if not errors else "\n".join(errors))
PY
tap_is "$(cat "$T/mcheck")" ok "the metrics parse as Prometheus text with every family"
tap_like "$(cat "$T/metrics")" 'sluice_jobs_finished_total\{state="CANCELLED"\} [1-9]' "finished jobs are counted by state"
tap_like "$(cat "$T/metrics")" 'sluice_http_requests_total\{code="403"\} [1-9]' "requests are counted by status"
tap_like "$(cat "$T/metrics")" 'sluice_nodes\{state="UP"\} 2' "node states are counted"
curl -s -o /dev/null -w '%{http_code}' "$DISP_URL/metrics" >"$T/s"
tap_is "$(cat "$T/s")" 401 "metrics need a token"

# --- Errors of each endpoint.
check() { # METHOD PATH BODY WANT NAME [TOKEN]
	local out
	out=$(api "$1" "$2" "$3" "${6:-$TOKEN_A}")
	tap_is "$(http_status)" "$4" "$5"
	if [ "$4" -ge 400 ]; then
		tap_is "$(printf '%s' "$out" | jq -r 'has("error")')" true "$5: a JSON error"
	fi
}
check PUT /v1/jobs '' 405 "PUT /v1/jobs is 405"
check PATCH "/v1/jobs/$mine" '' 405 "PATCH a job is 405"
check POST /v1/nodes '' 405 "POST /v1/nodes is 405"
check DELETE /v1/runtimes '' 405 "DELETE /v1/runtimes is 405"
check GET /v1/nope '' 404 "an unknown path is 404"
check GET /v1/jobs/abc '' 404 "a non-numeric job id is 404"
check GET "/v1/jobs/$mine/wait?timeout_seconds=x" '' 400 "a bad wait timeout is 400"
check GET "/v1/jobs/$mine/nothing" '' 404 "an unknown job resource is 404"
check POST /v1/jobs '{"runtime":"python3","source":"x","limit":{}}' 400 "an unknown top-level field is 400"
check POST /v1/jobs '{"runtime":"python3","source":"x","limits":{"cpu":1}}' 422 "an unknown limit is 422"
check POST /v1/jobs 'not json' 400 "a body that is not JSON is 400"
{ printf '{"runtime":"python3","source":"'; head -c 300000 /dev/zero | tr '\0' 'a'; printf '"}'; } >"$T/big.json"
out=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN_A" --data-binary @"$T/big.json" "$DISP_URL/v1/jobs")
tap_is "${out##*$'\n'}" 413 "a body over max_body_bytes is 413"
tap_is "$(printf '%s' "${out%$'\n'*}" | jq -r 'has("error")')" true "the 413 is a JSON error"
curl -s -D "$T/h2" -o /dev/null "$DISP_URL/v1/health"
tap_like "$(cat "$T/h2")" 'Content-Type: application/json' "responses are application/json"

tap_done
