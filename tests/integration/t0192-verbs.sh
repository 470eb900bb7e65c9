#!/bin/bash
# Hostile to the agent's own verbs: a killed `run` or `wait` never stops the
# job, and wait reattaches; cancel stops a running job at once and refuses a
# staged one its start; status reports running and finished; clean removes
# a finished job and refuses a running one; info describes the node.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71920

SLEEP3='import time
print("start", flush=True)
time.sleep(3)
print("done", flush=True)'

# --- run killed mid-job, wait reattaches ------------------------------------
DIR=$(job_py detach "$SLEEP3")
"$AGENT_BIN" --config "$CONF" run "$DIR" >"$T/run.out" 2>&1 &
RUN_PID=$!
sleep 0.5
wait_event "$DIR" started 5
tap_ok $? "run killed: the job had started"
kill -9 "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
tap_is "$(agent status "$DIR" | jq -r .state)" running "run killed: the job is still running"
tap_cmp "$(slot_procs)" '>=' 1 "run killed: the job's process is alive"
t0=$(now)
out=$(agent wait "$DIR")
rc=$?
tap_is "$rc" 0 "run killed: wait exits 0"
tap_is "$(printf '%s\n' "$out" | jq -r .event | tr '\n' ' ')" "accepted started finished " "run killed: wait prints every event"
tap_is "$(printf '%s\n' "$out" | tail -1 | jq -r .result.verdict)" ok "run killed: the finished event says ok"
tap_is "$(jq -r .verdict "$DIR/result.json")" ok "run killed: result.json verdict ok"
tap_is "$(cat "$DIR/stdout" | tr '\n' ' ')" "start done " "run killed: the job ran to its end"
tap_cmp "$(since "$t0")" '<' 4 "run killed: wait returned when the job ended"
tap_cmp "$(jq -r .wall_seconds "$DIR/result.json")" '>=' 3 "run killed: the job was not cut short"
check_clean "run killed"

# --- wait killed and restarted ----------------------------------------------
DIR=$(job_py rewait "$SLEEP3")
"$AGENT_BIN" --config "$CONF" run "$DIR" >/dev/null 2>&1 &
RUN_PID=$!
wait_event "$DIR" started 5
kill -9 "$RUN_PID"; wait "$RUN_PID" 2>/dev/null
"$AGENT_BIN" --config "$CONF" wait "$DIR" >"$T/wait1.out" 2>&1 &
WAIT_PID=$!
sleep 0.5
kill -9 "$WAIT_PID"; wait "$WAIT_PID" 2>/dev/null
tap_is "$(jq -r .event "$T/wait1.out" 2>/dev/null | tr '\n' ' ')" "accepted started " "wait killed: the first wait had printed the events so far"
out=$(agent wait "$DIR")
rc=$?
tap_is "$rc" 0 "wait killed: a second wait exits 0"
tap_is "$(printf '%s\n' "$out" | tail -1 | jq -r .result.verdict)" ok "wait killed: it prints the finished event, verdict ok"
out2=$(agent wait "$DIR")
tap_is "$?" 0 "wait on a finished job exits 0 at once"
tap_is "$out2" "$out" "wait on a finished job prints the same events"
check_clean "wait killed"

# --- a hang-up of run's whole process group (a dropped SSH link) -----------
DIR=$(job_py hangup "$SLEEP3")
setsid "$AGENT_BIN" --config "$CONF" run "$DIR" >/dev/null 2>&1 &
RUN_PID=$!
wait_event "$DIR" started 5
kill -HUP -- -"$RUN_PID" 2>/dev/null
kill -TERM -- -"$RUN_PID" 2>/dev/null
kill -INT -- -"$RUN_PID" 2>/dev/null
wait "$RUN_PID" 2>/dev/null
out=$(agent wait "$DIR")
tap_is "$?" 0 "hang-up: wait exits 0"
tap_is "$(printf '%s\n' "$out" | tail -1 | jq -r .result.verdict)" ok "hang-up: SIGHUP/TERM/INT to run's group did not stop the job"
tap_is "$(cat "$DIR/stdout" | tr '\n' ' ')" "start done " "hang-up: the job ran to its end"
check_clean "hang-up"

# --- wait and status on odd states -------------------------------------------
DIR=$(job_py waitstaged 'print(1)')
out=$(agent wait "$DIR")
tap_is "$?" 2 "wait on a staged job: exits 2"
tap_like "$out" '"error"' "wait on a staged job: with a JSON error"
tap_ok "$([ ! -e "$DIR/events" ]; echo $?)" "wait on a staged job: does not start it"
out=$(agent status "$BASE/jobs/nosuchjob")
tap_is "$?" 2 "status of a missing job: exits 2"
out=$(agent frobnicate "$DIR")
tap_is "$?" 2 "unknown verb: exits 2"
tap_like "$out" '"error"' "unknown verb: with a JSON error"

# --- cancel a running job ----------------------------------------------------
DIR=$(job_py cancel 'import time
print("sleeping", flush=True)
time.sleep(30)
print("woke")' '{"wall_seconds": 60}')
agent run "$DIR" >"$T/cancel-run.out" &
RUN_BG=$!
wait_event "$DIR" started 5
sleep 0.3
tap_is "$(agent status "$DIR" | jq -c '{state, result}')" '{"state":"running","result":null}' "status: running mid-job, no result"
t0=$(now)
cout=$(agent cancel "$DIR")
crc=$?
el=$(since "$t0")
tap_is "$crc" 0 "cancel: exits 0"
tap_cmp "$el" '<' 1.5 "cancel: returns within about a second"
tap_like "$cout" '"cancelled":true' "cancel: says it cancelled"
tap_is "$(jq -r .verdict "$DIR/result.json")" cancelled "cancel: verdict cancelled"
tap_is "$(cat "$DIR/stdout")" sleeping "cancel: the job never woke"
wait "$RUN_BG"
tap_is "$?" 0 "cancel: the run following it exits 0"
tap_is "$(tail -1 "$T/cancel-run.out" | jq -r .result.verdict)" cancelled "cancel: run's finished event says cancelled"
st=$(agent status "$DIR")
tap_is "$(printf '%s' "$st" | jq -r .state)" finished "status: finished after the end"
tap_is "$(printf '%s' "$st" | jq -r .result.verdict)" cancelled "status: carries the result"
tap_is "$(printf '%s' "$st" | jq -c .result)" "$(jq -c . "$DIR/result.json")" "status: result equals result.json"
check_clean "cancel running"

# --- cancel a staged job ------------------------------------------------------
DIR=$(job_py staged 'open("/out/ran", "w").write("ran"); print("ran")')
tap_is "$(agent status "$DIR" | jq -c '{state, result}')" '{"state":"staged","result":null}' "status: staged before run"
cout=$(agent cancel "$DIR")
tap_is "$?" 0 "cancel staged: exits 0"
tap_is "$(jq -r .verdict "$DIR/result.json")" cancelled "cancel staged: verdict cancelled"
out=$(agent run "$DIR")
tap_is "$?" 2 "cancel staged: a later run exits 2"
tap_like "$out" '"error"' "cancel staged: with a JSON error"
tap_ok "$([ ! -e "$DIR/stdout" ] && [ ! -e "$DIR/out/ran" ]; echo $?)" "cancel staged: the job never ran"
tap_is "$(agent status "$DIR" | jq -r .result.verdict)" cancelled "cancel staged: status says cancelled"
check_clean "cancel staged"

# cancel on a finished job changes nothing.
DIR=$(job_py finished 'print("hi")')
run_job "$DIR"
before=$(cat "$DIR/result.json")
agent cancel "$DIR" >/dev/null
tap_is "$(cat "$DIR/result.json")" "$before" "cancel finished: the result is unchanged"

# --- clean --------------------------------------------------------------------
DIR=$(job_py cleanrun 'import time; time.sleep(3)')
agent run "$DIR" >/dev/null &
RUN_BG=$!
wait_event "$DIR" started 5
out=$(agent clean "$DIR")
crc=$?
tap_isnt "$crc" 0 "clean running: refused (non-zero exit)"
tap_like "$out" '"error"' "clean running: with a JSON error"
tap_ok "$([ -f "$DIR/job.json" ] && [ -f "$DIR/events" ]; echo $?)" "clean running: the directory is intact"
tap_is "$(agent status "$DIR" | jq -r .state)" running "clean running: the job still runs"
wait "$RUN_BG"
tap_is "$(jq -r .verdict "$DIR/result.json")" ok "clean running: the job finished ok"
out=$(agent clean "$DIR")
tap_is "$?" 0 "clean finished: exits 0"
tap_ok "$([ ! -e "$DIR" ]; echo $?)" "clean finished: the directory is gone"
tap_ok "$([ -d "$BASE/jobs" ]; echo $?)" "clean finished: jobs/ itself stays"
# A job that filled /out with many files and a deep tree is cleaned too.
DIR=$(job_py cleandeep 'import os
p = "/out"
for i in range(30):
    p += "/d"
    os.mkdir(p)
    open(p + "/f", "w").write("x")')
run_job "$DIR"
agent clean "$DIR" >/dev/null
tap_ok "$([ ! -e "$DIR" ]; echo $?)" "clean: a job with a deep /out tree is removed"
check_clean clean

# --- info ---------------------------------------------------------------------
info=$(agent info)
tap_is "$?" 0 "info: exits 0"
tap_is "$(printf '%s' "$info" | jq -r .slots)" 2 "info: slots"
tap_is "$(printf '%s' "$info" | jq -r .slots_busy)" 0 "info: slots_busy 0 when idle"
tap_is "$(printf '%s' "$info" | jq -r .cgroup)" v1 "info: cgroup v1"
tap_is "$(printf '%s' "$info" | jq -r .features.seccomp)" true "info: features.seccomp true"
tap_is "$(printf '%s' "$info" | jq -c '.features | [.pid_ns, .net_ns, .mnt_ns]')" '[true,true,true]' "info: features.pid_ns, net_ns, mnt_ns true"
tap_like "$(printf '%s' "$info" | jq -r '.runtimes[0].name + " " + .runtimes[0].version')" '^python3 Python 3\.11\.[0-9]+$' "info: runtimes[0] is python3, Python 3.11.x"
tap_is "$(printf '%s' "$info" | jq -c '.defaults | {cpu_seconds, wall_seconds, memory_bytes, processes}')" \
	'{"cpu_seconds":5,"wall_seconds":10,"memory_bytes":268435456,"processes":32}' "info: defaults from the config"
tap_is "$(printf '%s' "$info" | jq -c '.ceilings | {cpu_seconds, memory_bytes, output_bytes}')" \
	'{"cpu_seconds":60,"memory_bytes":2147483648,"output_bytes":16777216}' "info: ceilings from the config"
tap_is "$(printf '%s' "$info" | jq -r .base_dir)" "$BASE" "info: base_dir"
tap_like "$(printf '%s' "$info" | jq -r .kernel)" "^$(uname -r | sed 's/[.+]/\\&/g')\$" "info: kernel"
DIR=$(job_py busy 'import time; time.sleep(2)')
agent run "$DIR" >/dev/null &
RUN_BG=$!
wait_event "$DIR" started 5
tap_is "$(agent info | jq -r .slots_busy)" 1 "info: slots_busy 1 while a job runs"
wait "$RUN_BG"
tap_is "$(agent info | jq -r .slots_busy)" 0 "info: slots_busy back to 0 after it"
check_clean info

# --- events the job directory's owner wrote or cut: every verb ends -------
# (the account owns its events file; a follower must never loop on it)
DIR=$(job_py forged 'print(1)')
printf '{"event":"finished"}' >"$DIR/events"
for verb in wait status cancel; do
	t0=$(now)
	timeout 20 "$AGENT_BIN" --config "$CONF" $verb "$DIR" >"$T/forged.$verb" 2>&1
	rc=$?
	tap_isnt "$rc" 124 "forged unterminated finished: $verb ends"
	tap_cmp "$(since "$t0")" '<' 10 "forged unterminated finished: $verb ends within seconds"
done
tap_is "$(agent status "$DIR" | jq -r .state)" finished "forged unterminated finished: the job is settled finished"
tap_is "$(agent status "$DIR" | jq -r .result.verdict)" sandbox_error "forged unterminated finished: as a sandbox error"

DIR=$(job_py truncated 'import time
time.sleep(2)
print("done")')
agent run "$DIR" >"$T/trunc.out" 2>&1 &
RUN_BG=$!
wait_event "$DIR" started 5
: >"$DIR/events"
t0=$(now)
for _ in $(seq 200); do kill -0 "$RUN_BG" 2>/dev/null || break; sleep 0.1; done
tap_ok "$(kill -0 "$RUN_BG" 2>/dev/null; echo $((!$?)))" "truncated events: run ends"
wait "$RUN_BG"
tap_isnt "$?" 0 "truncated events: and says it failed"
tap_like "$(cat "$T/trunc.out")" "truncated" "truncated events: the error says why"
for _ in $(seq 100); do [ -e "$DIR/result.json" ] && break; sleep 0.1; done
tap_is "$(jq -r .verdict "$DIR/result.json" 2>/dev/null)" ok "truncated events: the job itself ran to its end"
check_clean "truncated events"

tap_done
