#!/bin/bash
# An HTTP fuzz pass: a few thousand malformed requests (bad JSON, wrong
# types, huge numbers, invalid UTF-8, truncated bodies, hostile names and
# paths).  Each must get a 4xx, the daemon must never crash, and nothing may
# be written to the store.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 80000 1 1 'max_body_bytes = 100000;'
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
# The store's job count and the spool's entries, before and after.  A store
# or spool that cannot be read gives nothing now and a name before, so the
# two never compare equal by accident.
count_jobs() { sqlite3 "$T/state/sluice.db" 'SELECT count(*) FROM jobs'; }
count_spool() { [ -d "$T/state/spool" ] && find "$T/state/spool" -mindepth 1 | wc -l; }
before=$(count_jobs)
files_before=$(count_spool)
[ -n "$before" ] || before="unreadable store"
[ -n "$files_before" ] || files_before="no spool"

python3 - "$DISP_URL" "$TOKEN_A" >"$T/fuzz.out" <<'PY'
import json, random, socket, sys, urllib.parse
url, token = sys.argv[1], sys.argv[2]
host, port = urllib.parse.urlparse(url).hostname, urllib.parse.urlparse(url).port
rnd = random.Random(20261123)
valid = {"runtime": "python3", "entry": "main.py", "files": {"main.py": "print(1)"},
         "args": ["a"], "env": {"K": "v"}, "limits": {"cpu_seconds": 1}, "labels": ["n1"]}

def raw(data, timeout=5):
    # The daemon may answer and close before it has read all of an
    # oversized request (headers past its cap), so the kernel resets the
    # connection while we are still sending.  The answer is already queued
    # on our side then: stop sending and read it.
    s = socket.create_connection((host, port), timeout=timeout)
    out = b""
    try:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError, OSError) as e:
            if isinstance(e, socket.timeout):
                raise
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    return out

def post(body, path="/v1/jobs", method="POST", auth=True, ctype=True):
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogateescape")
    head = "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" % (method, path)
    if auth:
        head += "Authorization: Bearer %s\r\n" % token
    if ctype:
        head += "Content-Type: application/json\r\n"
    head += "Content-Length: %d\r\n\r\n" % len(body)
    return raw(head.encode() + body)

def status(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except Exception:
        return 0

weird_values = [None, True, False, 0, -1, 1e308, -1e308, 1.5, 2**63, -2**63, 2**64, "",
                "x" * 5000, [], {}, [1, 2], {"a": 1}, "\u0000", "..", "/etc/passwd",
                "a/../b", "\u202e", "\ud800"]
# Values that are wrong for each field (every one must be refused).
wrong = {
    "runtime": [None, True, 0, [], {}, "", "x" * 5000, "\u0000", "..",
                "/etc/passwd", "python3 ", "cobol"],
    "entry": [None, 0, [], {}, "", "/etc/passwd", "a/../b", "nofile.py"],
    "files": [None, 0, "s", [], {"": "x"}, {"main.py": 1}],
    "args": [None, 0, "s", {}, [1], [None], ["\u0000"]],
    "env": [None, 0, "s", [], {"1A": "x"}, {"A": 1}, {"A=B": "c"}],
    "limits": [None, 0, "s", [], {"cpu_seconds": 0}, {"cpu_seconds": -1},
               {"cpu_seconds": "1"}, {"x": 1}, {"memory_bytes": 1.5}],
    "labels": [None, 0, "s", {}, [1], [""], ["a b"], ["gpu"]],
    "stdin": [None, 0, [], {}],
    "stdin_base64": [None, 0, "@@@", "YQ"],
    "files_base64": [None, 0, "s", [], {"d.bin": "@@@"}],
    "bogus": weird_values, "Runtime": weird_values, "limits ": weird_values,
}

def mutate():
    kind = rnd.randrange(12)
    b = json.loads(json.dumps(valid))
    if kind == 0:   # a value of the wrong type or shape for a field
        k = rnd.choice(list(wrong.keys()))
        b[k] = rnd.choice(wrong[k])
    elif kind == 1: # wrong type inside limits
        b["limits"] = {rnd.choice(["cpu_seconds", "wall_seconds", "memory_bytes", "processes",
                                   "output_bytes", "disk_bytes", "open_files", "nope"]):
                       rnd.choice(weird_values)}
    elif kind == 2: # hostile file names
        b["files"] = {rnd.choice(["../x", "/abs", "a//b", "", ".", "a\nb", "a\u0000b",
                                  "x" * 300, "a/" * 20 + "b", "\udcff"]): "print(1)"}
    elif kind == 3: # bad base64
        b["files_base64"] = {"d.bin": rnd.choice(["@@@", "abc", "YQ", "Y===", 5, None])}
    elif kind == 4: # env and args
        b[rnd.choice(["env", "args"])] = rnd.choice([{"1A": "x"}, {"A": 1}, ["x", 1], "s",
                                                     {"A=B": "c"}, ["a"] * 1000])
    elif kind == 5: # entry not a file
        b["entry"] = rnd.choice(["other.py", "", "../main.py", 7])
    elif kind == 6: # too many labels or bad ones
        b["labels"] = rnd.choice([["x"] * 100, ["a b"], [""], [1], "n1"])
    elif kind == 7: # truncated JSON
        t = json.dumps(b)
        return t[:rnd.randrange(1, len(t) - 1)]
    elif kind == 8: # invalid UTF-8 inside a string
        t = json.dumps(b).encode()
        i = t.index(b"print")
        return t[:i] + bytes([0xff, 0xfe, 0xc3]) + t[i:]
    elif kind == 9: # huge numbers and nesting
        return rnd.choice(['{"runtime":"python3","source":"x","limits":{"cpu_seconds":1e999}}',
                           '[' * 10000 + ']' * 10000,
                           '{"runtime":"python3","source":"x","limits":{"processes":123456789012345678901234567890}}',
                           '{"a":' * 3000 + '1' + '}' * 3000])
    elif kind == 10: # duplicate keys, not an object
        return rnd.choice(['{"runtime":"python3","runtime":"python3","source":"x"}',
                          '"just a string"', '42', 'null', '', '{}', '{"source":"x"}'])
    else:           # a runtime no node offers, or limits above every ceiling
        b["runtime"] = rnd.choice(["cobol", "python3 ", "PYTHON3", "python3\u0000"])
    return json.dumps(b)

counts = {}
bad = []
for i in range(2500):
    body = mutate()
    resp = post(body)
    st = status(resp)
    counts[st] = counts.get(st, 0) + 1
    if not 400 <= st < 500:
        bad.append((st, body[:200] if isinstance(body, str) else body[:200]))
# Malformed HTTP itself, paths and methods.
for req in [b"GARBAGE\r\n\r\n", b"GET /v1/health HTTP/9.9\r\n\r\n",
            b"POST /v1/jobs HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
            b"POST /v1/jobs HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
            b"GET /v1/jobs/%00 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /v1/jobs/1/files/..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() + b"\r\n\r\n",
            b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
            b"GET /v1/jobs HTTP/1.1\r\nX: " + b"h" * 100000 + b"\r\n\r\n"]:
    st = status(raw(req))
    counts[st] = counts.get(st, 0) + 1
    if not 400 <= st < 500:
        bad.append((st, req[:80]))
for path in ["/v1/jobs/0", "/v1/jobs/-1", "/v1/jobs/99999999999999999999", "/v1/jobs//",
             "/v1/jobs/1/files/", "/v1/nodes/x/y", "/metrics/x"]:
    for method in ["GET", "DELETE", "PUT"]:
        st = status(post("", path=path, method=method))
        counts[st] = counts.get(st, 0) + 1
        if not 400 <= st < 500:
            bad.append((st, method + " " + path))
print(json.dumps({"counts": counts, "bad": [str(b) for b in bad[:20]], "nbad": len(bad)}))
PY
res=$(cat "$T/fuzz.out")
tap_is "$(printf '%s' "$res" | jq .nbad)" 0 "every malformed request got a 4xx"
[ "$(printf '%s' "$res" | jq .nbad)" = 0 ] || tap_diag "$(printf '%s' "$res" | jq -c .)"
tap_cmp "$(printf '%s' "$res" | jq '[.counts[]] | add')" ">=" 2500 "a few thousand requests were sent"
kill -0 "$DISP_PID" 2>/dev/null
tap_ok $? "the daemon is still running"
tap_is "$(curl -fsS "$DISP_URL/v1/health" | jq -r .status)" ok "and still answers"
tap_is "$(count_jobs)" "$before" "nothing was written to the store"
tap_is "$(count_spool)" "$files_before" "nothing was written to the spool"
id=$(submit_py 'print("still works")')
tap_is "$(wait_job "$id" 30 | jq -r .stdout)" "still works" "a valid job still runs afterwards"
tap_done
