#!/bin/bash
# Observability, as an operator's Prometheus and log reader see it: /metrics
# parsed strictly (tests/lib/promtext.py) at every step, with the per-node
# and per-tenant gauges, the counters by tenant, runtime, state and verdict,
# requeues, build info and the API's latency by route; counters that never
# go down (across jobs, a node lost, a purge) and start from zero again at a
# restart, as docs/api.md says; job lines in the log that name tenant,
# runtime, node and attempt, one access line per request (no token, no query
# string, one line whatever the path holds), and the token that drained a
# node.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

command -v jq >/dev/null || tap_skip_all "no jq"
PROM="$NODE_PYTHON $top_srcdir/tests/lib/promtext.py"
UID_BASE=89500
disp_setup $UID_BASE 2 2
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "both nodes come UP"

# scrape NAME: GET /metrics into $T/NAME.txt, parsed into $T/NAME.json;
# fails (with the parser's complaints as diagnostics) if it does not parse.
scrape() {
	api GET /metrics '' "$TOKEN_ADMIN" >"$T/$1.txt"
	[ "$(http_status)" = 200 ] || { tap_diag "GET /metrics: $(http_status)"; return 1; }
	$PROM parse "$T/$1.txt" >"$T/$1.json" 2>"$T/$1.err"
	local rc=$?
	[ $rc -eq 0 ] || tap_diag "$(head -20 "$T/$1.err")"
	return $rc
}
# val NAME KEY: one sample of a scrape ("" if absent).
val() { $PROM get "$T/$1.json" "$2"; }
# total NAME FAMILY [LABEL=VALUE...]: the sum of a family's samples.
total() { local s=$1; shift; $PROM sum "$T/$s.json" "$@"; }
# monotone OLD NEW: the counters of OLD that went down or vanished in NEW.
monotone() { $PROM monotone "$T/$1.json" "$T/$2.json"; }

scrape m0
tap_ok $? "the first scrape parses as strict Prometheus text"
# The parser itself must be able to fail.
printf '# TYPE x_total counter\nx_total{a="b\\q"} 1\n' >"$T/bad1.txt"
printf '# TYPE x_total counter\nx_total 1\n# TYPE y gauge\ny 1\nx_total{a="c"} 2\n' >"$T/bad2.txt"
printf '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 1\n' >"$T/bad3.txt"
printf 'z 1\n' >"$T/bad4.txt"
for b in 1 2 3 4; do
	$PROM parse "$T/bad$b.txt" >/dev/null 2>&1
	tap_isnt $? 0 "the parser refuses a bad text ($b)"
done

for n in node1 node2; do
	tap_is "$(val m0 "sluice_node_up{node=\"$n\"}")" 1 "sluice_node_up of $n is 1"
	tap_is "$(val m0 "sluice_node_slots{node=\"$n\"}")" 2 "  its slots: 2"
	tap_is "$(val m0 "sluice_node_busy{node=\"$n\"}")" 0 "  none busy"
	tap_is "$(val m0 "sluice_node_drained{node=\"$n\"}")" 0 "  not drained"
	seen=$(val m0 "sluice_node_last_seen_timestamp_seconds{node=\"$n\"}")
	tap_cmp "$seen" ">" "$(($(date +%s) - 60))" "  last seen within the minute ($seen)"
done
for t in alpha beta ops; do
	tap_is "$(val m0 "sluice_tenant_jobs_queued{tenant=\"$t\"}")" 0 "sluice_tenant_jobs_queued of $t is 0"
	tap_is "$(val m0 "sluice_tenant_jobs_running{tenant=\"$t\"}")" 0 "  and running 0"
done
tap_like "$(grep '^sluice_build_info{' "$T/m0.txt")" '^sluice_build_info\{version="[0-9][^"]*"\} 1$' \
	"sluice_build_info names the version"
start0=$(val m0 process_start_time_seconds)
tap_cmp "$start0" ">" "$(($(date +%s) - 120))" "process_start_time_seconds is the daemon's start ($start0)"
tap_cmp "$(val m0 process_open_fds)" ">" 5 "process_open_fds counts descriptors"
tap_cmp "$(val m0 process_resident_memory_bytes)" ">" 1000000 "process_resident_memory_bytes is read"
for h in sluice_job_wait_seconds sluice_job_run_seconds; do
	tap_is "$(val m0 "${h}_bucket{le=\"86400\"}")" 0 "$h has buckets up to a day"
	tap_is "$(val m0 "${h}_bucket{le=\"3600\"}")" 0 "  and an hour"
done
tap_is "$(grep -c '^sluice_jobs_finished_total{' "$T/m0.txt")" 6 "sluice_jobs_finished_total has all six final states"
tap_is "$(total m0 sluice_jobs_finished_total)" 0 "  each 0 before any job"
tap_cmp "$(val m0 'sluice_http_request_duration_seconds_count{route="health"}')" ">=" 1 \
	"the latency histogram counts the health checks"

# --- Jobs: alpha two ok and one failing, beta one ok; one long job running.
ok1=$(submit_py 'print(1)')
ok2=$(submit_py 'print(2)')
bad=$(submit_py 'raise SystemExit(3)')
okb=$(submit_py 'print(3)' '{}' "$TOKEN_B")
for id in $ok1 $ok2 $bad; do wait_job "$id" 60 >/dev/null; done
wait_job "$okb" 60 "$TOKEN_B" >/dev/null
tap_is "$(state_of "$bad")" FAILED "the failing job ends FAILED"
long=$(submit_py 'import time; time.sleep(60)')
wait_state "$long" RUNNING
tap_ok $? "a long job runs"
lnode=$(api GET "/v1/jobs/$long" | jq -r .node)
scrape m1
tap_ok $? "the scrape after jobs parses"
tap_is "$(val m1 "sluice_node_busy{node=\"$lnode\"}")" 1 "sluice_node_busy of $lnode is 1 while the long job runs there"
tap_is "$(total m1 sluice_node_busy)" 1 "  and 1 in all"
tap_is "$(val m1 'sluice_tenant_jobs_running{tenant="alpha"}')" 1 "sluice_tenant_jobs_running of alpha is 1"
tap_is "$(val m1 'sluice_tenant_jobs_running{tenant="beta"}')" 0 "  of beta 0"
tap_is "$(val m1 'sluice_jobs_finished_total{state="COMPLETED"}')" 3 "sluice_jobs_finished_total: 3 COMPLETED"
tap_is "$(val m1 'sluice_jobs_finished_total{state="FAILED"}')" 1 "  1 FAILED"
tap_is "$(val m1 'sluice_tenant_jobs_finished_total{state="COMPLETED",tenant="alpha"}')" 2 \
	"sluice_tenant_jobs_finished_total: alpha 2 COMPLETED"
tap_is "$(val m1 'sluice_tenant_jobs_finished_total{state="FAILED",tenant="alpha"}')" 1 "  alpha 1 FAILED"
tap_is "$(val m1 'sluice_tenant_jobs_finished_total{state="COMPLETED",tenant="beta"}')" 1 "  beta 1 COMPLETED"
tap_is "$(val m1 'sluice_runtime_jobs_finished_total{runtime="python3",state="COMPLETED"}')" 3 \
	"sluice_runtime_jobs_finished_total: python3 3 COMPLETED"
tap_is "$(val m1 'sluice_verdicts_total{runtime="python3",verdict="ok"}')" 3 "sluice_verdicts_total: 3 ok"
tap_is "$(val m1 'sluice_verdicts_total{runtime="python3",verdict="exited"}')" 1 "  1 exited"
tap_is "$(val m1 'sluice_jobs_submitted_total{runtime="python3",tenant="alpha"}')" 4 \
	"sluice_jobs_submitted_total: alpha 4"
tap_is "$(val m1 'sluice_jobs_submitted_total{runtime="python3",tenant="beta"}')" 1 "  beta 1"
tap_is "$(val m1 sluice_job_run_seconds_count)" 4 "sluice_job_run_seconds counts the 4 results"
tap_is "$(val m1 sluice_job_wait_seconds_count)" 5 "sluice_job_wait_seconds the 5 starts"
tap_cmp "$(val m1 'sluice_http_request_duration_seconds_count{route="submit"}')" ">=" 5 \
	"the latency histogram counts the submissions"
tap_cmp "$(val m1 'sluice_http_request_duration_seconds_count{route="wait"}')" ">=" 4 "  and the long polls"
tap_is "$(monotone m0 m1)" "" "no counter went down from the first scrape to the second"
# A tenant's token sees its own per-tenant series, and no other tenant.
api GET /metrics '' "$TOKEN_B" >"$T/mb.txt"
$PROM parse "$T/mb.txt" >"$T/mb.json"
tap_ok $? "a submit token's scrape parses"
tap_is "$(val mb 'sluice_tenant_jobs_finished_total{state="COMPLETED",tenant="beta"}')" 1 \
	"  it has its own tenant's series"
tap_is "$(grep -c -e 'tenant="alpha"' -e 'tenant="ops"' "$T/mb.txt")" 0 "  and no other tenant's"
tap_is "$(val mb 'sluice_jobs_finished_total{state="COMPLETED"}')" 3 "  totals and nodes stay whole"

# --- Drained nodes: a job waits in the queue; the log names the token.
api POST /v1/nodes/node1/drain '{"reason": "disk swap"}' "$TOKEN_ADMIN" >/dev/null
api POST /v1/nodes/node2/drain '' "$TOKEN_ADMIN" >/dev/null
queued=$(submit_py 'print(4)' '{}' "$TOKEN_B")
scrape m2
tap_ok $? "the scrape with drained nodes parses"
tap_is "$(val m2 'sluice_tenant_jobs_queued{tenant="beta"}')" 1 "sluice_tenant_jobs_queued of beta is 1 while nodes are drained"
tap_is "$(val m2 'sluice_node_drained{node="node1"}')" 1 "sluice_node_drained of node1 is 1"
tap_is "$(val m2 'sluice_node_drains_total{action="drain",node="node1"}')" 1 "sluice_node_drains_total counts the drain"
api POST /v1/nodes/node1/resume '' "$TOKEN_ADMIN" >/dev/null
api POST /v1/nodes/node2/resume '' "$TOKEN_ADMIN" >/dev/null
tap_is "$(wait_job "$queued" 60 "$TOKEN_B" | jq -r .state)" COMPLETED "the queued job runs once the nodes are resumed"
tap_like "$(grep "node node1 drained by token 'ops': disk swap" "$T/serve.log")" . "the log says which token drained node1, and why"
tap_like "$(grep "node node2 resumed by token 'ops'" "$T/serve.log")" . "  and which resumed node2"

# --- A node lost under a job: the job is requeued (and counted as such).
other=node1
[ "$lnode" = node1 ] && other=node2
n0=$([ "$lnode" = node1 ] && echo 0 || echo 1)
node_stop "$lnode"
pkill -KILL -f -- "--config $T/$lnode.agent.conf"
for s in 0 1 2; do pkill -KILL -U $((UID_BASE + n0 * 100 + s)); done
disp_wait_node "$lnode" DOWN 15
tap_ok $? "the long job's node is lost"
for _ in $(seq 1 100); do
	[ "$(api GET "/v1/jobs/$long" | jq -r '[.node, .attempts] | @tsv')" = "$(printf '%s\t2' "$other")" ] && break
	sleep 0.1
done
tap_is "$(api GET "/v1/jobs/$long" | jq -r '[.node, .attempts] | @tsv')" "$(printf '%s\t2' "$other")" \
	"the long job is placed again on $other, attempt 2"
scrape m3
tap_ok $? "the scrape after the loss parses"
tap_is "$(val m3 'sluice_job_requeues_total{cause="node_lost"}')" 1 "sluice_job_requeues_total counts the requeue"
tap_is "$(val m3 "sluice_node_up{node=\"$lnode\"}")" 0 "sluice_node_up of the lost node is 0"
tap_is "$(monotone m1 m3)" "" "no counter went down through the drain and the loss"
api DELETE "/v1/jobs/$long" >/dev/null
wait_job "$long" 60 >/dev/null
node_start "$lnode" "$(eval echo \$NODE_PORT_$lnode)"
disp_wait_nodes UP 20

# --- The log: job lines with tenant, runtime, node and attempt.
tap_like "$(grep -E "job $ok1 submitted tenant=alpha runtime=python3$" "$T/serve.log")" . \
	"a submission is logged with its tenant and runtime"
tap_like "$(grep -E "job $ok1 placed tenant=alpha runtime=python3 node=node[12] attempt=1$" "$T/serve.log")" . \
	"its placement with its node and attempt"
tap_like "$(grep -E "job $ok1 COMPLETED tenant=alpha runtime=python3 node=node[12] attempt=1" "$T/serve.log")" . \
	"its end too"
tap_like "$(grep -E "job $bad FAILED tenant=alpha runtime=python3 node=node[12] attempt=1: .*status 3" "$T/serve.log")" . \
	"a failure with its reason after the fields"
tap_like "$(grep -E "job $long requeued tenant=alpha runtime=python3 node=$lnode attempt=1: node $lnode lost" "$T/serve.log")" . \
	"a requeue names the node lost and the attempt"
tap_like "$(grep -E "job $long placed tenant=alpha runtime=python3 node=$other attempt=2$" "$T/serve.log")" . \
	"  and the next placement its attempt 2"

# --- The access log.
tap_like "$(grep -E 'access client=127\.0\.0\.1 method=POST path=/v1/jobs status=201 bytes=[1-9][0-9]* seconds=[0-9.]+ tenant=alpha auth=header$' "$T/serve.log")" . \
	"a submission has its access line: client, method, path, status, bytes, time, tenant, how it was told"
tap_like "$(grep -E "access .*method=GET path=/v1/jobs/$ok1/wait status=200 .* tenant=alpha auth=header$" "$T/serve.log")" . \
	"a long poll's line comes with its answer, without its query string"
curl -s -o /dev/null "$DISP_URL/v1/jobs?state=RUNNING&secret=hunter2"
tap_like "$(grep -E 'access .*method=GET path=/v1/jobs status=401 .* tenant=- auth=-$' "$T/serve.log")" . \
	"a request without a token is logged with tenant - and auth -"
curl -s -o /dev/null -H "X-Auth-Token: $TOKEN_B" "$DISP_URL/v1/runtimes"
tap_like "$(grep -E 'access .*method=GET path=/v1/runtimes status=200 .* tenant=beta auth=header$' "$T/serve.log")" . \
	"  a token in X-Auth-Token is auth=header too"
tap_is "$(grep -c hunter2 "$T/serve.log")" 0 "  and nothing of its query string"
curl -s -o /dev/null "$DISP_URL/t/$TOKEN_A/api/v2/runtimes"
curl -s -o /dev/null "$DISP_URL/%74/$TOKEN_B/api/v2/runtimes"
# An empty first segment makes "t" an authority and the token the path's
# first segment: hidden too.
curl -s -o /dev/null --path-as-is "$DISP_URL//t/$TOKEN_A/api/v2/runtimes"
tap_like "$(grep -E 'access .*path=/t/-/api/v2/runtimes status=[0-9]+ .*' "$T/serve.log")" . \
	"a token in the path is hidden"
tap_is "$(grep -c -e "$TOKEN_A" -e "$TOKEN_B" -e "$TOKEN_ADMIN" "$T/serve.log")" 0 "  no token appears anywhere in the log"
before=$(grep -c '' "$T/serve.log")
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN_A" --path-as-is \
	"$DISP_URL/v1/jobs/%0Ainjected%20x/%22%5C"
# Bytes as they are, where curl would encode them: UTF-8, a quote, a
# backslash, a tab, an escape.
"$NODE_PYTHON" - "$DISP_PORT" "$TOKEN_A" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /v1/jobs/\xc3\xa9\"\\\t\x1b[2Jx HTTP/1.1\r\nHost: x\r\n"
          b"Authorization: Bearer " + sys.argv[2].encode() + b"\r\nConnection: close\r\n\r\n")
s.recv(4096)
PY
sleep 0.2
new=$(tail -n +"$((before + 1))" "$T/serve.log" | grep -c 'access ')
tail -n +"$((before + 1))" "$T/serve.log" | grep 'access ' >"$T/odd"
tap_is "$new" 2 "paths with an encoded newline, raw UTF-8, quotes and escapes give one access line each"
tap_like "$(head -1 "$T/odd")" 'path=/v1/jobs/%0Ainjected%20x/%22%5C status=404 ' "  encoded bytes as they were sent"
tap_like "$(tail -1 "$T/odd")" 'path=/v1/jobs/%C3%A9%22%5C%09%1B\[2Jx status=404 ' "  raw ones written as %XX"
tap_is "$(tail -n +"$((before + 1))" "$T/serve.log" | grep -c '^injected')" 0 "  and no line of the attacker's"
tap_is "$(tail -n +"$((before + 1))" "$T/serve.log" | tr -d '\n' | tr -d '[:print:]' | wc -c)" 0 \
	"  nor any byte that is not printable"

# --- A purge removes rows: counters stay.
scrape m4
api POST /v1/purge "{\"before\": \"$(date -u -d tomorrow +%Y-%m-%d)\"}" "$TOKEN_ADMIN" >"$T/purge"
tap_cmp "$(jq -r .purged "$T/purge")" ">=" 6 "a purge removes the ended jobs ($(jq -r .purged "$T/purge"))"
scrape m5
tap_ok $? "the scrape after the purge parses"
tap_is "$(monotone m4 m5)" "" "no counter went down after the purge"
tap_is "$(val m5 'sluice_jobs_finished_total{state="COMPLETED"}')" "$(val m4 'sluice_jobs_finished_total{state="COMPLETED"}')" \
	"sluice_jobs_finished_total keeps counting purged jobs"
tap_is "$(monotone m0 m5)" "" "nor from the first scrape to the last"

# --- A restart: counters start from zero (docs/api.md), gauges are read
# anew; with access_log = false, no access line is written.
disp_stop
echo 'access_log = false;' >>"$T/sluice.conf"
lines=$(grep -c '' "$T/serve.log")
disp_serve
disp_wait_nodes UP 20
tap_ok $? "the daemon restarts"
scrape m6
tap_ok $? "the scrape after the restart parses"
tap_is "$(total m6 sluice_jobs_finished_total)" 0 "sluice_jobs_finished_total starts from zero after a restart"
tap_is "$(total m6 sluice_verdicts_total)" 0 "  so does sluice_verdicts_total"
tap_is "$(val m6 sluice_job_run_seconds_count)" 0 "  and sluice_job_run_seconds"
tap_cmp "$(val m6 process_start_time_seconds)" ">" "$start0" "process_start_time_seconds says when (later than before)"
tap_like "$(monotone m5 m6)" 'went down|vanished' "(so a counter goes down only across a restart)"
id=$(submit_py 'print(5)')
wait_job "$id" 60 >/dev/null
tap_is "$(tail -n +"$((lines + 1))" "$T/serve.log" | grep -c 'access ')" 0 "access_log = false: no access line"
tap_like "$(tail -n +"$((lines + 1))" "$T/serve.log" | grep -E "job $id COMPLETED tenant=alpha")" . "  the job lines are still there"

tap_done
