# A SLURM cluster of the test's own on this machine: munged, slurmctld and
# slurmd (Debian's packages, .ci/packages-test), each with its own config, key,
# socket, state and spool directories, pid and log files and ports, never
# /etc/slurm or /etc/munge; one compute node (this machine) named after the
# test, in a partition "debug"; an unprivileged login account; and a
# loopback sshd (tests/lib/node.sh) that logs that account in, as a
# cluster's login node.  Source it after tests/lib/tap.sh (and after
# tests/lib/dispatcher.sh, if the test uses it: then $T is the dispatcher's).
#
#   slurm_setup 26800        # the cluster, ports 26800 (slurmctld) and
#                            # 26801 (slurmd); waits until the node is idle
#   slurm_do sbatch ...      # a command as $SLURM_USER, with SLURM_CONF
#   slurm_state ID           # the job's state as squeue --states=all says
#   slurm_wait_state ID RE [SECONDS]   # until the state matches RE
#   slurm_kill_slurmd        # SIGKILL slurmd (its job steps live on)
#   slurm_kill_node          # SIGKILL slurmd, the job steps and every
#                            # process of the account outside the login node
#   slurm_start_slurmd       # start slurmd again (ReturnToService=2: idle)
#   slurm_partition DOWN     # partition debug DOWN (jobs pend, reason
#                            # PartitionDown) or UP again (scontrol, root)
#   slurm_teardown           # everything stopped and removed (trap; safe
#                            # after a setup that failed halfway)
#
# What slurm_setup sets (SLURM_CONF exported, the others not: SLURM's own
# commands read SLURM_* variables):
#   SLURM_CONF        the cluster's slurm.conf (clients read it)
#   SLURM_NODE        the compute node's name (the test's, e.g. t0620)
#   SLURM_USER        the login account (useradd, no root, no sudo), its
#                     home $SLURM_HOME with ~/.ssh/authorized_keys
#   SLURM_SHARED      the directory the cluster "shares" (owned by the
#                     account, 0700): bin/sluice-agent (the build's agent),
#                     agent.conf (mode = "user", base_dir = $SLURM_SHARED/base)
#   SLURM_AGENT       $SLURM_SHARED/bin/sluice-agent
#   SLURM_AGENT_CONF  $SLURM_SHARED/agent.conf
#   SLURM_LOGIN       the login node's name for node.sh ("slurmlogin"), and
#   SLURM_LOGIN_PORT  its sshd port on 127.0.0.1: key $T/ssh/id_ed25519,
#                     known_hosts $T/ssh/known_hosts; its sessions get
#                     SLURM_CONF (sshd SetEnv), as a cluster's login shell
#                     would
#
# Every daemon runs its own hard link (or copy) of the binary under
# $SLURM_DIR/bin, so that /proc/PID/exe tells this cluster's processes from
# any other's (slurmd runs that slurmstepd too, with -d), as node.sh does
# for sshd.  The daemons run in the foreground (-D, -F) as children of the
# test shell, which reaps them.
#
# Settings a test may change before slurm_setup:
#   SLURM_SLURMD_TIMEOUT   seconds without an answer from slurmd before its
#                          node is DOWN and its jobs NODE_FAIL (default 5)
#   SLURM_MESSAGE_TIMEOUT  seconds an RPC may take (default 3; SLURM's is
#                          10)
#   SLURM_AGENT_SLOTS      slots of the shared agent.conf (default 8)
#   SLURM_IDLE_WAIT        seconds slurm_setup waits for the node to be idle
#                          (default 60)
#   SLURM_KILL_WAIT        seconds between SIGTERM and SIGKILL on scancel
#                          (default 5; SLURM's own default is 30)
# A killed slurmd's job is NODE_FAIL after about 2 MessageTimeout + the
# SlurmdTimeout (measured here, MessageTimeout 2: SlurmdTimeout 1: 5-6 s,
# 2 or 3: 9 s, 5: 10 s; with SLURM's MessageTimeout 10: 13, 25, 25, 26 s).

SLURM_BIN_SRC=${SLURM_BIN_SRC:-/usr/sbin}
SLURM_SLURMD_TIMEOUT=${SLURM_SLURMD_TIMEOUT:-5}
SLURM_KILL_WAIT=${SLURM_KILL_WAIT:-5}
SLURM_MESSAGE_TIMEOUT=${SLURM_MESSAGE_TIMEOUT:-3}
SLURM_LOGIN=${SLURM_LOGIN:-slurmlogin}
SLURM_DIR=
SLURM_USER=
SLURM_OWN_T=

command -v node_init >/dev/null || . "$top_srcdir/tests/lib/node.sh"

# slurm_binary NAME: the installed daemon NAME (slurmd, slurmctld,
# slurmstepd, munged), with Debian's alternatives resolved.
slurm_binary() {
	readlink -f "$SLURM_BIN_SRC/$1"
}

# slurm_probe: why this machine cannot run the test cluster, or nothing.
slurm_probe() {
	local b
	[ "$(id -u)" -eq 0 ] || { echo "the SLURM test cluster needs root"; return; }
	for b in munged slurmctld slurmd slurmstepd; do
		[ -x "$(slurm_binary "$b")" ] || {
			echo "no $SLURM_BIN_SRC/$b (.ci/packages-test: munge slurmctld slurmd slurm-client)"
			return
		}
	done
	for b in sbatch squeue scancel scontrol sinfo; do
		command -v "$b" >/dev/null || {
			echo "no $b (.ci/packages-test: slurm-client)"
			return
		}
	done
	for b in useradd userdel setpriv; do
		command -v "$b" >/dev/null || { echo "no $b"; return; }
	done
}

# slurm_port_free PORT: whether nothing listens on 127.0.0.1:PORT or *:PORT.
slurm_port_free() {
	[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# slurm_do CMD...: CMD as the account, with SLURM_CONF, no terminal, in
# its home.
slurm_do() {
	(cd "$SLURM_HOME" && setpriv --reuid="$SLURM_USER" --regid="$SLURM_USER" \
		--init-groups env -i PATH=/usr/bin:/bin HOME="$SLURM_HOME" \
		USER="$SLURM_USER" LOGNAME="$SLURM_USER" SLURM_CONF="$SLURM_CONF" \
		"$@" </dev/null)
}

# slurm_pids_of EXE-NAME...: pids whose executable is this cluster's link
# of one of the names (zombies have no exe link, so they do not count).
slurm_pids_of() {
	local n
	[ -n "$SLURM_DIR" ] || return 0
	for n in "$@"; do
		find /proc -mindepth 2 -maxdepth 2 -name exe \
			-lname "$SLURM_DIR/bin/$n" 2>/dev/null | cut -d/ -f3
	done | sort -n
}

# slurm_kill_wait PID...: SIGKILL the pids and wait (10 s at most) until
# they are gone (zombies count as gone: node_gone).
slurm_kill_wait() {
	local i
	[ $# -gt 0 ] || return 0
	kill -KILL "$@" 2>/dev/null
	for ((i = 0; i < 1000; i++)); do
		node_gone "$@" && return 0
		sleep 0.01
	done
	echo "slurm: processes survive SIGKILL: $*" >&2
	return 1
}

# slurm_account_pids: the account's processes outside the login node's sshd
# (the dispatcher's sessions are the login node's, not the compute node's).
slurm_account_pids() {
	local login all p
	[ -n "$SLURM_USER" ] || return 0
	all=$(pgrep -u "$SLURM_USER" 2>/dev/null)
	[ -n "$all" ] || return 0
	login=" $(node_pids "$SLURM_LOGIN" 2>/dev/null | tr '\n' ' ') "
	for p in $all; do
		case "$login" in *" $p "*) ;; *) echo "$p" ;; esac
	done
}

# slurm_write_conf: slurm.conf, an empty plugstack.conf (not /etc/slurm's).
slurm_write_conf() {
	local mem host
	# Half the machine's memory: a node that reports less than its
	# RealMemory is drained, and jobs ask for --mem up to this.
	mem=$(awk '/^MemTotal:/ { print int($2 / 1024 / 2) }' /proc/meminfo)
	host=$(hostname)
	: >"$SLURM_DIR/etc/plugstack.conf"
	cat >"$SLURM_CONF" <<EOF
# The test cluster of $SLURM_NODE, written by tests/lib/slurm.sh.
ClusterName=sluice$SLURM_NODE
# This host, at the loopback address (no name service is asked).
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$SLURM_CTLD_PORT
SlurmdPort=$SLURM_SLURMD_PORT
# The test's daemons run as root, as the test does; jobs run as the
# account that submitted them.
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM_DIR/run/munge.socket
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/run/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/run/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
PlugStackConfig=$SLURM_DIR/etc/plugstack.conf
MpiDefault=none
# No cgroups: SLURM follows a job's processes by their parentage, as on a
# cluster without cgroup support (processes that leave the tree are not
# followed: the batch script cancels the agent's sandbox itself).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=100
# The configured CPUs and memory count, whatever the machine has.
SlurmdParameters=config_overrides
SlurmdTimeout=$SLURM_SLURMD_TIMEOUT
MessageTimeout=$SLURM_MESSAGE_TIMEOUT
KillWait=$SLURM_KILL_WAIT
# A node whose slurmd comes back is idle again at once.
ReturnToService=2
# Ended jobs stay in squeue --states=all for 10 minutes (no slurmdbd).
MinJobAge=600
MailProg=/bin/true
NodeName=$SLURM_NODE NodeAddr=127.0.0.1 NodeHostname=$host CPUs=2 RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$SLURM_NODE Default=YES MaxTime=INFINITE State=UP
EOF
	chmod 0644 "$SLURM_CONF" "$SLURM_DIR/etc/plugstack.conf"
}

# slurm_start_munged: the test's munged, its own key and socket.
slurm_start_munged() {
	local d=$SLURM_DIR i
	# munged wants its key's directory private and its socket's open.
	dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 2>/dev/null &&
		chmod 0400 "$d/munge/munge.key" || return 1
	"$d/bin/munged" -F --key-file="$d/munge/munge.key" \
		--socket="$d/run/munge.socket" --pid-file="$d/run/munged.pid" \
		--log-file="$d/log/munged.log" --seed-file="$d/munge/munged.seed" \
		</dev/null >>"$d/log/munged.out" 2>&1 &
	disown $!
	for ((i = 0; i < 500; i++)); do
		[ -S "$d/run/munge.socket" ] && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.01
	done
	echo "slurm_setup: munged does not start:" >&2
	tail -5 "$d/log/munged.log" "$d/log/munged.out" >&2
	return 1
}

# slurm_start_slurmctld: the controller, in the foreground, as root.
slurm_start_slurmctld() {
	"$SLURM_DIR/bin/slurmctld" -D -f "$SLURM_CONF" \
		</dev/null >>"$SLURM_DIR/log/slurmctld.out" 2>&1 &
	disown $!
}

# slurm_start_slurmd: the node's slurmd, as root, named $SLURM_NODE, with
# this cluster's slurmstepd.
slurm_start_slurmd() {
	if [ -n "$(slurm_pids_of slurmd)" ]; then
		echo "slurm_start_slurmd: slurmd runs already" >&2
		return 1
	fi
	"$SLURM_DIR/bin/slurmd" -D -f "$SLURM_CONF" -N "$SLURM_NODE" \
		-d "$SLURM_DIR/bin/slurmstepd" \
		</dev/null >>"$SLURM_DIR/log/slurmd.out" 2>&1 &
	disown $!
}

# slurm_kill_slurmd: SIGKILL slurmd, as a crash would; its job steps
# (slurmstepd and the jobs) live on.
slurm_kill_slurmd() {
	# shellcheck disable=SC2046
	slurm_kill_wait $(slurm_pids_of slurmd)
}

# slurm_kill_node: the node dies: slurmd, every slurmstepd with its job, and
# every process of the account outside the login node (detached ones too).
slurm_kill_node() {
	local pids
	# shellcheck disable=SC2046
	pids="$(proc_descendants $(slurm_pids_of slurmd slurmstepd)) $(slurm_account_pids)"
	# shellcheck disable=SC2086
	slurm_kill_wait $pids
}

# slurm_partition STATE: set partition debug's state (UP, DOWN, DRAIN,
# INACTIVE) as the cluster's admin would; DOWN keeps new jobs pending.
slurm_partition() {
	SLURM_CONF=$SLURM_CONF scontrol update PartitionName=debug State="$1"
}

# slurm_node_state: the node's state as sinfo says it (idle, alloc,
# down*, ...).
slurm_node_state() {
	SLURM_CONF=$SLURM_CONF sinfo -h -n "$SLURM_NODE" -o %T 2>/dev/null
}

# slurm_wait_node RE [SECONDS]: wait until the node's state matches RE.
slurm_wait_node() {
	local re=$1 tries=$((${2:-30} * 10)) i
	for ((i = 0; i < tries; i++)); do
		[[ "$(slurm_node_state)" =~ ^($re)$ ]] && return 0
		sleep 0.1
	done
	return 1
}

# slurm_state ID: the job's state (PENDING, RUNNING, COMPLETED, ...), and
# slurm_reason ID its reason, as squeue --states=all says.
slurm_state() {
	SLURM_CONF=$SLURM_CONF squeue -h --states=all -j "$1" -o %T 2>/dev/null
}
slurm_reason() {
	SLURM_CONF=$SLURM_CONF squeue -h --states=all -j "$1" -o %r 2>/dev/null
}

# slurm_wait_state ID RE [SECONDS]: wait until the job's state matches RE
# (an extended regular expression of the whole state); prints the state.
slurm_wait_state() {
	local id=$1 re=$2 tries=$((${3:-30} * 10)) i st=
	for ((i = 0; i < tries; i++)); do
		st=$(slurm_state "$id")
		[[ "$st" =~ ^($re)$ ]] && { echo "$st"; return 0; }
		sleep 0.1
	done
	echo "$st"
	return 1
}

# slurm_diag: the daemons' logs, for a failure.
slurm_diag() {
	local f
	for f in "$SLURM_DIR"/log/*; do
		[ -s "$f" ] || continue
		tap_diag "== $f"
		tap_diag "$(tail -15 "$f")"
	done
}

# slurm_link NAME: this cluster's hard link (or copy) of daemon NAME.
slurm_link() {
	local src
	src=$(slurm_binary "$1")
	ln "$src" "$SLURM_DIR/bin/$1" 2>/dev/null ||
		cp "$src" "$SLURM_DIR/bin/$1"
}

# slurm_setup BASE: the cluster (ports BASE and BASE+1), the account, the
# shared directory with the agent, the login node; waits until the compute
# node is idle.  Bails out (after tearing down what it made) on failure;
# skips the whole test, with the reason, where SLURM cannot run.
slurm_setup() {
	local base=$1 why d b
	[ -n "$base" ] || tap_bail "usage: slurm_setup BASE"
	why=$(slurm_probe)
	[ -z "$why" ] || tap_skip_all "$why"
	if [ -z "${T:-}" ]; then
		T=$(mktemp -d /tmp/sluice-slurm.XXXXXX) || tap_bail "no temporary directory"
		SLURM_OWN_T=$T
	fi
	# The account reaches its home, the configuration and munge's socket.
	chmod 755 "$T"
	node_init || tap_bail "node_init failed"
	SLURM_CTLD_PORT=$base
	SLURM_SLURMD_PORT=$((base + 1))
	for b in "$SLURM_CTLD_PORT" "$SLURM_SLURMD_PORT"; do
		slurm_port_free "$b" ||
			tap_bail "port $b is taken: $(ss -Hltnp "sport = :$b" | head -1)"
	done
	# The node is named after the test (t0620-slurm-cluster.sh: t0620).
	SLURM_NODE=${SLURM_NODE:-$(basename "$0" .sh | sed 's/-.*//; s/[^A-Za-z0-9]//g')}
	[ -n "$SLURM_NODE" ] || SLURM_NODE=node
	SLURM_DIR=$T/slurm
	d=$SLURM_DIR
	SLURM_CONF=$d/etc/slurm.conf
	export SLURM_CONF
	mkdir -p "$d"/bin "$d"/etc "$d"/run "$d"/log "$d"/munge "$d"/state \
		"$d"/spool || tap_bail "cannot make $d"
	# munge: key private; the socket's directory open to clients.  slurmd
	# runs job scripts out of its spool as the job's user, so that is open
	# too; the controller's state is root's.
	chmod 0755 "$d" "$d/bin" "$d/etc" "$d/run" "$d/spool"
	chmod 0700 "$d/munge" "$d/state" "$d/log"
	for b in munged slurmctld slurmd slurmstepd; do
		slurm_link "$b" || { slurm_teardown; tap_bail "cannot copy $b"; }
	done
	slurm_write_conf

	# The login account: unprivileged, a home for ~/.ssh.  At most 32
	# bytes, one per run.
	SLURM_USER="sluslurm$$"
	SLURM_HOME=$d/home
	userdel -r "$SLURM_USER" >/dev/null 2>&1
	useradd -m -d "$SLURM_HOME" -s /bin/bash -K UMASK=0077 "$SLURM_USER" ||
		{ SLURM_USER=; slurm_teardown; tap_bail "useradd failed"; }
	# No password, but not locked: sshd (UsePAM no) refuses a locked one.
	usermod -p '*' "$SLURM_USER" || { slurm_teardown; tap_bail "usermod failed"; }
	tap_diag "slurm: dir $SLURM_DIR, account $SLURM_USER (uid $(id -u "$SLURM_USER"))"
	install -d -o "$SLURM_USER" -g "$SLURM_USER" -m 0700 "$SLURM_HOME/.ssh" &&
		install -o "$SLURM_USER" -g "$SLURM_USER" -m 0600 \
			"$T/ssh/id_ed25519.pub" "$SLURM_HOME/.ssh/authorized_keys" ||
		{ slurm_teardown; tap_bail "cannot write ~/.ssh"; }

	# The shared directory, the rootless agent and its config.
	SLURM_SHARED=$d/shared
	SLURM_AGENT=$SLURM_SHARED/bin/sluice-agent
	SLURM_AGENT_CONF=$SLURM_SHARED/agent.conf
	install -d -o "$SLURM_USER" -g "$SLURM_USER" -m 0700 "$SLURM_SHARED" \
		"$SLURM_SHARED/bin" "$SLURM_SHARED/base" "$SLURM_SHARED/base/jobs" ||
		{ slurm_teardown; tap_bail "cannot make $SLURM_SHARED"; }
	if [ -x "${top_builddir:-}/sluice-agent" ]; then
		install -o "$SLURM_USER" -g "$SLURM_USER" -m 0755 \
			"$top_builddir/sluice-agent" "$SLURM_AGENT" ||
			{ slurm_teardown; tap_bail "cannot copy the agent"; }
	fi
	slurm_write_agent_conf "" ||
		{ slurm_teardown; tap_bail "cannot write $SLURM_AGENT_CONF"; }

	# The daemons.
	slurm_start_munged || { slurm_teardown; tap_bail "munged does not start"; }
	slurm_start_slurmctld
	slurm_start_slurmd
	if ! slurm_wait_node idle "${SLURM_IDLE_WAIT:-60}"; then
		tap_diag "sinfo: $(slurm_node_state)"
		slurm_diag
		slurm_teardown
		tap_bail "the test cluster's node is not idle within ${SLURM_IDLE_WAIT:-60} s"
	fi

	# The login node: sessions as the account, SLURM_CONF set.
	mkdir -p "$(node_dir "$SLURM_LOGIN")"
	echo "SLURM_CONF=$SLURM_CONF" >"$(node_dir "$SLURM_LOGIN")/setenv"
	SLURM_LOGIN_PORT=$(node_free_port)
	node_start "$SLURM_LOGIN" "$SLURM_LOGIN_PORT" ||
		{ slurm_teardown; tap_bail "the login node's sshd does not start"; }
}

# slurm_write_agent_conf [EXTRA]: the rootless agent's config in the shared
# directory (mode "user", base_dir there), owned by the account.
slurm_write_agent_conf() {
	cat >"$SLURM_AGENT_CONF.tmp" <<EOF
mode = "user";
base_dir = "$SLURM_SHARED/base";
# Slot locks live in base_dir: on a cluster's shared disk they are the
# cluster's, so slots is at least sluice.conf's max_jobs (docs/slurm.md).
slots = ${SLURM_AGENT_SLOTS:-8};
uid_base = 93500;
cgroup = "none";
${1:-}
runtimes = ( { name = "python3";
               command = [ "/usr/bin/python3", "-B", "-s", "{entry}" ];
               binds = [ "/usr", "/lib", "/lib64", "/bin", "/etc/python3.11" ]; } );
EOF
	chown "$SLURM_USER:$SLURM_USER" "$SLURM_AGENT_CONF.tmp" &&
		chmod 0600 "$SLURM_AGENT_CONF.tmp" &&
		mv "$SLURM_AGENT_CONF.tmp" "$SLURM_AGENT_CONF"
}

# slurm_ssh CMD: CMD (one shell word list, as ssh sends it) on the login
# node as the account, with the test's key.
slurm_ssh() {
	timeout 30 ssh -i "$T/ssh/id_ed25519" -p "$SLURM_LOGIN_PORT" \
		-o UserKnownHostsFile="$T/ssh/known_hosts" -o BatchMode=yes \
		-o StrictHostKeyChecking=yes -o LogLevel=ERROR \
		"$SLURM_USER@127.0.0.1" "$@"
}

# slurm_teardown: stop and remove everything slurm_setup made, whatever it
# got to.
slurm_teardown() {
	local pids
	[ -n "$SLURM_DIR" ] || return 0
	[ -n "${SLURM_LOGIN_PORT:-}" ] && node_stop "$SLURM_LOGIN"
	# The node first (slurmd, its steps and jobs, the account's detached
	# processes), then the controller and munged.
	slurm_kill_node
	# shellcheck disable=SC2046
	slurm_kill_wait $(slurm_pids_of slurmctld munged)
	# Anything of the account left (a session that outlived its sshd).
	if [ -n "$SLURM_USER" ]; then
		pids=$(pgrep -u "$SLURM_USER" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && slurm_kill_wait $pids
		userdel -r "$SLURM_USER" >/dev/null 2>&1
		SLURM_USER=
	fi
	rm -rf "$SLURM_DIR"
	[ -n "$SLURM_OWN_T" ] && rm -rf "$SLURM_OWN_T"
	SLURM_DIR=
	SLURM_OWN_T=
	return 0
}

# For the dispatcher's tests (tests/lib/dispatcher.sh sourced first, the
# login node named "hpc"): a job's SLURM id, or nothing.
slurm_id_of() {
	api GET "/v1/jobs/$1" | jq -r '.slurm_job_id // empty'
}
# wait_reason ID RE [SECONDS]: until the job's reason matches RE.
wait_reason() {
	local i r=
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		r=$(api GET "/v1/jobs/$1" | jq -r .reason)
		[[ "$r" =~ $2 ]] && return 0
		sleep 0.1
	done
	tap_diag "reason of job $1: $r"
	return 1
}
# diag_job ID: the job and the daemon's last lines of it, as diagnostics.
diag_job() {
	tap_diag "$(api GET "/v1/jobs/$1" | jq -c '{state, verdict, reason, attempts, slurm_job_id}')"
	tap_diag "$(grep -E "job $1 |hpc" "$T/serve.log" | tail -8)"
}
