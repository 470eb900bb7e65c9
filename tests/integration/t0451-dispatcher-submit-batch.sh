#!/bin/bash
# Submissions that arrive in one turn of the daemon's loop are committed
# together (one SQLite commit for all), and none is answered before that
# commit: eight submissions held in their sockets while the daemon is
# stopped, then let in at once, are eight jobs with eight ids, in at most
# two commits, and every one of them is there after a restart.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 82700 1 1
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP"
api POST /v1/nodes/node1/drain '{"reason": "keep them queued"}' "$TOKEN_ADMIN" >/dev/null

commits() {
	api GET /metrics | awk '$1 == "sluice_submit_commits_total" { print $2 }'
}
before=$(commits)
tap_like "$before" '^[0-9]+$' "the metrics count submission commits ($before)"

kill -STOP "$DISP_PID"
for i in $(seq 1 8); do
	curl -s -o "$T/sub.$i" -w '%{http_code}' -H "Authorization: Bearer $TOKEN_A" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"runtime\":\"python3\",\"source\":\"print($i)\"}" \
		"$DISP_URL/v1/jobs" >"$T/code.$i" &
done
# The connections are taken by the kernel's backlog, and the requests wait
# in their sockets, until the daemon runs again: wait (up to 20 s, for a
# loaded machine) until all eight have bytes waiting on the daemon's side.
port=$(printf '%04X' "${DISP_URL##*:}")
waiting() {
	awk -v p=":$port" '$2 ~ p"$" && $4 == "01" { split($5, q, ":"); if (q[2] != "00000000") n++ }
		END { print n + 0 }' /proc/net/tcp
}
for _ in $(seq 1 200); do [ "$(waiting)" -ge 8 ] && break; sleep 0.1; done
tap_is "$(waiting)" 8 "eight requests wait in the daemon's sockets while it is stopped"
kill -CONT "$DISP_PID"
wait_ok=0
for i in $(seq 1 8); do
	for _ in $(seq 1 100); do [ -s "$T/code.$i" ] && break; sleep 0.1; done
	[ "$(cat "$T/code.$i")" = 201 ] || wait_ok=1
done
tap_ok $wait_ok "the eight submissions are answered 201"
ids=$(for i in $(seq 1 8); do jq -r .id "$T/sub.$i"; done | sort -n | uniq)
tap_is "$(printf '%s\n' "$ids" | grep -c '^[0-9][0-9]*$')" 8 "  with eight different ids"
after=$(commits)
tap_cmp "$((after - before))" "<=" 2 "  in at most two commits ($((after - before)))"
tap_cmp "$((after - before))" ">=" 1 "  and at least one"

disp_stop
disp_serve || { tap_ok 1 "daemon restarts"; tap_done; exit 1; }
missing=0
for id in $ids; do
	[ "$(state_of "$id")" = PENDING ] || missing=1
done
tap_ok $missing "after a restart every one of them is there, queued"

tap_done
