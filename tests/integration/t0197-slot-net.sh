#!/bin/bash
# A session keeps a network namespace for each slot (agent/slot.h): the jobs
# of a slot take it in turn instead of a new one each.  Nothing a job leaves
# in it reaches the next: a name bound by a process the sandbox killed, a
# socket left in flight (a cycle only the kernel's collector frees), a
# socket planted in it from outside; one that is not clean is left for a
# new one.  Warm (parked) and cold runs alike.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
SLUICE_TEST_WARM=1 agent_setup 97600 1

# What a job sees of its network namespace: its inode, its AF_UNIX sockets
# (lines of /proc/net/unix past the header), its sockets of any family, and
# which of the names others bound it can reach.
SEE='import os, socket
ino = os.readlink("/proc/self/ns/net")
unix = len(open("/proc/net/unix").read().splitlines()) - 1
used = open("/proc/net/sockstat").readline().split()[-1]
reached = []
for n in ("sluice-left", "sluice-inflight", "sluice-planted"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect("\0" + n); reached.append(n)
    except OSError:
        pass
    s.close()
print(ino, unix, used, reached)'
# A job that leaves what it can: a listening name held by a background
# process (the sandbox kills it), and one whose last reference is in
# flight on a socket's own queue (a cycle: freed by the collector alone).
LEAVE='import array, os, socket, time
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
l.bind("\0sluice-inflight"); l.listen(1)
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [l.fileno(), a.fileno(), b.fileno()]))])
l.close(); a.close(); b.close()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        k = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        k.bind("\0sluice-left"); k.listen(1)
        time.sleep(30)
    os._exit(0)
os.wait()
# Until the background process has bound its name (a loaded machine).
for _ in range(200):
    if "@sluice-left" in open("/proc/net/unix").read():
        break
    time.sleep(0.05)
print(len(open("/proc/net/unix").read().splitlines()) - 1)'

# session_holds INO: whether the session holds the namespace net:[INO].
session_holds() {
	local p
	p=$(pgrep -f -- "--config $CONF serve" | head -1)
	[ -n "$p" ] && ls -l "/proc/$p/fd" 2>/dev/null | grep -qF "$1"
}
# plant INO: a root process outside the sandbox, in the session's namespace
# net:[INO], listening on @sluice-planted until killed (its pid in
# $T/planted.pid).
plant() {
	local p fd
	p=$(pgrep -f -- "--config $CONF serve" | head -1)
	for fd in /proc/"$p"/fd/*; do
		[ "$(readlink "$fd")" = "$1" ] || continue
		nsenter --net="$fd" "$PYTHON" -c 'import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0sluice-planted"); s.listen(1)
open("'"$T"'/planted", "w").write("ok")
time.sleep(60)' &
		echo $! >"$T/planted.pid"
		wait_until 100 test -s "$T/planted"
		return
	done
}

# --- a clean slot's namespace serves its next job --------------------------
A=$(job_py a "$SEE")
B=$(job_py b "$SEE")
BETWEEN='session_holds "$(cut -d" " -f1 "$A/stdout")" && echo held >"$T/held"' \
	warm_session "$T/s1.out" "$A" "$B"
read -r ia ua sa _ <"$A/stdout"
read -r ib ub sb _ <"$B/stdout"
tap_is "$(warm_of "$A") $(warm_of "$B")" "true true" "both ran warm, on the parked slot"
tap_like "$ia" '^net:\[[0-9]+\]$' "the job reads its namespace (control)"
tap_is "$ib" "$ia" "the next job of the slot is in the same network namespace"
tap_is "$(cat "$T/held" 2>/dev/null)" held "  which the session holds (so it is that one, not a new one with its number)"
tap_is "$ua $sa $ub $sb" "0 0 0 0" "  with no socket in it when each job starts"
check_clean "clean"

# --- what a job leaves does not reach the next --------------------------------
L=$(job_py left "$LEAVE")
S=$(job_py see "$SEE")
warm_session "$T/s2.out" "$L" "$S"
# (The collector may have freed the cycle already: a kernel's choice.)
tap_like "$(cat "$L/stdout")" '^[1-9]' "left: the job left a socket bound, at least (control)"
read -r is us ss rs <"$S/stdout"
tap_is "$us $ss $rs" "0 0 []" "left: the next job finds no socket, and reaches no name the first bound"
check_clean "left"

# --- a socket planted in the slot's namespace: the next job gets a new one ----
# (planted while the first job runs, before the next sandbox is parked and
# its init looks)
# (P stays until the planted socket is there, at most 30 s.)
P=$(job_py p "${SEE}
import sys, time
sys.stdout.flush()
for _ in range(300):
    if '@sluice-planted' in open('/proc/net/unix').read():
        break
    time.sleep(0.1)")
Q=$(job_py q "$SEE")
R=$(job_py r "$SEE")
warm_session "$T/s3.out" "$P" "$Q" "$R" &
wait_until 200 test -s "$P/stdout"
plant "$(cut -d" " -f1 "$P/stdout")"
wait
tap_is "$(cat "$T/planted" 2>/dev/null)" ok "planted: a socket listens in the slot's namespace (control)"
tap_is "$(warm_of "$P") $(warm_of "$Q") $(warm_of "$R")" "true true true" "planted: the three ran warm"
tap_diag "P $(cat "$P/stdout") Q $(cat "$Q/stdout") R $(cat "$R/stdout")"
read -r ip _ <"$P/stdout"
read -r iq uq sq rq <"$Q/stdout"
read -r ir ur sr rr <"$R/stdout"
tap_isnt "$iq" "$ip" "planted: the next job is in a new namespace"
tap_is "$uq $sq $rq" "0 0 []" "planted: and finds no socket, nor reaches the planted one"
tap_is "$ur $sr $rr" "0 0 []" "planted: so does the one after it"
kill "$(cat "$T/planted.pid" 2>/dev/null)" 2>/dev/null
check_clean "planted"

# --- cold runs on a slot take its namespace in turn as well --------------------
C1=$(job_py c1 "$SEE" '{}' '{"env": {"X": "y"}}')
C2=$(job_py c2 "$SEE" '{}' '{"env": {"X": "y"}}')
warm_session "$T/s4.out" "$C1" "$C2"
read -r i1 u1 s1 _ <"$C1/stdout"
read -r i2 u2 s2 _ <"$C2/stdout"
tap_is "$(warm_of "$C1") $(warm_of "$C2")" "false false" "cold: both ran cold"
tap_is "$(jq -r 'select(.event == "accepted") | .slot' "$C1/events" "$C2/events" | sort -u)" 0 "cold: on slot 0"
tap_is "$i2" "$i1" "cold: in the same network namespace"
tap_is "$u1 $s1 $u2 $s2" "0 0 0 0" "cold: with no socket in it"
check_clean "cold"

# --- two jobs at once, on two slots: two namespaces --------------------------
# (the parked slot's job and a cold one on slot 0, in one session.  The
# first binds a name only after the second's init has looked at its
# namespace, so the check cannot see it: the second must neither share the
# first's namespace nor reach the name, as it would if a slot were given
# another's namespace.)
HOLD='import os, socket, sys, time
print(os.readlink("/proc/self/ns/net")); sys.stdout.flush()
time.sleep(1.5)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0sluice-together"); s.listen(1)
# Until the default wall limit (10 s) ends it: long enough that the second
# ends first on a loaded machine too.  (A limit of its own would not fit
# the parked sandbox, and the first would run cold.)
time.sleep(10)'
TRY='import errno, os, socket, time
reached = False
for _ in range(60):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect("\0sluice-together"); reached = True
    except OSError as e:
        reached = reached or e.errno != errno.ECONNREFUSED
    c.close()
    time.sleep(0.05)
print(os.readlink("/proc/self/ns/net"), reached)'
H=$(job_py hold "$HOLD")
W=$(job_py try "$TRY" '{}' '{"env": {"X": "y"}}')
{
	sleep 0.4
	echo "r1 run $H"
	wait_until 200 test -s "$H/stdout"
	echo "r2 run $W"
	wait_until 400 grep -q "^r1 exit" "$T/s5.out"
	wait_until 100 grep -q "^r2 exit" "$T/s5.out"
} | agent serve >"$T/s5.out" 2>"$T/s5.out.err"
read -r ih <"$H/stdout"
read -r iw rw <"$W/stdout"
tap_is "$(warm_of "$H") $(warm_of "$W")" "true false" "together: one warm on the parked slot, one cold"
tap_is "$(jq -r 'select(.event == "accepted") | .slot' "$W/events")" 0 "together: the cold one on slot 0"
tap_is "$(awk '$2 == "exit" { printf "%s ", $1 }' "$T/s5.out")" "r2 r1 " "together: it ended while the first still held its name (control)"
tap_like "$iw" '^net:\[[0-9]+\]$' "together: the second reads its namespace (control)"
tap_isnt "$iw" "$ih" "together: the two jobs are in two namespaces"
tap_is "$rw" False "together: the second does not reach the first's name"
check_clean "together"

tap_done
