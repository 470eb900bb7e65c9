#!/bin/bash
# Hostile: time limits.  A CPU spin in one and in two processes ends in
# cpu_limit close to the limit (the CPU of every process counts); a sleep
# and a job that stops itself end in wall_limit close to the limit.  Nothing
# of any of them survives.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71100

# One process spinning.
t0=$(date +%s.%N)
run_py spin 'while True: pass' '{"cpu_seconds": 1, "wall_seconds": 10}'
t1=$(date +%s.%N)
tap_is "$RC" 0 "spin: run exits 0"
tap_is "$(r .verdict)" cpu_limit "spin: verdict cpu_limit"
tap_cmp "$(r .cpu_seconds)" '>=' 0.9 "spin: cpu_seconds at least 0.9"
tap_cmp "$(r .cpu_seconds)" '<=' 1.6 "spin: cpu_seconds at most 1.6"
tap_cmp "$(r .cpu_seconds)" '<=' 1.2 "spin: killed within 0.2 s of the CPU limit (cpu_seconds)"
# Wall time equals CPU time for a lone spinner on an idle machine, but on a
# loaded one the spinner gets less than a core: the bound that load cannot
# break is the wall limit, long before which the CPU limit must have struck.
tap_cmp "$(r .wall_seconds)" '<' 9 "spin: killed by the CPU limit, well before the wall limit"
tap_cmp "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" '<' 3 "spin: run returned promptly"
tap_is "$(r .exit_code)" null "spin: no exit code"
tap_is "$(r .limits.cpu_seconds)" 1 "spin: applied cpu limit reported"
check_clean spin

# Two processes spinning: the limit is on the CPU summed over the job.
# Each spinner reports its own CPU time every 20 ms, so the test can tell
# that neither reached the limit alone.
run_py spin2 'import os, time
os.fork()
me, n = os.getpid(), 0
while True:
    n += 1
    if n % 20000 == 0:
        print(me, time.process_time(), flush=True)' '{"cpu_seconds": 1, "wall_seconds": 10}'
tap_is "$(r .verdict)" cpu_limit "two spinners: verdict cpu_limit"
tap_cmp "$(r .cpu_seconds)" '>=' 1.0 "two spinners: cpu_seconds >= 1 (both processes count)"
tap_cmp "$(r .cpu_seconds)" '<=' 1.6 "two spinners: cpu_seconds at most 1.6"
per=$(awk '{ last[$1] = $2 } END { for (p in last) print last[p] }' "$DIR/stdout" | sort -n)
tap_is "$(printf '%s\n' "$per" | grep -c .)" 2 "two spinners: both processes ran"
tap_cmp "$(printf '%s\n' "$per" | tail -1)" '<' 0.9 "two spinners: neither used the limit alone"
tap_cmp "$(printf '%s\n' "$per" | awk '{ s += $1 } END { print s }')" '>=' 0.8 "two spinners: together they used about the limit"
check_clean "two spinners"
# How fast two spinners share two cores is the machine's, not the agent's:
# ordinary load breaks any bound on it, so it is no test (the two spinners
# above already show that the limit is on the CPU summed over the job).

# A spinner that forks a child which does the spinning and the parent waits:
# the child's CPU must count too.
run_py spinchild 'import os
pid = os.fork()
if pid == 0:
    while True: pass
os.waitpid(pid, 0)' '{"cpu_seconds": 1, "wall_seconds": 10}'
tap_is "$(r .verdict)" cpu_limit "spinning child: verdict cpu_limit"
tap_cmp "$(r .cpu_seconds)" '<=' 1.2 "spinning child: killed within 0.2 s of the limit (its CPU counts)"
check_clean "spinning child"

# Signals the job sends itself are its own, not a limit of ours.
run_py selfkill 'import os, signal; os.kill(os.getpid(), signal.SIGKILL)' '{"cpu_seconds": 1}'
tap_is "$(r .verdict)" signaled "self SIGKILL: verdict signaled (not cpu_limit)"
tap_is "$(r .signal)" 9 "self SIGKILL: signal 9"
run_py selfxcpu 'import os, signal; os.kill(os.getpid(), signal.SIGXCPU)' '{"cpu_seconds": 1}'
tap_is "$(r .verdict)" signaled "self SIGXCPU: verdict signaled (not cpu_limit)"
tap_is "$(r .signal)" 24 "self SIGXCPU: signal 24"
# A job that ignores SIGXCPU still ends at its CPU limit.
run_py ignorexcpu 'import signal
signal.signal(signal.SIGXCPU, signal.SIG_IGN)
while True: pass' '{"cpu_seconds": 1}'
tap_is "$(r .verdict)" cpu_limit "SIGXCPU ignored: verdict cpu_limit"
tap_cmp "$(r .cpu_seconds)" '<=' 1.2 "SIGXCPU ignored: killed within 0.2 s of the limit"
check_clean "self signals"

# Sleeping past the wall limit.
t0=$(date +%s.%N)
run_py sleep 'import time; time.sleep(30)' '{"wall_seconds": 1}'
t1=$(date +%s.%N)
tap_is "$(r .verdict)" wall_limit "sleep: verdict wall_limit"
tap_cmp "$(r .wall_seconds)" '>=' 1.0 "sleep: not killed before the wall limit"
tap_cmp "$(r .wall_seconds)" '<=' 1.2 "sleep: killed within 0.2 s of the wall limit"
tap_cmp "$(r .cpu_seconds)" '<' 0.5 "sleep: little CPU used"
tap_cmp "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" '<' 3 "sleep: run returned promptly"
check_clean sleep

# A job that stops itself: still ends at the wall limit, nothing left.
t0=$(date +%s.%N)
run_py sigstop 'import os, signal
print("stopping", flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
print("resumed")' '{"wall_seconds": 1}'
t1=$(date +%s.%N)
tap_is "$(r .verdict)" wall_limit "SIGSTOP self: verdict wall_limit"
tap_cmp "$(r .wall_seconds)" '<=' 1.2 "SIGSTOP self: killed within 0.2 s of the wall limit"
tap_is "$(cat "$DIR/stdout")" stopping "SIGSTOP self: never resumed"
tap_cmp "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" '<' 3 "SIGSTOP self: run returned promptly"
check_clean "SIGSTOP self"

# A stopped child with a sleeping parent: the wall limit ends both.
run_py stopchild 'import os, signal, time
pid = os.fork()
if pid == 0:
    os.kill(os.getpid(), signal.SIGSTOP)
    os._exit(0)
time.sleep(30)' '{"wall_seconds": 1}'
tap_is "$(r .verdict)" wall_limit "stopped child: verdict wall_limit"
check_clean "stopped child"

tap_done
