#!/bin/bash
# Attacks on the zygote that forks each job itself and reaps it
# (agent/zygote.h): what the job starts with of the zygote (its signal mask
# and dispositions, its descriptors), a job's process that the zygote
# reaps though it is no job of its (clone with CLONE_PARENT), the job's
# processes limit and its end with processes left, and the session that
# stops zygotes while runs begun under them go on.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
SLUICE_TEST_WARM=1 SLUICE_TEST_ZYGOTE=1 agent_setup 97400 10

# --- what the job starts with ---------------------------------------------------
# The zygote blocks SIGCHLD (its jobs' ends come on a signalfd): its job,
# and what the job executes, must have a cold job's mask and dispositions,
# and only a cold job's descriptors.
SIG='import os, subprocess
def sig(path):
    return " ".join(l.split()[0] + l.split()[1] for l in open(path) if l.startswith(("SigBlk", "SigIgn", "SigPnd", "ShdPnd", "SigCgt")))
print("job", sig("/proc/self/status"))
print("child", subprocess.run(["/bin/grep", "-E", "^(SigBlk|SigIgn|SigPnd|ShdPnd|SigCgt)", "/proc/self/status"], capture_output=True, text=True).stdout.split())
def fds():
    for f in os.listdir("/proc/self/fd"):
        try:
            yield int(f), os.readlink("/proc/self/fd/" + f).split("[")[0]
        except OSError:
            pass
print("fds", sorted(fds()))
print("child-fds", subprocess.run(["/bin/ls", "/proc/self/fd"], capture_output=True, text=True).stdout.split())'
parity "start" '' "$SIG"
# (SIGINT is caught only where the test's own start left it alone: under a
# shell's background job it is ignored, and python3 keeps it so.)
tap_like "$(sed -n 1p "$BASE/jobs/warm1/stdout")" '^job SigPnd:0+ ShdPnd:0+ SigBlk:0000000000000000 SigIgn:[0-9a-f]{8}.1.01... SigCgt:[0-9a-f]{15}[02]$' "start: nothing blocked; SIGPIPE and SIGXFSZ ignored, as python3 sets them (control)"
tap_like "$(sed -n 2p "$BASE/jobs/warm1/stdout")" "'SigBlk:', '0000000000000000'" "start: nor in what the job executes (control)"
tap_like "$(sed -n 3p "$BASE/jobs/warm1/stdout")" "^fds \[\(0, '[^']*'\), \(1, 'pipe:'\), \(2, 'pipe:'\)\]$" "start: its stdio only (control)"

# --- a process of the job's whose parent is the zygote ------------------------------
# clone(CLONE_PARENT) makes the new process the job's sibling: the zygote's
# child (a cold job's makes init's).  Its end, first or last, is no job's
# status.
CP='import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
first = open("/job/mode").read().strip() == "first"
pid = libc.syscall(56, 0x00008000 | 17, 0, 0, 0, 0)  # clone(CLONE_PARENT | SIGCHLD)
if pid == 0:
    if not first:
        time.sleep(1.5)
    os._exit(7)
print("cloned", pid > 0, flush=True)
if first:
    time.sleep(1)
sys.exit(3)'
for mode in first last; do
	C=$(job_py "cpc$mode" "$CP" '{}')
	W=$(job_py "cpw$mode" "$CP" '{}')
	echo $mode >"$C/files/mode"
	echo $mode >"$W/files/mode"
	agent run "$C" >/dev/null
	warm_session "$T/cp$mode.out" "$W"
	tap_is "$(warm_of "$W") $(warm_of "$C")" "true false" "clone-parent $mode: the session's run was warm, the command line's cold"
	tap_is "$(jq -c '[.verdict, .exit_code, .signal]' "$W/result.json") $(cat "$W/stdout")" '["exited",3,null] cloned True' "clone-parent $mode: the job's own status, not its sibling's"
	tap_is "$(jq -c '[.verdict, .exit_code, .signal]' "$W/result.json")" "$(jq -c '[.verdict, .exit_code, .signal]' "$C/result.json")" "clone-parent $mode: as a cold job's"
	check_clean "clone-parent $mode"
done

# --- jobs of one zygote at once --------------------------------------------------------
# Three parked, then three runs at once: each ends at a time of its own,
# after a CLONE_PARENT sibling (the zygote's child too) that exits with
# another status.  Each run gets its own job's status.
echo 'warm_slots = 3;' >>"$CONF"
conf_settle
MANY='import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
n = int(open("/job/n").read())
if libc.syscall(56, 0x00008000 | 17, 0, 0, 0, 0) == 0:
    os._exit(50 + n)
time.sleep(0.3 * (3 - n))
sys.exit(10 + n)'
for n in 1 2 3; do
	M=$(job_py "many$n" "$MANY")
	echo "$n" >"$M/files/n"
done
{
	sleep 2
	for n in 1 2 3; do echo "m$n run $BASE/jobs/many$n"; done
	for _ in $(seq 200); do [ "$(grep -c '^m[1-3] exit' "$T/many.out")" = 3 ] && break; sleep 0.05; done
} | agent serve >"$T/many.out" 2>&1
tap_is "$(for n in 1 2 3; do jq -r 'select(.event == "accepted") | .zygote' "$BASE/jobs/many$n/events"; done | tr '\n' ' ')" "true true true " "many: three runs at once, each through the zygote"
tap_is "$(for n in 1 2 3; do jq -r .exit_code "$BASE/jobs/many$n/result.json"; done | tr '\n' ' ')" "11 12 13 " "many: each its own job's status"
check_clean "many"
sed -i '/^warm_slots = 3;$/d' "$CONF"
conf_settle

# --- its processes limit, and its end with processes left ------------------------
# The job alone of the zygote's is in the slot's cgroup, as a cold job: it
# may have as many processes.  A
# job whose wall time runs out with children left (one that ignores
# SIGTERM, and a sibling made with CLONE_PARENT, the zygote's child) ends
# as a cold one does, and leaves nothing.
NPROC='import os, time
kids = []
try:
    for _ in range(64):
        pid = os.fork()
        if pid == 0:
            time.sleep(5)
            os._exit(0)
        kids.append(pid)
except BlockingIOError:
    pass
print("forked", len(kids))
for k in kids:
    os.kill(k, 9)'
WALL='import ctypes, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(60)
    os._exit(0)
if libc.syscall(56, 0x00008000 | 17, 0, 0, 0, 0) == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(60)
    os._exit(0)
print("waiting", flush=True)
time.sleep(60)'
# (Wall time: 3 s by default here, so that the parked runs have it.)
sed -i 's/wall_seconds = 10.0; memory_bytes = 268435456L/wall_seconds = 3.0; memory_bytes = 268435456L/' "$CONF"
conf_settle
parity "end" '' "$NPROC" "$WALL"
sed -i 's/wall_seconds = 3.0; memory_bytes = 268435456L/wall_seconds = 10.0; memory_bytes = 268435456L/' "$CONF"
conf_settle
tap_is "$(cat "$BASE/jobs/warm1/stdout")" "forked 31" "end: 32 processes, the job among them (control)"
tap_is "$(jq -r .verdict "$BASE/jobs/warm2/result.json")" "wall_limit" "end: the wall time ran out (control)"
check_clean "end"

# --- what the zygote's memory keeps of a job's end ----------------------------------
# The zygote reaps each job itself: its siginfo and its status pass
# through the zygote's memory, and so did, into every later job's copy of
# it, the job's pid on the host, its slot's uid and its status.  A job
# looks for the pid of the one before it (found here by a file it holds
# open) in the zygote's stack, heap and data.
LA=$(job_py leaka 'import sys, time
f = open("/tmp/zygote-leak-marker", "w")
print("started", flush=True)
time.sleep(2)
sys.exit(77)')
LB=$(job_py leakb 'import struct
pid = int(open("/job/apid").read())
want = struct.pack("<I", pid)
# A pid such as 0x55xx or 0x7fxx is also the upper half of the address of
# anything in the heap or a library: as the second half of 8 bytes it is
# one of those, not the pid.
step = 8 if 0x5500 <= pid < 0x5700 or 0x7f00 <= pid < 0x8000 else 4
mem = open("/proc/self/mem", "rb")
hits, exe_end = [], None
for l in open("/proc/self/maps"):
    f = l.split()
    name = f[5] if len(f) > 5 else ""
    a, b = (int(x, 16) for x in f[0].split("-"))
    ours = name in ("[stack]", "[heap]") or name.endswith("/sluice-zygote") or (name == "" and a == exe_end)
    if name.endswith("/sluice-zygote"):
        exe_end = b
    if not ours or f[1][:2] != "rw":
        continue
    mem.seek(a)
    d = mem.read(b - a)
    hits += [name or "data" for i in range(0, len(d) - 3, step) if d[i:i + 4] == want]
print("hits", sorted(hits))')
# One while it runs (two parked: warm_slots = 2), one once it has ended.
LC=$(job_py leakc "$(cat "$LB/files/main.py")")
echo 'warm_slots = 2;' >>"$CONF"
conf_settle
mkfifo "$T/leak.in"
agent serve <"$T/leak.in" >"$T/leak.out" 2>&1 &
exec 8>"$T/leak.in"
sleep 1.5
echo "a run $LA" >&8
for _ in $(seq 100); do grep -qs started "$LA/stdout" && break; sleep 0.05; done
for p in $(pgrep -f -x "$top_builddir/sluice-zygote .*"); do
	ls -l "/proc/$p/fd" 2>/dev/null | grep -q zygote-leak-marker && echo "$p" >"$LB/files/apid"
done
cp "$LB/files/apid" "$LC/files/apid"
echo "c run $LC" >&8
for _ in $(seq 100); do grep -qs '^c exit' "$T/leak.out" && break; sleep 0.05; done
for _ in $(seq 100); do grep -qs '^a exit' "$T/leak.out" && break; sleep 0.05; done
sleep 0.5
echo "b run $LB" >&8
for _ in $(seq 100); do grep -qs '^b exit' "$T/leak.out" && break; sleep 0.05; done
exec 8>&-
wait
sed -i '/^warm_slots = 2;$/d' "$CONF"
tap_is "$(warm_of "$LA") $(warm_of "$LC") $(warm_of "$LB") $(jq -r .exit_code "$LA/result.json") $(test -s "$LB/files/apid" && echo found)" "true true true 77 found" "memory: three runs through the zygote, the first one's pid found (control)"
tap_is "$(cat "$LC/stdout")" "hits []" "memory: nothing of a job running in another one's copy of the zygote"
tap_is "$(cat "$LB/stdout")" "hits []" "memory: nothing of the first one's end in a later one's copy of the zygote"
check_clean "memory"

conf_settle

# --- zygotes stopped while jobs run -----------------------------------------------
# A new policy (or a zygote's age) makes the session stop its zygote: it
# takes no more requests, and ends once its last job has, reaped by the
# session then.  Long runs, each begun under another zygote (here cold
# ones, with limits of their own), must not keep theirs alive (each
# request's child held its socket, so it never ended: an interpreter each),
# and the session must go on answering (once eight stopped were alive, it
# waited for the oldest one's end).
FIFO="$T/fifo"
mkfifo "$FIFO"
agent serve <"$FIFO" >"$T/long.out" 2>"$T/long.err" &
SESSION=$!
exec 8>"$FIFO"
LONG='import time
print("started", flush=True)
time.sleep(90)'
# zygotes: the zygotes (root's, not their jobs) of this test's sessions.
zygotes() {
	local p pp n=0
	for p in $(pgrep -u 0 -f -x "$top_builddir/sluice-zygote .*"); do
		pp=$(ps -o ppid= -p "$p" | tr -d ' ') && [ -n "$pp" ] || continue
		case $(ps -o args= -p "$pp") in
		*" $CONF "*) n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}
# flags N: the command's flags in an order of its own for each N (a new
# policy, so a new zygote), then a request, after which the session keeps
# the new policy; waits (5 s at most) for its answer.
flags() {
	if [ $(($1 % 2)) = 0 ]; then
		sed -i 's/"-s", "-B", "{entry}"/"-B", "-s", "{entry}"/' "$CONF"
	else
		sed -i 's/"-B", "-s", "{entry}"/"-s", "-B", "{entry}"/' "$CONF"
	fi
	conf_settle
	echo "i$1 info" >&8
	for _ in $(seq 100); do grep -qs "^i$1 exit" "$T/long.out" && break; sleep 0.05; done
}
# A run of the zygote's own outlives it: its status still comes, and the
# stopped zygote then ends and is reaped (no zombie left of it).
DR=$(job_py drain 'import time, sys
print("started", flush=True)
time.sleep(6)
sys.exit(5)')
echo "d0 run $DR" >&8
for _ in $(seq 200); do grep -qs started "$DR/stdout" && break; sleep 0.05; done
flags 21
tap_is "$(zygotes)" 2 "drain: the stopped zygote is alive while its job runs"
for _ in $(seq 200); do grep -qs '^d0 exit' "$T/long.out" && break; sleep 0.05; done
tap_is "$(warm_of "$DR") $(jq -c '[.verdict, .exit_code]' "$DR/result.json")" 'true ["exited",5]' "drain: its job's own status came"
echo "i00 info" >&8
for _ in $(seq 100); do grep -qs "^i00 exit" "$T/long.out" && break; sleep 0.05; done
for _ in $(seq 100); do
	[ "$(zygotes)" = 1 ] && [ -z "$(ps -o stat= --ppid "$(pgrep -o -f -- "--config $CONF serve")" | grep Z)" ] && break
	sleep 0.05
done
tap_is "$(zygotes) $(ps -o stat= --ppid "$(pgrep -o -f -- "--config $CONF serve")" | grep -c Z)" "1 0" "drain: then it ended, and the session reaped it"
STARTED=0
MOST=0
for g in 1 2 3 4 5 6 7 8 9; do
	flags $((g + 1))
	L=$(job_py "long$g" "$LONG" '{"cpu_seconds": 4, "wall_seconds": 100}')
	echo "r$g run $L" >&8
	for _ in $(seq 200); do grep -qs started "$L/stdout" && break; sleep 0.05; done
	grep -qs started "$L/stdout" && STARTED=$((STARTED + 1))
	n=$(zygotes)
	[ "$n" -gt "$MOST" ] && MOST=$n
done
tap_is "$STARTED" 9 "stopped: nine runs started, each under a zygote of its own"
flags 11
tap_is "$(grep -c '^i11 exit 0' "$T/long.out")" 1 "stopped: the session answers while they run"
tap_is "$(grep -c '^r[0-9] exit' "$T/long.out")" 0 "stopped: (control) while each of them still runs"
for _ in $(seq 100); do [ "$(zygotes)" -le 2 ] && break; sleep 0.05; done
n=$(zygotes)
[ "$n" -gt "$MOST" ] && MOST=$n
tap_is "$([ "$MOST" -le 2 ] && echo drained || echo "$MOST alive")" drained "stopped: a stopped zygote ends, though runs begun under it go on"
for g in 1 2 3 4 5 6 7 8 9; do
	echo "c$g cancel $BASE/jobs/long$g" >&8
done
exec 8>&-
for _ in $(seq 200); do kill -0 "$SESSION" 2>/dev/null || break; sleep 0.05; done
tap_is "$(grep -c '^r[0-9] .*"verdict":"cancelled"' "$T/long.out")" 9 "stopped: (control) each run cancelled"
kill "$SESSION" 2>/dev/null
wait "$SESSION"
check_clean "stopped"

tap_done
