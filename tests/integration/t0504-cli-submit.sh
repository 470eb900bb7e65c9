#!/bin/bash
# sluice submit with what people have, against the real daemon and a real
# sshd node: relative paths kept as given (a package import works, two
# x.txt in two directories no longer collide), directories walked with
# --exclude, symbolic links never followed, '..' refused, the daemon's caps
# refused before anything is sent; --wait streaming the job's output as it
# comes (a 4-line, 4-second job read line by line), surviving a daemon
# restart without losing or repeating a byte, and saying why on stderr for
# every non-zero end; --out-dir writing /out files without ever writing
# outside DIR, even for a lying dispatcher; and the API behind it
# (GET /v1/caps, GET /v1/jobs/ID/output), attacked.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 90500 2 2 'max_files = 8; max_file_bytes = 4096; max_submission_bytes = 10000;'
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the nodes come UP"

S=$SLUICE_BIN
export SLUICE_SERVER=$DISP_URL
export SLUICE_TOKEN=$TOKEN_A

# run ARGS...: the CLI with ARGS, in the current directory; $rc, and its
# output in $T/out and $T/err.
run() {
	"$S" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
out() { cat "$T/out"; }
err() { cat "$T/err"; }
# njobs: how many jobs the tenant has.
njobs() { api GET "/v1/jobs?limit=1000" | jq '.jobs | length'; }

# --- A project with a package, and what should not go with it.
P=$T/proj
mkdir -p "$P/pkg/__pycache__" "$P/.git" "$P/data" "$P/a" "$P/b"
cat >"$P/main.py" <<'EOF'
import os
from pkg import util
print(util.greet())
names = []
for d, subs, files in os.walk("."):
    names += [os.path.join(d, f)[2:] for f in files]
print(" ".join(sorted(names)))
EOF
: >"$P/pkg/__init__.py"
printf 'def greet():\n    return "hello from pkg.util"\n' >"$P/pkg/util.py"
echo junk >"$P/pkg/__pycache__/util.cpython-311.pyc"
echo '[core]' >"$P/.git/config"
echo 'one' >"$P/a/x.txt"
echo 'two' >"$P/b/x.txt"
echo '1,2' >"$P/data/small.csv"
head -c 5000 /dev/zero >"$P/data/big.bin"
ln -s /etc/passwd "$P/data/passwd-link"
cat >"$P/both.py" <<'EOF'
print(open("a/x.txt").read().strip(), open("b/x.txt").read().strip())
EOF

cd "$P" || exit 1
run submit --wait main.py pkg --exclude __pycache__
tap_is "$rc" 0 "main.py and the directory pkg: exit 0"
tap_is "$(sed -n 1p "$T/out")" "hello from pkg.util" "from pkg import util works: pkg/util.py is sent as pkg/util.py"
tap_is "$(sed -n 2p "$T/out")" "main.py pkg/__init__.py pkg/util.py" \
	"exactly main.py and pkg's files, __pycache__ left out"

run submit --wait both.py a/x.txt ./b//x.txt
tap_is "$rc/$(out)" "0/one two" "a/x.txt and b/x.txt are two files now (./b//x.txt tidied)"

cd "$T" || exit 1
run submit --wait --entry proj/main.py proj --exclude .git --exclude '__pycache__' \
	--exclude 'proj/data/big*' --exclude both.py
tap_is "$rc" 0 "a directory operand, --entry as it is sent"
tap_is "$(sed -n 2p "$T/out")" "proj/a/x.txt proj/b/x.txt proj/data/small.csv proj/main.py proj/pkg/__init__.py proj/pkg/util.py" \
	"sent under proj/, .git, __pycache__, data/big* and both.py left out, the link not followed"
tap_like "$(err)" "left out 1 entry that is neither a regular file nor a directory.*proj/data/passwd-link" \
	"the symbolic link is named on stderr"

cd "$P" || exit 1
run submit --wait --entry main.py . --exclude .git --exclude __pycache__ --exclude data --exclude a --exclude b
tap_is "$rc/$(sed -n 2p "$T/out")" "0/both.py main.py pkg/__init__.py pkg/util.py" \
	"'.' sends the directory's files at the top of /job"

# --- Operands that cannot be sent: refused, nothing submitted.
before=$(njobs)
run submit ../proj/main.py
tap_is "$rc" 64 "a relative path with '..' is 64"
tap_like "$(err)" "'..' component" "and says why"
run submit pkg
tap_is "$rc" 64 "a directory first without --entry is 64"
tap_like "$(err)" "'pkg' is a directory: name the file to run with --entry" "and says what to do"
run submit main.py --entry nope.py
tap_is "$rc" 64 "an --entry that is not sent is 64"
run submit main.py ./main.py
tap_is "$rc" 64 "one file named twice is 64"
tap_like "$(err)" "would both be sent as 'main.py'" "and says so"
run submit main.py "$T/proj/main.py"
tap_is "$rc" 64 "an absolute path sent under a name already taken is 64"
run submit --wait main.py data/nonexistent
tap_is "$rc" 66 "a FILE that is not there is 66"
mkfifo "$T/fifo"
run submit main.py "$T/fifo"
tap_is "$rc" 66 "a FIFO operand is 66 (and does not hang)"
# The daemon's caps (8 files, 4096 bytes each, 10000 together), read
# from it before anything is read or sent.
run submit main.py data
tap_is "$rc" 65 "a file over max_file_bytes is 65"
tap_like "$(err)" "data/big.bin' is 5000 bytes, more than 4096 .*max_file_bytes" "and names the file and the cap"
mkdir "$T/many"
for i in 1 2 3 4 5 6 7 8 9; do echo "print($i)" >"$T/many/f$i.py"; done
run submit --entry many/f1.py "$T/many"
tap_is "$rc" 65 "more than max_files files is 65"
tap_like "$(err)" "9 files to send, more than 8 .*max_files" "and says which cap"
mkdir "$T/heavy"
for i in 1 2 3; do head -c 4000 /dev/zero | tr '\0' '#' >"$T/heavy/h$i.py"; done
run submit --entry heavy/h1.py "$T/heavy"
tap_is "$rc" 65 "more than max_submission_bytes together is 65"
tap_like "$(err)" "more than 10000 .*max_submission_bytes" "and says which cap"
run submit --stdin "$T/heavy/h1.py" --entry heavy/h1.py "$T/heavy" --exclude h3.py
tap_is "$rc" 65 "stdin counts towards max_submission_bytes"
tap_is "$(njobs)" "$before" "none of these submitted anything"

# --- Streaming: a 4-line, 4-second job, read line by line as it comes.
cat >"$T/lines.py" <<'EOF'
import sys, time
for i in range(1, 5):
    print("line", i, flush=True)
    print("err", i, file=sys.stderr, flush=True)
    time.sleep(1)
EOF
start=$(date +%s.%N)
"$S" submit --wait "$T/lines.py" 2>"$T/lines.err" | while IFS= read -r line; do
	printf '%s %s\n' "$(date +%s.%N)" "$line"
done >"$T/lines.ts"
end=$(date +%s.%N)
tap_is "$(cut -d' ' -f2- "$T/lines.ts" | tr '\n' '|')" "line 1|line 2|line 3|line 4|" "the four lines, in order"
tap_is "$(cat "$T/lines.err" | tr '\n' '|')" "err 1|err 2|err 3|err 4|" "and the four on stderr, nothing else"
first=$(sed -n 1p "$T/lines.ts" | cut -d' ' -f1)
last=$(sed -n 4p "$T/lines.ts" | cut -d' ' -f1)
# A second apart on the node; all at once if they came only at the end.
# Bounds that load cannot break: the last comes at least 2 s after the
# first, and the first at least 2 s before the command ends.
span=$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.2f", b - a }')
lead=$(awk -v a="$first" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
tap_cmp "$span" '>=' 2.0 "the lines arrive as the job writes them: $span s from the first to the last"
tap_cmp "$lead" '>=' 2.0 "the first line comes well before the end: $lead s"
tap_diag "submitted to the first line: $(awk -v a="$start" -v b="$first" 'BEGIN { printf "%.2f", b - a }') s"

# --- Reasons on stderr for every non-zero end, without a terminal.
printf 'import time\ntime.sleep(30)\n' >"$T/sleep30.py"
echo 'x = bytearray(512 * 1024 * 1024)' >"$T/oom.py"
printf 'import sys\nprint("to stdout")\nsys.exit(3)\n' >"$T/exit3.py"
run submit --wait --wall 1 "$T/sleep30.py"
tap_is "$rc" 124 "TIMEOUT exits 124"
tap_like "$(err)" "^sluice: job [0-9]+ TIMEOUT \(wall_limit: .+\)$" "and says why on stderr: $(err)"
run submit --wait --memory 64M "$T/oom.py"
tap_is "$rc" 125 "OUT_OF_MEMORY exits 125"
tap_like "$(err)" "^sluice: job [0-9]+ OUT_OF_MEMORY \(memory_limit: .+\)$" "and says why on stderr: $(err)"
run submit --wait "$T/exit3.py"
tap_is "$rc/$(out)" "3/to stdout" "a program's exit 3 is 3, its output as it was"
tap_like "$(err)" "^sluice: job [0-9]+ FAILED \(.+\)$" "and the end is said on stderr: $(err)"

# --- A daemon restart during --wait: the CLI waits for it and carries on
# from where it was, without losing or repeating a byte.
cat >"$T/restart.py" <<'EOF'
import time
print("before", flush=True)
time.sleep(6)
print("after", flush=True)
EOF
"$S" submit --wait "$T/restart.py" >"$T/rs.out" 2>"$T/rs.err" &
bg=$!
for n in $(seq 1 100); do
	[ -s "$T/rs.out" ] && break
	sleep 0.1
done
tap_is "$(cat "$T/rs.out")" "before" "the first line is out before the restart"
disp_stop TERM
tap_is "$DISP_STATUS" 0 "the daemon stops cleanly while it holds a follower"
sleep 2
disp_serve
tap_ok $? "the daemon starts again"
wait "$bg"
rc=$?
tap_is "$rc" 0 "--wait survives the restart and exits with the job's status"
tap_is "$(cat "$T/rs.out" | tr '\n' '|')" "before|after|" "its output whole, nothing twice"
tap_like "$(cat "$T/rs.err")" "trying again for up to 5 minutes" "the wait for the daemon is said on stderr"
disp_wait_nodes UP 20

# A restart with the job ending while the daemon is down: the output comes
# from the results collected after it.
cat >"$T/quick.py" <<'EOF'
import time
print("one", flush=True)
time.sleep(2)
print("two", flush=True)
EOF
"$S" submit --wait "$T/quick.py" >"$T/rq.out" 2>"$T/rq.err" &
bg=$!
for n in $(seq 1 100); do
	[ -s "$T/rq.out" ] && break
	sleep 0.1
done
disp_stop KILL
sleep 4
disp_serve
wait "$bg"
rc=$?
got="$rc/$(cat "$T/rq.out" | tr '\n' '|')"
tap_is "$got" "0/one|two|" "a daemon killed while the job ends: all of it, once"
# (what the CLI and the daemon said, should it fail: the race is rare)
[ "$got" = "0/one|two|" ] || tap_diag "$(cat "$T/rq.err"; tail -60 "$T/serve.log")"
disp_wait_nodes UP 20

# A node lost while its job is followed: the job runs again elsewhere, and
# its output starts over, which stderr says.
cat >"$T/again.py" <<'EOF'
import time
print("start", flush=True)
time.sleep(4)
print("end", flush=True)
EOF
"$S" submit --wait "$T/again.py" >"$T/ag.out" 2>"$T/ag.err" &
bg=$!
for n in $(seq 1 100); do
	[ -s "$T/ag.out" ] && break
	sleep 0.1
done
id=$(api GET "/v1/jobs?limit=1" | jq -r '.jobs[0].id')
lost=$(api GET "/v1/jobs/$id" | jq -r .node)
case "$lost" in
node1 | node2)
	node_stop "$lost"
	pkill -KILL -f -- "--config $T/$lost.agent.conf"
	base=$((90500 + (${lost#node} - 1) * 100))
	for s in 0 1 2; do pkill -KILL -U $((base + s)); done
	;;
esac
wait "$bg"
tap_is "$?/$(cat "$T/ag.out" | tr '\n' '|')" "0/start|start|end|" \
	"a lost node ($lost): the output of the job's second attempt follows the first's"
tap_like "$(cat "$T/ag.err")" "job $id is running again \(attempt [2-9]\): its output starts over" \
	"and stderr says the output starts over"
tap_is "$(api GET "/v1/jobs/$id" | jq -r --arg lost "$lost" '[.attempts >= 2, .node != $lost] | @tsv')" "$(printf 'true\ttrue')" \
	"(it ran again, on the other node)"
node_start "$lost" "$(eval echo "\$NODE_PORT_$lost")"
disp_wait_nodes UP 20
tap_ok $? "the lost node comes back"

# --- --out-dir: the files the job left in /out, never written outside.
cat >"$T/outs.py" <<'EOF'
import os
open("/out/report.txt", "w").write("report\n")
os.makedirs("/out/sub")
open("/out/sub/b.bin", "wb").write(bytes(range(256)))
EOF
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$T/want.b.bin"
run submit --wait --out-dir "$T/od" "$T/outs.py"
tap_is "$rc" 0 "--out-dir: exit 0"
tap_is "$(cat "$T/od/report.txt")" "report" "report.txt written"
cmp -s "$T/od/sub/b.bin" "$T/want.b.bin"
tap_ok $? "sub/b.bin written byte for byte"
tap_is "$(find "$T/od" -name '.sluice-*' | wc -l)" 0 "no temporary file left"
echo precious >"$T/victim"
rm -rf "$T/od2" && mkdir "$T/od2" && ln -s "$T/victim" "$T/od2/report.txt"
run submit --wait --out-dir "$T/od2" "$T/outs.py"
tap_is "$rc/$(cat "$T/victim")" "0/precious" "a link in DIR is replaced, not written through"
tap_ok "$([ -f "$T/od2/report.txt" ] && [ ! -L "$T/od2/report.txt" ]; echo $?)" "and report.txt is a file"
mkdir -p "$T/od3" "$T/elsewhere" && ln -s "$T/elsewhere" "$T/od3/sub"
run submit --wait --out-dir "$T/od3" "$T/outs.py"
tap_is "$rc" 73 "a link to a directory in DIR is refused (73)"
tap_is "$(ls -A "$T/elsewhere" | wc -l)" 0 "and nothing is written where it points"
tap_is "$(cat "$T/od3/report.txt")" "report" "the other files are still written"
run submit --out-dir "$T/od4" "$T/outs.py"
tap_is "$rc" 64 "--out-dir without --wait is 64"
echo x >"$T/notadir"
before=$(njobs)
run submit --wait --out-dir "$T/notadir" "$T/outs.py"
tap_is "$rc/$(njobs)" "73/$before" "an --out-dir that is a file is 73, before anything is submitted"

# --- The API behind it.
caps=$(api GET /v1/caps)
tap_is "$(http_status)/$(jq -c . <<<"$caps")" \
	'200/{"max_files":8,"max_file_bytes":4096,"max_submission_bytes":10000,"max_body_bytes":33554432,"max_batch_jobs":100}' \
	"GET /v1/caps: the configured caps"
id=$(submit_py 'import sys, time
print("a" * 10, flush=True)
print("e", file=sys.stderr, flush=True)
time.sleep(30)' '{"limits": {"wall_seconds": 60}}')
wait_state "$id" RUNNING
sleep 1
ans=$(api GET "/v1/jobs/$id/output?wait=10")
tap_is "$(http_status)/$(jq -r '[.state, .attempt, .complete, .stdout.offset, .stdout.bytes] | join(" ")' <<<"$ans")" \
	"200/RUNNING 1 false 0 11" "output of a running job, as it is written"
tap_is "$(jq -r .stdout.base64 <<<"$ans" | base64 -d)" "aaaaaaaaaa" "its bytes, in base64"
t0=$(date +%s.%N)
ans=$(api GET "/v1/jobs/$id/output?stdout_offset=11&stderr_offset=2&attempt=1&wait=1")
t1=$(date +%s.%N)
tap_is "$(http_status)/$(jq -r '[.stdout.offset, .stdout.bytes, .stderr.offset, .stderr.bytes, .complete] | join(" ")' <<<"$ans")" \
	"200/11 0 2 0 false" "nothing new: answered empty after the wait"
tap_cmp "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '>=' 0.9 "after about 1 s"
ans=$(api GET "/v1/jobs/$id/output?stdout_offset=5&attempt=7&wait=5")
tap_is "$(jq -r '[.attempt, .stdout.offset, .stdout.bytes] | join(" ")' <<<"$ans")" "1 0 0" \
	"another attempt asked for: the job's, from 0, at once"
for q in 'stdout_offset=abc' 'stdout_offset=-1' 'stdout_offset=1&stdout_offset=2' \
	'stderr_offset=9007199254740993' 'attempt=1000001' 'wait=x' 'stdout_offset=%00'; do
	api GET "/v1/jobs/$id/output?$q" >/dev/null
	tap_is "$(http_status)" 400 "output?$q is 400"
done
api GET "/v1/jobs/$id/output" "" "$TOKEN_B" >/dev/null
tap_is "$(http_status)" 403 "another tenant's job is 403"
api GET "/v1/jobs/999999/output" >/dev/null
tap_is "$(http_status)" 404 "no such job is 404"
api POST "/v1/jobs/$id/output" '{}' >/dev/null
tap_is "$(http_status)" 405 "POST is 405"
api DELETE "/v1/jobs/$id" >/dev/null
ans=$(api GET "/v1/jobs/$id/output?stdout_offset=11&stderr_offset=2&attempt=1&wait=20")
tap_is "$(jq -r '[.state, .complete, .stdout.offset, .stdout.bytes] | join(" ")' <<<"$ans")" "CANCELLED true 11 0" \
	"a follower that has it all is answered when the job ends, complete"
ans=$(api GET "/v1/jobs/$id/output")
tap_is "$(jq -r '[.state, .complete, .stdout.bytes, .stderr.bytes] | join(" ")' <<<"$ans")" "CANCELLED true 11 2" \
	"once ended: all of it from the spool, complete"
ans=$(api GET "/v1/jobs/$id/output?stdout_offset=1000&stderr_offset=1000")
tap_is "$(jq -r '[.complete, .stdout.offset, .stdout.bytes] | join(" ")' <<<"$ans")" "true 1000 0" \
	"offsets past the end: nothing, complete"

# Several followers of one job share what is read; a follower that goes
# away costs nothing once its wait is over.
id=$(submit_py 'import time
for i in range(3):
    print(i, flush=True)
    time.sleep(1)' '{"limits": {"wall_seconds": 60}}')
pids=""
for k in 1 2 3; do
	api GET "/v1/jobs/$id/output?wait=20" >"$T/f$k" &
	pids="$pids $!"
done
wait $pids
tap_is "$(for k in 1 2 3; do jq -r '.stdout.base64' "$T/f$k" | base64 -d | head -1; done | tr '\n' ' ')" "0 0 0 " \
	"three followers each get the first line"
wait_job "$id" 30 >/dev/null

# --- A lying dispatcher: out file names that climb out of DIR, a bogus
# attempt, a wrong offset.  (A small HTTP server of the test's own.)
LPORT=$(node_free_port)
cat >"$T/liar.py" <<'EOF'
import base64, json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
mode = sys.argv[2]
def b64(s):
    return base64.b64encode(s.encode()).decode()
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def send(self, obj, status=200):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send({"id": "1", "state": "PENDING"}, 201)
    def do_GET(self):
        p = self.path
        if p.startswith("/v1/caps"):
            self.send({"max_files": 100, "max_file_bytes": 8388608, "max_submission_bytes": 16777216, "max_body_bytes": 33554432})
        elif p.startswith("/v1/jobs/1/output"):
            off = 5 if mode == "offset" else 0
            self.send({"id": "1", "state": "COMPLETED", "attempt": 1, "complete": True,
                       "stdout": {"offset": off, "bytes": 3, "base64": b64("hi\n")},
                       "stderr": {"offset": 0, "bytes": 0, "base64": ""}})
        elif p.startswith("/v1/jobs/1/files/"):
            body = b"pwned\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif p.startswith("/v1/jobs/1"):
            self.send({"id": "1", "state": "COMPLETED", "verdict": "ok", "exit_code": 0, "signal": None,
                       "out_files": [{"name": "../escaped", "bytes": 6}, {"name": "/tmp/abs-escaped", "bytes": 6},
                                     {"name": "ok/../../up", "bytes": 6}, {"name": "fine.txt", "bytes": 6}]})
        else:
            self.send({"error": "no such resource"}, 404)
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
python3 "$T/liar.py" "$LPORT" files &
liar=$!
for n in $(seq 1 50); do curl -s "http://127.0.0.1:$LPORT/v1/caps" >/dev/null && break; sleep 0.1; done
mkdir -p "$T/lie/in"
SLUICE_SERVER=http://127.0.0.1:$LPORT run submit --wait --out-dir "$T/lie/in" "$T/lines.py"
tap_is "$rc" 76 "out file names that climb out of DIR: 76 (a lying dispatcher)"
tap_is "$(out)" "hi" "the output is written"
tap_is "$(find "$T/lie" -type f | sort | tr '\n' ' ')" "$T/lie/in/fine.txt " "only the honest name is written, inside DIR"
tap_ok "$([ ! -e "$T/lie/escaped" ] && [ ! -e /tmp/abs-escaped ] && [ ! -e "$T/lie/up" ]; echo $?)" "nothing outside DIR"
tap_like "$(err)" "cannot be written" "and the names are refused on stderr"
kill "$liar"; wait "$liar" 2>/dev/null
python3 "$T/liar.py" "$LPORT" offset &
liar=$!
for n in $(seq 1 50); do curl -s "http://127.0.0.1:$LPORT/v1/caps" >/dev/null && break; sleep 0.1; done
SLUICE_SERVER=http://127.0.0.1:$LPORT run submit --wait "$T/lines.py"
tap_is "$rc/$(out)" "76/" "output at an offset not asked for is refused (76), not written"
kill "$liar"; wait "$liar" 2>/dev/null

# The daemon stops cleanly with followers held and reads on their way, and
# said nothing of memory (under --enable-sanitizers).
id=$(submit_py 'import time
while True:
    print("tick", flush=True)
    time.sleep(0.05)' '{"limits": {"wall_seconds": 60}}')
wait_state "$id" RUNNING
api GET "/v1/jobs/$id/output?stdout_offset=999999&wait=30" >/dev/null 2>&1 &
f1=$!
sleep 1
disp_stop TERM
tap_is "$DISP_STATUS" 0 "SIGTERM with a follower held: the daemon exits 0"
wait "$f1"
tap_is "$(grep -cE 'Sanitizer|runtime error|LeakSanitizer' "$T/serve.log")" 0 "no sanitizer report in the daemon's log"

tap_done
