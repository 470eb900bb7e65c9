#!/bin/bash
# The sluice CLI against the real daemon and two real sshd nodes, used the
# way a script uses it: submit prints an id; submit --wait passes the
# program's output through byte for byte and exits with its status; list
# and nodes tables with -h, --parsable and --json; status; output; cancel;
# drain and resume with the admin token; and the documented exit statuses
# of failures (69 no dispatcher, 77 bad token, 66 no such job, 64 usage,
# 65 refused, 75 quota).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 77000 2 2 'max_body_bytes = 200000;'
# Tenant beta may have 1 job pending and 1 running: the 429 path.
sed -i 's/{ name = "beta";  sha256 = "\([0-9a-f]*\)"; role = "submit"; }/{ name = "beta"; sha256 = "\1"; role = "submit"; max_pending = 1; max_running = 1; }/' "$T/sluice.conf"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "both nodes UP"

S=$SLUICE_BIN
export SLUICE_SERVER=$DISP_URL
export SLUICE_TOKEN=$TOKEN_A
printf '%s\n' "$TOKEN_A" >"$T/token.a"

# run ARGS...: the CLI with ARGS; $rc, and its output in $T/out and $T/err.
run() {
	"$S" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
out() { cat "$T/out"; }
err() { cat "$T/err"; }

# The programs.
cat >"$T/hello.py" <<'EOF'
print("hello, world")
EOF
cat >"$T/exit3.py" <<'EOF'
import sys
print("to stdout")
print("to stderr", file=sys.stderr)
sys.exit(3)
EOF
cat >"$T/kill.py" <<'EOF'
import os, signal
print("before", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
EOF
echo 'while True: pass' >"$T/spin.py"
printf 'import time\ntime.sleep(30)\n' >"$T/sleep30.py"
printf 'import time\ntime.sleep(6)\nprint("slept")\n' >"$T/sleep6.py"
echo 'x = bytearray(512 * 1024 * 1024)' >"$T/oom.py"
echo 'print("x" * 100000)' >"$T/loud.py"
cat >"$T/raw.py" <<'EOF'
import os, sys
sys.stdout.buffer.write(bytes(range(256)))
sys.stderr.buffer.write(b"\x00err\xff\n")
open("/out/report.txt", "w").write("report\n")
os.makedirs("/out/sub")
open("/out/sub/b.bin", "wb").write(bytes(range(255, -1, -1)))
EOF
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$T/want.stdout"
printf '\000err\377\n' >"$T/want.stderr"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(255, -1, -1)))' >"$T/want.b.bin"
mkdir "$T/multi"
cat >"$T/multi/main.py" <<'EOF'
import hashlib, os, sys, helper
data = sys.stdin.read()
blob = open("data.bin", "rb").read()
print(helper.shout(data), sys.argv[1:], os.environ["GREETING"],
      hashlib.sha256(blob).hexdigest())
EOF
printf 'def shout(s):\n    return s.upper()\n' >"$T/multi/helper.py"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 4)' >"$T/multi/data.bin"
printf 'abc' >"$T/multi/stdin.txt"
echo 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())' >"$T/sha.py"

# --- Usage.
run
tap_is "$rc" 64 "a bare sluice is a usage error (64)"
tap_like "$(err)" 'submit.*' "and lists the verbs"
for v in submit status list output cancel nodes drain resume; do
	run "$v" --help
	tap_is "$rc/$(grep -c '^Exit status' "$T/out")/$(grep -c '^  77 ' "$T/out")" 0/1/1 \
		"sluice $v --help documents the exit statuses"
done
run submit --help
tap_like "$(out)" '124 +TIMEOUT' "submit --help has the --wait status table"
run bogus
tap_is "$rc" 64 "an unknown verb is 64"
run submit
tap_is "$rc" 64 "submit without a FILE is 64"
run status abc
tap_is "$rc" 64 "a job id that is not one is 64"
run list --bogus
tap_is "$rc" 64 "an unknown option is 64"
tap_like "$(err)" "bogus" "and the message names it"
run list --state DONE
tap_is "$rc" 64 "an unknown state is 64"
run submit --memory 12X "$T/hello.py"
tap_is "$rc" 64 "a bad --memory is 64"
run submit --limit nope=1 "$T/hello.py"
tap_is "$rc" 64 "an unknown --limit is 64"
run output 1 --stderr --file x
tap_is "$rc" 64 "--stderr and --file together are 64"
run submit "$T/hello.py" "$T/multi/../hello.py"
tap_is "$rc" 64 "two files with one base name are 64"

# --- submit prints an id.
run submit "$T/hello.py"
tap_is "$rc" 0 "submit exits 0"
id_hello=$(out)
tap_like "$id_hello" '^[0-9]+$' "submit prints the job id and nothing else"
tap_is "$(wait_job "$id_hello" 30 | jq -r .stdout)" "hello, world" "the id is the job, and it ran"
env -u SLUICE_TOKEN "$S" submit --token-file "$T/token.a" --json "$T/hello.py" >"$T/out" 2>"$T/err"
tap_is "$?/$(jq -r .runtime "$T/out")" 0/python3 "--token-file works, and --json prints the job object"
tap_like "$(jq -r .id "$T/out")" '^[0-9]+$' "the object has the id"

# --- submit --wait: the program's output and exit status.
run submit --wait "$T/hello.py"
tap_is "$rc" 0 "--wait: COMPLETED exits 0"
tap_is "$(out)" "hello, world" "--wait prints the program's stdout"
tap_is "$(err)" "" "and nothing else on stderr without a terminal"
run submit --wait "$T/exit3.py"
tap_is "$rc" 3 "--wait: sys.exit(3) exits 3"
tap_is "$(out)|$(head -1 "$T/err")" "to stdout|to stderr" "stdout to stdout, stderr to stderr"
tap_like "$(sed -n 2p "$T/err")" '^sluice: job [0-9]+ FAILED \(.*status 3.*\)$' "then why it ended, on stderr even without a terminal"
run submit --wait "$T/kill.py"
tap_is "$rc" 137 "--wait: SIGKILL exits 137"
tap_is "$(out)" "before" "output written before the signal is kept"
# limit_diag: what the job and the daemon said, when a limit case fails.
limit_diag() {
	tap_diag "stdout: $(out) stderr: $(err)"
	tap_diag "$("$S" list --parsable 2>&1 | head -3)"
	tap_diag "$(api GET "/v1/jobs?limit=1" | jq -c '.jobs[0] | {id, state, verdict, reason, attempts, message}')"
	tap_diag "$(grep -v '^$' "$T/serve.log" | tail -12)"
}
run submit --wait --cpu 1 "$T/spin.py"
tap_is "$rc" 124 "--wait: the CPU limit (TIMEOUT) exits 124"
[ "$rc" = 124 ] || limit_diag
run submit --wait --wall 1 "$T/sleep30.py"
tap_is "$rc" 124 "--wait: the wall limit (TIMEOUT) exits 124"
[ "$rc" = 124 ] || limit_diag
run submit --wait --memory 64M "$T/oom.py"
tap_is "$rc" 125 "--wait: OUT_OF_MEMORY exits 125"
run submit --wait --limit output_bytes=1000 "$T/loud.py"
tap_is "$rc" 123 "--wait: output_limit exits 123"
run submit --wait --json --wall 1 "$T/sleep30.py"
tap_is "$rc/$(jq -r .state "$T/out")/$(jq -r .verdict "$T/out")" 0/TIMEOUT/wall_limit \
	"--wait --json prints the ended job and exits 0"
run submit --wait "$T/raw.py"
cmp -s "$T/out" "$T/want.stdout"
tap_ok $? "--wait passes binary stdout through byte for byte"
cmp -s "$T/err" "$T/want.stderr"
tap_ok $? "--wait passes binary stderr through byte for byte"
run submit --wait "$T/multi/helper.py" "$T/multi/main.py" "$T/multi/data.bin" --entry main.py \
	--stdin "$T/multi/stdin.txt" --arg --n --arg 5 --env GREETING=hi
tap_is "$rc/$(out)" "0/ABC ['--n', '5'] hi $(sha256sum <"$T/multi/data.bin" | cut -d' ' -f1)" \
	"--entry, --stdin, --arg, --env, and a binary file sent as base64"
run submit --wait --stdin "$T/multi/data.bin" "$T/sha.py"
tap_is "$(out)" "$(sha256sum <"$T/multi/data.bin" | cut -d' ' -f1)" "a binary --stdin arrives intact"

# --- status.
run status "$id_hello"
tap_is "$rc" 0 "status exits 0"
tap_is "$(sed -n 's/^JobId: //p' "$T/out")" "$id_hello" "status: JobId"
tap_is "$(sed -n 's/^State: //p' "$T/out")" COMPLETED "status: State"
tap_is "$(sed -n 's/^Verdict: //p' "$T/out")" ok "status: Verdict"
tap_is "$(sed -n 's/^Tenant: //p' "$T/out")" alpha "status: Tenant"
tap_is "$(sed -n 's/^ExitCode: //p' "$T/out")" 0 "status: ExitCode"
tap_is "$(sed -n 's/^Signal: //p' "$T/out")" - "status: no Signal is -"
tap_like "$(sed -n 's/^Node: //p' "$T/out")" '^node[12]$' "status: Node"
tap_like "$(sed -n 's/^RunTime: //p' "$T/out")" '^[0-9]+:[0-9]{2}$' "status: RunTime like squeue's TIME"
tap_is "$(sed -n '/^Stdout: |$/{n;p}' "$T/out")" "  hello, world" "status: an excerpt of stdout"
tap_is "$(grep -c '^[A-Za-z]*: ' "$T/out")" "$(grep -vc '^  ' "$T/out")" \
	"status: every line not in an excerpt is Key: value"
run status --json "$id_hello"
tap_is "$rc/$(jq -r .id "$T/out")/$(jq -r .state "$T/out")" "0/$id_hello/COMPLETED" "status --json is the job object"

# --- output: stdout, stderr and out files byte for byte.
run submit "$T/raw.py"
id_raw=$(out)
wait_job "$id_raw" 30 >/dev/null
run output "$id_raw"
cmp -s "$T/out" "$T/want.stdout"
tap_ok $? "output: stdout byte for byte"
run output "$id_raw" --stderr
cmp -s "$T/out" "$T/want.stderr"
tap_ok $? "output --stderr: byte for byte"
run output "$id_raw" --file report.txt
tap_is "$rc/$(out)" "0/report" "output --file NAME"
run output "$id_raw" --file sub/b.bin
cmp -s "$T/out" "$T/want.b.bin"
tap_ok $? "output --file of a binary file in a subdirectory, byte for byte"
run output "$id_raw" --file nope.txt
tap_is "$rc" 66 "output --file of a file the job did not leave is 66"
run status "$id_raw"
tap_like "$(sed -n 's/^OutFiles: //p' "$T/out")" 'report.txt \(7 bytes\)' "status lists the out files"

# --- list: two jobs fill node1's slots, a third waits for one.
id_s1=$("$S" submit --label n1 --wall 60 "$T/sleep30.py")
id_s2=$("$S" submit --label n1 --wall 60 "$T/sleep30.py")
wait_state "$id_s1" RUNNING && wait_state "$id_s2" RUNNING
tap_ok $? "two jobs fill node1"
id_p=$("$S" submit --label n1 "$T/hello.py")
sleep 0.5
tap_is "$(state_of "$id_p")" PENDING "a third job for node1 waits"
run list
tap_is "$rc" 0 "list exits 0"
tap_is "$(head -1 "$T/out" | awk '{$1 = $1} 1')" "JOBID NAME TENANT RUNTIME ST TIME NODE(REASON)" \
	"list: squeue-like header"
tap_is "$(awk 'NR == 2 {print $1}' "$T/out")" "$id_p" "list: newest first"
line=$(awk -v id="$id_p" '$1 == id' "$T/out")
tap_like "$line" "^ *$id_p +- +alpha +python3 +PD +0:00 +\(.*slot.*\)$" \
	"list: a pending job is PD with its reason in parentheses"
line=$(awk -v id="$id_s1" '$1 == id' "$T/out")
tap_like "$line" "^ *$id_s1 +- +alpha +python3 +R +[0-9]+:[0-9]{2} +node1$" "list: a running job is R on its node"
line=$(awk -v id="$id_hello" '$1 == id' "$T/out")
tap_like "$line" "^ *$id_hello +- +alpha +python3 +CD +[0-9]+:[0-9]{2} +node[12]$" "list: a completed job is CD"
run list -h
tap_is "$(awk 'NR == 1 {print $1}' "$T/out")" "$id_p" "list -h: no header"
run list --noheader
tap_is "$(awk 'NR == 1 {print $1}' "$T/out")" "$id_p" "list --noheader: no header"
njobs=$(wc -l <"$T/out")
run list --parsable
tap_is "$(head -1 "$T/out")" "JOBID|NAME|TENANT|RUNTIME|ST|TIME|NODE(REASON)" "list --parsable: header"
tap_is "$(awk -F'|' 'NF != 7' "$T/out" | wc -l)" 0 "list --parsable: seven fields a line, no trailing |"
tap_like "$(grep "^$id_hello|" "$T/out")" "^$id_hello\|\|alpha\|python3\|CD\|[0-9]+:[0-9]{2}\|node[12]$" \
	"list --parsable: a completed job"
tap_like "$(grep "^$id_p|" "$T/out")" "^$id_p\|\|alpha\|python3\|PD\|0:00\|\(.*slot.*\)$" \
	"list --parsable: the pending job"
run list --parsable -h
tap_like "$(head -1 "$T/out")" "^$id_p\|" "list --parsable -h: no header"
run list --json
tap_is "$rc/$(jq -r '.jobs[0].id' "$T/out")" "0/$id_p" "list --json: the API's jobs, newest first"
tap_is "$(jq '.jobs | length' "$T/out")" "$njobs" "list --json: as many jobs as the table"
tap_is "$(jq -r 'has("next_before")' "$T/out")" true "list --json: with next_before"
run list -h --parsable --state PD
tap_is "$(cut -d'|' -f1,5 "$T/out" | tr '\n' ' ')" "$id_p|PD " "list --state PD: only the pending job"
run list -h --parsable -t completed
tap_is "$(cut -d'|' -f5 "$T/out" | sort -u)" CD "list -t completed: only CD"
run list -h --limit 2
tap_is "$(wc -l <"$T/out")" 2 "list --limit 2: two jobs"
SLUICE_TOKEN=$TOKEN_B "$S" list -h >"$T/out"
tap_is "$(wc -l <"$T/out")" 0 "another tenant lists none of these"
SLUICE_TOKEN=$TOKEN_ADMIN "$S" list -h --parsable >"$T/out"
tap_is "$(grep -c "^$id_p||alpha|" "$T/out")" 1 "the admin token lists them, with their tenant"
run output "$id_s1"
tap_is "$rc" 65 "output of a job that has not ended is 65"
tap_like "$(err)" 'no output yet' "with the dispatcher's message"
run status "$id_s1" --token-file /nonexistent/token
tap_is "$rc" 66 "an unreadable --token-file is 66"

# --- nodes.
run nodes
tap_is "$rc" 0 "nodes exits 0"
tap_is "$(head -1 "$T/out" | awk '{$1 = $1} 1')" "NODE STATE SLOTS BUSY RUNTIMES LABELS LAST_SEEN REASON" "nodes: sinfo-like header"
tap_like "$(awk '$1 == "node1"' "$T/out")" '^node1 +UP +2 +2 +python3 +n1 +[0-9T:.-]+Z +-$' "nodes: node1 UP, both slots busy"
tap_like "$(awk '$1 == "node2"' "$T/out")" '^node2 +UP +2 +[0-9] +python3 +n2 +[0-9T:.-]+Z +-$' "nodes: node2 UP"
run nodes -h
tap_is "$(wc -l <"$T/out")" 2 "nodes -h: one line per node, no header"
run nodes --parsable -h
tap_like "$(grep '^node1|' "$T/out")" '^node1\|UP\|2\|2\|python3\|n1\|[0-9T:.-]+Z\|$' "nodes --parsable -h"
run nodes --parsable
tap_is "$(head -1 "$T/out")" "NODE|STATE|SLOTS|BUSY|RUNTIMES|LABELS|LAST_SEEN|REASON" "nodes --parsable: header"
run nodes --json
tap_is "$rc/$(jq '.nodes | length' "$T/out")" 0/2 "nodes --json: the API's nodes"

# --- cancel: a queued job, a running one, an ended one, an unknown one.
run cancel "$id_p"
tap_is "$rc/$(out)" "0/job $id_p: cancelled" "cancel of a queued job: cancelled at once"
run cancel "$id_s1"
tap_like "$rc/$(out)" "^0/job $id_s1: (cancel requested \((RUNNING|COMPLETING)\)|cancelled)$" \
	"cancel of a running job: requested"
tap_is "$(wait_job "$id_s1" 20 | jq -r '.state + "/" + .verdict')" CANCELLED/cancelled \
	"the running job ends CANCELLED, verdict cancelled"
run cancel "$id_s1"
tap_is "$rc" 65 "cancel of an ended job is 65"
run cancel "$id_s2" 999999
tap_is "$rc" 66 "cancel ID... exits with the first error (no such job: 66)"
tap_like "$(out)" "^job $id_s2: " "and still cancels the others, one line each"
tap_like "$(err)" 'no such job 999999' "and says which job does not exist"
wait_job "$id_s2" 20 >/dev/null
before=$("$S" list -h --parsable --limit 1 | cut -d'|' -f1)
"$S" submit --wait "$T/sleep30.py" >"$T/bg.out" 2>"$T/bg.err" &
bg=$!
id_bg=""
for n in $(seq 1 100); do
	id_bg=$("$S" list -h --parsable --limit 1 | cut -d'|' -f1)
	[ "$id_bg" != "$before" ] && wait_state "$id_bg" RUNNING && break
	sleep 0.1
done
"$S" cancel "$id_bg" >/dev/null
wait "$bg"
tap_is "$?" 130 "submit --wait of a job cancelled meanwhile exits 130"
tap_like "$(cat "$T/bg.err")" "^sluice: job $id_bg CANCELLED \\(" "  and says so on stderr, without a terminal"

# --- drain and resume.
run drain node2 --reason "disk swap"
tap_is "$rc" 77 "drain with a submit token is 77"
tap_like "$(err)" 'admin' "and says an admin token is needed"
SLUICE_TOKEN=$TOKEN_ADMIN run drain node2 --reason "disk swap"
tap_like "$rc/$(out)" '^0/node2: DRAIN(ING|ED) \(disk swap\)$' "drain with the admin token"
disp_wait_node node2 DRAINED 10
tap_ok $? "the idle node becomes DRAINED"
run nodes --parsable -h
tap_like "$(grep '^node2|' "$T/out")" '^node2\|DRAINED\|2\|0\|python3\|n2\|[0-9T:.-]+Z\|disk swap$' \
	"nodes shows DRAINED and the reason"
run submit --wait --json "$T/hello.py"
tap_is "$(jq -r .node "$T/out")" node1 "a new job avoids the drained node"
SLUICE_TOKEN=$TOKEN_ADMIN run resume node2
tap_is "$rc/$(out)" "0/node2: UP" "resume with the admin token"
SLUICE_TOKEN=$TOKEN_ADMIN run drain nope
tap_is "$rc" 66 "drain of an unknown node is 66"
tap_like "$(err)" 'no such node nope' "and says so"
SLUICE_TOKEN=$TOKEN_ADMIN run drain node2 --json
tap_like "$rc/$(jq -r .state "$T/out")" '^0/DRAIN(ING|ED)$' "drain --json, without a reason"
SLUICE_TOKEN=$TOKEN_ADMIN run resume node2 --json
tap_is "$rc/$(jq -r .state "$T/out")" 0/UP "resume --json"

# --- Errors and their exit statuses.
SLUICE_TOKEN=bogus run list
tap_is "$rc" 77 "a bad token is 77"
tap_like "$(err)" 'token was refused.*check --token-file or SLUICE_TOKEN' "with a hint"
env -u SLUICE_TOKEN "$S" list >"$T/out" 2>"$T/err"
tap_is "$?" 77 "no token is 77"
tap_like "$(err)" 'set --token-file or SLUICE_TOKEN' "with a hint"
run status 999999
tap_is "$rc" 66 "an unknown job is 66"
tap_is "$(err)" "sluice: no such job 999999" "the message names it"
SLUICE_TOKEN=$TOKEN_B run status "$id_hello"
tap_is "$rc" 77 "another tenant's job is 77"
run submit --runtime cobol "$T/hello.py"
tap_is "$rc" 65 "a runtime no node offers is 65"
tap_like "$(err)" 'runtime' "with the dispatcher's message"
run submit "$T/nonexistent.py"
tap_is "$rc" 66 "a FILE that cannot be read is 66"
head -c 300000 /dev/zero | tr '\0' '#' >"$T/big.py"
run submit "$T/big.py"
tap_is "$rc" 65 "a body over max_body_bytes (413) is 65"
tap_isnt "$(err)" "" "with a message"
bport=$(node_free_port)
SLUICE_SERVER=http://127.0.0.1:$bport run list
tap_is "$rc" 69 "no dispatcher at the URL is 69"
tap_is "$(err)" "sluice: cannot reach the dispatcher at http://127.0.0.1:$bport: Connection refused (is \`sluice serve\` running? set --server or SLUICE_SERVER)" \
	"with one line that says where and what to do"
SLUICE_SERVER=http://127.0.0.1:$bport run nodes -h --server "$DISP_URL"
tap_is "$rc/$(wc -l <"$T/out")" 0/2 "--server wins over SLUICE_SERVER"
SLUICE_SERVER=ftp://x run list
tap_is "$rc" 64 "a server URL that is not http:// is 64"

# --- A quota: beta may have one job pending and one running.
b1=$(SLUICE_TOKEN=$TOKEN_B "$S" submit "$T/sleep30.py")
wait_state "$b1" RUNNING "$TOKEN_B"
b2=$(SLUICE_TOKEN=$TOKEN_B "$S" submit "$T/sleep30.py")
SLUICE_TOKEN=$TOKEN_B run submit "$T/hello.py"
tap_is "$rc" 75 "over the quota (429) is 75"
tap_like "$(err)" 'retry after [0-9]+ seconds' "and says when to retry"
SLUICE_TOKEN=$TOKEN_B run cancel "$b1" "$b2"
tap_is "$rc/$(wc -l <"$T/out")" 0/2 "cancel of two jobs prints two lines"

# --- The dispatcher gone.
disp_stop TERM
run list
tap_is "$rc" 69 "with the dispatcher stopped, list is 69"
tap_like "$(err)" "cannot reach the dispatcher at $DISP_URL: Connection refused" "and says so"
tap_done
