#!/bin/bash
# Hostile: limits at their edges.  Tiny but valid limits in a manifest are
# the job's business: they end in the job's own verdict (or a refusal with
# exit 2), never in sandbox_error, which blames the node.  A processes limit
# of N lets the job have N processes; open_files N caps the descriptors at
# N; both are enforced exactly.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71250

# not_node_fault NAME: the run either refused the manifest (exit 2, JSON
# error, nothing started) or ran it to a verdict that is not sandbox_error.
not_node_fault() {
	if [ "$RC" = 2 ]; then
		tap_like "$EVENTS" '"error"' "$1: refused with exit 2 and a JSON error"
	else
		tap_isnt "$(r .verdict)" sandbox_error "$1: not reported as a node fault (sandbox_error)"
		[ "$(r .verdict)" = sandbox_error ] && tap_diag "message: $(r .message)"
	fi
}

FORK_COUNT='import os, time
kids = []
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(2)
        os._exit(0)
    kids.append(pid)
    if len(kids) >= 50:
        break
print("processes", len(kids) + 1, flush=True)
for k in kids:
    os.kill(k, 9)'

# --- processes ---------------------------------------------------------------
run_py procs1 'print("alone")' '{"processes": 1}'
not_node_fault "processes 1"
tap_is "$(r .verdict)" ok "processes 1: a job that never forks runs ok"
tap_is "$(cat "$DIR/stdout" 2>/dev/null)" alone "processes 1: and prints"
check_clean "processes 1"

run_py procs2 'import os
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("forked one child")' '{"processes": 2}'
not_node_fault "processes 2"
tap_is "$(r .verdict)" ok "processes 2: the job may fork one child"
tap_is "$(cat "$DIR/stdout" 2>/dev/null)" "forked one child" "processes 2: the fork succeeded"
check_clean "processes 2"

run_py procs4 "$FORK_COUNT" '{"processes": 4}'
tap_is "$(r .verdict)" ok "processes 4: verdict ok"
tap_is "$(cat "$DIR/stdout" 2>/dev/null)" "processes 4" "processes 4: exactly 4 processes at once, no more, no fewer"
check_clean "processes 4"

run_py threads 'import threading, time
ts = []
try:
    while len(ts) < 50:
        t = threading.Thread(target=time.sleep, args=(1,))
        t.start()
        ts.append(t)
except RuntimeError:
    pass
print("threads", len(ts) + 1)' '{"processes": 8}'
tap_is "$(r .verdict)" ok "thread bomb: verdict ok"
tap_cmp "$(awk '{print $2}' "$DIR/stdout")" '<=' 8 "thread bomb: threads count against processes (at most 8)"
check_clean "thread bomb"

# --- open_files -----------------------------------------------------------------
run_py nofile4 'print("few files")' '{"open_files": 4}'
not_node_fault "open_files 4"
tap_like "$(r .verdict)" '^(ok|exited)$' "open_files 4: the program's own verdict"
check_clean "open_files 4"

run_py nofile16 'import os, errno
fds = []
try:
    while True:
        fds.append(os.open("/dev/null", os.O_RDONLY))
except OSError as e:
    print(errno.errorcode[e.errno], max(fds) if fds else -1)' '{"open_files": 16}'
tap_is "$(r .verdict)" ok "open_files 16: verdict ok"
tap_is "$(cat "$DIR/stdout")" "EMFILE 15" "open_files 16: descriptors 0..15 and no more (EMFILE)"
check_clean "open_files 16"

# --- memory ---------------------------------------------------------------------
run_py mem4k 'print("tiny")' '{"memory_bytes": 4096}'
not_node_fault "memory_bytes 4096"
# Without a memory cgroup (needs_cgroup: SKIP rootless) RLIMIT_AS alone
# holds it: the loader cannot map the interpreter and it dies of a signal.
if [ "$RC" != 2 ] && needs_cgroup "memory_bytes 4096: verdict memory_limit" memory; then
	tap_is "$(r .verdict)" memory_limit "memory_bytes 4096: verdict memory_limit"
fi
check_clean "memory_bytes 4096"

run_py mem1m 'print("small")' '{"memory_bytes": 1048576}'
not_node_fault "memory_bytes 1 MiB"
needs_cgroup "memory_bytes 1 MiB: verdict memory_limit" memory &&
	tap_is "$(r .verdict)" memory_limit "memory_bytes 1 MiB: verdict memory_limit"
check_clean "memory_bytes 1 MiB"

# --- time and output --------------------------------------------------------
run_py cpu-tiny 'while True: pass' '{"cpu_seconds": 0.001}'
tap_is "$(r .verdict)" cpu_limit "cpu_seconds 0.001: verdict cpu_limit"
check_clean "cpu_seconds 0.001"

run_py wall-tiny 'import time; time.sleep(5)' '{"wall_seconds": 0.001}'
tap_is "$(r .verdict)" wall_limit "wall_seconds 0.001: verdict wall_limit"
check_clean "wall_seconds 0.001"

run_py out1 'print("hello")' '{"output_bytes": 1}'
tap_is "$(r .verdict)" output_limit "output_bytes 1: verdict output_limit"
tap_is "$(cat "$DIR/stdout")" h "output_bytes 1: one byte kept"
check_clean "output_bytes 1"

tap_done
