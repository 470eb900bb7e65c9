#!/bin/bash
# examples/deploy.sh, the README's deployment path in one place: a new
# dispatcher (its key, known_hosts, sluice.conf with an admin token), a
# tenant's token, and a node added by its host key; the daemon then starts
# on that configuration, the node comes UP, and the CLI runs a job with the
# new token.  (`deploy.sh node`, which makes accounts and changes sshd and
# sudo on the machine, is not run here.)
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/node.sh"

[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root"
DEPLOY="$top_srcdir/examples/deploy.sh"
SLUICE="$top_builddir/sluice"
AGENT="$top_builddir/sluice-agent"
T=$(mktemp -d /tmp/sluice-deploy.XXXXXX)
chmod 755 "$T"
daemon=
trap '[ -n "$daemon" ] && kill "$daemon" 2>/dev/null; node_teardown_all; pkill -KILL -f -- "--config $T/agent.conf" 2>/dev/null; rm -rf "$T"' EXIT
node_init
NPORT=$(node_free_port)
APORT=$(node_free_port)
mkdir -p "$T/base/jobs"
cat >"$T/agent.conf" <<EOC
base_dir = "$T/base";
slots = 1;
uid_base = 83700;
runtimes = ( { name = "python3"; command = [ "/usr/bin/python3", "-B", "-s", "{entry}" ];
  binds = [ "/usr", "/lib", "/lib64", "/bin", "/etc/python3.11" ]; } );
EOC

out=$("$DEPLOY" dispatcher --etc "$T/etc" --state "$T/state" --listen "127.0.0.1:$APORT" --no-account)
tap_is "$?" 0 "dispatcher: done"
ADMIN=$(printf '%s\n' "$out" | sed -n 's/^admin token.*: \([0-9a-f]\{64\}\)$/\1/p')
tap_like "$ADMIN" '^[0-9a-f]{64}$' "it prints the admin token once"
tap_is "$(grep -c "$ADMIN" "$T/etc/sluice.conf")" 0 "and keeps only its SHA-256"
tap_is "$(stat -c %a "$T/etc/sluice.conf") $(stat -c %a "$T/etc/id_ed25519")" "640 600" \
	"sluice.conf and the key are not for everyone"
"$DEPLOY" dispatcher --etc "$T/etc" --no-account >/dev/null 2>&1
tap_is "$?" 2 "a second dispatcher over the first: refused"

out=$("$DEPLOY" token alice --etc "$T/etc")
ALICE=$(printf '%s\n' "$out" | sed -n 's/^token for alice.*: \([0-9a-f]\{64\}\)$/\1/p')
tap_like "$ALICE" '^[0-9a-f]{64}$' "token: a tenant's token"
"$DEPLOY" token alice --etc "$T/etc" >/dev/null 2>&1
tap_is "$?" 2 "the same tenant twice: refused"
"$DEPLOY" token 'bad name' --etc "$T/etc" >/dev/null 2>&1
tap_is "$?" 2 "a bad name: refused"
"$DEPLOY" token bob root --etc "$T/etc" >/dev/null 2>&1
tap_is "$?" 2 "a bad role: refused"

node_start node1 "$NPORT"
# The node would get the dispatcher's key from `deploy.sh node`.
cat "$T/etc/id_ed25519.pub" >>"$T/node-node1/authorized_keys"
out=$("$DEPLOY" add-node node1 127.0.0.1 "$NPORT" --etc "$T/etc" --user root \
	--agent "$AGENT --config $T/agent.conf" --yes)
tap_is "$?" 0 "add-node: done"
tap_like "$out" "SHA256:" "it shows the host key's fingerprint"
tap_is "$(grep -c "^\[127.0.0.1\]:$NPORT ssh-ed25519 " "$T/etc/known_hosts")" 1 "into known_hosts"
"$DEPLOY" add-node node1 127.0.0.1 "$NPORT" --etc "$T/etc" --yes >/dev/null 2>&1
tap_is "$?" 2 "the same node twice: refused"
"$DEPLOY" add-node node2 127.0.0.1 1 --etc "$T/etc" --yes >/dev/null 2>&1
tap_is "$?" 2 "a host with no ssh: refused, nothing added"
tap_is "$(grep -c 'name = "node2"' "$T/etc/sluice.conf")" 0 "(nothing added)"

"$SLUICE" serve --config "$T/etc/sluice.conf" >"$T/serve.log" 2>&1 &
daemon=$!
for n in $(seq 1 100); do
	[ "$(curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$APORT/v1/nodes" |
		jq -r '.nodes[0].state' 2>/dev/null)" = UP ] && break
	sleep 0.1
done
tap_is "$(curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$APORT/v1/nodes" | jq -r '.nodes[0].state')" UP \
	"the daemon starts on it, and the node comes UP"
printf 'print("hello from", 6 * 7)\n' >"$T/hello.py"
out=$(SLUICE_SERVER="http://127.0.0.1:$APORT" SLUICE_TOKEN="$ALICE" "$SLUICE" submit --wait "$T/hello.py")
tap_is "$?/$out" "0/hello from 42" "the CLI runs a job with alice's token"
tap_is "$(SLUICE_SERVER="http://127.0.0.1:$APORT" SLUICE_TOKEN="$ADMIN" "$SLUICE" list --json | jq -r '[.jobs[].tenant] | join(",")')" \
	alice "the admin token sees it, alice's"
tap_done
