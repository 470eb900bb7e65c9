#!/bin/bash
# `sluice serve --check` reads a config as the daemon would, with each
# node's key and known_hosts and the state directory, says what it found
# and exits: 0 for a config the daemon can start with (warnings aside), 1
# with a message that names the file and the fix for each bad one, 64 for
# bad usage.  It binds, connects to and writes nothing: node hosts that do
# not resolve pass, and a missing state directory stays missing.
. "$top_srcdir/tests/lib/tap.sh"

: "${top_builddir:?run through make check}"
S="$top_builddir/sluice"
[ -x "$S" ] || tap_skip_all "build first"
command -v ssh-keygen >/dev/null || tap_skip_all "no ssh-keygen"
T=$(mktemp -d /tmp/sluice-check.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT

ssh-keygen -q -t ed25519 -N '' -C dispatcher -f "$T/id" </dev/null
ssh-keygen -q -t ed25519 -N '' -C node -f "$T/hostkey" </dev/null
ssh-keygen -q -t ed25519 -N 'secret' -C locked -f "$T/locked" </dev/null
echo "not a key" >"$T/garbage"
chmod 600 "$T/garbage"
# known_hosts: node-a on port 22 by name, node-b on 2201 hashed.
{
	echo "node-a.invalid $(cat "$T/hostkey.pub")"
	echo "[127.0.0.1]:2201 $(cat "$T/hostkey.pub")"
} >"$T/kh"
ssh-keygen -q -H -f "$T/kh" >/dev/null 2>&1
rm -f "$T/kh.old"
tap_is "$(grep -c '^|1|' "$T/kh")" 2 "the test's known_hosts is hashed"
mkdir "$T/state-ok"
SHA=$(printf %s token | sha256sum | cut -d' ' -f1)

# conf FILE [NODE1_EXTRA...]: write a config with two nodes; sed scripts
# given after it edit it.
conf() {
	local f=$1
	shift
	cat >"$f" <<EOC
listen = "127.0.0.1:8750";
state_dir = "$T/state";
tokens = ( { name = "web"; sha256 = "$SHA"; },
           { name = "ops"; sha256 = "$(printf %s ops | sha256sum | cut -d' ' -f1)"; role = "admin"; } );
nodes = ( { name = "node-a"; host = "node-a.invalid"; user = "sluice";
            identity = "$T/id"; known_hosts = "$T/kh"; agent = [ "/usr/local/bin/sluice-agent" ]; },
          { name = "node-b"; host = "127.0.0.1"; port = 2201; user = "sluice";
            identity = "$T/id"; known_hosts = "$T/kh"; agent = [ "/usr/local/bin/sluice-agent" ]; } );
EOC
	local script
	for script in "$@"; do
		sed -i -e "$script" "$f"
	done
}

# check FILE: run --check; $out is stdout and stderr, $rc its status.
check() {
	out=$("$S" serve --check --config "$1" 2>&1)
	rc=$?
}

# --- A good config.
conf "$T/good.conf"
check "$T/good.conf"
tap_is "$rc" 0 "a good config: exit 0"
tap_like "$out" "^config $T/good.conf: syntax and settings ok" "  it says the syntax and settings are ok"
tap_like "$out" 'listen 127\.0\.0\.1:8750; 2 tokens \(1 admin\); 2 nodes; access log on' "  a summary of the settings"
tap_like "$out" "node node-a: sluice@node-a.invalid port 22, key ssh-ed25519 SHA256:[A-Za-z0-9+/]+, host key in $T/kh" \
	"  node-a's key with its fingerprint, its host key found (port 22, by name)"
tap_like "$out" "node node-b: sluice@127.0.0.1 port 2201, key ssh-ed25519 SHA256:" "  node-b's (port 2201, a hashed entry)"
tap_like "$out" "state_dir $T/state: missing; the daemon creates it" "  a missing state_dir the daemon can create"
tap_like "$out" "ok: the daemon can start with $T/good.conf \(0 warnings\)" "  and the verdict"
fp=$(ssh-keygen -l -f "$T/id.pub" | awk '{print $2}')
[[ $out == *"key ssh-ed25519 $fp,"* ]]
tap_ok $? "  the fingerprint is the key's ($fp)"
tap_ok "$([ ! -e "$T/state" ]; echo $?)" "  nothing was created"
conf "$T/good2.conf" "s|$T/state\"|$T/state-ok\"|"
check "$T/good2.conf"
tap_is "$rc" 0 "an existing state_dir: exit 0"
tap_like "$out" "state_dir $T/state-ok: writable" "  it is writable"
tap_is "$(ls -A "$T/state-ok")" "" "  and stays empty"
# An IPv6 address is named in brackets, so that its port is told apart.
conf "$T/v6.conf" 's|^listen = "127.0.0.1:8750";|listen = "::1:8750";|'
check "$T/v6.conf"
tap_is "$rc" 0 "listen = \"::1:8750\": exit 0"
tap_like "$out" 'listen \[::1\]:8750; 2 tokens' "  the summary names it [::1]:8750"

# --- Warnings: the daemon could start.
conf "$T/warn.conf" "s|sha256 = \"$SHA\"|sha256 = \"$(printf '0%.0s' $(seq 1 64))\"|"
cp "$T/id" "$T/id-loose"
chmod 644 "$T/id-loose"
sed -i "0,\\|$T/id\"|s||$T/id-loose\"|" "$T/warn.conf"
check "$T/warn.conf"
tap_is "$rc" 0 "warnings only: exit 0"
tap_like "$out" "warning: token 'web' has the example's all-zero sha256" "  the example's all-zero token hash is named"
tap_like "$out" "warning: node 'node-a': private key '$T/id-loose' can be read by others than its owner \(chmod 600 it\)" \
	"  so is a key others can read"
tap_like "$out" '\(2 warnings\)' "  two warnings counted"

# --- Bad configs: exit 1, each with its own message.
# bad NAME REGEX [SED...]: a config edited by SED must fail with REGEX.
bad() {
	local name=$1 re=$2
	shift 2
	conf "$T/bad.conf" "$@"
	check "$T/bad.conf"
	tap_is "$rc" 1 "$name: exit 1"
	tap_like "$out" "$re" "  $name: says why"
	[ "$rc" -eq 1 ] || tap_diag "$out"
}
bad "a syntax error" "line [0-9]+" 's|^listen = "127.0.0.1:8750";|listen = "127.0.0.1:8750" }|'
bad "a misspelt setting" "unknown setting 'max_atempts' on line 1" '1i max_atempts = 3;'
bad "a missing key" "node 'node-a': cannot read private key '$T/nokey': No such file or directory" \
	"0,\\|$T/id\"|s||$T/nokey\"|"
bad "a key that is not one" "node 'node-a': cannot read private key '$T/garbage' \(it must be an SSH private key" \
	"0,\\|$T/id\"|s||$T/garbage\"|"
bad "a key with a passphrase" "node 'node-a': cannot read private key '$T/locked'.*ssh-keygen -p -N '' -f $T/locked removes one" \
	"0,\\|$T/id\"|s||$T/locked\"|"
bad "a directory for a key" "node 'node-a': private key '$T' is not a regular file" \
	"0,\\|$T/id\"|s||$T\"|"
bad "a missing known_hosts" "node 'node-b': cannot read known_hosts '$T/nokh'.*ssh-keyscan -p 2201 127.0.0.1" \
	"s|known_hosts = \"$T/kh\"; agent = \[ \"/usr/local/bin/sluice-agent\" \]; } );|known_hosts = \"$T/nokh\"; agent = [ \"/x\" ]; } );|"
bad "a node not in known_hosts (another port)" \
	"node 'node-b': host \[127.0.0.1\]:2202 is not in known_hosts '$T/kh' \(add the node's host key with ssh-keyscan -p 2202 127.0.0.1 >>$T/kh" \
	's|port = 2201|port = 2202|'
bad "a node not in known_hosts (another name)" "node 'node-a': host node-b.invalid is not in known_hosts" \
	's|host = "node-a.invalid"|host = "node-b.invalid"|'
: >"$T/empty"
conf "$T/bad.conf" "0,\\|$T/kh\"|s||$T/empty\"|"
check "$T/bad.conf"
tap_is "$rc" 1 "an empty known_hosts: exit 1"
tap_like "$out" "node 'node-a': host node-a.invalid is not in known_hosts '$T/empty'" "  it says node-a is not there"
tap_like "$out" "node node-b: " "  and still checks node-b"
tap_like "$out" "1 problem, 0 warnings; the daemon would not start" "  and counts the problems"
touch "$T/afile"
bad "a state_dir that is a file" "state_dir '$T/afile' is not a directory" "s|$T/state\"|$T/afile\"|"
bad "a state_dir whose parent is missing" "state_dir '$T/no/such/state' does not exist, and cannot be created in '$T/no/such'" \
	"s|$T/state\"|$T/no/such/state\"|"
# listen is a numeric address: a name is refused before it is resolved
# (none is asked for), by serve --check and by serve.
bad "a listen that is a name" "'listen' must be \"address:port\" with a numeric address .*not a name" \
	's|^listen = "127.0.0.1:8750";|listen = "localhost:8750";|'
# For serve, a state_dir it cannot create: were the name taken, the daemon
# would stop there, before it listens or looks up a node.
conf "$T/bad.conf" 's|^listen = "127.0.0.1:8750";|listen = "localhost:8750";|' \
	"s|$T/state\"|$T/no/such/state\"|"
out=$(timeout 20 "$S" serve --config "$T/bad.conf" 2>&1)
rc=$?
tap_is "$rc" 1 "  serve itself refuses it too: exit 1"
tap_like "$out" "'listen' must be \"address:port\" with a numeric address" "  with the same reason"
bad "a ui_dir that is not there" "ui_dir: .*$T/noui" \
	"1i ui_dir = \"$T/noui\";"
bad "a missing callback_ca_file" "callback_ca_file '$T/noca.pem': No such file or directory" \
	"1i callback_ca_file = \"$T/noca.pem\";"
conf "$T/two.conf" "0,\\|$T/id\"|s||$T/nokey\"|" "s|port = 2201|port = 2202|"
check "$T/two.conf"
tap_like "$out" "2 problems, 0 warnings" "every problem is reported, not only the first"
check "$T/missing.conf"
tap_is "$rc" 1 "a missing config: exit 1"
tap_like "$out" "cannot read config '$T/missing.conf'" "  it says so"
tap_like "$out" "config '$T/missing.conf' is not valid" "  and that it is not valid"

# --- As another user: a state_dir it cannot write.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	mkdir "$T/rootstate"
	chmod 755 "$T/rootstate"
	cp "$T/id" "$T/id-nobody"
	chown nobody "$T/id-nobody"
	conf "$T/nobody.conf" "s|$T/state\"|$T/rootstate\"|" "s|$T/id\"|$T/id-nobody\"|g"
	chmod 644 "$T/nobody.conf" "$T/kh"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$S" serve --check --config "$T/nobody.conf" 2>&1)
	rc=$?
	tap_is "$rc" 1 "a state_dir this user cannot write: exit 1"
	tap_like "$out" "state_dir '$T/rootstate' is not writable by this user: Permission denied" "  it says so"
	chmod 600 "$T/id-nobody"
	chown root "$T/id-nobody"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$S" serve --check --config "$T/nobody.conf" 2>&1)
	tap_like "$out" "cannot read private key '$T/id-nobody'" "a key this user cannot read is refused"
elif [ "$(id -u)" -ne 0 ]; then
	tap_ok 0 "# SKIP needs root"
else
	tap_ok 0 "# SKIP no setpriv"
fi

# --- Usage.
"$S" serve --check extra >/dev/null 2>&1
tap_is "$?" 64 "an operand: exit 64"
tap_like "$("$S" serve --help)" '--check' "serve --help tells of --check"

tap_done
