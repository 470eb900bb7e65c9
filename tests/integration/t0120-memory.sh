#!/bin/bash
# Hostile: memory.  A bomb that grows until it dies, a bomb that catches
# MemoryError and exits 1 (one huge allocation, and incremental growth), a
# bomb in a child process: all memory_limit, with the peak reported, and
# nothing left behind.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71200

MIB=1048576
LIM='{"memory_bytes": 67108864, "wall_seconds": 20}'

# Incremental growth in 10 MiB steps, nothing caught.
run_py bomb 'x = []
while True:
    x.append(bytearray(10 * 1024 * 1024))
    print(len(x), flush=True)' "$LIM"
tap_is "$RC" 0 "bomb: run exits 0"
# Growth that malloc sees fail (RLIMIT_AS, without a memory cgroup) is the
# program's own MemoryError: only a cgroup's OOM kill tells it from an
# ordinary exit (needs_cgroup: SKIP rootless).
needs_cgroup "bomb: verdict memory_limit" "memory" &&
	tap_is "$(r .verdict)" memory_limit "bomb: verdict memory_limit"
needs_cgroup "bomb: no exit code (it did not exit by itself)" "memory" &&
	tap_is "$(r .exit_code)" null "bomb: no exit code (it did not exit by itself)"
tap_cmp "$(r .memory_peak_bytes)" '>=' $((48 * MIB)) "bomb: peak memory reported near the limit"
tap_cmp "$(r .memory_peak_bytes)" '<=' $((72 * MIB)) "bomb: peak memory not above the limit"
tap_like "$(tail -1 "$DIR/stdout")" '^[1-7]$' "bomb: it grew, and never held more than 70 MiB"
tap_is "$(r .limits.memory_bytes)" 67108864 "bomb: applied memory limit reported"
check_clean bomb

# One huge allocation, caught, then exit 1.
run_py huge 'import sys
try:
    b = bytearray(10**12)
except MemoryError:
    print("caught MemoryError")
    sys.exit(1)
print("allocated a terabyte")' "$LIM"
tap_is "$(r .verdict)" memory_limit "huge caught: verdict still memory_limit"
tap_is "$(cat "$DIR/stdout")" "caught MemoryError" "huge caught: the allocation failed inside"
tap_is "$(r .exit_code)" 1 "huge caught: exit code 1 reported"
tap_like "$(r .memory_peak_bytes)" '^[1-9][0-9]*$' "huge caught: peak memory reported"
check_clean "huge caught"

# Incremental growth, MemoryError caught, exit 1.
run_py growcatch 'import sys
x = []
try:
    while True:
        x.append(bytearray(10 * 1024 * 1024))
except MemoryError:
    n = len(x)
    x = None
    print("caught after", n, flush=True)
    sys.exit(1)' "$LIM"
needs_cgroup "growth caught: verdict still memory_limit" "memory" &&
	tap_is "$(r .verdict)" memory_limit "growth caught: verdict still memory_limit"
needs_cgroup "growth caught: not reported as a plain non-zero exit" "memory" &&
	tap_isnt "$(r .verdict)" exited "growth caught: not reported as a plain non-zero exit"
tap_cmp "$(r .memory_peak_bytes)" '>=' $((48 * MIB)) "growth caught: peak memory reported"
check_clean "growth caught"

# Growth in chunks bigger than the limit each (mmap'd directly), caught.
run_py bigchunks 'import sys, mmap
try:
    m = mmap.mmap(-1, 256 * 1024 * 1024)
    m[:] = b"x" * len(m)
except (MemoryError, OSError) as e:
    print("refused:", type(e).__name__)
    sys.exit(1)' "$LIM"
tap_is "$(r .verdict)" memory_limit "mmap past the limit, caught: verdict memory_limit"
tap_like "$(cat "$DIR/stdout")" '^refused:' "mmap past the limit, caught: refused inside"
check_clean "mmap past the limit"

# A child process blows up; the parent reports its failure with exit 1.
run_py childbomb 'import os, sys
pid = os.fork()
if pid == 0:
    x = []
    while True:
        x.append(bytearray(10 * 1024 * 1024))
_, st = os.waitpid(pid, 0)
print("child status", st, flush=True)
sys.exit(1)' "$LIM"
needs_cgroup "bomb in a child: verdict memory_limit" "memory" &&
	tap_is "$(r .verdict)" memory_limit "bomb in a child: verdict memory_limit"
tap_like "$(cat "$DIR/stdout")" '^child status' "bomb in a child: the parent survived to report it"
check_clean "bomb in a child"

# A job well inside its memory limit is not flagged.
run_py modest 'b = bytearray(16 * 1024 * 1024); print(len(b))' "$LIM"
tap_is "$(r .verdict)" ok "16 MiB under a 64 MiB limit: verdict ok"
tap_cmp "$(r .memory_peak_bytes)" '>=' $((16 * MIB)) "16 MiB under a 64 MiB limit: peak at least 16 MiB"
check_clean modest

tap_done
