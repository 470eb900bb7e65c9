#!/bin/bash
# The zygote (agent/zygote.h): a warm_start runtime with zygote = true has
# each parked job forked from one interpreter the session started, into the
# sandbox the agent built for it, instead of a new interpreter per job.
# What a script sees and the verdicts are checked against cold starts by
# t0197-zygote-start.sh (t0197-warm-start.sh through the zygote) and the
# hostile tests by the other t0197-zygote-*.sh; this file checks the
# configuration, that the zygote is what runs the job, that a job cannot
# reach it, and that a zygote that dies costs no job.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
SLUICE_TEST_WARM=1 SLUICE_TEST_ZYGOTE=1 agent_setup 71970 1

# zygote_pid: the zygotes of this test's sessions.
zygote_pid() {
	local p
	for p in $(pgrep -f -x "$top_builddir/sluice-zygote .*"); do
		case $(ps -o args= -p "$(ps -o ppid= -p "$p")") in
		*" $CONF "* | *" $CONF") echo "$p" ;;
		esac
	done
}
# zygotes: how many zygotes this test's sessions run: those whose parent
# (the zygote's reaper) is an agent with this test's config (their
# children, the jobs, have the same command line; other tests run zygotes
# too).
zygotes() {
	zygote_pid | wc -l
}

# --- the configuration ------------------------------------------------------
GOOD=$(cat "$CONF")
conf_try() {
	printf '%s\n' "$GOOD" | sed "$1" >"$CONF"
	agent info 2>&1 | jq -r '.field // "none"'
}
conf_msg() {
	printf '%s\n' "$GOOD" | sed "$1" >"$CONF"
	agent info 2>&1 | jq -r '.error // "none"'
}
tap_is "$(conf_try 's/zygote = true;/zygote = 1;/')" zygote "config: zygote must be a boolean"
tap_is "$(conf_try 's/warm_start = true;//')" zygote "config: zygote needs warm_start"
tap_like "$(conf_msg 's/warm_start = true;//')" "needs warm_start = true" "config: and says so"
cp "$(realpath "$PYTHON")" "$T/python3"
chmod 755 "$T/python3"
tap_is "$(conf_try "s|\"$PYTHON\", \"-B\"|\"$T/python3\", \"-B\"|")" zygote "config: zygote needs the interpreter sluice-zygote embeds"
tap_like "$(conf_msg "s|\"$PYTHON\", \"-B\"|\"$T/python3\", \"-B\"|")" "not '$T/python3'" "config: and names the one given"
tap_is "$(conf_try 's|"-B", "-s", "{entry}"|"-B", "{entry}"|')" zygote "config: zygote needs user site-packages off (-s or -I)"
tap_is "$(conf_try 's|"-B", "-s", "{entry}"|"-BI", "{entry}"|')" none "config: -I among other flags will do (control)"
tap_is "$(conf_try 's/zygote = true;/zygote = false;/')" none "config: zygote = false is accepted (control)"
# An agent with no sluice-zygote beside it (a copy of it elsewhere, in
# directories that are root's alone) refuses the setting, and says so in
# info's features.
mkdir -p "$T/bin"
cp "$AGENT_BIN" "$T/bin/sluice-agent"
printf '%s\n' "$GOOD" >"$T/zyg.conf"
tap_is "$("$T/bin/sluice-agent" --config "$T/zyg.conf" info 2>&1 | jq -r '.field // "none"')" zygote "config: zygote needs sluice-zygote beside the agent"
tap_like "$("$T/bin/sluice-agent" --config "$T/zyg.conf" info 2>&1 | jq -r '.error // "none"')" "sluice-zygote: cannot open '$T/bin/sluice-zygote'" "config: and says where it looked"
sed 's/zygote = true;/zygote = false;/' "$T/zyg.conf" >"$T/nozyg.conf"
tap_is "$("$T/bin/sluice-agent" --config "$T/nozyg.conf" info | jq -r .features.zygote)" false "info: features.zygote is false without one"
tap_is "$(agent info | jq -r .features.zygote)" true "info: and true with this build's (control)"
printf '%s\n' "$GOOD" >"$CONF"
conf_settle

# --- the zygote runs the job --------------------------------------------------
# A job forked by the zygote has its parent outside its PID namespace (the
# zygote's child): getppid() is 0.  A cold job's parent is init, 1.
PROG='import os, sys
print(os.getppid(), os.getpid(), sorted(p for p in os.listdir("/proc") if p.isdigit()))
print(os.getuid(), sorted(os.listdir("/proc/self/fd")), open("/proc/self/status").read().split("CapEff:")[1].split()[0])
print("site" in sys.modules, sys.flags.no_user_site, sys.flags.dont_write_bytecode)'
Z1=$(job_py z1 "$PROG")
Z2=$(job_py z2 "$PROG")
C1=$(job_py c1 "$PROG")
agent run "$C1" >/dev/null
BETWEEN='zygotes >"$T/zygotes.during"'
warm_session "$T/z.out" "$Z1" "$Z2"
unset BETWEEN
tap_is "$(warm_of "$Z1") $(warm_of "$Z2") $(warm_of "$C1")" "true true false" "zygote: both session runs were warm"
zyg_of() {
	jq -r 'select(.event == "accepted") | .zygote' "$1/events"
}
tap_is "$(zyg_of "$Z1") $(zyg_of "$Z2") $(zyg_of "$C1")" "true true false" "zygote: the accepted events say which were forked"
# (At most one: a session whose kept policy lapses, say while another
# test changes the account files, stops it until the policy is kept again.)
tap_like "$(cat "$T/zygotes.during")" '^[01]$' "zygote: one sluice-zygote at most per session"
# (init is root's: hidepid hides it from the job.)
tap_is "$(sed -n 1p "$Z1/stdout")" "0 2 ['2']" "zygote: the job's parent is outside its PID namespace, where the job is PID 2"
tap_is "$(sed -n 1p "$C1/stdout")" "1 2 ['2']" "zygote: a cold job's parent is init (control)"
tap_is "$(sed -n 2p "$Z1/stdout" | cut -d' ' -f2-)" "$(sed -n 2p "$C1/stdout" | cut -d' ' -f2-)" "zygote: descriptors 0-3 only and no capability, as cold"
tap_is "$(sed -n 2p "$Z1/stdout")" "$((UID_BASE + SLOTS)) ['0', '1', '2', '3'] 0000000000000000" "zygote: (control: the parked slot's uid, what that is)"
tap_is "$(sed -n 3p "$Z1/stdout")" "$(sed -n 3p "$C1/stdout")" "zygote: site imported and the command's flags, as cold"
tap_is "$(jq -r .verdict "$Z1/result.json") $(jq -r .verdict "$Z2/result.json")" "ok ok" "zygote: both ran to completion"
tap_is "$(zygotes)" 0 "zygote: none is left once the session has ended"
check_clean "zygote"

# --- the processes limit -------------------------------------------------------
# The zygote's child sits in the slot's cgroup beside init: the job still
# gets every process its limit gives a cold job.
FORK='import os, time
pids = []
try:
    while True:
        p = os.fork()
        if p == 0:
            time.sleep(5)
            os._exit(0)
        pids.append(p)
except OSError as e:
    print(len(pids), e.errno)
for p in pids:
    os.kill(p, 9)'
FZ=$(job_py forkz "$FORK")
FC=$(job_py forkc "$FORK")
agent run "$FC" >/dev/null
warm_session "$T/fork.out" "$FZ"
tap_is "$(warm_of "$FZ")" true "processes: the forker ran through the zygote"
tap_is "$(cat "$FZ/stdout")" "$(cat "$FC/stdout")" "processes: it forked as many as cold, and was refused as cold"
tap_like "$(cat "$FC/stdout")" '^31 11$' "processes: (control: 31 children of the 32, then EAGAIN)"
check_clean "processes"

# --- a job cannot reach the zygote -------------------------------------------
# It is in no namespace of the job's (no pid of it there), holds no
# descriptor of its (above), and the job may not make namespaces of its own
# to look from.
REACH=$(job_py reach 'import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
for name, flags in (("unshare", 0x20000000), ("setns", 0)):
    r = libc.unshare(flags) if name == "unshare" else libc.setns(0, 0)
    print(name, r, os.strerror(ctypes.get_errno()))
try:
    os.kill(os.getppid() or 1, 0)
    print("signal ok")
except OSError as e:
    print("signal", e.errno)
print(sorted(os.listdir("/proc/1/fd")) if os.access("/proc/1/fd", os.R_OK) else "init hidden")')
warm_session "$T/reach.out" "$REACH"
tap_is "$(warm_of "$REACH")" true "reach: ran through the zygote"
tap_like "$(sed -n 1p "$REACH/stdout")" "^unshare -1 Operation not permitted$" "reach: no new namespace (the filter)"
tap_like "$(sed -n 2p "$REACH/stdout")" "^setns -1 Operation not permitted$" "reach: no entering one"
tap_is "$(sed -n 3p "$REACH/stdout")" "signal 1" "reach: not even init can be signalled (EPERM)"
tap_is "$(sed -n 4p "$REACH/stdout")" "init hidden" "reach: nor its descriptors read"

# --- a zygote that dies costs no job ------------------------------------------
# The zygote (not its children) killed between two runs: the sandbox parked
# meanwhile, whose job the zygote had forked, is discarded (its reaper
# reaps that job, so that its init can end), and the session parks
# another; it starts a zygote again for the next.
D1=$(job_py d1 'print("one")')
D2=$(job_py d2 'print("two")')
D3=$(job_py d3 'import os
print("three", os.getppid())')
# (This test's zygote only.)
BETWEEN='kill -KILL "$(zygote_pid)"; sleep 0.5'
PAUSE=2 warm_session "$T/d.out" "$D1" "$D2" "$D3"
unset BETWEEN
tap_is "$(cat "$D1/stdout") $(cat "$D2/stdout") $(cat "$D3/stdout")" "one two three 0" "dead zygote: every run ran, the last through a zygote"
tap_is "$(jq -r .verdict "$D2/result.json") $(jq -r .verdict "$D3/result.json")" "ok ok" "dead zygote: to completion"
tap_is "$(grep -c '"sandbox_error"' "$T/d.out")" 0 "dead zygote: and no sandbox error"
tap_is "$(warm_of "$D3")" true "dead zygote: the session started another (the last run's parent was outside its namespace)"
check_clean "dead zygote"

# --- a session killed while a zygote's job runs -------------------------------
# The job is the zygote's child, and its status goes through the zygote,
# which has no PR_SET_PDEATHSIG: the session killed (as a dropped SSH
# channel kills it), the job still ends with its status, and the zygote
# ends once nothing holds its socket.
E=$(job_py ends 'import time
print("a", flush=True)
time.sleep(2)
print("b")')
{
	sleep 0.4
	echo "r1 run $E"
	wait_until 100 test -s "$E/stdout"
	kill -KILL "$(pgrep -o -f -- "--config $CONF serve")"
	sleep 0.2
	[ -e "$E/result.json" ] && echo ended >"$T/e.when" || echo running >"$T/e.when"
} | agent serve >"$T/e.out" 2>"$T/e.out.err"
tap_is "$(warm_of "$E") $(cat "$T/e.when")" "true running" "session killed: the job ran through the zygote, and runs on"
for _ in $(seq 100); do
	[ -e "$E/result.json" ] && [ "$(zygote_pid | wc -l)" -eq 0 ] && break
	sleep 0.1
done
tap_is "$(jq -r .verdict "$E/result.json") $(cat "$E/stdout" | tr '\n' ' ')" "ok a b " "session killed: the job finished, with its status and output"
tap_is "$(zygote_pid | wc -l)" 0 "session killed: then the zygote ended too"
check_clean "session killed"

# --- a zygote killed while its job runs ------------------------------------------
# The job's status is lost with the zygote: the run fails as a sandbox error,
# at once (its reaper reaps the job, so its sandbox ends), nothing of it is
# left, and the session's next run goes on.
K1=$(job_py k1 'import time
print("a", flush=True)
time.sleep(20)')
K2=$(job_py k2 'print("next")')
{
	sleep 0.4
	echo "r1 run $K1"
	wait_until 100 test -s "$K1/stdout"
	kill -KILL $(pgrep -f -x "$top_builddir/sluice-zygote .*" -U 0 -P "$(pgrep -d, -f -- "--config $CONF serve")")
	wait_until 100 grep -qs "^r1 exit" "$T/k.out"
	sleep 0.4
	echo "r2 run $K2"
	wait_until 200 grep -qs "^r2 exit" "$T/k.out"
} | agent serve >"$T/k.out" 2>"$T/k.out.err"
tap_is "$(warm_of "$K1")" true "killed zygote: the job ran through the zygote"
tap_is "$(jq -r '[.verdict, .message] | @tsv' "$K1/result.json")" "$(printf 'sandbox_error\tsandbox error: the zygote lost the job')" "killed zygote: the run is a sandbox error, said so"
tap_is "$(jq -r '.wall_seconds < 10' "$K1/result.json")" true "killed zygote: at once, not at the job's end"
tap_is "$(jq -r .verdict "$K2/result.json") $(cat "$K2/stdout")" "ok next" "killed zygote: the session's next run goes on"
check_clean "killed zygote"

# --- a job killed at a limit ---------------------------------------------------
sed -i 's/wall_seconds = 10.0;/wall_seconds = 1.0;/' "$CONF"
conf_settle
W=$(job_py wall 'import time
print("started", flush=True)
time.sleep(30)')
warm_session "$T/w.out" "$W"
tap_is "$(warm_of "$W")" true "limits: the sleeper ran through the zygote"
tap_is "$(jq -c '[.verdict, .exit_code, .signal]' "$W/result.json")" '["wall_limit",null,null]' "limits: its verdict is the wall limit, with no status (as cold)"
tap_is "$(cat "$W/stdout")" "started" "limits: its output is kept"
check_clean "limits"

tap_done
