#!/bin/bash
# The Piston v2 API (docs/api.md, "Piston v2"), driven by the real
# piston-client 1.0.2 from npm, unmodified, with only its server option set:
# it sends no Authorization header, posts text/plain, and wants an array
# from GET /api/v2/runtimes.  Its tenant is reached by a token in the path
# (path_token in sluice.conf); without one it is refused, and every check,
# limit and quota of /v1 applies.  Or by an address of its own (listen of
# a token in sluice.conf), where the client sends nothing at all.  .ci/run
# installs the package into tests/npm (SLUICE_NPM_DIR elsewhere).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"
. "$top_srcdir/tests/lib/agent.sh"
# The languages etc/agent.conf ships; a node offers those whose check
# passes (a machine without gcc skips the compiled cases below).
DISP_RUNTIMES=$(etc_runtime c cpp java javascript)

NPM_DIR=${SLUICE_NPM_DIR:-$top_srcdir/tests/npm}
CLIENT_JS="$NPM_DIR/node_modules/piston-client/index.js"
command -v node >/dev/null || tap_skip_all "no node"
[ -f "$CLIENT_JS" ] || tap_skip_all "no piston-client"
command -v jq >/dev/null || tap_skip_all "no jq"

# One node; alpha and beta may give their tokens in the path, beta has
# quotas to run into and an address of its own (a free port of 27100 to
# 27199), and a Piston execution is held 4 s at most.
disp_setup 88000 1 2 'wait_max_seconds = 4;'
LPORT=$(node_free_port_in 27100 27199)
[ -n "$LPORT" ] || tap_bail "no free port in 27100-27199"
sed -i -e 's/\(name = "alpha";.*role = "submit";\) }/\1 path_token = true; }/' \
	-e "s/\\(name = \"beta\";.*role = \"submit\";\\) }/\\1 max_pending = 1; max_running = 1; path_token = true; listen = \"127.0.0.1:$LPORT\"; }/" \
	"$T/sluice.conf"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the daemon is up with its node"

# The client, as an application uses it: piston({ server }), then
# runtimes() or execute(language, code, config); the result (or what it
# threw) as one JSON line.
cat >"$T/drive.mjs" <<'EOF'
import { pathToFileURL } from "node:url";
const [server, action, arg] = process.argv.slice(2);
const { default: piston } = await import(pathToFileURL(process.env.PISTON_CLIENT).href);
const client = piston({ server });
let r;
try {
	if (action === "runtimes")
		r = await client.runtimes();
	else {
		const a = JSON.parse(arg);
		r = await client.execute(a.language, a.code, a.config || {});
	}
} catch (e) {
	r = { thrown: String(e) };
}
console.log(JSON.stringify(r));
EOF
ALPHA="$DISP_URL/t/$TOKEN_A"
BETA="$DISP_URL/t/$TOKEN_B"

# drive SERVER runtimes | drive SERVER execute LANGUAGE CODE [CONFIG_JSON]
drive() {
	local arg=""
	[ "$2" = execute ] && arg=$(jq -cn --arg l "$3" --arg c "$4" \
		--argjson cf "${5:-"{}"}" '{language: $l, code: $c, config: $cf}')
	PISTON_CLIENT="$CLIENT_JS" timeout 60 node "$T/drive.mjs" "$1" "$2" "$arg" 2>>"$T/node.err"
}

# The version the node's python3 reports, as Piston writes versions.
pyver=$("$NODE_PYTHON" -c 'import platform; print(platform.python_version())')

out=$(drive "$ALPHA" runtimes)
tap_is "$(jq -r 'type' <<<"$out")" array "runtimes(): a JSON array"
tap_is "$(jq -c '[.[] | select(.language == "python")][0] | [.version, .aliases, .runtime]' <<<"$out")" \
	"[\"$pyver\",[\"py\",\"py3\",\"python3\"],\"python3\"]" \
	"runtimes(): python at the node's version, with its aliases and runtime"
tap_is "$(jq -r 'map(.runtime) | sort | join(",")' <<<"$out")" \
	"$(api GET /v1/runtimes | jq -r '[.runtimes[].name] | sort | join(",")')" \
	"runtimes(): exactly the languages the node offers"

n0=$(api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length')
out=$(drive "$ALPHA" execute python 'import sys; print("hello", sys.argv[1:])')
tap_is "$(jq -c '[.language, .version, .run.stdout, .run.stderr, .run.output, .run.code, .run.signal]' <<<"$out")" \
	"[\"python\",\"$pyver\",\"hello ['1', '2', '3']\\n\",\"\",\"hello ['1', '2', '3']\\n\",0,null]" \
	"execute(): hello, with piston-client's default args"
tap_is "$(jq -c '[.run.status, .run.message, (.run.cpu_time | type), (.run.wall_time | type), (.run.memory | type), has("compile")]' <<<"$out")" \
	'[null,null,"number","number","number",false]' \
	"execute(): no status or message for a clean run; times and memory; no compile stage for python"
job=$(api GET "/v1/jobs?limit=1" "" "$TOKEN_A" | jq -c '.jobs[0] | {runtime, tenant, state}')
tap_is "$job" '{"runtime":"python3","tenant":"alpha","state":"COMPLETED"}' \
	"the execution is a job of the path token's tenant in /v1"

out=$(drive "$ALPHA" execute python 'import sys; print(repr(sys.stdin.read()))' '{"stdin": "abc"}')
tap_is "$(jq -r .run.stdout <<<"$out")" "'abc\\n'" "stdin reaches the program, ended by a newline as Piston ends it"
out=$(drive "$ALPHA" execute python 'import sys; print(sys.argv[1:])' '{"args": ["x", "y z", ""]}')
tap_is "$(jq -r .run.stdout <<<"$out")" "['x', 'y z', '']" "args reach the program as given"

out=$(drive "$ALPHA" execute py 'import sys; print("oops", file=sys.stderr); sys.exit(3)')
tap_is "$(jq -c '[.language, .run.code, .run.signal, .run.stdout, .run.stderr, .run.output, .run.status, .run.message]' <<<"$out")" \
	'["python",3,null,"","oops\n","oops\n","RE","Exited with error status 3"]' \
	"an alias (py, which the client cannot find a version for: none is sent) runs; exit 3 is code 3, RE"

out=$(drive "$ALPHA" execute python 'while True: pass' '{"runTimeout": 1000, "version": "3.x"}')
tap_is "$(jq -c '[.run.code, .run.signal, .run.status]' <<<"$out")" '[null,"SIGKILL","TO"]' \
	"a version pattern (3.x) is taken; run_timeout 1000 ms stops a loop: SIGKILL, TO"
tap_cmp "$(jq '.run.wall_time' <<<"$out")" "<" 20000 "run_timeout is the wall limit in ms, not seconds (a bound load cannot break)"

out=$(drive "$ALPHA" execute python 'print(1)' '{"version": "2"}')
tap_is "$(jq -c . <<<"$out")" '{"message":"python-2 runtime is unknown"}' \
	"a version no node offers is Piston's 'runtime is unknown'"
out=$(drive "$ALPHA" execute cobol 'DISPLAY 1.')
tap_is "$(jq -c . <<<"$out")" '{"message":"cobol-* runtime is unknown"}' \
	"an unknown language is Piston's 'runtime is unknown'"

# Files: several, with encodings; the first utf8 one runs.
body=$(jq -cn '{language: "python", version: "*", files: [
	{name: "d.bin", content: "AAEC/w==", encoding: "base64"},
	{name: "main.py", content: "import helper\nprint(open(\"d.bin\",\"rb\").read(), open(\"h.bin\",\"rb\").read(), helper.X)"},
	{name: "helper.py", content: "X = 42\n"},
	{name: "h.bin", content: "00ff41", encoding: "hex"}]}')
out=$(curl -sS -H 'Content-Type: text/plain;charset=UTF-8' --data-binary "$body" "$ALPHA/api/v2/execute")
tap_is "$(jq -r .run.stdout <<<"$out")" "b'\\x00\\x01\\x02\\xff' b'\\x00\\xffA' 42" \
	"files: base64 and hex files, a module, and the first utf8 file runs"

# Refusals: 400 {"message"} as Piston's, and nothing submitted.
n1=$(api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length')
check_400() {
	local body=$1 want=$2 name=$3 got
	got=$(curl -sS -w '\n%{http_code}' --data-binary "$body" "$ALPHA/api/v2/execute")
	tap_is "${got##*$'\n'}" 400 "$name: 400"
	tap_like "$(jq -r .message <<<"${got%$'\n'*}")" "$want" "$name: says why"
}
check_400 'not json' 'not JSON' "a body that is not JSON"
check_400 '[1]' 'JSON object' "a body that is no object"
check_400 '{"version": "*", "files": [{"content": "print(1)"}]}' 'language is required as a string' "no language"
check_400 '{"language": "python", "files": "print(1)"}' 'files is required as an array' "files not an array"
check_400 '{"language": "python", "files": []}' 'at least one utf8' "no files"
check_400 '{"language": "python", "files": [{"content": 5}]}' 'files\[0\].content is required as a string' "content not a string"
check_400 '{"language": "python", "files": [{"content": "AA", "encoding": "base64"}]}' 'at least one utf8' "only a binary file"
check_400 '{"language": "python", "files": [{"content": "x"}, {"content": "!!", "encoding": "base64"}]}' 'not valid base64' "bad base64"
check_400 '{"language": "python", "files": [{"content": "x"}, {"content": "0g", "encoding": "hex"}]}' 'not valid hex' "bad hex"
check_400 '{"language": "python", "files": [{"content": "x", "encoding": "utf16"}]}' 'utf8, base64 or hex' "an unknown encoding"
check_400 '{"language": "python", "files": [{"name": "../evil.py", "content": "x"}]}' '\.\.' "a file name that climbs out"
check_400 '{"language": "python", "files": [{"name": "a.py", "content": "x"}, {"name": "a.py", "content": "y"}]}' 'given twice' "a name given twice"
check_400 '{"language": "python", "files": [{"content": "x"}], "run_timeout": "5"}' 'run_timeout must be a number' "a limit that is not a number"
check_400 '{"language": "python", "files": [{"content": "x"}], "run_timeout": -5}' 'must be non-negative' "a negative limit"
check_400 '{"language": "python", "files": [{"content": "x"}], "run_memory_limit": 1e15}' 'no configured node' "a memory limit above every ceiling"
check_400 '{"language": "python", "files": [{"content": "x"}], "args": [1]}' 'array of strings' "args not strings"
check_400 '{"language": "python", "files": [{"content": "x"}], "args": ["a\u0000b"]}' 'NUL' "a NUL in an argument"
check_400 '{"language": "py\u0000thon", "files": [{"content": "x"}]}' 'language is required as a string' "a NUL in the language"
check_400 '{"language": "python", "files": [{"name": "a.py\u0000/../../x", "content": "x"}]}' 'without NUL' "a NUL in a file name"
check_400 '{"language": "python", "files": [{"content": "x", "encoding": "utf8\u0000x"}]}' 'utf8, base64 or hex' "a NUL in an encoding"
n2=$(api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length')
tap_is "$n2" "$n1" "no refused request submitted a job"
{ printf '{"language":"python","files":[{"content":"'
	head -c 34000000 /dev/zero | tr '\0' a
	printf '"}]}'; } >"$T/big.json"
got=$(curl -sS -w '\n%{http_code}' --data-binary @"$T/big.json" "$ALPHA/api/v2/execute")
tap_is "${got##*$'\n'}" 413 "a body over max_body_bytes: 413"
rm -f "$T/big.json"

# Who may call it.
out=$(drive "$DISP_URL" runtimes)
tap_like "$(jq -r .message <<<"$out")" 'missing token' \
	"without a token (no path token, no header): runtimes() gets Piston's 401 message"
out=$(drive "$DISP_URL" execute python 'print(1)')
tap_like "$(jq -r .thrown <<<"$out")" 'TypeError' \
	"... and piston-client's execute() fails on it (it expects an array)"
got=$(curl -sS -w '\n%{http_code}' --data-binary '{"language":"python","files":[{"content":"print(1)"}]}' "$DISP_URL/api/v2/execute")
tap_is "${got##*$'\n'}" 401 "POST /api/v2/execute without a token: 401"
got=$(curl -sS -w '\n%{http_code}' "$DISP_URL/t/$TOKEN_ADMIN/api/v2/runtimes")
tap_is "${got##*$'\n'}" 401 "a token without path_token given in the path: 401"
tap_like "${got%$'\n'*}" 'path_token' "... saying so"
got=$(curl -sS -w '\n%{http_code}' "$DISP_URL/t/not-a-token/api/v2/runtimes")
tap_is "${got##*$'\n'}" 401 "an unknown token in the path: 401"
got=$(curl -sS -w '\n%{http_code}' "$DISP_URL/t/$TOKEN_A/v1/jobs")
tap_is "${got##*$'\n'}" 404 "a path token reaches the Piston and Judge0 APIs only, not /v1"
got=$(curl -sS -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN_B" "$DISP_URL/api/v2/runtimes")
tap_is "${got##*$'\n'}" 200 "a bearer token in the header works as well"
n3=$(api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length')
tap_is "$n3" "$n2" "no refused caller submitted a job"

# An address of the tenant's own: the client sends no token at all.
OWN="http://127.0.0.1:$LPORT"
out=$(drive "$OWN" runtimes)
tap_is "$(jq -r 'type' <<<"$out")" array "at beta's own address (listen): runtimes() with no token"
out=$(drive "$OWN" execute python 'print("hi from", 6 * 7)')
tap_is "$(jq -c '[.run.stdout, .run.code]' <<<"$out")" '["hi from 42\n",0]' \
	"... and execute(), with nothing but the server set"
tap_is "$(api GET "/v1/jobs?limit=1" "" "$TOKEN_B" | jq -c '.jobs[0] | {tenant, state}')" \
	'{"tenant":"beta","state":"COMPLETED"}' "... a job of that address's tenant"
got=$(curl -sS -w '\n%{http_code}' "$OWN/v1/jobs")
tap_is "${got##*$'\n'}" 401 "... whose /v1 still needs a token"
got=$(curl -sS -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN_A" "$OWN/api/v2/execute" \
	--data-binary '{"language":"python","files":[{"content":"print(1)"}]}')
tap_is "${got##*$'\n'}" 200 "... a token given there is the token's"
tap_is "$(api GET "/v1/jobs?limit=1" "" "$TOKEN_A" | jq -r '.jobs[0].tenant')" alpha "... (alpha's job)"
got=$(curl -sS -w '\n%{http_code}' -H "Authorization: Bearer nope" "$OWN/api/v2/runtimes")
tap_is "${got##*$'\n'}" 401 "... and a bad one is refused, not taken as the address's tenant"

# Quotas apply: beta runs one sleeper and queues another (max_pending 1).
s1=$(submit_py 'import time; time.sleep(30)' '{"limits": {"wall_seconds": 40}}' "$TOKEN_B")
wait_state "$s1" RUNNING "$TOKEN_B"
s2=$(submit_py 'import time; time.sleep(30)' '{"limits": {"wall_seconds": 40}}' "$TOKEN_B")
out=$(drive "$BETA" execute python 'print(1)')
tap_like "$(jq -r .message <<<"$out")" "tenant 'beta' has 1 jobs pending" \
	"the path token's tenant at its max_pending: piston-client gets the quota's message"
got=$(curl -sS -D "$T/h" -w '\n%{http_code}' --data-binary '{"language":"python","files":[{"content":"print(1)"}]}' "$BETA/api/v2/execute")
tap_is "${got##*$'\n'}" 429 "... which is 429"
tap_like "$(tr -d '\r' <"$T/h")" 'Retry-After: 5' "... with Retry-After"
out=$(drive "$OWN" execute python 'print(1)')
tap_like "$(jq -r .message <<<"$out")" "tenant 'beta' has 1 jobs pending" \
	"... and at its own address as well"
api DELETE "/v1/jobs/$s2" "" "$TOKEN_B" >/dev/null
api DELETE "/v1/jobs/$s1" "" "$TOKEN_B" >/dev/null

# An execution is held wait_max_seconds (4 s here) at most: a job still
# running then is cancelled, and the answer says so.
start=$(date +%s)
got=$(curl -sS -w '\n%{http_code}' --data-binary '{"language":"python","files":[{"content":"import time; time.sleep(20)"}],"run_timeout":30000}' "$ALPHA/api/v2/execute")
tap_is "${got##*$'\n'}" 504 "a job that outlasts wait_max_seconds: 504"
tap_like "$(jq -r .message <<<"${got%$'\n'*}")" 'cancelled' "... and it is cancelled"
tap_cmp "$(($(date +%s) - start))" "<" 10 "... after about wait_max_seconds"
id=$(api GET "/v1/jobs?limit=1" "" "$TOKEN_A" | jq -r '.jobs[0].id')
tap_is "$(wait_job "$id" 20 | jq -r .state)" CANCELLED "the held job ends CANCELLED"

# Methods and paths.
got=$(curl -sS -w '\n%{http_code}' "$ALPHA/api/v2/execute")
tap_is "${got##*$'\n'}" 405 "GET /api/v2/execute: 405"
got=$(curl -sS -w '\n%{http_code}' "$ALPHA/api/v2/packages")
tap_is "${got##*$'\n'}" 404 "an endpoint sluice does not have (packages): 404"

# A compiled language, where the test node offers one (the compile
# stage's runtime "c").
if [ "$(api GET /v1/runtimes | jq '[.runtimes[].name] | index("c")')" != null ]; then
	out=$(drive "$ALPHA" execute c '#include <stdio.h>
int main(void) { puts("hi from c"); return 0; }')
	tap_is "$(jq -c '[.run.stdout, .compile.code]' <<<"$out")" '["hi from c\n",0]' \
		"c: compiled (compile stage, code 0), then run"
	out=$(drive "$ALPHA" execute c 'int main(void) { return nope; }')
	tap_is "$(jq -c '[(.compile.code != 0), (.run == .compile), (.compile.stderr | test("nope"))]' <<<"$out")" \
		'[true,true,true]' "c: a compile error is the compile stage, given as the run too (as Piston)"
	# compileTimeout (compile_timeout, ms) is the compile stage's wall
	# limit: 1 ms is not enough for gcc.
	out=$(drive "$ALPHA" execute c 'int main(void) { return 0; }' '{"compileTimeout": 1}')
	tap_is "$(jq -c '[.compile.status, .compile.signal, (.run == .compile)]' <<<"$out")" \
		'["TO","SIGKILL",true]' "c: compile_timeout 1 ms stops the compile stage: TO"
	tap_is "$(api GET "/v1/jobs?limit=1" "" "$TOKEN_A" | jq -c '.jobs[0] | [.verdict, .compile.verdict, .compile.limits.wall_seconds]')" \
		'["compile_error","wall_limit",0.001]' "... the job's compile stage had that wall limit"
else
	tap_diag "the test node offers no runtime 'c' (a compile stage): the compiled cases are skipped"
	for n in 1 2 3 4; do
		echo "ok $((TAP_N + n)) # SKIP no compiled-runtime"
	done
	TAP_N=$((TAP_N + 4))
fi

[ -s "$T/node.err" ] && tap_diag "node: $(head -c 600 "$T/node.err")"
disp_stop TERM
tap_is "$DISP_STATUS" 0 "the daemon stops cleanly"
tap_done
