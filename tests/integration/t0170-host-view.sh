#!/bin/bash
# Hostile: what the job can see of the host.  Secrets in /root, /etc/shadow,
# ssh keys, the test's own files; /proc shows only the job's processes and
# /proc/sys is read-only; there is no /sys and no cgroup file; a descriptor
# or an environment variable of the agent's caller does not leak in, and the
# job's environment is exactly the manifest's plus PATH, HOME and LANG.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71700

CANARY="sluice-canary-t0170-$$"
made_ssh=0
[ -d /root/.ssh ] || { mkdir -m 700 /root/.ssh && made_ssh=1; }
echo "root canary $CANARY" >"/root/$CANARY"
chmod 644 "/root/$CANARY"    # readable by anyone on the host: only the sandbox hides it
echo "ssh canary $CANARY" >"/root/.ssh/$CANARY"
echo "etc canary $CANARY" >"/etc/$CANARY"
chmod 644 "/etc/$CANARY"
echo "tmp canary $CANARY" >"$T/$CANARY"
chmod 644 "$T/$CANARY"
cleanup_canaries() {
	rm -f "/root/$CANARY" "/root/.ssh/$CANARY" "/etc/$CANARY"
	[ "$made_ssh" = 1 ] && rmdir /root/.ssh 2>/dev/null
}
trap 'cleanup_canaries; agent_teardown' EXIT

# --- secrets -----------------------------------------------------------------
hostkey=$(ls /etc/ssh/ssh_host_*_key 2>/dev/null | head -1)
run_py secrets 'import os, glob, hashlib
def probe(p):
    try:
        with open(p, "rb") as f:
            d = f.read()
        print(p, "READ", hashlib.sha256(d).hexdigest())
    except OSError as e:
        print(p, "FAIL", e.errno)
for p in ["/root/'"$CANARY"'", "/root/.ssh/'"$CANARY"'", "/etc/'"$CANARY"'",
          "'"$T/$CANARY"'", "/etc/shadow", "/etc/gshadow", "/etc/passwd",
          "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key",
          "'"${hostkey:-/etc/ssh/none}"'", "/proc/1/environ", "/proc/1/root/etc/shadow",
          "/proc/1/cmdline"]:
    probe(p)
print("glob", sorted(glob.glob("/root/*") + glob.glob("/etc/ssh/*") + glob.glob("/home/*")))
print("exists-root", os.path.exists("/root"))
print("end")'
tap_is "$(r .verdict)" ok "secrets: verdict ok"
tap_is "$(tail -1 "$DIR/stdout")" end "secrets: the job ran to its end"
for p in "/root/$CANARY" "/root/.ssh/$CANARY" "/etc/$CANARY" "$T/$CANARY" /etc/shadow /etc/gshadow \
	/etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_rsa_key "${hostkey:-/etc/ssh/none}" \
	/proc/1/environ /proc/1/root/etc/shadow /proc/1/cmdline; do
	tap_like "$(grep -F "$p " "$DIR/stdout" | head -1)" ' FAIL ' "secrets: $p not readable"
done
host_passwd=$(sha256sum /etc/passwd | awk '{print $1}')
tap_unlike_passwd=$(grep -F "/etc/passwd READ $host_passwd" "$DIR/stdout" | wc -l)
tap_is "$tap_unlike_passwd" 0 "secrets: the host's /etc/passwd is not readable"
tap_is "$(grep '^glob ' "$DIR/stdout")" "glob []" "secrets: nothing under /root, /etc/ssh or /home is listed"
leaked=0
for f in "/root/$CANARY" "/root/.ssh/$CANARY" "/etc/$CANARY" "$T/$CANARY" /etc/shadow ${hostkey:+"$hostkey"}; do
	grep -q "$(sha256sum "$f" | awk '{print $1}')" "$DIR/stdout" && leaked=$((leaked + 1))
done
tap_is "$leaked" 0 "secrets: no secret's content (by hash) reached the job"
check_clean secrets

# --- /proc, /sys, cgroups, hostname, /dev ------------------------------------
run_py procview 'import os, errno
pids = sorted(int(d) for d in os.listdir("/proc") if d.isdigit())
print("pids", pids)
print("mypid", os.getpid())
print("ppid", os.getppid())
print("see1", os.path.exists("/proc/1"))
print("see-host-test", os.path.exists("/proc/'"$$"'"))
def write(p, data):
    try:
        with open(p, "w") as f:
            f.write(data)
        print("write", p, "OK")
    except OSError as e:
        print("write", p, "FAIL", errno.errorcode.get(e.errno, e.errno))
for p in ("/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches",
          "/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger"):
    write(p, "1\n")
print("sys", os.path.exists("/sys"), os.path.exists("/sys/fs/cgroup"))
for p in ("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
          "/sys/fs/cgroup/cgroup.procs", "/sys/kernel/notes"):
    write(p, "max\n")
for line in open("/proc/self/cgroup"):
    print("cgroup", line.strip())
print("hostname", os.uname().nodename)
print("dev", sorted(os.listdir("/dev")))
print("end")'
tap_is "$(r .verdict)" ok "/proc: verdict ok"
tap_is "$(tail -1 "$DIR/stdout")" end "/proc: the job ran to its end"
mypid=$(grep '^mypid ' "$DIR/stdout" | awk '{print $2}')
tap_cmp "${mypid:-99999}" '<' 10 "/proc: the job's own pid is small (own PID namespace)"
tap_is "$(grep '^pids ' "$DIR/stdout")" "pids [$mypid]" "/proc: the job sees only its own process"
tap_is "$(grep '^see1 ' "$DIR/stdout")" "see1 False" "/proc: pid 1 is hidden (hidepid)"
tap_is "$(grep '^see-host-test ' "$DIR/stdout")" "see-host-test False" "/proc: the test's own host pid is not visible"
tap_is "$(grep -c '^write .* OK' "$DIR/stdout")" 0 "/proc: no write to /proc/sys, sysrq-trigger or /sys succeeded"
for p in /proc/sys/kernel/hostname /proc/sys/vm/drop_caches /proc/sys/kernel/core_pattern; do
	tap_like "$(grep "^write $p " "$DIR/stdout")" 'FAIL (EROFS|EACCES|EPERM)$' "/proc: $p is read-only"
done
tap_is "$(grep '^sys ' "$DIR/stdout")" "sys False False" "/sys: no /sys at all"
tap_like "$(grep '^cgroup ' "$DIR/stdout" | head -1)" '^cgroup ' "cgroup: /proc/self/cgroup is readable"
tap_is "$(grep '^cgroup ' "$DIR/stdout" | grep -vc ':/$')" 0 "cgroup: every /proc/self/cgroup path is the namespace root (0::/ style)"
tap_is "$(grep -c 'sluice\|uid7' <(grep '^cgroup ' "$DIR/stdout"))" 0 "cgroup: no host cgroup path is disclosed"
tap_is "$(grep '^hostname ' "$DIR/stdout")" "hostname sluice" "uts: the job has its own hostname"
tap_isnt "$(hostname)" sluice "uts: the host's hostname is unchanged"
devs=$(grep '^dev ' "$DIR/stdout")
for d in kvm vda sda mem kmsg tty console vsock userfaultfd net; do
	tap_unlike=$(printf '%s' "$devs" | grep -c "'$d'")
	tap_is "$tap_unlike" 0 "/dev: no /dev/$d"
done
tap_like "$devs" "'null'.*'urandom'" "/dev: null and urandom are there"
check_clean procview

# --- an inherited descriptor -------------------------------------------------
echo "fd secret $CANARY" >"$T/fdsecret"
chmod 600 "$T/fdsecret"
DIR=$(job_py fds 'import os
fds = os.listdir("/proc/self/fd")
print("fds", sorted(int(f) for f in fds))
for fd in range(3, 64):
    try:
        os.fstat(fd)
        print("open", fd)
    except OSError:
        pass
for fd in (7, 8, 9):
    try:
        print("read", fd, os.read(fd, 100))
    except OSError as e:
        print("read", fd, "FAIL", e.errno)')
exec 7<"$T/fdsecret"
EVENTS=$(agent run "$DIR" 8<"$T/fdsecret" 9>>"$T/fdsecret")
RC=$?
exec 7<&-
RESULT=$(cat "$DIR/result.json" 2>/dev/null || echo '{}')
tap_is "$RC" 0 "inherited fds: run exits 0"
tap_is "$(r .verdict)" ok "inherited fds: verdict ok"
# listdir holds one descriptor of its own while it reads (the 4th entry).
tap_like "$(grep '^fds ' "$DIR/stdout")" '^fds \[0, 1, 2(, [0-9]+)?\]$' "inherited fds: only 0, 1, 2 (and listdir's own) exist"
tap_is "$(grep -c '^open ' "$DIR/stdout")" 0 "inherited fds: fstat finds nothing above 2"
tap_is "$(grep -c "$CANARY" "$DIR/stdout")" 0 "inherited fds: the secret behind fd 7/8 was not read"
tap_is "$(grep -c '^read [789] FAIL 9$' "$DIR/stdout")" 3 "inherited fds: fds 7, 8, 9 are EBADF"
tap_is "$(wc -l <"$T/fdsecret")" 1 "inherited fds: nothing was written through fd 9"
check_clean "inherited fds"

# --- the agent's environment -------------------------------------------------
DIR=$(job_py env 'import os, json
print(json.dumps(dict(os.environ), sort_keys=True))
print(open("/proc/self/environ", "rb").read().count(b"xyz-secret"))' '{}' '{"env": {"FOO": "bar"}}')
EVENTS=$(SECRET=xyz-secret SLUICE_TOKEN=xyz-secret agent run "$DIR")
RESULT=$(cat "$DIR/result.json" 2>/dev/null || echo '{}')
tap_is "$(r .verdict)" ok "environment: verdict ok"
tap_is "$(head -1 "$DIR/stdout" | jq -c 'keys')" '["FOO","HOME","LANG","PATH"]' \
	"environment: exactly the manifest's FOO plus PATH, HOME, LANG"
tap_is "$(head -1 "$DIR/stdout" | jq -r .FOO)" bar "environment: FOO=bar from the manifest"
tap_is "$(grep -c xyz-secret "$DIR/stdout")" 0 "environment: the caller's SECRET is not visible"
tap_is "$(sed -n 2p "$DIR/stdout")" 0 "environment: not in /proc/self/environ either"
check_clean environment

# Without a manifest env: exactly PATH, HOME and LANG.
DIR=$(job_py env2 'import os, json; print(json.dumps(sorted(os.environ)))')
EVENTS=$(SECRET=xyz-secret agent run "$DIR")
tap_is "$(cat "$DIR/stdout")" '["HOME", "LANG", "PATH"]' "environment: no manifest env means PATH, HOME, LANG only"
# The manifest may override the base variables.
DIR=$(job_py env3 'import os; print(os.environ["LANG"], os.environ["HOME"])' '{}' '{"env": {"LANG": "C", "HOME": "/job"}}')
EVENTS=$(agent run "$DIR")
tap_is "$(cat "$DIR/stdout")" "C /job" "environment: the manifest's LANG and HOME win"
check_clean "environment 2"

# --- /proc paths that describe the host: masked (empty or an empty dir) ----
MASKED="kcore kallsyms config.gz modules keys key-users timer_list timer_stats
sched_debug latency_stats iomem ioports vmallocinfo slabinfo pagetypeinfo
buddyinfo zoneinfo kpagecount kpageflags kpagecgroup locks cmdline partitions
diskstats swaps interrupts softirqs mtrr consoles devices misc acpi asound scsi
driver fs tty"
run_py procmask 'import os
for name in """'"$MASKED"'""".split():
    p = "/proc/" + name
    try:
        if os.path.isdir(p):
            print(name, "dir", len(os.listdir(p)))
        else:
            print(name, "file", len(open(p, "rb").read(65536)))
    except OSError as e:
        print(name, "refused", e.errno)
print("meminfo", len(open("/proc/meminfo").read()) > 0)
print("end")'
tap_is "$(tail -1 "$DIR/stdout")" end "masked /proc: the probe ran to its end"
for name in $MASKED; do
	host=present
	[ -e "/proc/$name" ] || host=absent
	got=$(grep "^$name " "$DIR/stdout")
	if [ "$host" = absent ]; then
		tap_like "$got" "^$name (refused|file 0|dir 0)" "masked /proc: $name (absent on this host) shows nothing"
	else
		tap_like "$got" "^$name (file 0|dir 0|refused [0-9]+)$" "masked /proc: $name shows nothing of the host"
	fi
done
tap_is "$(grep '^meminfo ' "$DIR/stdout")" "meminfo True" "masked /proc: what programs need (meminfo) is still there"
check_clean "masked /proc"

# --- mountinfo names no host device --------------------------------------
run_py mountinfo 'print(open("/proc/self/mountinfo").read(), end="")
print(open("/proc/self/mounts").read(), end="")'
tap_is "$(r .verdict)" ok "mountinfo: the job reads its mountinfo"
tap_like "$(cat "$DIR/stdout")" " /usr " "mountinfo: the runtime's /usr is listed (positive control)"
devs=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { print $(i + 2); break } }' /proc/self/mountinfo |
	grep '^/dev/' | sort -u)
if [ -z "$devs" ]; then
	tap_ok 0 "mountinfo: no host device name # SKIP no filesystem here is mounted from a /dev device"
else
	leaked=""
	for d in $devs; do
		grep -qF -- "$d" "$DIR/stdout" && leaked="$leaked $d"
	done
	tap_is "$leaked" "" "mountinfo: none of the host's devices ($(echo $devs)) is named"
fi
check_clean "mountinfo"

# --- the host's device nodes cannot carry a signal between jobs ----------
# (/dev/null is the host's own node, bound read-only: still written and
# read, but its times, which every job sees, cannot be changed)
run_py devtimes 'import os
f = open("/dev/null", "wb", buffering=0)
print("write", f.write(b"x"))
for p in ("/dev/null", "/dev/zero", "/dev/full"):
    try:
        os.utime(p)
        print(p, "changed")
    except OSError as e:
        print(p, e.errno)'
tap_is "$(r .verdict)" ok "devices: the job ran"
tap_is "$(head -1 "$DIR/stdout")" "write 1" "devices: /dev/null is still written (control)"
tap_is "$(tail -n +2 "$DIR/stdout" | tr '\n' ' ')" "/dev/null 30 /dev/zero 30 /dev/full 30 " "devices: no device node's times can be changed (EROFS)"

# --- stdin: a sealed copy, not the job directory's file -----------------
# readlink of descriptor 0 named the host path of the job directory; the
# job now reads a sealed in-memory copy (t0199 has the rootless case).
DIR=$(job_py stdin 'import os
print("fd0", os.readlink("/proc/self/fd/0"))
try:
    fd = os.open("/proc/self/fd/0", os.O_RDWR)
    os.write(fd, b"OVERWRITTEN\n")
    print("reopen-rw ok")
except OSError as e:
    print("reopen-rw", e.strerror)
try:
    os.fchmod(0, 0o6777); print("fchmod ok")
except OSError as e:
    print("fchmod", e.strerror)
print("read", repr(os.read(0, 64)))')
printf 'the input\n' >"$DIR/stdin"
chmod 644 "$DIR/stdin"
run_job "$DIR"
tap_is "$(r .verdict)" ok "stdin: the job ran"
tap_is "$(grep -c -F "$BASE" "$DIR/stdout")" 0 "stdin: /proc/self/fd/0 does not show the job directory's host path"
tap_is "$(grep '^fd0 ' "$DIR/stdout")" "fd0 /memfd:stdin (deleted)" "stdin: descriptor 0 is the sealed copy"
tap_like "$(grep '^reopen-rw ' "$DIR/stdout")" "^reopen-rw (Operation not permitted|Permission denied)$" "stdin: the copy cannot be written"
tap_is "$(cat "$DIR/stdin") $(stat -c '%a %s' "$DIR/stdin")" "the input 644 10" "stdin: the host file is unchanged, its mode too"
tap_is "$(grep '^read ' "$DIR/stdout")" "read b'the input\\n'" "stdin: the job reads it"
check_clean stdin

tap_done
