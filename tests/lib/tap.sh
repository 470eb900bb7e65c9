# A small TAP emitter for integration tests (sourced by tests/integration/*.sh).
# Every assertion prints one "ok N - name" or "not ok N - name" line; the plan
# comes last from tap_done.  A failing assertion prints what it saw as TAP
# diagnostics ("# ..."), so make check's logs say why, and returns 1, so
# that "tap_is ... || diag_job ..." adds what the test knows of the failure
# (a passing one returns 0).

TAP_N=0
TAP_FAILED=0

# ok COND_EXIT_STATUS NAME: pass if the status is 0.
tap_ok() {
	local status=$1
	shift
	TAP_N=$((TAP_N + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $TAP_N - $*"
	else
		echo "not ok $TAP_N - $*"
		TAP_FAILED=$((TAP_FAILED + 1))
		return 1
	fi
}

# is GOT WANT NAME
tap_is() {
	local got=$1 want=$2
	shift 2
	if [ "$got" = "$want" ]; then
		tap_ok 0 "$*"
	else
		tap_ok 1 "$*"
		tap_diag "got:  '$got'"
		tap_diag "want: '$want'"
		return 1
	fi
}

# isnt GOT UNWANTED NAME
tap_isnt() {
	local got=$1 unwanted=$2
	shift 2
	if [ "$got" != "$unwanted" ]; then
		tap_ok 0 "$*"
	else
		tap_ok 1 "$*"
		tap_diag "got the unwanted value '$got'"
		return 1
	fi
}

# like GOT REGEX NAME
tap_like() {
	local got=$1 re=$2
	shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		tap_ok 0 "$*"
	else
		tap_ok 1 "$*"
		tap_diag "got:  '$(printf '%s' "$got" | head -c 400)'"
		tap_diag "want: /$re/"
		return 1
	fi
}

# cmp A OP B NAME: numeric comparison with awk (floats allowed).  A value
# that is not a number (a measurement that is missing, "null" from jq) fails
# the comparison: awk would compare it as a string, and "" < 8 holds.
tap_cmp() {
	local a=$1 op=$2 b=$3
	local num='^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$'
	shift 3
	if [[ $a =~ $num && $b =~ $num ]] &&
		awk -v a="$a" -v b="$b" "BEGIN { exit !(a $op b) }"; then
		tap_ok 0 "$*"
	else
		tap_ok 1 "$*"
		tap_diag "'$a' $op '$b' is false"
		return 1
	fi
}

# tap_skip NAME REASON: one assertion that cannot be made on this run.
tap_skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

tap_diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

tap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# tap_bail REASON: stop the test as a failure (a dependency is missing).
tap_bail() {
	echo "Bail out! $*"
	exit 1
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
