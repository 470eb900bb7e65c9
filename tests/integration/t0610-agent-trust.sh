#!/bin/bash
# Hostile: the node's SSH account against the root agent.  The account
# reaches the agent only through the shipped sudo rule (etc/sluice.sudoers)
# and must never choose the node's policy (config, base_dir, jobs, slot
# ids), never make root follow a link, never make root read a file for it
# that it could not read itself, and never make root kill a process that is
# not a job's.  Each attack must fail with a clear error and change nothing.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
. "$top_srcdir/tests/lib/account.sh"
[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root (accounts, sudo rules)"

UIDB=73100
T=$(mktemp -d /tmp/sluice-test.XXXXXX)
chmod 755 "$T"
HL_SAVED=$(sysctl -n fs.protected_hardlinks)
VICTIM_PID=
cleanup() {
	sysctl -qw fs.protected_hardlinks="$HL_SAVED"
	[ -n "$VICTIM_PID" ] && kill -KILL "$VICTIM_PID" 2>/dev/null
	[ -n "${FLIPPER:-}" ] && kill -KILL "$FLIPPER" 2>/dev/null
	rm -f /etc/sudoers.d/sluice-test-wild-$$
	[ -n "${SUBUID_ADDED:-}" ] && sed -i "/^$ACCOUNT:/d" /etc/subuid
	account_teardown
	pkill -KILL -U "$UIDB" 2>/dev/null
	pkill -KILL -U $((UIDB + 1)) 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

BASE="$T/base"
account_setup "$BASE" "$UIDB" || tap_bail "cannot set up the node account"
AUID=$(id -u "$ACCOUNT")

# err JSON: the error message the agent printed.
err() {
	printf '%s' "$1" | jq -r '.error // empty' 2>/dev/null
}

# A staged job made by the account itself, as the dispatcher stages one.
# stage NAME CODE: prints the job directory.
stage() {
	local d="$BASE/jobs/$1"
	account_do sh -c 'umask 022; mkdir -p "$1/files" &&
		printf "%s\n" "$2" >"$1/files/main.py" &&
		printf "%s\n" "{\"version\":1,\"id\":\"t\",\"runtime\":\"python3\",\"entry\":\"main.py\"}" >"$1/job.json"' \
		sh "$d" "$2" || return 1
	echo "$d"
}

# --- The rule and the agent work for the account (positive control). ---
D=$(stage ok 'print("hello from", __import__("os").getuid())')
out=$(account_agent run "$D")
tap_is "$?" 0 "control: the account runs a job through the sudo rule"
tap_is "$(jq -r .verdict "$D/result.json" 2>/dev/null)" ok "control: the job's verdict is ok"
tap_like "$(cat "$D/stdout" 2>/dev/null)" "hello from $UIDB" "control: it ran as the slot's uid"
out=$(account_agent info)
tap_is "$(printf '%s' "$out" | jq -r .base_dir)" "$BASE" "control: info reads the pinned config"

# --- 1. A caller's --config, in every spelling. ---
printf 'base_dir = "%s/evil";\nslots = 1;\nuid_base = 1000;\nruntimes = ( { name = "sh"; command = [ "/bin/sh" ]; } );\n' "$T" >"$T/evil.conf"
chmod 0644 "$T/evil.conf"
for spelling in "--config $T/evil.conf" "--config=$T/evil.conf" "-c $T/evil.conf" "-c$T/evil.conf"; do
	# shellcheck disable=SC2086
	out=$(account_agent $spelling info 2>&1)
	rc=$?
	tap_isnt "$rc" 0 "sudo: '$spelling' is not allowed by the rule"
	leaked=$(printf '%s' "$out" | grep -c "$T/evil" || true)
	tap_is "$leaked" 0 "sudo: '$spelling' ran nothing with the caller's config"
done
# The agent itself refuses it too, wherever root is held for another
# account (a rule with a wildcard, as README once gave, would let it through).
{
	echo "Defaults:$ACCOUNT !requiretty, env_reset"
	echo "$ACCOUNT ALL=(root) NOPASSWD: $ACCOUNT_AGENT *"
} >"$T/wild.sudoers"
visudo -cqf "$T/wild.sudoers" && install -m 0440 "$T/wild.sudoers" /etc/sudoers.d/sluice-test-wild-$$
for spelling in "--config $T/evil.conf" "--config=$T/evil.conf" "-c $T/evil.conf" "--config $PINNED_CONFIG --config $T/evil.conf"; do
	# shellcheck disable=SC2086
	out=$(account_agent $spelling info)
	rc=$?
	tap_is "$rc" 2 "wildcard rule: '$spelling' is refused by the agent (exit 2)"
	tap_like "$(err "$out")" "config" "wildcard rule: '$spelling': the error names --config"
done
out=$(account_agent --config= info)
tap_is "$?" 2 "wildcard rule: '--config=' (empty) is refused"
rm -f /etc/sudoers.d/sluice-test-wild-$$
# Root, not acting for anyone, may name a config, but only once.
cp "$PINNED_CONFIG" "$T/root.conf"
out=$("$ACCOUNT_AGENT" --config "$T/root.conf" --config "$T/root.conf" info)
tap_is "$?" 2 "root: --config given twice is refused (exit 2)"
tap_like "$(err "$out")" "twice" "root: the error says it was given twice"
out=$("$ACCOUNT_AGENT" --config "$T/root.conf" info)
tap_is "$?" 0 "root: one --config is accepted (control)"
out=$(SUDO_UID=$AUID "$ACCOUNT_AGENT" --config "$T/root.conf" info)
tap_is "$?" 2 "root with SUDO_UID of the account: --config is refused"

# --- 2. Policy files the account could change. ---
# policy_refused WHAT SETUP UNDO: SETUP makes the attack, info and run must
# refuse it, UNDO restores.
policy_refused() {
	local what=$1 out rc
	eval "$2"
	out=$(account_agent info)
	rc=$?
	tap_isnt "$rc" 0 "$what: info refuses it"
	tap_like "$(err "$out")" "$3" "$what: the error says why"
	eval "$4"
	out=$(account_agent info)
	tap_is "$?" 0 "$what: info works again once it is undone"
}
policy_refused "config owned by the account" \
	'chown "$ACCOUNT" "$PINNED_CONFIG"' "not root" 'chown root "$PINNED_CONFIG"'
policy_refused "config writable by others" \
	'chmod 0666 "$PINNED_CONFIG"' "writable by others" 'chmod 0644 "$PINNED_CONFIG"'
policy_refused "config writable by its group" \
	'chmod 0664 "$PINNED_CONFIG"; chgrp "$ACCOUNT" "$PINNED_CONFIG"' "writable by its group" \
	'chmod 0644 "$PINNED_CONFIG"; chgrp root "$PINNED_CONFIG"'
policy_refused "config a symbolic link" \
	'mv "$PINNED_CONFIG" "$T/moved.conf"; ln -s "$T/moved.conf" "$PINNED_CONFIG"' "symbolic link" \
	'rm "$PINNED_CONFIG"; mv "$T/moved.conf" "$PINNED_CONFIG"'
policy_refused "config's directory owned by the account" \
	'chown "$ACCOUNT" "$ACCOUNT_DIR"' "not root" 'chown root "$ACCOUNT_DIR"'
policy_refused "base_dir owned by the account" \
	'chown "$ACCOUNT" "$BASE"' "not root" 'chown root "$BASE"'
policy_refused "base_dir's parent writable by others" \
	'chmod 0777 "$T"' "writable by others" 'chmod 0755 "$T"'
D=$(stage policy 'print(1)')
jobs_refused() {
	local what=$1 out rc
	eval "$2"
	out=$(account_agent status "$D")
	rc=$?
	tap_isnt "$rc" 0 "$what: status refuses it"
	tap_like "$(err "$out")" "$3" "$what: the error says why"
	eval "$4"
	out=$(account_agent status "$D")
	tap_is "$?" 0 "$what: status works again once it is undone"
}
jobs_refused "jobs owned by the account" \
	'chown "$ACCOUNT" "$BASE/jobs"' "not root" 'chown root "$BASE/jobs"'
jobs_refused "jobs writable by its group without the sticky bit" \
	'chmod 0770 "$BASE/jobs"' "writable by its group" 'chmod 1770 "$BASE/jobs"'

# --- 3. Slot ids of real accounts and groups. ---
ids_refused() {
	local what=$1 out rc
	account_write_config "$BASE" "$2" "$3"
	out=$(account_agent info)
	rc=$?
	tap_is "$rc" 2 "$what: refused (exit 2)"
	tap_like "$(err "$out")" "$4" "$what: the error says why"
}
ids_refused "uid_base below 1000" 500 "" "1000"
ids_refused "uid_base on the account's own uid" "$AUID" "gid_base = $UIDB;" "belongs to the existing account '$ACCOUNT'"
ids_refused "a slot's uid on an account" $((AUID - 1)) "gid_base = $UIDB;" "uid [0-9]+ belongs to the existing account"
ids_refused "gid_base on the account's group" "$UIDB" "gid_base = $(id -g "$ACCOUNT");" "existing group '$ACCOUNT'"
ids_refused "gid_base 42 (shadow)" "$UIDB" "gid_base = 42;" "1000"
account_write_config "$BASE" "$UIDB"
out=$(account_agent info)
tap_is "$?" 0 "slot ids: a free range is accepted again (control)"

# --- 4. Links in the jobs path: clean must never follow one. ---
mkdir -p "$T/victim/x" && echo precious >"$T/victim/x/keep"
mv "$BASE/jobs" "$BASE/jobs.real"
ln -s "$T/victim" "$BASE/jobs"
out=$(account_agent clean "$BASE/jobs/x")
tap_isnt "$?" 0 "clean through a symlinked jobs: refused"
tap_like "$(err "$out")" "symbolic link" "clean through a symlinked jobs: the error says a link"
tap_is "$(cat "$T/victim/x/keep" 2>/dev/null)" precious "clean through a symlinked jobs: the target is untouched"
rm "$BASE/jobs" && mv "$BASE/jobs.real" "$BASE/jobs"
account_do ln -s "$T/victim/x" "$BASE/jobs/link"
out=$(account_agent clean "$BASE/jobs/link")
tap_isnt "$?" 0 "clean of a symlinked job directory: refused"
tap_is "$(cat "$T/victim/x/keep" 2>/dev/null)" precious "clean of a symlinked job directory: the target is untouched"
rm -f "$BASE/jobs/link"

# --- 5. Files root reads for the account: owner and link count. ---
echo "root-only secret" >"$T/secret" && chmod 0600 "$T/secret"
sysctl -qw fs.protected_hardlinks=0
D=$(stage hardlink 'print(open("leak.txt").read())')
account_do ln "$T/secret" "$D/files/leak.txt"
tap_is "$(stat -c %h "$T/secret")" 2 "hard link: the account made a link to root's file (protected_hardlinks=0)"
out=$(account_agent run "$D")
tap_is "$?" 2 "hard link in files/: run refuses it (exit 2)"
tap_like "$(err "$out")" "owned by uid 0|links" "hard link in files/: the error says why"
tap_ok "$(grep -qs secret "$D/stdout"; echo $((!$?)))" "hard link in files/: nothing of the file reached the job"
tap_ok "$([ ! -e "$D/events" ]; echo $?)" "hard link in files/: the job never started"
D=$(stage hlstdin 'import sys; print(sys.stdin.read())')
account_do ln "$T/secret" "$D/stdin"
out=$(account_agent run "$D")
tap_is "$?" 2 "hard link as stdin: refused (exit 2)"
tap_ok "$([ ! -e "$D/events" ]; echo $?)" "hard link as stdin: the job never started"
D=$(stage hljson 'print(1)')
account_do rm "$D/job.json"
account_do ln "$T/secret" "$D/job.json"
out=$(account_agent run "$D")
tap_is "$?" 2 "hard link as job.json: refused (exit 2)"
tap_ok "$(printf '%s' "$out" | grep -q secret; echo $((!$?)))" "hard link as job.json: the error quotes nothing of the file"
# The agent's own files in the account's directory: swapped for a hard link
# to root's file, root must neither print it (wait) nor append to it when
# it settles a job whose supervisor is gone (status).
D=$(stage swapped 'print(1)')
account_agent run "$D" >/dev/null
sum_before=$(sha256sum <"$T/secret")
account_do sh -c 'cd "$1" && rm -f result.json && mv events events.old && ln "$2" events' sh "$D" "$T/secret"
out=$(account_do timeout 20 sudo -n "$ACCOUNT_AGENT" wait "$D")
tap_ok "$(printf '%s' "$out" | grep -q secret; echo $((!$?)))" "events swapped for a hard link: wait prints nothing of root's file"
out=$(account_do timeout 20 sudo -n "$ACCOUNT_AGENT" status "$D")
tap_is "$(sha256sum <"$T/secret")" "$sum_before" "events swapped for a hard link: status appends nothing to root's file"
tap_ok "$(printf '%s' "$out" | grep -q secret; echo $((!$?)))" "events swapped for a hard link: status prints nothing of it"
account_do sh -c 'cd "$1" && rm -f events && mkfifo events' sh "$D"
account_do timeout 20 sudo -n "$ACCOUNT_AGENT" wait "$D" >/dev/null
tap_isnt "$?" 124 "events swapped for a FIFO: wait does not hang"
D=$(stage fifocancel 'import time; time.sleep(30)')
account_agent run "$D" >/dev/null &
runpid=$!
for i in $(seq 1 100); do grep -qs started "$D/events" && break; sleep 0.05; done
account_do mkfifo "$D/cancel"
account_do timeout 20 sudo -n "$ACCOUNT_AGENT" cancel "$D" >/dev/null
tap_isnt "$?" 124 "cancel planted as a FIFO: cancel does not hang"
account_do rm -f "$D/cancel"
account_agent cancel "$D" >/dev/null
wait "$runpid"
tap_is "$(jq -r .verdict "$D/result.json" 2>/dev/null)" cancelled "cancel planted as a FIFO: a later cancel still works"
# The same with a link whose original root has since replaced (as useradd
# replaces /etc/shadow): one link, owned by root, and still root's secret.
echo "root-only replaced" >"$T/secret2" && chmod 0600 "$T/secret2"
D=$(stage replaced 'print(1)')
account_agent run "$D" >/dev/null
account_do sh -c 'cd "$1" && rm -f result.json && mv events events.old && ln "$2" events' sh "$D" "$T/secret2"
rm "$T/secret2"
tap_is "$(stat -c %h:%u "$D/events")" "1:0" "replaced original: the link is root's file with one link"
out=$(account_do timeout 20 sudo -n "$ACCOUNT_AGENT" wait "$D")
tap_ok "$(printf '%s' "$out" | grep -q replaced; echo $((!$?)))" "replaced original: wait prints nothing of root's file"
out=$(account_do timeout 20 sudo -n "$ACCOUNT_AGENT" status "$D")
tap_is "$(cat "$D/events")" "root-only replaced" "replaced original: status appends nothing to root's file"
tap_ok "$(printf '%s' "$out" | grep -q replaced; echo $((!$?)))" "replaced original: status prints nothing of it"
# A symbolic link as events tells nothing of where it points.
D=$(stage symev 'print(1)')
account_agent run "$D" >/dev/null
mkdir -p "$T/hidden" && chmod 0700 "$T/hidden" && : >"$T/hidden/present"
account_do sh -c 'cd "$1" && rm -f result.json events && ln -s "$2/present" events' sh "$D" "$T/hidden"
out1=$(err "$(account_agent wait "$D")")
account_do sh -c 'cd "$1" && rm -f events && ln -s "$2/absent" events' sh "$D" "$T/hidden"
out2=$(err "$(account_agent wait "$D")")
tap_is "$out1" "$out2" "events as a symlink: the same error whether its target exists or not"
# events swapped, while wait reads it, for another that says finished: wait
# must notice the swap, not read the old file for ever.
D=$(stage swapwait 'print(1)')
account_agent run "$D" >/dev/null
account_do sh -c 'cd "$1" && rm -f result.json && head -n 1 events >events.new && cp events events.fin && mv events.new events' sh "$D"
account_do timeout 20 sudo -n "$ACCOUNT_AGENT" wait "$D" >/dev/null &
waitpid=$!
sleep 0.3
account_do mv "$D/events.fin" "$D/events"
wait "$waitpid"
tap_isnt "$?" 124 "events swapped under wait: wait ends instead of looping"
# Where the job directory is root's (a node that logs in as root), the
# owner matches: the link count alone must catch it.
cp "$PINNED_CONFIG" "$T/root.conf"
D="$BASE/jobs/rootlink"
mkdir -p "$D/files" && ln "$T/secret" "$D/files/leak.txt"
echo '{"version":1,"id":"t","runtime":"python3","entry":"leak.txt"}' >"$D/job.json"
out=$("$ACCOUNT_AGENT" --config "$T/root.conf" run "$D")
tap_is "$?" 2 "root's job directory, hard link to root's file: refused (exit 2)"
tap_like "$(err "$out")" "has [0-9]+ links" "root's job directory: the error says hard links are refused"
sysctl -qw fs.protected_hardlinks="$HL_SAVED"
D=$(stage rootfile 'print(open("other.txt").read())')
echo "root's" >"$D/files/other.txt"
out=$(account_agent run "$D")
tap_is "$?" 2 "a file in files/ owned by another account: refused (exit 2)"
tap_like "$(err "$out")" "owned by uid 0" "a file owned by another account: the error names the owner"
D=$(stage fine 'print(open("data.txt").read())')
account_do sh -c 'echo mine >"$1/files/data.txt"' sh "$D"
out=$(account_agent run "$D")
tap_is "$?" 0 "control: the account's own files run"
tap_is "$(cat "$D/stdout")" mine "control: the job read the account's file"

# --- Other owners' job directories. ---
D="$BASE/jobs/rootowned"
mkdir -p "$D/files" && echo 'print(1)' >"$D/files/main.py"
echo '{"version":1,"id":"t","runtime":"python3","entry":"main.py"}' >"$D/job.json"
for verb in status run cancel clean; do
	out=$(account_agent "$verb" "$D")
	tap_is "$?" 2 "root's job directory: $verb by the account is refused (exit 2)"
	tap_like "$(err "$out")" "belongs to uid 0, not to the caller" "root's job directory: $verb: the error says whose it is"
done
tap_ok "$([ -f "$D/files/main.py" ] && [ ! -e "$D/events" ]; echo $?)" "root's job directory: untouched"
rm -rf "$D"

# --- What a job leaves in /out: directories count, the list fits. ---
D=$(stage manydirs 'import os
for i in range(3000):
    os.mkdir("/out/d%d" % i)')
account_agent run "$D" >/dev/null
tap_cmp "$(find "$D/out" -mindepth 1 -type d | wc -l)" '<=' 1000 "3000 directories in /out: at most out_files_max copied"
tap_is "$(jq -r .out_files_truncated "$D/result.json")" true "3000 directories in /out: out_files_truncated"
account_write_config "$BASE" "$UIDB" "out_files_max = 10000;"
D=$(stage longnames 'for i in range(4000):
    open("/out/" + ("%04d" % i) + "\"" * 250, "w").close()')
account_agent run "$D" >/dev/null
tap_is "$?" 0 "4000 long names in /out: run ends normally"
tap_cmp "$(stat -c %s "$D/result.json")" '<' 4194304 "4000 long names in /out: result.json stays under its cap"
out=$(account_agent status "$D")
tap_is "$(printf '%s' "$out" | jq -r .result.out_files_truncated)" true "4000 long names in /out: status reads the result, truncated"
account_write_config "$BASE" "$UIDB"

# --- Subordinate ids: an account's user namespace could hold a slot's uid. ---
sub=$(awk -F: -v a="$ACCOUNT" '$1 == a { print $2; exit }' /etc/subuid 2>/dev/null)
if [ -z "$sub" ]; then
	printf '%s:%s:%s\n' "$ACCOUNT" 300000 65536 >>/etc/subuid
	sub=300000
	SUBUID_ADDED=1
fi
ids_refused "uid_base in the account's /etc/subuid range" "$sub" "gid_base = $UIDB;" "overlap '$ACCOUNT'"
account_write_config "$BASE" "$UIDB"

# --- 6. A cgroup path that flips: root never kills outside a cgroup. ---
# The node owner points cgroup_root at a symbolic link that a race flips
# between the real cgroup2 mount and a plain directory whose cgroup.procs
# lists a victim.  The agent checks the slot's directory once, through a
# descriptor, and kills only through it.
if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	CG2=/sys/fs/cgroup/unified
elif [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
	CG2=/sys/fs/cgroup
else
	CG2=
fi
if [ -z "$CG2" ]; then
	tap_ok 0 "flipping cgroup path # SKIP no cgroup2 mount on this machine"
else
	sleep 600 &
	VICTIM_PID=$!
	mkdir -p "$T/fake/sluicetrust/uid$UIDB" "$T/fake/sluicetrust/uid$((UIDB + 1))"
	for u in "$UIDB" $((UIDB + 1)); do
		echo "$VICTIM_PID" >"$T/fake/sluicetrust/uid$u/cgroup.procs"
		: >"$T/fake/sluicetrust/uid$u/cgroup.kill"
	done
	ln -sfn "$CG2" "$T/cgroot"
	account_write_config "$BASE" "$UIDB" "cgroup = \"v2\"; cgroup_root = \"$T/cgroot\"; cgroup_parent = \"sluicetrust\";"
	sed -i '/^cgroup = "none";$/d' "$PINNED_CONFIG"
	(
		while :; do
			ln -sfn "$T/fake" "$T/cgroot.new" && mv -T "$T/cgroot.new" "$T/cgroot"
			ln -sfn "$CG2" "$T/cgroot.new" && mv -T "$T/cgroot.new" "$T/cgroot"
		done
	) &
	FLIPPER=$!
	for i in $(seq 1 15); do
		D=$(stage "flip$i" 'print(1)')
		account_agent run "$D" >/dev/null 2>&1
	done
	kill -KILL "$FLIPPER" 2>/dev/null
	wait "$FLIPPER" 2>/dev/null
	FLIPPER=
	tap_ok "$(kill -0 "$VICTIM_PID" 2>/dev/null; echo $?)" "flipping cgroup path: the victim process is alive after 15 jobs"
	ln -sfn "$CG2" "$T/cgroot"
	for u in "$UIDB" $((UIDB + 1)); do
		[ -d "$CG2/sluicetrust/uid$u" ] && rmdir "$CG2/sluicetrust/uid$u"
	done
	rmdir "$CG2/sluicetrust" 2>/dev/null
	account_write_config "$BASE" "$UIDB"
fi

# --- Nothing left behind. ---
tap_is "$(pgrep -c -U "$UIDB" 2>/dev/null || true)$(pgrep -c -U $((UIDB + 1)) 2>/dev/null || true)" "00" "no process of a slot uid is left"
tap_is "$(ls /etc/sudoers.d | grep -c "sluice-test-wild-$$")" 0 "the wildcard rule is gone"
tap_done
