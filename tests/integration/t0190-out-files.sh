#!/bin/bash
# Hostile: what comes back through /out.  Symbolic links (to /etc/passwd, to
# a host file, to a directory), a FIFO and a socket are not copied and do not
# block the agent; files in subdirectories and files with hostile names come
# back as regular files with sanitised names; 20000 files are capped at the
# node's out_files_max (1000); the job's verdict is unaffected.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71900

echo "host secret behind a symlink" >"$T/hostsecret"
chmod 644 "$T/hostsecret"

t0=$(date +%s.%N)
run_py hostile 'import os, socket
os.symlink("/etc/passwd", "/out/passwd-link")
os.symlink("'"$T/hostsecret"'", "/out/host-link")
os.symlink("/etc", "/out/etc-link")
os.symlink("loop", "/out/loop")
os.mkfifo("/out/fifo")
s = socket.socket(socket.AF_UNIX); s.bind("/out/sock")
os.makedirs("/out/sub/deeper")
open("/out/sub/inner.txt", "w").write("content:inner")
open("/out/sub/deeper/deep.txt", "w").write("content:deep")
open("/out/plain.txt", "w").write("content:plain")
names = {"new\nline.txt": "newline", "with space.txt": "space", "\u00fcn\u00efc\u00f6d\u00e9-\u2713.txt": "unicode",
         "\x1b[31mred": "escape", "tab\there": "tab", "-rf": "dash", ".hidden": "hidden"}
for n, c in names.items():
    open("/out/" + n, "w").write("content:" + c)
os.link("/out/plain.txt", "/out/hardlink.txt")
print("staged")' '{"wall_seconds": 10}'
t1=$(date +%s.%N)
tap_is "$RC" 0 "hostile /out: run exits 0"
tap_is "$(r .verdict)" ok "hostile /out: verdict ok (unaffected)"
tap_is "$(cat "$DIR/stdout")" staged "hostile /out: the job staged everything"
tap_cmp "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '<' 5 "hostile /out: the FIFO did not block the agent"
tap_ok "$([ -d "$DIR/out" ]; echo $?)" "hostile /out: JOBDIR/out exists"
tap_is "$(find "$DIR/out" -type l | wc -l)" 0 "hostile /out: no symbolic link in JOBDIR/out"
tap_is "$(find "$DIR/out" ! -type f ! -type d | wc -l)" 0 "hostile /out: only regular files and directories in JOBDIR/out"
tap_is "$(grep -rl '^root:' "$DIR/out" | wc -l)" 0 "hostile /out: nothing copied from /etc/passwd"
tap_is "$(grep -rl 'host secret' "$DIR/out" | wc -l)" 0 "hostile /out: nothing copied from the host file behind a link"
tap_is "$(find "$DIR/out" -name '*passwd*' -o -name '*shadow*' | wc -l)" 0 "hostile /out: no passwd-like entry at all"
tap_is "$(cat "$DIR/out/sub/inner.txt" 2>/dev/null)" "content:inner" "hostile /out: a file in a subdirectory comes back"
tap_is "$(cat "$DIR/out/sub/deeper/deep.txt" 2>/dev/null)" "content:deep" "hostile /out: a file two levels down comes back"
tap_is "$(r '[.out_files[].name] | map(select(. == "sub/inner.txt")) | length')" 1 "hostile /out: out_files lists sub/inner.txt"
tap_is "$(r '[.out_files[] | select(.name == "sub/inner.txt") | .bytes][0]')" 13 "hostile /out: with its size"
# Every hostile name came back, by content.
got=$(grep -rho 'content:[a-z]*' "$DIR/out" 2>/dev/null | sort | tr '\n' ' ')
tap_is "$got" "content:dash content:deep content:escape content:hidden content:inner content:newline content:plain content:plain content:space content:tab content:unicode " \
	"hostile /out: every regular file came back (hostile names and the hard link included)"
tap_is "$(r '[.out_files[].name | select(test("[\u0000-\u001f\u007f]"))] | length')" 0 "hostile /out: no control character in any out_files name"
tap_is "$(find "$DIR/out" -name "*[[:cntrl:]]*" | wc -l)" 0 "hostile /out: no control character in any name on disk"
tap_is "$(r '[.out_files[].name | select(startswith("/") or test("(^|/)\\.\\.(/|$)"))] | length')" 0 "hostile /out: no absolute or .. names"
# out_files and the directory agree.
mismatch=0
while IFS=$'\t' read -r name bytes; do
	[ -f "$DIR/out/$name" ] && [ "$(stat -c %s "$DIR/out/$name")" = "$bytes" ] || mismatch=$((mismatch + 1))
done < <(r '.out_files[] | [.name, .bytes] | @tsv')
tap_is "$mismatch" 0 "hostile /out: every out_files entry is a file of that size in JOBDIR/out"
tap_is "$(r '.out_files | length')" "$(find "$DIR/out" -type f | wc -l)" "hostile /out: out_files counts the files copied"
tap_is "$(r .out_files_truncated)" true "hostile /out: skipped entries (links, FIFO, socket) mark out_files_truncated"
tap_is "$(cat "$T/hostsecret")" "host secret behind a symlink" "hostile /out: the host file is untouched"
check_clean "hostile /out"

# 20000 files: capped.
t0=$(date +%s.%N)
run_py many 'import os
os.mkdir("/out/many")
for i in range(20000):
    open("/out/many/f%05d" % i, "w").write("%d" % i)
for i in range(100):
    open("/out/top%03d" % i, "w").write("top")
print("made", len(os.listdir("/out/many")))' '{"wall_seconds": 30}'
t1=$(date +%s.%N)
tap_is "$(r .verdict)" ok "20000 files: verdict ok"
tap_is "$(cat "$DIR/stdout")" "made 20000" "20000 files: the job made them all"
tap_cmp "$(r '.out_files | length')" '<=' 1000 "20000 files: out_files has at most 1000 entries"
tap_cmp "$(r '.out_files | length')" '>=' 1 "20000 files: but files did come back"
tap_is "$(r .out_files_truncated)" true "20000 files: out_files_truncated true"
tap_cmp "$(find "$DIR/out" -type f | wc -l)" '<=' 1000 "20000 files: at most 1000 files in JOBDIR/out"
tap_cmp "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '<' 20 "20000 files: the run returned in reasonable time"
check_clean "20000 files"

# The cap's edge: exactly 1000 files all come back; 1001 do not.
run_py cap1000 'for i in range(1000): open("/out/f%04d" % i, "w").write("x")'
tap_is "$(r '.out_files | length') $(r .out_files_truncated)" "1000 false" "1000 files: all copied, not truncated"
run_py cap1001 'for i in range(1001): open("/out/f%04d" % i, "w").write("x")'
tap_is "$(r '.out_files | length') $(r .out_files_truncated)" "1000 true" "1001 files: 1000 copied, truncated"
# Two names that sanitise to the same one: one file, never a mix of both.
run_py collide 'open("/out/a\nb", "w").write("first"); open("/out/a_b", "w").write("second")'
tap_is "$(r '[.out_files[] | select(.name == "a_b")] | length')" 1 "colliding names: one a_b listed"
tap_like "$(cat "$DIR/out/a_b" 2>/dev/null)" '^(first|second)$' "colliding names: a_b holds one of the two files whole"
tap_is "$(r .out_files_truncated)" true "colliding names: the other is reported as not copied"
check_clean "out caps"

# Sparse files: 10 files of 60 MiB apparent size each on a 64 MiB disk.  The
# copies on the host are real bytes, so the copy-out must stay within the
# job's disk_bytes in total.
run_py sparse 'import os
for i in range(10):
    with open("/out/sparse%d" % i, "wb") as f:
        f.truncate(60 * 1024 * 1024)
print("sparse done")' '{"disk_bytes": 67108864}'
tap_is "$(r .verdict)" ok "sparse files: verdict ok"
tap_is "$(cat "$DIR/stdout")" "sparse done" "sparse files: the job made them (600 MiB apparent)"
tap_cmp "$(r '[.out_files[].bytes] | add // 0')" '<=' 67108864 "sparse files: out_files add up to at most disk_bytes"
tap_cmp "$(du -sb "$DIR/out" | awk '{print $1}')" '<=' $((67108864 + 65536)) "sparse files: JOBDIR/out holds at most disk_bytes on the host"
tap_is "$(r .out_files_truncated)" true "sparse files: out_files_truncated true"
check_clean "sparse files"

# A deep tree of long names, and directories the job made unreadable.
run_py deep 'import os
os.chdir("/out")
for i in range(40):
    d = ("d%02d" % i) * 60
    os.mkdir(d)
    os.chdir(d)
    open("f", "w").write("level %d" % i)
os.chdir("/job")
os.makedirs("/out/locked")
open("/out/locked/f", "w").write("locked")
os.chmod("/out/locked", 0)
open("/out/unreadable", "w").write("unreadable")
os.chmod("/out/unreadable", 0)
os.chmod("/out", 0o500)
print("deep done")'
tap_is "$(r .verdict)" ok "deep /out: verdict ok (not sandbox_error)"
tap_is "$(cat "$DIR/stdout")" "deep done" "deep /out: the job built its tree"
tap_is "$(r '[.out_files[].name | select(length > 1024)] | length')" 0 "deep /out: no name longer than 1024 bytes"
tap_cmp "$(r '[.out_files[].name | split("/") | length] | max')" '<=' 17 "deep /out: depth is capped"
tap_is "$(cat "$DIR/out/locked/f" 2>/dev/null)" locked "deep /out: a file in a chmod 000 directory still comes back"
tap_is "$(cat "$DIR/out/unreadable" 2>/dev/null)" unreadable "deep /out: a chmod 000 file still comes back"
agent clean "$DIR" >/dev/null
tap_ok "$([ ! -e "$DIR" ]; echo $?)" "deep /out: clean removes the copied tree"
check_clean "deep /out"

# A directory whose path inside /out is exactly 1024 bytes, the longest a
# name may be, leaves no room for a '/' and anything below it: the agent
# skips it and says so, and is not overrun (it once wrote a byte past its
# path buffer here).
run_py longdir 'import os
d = "/out/" + "/".join(["a" * 255, "b" * 255, "c" * 255, "d" * 254, "e"])
assert len(d) - len("/out/") == 1024
os.makedirs(d)
open(d + "/f", "w").write("too deep")
open("/out/short.txt", "w").write("short")
print("long done")'
tap_is "$RC,$(r .verdict)" "0,ok" "1024-byte /out directory: run exits 0, verdict ok"
tap_is "$(cat "$DIR/stdout")" "long done" "1024-byte /out directory: the job built its tree"
tap_is "$(r '[.out_files[].name] | join(",")')" "short.txt" "1024-byte /out directory: only the file that fits comes back"
tap_is "$(r .out_files_truncated)" true "1024-byte /out directory: out_files_truncated says something was left"
check_clean "1024-byte /out directory"

# A failing job with a hostile /out keeps its own verdict.
run_py failing 'import os, sys
os.mkfifo("/out/fifo")
os.symlink("/etc/passwd", "/out/link")
open("/out/result.txt", "w").write("partial")
sys.exit(3)'
tap_is "$(r .verdict)" exited "failing job: verdict exited"
tap_is "$(r .exit_code)" 3 "failing job: exit code 3"
tap_is "$(cat "$DIR/out/result.txt" 2>/dev/null)" partial "failing job: its regular file still comes back"
check_clean "failing job"

tap_done
