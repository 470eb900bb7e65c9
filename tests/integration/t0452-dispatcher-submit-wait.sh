#!/bin/bash
# Synchronous submit: POST /v1/jobs?wait=SECONDS answers 201 with the ended
# job when it ends in time, else 202 with the job as it is then; a bad wait
# is refused (400) and submits nothing.  The node's python3 has warm_start,
# so the jobs here also go end to end through a sandbox made before them.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

DISP_WARM=1 disp_setup 82800 1 2
# A session keeps (and parks under) a policy unchanged for two seconds.
sleep 3
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP"

# post QUERY CODE: POST a short-form job with ?QUERY; the body, and the
# status and Location into $T/.http_status and $T/location.
post() {
	curl -sS -D "$T/headers" -o "$T/body" -w '%{http_code}' \
		-H "Authorization: Bearer $TOKEN_A" -H 'Content-Type: application/json' \
		--data-binary "$(jq -cn --arg src "$2" '{runtime: "python3", source: $src}')" \
		"$DISP_URL/v1/jobs$1" >"$T/.http_status"
	tr -d '\r' <"$T/headers" | awk -F': ' 'tolower($1) == "location" { print $2 }' >"$T/location"
	cat "$T/body"
}
njobs() {
	api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length'
}

J=$(post '?wait=30' 'print("sync")')
tap_is "$(http_status)" 201 "wait: a job that ends in time is answered 201"
tap_is "$(printf '%s' "$J" | jq -r '[.state, .verdict, .stdout] | @tsv')" "COMPLETED	ok	sync\n" "wait: with the ended job and its output"
tap_is "$(cat "$T/location")" "/v1/jobs/$(printf '%s' "$J" | jq -r .id)" "wait: and its address"

J=$(post '?wait=0.5' 'import time; time.sleep(4); print("late")')
tap_is "$(http_status)" 202 "wait: a job still running when the wait is over is answered 202"
tap_like "$(printf '%s' "$J" | jq -r .state)" '^(PENDING|RUNNING)$' "wait: with the job as it is then"
ID=$(printf '%s' "$J" | jq -r .id)
tap_is "$(wait_job "$ID" | jq -r '[.state, .stdout] | @tsv')" "COMPLETED	late\n" "wait: the job goes on, and ends"

J=$(post '' 'print("async")')
tap_is "$(http_status) $(printf '%s' "$J" | jq -r .state)" "201 PENDING" "no wait: answered at once, the job pending (control)"

before=$(njobs)
for bad in 'wait=abc' 'wait=-1' 'wait=1e9' 'wait=' 'wait=nan' 'wait=0x2' 'wait=%2B1' 'wait=1%00x' 'wait=1e1' 'wait=1.' 'wait=1&wait=2'; do
	J=$(post "?$bad" 'print("never")')
	tap_like "$(http_status) $(printf '%s' "$J" | jq -r .field)" "^400 (wait|query)$" "refused: ?$bad"
done
J=$(post '?x' 'print("never")')
tap_is "$(http_status) $(printf '%s' "$J" | jq -r .field)" "400 query" "refused: a query that is not NAME=VALUE"
tap_is "$(njobs)" "$before" "refused: nothing was submitted"
J=$(post '?wait=0.5' 'print("half")')
tap_like "$(http_status)" '^20[12]$' "a fraction of a second is a wait (control)"

# End to end on warm sandboxes: jobs of the default limits take the
# sandbox the node had ready.
# (a warm job's script runs under the runner's frame, where a cold one's
# module frame is the first: agent.conf(5) lists it among what a script
# can tell; sys.argv and __name__ are the script's either way).
sleep 0.5
J=$(post '?wait=30' 'import sys; print(sys.argv[0], __name__, sys._getframe().f_back is not None)')
tap_is "$(printf '%s' "$J" | jq -r '[.verdict, .stdout] | @tsv')" "ok	/job/main.py __main__ True\n" "warm: the job ran in a sandbox made before it, and saw its own name"
ID=$(submit_py 'import sys; print(sys._getframe().f_back is not None)' '{"limits": {"wall_seconds": 7}}')
tap_is "$(wait_job "$ID" | jq -r '[.verdict, .stdout] | @tsv')" "ok	False\n" "warm: a job with a limit of its own ran cold (control)"
tap_is "$(api GET /v1/nodes "" "$TOKEN_ADMIN" | jq -r '.nodes[0] | [.slots, .state] | @tsv')" "2	UP" "warm: the node has its two slots, not three"

tap_done
