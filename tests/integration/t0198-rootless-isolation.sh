#!/bin/bash
# The rootless agent (mode = "user", run as an unprivileged account): every
# job is that account on the host, so show what keeps jobs apart anyway.
# Two jobs at once cannot see (/proc) or signal (kill -1, a guessed pid)
# each other and both end with truthful verdicts (CPU, processes); a job
# cannot make a user namespace (unshare, clone, the unshare program) and
# has no capability; info says the mode and what enforces each limit;
# mode = "root" without root, and a base_dir or job directory of another
# account's, are refused.
. "$top_srcdir/tests/lib/tap.sh"
export SLUICE_TEST_ROOTLESS=1
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 93300 2

# --- info -------------------------------------------------------------------
info=$(agent info)
tap_is "$(printf '%s' "$info" | jq -r .mode)" user "info: mode user"
tap_is "$(printf '%s' "$info" | jq -r .cgroup)" none "info: no cgroup (none delegated)"
tap_is "$(printf '%s' "$info" | jq -r '.enforced | [.memory_bytes, .processes, .cpu_seconds, .wall_seconds] | join(" ")')" \
	"rlimit+seccomp rlimit proc supervisor" "info: enforced says what holds each limit without a cgroup"

# --- no capability, no new privileges, the slot's ids ------------------------
run_py caps 'import os
st = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"):
    print(k, st[k].strip())
print("ids", os.getuid(), os.geteuid(), os.getgid())
print("map", " ".join(open("/proc/self/uid_map").read().split()))'
tap_is "$(r .verdict)" ok "caps: verdict ok"
for k in CapInh CapPrm CapEff CapBnd CapAmb; do
	tap_is "$(grep "^$k " "$DIR/stdout")" "$k 0000000000000000" "caps: $k is empty"
done
tap_is "$(grep '^NoNewPrivs ' "$DIR/stdout")" "NoNewPrivs 1" "caps: no_new_privs is set"
slot=$(head -1 "$DIR/events" | jq -r .slot)
tap_is "$(grep '^ids ' "$DIR/stdout")" "ids $((UID_BASE + slot)) $((UID_BASE + slot)) $((UID_BASE + slot))" \
	"caps: the job has the slot's uid and gid, as under the root agent"
tap_is "$(grep '^map ' "$DIR/stdout")" "map $((UID_BASE + slot)) $ROOTLESS_UID 1" \
	"caps: one uid mapped, the slot's, to the agent's account"
check_clean caps

# --- no user namespace for the job ------------------------------------------
run_py userns 'import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000
r = libc.unshare(CLONE_NEWUSER)
print("unshare", r, os.strerror(ctypes.get_errno()) if r else "")
r = libc.syscall(56, CLONE_NEWUSER | 17, 0, 0, 0, 0)   # clone on x86-64
if r == 0:
    os._exit(0)
print("clone", r, os.strerror(ctypes.get_errno()) if r == -1 else "child")
if os.path.exists("/usr/bin/unshare"):
    p = subprocess.run(["/usr/bin/unshare", "-U", "/bin/true"], capture_output=True, text=True)
    print("unshare-U", p.returncode, "Operation not permitted" in p.stderr)
else:
    print("unshare-U absent")
print("end")' '{"processes": 8}'
tap_is "$(r .verdict)" ok "userns: the job survives the refusals"
tap_is "$(grep '^unshare ' "$DIR/stdout")" "unshare -1 Operation not permitted" \
	"userns: unshare(CLONE_NEWUSER) refused with EPERM"
tap_is "$(grep '^clone ' "$DIR/stdout")" "clone -1 Operation not permitted" \
	"userns: clone(CLONE_NEWUSER) refused with EPERM"
if grep -q '^unshare-U absent' "$DIR/stdout"; then
	tap_skip "userns: the unshare program cannot make one" "no /usr/bin/unshare on this machine"
else
	tap_is "$(grep '^unshare-U ' "$DIR/stdout")" "unshare-U 1 True" \
		"userns: the unshare program cannot make one"
fi
check_clean userns

# --- two jobs at once: neither sees nor signals the other ---------------------
# B: ten children that sleep, a steady pulse on stdout, little CPU.
B=$(job_py twin-b 'import os, time, sys
kids = []
for i in range(10):
    pid = os.fork()
    if pid == 0:
        time.sleep(4)
        os._exit(0)
    kids.append(pid)
print("forked", len(kids), flush=True)
for i in range(8):
    time.sleep(0.5)
    print("alive", i, flush=True)
for k in kids:
    os.waitpid(k, 0)
print("done", flush=True)' '{"processes": 16, "wall_seconds": 20}')
agent run "$B" >"$T/b.events" &
pb=$!
for i in $(seq 100); do grep -qs '^forked' "$B/stdout" && break; sleep 0.05; done
tap_like "$(cat "$B/stdout" 2>/dev/null)" '^forked 10' "two jobs: B forked its ten children"
# B's processes as the host sees them: all the account's.
bpids=$(ps -o pid=,comm= -U "$ROOTLESS_USER" | awk '$2 ~ /python/ { printf "%s ", $1 }')
tap_cmp "$(echo $bpids | wc -w)" '>=' 11 "two jobs: the host sees B's processes as the account's"
# A: looks for B in /proc, signals everything it can and B's host pids
# (guessed right: the test passes them), counts the pids it could signal,
# forks until its own limit, then spins into its CPU limit.
A=$(job_py twin-a "import os, signal, time
print('procs', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), flush=True)
try:
    os.kill(-1, signal.SIGKILL)
    print('kill-1 ok', flush=True)
except OSError as e:
    print('kill-1', e.strerror, flush=True)
hit = []
for p in [int(x) for x in '$bpids'.split()] + list(range(2, 4096)):
    if p == os.getpid():
        continue
    try:
        os.kill(p, signal.SIGKILL)
        hit.append(p)
    except OSError:
        pass
print('signalled', hit, flush=True)
kids = 0
try:
    while True:
        pid = os.fork()
        if pid == 0:
            time.sleep(3)
            os._exit(0)
        kids += 1
except OSError as e:
    print('forks', kids, e.strerror, flush=True)
while True:
    pass" '{"processes": 6, "cpu_seconds": 1, "wall_seconds": 20}')
run_job "$A"
wait "$pb"
tap_is "$(r .verdict)" cpu_limit "two jobs: A ends by its CPU limit"
tap_cmp "$(r .cpu_seconds)" '<' 1.6 "two jobs: A's CPU time is its own (not B's too)"
tap_is "$(grep '^procs ' "$A/stdout")" "procs [2]" "two jobs: A's /proc shows only itself (its init is hidden, B is not there)"
tap_is "$(grep '^kill-1' "$A/stdout")" "kill-1 No such process" "two jobs: kill(-1) from A reaches nothing (init is not signalled)"
tap_is "$(grep '^signalled' "$A/stdout")" "signalled []" "two jobs: A could signal none of B's host pids nor any pid it guessed"
tap_like "$(grep '^forks' "$A/stdout")" '^forks [1-5] Resource temporarily unavailable$' \
	"two jobs: A's processes limit holds for A (RLIMIT_NPROC per user namespace)"
tap_is "$(jq -r .verdict "$B/result.json")" ok "two jobs: B ends ok, untouched"
tap_is "$(grep -c '^alive' "$B/stdout") $(tail -1 "$B/stdout")" "8 done" "two jobs: B ran to its end"
tap_cmp "$(jq -r .cpu_seconds "$B/result.json")" '<' 0.5 "two jobs: B's CPU time is its own (not A's spin)"
tap_is "$(jq -r .exit_code "$B/result.json")" 0 "two jobs: B exited 0 with ten children more than A's limit"
check_clean "two jobs"

# --- a session (serve), the dispatcher's path, without warm starts ----------
DIR=$(job_py served 'import os; print("served", os.getuid())')
rootless_own_jobs
out=$(printf 'j run %s\ni info\n' "$DIR" | as_rootless "$AGENT_BIN" --config "$CONF" serve)
tap_is "$(printf '%s\n' "$out" | awk '$1 == "j" && $2 == "exit" { print $3 }')" 0 "serve: a run request ends 0"
tap_is "$(jq -r .verdict "$DIR/result.json" 2>/dev/null) $(cat "$DIR/stdout")" "ok served $UID_BASE" \
	"serve: the job ran, as the slot's uid"
tap_is "$(printf '%s\n' "$out" | awk '$1 == "i" && $2 != "exit" { sub(/^i /, ""); print }' | jq -r .mode)" user \
	"serve: info in the session says mode user"
sed 's/^    command = \[ "\([^"]*\)", "-B"/    warm_start = true; command = [ "\1", "-B"/' "$CONF" >"$T/warm.conf"
out=$(as_rootless "$AGENT_BIN" --config "$T/warm.conf" info 2>&1)
tap_like "$out" 'warm_start is not available with mode = \\"user\\"' "serve: warm_start is refused rootless, with the reason"
check_clean serve

# --- as on a cluster: the config and base_dir the account's own --------------
# (a SLURM batch script's case: no root-owned file or directory but / and
# /tmp above them, no sudo, the config named with --config)
H="$T/home"
mkdir -p "$H" && chown "$ROOTLESS_USER:$ROOTLESS_USER" "$H" && chmod 0755 "$H"
as_rootless mkdir -p "$H/sluice/jobs"
sed "s|^base_dir = .*|base_dir = \"$H/sluice\";|" "$CONF" | as_rootless sh -c "cat >'$H/agent.conf'"
tap_is "$(as_rootless "$AGENT_BIN" --config "$H/agent.conf" info | jq -r '.mode + " " + .base_dir')" \
	"user $H/sluice" "cluster: info with the account's own config and base_dir"
D="$H/sluice/jobs/c1"
mkdir -p "$D/files" && echo 'print("cluster")' >"$D/files/main.py" &&
	echo '{"version": 1, "id": "t", "runtime": "python3", "entry": "main.py"}' >"$D/job.json"
chown -R "$ROOTLESS_USER:$ROOTLESS_USER" "$D"
as_rootless "$AGENT_BIN" --config "$H/agent.conf" run "$D" >/dev/null
tap_is "$? $(jq -r .verdict "$D/result.json" 2>/dev/null) $(cat "$D/stdout" 2>/dev/null)" "0 ok cluster" \
	"cluster: a job runs from the account's own base_dir"
tap_is "$(stat -c %U "$H/sluice/slots")" "$ROOTLESS_USER" "cluster: the agent's own directories are the account's"
chmod 0664 "$H/agent.conf"
out=$(as_rootless "$AGENT_BIN" --config "$H/agent.conf" info 2>&1)
tap_like "$out" 'writable by its group' "cluster: a config its group may write is refused"
chmod 0644 "$H/agent.conf"
check_clean cluster

# --- refusals ----------------------------------------------------------------
# mode = "root" without root.
sed 's/^mode = "user";/mode = "root";/' "$CONF" >"$T/root.conf"
out=$(as_rootless "$AGENT_BIN" --config "$T/root.conf" info 2>&1)
tap_isnt "$?" 0 "mode root as non-root: refused"
tap_like "$out" 'mode = \\"root\\" but sluice-agent runs as uid' "mode root as non-root: says why"
# mode = "user" as root: the namespace's ids would not be the stager's.
out=$("$AGENT_BIN" --config "$CONF" info 2>&1)
tap_isnt "$?" 0 "mode user as root: refused"
tap_like "$out" 'as root, use mode = \\"root\\"' "mode user as root: says why"
# A job directory of another account's.
D=$(job_py other 'print("ran")')
touch "$D/ROOTLESS_KEEP_OWNER"
chown -R nobody "$D"
out=$(agent run "$D" 2>&1)
tap_isnt "$?" 0 "another's job directory: refused"
tap_like "$out" 'belongs to uid' "another's job directory: says whose it is"
tap_ok "$([ ! -e "$D/events" ]; echo $?)" "another's job directory: nothing started"
# base_dir of another account's.
chown nobody "$BASE"
out=$(agent info 2>&1)
D=$(job_py otherbase 'print("ran")')
out=$(agent run "$D" 2>&1)
tap_isnt "$?" 0 "base_dir of another account's: refused"
tap_like "$out" "owned by uid $(id -u nobody), neither root nor the agent's account" \
	"base_dir of another account's: says whose it is"
chown "$ROOTLESS_USER" "$BASE"
tap_done
