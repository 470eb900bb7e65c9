#!/bin/bash
# The SLURM test cluster alone (tests/lib/slurm.sh), real daemons: jobs of
# the login account run on the node as that account; squeue, scontrol and
# scancel see and end them; a held job and one waiting for CPUs pend with a
# reason; slurmd killed mid-job ends the job NODE_FAIL and slurmd started
# again brings the node back; the rootless sluice-agent runs a staged job
# directory from a batch script.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/slurm.sh"

trap slurm_teardown EXIT
slurm_setup 26800
tap_is "$(slurm_node_state)" idle "the node $SLURM_NODE is idle"
tap_like "$(SLURM_CONF=$SLURM_CONF scontrol show config | grep -E '^(ClusterName|SlurmctldPort|AuthInfo) ')" \
	"socket=$SLURM_DIR/run/munge.socket" "the cluster uses its own munge socket"

# A batch script in the account's home: who and where it ran.
script() { # NAME BODY
	printf '#!/bin/sh\n%s\n' "$2" >"$SLURM_HOME/$1"
	chown "$SLURM_USER:" "$SLURM_HOME/$1"
	chmod 0755 "$SLURM_HOME/$1"
}
script who.sh 'echo "user=$(id -un) uid=$(id -u) node=$SLURMD_NODENAME job=$SLURM_JOB_ID"'
script long.sh 'echo started; exec sleep 300'

# --- A job runs as the account, on the node. ---
id=$(slurm_do sbatch --parsable --no-requeue --output="$SLURM_HOME/who.%j" who.sh)
tap_like "$id" '^[0-9]+$' "sbatch --parsable as the account prints the job id"
st=$(slurm_wait_state "$id" COMPLETED 60)
tap_is "$st" COMPLETED "the job completes (squeue --states=all)"
tap_is "$(cat "$SLURM_HOME/who.$id" 2>/dev/null)" \
	"user=$SLURM_USER uid=$(id -u "$SLURM_USER") node=$SLURM_NODE job=$id" \
	"its output: it ran as the account on the node"
tap_like "$(SLURM_CONF=$SLURM_CONF scontrol show job "$id" | tr '\n' ' ')" \
	"UserId=$SLURM_USER\\(.*JobState=COMPLETED" "scontrol shows the account's completed job"
tap_like "$(slurm_do squeue -h --states=all -u "$SLURM_USER" -o '%i|%T|%u')" \
	"^$id\\|COMPLETED\\|$SLURM_USER$" "squeue shows it to the account"

# --- Through the login node's sshd, as the dispatcher will. ---
out=$(slurm_ssh "sbatch --parsable --no-requeue --output=$SLURM_HOME/ssh.%j who.sh" 2>&1)
tap_like "$out" '^[0-9]+$' "sbatch through the login sshd (SLURM_CONF from the session)"
st=$(slurm_wait_state "$out" COMPLETED 60)
tap_is "$st" COMPLETED "the job submitted over ssh completes"
tap_like "$(cat "$SLURM_HOME/ssh.$out" 2>/dev/null)" "^user=$SLURM_USER " "it ran as the account"
tap_like "$(slurm_ssh "squeue --version" 2>&1)" '^slurm(-wlm)? [0-9]' "squeue --version answers on the login node"

# --- scancel ends a running job CANCELLED, its processes with it. ---
id=$(slurm_do sbatch --parsable --no-requeue --output="$SLURM_HOME/long.%j" long.sh)
st=$(slurm_wait_state "$id" RUNNING 60)
tap_is "$st" RUNNING "a long job runs"
slurm_do scancel "$id"
st=$(slurm_wait_state "$id" CANCELLED 60)
tap_is "$st" CANCELLED "scancel ends it CANCELLED"
for ((i = 0; i < 300; i++)); do
	pgrep -u "$SLURM_USER" -x sleep >/dev/null || break
	sleep 0.1
done
tap_ok "$(pgrep -u "$SLURM_USER" -x sleep >/dev/null; echo $((!$?)))" "its processes are gone"

# --- Pending: held, and waiting for the node's two CPUs. ---
held=$(slurm_do sbatch --parsable --no-requeue --hold --output=/dev/null who.sh)
st=$(slurm_wait_state "$held" PENDING 30)
tap_is "$st" PENDING "a held job pends"
tap_like "$(slurm_reason "$held")" '^JobHeldUser$' "its reason says it is held"
busy1=$(slurm_do sbatch --parsable --no-requeue --cpus-per-task=1 --output=/dev/null long.sh)
busy2=$(slurm_do sbatch --parsable --no-requeue --cpus-per-task=1 --output=/dev/null long.sh)
slurm_wait_state "$busy1" RUNNING 60 >/dev/null
st=$(slurm_wait_state "$busy2" RUNNING 60)
tap_is "$st" RUNNING "two one-CPU jobs run at once on the two CPUs"
third=$(slurm_do sbatch --parsable --no-requeue --cpus-per-task=1 --output=/dev/null who.sh)
# The scheduler names a reason on its first pass; None until then.
for ((i = 0; i < 100; i++)); do
	[ "$(slurm_reason "$third")" = None ] || break
	sleep 0.1
done
tap_is "$(slurm_state "$third")" PENDING "a third pends while the CPUs are busy"
tap_like "$(slurm_reason "$third")" '^(Resources|Priority)$' "its reason says it waits for resources"
slurm_do scancel "$busy1" "$busy2"
st=$(slurm_wait_state "$third" COMPLETED 60)
tap_is "$st" COMPLETED "it runs once the CPUs are free"
slurm_do scancel "$held"
st=$(slurm_wait_state "$held" CANCELLED 30)
tap_is "$st" CANCELLED "a pending job cancelled is CANCELLED"
# A partition set DOWN by its admin: jobs pend there until it is UP.
slurm_partition DOWN
tap_ok $? "the partition is set DOWN"
id=$(slurm_do sbatch --parsable --no-requeue --output=/dev/null who.sh)
for ((i = 0; i < 100; i++)); do
	[ "$(slurm_reason "$id")" = None ] || break
	sleep 0.1
done
tap_is "$(slurm_state "$id"):$(slurm_reason "$id")" PENDING:PartitionDown "a job pends in a DOWN partition (PartitionDown)"
slurm_partition UP
st=$(slurm_wait_state "$id" COMPLETED 60)
tap_is "$st" COMPLETED "it runs once the partition is UP"

# --- slurmd killed mid-job: NODE_FAIL; slurmd again: the node is back. ---
id=$(slurm_do sbatch --parsable --no-requeue --output=/dev/null long.sh)
st=$(slurm_wait_state "$id" RUNNING 60)
tap_is "$st" RUNNING "a job runs before slurmd is killed"
slurm_kill_slurmd
tap_ok $? "slurmd killed (SIGKILL)"
# SlurmdTimeout and MessageTimeout are small here: about 10 s.
t0=$(date +%s)
st=$(slurm_wait_state "$id" NODE_FAIL 120)
tap_diag "NODE_FAIL seen $(($(date +%s) - t0)) s after slurmd was killed"
tap_is "$st" NODE_FAIL "the job ends NODE_FAIL (--no-requeue)"
tap_like "$(slurm_node_state)" '^down' "the node is down"
slurm_start_slurmd
slurm_wait_node idle 60
tap_ok $? "slurmd started again: the node is idle (ReturnToService=2)"
for ((i = 0; i < 300; i++)); do
	pgrep -u "$SLURM_USER" -x sleep >/dev/null || break
	sleep 0.1
done
tap_ok "$(pgrep -u "$SLURM_USER" -x sleep >/dev/null; echo $((!$?)))" "the failed job's processes were killed when slurmd came back"
id=$(slurm_do sbatch --parsable --no-requeue --output="$SLURM_HOME/after.%j" who.sh)
st=$(slurm_wait_state "$id" COMPLETED 60)
tap_is "$st" COMPLETED "a new job runs on the returned node"

# --- The rootless agent runs a staged job from a batch script. ---
agent_case() {
	local name=rl1 jd out
	if [ ! -x "$SLURM_AGENT" ]; then
		tap_skip "the rootless agent runs a job under SLURM" "no built sluice-agent"
		return
	fi
	out=$(slurm_do "$SLURM_AGENT" --config "$SLURM_AGENT_CONF" info 2>&1)
	if ! printf '%s' "$out" | jq -e .base_dir >/dev/null 2>&1; then
		tap_diag "sluice-agent info as the account: $out"
		tap_skip "the rootless agent runs a job under SLURM" "the agent refuses to run without root"
		return
	fi
	tap_is "$(printf '%s' "$out" | jq -r .base_dir)" "$SLURM_SHARED/base" "agent info as the account reads the shared agent.conf"
	# Staged as the account, as the dispatcher's SFTP upload makes it.
	jd=$SLURM_SHARED/base/jobs/$name
	slurm_do mkdir -p "$jd/files"
	slurm_do sh -c "printf '%s\n' 'import os; print(\"hello from slurm\", os.getuid())' >'$jd/files/main.py'"
	slurm_do sh -c "printf '%s\n' '{\"version\": 1, \"id\": \"s1\", \"runtime\": \"python3\", \"entry\": \"main.py\", \"limits\": {}}' >'$jd/job.json'"
	script agent.sh "exec '$SLURM_AGENT' --config '$SLURM_AGENT_CONF' run '$jd'"
	id=$(slurm_do sbatch --parsable --no-requeue --chdir="$jd" --output=/dev/null --error=/dev/null agent.sh)
	st=$(slurm_wait_state "$id" 'COMPLETED|FAILED' 120)
	tap_is "$st" COMPLETED "the batch script running the agent completes"
	tap_is "$(jq -r .verdict "$jd/result.json" 2>/dev/null)" ok "result.json: verdict ok"
	tap_like "$(cat "$jd/stdout" 2>/dev/null)" '^hello from slurm [0-9]+$' "the program's output is in the job directory"
	[ "$st" = COMPLETED ] || tap_diag "result: $(cat "$jd/result.json" 2>/dev/null) events: $(cat "$jd/events" 2>/dev/null)"

	# scancel: SIGTERM reaches the agent (the batch script's child, so
	# proctrack/linuxproc follows it), which cancels its sandbox and
	# writes the verdict before KillWait's SIGKILL.
	jd=$SLURM_SHARED/base/jobs/rl2
	slurm_do mkdir -p "$jd/files"
	slurm_do sh -c "printf '%s\n' 'import time; print(\"up\", flush=True); time.sleep(300)' >'$jd/files/main.py'"
	slurm_do sh -c "printf '%s\n' '{\"version\": 1, \"id\": \"s2\", \"runtime\": \"python3\", \"entry\": \"main.py\", \"limits\": {\"wall_seconds\": 100}}' >'$jd/job.json'"
	script agent2.sh "exec '$SLURM_AGENT' --config '$SLURM_AGENT_CONF' run '$jd'"
	id=$(slurm_do sbatch --parsable --no-requeue --chdir="$jd" --output=/dev/null --error=/dev/null agent2.sh)
	for ((i = 0; i < 300; i++)); do
		grep -q up "$jd/stdout" 2>/dev/null && break
		sleep 0.1
	done
	tap_like "$(cat "$jd/stdout" 2>/dev/null)" '^up$' "an agent job runs in its sandbox"
	slurm_do scancel "$id"
	st=$(slurm_wait_state "$id" CANCELLED 30)
	tap_is "$st" CANCELLED "scancel ends the agent's SLURM job CANCELLED"
	for ((i = 0; i < 300; i++)); do
		[ -z "$(slurm_account_pids)" ] && break
		sleep 0.1
	done
	tap_is "$(slurm_account_pids | tr '\n' ' ')" "" "nothing of the account is left on the node (agent, supervisor, job)"
	tap_is "$(jq -r .verdict "$jd/result.json" 2>/dev/null)" cancelled "result.json: verdict cancelled"
}
agent_case

# --- A setup that fails halfway (slurmd does not start) bails out and
# leaves nothing: munged and slurmctld ran, the account existed. ---
fake=$T/fake-sbin
mkdir -p "$fake"
for b in munged slurmctld slurmstepd; do
	ln -s "$(slurm_binary "$b")" "$fake/$b"
done
printf '#!/bin/sh\necho "fake slurmd: does not start" >&2\nexit 1\n' >"$fake/slurmd"
chmod 0755 "$fake/slurmd"
out=$(T='' SLURM_BIN_SRC=$fake SLURM_IDLE_WAIT=3 SLURM_NODE=t0620half bash -c '
	. "$top_srcdir/tests/lib/tap.sh"
	. "$top_srcdir/tests/lib/slurm.sh"
	trap slurm_teardown EXIT
	slurm_setup 26802
	echo "setup returned"' 2>&1)
rc=$?
tap_isnt "$rc" 0 "half setup: exits non-zero"
tap_like "$out" "^Bail out! the test cluster's node is not idle" "half setup: bails out saying why"
tap_like "$out" "fake slurmd: does not start" "half setup: the failing daemon's words are shown"
hdir=$(printf '%s\n' "$out" | sed -n 's/^# slurm: dir \([^ ]*\), account .*/\1/p')
huser=$(printf '%s\n' "$out" | sed -n 's/^# slurm: dir [^ ]*, account \([^ ]*\) .*/\1/p')
huid=$(printf '%s\n' "$out" | sed -n 's/^# slurm: .*(uid \([0-9]*\))$/\1/p')
tap_like "$hdir:$huser:$huid" '^/.+/slurm:sluslurm[0-9]+:[0-9]+$' "half setup: it got as far as the account"
tap_ok "$([ ! -e "$hdir" ]; echo $?)" "half setup: its directory is removed"
tap_ok "$(id "$huser" >/dev/null 2>&1; echo $((!$?)))" "half setup: its account is removed"
tap_is "$(find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$hdir/*" 2>/dev/null | wc -l)" 0 "half setup: none of its daemons is left"
tap_is "$(ps -e -o uid= | grep -cx " *$huid")" 0 "half setup: no process of its account is left"
tap_ok "$(slurm_port_free 26802; echo $?)" "half setup: its slurmctld port is free again"

tap_done
