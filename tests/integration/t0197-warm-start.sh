#!/bin/bash
# Warm start (agent/park.h): a session parks a sandbox, and the Python
# interpreter in it, before its job is known; a run with the runtime's
# default limits and no environment of its own takes it.  What a script
# sees and prints is what `python3 script.py` gives it cold; limits and
# verdicts hold; each parked sandbox serves one job; any other job, a
# changed policy or a dead parked sandbox falls back to a cold start; a
# parked slot is not counted busy; the session ends at once and leaves
# nothing.  The hostile tests run warm too (t0197-warm-*.sh).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
# t0197-zygote-start.sh runs it all again through the zygote (zygote.h).
SLUICE_TEST_WARM=1 agent_setup 71960 1

# lines TAG FILE: the JSON lines a session printed under TAG (exit excluded).
lines() {
	awk -v t="$1" '$1 == t && $2 != "exit" { sub(/^[^ ]+ /, ""); print }' "$2"
}

# --- the configuration ------------------------------------------------------
GOOD=$(cat "$CONF")
conf_try() {
	printf '%s\n' "$GOOD" | sed "$1" >"$CONF"
	agent info 2>&1 | jq -r '.field // "none"'
}
tap_is "$(conf_try 's/warm_start = true;/warm_start = 1;/')" warm_start "config: warm_start must be a boolean"
tap_is "$(conf_try 's/"{entry}" \]/"{entry}", "x" ]/')" warm_start "config: warm_start needs a command ending in {entry}"
tap_is "$(conf_try 's|"-s", "{entry}"|"-s", "{entry}", "{entry}"|')" warm_start "config: and naming it once"
tap_is "$(conf_try "s|\"$PYTHON\", \"-B\"|\"/usr/bin/env\", \"-B\"|")" warm_start "config: warm_start needs a Python interpreter"
tap_is "$(conf_try 's|"-B", "-s", "{entry}"|"-B", "-x", "{entry}"|')" warm_start "config: not with -x (the runner would not skip the first line)"
tap_is "$(conf_try 's|"-B", "-s", "{entry}"|"-Bi", "{entry}"|')" warm_start "config: nor -i, even among others"
tap_is "$(conf_try 's|"-B", "-s", "{entry}"|"-B", "-m", "{entry}"|')" warm_start "config: nor -m"
tap_is "$(conf_try 's|"-B", "-s", "{entry}"|"-B", "script", "{entry}"|')" warm_start "config: nor a word that is no option"
tap_is "$(conf_try 's|"-B", "-s", "{entry}"|"-h", "{entry}"|')" warm_start "config: nor an option not known to leave a script alone"
tap_is "$(conf_try 's|"-B", "-s", "{entry}"|"-Bs", "-X", "utf8", "-Wignore", "{entry}"|')" none "config: short options and -X, -W with values are accepted (control)"
tap_is "$(conf_try 's/^);$/, { name = "py2"; command = [ "\/usr\/bin\/python3", "{entry}" ]; warm_start = true; } );/')" warm_start "config: one runtime at most has warm_start"
tap_is "$(conf_try 's/warm_start = true;/warm_start = false;/; s/zygote = true;//')" none "config: warm_start = false is accepted (control)"
tap_is "$(conf_try 's/^slots = 1;/slots = 1; warm_slots = 2;/')" warm_slots "config: warm_slots at most slots"
tap_is "$(conf_try 's/^slots = 1;/slots = 1; warm_slots = 0;/')" warm_slots "config: and at least 1"
tap_is "$(conf_try 's/^slots = 1;/slots = 1; warm_slots = "1";/')" warm_slots "config: an integer"
tap_is "$(conf_try 's/warm_start = true;/warm_start = false;/; s/zygote = true;//; s/^slots = 1;/slots = 1; warm_slots = 1;/')" warm_slots "config: warm_slots needs a runtime with warm_start"
tap_is "$(conf_try 's/^slots = 1;/slots = 2; warm_slots = 2;/')" none "config: warm_slots = slots is accepted (control)"
printf '%s\n' "$GOOD" >"$CONF"
conf_settle

# --- what a script sees, warm and cold --------------------------------------
# Each program runs cold (agent run) and warm (a session), with the same
# arguments and stdin; stdout, stderr, exit code and verdict must match.
PROGS=(
'import sys, os
print(sys.argv, __name__, __file__, sys.path[0], os.getcwd(), __doc__, __package__, __spec__, __cached__)
print(sorted(globals()))
print(type(__loader__).__name__, __loader__.name, __loader__.path)
print([m for m in ("_socket", "socket") if m in sys.modules], sys.excepthook is not None)
import __main__; print(__main__.__dict__ is globals())
print(repr(sys.stdin.read()), sys.stdin.isatty(), os.fstat(0).st_size)
print(sorted(os.listdir("/proc/self/fd")), os.getuid() == os.geteuid() > 1000, sorted(os.environ))'
'def f():
    raise ValueError("boom")
f()'
'print(
'
'import sys
print("x")
sys.exit(3)'
'import sys
sys.exit("bye")'
'import threading, atexit, sys
atexit.register(lambda: print("atexit"))
t = threading.Thread(target=lambda: 1 / 0); t.start(); t.join()
isinstance = BaseException = None
print("err", file=sys.stderr)
raise KeyError("k")'
'x: int = 1
print(__annotations__)
import traceback, inspect, pickle
try:
    1 / 0
except Exception:
    traceback.print_exc()
def g(): pass
print(inspect.getsource(g), end="")
class A: pass
print(pickle.loads(pickle.dumps(A())).__class__)'
'import os
print(input(), input())
os._exit(5)'
'raise KeyboardInterrupt'
'import atexit, threading, time, sys, gzip, weakref
class D:
    def __init__(s, n): s.n = n
    def __del__(s): print("del", s.n, sys.argv, sys.stdout is sys.__stdout__)
f = open("/out/unclosed.txt", "w"); f.write("unflushed")
z = gzip.open("/out/z.gz", "wt"); z.write("zipped")
d = D("global")
weakref.finalize(d, print, "finalized")
def later():
    time.sleep(0.2); print("thread done")
threading.Thread(target=later).start()
atexit.register(print, "atexit 1")
atexit.register(lambda: print("atexit 2", d.n))
atexit.register(lambda: 1 / 0)
def main():
    loc = D("local")
    g = open("/out/local.txt", "w"); g.write("local")
    sys.exit(4)
main()'
'import sys, os
sys.stdout = open("/out/redirected.txt", "w")
print("to the file")
sys.stderr.write("no newline")
os.makedirs("/tmp/m")
with open("/tmp/m/helper.py", "w") as h:
    h.write("import sys\nclass K:\n    def __del__(s, w=sys.__stdout__.write): w(\"helper del\\n\")\nk = K()\nlog = open(\"/out/helper.log\", \"w\")\nlog.write(\"helper log\")\n")
sys.path.insert(0, "/tmp/m")
import helper
class C:
    def __del__(s): print("cycle del", file=sys.__stderr__)
c = C(); c.me = c
print("done", end="", file=sys.__stdout__)
# (Each to a stream of its own: the order of two finalizers in one
# collection is not defined by Python.)'
'import sys
print("true", end="")
sys.exit(True)'
'import sys
print("big")
sys.exit(2 ** 40)'
'import sys
class E(SystemExit): pass
print("sub")
raise E(7)'
'import ctypes, sys
ctypes.CDLL(None).printf(b"from C\n")
print("ctypes")
sys.exit(3)'
'import threading, time, sys
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
print("daemon")
sys.exit(4)'
)
parity parity '{"args": ["a", "b c"]}' "${PROGS[@]}"
# Entries python3 runs other than as source: a zip application and
# compiled bytecode (by name, and by its first bytes), and a .pyc whose
# magic number is not this python's.
mkdir -p "$T/zsrc"
printf 'import sys\nprint("zip", __name__, __file__, sys.argv, sys.path[0])\nraise ValueError("z")\n' >"$T/zsrc/__main__.py"
"$PYTHON" -m zipapp "$T/zsrc" -o "$T/app.pyz"
printf 'import sys\nprint("pyc", __name__, __file__, sys.argv, type(__loader__).__name__)\n1/0\n' >"$T/m.py"
"$PYTHON" -c "import py_compile; py_compile.compile('$T/m.py', cfile='$T/m.pyc', dfile='m.py')"
cp "$T/m.pyc" "$T/bad.pyc"
printf '\0\0' | dd of="$T/bad.pyc" bs=1 seek=2 conv=notrunc 2>/dev/null
# A .pyc of a string, not of code; source with a NUL byte in it.
"$PYTHON" -c "import marshal, importlib.util; open('$T/str.pyc', 'wb').write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps('print(1)'))"
printf 'print("before")\n# \0\nprint("after")\n' >"$T/nul.py"
for entry in app.pyz m.pyc bad.pyc str.pyc nul.py; do
	for how in cold warm; do
		d=$(job_new "$how-$entry")
		cp "$T/$entry" "$d/files/$entry"
		[ "$entry" = bad.pyc ] || cp "$T/$entry" "$d/files/plain"
		jq -n --arg e "$entry" '{version: 1, id: "t", runtime: "python3", entry: $e, args: ["a"]}' >"$d/job.json"
	done
	agent run "$BASE/jobs/cold-$entry" >/dev/null
	warm_session "$T/e.out" "$BASE/jobs/warm-$entry"
	tap_is "$(warm_of "$BASE/jobs/warm-$entry")" true "entry $entry: ran warm"
	tap_is "$(cat "$BASE/jobs/warm-$entry/stdout"; cat "$BASE/jobs/warm-$entry/stderr")" "$(cat "$BASE/jobs/cold-$entry/stdout"; cat "$BASE/jobs/cold-$entry/stderr")" "entry $entry: the same output as cold"
	tap_is "$(jq -c '[.verdict, .exit_code]' "$BASE/jobs/warm-$entry/result.json")" "$(jq -c '[.verdict, .exit_code]' "$BASE/jobs/cold-$entry/result.json")" "entry $entry: the same verdict"
done
tap_like "$(cat "$BASE/jobs/warm-app.pyz/stdout")" "^zip __main__ /job/app.pyz/__main__.py \['/job/app.pyz', 'a'\] /job/app.pyz$" "entry: the zip application ran from its archive (control)"
tap_like "$(cat "$BASE/jobs/warm-m.pyc/stdout")" "^pyc __main__ /job/m.pyc \['/job/m.pyc', 'a'\] SourcelessFileLoader$" "entry: the bytecode ran (control)"

tap_like "$(head -1 "$BASE/jobs/warm1/stdout")" "^\['/job/main.py', 'a', 'b c'\] __main__ /job/main.py /job /job None None None None$" "parity: argv, __main__, __file__ and sys.path[0] are the script's (control)"
tap_like "$(cat "$BASE/jobs/warm2/stderr")" 'File "/job/main.py", line 3, in <module>' "parity: the traceback names the script (control)"
tap_is "$(grep -c '<string>' "$BASE/jobs/warm2/stderr")" 0 "parity: and none of the runner's frames"
tap_is "$(sed -n 1p "$BASE/jobs/warm3/stderr")" '  File "/job/main.py", line 1' "parity: a syntax error is reported as python3 reports it (control)"
# The runner's own end is not taken after ctypes or with a thread left
# (a daemon's): the interpreter's then ends the job, with the status its
# SystemExit gave (not 0, as when the runner's first exit had taken it).
N=${#PROGS[@]}
tap_is "$(jq -c '[.exit_code]' "$BASE/jobs/warm$((N - 1))/result.json") $(jq -c '[.exit_code]' "$BASE/jobs/warm$N/result.json")" "[3] [4]" "parity: sys.exit's status after ctypes, and with a daemon thread left"
check_clean "parity"

# --- limits and verdicts, warm -----------------------------------------------
sed -i 's/cpu_seconds = 5.0; wall_seconds = 10.0; memory_bytes = 268435456L;/cpu_seconds = 1.0; wall_seconds = 3.0; memory_bytes = 67108864L;/' "$CONF"
conf_settle
SPIN=$(job_py spin 'while True: pass')
MEM=$(job_py mem 'try:
    b = bytearray(10**12)
    print("allocated")
except MemoryError:
    print("caught")')
OUT=$(job_py out 'import sys
sys.stdout.write("x" * 3000000)')
warm_session "$T/lim.out" "$SPIN" "$MEM" "$OUT"
tap_is "$(warm_of "$SPIN") $(warm_of "$MEM") $(warm_of "$OUT")" "true true true" "limits: the three jobs ran warm"
tap_is "$(jq -r .verdict "$SPIN/result.json")" cpu_limit "limits: a spinning job ends at its CPU limit"
tap_like "$(jq -r .cpu_seconds "$SPIN/result.json")" '^(0\.9|1\.[0-4])' "limits: and reports about a second of CPU"
MEMC=$(job_py memc "$(cat "$MEM/files/main.py")")
agent run "$MEMC" >/dev/null
tap_is "$(jq -r .verdict "$MEM/result.json")" "$(jq -r .verdict "$MEMC/result.json")" "limits: a huge allocation has the verdict it has cold"
tap_is "$(cat "$MEM/stdout")" caught "limits: the program saw its MemoryError"
tap_is "$(jq -r '[.verdict, .stdout_truncated] | @tsv' "$OUT/result.json")" "output_limit	true" "limits: output past the limit is cut and reported"
tap_is "$(jq -r .limits.wall_seconds "$SPIN/result.json")" 3 "limits: the policy's new default applies"
# The submission is on the job's tmpfs, charged to the job's memory as a
# cold start's is: 40 MB of it and 40 MB allocated are over 64 MiB.
BIGW=$(job_py bigw 'b = bytearray(40 * 1000 * 1000); print("allocated")')
BIGC=$(job_py bigc 'b = bytearray(40 * 1000 * 1000); print("allocated")')
head -c 40000000 /dev/zero >"$BIGW/files/pad.bin"
cp "$BIGW/files/pad.bin" "$BIGC/files/pad.bin"
TINY=$(job_py tiny 'print("t")')
head -c 30000000 /dev/zero >"$TINY/files/pad.bin"
warm_session "$T/big.out" "$BIGW" "$TINY"
agent run "$BIGC" >/dev/null
tap_is "$(warm_of "$BIGW") $(warm_of "$TINY")" "true true" "limits: the jobs with a large submission ran warm"
tap_is "$(jq -r .verdict "$BIGW/result.json")" "$(jq -r .verdict "$BIGC/result.json")" "limits: the submission counts against the memory limit as it does cold"
tap_is "$(jq -r .verdict "$BIGC/result.json")" memory_limit "limits: which is a memory_limit (control)"
tap_cmp "$(jq -r .memory_peak_bytes "$TINY/result.json")" '>' 30000000 "limits: a warm job's memory peak counts its 30 MB submission"
check_clean "limits"

# --- the copy of the submission is not the job's CPU time, warm or cold ------
MANYW=$(job_py manyw 'print("m")')
MANYC=$(job_py manyc 'print("m")')
for d in "$MANYW" "$MANYC"; do
	mkdir -p "$d/files/d"
	(cd "$d/files/d" && seq 1 9000 | xargs touch)
done
warm_session "$T/many.out" "$MANYW"
agent run "$MANYC" >/dev/null
tap_is "$(warm_of "$MANYW")" true "copy: the job of 9000 files ran warm"
tap_cmp "$(jq -r .cpu_seconds "$MANYW/result.json")" '<' "$(jq -r '.cpu_seconds + 0.15' "$MANYC/result.json")" "copy: and was not charged the copy's CPU time (cold: $(jq -r .cpu_seconds "$MANYC/result.json"))"

# --- other jobs start cold ---------------------------------------------------
# A second runtime with the same command and binds that did not ask to be
# warmed.
sed -i 's/^);$/, { name = "python3-cold"; command = [ "'"${PYTHON//\//\\/}"'", "-B", "-s", "{entry}" ]; binds = [ "\/usr", "\/lib", "\/lib64", "\/bin", "\/etc\/python3.11" ]; } );/' "$CONF"
conf_settle
OTHER=$(job_py other 'print("o")' '{}' '{"runtime": "python3-cold"}')
LIM=$(job_py lim 'print("l")' '{"wall_seconds": 2}')
ENV=$(job_py env 'import os; print(os.environ["X"])' '{}' '{"env": {"X": "y"}}')
AFTER=$(job_py after 'print("a")')
warm_session "$T/cold.out" "$OTHER" "$LIM" "$ENV" "$AFTER"
tap_is "$(warm_of "$OTHER") $(cat "$OTHER/stdout")" "false o" "cold: a runtime without warm_start starts cold, even with the same command"
tap_is "$(warm_of "$LIM")" false "cold: a job with a limit of its own starts cold"
tap_is "$(jq -r '[.verdict, .limits.wall_seconds] | @tsv' "$LIM/result.json")" "ok	2" "cold: and gets that limit"
tap_is "$(warm_of "$ENV") $(cat "$ENV/stdout")" "false y" "cold: a job with an environment of its own starts cold, and gets it"
tap_is "$(warm_of "$AFTER") $(cat "$AFTER/stdout")" "true a" "cold: the next default job is warm again (a new parked sandbox)"
check_clean "cold"

# --- a parked sandbox serves one job: two jobs on the one slot ----------------
LEAVE='import ctypes, os, socket, time
libc = ctypes.CDLL(None, use_errno=True)
open("/tmp/left", "w").write("x")
open("/job/left", "w").write("x")
print(libc.shmget(0x51ce, 4096, 0o1666) >= 0, libc.msgget(0x51ce, 0o1666) >= 0)
a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
a.bind("\0sluice-left"); a.listen(1)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(30)
    os._exit(0)
os.wait()'
SEE='import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
found = [p for p in ("/tmp/left", "/job/left") if os.path.exists(p)]
if libc.shmget(0x51ce, 0, 0) >= 0: found.append("shm")
if libc.msgget(0x51ce, 0) >= 0: found.append("msg")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\0sluice-left"); found.append("socket")
except OSError:
    pass
found += [d for d in os.listdir("/proc") if d.isdigit() and int(d) not in (1, os.getpid())]
print("found", found, "pid", os.getpid())'
A=$(job_py left "$LEAVE")
B=$(job_py see "$SEE")
C=$(job_py see2 "$SEE")
warm_session "$T/reuse.out" "$A" "$B" "$C"
tap_is "$(warm_of "$A") $(warm_of "$B") $(warm_of "$C")" "true true true" "reuse: all three ran warm"
tap_is "$(jq -r 'select(.event == "accepted") | .slot' "$A/events" "$B/events" "$C/events" | sort -u)" 1 "reuse: on the one parked slot, past the others"
tap_is "$(cat "$A/stdout")" "True True" "reuse: the first left a segment and a queue (control)"
tap_is "$(cat "$B/stdout")" "found [] pid 2" "reuse: the next job sees no file, segment, queue, socket or process of it"
# (Namespace inode numbers are reused once a namespace is gone, so two
# jobs that do not overlap cannot be told apart by them; a PID namespace
# of the job's own starts its numbers again: init 1, the job 2.)
tap_is "$(cat "$C/stdout")" "found [] pid 2" "reuse: and the one after it too, in a PID namespace of its own"
check_clean "reuse"

# --- warm_slots: as many parked sandboxes, each on a slot of its own ----------
sed -i 's/^slots = 1;/slots = 2; warm_slots = 2;/' "$CONF"
SLOTS_ALL=4
conf_settle
PAR='import os, time
time.sleep(0.5)
print(os.getuid())'
P1=$(job_py par1 "$PAR")
P2=$(job_py par2 "$PAR")
P3=$(job_py par3 "$PAR")
P4=$(job_py par4 "$PAR")
{
	sleep 1.5
	echo "r1 run $P1"
	echo "r2 run $P2"
	wait_exits "$T/par.out" r1 r2
	sleep 1
	echo "r3 run $P3"
	echo "r4 run $P4"
	wait_exits "$T/par.out" r3 r4
} | agent serve >"$T/par.out" 2>/dev/null
tap_is "$(warm_of "$P1") $(warm_of "$P2")" "true true" "warm_slots: two jobs handed over at once both start warm"
tap_is "$(jq -r 'select(.event == "accepted") | .slot' "$P1/events" "$P2/events" | sort | tr '\n' ' ')" "2 3 " "warm_slots: on the two slots past the others"
tap_is "$(cat "$P1/stdout" "$P2/stdout" | sort | tr '\n' ' ')" "$((UID_BASE + 2)) $((UID_BASE + 3)) " "warm_slots: as those slots' users"
tap_is "$(warm_of "$P3") $(warm_of "$P4")" "true true" "warm_slots: and both are parked again once their jobs end"
check_clean "warm_slots"
sed -i 's/^slots = 2; warm_slots = 2;/slots = 1;/' "$CONF"
SLOTS_ALL=2
conf_settle

# --- a warm job is cancelled as a cold one is (the watch is set at handoff) --
CAN=$(job_py can 'import time; time.sleep(20)')
{
	sleep 1
	echo "r1 run $CAN"
	wait_event "$CAN" started
	agent cancel "$CAN" >/dev/null
	for _ in $(seq 100); do grep -qs '^r1 exit' "$T/can.out" && break; sleep 0.1; done
} | agent serve >"$T/can.out" 2>/dev/null
tap_is "$(warm_of "$CAN") $(jq -r .verdict "$CAN/result.json")" "true cancelled" "cancel: a warm job is cancelled"
check_clean "cancel"

# --- a refused request leaves the next job its warm start -------------------
NEXT=$(job_py next 'print("n")')
{
	sleep 1
	echo "r1 run $BASE/jobs/nonexistent"
	for _ in $(seq 100); do grep -qs '^r1 exit' "$T/refused.out" && break; sleep 0.05; done
	sleep 0.5
	echo "r2 run $NEXT"
	for _ in $(seq 100); do grep -qs '^r2 exit' "$T/refused.out" && break; sleep 0.05; done
} | agent serve >"$T/refused.out" 2>/dev/null
tap_is "$(awk '$1 == "r1" && $2 == "exit" { print $3 }' "$T/refused.out")" 2 "refused: a request for no job directory is refused"
tap_is "$(warm_of "$NEXT") $(cat "$NEXT/stdout")" "true n" "refused: the next job still runs warm"
check_clean "refused"

# --- a parked slot is free to the dispatcher; a dead one is replaced ---------
{
	sleep 1
	echo "i1 info"
	sleep 0.5
	# The parked supervisor: the slot's one sluice-agent process that
	# leads its own session.
	pgrep -f -- "--config $CONF serve" | while read -r p; do
		ps -o pid=,sid= -p "$p"
	done | awk '$1 == $2 { print $1 }' | head -1 >"$T/parked.pid"
	kill -KILL "$(cat "$T/parked.pid")" 2>/dev/null
	sleep 0.5
	echo "r1 run $(job_py dead 'print("d")')"
	for _ in $(seq 100); do grep -qs '^r1 exit' "$T/dead.out" && break; sleep 0.05; done
} | agent serve >"$T/dead.out" 2>/dev/null
tap_is "$(lines i1 "$T/dead.out" | jq -r '[.slots, .slots_busy] | @tsv')" "1	0" "parked: a parked sandbox's slot is neither a slot nor busy"
tap_like "$(cat "$T/parked.pid")" '^[0-9]+$' "parked: its supervisor was found (control)"
tap_is "$(jq -r .verdict "$BASE/jobs/dead/result.json") $(cat "$BASE/jobs/dead/stdout")" "ok d" "parked: a job after its supervisor was killed still runs"
check_clean "parked"

# --- a session ends at once and leaves nothing --------------------------------
T0=$(now)
{ sleep 1.5; } | agent serve >/dev/null 2>&1
# (A parked sandbox waits PARK_MAX_SECONDS, 30 s, for its job: a session
# that waited for it would take that long; a loaded machine takes seconds.)
tap_cmp "$(since "$T0")" '<' 20 "end: a session with a parked sandbox ends when its input does"
check_clean "end"

tap_done
