#!/bin/bash
# The dashboard (ui/, served under /ui/ from sluice.conf's ui_dir).
# First over curl: the files of its fixed list only, with their types and
# the headers that keep a browser strict (nosniff, a CSP without inline
# script, no framing, no-cache with an ETag), no token needed for them;
# traversal, other names and other methods refused; a ui_dir that is
# wrong stops the daemon, and "" turns the dashboard off.  Then in headless
# Chromium (t0520-dashboard.py, driven over the DevTools protocol): a wrong
# token says so, the right one shows the queue and the nodes, a job
# submitted through the API appears (with its name) and finishes on the
# page by itself, a job's page shows its output (markup in it stays text
# and runs nothing), its limits against its usage and its /out downloads,
# and a job whose node is lost shows PENDING with a TIME of 0:00 again;
# screenshots go to $top_builddir/tests/artefacts/.  Without chromium, that half is skipped.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

command -v jq >/dev/null || tap_skip_all "no jq"
disp_setup 90000 1 2
# The dashboard's files from a copy, with one more file beside them that
# must never be served.
mkdir -p "$T/ui/sub"
cp "$top_srcdir"/ui/index.html "$top_srcdir"/ui/app.js "$top_srcdir"/ui/style.css "$T/ui/"
echo "SECRET-NOT-SERVED" >"$T/ui/secret.txt"
echo "SECRET-NOT-SERVED" >"$T/ui/sub/index.html"
sed -i "s|^ui_dir = .*|ui_dir = \"$T/ui\";|" "$T/sluice.conf"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the daemon is up with its node"

# get METHOD PATH [CURL ARGS...]: the status; headers (lower-cased names)
# in $T/h, the body in $T/b.  The path is sent as it is (--path-as-is).
get() {
	local method=$1 path=$2
	shift 2
	rm -f "$T/b"
	curl -sS --path-as-is -o "$T/b" -D "$T/raw" -w '%{http_code}' \
		-X "$method" "$@" "$DISP_URL$path"
	touch "$T/b"
	tr -d '\r' <"$T/raw" | awk -F': ' 'NF > 1 { print tolower($1) ": " substr($0, length($1) + 3) }' >"$T/h"
}
hdr() {
	awk -v n="$1" 'index($0, n ": ") == 1 { print substr($0, length(n) + 3) }' "$T/h"
}

# The way in: / and /ui lead to /ui/.
code=$(get GET /)
tap_is "$code $(hdr location)" "302 /ui/" "GET / redirects to /ui/, without a token"
# A redirect carries the type of what it carries (a line naming where to
# go), not the API's JSON.
tap_is "$(hdr content-type) $(cat "$T/b")" "text/plain; charset=utf-8 /ui/" "GET /: the redirect's body is text naming /ui/"
code=$(get GET /ui)
tap_is "$code $(hdr location)" "302 /ui/" "GET /ui redirects to /ui/"

# The three files, each with its type, its bytes, and the strict headers.
for f in /ui/:index.html:text/html /ui/index.html:index.html:text/html \
	/ui/app.js:app.js:text/javascript /ui/style.css:style.css:text/css; do
	IFS=: read -r path file type <<<"$f"
	code=$(get GET "$path")
	tap_is "$code $(hdr content-type)" "200 $type; charset=utf-8" "GET $path: 200 as $type"
	cmp -s "$T/b" "$top_srcdir/ui/$file"
	tap_ok $? "GET $path: the bytes of ui/$file"
	tap_is "$(hdr x-content-type-options)" nosniff "GET $path: X-Content-Type-Options: nosniff"
	csp=$(hdr content-security-policy)
	tap_like "$csp" "^default-src 'none'; script-src 'self'; " "GET $path: a CSP that allows this origin's script only"
	case "$csp" in
	*unsafe-* | *"script-src 'self' "* | *"*"*) tap_ok 1 "GET $path: the CSP allows nothing unsafe"; tap_diag "$csp" ;;
	*) tap_ok 0 "GET $path: the CSP allows nothing unsafe" ;;
	esac
	tap_like "$csp" "frame-ancestors 'none'" "GET $path: the CSP forbids framing"
	tap_is "$(hdr cache-control)" no-cache "GET $path: Cache-Control: no-cache"
	tap_like "$(hdr etag)" '^"[0-9a-f]{16}"$' "GET $path: an ETag"
done

# Revalidation, and HEAD.
code=$(get GET /ui/app.js)
etag=$(hdr etag)
code=$(get GET /ui/app.js -H "If-None-Match: $etag")
tap_is "$code $(wc -c <"$T/b")" "304 0" "GET with the file's ETag: 304, no body"
code=$(get GET /ui/app.js -H 'If-None-Match: "0000000000000000"')
tap_is "$code $(wc -c <"$T/b")" "200 $(wc -c <"$top_srcdir/ui/app.js")" "GET with another ETag: the file"
# HEAD, on a raw connection: curl would not show a body sent after it.
# raw_head PATH: the status, the Content-Length and the bytes after the
# headers.
raw_head() {
	"$NODE_PYTHON" - "$DISP_PORT" "$1" <<'EOP'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"HEAD " + sys.argv[2].encode() + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
head, _, body = data.partition(b"\r\n\r\n")
lines = head.decode().split("\r\n")
length = [l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("content-length:")]
print(lines[0].split()[1], length[0] if length else "none", len(body))
EOP
}
head=$(raw_head /ui/app.js)
tap_is "$head" "200 $(wc -c <"$top_srcdir/ui/app.js") 0" "HEAD: 200 with the length and no body"
head=$(raw_head /)
tap_is "$head" "302 5 0" "HEAD /: 302 with the length of its text and no body"

# The files need no token, and a bad one changes nothing; the API still
# wants one.
code=$(get GET /ui/app.js -H 'Authorization: Bearer wrong')
tap_is "$code" 200 "a file of the dashboard with a wrong token: still 200"
code=$(get GET /v1/jobs)
tap_is "$code" 401 "the API without a token: still 401 (control)"

# Other methods.
for m in POST PUT DELETE PATCH OPTIONS; do
	code=$(get "$m" /ui/app.js)
	tap_is "$code $(hdr allow)" "405 GET, HEAD" "$m /ui/app.js: 405, Allow: GET, HEAD"
done
code=$(get POST /)
tap_is "$code $(hdr allow)" "405 GET, HEAD" "POST /: 405"

# Nothing but the list: no traversal, no other file of ui_dir, no other
# spelling of a listed name.
for p in /ui/../sluice.conf /ui/%2e%2e/sluice.conf /ui/..%2fsluice.conf \
	/ui/%2e%2e%2f%2e%2e%2fetc%2fpasswd /ui/..%5c..%5csluice.conf \
	/ui/%2fetc%2fpasswd /ui//app.js /ui/./app.js /ui/app.js/ \
	/ui/APP.JS /ui/app.js. /ui/app.js%20 /ui/app.js.orig /ui/secret.txt \
	/ui/sub/ /ui/sub/index.html /ui/sub /ui/%61pp.js%00 \
	/ui/app.js%00.html /ui/index.html%2f..%2fsecret.txt; do
	code=$(get GET "$p")
	case "$code" in
	400 | 404) ! grep -q SECRET "$T/b" && jq -e .error "$T/b" >/dev/null ;;
	*) false ;;
	esac
	tap_ok $? "GET $p: refused ($code), nothing served"
done
# Percent-encoding spells the same names (the path is decoded first).
for p in /ui/%61pp.js /ui%2fapp.js; do
	code=$(get GET "$p")
	cmp -s "$T/b" "$top_srcdir/ui/app.js"
	tap_ok $? "GET $p: app.js ($code)"
done

# What the page's files are made of: no inline script, no handler
# attributes, no inline style; the script never writes markup.
html="$top_srcdir/ui/index.html"
! grep -Eiq '<script[^>]*>[^<]|<script( [^s][^>]*)?>$|<script>' "$html" &&
	grep -q '<script type="module" src="app.js"></script>' "$html"
tap_ok $? "index.html has one script, a module from its own file"
! grep -Eiq '[[:space:]]on[a-z]+=|[[:space:]]style=|javascript:' "$html"
tap_ok $? "index.html has no event handler attribute, inline style or javascript: URL"
! grep -Eq 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|setAttribute\("on' "$top_srcdir/ui/app.js"
tap_ok $? "app.js never turns text into markup or code"

# ui_dir's checks: a second daemon, on its own port and state, whose node
# is a port where nothing listens (it must not touch node1's jobs).
serve2() {
	local port2 dead
	port2=$(node_free_port)
	dead=$(node_free_port)
	DISP2_URL="http://127.0.0.1:$port2"
	sed -e "s|^listen = .*|listen = \"127.0.0.1:$port2\";|" \
		-e "s|^state_dir = .*|state_dir = \"$T/state2\";|" \
		-e "s|port = [0-9]*; user|port = $dead; user|" \
		-e "s|^ui_dir = .*|$1|" "$T/sluice.conf" >"$T/sluice2.conf"
	rm -rf "$T/state2"
	# A safety net only: under load a stop waits for the node workers.
	timeout 300 "$SLUICE_BIN" serve --config "$T/sluice2.conf" </dev/null >"$T/serve2.log" 2>&1 &
	DISP2_PID=$!
}
# stop2: stop it; the status says whether it stopped cleanly (under
# ASan, with nothing leaked).
stop2() {
	kill "$DISP2_PID" 2>/dev/null
	wait "$DISP2_PID" 2>/dev/null
}
wait2() {
	local n
	for n in $(seq 1 100); do
		curl -fsS "$DISP2_URL/v1/health" >/dev/null 2>&1 && return 0
		kill -0 "$DISP2_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

mkdir -p "$T/ui-missing" "$T/ui-link"
cp "$top_srcdir/ui/index.html" "$top_srcdir/ui/style.css" "$T/ui-missing/"
cp "$top_srcdir/ui/index.html" "$top_srcdir/ui/style.css" "$T/ui-link/"
ln -s "$T/sluice.conf" "$T/ui-link/app.js"
head -c $((1024 * 1024 + 1)) /dev/zero >"$T/big.js"
mkdir -p "$T/ui-big"
cp "$top_srcdir/ui/index.html" "$top_srcdir/ui/style.css" "$T/ui-big/"
cp "$T/big.js" "$T/ui-big/app.js"
while IFS='|' read -r line want what; do
	serve2 "$line"
	wait "$DISP2_PID"
	st=$?
	if [ "$st" -eq 1 ] && grep -q -- "$want" "$T/serve2.log"; then
		tap_ok 0 "ui_dir $what: the daemon does not start, and says why"
	else
		tap_ok 1 "ui_dir $what: the daemon does not start, and says why"
		tap_diag "status $st: $(tail -3 "$T/serve2.log")"
	fi
done <<EOF
ui_dir = "ui";|'ui_dir' must be an absolute path|relative
ui_dir = "$T/nowhere";|cannot open the dashboard's directory '$T/nowhere'|that does not exist
ui_dir = "$T/ui-missing";|ui-missing/app.js' (ui_dir)|without app.js
ui_dir = "$T/ui-link";|'app.js' is a symbolic link|whose app.js is a symbolic link
ui_dir = "$T/ui-big";|'app.js' is larger than|with a file over 1 MiB
EOF

serve2 'ui_dir = "";'
wait2
tap_ok $? "ui_dir \"\": the daemon starts"
code=$(curl -sS -o "$T/b" -w '%{http_code}' "$DISP2_URL/ui/")
tap_is "$code $(jq -r .error "$T/b")" "404 the dashboard is turned off (sluice.conf's ui_dir is \"\")" \
	"ui_dir \"\": /ui/ says the dashboard is off"
code=$(curl -sS -o "$T/b" -D "$T/raw" -w '%{http_code}' "$DISP2_URL/")
tap_is "$code $(grep -ci '^location:' "$T/raw")" "401 0" "ui_dir \"\": / is not redirected (the API's, without a token)"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$DISP2_URL/v1/health")
tap_is "$code" 200 "ui_dir \"\": the API answers (control)"
stop2
tap_is "$?" 0 "ui_dir \"\": the daemon stops cleanly"

# Without ui_dir, the files make install put in the daemon's data
# directory; a daemon that does not find them there starts without a
# dashboard, and says where it looked.
serve2 ''
wait2
tap_ok $? "no ui_dir: the daemon starts"
code=$(curl -sS -o "$T/b" -w '%{http_code}' "$DISP2_URL/ui/")
if grep -q "no dashboard: cannot open the dashboard's directory '/.*/share/sluice/ui'" "$T/serve2.log"; then
	tap_is "$code $(jq -r .error "$T/b")" "404 the dashboard is not installed (sluice.conf's ui_dir)" \
		"no ui_dir, nothing installed: /ui/ says so, the log says where it looked"
else
	tap_is "$code" 200 "no ui_dir: the installed dashboard (the log has no warning)"
fi
stop2
tap_is "$?" 0 "no ui_dir: the daemon stops cleanly"

# The browser half.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
ARTEFACTS="$top_builddir/tests/artefacts"
if [ -z "$CHROMIUM" ]; then
	tap_ok 0 "# SKIP no chromium"
else
	mkdir -p "$ARTEFACTS" "$T/browser"
	"$NODE_PYTHON" "$top_srcdir/tests/integration/t0520-dashboard.py" \
		--url "$DISP_URL" --token "$TOKEN_A" --other-token "$TOKEN_B" \
		--workdir "$T/browser" --artefacts "$ARTEFACTS" \
		--chromium "$CHROMIUM" >"$T/browser.out" 2>&1 &
	py=$!
	# The browser's script asks for its job's node to be lost (the file
	# requeue.want, with the job's id), and is told once the job waits
	# again (requeue.ready).
	for _ in $(seq 1 3000); do
		[ -e "$T/browser/requeue.want" ] && break
		kill -0 "$py" 2>/dev/null || break
		sleep 0.1
	done
	if [ -e "$T/browser/requeue.want" ]; then
		rid=$(cat "$T/browser/requeue.want")
		node_stop node1
		disp_wait_node node1 DOWN 30 && wait_state "$rid" PENDING &&
			touch "$T/browser/requeue.ready"
	fi
	wait "$py"
	st=$?
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) tap_ok 0 "${line#ok - }" ;;
		"not ok - "*) tap_ok 1 "${line#not ok - }" ;;
		"# "*) echo "$line" ;;
		*) tap_diag "$line" ;;
		esac
	done <"$T/browser.out"
	tap_is "$st" 0 "the browser's script ran to its end and every check passed"
	[ "$st" -eq 0 ] || tap_diag "chromium: $(tail -5 "$T/browser/chromium.log" 2>/dev/null)"
	[ -s "$ARTEFACTS/dashboard.png" ] && [ -s "$ARTEFACTS/dashboard-job.png" ]
	tap_ok $? "screenshots saved in $ARTEFACTS"
fi

disp_stop TERM
tap_is "$DISP_STATUS" 0 "the daemon stops cleanly"

tap_done
