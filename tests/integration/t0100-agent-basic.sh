#!/bin/bash
# The agent's everyday path: hello world, a non-zero exit, death by signal,
# and what the job directory holds afterwards.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 70100

run_py hello 'print("hello, world")'
tap_is "$RC" 0 "hello: run exits 0"
tap_is "$(r .verdict)" ok "hello: verdict ok"
tap_is "$(r .exit_code)" 0 "hello: exit code 0"
tap_is "$(cat "$DIR/stdout")" "hello, world" "hello: stdout captured"
tap_is "$(r .stdout_bytes)" 13 "hello: stdout_bytes counts the bytes"
tap_is "$(printf '%s\n' "$EVENTS" | jq -r .event | tr '\n' ' ')" \
	"accepted started finished " "hello: events accepted, started, finished"
tap_is "$(printf '%s\n' "$EVENTS" | tail -1 | jq -c .result)" \
	"$(jq -c . "$DIR/result.json")" "hello: finished event carries result.json"
tap_is "$(cat "$DIR/events")" "$EVENTS" "hello: events file matches run's output"
tap_is "$(r .limits.memory_bytes)" 268435456 "hello: applied limits reported"
tap_like "$(r .started_at)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "hello: RFC 3339 times"
check_clean hello

run_py exit3 'import sys; print("bye"); sys.exit(3)'
tap_is "$(r .verdict)" exited "exit 3: verdict exited"
tap_is "$(r .exit_code)" 3 "exit 3: exit code 3"
tap_is "$(r .signal)" null "exit 3: no signal"

run_py segv 'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'
tap_is "$(r .verdict)" signaled "SIGSEGV: verdict signaled"
tap_is "$(r .signal)" 11 "SIGSEGV: signal 11"
tap_is "$(r .exit_code)" null "SIGSEGV: no exit code"
check_clean signals

run_py raise 'raise ValueError("boom")'
tap_is "$(r .verdict)" exited "uncaught exception: exited"
tap_like "$(cat "$DIR/stderr")" 'ValueError: boom' "uncaught exception: traceback on stderr"

# clean takes several job directories (the dispatcher batches them).
run_py c1 'print(1)'
run_py c2 'print(2)'
out=$(agent clean "$BASE/jobs/c1" "$BASE/jobs/c2")
tap_is "$?" 0 "clean of two job directories exits 0"
tap_is "$(printf '%s\n' "$out" | jq -r .cleaned | tr '\n' ' ')" "true true " "one answer per directory"
tap_is "$(ls "$BASE/jobs" | grep -c '^c[12]$')" 0 "both directories are gone"
run_py c3 'print(3)'
agent clean /etc "$BASE/jobs/c3" >/dev/null
tap_is "$?" 2 "a refused directory among them decides the exit status"
tap_is "$([ -d "$BASE/jobs/c3" ] && echo kept || echo gone)" gone "and the good ones are still cleaned"

tap_done
