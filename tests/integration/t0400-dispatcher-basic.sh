#!/bin/bash
# The dispatcher's whole path with two real sshd nodes: hello world,
# multi-file jobs with stdin, arguments and /out files, each verdict's
# state, raw output endpoints, tokens, and forty concurrent jobs that must
# land on both nodes.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 74000 2 2
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
tap_ok 0 "daemon starts and answers /v1/health"
disp_wait_nodes UP 20
tap_ok $? "both nodes come UP"
nodes=$(api GET /v1/nodes)
tap_is "$(printf '%s' "$nodes" | jq '.nodes | length')" 2 "/v1/nodes lists the two nodes"
tap_is "$(printf '%s' "$nodes" | jq '.nodes[0].slots')" 2 "node slots come from the agent's info"
tap_like "$(printf '%s' "$nodes" | jq -r '.nodes[0].runtimes[0].version')" '^Python 3' \
	"node runtimes carry the interpreter version"

# Hello world, short form.
out=$(api POST /v1/jobs '{"runtime":"python3","source":"print(\"hello, world\")"}')
tap_is "$(http_status)" 201 "POST /v1/jobs answers 201"
id=$(printf '%s' "$out" | jq -r .id)
tap_like "$id" '^[0-9]+$' "the job has an id"
tap_like "$(printf '%s' "$out" | jq -r .state)" '^(PENDING|RUNNING)$' "a new job is PENDING or RUNNING"
job=$(wait_job "$id" 30)
tap_is "$(printf '%s' "$job" | jq -r .state)" COMPLETED "hello: COMPLETED"
tap_is "$(printf '%s' "$job" | jq -r .verdict)" ok "hello: verdict ok"
tap_is "$(printf '%s' "$job" | jq -r .stdout)" "hello, world" "hello: stdout inline"
tap_is "$(printf '%s' "$job" | jq -r .exit_code)" 0 "hello: exit code"
tap_is "$(printf '%s' "$job" | jq -r .attempts)" 1 "hello: one attempt"
tap_like "$(printf '%s' "$job" | jq -r .node)" '^node[12]$' "hello: ran on a node"
tap_like "$(printf '%s' "$job" | jq -r .started_at)" '^20[0-9-]+T' "hello: started_at set"
tap_is "$(printf '%s' "$job" | jq -r .tenant)" alpha "hello: tenant is the token's name"
tap_is "$(api GET "/v1/jobs/$id/stdout")" "hello, world" "GET stdout gives the raw bytes"

# Multi-file job with stdin, arguments, env and an /out file.
body=$(jq -cn '{runtime: "python3", entry: "main.py",
	files: {"main.py": "import sys, os, helper\ndata = sys.stdin.read()\nprint(helper.shout(data), sys.argv[1:], os.environ[\"GREETING\"])\nopen(\"/out/report.txt\", \"w\").write(\"report \" + data)\nos.makedirs(\"/out/sub\")\nopen(\"/out/sub/b.bin\", \"wb\").write(bytes(range(256)))\nprint(\"to stderr\", file=sys.stderr)\n",
	        "helper.py": "def shout(s):\n    return s.upper()\n"},
	stdin: "abc", args: ["--n", "5"], env: {"GREETING": "hi"},
	limits: {cpu_seconds: 5, memory_bytes: 134217728}}')
id=$(api POST /v1/jobs "$body" | jq -r .id)
job=$(wait_job "$id" 30)
tap_is "$(printf '%s' "$job" | jq -r .state)" COMPLETED "multi-file: COMPLETED"
tap_is "$(printf '%s' "$job" | jq -r .stdout)" "ABC ['--n', '5'] hi" "multi-file: stdin, args, env and imports"
tap_is "$(printf '%s' "$job" | jq -r .stderr)" "to stderr" "multi-file: stderr inline"
tap_is "$(printf '%s' "$job" | jq -c '[.out_files[] | .name] | sort')" '["report.txt","sub/b.bin"]' \
	"multi-file: out files listed"
tap_is "$(api GET "/v1/jobs/$id/files/report.txt")" "report abc" "GET files/NAME gives the file"
api_raw "/v1/jobs/$id/files/sub/b.bin" "$T/b.bin"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$T/want.bin"
cmp -s "$T/b.bin" "$T/want.bin"
tap_ok $? "a binary out file in a subdirectory comes back byte for byte"
api GET "/v1/jobs/$id/files/..%2Fstdout" >/dev/null
tap_is "$(http_status)" 400 "a file name with .. is refused"
tap_is "$(printf '%s' "$job" | jq -r .limits.memory_bytes)" 134217728 "applied limits reported"

# Verdicts to states.
check_state() {
	local code=$1 limits=$2 want=$3 verdict=$4 id job
	id=$(submit_py "$code" "{\"limits\": $limits}")
	job=$(wait_job "$id" 40)
	tap_is "$(printf '%s' "$job" | jq -r .state)/$(printf '%s' "$job" | jq -r .verdict)" \
		"$want/$verdict" "$want: $verdict"
}
check_state 'import sys; sys.exit(3)' '{}' FAILED exited
check_state 'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)' '{}' FAILED signaled
check_state 'while True: pass' '{"cpu_seconds": 1}' TIMEOUT cpu_limit
check_state 'import time; time.sleep(10)' '{"wall_seconds": 1}' TIMEOUT wall_limit
check_state 'x = bytearray(512 * 1024 * 1024)' '{"memory_bytes": 67108864}' OUT_OF_MEMORY memory_limit
check_state 'print("x" * 100000)' '{"output_bytes": 1000}' FAILED output_limit

# Tokens.
api GET "/v1/jobs/$id" "" bogus-token >/dev/null
tap_is "$(http_status)" 401 "a bad token gets 401"
curl -s -o /dev/null -w '%{http_code}' "$DISP_URL/v1/jobs/$id" >"$T/s"
tap_is "$(cat "$T/s")" 401 "no token gets 401"
api GET "/v1/jobs/$id" "" "$TOKEN_B" >/dev/null
tap_is "$(http_status)" 403 "another tenant's job is 403"
api GET "/v1/jobs/$id" "" "$TOKEN_ADMIN" >/dev/null
tap_is "$(http_status)" 200 "the admin token sees every job"
api GET /v1/jobs/999999 >/dev/null
tap_is "$(http_status)" 404 "an unknown job is 404"
api POST /v1/jobs '{"runtime":"cobol","source":"x"}' >/dev/null
tap_is "$(http_status)" 422 "a runtime no node offers is refused"
api POST /v1/jobs '{"runtime":"python3","source":"x","labels":["gpu"]}' >/dev/null
tap_is "$(http_status)" 422 "labels no node has are refused"
api POST /v1/jobs '{"runtime":"python3","source":"x","limits":{"cpu_seconds":1e6}}' >/dev/null
tap_is "$(http_status)" 422 "limits above every ceiling are refused"

# Labels pin a job to a node.
id=$(submit_py 'print(1)' '{"labels": ["n2"]}')
tap_is "$(wait_job "$id" 30 | jq -r .node)" node2 "a label sends the job to the node that has it"

# Forty concurrent jobs land on both nodes.
ids=""
for i in $(seq 1 40); do
	ids="$ids $(submit_py "import time; time.sleep(0.2); print($i)")"
done
ok=0
nodes_used=""
for id in $ids; do
	job=$(wait_job "$id" 120)
	[ "$(printf '%s' "$job" | jq -r .state)" = COMPLETED ] && ok=$((ok + 1))
	nodes_used="$nodes_used $(printf '%s' "$job" | jq -r .node)"
done
tap_is "$ok" 40 "forty concurrent jobs complete"
tap_is "$(printf '%s\n' $nodes_used | sort -u | tr '\n' ' ')" "node1 node2 " \
	"the forty jobs ran on both nodes"

# Fairness: one tenant's queue does not starve another tenant's job.  The
# nodes are drained while both tenants queue, so that every job is still
# waiting when the scheduling starts, however fast the machine submits.
for n in node1 node2; do
	api POST "/v1/nodes/$n/drain" '{"reason":"queueing"}' "$TOKEN_ADMIN" >/dev/null
done
disp_wait_nodes DRAINED 20
ids_a=""
for i in $(seq 1 30); do
	ids_a="$ids_a $(submit_py 'import time; time.sleep(1)')"
done
id_b=$(submit_py 'print("beta")' '{}' "$TOKEN_B")
for n in node1 node2; do
	api POST "/v1/nodes/$n/resume" '' "$TOKEN_ADMIN" >/dev/null
done
job_b=$(wait_job "$id_b" 60 "$TOKEN_B")
tap_is "$(printf '%s' "$job_b" | jq -r .state)" COMPLETED "the other tenant's single job completes"
# The other tenant's job starts before all of the 30 queued ahead of it but
# those placed in the same pass (at most the 4 slots).
start_b=$(printf '%s' "$job_b" | jq -r .started_at)
later=0
for id in $ids_a; do
	start=$(wait_job "$id" 120 | jq -r .started_at)
	[[ "$start" > "$start_b" ]] && later=$((later + 1))
done
tap_cmp "$later" ">=" 26 "it started before all the 30 jobs queued ahead of it but one pass ($later)"
pend=$(submit_py 'import time; time.sleep(5)' '{"labels":["n1"], "limits":{"wall_seconds":10}}')
pend2=$(submit_py 'import time; time.sleep(5)' '{"labels":["n1"], "limits":{"wall_seconds":10}}')
waiting=$(submit_py 'print(1)' '{"labels":["n1"]}')
sleep 1
tap_like "$(api GET "/v1/jobs/$waiting" | jq -r .reason)" 'slot' "a waiting job says why it waits"

disp_stop TERM
tap_is "$DISP_STATUS" 0 "SIGTERM stops the daemon cleanly"
[ "$DISP_STATUS" -eq 0 ] || tap_diag "$(tail -40 "$T/serve.log")"
tap_done
