#!/bin/bash
# A node set up as README says: the dispatcher logs in as an ordinary
# account whose key is forced to sluice-node-shell, which reaches the agent
# only through the shipped sudo rule.  The key can run the agent's verbs on
# job directories and SFTP confined to the jobs directory, and nothing
# else; the dispatcher works through it unchanged.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"
. "$top_srcdir/tests/lib/account.sh"

disp_setup 81000 1 2
trap 'disp_teardown_all' EXIT
disp_teardown_all() {
	account_teardown
	disp_teardown
}
BASE="$T/acct.base"
account_setup "$BASE" 73200 || tap_bail "cannot set up the node account"
echo "$NODESHELL_BIN --jobs $BASE/jobs -- /usr/bin/sudo -n $ACCOUNT_AGENT" \
	>"$(node_dir node1)/forced"
sed -i "s/user = \"root\";/user = \"$ACCOUNT\";/" "$T/sluice.conf"
disp_start_nodes
PORT=$NODE_PORT_node1

# as_key [SSH-OPTIONS...] -- COMMAND...: run COMMAND on the node with the
# dispatcher's key, as the account; stdout and stderr together.
as_key() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	timeout 20 ssh -i "$T/ssh/id_ed25519" -p "$PORT" \
		-o UserKnownHostsFile="$T/ssh/known_hosts" -o BatchMode=yes \
		-o StrictHostKeyChecking=yes -o LogLevel=ERROR "${opts[@]}" \
		"$ACCOUNT@127.0.0.1" "$@" <"${AS_KEY_IN:-/dev/null}" 2>&1
}

# --- The key runs the agent (positive control). ---
out=$(as_key -- "sluice-agent info" 2>/dev/null | grep '^{')
tap_is "$?" 0 "the key runs 'sluice-agent info'"
tap_is "$(printf '%s' "$out" | jq -r .base_dir 2>/dev/null)" "$BASE" "info comes from the agent, through sudo, with the node's own config"

# --- Everything else is refused, and leaves nothing behind. ---
refused() { # NAME COMMAND [SSH-OPTIONS...]
	local name=$1 cmd=$2 out rc
	shift 2
	out=$(as_key "$@" -- "$cmd")
	rc=$?
	tap_is "$rc" 2 "forced command: $name is refused (exit 2)"
	tap_like "$out" "sluice-node-shell: " "forced command: $name: the refusal says why"
	tap_ok "$(printf '%s' "$out" | grep -qE "uid=|root:|$ACCOUNT:x"; echo $((!$?)))" "forced command: $name: nothing ran"
}
refused "a shell command" "id"
refused "a shell pipeline" "cat /etc/passwd | head -1"
refused "sh -c" "sh -c id"
refused "--config" "sluice-agent --config $T/evil.conf info"
refused "-c" "sluice-agent -c $T/evil.conf info"
refused "a verb that is not one" "sluice-agent shell"
refused "a path outside jobs" "sluice-agent run /etc"
refused "a path with .." "sluice-agent run $BASE/jobs/../../../etc"
refused "a nested path" "sluice-agent clean $BASE/jobs/a/b"
refused "a hidden name" "sluice-agent clean $BASE/jobs/.x"
refused "another program named like the agent" "/tmp/sluice-agentx info"
refused "an extra argument" "sluice-agent status $BASE/jobs/a $BASE/jobs/b"
refused "command substitution" "sluice-agent status '\$(id)'"
out=$(as_key -- "")
tap_isnt "$?" 0 "forced command: no command (a login shell) is refused"
tap_ok "$(printf '%s' "$out" | grep -q 'uid='; echo $((!$?)))" "forced command: no shell ran"
out=$(as_key -tt -- "sluice-agent info")
tap_like "$out" "PTY allocation request failed|base_dir" "forced command: a pty is refused (restrict)"
out=$(as_key -o ExitOnForwardFailure=yes -R "127.0.0.1:$(node_free_port):127.0.0.1:$PORT" -- "sluice-agent info")
tap_isnt "$?" 0 "forced command: port forwarding is refused (restrict)"
# A job directory the account links to elsewhere is refused by the agent.
account_do ln -s /etc "$BASE/jobs/etclink"
out=$(as_key -- "sluice-agent clean $BASE/jobs/etclink")
tap_is "$?" 2 "a symlinked job directory: clean is refused"
tap_ok "$([ -f /etc/passwd ] && [ -L "$BASE/jobs/etclink" ]; echo $?)" "a symlinked job directory: nothing was removed"
account_do rm -f "$BASE/jobs/etclink"

# --- SFTP: the jobs directory, and nothing else of the host. ---
sftp_as_key() { # BATCH-FILE: run sftp with the key, as the account
	timeout 30 sftp -i "$T/ssh/id_ed25519" -P "$PORT" \
		-o UserKnownHostsFile="$T/ssh/known_hosts" -o BatchMode=yes \
		-b "$1" "$ACCOUNT@127.0.0.1" 2>&1
}
echo "hello" >"$T/upload.txt"
cat >"$T/sftp.ok" <<EOF
mkdir $BASE/jobs/sftpjob
put $T/upload.txt $BASE/jobs/sftpjob/in.txt
get $BASE/jobs/sftpjob/in.txt $T/download.txt
ls $BASE/jobs
EOF
out=$(sftp_as_key "$T/sftp.ok")
tap_is "$?" 0 "sftp: inside jobs, mkdir, put, get and ls work"
tap_is "$(cat "$T/download.txt" 2>/dev/null)" hello "sftp: the file came back"
tap_is "$(stat -c %U "$BASE/jobs/sftpjob/in.txt" 2>/dev/null)" "$ACCOUNT" "sftp: files are created as the account"
sftp_refused() { # NAME COMMAND
	printf '%s\n' "$2" >"$T/sftp.bad"
	out=$(sftp_as_key "$T/sftp.bad")
	tap_isnt "$?" 0 "sftp: $1 is refused"
}
sftp_refused "get /etc/shadow" "get /etc/shadow $T/shadow"
tap_ok "$([ ! -s "$T/shadow" ]; echo $?)" "sftp: nothing of /etc/shadow came back"
printf 'get /etc/passwd %s/passwd\n' "$T" >"$T/sftp.pw"
sftp_as_key "$T/sftp.pw" >/dev/null
tap_is "$(grep -c . "$T/passwd" 2>/dev/null || echo 0)" 1 "sftp: /etc/passwd there is one line (the account's), not the host's"
tap_ok "$(grep -q '^root:' "$T/passwd" 2>/dev/null; echo $((!$?)))" "sftp: the host's accounts are not visible"
sftp_refused "put to /tmp" "put $T/upload.txt /tmp/sluice-sftp-$$"
tap_ok "$([ ! -e "/tmp/sluice-sftp-$$" ]; echo $?)" "sftp: nothing was written to /tmp"
sftp_refused "put above jobs" "put $T/upload.txt $BASE/escaped"
tap_ok "$([ ! -e "$BASE/escaped" ]; echo $?)" "sftp: nothing was written above jobs"
sftp_refused "a symlink" "symlink /etc/shadow $BASE/jobs/sftpjob/l"
tap_ok "$([ ! -L "$BASE/jobs/sftpjob/l" ]; echo $?)" "sftp: no link was made"
sftp_refused "a hard link" "ln /etc/passwd $BASE/jobs/sftpjob/h"
sftp_refused "a rename" "rename $BASE/jobs/sftpjob/in.txt $BASE/jobs/sftpjob/x"
sftp_refused ".. out of jobs" "get $BASE/jobs/../../../../etc/shadow $T/shadow2"
printf 'ls /\n' >"$T/sftp.ls"
out=$(sftp_as_key "$T/sftp.ls")
tap_ok "$(printf '%s' "$out" | grep -qE '/(home|root|var|proc|boot)\b'; echo $((!$?)))" "sftp: / holds no /home, /root, /var, /proc or /boot"

# --- A session (serve) through the forced command and sudo: the account's
# requests get what its single commands get, and no more. ---
mkdir -p "$BASE/jobs/rootjob"
printf 's1 info\ns2 status %s\ns3 clean %s\ns4 status /etc\n' \
	"$BASE/jobs/rootjob" "$BASE/jobs/rootjob" >"$T/serve.in"
out=$(AS_KEY_IN="$T/serve.in" as_key -- "sluice-agent serve")
tap_is "$?" 0 "serve: a session runs through the forced command"
tap_is "$(printf '%s\n' "$out" | sed -n 's/^s1 {/{/p' | jq -r .base_dir)" "$BASE" "serve: info answers with the node's own config"
tap_like "$(printf '%s\n' "$out" | grep '^s2 {')" "belongs to uid 0, not to the caller" "serve: root's job directory is refused to the account"
tap_like "$(printf '%s\n' "$out" | grep '^s3 exit')" "^s3 exit 2$" "serve: so is cleaning it"
tap_ok "$([ -d "$BASE/jobs/rootjob" ]; echo $?)" "serve: root's job directory is still there"
tap_like "$(printf '%s\n' "$out" | grep '^s4 {')" "not directly under" "serve: a path outside jobs is refused"
rmdir "$BASE/jobs/rootjob"
refused "serve with an argument" "sluice-agent serve $BASE/jobs/x"

# --- A real job through the dispatcher, unchanged, as the account. ---
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP through the forced command"
id=$(submit_py 'import os; print("ran as", os.getuid())')
job=$(wait_job "$id" 60)
tap_is "$(printf '%s' "$job" | jq -r .state)" COMPLETED "end to end: the job completes"
tap_like "$(printf '%s' "$job" | jq -r .stdout)" "ran as 7320[01]" "end to end: it ran as a slot uid"
for n in $(seq 1 100); do
	[ "$(ls "$BASE/jobs" | grep -vc '^sftpjob$')" -eq 0 ] && break
	sleep 0.1
done
tap_is "$(ls "$BASE/jobs" | grep -vc '^sftpjob$')" 0 "end to end: the job directory was cleaned"
tap_done
