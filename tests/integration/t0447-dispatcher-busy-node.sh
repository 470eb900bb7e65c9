#!/bin/bash
# Failures charged to the right party: an agent that refuses a run because
# every slot is taken (here by a job run on the node behind the daemon's
# back, as leftovers of a lost session would) is asked again with back-off;
# the job runs once the slot frees, on its first attempt.
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
mkdir -p "$dir/files"
printf 'import time\ntime.sleep(8)\n' >"$dir/files/main.py"
printf '{"version":1,"id":"manual","runtime":"python3","entry":"main.py"}\n' >"$dir/job.json"
"$AGENT_BIN" --config "$T/node1.agent.conf" run "$dir" >"$T/manual.out" 2>&1 &
manual=$!
for _ in $(seq 1 50); do grep -q '"started"' "$T/manual.out" 2>/dev/null && break; sleep 0.1; done
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

tap_done
