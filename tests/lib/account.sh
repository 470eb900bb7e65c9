# A throwaway node account that reaches the agent only through the shipped
# sudo rule (etc/sluice.sudoers), as a real node's dispatcher account does.
# The agent is tests/sluice-agent-pinned: the real agent, built with its
# compiled-in config at $PINNED_CONFIG, so that under sudo it reads a config
# of the test's own.  Tests that use it take turns (flock), since the path
# is one for the whole machine.  Source it after tests/lib/tap.sh.
#
#   T=$(mktemp -d) ; trap 'account_teardown; rm -rf "$T"' EXIT
#   account_setup "$T/base" 72000   # $ACCOUNT, its sudo rule, the pinned config
#   account_do CMD...               # CMD as the account (no tty, clean env)
#   account_agent VERB ARGS...      # sudo -n the agent, as the account
#   account_teardown                # the rule, the account, the config

ACCOUNT_PINNED_SRC="$top_builddir/tests/sluice-agent-pinned"
ACCOUNT_DIR=$(dirname "${PINNED_CONFIG:-/run/sluice-test/agent.conf}")
# Where the sudo rule points: a root-owned copy, as an installed agent is.
ACCOUNT_AGENT="$ACCOUNT_DIR/sluice-agent"
ACCOUNT=
ACCOUNT_SUDOERS=

# account_write_config BASE UID_BASE [EXTRA]: the pinned agent.conf.
account_write_config() {
	cat >"$PINNED_CONFIG.tmp" <<EOF
base_dir = "$1";
slots = 2;
uid_base = $2;
cgroup = "none";
$3
runtimes = ( { name = "python3";
               command = [ "/usr/bin/python3", "-B", "-s", "{entry}" ];
               binds = [ "/usr", "/lib", "/lib64", "/bin", "/etc/python3.11" ]; } );
EOF
	chmod 0644 "$PINNED_CONFIG.tmp" && mv "$PINNED_CONFIG.tmp" "$PINNED_CONFIG"
}

# account_setup BASE UID_BASE: make the account, its jobs directory under
# BASE (root's, sticky, writable by the account's group, as README says),
# the sudo rule for it, and the pinned config.
account_setup() {
	local base=$1 uidb=$2 rule
	: "${PINNED_CONFIG:?account.sh needs PINNED_CONFIG (make check sets it)}"
	command -v sudo >/dev/null || tap_bail "sudo is not installed (.ci/packages lists it)"
	[ -x "$ACCOUNT_PINNED_SRC" ] || tap_bail "no $ACCOUNT_PINNED_SRC (make check builds it)"
	mkdir -p "$ACCOUNT_DIR" && chmod 0755 "$ACCOUNT_DIR" || return 1
	exec 9>"$ACCOUNT_DIR/lock" && flock 9 || return 1
	install -m 0755 "$ACCOUNT_PINNED_SRC" "$ACCOUNT_AGENT" || return 1
	# Names of at most 32 bytes; one per test run.
	ACCOUNT="sluicet$$"
	userdel -r "$ACCOUNT" >/dev/null 2>&1
	useradd -M -d /nonexistent -s /bin/sh "$ACCOUNT" || return 1
	# No password, but not locked: sshd (UsePAM no) refuses a locked one.
	usermod -p "*" "$ACCOUNT" || return 1
	mkdir -p "$base" && chmod 0755 "$base" || return 1
	install -d -o root -g "$ACCOUNT" -m 1770 "$base/jobs" || return 1
	account_write_config "$base" "$uidb" || return 1
	ACCOUNT_SUDOERS="/etc/sudoers.d/sluice-test-$ACCOUNT"
	rule=$(sed -e "s#/usr/local/sbin/sluice-agent#$ACCOUNT_AGENT#g" \
		-e "s#/var/lib/sluice/jobs#$base/jobs#g" \
		-e "s/^Defaults:sluice /Defaults:$ACCOUNT /" \
		-e "s/^sluice /$ACCOUNT /" "$top_srcdir/etc/sluice.sudoers")
	printf '%s\n' "$rule" >"$ACCOUNT_SUDOERS.tmp"
	visudo -cqf "$ACCOUNT_SUDOERS.tmp" || { rm -f "$ACCOUNT_SUDOERS.tmp"; return 1; }
	chmod 0440 "$ACCOUNT_SUDOERS.tmp" && mv "$ACCOUNT_SUDOERS.tmp" "$ACCOUNT_SUDOERS"
}

# account_do CMD...: run CMD as the account, with no terminal.
account_do() {
	setpriv --reuid="$ACCOUNT" --regid="$ACCOUNT" --init-groups \
		env -i PATH=/usr/bin:/bin HOME=/ "$@" </dev/null
}

# account_agent ARGS...: the agent through the sudo rule, as the account.
account_agent() {
	account_do sudo -n "$ACCOUNT_AGENT" "$@"
}

# account_teardown: remove the rule, the account and the pinned config.
account_teardown() {
	[ -n "$ACCOUNT_SUDOERS" ] && rm -f "$ACCOUNT_SUDOERS"
	if [ -n "$ACCOUNT" ]; then
		pkill -KILL -u "$ACCOUNT" 2>/dev/null
		userdel "$ACCOUNT" >/dev/null 2>&1
	fi
	rm -f "$PINNED_CONFIG" "$ACCOUNT_AGENT"
	ACCOUNT= ACCOUNT_SUDOERS=
	return 0
}
