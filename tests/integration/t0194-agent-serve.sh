#!/bin/bash
# sluice-agent serve: many requests over one session.  Concurrent runs come
# back each under its own tag and end with their exit status; a changed
# agent.conf applies from the next request; malformed requests are refused
# one by one and the session goes on; a session that ends stops no job, and
# a new one re-attaches.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"
agent_setup 71940

SLEEP2='import time
print("start", flush=True)
time.sleep(2)
print("done", flush=True)'

# lines TAG FILE: the JSON lines a session printed under TAG (exit excluded).
lines() {
	awk -v t="$1" '$1 == t && $2 != "exit" { sub(/^[^ ]+ /, ""); print }' "$2"
}
# status TAG FILE: the exit status a session reported for TAG.
status() {
	awk -v t="$1" '$1 == t && $2 == "exit" { print $3 }' "$2"
}

# --- two runs at once, each under its own tag -------------------------------
A=$(job_py serve-a "$SLEEP2")
B=$(job_py serve-b 'print("b")')
{
	echo "ja run $A"
	echo "jb run $B"
	for _ in $(seq 100); do grep -qs '"started"' "$A/events" && break; sleep 0.1; done
	echo "st status $A"
	# Keep the session open until both have finished.
	for _ in $(seq 100); do
		[ -e "$A/result.json" ] && [ -e "$B/result.json" ] && break
		sleep 0.1
	done
	sleep 0.3
} | agent serve >"$T/two.out" 2>"$T/two.err"
tap_is "$?" 0 "two runs: serve exits 0 when its input ends"
tap_is "$(lines ja "$T/two.out" | jq -r .event | tr '\n' ' ')" "accepted started finished " "two runs: ja carries A's events"
tap_is "$(lines ja "$T/two.out" | tail -1 | jq -r .result.verdict)" ok "two runs: A ran ok"
tap_is "$(lines jb "$T/two.out" | tail -1 | jq -r .result.verdict)" ok "two runs: B ran ok"
tap_is "$(cat "$B/stdout")" b "two runs: B printed its own output"
tap_is "$(status ja "$T/two.out")" 0 "two runs: ja ends with exit 0"
tap_is "$(status jb "$T/two.out")" 0 "two runs: jb ends with exit 0"
tap_is "$(lines st "$T/two.out" | jq -r .state)" running "two runs: status, asked meanwhile, says running"
tap_is "$(awk '{print $1}' "$T/two.out" | sort -u | tr '\n' ' ')" "ja jb st " "two runs: every line carries a request's tag"
tap_is "$(grep -c . "$T/two.out")" 10 "two runs: 3+3 events, 1 status, 3 exits, nothing else"
check_clean "two runs"

# --- a changed agent.conf applies from the next request --------------------
{
	echo "i1 info"
	for _ in $(seq 50); do grep -q . "$T/conf.out" 2>/dev/null && break; sleep 0.1; done
	sed -i 's/^slots = 2;/slots = 3;/' "$CONF"
	echo "i2 info"
	sleep 0.5
} | agent serve >"$T/conf.out" 2>/dev/null
sed -i 's/^slots = 3;/slots = 2;/' "$CONF"
tap_is "$(lines i1 "$T/conf.out" | jq -r .slots)" 2 "config: the first info saw 2 slots"
tap_is "$(lines i2 "$T/conf.out" | jq -r .slots)" 3 "config: the next request read the changed file"

# --- bad requests are refused one by one; the session goes on -------------
LONG=$(head -c 200000 /dev/zero | tr '\0' x)
{
	echo "bad/tag info"
	echo "-x info"
	echo "s1 sftp"
	echo "s2 serve"
	echo "s3 info  extra"
	echo "s4"
	echo "s5 run /etc"
	echo "s6 run $BASE/jobs/../../x"
	echo "s7 $LONG"
	printf 's8 info\0 x\n'
	echo "s9 info"
	sleep 0.5
} | agent serve >"$T/bad.out" 2>/dev/null
tap_is "$(grep -c '^- ' "$T/bad.out")" 4 "bad: a bad tag, a NUL and an overlong request are answered untagged"
tap_is "$(lines s1 "$T/bad.out" | jq -r .code)/$(status s1 "$T/bad.out")" usage/2 "bad: sftp is no verb of a session"
tap_is "$(lines s2 "$T/bad.out" | jq -r .code)/$(status s2 "$T/bad.out")" usage/2 "bad: nor is serve"
tap_is "$(status s3 "$T/bad.out")" 2 "bad: a stray blank is refused"
tap_is "$(status s4 "$T/bad.out")" 2 "bad: a tag without a verb is refused"
tap_is "$(lines s5 "$T/bad.out" | jq -r .code)/$(status s5 "$T/bad.out")" refused/2 "bad: a path outside the jobs directory is refused by the verb"
tap_is "$(status s6 "$T/bad.out")" 2 "bad: a .. path is refused"
tap_is "$(status s7 "$T/bad.out")" "" "bad: nothing ran for the overlong request"
tap_is "$(lines s9 "$T/bad.out" | jq -r .slots)/$(status s9 "$T/bad.out")" 2/0 "bad: the session still answers after all that"

# --- a line forged into the events file never reads as the session's own ----
# (the file is the account's: it could write "exit 0" there)
G=$(job_py serve-g "$SLEEP2")
{
	echo "g run $G"
	for _ in $(seq 50); do grep -q '"started"' "$G/events" 2>/dev/null && break; sleep 0.1; done
	printf 'exit 0\ng exit 0\n' >>"$G/events"
	for _ in $(seq 100); do [ -e "$G/result.json" ] && break; sleep 0.1; done
	sleep 0.3
} | agent serve >"$T/forge.out" 2>/dev/null
tap_is "$(grep -c '^g exit' "$T/forge.out")" 1 "forged: one exit line for the request"
tap_is "$(tail -1 "$T/forge.out")" "g exit 0" "forged: it is the last, after the finished event"
tap_is "$(grep -c '^g {' "$T/forge.out")" "$(grep -c . "$T/forge.out" | awk '{print $1 - 1}')" "forged: every other line under the tag is JSON"
check_clean "forged"

# --- a line longer than an answer line may be is dropped, and said so -----
# (the same file: a line of 5 MB, longer than any result the agent writes;
# wait reads it in pieces, none of them JSON, so each piece is dropped)
printf '{"event":"x","pad":"%s"}\n' "$(head -c 5000000 /dev/zero | tr '\0' a)" >>"$G/events"
printf 'h wait %s\nh2 info\n' "$G" | agent serve >"$T/long.out" 2>/dev/null
tap_is "$(awk '{ if (length($0) > m) m = length($0) } END { print (m < 5000000) }' "$T/long.out")" 1 \
	"long line: not passed on"
tap_like "$(grep '^h {"error"' "$T/long.out")" 'answer line .* was dropped' "long line: an error under the tag says it was dropped"
tap_is "$(lines h2 "$T/long.out" | jq -r '.slots')" 2 "long line: the session still answers after it"

# --- a tag still running is not taken twice --------------------------------
C=$(job_py serve-c "$SLEEP2")
{
	echo "dup run $C"
	sleep 0.3
	echo "dup info"
	for _ in $(seq 100); do [ -e "$C/result.json" ] && break; sleep 0.1; done
	sleep 0.3
} | agent serve >"$T/dup.out" 2>/dev/null
tap_is "$(grep -c '^dup exit 2$' "$T/dup.out")" 1 "dup tag: the second request is refused"
tap_is "$(lines dup "$T/dup.out" | jq -r 'select(.event == "finished") | .result.verdict')" ok "dup tag: the first still finishes under it"
check_clean "dup tag"

# --- input that ends: the requests running are still answered ------------
F=$(job_py serve-f "$SLEEP2")
echo "r run $F" | agent serve >"$T/eof.out" 2>/dev/null
tap_is "$(lines r "$T/eof.out" | jq -r .event | tr '\n' ' ')" "accepted started finished " "input ends: the running request is answered to its end"
tap_is "$(status r "$T/eof.out")" 0 "input ends: and its exit status"

# --- whoever reads the session goes: serve ends, the job goes on, a new
# session re-attaches ---------------------------------------------------------
SLEEP4='import time
print("start", flush=True)
time.sleep(4)
print("done", flush=True)'
D=$(job_py serve-d "$SLEEP4")
mkfifo "$T/din" "$T/dout"
agent serve <"$T/din" >"$T/dout" 2>/dev/null &
SERVE=$!
exec 8>"$T/din"
echo "r run $D" >&8
timeout 10 head -2 <"$T/dout" >"$T/drop.out"
tap_is "$(lines r "$T/drop.out" | jq -r .event | tr '\n' ' ')" "accepted started " "dropped: the session saw the start"
for _ in $(seq 30); do kill -0 "$SERVE" 2>/dev/null || break; sleep 0.1; done
tap_ok "$(kill -0 "$SERVE" 2>/dev/null; echo $((!$?)))" "dropped: serve ended when its reader went, its input still open"
exec 8>&-
tap_is "$(agent status "$D" | jq -r .state)" running "dropped: the job still runs"
out=$(echo "w wait $D" | agent serve 2>/dev/null)
tap_is "$(printf '%s\n' "$out" | lines w /dev/stdin | tail -1 | jq -r .result.verdict)" ok "dropped: a new session's wait sees it finish ok"
tap_is "$(cat "$D/stdout" | tr '\n' ' ')" "start done " "dropped: the job ran to its end"
tap_is "$(printf '%s\n' "$out" | status w /dev/stdin)" 0 "dropped: wait ends with exit 0"
check_clean "dropped"

# --- a session killed outright stops no job ---------------------------------
E=$(job_py serve-e "$SLEEP2")
mkfifo "$T/in"
agent serve <"$T/in" >"$T/kill.out" 2>/dev/null &
SERVE=$!
exec 7>"$T/in"
echo "k run $E" >&7
wait_event "$E" started 5
tap_ok $? "killed: the job started"
kill -9 "$SERVE"
wait "$SERVE" 2>/dev/null
exec 7>&-
out=$(agent wait "$E")
tap_is "$(printf '%s\n' "$out" | tail -1 | jq -r .result.verdict)" ok "killed: the job finished ok without its session"
check_clean "killed"

# --- warm slots: a session's jobs copy its template of the runtime --------
# Two jobs at once share the template's read-only root (one filesystem),
# each with its own writable /job; run from the command line, each builds
# its own root (the control).  A bind added to agent.conf reaches the next
# job and the rebuilt template.
DEVS='import glob, os, time
print(os.stat("/").st_dev, os.stat("/job").st_dev, bool(glob.glob("/var/tmp/sluice-t0194.*/marker")), flush=True)
time.sleep(3)'
W1=$(job_py warm-1 "$DEVS")
W2=$(job_py warm-2 "$DEVS")
printf 'w1 run %s\nw2 run %s\n' "$W1" "$W2" | agent serve >"$T/warm.out" 2>/dev/null
read -r r1 j1 x1 <"$W1/stdout"
read -r r2 j2 x2 <"$W2/stdout"
tap_is "$(status w1 "$T/warm.out") $(status w2 "$T/warm.out")" "0 0" "warm: both jobs ran"
tap_is "$r1" "$r2" "warm: two jobs of a session share the template's root"
tap_isnt "$j1" "$j2" "warm: ... and each has its own /job"
C1=$(job_py cold-1 "$DEVS")
C2=$(job_py cold-2 "$DEVS")
agent run "$C1" >/dev/null &
agent run "$C2" >/dev/null
wait
read -r c1 _ _ <"$C1/stdout"
read -r c2 _ _ <"$C2/stdout"
tap_isnt "$c1" "$c2" "warm: without a session each job builds its own root (control)"
# (not under /tmp: a bind there would cover the sandbox's own /tmp)
XB=/var/tmp/sluice-t0194.$$
mkdir -p "$XB" && echo here >"$XB/marker"
E1=$(job_py extra-1 "$DEVS")
E2=$(job_py extra-2 "$DEVS")
E3=$(job_py extra-3 "$DEVS")
{
	echo "x0 info"
	sleep 0.5
	sed -i "s#binds = \[ \"/usr\"#binds = [ \"$XB\", \"/usr\"#" "$CONF"
	echo "x1 run $E1"
	# both slots free again for the two after it
	for _ in $(seq 150); do grep -qs '"finished"' "$E1/events" && break; sleep 0.1; done
	sleep 0.3
	printf 'x2 run %s\nx3 run %s\n' "$E2" "$E3"
	sleep 0.2
} | agent serve >"$T/extra.out" 2>/dev/null
sed -i "s#binds = \[ \"$XB\", #binds = [ #" "$CONF"
rm -rf "$XB"
tap_is "$(awk '{ print $3 }' "$E1/stdout")" True "warm: a bind added to agent.conf reaches the next job"
read -r e2 _ x2 <"$E2/stdout"
read -r e3 _ x3 <"$E3/stdout"
tap_is "$x2 $x3" "True True" "warm: ... and the jobs after it"
tap_is "$e2" "$e3" "warm: ... which share the rebuilt template"
check_clean "warm"

# --- a run's namespaces end with its job ----------------------------------
# (the session makes them ahead of a run; another request running then --
# a wait, which can last as long as its job -- must not hold them after
# the run's job has ended, nor what the job left in them)
L=$(job_py ns-long 'import time; time.sleep(8)')
N=$(job_py ns-run 'import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print(os.readlink("/proc/self/ns/ipc"), os.readlink("/proc/self/ns/net"),
      libc.shmget(0x51cf, 1 << 20, 0o1000 | 0o600) >= 0)')
agent run "$L" >/dev/null &
LRUN=$!
wait_event "$L" started
{
	echo "nw wait $L"
	sleep 0.3
	echo "nr run $N"
	# until the job has printed its namespaces and ended
	for _ in $(seq 100); do grep -qs '"finished"' "$N/events" && break; sleep 0.1; done
	sleep 0.5
	# This test's agent processes only (the session, its requests, the
	# supervisors): once a namespace is gone the kernel may give its
	# number to another's, such as a test running beside this one.
	held=$(for p in $(pgrep -f -- "--config $CONF"); do
		find "/proc/$p/fd" -maxdepth 1 -type l -printf '%l\n' 2>/dev/null
	done | grep -cF -e "$(awk '{ print $1 }' "$N/stdout")" -e "$(awk '{ print $2 }' "$N/stdout")")
	echo "$held" >"$T/held"
} | agent serve >"$T/ns.out" 2>/dev/null
wait $LRUN
tap_is "$(status nr "$T/ns.out")" 0 "namespaces: the run ran"
tap_like "$(cat "$N/stdout")" '^ipc:\[[0-9]+\] net:\[[0-9]+\] True$' "namespaces: the job made a segment in its own (control)"
tap_is "$(cat "$T/held")" 0 "namespaces: once the job ended, no process holds them (the wait running beside it does not)"
tap_is "$(status nw "$T/ns.out")" 0 "namespaces: the wait finished"
check_clean "namespaces"

# --- a template is never older than 30 s --------------------------------
# (its overlays keep the host's files as of their mount: a file deleted on
# the host since must be gone for jobs after the bound, as it is at once
# for a job that builds its own root)
XB=/var/tmp/sluice-t0194-age.$$
mkdir -p "$XB" && echo secret >"$XB/f"
sed -i "s#binds = \[ \"/usr\"#binds = [ \"$XB\", \"/usr\"#" "$CONF"
READF='import glob
print(open(glob.glob("/var/tmp/sluice-t0194-age.*/f")[0]).read().strip() if glob.glob("/var/tmp/sluice-t0194-age.*/f") else "gone")'
A1=$(job_py age-1 "$READF")
A2=$(job_py age-2 "$READF")
A3=$(job_py age-3 "$READF")
{
	echo "a1 run $A1"
	sleep 1.5
	rm "$XB/f"
	echo "a2 run $A2"
	sleep 32
	echo "a3 run $A3"
	sleep 1.5
} | agent serve >"$T/age.out" 2>/dev/null
sed -i "s#binds = \[ \"$XB\", #binds = [ #" "$CONF"
rm -rf "$XB"
tap_is "$(cat "$A1/stdout")" secret "template age: the job reads the bound file (control)"
tap_like "$(cat "$A2/stdout")" '^(secret|gone)$' "template age: just after the delete, a job may still see it (within the bound)"
tap_is "$(cat "$A3/stdout")" gone "template age: after 30 s the deleted file is gone for the session's jobs"

# --- a template never takes a base_dir/empty that is not empty ------------
touch "$BASE/empty/planted"
P1=$(job_py planted-1 'print("ran")')
P2=$(job_py planted-2 'print("ran")')
agent run "$P1" >/dev/null
printf 'p2 run %s\n' "$P2" | agent serve >/dev/null 2>&1
rm -f "$BASE/empty/planted"
tap_is "$(jq -r .verdict "$P1/result.json")" sandbox_error "empty dir: a planted file fails the job from the command line"
tap_like "$(jq -r .message "$P1/result.json")" "empty' is not empty" "empty dir: ... and says why"
tap_is "$(jq -r .verdict "$P2/result.json")" sandbox_error "empty dir: and through a session (no template is built with it)"

# --- the policy a session keeps is never looser than one read anew --------
# (a request takes the session's copy only while the file is unchanged and
# every directory above it still passes the walk: a file made writable, a
# directory above it made writable, a link put in its place, or a slot uid
# that became an account's in /etc/passwd is refused at the next request,
# as a verb would refuse it)
NEWUSER=sluicet194
userdel "$NEWUSER" >/dev/null 2>&1
cp "$CONF" "$T/conf.real"
touch -d '-1 min' "$CONF"
sleep 2.1 # the file must look settled for the session to keep it
{
	echo "k1 info"
	sleep 0.5
	chmod g+w "$CONF"
	echo "k2 info"
	sleep 0.5
	chmod g-w "$CONF"
	mv "$CONF" "$T/conf.moved"
	ln -s "$T/conf.real" "$CONF"
	echo "k3 info"
	sleep 0.5
	rm "$CONF"
	mv "$T/conf.moved" "$CONF"
	echo "k4 info"
	sleep 0.5
	chmod o+w "$T"
	echo "k6 info"
	sleep 0.5
	chmod o-w "$T"
	useradd -K UID_MAX=4000000000 -M -N -s /usr/sbin/nologin -u $((UID_BASE + 1)) "$NEWUSER"
	echo "k5 info"
	sleep 0.5
} | agent serve >"$T/keep.out" 2>/dev/null
userdel "$NEWUSER" >/dev/null 2>&1
tap_is "$(status k1 "$T/keep.out")" 0 "kept policy: info runs (control)"
tap_is "$(status k2 "$T/keep.out")" 2 "kept policy: a config made group-writable is refused at the next request"
tap_like "$(lines k2 "$T/keep.out" | jq -r .error)" "writable by its group" "kept policy: ... and the error says why"
tap_is "$(status k3 "$T/keep.out")" 2 "kept policy: a link put in the config's place is refused"
tap_like "$(lines k3 "$T/keep.out" | jq -r .error)" "symbolic link" "kept policy: ... and the error says a link"
tap_is "$(status k4 "$T/keep.out")" 0 "kept policy: the file put back runs again (control)"
tap_is "$(status k6 "$T/keep.out")" 2 "kept policy: a config whose directory was made writable is refused"
tap_like "$(lines k6 "$T/keep.out" | jq -r .error)" "writable by others" "kept policy: ... and the error says why"
tap_is "$(status k5 "$T/keep.out")" 2 "kept policy: a slot uid taken by a new account is refused at the next request"
tap_like "$(lines k5 "$T/keep.out" | jq -r .error)" "belongs to the existing account '$NEWUSER'" "kept policy: ... and the error names the account"

tap_done
