#!/bin/bash
# A node whose agent session lies around the truth: for every request its
# `serve` answers honestly (the real agent, under the request's tag), but
# around that it sends lines for tags that are no job's, lines without a
# tag, exit lines out of range and garbage.  Every byte from a node is
# untrusted: the jobs must still complete once each, and the session must
# carry them (no fallback to one command per verb).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 82000 1 2
fake="$T/fake-agent"
cat >"$fake" <<'EOS'
#!/bin/bash
# sluice-agent whose session lies; every other verb is the real agent's.
[ "$3" = serve ] || exec "${AGENT_BIN:?}" "$@"
conf=$2
while read -r tag verb dirs; do
	echo "$tag $verb" >>"$(dirname "$conf")/served.log"
	echo "999999.1 {\"event\":\"finished\",\"result\":{}}"
	echo "999999.1 exit 0"
	echo "no tag at all"
	echo "$tag exit 99999"
	echo "$tag.x exit 0"
	echo "-1.1 exit 0"
	printf '%s\n' "$(head -c 300 /dev/urandom | tr -d '\n\0')"
	(
		# shellcheck disable=SC2086
		"$AGENT_BIN" --config "$conf" "$verb" $dirs | sed -u "s/^/$tag /"
		echo "$tag exit ${PIPESTATUS[0]}"
	) &
done
wait
EOS
sed -i "s|^#!/bin/bash\$|#!/bin/bash\nAGENT_BIN='$AGENT_BIN'|" "$fake"
chmod +x "$fake"
sed -i "s|-- $AGENT_BIN |-- $fake |" "$(node_dir node1)/forced"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP"

ids=""
for i in 1 2 3 4; do
	ids="$ids $(submit_py "import time; time.sleep(0.3); print('job $i')")"
done
outs=""
once=0
for id in $ids; do
	job=$(wait_job "$id" 60)
	outs="$outs$(printf '%s' "$job" | jq -r '[.state, (.stdout | rtrimstr("\n"))] | join(":")') "
	[ "$(printf '%s' "$job" | jq -r .attempts)" = 1 ] && once=$((once + 1))
done
tap_is "$outs" "COMPLETED:job 1 COMPLETED:job 2 COMPLETED:job 3 COMPLETED:job 4 " \
	"lying session: every job completes with its own output"
tap_is "$once" 4 "lying session: each in its first attempt"
tap_is "$(grep -c 'agent session ended\|session is lost' "$T/serve.log")" 0 \
	"lying session: the lies end no session"
tap_is "$(for id in $ids; do grep -c "^$id.1 run$" "$T/served.log"; done | tr '\n' ' ')" "1 1 1 1 " \
	"lying session: each job's run went over the session, once"
tap_is "$(api GET /v1/jobs/999999 | jq -r '.error // empty' | grep -c .)" 1 \
	"lying session: a tag that is no job's made none"
tap_ok "$(kill -0 "$DISP_PID"; echo $?)" "the daemon is still running"
tap_done
