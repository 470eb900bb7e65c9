#!/bin/bash
# Hostile: the disk and read-only paths.  Filling /tmp, /job, /out and
# /dev/shm stops with ENOSPC or EFBIG inside the job (which carries on and
# exits 0); the four share one disk_bytes budget; inodes are bounded too;
# nothing is left on the host.  Writes to the runtime's directories, /etc,
# the root and /dev fail.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71500

MARK="sluice-t0150-$$"
# Host places a job's writes must never reach.
rm -f "/tmp/$MARK" "/dev/shm/$MARK"

run_py fill 'import os, errno
MARK = "'"$MARK"'"
def fill(path, keep=False):
    n = 0
    try:
        with open(path, "wb") as f:
            while True:
                f.write(b"x" * 65536)
                f.flush()
                n += 65536
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno)), n
    finally:
        if not keep:
            try:
                os.unlink(path)
            except OSError:
                pass
for d in ("/tmp", "/job", "/out", "/dev/shm"):
    print(d, *fill(d + "/" + MARK), flush=True)
# Shared budget: 3 MiB in /tmp leaves /out at most 1 MiB.
with open("/tmp/" + MARK, "wb") as f:
    f.write(b"y" * (3 * 1024 * 1024))
print("shared", *fill("/out/" + MARK), flush=True)
os.unlink("/tmp/" + MARK)
# Inodes.
n = 0
try:
    os.mkdir("/tmp/many")
    while True:
        open("/tmp/many/%d" % n, "w").close()
        n += 1
except OSError as e:
    print("inodes", errno.errorcode.get(e.errno, str(e.errno)), n, flush=True)
print("done")' '{"disk_bytes": 4194304, "wall_seconds": 20}'
tap_is "$RC" 0 "fill: run exits 0"
tap_is "$(r .verdict)" ok "fill: the job handled the errors and exited 0"
for d in /tmp /job /out /dev/shm; do
	line=$(grep "^$d " "$DIR/stdout")
	read -r _ err bytes <<<"$line"
	tap_like "$err" '^(ENOSPC|EFBIG)$' "fill $d: stopped with ENOSPC or EFBIG"
	tap_cmp "${bytes:-99999999}" '<=' 4194304 "fill $d: no more than disk_bytes written"
	tap_cmp "${bytes:-0}" '>=' 2097152 "fill $d: but the space was usable (at least 2 MiB)"
done
read -r _ err bytes < <(grep '^shared ' "$DIR/stdout")
tap_like "$err" '^(ENOSPC|EFBIG)$' "shared budget: /out full once /tmp holds 3 MiB"
tap_cmp "${bytes:-99999999}" '<=' 1048576 "shared budget: /out took at most the remaining 1 MiB"
read -r _ err n < <(grep '^inodes ' "$DIR/stdout")
tap_is "$err" ENOSPC "inodes: creating empty files ends with ENOSPC"
tap_cmp "${n:-99999999}" '<=' 1048576 "inodes: bounded number of files"
tap_is "$(tail -1 "$DIR/stdout")" "done" "fill: the job ran to its end"
tap_ok "$([ ! -e "/tmp/$MARK" ] && [ ! -e "/dev/shm/$MARK" ]; echo $?)" \
	"fill: nothing written to the host's /tmp or /dev/shm"
tap_is "$(findmnt -rn -o TARGET | grep -c "^$BASE")" 0 "fill: no mount of the job left on the host"
tap_is "$(r '[.out_files[].bytes] | add // 0')" 0 "fill: /out came back empty (the job removed its files)"
check_clean fill

# A single file bigger than the disk: EFBIG or ENOSPC, never more.
run_py bigfile 'import os, errno
try:
    with open("/tmp/big", "wb") as f:
        f.write(b"z" * (6 * 1024 * 1024))
    print("wrote it all")
except OSError as e:
    print(errno.errorcode[e.errno])
print(os.path.getsize("/tmp/big") <= 4194304)' '{"disk_bytes": 4194304}'
tap_is "$(r .verdict)" ok "6 MiB file on a 4 MiB disk: the job goes on, exits 0"
tap_like "$(head -1 "$DIR/stdout")" '^(ENOSPC|EFBIG)$' "6 MiB file on a 4 MiB disk: the write fails"
tap_is "$(tail -1 "$DIR/stdout")" True "6 MiB file on a 4 MiB disk: the file stays within disk_bytes"
check_clean bigfile

# A submission is measured as the job's tmpfs will store it, in whole
# pages: 1,100 files of one byte each take 1,100 pages (4.3 MiB with 4 KiB
# pages), more than a 4 MiB disk, though their sizes add up to 1,100 bytes.
# They are refused before anything runs (before, the copy ran out of room:
# a sandbox error).  900 such files fit, and run.
page=$(getconf PAGESIZE)
many_files() {
	DIR=$(job_py "$1" 'import os; print(len(os.listdir("/job/many")))' '{"disk_bytes": 4194304}')
	mkdir "$DIR/files/many"
	(cd "$DIR/files/many" && for ((i = 0; i < $2; i++)); do printf x >"$i"; done)
	run_job "$DIR"
}
if [ "$page" = 4096 ]; then
	many_files manysmall 1100
	tap_is "$RC" 2 "1,100 one-byte files on a 4 MiB disk: refused (exit 2)"
	tap_like "$EVENTS" "larger than the job's disk .*whole pages of 4096 bytes" \
		"1,100 one-byte files: the refusal says they take whole pages"
	tap_is "$(ls "$DIR" | grep -c '^result.json$')" 0 "1,100 one-byte files: nothing ran"
	many_files fewsmall 900
	tap_is "$RC,$(r .verdict)" "0,ok" "900 one-byte files on a 4 MiB disk: they fit, the job runs"
	tap_is "$(cat "$DIR/stdout")" 900 "900 one-byte files: the job sees them all"
	check_clean fewsmall
else
	tap_skip "1,100 one-byte files on a 4 MiB disk" "pages of $page bytes, not 4096"
	tap_skip "1,100 one-byte files: the refusal" "pages of $page bytes, not 4096"
	tap_skip "1,100 one-byte files: nothing ran" "pages of $page bytes, not 4096"
	tap_skip "900 one-byte files: they fit" "pages of $page bytes, not 4096"
	tap_skip "900 one-byte files: the job sees them all" "pages of $page bytes, not 4096"
	tap_skip "fewsmall: no process of a slot uid is left" "pages of $page bytes, not 4096"
	tap_skip "fewsmall: no cgroup of a slot is left" "pages of $page bytes, not 4096"
fi

# Read-only places.
run_py readonly 'import os, errno
for p in ("/usr/bin/x", "/usr/lib/x", "/bin/x", "/lib/x", "/etc/x", "/x", "/dev/x",
          "/proc/x", "/etc/python3.11/x"):
    try:
        open(p, "w").write("x")
        print(p, "WRITTEN")
    except OSError as e:
        print(p, errno.errorcode.get(e.errno, e.errno))
for p in ("/newdir", "/usr/newdir", "/dev/newdir"):
    try:
        os.mkdir(p)
        print(p, "WRITTEN")
    except OSError as e:
        print(p, errno.errorcode.get(e.errno, e.errno))
try:
    open("/usr/bin/python3", "r+b")
    print("/usr/bin/python3", "WRITTEN")
except OSError as e:
    print("/usr/bin/python3", errno.errorcode.get(e.errno, e.errno))
for p in ("/job", "/out", "/tmp"):
    try:
        os.chmod(p, 0o777)
        print(p, "chmod ok")
    except OSError as e:
        print(p, "chmod", errno.errorcode.get(e.errno, e.errno))
try:
    os.symlink("/etc/passwd", "/dev/stdout2")
    print("/dev/stdout2 WRITTEN")
except OSError as e:
    print("/dev/stdout2", errno.errorcode.get(e.errno, e.errno))
open("/dev/null", "w").write("fine")
print("devnull ok")'
tap_is "$(r .verdict)" ok "read-only: verdict ok"
tap_is "$(grep -c WRITTEN "$DIR/stdout")" 0 "read-only: no write to a read-only place succeeded"
for p in /usr/bin/x /usr/lib/x /bin/x /lib/x /etc/x /x /dev/x /etc/python3.11/x \
	/newdir /usr/newdir /dev/newdir /usr/bin/python3 /dev/stdout2; do
	tap_like "$(grep "^$p " "$DIR/stdout")" "^$p (EROFS|EACCES|EPERM)\$" "read-only: $p refused with EROFS/EACCES"
done
tap_like "$(grep '^/proc/x ' "$DIR/stdout")" '^/proc/x (EROFS|EACCES|EPERM|ENOENT)$' "read-only: /proc/x refused"
tap_like "$(cat "$DIR/stdout")" 'devnull ok' "read-only: /dev/null stays writable"
tap_ok "$([ ! -e /usr/bin/x ] && [ ! -e /etc/x ] && [ ! -e /x ]; echo $?)" "read-only: nothing appeared on the host"
check_clean readonly

tap_done
