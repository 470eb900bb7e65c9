#!/bin/bash
# A sandbox error is the node's fault and is tried again, but one that the
# same node repeats for the same job and the same cause (a runtime that
# cannot run in its sandbox) is not tried a third time as if the node had
# died: the job ends FAILED after two attempts, not max_attempts.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

DISP_MAX_ATTEMPTS=3 disp_setup 83200 1 1
# A runtime whose interpreter is there when the node connects (so that its
# check in the sandbox passes and the node offers it) and then goes: every
# sandbox fails the same.  Its directory is bound, so it must not be under
# /tmp (the sandbox's own).
BIN=$(mktemp -d /var/tmp/sluice-t0456.XXXXXX)
chmod 755 "$BIN"
trap 'rm -rf "$BIN"; disp_teardown' EXIT
printf '#!/bin/sh\nexec /usr/bin/python3 "$@"\n' >"$BIN/interp"
chmod 755 "$BIN/interp"
sed -i "s|^  binds = \\[ \"/usr\", \"/lib\", \"/lib64\", \"/bin\", \"/etc/python3.11\" \\]; } );\$|  binds = [ \"/usr\", \"/lib\", \"/lib64\", \"/bin\", \"/etc/python3.11\" ]; },\\n  { name = \"broken\"; version = \"1\"; command = [ \"$BIN/interp\", \"{entry}\" ];\\n    binds = [ \"/usr\", \"/lib\", \"/lib64\", \"/bin\", \"$BIN\" ]; } );|" "$T/node1.agent.conf"
grep -q '"broken"' "$T/node1.agent.conf"
tap_ok $? "the node has the runtime (control)"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP"
tap_is "$(api GET /v1/nodes/node1 | jq -r '[.runtimes[].name] | join(",")')" "python3,broken" \
	"it offers the runtime: its check passed"
rm -f "$BIN/interp"

ID=$(submit_py 'print(1)' '{"runtime": "broken"}')
J=$(wait_job "$ID")
tap_is "$(printf '%s' "$J" | jq -r '[.state, .verdict] | @tsv')" "FAILED	sandbox_error" "the job fails with a sandbox error"
tap_is "$(printf '%s' "$J" | jq -r .attempts)" 2 "after two attempts, not three: the node repeated it"
A=$(api GET "/v1/jobs/$ID/attempts")
tap_is "$(printf '%s' "$A" | jq -r '[.attempts[].node] | unique | join(",")')" node1 "both on the one node"
tap_is "$(printf '%s' "$A" | jq -r '[.attempts[].outcome] | unique | length')" 1 "for the same cause"
tap_like "$(printf '%s' "$J" | jq -r .reason)" 'interp' "the reason names it"
# A job that runs is not affected (control).
ID=$(submit_py 'print(2)')
tap_is "$(wait_job "$ID" | jq -r '[.state, .attempts] | @tsv')" "COMPLETED	1" "a python3 job on the same node completes (control)"

tap_done
