#!/bin/bash
# Failure is normal: a node killed in the middle of its jobs, a hung node,
# the daemon killed with SIGKILL while jobs are in flight and restarted,
# SIGTERM draining, and a host key that does not match.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 75000 2 2
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "both nodes come UP"

# --- A node dies in the middle of its jobs.
ids=""
for i in 1 2 3 4; do
	ids="$ids $(submit_py "import time; time.sleep(8); print('done $i')")"
done
# Wait until all four run (two per node).
for n in $(seq 1 100); do
	running=0
	for id in $ids; do
		[ "$(api GET "/v1/jobs/$id" | jq -r .state)" = RUNNING ] && running=$((running + 1))
	done
	[ "$running" -eq 4 ] && break
	sleep 0.1
done
tap_is "$running" 4 "four jobs run, two on each node"
[ "$running" -eq 4 ] || for id in $ids; do
	tap_diag "job $id: $(api GET "/v1/jobs/$id" | jq -c '[.state, .reason]')"
done
on_node1=""
for id in $ids; do
	[ "$(api GET "/v1/jobs/$id" | jq -r .node)" = node1 ] && on_node1="$on_node1 $id"
done
# Kill node1 entirely: its sshd and sessions, its agents, its jobs.
node_stop node1
pkill -KILL -f -- "--config $T/node1.agent.conf"
for s in 0 1; do pkill -KILL -U $((75000 + s)); done
disp_wait_node node1 DOWN 10
tap_ok $? "the lost node shows DOWN"
tap_like "$(api GET /v1/nodes | jq -r '.nodes[] | select(.name == "node1") | .reason // empty')" '.' \
	"the lost node has a reason"
for id in $ids; do
	job=$(wait_job "$id" 60)
	if printf '%s' "$on_node1" | grep -qw "$id"; then
		tap_is "$(printf '%s' "$job" | jq -r '[.state, .node, .attempts] | @tsv')" \
			"$(printf 'COMPLETED\tnode2\t2')" "job $id from the lost node completes on node2, attempt 2"
		[ "$(printf '%s' "$job" | jq -r .state)" = COMPLETED ] ||
			tap_diag "reason: $(printf '%s' "$job" | jq -r .reason)"
	else
		tap_is "$(printf '%s' "$job" | jq -r '[.state, .attempts] | @tsv')" \
			"$(printf 'COMPLETED\t1')" "job $id on the surviving node completes"
	fi
done
node_start node1 "$NODE_PORT_node1"
disp_wait_node node1 UP 20
tap_ok $? "the node returns to UP once its sshd is back"

# --- A hung node (its sshd stopped) is detected within the timeout.
node_pause node2
start=$(date +%s.%N)
disp_wait_node node2 DOWN 15
tap_ok $? "a hung node goes DOWN"
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
tap_cmp "$elapsed" "<" 8 "hung node detected within dead_after (3 s) plus slack"
node_resume node2
disp_wait_node node2 UP 20
tap_ok $? "the resumed node comes back UP"

# --- SIGKILL of the daemon with 12 jobs in flight, then a restart.
ids=""
for i in $(seq 1 12); do
	ids="$ids $(submit_py "import time; time.sleep(0.5); print('job $i')")"
done
sleep 0.7
disp_stop KILL
sleep 0.5
disp_serve
tap_ok $? "the daemon restarts on the same state"
done_ok=0
once=0
for id in $ids; do
	job=$(wait_job "$id" 90)
	[ "$(printf '%s' "$job" | jq -r .state)" = COMPLETED ] && done_ok=$((done_ok + 1))
	[ "$(printf '%s' "$job" | jq -r .attempts)" = 1 ] && once=$((once + 1))
done
tap_is "$done_ok" 12 "all 12 in-flight jobs complete after the restart"
tap_is "$once" 12 "each ran exactly once (one attempt, no requeue)"
[ "$once" -eq 12 ] && [ "$done_ok" -eq 12 ] || tap_diag "$(grep -E 'requeued|FAILED|down' "$T/serve.log")"
# Exactly once on the nodes too: every job directory ran one agent.
# Directories of attempts abandoned on the killed node are purged when it
# comes back, and the rest are cleaned after collection.
for n in $(seq 1 50); do
	[ "$(ls -d "$T"/node*.base/jobs/* 2>/dev/null | wc -l)" -eq 0 ] && break
	sleep 0.1
done
tap_is "$(ls -d "$T"/node*.base/jobs/* 2>/dev/null | wc -l)" 0 \
	"no job directory is left on any node"

# --- SIGTERM drains: nothing new is accepted, the daemon exits 0, and a
# job that was running goes on and is collected after a restart.
id=$(submit_py 'import time; time.sleep(2); print("survived")')
wait_state "$id" RUNNING
# The positive control of "no job directory is left" above: a running
# job's directory is found where that check looks.
tap_is "$(ls -d "$T"/node*.base/jobs/* 2>/dev/null | sed 's|.*/||' | tr '\n' ' ')" "$id.1 " \
	"a running job's directory is node*.base/jobs/ID.ATTEMPT, where the leftover check looks"
disp_stop TERM
tap_is "$DISP_STATUS" 0 "SIGTERM: the daemon exits 0"
disp_serve
job=$(wait_job "$id" 30)
tap_is "$(printf '%s' "$job" | jq -r '[.state, (.stdout | rtrimstr("\n")), .attempts] | @tsv')" \
	"$(printf 'COMPLETED\tsurvived\t1')" "a job running across the drain completes once"

# --- A restart while a node refuses connections for a moment (its sshd
# listener gone; its running jobs go on): the jobs on it are found again
# once it answers, not run a second time elsewhere.
ids=""
for i in 1 2 3 4; do
	ids="$ids $(submit_py "import time; time.sleep(8); print('g$i')")"
done
for id in $ids; do wait_state "$id" RUNNING; done
on1=$(for id in $ids; do api GET "/v1/jobs/$id" | jq -r 'select(.node == "node1") | .id'; done)
disp_stop KILL
kill -KILL "$(cat "$(node_dir node1)/listener.pid")"
# (its sessions end with the daemon's connections)
for _ in $(seq 100); do
	[ -z "$(node_pids node1)" ] && break
	sleep 0.1
done
cp "$T/serve.log" "$T/serve.log.before"
disp_serve
for _ in $(seq 150); do
	[ "$(api GET /v1/nodes | jq -r '.nodes[] | select(.name == "node1") | .state')" = DOWN ] && break
	sleep 0.1
done
tap_like "$(diff "$T/serve.log.before" "$T/serve.log" | grep 'node node1 is down' | head -1)" 'node node1 is down' \
	"a node that refuses connections after a restart is DOWN"
node_start node1 "$NODE_PORT_node1"
once=0
for id in $ids; do
	job=$(wait_job "$id" 60)
	[ "$(printf '%s' "$job" | jq -r '[.state, .attempts] | @tsv')" = "$(printf 'COMPLETED\t1')" ] && once=$((once + 1))
done
tap_is "$(printf '%s\n' $on1 | grep -c .)/$once" "2/4" "its jobs (2 of 4) are found again when it answers: each completes once"
[ "$once" -eq 4 ] || tap_diag "$(diff "$T/serve.log.before" "$T/serve.log" | grep -E 'requeued|down|up')"
disp_wait_node node1 UP 20

# --- The agent session: each node's jobs go as requests over one
# `sluice-agent serve`, not one SSH command each.  A session killed mid-job
# (its serving process and the verbs it runs: the SSH channel closes) loses
# no job: each is attached again and finishes once.
# session_parents: the serving processes of this test's nodes: a serve
# that sshd started (its requests and their detached supervisors are forks
# of it, named the same).
session_parents() {
	local p pp
	for p in $(pgrep -f -- "$T/node[12].agent.conf serve"); do
		pp=$(ps -o ppid= -p "$p" | tr -d ' ')
		tr '\0' ' ' <"/proc/$pp/cmdline" 2>/dev/null | grep -q "^sshd" && echo "$p"
	done
}
ids=""
for i in 1 2 3 4; do
	ids="$ids $(submit_py "import time; time.sleep(2.5); print('s$i')")"
done
for id in $ids; do wait_state "$id" RUNNING; done
tap_is "$(pgrep -fc -- "$T/node[12].agent.conf run ")" 0 "session: no job runs as an SSH command of its own"
parents=$(session_parents)
tap_is "$(printf '%s\n' $parents | grep -c .)" 2 "session: one serving process per node"
for p in $parents; do
	kill -9 $(ps -o pid= --ppid "$p") "$p" 2>/dev/null
done
done_ok=0
once=0
outs=""
for id in $ids; do
	job=$(wait_job "$id" 60)
	outs="$outs$(printf '%s' "$job" | jq -r .stdout) "
	[ "$(printf '%s' "$job" | jq -r .state)" = COMPLETED ] && done_ok=$((done_ok + 1))
	[ "$(printf '%s' "$job" | jq -r .attempts)" = 1 ] && once=$((once + 1))
done
tap_is "$done_ok" 4 "session killed: every running job completes"
tap_is "$once" 4 "session killed: each in its first attempt (attached again, not requeued)"
tap_is "$outs" "s1 s2 s3 s4 " "session killed: each printed its own output, once"
[ "$once" -eq 4 ] && [ "$done_ok" -eq 4 ] || {
	tap_diag "$(for id in $ids; do api GET "/v1/jobs/$id" | jq -c '[.id, .state, .attempts, .reason]'; done)"
	tap_diag "$(grep -E 'requeued|FAILED|failed|down|session|agent' "$T/serve.log" | tail -30)"
}
tap_like "$(grep -c 'agent session ended' "$T/serve.log")" '^[1-9]' "session killed: the daemon saw the session end"
tap_is "$(api GET /v1/nodes | jq -r '[.nodes[].state] | join(" ")')" "UP UP" "session killed: no node went down for it"
id=$(submit_py 'print("after")')
tap_is "$(wait_job "$id" 30 | jq -r .stdout)" after "session killed: the next job runs"
new=$(session_parents)
tap_ok "$([ -n "$new" ] && [ "$new" != "$parents" ]; echo $?)" "session killed: a new session serves it"

# --- A run request its session lost before the agent read it: the job's
# directory is still staged, so it is run (not waited for), in its first
# attempt.
parents=$(session_parents)
kill -STOP $parents
id=$(submit_py 'print("lost request")')
for _ in $(seq 100); do
	ls "$T"/node*.base/jobs/"$id".1/job.json >/dev/null 2>&1 && break
	sleep 0.1
done
sleep 0.5
tap_is "$(ls "$T"/node*.base/jobs/"$id".1/ 2>/dev/null | tr '\n' ' ')" "files job.json " "lost request: staged, and not started (its session is stopped)"
kill -9 $parents
job=$(wait_job "$id" 60)
tap_is "$(printf '%s' "$job" | jq -r '[.state, (.stdout | rtrimstr("\n")), .attempts] | @tsv')" \
	"$(printf 'COMPLETED\tlost request\t1')" "lost request: run when the session came back, in its first attempt"

# --- A host key that does not match is refused with a clear reason.
disp_stop TERM
node_stop node2
node_rekey node2
node_start node2 "$NODE_PORT_node2"
disp_serve
disp_wait_node node1 UP 20
sleep 1
reason=$(api GET /v1/nodes | jq -r '.nodes[] | select(.name == "node2") | "\(.state) \(.reason)"')
tap_like "$reason" '^DOWN .*(known_hosts|host key)' "a changed host key keeps the node DOWN, and says why"
id=$(submit_py 'print("still served")')
tap_is "$(wait_job "$id" 30 | jq -r .node)" node1 "jobs go to the node whose key matches"

tap_done
