#!/bin/bash
# The CLI over https, as README and sluice(1) tell a remote user to run it:
# the real daemon on loopback behind a TLS proxy the test makes (socat, a
# certificate of the test's own private CA for 127.0.0.1 and localhost).
# With the CA given (--cacert, or SLUICE_CA_CERT) submit --wait, list,
# status, output and nodes work, with the exit statuses they have over
# http, and one command's requests share one connection (keep-alive).
# Without the CA (the system's store), for another name, or a certificate
# of another CA, the CLI refuses the server: exit 69 and a message that
# says why and what to set, and nothing is submitted.  A CA file that cannot
# be read is 66, one that holds no certificate 65.  https_proxy (a CONNECT
# proxy of the test's) is used, and no_proxy obeyed; --unix-socket and
# SLUICE_UNIX_SOCKET reach the daemon (and the TLS proxy) through a UNIX
# socket; an IPv6 loopback URL works.  The only traffic is on loopback.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"
command -v jq >/dev/null || tap_skip_all "no jq"
command -v openssl >/dev/null || tap_skip_all "no openssl"
command -v socat >/dev/null || tap_skip_all "no socat"
command -v python3 >/dev/null || tap_skip_all "no python3"

disp_setup 84200 1 2
# No proxy of the machine's may come between the CLI and the test's.
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset SLUICE_CA_CERT SLUICE_UNIX_SOCKET SLUICE_SERVER SLUICE_TOKEN
BG_PIDS=()
t0502_teardown() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	disp_teardown
}
trap t0502_teardown EXIT
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node is UP"

S=$SLUICE_BIN
TLS=$T/tls
mkdir -p "$TLS"
# The private CA; a certificate it signs for 127.0.0.1 and localhost, one
# for another name only; and another CA's certificate for 127.0.0.1.
(
	cd "$TLS" || exit 1
	for ca in ca rogue; do
		openssl req -x509 -newkey rsa:2048 -nodes -keyout $ca.key \
			-out $ca.pem -days 2 -subj "/CN=sluice-test-$ca"
	done
	for c in good:ca:"IP:127.0.0.1,DNS:localhost" other:ca:"DNS:other.example" \
		stranger:rogue:"IP:127.0.0.1,DNS:localhost"; do
		name=${c%%:*} rest=${c#*:}
		openssl req -newkey rsa:2048 -nodes -keyout "$name.key" \
			-out "$name.csr" -subj "/CN=$name"
		printf 'subjectAltName=%s\n' "${rest#*:}" >"$name.ext"
		openssl x509 -req -in "$name.csr" -CA "${rest%%:*}.pem" \
			-CAkey "${rest%%:*}.key" -CAcreateserial -out "$name.pem" \
			-days 2 -extfile "$name.ext"
	done
) >"$TLS/log" 2>&1 || tap_bail "cannot make the test's certificates: $(tail -3 "$TLS/log")"

# wait_listen PORT: until something listens on 127.0.0.1:PORT (ss, so that
# no connection is made that the proxies' logs would count).
wait_listen() {
	local n
	for n in $(seq 1 100); do
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# tls_proxy PORT CERT: a TLS-terminating proxy on 127.0.0.1:PORT in front
# of the daemon, logging each connection it accepts to $T/proxy-PORT.log.
tls_proxy() {
	socat -d -d "OPENSSL-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork,cert=$TLS/$2.pem,key=$TLS/$2.key,verify=0" \
		"TCP:127.0.0.1:$DISP_PORT" 2>"$T/proxy-$1.log" &
	BG_PIDS+=($!)
	wait_listen "$1" || tap_bail "the TLS proxy on port $1 did not start"
}
# accepted PORT: how many connections the proxy on PORT has accepted.
accepted() {
	grep -c 'accepting connection' "$T/proxy-$1.log"
}

GPORT=$(node_free_port)
tls_proxy "$GPORT" good
OPORT=$(node_free_port)
tls_proxy "$OPORT" other
RPORT=$(node_free_port)
tls_proxy "$RPORT" stranger
URL=https://127.0.0.1:$GPORT
CA=$TLS/ca.pem

# run ARGS...: the CLI with ARGS; $rc, and its output in $T/out and $T/err.
run() {
	"$S" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
out() { cat "$T/out"; }
err() { cat "$T/err"; }
# listed RC: "RC/yes" if $T/out has a row for job $id, "RC/no" if not.
listed() {
	if awk -v id="$id" '$1 == id { found = 1 } END { exit !found }' "$T/out"; then
		echo "$1/yes"
	else
		echo "$1/no"
	fi
}
# jobs_count: how many jobs tenant alpha has (straight from the daemon).
jobs_count() {
	api GET /v1/jobs | jq '.jobs | length'
}

printf 'print("hello over tls")\n' >"$T/hello.py"
printf 'import sys\nsys.stdout.buffer.write(bytes(range(256)) * 2048)\n' >"$T/bytes.py"
printf 'import sys\nprint("no", file=sys.stderr)\nsys.exit(3)\n' >"$T/exit3.py"
printf '%s\n' "$TOKEN_A" >"$T/token.a"

# --- With the private CA.
export SLUICE_TOKEN=$TOKEN_A
before=$(accepted "$GPORT")
run submit --wait --server "$URL" --cacert "$CA" "$T/hello.py"
tap_is "$rc/$(out)" "0/hello over tls" "submit --wait through the TLS proxy with --cacert"
tap_is "$(err)" "" "and nothing on stderr"
tap_is "$(($(accepted "$GPORT") - before))" 1 \
	"its requests (submit, wait, output) share one connection"
run submit --wait --server "$URL" --cacert "$CA" "$T/exit3.py"
tap_is "$rc/$(err | head -n 1)" "3/no" "a job's exit status and stderr come through as over http"
tap_like "$(err)" "job [0-9]+ FAILED \(exited with status 3\)" "and the reason line, as over http"

export SLUICE_CA_CERT=$CA SLUICE_SERVER=$URL
id=$("$S" submit "$T/bytes.py")
tap_like "$id" '^[0-9]+$' "SLUICE_CA_CERT and SLUICE_SERVER: submit prints an id"
run status --json "$id"
tap_is "$rc" 0 "status over https"
wait_job "$id" 60 >/dev/null
run output "$id"
tap_is "$rc/$(out | wc -c)" 0/524288 "output streams 512 KiB of raw bytes"
tap_is "$(sha256sum <"$T/out" | cut -d' ' -f1)" \
	"$(python3 -c 'import hashlib, sys; sys.stdout.write(hashlib.sha256(bytes(range(256)) * 2048).hexdigest())')" \
	"byte for byte"
run list -h
tap_is "$(listed "$rc")" 0/yes "list over https shows the job"
SLUICE_SERVER=https://localhost:$GPORT run nodes -h
tap_is "$rc/$(out | awk '{print $1}')" 0/node1 "nodes by the name localhost"
SLUICE_TOKEN=wrong-token run list
tap_is "$rc" 77 "a refused token is still 77 over https"
run status 999999
tap_is "$rc/$(err)" "66/sluice: no such job 999999" "an unknown job is still 66"
env -u SLUICE_CA_CERT "$S" list --server "$URL" --cacert "$CA" --token-file "$T/token.a" >"$T/out" 2>&1
tap_is "$?" 0 "--cacert and --token-file together"
run list --help
tap_like "$(out)" '--cacert FILE' "list --help documents --cacert"
tap_like "$(out)" '--unix-socket PATH' "and --unix-socket"
tap_like "$(out)" 'TLS certificate is not trusted' "and the exit status of an untrusted server"

# --- Servers the CLI must refuse.  Nothing may be submitted through them.
n0=$(jobs_count)
env -u SLUICE_CA_CERT "$S" submit --server "$URL" "$T/hello.py" >"$T/out" 2>"$T/err"
rc=$?
tap_is "$rc" 69 "without the CA (the system's store) submit is 69"
tap_like "$(err)" "^sluice: the dispatcher at $URL is not trusted: .*certificate.*--cacert or SLUICE_CA_CERT" \
	"and says the certificate is not trusted and what to set"
tap_is "$(out)" "" "and prints no id"
run submit --server "https://127.0.0.1:$OPORT" "$T/hello.py"
tap_is "$rc" 69 "a certificate for another name is 69"
tap_like "$(err)" "not trusted: .*(name|subject).*127\.0\.0\.1" "and the message says the name does not match"
run submit --server "https://127.0.0.1:$RPORT" "$T/hello.py"
tap_is "$rc" 69 "a certificate of another CA is 69"
tap_like "$(err)" "not trusted: .*certificate" "with why"
SLUICE_CA_CERT=$TLS/rogue.pem run list --server "$URL"
tap_is "$rc" 69 "our certificate with only another CA trusted is 69"
run list --server "https://127.0.0.1:$DISP_PORT"
tap_is "$rc" 69 "https:// to the daemon's plain HTTP port is 69"
tap_like "$(err)" "no TLS connection to the dispatcher at https://127\.0\.0\.1:$DISP_PORT" "and says so"
run submit --cacert "$T/nonexistent.pem" "$T/hello.py"
tap_is "$rc" 66 "a CA file that cannot be read is 66"
tap_like "$(err)" "cannot open the CA file '$T/nonexistent.pem'" "and names it"
run submit --cacert "$T/hello.py" "$T/hello.py"
tap_is "$rc" 65 "a CA file with no certificate in it is 65"
SLUICE_CA_CERT=$T run submit "$T/hello.py"
tap_is "$rc" 65 "a directory as SLUICE_CA_CERT is 65"
tap_is "$(jobs_count)" "$n0" "none of these submitted anything"

# --- A CONNECT proxy from the environment (https_proxy), and no_proxy.
PPORT=$(node_free_port)
cat >"$T/connect-proxy.py" <<'EOF'
import socket, sys, threading
port, log = int(sys.argv[1]), sys.argv[2]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)

def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def handle(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            c.close()
            return
        buf += d
    line = buf.split(b"\r\n")[0].decode("latin-1")
    with open(log, "a") as f:
        f.write(line + "\n")
    with open(log + ".heads", "ab") as f:
        f.write(buf.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
    parts = line.split(" ")
    host, _, p = parts[1].rpartition(":") if len(parts) == 3 else ("", "", "")
    # Only CONNECT, and only to loopback.
    if parts[0] != "CONNECT" or host != "127.0.0.1":
        c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        c.close()
        return
    u = socket.create_connection((host, int(p)))
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    rest = buf.split(b"\r\n\r\n", 1)[1]
    if rest:
        u.sendall(rest)
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    pipe(u, c)

while True:
    c, _ = ls.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
EOF
: >"$T/connect.log"
python3 "$T/connect-proxy.py" "$PPORT" "$T/connect.log" 2>>"$T/connect.err" &
BG_PIDS+=($!)
wait_listen "$PPORT" || tap_bail "the CONNECT proxy did not start"
https_proxy=http://127.0.0.1:$PPORT run list -h
tap_is "$(listed "$rc")" 0/yes "https_proxy: list goes through the proxy"
tap_is "$(cat "$T/connect.log")" "CONNECT 127.0.0.1:$GPORT HTTP/1.1" \
	"which was asked for a tunnel to the TLS proxy, once"
tap_is "$(grep -ci -e authorization -e "$TOKEN_A" "$T/connect.log.heads")" 0 \
	"and was not shown the token"
https_proxy=http://127.0.0.1:$PPORT no_proxy=127.0.0.1 run list -h
tap_is "$rc/$(wc -l <"$T/connect.log")" 0/1 "no_proxy=127.0.0.1: straight to the server"
https_proxy=http://127.0.0.1:$PPORT run list -h --server "$DISP_URL"
tap_is "$rc/$(wc -l <"$T/connect.log")" 0/1 "https_proxy is not used for an http:// URL"
CLOSED=$(node_free_port)
https_proxy=http://127.0.0.1:$CLOSED run list
tap_is "$rc" 69 "a proxy that cannot be reached is 69"
tap_like "$(err)" "cannot reach the dispatcher at $URL through the proxy in \\\$https_proxy: .*port $CLOSED.*Connection refused" \
	"and the message names the proxy"

# --- A UNIX socket instead of TCP: to the daemon, and to the TLS proxy.
socat "UNIX-LISTEN:$T/http.sock,fork" "TCP:127.0.0.1:$DISP_PORT" 2>/dev/null &
BG_PIDS+=($!)
socat "UNIX-LISTEN:$T/https.sock,fork" "TCP:127.0.0.1:$GPORT" 2>/dev/null &
BG_PIDS+=($!)
for n in $(seq 1 100); do
	[ -S "$T/http.sock" ] && [ -S "$T/https.sock" ] && break
	sleep 0.05
done
env -u SLUICE_CA_CERT "$S" list -h --server http://sluice.invalid --unix-socket "$T/http.sock" >"$T/out" 2>"$T/err"
tap_is "$(listed "$?")" 0/yes "--unix-socket: the URL's host is not looked up"
SLUICE_UNIX_SOCKET=$T/http.sock run submit --wait --server http://sluice.invalid "$T/hello.py"
tap_is "$rc/$(out)" "0/hello over tls" "SLUICE_UNIX_SOCKET: submit --wait"
SLUICE_UNIX_SOCKET=$T/https.sock run list -h --server https://localhost
tap_is "$(listed "$rc")" 0/yes "https:// through a UNIX socket, the certificate checked for localhost"
https_proxy=http://127.0.0.1:$CLOSED SLUICE_UNIX_SOCKET=$T/https.sock run list -h --server https://localhost
tap_is "$(listed "$rc")" 0/yes "a proxy from the environment is not used with a UNIX socket"
SLUICE_UNIX_SOCKET=$T/https.sock run list -h --server https://other.example
tap_is "$rc" 69 "and refused for a name it is not for"
run list --unix-socket "$T/none.sock"
tap_is "$rc" 69 "a UNIX socket that is not there is 69"
tap_like "$(err)" "through the UNIX socket '$T/none.sock': No such file or directory" "and named"
run list --unix-socket "$T/$(printf 'x%.0s' $(seq 1 120))"
tap_is "$rc" 64 "a socket path longer than a UNIX socket's is 64"

# --- IPv6 loopback: [::1] relayed to the daemon.
tap_skip_one() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}
V6PORT=$(node_free_port)
if python3 -c "import socket; s = socket.socket(socket.AF_INET6); s.bind(('::1', $V6PORT))" 2>/dev/null; then
	socat "TCP6-LISTEN:$V6PORT,bind=[::1],reuseaddr,fork" "TCP4:127.0.0.1:$DISP_PORT" 2>/dev/null &
	BG_PIDS+=($!)
	for n in $(seq 1 100); do
		ss -Hltn "sport = :$V6PORT" 2>/dev/null | grep -q . && break
		sleep 0.05
	done
	env -u SLUICE_CA_CERT "$S" list -h --server "http://[::1]:$V6PORT" >"$T/out" 2>"$T/err"
	tap_is "$(listed "$?")" 0/yes "an IPv6 literal URL, http://[::1]:port"
	env -u SLUICE_CA_CERT "$S" list --server "http://[::1:$V6PORT" >"$T/out" 2>"$T/err"
	tap_is "$?" 64 "a malformed IPv6 literal is 64"
else
	tap_skip_one "an IPv6 literal URL, http://[::1]:port" "no IPv6"
	tap_skip_one "a malformed IPv6 literal is 64" "no IPv6"
fi
tap_done
