#!/bin/bash
# Compiled languages through the dispatcher: a job of a runtime with a
# compile stage reports `compile` (its verdict, exit, usage, output and
# limits) apart from the run; a failed compile ends the job FAILED with the
# verdict compile_error, is not tried again, and has no judgement; submit
# takes compile_limits, checked as limits are.  Runs the C and Java
# runtimes etc/agent.conf ships, where this machine has them.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

[ -x /usr/bin/gcc ] || tap_skip_all "no /usr/bin/gcc (package gcc)"
# nolib: its interpreter answers --version on the node, but cannot run in
# the sandbox (its libraries are not bound): its check fails.
DISP_RUNTIMES="$(etc_runtime c java),
  { name = \"nolib\"; command = [ \"/usr/bin/python3\", \"{entry}\" ]; binds = [ \"/usr\" ]; }"
# A margin of 1 s: an attempt's deadline must count the compile stage.
disp_setup 83400 1 2 'attempt_margin_seconds = 1;'
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP"

N=$(api GET /v1/nodes/node1)
tap_is "$(jq -r '[.runtimes[] | "\(.name):\(.compile)"] | join(",")' <<<"$N")" \
	"python3:false,c:true$([ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/javac ] && echo ",java:true")" \
	"the node offers the runtimes whose check passed, and says which compile"
tap_like "$(jq -r '.failing_runtimes[] | select(.name == "nolib") | .error' <<<"$N")" \
	"cannot execute '/usr/bin/python3'" "and lists the one that failed, with why"
tap_is "$(api GET /v1/runtimes | jq -r '[.runtimes[].name | select(. == "nolib")] | length')" 0 \
	"GET /v1/runtimes does not offer it"
tap_is "$(api GET /v1/runtimes | jq -r '.runtimes[] | select(.name == "c") | .compile')" true \
	"GET /v1/runtimes says c compiles"
submit_py 'print(1)' '{"runtime": "nolib"}' >/dev/null
tap_is "$(http_status)" 422 "a job of a runtime that failed its check everywhere is refused"

# submit RUNTIME ENTRY CODE [EXTRA_JSON]: prints the job id.
submit() {
	local body
	body=$(jq -cn --arg rt "$1" --arg e "$2" --arg src "$3" --argjson x "${4:-"{}"}" \
		'{runtime: $rt, files: {($e): $src}, entry: $e} + $x')
	api POST /v1/jobs "$body" | jq -r '.id // empty'
}

HELLO='#include <stdio.h>
int main(void) { printf("hello %d\n", 6 * 7); return 0; }'
id=$(submit c main.c "$HELLO")
J=$(wait_job "$id")
tap_is "$(jq -r '[.state, .verdict, .stdout] | join("/")' <<<"$J")" "COMPLETED/ok/hello 42" "c: hello"
tap_is "$(jq -r '.compile | [.verdict, .exit_code, .stdout, .stderr, .limits.cpu_seconds] | join("/")' <<<"$J")" \
	"ok/0///10" "c: the compile stage, with its own limits"
tap_is "$(jq -r '.compile | keys | join(",")' <<<"$J")" \
	"cpu_seconds,exit_code,limits,memory_peak_bytes,signal,stderr,stderr_truncated,stdout,stdout_truncated,verdict,wall_seconds" \
	"c: the compile object's fields"
tap_is "$(api GET "/v1/jobs?limit=1" | jq -r '.jobs[0].compile | has("stdout")')" false \
	"lists show the compile object without its output"

J=$(api POST "/v1/jobs?wait=60" "$(jq -cn --arg src "$HELLO" '{runtime: "c", source: $src}')")
tap_is "$(jq -r '[.state, .stdout] | join("/")' <<<"$J")" "COMPLETED/hello 42" "c: the short form (its file is main.c)"

id=$(submit c main.c 'int main(void) { return undeclared; }' '{"expected_output": "x"}')
J=$(wait_job "$id")
tap_is "$(jq -r '[.state, .verdict, .exit_code, .judgement, .attempts] | join("/")' <<<"$J")" \
	"FAILED/compile_error///1" "c: a compile error ends the job FAILED compile_error, once, with no judgement"
tap_is "$(jq -r '[.compile.verdict, .compile.exit_code] | join("/")' <<<"$J")" "exited/1" \
	"c: the compile stage says how it ended"
tap_like "$(jq -r .compile.stderr <<<"$J")" "undeclared" "c: with the compiler's message"
tap_is "$(jq -r .stdout <<<"$J")" "" "c: and the run's output is empty"
tap_like "$(jq -r .reason <<<"$J")" "^compile stage: exited with status 1" "c: the job's reason says why"
ST=$(SLUICE_SERVER="$DISP_URL" SLUICE_TOKEN="$TOKEN_A" "$SLUICE_BIN" status "$id")
tap_is "$(grep -c '^Compile: exited exit_code=1 ' <<<"$ST")" 1 "sluice status shows how the compile stage ended"
tap_cmp "$(sed -n '/^CompileStderr: |/,/^[A-Z]/p' <<<"$ST" | grep -c undeclared)" '>=' 1 "and what the compiler said"
# What a job prints reaches a terminal without controls: C1 ones (CSI,
# OSC in UTF-8) too.
id=$(submit c main.c '#include <stdio.h>
int main(void) { printf("a\xc2\x9b" "2Jb\xc2\x9d" "0;t\n"); return 0; }')
wait_job "$id" >/dev/null
ST=$(SLUICE_SERVER="$DISP_URL" SLUICE_TOKEN="$TOKEN_A" "$SLUICE_BIN" status "$id")
tap_is "$(sed -n '/^Stdout: |/{n;p}' <<<"$ST")" "  a??2Jb??0;t" "sluice status shows C1 controls as ?"

# The CLI: the runtime by the entry's extension, and a compile error's
# words on stderr.
printf '%s\n' "$HELLO" >"$T/hello.c"
printf 'int main(void) { return undeclared; }\n' >"$T/bad.c"
OUT=$(SLUICE_SERVER="$DISP_URL" SLUICE_TOKEN="$TOKEN_A" "$SLUICE_BIN" submit --wait "$T/hello.c")
tap_is "$?/$OUT" "0/hello 42" "sluice submit hello.c: run as c, by its extension"
SLUICE_SERVER="$DISP_URL" SLUICE_TOKEN="$TOKEN_A" "$SLUICE_BIN" submit --wait "$T/bad.c" >"$T/bad.out" 2>"$T/bad.err"
tap_is "$?" 70 "sluice submit --wait bad.c: exits as a failure"
tap_like "$(cat "$T/bad.err")" "undeclared" "and prints what the compiler said on stderr"
tap_like "$(tail -n 1 "$T/bad.err")" "FAILED \\(compile_error: compile stage: exited with status 1\\)" "then why"
OUT=$(SLUICE_SERVER="$DISP_URL" SLUICE_TOKEN="$TOKEN_A" "$SLUICE_BIN" submit --wait --runtime python3 "$T/bad.c" 2>/dev/null)
tap_is "$?" 1 "--runtime still chooses (python3 reads C as a syntax error)"

id=$(submit c main.c "$HELLO" '{"compile_limits": {"cpu_seconds": 0.001}}')
J=$(wait_job "$id")
tap_is "$(jq -r '[.verdict, .compile.verdict, .compile.limits.cpu_seconds] | join("/")' <<<"$J")" \
	"compile_error/cpu_limit/0.001" "compile_limits reach the compile stage"

id=$(submit c main.c 'int main(void) { for (;;); }' '{"limits": {"cpu_seconds": 0.5}}')
J=$(wait_job "$id")
tap_is "$(jq -r '[.state, .verdict, .compile.verdict] | join("/")' <<<"$J")" "TIMEOUT/cpu_limit/ok" \
	"a run out of time is the run's verdict"

id=$(submit_py 'print(1)')
tap_is "$(wait_job "$id" | jq -r '.compile')" null "python3: compile is null"

# A compile stage of seconds before a run of at most 1 s: the attempt's
# deadline (run wall, compile stage, margin) holds both.
SLOW=$(python3 -c '
print("#include <stdio.h>")
for i in range(900): print("int f%d(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * %d %% 7; return s; }" % (i, i))
print("int main(void) { printf(\"%d\\n\", f1(3)); return 0; }")')
id=$(submit c main.c "$SLOW" '{"limits": {"wall_seconds": 1}}')
J=$(wait_job "$id" 120)
tap_is "$(jq -r '[.state, .attempts, .stdout] | join("/")' <<<"$J")" "COMPLETED/1/3" "a compile stage longer than the run's wall and the margin: the attempt waits for it"
# The case shows the deadline only if this machine's gcc took longer than
# run wall + margin; a faster one says so instead of failing.
cw=$(jq -r .compile.wall_seconds <<<"$J")
if awk -v w="$cw" 'BEGIN { exit !(w > 2) }'; then
	tap_ok 0 "(it took more than run wall + margin: $cw s)"
else
	tap_ok 0 "(it took more than run wall + margin) # SKIP this machine compiled it in $cw s, within 2 s"
fi

before=$(api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length')
for extra in '{"compile_limits": {"cpu_seconds": -1}}' '{"compile_limits": {"cpu": 1}}' \
	'{"compile_limits": {"cpu_seconds": "1"}}' '{"compile_limits": [1]}' \
	'{"compile_limits": {"disk_bytes": 1000}}'; do
	submit c main.c "$HELLO" "$extra" >/dev/null
	tap_like "$(http_status)" '^4(00|22)$' "refused: $extra"
done
tap_is "$(api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length')" "$before" \
	"refused: nothing was submitted"
# A runtime without a compile stage: the node refuses the manifest.
id=$(submit_py 'print(1)' '{"compile_limits": {"cpu_seconds": 1}}')
J=$(wait_job "$id")
tap_is "$(jq -r '[.state] | join("/")' <<<"$J")" "FAILED" "compile_limits for a runtime without a compile stage: the job fails"
tap_like "$(jq -r .reason <<<"$J")" "no compile stage" "and says why"

if [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/javac ]; then
	id=$(submit java Main.java 'public class Main { public static void main(String[] a) { System.out.println("hello " + 6 * 7); } }')
	J=$(wait_job "$id" 120)
	tap_is "$(jq -r '[.verdict, .compile.verdict, .stdout] | join("/")' <<<"$J")" "ok/ok/hello 42" "java: hello"
else
	tap_ok 0 "java # SKIP no OpenJDK 17 javac (package openjdk-17-jdk-headless)"
fi

tap_done
