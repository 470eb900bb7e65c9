#!/bin/bash
# A token's listen (sluice.conf(5)) attacked: the tenant's own address,
# where a Piston or Judge0 request with no token at all is the tenant's.
# What a client there, another tenant, a web page in a browser on the same
# machine or network, or an operator's slip can make of it: only the
# Piston and Judge0 APIs are the tenant's there, only for a client that is
# not a browser (a page's request, cross-site or by DNS rebinding, must
# give its token), under the one connection cap without starving the
# daemon's own address, and every bad listen is refused at start-up and by
# serve --check with the reason.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"
command -v jq >/dev/null || tap_skip_all "no jq"

# free_port [AFTER]: a free port of 27300 to 27399 on 127.0.0.1, past AFTER.
free_port() {
	node_free_port_in $((${1:-27299} + 1)) 27399
}

# One node; beta has quotas and an address of its own, alpha may give its
# token in the path; one page origin is allowed by CORS.
disp_setup 96000 1 2 'wait_max_seconds = 4;
cors_origins = [ "http://app.example" ];'
LPORT=$(free_port)
[ -n "$LPORT" ] || tap_bail "no free port in 27300-27399"
OWN="http://127.0.0.1:$LPORT"
sed -i -e 's/\(name = "alpha";.*role = "submit";\) }/\1 path_token = true; }/' \
	-e "s/\\(name = \"beta\";.*role = \"submit\";\\) }/\\1 max_pending = 2; listen = \"127.0.0.1:$LPORT\"; }/" \
	"$T/sluice.conf"
cp "$T/sluice.conf" "$T/base.conf"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the daemon is up with its node"
tap_like "$(cat "$T/serve.log")" "listening on 127.0.0.1:$LPORT for tenant 'beta'" \
	"the log names the tenant's address"

# req METHOD URL [CURL ARGS...]: "STATUS BODY" of one request.
req() {
	local m=$1 u=$2 out
	shift 2
	out=$(curl -sS -X "$m" -w '\n%{http_code}' "$@" "$u")
	printf '%s %s' "${out##*$'\n'}" "${out%$'\n'*}"
}
njobs() {
	api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length'
}
EXEC='{"language":"python","version":"*","files":[{"content":"print(6*7)"}]}'

# --- The baseline: a client with nothing but the address is beta.
got=$(req POST "$OWN/api/v2/execute" -H 'Content-Type: text/plain;charset=UTF-8' --data-binary "$EXEC")
tap_is "${got%% *}" 200 "no token at beta's address: a Piston execute runs"
tap_is "$(jq -r .run.stdout <<<"${got#* }")" "42" "  and answers"
BJOB=$(api GET "/v1/jobs?limit=1" "" "$TOKEN_B" | jq -r '.jobs[0].id')
AJOB=$(submit_py 'print("alpha secret")')
wait_job "$AJOB" >/dev/null
n0=$(njobs)

# --- Nothing but the Piston and Judge0 APIs is beta's there.
for p in /v1/jobs /v1/jobs/$BJOB /v1/nodes /v1/whoami /v1/caps /metrics /v1/runtimes \
	/v1/jobs/batch /v1/purge /v1/nodes/node1/drain //v1/jobs /%2Fv1/jobs /%2Fv1%2Fjobs; do
	got=$(req GET "$OWN$p")
	tap_is "${got%% *}" 401 "no token at beta's address: GET $p is 401"
done
got=$(req POST "$OWN/v1/nodes/node1/drain")
tap_is "${got%% *}" 401 "  and POST /v1/nodes/node1/drain"
got=$(req POST "$OWN/v1/jobs" -H 'Content-Type: application/json' \
	--data-binary '{"runtime":"python3","source":"print(1)"}')
tap_is "${got%% *}" 401 "  and POST /v1/jobs"
for p in /api/v2/../../v1/jobs /api/v2/%2e%2e/%2e%2e/v1/jobs //api/v2/runtimes /submissions/../v1/jobs; do
	got=$(req GET "$OWN$p")
	tap_isnt "${got%% *}" 200 "path trick GET $p is not answered 200"
done
tap_is "$(api GET /v1/nodes "" "$TOKEN_ADMIN" | jq -r '.nodes[0].state')" UP "  the node was not drained"

# --- Another tenant's jobs stay its own.
got=$(req GET "$OWN/submissions/$AJOB")
tap_is "${got%% *}" 404 "Judge0 GET /submissions/ID of alpha's job, from beta's address: 404"
got=$(req GET "$OWN/submissions/batch?tokens=$AJOB,$BJOB")
tap_is "$(jq -c '[.submissions[] | . != null]' <<<"${got#* }")" '[false,true]' \
	"  and null in a batch, beside beta's own"
got=$(req GET "$OWN/submissions/$BJOB?fields=stdout")
tap_is "${got%% *}" 200 "  beta's own is shown there"
got=$(req GET "$OWN/t/$TOKEN_A/submissions/$AJOB?fields=stdout")
tap_is "$(jq -r .stdout <<<"${got#* }")" "alpha secret" \
	"a path token at beta's address is that token (alpha's own job)"
got=$(req GET "$OWN/submissions/$AJOB" -H "X-Auth-Token: $TOKEN_B")
tap_is "${got%% *}" 404 "  beta's token there does not see alpha's job"
got=$(req GET "$OWN/submissions/$BJOB" -H "X-Auth-Token: $TOKEN_A")
tap_is "${got%% *}" 404 "  nor alpha's token beta's"
for h in "X-Auth-Token: nope" "X-Auth-Token;" "Authorization: Bearer nope" "Authorization: Basic Zm9vOmJhcg=="; do
	got=$(req GET "$OWN/submissions/$BJOB" -H "$h")
	tap_is "${got%% *}" 401 "  a bad or empty token there ($h) is refused, not taken for beta"
done
got=$(req GET "$OWN/t/nope/submissions/$BJOB")
tap_is "${got%% *}" 401 "  and so is a bad path token"
tap_is "$(njobs)" "$n0" "no refused request submitted a job"

# --- A web page: a browser on a machine that reaches the address sends a
# cross-site "simple" POST (text/plain, no preflight) with an Origin, and a
# page rebound by DNS to the address (same-origin to the browser) sends
# Sec-Fetch-Site and a Host of the attacker's name.  Neither gave a token:
# neither is beta.
for o in "http://evil.example" "http://app.example" "null"; do
	got=$(req POST "$OWN/api/v2/execute" -H "Origin: $o" \
		-H 'Content-Type: text/plain;charset=UTF-8' --data-binary "$EXEC")
	tap_is "${got%% *}" 403 "a page's POST /api/v2/execute with no token (Origin: $o) is refused"
	tap_like "${got#* }" '"message":"[^"]*token' "  with a message that asks for its token"
done
got=$(req POST "$OWN/submissions?wait=true" -H "Origin: http://evil.example" \
	-H 'Content-Type: application/x-www-form-urlencoded' \
	--data-binary '{"language_id":71,"source_code":"print(1)"}')
tap_is "${got%% *}" 403 "  and Judge0 POST /submissions (form-encoded) too"
tap_like "${got#* }" '"error":"[^"]*token' "  with Judge0's error document"
got=$(req GET "$OWN/submissions/$BJOB?fields=stdout" -H "Sec-Fetch-Site: same-origin" \
	-H "Sec-Fetch-Mode: cors" -H "Host: rebound.example:$LPORT")
tap_is "${got%% *}" 403 "a DNS-rebound page's GET /submissions/ID (Sec-Fetch-Site) is refused"
got=$(req GET "$OWN/submissions/batch?tokens=$BJOB" -H "Sec-Fetch-Site: cross-site" -H "Sec-Fetch-Mode: no-cors")
tap_is "${got%% *}" 403 "  and a cross-site fetch of a batch"
# A browser that sends no Sec-Fetch-* (Safari before 16.4) still names the
# page's host in Host: a name other than localhost is a rebound page's.
for h in "rebound.example:$LPORT" "rebound.example" "127.0.0.1.rebound.example:$LPORT" "LOCALHOST.example"; do
	got=$(req GET "$OWN/submissions/$BJOB?fields=stdout" -H "Host: $h")
	tap_is "${got%% *}" 403 "a GET /submissions/ID with no token and Host: $h (a name, not the address) is refused"
done
for h in "127.0.0.1:$LPORT" "127.0.0.1" "localhost:$LPORT" "LocalHost" "[::1]:$LPORT"; do
	got=$(req GET "$OWN/submissions/$BJOB?fields=stdout" -H "Host: $h")
	tap_is "${got%% *}" 200 "  Host: $h (an address, or localhost) is answered"
done
tap_is "$(njobs)" "$n0" "no page submitted a job"
tap_like "$(grep ' access ' "$T/serve.log")" "method=POST path=/api/v2/execute status=403 .*tenant=-" \
	"the access log shows a page's refusal, with no tenant"
tap_like "$(grep ' access ' "$T/serve.log")" "method=POST path=/api/v2/execute status=200 .*tenant=beta auth=address$" \
	"  and a request at beta's address with no token as beta's, told by the address"
tap_like "$(grep ' access ' "$T/serve.log")" "method=GET path=/t/-/submissions/$AJOB status=200 .*tenant=alpha auth=path$" \
	"  a path token there as its tenant's, told by the path"
tap_like "$(grep ' access ' "$T/serve.log")" "method=GET path=/submissions/$AJOB status=404 .*tenant=beta auth=header$" \
	"  and a token in the header there as its tenant's, told by the header"
# A page that gives its token is the token's, as anywhere (CORS as
# configured); the preflight needs none.
got=$(curl -sS -D - -o /dev/null -X OPTIONS -H "Origin: http://app.example" \
	-H "Access-Control-Request-Method: POST" -H "Access-Control-Request-Headers: x-auth-token" \
	"$OWN/submissions" | tr -d '\r')
tap_like "$got" '^HTTP/1.1 204' "a CORS preflight at beta's address is answered"
tap_like "$got" 'Access-Control-Allow-Origin: http://app.example' "  for the allowed origin"
got=$(curl -sS -D "$T/h" -w '\n%{http_code}' -H "Origin: http://app.example" -H "X-Auth-Token: $TOKEN_B" \
	-H "Sec-Fetch-Site: cross-site" "$OWN/submissions/$BJOB?fields=stdout")
tap_is "${got##*$'\n'}" 200 "  and a page's request with beta's token is beta's"
tap_like "$(tr -d '\r' <"$T/h")" 'Access-Control-Allow-Origin: http://app.example' "  readable by the page"
got=$(req GET "$OWN/api/v2/runtimes" -H "Sec-Fetch-Site: none" -H "Sec-Fetch-Mode: navigate")
tap_is "${got%% *}" 200 "a browser's own navigation (Sec-Fetch-Site: none) to runtimes is answered"
got=$(req GET "$DISP_URL/api/v2/runtimes" -H "Origin: http://evil.example")
tap_is "${got%% *}" 401 "at the daemon's own address a page with no token is 401 as before"

# --- An operator's slips: every listen that cannot be bound beside the
# others, or is not what it says, is refused by serve --check and by serve
# with the reason, and the running daemon is left as it was.
# bad NAME LISTEN: the config with token NAME's listen set to LISTEN (beta's
# replaced, or added to another).
bad() {
	if [ "$1" = beta ]; then
		sed -e "s/listen = \"127.0.0.1:$LPORT\"/listen = \"$2\"/" "$T/sluice.conf"
	else
		sed -e "s/\\(name = \"$1\";[^}]*\\) }/\\1 listen = \"$2\"; }/" "$T/sluice.conf"
	fi >"$T/bad.conf"
}
while IFS='|' read -r name listen want; do
	bad "$name" "$listen"
	grep -qF "listen = \"$listen\"" "$T/bad.conf" || tap_bail "cannot write the case $name $listen"
	out=$("$SLUICE_BIN" serve --check --config "$T/bad.conf" 2>&1)
	tap_is "$?" 1 "serve --check refuses $name's listen = \"$listen\""
	tap_like "$out" "$want" "  saying why"
done <<EOC
beta|0.0.0.0:$DISP_PORT|token 'beta': 'listen' takes the port of the daemon's own listen
beta|[::]:$DISP_PORT|token 'beta': 'listen' takes the port of the daemon's own listen
beta|127.0.0.1:$DISP_PORT|token 'beta': 'listen' takes the port of the daemon's own listen
alpha|0.0.0.0:$LPORT|tokens 'alpha' and 'beta' have the same 'listen'
alpha|127.0.0.1:$LPORT|tokens 'alpha' and 'beta' have the same 'listen'
beta|localhost:$LPORT|token 'beta': 'listen' must be .* numeric address
beta|*:$LPORT|token 'beta': 'listen' must be .* numeric address
beta|rebound.example:$LPORT|token 'beta': 'listen' must be .* numeric address
beta|[::1:$LPORT|token 'beta': 'listen' must be
beta|127.0.0.1:0|token 'beta': 'listen' must be .* port of 1 to 65535
beta|127.0.0.1:65536|token 'beta': 'listen' must be .* port of 1 to 65535
ops|127.0.0.1:$((LPORT + 1))|token 'ops': 'listen' is for tokens of role submit only
EOC
bad beta "0.0.0.0:$DISP_PORT"
out=$(timeout 20 "$SLUICE_BIN" serve --config "$T/bad.conf" 2>&1)
tap_is "$?" 1 "serve itself refuses it"
tap_like "$out" "takes the port of the daemon's own listen" "  with the reason"
got=$(req GET "$OWN/api/v2/runtimes")
tap_is "${got%% *}" 200 "  and the running daemon still answers at beta's address"
bad beta "[::1]:$LPORT"
out=$("$SLUICE_BIN" serve --check --config "$T/bad.conf" 2>&1)
tap_is "$?" 0 "serve --check takes an IPv6 address in brackets ([::1]:$LPORT)"
tap_like "$out" "listen \\[::1\\]:$LPORT for tenant 'beta'" "  and names the tenant's address in its summary"

# --- One cap for every address, but no tenant's address takes it all:
# beta holds as many connections as it can (its address's share), and the
# daemon's own address and alpha's are still answered.
disp_stop
LPORT2=$(free_port "$LPORT")
[ -n "$LPORT2" ] || tap_bail "no second free port in 27300-27399"
sed -i -e "s/\\(name = \"alpha\";.*path_token = true;\\) }/\\1 listen = \"127.0.0.1:$LPORT2\"; }/" "$T/sluice.conf"
echo 'max_connections = 12;' >>"$T/sluice.conf"
disp_serve || tap_bail "the daemon restarts"
tap_like "$(cat "$T/serve.log")" "listening on 127.0.0.1:$LPORT2 for tenant 'alpha'" \
	"after a restart both tenants' addresses are there"
tap_like "$(cat "$T/serve.log")" "up to 12 client connections at once, 4 at most at each tenant's address" \
	"  the log says the cap and each tenant address's share"
"$NODE_PYTHON" - "$LPORT" "$DISP_PORT" "$LPORT2" >"$T/cap.out" <<'PY'
import socket, sys, time
own, main, other = (int(a) for a in sys.argv[1:])
def ask(port, path):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(5)
    s.send(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    ans = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            ans += b
    except OSError:
        pass
    s.close()
    return ans.split(b" ")[1].decode() if ans.startswith(b"HTTP/1.1 ") else "none"
held = [socket.create_connection(("127.0.0.1", own)) for _ in range(12)]
time.sleep(0.5)
print(ask(own, b"/api/v2/runtimes"), ask(main, b"/v1/health"),
      ask(other, b"/api/v2/runtimes"))
for s in held:
    s.close()
PY
read -r own main other <"$T/cap.out"
tap_is "$own" 503 "beta's address, holding 12 idle connections, answers the next 503"
tap_is "$main" 200 "  the daemon's own address is still answered"
tap_is "$other" 200 "  and alpha's address too"

# --- An IPv6 address of the tenant's own, in brackets, where the machine
# has IPv6 loopback; the daemon's own listen too.  The log writes each in
# brackets, so that the port is told apart from the address.
disp_stop
if "$NODE_PYTHON" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	sed -i -e "s/listen = \"127.0.0.1:$LPORT\"/listen = \"[::1]:$LPORT\"/" \
		-e "s/^listen = \"127.0.0.1:$DISP_PORT\"/listen = \"[::1]:$DISP_PORT\"/" "$T/sluice.conf"
	grep -q "^listen = \"\[::1\]:$DISP_PORT\"" "$T/sluice.conf" || tap_bail "cannot set the daemon's listen to [::1]"
	DISP_URL="http://[::1]:$DISP_PORT"
	disp_serve || tap_bail "the daemon restarts"
	disp_wait_nodes UP 20 || tap_bail "the node is back"
	tap_like "$(cat "$T/serve.log")" "listening on \[::1\]:$LPORT for tenant 'beta'" \
		"beta's listen = \"[::1]:$LPORT\" is bound, and logged as [::1]:$LPORT"
	tap_like "$(cat "$T/serve.log")" "listening on \[::1\]:$DISP_PORT with 1 nodes" \
		"  the daemon's own listen = \"[::1]:$DISP_PORT\" is logged as [::1]:$DISP_PORT"
	got=$(req POST "http://[::1]:$LPORT/api/v2/execute" -g --data-binary "$EXEC")
	tap_is "$(jq -r .run.stdout <<<"${got#* }")" 42 "  and a Piston execute with no token there is beta's"
	tap_is "$(api GET "/v1/jobs?limit=1" "" "$TOKEN_ADMIN" | jq -r '.jobs[0].tenant')" beta "  (beta's job)"
else
	for n in 1 2 3 4; do tap_skip "an IPv6 address of the tenant's own" "no IPv6 loopback"; done
fi

tap_done
