#!/bin/bash
# deploy.sh: the steps of a real deployment in one place (README, "A real
# deployment").  Run as root.  One account per purpose:
#   sluiced  the dispatcher's service account (etc/sluice.service), on the
#            dispatcher host; it owns the SSH key the dispatcher logs in with
#   sluice   the node account the dispatcher logs in as, on each node; it
#            can run the agent's verbs and SFTP into the jobs directory only
#
#   deploy.sh dispatcher [--etc DIR] [--state DIR] [--listen ADDR:PORT] [--no-account]
#       on the dispatcher host: the account sluiced, DIR (default
#       /etc/sluice) with the SSH key id_ed25519 (its .pub goes to each
#       node), an empty known_hosts, and sluice.conf with an admin token
#       (printed once; only its SHA-256 is kept).  The daemon starts once
#       a node is added.
#   deploy.sh token NAME [submit|admin] [--etc DIR]
#       on the dispatcher host: a new token for tenant NAME (default role
#       submit), printed once; restart the daemon to take it.
#   deploy.sh node --dispatcher-key FILE
#       on a node, from a clone where `make install` has run: sudo, the
#       account sluice, /var/lib/sluice/jobs, the sudo rule, the forced
#       command for sshd, the dispatcher's key (FILE, its id_ed25519.pub),
#       and `sluice-agent info` to show what the node offers.
#   deploy.sh add-node NAME HOST [PORT] [--etc DIR] [--user USER] [--agent "CMD ARGS"] [--yes]
#       on the dispatcher host: the node's host key (shown by fingerprint:
#       compare it with the node's own before saying yes; --yes takes it
#       as it is, for a node on this machine or a network you trust) into
#       known_hosts, and the node into sluice.conf; restart the daemon.
set -euo pipefail

die() {
	echo "deploy.sh: $*" >&2
	exit 2
}

[ "$(id -u)" -eq 0 ] || die "run as root"
[ $# -ge 1 ] || die "usage: deploy.sh dispatcher|token|node|add-node ... (see the comment at its top)"
cmd=$1
shift
etc=/etc/sluice
state=/var/lib/sluice-dispatcher
listen=127.0.0.1:8750
account=yes
user=sluice
agent=/usr/local/sbin/sluice-agent
yes=no
key=""
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--etc) etc=$2; shift 2 ;;
	--state) state=$2; shift 2 ;;
	--listen) listen=$2; shift 2 ;;
	--no-account) account=no; shift ;;
	--user) user=$2; shift 2 ;;
	--agent) agent=$2; shift 2 ;;
	--dispatcher-key) key=$2; shift 2 ;;
	--yes) yes=yes; shift ;;
	--*) die "unknown option '$1'" ;;
	*) args+=("$1"); shift ;;
	esac
done
conf=$etc/sluice.conf

# name_ok WORD: a name as sluice.conf takes it.
name_ok() {
	[[ $1 =~ ^[A-Za-z0-9._+-]{1,64}$ ]] && [ "$1" != . ] && [ "$1" != .. ]
}

# mint: a new random token (64 hex digits).
mint() {
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
}

# list_add LIST ENTRY: put ENTRY first in sluice.conf's LIST, whose
# "LIST = (" line this script wrote with a marker line after it.
list_add() {
	local marker="	# $1: deploy.sh adds entries here"
	grep -qxF "$marker" "$conf" ||
		die "$conf has no '$1' marker (it was not written by deploy.sh): add the entry by hand"
	awk -v marker="$marker" -v entry="$2" '
		{ print }
		$0 == marker { getline next_line
			print entry (next_line ~ /^\);/ ? "" : ",")
			print next_line }' "$conf" >"$conf.new"
	chmod 0640 "$conf.new"
	chgrp --reference="$conf" "$conf.new"
	mv "$conf.new" "$conf"
}

case $cmd in
dispatcher)
	top=$(cd "$(dirname "$0")/.." && pwd)
	# make install puts the documented example there: keep it aside.
	if [ -f "$conf" ] && cmp -s "$conf" "$top/etc/sluice.conf"; then
		mv "$conf" "$conf.example"
		echo "the example $conf is now $conf.example"
	fi
	[ -e "$conf" ] && die "$conf exists (and is not the shipped example): this sets up a new dispatcher only"
	if [ "$account" = yes ] && ! id sluiced >/dev/null 2>&1; then
		useradd --system --home-dir "$state" --shell /usr/sbin/nologin sluiced
	fi
	owner=root
	[ "$account" = yes ] && owner=sluiced
	install -d -m 0755 "$etc"
	ssh-keygen -q -t ed25519 -N '' -C "sluice dispatcher $(hostname)" -f "$etc/id_ed25519" </dev/null
	chown "$owner": "$etc/id_ed25519"
	: >"$etc/known_hosts"
	chown "$owner": "$etc/known_hosts"
	token=$(mint)
	cat >"$conf" <<EOF
# Written by examples/deploy.sh; see etc/sluice.conf for every setting.
listen = "$listen";
state_dir = "$state";
tokens = (
	# tokens: deploy.sh adds entries here
	{ name = "admin"; role = "admin";
	  sha256 = "$(printf %s "$token" | sha256sum | cut -d' ' -f1)"; }
);
nodes = (
	# nodes: deploy.sh adds entries here
);
EOF
	chown root:"$owner" "$conf"
	chmod 0640 "$conf"
	echo "dispatcher: $conf, the key $etc/id_ed25519 (give $etc/id_ed25519.pub to each node)"
	echo "admin token (shown once; only its SHA-256 is kept): $token"
	echo "next: deploy.sh node on each node, then deploy.sh add-node here"
	;;
token)
	[ ${#args[@]} -ge 1 ] || die "usage: deploy.sh token NAME [submit|admin]"
	name=${args[0]}
	role=${args[1]:-submit}
	name_ok "$name" || die "a token's name is 1 to 64 of [A-Za-z0-9._+-]"
	[ "$role" = submit ] || [ "$role" = admin ] || die "a role is submit or admin"
	[ -f "$conf" ] || die "no $conf: run deploy.sh dispatcher first"
	grep -q "name = \"$name\"; role" "$conf" && die "there is a token called '$name' already"
	token=$(mint)
	list_add tokens "	{ name = \"$name\"; role = \"$role\";
	  sha256 = \"$(printf %s "$token" | sha256sum | cut -d' ' -f1)\"; }"
	echo "token for $name ($role; shown once): $token"
	echo "restart the daemon to take it (systemctl restart sluice)"
	;;
add-node)
	[ ${#args[@]} -ge 2 ] || die "usage: deploy.sh add-node NAME HOST [PORT]"
	name=${args[0]}
	host=${args[1]}
	port=${args[2]:-22}
	name_ok "$name" || die "a node's name is 1 to 64 of [A-Za-z0-9._+-]"
	[[ $port =~ ^[0-9]{1,5}$ ]] || die "a port is a number"
	[[ $host =~ ^[A-Za-z0-9.:-]+$ ]] || die "a host is a name or an address"
	[ -f "$conf" ] || die "no $conf: run deploy.sh dispatcher first"
	grep -q "name = \"$name\"; host" "$conf" && die "there is a node called '$name' already"
	keyfile=$(mktemp)
	trap 'rm -f "$keyfile"' EXIT
	ssh-keyscan -t ed25519 -p "$port" "$host" >"$keyfile" 2>/dev/null || true
	[ -s "$keyfile" ] || die "no ed25519 host key from $host port $port"
	echo "the node's host key: $(ssh-keygen -lf "$keyfile")"
	if [ "$yes" != yes ]; then
		[ -t 0 ] || die "no terminal to ask on: compare the fingerprint above with the node's own, then run again with --yes"
		echo "compare it with the node's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there)."
		read -r -p "the same? [y/N] " answer
		[ "$answer" = y ] || [ "$answer" = yes ] || die "not added"
	fi
	cat "$keyfile" >>"$etc/known_hosts"
	argv=""
	for w in $agent; do
		argv="$argv${argv:+, }\"$w\""
	done
	list_add nodes "	{ name = \"$name\"; host = \"$host\"; port = $port; user = \"$user\";
	  identity = \"$etc/id_ed25519\"; known_hosts = \"$etc/known_hosts\";
	  agent = [ $argv ]; }"
	echo "node $name added to $conf; restart the daemon (systemctl restart sluice)"
	;;
node)
	[ -n "$key" ] && [ -f "$key" ] || die "usage: deploy.sh node --dispatcher-key FILE (the dispatcher's id_ed25519.pub)"
	top=$(cd "$(dirname "$0")/.." && pwd)
	command -v sluice-agent >/dev/null || die "sluice-agent is not installed: make install first (README)"
	command -v sudo >/dev/null && command -v jq >/dev/null ||
		apt-get install -y -q sudo jq
	id sluice >/dev/null 2>&1 || { useradd -m -s /bin/sh sluice && usermod -p '*' sluice; }
	install -d -o root -g root -m 0755 /var/lib/sluice
	install -d -o root -g sluice -m 1770 /var/lib/sluice/jobs
	install -m 0440 "$top/etc/sluice.sudoers" /etc/sudoers.d/sluice
	visudo -cf /etc/sudoers.d/sluice >/dev/null
	install -m 0644 "$top/etc/sshd_config.d/sluice.conf" /etc/ssh/sshd_config.d/
	sshd -t
	systemctl reload ssh 2>/dev/null || service ssh reload
	install -d -o sluice -g sluice -m 0700 ~sluice/.ssh
	grep -qxF "$(cat "$key")" ~sluice/.ssh/authorized_keys 2>/dev/null ||
		cat "$key" >>~sluice/.ssh/authorized_keys
	chown sluice: ~sluice/.ssh/authorized_keys
	sluice-agent info | jq -c '{slots, cgroup, runtimes: [.runtimes[] | {name, check}]}'
	echo "node ready; on the dispatcher host: deploy.sh add-node NAME $(hostname -I | cut -d' ' -f1)"
	;;
*)
	die "unknown command '$cmd': dispatcher, token, node or add-node"
	;;
esac
