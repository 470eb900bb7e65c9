# Runs one TAP test script (make check passes it as $1, through
# AM_SH_LOG_FLAGS).  For the dispatcher's integration tests (t03xx to
# t05xx), a skip is a failure unless it states a platform reason: the
# machine lacks root, a tool (no jq, no curl, ...) or the build.  A test
# that skips because it lost a race or a node did not start has tested
# nothing, and must not pass for one that did.  Other tests run as they are.

test=$1
shift
case ${test##*/} in
t03[0-9][0-9]-*.sh | t04[0-9][0-9]-*.sh | t05[0-9][0-9]-*.sh) ;;
*) exec "${BASH:-bash}" "$test" "$@" ;;
esac

"${BASH:-bash}" "$test" "$@" | awk '
	function platform(reason) {
		return reason ~ /needs? root/ || reason ~ /^no [^ ]+$/ ||
		    reason ~ /^build first$/
	}
	function reason_of(line) {
		sub(/.*#[ \t]*[Ss][Kk][Ii][Pp][^ \t]*[ \t]*/, "", line)
		return line
	}
	/^1\.\.0[ \t]*#[ \t]*[Ss][Kk][Ii][Pp]/ {
		r = reason_of($0)
		if (!platform(r)) {
			print "1..1"
			print "not ok 1 - skipped without a platform reason: " r
			bad = 1
			next
		}
	}
	/^ok[ \t]/ && /#[ \t]*[Ss][Kk][Ii][Pp]/ {
		r = reason_of($0)
		if (!platform(r)) {
			sub(/#[ \t]*[Ss][Kk][Ii][Pp][^ \t]*/, "skipped without a platform reason:")
			print "not " $0
			bad = 1
			next
		}
	}
	{ print; fflush() }
	END { exit bad }'
status=("${PIPESTATUS[@]}")
[ "${status[0]}" -ne 0 ] && exit "${status[0]}"
exit "${status[1]}"
