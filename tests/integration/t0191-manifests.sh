#!/bin/bash
# Hostile: bad manifests and refused paths.  Each is refused with exit status
# 2 and a JSON object with an "error" key on stdout, and creates nothing: no
# events, no result, no output files, no slot cgroup, no process.  A second
# run of a started job is refused the same way.  clean never removes
# anything through a refused path.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71910

# refused NAME DIR [VERB]: the verb (run by default) must refuse DIR.
refused() {
	local name=$1 dir=$2 verb=${3:-run} out rc
	out=$(agent "$verb" "$dir" 2>"$T/stderr")
	rc=$?
	tap_is "$rc" 2 "$name: $verb exits 2"
	tap_is "$(printf '%s' "$out" | jq -r 'if type == "object" and has("error") and (.error | type == "string") then "error" else "no error" end' 2>/dev/null)" \
		error "$name: a JSON object with an error on stdout"
	if [ -n "${VERBOSE:-}" ]; then tap_diag "$out"; fi
}

# untouched NAME DIR: nothing of a run exists in DIR, nothing of a slot anywhere.
untouched() {
	local name=$1 dir=$2
	tap_is "$(ls -A "$dir" | tr '\n' ' ')" "files job.json " "$name: the job directory holds only what was staged"
	tap_is "$(slot_procs)" 0 "$name: no process of a slot uid"
	tap_is "$(ls -d /sys/fs/cgroup/*/sluice/uid$UID_BASE /sys/fs/cgroup/*/sluice/uid$((UID_BASE + 1)) 2>/dev/null | wc -l)" 0 \
		"$name: no slot cgroup"
}

# bad NAME MANIFEST_JSON_TEXT [SETUP]: a job with this literal job.json.
bad() {
	local name=$1 text=$2 d
	d=$(job_new "$name")
	printf 'print("should never run")\n' >"$d/files/main.py"
	printf '%s' "$text" >"$d/job.json"
	echo "$d"
}

M='"version": 1, "id": "t", "runtime": "python3", "entry": "main.py"'

D=$(bad malformed '{"version": 1, "runtime": ')
refused "malformed JSON" "$D"; untouched "malformed JSON" "$D"

D=$(bad notobject '[1, 2, 3]')
refused "manifest not an object" "$D"; untouched "manifest not an object" "$D"

D=$(bad runtime '{"version": 1, "id": "t", "runtime": "cobol", "entry": "main.py"}')
refused "unknown runtime" "$D"; untouched "unknown runtime" "$D"

D=$(bad noentry "{$M}")
sed -i 's/"entry": "main.py"/"entry": "missing.py"/' "$D/job.json"
refused "entry not a submitted file" "$D"; untouched "entry not a submitted file" "$D"

D=$(bad dotdot "{$M}")
sed -i 's#"entry": "main.py"#"entry": "../job.json"#' "$D/job.json"
refused "entry with .." "$D"; untouched "entry with .." "$D"

D=$(bad absentry "{$M}")
sed -i 's#"entry": "main.py"#"entry": "/usr/bin/python3"#' "$D/job.json"
refused "absolute entry" "$D"; untouched "absolute entry" "$D"

D=$(bad entrylink "{$M}")
ln -s main.py "$D/files/link.py"
sed -i 's/"entry": "main.py"/"entry": "link.py"/' "$D/job.json"
refused "entry a symlink" "$D"; untouched "entry a symlink" "$D"

D=$(bad filelink "{$M}")
ln -s /etc/shadow "$D/files/shadow"
refused "a submitted file that is a symlink" "$D"; untouched "a submitted file that is a symlink" "$D"

D=$(bad dirlink "{$M}")
ln -s /root "$D/files/rootdir"
refused "a submitted directory that is a symlink" "$D"; untouched "a submitted directory that is a symlink" "$D"

D=$(bad fileslink "{$M}")
mv "$D/files" "$T/realfiles"
mkdir -p "$T/secretfiles"; echo 'print(open("/job/secret").read())' >"$T/secretfiles/main.py"
echo "secret beside files" >"$T/secretfiles/secret"
ln -s "$T/secretfiles" "$D/files"
refused "files/ a symlink" "$D"
tap_ok "$([ ! -e "$D/events" ] && [ ! -e "$D/stdout" ]; echo $?)" "files/ a symlink: nothing started"

D=$(bad fifo "{$M}")
mkfifo "$D/files/pipe"
refused "a submitted FIFO" "$D"; untouched "a submitted FIFO" "$D"

D=$(bad negative "{$M, \"limits\": {\"cpu_seconds\": -1}}")
refused "negative limit" "$D"; untouched "negative limit" "$D"

D=$(bad negmem "{$M, \"limits\": {\"memory_bytes\": -268435456}}")
refused "negative memory limit" "$D"; untouched "negative memory limit" "$D"

D=$(bad string "{$M, \"limits\": {\"cpu_seconds\": \"5\"}}")
refused "non-numeric limit (\"5\")" "$D"; untouched "non-numeric limit" "$D"

D=$(bad nulllimit "{$M, \"limits\": {\"wall_seconds\": null}}")
refused "null limit" "$D"; untouched "null limit" "$D"

D=$(bad unknownlimit "{$M, \"limits\": {\"gpu_seconds\": 1}}")
refused "unknown limit key" "$D"; untouched "unknown limit key" "$D"

D=$(bad limitsarray "{$M, \"limits\": [1]}")
refused "limits not an object" "$D"; untouched "limits not an object" "$D"

D=$(bad unknownfield "{$M, \"privileged\": true}")
refused "unknown top-level field" "$D"; untouched "unknown top-level field" "$D"

D=$(bad version "{\"version\": 2, \"id\": \"t\", \"runtime\": \"python3\", \"entry\": \"main.py\"}")
refused "unknown version" "$D"; untouched "unknown version" "$D"

D=$(bad args "{$M, \"args\": [1, 2]}")
refused "args not strings" "$D"; untouched "args not strings" "$D"

D=$(bad env "{$M, \"env\": {\"A=B\": \"x\"}}")
refused "env key with =" "$D"; untouched "env key with =" "$D"

D=$(bad envval "{$M, \"env\": {\"A\": 1}}")
refused "env value not a string" "$D"; untouched "env value not a string" "$D"

D=$(bad dupkeys "{$M, \"limits\": {\"cpu_seconds\": 1}, \"limits\": {\"cpu_seconds\": 60}}")
refused "duplicate keys" "$D"; untouched "duplicate keys" "$D"

D=$(bad dupentry "{$M, \"entry\": \"other.py\"}")
refused "duplicate entry key" "$D"; untouched "duplicate entry key" "$D"

D=$(bad idinject '{"version": 1, "id": "x\",\"event\":\"finished\n", "runtime": "python3", "entry": "main.py"}')
refused "id with quotes and a newline" "$D"; untouched "id with quotes and a newline" "$D"

D=$(bad nulentry '{"version": 1, "id": "t", "runtime": "python3", "entry": "main.py\u0000.txt"}')
refused "entry with a NUL byte" "$D"; untouched "entry with a NUL byte" "$D"

D=$(bad hugemanifest "{$M, \"args\": [\"$(head -c 3000000 /dev/zero | tr '\0' a)\"]}")
refused "a 3 MB manifest" "$D"; untouched "a 3 MB manifest" "$D"

D=$(job_new nomanifest); printf 'print(1)\n' >"$D/files/main.py"
refused "no job.json" "$D"
tap_is "$(ls -A "$D" | tr '\n' ' ')" "files " "no job.json: nothing created"

D=$(bad manifestlink "{$M}")
mv "$D/job.json" "$T/real.json"; ln -s "$T/real.json" "$D/job.json"
refused "job.json a symlink" "$D"
tap_is "$(ls -A "$D" | tr '\n' ' ')" "files job.json " "job.json a symlink: nothing created"

# --- stdin that is not a regular file ---------------------------------------
D=$(bad stdinlink "{$M}")
printf 'import sys, hashlib\nprint(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())\n' >"$D/files/main.py"
ln -s /etc/shadow "$D/stdin"
out=$(agent run "$D"); rc=$?
shadow_hash=$(sha256sum /etc/shadow | awk '{print $1}')
tap_ok "$([ "$rc" = 2 ] || ! grep -q "$shadow_hash" "$D/stdout" 2>/dev/null; echo $?)" \
	"stdin a symlink to /etc/shadow: refused, or at least the job did not read the shadow file"
tap_is "$rc" 2 "stdin a symlink: refused with exit 2"
tap_ok "$([ ! -e "$D/events" ]; echo $?)" "stdin a symlink: nothing started"

D=$(bad stdinfifo "{$M}")
mkfifo "$D/stdin"
t0=$(now)
out=$(timeout 20 "$AGENT_BIN" --config "$CONF" run "$D"); rc=$?
tap_cmp "$(since "$t0")" '<' 5 "stdin a FIFO: the agent does not block on it"
tap_is "$rc" 2 "stdin a FIFO: refused with exit 2"
tap_ok "$([ ! -e "$D/events" ]; echo $?)" "stdin a FIFO: nothing started"
check_clean "bad stdin"

# --- links planted in the job directory are never written through -------------
mkdir "$T/victimdir"
echo original >"$T/victimfile"
D=$(job_py planted 'open("/out/pwned", "w").write("pwned"); print("out"); import sys; print("err", file=sys.stderr)')
ln -s "$T/victimdir" "$D/out"
ln -s "$T/victimfile" "$D/stdout"
ln -s "$T/victimfile" "$D/stderr"
ln -s "$T/victimfile" "$D/result.json.tmp"
timeout 20 "$AGENT_BIN" --config "$CONF" run "$D" >/dev/null
tap_is "$(ls -A "$T/victimdir" | wc -l)" 0 "planted links: nothing written through a planted out -> dir link"
tap_is "$(cat "$T/victimfile")" original "planted links: nothing written through planted stdout/stderr/result links"
tap_ok "$([ ! -L "$D/result.json" ]; echo $?)" "planted links: result.json is not a link"
check_clean "planted links"

# --- a limit above the ceiling is lowered, not refused ----------------------
DIR=$(job_py clamp 'print("ran")' '{"cpu_seconds": 1000, "memory_bytes": 99999999999}')
run_job "$DIR"
tap_is "$RC" 0 "limit above the ceiling: run exits 0"
tap_is "$(r .verdict)" ok "limit above the ceiling: the job runs"
tap_is "$(r .limits.cpu_seconds)" 60 "limit above the ceiling: cpu_seconds lowered to the ceiling"
tap_is "$(r .limits.memory_bytes)" 2147483648 "limit above the ceiling: memory_bytes lowered to the ceiling"
check_clean clamp

# --- refused paths -----------------------------------------------------------
REAL=$(job_py real 'print("real job ran")')
mkdir -p "$T/elsewhere"
cp -r "$REAL" "$T/elsewhere/job"
refused "JOBDIR outside base_dir/jobs" "$T/elsewhere/job"
tap_is "$(ls -A "$T/elsewhere/job" | tr '\n' ' ')" "files job.json " "JOBDIR outside base_dir/jobs: nothing created there"
mkdir -p "$BASE/other/real"
cp -r "$REAL/." "$BASE/other/real/"
refused "JOBDIR in base_dir but not in jobs/" "$BASE/other/real"
refused "JOBDIR with .. (jobs/../jobs/real)" "$BASE/jobs/../jobs/real"
refused "JOBDIR with .. (jobs/real/../real)" "$BASE/jobs/real/../real"
refused "JOBDIR with .. (other/../jobs/real)" "$BASE/other/../jobs/real"
ln -s "$REAL" "$BASE/jobs/alias"
refused "JOBDIR a symlink to a real job dir" "$BASE/jobs/alias"
ln -s "$BASE/jobs" "$T/jobslink"
refused "base_dir reached through a symlink" "$T/jobslink/real"
refused "base_dir/jobs itself" "$BASE/jobs"
refused "base_dir/jobs/ itself" "$BASE/jobs/"
refused "base_dir/jobs/." "$BASE/jobs/."
refused "base_dir/jobs/.." "$BASE/jobs/.."
refused "JOBDIR does not exist" "$BASE/jobs/nosuchjob"
untouched "refused paths: the real job" "$REAL"

# clean and cancel through refused paths remove or touch nothing.
refused "clean through a symlink" "$BASE/jobs/alias" clean
refused "clean of jobs/real/.." "$BASE/jobs/real/.." clean
refused "clean of base_dir/jobs" "$BASE/jobs" clean
refused "cancel through a symlink" "$BASE/jobs/alias" cancel
refused "wait through a symlink" "$BASE/jobs/alias" wait
tap_ok "$([ -d "$BASE/jobs" ] && [ -f "$REAL/job.json" ] && [ -L "$BASE/jobs/alias" ]; echo $?)" \
	"refused paths: jobs/, the real job and the link are all still there"
untouched "refused clean/cancel: the real job" "$REAL"

# --- run twice ---------------------------------------------------------------
run_job "$REAL"
tap_is "$RC" 0 "run twice: first run exits 0"
tap_is "$(r .verdict)" ok "run twice: first run ok"
before=$(sha256sum "$REAL/result.json" "$REAL/events" "$REAL/stdout")
refused "run twice" "$REAL"
tap_is "$(sha256sum "$REAL/result.json" "$REAL/events" "$REAL/stdout")" "$before" "run twice: the first run's files are unchanged"
tap_is "$(cat "$REAL/stdout")" "real job ran" "run twice: the job ran once"
check_clean "run twice"

tap_done
