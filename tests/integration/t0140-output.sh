#!/bin/bash
# Hostile: output.  Floods on stdout and on stderr end in output_limit with
# the file exactly output_bytes long and equal to the first output_bytes
# bytes the program wrote; output exactly at the limit is not cut; binary
# output comes back byte for byte.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71400

LIM='{"output_bytes": 100000, "wall_seconds": 10}'
# What the flooders write: "00000000\n00000001\n..." forever.
FLOOD_GEN='import sys
out = STREAM
i = 0
while True:
    out.write(b"%08d\n" % i)
    i += 1'
"$PYTHON" -c 'import sys
sys.stdout.buffer.write(b"".join(b"%08d\n" % i for i in range(20000))[:100000])' >"$T/expect100000"

for stream in stdout stderr; do
	other=stderr
	[ "$stream" = stderr ] && other=stdout
	t0=$(date +%s.%N)
	run_py "flood-$stream" "${FLOOD_GEN/STREAM/sys.$stream.buffer}" "$LIM"
	t1=$(date +%s.%N)
	tap_is "$RC" 0 "$stream flood: run exits 0"
	tap_is "$(r .verdict)" output_limit "$stream flood: verdict output_limit"
	tap_is "$(stat -c %s "$DIR/$stream")" 100000 "$stream flood: the file is exactly output_bytes long"
	cmp -s "$DIR/$stream" "$T/expect100000"
	tap_ok $? "$stream flood: the file holds the first output_bytes bytes written"
	tap_is "$(r ".${stream}_bytes")" 100000 "$stream flood: ${stream}_bytes is output_bytes"
	tap_is "$(r ".${stream}_truncated")" true "$stream flood: ${stream}_truncated true"
	tap_is "$(r ".${other}_truncated")" false "$stream flood: $other not marked truncated"
	tap_is "$(stat -c %s "$DIR/$other")" 0 "$stream flood: $other stays empty"
	tap_like "$(r .message)" "$stream" "$stream flood: the message names the stream"
	tap_cmp "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" '<' 3 "$stream flood: stopped promptly, not at the wall limit"
	check_clean "$stream flood"
done

# One huge write(2) far past the limit.
run_py bigwrite 'import os
os.write(1, b"A" * (8 * 1024 * 1024))
print("after")' "$LIM"
tap_is "$(r .verdict)" output_limit "8 MiB in one write: verdict output_limit"
tap_is "$(stat -c %s "$DIR/stdout")" 100000 "8 MiB in one write: file cut at output_bytes"
tap_is "$(tr -d A <"$DIR/stdout" | wc -c)" 0 "8 MiB in one write: only what was written"
check_clean "8 MiB in one write"

# Exactly output_bytes is allowed, and not truncated.
run_py exact 'import sys; sys.stdout.buffer.write(b"x" * 100000)' "$LIM"
tap_is "$(r .verdict)" ok "exactly output_bytes: verdict ok"
tap_is "$(r .stdout_truncated)" false "exactly output_bytes: not truncated"
tap_is "$(stat -c %s "$DIR/stdout")" 100000 "exactly output_bytes: all of it kept"
check_clean "exactly output_bytes"

# Both streams together under their limits: each has its own budget.
run_py both 'import sys
sys.stdout.buffer.write(b"o" * 90000); sys.stdout.flush()
sys.stderr.buffer.write(b"e" * 90000)' "$LIM"
tap_is "$(r .verdict)" ok "90000 bytes on each stream: verdict ok"
tap_is "$(r .stdout_bytes) $(r .stderr_bytes)" "90000 90000" "90000 bytes on each stream: both kept"
check_clean "both streams"

# Binary: all 256 byte values, three times.
"$PYTHON" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3)' >"$T/bytes768"
run_py binary 'import sys
sys.stdout.buffer.write(bytes(range(256)) * 3)'
tap_is "$(r .verdict)" ok "binary: verdict ok"
cmp -s "$DIR/stdout" "$T/bytes768"
tap_ok $? "binary: stdout is byte-identical to all 256 byte values x3"
tap_is "$(r .stdout_bytes)" 768 "binary: stdout_bytes 768"
run_py binary-err 'import sys
sys.stderr.buffer.write(bytes(range(256)) * 3)'
cmp -s "$DIR/stderr" "$T/bytes768"
tap_ok $? "binary: stderr is byte-identical too"
check_clean binary

tap_done
