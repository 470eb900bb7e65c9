#!/bin/bash
# The SLURM node kind end to end (issue 11): a real munged, slurmctld and
# slurmd of the test's own (tests/lib/slurm.sh), a login node reached over
# a loopback sshd as an unprivileged account, the rootless sluice-agent in
# the shared directory, and `sluice serve` with one node of kind "slurm".
# Jobs go in with sbatch and are followed with squeue: hello; a time limit
# the agent enforces before SLURM's own; a cancel while pending in SLURM and
# while running; an external scancel; slurmd killed mid-job (requeued, then
# NODE_FAIL once the attempts are used up); a dispatcher restart with jobs
# in the cluster; slurm_job_id in the job object and `sluice status`; a bad
# slurm group refused by serve --check; a lying login node (sbatch without
# an id, squeue's junk and contradictions) changes nothing it should not.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

DISP_MAX_ATTEMPTS=2
disp_setup 93800 0
. "$top_srcdir/tests/lib/slurm.sh"
trap 'slurm_teardown; disp_teardown' EXIT
slurm_setup 26850

[ -x "$SLURM_AGENT" ] || tap_skip_all "no built sluice-agent"
out=$(slurm_do "$SLURM_AGENT" --config "$SLURM_AGENT_CONF" info 2>&1)
printf '%s' "$out" | jq -e .base_dir >/dev/null 2>&1 ||
	tap_skip_all "the rootless agent does not run as the account here: $(printf '%s' "$out" | head -c 200)"

# The one node: the cluster's login node.
slurm_node() { # EXTRA_SLURM_SETTINGS
	cat <<EOF
{ name = "hpc"; kind = "slurm"; host = "127.0.0.1"; port = $SLURM_LOGIN_PORT;
    user = "$SLURM_USER"; identity = "$T/ssh/id_ed25519";
    known_hosts = "$T/ssh/known_hosts";
    agent = [ "$SLURM_AGENT", "--config", "$SLURM_AGENT_CONF" ];
    slurm = { partition = "debug"; max_jobs = 8; poll_seconds = 0.5;
              time_margin_seconds = 60; $1 }; }
EOF
}
# disp_setup's config without nodes, and the slurm node put in.
cp "$T/sluice.conf" "$T/template.conf"
write_conf() { # EXTRA_SLURM_SETTINGS
	local line
	while IFS= read -r line; do
		case "$line" in
		"nodes = ("*) printf 'nodes = ( %s );\n' "$(slurm_node "${1:-}")" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$T/template.conf" >"$T/sluice.conf"
}
write_conf

# --- serve --check: the slurm group is checked. ---
cp "$T/sluice.conf" "$T/good.conf"
"$SLUICE_BIN" serve --check --config "$T/sluice.conf" >"$T/check.out" 2>&1
tap_is $? 0 "serve --check accepts the slurm node" || tap_diag "$(cat "$T/check.out")"
bad_check() { # DESCRIPTION EXTRA EXPECTED
	write_conf "$2"
	"$SLUICE_BIN" serve --check --config "$T/sluice.conf" >"$T/check.out" 2>&1
	local rc=$?
	tap_isnt "$rc" 0 "serve --check refuses $1"
	tap_like "$(cat "$T/check.out")" "$3" "  and says why"
}
bad_check "an option with shell characters" 'options = [ "--comment=$(reboot)" ];' "slurm option"
bad_check "an option sluice sets itself" 'options = [ "--time=1" ];' "sets itself"
bad_check "--ntasks, which would undo sluice's --ntasks=1" 'options = [ "--ntasks=4" ];' "sets itself"
bad_check "--mem-per-cpu, which collides with --mem" 'options = [ "--mem-per-cpu=1G" ];' "sets itself"
bad_check "an abbreviation sbatch takes for --ntasks" 'options = [ "--nt=4" ];' "abbreviation"
bad_check "an unknown slurm setting" 'max_job = 3;' "max_job"
bad_check "a negative memory margin" 'memory_margin_bytes = -1;' "memory_margin_bytes"
bad_check "a partition with a blank" 'qos = "a b";' "'qos'"
cp "$T/good.conf" "$T/sluice.conf"

disp_serve || tap_bail "the dispatcher does not start"
disp_wait_node hpc UP 30
tap_ok $? "the login node is UP (agent info and squeue --version over ssh)" ||
	tap_diag "$(tail -20 "$T/serve.log")"
tap_is "$(api GET /v1/nodes | jq -r '.nodes[] | select(.name == "hpc") | .slots')" 8 \
	"its slots are max_jobs"
tap_is "$(api GET /v1/nodes/hpc | jq -r .kind)" slurm "  GET /v1/nodes/hpc says kind slurm"

# squeue's view of a sluice job: STATE NAME.
squeue_of() {
	SLURM_CONF=$SLURM_CONF squeue -h --states=all -j "$1" -o '%T %j' 2>/dev/null
}

# --- hello ---
id=$(submit_py 'import os; print("hello from slurm"); print(os.getcwd())')
job=$(wait_job "$id" 120)
tap_is "$(jq -r .state <<<"$job")" COMPLETED "hello: COMPLETED" || diag_job "$id"
tap_is "$(jq -r .verdict <<<"$job")" ok "  verdict ok"
tap_like "$(jq -r .stdout <<<"$job")" '^hello from slurm' "  its stdout came back from the shared directory"
sid=$(jq -r .slurm_job_id <<<"$job")
tap_like "$sid" '^[0-9]+$' "  the job object shows slurm_job_id ($sid)"
tap_is "$(squeue_of "$sid")" "COMPLETED sluice-$id" "  squeue knows it as sluice-$id, COMPLETED"
tap_is "$(jq -r .attempts <<<"$job")" 1 "  one attempt"
st=$(SLUICE_SERVER=$DISP_URL SLUICE_TOKEN=$TOKEN_A "$SLUICE_BIN" status "$id" 2>&1)
tap_like "$st" "SlurmJobId: $sid" "  sluice status shows SlurmJobId"
for ((i = 0; i < 50; i++)); do
	[ -z "$(ls "$SLURM_SHARED/base/jobs" 2>/dev/null)" ] && break
	sleep 0.1
done
tap_is "$(ls "$SLURM_SHARED/base/jobs" 2>/dev/null)" "" "  its directory is cleaned from the shared directory"

# --- The agent's time limit comes before SLURM's. ---
id=$(submit_py 'import time; print("sleeping", flush=True); time.sleep(120)' '{"limits": {"wall_seconds": 2}}')
job=$(wait_job "$id" 120)
tap_is "$(jq -r .state <<<"$job")" TIMEOUT "a 2 s wall limit: TIMEOUT" || diag_job "$id"
tap_is "$(jq -r .verdict <<<"$job")" wall_limit "  verdict wall_limit, the agent's"
tap_like "$(jq -r .wall_seconds <<<"$job")" '^[0-9.]+$' "  with the agent's measurements"
tap_is "$(squeue_of "$(jq -r .slurm_job_id <<<"$job")" | cut -d' ' -f1)" COMPLETED \
	"  SLURM saw its batch script end (COMPLETED, not TIMEOUT)"

# --- Cancel while running. ---
id=$(submit_py 'import time; print("up", flush=True); time.sleep(300)' '{"limits": {"wall_seconds": 100}}')
wait_reason "$id" '^running on hpc \(SLURM job [0-9]+\)$' 60
tap_ok $? "a long job: reason says it runs in SLURM" || diag_job "$id"
sid=$(slurm_id_of "$id")
api DELETE "/v1/jobs/$id" >/dev/null
job=$(wait_job "$id" 60)
tap_is "$(jq -r .state <<<"$job")" CANCELLED "cancelled while running: CANCELLED" || diag_job "$id"
st=$(slurm_wait_state "$sid" 'CANCELLED|COMPLETED' 30)
tap_like "$st" '^(CANCELLED|COMPLETED)$' "  its SLURM job has ended ($st)"
for ((i = 0; i < 100; i++)); do
	pgrep -u "$SLURM_USER" -f 'time.sleep\(300\)' >/dev/null || break
	sleep 0.1
done
tap_ok "$(pgrep -u "$SLURM_USER" -f 'time.sleep\(300\)' >/dev/null; echo $((!$?)))" "  nothing of it runs"

# --- Cancel while pending in SLURM: the node's two CPUs taken. ---
printf '#!/bin/sh\nexec sleep 300\n' >"$SLURM_HOME/block.sh"
chown "$SLURM_USER:" "$SLURM_HOME/block.sh"
b1=$(slurm_do sbatch --parsable --no-requeue --output=/dev/null "$SLURM_HOME/block.sh")
b2=$(slurm_do sbatch --parsable --no-requeue --output=/dev/null "$SLURM_HOME/block.sh")
slurm_wait_state "$b1" RUNNING 60 >/dev/null
slurm_wait_state "$b2" RUNNING 60 >/dev/null
id=$(submit_py 'print("never")')
wait_reason "$id" '^pending in SLURM: ' 60
tap_ok $? "with the CPUs busy: the job is pending in SLURM" || diag_job "$id"
tap_is "$(state_of "$id")" RUNNING "  (state RUNNING, placed: the reason says it pends)"
sid=$(slurm_id_of "$id")
tap_is "$(slurm_state "$sid")" PENDING "  squeue says PENDING"
api DELETE "/v1/jobs/$id" >/dev/null
job=$(wait_job "$id" 60)
tap_is "$(jq -r .state <<<"$job")" CANCELLED "cancelled while pending: CANCELLED" || diag_job "$id"
tap_is "$(slurm_wait_state "$sid" CANCELLED 30)" CANCELLED "  its SLURM job is CANCELLED"
slurm_do scancel "$b1" "$b2"
slurm_wait_state "$b2" CANCELLED 30 >/dev/null

# --- An external scancel. ---
id=$(submit_py 'import time; print("up", flush=True); time.sleep(300)' '{"limits": {"wall_seconds": 100}}')
wait_reason "$id" '^running on hpc' 60
sid=$(slurm_id_of "$id")
slurm_do scancel "$sid"
job=$(wait_job "$id" 60)
tap_is "$(jq -r .state <<<"$job")" CANCELLED "scancel from outside: CANCELLED" || diag_job "$id"
tap_is "$(jq -r .reason <<<"$job")" "cancelled in SLURM (scancel)" "  the reason says who"

# --- A dispatcher restart with jobs in the cluster. ---
r1=$(submit_py 'import time; time.sleep(6); print("one")')
r2=$(submit_py 'import time; time.sleep(6); print("two")')
wait_reason "$r1" '^running on hpc' 60 && wait_reason "$r2" '^running on hpc' 60
tap_ok $? "two jobs run in the cluster"
s1=$(slurm_id_of "$r1")
disp_stop KILL
disp_serve || tap_bail "the dispatcher does not start again"
j1=$(wait_job "$r1" 120)
j2=$(wait_job "$r2" 120)
tap_is "$(jq -r '[.state, .attempts, (.stdout | rtrimstr("\n"))] | @tsv' <<<"$j1")" "$(printf 'COMPLETED\t1\tone')" \
	"after a SIGKILL and restart, the first finishes on attempt 1" || diag_job "$r1"
tap_is "$(jq -r '[.state, .attempts, (.stdout | rtrimstr("\n"))] | @tsv' <<<"$j2")" "$(printf 'COMPLETED\t1\ttwo')" \
	"  and the second"
tap_is "$(jq -r .slurm_job_id <<<"$j1")" "$s1" "  with the same SLURM job"
tap_like "$(cat "$T/serve.log")" "recovered 0 queued and 2 placed jobs" "  the restart recovered them"

# --- slurmd killed mid-job: requeued, then NODE_FAIL. ---
id=$(submit_py 'import time; print("up", flush=True); time.sleep(300)' '{"limits": {"wall_seconds": 100}}')
wait_reason "$id" '^running on hpc' 60
s1=$(slurm_id_of "$id")
slurm_kill_node
tap_is "$(slurm_wait_state "$s1" NODE_FAIL 120)" NODE_FAIL "slurmd killed: SLURM ends its job NODE_FAIL"
for ((i = 0; i < 600; i++)); do
	[ "$(api GET "/v1/jobs/$id" | jq -r .attempts)" = 2 ] && break
	sleep 0.1
done
job=$(api GET "/v1/jobs/$id")
tap_is "$(jq -r .attempts <<<"$job")" 2 "  the sluice job is requeued: attempt 2" || diag_job "$id"
tap_like "$(jq -r .state <<<"$job")" '^(PENDING|RUNNING)$' "  and not ended"
api GET "/v1/jobs/$id/attempts" >/dev/null 2>&1
slurm_start_slurmd
slurm_wait_node idle 60
wait_reason "$id" '^running on hpc' 120
tap_ok $? "  attempt 2 runs once slurmd is back" || diag_job "$id"
s2=$(slurm_id_of "$id")
tap_isnt "$s2" "$s1" "  as a new SLURM job ($s2)"
slurm_kill_node
job=$(wait_job "$id" 180)
tap_is "$(jq -r .state <<<"$job")" NODE_FAIL "killed again: NODE_FAIL, its attempts used up" || diag_job "$id"
tap_like "$(jq -r .reason <<<"$job")" "NODE_FAIL" "  the reason names SLURM's state"
slurm_start_slurmd
slurm_wait_node idle 60

# --- A lying login node: bin_dir with commands that print what they like. ---
liar=$SLURM_SHARED/liar
mkdir -p "$liar"
cat >"$liar/sbatch" <<EOF
#!/bin/sh
if [ -e "$liar/sbatch-lies" ]; then
	cat >/dev/null
	echo "Submitted batch job 5"
	exit 0
fi
exec sbatch "\$@"
EOF
# squeue: junk lines, a line far too long, an id nobody asked about, the
# truth, then the truth again with every state turned to COMPLETED.
cat >"$liar/squeue" <<'EOF'
#!/bin/sh
case "$1" in --version) exec squeue "$@" ;; esac
printf '999999|RUNNING|x\nnot a line\n|||\n12|WEIRD|x\n'
head -c 1000 /dev/zero | tr '\0' 'A'
echo
squeue "$@"
squeue "$@" | sed 's/|[A-Z_]*|/|COMPLETED|/'
EOF
printf '#!/bin/sh\nexec scancel "$@"\n' >"$liar/scancel"
printf '#!/bin/sh\nexec sacct "$@"\n' >"$liar/sacct"
chmod 0755 "$liar"/*
chown -R "$SLURM_USER:" "$liar"
touch "$liar/sbatch-lies"
disp_stop
write_conf "bin_dir = \"$liar\";"
disp_serve || tap_bail "the dispatcher does not start with the liar's bin_dir"
disp_wait_node hpc UP 30
id=$(submit_py 'print("lied to")')
job=$(wait_job "$id" 120)
tap_is "$(jq -r .state <<<"$job")" FAILED "sbatch prints no id: the job FAILED after its attempts" || diag_job "$id"
tap_like "$(jq -r .reason <<<"$job")" "sbatch did not print a job id" "  the reason says why"
rm -f "$liar/sbatch-lies"
id=$(submit_py 'import time; time.sleep(3); print("despite squeue")')
job=$(wait_job "$id" 120)
tap_is "$(jq -r '[.state, .attempts, (.stdout | rtrimstr("\n"))] | @tsv' <<<"$job")" "$(printf 'COMPLETED\t1\tdespite squeue')" \
	"squeue's junk and a lying second line per job change nothing: COMPLETED on attempt 1" || diag_job "$id"
tap_like "$(cat "$T/serve.log")" "lines of squeue's output ignored" "  the ignored lines are logged"
tap_is "$(curl -s -o /dev/null -w '%{http_code}' "$DISP_URL/v1/health")" 200 "  the daemon is healthy"

disp_stop
tap_is "${DISP_STATUS:-1}" 0 "the dispatcher stops cleanly"
tap_done
