#!/bin/bash
# CORS for the origins sluice.conf lists (cors_origins): a page from one of
# them may call the API (its answers carry Access-Control-Allow-Origin, and
# Location is readable); its browser's preflight is answered without a
# token; any other origin gets no such header, and its preflight is
# refused as any request without a token is.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 82900 1 1 'cors_origins = [ "https://play.example.edu", "http://localhost:3000" ];'
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP"

# req ORIGIN METHOD PATH [CURL ARGS...]: the status and the response's
# headers (lower-cased names) in $T/h.
req() {
	local origin=$1 method=$2 path=$3
	shift 3
	curl -sS -o "$T/b" -D "$T/raw" -w '%{http_code}' -X "$method" \
		${origin:+-H "Origin: $origin"} "$@" "$DISP_URL$path"
	tr -d '\r' <"$T/raw" | awk -F': ' 'NF > 1 { print tolower($1) ": " $2 }' >"$T/h"
}
hdr() {
	awk -F': ' -v n="$1" '$1 == n { print $2 }' "$T/h"
}

code=$(req https://play.example.edu OPTIONS /v1/jobs -H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: authorization, content-type')
tap_is "$code" 204 "preflight: an allowed origin's is answered 204, without a token"
tap_is "$(hdr access-control-allow-origin)" https://play.example.edu "preflight: allowed for that origin"
tap_like "$(hdr access-control-allow-methods)" 'POST' "preflight: POST allowed"
tap_like "$(hdr access-control-allow-headers)" 'Authorization, Content-Type' "preflight: Authorization and Content-Type allowed"

code=$(req http://localhost:3000 POST /v1/jobs -H "Authorization: Bearer $TOKEN_A" \
	-H 'Content-Type: application/json' --data-binary '{"runtime": "python3", "source": "print(1)"}')
tap_is "$code" 201 "request: an allowed origin's submission is answered"
tap_is "$(hdr access-control-allow-origin)" http://localhost:3000 "request: with its origin allowed"
tap_is "$(hdr vary)" Origin "request: varying by origin"
tap_like "$(hdr access-control-expose-headers)" 'Location' "request: its Location readable by the page"

code=$(req https://evil.example OPTIONS /v1/jobs -H 'Access-Control-Request-Method: POST')
tap_is "$code" 401 "other origin: its preflight is refused as a request without a token"
tap_is "$(hdr access-control-allow-origin)" "" "other origin: no Access-Control-Allow-Origin"
code=$(req https://evil.example GET /v1/jobs -H "Authorization: Bearer $TOKEN_A")
tap_is "$code $(hdr access-control-allow-origin)" "200 " "other origin: a request answers, but not for a page (the browser keeps it)"
code=$(req https://play.example.edu.evil.example GET /v1/health)
tap_is "$(hdr access-control-allow-origin)" "" "other origin: one that begins like an allowed one is not it"
code=$(req '' GET /v1/health)
tap_is "$code $(hdr access-control-allow-origin)" "200 " "no origin: no CORS header (control)"
code=$(req https://play.example.edu GET /v1/health)
tap_is "$code $(hdr access-control-allow-origin)" "200 https://play.example.edu" "health: an allowed origin's (control)"

# More SIGTERMs while the daemon drains (a service manager's and a
# script's, or timeout(1)'s to its whole group) never kill it half-way: one
# every few milliseconds until it has gone, and it still exits 0.
pid=$DISP_PID
DISP_PID=
kill -TERM "$pid"
for _ in $(seq 1 5000); do kill -TERM "$pid" 2>/dev/null || break; done
wait "$pid"
tap_is "$?" 0 "SIGTERMs all through the drain: the daemon still exits 0"

tap_done
