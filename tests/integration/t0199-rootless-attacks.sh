#!/bin/bash
# An attacker's cases against the rootless agent (mode = "user", issue 11):
# hostile code in the sandbox against the supervisor, the agent's account
# (its files), other jobs of the same account, and the host; and another
# account against the agent's policy.  Every job here is the account on the
# host, each in a user namespace of its own.
#
# Cases whose description starts with "defended (was a hole):" failed when
# this file was written (the rootless branch at 68c9924) and were fixed on
# the rfix branch; one case ("documented limit:") is a gap the agent cannot
# close without a cgroup and says so.
. "$top_srcdir/tests/lib/tap.sh"
export SLUICE_TEST_ROOTLESS=1
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 86000 2

# --- the job's stdin was a host file of the account's --------------------------
# The supervisor handed the job JOBDIR/stdin as its descriptor 0: a file on
# the host's disk, owned by the account, which is the job's own uid on the
# host, so the job could rewrite and chmod it through /proc/self/fd/0, and
# its host path showed under both agents.  Now sup_stdin() gives the job a
# sealed memfd copy (t0170 checks the root agent's).
DIR=$(job_py stdin 'import os
print("fd0", os.readlink("/proc/self/fd/0"))
def try_(what, f):
    try:
        f(); print(what, "ok")
    except OSError as e:
        print(what, e.strerror)
def rw():
    fd = os.open("/proc/self/fd/0", os.O_RDWR)
    os.write(fd, b"OVERWRITTEN\n")
    os.ftruncate(fd, 1 << 20)
try_("reopen-rw", rw)
try_("fchmod", lambda: os.fchmod(0, 0o6777))
try_("fsetxattr", lambda: os.setxattr(0, "user.job", b"x"))
try_("futimens", lambda: os.utime(0, (0, 0)))
print("read", repr(os.read(0, 64)), os.lseek(0, 0, os.SEEK_SET), repr(os.read(0, 4)))')
printf 'the input\n' >"$DIR/stdin"
run_job "$DIR"
tap_is "$(r .verdict)" ok "stdin: the job ran"
tap_is "$(head -c 64 "$DIR/stdin" | tr -d '\0') $(stat -c %s "$DIR/stdin")" "the input 10" \
	"defended (was a hole): stdin: the job cannot rewrite its stdin file on the host (reopened through /proc/self/fd/0)"
# (fchmod, xattrs and times of the copy are the job's own, in memory.)
tap_is "$(grep '^reopen-rw ' "$DIR/stdout")" "reopen-rw Operation not permitted" \
	"defended (was a hole): stdin: the sealed copy refuses the write"
tap_is "$(stat -c %a "$DIR/stdin")" 644 \
	"defended (was a hole): stdin: the job cannot chmod its stdin file on the host (setuid, world-writable)"
tap_is "$("$PYTHON" -c 'import os, sys; print(os.listxattr(sys.argv[1]))' "$DIR/stdin")" "[]" \
	"defended (was a hole): stdin: the job cannot set an xattr on a host file"
tap_isnt "$(stat -c %Y "$DIR/stdin")" 0 "defended (was a hole): stdin: the job cannot set a host file's times"
tap_is "$(grep -c -F "$BASE" "$DIR/stdout")" 0 "defended (was a hole, the root agent's too): stdin: /proc/self/fd/0 does not show the job directory's host path"
tap_is "$(grep '^fd0 ' "$DIR/stdout")" "fd0 /memfd:stdin (deleted)" "stdin: descriptor 0 is the sealed copy"
tap_is "$(grep '^read ' "$DIR/stdout")" "read b'the input\\n' 0 b'the '" "stdin: the job reads and seeks it as before"
check_clean stdin

# A stdin larger than the job's disk_bytes (its copy's bound) is refused
# before anything starts.
DIR=$(job_py bigstdin 'print("ran")' '{"disk_bytes": 1048576}')
head -c 1048577 /dev/zero >"$DIR/stdin"
out=$(agent run "$DIR" 2>&1)
tap_is "$?" 2 "bigstdin: a stdin over disk_bytes is refused (exit 2)"
tap_like "$out" 'stdin .* larger than the job.s disk_bytes' "bigstdin: run says why"
tap_ok "$([ ! -e "$DIR/result.json" ] && [ ! -e "$DIR/stdout" ]; echo $?)" "bigstdin: nothing started"
check_clean bigstdin

# --- memory outside every process's address space ------------------------------
# Without a cgroup, memory_bytes is RLIMIT_AS per process and the filter's
# check of one mapping.  Pages of a memfd written with write(2), and SysV
# shared memory detached after filling, are in no address space: one process
# held several times its limit, and the verdict said ok with a small peak.
# Now the filter refuses memfd_create, shmget and msgget (ENOSYS) when no
# memory cgroup holds the job (filter.c; info's enforced and filter say so).
#
# held_at_most NAME HELD WHAT SYSCALL CHARGED: the job NAME (128 MiB) held
# HELD bytes in WHAT: at most its memory_bytes, or its verdict is
# memory_limit; without a memory cgroup, its stdout's SYSCALL line says
# ENOSYS (with one, the cgroup charges CHARGED, and the case says SKIP).
held_at_most() {
	local name=$1 held=$2 what=$3 sc=$4 charged=$5
	tap_diag "$name: verdict $(r .verdict), held ${held:-0} bytes, peak $(r .memory_peak_bytes), limit 134217728"
	tap_ok "$([ "$(r .verdict)" = memory_limit ] || [ "${held:-0}" -le 134217728 ]; echo $?)" \
		"defended (was a hole): $name: a job cannot hold more than memory_bytes in $what (or its verdict is memory_limit)"
	if [ -z "$ROOTLESS_CG" ]; then
		tap_is "$(grep "^$sc" "$DIR/stdout")" "$sc Function not implemented" \
			"$name: without a memory cgroup $sc is ENOSYS"
	else
		tap_skip "$name: without a memory cgroup $sc is ENOSYS" "a memory cgroup is delegated: it charges $charged"
	fi
	check_clean "$name"
}
run_py memfd 'import os, sys
chunk = b"\xa5" * (1 << 20)
fds = []
for i in range(6):
    try:
        fd = os.memfd_create("m%d" % i)
    except OSError as e:
        print("memfd_create", e.strerror); sys.exit(0)
    for j in range(60):
        os.write(fd, chunk)
    fds.append(fd)
held = sum(os.fstat(f).st_size for f in fds)
print("held", held, all(os.pread(f, 4, 59 << 20) == chunk[:4] for f in fds))' \
	'{"memory_bytes": 134217728, "processes": 1}'
held_at_most memfd "$(awk '$1 == "held" && $3 == "True" { print $2 }' "$DIR/stdout")" \
	memfds memfd_create "the memfd"

run_py sysvshm 'import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
SZ = 60 << 20
n = 0
for i in range(6):
    sid = libc.shmget(0, ctypes.c_size_t(SZ), 0o1000 | 0o600)
    if sid < 0:
        print("shmget", os.strerror(ctypes.get_errno())); break
    a = libc.shmat(sid, None, 0)
    if a is None or a == ctypes.c_void_p(-1).value:
        print("shmat", os.strerror(ctypes.get_errno())); break
    ctypes.memset(a, 0x5a, SZ)
    libc.shmdt(ctypes.c_void_p(a))
    n += 1
print("held", n * SZ)' '{"memory_bytes": 134217728, "processes": 1}'
held_at_most sysvshm "$(awk '$1 == "held" { print $2 }' "$DIR/stdout")" \
	"detached SysV segments" shmget "the segments"

# Several processes, each under RLIMIT_AS: the documented weakness (agent/
# README.md "Rootless"; info's enforced says rlimit), kept here so that it
# shows.  Four processes of 100 MiB each against a 128 MiB limit.
run_py manyas 'import os, time
r, w = os.pipe()
kids = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        b = bytearray(100 << 20)
        for j in range(0, len(b), 4096):
            b[j] = 1
        os.write(w, b"x")
        time.sleep(2)
        os._exit(0)
    kids.append(pid)
got = 0
while got < 4:
    got += len(os.read(r, 4))
print("all held", got)
for k in kids:
    os.waitpid(k, 0)' '{"memory_bytes": 134217728, "processes": 8}'
tap_diag "manyas: verdict $(r .verdict), peak $(r .memory_peak_bytes): 4 x 100 MiB against 128 MiB (documented: RLIMIT_AS is per process)"
tap_is "$(r .verdict) $(cat "$DIR/stdout")" "ok all held 4" \
	"documented gap: without a cgroup, processes each under RLIMIT_AS hold 4 x 100 MiB against 128 MiB"
check_clean manyas

# --- CPU time that /proc never shows -----------------------------------------
# Without a CPU cgroup the supervisor sums the CPU time of the live processes
# of the job's PID namespace and their reaped children.  Children that the
# kernel reaps itself (SIGCHLD ignored) add their time to nobody's: 40
# children of 0.1 s CPU each are 4 s against a 1 s limit.  Nothing in /proc
# keeps it, so this is a documented limit (agent/README.md, sluice-agent(8)
# at enforced's "proc"): each process is held by RLIMIT_CPU and the whole
# job by wall_seconds.  With a delegated CPU cgroup it is counted.
run_py autoreap 'import os, signal, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
live = []
done = 0
while done < 40:
    live = [p for p in live if os.path.exists("/proc/%d" % p)]
    if len(live) >= 2:
        time.sleep(0.01)
        continue
    try:
        pid = os.fork()
    except OSError:
        time.sleep(0.01)
        continue
    if pid == 0:
        e = time.process_time() + 0.1
        while time.process_time() < e:
            pass
        os._exit(0)
    live.append(pid)
    done += 1
while live:
    live = [p for p in live if os.path.exists("/proc/%d" % p)]
    time.sleep(0.01)
print("children", done, "of 0.1 s CPU each")' \
	'{"cpu_seconds": 1, "wall_seconds": 60, "processes": 8}'
tap_diag "autoreap: verdict $(r .verdict), cpu_seconds $(r .cpu_seconds), $(cat "$DIR/stdout")"
if [ -n "$ROOTLESS_CG" ]; then
	tap_ok "$([ "$(r .verdict)" = cpu_limit ] ||
		awk -v c="$(r .cpu_seconds)" 'BEGIN { exit !(c >= 3) }'; echo $?)" \
		"autoreap: with a CPU cgroup, 4 s of CPU in self-reaped children ends cpu_limit (or is counted)"
else
	# The limit as it stands: the job ends by itself, uncounted, and no
	# process ran past its own RLIMIT_CPU (each 0.1 s, under 2 s).
	tap_is "$(r .verdict) $(tail -1 "$DIR/stdout")" "ok children 40 of 0.1 s CPU each" \
		"documented limit: without a CPU cgroup, CPU of self-reaped children is not counted (enforced.cpu_seconds proc; RLIMIT_CPU per process, wall_seconds per job)"
fi
check_clean autoreap

# --- no way back to a user namespace or a capability (defended) --------------
run_py nons 'import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
def err(r): return os.strerror(ctypes.get_errno()) if r == -1 else "succeeded"
a = struct.pack("QQQQQQQQ", 0x10000000, 0, 0, 0, 17, 0, 0, 0)
r = libc.syscall(435, ctypes.create_string_buffer(a), len(a))
if r == 0:
    os._exit(0)
print("clone3", err(r))
r = libc.syscall(56, 0x10000000 | 0x4000 | 17, 0, 0, 0, 0)
if r == 0:
    os._exit(0)
print("clone-vfork", err(r))
bad = [hex(f) for f in (0x20000, 0x40000000, 0x08000000, 0x04000000, 0x20000000,
                        0x02000000, 0x80, 0x10000000) if libc.unshare(f) == 0]
print("unshare", bad)
fd = os.open("/proc/self/ns/user", os.O_RDONLY)
print("setns", err(libc.setns(fd, 0)))
print("keyctl", err(libc.syscall(250, 0, -3, 0, 0, 0)))
print("add_key", err(libc.syscall(248, b"user", b"k", b"v", 1, -3)))
for f in ("uid_map", "gid_map", "setgroups"):
    try:
        w = os.open("/proc/self/" + f, os.O_WRONLY)
        os.write(w, b"allow\n" if f == "setgroups" else b"0 86000 1\n")
        print(f, "written")
    except OSError as e:
        print(f, "refused")
try:
    os.setuid(0); print("setuid0 succeeded")
except OSError:
    print("setuid0 refused")
try:
    os.mknod("/tmp/null", 0o20666, os.makedev(1, 3)); print("mknod succeeded")
except OSError:
    print("mknod refused")' '{"processes": 8}'
tap_is "$(r .verdict)" ok "nons: the job survives the refusals"
tap_is "$(grep '^clone3 ' "$DIR/stdout")" "clone3 Function not implemented" "nons: clone3 (CLONE_NEWUSER) is ENOSYS"
tap_is "$(grep '^clone-vfork ' "$DIR/stdout")" "clone-vfork Operation not permitted" \
	"nons: clone(CLONE_NEWUSER|CLONE_VFORK) refused"
tap_is "$(grep '^unshare ' "$DIR/stdout")" "unshare []" "nons: unshare of every namespace kind refused"
tap_is "$(grep '^setns ' "$DIR/stdout")" "setns Operation not permitted" "nons: setns refused"
tap_is "$(grep -E '^(keyctl|add_key) ' "$DIR/stdout" | tr '\n' ' ')" \
	"keyctl Operation not permitted add_key Operation not permitted " \
	"nons: the keyrings (the account's, not namespaced) are out of reach"
tap_is "$(grep -E '^(uid_map|gid_map|setgroups) ' "$DIR/stdout" | tr '\n' ' ')" \
	"uid_map refused gid_map refused setgroups refused " "nons: the job cannot write its maps"
tap_is "$(grep -E '^(setuid0|mknod) ' "$DIR/stdout" | tr '\n' ' ')" "setuid0 refused mknod refused " \
	"nons: no uid 0, no device node"
check_clean nons

# --- signals to init, and a job that tries to outlive its verdict -------------
# init is the job's uid in its namespace (the root agent's is root's), so the
# job may signal it: PID 1 ignores every signal it has no handler for.
run_py siginit 'import os, signal, subprocess, time
bad = []
for s in range(1, 65):
    if s in (signal.SIGKILL, signal.SIGSTOP):
        continue
    try:
        os.kill(1, s)
    except OSError as e:
        bad.append((s, e.strerror))
print("sent", bad)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        time.sleep(30)
    os._exit(0)
time.sleep(0.2)
print("daemon left")' '{"processes": 8}'
tap_is "$(r .verdict) $(r .exit_code)" "ok 0" "siginit: every signal to init changes nothing; the verdict is the job's"
tap_is "$(tail -1 "$DIR/stdout")" "daemon left" "siginit: the job ran to its end"
check_clean "siginit (a daemon does not outlive the job)"

# --- /out entries that are not plain files (defended) -------------------------
run_py outodd 'import os, socket
os.chdir("/out")
os.symlink("/etc/passwd", "abs")
os.symlink("../../../../../../..", "rel")
os.mkfifo("fifo")
socket.socket(socket.AF_UNIX).bind("/out/sock")
open("plain", "w").write("plain\n")
os.link("plain", "hard")
os.makedirs("d0/inner")
open("d0/inner/f", "w").write("hidden\n")
os.chmod("d0/inner/f", 0); os.chmod("d0/inner", 0); os.chmod("d0", 0)
os.mkdir("wx"); open("wx/f", "w").write("wx\n"); os.chmod("wx", 0o300)
os.chmod("plain", 0o6777)
print("made")'
tap_is "$(r .verdict)" ok "outodd: the job ran"
tap_is "$(cd "$DIR/out" && find . -mindepth 1 \( -type l -o -type p -o -type s \) | wc -l)" 0 \
	"outodd: no link, FIFO or socket is copied"
tap_is "$(cat "$DIR/out/d0/inner/f" "$DIR/out/wx/f" 2>&1 | tr '\n' ' ')" "hidden wx " \
	"outodd: files under directories the job closed are copied"
tap_is "$(stat -c %a "$DIR/out/plain")" 644 "outodd: no set-id or write bit reaches the host copy"
tap_is "$(stat -c %U "$DIR/out/plain")" "$ROOTLESS_USER" "outodd: the copies are the account's"
check_clean outodd

# --- two jobs at once: no channel through the account's namespaces ------------
# B listens on an abstract unix socket and takes an exclusive flock on the
# runtime's binary (a file every job shares, read-only); A, started while B
# holds both, tries to connect and to take the same lock.  Both are
# defended: a network namespace each, and each job's binds are an overlay of
# its own (another inode, so another lock).
B=$(job_py chan-b 'import fcntl, os, socket, time
s = socket.socket(socket.AF_UNIX)
s.bind("\0sluice-atk-86000")
s.listen(1)
f = open("/usr/bin/python3", "rb")
fcntl.flock(f, fcntl.LOCK_EX)
print("holding", flush=True)
s.settimeout(4)
try:
    c, _ = s.accept(); print("accepted")
except OSError:
    print("nobody came")' '{"wall_seconds": 20}')
agent run "$B" >/dev/null &
pb=$!
for i in $(seq 100); do grep -qs '^holding' "$B/stdout" && break; sleep 0.05; done
run_py chan-a 'import fcntl, socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("\0sluice-atk-86000"); print("connect ok")
except OSError as e:
    print("connect", e.strerror)
f = open("/usr/bin/python3", "rb")
try:
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB); print("lock free")
except OSError as e:
    print("lock held elsewhere")'
wait "$pb"
tap_is "$(grep '^connect' "$DIR/stdout")" "connect Connection refused" \
	"two jobs: A cannot reach B's abstract socket (a network namespace each)"
tap_is "$(cat "$B/stdout" | tail -1)" "nobody came" "two jobs: B saw no connection"
tap_is "$(grep '^lock' "$DIR/stdout")" "lock free" "two jobs: B's flock on the runtime's binary is not A's (an overlay each)"
check_clean "two jobs"

# --- a fork bomb leaves the account able to fork -----------------------------
B=$(job_py bomb 'import os, time
n = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(6); os._exit(0)
        n += 1
except OSError:
    pass
print("forked", n, flush=True)
time.sleep(3)' '{"processes": 128, "wall_seconds": 20}')
agent run "$B" >/dev/null &
pb=$!
for i in $(seq 100); do grep -qs '^forked' "$B/stdout" && break; sleep 0.05; done
tap_is "$(as_rootless sh -c 'for i in 1 2 3 4 5 6 7 8; do /bin/true & done; wait; echo forked')" forked \
	"bomb: the account forks while a job of its own is at its processes limit"
wait "$pb"
tap_like "$(cat "$B/stdout")" '^forked 12[0-9]' "bomb: the job's own limit held"
check_clean bomb

# --- init and the supervisor: out of the job's reach (defended) ---------------
# init is the job's uid in the job's namespace; not dumpable, its /proc entry
# and descriptors stay closed, and pidfd_getfd needs the right to trace it.
run_py initreach 'import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print("fds", sorted(int(f) for f in os.listdir("/proc/self/fd") if int(f) > 2))
got = []
for p in ("/proc/1/root/", "/proc/1/environ", "/proc/1/mem", "/proc/1/fd/", "/proc/1/cwd/",
          "/proc/1/ns/user", "/proc/1/status"):
    try:
        if p.endswith("/"):
            os.listdir(p)
        else:
            os.close(os.open(p, os.O_RDONLY))
        got.append(p)
    except OSError:
        pass
print("opened", got)
pfd = libc.syscall(434, 1, 0)
r = [libc.syscall(438, pfd, n, 0) for n in range(3, 12)] if pfd >= 0 else []
print("getfd", [x for x in r if x >= 0])' '{"processes": 4}'
tap_is "$(grep '^fds ' "$DIR/stdout")" "fds [3]" "initreach: the job holds no descriptor but 0-2 (3: its listing)"
tap_is "$(grep '^opened ' "$DIR/stdout")" "opened []" "initreach: nothing of init's /proc entry opens"
tap_is "$(grep '^getfd ' "$DIR/stdout")" "getfd []" "initreach: pidfd_getfd takes none of init's descriptors"
check_clean initreach

# --- the account boundary: another account must not be able to write the policy
chmod 0775 "$BASE"
out=$(agent info 2>&1)
tap_like "$out" 'writable by its group' "boundary: a group-writable base_dir is refused"
chmod 0755 "$BASE"
chmod 0777 "$BASE/jobs"
D=$(job_py bnd 'print("ran")')
out=$(agent run "$D" 2>&1)
tap_like "$out" 'writable by others' "boundary: a world-writable (not sticky) jobs directory is refused"
tap_ok "$([ ! -e "$D/events" ]; echo $?)" "boundary: nothing started"
chmod 0755 "$BASE/jobs"
# A directory above the config that another account owns.
mkdir -p "$T/other"
chown nobody "$T/other"
cp "$CONF" "$T/other/agent.conf"
chown "$ROOTLESS_USER" "$T/other/agent.conf"
out=$(as_rootless "$AGENT_BIN" --config "$T/other/agent.conf" info 2>&1)
tap_like "$out" "owned by uid $(id -u nobody)" "boundary: a config under another account's directory is refused"
# An agent installed set-group-id (to a group that reads what the account may
# not) would act for its caller with that group: it is refused up front
# (trust_on_behalf() compares the gids too), and nothing starts.
if getent group shadow >/dev/null; then
	cp "$AGENT_BIN" "$T/agent-sgid"
	chown root:shadow "$T/agent-sgid" && chmod 2755 "$T/agent-sgid"
	D=$(job_py sgid 'import os
print("gid_map", " ".join(open("/proc/self/gid_map").read().split()))')
	rootless_own_jobs
	out=$(as_rootless "$T/agent-sgid" --config "$CONF" run "$D" 2>&1)
	tap_like "$out" "gid $(getent group shadow | cut -d: -f3) for uid $ROOTLESS_UID .*never set-user-id or set-group-id" \
		"boundary: a set-group-id agent is refused, saying why"
	tap_ok "$([ ! -e "$D/events" ] && [ ! -e "$D/stdout" ]; echo $?)" \
		"boundary: the set-group-id agent started nothing"
else
	tap_skip "boundary: a set-group-id agent is refused, saying why" "no group shadow"
	tap_skip "boundary: the set-group-id agent started nothing" "no group shadow"
fi
tap_done
