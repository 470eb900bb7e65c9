#!/bin/bash
# Hostile: the network.  A listener on the host's loopback and on its
# external address, an abstract AF_UNIX socket of the host, and DNS are all
# out of reach; socket() refuses every family but AF_UNIX (EAFNOSUPPORT),
# and AF_UNIX socketpairs work.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71600

EXT=$(ip route get 1.1.1.1 2>/dev/null | grep -o 'src [0-9.]*' | awk '{print $2}')
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')
ABSTRACT="sluice-t0160-$$"

# An HTTP server on every host address, and an abstract unix listener.
mkdir -p "$T/www"
echo "host secret page" >"$T/www/index.html"
"$PYTHON" -m http.server --bind 0.0.0.0 --directory "$T/www" "$PORT" >/dev/null 2>&1 &
http_pid=$!
"$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1]); s.listen(5)
while True:
    c, _ = s.accept(); c.sendall(b"host abstract socket\n"); c.close()' "$ABSTRACT" &
unix_pid=$!
cleanup_listeners() { kill "$http_pid" "$unix_pid" 2>/dev/null; wait "$http_pid" "$unix_pid" 2>/dev/null; }
trap 'cleanup_listeners; agent_teardown' EXIT
for i in $(seq 50); do
	"$PYTHON" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$PORT" 2>/dev/null && break
	sleep 0.1
done

# Positive controls: the listeners work from the host.
"$PYTHON" -c 'import urllib.request, sys
sys.exit(0 if b"host secret page" in urllib.request.urlopen(sys.argv[1], timeout=3).read() else 1)' \
	"http://127.0.0.1:$PORT/"
tap_ok $? "control: the host's loopback listener answers the host"
if [ -n "$EXT" ]; then
	"$PYTHON" -c 'import urllib.request, sys
sys.exit(0 if b"host secret page" in urllib.request.urlopen(sys.argv[1], timeout=3).read() else 1)' \
		"http://$EXT:$PORT/"
	tap_ok $? "control: the external-address listener answers the host ($EXT)"
fi

run_py net 'import socket, errno, urllib.request
def show(what, f):
    try:
        r = f()
        print(what, "OK", r)
    except OSError as e:
        print(what, "FAIL", type(e).__name__, errno.errorcode.get(e.errno, e.errno))
    except Exception as e:
        print(what, "FAIL", type(e).__name__)
show("loopback", lambda: socket.create_connection(("127.0.0.1", '"$PORT"'), timeout=2).recv(10))
show("external", lambda: socket.create_connection(("'"${EXT:-192.0.2.2}"'", '"$PORT"'), timeout=2).recv(10))
show("http", lambda: urllib.request.urlopen("http://127.0.0.1:'"$PORT"'/", timeout=2).read())
show("dns", lambda: socket.getaddrinfo("example.com", 80))
show("dns-ip", lambda: socket.gethostbyname("example.com"))
def abstract():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect("\0'"$ABSTRACT"'")
    return s.recv(100)
show("abstract", abstract)
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("1.1.1.1", 53))
show("udp", udp)
print("end")' '{"wall_seconds": 20}'
tap_is "$(r .verdict)" ok "network: the job ran to its end"
tap_is "$(tail -1 "$DIR/stdout")" end "network: every probe returned"
tap_is "$(grep -c ' OK ' "$DIR/stdout")" 0 "network: no probe succeeded"
tap_like "$(grep '^loopback ' "$DIR/stdout")" '^loopback FAIL .*EAFNOSUPPORT' "network: host loopback listener unreachable (socket refused)"
tap_like "$(grep '^external ' "$DIR/stdout")" '^external FAIL .*EAFNOSUPPORT' "network: host external address unreachable (socket refused)"
tap_like "$(grep '^http ' "$DIR/stdout")" '^http FAIL' "network: urllib to the host fails"
tap_like "$(grep '^dns ' "$DIR/stdout")" '^dns FAIL' "network: getaddrinfo(example.com) fails"
tap_like "$(grep '^dns-ip ' "$DIR/stdout")" '^dns-ip FAIL' "network: gethostbyname(example.com) fails"
tap_like "$(grep '^abstract ' "$DIR/stdout")" '^abstract FAIL .*(ECONNREFUSED|ENOENT)' "network: the host's abstract unix socket is unreachable"
tap_like "$(grep '^udp ' "$DIR/stdout")" '^udp FAIL .*EAFNOSUPPORT' "network: UDP refused"
check_clean network
cleanup_listeners

run_py families 'import socket, errno
fams = [("AF_INET", socket.AF_INET), ("AF_INET6", socket.AF_INET6),
        ("AF_NETLINK", socket.AF_NETLINK), ("AF_PACKET", socket.AF_PACKET),
        ("AF_VSOCK", 40), ("AF_BLUETOOTH", 31), ("AF_ALG", 38), ("AF_KEY", 15)]
for name, fam in fams:
    for typ in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW):
        try:
            socket.socket(fam, typ).close()
            print(name, typ, "OK")
        except OSError as e:
            print(name, typ, errno.errorcode.get(e.errno, e.errno))
try:
    socket.socketpair(socket.AF_INET, socket.SOCK_STREAM)
    print("socketpair-inet OK")
except OSError as e:
    print("socketpair-inet", errno.errorcode.get(e.errno, e.errno))
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
a.sendall(b"ping"); print("socketpair-unix", b.recv(4).decode())
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("/tmp/sock"); s.listen(1)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect("/tmp/sock")
conn, _ = s.accept(); c.sendall(b"pong"); print("unix-path", conn.recv(4).decode())'
tap_is "$(r .verdict)" ok "families: verdict ok"
for fam in AF_INET AF_INET6 AF_NETLINK AF_PACKET AF_VSOCK AF_BLUETOOTH AF_ALG AF_KEY; do
	tap_is "$(grep "^$fam " "$DIR/stdout" | awk '{print $3}' | sort -u | tr '\n' ' ')" "EAFNOSUPPORT " \
		"families: socket($fam, any type) fails with EAFNOSUPPORT"
done
tap_is "$(grep '^socketpair-inet' "$DIR/stdout")" "socketpair-inet EAFNOSUPPORT" "families: socketpair(AF_INET) refused"
tap_is "$(grep '^socketpair-unix' "$DIR/stdout")" "socketpair-unix ping" "families: AF_UNIX socketpair works"
tap_is "$(grep '^unix-path' "$DIR/stdout")" "unix-path pong" "families: AF_UNIX socket on a path in /tmp works"
check_clean families

tap_done
