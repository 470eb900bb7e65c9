#!/bin/bash
# The agent on other cgroup layouts than this machine's v1: cgroup v2 (run
# against the cgroup2 hierarchy mounted beside the v1 controllers, which has
# no memory or pids controller but does count CPU, takes clone3 into a
# cgroup and cgroup.kill), and no cgroups at all (rlimits and /proc).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"

v2root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$v2root" ] || tap_skip_all "no cgroup2 mount on this machine"

agent_setup 72000 2 "cgroup = \"v2\"; cgroup_root = \"$v2root\";"

info=$(agent info)
tap_is "$(printf '%s' "$info" | jq -r .cgroup)" v2 "v2: info reports cgroup v2"
tap_is "$(printf '%s' "$info" | jq -r .features.cgroup_cpu)" true "v2: CPU accounting available"

run_py hello 'print("hello")'
tap_is "$(r .verdict)" ok "v2: hello runs"
tap_like "$(cat "$DIR/stdout")" '^hello$' "v2: output captured"
tap_is "$(cd "$v2root/sluice" && find . -maxdepth 1 -name 'uid7200[01]' | wc -l)" 0 \
	"v2: the job's cgroup is removed"
tap_is "$(slot_procs)" 0 "v2: no process of the slot uid is left"

run_py spin2 'import os
os.fork()
while True: pass' '{"cpu_seconds": 1}'
tap_is "$(r .verdict)" cpu_limit "v2: two spinning processes hit the CPU limit"
tap_cmp "$(r .cpu_seconds)" ">=" 1 "v2: CPU time summed over both (cpu.stat)"
tap_cmp "$(r .cpu_seconds)" "<" 1.25 "v2: stopped within 0.25 s of CPU of the limit"

run_py daemon 'import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
print("parent done")' '{"wall_seconds": 5}'
tap_is "$(r .verdict)" ok "v2: double-forked daemon: the job itself succeeds"
tap_is "$(slot_procs)" 0 "v2: the daemon did not survive the job"

agent_teardown
trap - EXIT

# No cgroups: limits from rlimits, CPU summed from /proc.
agent_setup 72100 2 'cgroup = "none";'
tap_is "$(agent info | jq -r .cgroup)" none "none: info reports no cgroups"
run_py spin2 'import os
os.fork()
while True: pass' '{"cpu_seconds": 1}'
tap_is "$(r .verdict)" cpu_limit "none: two spinning processes hit the CPU limit"
tap_cmp "$(r .cpu_seconds)" ">=" 1 "none: CPU time summed over both processes"
tap_cmp "$(r .wall_seconds)" "<" 9 "none: stopped by the CPU limit, well before the wall limit"
run_py bomb 'import sys
try:
    x = bytearray(10**12)
except MemoryError:
    print("caught"); sys.exit(1)' '{"memory_bytes": 67108864}'
tap_is "$(r .verdict)" memory_limit "none: a caught oversized allocation is memory_limit"
tap_is "$(cat "$DIR/stdout")" caught "none: the program saw MemoryError"
run_py nproc 'import os, sys
n = 0
try:
    for i in range(64):
        if os.fork() == 0:
            import time; time.sleep(5); os._exit(0)
        n += 1
except OSError:
    pass
print(n)' '{"processes": 8, "wall_seconds": 2}'
tap_cmp "$(cat "$DIR/stdout")" "<" 8 "none: RLIMIT_NPROC caps the processes of the slot uid"
check_clean none

tap_done
