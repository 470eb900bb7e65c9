#!/bin/bash
# An attacker's cases against the SLURM node kind (issue 11 review), on the
# test cluster of tests/lib/slurm.sh with a login node whose bin_dir holds
# commands that lie when a flag file says so (and run the real ones
# otherwise).  Each case asserts what a sound dispatcher does; a failure is
# a hole (the report says which):
#   - sluice.conf: an abbreviated sbatch option sluice sets itself
#     (--job-nam=, which sbatch's getopt_long takes) passes the check;
#     bad numbers and bin_dirs are refused
#   - max_jobs under a burst of submissions
#   - an sbatch that submits and then fails (SLURM's "Socket timed out"
#     after the job is queued), or floods its output: the orphan must be
#     cancelled
#   - an sbatch id that is another followed job's
#   - a login node that says COMPLETED and writes no result
#   - a restart after an sbatch whose id was never read, with scancel
#     failing: the unrecorded SLURM job must not stay beside a new one
#     (it is adopted: found by squeue in its directory, followed as the
#     attempt, no second sbatch)
#   - a cancel at once after the submission
#   - a lying NODE_FAIL while attempt 1 runs on (attempt 2's result wins)
#   - squeue's output far over its cap; a restart once squeue forgot a
#     finished job and sacct is disabled
#   - a squeue that never ends (a byte of stderr a second): a cancel via
#     the API must still end the job
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

DISP_MAX_ATTEMPTS=2
disp_setup 87000 0
. "$top_srcdir/tests/lib/slurm.sh"
# T0631_KEEP=DIR: the daemon's log and the liar's records kept there.
t0631_keep() {
	[ -n "${T0631_KEEP:-}" ] || return 0
	mkdir -p "$T0631_KEEP" && cp -r "$T/serve.log" "${liar:-/nonexistent}" "$T0631_KEEP/" 2>/dev/null
}
trap 'rm -f "${liar:-/nonexistent}"/squeue-trickle; t0631_keep; slurm_teardown; disp_teardown' EXIT
slurm_setup 26860

[ -x "$SLURM_AGENT" ] || tap_skip_all "no built sluice-agent"
out=$(slurm_do "$SLURM_AGENT" --config "$SLURM_AGENT_CONF" info 2>&1)
printf '%s' "$out" | jq -e .base_dir >/dev/null 2>&1 ||
	tap_skip_all "the rootless agent does not run as the account here: $(printf '%s' "$out" | head -c 200)"

# --- The liar: real commands unless a flag file is there. ---
liar=$SLURM_SHARED/liar
mkdir -p "$liar"
cat >"$liar/sbatch" <<EOF
#!/bin/sh
L=$liar
echo "\$*" >>\$L/sbatch-args
if [ -e \$L/sbatch-timeout ]; then
	# Queued, but the answer is lost (slurmctld busy).
	rm -f \$L/sbatch-timeout
	id=\$(sbatch "\$@") || exit \$?
	echo "\$id" >>\$L/orphans
	echo "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation" >&2
	exit 1
fi
if [ -e \$L/sbatch-hang ]; then
	rm -f \$L/sbatch-hang
	id=\$(sbatch "\$@") || exit \$?
	echo "\$id" >\$L/hung-id
	sleep 20
	echo "\$id"
	exit 0
fi
if [ -e \$L/sbatch-flood ]; then
	# Queued, then far more output than an id.
	rm -f \$L/sbatch-flood
	id=\$(sbatch "\$@") || exit \$?
	echo "\$id" >>\$L/orphans
	head -c 100000 /dev/zero | tr '\\0' 1
	exit 0
fi
if [ -e \$L/sbatch-dup ]; then
	cat >/dev/null
	cat \$L/dup-id
	exit 0
fi
if [ -e \$L/sbatch-fake ]; then
	cat >/dev/null
	echo 424242
	exit 0
fi
exec sbatch "\$@"
EOF
cat >"$liar/squeue" <<EOF
#!/bin/sh
L=$liar
case "\$1" in --version) exec squeue "\$@" ;; esac
while [ -e \$L/squeue-trickle ]; do
	printf . >&2
	sleep 1
done
if [ -e \$L/squeue-flood ]; then
	# 16 MB of junk without a newline.
	head -c 16000000 /dev/zero | tr '\\0' 'x'
	exit 0
fi
if [ -s \$L/forget ]; then
	# As squeue once MinJobAge has passed: the id is unknown.
	squeue "\$@" | grep -v "^\$(cat \$L/forget)|"
	exit 0
fi
if [ -s \$L/nodefail ]; then
	nf=\$(cat \$L/nodefail)
	squeue "\$@" | sed "s/^\$nf|[A-Z_]*|/\$nf|NODE_FAIL|/"
	exit 0
fi
case "\$*" in
*--jobs=424242" "*) echo "424242|COMPLETED|None"; exit 0 ;;
esac
exec squeue "\$@"
EOF
cat >"$liar/scancel" <<EOF
#!/bin/sh
L=$liar
echo "\$*" >>\$L/scancels
if [ -e \$L/scancel-fail ]; then
	echo "scancel: error: Socket timed out on send/recv operation" >&2
	exit 1
fi
exec scancel "\$@"
EOF
printf '#!/bin/sh\nexec sacct "$@"\n' >"$liar/sacct"
chmod 0755 "$liar"/*
chown -R "$SLURM_USER:" "$liar"
# A file the liar appends to: the account's.
mk() {
	: >"$1" && chown "$SLURM_USER:" "$1"
}
mk "$liar/sbatch-args"
mk "$liar/scancels"

slurm_node() { # EXTRA_SLURM_SETTINGS
	cat <<EOF
{ name = "hpc"; kind = "slurm"; host = "127.0.0.1"; port = $SLURM_LOGIN_PORT;
    user = "$SLURM_USER"; identity = "$T/ssh/id_ed25519";
    known_hosts = "$T/ssh/known_hosts";
    agent = [ "$SLURM_AGENT", "--config", "$SLURM_AGENT_CONF" ];
    slurm = { partition = "debug"; poll_seconds = 1.0;
              time_margin_seconds = 60; $1 }; }
EOF
}
cp "$T/sluice.conf" "$T/template.conf"
write_conf() { # EXTRA_SLURM_SETTINGS
	local line
	while IFS= read -r line; do
		case "$line" in
		"nodes = ("*) printf 'nodes = ( %s );\n' "$(slurm_node "$1")" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$T/template.conf" >"$T/sluice.conf"
}
GOOD="max_jobs = 2; bin_dir = \"$liar\";"

# --- sluice.conf ---
check_refused() { # DESCRIPTION EXTRA
	write_conf "$2"
	"$SLUICE_BIN" serve --check --config "$T/sluice.conf" >"$T/check.out" 2>&1
	tap_isnt "$?" 0 "serve --check refuses $1" || tap_diag "$(cat "$T/check.out")"
}
check_refused "an abbreviated --job-name (--job-nam=evil) [HOLE if not]" \
	"$GOOD options = [ \"--job-nam=evil\" ];"
check_refused "an abbreviated --requeue (--requeu) [HOLE if not]" \
	"$GOOD options = [ \"--requeu\" ];"
check_refused "a relative bin_dir" 'max_jobs = 2; bin_dir = "bin";'
check_refused "a bin_dir with a blank" 'max_jobs = 2; bin_dir = "/a b";'
check_refused "max_jobs 0" 'max_jobs = 0;'
check_refused "max_jobs -1" 'max_jobs = -1;'
check_refused "max_jobs 10001" 'max_jobs = 10001;'
check_refused "poll_seconds 0" 'max_jobs = 2; poll_seconds = 0;'
check_refused "poll_seconds 1e9" 'max_jobs = 2; poll_seconds = 1e9;'
check_refused "a negative time margin" 'max_jobs = 2; time_margin_seconds = -60;'
check_refused "a memory margin of 2^64" 'max_jobs = 2; memory_margin_bytes = 18446744073709551616.0;'

# sbatch does take the abbreviation: it renames the job, which a restart's
# cancel by name (--name=sluice-ID) then misses.
tap_is "$(slurm_do sbatch --parsable --hold --job-nam=evil --output=/dev/null --wrap=true 2>&1 |
	{ read -r sid; SLURM_CONF=$SLURM_CONF squeue -h -j "$sid" -o %j; slurm_do scancel "$sid"; })" evil \
	"  (sbatch takes --job-nam= as --job-name=)"

write_conf "$GOOD"
"$SLUICE_BIN" serve --check --config "$T/sluice.conf" >"$T/check.out" 2>&1
tap_is $? 0 "serve --check accepts the liar's node" || tap_diag "$(cat "$T/check.out")"
disp_serve || tap_bail "the dispatcher does not start"
disp_wait_node hpc UP 30
tap_ok $? "the login node is UP" || tap_diag "$(tail -20 "$T/serve.log")"

wait_slurm_id() { # ID [SECONDS]
	local i s
	for ((i = 0; i < ${2:-30} * 10; i++)); do
		s=$(slurm_id_of "$1")
		[ -n "$s" ] && { echo "$s"; return 0; }
		sleep 0.1
	done
	return 1
}
# The account's sluice jobs in the cluster that are not over.
in_cluster() {
	SLURM_CONF=$SLURM_CONF squeue -h -u "$SLURM_USER" \
		-t PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED -o %j 2>/dev/null |
		grep -c '^sluice-'
}

# --- max_jobs under a burst: 5 jobs, max_jobs 2. ---
ids=()
for i in 1 2 3 4 5; do
	ids+=("$(submit_py "import time; time.sleep(2); print($i)")")
done
max=0
for ((k = 0; k < 600; k++)); do
	n=$(in_cluster)
	((n > max)) && max=$n
	done_n=0
	for id in "${ids[@]}"; do
		case "$(state_of "$id")" in PENDING | RUNNING) ;; *) done_n=$((done_n + 1)) ;; esac
	done
	((done_n == 5)) && break
	sleep 0.2
done
tap_ok "$((max > 2))" "a burst of 5: never more than max_jobs (2) in the cluster (at most $max seen)"
ok=0
for id in "${ids[@]}"; do
	[ "$(state_of "$id")" = COMPLETED ] && ok=$((ok + 1))
done
tap_is "$ok" 5 "  and all 5 COMPLETED"

# --- sbatch queues the job, then fails (its answer lost). ---
mk "$liar/orphans"
touch "$liar/sbatch-timeout"
# Long enough that the orphan is still queued or running when the sweep
# comes, on a loaded machine too.
id=$(submit_py 'import time; time.sleep(15); print("once")' '{"limits": {"wall_seconds": 60}}')
job=$(wait_job "$id" 120)
tap_is "$(jq -r .state <<<"$job")" COMPLETED "sbatch fails after queueing: the job still ends (attempt $(jq -r .attempts <<<"$job"))" ||
	diag_job "$id"
orphan=$(head -1 "$liar/orphans")
tap_like "$orphan" '^[0-9]+$' "  the liar queued SLURM job $orphan and said it failed"
st=$(slurm_wait_state "$orphan" 'CANCELLED|COMPLETED|FAILED|TIMEOUT' 30)
tap_is "$st" CANCELLED "  the orphan SLURM job is cancelled, not left to run [HOLE if not: it ended $st]" ||
	tap_diag "scancels: $(tr '\n' ';' <"$liar/scancels" 2>/dev/null)"

# --- sbatch queues the job, then prints 100 kB. ---
mk "$liar/orphans"
touch "$liar/sbatch-flood"
id=$(submit_py 'import time; time.sleep(2); print("flood")')
job=$(wait_job "$id" 120)
tap_is "$(jq -r .state <<<"$job")" COMPLETED "sbatch floods its output after queueing: the job still ends (attempt $(jq -r .attempts <<<"$job"))" ||
	diag_job "$id"
orphan=$(head -1 "$liar/orphans")
st=$(slurm_wait_state "$orphan" 'CANCELLED|COMPLETED|FAILED|TIMEOUT' 30)
tap_is "$st" CANCELLED "  its SLURM job $orphan is cancelled, not left to run [HOLE if not: it ended $st]"

# --- An sbatch id that is another followed job's. ---
# A outlives the slowest wait below by far (it is cancelled at the end), so
# that "A is still RUNNING" says B's cancel left it alone, not that the
# machine was quick.
a=$(submit_py 'import time; print("A", flush=True); time.sleep(100)' '{"limits": {"wall_seconds": 120}}')
sa=$(wait_slurm_id "$a" 60)
wait_reason "$a" '^running on hpc' 60
echo "$sa" >"$liar/dup-id"
chown "$SLURM_USER:" "$liar/dup-id"
touch "$liar/sbatch-dup"
b=$(submit_py 'print("B")')
# Until B has a SLURM id, or its attempt was refused.
for ((k = 0; k < 600; k++)); do
	sb=$(slurm_id_of "$b")
	[ -n "$sb" ] && break
	[[ "$(api GET "/v1/jobs/$b" | jq -r .reason)" =~ "which is job" ]] && break
	sleep 0.1
done
api DELETE "/v1/jobs/$b" >/dev/null
rm -f "$liar/sbatch-dup"
tap_isnt "$sb" "$sa" "job B is not given job A's SLURM id $sa [HOLE if it is]" || diag_job "$b"
tap_like "$(api GET "/v1/jobs/$b" | jq -r .reason)" "which is job $a's" "  its attempt is refused, and the reason says why" ||
	diag_job "$b"
wait_job "$b" 60 >/dev/null
sleep 2
tap_is "$(state_of "$a")" RUNNING "  and cancelling B leaves A running [HOLE if not]" || diag_job "$a"
api DELETE "/v1/jobs/$a" >/dev/null
wait_job "$a" 60 >/dev/null

# --- COMPLETED, and no result. ---
touch "$liar/sbatch-fake"
id=$(submit_py 'print("never run")')
job=$(wait_job "$id" 60)
rm -f "$liar/sbatch-fake"
tap_is "$(jq -r .state <<<"$job")" FAILED "SLURM says COMPLETED, no result.json: FAILED (defended)" || diag_job "$id"
tap_like "$(jq -r .reason <<<"$job")" 'without a result' "  the reason says so"
tap_is "$(jq -r .attempts <<<"$job")" 2 "  after its attempts"

# --- A restart after an sbatch whose id was never read; scancel fails. ---
rm -f "$liar/hung-id"
mk "$liar/sbatch-args"
touch "$liar/sbatch-hang"
# Long enough that the restarted daemon finds it still in the cluster,
# on a loaded machine too.
id=$(submit_py 'import time; time.sleep(15); print("restart")' '{"limits": {"wall_seconds": 60}}')
for ((k = 0; k < 300; k++)); do
	[ -s "$liar/hung-id" ] && break
	sleep 0.05
done
hung=$(cat "$liar/hung-id" 2>/dev/null)
disp_stop KILL
tap_like "$hung" '^[0-9]+$' "sbatch queued SLURM job $hung; the daemon is killed before it reads the id"
touch "$liar/scancel-fail"
disp_serve || tap_bail "the dispatcher does not start again"
# What the cluster runs for this job meanwhile: "ID:STATE" changes.
seen=
for ((k = 0; k < 600; k++)); do
	now=$(SLURM_CONF=$SLURM_CONF squeue -h -u "$SLURM_USER" --states=all -n "sluice-$id" -o '%i:%T' 2>/dev/null | sort | tr '\n' ' ')
	[ "$now" != "${seen##*| }" ] && seen="$seen| $now"
	case "$(state_of "$id")" in PENDING | RUNNING) sleep 0.1 ;; *) break ;; esac
done
tap_diag "the cluster's jobs sluice-$id over time: $seen"
job=$(wait_job "$id" 120)
rm -f "$liar/scancel-fail"
tap_is "$(jq -r .state <<<"$job")" COMPLETED "  the job ends after the restart (attempt $(jq -r .attempts <<<"$job"))" ||
	diag_job "$id"
# The unrecorded job is adopted: it is the attempt, nothing runs beside it.
tap_is "$(jq -r '[.slurm_job_id, .attempts] | @tsv' <<<"$job")" "$(printf '%s\t1' "$hung")" \
	"  the unrecorded SLURM job $hung is adopted as attempt 1, not cancelled and submitted again (was a HOLE)" ||
	tap_diag "scancels: $(tr '\n' ';' <"$liar/scancels")"
tap_is "$(grep -c -- "--job-name=sluice-$id " "$liar/sbatch-args")" 1 "  one sbatch for the job"
dirs=$(grep -o -- "--chdir=[^ ]*jobs/$id\.[0-9]*" "$liar/sbatch-args" | sort | uniq -d)
tap_is "$dirs" "" "  no two sbatch calls share a job directory [HOLE if: $dirs]" ||
	tap_diag "sbatch: $(grep -o -- '--chdir=[^ ]*' "$liar/sbatch-args" | tr '\n' ' ')"

# --- A cancel right after the submission (before the SLURM id is known). ---
id=$(submit_py 'import time; time.sleep(30)')
api DELETE "/v1/jobs/$id" >/dev/null
job=$(wait_job "$id" 60)
tap_is "$(jq -r .state <<<"$job")" CANCELLED "a cancel at once after the submission: CANCELLED" || diag_job "$id"
for ((k = 0; k < 300; k++)); do
	left=$(SLURM_CONF=$SLURM_CONF squeue -h -u "$SLURM_USER" --states=all -n "sluice-$id" -o %T 2>/dev/null |
		grep -v -x -E 'CANCELLED|COMPLETED|FAILED' | tr '\n' ' ')
	[ -z "$left" ] && break
	sleep 0.1
done
tap_is "$left" "" "  nothing of it stays in the cluster (defended)"

# --- squeue says NODE_FAIL while attempt 1 runs on: attempt 2's result. ---
id=$(submit_py 'import time; print("start", flush=True); time.sleep(6); print("end")' '{"limits": {"wall_seconds": 60}}')
wait_reason "$id" '^running on hpc' 60
s1=$(slurm_id_of "$id")
echo "$s1" >"$liar/nodefail"
chown "$SLURM_USER:" "$liar/nodefail"
for ((k = 0; k < 300; k++)); do
	[ "$(api GET "/v1/jobs/$id" | jq -r .attempts)" = 2 ] && break
	sleep 0.1
done
rm -f "$liar/nodefail"
job=$(wait_job "$id" 120)
tap_is "$(jq -r '[.state, .attempts, (.stdout | gsub("\n"; " "))] | @tsv' <<<"$job")" "$(printf 'COMPLETED\t2\tstart end ')" \
	"a lying NODE_FAIL for attempt 1: requeued, attempt 2's result (defended)" || diag_job "$id"
tap_isnt "$(jq -r .slurm_job_id <<<"$job")" "$s1" "  from a new SLURM job"
st=$(slurm_wait_state "$s1" 'CANCELLED|COMPLETED|FAILED' 30)
tap_like "$st" '^(CANCELLED|COMPLETED|FAILED)$' "  attempt 1's SLURM job is over ($st)"

# --- squeue's output far over its cap for a while. ---
id=$(submit_py 'import time; time.sleep(3); print("flooded")')
wait_reason "$id" '^(running|pending) ' 60
touch "$liar/squeue-flood"
sleep 4
rm -f "$liar/squeue-flood"
job=$(wait_job "$id" 60)
tap_is "$(jq -r '[.state, .attempts, (.stdout | rtrimstr("\n"))] | @tsv' <<<"$job")" "$(printf 'COMPLETED\t1\tflooded')" \
	"16 MB from squeue: nothing decided on it, COMPLETED on attempt 1 (defended)" || diag_job "$id"
tap_like "$(cat "$T/serve.log")" "squeue: output of .* is larger than" "  logged"

# --- A restart once squeue has forgotten a finished job (no sacct). ---
id=$(submit_py 'import time; time.sleep(2); print("forgotten")')
wait_reason "$id" '^running on hpc' 60
sid=$(slurm_id_of "$id")
disp_stop KILL
slurm_wait_state "$sid" COMPLETED 60 >/dev/null
echo "$sid" >"$liar/forget"
chown "$SLURM_USER:" "$liar/forget"
disp_serve || tap_bail "the dispatcher does not start again"
job=$(wait_job "$id" 60)
rm -f "$liar/forget"
tap_is "$(jq -r '[.state, .attempts, (.stdout | rtrimstr("\n"))] | @tsv' <<<"$job")" "$(printf 'COMPLETED\t1\tforgotten')" \
	"a restart, squeue no longer knows the id, sacct disabled: its result.json is collected (defended)" || diag_job "$id"

# --- A squeue that never ends: a byte of stderr a second. ---
id=$(submit_py 'import time; print("up", flush=True); time.sleep(60)' '{"limits": {"wall_seconds": 90}}')
wait_reason "$id" '^running on hpc' 60
sid=$(slurm_id_of "$id")
touch "$liar/squeue-trickle"
sleep 3
api DELETE "/v1/jobs/$id" >/dev/null
job=$(wait_job "$id" 40)
tap_is "$(jq -r .state <<<"$job")" CANCELLED "a squeue that trickles forever (each run cut at twice io_timeout): a cancel still ends the job within 40 s (was a HOLE)" ||
	{ diag_job "$id"; tap_diag "node: $(api GET /v1/nodes/hpc | jq -c '{state, reason}')"; }
tap_is "$(curl -s -o /dev/null -w '%{http_code}' "$DISP_URL/v1/health")" 200 "  the daemon answers"
rm -f "$liar/squeue-trickle"
job=$(wait_job "$id" 60)
tap_is "$(jq -r .state <<<"$job")" CANCELLED "  once squeue ends, CANCELLED"
tap_like "$(slurm_wait_state "$sid" 'CANCELLED|COMPLETED' 30)" '^(CANCELLED|COMPLETED)$' "  and its SLURM job is over"

disp_stop
tap_is "${DISP_STATUS:-1}" 0 "the dispatcher stops cleanly"
tap_done
