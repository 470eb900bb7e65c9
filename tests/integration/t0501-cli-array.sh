#!/bin/bash
# sluice submit --array against the real daemon and two real sshd nodes of
# two slots each: every task sees its own SLUICE_ARRAY_TASK_ID and the
# array's other SLUICE_ARRAY_* variables; ids are printed in index order;
# %1 and %2 really keep at most one or two tasks not ended at once (the
# tasks' own start and end times say so; the same array without % overlaps,
# so the check can fail); --wait exits with the highest task status;
# --json; a daemon whose max_batch_jobs is smaller than the array (413 on a
# whole batch) still gets every task once; a refusal part of the way
# stops the array and says which task; and bad SPECs submit nothing.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 84500 2 2 'max_batch_jobs = 3;'
# Tenant beta may have 2 jobs pending: the refusal part of the way.
sed -i 's/{ name = "beta";  sha256 = "\([0-9a-f]*\)"; role = "submit"; }/{ name = "beta"; sha256 = "\1"; role = "submit"; max_pending = 2; }/' "$T/sluice.conf"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "both nodes UP"

S=$SLUICE_BIN
export SLUICE_SERVER=$DISP_URL
export SLUICE_TOKEN=$TOKEN_A

# run ARGS...: the CLI with ARGS; $rc, and its output in $T/out and $T/err.
run() {
	"$S" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
out() { cat "$T/out"; }
err() { cat "$T/err"; }
# njobs [TOKEN]: how many jobs the tenant has, in any state.
njobs() {
	api GET "/v1/jobs?limit=1000" "" "${1:-$TOKEN_A}" | jq '.jobs | length'
}

cat >"$T/env.py" <<'EOF'
import json, os
print(json.dumps({k[len("SLUICE_ARRAY_"):]: os.environ.get(k) for k in (
    "SLUICE_ARRAY_JOB_ID", "SLUICE_ARRAY_TASK_ID", "SLUICE_ARRAY_TASK_COUNT",
    "SLUICE_ARRAY_TASK_MIN", "SLUICE_ARRAY_TASK_MAX")}, sort_keys=True))
EOF
cat >"$T/exit.py" <<'EOF'
import os, sys
sys.exit(int(os.environ["SLUICE_ARRAY_TASK_ID"]))
EOF
printf 'import time\ntime.sleep(1)\n' >"$T/sleep1.py"
echo 'print("hi")' >"$T/hello.py"

# --- Bad SPECs: 64 with a message naming --array, and nothing submitted.
before=$(njobs)
for spec in '' ',' '1,,2' '5-3' '-1' '0-15:0' '5:2' '0-15%0' '0-15%' \
	'0-3%x' 'abc' '0x10' '1.5' '1 ' ' 1' '0-10000' '0-9999,0' \
	'2147483648' '99999999999999999999999' '0-4294967296' \
	'0-15%2%3' '1-2-3' $'1\033[2J'; do
	run submit --array "$spec" "$T/hello.py"
	tap_is "$rc" 64 "--array '${spec//$'\033'/ESC}' is a usage error (64)"
	tap_like "$(err)" "^sluice submit: bad --array '" "and says so: $(head -1 "$T/err" | tr -d '\033')"
	[ -s "$T/out" ] && tap_diag "stdout: $(out)"
done
run submit --array 0-3 "$T/hello.py" --array 0-1
tap_is "$rc" 64 "--array twice is 64"
run submit --array 0-3 --env SLUICE_ARRAY_TASK_ID=9 "$T/hello.py"
tap_is "$rc" 64 "--env of a variable --array sets is 64"
tap_like "$(err)" "SLUICE_ARRAY_TASK_ID" "and names it"
envs=()
for i in $(seq 1 60); do envs+=(--env "V$i=x"); done
run submit --array 0-1 "${envs[@]}" "$T/hello.py"
tap_is "$rc" 64 "--array with 60 --env (65 variables, over 64) is 64"
# The SPEC is checked before anything else: no dispatcher is needed.
SLUICE_SERVER=http://127.0.0.1:1 run submit --array 3-2 "$T/hello.py"
tap_is "$rc" 64 "a bad SPEC is 64 even with no dispatcher to reach"
tap_is "$(njobs)" "$before" "none of the bad SPECs submitted a job"

# --- Every task sees its own index, and the array's variables.  Six
# tasks with max_batch_jobs = 3: the first batch (of 6) is refused 413
# whole, then batches of 3 go through.
run submit --array 0-8:2,3 "$T/env.py"
tap_is "$rc" 0 "an array of 6 tasks is submitted (exit 0)"
tap_is "$(wc -l <"$T/out")" 6 "one job id a line, one for each task"
tap_like "$(tr '\n' ' ' <"$T/out")" '^([0-9]+ ){6}$' "and nothing else on stdout"
tap_is "$(err)" "" "and nothing on stderr"
tap_is "$(sort -u "$T/out" | wc -l)" 6 "six different jobs"
tap_cmp "$(api GET /metrics | awk '$1 == "sluice_http_requests_total{code=\"413\"}" { print $2 }')" ">=" 1 \
	"(the dispatcher did refuse a batch too large: 413)"
want_idx=(0 2 3 4 6 8)
k=0 seen="" ok=1
for id in $(out); do
	got=$(wait_job "$id" 60 | jq -r .stdout)
	want='{"TASK_COUNT":"6","TASK_ID":"'${want_idx[$k]}'","TASK_MAX":"8","TASK_MIN":"0"}'
	[ "$(jq -c 'del(.JOB_ID)' <<<"$got" 2>/dev/null)" = "$want" ] ||
		{ ok=0; tap_diag "task $k (job $id): $got"; }
	seen="$seen $(jq -r .JOB_ID <<<"$got")"
	k=$((k + 1))
done
tap_ok $((1 - ok)) "each task saw its own SLUICE_ARRAY_TASK_ID (in index order) and COUNT, MIN, MAX"
tap_is "$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c .)" 1 "all saw one SLUICE_ARRAY_JOB_ID"
tap_like "$(tr ' ' '\n' <<<"$seen" | grep .| head -1)" '^[0-9a-f]{16}$' "of 16 hex digits"
run submit --array 0-1 "$T/env.py"
id2=$(head -1 "$T/out")
tap_isnt "$(wait_job "$id2" 60 | jq -r .stdout | jq -r .JOB_ID)" "$(tr ' ' '\n' <<<"$seen" | grep . | head -1)" \
	"another array has another SLUICE_ARRAY_JOB_ID"
tap_is "$(api GET /v1/jobs/"$id2" | jq -c .labels)" "[]" "tasks carry no labels (labels choose nodes)"

# --- --json: the array's id, and each task's index and job.
run submit --json --array 1,5 "$T/env.py"
tap_is "$rc" 0 "--json exits 0"
tap_like "$(jq -r .array_id "$T/out")" '^[0-9a-f]{16}$' "--json has the array id"
tap_is "$(jq -c '[.tasks[].index]' "$T/out")" "[1,5]" "and each task's index"
jid=$(jq -r '.tasks[1].job.id' "$T/out")
tap_like "$jid" '^[0-9]+$' "and its job"
tap_is "$(wait_job "$jid" 60 | jq -r .stdout | jq -r .TASK_ID)" 5 "the job of index 5 is task 5"
tap_is "$(jq -r .array_id "$T/out")" "$(wait_job "$jid" 60 | jq -r .stdout | jq -r .JOB_ID)" \
	"the array id is the tasks' SLUICE_ARRAY_JOB_ID"

# --- --wait: every task waited for, the highest status.
run submit --wait --array 0-3 "$T/exit.py"
tap_is "$rc" 3 "--wait exits with the highest task status (3)"
tap_is "$(wc -l <"$T/out")" 4 "and prints the four ids"
tap_is "$(grep -c 'array task [123]) FAILED' "$T/err")" 3 "stderr names each task that failed"
ended=0
for id in $(out); do
	case $(state_of "$id") in COMPLETED | FAILED) ended=$((ended + 1)) ;; esac
done
tap_is "$ended" 4 "every task had ended when --wait returned"
run submit --wait --array 0,0,0 "$T/exit.py"
tap_is "$rc/$(wc -l <"$T/out")" 0/1 "an index repeated runs once; all COMPLETED exits 0"
run submit --wait --json --array 0-1 "$T/exit.py"
tap_is "$rc/$(jq -c '[.tasks[].job.state]' "$T/out")" '0/["COMPLETED","FAILED"]' \
	"--wait --json prints the ended jobs and exits 0"
tap_is "$(jq -c '.tasks[0].job | has("stdout")' "$T/out")" false "(without their output)"

# overlaps IDS...: the most tasks whose [started_at, finished_at] overlap.
overlaps() {
	local id
	for id in "$@"; do
		api GET "/v1/jobs/$id" | jq -r '"\(.started_at) 1\n\(.finished_at) -1"'
	done | sort | awk '{ n += $2; if (n > m) m = n } END { print m + 0 }'
}

# --- %N: at most N not ended at once.  Four slots: without %, four tasks
# of 1 s overlap; with %1 none does; with %2 two at most.
run submit --wait --array 0-3 "$T/sleep1.py"
tap_is "$rc" 0 "four 1 s tasks without % (exit 0)"
tap_cmp "$(overlaps $(out))" ">=" 2 "without % they run at once (the check below can fail)"
run submit --wait --array 0-3%1 "$T/sleep1.py"
tap_is "$rc/$(wc -l <"$T/out")" 0/4 "%1 with --wait: four tasks, exit 0"
tap_is "$(overlaps $(out))" 1 "%1: no two tasks ran at once"
ids=($(out))
ordered=1
for k in 1 2 3; do
	prev_end=$(api GET "/v1/jobs/${ids[$((k - 1))]}" | jq -r .finished_at)
	sub=$(api GET "/v1/jobs/${ids[$k]}" | jq -r .submitted_at)
	[[ "$sub" > "$prev_end" || "$sub" == "$prev_end" ]] || { ordered=0; tap_diag "task $k submitted $sub, before task $((k - 1)) finished $prev_end"; }
done
tap_ok $((1 - ordered)) "%1: each task was submitted only after the one before had finished"
run submit --wait --array 0-5%2 "$T/sleep1.py"
tap_is "$rc/$(wc -l <"$T/out")" 0/6 "%2 with --wait: six tasks, exit 0"
tap_cmp "$(overlaps $(out))" "<=" 2 "%2: never more than two tasks at once"
# A task that ends before an older one frees its place at once: while
# task 0 runs 4 s, the three short ones go through the other place.
cat >"$T/slow0.py" <<'EOF'
import os, time
time.sleep(4 if os.environ["SLUICE_ARRAY_TASK_ID"] == "0" else 0.2)
EOF
run submit --wait --array 0-3%2 "$T/slow0.py"
ids=($(out))
tap_is "$rc/${#ids[@]}" 0/4 "%2 with a slow first task: four tasks, exit 0"
last_start=$(api GET "/v1/jobs/${ids[3]}" | jq -r .started_at)
first_end=$(api GET "/v1/jobs/${ids[0]}" | jq -r .finished_at)
[[ "$last_start" < "$first_end" ]]
tap_ok $? "%2: the last task started while the slow first one still ran ($last_start < $first_end)"
# Without --wait, %1 returns once the last task is submitted: the others
# have ended then, the last one need not have.
run submit --array 0-2%1 "$T/sleep1.py"
ids=($(out))
tap_is "$rc/${#ids[@]}" 0/3 "%1 without --wait: three ids, exit 0"
tap_is "$(state_of "${ids[0]}")/$(state_of "${ids[1]}")" COMPLETED/COMPLETED \
	"it returned after the earlier tasks ended"
tap_is "$(wait_job "${ids[2]}" 60 | jq -r .state)" COMPLETED "and the last one runs on"

# --- Refusals by the dispatcher.
run submit --array 0-3 --runtime cobol "$T/hello.py"
tap_is "$rc" 65 "a task the dispatcher refuses (422) is 65"
tap_like "$(err)" "array task 0 was refused: .*cobol" "and the message says which and why"
tap_is "$(out)" "" "no id printed: every task was refused"
# beta may have 2 pending: with both nodes drained, the third task is
# refused (429), and the array stops there.
for n in node1 node2; do
	api POST "/v1/nodes/$n/drain" "" "$TOKEN_ADMIN" >/dev/null
done
before_b=$(njobs "$TOKEN_B")
SLUICE_TOKEN=$TOKEN_B run submit --array 0-9 "$T/hello.py"
tap_is "$rc" 75 "a task over the tenant's quota (429) stops the array: 75"
tap_is "$(wc -l <"$T/out")" 2 "the two tasks accepted are printed"
tap_like "$(err)" "array task 2 was refused" "the first task refused is named"
tap_is "$(njobs "$TOKEN_B")" $((before_b + 2)) "and no task after it was submitted"
SLUICE_TOKEN=$TOKEN_B run cancel $(out)
for n in node1 node2; do
	api POST "/v1/nodes/$n/resume" "" "$TOKEN_ADMIN" >/dev/null
done
tap_done
