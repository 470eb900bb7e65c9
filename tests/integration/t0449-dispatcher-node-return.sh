#!/bin/bash
# A node's sshd killed and restarted while its jobs run: the jobs are
# queued again when the node is lost (one attempt each: the node's fault),
# their old attempts are cancelled and removed on the node as soon as it
# answers again (within a second or so), the new attempts wait for the
# slots the old ones held instead of spending attempts on "all slots are
# busy", and every job ends COMPLETED.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 82600 1 2
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP with two slots"

# Long enough that the first attempts still hold both slots when the node
# is back.
long() {
	api POST /v1/jobs "$(jq -cn --arg s "import time; time.sleep(15); print('$1')" \
		'{runtime: "python3", source: $s, limits: {wall_seconds: 40}}')" | jq -r .id
}
a=$(long a)
b=$(long b)
wait_state "$a" RUNNING
wait_state "$b" RUNNING
node_stop node1
disp_wait_nodes DOWN 20
tap_ok $? "the node is DOWN once its sshd is gone"
tap_ok "$([ -d "$T/node1.base/jobs/$a.1" ]; echo $?)" "the first attempt still runs on the node meanwhile"
node_start node1 "$NODE_PORT_node1"
disp_wait_nodes UP 20
tap_ok $? "the node is UP again"
# Soon after its return (in a second or so here; the bound is loose for
# loaded machines and sanitizer builds), the old attempts are gone.
gone=1
for _ in $(seq 1 100); do
	[ ! -e "$T/node1.base/jobs/$a.1" ] && [ ! -e "$T/node1.base/jobs/$b.1" ] && { gone=0; break; }
	sleep 0.1
done
tap_ok $gone "the old attempts are cancelled and removed on the node within 10 s of its return"
ja=$(wait_job "$a" 40)
jb=$(wait_job "$b" 40)
tap_is "$(printf '%s' "$ja" | jq -r '[.state, (.stdout | rtrimstr("\n")), .attempts] | @tsv')" "$(printf 'COMPLETED\ta\t2')" \
	"a ends COMPLETED on its second attempt (one spent on the lost node, none on busy slots)"
tap_is "$(printf '%s' "$jb" | jq -r '[.state, (.stdout | rtrimstr("\n")), .attempts] | @tsv')" "$(printf 'COMPLETED\tb\t2')" \
	"b too"
tap_is "$(ls "$T/node1.base/jobs" | grep -c '\.1$')" 0 "no first attempt is left on the node"
# The job's history: both attempts, where they ran and how they ended.
hist=$(api GET "/v1/jobs/$a/attempts")
tap_is "$(http_status)" 200 "GET /v1/jobs/ID/attempts answers"
tap_is "$(printf '%s' "$hist" | jq -c '[.attempts[] | [.attempt, .node]]')" '[[1,"node1"],[2,"node1"]]' \
	"  with both attempts and their node"
tap_like "$(printf '%s' "$hist" | jq -r '.attempts[0].outcome')" 'node1' "  the first ended with its node's loss"
tap_is "$(printf '%s' "$hist" | jq -r '.attempts[1].outcome')" "ended: ok" "  the second with the verdict"
tap_is "$(printf '%s' "$hist" | jq '[.attempts[] | select(.placed_at == null or .ended_at == null)] | length')" 0 \
	"  each with its times"

tap_done
