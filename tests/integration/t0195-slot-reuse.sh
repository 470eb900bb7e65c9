#!/bin/bash
# Two jobs, one after the other, on the same slot (same uid, same cgroup):
# nothing the first leaves reaches the second -- no file in /tmp, /job,
# /out or /dev/shm, no SysV shared memory segment or message queue, no
# listening UNIX socket (abstract or on disk), no process, no cgroup state.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71950 1
# Without a memory cgroup (rootless with none delegated, or cgroup "none")
# the filter refuses SysV segments and queues (ENOSYS): then there are none
# to leave, and the checks below expect none.
if [ "$(agent info | jq -r .enforced.memory_bytes)" = cgroup ]; then
	SYSV=True SYSV_SEEN="'shm', 'msg', '/proc/sysvipc/shm', '/proc/sysvipc/msg', "
else
	SYSV=False SYSV_SEEN=
fi

LEAVE='import ctypes, os, socket, time
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000
for p in ("/tmp/left", "/job/left", "/out/left", "/dev/shm/left"):
    open(p, "w").write("x")
shm = libc.shmget(0x51ce, 4096, IPC_CREAT | 0o666)
msq = libc.msgget(0x51ce, IPC_CREAT | 0o666)
a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
a.bind("\0sluice-left")
a.listen(1)
f = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
f.bind("/tmp/left.sock")
f.listen(1)
# A background process that outlives the job: double fork, new session.
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(30)
    os._exit(0)
os.wait()
print("left", shm >= 0, msq >= 0, flush=True)'

SEE='import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
found = []
for p in ("/tmp/left", "/job/left", "/out/left", "/dev/shm/left", "/tmp/left.sock"):
    if os.path.exists(p):
        found.append(p)
if libc.shmget(0x51ce, 0, 0) >= 0: found.append("shm")
if libc.msgget(0x51ce, 0) >= 0: found.append("msg")
for name in ("/proc/sysvipc/shm", "/proc/sysvipc/msg"):
    try:
        if len(open(name).read().splitlines()) > 1: found.append(name)
    except OSError:
        pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\0sluice-left"); found.append("abstract socket")
except OSError:
    pass
pids = [d for d in os.listdir("/proc") if d.isdigit() and int(d) not in (1, os.getpid())]
if pids: found.append("processes %s" % pids)
print("found", found)'

run_py first "$LEAVE"
tap_is "$(r .verdict)" ok "the first job ran"
tap_is "$(cat "$DIR/stdout")" "left $SYSV $SYSV" "the first job left files, a segment and a queue (where allowed), sockets and a process"
run_py second "$SEE"
tap_is "$(r .verdict)" ok "the second job ran on the same slot"
tap_is "$(jq -r 'select(.event == "accepted") | .slot' "$DIR/events")" "$(jq -r 'select(.event == "accepted") | .slot' "$BASE/jobs/first/events")" "both jobs had the same slot"
tap_is "$(cat "$DIR/stdout")" "found []" "the second job sees nothing the first left"
tap_is "$(ls "$BASE/jobs/first/out" 2>/dev/null | tr '\n' ' ')" "left " "the first job's /out came back to it (positive control of the /out check)"
check_clean "slot reuse"
# The positive control of the checks: in one job, they find what it left.
run_py both "$LEAVE
$SEE"
tap_like "$(tail -1 "$DIR/stdout")" "'/tmp/left', '/job/left', '/out/left', '/dev/shm/left', '/tmp/left.sock', ${SYSV_SEEN}'abstract socket', \"processes" "control: the checks see all of it within the job that left it"
check_clean "control"

# --- the job's network and IPC namespaces are its own, not the host's ------
# (a session makes them ahead of a run; clone makes them otherwise)
NS='import os
print(os.readlink("/proc/self/ns/net"), os.readlink("/proc/self/ns/ipc"))'
run_py ns "$NS"
read -r jnet jipc <"$DIR/stdout"
tap_like "$jnet $jipc" '^net:\[[0-9]+\] ipc:\[[0-9]+\]$' "namespaces: the job reads its own (control)"
tap_isnt "$jnet" "$(readlink /proc/self/ns/net)" "namespaces: the job's network namespace is not the host's"
tap_isnt "$jipc" "$(readlink /proc/self/ns/ipc)" "namespaces: the job's IPC namespace is not the host's"

tap_done
