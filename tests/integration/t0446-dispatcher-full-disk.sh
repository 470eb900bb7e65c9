#!/bin/bash
# A full disk under the state directory is an answer, not a crash: the
# state directory on a small tmpfs made here, filled while jobs run.
# Submissions get 507 with Retry-After; reads, health and a cancel are
# answered; commits that fail are kept and retried, results that cannot be
# written wait on their node, no attempt is spent; a restart while full
# comes up; once space returns, every accepted job ends as it should and a
# new submission runs.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 82200 1 2 'min_free_bytes = 1048576;'
mkdir -p "$T/st"
if ! mount -t tmpfs -o size=24m,mode=0700 sluice-test-state "$T/st" 2>"$T/mount.err"; then
	tap_skip_all "cannot mount a tmpfs here: $(cat "$T/mount.err")"
fi
# disp_teardown removes $T; the tmpfs goes first.
trap 'umount -l "$T/st" 2>/dev/null; disp_teardown' EXIT
sed -i "s|^state_dir = .*|state_dir = \"$T/st/state\";|" "$T/sluice.conf"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP, the state directory on a 24 MiB tmpfs"

fill() { dd if=/dev/zero of="$T/st/filler" bs=1M status=none 2>/dev/null; sync; }
a=$(submit_py 'import time; time.sleep(3); print("A done")')
b=$(submit_py 'import time; time.sleep(60); print("B never")')
wait_state "$a" RUNNING
wait_state "$b" RUNNING
fill
tap_cmp "$(df --output=avail -B1 "$T/st" | tail -1 | tr -d " ")" "<" 1048576 "the tmpfs is full"

# --- Submissions are refused with 507; the rest is answered.
out=$(curl -s -D "$T/h507" -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN_A" \
	-H 'Content-Type: application/json' --data-binary '{"runtime":"python3","source":"print(1)"}' "$DISP_URL/v1/jobs")
tap_is "${out##*$'\n'}" 507 "a submission while full is 507"
tap_like "$(printf '%s' "${out%$'\n'*}" | jq -r .error)" 'min_free_bytes|store' "  with a JSON error that says why"
tap_like "$(cat "$T/h507")" 'Retry-After: [0-9]' "  and Retry-After"
tap_is "$(curl -s "$DISP_URL/v1/health" | jq -r '.status')" degraded "health says degraded"
out=$(api DELETE "/v1/jobs/$b")
tap_is "$(http_status)" 202 "a cancel while full is answered (202)"
api GET "/v1/jobs/$a" >/dev/null
tap_is "$(http_status)" 200 "a job is read while full"
# A ends on its node meanwhile; its state and results cannot be written.
sleep 5
kill -0 "$DISP_PID" 2>/dev/null
tap_ok $? "the daemon is alive after its commits failed"
tap_like "$(curl -s "$DISP_URL/v1/health" | jq -c .)" '"store":"(failing|full)"' "health names the store's trouble"
tap_like "$(api GET /metrics '' "$TOKEN_ADMIN")" 'sluice_store_commit_failures_total [1-9]' \
	"/metrics counts the refused commits"
tap_isnt "$(api GET "/v1/jobs/$a" | jq -r .state)" FAILED "A, finished on its node, is not failed for our full disk"

# --- A restart while full comes up and serves.
disp_stop
tap_is "${DISP_STATUS:-x}" 0 "the daemon stops cleanly while full"
disp_serve
tap_ok $? "and starts again while full"
disp_wait_nodes UP 20
tap_is "$(api GET "/v1/jobs/$a" >/dev/null; http_status)" 200 "and answers reads"

# --- Space returns: everything goes on.
rm -f "$T/st/filler"
ja=$(wait_job "$a" 40)
tap_is "$(printf '%s' "$ja" | jq -r .state)" COMPLETED "A ends COMPLETED once there is room"
tap_is "$(printf '%s' "$ja" | jq -r .stdout)" "A done" "  with its output"
tap_is "$(printf '%s' "$ja" | jq -r .attempts)" 1 "  on its first attempt (none spent on our disk)"
jb=$(wait_job "$b" 40)
tap_is "$(printf '%s' "$jb" | jq -r .state)" CANCELLED "B, cancelled while full, ends CANCELLED"
tap_is "$(curl -s "$DISP_URL/v1/health" | jq -r .status)" ok "health is ok again"
c=$(submit_py 'print("after")')
tap_is "$(wait_job "$c" 30 | jq -r .stdout)" after "a new submission runs"
tap_is "$(grep -c 'sluice fatal' "$T/serve.log")" 0 "nothing was fatal"

tap_done
