#!/bin/bash
# Callbacks: a job submitted with callback_url (or whose token has a default
# one) is POSTed, once it has ended, to a listener of the test's own on
# 127.0.0.1: the job object as GET /v1/jobs/ID gives it, with a
# Sluice-Signature header the test checks with Python's hmac module.  A 500
# (or a redirect, or no answer at all) is tried again after a back-off; a
# delivery pending when the daemon stops is made after it starts again; a
# delivery to an address the operator has not allowed is never made: refused
# at submission when the URL names the address (private, loopback, another
# port of the listener's host, forms that hide an address), and at delivery
# when a name resolves to one, or when the operator has withdrawn it since.
# https:// URLs are verified against callback_ca_file: a certificate of
# another CA, or for another host, gets no callback.  The only traffic the
# test sends is to 127.0.0.1.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"
command -v jq >/dev/null || tap_skip_all "no jq"
command -v python3 >/dev/null || tap_skip_all "no python3"
command -v openssl >/dev/null || tap_skip_all "no openssl"

SECRET="test-secret-$$-0123456789"
TOKEN_G=token-gamma-$$
disp_setup 84000 1 2
LPORT=$(node_free_port)
CLOSED=$(node_free_port) # nothing listens there
SPORT=$(node_free_port) # https, a certificate of the test's CA
BPORT=$(node_free_port) # https, a self-signed certificate
NPORT=$(node_free_port) # https, the test's CA, for another host
sha_g=$(printf '%s' "$TOKEN_G" | sha256sum | cut -d' ' -f1)
# alpha signs its callbacks; gamma has a default callback; beta has none.
sed -i -e "s|\(name = \"alpha\";.*role = \"submit\";\) }|\1 callback_secret = \"$SECRET\"; }|" \
	-e "s|^tokens = ( |tokens = ( { name = \"gamma\"; sha256 = \"$sha_g\"; role = \"submit\"; callback_secret = \"$SECRET\"; callback_url = \"http://127.0.0.1:$LPORT/default\"; },\n           |" \
	"$T/sluice.conf"
cat >>"$T/sluice.conf" <<EOC
callback_allow = [ "127.0.0.1:$LPORT", "127.0.0.1:$SPORT", "127.0.0.1:$BPORT", "127.0.0.1:$NPORT" ];
callback_retry_seconds = 60;
# Long beside the API's answers: a daemon that a receiver which does not
# answer held up would take seconds more than one that it does not (case 2).
callback_timeout_seconds = 10;
callback_ca_file = "$T/tls/ca.pem";
EOC

# A CA of the test's own; a certificate it signs for 127.0.0.1 and this
# host's name, one for another host only, and one that signs itself.
mkdir -p "$T/tls"
(
	cd "$T/tls" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=sluice-test-ca
	for c in good:"IP:127.0.0.1,DNS:$(hostname)" other:"DNS:other.example"; do
		openssl req -newkey rsa:2048 -nodes -keyout "${c%%:*}.key" -out "${c%%:*}.csr" -subj "/CN=${c%%:*}"
		printf 'subjectAltName=%s\n' "${c#*:}" >"${c%%:*}.ext"
		openssl x509 -req -in "${c%%:*}.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out "${c%%:*}.pem" -days 2 -extfile "${c%%:*}.ext"
	done
	openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 2 -subj /CN=127.0.0.1 \
		-addext "subjectAltName=IP:127.0.0.1"
) >"$T/tls/log" 2>&1 || tap_bail "cannot make the test's certificates: $(tail -3 "$T/tls/log")"

# The listener: answers each POST with the next line of $T/plan (a status,
# or "hang": no answer at all), 200 once the plan is empty, and records the
# request as $T/got/N.{path,hdr,body}.
mkdir -p "$T/got"
: >"$T/plan"
cat >"$T/listener.py" <<'EOF'
import http.server, os, ssl, sys, threading, time
d, port = sys.argv[1], int(sys.argv[2])
lock = threading.Lock()
count = [len([f for f in os.listdir(d + "/got") if f.endswith(".body")])]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            count[0] += 1
            n = count[0]
            with open(d + "/plan") as f:
                lines = f.read().split()
            what = lines[0] if lines else "200"
            with open(d + "/plan", "w") as f:
                f.write("\n".join(lines[1:]))
        base = "%s/got/%d" % (d, n)
        with open(base + ".path", "w") as f:
            f.write(self.path)
        with open(base + ".hdr", "w") as f:
            f.write(str(self.headers))
        with open(base + ".tmp", "wb") as f:
            f.write(body)
        os.rename(base + ".tmp", base + ".body")
        if what == "hang":
            time.sleep(20)
            return
        self.send_response(int(what))
        if what.startswith("3"):
            self.send_header("Location", "http://127.0.0.1:%d/elsewhere" % port)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
    def log_message(self, *a):
        pass

http.server.ThreadingHTTPServer.daemon_threads = True
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
EOF
# wait_port PORT: until something listens there.
wait_port() {
	local n
	for n in $(seq 1 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $1))" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
listen() {
	python3 "$T/listener.py" "$T" "$LPORT" &
	LISTENER=$!
	wait_port "$LPORT"
}
# listen_tls NAME PORT CERT: an https listener recording in $T/NAME.
TLS_LISTENERS=""
listen_tls() {
	mkdir -p "$T/$1/got"
	: >"$T/$1/plan"
	python3 "$T/listener.py" "$T/$1" "$2" "$T/tls/$3.pem" "$T/tls/$3.key" &
	TLS_LISTENERS="$TLS_LISTENERS $!"
	wait_port "$2"
}
unlisten() {
	kill "$LISTENER" 2>/dev/null
	wait "$LISTENER" 2>/dev/null
}
trap 'unlisten; kill $TLS_LISTENERS 2>/dev/null; disp_teardown' EXIT

# got: how many requests the listener has had.
got() {
	ls "$T/got" | grep -c '\.body$'
}

# requests_for ID: the numbers of the requests that carried job ID.
requests_for() {
	local f
	for f in "$T"/got/*.body; do
		[ -e "$f" ] || continue
		[ "$(jq -r .id "$f" 2>/dev/null)" = "$1" ] && basename "$f" .body
	done | sort -n
}

# verify N [SECRET]: "ok" if request N's Sluice-Signature is the HMAC-SHA256
# of "T." and its body under the secret, and T is within a minute of now.
verify() {
	python3 - "$T/got/$1" "${2:-$SECRET}" <<'EOF'
import hmac, hashlib, sys, time
base, secret = sys.argv[1], sys.argv[2].encode()
sig = None
for line in open(base + ".hdr"):
    k, _, v = line.partition(":")
    if k.strip().lower() == "sluice-signature":
        sig = v.strip()
parts = dict(p.split("=", 1) for p in sig.split(",")) if sig else {}
body = open(base + ".body", "rb").read()
want = hmac.new(secret, parts.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
fresh = abs(time.time() - int(parts.get("t", "0"))) < 60
print("ok" if hmac.compare_digest(want, parts.get("v1", "")) and fresh else "bad: %s" % sig)
EOF
}

# header N NAME: a header of request N.
header() {
	awk -v k="$(echo "$2" | tr A-Z a-z)" -F': ' 'tolower($1) == k { print $2 }' "$T/got/$1.hdr" | tr -d '\r'
}

# wait_callback ID STATE [TIMEOUT] [TOKEN]: wait until the job's callback
# shows STATE; status 0 if it did.
wait_callback() {
	local n
	for n in $(seq 1 $((${3:-20} * 10))); do
		[ "$(api GET "/v1/jobs/$1" "" "${4:-$TOKEN_A}" | jq -r '.callback.state')" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

listen
tap_ok $? "the test's listener is up on 127.0.0.1:$LPORT"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP"

# 1. Delivered, signed, after a 500.
echo 500 >"$T/plan"
hook="http://127.0.0.1:$LPORT/hook?job=1"
id=$(submit_py 'import time; time.sleep(1); print(6 * 7)' "{\"callback_url\": \"$hook\"}")
tap_is "$(http_status)" 201 "a job with a callback_url is accepted"
tap_is "$(api GET "/v1/jobs/$id" | jq -c '.callback | {url, state, attempts, last_error}')" \
	"{\"url\":\"$hook\",\"state\":\"waiting\",\"attempts\":0,\"last_error\":null}" \
	"until the job ends its callback is waiting"
wait_job "$id" >/dev/null
wait_callback "$id" delivered 20
tap_ok $? "the callback is delivered"
job=$(api GET "/v1/jobs/$id")
tap_is "$(jq -c '.callback | {state, attempts, last_error}' <<<"$job")" \
	'{"state":"delivered","attempts":2,"last_error":null}' \
	"in two attempts: the first was answered 500"
reqs=$(requests_for "$id" | tr '\n' ' ')
reqs=${reqs% }
tap_is "$(echo $reqs | wc -w)" 2 "the listener got it twice ($reqs)"
for n in $reqs; do
	tap_is "$(verify "$n")" ok "request $n is signed with the tenant's secret, and fresh"
done
first=${reqs%% *}
tap_isnt "$(verify "$first" "another-secret-0123456789")" ok "the signature does not verify under another secret"
tap_is "$(cat "$T/got/$first.path")" "/hook?job=1" "it is POSTed to the URL's path and query"
tap_is "$(header "$first" Host)" "127.0.0.1:$LPORT" "with the URL's Host"
tap_is "$(header "$first" Content-Type)" "application/json" "as JSON"
tap_like "$(header "$first" User-Agent)" '^sluice/' "from sluice"
last=${reqs##* }
tap_is "$(jq -S -c 'del(.callback)' "$T/got/$last.body")" "$(jq -S -c 'del(.callback)' <<<"$job")" \
	"the body is the job object as GET /v1/jobs/ID gives it"
tap_is "$(jq -c '[.state, .stdout]' "$T/got/$last.body")" '["COMPLETED","42\n"]' "with its state and its output"

# 2. No answer within callback_timeout_seconds, then a redirect: tried
# again each time, never followed, and the daemon serves meanwhile: a
# health request made while the attempt waits is answered in a few seconds
# at most (milliseconds as a rule; a loaded machine may take longer), far
# below the 10 seconds that a daemon held up by the attempt would take.
printf 'hang\n302\n' >"$T/plan"
id=$(submit_py 'print(1)' "{\"callback_url\": \"http://127.0.0.1:$LPORT/slow\"}")
wait_job "$id" >/dev/null
for n in $(seq 1 50); do
	[ -n "$(requests_for "$id")" ] && break
	sleep 0.1
done
[ -n "$(requests_for "$id")" ]
tap_ok $? "the receiver has the callback's request, and does not answer"
t0=$(date +%s%N)
api GET /v1/health >/dev/null
t1=$(date +%s%N)
tap_cmp $(((t1 - t0) / 1000000)) "<" 3000 "while a receiver does not answer, the API does ($(((t1 - t0) / 1000000)) ms)"
tap_is "$(api GET "/v1/jobs/$id" | jq -c '.callback | {state, attempts}')" '{"state":"pending","attempts":0}' \
	"  the attempt was still waiting then"
wait_callback "$id" delivered 40
tap_ok $? "a receiver that did not answer, then redirected, is tried until it answers 2xx"
tap_is "$(api GET "/v1/jobs/$id" | jq -c '.callback.attempts')" 3 "in three attempts"
tap_is "$(requests_for "$id" | wc -l)" 3 "the listener saw three requests"
tap_is "$(ls "$T/got"/*.path | xargs cat | grep -c elsewhere)" 0 "the redirect was not followed"

# 3. A token's default callback, and "" for none.
id=$(submit_py 'print(2)' '{}' "$TOKEN_G")
wait_job "$id" 60 "$TOKEN_G" >/dev/null
wait_callback "$id" delivered 20 "$TOKEN_G"
tap_ok $? "a token's default callback_url is used for a job that names none"
n=$(requests_for "$id" | tail -1)
tap_is "$(cat "$T/got/$n.path")" /default "at the default's path"
id=$(submit_py 'print(3)' '{"callback_url": ""}' "$TOKEN_G")
wait_job "$id" 60 "$TOKEN_G" >/dev/null
tap_is "$(api GET "/v1/jobs/$id" "" "$TOKEN_G" | jq -c .callback)" null '"callback_url": "" asks for none'
tap_is "$(api GET "/v1/jobs/$(submit_py 'print(4)')" | jq -c .callback)" null "a job without one has callback null"

# 4. Refused at submission, nothing submitted.
before=$(api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length')
for url in "http://10.0.0.1/hook" "http://192.168.1.10:$LPORT/" "http://169.254.169.254/latest/meta-data/" \
	"http://172.16.5.4/" "http://100.64.0.1/" "http://0.0.0.0:$LPORT/" "http://[::1]:$LPORT/" \
	"http://[::ffff:127.0.0.1]:$CLOSED/" "http://[::ffff:10.0.0.1]/" "http://[fe80::1]/" "http://[fd00::1]/" \
	"http://localhost:$CLOSED/" "http://a.localhost/" "http://127.0.0.1:$CLOSED/" "http://127.0.0.2:$LPORT/" "http://224.0.0.1/"; do
	body=$(api POST /v1/jobs "{\"runtime\": \"python3\", \"source\": \"print(1)\", \"callback_url\": \"$url\"}")
	tap_is "$(http_status) $(jq -r .field <<<"$body")" "422 callback_url" "refused: $url ($(jq -r .error <<<"$body"))"
done
for url in "http://2130706433:$LPORT/" "http://0x7f000001:$LPORT/" "http://127.1:$LPORT/" \
	"http://0177.0.0.1:$LPORT/" "http://user@127.0.0.1:$LPORT/" "http://x.example@127.0.0.1:$LPORT/" \
	"https://127.0.0.1:$CLOSED/" "ftp://127.0.0.1:$LPORT/" "http://127.0.0.1:$LPORT/#x" \
	"http://127.0.0.1:$LPORT\\@10.0.0.1/" "http://127.0.0.1:0/" "127.0.0.1:$LPORT/hook"; do
	body=$(api POST /v1/jobs "$(jq -cn --arg u "$url" '{runtime: "python3", source: "print(1)", callback_url: $u}')")
	tap_is "$(http_status) $(jq -r .field <<<"$body")" "422 callback_url" "refused: $url ($(jq -r .error <<<"$body"))"
done
body=$(api POST /v1/jobs "{\"runtime\": \"python3\", \"source\": \"print(1)\", \"callback_url\": \"http://127.0.0.1:$LPORT/\\u0000x\"}")
tap_is "$(http_status) $(jq -r .field <<<"$body")" "422 callback_url" "refused: a NUL in the URL"
api POST /v1/jobs '{"runtime": "python3", "source": "print(1)", "callback_url": 42}' >/dev/null
tap_is "$(http_status)" 400 "refused: a callback_url that is not a string"
body=$(api POST /v1/jobs "{\"runtime\": \"python3\", \"source\": \"print(1)\", \"callback_url\": \"$hook\"}" "$TOKEN_B")
tap_is "$(http_status) $(jq -r .field <<<"$body")" "422 callback_url" "refused: a tenant without callback_secret ($(jq -r .error <<<"$body"))"
tap_is "$(api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length')" "$before" "refused: nothing was submitted"
batch=$(api POST /v1/jobs/batch "{\"jobs\": [{\"runtime\": \"python3\", \"source\": \"print(9)\", \"callback_url\": \"$hook\"}, {\"runtime\": \"python3\", \"source\": \"print(9)\", \"callback_url\": \"http://10.0.0.1/\"}]}")
tap_is "$(jq -c '[.jobs[].status, .jobs[1].field, .jobs[0].job.callback.state]' <<<"$batch")" '[201,422,"callback_url","waiting"]' \
	"in a batch, each submission's callback is checked on its own"
id=$(jq -r '.jobs[0].job.id' <<<"$batch")
wait_job "$id" >/dev/null
wait_callback "$id" delivered 20
tap_ok $? "and the one accepted is delivered"

# 5. A name is checked where it resolves, at each delivery: this host's
# name (from /etc/hosts, no DNS traffic) is loopback, and only the
# listener's port of 127.0.0.1 is allowed.
host=$(hostname)
host_ok=""
if [ "$(getent ahostsv4 "$host" | awk 'NR == 1 { print $1 }' | cut -d. -f1)" = 127 ] &&
	grep -qw "$host" /etc/hosts; then
	host_ok=1
	sent=$(got)
	id=$(submit_py 'print(5)' "{\"callback_url\": \"http://$host:$CLOSED/x\"}")
	tap_is "$(http_status)" 201 "a name is not refused at submission ($host)"
	wait_job "$id" >/dev/null
	for n in $(seq 1 100); do
		[ "$(api GET "/v1/jobs/$id" | jq -r .callback.attempts)" -ge 1 ] && break
		sleep 0.1
	done
	cb=$(api GET "/v1/jobs/$id" | jq -c .callback)
	tap_is "$(jq -r .state <<<"$cb")" pending "its delivery is refused where it resolves to loopback, and tried again"
	tap_is "$(jq -r .last_error <<<"$cb")" "'$host' resolves to no address callback_allow lets a callback go to" \
		"the job says it was refused, not what the name resolves to"
	tap_like "$(cat "$T/serve.log")" "callback to '$host' refused: $host at 127\.[0-9.]+ is a loopback address" \
		"the operator's log says why"
	id2=$(submit_py 'print(6)' "{\"callback_url\": \"http://$host:$LPORT/by-name\"}")
	wait_job "$id2" >/dev/null
	wait_callback "$id2" delivered 20
	tap_ok $? "the same name on the allowed port is delivered (connected by the address checked)"
	tap_is "$(header "$(requests_for "$id2" | tail -1)" Host)" "$host:$LPORT" "with the name as Host"
else
	tap_diag "this host's name does not resolve to loopback from /etc/hosts: no check by name"
fi

# 6. https: verified against callback_ca_file, for the host the URL names.
listen_tls sgood "$SPORT" good && listen_tls sself "$BPORT" self && listen_tls sother "$NPORT" other
tap_ok $? "the test's https listeners are up"
id=$(submit_py 'print(10)' "{\"callback_url\": \"https://127.0.0.1:$SPORT/tls?x=1\"}")
wait_job "$id" >/dev/null
wait_callback "$id" delivered 20
tap_ok $? "https: delivered to a certificate of the trusted CA for the address"
tap_is "$(cat "$T/sgood/got/1.path") $(jq -r .id "$T/sgood/got/1.body")" "/tls?x=1 $id" "at its path, with its job"
tap_is "$(T=$T/sgood verify 1)" ok "signed as over http"
if [ -n "$host_ok" ]; then
	id=$(submit_py 'print(11)' "{\"callback_url\": \"https://$host:$SPORT/by-name\"}")
	wait_job "$id" >/dev/null
	wait_callback "$id" delivered 20
	tap_ok $? "https: delivered to a certificate for the name the URL gives"
fi
id=$(submit_py 'print(12)' "{\"callback_url\": \"https://127.0.0.1:$BPORT/\"}")
id2=$(submit_py 'print(13)' "{\"callback_url\": \"https://127.0.0.1:$NPORT/\"}")
wait_job "$id" >/dev/null
wait_job "$id2" >/dev/null
for n in $(seq 1 100); do
	[ "$(api GET "/v1/jobs/$id" | jq -r .callback.attempts)" -ge 1 ] &&
		[ "$(api GET "/v1/jobs/$id2" | jq -r .callback.attempts)" -ge 1 ] && break
	sleep 0.1
done
tap_like "$(api GET "/v1/jobs/$id" | jq -r '.callback.state + ": " + .callback.last_error')" \
	"^pending: 127\.0\.0\.1 port $BPORT: its certificate is refused: self.signed certificate" \
	"https: a self-signed certificate gets no callback, and the job says why"
tap_like "$(api GET "/v1/jobs/$id2" | jq -r '.callback.state + ": " + .callback.last_error')" \
	"^pending: 127\.0\.0\.1 port $NPORT: its certificate is refused: IP address mismatch" \
	"https: a certificate for another host gets none either"
tap_is "$(ls "$T/sself/got" "$T/sother/got" | grep -c body)" 0 "and neither was sent the job"

metrics=$(api GET /metrics)
tap_like "$(grep '^sluice_callbacks_delivered_total ' <<<"$metrics")" ' [1-9][0-9]*$' "/metrics counts deliveries"
tap_like "$(grep '^sluice_callback_attempts_failed_total ' <<<"$metrics")" ' [1-9][0-9]*$' "and failed attempts"

# 7. A delivery pending when the daemon stops is made after it starts.
unlisten
id=$(submit_py 'print(7)' "{\"callback_url\": \"http://127.0.0.1:$LPORT/resume\"}")
wait_job "$id" >/dev/null
for n in $(seq 1 100); do
	[ "$(api GET "/v1/jobs/$id" | jq -r .callback.attempts)" -ge 1 ] && break
	sleep 0.1
done
cb=$(api GET "/v1/jobs/$id" | jq -c .callback)
tap_like "$(jq -r '.state + " " + .last_error' <<<"$cb")" "^pending 127\.0\.0\.1 port $LPORT: cannot connect$" \
	"with no listener, the delivery waits to be tried again"
disp_stop TERM
tap_is "$DISP_STATUS" 0 "the daemon stops cleanly with a delivery pending"
listen
disp_serve || { tap_ok 1 "daemon restarts"; tap_done; exit 1; }
wait_callback "$id" delivered 20
tap_ok $? "after a restart the pending delivery is made"
n=$(requests_for "$id" | tail -1)
tap_is "$(cat "$T/got/$n.path") $(verify "$n")" "/resume ok" "signed, at its URL"

# 8. The operator withdraws an address (and gamma's default, which would
# stop the daemon's start): a pending delivery there fails for good at its
# next attempt, without a request.
unlisten
id=$(submit_py 'print(8)' "{\"callback_url\": \"http://127.0.0.1:$LPORT/withdrawn\"}")
wait_job "$id" >/dev/null
for n in $(seq 1 100); do
	[ "$(api GET "/v1/jobs/$id" | jq -r .callback.attempts)" -ge 1 ] && break
	sleep 0.1
done
disp_stop TERM
sed -i -e "s|^callback_allow = .*|callback_allow = [ ];|" -e 's| callback_url = "[^"]*";||' "$T/sluice.conf"
listen
sent=$(got)
disp_serve || { tap_ok 1 "daemon restarts"; tap_done; exit 1; }
wait_callback "$id" failed 20
tap_ok $? "a delivery to an address no longer allowed fails"
tap_like "$(api GET "/v1/jobs/$id" | jq -r .callback.last_error)" "^127\.0\.0\.1 is a loopback address, which callback_allow does not list$" \
	"the job says why"
sleep 1
tap_is "$(got)" "$sent" "and nothing was sent there"

metrics=$(api GET /metrics)
tap_like "$(grep '^sluice_callbacks_failed_total ' <<<"$metrics")" ' [1-9][0-9]*$' "/metrics counts the callbacks given up on"
tap_like "$(grep '^sluice_callbacks_pending ' <<<"$metrics")" ' [0-9]+$' "and those pending"
tap_done
