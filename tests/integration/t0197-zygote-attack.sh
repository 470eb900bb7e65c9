#!/bin/bash
# Attacks on the zygote (agent/zygote.h) from a job's code and from the
# session's side, each checked against what a cold job gets: a hang-up or
# stop of the session's process group (the zygote's children, the jobs'
# parents, are the one part of a job's process tree that is not the
# detached supervisor's); what a job holds of the zygote (mappings, its
# program, signals, the zygote's socket); a sluice-zygote planted beside
# the agent; and the OOM killer's choice of the job's root parent.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
SLUICE_TEST_WARM=1 SLUICE_TEST_ZYGOTE=1 agent_setup 97200 1

# wait_result DIR SECONDS: status 0 once DIR has its result.json.
wait_result() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -s "$1/result.json" ] && return 0
		sleep 0.05
	done
	return 1
}
# session_sig SIGNAL DIR: a session of its own process group (as on the
# dispatcher's terminal) runs DIR; once its job has printed "started",
# SIGNAL goes to that process group, as a terminal sends ^Z or a hang-up
# to its foreground group.  Waits (12 s at most) for DIR's result, then
# continues and ends whatever the signal stopped.  Prints the session's pid.
session_sig() {
	local sig=$1 dir=$2 fifo="$T/fifo.$RANDOM" pid i
	mkfifo "$fifo"
	setsid "$AGENT_BIN" --config "$CONF" serve <"$fifo" >"$T/sig.out" 2>&1 &
	pid=$!
	exec 8>"$fifo"
	sleep 0.5
	echo "r1 run $dir" >&8
	for ((i = 0; i < 200; i++)); do
		grep -qs started "$dir/stdout" && break
		sleep 0.05
	done
	kill -"$sig" -- -"$pid" 2>/dev/null
	wait_result "$dir" 12
	kill -CONT -- -"$pid" 2>/dev/null
	exec 8>&-
	rm -f "$fifo"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL -- -"$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
}
SLEEPER='import time
print("started", flush=True)
time.sleep(2)
print("done")'

# --- a hang-up of the session's terminal --------------------------------------
# A cold job (its manifest's own limits: no parked plan matches) survives
# the session's death: its supervisor leads a session of its own.  A
# zygote's job must too: its parent is the zygote's child, not the
# supervisor's.
HC=$(job_py hupc "$SLEEPER" '{"cpu_seconds": 4}')
session_sig HUP "$HC"
tap_is "$(warm_of "$HC")" false "hang-up: (control) the cold job ran cold"
tap_is "$(jq -r .verdict "$HC/result.json" 2>/dev/null) $(tr '\n' ' ' <"$HC/stdout")" "ok started done " "hang-up: (control) the cold job ran to its end"
check_clean "hang-up cold"
HZ=$(job_py hupz "$SLEEPER")
session_sig HUP "$HZ"
tap_is "$(warm_of "$HZ")" true "hang-up: the job ran through the zygote"
tap_is "$(jq -r .verdict "$HZ/result.json" 2>/dev/null) $(tr '\n' ' ' <"$HZ/stdout")" "ok started done " "hang-up: the zygote's job ran to its end, as the cold one did"
check_clean "hang-up"

# --- a stop of the session's process group --------------------------------------
# (SIGSTOP: a terminal's ^Z, SIGTSTP, is discarded in a group with no
# parent outside it in the session, as this test's is.)  A stopped zygote's
# child could not reap its job: init, killed, would wait for that zombie,
# and the supervisor for init, until the group was continued.
SC=$(job_py tstpc "$SLEEPER" '{"cpu_seconds": 4}')
session_sig STOP "$SC"
tap_is "$(jq -r .verdict "$SC/result.json" 2>/dev/null) $(tr '\n' ' ' <"$SC/stdout")" "ok started done " "stop: (control) the cold job ran to its end while the session was stopped"
check_clean "stop cold"
SZ=$(job_py tstpz "$SLEEPER")
session_sig STOP "$SZ"
tap_is "$(warm_of "$SZ")" true "stop: the job ran through the zygote"
tap_is "$(jq -r .verdict "$SZ/result.json" 2>/dev/null) $(tr '\n' ' ' <"$SZ/stdout")" "ok started done " "stop: the zygote's job ran to its end while the session was stopped"
check_clean "stop"

# --- what the job holds of the zygote ------------------------------------------
# Memory it shares with the zygote is copy-on-write only (no shared
# mapping a job could write for another to read); the file behind its
# /proc/self/exe (the zygote's program, on the host) is not its to write;
# kill(-1) reaches no process outside its namespace; and the zygote's
# socket is held by root's processes only (the session's), listening
# nowhere.
HOLD='import os, signal, errno
print("shared-writable", sum(1 for l in open("/proc/self/maps") if l.split()[1][1::2] == "ws"))
for how in (os.O_WRONLY, os.O_RDWR):
    try:
        os.close(os.open("/proc/self/exe", how))
        print("exe-write ok")
    except OSError as e:
        print("exe-write", "refused" if e.errno in (errno.EACCES, errno.EROFS, errno.ETXTBSY) else errno.errorcode[e.errno])
try:
    os.kill(-1, signal.SIGKILL)
    print("kill-1 ok")
except OSError as e:
    print("kill-1", errno.errorcode[e.errno])'
HZ1=$(job_py holdz "$HOLD")
HZ2=$(job_py holdz2 'import os
print(os.getppid())')
HC1=$(job_py holdc "$HOLD" '{"cpu_seconds": 4}')
# zygote_fds: the zygote's (the oldest sluice-zygote whose parent is one
# of this test's session's processes: its reaper) descriptors, and the uids
# of every process that holds the peer of its socket at 3.
zygote_fds() {
	local z peer p
	z=$(pgrep -o -f -x "$top_builddir/sluice-zygote .*" -P "$(pgrep -d, -f -- "--config $CONF serve")") || return
	for p in $(ls /proc/"$z"/fd | sort -n); do
		case $(readlink /proc/"$z"/fd/"$p") in
		socket:*) printf '%s:socket ' "$p" ;;
		pid:*) printf '%s:pidns ' "$p" ;;
		anon_inode:\[signalfd\]) printf '%s:signalfd ' "$p" ;;
		*) printf '%s ' "$p" ;;
		esac
	done | sed 's/[0-9]*:socket $/reply/'
	echo
	peer=$(ss -xp | awk -v z="pid=$z," '$0 ~ z { print $8 }' | head -1)
	for p in /proc/[0-9]*; do
		ls -l "$p/fd" 2>/dev/null | grep -q "socket:\[$peer\]" &&
			stat -c %u "$p"
	done | sort -u | tr '\n' ' '
	echo
	ss -xlp | grep -c "pid=$z," || true
}
BETWEEN='zygote_fds >"$T/zfds.1"' warm_session "$T/hold.out" "$HZ1" "$HZ2" "$HC1"
tap_is "$(warm_of "$HZ1") $(warm_of "$HZ2") $(warm_of "$HC1")" "true true false" "hold: two through the zygote, one cold (control)"
tap_is "$(cat "$HZ1/stdout")" "$(cat "$HC1/stdout")" "hold: what the zygote's job holds is what a cold job holds"
tap_is "$(cat "$HC1/stdout" | tr '\n' ' ')" "shared-writable 0 exe-write refused exe-write refused kill-1 ESRCH " "hold: (control) no shared mapping, its program not writable, kill(-1) reaches nothing"
tap_is "$(jq -r .verdict "$HZ2/result.json") $(cat "$HZ2/stdout")" "ok 0" "hold: the next job ran through a zygote after kill(-1)"
# 0-2 /dev/null and the session's stderr, 3 its socket, 4 its own PID
# namespace (to come back to after each fork), 5 the jobs' ends; and the
# reply socket of the one job it forked and that has not ended (parked).
tap_is "$(sed -n 1p "$T/zfds.1")" "0 1 2 3:socket 4:pidns 5:signalfd reply" "hold: the zygote has descriptors 0-5 and a parked job's reply socket only"
tap_is "$(sed -n 2p "$T/zfds.1")" "0 " "hold: its socket's peer is held by root's processes only"
tap_is "$(sed -n 3p "$T/zfds.1")" "0" "hold: it listens on no socket"
check_clean "hold"

# --- a zygote planted beside the agent ------------------------------------------
# The session runs sluice-zygote from the agent's own directory.  Where
# that directory is the account's (root's agent hard-linked into it, which
# sudo's rule still matches by name and inode where fs.protected_hardlinks
# is 0, as a copy here stands for), a sluice-zygote the account put there
# must not run as root: the agent refuses the policy (it names a
# sluice-zygote that is not root's alone), and its session starts none.
EVIL="$T/evil"
mkdir "$EVIL"
cp "$AGENT_BIN" "$EVIL/sluice-agent"
cat >"$EVIL/sluice-zygote" <<EOS
#!/bin/sh
id -u >"$T/planted"
exec "$top_builddir/sluice-zygote" "\$@"
EOS
chmod 755 "$EVIL/sluice-zygote" "$EVIL/sluice-agent"
chown 97250:97250 "$EVIL" "$EVIL/sluice-zygote"
PL=$(job_py planted 'import os
print(os.getppid())')
{ sleep 0.5; echo "r1 run $PL"; for _ in $(seq 200); do grep -qs '^r1 exit' "$T/planted.out" && break; sleep 0.05; done; } |
	"$EVIL/sluice-agent" --config "$CONF" serve >"$T/planted.out" 2>&1
tap_is "$(cat "$T/planted" 2>/dev/null || echo none)" none "planted: the session ran no sluice-zygote from a directory that is not root's"
tap_like "$(grep '^r1 ' "$T/planted.out")" '"field":"zygote"' "planted: the run is refused, the policy's zygote named as the reason"
tap_is "$([ -e "$PL/result.json" ] && echo run || echo none)" none "planted: and nothing ran"
check_clean "planted"

# --- the OOM killer's choice -------------------------------------------------------
# Memory no process maps (the job's tmpfs) filled past the limit by a small
# process: the OOM killer takes the largest process it may.  init is
# shielded from it; the zygote's child, the job's root parent with a whole
# interpreter mapped, must be too, or it is the one killed, and the job,
# alive, gets "too small to start the job" where a cold one gets
# "exceeded".  (A memory limit below disk_bytes, for this case only.)
sed -i 's/memory_bytes = 268435456L;/memory_bytes = 33554432L;/' "$CONF"
conf_settle
OOM='import os
os.execv("/bin/dd", ["dd", "if=/dev/zero", "of=/tmp/x", "bs=64k", "count=900"])'
OZ=$(job_py oomz "$OOM")
OC=$(job_py oomc "$OOM" '{"cpu_seconds": 4}')
warm_session "$T/oom.out" "$OZ" "$OC"
tap_is "$(warm_of "$OZ") $(warm_of "$OC")" "true false" "oom: one through the zygote, one cold (control)"
tap_is "$(jq -c '[.verdict, .message]' "$OC/result.json")" '["memory_limit","memory limit of 33554432 bytes exceeded"]' "oom: (control) the cold job passed its memory limit"
tap_is "$(jq -c '[.verdict, .message]' "$OZ/result.json")" '["memory_limit","memory limit of 33554432 bytes exceeded"]' "oom: so did the zygote's, and its parent was not the one killed"
check_clean "oom"

tap_done
