#!/bin/bash
# Hostile: two jobs at once on different slots see different uids and
# private /tmp and /dev/shm; a third job waits for or is refused a slot, it
# never shares one; a supervisor killed with SIGKILL leaves a sandbox_error
# verdict and no process or cgroup behind.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71930 2

# Each job writes its mark in /tmp and /dev/shm, waits for the other to have
# done so (the host tells it through its stdin-less world: it just sleeps),
# then lists both directories.
TWIN='import os, time, sys
me = sys.argv[0]
tag = open("/job/tag").read().strip()
open("/tmp/mark-" + tag, "w").write(tag)
open("/dev/shm/mark-" + tag, "w").write(tag)
time.sleep(1.5)
print("uid", os.getuid())
print("tmp", sorted(f for f in os.listdir("/tmp") if f.startswith("mark-")))
print("shm", sorted(f for f in os.listdir("/dev/shm") if f.startswith("mark-")))'
A=$(job_py twin-a "$TWIN")
echo a >"$A/files/tag"
B=$(job_py twin-b "$TWIN")
echo b >"$B/files/tag"
agent run "$A" >"$T/a.events" &
pa=$!
agent run "$B" >"$T/b.events" &
pb=$!
wait_event "$A" started 5 && wait_event "$B" started 5
tap_ok $? "two jobs: both started"
tap_is "$(agent info | jq -r .slots_busy)" 2 "two jobs: both slots busy"
# A third job while both slots are busy must not share a slot.
C=$(job_py third 'import os; print("uid", os.getuid())')
agent run "$C" >"$T/c.events"
crc=$?
wait "$pa" "$pb"
slot_a=$(head -1 "$T/a.events" | jq -r .slot)
slot_b=$(head -1 "$T/b.events" | jq -r .slot)
tap_like "$slot_a$slot_b" '^(01|10)$' "two jobs: their accepted events name different slots (0 and 1)"
tap_is "$(jq -r .verdict "$A/result.json") $(jq -r .verdict "$B/result.json")" "ok ok" "two jobs: both ok"
uid_a=$(grep '^uid ' "$A/stdout" | awk '{print $2}')
uid_b=$(grep '^uid ' "$B/stdout" | awk '{print $2}')
tap_isnt "$uid_a" "$uid_b" "two jobs: different uids inside"
tap_is "$uid_a" $((UID_BASE + slot_a)) "two jobs: job A runs as uid_base + its slot"
tap_is "$uid_b" $((UID_BASE + slot_b)) "two jobs: job B runs as uid_base + its slot"
tap_is "$(grep '^tmp ' "$A/stdout")" "tmp ['mark-a']" "two jobs: A's /tmp holds only its own file"
tap_is "$(grep '^tmp ' "$B/stdout")" "tmp ['mark-b']" "two jobs: B's /tmp holds only its own file"
tap_is "$(grep '^shm ' "$A/stdout")" "shm ['mark-a']" "two jobs: A's /dev/shm holds only its own file"
tap_is "$(grep '^shm ' "$B/stdout")" "shm ['mark-b']" "two jobs: B's /dev/shm holds only its own file"
# The third job either waited for a slot or was turned away; either way it
# did not run beside A and B under one of their uids at the same time.
if [ "$crc" = 0 ] && [ -f "$C/result.json" ] && [ "$(jq -r .verdict "$C/result.json")" = ok ]; then
	c_start=$(jq -r .started_at "$C/result.json")
	a_end=$(jq -r .finished_at "$A/result.json")
	b_end=$(jq -r .finished_at "$B/result.json")
	first_end=$a_end; [[ "$b_end" < "$a_end" ]] && first_end=$b_end
	tap_ok "$([[ ! "$c_start" < "$first_end" ]]; echo $?)" "third job: started only after a slot came free"
else
	tap_like "$(cat "$T/c.events")" '"error"' "third job: refused with a JSON error while every slot is busy"
	tap_ok "$([ ! -e "$C/events" ]; echo $?)" "third job: and nothing was started"
	# Turned away for want of a slot, it can run once one is free.
	run_job "$C"
	tap_is "$RC $(r .verdict)" "0 ok" "third job: runs once a slot is free"
fi
check_clean "two jobs"

# --- many runs of one job at once: it starts exactly once ------------------
DIR=$(job_py race 'import time; print("ran"); time.sleep(0.5)')
pids=
for i in 1 2 3 4 5 6; do
	agent run "$DIR" >"$T/race$i.out" 2>&1 &
	pids="$pids $!"
done
zero=0 nonzero_json=0
for p in $pids; do
	wait "$p"
	rc=$?
	if [ "$rc" = 0 ]; then zero=$((zero + 1)); fi
done
for i in 1 2 3 4 5 6; do
	jq -e 'select(has("error"))' "$T/race$i.out" >/dev/null 2>&1 && nonzero_json=$((nonzero_json + 1))
done
tap_is "$zero" 1 "six concurrent runs of one job: exactly one exits 0"
tap_is "$nonzero_json" 5 "six concurrent runs of one job: the five others print a JSON error"
tap_is "$(cat "$DIR/stdout")" ran "six concurrent runs of one job: the job ran once"
tap_is "$(grep -c '"event":"accepted"' "$DIR/events")" 1 "six concurrent runs of one job: one accepted event"
check_clean "concurrent runs"

# --- the next job on the same slot inherits nothing ----------------------------
run_py leave 'import ctypes, os
open("/tmp/left", "w").write("x")
open("/dev/shm/left", "w").write("x")
libc = ctypes.CDLL(None, use_errno=True)
shmid = libc.shmget(0x5175, 4096, 0o1666)   # IPC_CREAT | 0666
print("shmget", shmid)
q = libc.msgget(0x5176, 0o1666)
print("msgget", q)'
slot_leave=$(head -1 "$DIR/events" | jq -r .slot)
tap_is "$(r .verdict)" ok "slot reuse: the first job ran"
# Without a memory cgroup the filter refuses SysV IPC (ENOSYS): none made.
if [ "$(agent info | jq -r .enforced.memory_bytes)" = cgroup ]; then
	tap_like "$(grep '^shmget' "$DIR/stdout")" '^shmget [0-9]+$' "slot reuse: the first job made a SysV segment"
else
	tap_is "$(grep '^shmget' "$DIR/stdout")" "shmget -1" "slot reuse: no memory cgroup: the first job's SysV segment was refused"
fi
tap_is "$(ipcs -m | awk -v u="$((UID_BASE + slot_leave))" '$3 == u' | wc -l)" 0 "slot reuse: no SysV segment of the slot uid on the host"
tap_is "$(ipcs -q | awk -v u="$((UID_BASE + slot_leave))" '$3 == u' | wc -l)" 0 "slot reuse: no SysV queue of the slot uid on the host"
run_py find 'import ctypes, os
print("tmp", os.path.exists("/tmp/left"))
print("shm", os.path.exists("/dev/shm/left"))
libc = ctypes.CDLL(None, use_errno=True)
print("shmget", libc.shmget(0x5175, 0, 0))
print("msgget", libc.msgget(0x5176, 0))'
tap_is "$(head -1 "$DIR/events" | jq -r .slot)" "$slot_leave" "slot reuse: the second job got the same slot"
tap_is "$(cat "$DIR/stdout" | tr '\n' ' ')" "tmp False shm False shmget -1 msgget -1 " \
	"slot reuse: no /tmp file, /dev/shm file, SysV segment or queue of the first job"
check_clean "slot reuse"

# --- the supervisor killed with SIGKILL --------------------------------------
DIR=$(job_py orphan 'import os, time
if os.fork() == 0:
    time.sleep(60)
    os._exit(0)
print("running", flush=True)
time.sleep(60)' '{"wall_seconds": 90}')
agent run "$DIR" >"$T/orphan-run.out" 2>&1 &
RUN_PID=$!
wait_event "$DIR" started 5
sleep 0.3
tap_cmp "$(slot_procs)" '>=' 2 "killed supervisor: the job and its child run"
sup=$(supervisor_pid "$DIR")
tap_like "$sup" '^[0-9]+$' "killed supervisor: found the supervisor's pid"
[ -n "$sup" ] && kill -9 "$sup"
t0=$(now)
out=$(agent_timeout 20 wait "$DIR")
rc=$?
tap_is "$rc" 0 "killed supervisor: wait exits 0"
tap_cmp "$(since "$t0")" '<' 5 "killed supervisor: wait noticed within a few seconds"
tap_is "$(printf '%s\n' "$out" | tail -1 | jq -r .event)" finished "killed supervisor: wait prints a finished event"
tap_is "$(printf '%s\n' "$out" | tail -1 | jq -r .result.verdict)" sandbox_error "killed supervisor: verdict sandbox_error"
tap_is "$(jq -r .verdict "$DIR/result.json" 2>/dev/null)" sandbox_error "killed supervisor: result.json says sandbox_error"
tap_is "$(jq -r .limits.wall_seconds "$DIR/result.json" 2>/dev/null)" 90 \
	"killed supervisor: result.json gives the limits the job ran with, not the node's defaults"
# The run that started the job was following it: it ends too.
for i in $(seq 50); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$RUN_PID" 2>/dev/null
tap_isnt "$?" 0 "killed supervisor: the following run returned by itself"
kill -9 "$RUN_PID" 2>/dev/null
wait "$RUN_PID"
tap_is "$?" 0 "killed supervisor: the following run exits 0"
tap_is "$(tail -1 "$T/orphan-run.out" | jq -r .result.verdict 2>/dev/null)" sandbox_error "killed supervisor: the following run printed the sandbox_error result"
tap_is "$(pgrep -c -f -- "--config $CONF run $DIR\$" || true)" 0 "killed supervisor: no agent process of the job is left"
check_clean "killed supervisor"
# The slot is usable again.
run_py after 'print("after")'
tap_is "$(r .verdict)" ok "killed supervisor: the next job runs ok"
check_clean "after the killed supervisor"

tap_done
