#!/bin/bash
# Failures charged to the right party: an agent that refuses a run because
# every slot is taken (here by a job run on the node behind the daemon's
# back, as leftovers of a lost session would) is asked again with back-off;
# the job runs once the slot frees, on its first attempt.  And when the
# node comes up with a slot already taken, the daemon takes the agent's
# count: the slot is kept out of placement (no refusal at all) until the
# agent says it is free.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 82300 1 1
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP with one slot"

# The node's only slot, taken by a job the daemon does not know (a name
# that is no job of its, so it is not purged as an abandoned attempt).
dir="$T/node1.base/jobs/manual"
# hold_slot SECONDS OUT: run a job on the node itself, behind the daemon's
# back, sleeping SECONDS; its pid in $manual, once it has started.
hold_slot() {
	rm -rf "$dir"
	mkdir -p "$dir/files"
	printf 'import time\ntime.sleep(%s)\n' "$1" >"$dir/files/main.py"
	printf '{"version":1,"id":"manual","runtime":"python3","entry":"main.py"}\n' >"$dir/job.json"
	"$AGENT_BIN" --config "$T/node1.agent.conf" run "$dir" >"$2" 2>&1 &
	manual=$!
	for _ in $(seq 1 50); do grep -q '"started"' "$2" 2>/dev/null && break; sleep 0.1; done
}
hold_slot 8 "$T/manual.out"
tap_like "$(cat "$T/manual.out")" '"event":"started"' "a job outside the daemon holds the slot"

id=$(submit_py 'print("ran")')
for _ in $(seq 1 100); do
	grep -q "job $id waits: all 1 slots are busy" "$T/serve.log" && break
	sleep 0.1
done
tap_like "$(cat "$T/serve.log")" "job $id waits: all 1 slots are busy" "the agent's refusal is logged as a wait"
tap_isnt "$(state_of "$id")" FAILED "the job is not failed meanwhile"
job=$(wait_job "$id" 30)
wait "$manual"
tap_is "$(printf '%s' "$job" | jq -r .state)" COMPLETED "it runs once the slot frees"
tap_is "$(printf '%s' "$job" | jq -r .stdout)" ran "  with its output"
tap_is "$(printf '%s' "$job" | jq -r .attempts)" 1 "  on its first attempt: none spent on the refusals"

# The slot taken again, then the daemon restarted: the node comes up with
# its agent saying one slot is taken that no job of the daemon's holds.
disp_stop
hold_slot 10 "$T/manual2.out"
tap_like "$(cat "$T/manual2.out")" '"event":"started"' "the slot is taken again, the daemon stopped"
disp_serve
disp_wait_nodes UP 20
tap_ok $? "the node comes UP again"
tap_is "$(api GET /v1/nodes | jq -c '.nodes[0] | [.slots, .busy, .busy_elsewhere]')" "[1,0,1]" \
	"the agent's count is taken: 1 slot, none of ours, 1 taken elsewhere"
tap_like "$(cat "$T/serve.log")" "node node1: its agent has 1 of 1 slots taken, 0 by jobs this dispatcher has there; 1 kept out of placement" \
	"  and logged"
id=$(submit_py 'print("ran again")')
sleep 1
tap_is "$(state_of "$id")" PENDING "a job submitted meanwhile waits in the queue"
job=$(wait_job "$id" 30)
wait "$manual"
tap_is "$(printf '%s' "$job" | jq -r .state)" COMPLETED "it runs once the agent says the slot is free"
tap_is "$(printf '%s' "$job" | jq -r .attempts)" 1 "  on its first attempt"
! grep -q "job $id waits: all 1 slots are busy" "$T/serve.log"
tap_ok $? "  never placed on the taken slot (no refusal)"
tap_is "$(api GET /v1/nodes | jq -c '.nodes[0].busy_elsewhere')" 0 "nothing is taken elsewhere any more"

tap_done
