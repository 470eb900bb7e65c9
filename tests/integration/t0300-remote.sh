#!/bin/bash
# dispatcher/remote.c against real sshd nodes on loopback (through
# tests/integration/remote-probe): commands and their exit statuses, quoting,
# SFTP transfers and what they refuse, streaming output, host key and client
# key checks, a hung node broken by the watchdog, keepalive counters, and a
# dead node or a closed port failing fast.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/node.sh"

[ "$(id -u)" -eq 0 ] || tap_skip_all "sshd test nodes need root"
PROBE="$top_builddir/tests/integration/remote-probe"
[ -x "$PROBE" ] || tap_skip_all "no $PROBE"
[ -x "$NODE_SSHD" ] || tap_skip_all "no $NODE_SSHD"
command -v jq >/dev/null || tap_skip_all "no jq"

T=$(mktemp -d /tmp/sluice-t0300.XXXXXX)
chmod 755 "$T"
trap 'node_teardown_all; rm -rf "$T"' EXIT
node_init || tap_skip_all "node_init failed"

PA=$(node_free_port)
node_start a "$PA" || tap_skip_all "cannot start node a"

# probe_at PORT [OPTIONS] COMMAND...: the probe against 127.0.0.1:PORT as
# root with the test's keys; a hard time limit keeps a hang from blocking
# the suite.  Sets OUT (the last JSON line) and RC.
probe_at() {
	local port=$1
	shift
	OUT=$(timeout 60 "$PROBE" --port "$port" --identity "$T/ssh/id_ed25519" \
		--known-hosts "$T/ssh/known_hosts" --io-timeout-ms 5000 "$@")
	RC=$?
	LINES=$OUT
	OUT=$(printf '%s\n' "$OUT" | tail -n 1)
}
probe() {
	probe_at "$PA" "$@"
}

# j FILTER: jq over OUT, raw; jc FILTER: the same as compact JSON.
j() {
	printf '%s' "$OUT" | jq -r "$1"
}
jc() {
	printf '%s' "$OUT" | jq -c "$1"
}

# contains HAYSTACK NEEDLE NAME: pass if NEEDLE occurs literally.
contains() {
	case "$1" in
	*"$2"*) tap_ok 0 "$3" ;;
	*)
		tap_ok 1 "$3"
		tap_diag "got:  '$1'"
		tap_diag "want it to contain: '$2'"
		;;
	esac
}

# wait_file PATH: wait up to 20 s for PATH to exist.
wait_file() {
	local i
	for ((i = 0; i < 2000; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.01
	done
	return 1
}

# --- commands -----------------------------------------------------------

probe run -- echo hi
tap_is "$RC" 0 "run echo hi: probe exits 0"
tap_is "$(j .ok)" true "run echo hi: ok"
tap_is "$(j .stdout)" "hi" "run echo hi: stdout is hi"
tap_is "$(jc .stdout)" '"hi\n"' "run echo hi: stdout is exactly hi and a newline"
tap_is "$(j .exit)" 0 "run echo hi: exit status 0"

probe run -- /bin/sh -c 'exit 3'
tap_is "$(j .ok),$(j .exit)" "true,3" "run exit 3: exit status 3"

probe run -- /bin/sh -c 'kill -KILL $$'
tap_is "$(j .ok),$(j .exit)" "true,-1" "run killed by SIGKILL: exit status -1"

probe run -- /bin/sh -c 'echo oops >&2; exit 1'
tap_is "$(j .stderr)" "oops" "run: the start of stderr is kept for messages"

probe run --stdin 'line one
line two' -- cat
tap_is "$(jc .stdout)" '"line one\nline two"' "run with stdin: cat gives it back, then sees EOF"
# (under load this once got no stdout: show why if it happens again)
[ "$(j .ok)" = true ] || tap_diag "probe exited $RC: $LINES"

probe run --cap 100 -- seq 1 1000
tap_is "$(j .ok),$(j .code)" "false,invalid" "run: stdout above cap is an error"
tap_like "$(j .error)" "larger than 100 bytes" "run: the error says the cap"

# A command that trickles a byte of stderr now and then never goes quiet
# for io_timeout, but it ends within run_timeout (2 s here) all the same.
probe --run-timeout-ms 2000 run -- /bin/sh -c 'while :; do printf . >&2; sleep 0.2; done'
tap_is "$(j .ok),$(j .code)" "false,invalid" "run: a command that trickles forever fails at its overall deadline"
tap_like "$(j .error)" "did not end within 2000 ms" "run: the error says the deadline"
probe --run-timeout-ms 20000 run -- /bin/sh -c 'printf a >&2; sleep 0.5; printf b >&2; echo done'
tap_is "$(j .ok),$(j .stdout)" "true,done" "run: a command that ends before its deadline is not cut"

ARG="two  words, 'single' \"double\" \$(touch $T/pwned) \`touch $T/pwned2\` \$HOME ; | & * ?
second line \\ it's"
probe run -- /usr/bin/printf '%s\n' "$ARG"
tap_is "$(jc .stdout)" "$(jq -cn --arg s "$ARG"$'\n' '$s')" \
	"quoting: an argument with blanks, quotes, \$(...), backticks and a newline arrives verbatim"
tap_ok "$([ ! -e "$T/pwned" ] && [ ! -e "$T/pwned2" ]; echo $?)" \
	"quoting: nothing in the argument was run"

probe run -- /usr/bin/printf '[%s]' '' 'a b' "'"
tap_is "$(j .stdout)" "[][a b][']" "quoting: empty argument, blanks and a lone quote"

# --- SFTP ---------------------------------------------------------------

R="$T/remote"
mkdir -p "$R" "$T/got"
head -c 307200 /dev/urandom >"$T/big"
probe put "$T/big" "$R/big"
tap_is "$(j .ok),$(j .bytes)" "true,307200" "put 300 KiB: ok"
tap_ok "$(cmp -s "$T/big" "$R/big"; echo $?)" "put 300 KiB: the node's file is byte-identical (sent in 32 KiB pieces)"
probe get "$R/big" "$T/got" big
tap_is "$(j .ok),$(j .bytes)" "true,307200" "get 300 KiB: ok"
tap_ok "$(cmp -s "$T/big" "$T/got/big"; echo $?)" "get 300 KiB: byte-identical"
tap_is "$(stat -c %a "$T/got/big")" 600 "get: the local file is created 0600"
# A read that ends short at the size fstat gave ends the file; one of whole
# 32 KiB reads, or an empty one, ends at the read that says so.
mkdir -p "$T/remote-sizes"
head -c 65536 /dev/urandom >"$T/remote-sizes/even"
: >"$T/remote-sizes/empty"
for f in even empty; do
	probe get "$T/remote-sizes/$f" "$T/got" "$f"
	tap_is "$(j .ok),$(j .bytes)" "true,$(stat -c %s "$T/remote-sizes/$f")" "get $f: ok, every byte"
	tap_ok "$(cmp -s "$T/remote-sizes/$f" "$T/got/$f"; echo $?)" "get $f: byte-identical"
done

probe put "$T/big" "$R/big"
tap_is "$(j .ok),$(j .code)" "false,state" "put refuses an existing file (ERR_STATE)"
tap_ok "$(cmp -s "$T/big" "$R/big"; echo $?)" "put: the existing file is left alone"

probe get "$R/big" "$T/got" big
tap_is "$(j .ok),$(j .code)" "false,state" "get refuses an existing local file"

probe put "$T/big" "relative/path"
tap_is "$(j .ok),$(j .code)" "false,invalid" "put refuses a relative remote path"

probe mkdir "$R/d"
tap_is "$(j .ok)" true "mkdir: ok"
tap_ok "$([ -d "$R/d" ]; echo $?)" "mkdir: the directory exists on the node"
probe mkdir "$R/d"
tap_is "$(j .ok),$(j .code)" "false,state" "mkdir of an existing directory: ERR_STATE"
probe mkdir "$R/no/such/parent"
tap_is "$(j .ok),$(j .code)" "false,not_found" "mkdir under a missing parent: ERR_NOTFOUND"

printf 12345 >"$R/five"
ln -s big "$R/link"
ln -s d "$R/dirlink"
mkfifo "$R/fifo"

probe get "$R/link" "$T/got" link
tap_is "$(j .ok),$(j .code)" "false,refused" "get refuses a symbolic link"
tap_like "$(j .error)" "symbolic link" "get of a link: the error says so"
tap_ok "$([ ! -e "$T/got/link" ]; echo $?)" "get of a link: no local file left"

probe get "$R/fifo" "$T/got" fifo
tap_is "$(j .ok),$(j .code)" "false,refused" "get refuses a FIFO"
tap_isnt "$RC" 124 "get of a FIFO: returns instead of hanging"

probe get "$R/big" "$T/got" big2 --cap 1000
tap_is "$(j .ok),$(j .code)" "false,invalid" "get refuses a file above cap (ERR_INVALID)"
tap_ok "$([ ! -e "$T/got/big2" ]; echo $?)" "get above cap: no local file left"
probe get "$R/five" "$T/got" five --cap 5
tap_is "$(j .ok),$(j .bytes),$(cat "$T/got/five")" "true,5,12345" "get of a file exactly at cap: ok"
probe get "$R/five" "$T/got" five4 --cap 4
tap_is "$(j .ok),$(j .code)" "false,invalid" "get of a file one byte above cap: refused"
probe get "$R/nonexistent" "$T/got" none
tap_is "$(j .ok),$(j .code)" "false,not_found" "get of a missing file: ERR_NOTFOUND"

probe list "$R"
tap_is "$(j '[.entries[] | "\(.name)=\(.type)"] | sort | join(" ")')" \
	"big=REG d=DIR dirlink=LINK fifo=OTHER five=REG link=LINK" \
	"list: types from lstat (links are LINK, not what they point to)"
tap_is "$(j '.entries[] | select(.name == "five") | .size')" 5 "list: sizes"
probe list "$R" --max 6
tap_is "$(j .ok)" true "list: exactly max entries is fine"
probe list "$R" --max 5
tap_is "$(j .ok),$(j .code)" "false,invalid" "list: more than max entries is an error"
mkdir "$R/bad"
touch "$R/bad/$(printf 'new\nline')"
probe list "$R/bad"
tap_is "$(j .ok),$(j .code)" "false,invalid" "list: a name with a control character fails the listing"
probe list "$R/big"
tap_is "$(j .ok)" false "list of a regular file fails"

# --- streaming ----------------------------------------------------------

probe spawn-lines -- /bin/sh -c \
	'for i in 1 2 3 4 5; do echo "line $i"; sleep 0.25; done; printf "no newline"'
tap_is "$(j .ok),$(j .exit),$(j .lines)" "true,0,6" "spawn-lines: all lines and exit 0"
tap_is "$(printf '%s\n' "$LINES" | jq -r 'select(.line) | .line' | tr '\n' '|')" \
	"line 1|line 2|line 3|line 4|line 5|no newline|" \
	"spawn-lines: lines in order, the last one without a newline too"
FIRST=$(printf '%s\n' "$LINES" | jq -r 'select(.line == "line 1") | .t_ms')
FIFTH=$(printf '%s\n' "$LINES" | jq -r 'select(.line == "line 5") | .t_ms')
tap_cmp "$((FIFTH - FIRST))" ">=" 700 "spawn-lines: lines arrive as they are printed, not at the end"

probe spawn-lines -- /bin/sh -c 'echo partial; exit 7'
tap_is "$(j .ok),$(j .exit)" "true,7" "spawn-lines: exit status 7"
probe spawn-lines --max-line 10 -- /bin/sh -c 'echo 0123456789abcdef'
tap_is "$(j .ok),$(j .code)" "false,invalid" "spawn-lines: a line above max_line is an error"

probe wait --timeout-ms 10000 --wake-after-ms 200
tap_cmp "$(j .waited_ms)" "<" 5000 "wait: a readable wake_fd ends the wait"
probe wait --timeout-ms 300
tap_cmp "$(j .waited_ms)" ">=" 250 "wait: a quiet session waits out the timeout"

# --- host keys and client keys --------------------------------------------

: >"$T/empty_known_hosts"
OUT=$(timeout 60 "$PROBE" --port "$PA" --identity "$T/ssh/id_ed25519" \
	--known-hosts "$T/empty_known_hosts" connect)
tap_is "$(j .ok),$(j .stage),$(j .code)" "false,connect,refused" "unknown host (empty known_hosts): refused"
tap_like "$(j .error)" "not in known_hosts" "unknown host: the error says it is not in known_hosts"
contains "$(j .error)" "$(node_fingerprint a)" "unknown host: the error shows the node's SHA256 fingerprint"

OUT=$(timeout 60 "$PROBE" --port "$PA" --identity "$T/ssh/id_ed25519" \
	--known-hosts "$T/no-such-file" connect)
tap_is "$(j .ok),$(j .code)" "false,refused" "missing known_hosts file: refused"

ssh-keygen -q -t ed25519 -N '' -f "$T/other_key" </dev/null
OUT=$(timeout 60 "$PROBE" --port "$PA" --identity "$T/other_key" \
	--known-hosts "$T/ssh/known_hosts" connect)
tap_is "$(j .ok),$(j .code)" "false,refused" "wrong client key: refused"
tap_like "$(j .error)" "refused key" "wrong client key: the error says the key was refused"

PK=$(node_free_port)
node_start k "$PK"
probe_at "$PK" connect
tap_is "$(j .ok)" true "node k: connects with its enrolled host key"
OLD_FP=$(node_fingerprint k)
node_rekey k
NEW_FP=$(node_fingerprint k)
probe_at "$PK" connect
tap_is "$(j .ok),$(j .code)" "false,refused" "changed host key: refused"
tap_like "$(j .error)" "known_hosts" "changed host key: the error names known_hosts"
contains "$(j .error)" "$NEW_FP" "changed host key: the error shows the new SHA256 fingerprint"
tap_isnt "$OLD_FP" "$NEW_FP" "changed host key: node_rekey made a new key"
tap_is "$(grep -c "^\[127.0.0.1\]:$PK " "$T/ssh/known_hosts")" 1 "changed host key: known_hosts was not updated"
node_stop k

# --- hung, dead and missing nodes -----------------------------------------

PB=$(node_free_port)
node_start b "$PB"

# probe_sync NAME [OPTIONS] COMMAND...: start the probe against node b in
# the background with --sync, and return once it has connected, so that
# the test can break the node under it; probe_go then lets the command go
# on, waits for the probe and sets RC and OUT.
probe_sync() {
	SYNC="$T/sync-$1"
	SYNC_OUT="$T/$1.out"
	shift
	mkdir -p "$SYNC"
	timeout 60 "$PROBE" --port "$PB" --identity "$T/ssh/id_ed25519" \
		--known-hosts "$T/ssh/known_hosts" --sync "$SYNC" "$@" \
		>"$SYNC_OUT" &
	SYNC_PID=$!
	wait_file "$SYNC/connected"
}
probe_go() {
	touch "$SYNC/go"
	wait "$SYNC_PID"
	RC=$?
	OUT=$(tail -n 1 "$SYNC_OUT")
}

probe_sync abort --io-timeout-ms 1000 --abort-after-ms 1500 list /tmp
node_pause b
probe_go
tap_isnt "$RC" 124 "paused node: the SFTP call returned (it was not killed by timeout)"
tap_is "$(j .ok),$(j .code)" "false,io" "paused node: the SFTP call fails with ERR_IO"
tap_is "$(j .aborted)" true "paused node: the watchdog's remote_abort() broke the call"
tap_cmp "$(j .elapsed_ms)" "<" 5000 "paused node: the call returned soon after the watchdog limit"
tap_cmp "$(j .free_ms)" "<" 2000 "paused node: remote_free() does not wait for the node"
node_resume b

probe_sync keepalive --io-timeout-ms 1000 keepalive --rounds 4 --interval-ms 250
node_pause b
probe_go
tap_is "$(j .ok)" true "paused node: keepalives are sent without blocking"
tap_is "$(j '.packets_in | (last - first)')" 0 "paused node: no packet comes back"
node_resume b

probe_at "$PB" keepalive --rounds 3 --interval-ms 300
tap_is "$(j .ok)" true "live node: keepalive ok"
tap_cmp "$(j '.packets_in | last - first')" ">=" 2 \
	"live node: keepalives bring packets back"

probe_sync run --io-timeout-ms 1000 run -- echo never
node_pause b
probe_go
tap_is "$(j .ok),$(j .code),$(j .aborted)" "false,io,false" \
	"paused node: a command fails with ERR_IO by itself (no watchdog)"
tap_like "$(j .error)" "did not answer" "paused node: the error says the node did not answer"
tap_cmp "$(j .elapsed_ms)" "<" 5000 "paused node: the command gives up after about io_timeout_ms"

probe_at "$PB" --connect-timeout-ms 1000 connect
tap_is "$(j .ok),$(j .code)" "false,io" "paused node: a new connection fails with ERR_IO"
tap_cmp "$(j .connect_ms)" "<" 4000 "paused node: within about connect_timeout_ms"
node_resume b

probe_sync dead --io-timeout-ms 5000 run -- echo too late
node_stop b
tap_is "$(node_pids b)" "" "node_stop: no process of the node is left"
probe_go
tap_is "$(j .ok),$(j .code)" "false,io" "dead node (sessions killed): run fails with ERR_IO"
tap_cmp "$(j .elapsed_ms)" "<" 2000 "dead node: at once, not after a timeout"

PC=$(node_free_port)
probe_at "$PC" --connect-timeout-ms 10000 connect
tap_is "$(j .ok),$(j .stage),$(j .code)" "false,connect,io" "closed port: ERR_IO"
tap_cmp "$(j .connect_ms)" "<" 2000 "closed port: fails fast"

tap_done
