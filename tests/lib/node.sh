# Throwaway sshd "nodes" on 127.0.0.1 for integration tests.  Source it
# after tests/lib/tap.sh; tests run as root, and every node logs in as root.
# Facts it follows: /work/shared/research/test-nodes.md (PermitUserRC no and
# SetEnv SHLVL=1 keep root's ~/.bashrc out of remote commands; /run/sshd must
# exist; sessions outlive their listener unless killed).
#
#   T=$(mktemp -d) ; trap 'node_teardown_all; rm -rf "$T"' EXIT
#   node_init                        # $T/ssh/id_ed25519{,.pub}, known_hosts
#   port=$(node_free_port)
#   node_start a "$port"             # $T/node-a/, enrolled in known_hosts
#                                    # ($T/node-a/forced, if it exists, is the
#                                    # key's forced command; $T/node-a/setenv,
#                                    # if it exists, more NAME=VALUE words
#                                    # for the sessions' SetEnv)
#   node_pause a ; node_resume a     # SIGSTOP / SIGCONT the whole node
#   node_rekey a                     # new host key (known_hosts unchanged)
#   node_stop a                      # listener, sessions and their commands
#
# A node's processes are found by their executable: each node runs its own
# hard link (or copy) of sshd, $T/node-NAME/sshd, and sshd re-executes that
# path for every connection, so /proc/PID/exe names the node even for
# sessions whose listener died (sshd's process titles overwrite both argv
# and the environment, so neither can carry a marker).  Remote commands are
# found as descendants of those processes; processes that leave the tree
# (double fork and reparenting) are not found.

NODE_SSHD=${NODE_SSHD:-/usr/sbin/sshd}
NODE_SFTP_SERVER=${NODE_SFTP_SERVER:-/usr/lib/openssh/sftp-server}
# Not the pyenv shim: it is slow and takes a lock.
NODE_PYTHON=${NODE_PYTHON:-/usr/bin/python3}

# node_init: the client key (once), an empty known_hosts, /run/sshd.
node_init() {
	: "${T:?node_init needs T, the temporary directory of the test}"
	mkdir -p "$T/ssh" /run/sshd || return 1
	chmod 700 "$T/ssh"
	if [ ! -f "$T/ssh/id_ed25519" ]; then
		ssh-keygen -q -t ed25519 -N '' -C sluice-test-client \
			-f "$T/ssh/id_ed25519" </dev/null || return 1
	fi
	[ -f "$T/ssh/known_hosts" ] || : >"$T/ssh/known_hosts"
	touch "$T/nodes.list"
}

# node_free_port: a TCP port on 127.0.0.1 that the kernel says is free.
node_free_port() {
	"$NODE_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# node_free_port_in LO HI: the first port of LO to HI on 127.0.0.1 that
# can be bound now (nothing if none): for a test given a range of its own.
node_free_port_in() {
	"$NODE_PYTHON" - "$1" "$2" <<'PY'
import socket, sys
for p in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break
PY
}

# node_dir NAME: the node's directory.
node_dir() {
	echo "$T/node-$1"
}

# node_listening PORT [PID]: whether a socket listens on 127.0.0.1:PORT
# (owned by PID, if given).  Checking opens no SSH connection.
node_listening() {
	local hex
	if [ -n "${2:-}" ]; then
		ss -Hltnp "sport = :$1" 2>/dev/null | grep -q "pid=$2,"
		return
	fi
	hex=$(printf '%04X' "$1")
	grep -Eq "^ *[0-9]+: 0100007F:$hex [0-9A-F]{8}:[0-9A-F]{4} 0A " \
		/proc/net/tcp
}

# node_write_config NAME PORT: the node's sshd_config.
node_write_config() {
	local d setenv=""
	d=$(node_dir "$1")
	[ -f "$d/setenv" ] && setenv=" $(tr '\n' ' ' <"$d/setenv")"
	cat >"$d/sshd_config" <<EOF
# Test node $1, written by tests/lib/node.sh.
ListenAddress 127.0.0.1:$2
HostKey $d/ssh_host_ed25519_key
AuthorizedKeysFile $d/authorized_keys
PidFile $d/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitUserRC no
SetEnv SHLVL=1${setenv% }
MaxSessions 64
MaxStartups 64
LogLevel ERROR
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
Subsystem sftp $NODE_SFTP_SERVER
EOF
}

# node_start NAME PORT: start (or restart) node NAME listening on PORT.
# The host key is made once per name; known_hosts gets the node's line the
# first time it starts on that port.
node_start() {
	local name=$1 port=$2 d pid i
	: "${T:?node_start needs T}"
	if [ -z "$name" ] || [ -z "$port" ]; then
		echo "usage: node_start NAME PORT" >&2
		return 1
	fi
	d=$(node_dir "$name")
	mkdir -p "$d"
	if [ -n "$(node_pids "$name")" ]; then
		echo "node_start: node $name is running already" >&2
		return 1
	fi
	if [ ! -f "$d/ssh_host_ed25519_key" ]; then
		ssh-keygen -q -t ed25519 -N '' -C "sluice-test-node-$name" \
			-f "$d/ssh_host_ed25519_key" </dev/null || return 1
	fi
	if [ ! -x "$d/sshd" ]; then
		ln "$NODE_SSHD" "$d/sshd" 2>/dev/null ||
			cp "$NODE_SSHD" "$d/sshd" || return 1
	fi
	# A node with a forced command (the file "forced", as a real node's
	# authorized_keys or ForceCommand has it) lets the key run that only.
	if [ -f "$d/forced" ]; then
		printf 'restrict,command="%s" %s\n' "$(cat "$d/forced")" \
			"$(cat "$T/ssh/id_ed25519.pub")" >"$d/authorized_keys"
	else
		cp "$T/ssh/id_ed25519.pub" "$d/authorized_keys"
	fi
	node_write_config "$name" "$port"
	grep -qxF "$name" "$T/nodes.list" 2>/dev/null ||
		echo "$name" >>"$T/nodes.list"
	echo "$port" >"$d/port"
	"$d/sshd" -D -e -f "$d/sshd_config" </dev/null >>"$d/sshd.log" 2>&1 &
	pid=$!
	# No "Killed" notice from bash when node_stop kills it; bash still
	# reaps it.
	disown "$pid"
	echo "$pid" >"$d/listener.pid"
	for ((i = 0; i < 500; i++)); do
		node_listening "$port" "$pid" && break
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "node_start: sshd of node $name exited:" >&2
			sed 's/^/  /' "$d/sshd.log" >&2
			return 1
		fi
		sleep 0.01
	done
	if ! node_listening "$port" "$pid"; then
		echo "node_start: node $name does not listen on $port" >&2
		sed 's/^/  /' "$d/sshd.log" >&2
		return 1
	fi
	if ! grep -qxF "$port" "$d/enrolled" 2>/dev/null; then
		echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 \
			"$d/ssh_host_ed25519_key.pub")" >>"$T/ssh/known_hosts"
		echo "$port" >>"$d/enrolled"
	fi
}

# proc_descendants PID...: the pids and all their live descendants
# (zombies count as gone).
proc_descendants() {
	[ $# -gt 0 ] || return 0
	ps -e -o pid=,ppid=,stat= | awk -v roots="$*" '
		{ parent[$1] = $2; state[$1] = $3 }
		END {
			n = split(roots, r, " ")
			for (i = 1; i <= n; i++) keep[r[i]] = 1
			do {
				added = 0
				for (p in parent)
					if (!(p in keep) && (parent[p] in keep)) {
						keep[p] = 1
						added = 1
					}
			} while (added)
			for (p in keep)
				if ((p in state) && state[p] !~ /^Z/) print p
		}' | sort -n
}

# node_pids NAME: the pids of the node's sshd processes and all their
# descendants, one a line.
node_pids() {
	local d roots
	d=$(node_dir "$1")
	# Zombies have no exe link, so they do not count.
	roots=$(find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$d/sshd" \
		2>/dev/null | cut -d/ -f3 | tr '\n' ' ')
	[ -n "$roots" ] || return 0
	proc_descendants $roots
}

# node_signal_all NAME SIGNAL: send SIGNAL to the node until no new process
# turns up (a process forked meanwhile gets it too).  Prints every pid hit.
node_signal_all() {
	local name=$1 sig=$2 pids seen=" " p new i
	for ((i = 0; i < 20; i++)); do
		pids=$(node_pids "$name")
		new=0
		for p in $pids; do
			case "$seen" in *" $p "*) continue ;; esac
			kill "-$sig" "$p" 2>/dev/null
			seen="$seen$p "
			new=1
		done
		[ "$new" -eq 0 ] && break
	done
	echo "$seen"
}

# node_pause NAME: stop the listener and every session and command of the
# node (a hung node: its TCP connections stay up).
node_pause() {
	node_signal_all "$1" STOP >/dev/null
}

# node_resume NAME: continue a paused node.
node_resume() {
	node_signal_all "$1" CONT >/dev/null
}

# node_gone PID...: whether none of the pids is alive (zombies are gone).
node_gone() {
	local p st
	for p in "$@"; do
		st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$p/stat" \
			2>/dev/null) || continue
		[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ] || return 1
	done
	return 0
}

# node_stop NAME: kill the listener and every session process it spawned,
# with their commands, and wait until they are gone.  Established
# connections die with their session processes.
node_stop() {
	local name=$1 pids i
	# Freeze first, so that nothing forks or accepts while the node is
	# being collected; SIGKILL then ends stopped processes too.
	pids=$(node_signal_all "$name" STOP)
	pids="$pids $(node_pids "$name")"
	# shellcheck disable=SC2086
	[ -n "${pids// /}" ] && kill -KILL $pids 2>/dev/null
	for ((i = 0; i < 1000; i++)); do
		# shellcheck disable=SC2086
		node_gone $pids && break
		sleep 0.01
	done
	# shellcheck disable=SC2086
	if ! node_gone $pids; then
		echo "node_stop: node $name survives SIGKILL" >&2
		return 1
	fi
	return 0
}

# node_rekey NAME: give node NAME a new host key, leaving known_hosts alone
# (so that the node no longer matches it); restarts the node if it ran.
node_rekey() {
	local name=$1 d running=0
	d=$(node_dir "$name")
	[ -n "$(node_pids "$name")" ] && running=1
	[ "$running" -eq 1 ] && { node_stop "$name" || return 1; }
	rm -f "$d/ssh_host_ed25519_key" "$d/ssh_host_ed25519_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C "sluice-test-node-$name-rekeyed" \
		-f "$d/ssh_host_ed25519_key" </dev/null || return 1
	[ "$running" -eq 1 ] && { node_start "$name" "$(cat "$d/port")" || return 1; }
	return 0
}

# node_fingerprint NAME: the SHA256 fingerprint of the node's host key.
node_fingerprint() {
	ssh-keygen -l -E sha256 -f "$(node_dir "$1")/ssh_host_ed25519_key.pub" |
		awk '{ print $2 }'
}

# node_teardown_all: stop every node this test started (for the EXIT trap).
node_teardown_all() {
	local name
	[ -n "${T:-}" ] && [ -f "$T/nodes.list" ] || return 0
	while read -r name; do
		[ -n "$name" ] && node_stop "$name"
	done <"$T/nodes.list"
	return 0
}
