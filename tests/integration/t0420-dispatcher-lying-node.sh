#!/bin/bash
# A node whose agent lies: a fake agent script answers info honestly enough
# to be used, then returns malformed or hostile results.  Each attempt must
# fail with a reason, nothing outside the spool may be written, and the
# daemon must keep serving.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

DISP_MAX_ATTEMPTS=1
disp_setup 76000 1 2 'max_result_file_bytes = 100000;
attempt_margin_seconds = 2;'
fake="$T/fake-agent"
cat >"$fake" <<'EOS'
#!/bin/bash
# sluice-agent impostor: the mode file says how to lie.
conf=$2 verb=$3 dir=$4
base=$(sed -n 's/^base_dir = "\(.*\)";/\1/p' "$conf")
mode=$(cat "$base/mode" 2>/dev/null)
limits='{"cpu_seconds":5.0,"wall_seconds":10.0,"memory_bytes":268435456,"processes":32,"output_bytes":1048576,"disk_bytes":67108864,"open_files":64}'
case $verb in
info)
	echo "{\"agent_version\":\"0.1.0\",\"kernel\":\"x\",\"base_dir\":\"$base\",\"slots\":2,\"slots_busy\":0,\"cgroup\":\"v1\",\"features\":{},\"runtimes\":[{\"name\":\"python3\",\"version\":\"Python 3.11.2\"}],\"defaults\":$limits,\"ceilings\":$limits}"
	exit 0 ;;
status|wait) echo '{"state":"staged","result":null}'; exit 0 ;;
sftp) exec "${AGENT_BIN:?}" --config "$conf" sftp ;;
clean) rm -rf "$dir"; echo '{"cleaned":true}'; exit 0 ;;
cancel) echo "$dir" >>"$base/cancelled"; exit 0 ;;
run) ;;
*) exit 2 ;;
esac
good="{\"version\":1,\"verdict\":\"ok\",\"exit_code\":0,\"signal\":null,\"cpu_seconds\":0.01,\"wall_seconds\":0.02,\"memory_peak_bytes\":1000,\"stdout_bytes\":3,\"stderr_bytes\":0,\"stdout_truncated\":false,\"stderr_truncated\":false,\"out_files\":[],\"out_files_truncated\":false,\"limits\":$limits,\"message\":\"\",\"started_at\":\"2026-01-01T00:00:00.000Z\",\"finished_at\":\"2026-01-01T00:00:01.000Z\"}"
echo "{\"event\":\"accepted\",\"job\":\"1\",\"slot\":0,\"at\":\"2026-01-01T00:00:00.000Z\"}"
echo '{"event":"started","at":"2026-01-01T00:00:00.000Z"}'
printf 'hi\n' >"$dir/stdout"; : >"$dir/stderr"; mkdir -p "$dir/out"
# res: the result in the finished event (none if empty); file: what
# result.json holds when it is not that same object ("none": no file).
res=$good file=
case $mode in
notjson) res= file='this is { not json' ;;
badverdict) res=$(echo "$good" | sed 's/"ok"/"pwned"/') ;;
badname) res=$(echo "$good" | sed 's|"out_files":\[\]|"out_files":[{"name":"../../etc/passwd","bytes":1}]|') ;;
hugeexit) res=$(echo "$good" | sed 's/"exit_code":0/"exit_code":99999999999/') ;;
fileonly) res= file=$good ;;
filelies) file=$(echo "$good" | sed 's/"ok"/"pwned"/') ;;
eventlies) res=$(echo "$good" | sed 's/"ok"/"pwned"/') file=$good ;;
bigstdout) head -c 300000 /dev/zero >"$dir/stdout" ;;
symlinks) ln -s /etc/shadow "$dir/out/shadow"; ln -s /etc "$dir/out/etc"
	printf 'real' >"$dir/out/real.txt"; mkfifo "$dir/out/fifo"
	res=$(echo "$good" | sed 's|"out_files":\[\]|"out_files":[{"name":"real.txt","bytes":4}]|') ;;
outclaimedempty) printf 'secret' >"$dir/out/kept.txt" ;;
linkstdout) rm -f "$dir/stdout"; ln -s /etc/shadow "$dir/stdout" ;;
longpath) long="$dir/out/$(printf 'a%.0s' {1..255})/$(printf 'b%.0s' {1..255})"
	long="$long/$(printf 'c%.0s' {1..255})/$(printf 'd%.0s' {1..254})/e"; mkdir -p "$long"
	printf 'deep' >"$long/f"; printf 'real' >"$dir/out/real.txt"
	res=$(echo "$good" | sed 's|"out_files":\[\]|"out_files":[{"name":"real.txt","bytes":4}]|') ;;
emptyclaim) res=$(echo "$good" | sed 's/"stdout_bytes":3/"stdout_bytes":0/')
	head -c 300000 /dev/zero >"$dir/stdout"; rm -f "$dir/stderr"; ln -s /etc/shadow "$dir/stderr" ;;
hang) sleep 60 ;;
garbage) head -c 5000 /dev/urandom; echo; res= file=none ;;
garbageexit) printf 'Traceback (most recent call last):\n\033[31mboom\n'; exit 1 ;;
longline) head -c 5000000 /dev/zero | tr '\0' 'x'; echo; res= file=none ;;
esac
# The agent writes one result to both (INTERFACES.md), result.json first.
case $file in
none) ;;
'') echo "$res" >"$dir/result.json" ;;
*) echo "$file" >"$dir/result.json" ;;
esac
if [ -n "$res" ]; then
	echo "{\"event\":\"finished\",\"at\":\"2026-01-01T00:00:01.000Z\",\"result\":$res}"
else
	echo '{"event":"finished","at":"2026-01-01T00:00:01.000Z"}'
fi
exit 0
EOS
sed -i "s|^#!/bin/bash\$|#!/bin/bash\nAGENT_BIN='$AGENT_BIN'|" "$fake"
chmod +x "$fake"
# The node's forced command runs the impostor instead of the agent.
sed -i "s|-- $AGENT_BIN |-- $fake |" "$(node_dir node1)/forced"
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the fake node comes UP"

lie() {
	local mode=$1 want=$2 name=$3 id job
	echo "$mode" >"$T/node1.base/mode"
	id=$(submit_py 'print(1)')
	job=$(wait_job "$id" 30)
	tap_is "$(printf '%s' "$job" | jq -r .state)" "$want" "$name: $want"
	if [ "$want" = FAILED ]; then
		tap_like "$(printf '%s' "$job" | jq -r '.reason // empty')" '.' "$name: the reason is given"
	fi
	LAST_JOB=$job
}
lie honest COMPLETED "an honest answer"
# The finished event's result stands for result.json when it passes the
# same checks; one that does not (or none) sends the dispatcher to the file.
lie fileonly COMPLETED "no result in the finished event: result.json"
lie filelies COMPLETED "a result in the finished event: result.json is not read"
lie eventlies COMPLETED "a bad result in the finished event: result.json decides"
lie notjson FAILED "result.json that is not JSON"
lie badverdict FAILED "an unknown verdict"
tap_like "$(printf '%s' "$LAST_JOB" | jq -r .reason)" 'verdict' "the reason names the bad field"
lie badname FAILED "an out file named ../../etc/passwd"
lie hugeexit FAILED "an exit code out of range"
lie bigstdout FAILED "stdout larger than the cap"
lie linkstdout FAILED "stdout that is a symbolic link"
# Streams the node calls empty are not fetched: what it left there, larger
# than the cap or a link, is never read, and the job's output is empty.
lie emptyclaim COMPLETED "streams claimed empty"
tap_is "$(printf '%s' "$LAST_JOB" | jq -r '[.stdout, .stderr] | @json')" '["",""]' "streams claimed empty: nothing of them is taken"
# Nor is out/ listed when the node says its job left no file there.
lie outclaimedempty COMPLETED "out/ claimed empty"
tap_is "$(printf '%s' "$LAST_JOB" | jq -c '[.out_files[].name]')" '[]' "out/ claimed empty: nothing of it is taken"
lie symlinks COMPLETED "links and a FIFO in out/"
tap_is "$(printf '%s' "$LAST_JOB" | jq -c '[.out_files[].name]')" '["real.txt"]' \
	"only the regular file comes back"
tap_is "$([ -d "$T/state/spool" ] && find "$T/state/spool" -type l | wc -l)" 0 "no symbolic link reached the spool"
# A directory whose path in out/ is 1024 bytes, the longest a name may be,
# has no room for anything below it: skipped, and said so (the dispatcher
# once wrote a byte past its path buffer here).
lie longpath COMPLETED "a 1024-byte directory path in out/"
tap_is "$(printf '%s' "$LAST_JOB" | jq -c '[[.out_files[].name], .out_files_truncated]')" '[["real.txt"],true]' \
	"the file that fits comes back, and out_files_truncated says one was left"
lie garbage FAILED "random bytes instead of events"
lie longline FAILED "an endless line instead of events"
# Output that is not the agent's, then an exit with no JSON error: the
# reason quotes its start, escaped (once: "no reason given").
lie garbageexit FAILED "an exit after output that is not events"
tap_like "$(printf '%s' "$LAST_JOB" | jq -r .reason)" "not the agent's: 'Traceback \\(most recent call last\\):'" \
	"the reason quotes the start of what the node printed"
# An agent whose events never end: at the attempt's deadline (its wall
# limit, 1 s, plus attempt_margin_seconds, 2 s) the attempt is given up,
# and cancelled on the node.
echo hang >"$T/node1.base/mode"
id=$(api POST /v1/jobs '{"runtime":"python3","source":"print(1)","limits":{"wall_seconds":1}}' | jq -r .id)
job=$(wait_job "$id" 30)
tap_is "$(printf '%s' "$job" | jq -r .state)" FAILED "events that never end: the attempt is given up at its deadline"
tap_like "$(printf '%s' "$job" | jq -r .reason)" "deadline" "  and the reason says so"
# The cancel goes to the node without waiting for it: give it time.
for _ in $(seq 1 100); do
	grep -q "/$id\.1\$" "$T/node1.base/cancelled" 2>/dev/null && break
	sleep 0.1
done
tap_like "$(cat "$T/node1.base/cancelled" 2>/dev/null)" "/$id\\.1\$" "  and it is cancelled on its node"
# A node lost in the middle of a job that has used its last attempt: the
# job ends NODE_FAIL.
echo hang >"$T/node1.base/mode"
id=$(submit_py 'print(1)')
wait_state "$id" RUNNING
node_stop node1
job=$(wait_job "$id" 30)
tap_is "$(printf '%s' "$job" | jq -r '[.state, .attempts] | @tsv')" "$(printf 'NODE_FAIL\t1')" \
	"a lost node with no attempts left: NODE_FAIL"
tap_like "$(printf '%s' "$job" | jq -r .reason)" 'node' "NODE_FAIL says the node was lost"
tap_is "$(curl -fsS "$DISP_URL/v1/health" | jq -r .status)" ok "the daemon still serves"
tap_ok "$(kill -0 "$DISP_PID" 2>/dev/null; echo $?)" "the daemon did not crash"
tap_done
