#!/bin/bash
# SLURM's habits in the sluice CLI, each used as a script uses it (the -h
# and --parsable output cut into fields), against the real daemon and two
# real sshd nodes: submit -J and the NAME column; list -t with several
# states, -j ids, -n names, --label, -u, --me, --since and --until,
# -o/--format (both of squeue's ways) and SLUICE_FORMAT, -i/--iterate;
# cancel by state, name, label and --me (--all for everything, never by
# mistake); nodes with LABELS and LAST_SEEN, and -R; a pending job's TIME
# of 0:00, after a requeue too; the reason a job waits (busy, quota,
# drained, down, no node with its labels).  And the boundaries: what the
# API refuses in a listing's query, and a cancel that never acts on a job
# its filters do not select, even when the dispatcher ignores them.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

command -v jq >/dev/null || tap_skip_all "no jq"
disp_setup 88900 2 2
# Tenant beta may have one job running: the quota reason.
sed -i 's/{ name = "beta";  sha256 = "\([0-9a-f]*\)"; role = "submit"; }/{ name = "beta"; sha256 = "\1"; role = "submit"; max_running = 1; }/' "$T/sluice.conf"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "both nodes UP"

S=$SLUICE_BIN
export SLUICE_SERVER=$DISP_URL
export SLUICE_TOKEN=$TOKEN_A
unset SLUICE_FORMAT

# run ARGS...: the CLI with ARGS; $rc, and its output in $T/out and $T/err.
run() {
	"$S" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
out() { cat "$T/out"; }
err() { cat "$T/err"; }
# ids FILE: the job ids of cancel's lines ("job 12: cancelled"), sorted.
cancelled_ids() { sed -n 's/^job \([0-9][0-9]*\): .*/\1/p' "$T/out" | sort -n | tr '\n' ' '; }
# count_jobs [TOKEN]: how many jobs the token sees.
count_jobs() { api GET "/v1/jobs?limit=1000" "" "${1:-$TOKEN_A}" | jq '.jobs | length'; }
sorted() { printf '%s\n' "$@" | sort -n | tr '\n' ' '; }
# seconds M:SS or H:MM:SS: TIME in seconds.
seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' <<<"$1"; }

echo 'print("hello")' >"$T/hello.py"
printf 'import time\ntime.sleep(100)\n' >"$T/long.py"

# --- submit -J / --name: a job's name, in the job, status and list.
h1=$("$S" submit -J train "$T/hello.py")
tap_like "$h1" '^[0-9]+$' "submit -J prints the id"
h2=$("$S" submit --name eval "$T/hello.py")
sleep 0.3
mid=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 0.3
h3=$("$S" submit "$T/hello.py")
for id in "$h1" "$h2" "$h3"; do wait_job "$id" 30 >/dev/null; done
tap_is "$(api GET "/v1/jobs/$h1" | jq -r .name)/$(api GET "/v1/jobs/$h3" | jq -r .name)" "train/null" \
	"the API's job has the name (null without one)"
run status "$h2"
tap_is "$(sed -n 's/^JobName: //p' "$T/out")" eval "status: JobName"
n0=$(count_jobs)
for bad in 'a b' 'a,b' 'x|y' '..' "$(printf 'n%.0s' $(seq 1 65))" ''; do
	run submit -J "$bad" "$T/hello.py"
	tap_is "$rc" 64 "submit -J '$bad' is a usage error (64)"
done
tap_is "$(count_jobs)" "$n0" "and nothing was submitted"
api POST /v1/jobs '{"runtime": "python3", "source": "1", "name": "a b"}' >"$T/out"
tap_is "$(http_status)/$(jq -r .field "$T/out")" 422/name "the API refuses a name that is not a token (422, field name)"
tap_is "$(count_jobs)" "$n0" "and creates nothing"
arr=$("$S" submit --array 0-1 -J arr "$T/hello.py" | sort -n | tr '\n' ' ')
run list -h --parsable -o %i -n arr
tap_is "$(sort -n "$T/out" | tr '\n' ' ')" "$arr" "an array's tasks all take its name"

# --- list: the NAME column, parsed.
run list
tap_is "$rc/$(head -1 "$T/out" | awk '{$1 = $1} 1')" "0/JOBID NAME TENANT RUNTIME ST TIME NODE(REASON)" \
	"list's header has NAME after JOBID, as squeue's"
run list -h --parsable -j "$h1,$h3"
tap_like "$(sed -n 1p "$T/out")" "^$h3\|\|alpha\|python3\|CD\|[0-9]+:[0-9]{2}\|node[12]$" \
	"a job without a name: an empty field"
tap_like "$(sed -n 2p "$T/out")" "^$h1\|train\|alpha\|python3\|CD\|[0-9]+:[0-9]{2}\|node[12]$" \
	"a named job, newest first"
tap_is "$(awk -v id="$h3" '$1 == id {print $2}' <("$S" list -h))" "-" "aligned, no name shows -"

# --- nodes: LABELS and LAST_SEEN.
run nodes
tap_is "$rc/$(head -1 "$T/out" | awk '{$1 = $1} 1')" "0/NODE STATE SLOTS BUSY RUNTIMES LABELS LAST_SEEN REASON" \
	"nodes: the header has LABELS and LAST_SEEN"
run nodes -h --parsable
tap_like "$(grep '^node1|' "$T/out")" '^node1\|UP\|2\|0\|python3\|n1\|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\|$' \
	"nodes --parsable: node1's labels and when it was last seen"
tap_is "$(cut -d'|' -f6 "$T/out" | tr '\n' ' ')" "n1 n2 " "each node's labels"
run nodes -R -h
tap_is "$rc/$(out)" "0/" "nodes -R: nothing while every node is UP"

# --- A full node: two long jobs, a third waits.
s1=$("$S" submit -J sweep --label n1 --wall 110 "$T/long.py")
s2=$("$S" submit -J sweep --label n1 --wall 110 "$T/long.py")
wait_state "$s1" RUNNING && wait_state "$s2" RUNNING
tap_ok $? "two jobs fill node1"
p=$("$S" submit -J keep --label n1 "$T/hello.py")
sleep 0.5
run list -h --parsable -o '%i %t %M %R' -j "$p"
tap_is "$(out)" "$p|PD|0:00|(waiting for a free slot: every node offering 'python3' is busy (node1 busy 2/2))" \
	"a pending job: PD, 0:00, and why it waits: the busy node and its slots"

# --- list -t: several states, as a list or repeated, names or codes.
run list -h --parsable -o %i -t R,PD
tap_is "$(sort -n "$T/out" | tr '\n' ' ')" "$(sorted "$s1" "$s2" "$p")" "list -t R,PD: the running and the pending jobs"
run list -h --parsable -o %i -t pd -t running
tap_is "$(sort -n "$T/out" | tr '\n' ' ')" "$(sorted "$s1" "$s2" "$p")" "list -t repeated, any case"
run list -h --parsable -o %i --states=PENDING
tap_is "$(out)" "$p" "list --states=PENDING"
run list -h --parsable -o %i -t all -j "$h1"
tap_is "$(out)" "$h1" "-t all filters nothing"
run list -t R,DONE
tap_is "$rc" 64 "a state that is not one is 64"
tap_like "$(err)" "'DONE' is not a job state" "and named"
tap_is "$(api GET '/v1/jobs?state=PENDING&state=RUNNING' | jq -r '[.jobs[].id | tonumber] | sort | map(tostring) | join(" ")') " \
	"$(sorted "$s1" "$s2" "$p")" "the API takes state= repeated"
tap_is "$(api GET '/v1/jobs?state=PENDING,RUNNING' | jq '.jobs | length')" 3 "and comma-separated"

# --- list -j: ids.
run list -h --parsable -o %i -j "$h1,$h2" -j "$h3"
tap_is "$(out | tr '\n' ' ')" "$h3 $h2 $h1 " "list -j: those jobs, newest first"
run list -j "$h1,x"
tap_is "$rc" 64 "list -j with a bad id is 64"
run list -h --parsable -o %i -j 999999
tap_is "$rc/$(out)" "0/" "an id that is no job lists nothing"

# --- list -o: squeue's two ways, and SLUICE_FORMAT.
run list -o "%i %j %T %M %R" -j "$h1"
tap_is "$(head -1 "$T/out" | awk '{$1 = $1} 1')" "JOBID NAME STATE TIME NODE(REASON)" "-o '%i %j %T %M %R': squeue's letters"
tap_like "$(sed -n 2p "$T/out")" "^ *$h1 +train +COMPLETED +[0-9]+:[0-9]{2} +node[12]$" "  and the cells"
run list --format id,name,state,time,reason --parsable -j "$h1"
tap_is "$(head -1 "$T/out")" "JOBID|NAME|STATE|TIME|REASON" "--format id,name,state,time,reason: names"
run list -o 'JobID,UserName,Partition,StateCompact,ReasonList' -h --parsable -j "$p"
tap_like "$(out)" "^$p\|alpha\|python3\|PD\|\(waiting for a free slot" "squeue -O's names, any case"
run list -o '%.12i %j' -j "$h1"
tap_is "$(sed -n 2p "$T/out" | cut -c1-12)" "$(printf '%12s' "$h1")" "%.12i: right-justified in 12 columns"
run list -o 'labels,attempts,verdict,exit_code' -h --parsable -j "$s1,$h1"
tap_is "$(out | tr '\n' ' ')" "n1|1|| |1|ok|0 " "labels, attempts, verdict, exit_code"
for bad in '%i|%j' '%q' 'id,nope' '%' '%999i' 'id:x'; do
	run list -o "$bad"
	tap_is "$rc/$(out)" "64/" "-o '$bad' is 64, and prints nothing"
done
tap_like "$(err)" "'id:x'" "the message quotes the format"
SLUICE_FORMAT='%i %T' run list -h --parsable -j "$h1"
tap_is "$(out)" "$h1|COMPLETED" "SLUICE_FORMAT is the default format"
SLUICE_FORMAT='%i %T' run list -h --parsable -o '%j' -j "$h1"
tap_is "$(out)" "train" "-o wins over SLUICE_FORMAT"
SLUICE_FORMAT='%i|%T' run list -h
tap_is "$rc" 64 "a bad SLUICE_FORMAT is 64"
tap_like "$(err)" 'SLUICE_FORMAT' "and the message names the variable"
SLUICE_FORMAT='%i|%T' run list --json -j "$h1"
tap_is "$rc/$(jq -r '.jobs[0].name' "$T/out")" "0/train" "--json needs no format (SLUICE_FORMAT unread)"
run list --json -o %i
tap_is "$rc" 64 "--json and -o exclude each other"
run list --helpformat
tap_like "$(out)" '%j +name +NAME' "--helpformat lists the fields"
tap_like "$(out)" 'also jobname' "  and squeue -O's names for them"

# --- list -n, --label, -u.
run list -h --parsable -o %i -n sweep
tap_is "$(sort -n "$T/out" | tr '\n' ' ')" "$(sorted "$s1" "$s2")" "list -n sweep"
run list -h --parsable -o %i -n train,eval
tap_is "$(out | tr '\n' ' ')" "$h2 $h1 " "list -n train,eval"
run list -n 'a&state=RUNNING'
tap_is "$rc" 64 "a name that is not one is 64 (nothing reaches the query)"
run list -h --parsable -o %i --label n1
tap_is "$(sort -n "$T/out" | tr '\n' ' ')" "$(sorted "$s1" "$s2" "$p")" "list --label n1"
run list -h --parsable -o %i --label n
tap_is "$(out)" "" "a label is matched whole"
SLUICE_TOKEN=$TOKEN_B run list -u alpha
tap_is "$rc" 77 "list -u of another tenant with a submit token is 77"
SLUICE_TOKEN=$TOKEN_ADMIN run list -h --parsable -o %i -u alpha -n train
tap_is "$(out)" "$h1" "the admin token lists -u alpha"
SLUICE_TOKEN=$TOKEN_ADMIN run list -h --parsable -o %i --user alpha -n train
tap_is "$(out)" "$h1" "  --user alpha, as squeue's"
# --me (squeue --me): the token's own tenant, which the admin token, that
# sees every tenant's jobs, needs to say.  Its job asks for node1, which
# the two sweep jobs fill: it waits until it is cancelled below.
m=$(SLUICE_TOKEN=$TOKEN_ADMIN "$S" submit -J mine --label n1 "$T/hello.py")
SLUICE_TOKEN=$TOKEN_ADMIN run list -h --parsable -o '%i %u'
tap_like "$(out)" "\|alpha" "the admin token lists alpha's jobs too (control)"
SLUICE_TOKEN=$TOKEN_ADMIN run list -h --parsable -o '%i %u' --me
tap_is "$rc/$(out)" "0/$m|ops" "list --me with the admin token: only its own tenant's (ops)"
run list -h --parsable -o %i --me -n train
tap_is "$rc/$(out)" "0/$h1" "list --me with alpha's token: alpha's"
tap_is "$(api GET /v1/whoami | jq -c .)" '{"tenant":"alpha","role":"submit"}' "GET /v1/whoami says whose the token is"
# A token that is not one, or not given as one, says nothing of whose any
# token is: 401 with the API's error shape ({"error": ...} and nothing
# else) and WWW-Authenticate: Bearer.  The header that is there decides
# (a bad Authorization is not made good by an X-Auth-Token), and a token
# in the path, which /v1 does not take, is 404 whether it is one or not.
# whoami_bad STATUS ERROR NAME [CURL ARGS...]: GET /v1/whoami with ARGS.
whoami_bad() {
	local want=$1 error=$2 name=$3 path=/v1/whoami code
	shift 3
	case "${1:-}" in /t/*) path=$1/v1/whoami; shift ;; esac
	code=$(curl -sS -o "$T/wb" -D "$T/wh" -w '%{http_code}' "$@" "$DISP_URL$path")
	tap_is "$code $(jq -c '[keys, .error]' "$T/wb" 2>&1)" "$want [[\"error\"],\"$error\"]" \
		"GET /v1/whoami, $name: $want with only an error"
	if grep -Eq 'alpha|beta|ops|tenant|role' "$T/wb"; then
		tap_ok 1 "  nothing of a tenant in it"
		tap_diag "$(cat "$T/wb")"
	else
		tap_ok 0 "  nothing of a tenant in it"
	fi
	if [ "$want" = 401 ]; then
		tap_is "$(tr -d '\r' <"$T/wh" | grep -i '^www-authenticate:')" "WWW-Authenticate: Bearer" \
			"  WWW-Authenticate: Bearer"
	fi
}
whoami_bad 401 "missing bearer token" "no token"
whoami_bad 401 "invalid token" "a wrong token" -H "Authorization: Bearer not-$TOKEN_A"
whoami_bad 401 "invalid token" "an empty Bearer" -H "Authorization: Bearer "
whoami_bad 401 "invalid token" "no scheme" -H "Authorization: $TOKEN_A"
whoami_bad 401 "invalid token" "another scheme" -H "Authorization: Basic $(printf 'alpha:%s' "$TOKEN_A" | base64 -w0)"
whoami_bad 401 "invalid token" "a space too many" -H "Authorization: Bearer  $TOKEN_A"
whoami_bad 401 "invalid token" "a wrong X-Auth-Token" -H "X-Auth-Token: not-$TOKEN_A"
whoami_bad 401 "invalid token" "a bad Authorization beside a good X-Auth-Token" \
	-H "Authorization: Basic x" -H "X-Auth-Token: $TOKEN_A"
whoami_bad 404 "no such resource" "an unknown token in the path" /t/not-$TOKEN_A
whoami_bad 404 "no such resource" "a real token in the path (the same answer)" /t/$TOKEN_A
whoami_bad 404 "no such resource" "a real token in the path, and a bad header" /t/$TOKEN_A -H "Authorization: Bearer x"
# The access log shows no token of these, good or bad.
if grep -F -e "$TOKEN_A" "$T/serve.log" >/dev/null; then
	tap_ok 1 "the log shows none of the tokens sent"
	tap_diag "$(grep -F -e "$TOKEN_A" "$T/serve.log" | head -3)"
else
	tap_ok 0 "the log shows none of the tokens sent"
fi
tap_like "$(grep -c 'access .*path=/t/-/v1/whoami status=404' "$T/serve.log")" '^[3-9]$' \
	"  (the path-token requests are logged as /t/-/v1/whoami)"
run list --me -u alpha
tap_is "$rc" 64 "--me and -u together are 64"
run list -u alpha --me
tap_is "$rc" 64 "  in either order"

# --- list --since, --until (submission times).
run list -h --parsable -o %i -j "$h1,$h2,$h3" --since "$mid"
tap_is "$(out)" "$h3" "--since TIME: submitted at TIME or later"
run list -h --parsable -o %i -j "$h1,$h2,$h3" --until "$mid"
tap_is "$(out | tr '\n' ' ')" "$h2 $h1 " "--until TIME: submitted before TIME"
run list -h --parsable -o %i -j "$h1,$h2,$h3" -S now-1h -E now
tap_is "$(out | wc -l)" 3 "-S now-1h -E now: the last hour"
run list -h --parsable -o %i -j "$h1,$h2,$h3" --since "$(date -d '-1 hour' +%Y-%m-%dT%H:%M:%S)"
tap_is "$(out | wc -l)" 3 "--since a local time"
run list -h --parsable -o %i --until now-1h
tap_is "$rc/$(out)" "0/" "--until now-1h: none"
run list --since tomorrowish
tap_is "$rc" 64 "a time that is not one is 64"
run list --since now --until now-1h
tap_is "$rc" 64 "--since after --until is 64"

# --- list -i: again and again until interrupted.
timeout -s INT 3.5 "$S" list -i 1 -h --parsable -o %i -j "$h1" >"$T/out" 2>"$T/err"
tap_cmp "$(wc -l <"$T/out")" ">=" 3 "list -i 1: the listing again every second"
tap_is "$(sort -u "$T/out")" "$h1" "  each time the same job"
timeout -s INT 2.5 "$S" list -i 1 -j "$h1" >"$T/out" 2>"$T/err"
tap_cmp "$(grep -cE '^[A-Z][a-z]{2} [A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}$' "$T/out")" ">=" 2 \
	"  with the time above each table, as squeue -i"
run list -i 0
tap_is "$rc" 64 "list -i 0 is 64"

# --- The API's listing query: every boundary.
for q in 'nmae=x' 'name=a%26state%3DRUNNING' 'name=' 'label=n1,n2' 'label=n1&label=n2' \
	'id=0' 'id=abc' 'id=1,,2' 'since=yesterday' 'since=2024-01-01&since=2024-01-02' \
	'until=2024-02-30' 'state=DONE' 'tenant=a/b' 'limit=0&limit=1'; do
	api GET "/v1/jobs?$q" >"$T/out"
	tap_is "$(http_status)" 400 "GET /v1/jobs?$q is 400"
done
tap_like "$(jq -r .error "$T/out")" 'limit' "  with a message naming the parameter"
api GET "/v1/jobs?id=$(seq -s, 1 1001)" >/dev/null
tap_is "$(http_status)" 400 "1001 ids are 400"
api GET "/v1/jobs?tenant=beta" >/dev/null
tap_is "$(http_status)" 403 "tenant= of another tenant with a submit token is 403"
tap_is "$(api GET "/v1/jobs?tenant=alpha&name=train" | jq -r '.jobs[].id')" "$h1" "tenant= of its own is fine"
tap_is "$(api GET "/v1/jobs?since=$mid&id=$h1,$h2,$h3" | jq -r '.jobs[].id')" "$h3" "since= on the API"

# --- The quota reason: beta runs one job at a time.
b1=$(SLUICE_TOKEN=$TOKEN_B "$S" submit --label n2 --wall 110 "$T/long.py")
wait_state "$b1" RUNNING "$TOKEN_B"
b2=$(SLUICE_TOKEN=$TOKEN_B "$S" submit --label n2 --wall 110 "$T/long.py")
sleep 0.5
SLUICE_TOKEN=$TOKEN_B run list -h --parsable -o '%i %t %r' -j "$b2"
tap_is "$(out)" "$b2|PD|tenant 'beta' is at its running quota (max_running 1)" \
	"a job held by its tenant's quota says so"
SLUICE_TOKEN=$TOKEN_ADMIN run list -h --parsable -o %i -u beta
tap_is "$(sort -n "$T/out" | tr '\n' ' ')" "$(sorted "$b1" "$b2")" "admin: list -u beta"

# --- A requeued job shows 0:00 while it waits again.
r=$("$S" submit -J requeue --label n2 --wall 110 "$T/long.py")
wait_state "$r" RUNNING
sleep 2.5
run list -h --parsable -o '%M' -j "$r"
tap_cmp "$(seconds "$(out)")" ">=" 2 "a running job's TIME counts"
node_stop node2
disp_wait_node node2 DOWN 20
tap_ok $? "node2 is lost"
wait_state "$r" PENDING
run list -h --parsable -o '%i %t %M %R' -j "$r"
tap_is "$(out)" "$r|PD|0:00|(every node offering 'python3' is down (node2 down))" \
	"requeued: PD, TIME 0:00 (not the lost attempt's), and the node is down"
tap_is "$(api GET "/v1/jobs/$r" | jq -r '[(.attempt_started_at | type), (.started_at | type)] | @tsv')" "$(printf 'null\tstring')" \
	"  attempt_started_at is null again; started_at keeps the first start"
node_start node2 "$NODE_PORT_node2"
disp_wait_node node2 UP 20
tap_ok $? "node2 is back"
for _ in $(seq 1 300); do
	# RUNNING comes with the node's "accepted", the attempt's start with
	# its "started" just after: wait for both.
	[ "$(api GET "/v1/jobs/$r" | jq -r '.state + "/" + (.attempts | tostring) + "/" + (.attempt_started_at | type)')" = RUNNING/2/string ] && break
	sleep 0.1
done
job=$(api GET "/v1/jobs/$r")
tap_is "$(printf '%s' "$job" | jq -r '.state + "/" + (.attempts | tostring)')" RUNNING/2 "it runs again, on its second attempt"
first=$(date -d "$(printf '%s' "$job" | jq -r .started_at)" +%s)
run list -h --parsable -o '%M' -j "$r"
tap_cmp "$(seconds "$(out)")" "<" "$(($(date +%s) - first - 2))" \
	"its TIME counts from the second attempt's start, not the first's"
tap_like "$(printf '%s' "$job" | jq -r '.attempt_started_at > .started_at')" true "  attempt_started_at is the later"

# --- Drained is not down.
SLUICE_TOKEN=$TOKEN_ADMIN run drain node2 --reason "disk swap"
tap_like "$rc/$(out)" '^0/node2: DRAINING \(disk swap\)$' "drain node2 while it runs jobs"
d=$("$S" submit -J drained --label n2 "$T/hello.py")
sleep 0.5
run list -h --parsable -o '%i %t %r' -j "$d"
tap_is "$(out)" "$d|PD|every node offering 'python3' is drained (node2 draining)" \
	"a job for a drained node says drained, not 'is up'"
run nodes -R --parsable
tap_is "$(head -1 "$T/out")" "NODE|STATE|LAST_SEEN|REASON" "nodes -R: sinfo -R's columns"
tap_like "$(sed -n 2p "$T/out")" '^node2\|DRAINING\|[0-9T:.-]+Z\|disk swap$' "  only the node that is not UP, with its reason"
tap_is "$(wc -l <"$T/out")" 2 "  and no other"
run nodes -R --json
tap_is "$(jq -r '[.nodes[].name] | join(",")' "$T/out")" node2 "nodes -R --json: the nodes not UP"

# --- No node with its labels: the configuration changed under a queued job.
disp_stop TERM
sed -i 's/labels = \[ "n2" \];/labels = [ "n9" ];/' "$T/sluice.conf"
disp_serve || tap_bail "the daemon does not start again"
disp_wait_node node1 UP 20
sleep 0.5
run list -h --parsable -o '%i %t %r' -j "$d"
tap_is "$(out)" "$d|PD|no node has all the labels requested (n2)" "no node has the job's labels: they are named"

# --- cancel: by filters, never everything by mistake.
run cancel
tap_is "$rc" 64 "cancel without an id, a filter or --all is 64"
run cancel -t CD
tap_is "$rc" 64 "cancel -t of an ended state is 64"
run cancel "$p" -n keep
tap_is "$rc" 64 "ids and filters together are 64"
run cancel --all -n keep
tap_is "$rc" 64 "--all with a filter is 64"
run cancel -t all
tap_is "$rc" 64 "cancel -t all, a filter that selects everything, is 64 (that takes --all)"
run cancel -n 'bad name'
tap_is "$rc" 64 "a bad name is 64"
tap_is "$(state_of "$p")/$(state_of "$s1")" PENDING/RUNNING "  and nothing was cancelled"
run cancel -t R -n keep
tap_is "$rc/$(out)" "0/" "cancel -t R -n keep: the pending one is not selected"
SLUICE_TOKEN=$TOKEN_ADMIN run cancel --me
tap_is "$rc/$(cancelled_ids)" "0/$m " "cancel --me with the admin token: its own tenant's job only"
tap_is "$(state_of "$m" "$TOKEN_ADMIN")/$(state_of "$p")" CANCELLED/PENDING "  alpha's pending job is left alone"
run cancel -t PD -n keep
tap_is "$rc/$(cancelled_ids)" "0/$p " "cancel -t PD -n keep: prints the one it cancelled"
tap_is "$(state_of "$p")" CANCELLED "  which is CANCELLED"
run cancel --label n2
tap_is "$rc/$(cancelled_ids)" "0/$(sorted "$r" "$d")" "cancel --label n2: alpha's jobs that asked for n2"
tap_is "$(state_of "$b1" "$TOKEN_B")" RUNNING "  beta's job with that label is not alpha's to cancel"
run cancel -n sweep
tap_is "$rc/$(cancelled_ids)" "0/$(sorted "$s1" "$s2")" "cancel -n sweep"
tap_like "$(out)" "cancel requested \((RUNNING|COMPLETING)\)|cancelled" "  running ones: cancel requested"
for id in "$s1" "$s2" "$r"; do wait_job "$id" 30 >/dev/null; done
tap_is "$(state_of "$s1")/$(state_of "$s2")/$(state_of "$r")" CANCELLED/CANCELLED/CANCELLED "  and they end CANCELLED"
run cancel -n sweep
tap_is "$rc/$(out)" "0/" "again: nothing left to cancel, nothing printed"
SLUICE_TOKEN=$TOKEN_B run cancel --all
tap_is "$rc/$(cancelled_ids)" "0/$(sorted "$b1" "$b2")" "cancel --all: every job of the token's tenant"
for id in "$b1" "$b2"; do wait_job "$id" 30 "$TOKEN_B" >/dev/null; done
tap_is "$(api GET '/v1/jobs?state=PENDING,RUNNING,COMPLETING' "" "$TOKEN_ADMIN" | jq '[.jobs[] | select(.tenant == "beta")] | length')" 0 \
	"  none of beta's is left"

# --- A dispatcher that ignores the filters cannot make cancel act.
FAKE_PORT=$(node_free_port)
cat >"$T/fake.py" <<'EOF'
import http.server, json, sys
log = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200 if self.command == "GET" else 202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        open(log, "a").write("GET " + self.path + "\n")
        # As a dispatcher that knows no filter: every job.
        self.reply({"jobs": [{"id": "7", "name": "other", "state": "RUNNING",
                              "tenant": "alpha", "labels": [],
                              "submitted_at": "2024-01-01T00:00:00.000Z"}],
                    "next_before": None})
    def do_DELETE(self):
        open(log, "a").write("DELETE " + self.path + "\n")
        self.reply({"id": "7", "state": "CANCELLED"})
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
python3 "$T/fake.py" "$FAKE_PORT" "$T/fake.log" &
fake=$!
for _ in $(seq 1 50); do curl -s "http://127.0.0.1:$FAKE_PORT/" >/dev/null 2>&1 && break; sleep 0.1; done
SLUICE_SERVER=http://127.0.0.1:$FAKE_PORT run cancel -n sweep
tap_is "$rc/$(out)" "0/" "cancel -n sweep against a dispatcher that ignores name=: nothing cancelled"
tap_is "$(grep -c '^DELETE' "$T/fake.log")" 0 "  no DELETE was sent"
tap_like "$(grep '^GET /v1/jobs' "$T/fake.log" | head -1)" 'name=sweep' "  though the filter was asked for"
SLUICE_SERVER=http://127.0.0.1:$FAKE_PORT run cancel --me
tap_is "$rc/$(out)" "76/" "cancel --me against a dispatcher that cannot say whose the token is: 76, nothing cancelled"
tap_like "$(err)" "whoami" "  and says what it asked"
tap_is "$(grep -c '^DELETE' "$T/fake.log")" 0 "  no DELETE was sent"
SLUICE_SERVER=http://127.0.0.1:$FAKE_PORT run list -h --parsable -o %i -n sweep
tap_is "$rc/$(out)" "0/" "list shows none of the jobs it did not ask for either"
kill "$fake" 2>/dev/null
wait "$fake" 2>/dev/null

tap_done
