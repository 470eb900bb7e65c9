#!/bin/bash
# A node whose agent refuses its own agent.conf.  The agent's sftp verb
# says why on stderr, not on stdout (the SFTP stream, which would read its
# JSON as a packet's length); sshd discards a subsystem's stderr, so the
# node's reason says that the node ended SFTP at once and which command
# on the node says why; that command (info) names the setting.  Once the
# file is fixed the node comes up.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 84700 1 1
sed -i 's/^slots = 1;/slots = 1; warm_slots = 2;/' "$T/node1.agent.conf"
MSG="'warm_slots' (2) must be at most 'slots' (1)"

SSH_ORIGINAL_COMMAND=/usr/lib/openssh/sftp-server "$NODESHELL_BIN" \
	--jobs "$T/node1.base/jobs" -- "$AGENT_BIN" --config "$T/node1.agent.conf" \
	</dev/null >"$T/sftp.out" 2>"$T/sftp.err"
tap_is "$?" 2 "sftp: the agent refuses to serve under a refused config"
tap_is "$(wc -c <"$T/sftp.out")" 0 "sftp: and writes nothing on the SFTP stream"
tap_is "$(cat "$T/sftp.err")" "sluice-agent: $MSG (setting 'warm_slots')" "sftp: but says why on stderr"

disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
reason=
for _ in $(seq 1 100); do
	reason=$(api GET /v1/nodes | jq -r '.nodes[] | select(.name == "node1") | .reason // empty')
	case $reason in *"there says)") break ;; esac
	sleep 0.1
done
tap_like "$reason" "^cannot start SFTP on 127\\.0\\.0\\.1:[0-9]+ \\(error [0-9]+\\): the node ended it at once \\(does its agent refuse its agent\\.conf\\? 'sluice-agent info' there says\\)\$" \
	"the node's reason says the node ended SFTP and where to look"
tap_isnt "$(api GET /v1/nodes | jq -r '.nodes[] | select(.name == "node1") | .state')" UP "and the node is not up"
tap_is "$("$AGENT_BIN" --config "$T/node1.agent.conf" info | jq -r '"\(.error) \(.field)"')" "$MSG warm_slots" \
	"and agent info there names the setting"
tap_like "$(SLUICE_SERVER=$DISP_URL SLUICE_TOKEN=$TOKEN_ADMIN "$SLUICE_BIN" nodes 2>&1)" "there says\\)\$" \
	"sluice nodes shows the reason whole, with nothing after it"
sed -i 's/^slots = 1; warm_slots = 2;/slots = 1;/' "$T/node1.agent.conf"
disp_wait_node node1 UP 20
tap_ok $? "once the file is fixed the node comes up (control)"
tap_done
