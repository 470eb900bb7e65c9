#!/bin/bash
# Hostile: processes.  A fork bomb stays under its processes limit and the
# host keeps working; a double-forked setsid daemon does not outlive the job;
# zombies are reaped; kill(-1, SIGKILL) and kill(1, SIGKILL) from the job
# reach nothing outside it (nor its init).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71300

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

# --- fork bomb, processes 8 --------------------------------------------------
# Every process forks for 2 s, then exits; the first one reports how many
# processes it ever saw and how many forks failed.
DIR=$(job_py forkbomb 'import os, time
deadline = time.time() + 2
top = os.getpid()
failed = maxseen = 0
while time.time() < deadline:
    try:
        os.fork()
    except OSError:
        failed += 1
        time.sleep(0.005)
    n = sum(1 for d in os.listdir("/proc") if d.isdigit())
    maxseen = max(maxseen, n)
if os.getpid() == top:
    print("max", maxseen, "failed", failed, flush=True)' '{"processes": 8, "wall_seconds": 10}')
agent run "$DIR" >"$T/forkbomb.events" &
runpid=$!
maxhost=0
host_forks_ok=0 host_forks_failed=0
while kill -0 "$runpid" 2>/dev/null; do
	n=$(slot_procs)
	[ "$n" -gt "$maxhost" ] && maxhost=$n
	# The host can still start processes while the bomb runs.
	if /bin/true; then
		host_forks_ok=$((host_forks_ok + 1))
	else
		host_forks_failed=$((host_forks_failed + 1))
	fi
	sleep 0.02
done
wait "$runpid"
RC=$?
RESULT=$(cat "$DIR/result.json" 2>/dev/null || echo '{}')
tap_is "$RC" 0 "fork bomb: run exits 0"
tap_like "$(r .verdict)" '^(ok|exited|signaled)$' "fork bomb: the job ended by itself (ok, exited or signaled)"
tap_cmp "$maxhost" '<=' 8 "fork bomb: the host never saw more than 8 processes of the slot uid"
tap_cmp "$maxhost" '>=' 2 "fork bomb: the bomb did fork (sampler saw it)"
read -r _ maxseen _ failed < <(head -1 "$DIR/stdout")
tap_cmp "${maxseen:-99}" '<=' 8 "fork bomb: the job itself never saw more than 8 processes"
tap_cmp "${failed:-0}" '>' 0 "fork bomb: forks past the limit failed inside the job"
tap_cmp "$host_forks_ok" '>=' 1 "fork bomb: the host kept starting processes meanwhile"
tap_is "$host_forks_failed" 0 "fork bomb: no host process start failed meanwhile"
check_clean "fork bomb"

# --- double-forked setsid daemon ---------------------------------------------
t0=$(date +%s.%N)
run_py daemon 'import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import signal
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        time.sleep(30)
        open("/out/daemon-was-here", "w").write("x")
        os._exit(0)
    os._exit(0)
os.wait()
print("parent done", flush=True)' '{"wall_seconds": 20}'
t1=$(date +%s.%N)
tap_is "$(r .verdict)" ok "daemon: the job itself ends ok"
tap_is "$(cat "$DIR/stdout")" "parent done" "daemon: parent ran to the end"
tap_cmp "$(elapsed "$t0" "$t1")" '<' 5 "daemon: run returned without waiting for the daemon (it holds stdout)"
tap_is "$(slot_procs)" 0 "daemon: no process of the slot uid right after run returns"
sleep 1
tap_is "$(pgrep -c -U "$UID_BASE" -f 'python3' || true)" 0 "daemon: still none a second later"
tap_is "$(r '.out_files | length')" 0 "daemon: it never got to write /out"
check_clean daemon

# --- zombies -----------------------------------------------------------------
run_py zombies 'import os
for i in range(20):
    if os.fork() == 0:
        os._exit(0)
import time; time.sleep(0.2)
z = 0
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            if open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()[0] == "Z":
                z += 1
        except OSError:
            pass
print("zombies", z)'
tap_is "$(r .verdict)" ok "zombies: verdict ok"
tap_is "$(cat "$DIR/stdout")" "zombies 20" "zombies: the job made its 20 zombies"
check_clean zombies

# --- kill(-1, SIGKILL) -------------------------------------------------------
# Host processes: one as nobody, one as the very uid of the job's slot,
# and one as root, as the test itself runs.
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 300 &
nobody_sleep=$!
setpriv --reuid="$UID_BASE" --regid="$UID_BASE" --clear-groups sleep 300 &
slot_sleep=$!
sleep 300 &
root_sleep=$!
sleep 0.2
# The job has a child of its own, which kill(-1) may take; ESRCH (nothing
# to signal) is a fine answer too.
run_py killall 'import os, signal, time
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
try:
    os.kill(-1, signal.SIGKILL)
except OSError as e:
    print("kill(-1) failed", e.errno)
_, st = os.waitpid(child, 0)
print("child", "killed" if os.WIFSIGNALED(st) else "exited")
print("survived kill(-1)", flush=True)'
tap_is "$(r .verdict)" ok "kill(-1): the job survives and exits 0"
tap_is "$(tail -1 "$DIR/stdout")" "survived kill(-1)" "kill(-1): the job printed after it"
tap_like "$(cat "$DIR/stdout")" 'child killed' "kill(-1): it did reach the job's own child"
kill -0 "$nobody_sleep" 2>/dev/null
tap_ok $? "kill(-1): a host process of another uid survives"
kill -0 "$slot_sleep" 2>/dev/null
tap_ok $? "kill(-1): a host process of the job's own uid survives"
kill -0 "$root_sleep" 2>/dev/null
tap_ok $? "kill(-1): the test itself survives (a root process beside it)"
kill -KILL "$nobody_sleep" "$slot_sleep" "$root_sleep" 2>/dev/null
wait "$nobody_sleep" "$slot_sleep" "$root_sleep" 2>/dev/null
check_clean "kill(-1)"

# --- kill(1, SIGKILL) and kill(1, SIGTERM) -----------------------------------
run_py killinit 'import os, signal, time
for s in (signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP):
    try:
        os.kill(1, s)
        print(s.name, "sent")
    except OSError as e:
        print(s.name, "refused", e.errno)
time.sleep(0.3)
print("still running", flush=True)'
tap_is "$(r .verdict)" ok "kill(1): the job continues and exits 0"
tap_like "$(cat "$DIR/stdout")" 'still running' "kill(1): the job went on after signalling init"
check_clean "kill(1)"

tap_done
