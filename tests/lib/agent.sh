# Helpers for agent integration tests: a private base_dir and agent.conf per
# test, jobs written as real files, the real sluice-agent run as root.
# Source tests/lib/tap.sh first.  Each test passes a distinct uid_base so that
# tests may run in parallel without sharing a slot uid or cgroup.

: "${top_builddir:?run through make check, or set top_builddir}"
: "${top_srcdir:?run through make check, or set top_srcdir}"

AGENT_BIN="$top_builddir/sluice-agent"
PYTHON=/usr/bin/python3

# With SLUICE_TEST_ROOTLESS set, the agent runs rootless (mode = "user"):
# agent_setup makes a throwaway unprivileged account (ROOTLESS_USER) that
# owns base_dir, and agent() runs the agent as that account; its jobs are
# that account's processes on the host (slot_procs counts them), each in a
# user namespace where it has its slot's uid.  No cgroup is delegated to it
# (cgroup = "none") unless the test's config lines say otherwise.
ROOTLESS_USER=

# rootless: status 0 if this run's agent is rootless.
rootless() {
	[ -n "${SLUICE_TEST_ROOTLESS:-}" ]
}

# With SLUICE_TEST_ROOTLESS_CGROUP set too, the account is given a v1
# cgroup_parent of its own (memory, pids, cpuacct directories chowned to it,
# as a node's owner would delegate one) and the agent uses it.
ROOTLESS_CG=
CG_PARENT=sluice

# needs_cgroup NAME WHAT: status 0 if the agent may have a cgroup for WHAT
# (memory, pids); else one SKIP assertion NAME with the reason, status 1.
# Rootless it has none (cgroup = "none") unless one is delegated, and a case
# that needs one is skipped, as info's "enforced" says.
needs_cgroup() {
	if rootless && [ -z "$ROOTLESS_CG" ]; then
		tap_skip "$1" "rootless agent without a delegated cgroup: $2 is not enforced by a cgroup (info: enforced)"
		return 1
	fi
	return 0
}

# rootless_user_setup: make ROOTLESS_USER (name unique per run).
rootless_user_setup() {
	ROOTLESS_USER="slrl$$"
	userdel "$ROOTLESS_USER" >/dev/null 2>&1
	useradd -M -d /nonexistent -s /bin/sh "$ROOTLESS_USER" ||
		tap_bail "cannot make the account $ROOTLESS_USER"
	ROOTLESS_UID=$(id -u "$ROOTLESS_USER")
}

# rootless_cgroup_setup: delegate a v1 cgroup_parent to ROOTLESS_USER, or
# skip the whole test where there is no v1 hierarchy to delegate.
rootless_cgroup_setup() {
	local h
	for h in memory pids cpuacct; do
		[ "$(stat -f -c %T "/sys/fs/cgroup/$h" 2>/dev/null)" = cgroupfs ] ||
			tap_skip_all "no cgroup v1 $h hierarchy to delegate"
	done
	CG_PARENT="sluicerl$$"
	ROOTLESS_CG=1
	for h in memory pids cpuacct; do
		mkdir -p "/sys/fs/cgroup/$h/$CG_PARENT" &&
			chown -R "$ROOTLESS_USER" "/sys/fs/cgroup/$h/$CG_PARENT" ||
			tap_bail "cannot delegate /sys/fs/cgroup/$h/$CG_PARENT"
	done
}

# rootless_cgroup_teardown: remove the delegated cgroups (empty by now).
rootless_cgroup_teardown() {
	local h
	[ -n "$ROOTLESS_CG" ] || return 0
	for h in memory pids cpuacct; do
		find "/sys/fs/cgroup/$h/$CG_PARENT" -mindepth 1 -depth -type d \
			-exec rmdir {} \; 2>/dev/null
		rmdir "/sys/fs/cgroup/$h/$CG_PARENT" 2>/dev/null
	done
}

# as_rootless CMD...: CMD as ROOTLESS_USER, its groups cleared, env clean.
as_rootless() {
	setpriv --reuid="$ROOTLESS_USER" --regid="$ROOTLESS_USER" \
		--clear-groups env -i PATH=/usr/bin:/bin HOME=/ LANG=C.UTF-8 "$@"
}

# slot_uid_host SLOT: the uid a slot's processes have on the host.
slot_uid_host() {
	if rootless; then echo "$ROOTLESS_UID"; else echo $((UID_BASE + $1)); fi
}

# zygote_unusable: why this build's sluice-zygote cannot be a session's
# zygote, or nothing: it must be built, and it and every directory above it
# root's and writable by root alone (a directory may be sticky instead), as
# the agent checks before it starts one (agent/zygote.h).
zygote_unusable() {
	local p d u a m
	p="$top_builddir/sluice-zygote"
	if [ ! -x "$p" ]; then
		echo "sluice-zygote was not built (configure found no python3-embed)"
		return
	fi
	d=$(realpath "$p")
	while :; do
		read -r u a <<<"$(stat -c '%u %a' "$d")"
		m=$((8#$a))
		if [ "$u" != 0 ] || { [ $((m & 8#022)) != 0 ] &&
			{ [ "$d" = "$(realpath "$p")" ] || [ $((m & 8#1000)) = 0 ]; }; }; then
			echo "the agent would not start $p: $d is not root's alone"
			return
		fi
		[ "$d" = / ] && return
		d=$(dirname "$d")
	done
}

# agent_setup UID_BASE [SLOTS] [EXTRA_CONFIG_LINES]
# (AGENT_RUNTIMES, if set, is more entries of the runtimes list)
agent_setup() {
	[ "$(id -u)" -eq 0 ] || tap_skip_all "agent tests need root"
	[ -x "$AGENT_BIN" ] || tap_skip_all "no $AGENT_BIN"
	[ -x "$PYTHON" ] || tap_skip_all "no $PYTHON"
	if [ -n "${SLUICE_TEST_ZYGOTE:-}" ] && [ -n "$(zygote_unusable)" ]; then
		tap_skip_all "$(zygote_unusable)"
	fi
	# A test run again through another path shifts its slot uids so
	# that it may run beside itself.
	UID_BASE=$(($1 + ${SLUICE_TEST_UID_SHIFT:-0}))
	SLOTS=${2:-2}
	# With warm_start, a parked sandbox has a slot past the others.
	SLOTS_ALL=$SLOTS
	[ -z "${SLUICE_TEST_WARM:-}" ] || SLOTS_ALL=$((SLOTS + 1))
	T=$(mktemp -d /tmp/sluice-test.XXXXXX)
	chmod 755 "$T"
	BASE="$T/base"
	CONF="$T/agent.conf"
	mkdir -p "$BASE/jobs"
	local rl=
	if rootless; then
		[ -z "${SLUICE_TEST_WARM:-}" ] || tap_skip_all "no warm_start rootless"
		rootless_user_setup
		# base_dir is the account's, as on a cluster's shared disk.
		chown -R "$ROOTLESS_USER:$ROOTLESS_USER" "$BASE"
		chmod 0755 "$BASE"
		rl='mode = "user";'
		if [ -n "${SLUICE_TEST_ROOTLESS_CGROUP:-}" ]; then
			rootless_cgroup_setup
			rl="$rl
cgroup = \"v1\"; cgroup_parent = \"$CG_PARENT\";"
		else
			case ${3:-} in *cgroup*) ;; *) rl="$rl
cgroup = \"none\";" ;; esac
		fi
	fi
	cat >"$CONF" <<EOC
base_dir = "$BASE";
slots = $SLOTS;
uid_base = $UID_BASE;
defaults = { cpu_seconds = 5.0; wall_seconds = 10.0; memory_bytes = 268435456L;
             processes = 32; output_bytes = 1048576L; disk_bytes = 67108864L; open_files = 64; };
ceilings = { cpu_seconds = 60.0; wall_seconds = 120.0; memory_bytes = 2147483648L;
             processes = 128; output_bytes = 16777216L; disk_bytes = 1073741824L; open_files = 256; };
runtimes = (
  { name = "python3";
    command = [ "$PYTHON", "-B", "-s", "{entry}" ];${SLUICE_TEST_WARM:+
    warm_start = true;}${SLUICE_TEST_ZYGOTE:+
    zygote = true;}
    binds = [ "/usr", "/lib", "/lib64", "/bin", "/etc/python3.11" ]; }${AGENT_RUNTIMES:+,
$AGENT_RUNTIMES}
);
${3:-}
$rl
EOC
	trap agent_teardown EXIT
	# A session keeps (and parks a sandbox under) a policy only once its
	# file has been unchanged for two seconds.
	[ -z "${SLUICE_TEST_WARM:-}" ] || conf_settle
}

# etc_runtime NAME...: the entries of the runtimes NAME... as etc/agent.conf
# ships them (so that tests run the documented runtimes), joined with
# commas, for AGENT_RUNTIMES.
etc_runtime() {
	awk -v want=" $* " '
		/^\t\{$/ { blk = $0 "\n"; inb = 1; next }
		inb && /^\t\},?$/ {
			inb = 0
			if (match(blk, /name = "[^"]*"/)) {
				n = substr(blk, RSTART + 8, RLENGTH - 9)
				if (index(want, " " n " ")) {
					printf "%s%s\t}", sep, blk
					sep = ",\n"
				}
			}
			next
		}
		inb { blk = blk $0 "\n" }
		END { print "" }' "$top_srcdir/etc/agent.conf"
}

# conf_settle: wait until agent.conf is old enough for a session to keep it.
conf_settle() {
	local t
	t=$(stat -c %Z "$CONF")
	while [ $(($(date +%s) - t)) -lt 3 ]; do sleep 0.2; done
}

agent_teardown() {
	local i
	for i in $(seq 0 $((SLOTS_ALL - 1))); do
		pkill -KILL -U $((UID_BASE + i)) 2>/dev/null
	done
	# Supervisors of this test's base dir, if a test left one behind.
	pkill -KILL -f -- "--config $CONF" 2>/dev/null
	if [ -n "$ROOTLESS_USER" ]; then
		# userdel refuses an account a process still runs as: wait
		# (5 s at most) until the kills have landed.
		for _ in $(seq 1 50); do
			pkill -KILL -U "$ROOTLESS_USER" 2>/dev/null
			sleep 0.1
			pgrep -U "$ROOTLESS_USER" >/dev/null || break
		done
		rootless_cgroup_teardown
		userdel "$ROOTLESS_USER" >/dev/null 2>&1
	fi
	rm -rf "$T"
}

# agent ARGS...: the agent with this test's config (rootless: as the
# account, after giving it the job directories staged since, as the
# dispatcher's SFTP upload would have made them).
agent() {
	if rootless; then
		rootless_own_jobs
		as_rootless "$AGENT_BIN" --config "$CONF" "$@"
	else
		"$AGENT_BIN" --config "$CONF" "$@"
	fi
}

# agent_timeout SECONDS ARGS...: agent, killed after SECONDS (timeout(1)).
agent_timeout() {
	local t=$1
	shift
	if rootless; then
		rootless_own_jobs
		timeout "$t" setpriv --reuid="$ROOTLESS_USER" \
			--regid="$ROOTLESS_USER" --clear-groups env -i \
			PATH=/usr/bin:/bin HOME=/ LANG=C.UTF-8 \
			"$AGENT_BIN" --config "$CONF" "$@"
	else
		timeout "$t" "$AGENT_BIN" --config "$CONF" "$@"
	fi
}

# rootless_own_jobs: give the account the job directories root staged
# (those not yet run: no events file), each file in them, as its upload
# would have made them.  A test that wants one of another owner makes it
# with ROOTLESS_KEEP_OWNER set in it (an empty file of that name).
rootless_own_jobs() {
	local d
	for d in "$BASE"/jobs/*/; do
		[ -d "$d" ] || continue
		[ -e "$d/events" ] || [ -e "$d/ROOTLESS_KEEP_OWNER" ] && continue
		[ "$(stat -c %u "$d")" = 0 ] || continue
		chown -R -h "$ROOTLESS_USER:$ROOTLESS_USER" "$d"
	done
}

# job_new NAME: an empty staged job directory; prints its path.
job_new() {
	local d="$BASE/jobs/$1"
	rm -rf "$d"
	mkdir -p "$d/files"
	echo "$d"
}

# job_py NAME CODE [LIMITS_JSON] [EXTRA_MANIFEST_FIELDS_JSON]: a Python job
# whose entry main.py holds CODE.  Prints the job directory.
job_py() {
	local d limits=${3:-"{}"} extra=${4:-"{}"}
	d=$(job_new "$1")
	printf '%s\n' "$2" >"$d/files/main.py"
	jq -n --argjson limits "$limits" --argjson extra "$extra" \
		'{version: 1, id: "t", runtime: "python3", entry: "main.py",
		  limits: $limits} + $extra' >"$d/job.json"
	echo "$d"
}

# run_job DIR: run it to the end; sets RC (agent's exit status), EVENTS
# (what run printed) and RESULT (result.json, or "{}").  With
# SLUICE_TEST_AGENT_SERVE set, the job is a run request of a one-request
# `sluice-agent serve` session instead: the dispatcher's path, with the
# namespaces the session makes ahead of a run.
run_job() {
	local out
	if [ -n "${SLUICE_TEST_AGENT_SERVE:-}" ]; then
		out=$(printf 'j run %s\n' "$1" | agent serve)
		EVENTS=$(printf '%s\n' "$out" |
			awk '$1 == "j" && $2 != "exit" { sub(/^[^ ]+ /, ""); print }')
		RC=$(printf '%s\n' "$out" | awk '$1 == "j" && $2 == "exit" { print $3 }')
	else
		EVENTS=$(agent run "$1")
		RC=$?
	fi
	RESULT=$(cat "$1/result.json" 2>/dev/null || echo '{}')
}

# run_py NAME CODE [LIMITS_JSON]: job_py then run_job; sets DIR too.
run_py() {
	DIR=$(job_py "$@")
	run_job "$DIR"
}

# r FILTER: a jq filter over RESULT.
r() {
	printf '%s' "$RESULT" | jq -r "$1"
}

# slot_procs: how many processes of this test's slot uids exist (rootless:
# of the account, but for its agents: the jobs are its other processes).
slot_procs() {
	local i n=0 c
	if rootless; then
		# Not its agents (run, the supervisor, a sandbox's init: root's
		# under the root agent), nor one that has just ended and waits
		# to be reaped; a job's processes execute its runtime.
		ps -o stat=,comm= -U "$ROOTLESS_USER" 2>/dev/null |
			awk '$1 !~ /^Z/ && $2 != "sluice-agent" { n++ }
				END { print n + 0 }'
		return
	fi
	for i in $(seq 0 $((SLOTS_ALL - 1))); do
		c=$(pgrep -c -U $((UID_BASE + i)) 2>/dev/null || true)
		n=$((n + ${c:-0}))
	done
	echo "$n"
}

# check_clean NAME: assert that nothing of the slots survives: no process of
# a slot uid and no slot cgroup.
check_clean() {
	local i left=0
	tap_is "$(slot_procs)" 0 "$1: no process of a slot uid is left"
	for i in $(seq 0 $((SLOTS_ALL - 1))); do
		for cg in /sys/fs/cgroup/*/$CG_PARENT/uid$((UID_BASE + i)) \
			/sys/fs/cgroup/$CG_PARENT/uid$((UID_BASE + i)); do
			[ -d "$cg" ] && left=$((left + 1))
		done
	done
	tap_is "$left" 0 "$1: no cgroup of a slot is left"
}

# now: the time in seconds (with a fraction); since T0: seconds since T0.
now() {
	date +%s.%N
}
since() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", b - a }'
}

# wait_event DIR EVENT [SECONDS]: wait (10 s by default) until DIR's events
# file holds an event named EVENT; status 0 if it came in time.
wait_event() {
	local i n=$((${3:-10} * 20))
	for ((i = 0; i < n; i++)); do
		grep -qs "\"event\":\"$2\"" "$1/events" && return 0
		sleep 0.05
	done
	return 1
}

# supervisor_pid DIR: the pid of the supervisor running DIR's job.  Of the
# sluice-agent processes for DIR, it is the one that leads a session of its
# own (run detaches it with setsid; a `run` the test started stays in the
# test's session, and the sandbox's init and job are in the supervisor's
# session or one the job made, never leading the supervisor's).
supervisor_pid() {
	local pids
	pids=$(pgrep -d, -f -- "--config $CONF run $1\$") || return 1
	ps -o pid=,sid= -p "$pids" | awk '$1 == $2 { print $1; found = 1 }
		END { exit !found }'
}

# wait_until TRIES CMD...: run CMD every 0.05 s until it succeeds, at most
# TRIES times; 0 once it has, else 1.
wait_until() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# warm_of DIR: what a job's accepted event said of its start ("true": warm).
warm_of() {
	jq -r 'select(.event == "accepted") | .warm_start' "$1/events"
}

# warm_session FILE DIR...: one `agent serve` session, its runs one after the
# other (each handed over once the one before has finished, after $PAUSE
# seconds, 0.4 by default, in which the session parks the next); before the
# second, $BETWEEN (if set) is evaluated.  The session's lines go to FILE,
# its stderr to FILE.err.
warm_session() {
	local out=$1 d i=0
	shift
	{
		for d in "$@"; do
			i=$((i + 1))
			sleep "${PAUSE:-0.4}"
			[ "$i" -eq 2 ] && [ -n "${BETWEEN:-}" ] && eval "$BETWEEN"
			echo "r$i run $d"
			for _ in $(seq 300); do
				grep -qs "^r$i exit" "$out" && break
				sleep 0.05
			done
		done
	} | agent serve >"$out" 2>"$out.err"
}

# noaddr: stdin with objects' addresses (which differ from run to run) masked.
noaddr() {
	sed 's/ at 0x[0-9a-f]*>/ at 0x>/g'
}

# out_files DIR: the job's out/, each file by name and content (a gzip
# file's, uncompressed: its header holds the time).
out_files() {
	local f
	for f in "$1"/out/*; do
		[ -e "$f" ] || continue
		printf '%s: ' "${f##*/}"
		case $f in
		*.gz) gzip -dc "$f" 2>&1 ;;
		*) cat "$f" ;;
		esac
		echo
	done
}

# parity LABEL EXTRA PROG...: each PROG run cold (agent run, job cold<i>)
# and warm (a session, job warm<i>), with the same stdin and EXTRA (manifest
# fields, as job_py's fourth argument); the run must be warm and cold as asked, and stdout,
# stderr, verdict and status, and the files in /out the same.
parity() {
	local label=$1 extra=$2 prog C W i=0
	shift 2
	for prog in "$@"; do
		i=$((i + 1))
		C=$(job_py "cold$i" "$prog" '{}' "$extra")
		W=$(job_py "warm$i" "$prog" '{}' "$extra")
		printf 'in put\nsecond\n' >"$C/stdin"
		printf 'in put\nsecond\n' >"$W/stdin"
		agent run "$C" >/dev/null
		warm_session "$T/p$i.out" "$W"
		tap_is "$(warm_of "$W") $(warm_of "$C")" "true false" "$label $i: the session's run was warm, the command line's cold"
		tap_is "$(noaddr <"$W/stdout")" "$(noaddr <"$C/stdout")" "$label $i: the same stdout"
		tap_is "$(noaddr <"$W/stderr")" "$(noaddr <"$C/stderr")" "$label $i: the same stderr"
		tap_is "$(jq -c '[.verdict, .exit_code, .signal]' "$W/result.json")" "$(jq -c '[.verdict, .exit_code, .signal]' "$C/result.json")" "$label $i: the same verdict and status"
		tap_is "$(out_files "$W")" "$(out_files "$C")" "$label $i: the same files in /out"
	done
}

# wait_exits FILE TAG...: wait (5 s each) for a session's "TAG exit" lines.
wait_exits() {
	local out=$1 r
	shift
	for r in "$@"; do
		for _ in $(seq 100); do grep -qs "^$r exit" "$out" && break; sleep 0.05; done
	done
}
