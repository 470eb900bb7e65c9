#!/bin/bash
# Compile stages (agent.conf runtimes with compile = {...}) and the
# languages etc/agent.conf ships: each language this machine has runs a
# hello, a compile error, a runtime error, a time limit in the compile stage
# and one in the run.  The compile stage runs in the job's sandbox before
# the run, with its own limits and output; what it makes is there for the
# run, nothing it started is; a failed compile ends the job compile_error
# without a run.  A language whose compiler or interpreter this machine
# lacks is skipped with the reason (.ci/packages installs them all).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/agent.sh"

# A test runtime whose compile stage is a shell: it leaves a process
# behind, writes a file into /job and says so on its own stdout.
AGENT_RUNTIMES="$(etc_runtime c cpp java javascript),
  { name = \"shc\";
    compile = { command = [ \"/bin/sh\", \"-c\",
        \"sleep 1000 & echo made >/job/made; echo compiled; echo warned >&2; [ ! -e /job/fail ] || exit 3; [ ! -e /job/slow ] || sleep 30\" ];
      defaults = { wall_seconds = 20.0; memory_bytes = 536870912L; };
      ceilings = { cpu_seconds = 30.0; }; };
    command = [ \"/bin/sh\", \"-c\",
        \"cat /job/made; for p in /proc/[0-9]*; do cat \$p/comm; done; cat\" ];
    binds = [ \"/usr\", \"/lib\", \"/lib64\", \"/bin\" ]; },
  { name = \"shprod\";
    compile = { command = [ \"/bin/sh\", \"-c\", \"[ -e /job/nomake ] || { cp /job/prog.sh /job/prog; chmod 755 /job/prog; }\" ]; };
    command = [ \"/job/prog\" ]; binds = [ \"/usr\", \"/lib\", \"/lib64\", \"/bin\" ]; },
  { name = \"nolib\"; command = [ \"/usr/bin/python3\", \"{entry}\" ]; binds = [ \"/usr\" ]; },
  { name = \"nomain\"; compile = { command = [ \"/usr/bin/gcc\", \"-o\", \"/job/a\", \"{entry}\" ]; };
    command = [ \"/job/a\" ]; binds = [ \"/usr\", \"/lib\", \"/lib64\", \"/bin\" ]; }"
agent_setup 83300 2

# mk NAME RUNTIME ENTRY CODE [EXTRA_MANIFEST_JSON]: a staged job.
mk() {
	local d
	d=$(job_new "$1")
	printf '%s\n' "$4" >"$d/files/$3"
	jq -n --arg rt "$2" --arg e "$3" --argjson x "${5:-"{}"}" \
		'{version: 1, id: "t", runtime: $rt, entry: $e} + $x' >"$d/job.json"
	echo "$d"
}

# go NAME RUNTIME ENTRY CODE [EXTRA]: mk and run; DIR, RC, RESULT set.
go() {
	DIR=$(mk "$@")
	run_job "$DIR"
}

# --- The shipped languages -------------------------------------------------

# lang NAME RUNTIME ENTRY PROGRAM: a language's probe: skip its cases
# unless the machine has PROGRAM.
have() {
	[ -x "$1" ]
}

check_lang() {
	local rt=$1 entry=$2 hello=$3 bad=$4 crash=$5 crash_verdict=$6 spin=$7
	go "$rt-hello" "$rt" "$entry" "$hello"
	tap_is "$RC/$(r .verdict)/$(cat "$DIR/stdout")" "0/ok/hello 42" "$rt: hello"
	if [ "$rt" = javascript ]; then
		tap_is "$(r .compile)" null "$rt: no compile stage"
	else
		tap_is "$(r .compile.verdict)/$(r .compile.exit_code)" "ok/0" "$rt: its compile stage ended ok"
		tap_cmp "$(r .compile.cpu_seconds)" '>' 0 "$rt: the compile stage's CPU time is its own"
		go "$rt-bad" "$rt" "$entry" "$bad"
		tap_is "$RC/$(r .verdict)/$(r .compile.verdict)/$(r .exit_code)/$(r .cpu_seconds)" \
			"0/compile_error/exited/null/0" "$rt: a compile error is compile_error, and nothing ran"
		tap_like "$(cat "$DIR/compile.stderr" "$DIR/compile.stdout")" 'error' \
			"$rt: the compiler's message is in the compile stage's output"
		tap_is "$(stat -c %s "$DIR/stdout")" 0 "$rt: the run's stdout is empty"
		# A compile stage out of time: javac's start alone takes more
		# CPU than 0.2 s; gcc expands a macro to 10^8 tokens.
		go "$rt-slow" "$rt" "$entry" "$spin" '{"compile_limits": {"cpu_seconds": 0.2, "wall_seconds": 3}}'
		tap_is "$(r .verdict)" compile_error "$rt: a compile stage out of time is compile_error"
		tap_like "$(r .compile.verdict)" '^(cpu_limit|wall_limit)$' "$rt: its own verdict says which limit"
		tap_is "$(r .compile.limits.cpu_seconds)/$(r .limits.cpu_seconds)" "0.2/5" \
			"$rt: the compile stage had its own limits, the run the node's defaults"
	fi
	go "$rt-crash" "$rt" "$entry" "$crash"
	tap_is "$(r .verdict)" "$crash_verdict" "$rt: a runtime error is the run's ($crash_verdict)"
	go "$rt-loop" "$rt" "$entry" "$hello" '{"limits": {"cpu_seconds": 1}}'
	tap_is "$(r .verdict)/$(cat "$DIR/stdout")" "ok/hello 42" "$rt: a run limit of 1 s is enough for hello"
	go "$rt-spin" "$rt" "$entry" "$(spin_run "$rt")" '{"limits": {"cpu_seconds": 1}}'
	tap_is "$(r .verdict)" cpu_limit "$rt: a run out of CPU time is cpu_limit"
	[ "$rt" = javascript ] ||
		tap_is "$(r .compile.verdict)" ok "$rt: after a compile stage that ended ok"
}

# spin_run RUNTIME: a program that compiles and then never ends.
spin_run() {
	case $1 in
	c) echo 'int main(void) { volatile unsigned long i = 0; for (;;) i++; }' ;;
	cpp) echo 'int main() { volatile unsigned long i = 0; for (;;) i++; }' ;;
	java) echo 'public class Main { public static void main(String[] a) { long i = 0; while (true) i++; } }' ;;
	javascript) echo 'let i = 0; for (;;) i++;' ;;
	esac
}

BOMB='#define A(x) x x x x x x x x x x
int main(void) { A(A(A(A(A(A(A(A(;)))))))) return 0; }'

if have /usr/bin/gcc; then
	check_lang c main.c \
		'#include <stdio.h>
int main(void) { printf("hello %d\n", 6 * 7); return 0; }' \
		'int main(void) { return undeclared; }' \
		'int main(void) { volatile int *p = 0; return *p; }' signaled \
		"$BOMB"
	go c-segv c main.c 'int main(void) { volatile int *p = 0; return *p; }'
	tap_is "$(r .signal)" 11 "c: the crash was SIGSEGV"
	go c-stdin c main.c '#include <stdio.h>
int main(void) { char b[64]; if (fgets(b, sizeof b, stdin)) printf("got %s", b); return 0; }'
	tap_is "$(cat "$DIR/stdout")" "" "c: without stdin, the run reads nothing"
	DIR=$(mk c-stdin2 c main.c '#include <stdio.h>
int main(void) { char b[64]; if (fgets(b, sizeof b, stdin)) printf("got %s", b); return 0; }')
	printf 'line\n' >"$DIR/stdin"
	run_job "$DIR"
	tap_is "$(cat "$DIR/stdout")" "got line" "c: the run reads stdin (the compiler did not eat it)"
	go c-out c main.c "$(for i in $(seq 1 200); do echo "int f$i(void) { return x$i; }"; done)" \
		'{"compile_limits": {"output_bytes": 100}}'
	tap_is "$(r .verdict)/$(r .compile.verdict)/$(r .compile.stderr_truncated)/$(stat -c %s "$DIR/compile.stderr")" \
		"compile_error/output_limit/true/100" "c: the compile stage's output limit is its own"
	go c-ceiling c main.c 'int main(void) { return 0; }' \
		'{"compile_limits": {"cpu_seconds": 1000, "memory_bytes": 100000000}}'
	tap_is "$(r .compile.limits.cpu_seconds)/$(r .compile.limits.memory_bytes)/$(r .compile.limits.disk_bytes)" \
		"60/100000000/67108864" "c: compile limits above the ceiling are lowered to it; disk is the run's"
	tap_is "$(r .compile.limits.memory_bytes)/$(r .limits.memory_bytes)" "100000000/268435456" \
		"c: the run has its own memory limit"
	# The run's memory limit applies to the run, even after a compile
	# stage that had more.
	go c-mem c main.c '#include <stdlib.h>
#include <string.h>
int main(void) { for (int i = 0; i < 64; i++) { char *p = malloc(16 << 20); if (!p) return 9; memset(p, 1, 16 << 20); } return 0; }' \
		'{"limits": {"memory_bytes": 134217728}}'
	tap_like "$(r .verdict)" '^(memory_limit)$' "c: the run's memory limit holds after the compile stage's larger one"
	tap_cmp "$(r .memory_peak_bytes)" '<=' 134217728 "c: the run's peak memory is the run's own"
else
	tap_ok 0 "c # SKIP no /usr/bin/gcc (package gcc)"
fi

if have /usr/bin/g++; then
	check_lang cpp main.cpp \
		'#include <iostream>
int main() { std::cout << "hello " << 6 * 7 << std::endl; }' \
		'int main() { return undeclared; }' \
		'#include <stdexcept>
int main() { throw std::runtime_error("boom"); }' signaled \
		"$BOMB"
	go cpp-abort cpp main.cpp '#include <stdexcept>
int main() { throw std::runtime_error("boom"); }'
	tap_is "$(r .signal)" 6 "cpp: an uncaught exception is SIGABRT"
else
	tap_ok 0 "cpp # SKIP no /usr/bin/g++ (package g++)"
fi

if have /usr/lib/jvm/java-17-openjdk-amd64/bin/javac; then
	check_lang java Main.java \
		'public class Main { public static void main(String[] a) { System.out.println("hello " + 6 * 7); } }' \
		'public class Main { public static void main(String[] a) { return undeclared; } }' \
		'public class Main { public static void main(String[] a) { throw new RuntimeException("boom"); } }' exited \
		'public class Main { public static void main(String[] a) { } }'
	go java-name java Solution.java \
		'public class Solution { public static void main(String[] a) { System.out.println("hello " + 6 * 7); } }'
	tap_is "$(r .verdict)/$(cat "$DIR/stdout")" "ok/hello 42" "java: the class is named by the entry ({entry_stem})"
	go java-exc java Main.java \
		'public class Main { public static void main(String[] a) { throw new RuntimeException("boom"); } }'
	tap_like "$(cat "$DIR/stderr")" 'RuntimeException: boom' "java: the exception's trace is on stderr"
else
	tap_ok 0 "java # SKIP no OpenJDK 17 javac (package openjdk-17-jdk-headless)"
fi

if have /usr/bin/node; then
	check_lang javascript main.js 'console.log("hello", 6 * 7)' '' \
		'throw new Error("boom")' exited ''
else
	tap_ok 0 "javascript # SKIP no /usr/bin/node (package nodejs)"
fi

go py-hello python3 main.py 'print("hello", 6 * 7)'
tap_is "$(r .verdict)/$(r .compile)/$(cat "$DIR/stdout")" "ok/null/hello 42" "python3: no compile stage"
# An interpreted language has no compile stage to fail or to run out of
# time: a syntax error is the run's (exited, the interpreter's words on
# stderr), as Judge0 (NZEC) and Piston (its run stage) report it.
go py-syntax python3 main.py 'print("hello"'
tap_is "$(r .verdict)/$(r .exit_code)/$(r .compile)" "exited/1/null" "python3: a syntax error is the run's: exited 1"
tap_like "$(cat "$DIR/stderr")" 'SyntaxError' "python3: with the interpreter's words on stderr"
go py-crash python3 main.py 'raise RuntimeError("boom")'
tap_is "$(r .verdict)/$(r .exit_code)" "exited/1" "python3: a runtime error is exited"
tap_like "$(cat "$DIR/stderr")" 'RuntimeError: boom' "python3: its traceback on stderr"
go py-spin python3 main.py 'while True: pass' '{"limits": {"cpu_seconds": 1}}'
tap_is "$(r .verdict)" cpu_limit "python3: a run out of CPU time is cpu_limit"
if have /usr/bin/node; then
	go js-syntax javascript main.js 'console.log("hello"'
	tap_is "$(r .verdict)/$(r .exit_code)/$(r .compile)" "exited/1/null" \
		"javascript: a syntax error is the run's: exited 1"
	tap_like "$(cat "$DIR/stderr")" 'SyntaxError' "javascript: with node's words on stderr"
fi

# --- The stage boundary ----------------------------------------------------

go sh-ok shc main.sh 'x'
tap_is "$(r .verdict)/$(r .compile.verdict)" "ok/ok" "shc: compile stage, then run"
tap_is "$(head -1 "$DIR/stdout")" made "what the compile stage wrote to /job is there for the run"
tap_is "$(grep -c sleep "$DIR/stdout")" 0 "nothing the compile stage started runs on into the run"
tap_is "$(cat "$DIR/compile.stdout")/$(cat "$DIR/compile.stderr")" "compiled/warned" \
	"the compile stage's output is its own"
tap_is "$(grep -c compiled "$DIR/stdout")" 0 "and not in the run's"
tap_is "$(r .compile.stdout_bytes)/$(r .compile.stderr_bytes)" "9/7" "result: the compile stage's byte counts"

DIR=$(mk sh-fail shc main.sh 'x')
touch "$DIR/files/fail"
run_job "$DIR"
tap_is "$(r .verdict)/$(r .compile.verdict)/$(r .compile.exit_code)" "compile_error/exited/3" \
	"a compile stage that exits non-zero: compile_error"
tap_like "$(r .message)" '^compile stage: ' "the message says it was the compile stage"
tap_is "$(stat -c %s "$DIR/stdout")" 0 "and the run never started"

DIR=$(mk sh-cancel shc main.sh 'x')
touch "$DIR/files/slow"
agent run "$DIR" >/dev/null &
RUNPID=$!
wait_event "$DIR" started 10
sleep 0.5
agent cancel "$DIR" >/dev/null
wait "$RUNPID"
RESULT=$(cat "$DIR/result.json" 2>/dev/null || echo '{}')
tap_is "$(r .verdict)/$(r .compile.verdict)" "cancelled/cancelled" "a job cancelled in its compile stage is cancelled"

DIR=$(mk sh-limits python3 main.py 'print(1)' '{"compile_limits": {"cpu_seconds": 1}}')
run_job "$DIR"
tap_is "$RC" 2 "compile_limits for a runtime without a compile stage: refused"
tap_like "$EVENTS" 'no compile stage' "with a message saying so"
DIR=$(mk sh-disk shc main.sh 'x' '{"compile_limits": {"disk_bytes": 1000000}}')
run_job "$DIR"
tap_is "$RC" 2 "compile_limits.disk_bytes: refused (the disk is the run's)"
DIR=$(mk sh-bad shc main.sh 'x' '{"compile_limits": {"cpu_seconds": -1}}')
run_job "$DIR"
tap_is "$RC" 2 "a malformed compile limit: refused"

# The dispatcher's path: a request of a session.
DIR=$(mk sh-serve shc main.sh 'x')
SLUICE_TEST_AGENT_SERVE=1 run_job "$DIR"
tap_is "$(r .verdict)/$(r .compile.verdict)/$(head -1 "$DIR/stdout")" "ok/ok/made" "through serve as well"

INFO=$(agent info)
tap_is "$(printf '%s' "$INFO" | jq -r '[.runtimes[] | select(.name == "shc" or .name == "python3") | .compile] | join(",")')" \
	"false,true" "info says which runtimes compile"
if have /usr/bin/gcc; then
	tap_like "$(printf '%s' "$INFO" | jq -r '.runtimes[] | select(.name == "c") | .version')" 'gcc' \
		"a compiled runtime's version is its compiler's"
fi

# --- What a submission must not do to its compile stage ---------------------

if have /usr/bin/gcc; then
	# Its env is the run's alone: a preloaded library of the job's own
	# would otherwise run inside the compiler, under the compile stage's
	# larger limits.  Each process that loads it writes its name.
	cat >"$T/spy.c" <<'C'
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void spy(void)
{
	char name[64];
	int in = open("/proc/self/comm", O_RDONLY), out = open("/job/loaded", O_WRONLY | O_APPEND | O_CREAT, 0644);
	ssize_t n = in >= 0 ? read(in, name, sizeof name) : -1;
	if (n > 0 && out >= 0)
		write(out, name, (size_t)n);
}
C
	gcc -shared -fPIC -o "$T/spy.so" "$T/spy.c"
	DIR=$(mk env-spy c main.c '#include <stdio.h>
int main(void) { char b[256]; FILE *f = fopen("/job/loaded", "r"); size_t n = f ? fread(b, 1, sizeof b, f) : 0; fwrite(b, 1, n, stdout); return 0; }' \
		'{"env": {"LD_PRELOAD": "/job/spy.so"}}')
	cp "$T/spy.so" "$DIR/files/spy.so"
	run_job "$DIR"
	tap_is "$(r .verdict)/$(tr '\n' ' ' <"$DIR/stdout")" "ok/main " \
		"the job's env reaches its run, not its compiler (LD_PRELOAD loaded by main only)"
	# What the compile stage leaves in /job is memory of the slot's:
	# more than the run's limit is the run's memory_limit, not the node's
	# fault (a sandbox_error would be tried on another node).
	go c-bigdata c main.c 'char big[48 << 20] = { 1 };
int main(void) { return big[0] - 1; }' '{"limits": {"memory_bytes": 33554432, "disk_bytes": 268435456}}'
	tap_is "$(r .verdict)/$(r .compile.verdict)" "memory_limit/ok" \
		"a compile product larger than the run's memory: memory_limit"
	# Output held in flight (SCM_RIGHTS in a socket no process holds)
	# does not keep the supervisor from the job's end.
	cat >"$T/hold.c" <<'C'
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static void sendfd(int s, int fd)
{
	char c = 'x', buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	mh.msg_iov = &iov; mh.msg_iovlen = 1; mh.msg_control = buf; mh.msg_controllen = sizeof buf;
	cm = CMSG_FIRSTHDR(&mh); cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	sendmsg(s, &mh, 0);
}
static void hold(int fd)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	sendfd(sv[0], fd); sendfd(sv[0], sv[1]); sendfd(sv[1], sv[0]);
	close(sv[0]); close(sv[1]);
}
int main(void) { write(1, "held\n", 5); hold(1); hold(2); return 0; }
C
	gcc -O2 -o "$T/hold" "$T/hold.c"
	DIR=$(mk prod-hold shprod prog.sh '#!/bin/sh
exec /job/hold')
	cp "$T/hold" "$DIR/files/hold"
	T0=$(now)
	run_job "$DIR"
	tap_is "$(r .verdict)/$(cat "$DIR/stdout")" "ok/held" "a run that holds its output in flight ends, its output kept"
	tap_cmp "$(since "$T0")" '<' 30 "and the supervisor does not wait for the kernel's collector"
fi
# A compile stage that ends ok without making the program: the run cannot
# be executed, which is the job's doing (as a shell says it: 127), not the
# node's.
DIR=$(mk prod-none shprod prog.sh 'echo hi')
touch "$DIR/files/nomake"
run_job "$DIR"
tap_is "$(r .verdict)/$(r .exit_code)/$(r .compile.verdict)" "exited/127/ok" \
	"the run's program missing after an ok compile stage: exited 127"
tap_like "$(cat "$DIR/stderr")" "cannot execute '/job/prog'" "and its stderr says why"
DIR=$(mk prod-ok shprod prog.sh '#!/bin/sh
echo made it')
run_job "$DIR"
tap_is "$(r .verdict)/$(cat "$DIR/stdout")" "ok/made it" "(control: made, it runs)"
if have /usr/lib/jvm/java-17-openjdk-amd64/bin/javac; then
	# An annotation processor of the submission's own (a class and its
	# META-INF/services entry in /job) is not run by javac.
	mkdir -p "$T/proc"
	cat >"$T/proc/P.java" <<'J'
import javax.annotation.processing.*;
import javax.lang.model.element.TypeElement;
import java.util.Set;
@SupportedAnnotationTypes("*")
public class P extends AbstractProcessor {
	public boolean process(Set<? extends TypeElement> a, RoundEnvironment r) {
		try { new java.io.File("/job/pwned").createNewFile(); } catch (Exception e) { }
		return false;
	}
}
J
	/usr/lib/jvm/java-17-openjdk-amd64/bin/javac -d "$T/proc" "$T/proc/P.java"
	DIR=$(mk java-proc java Main.java 'public class Main { public static void main(String[] a) { System.out.println(new java.io.File("/job/pwned").exists() ? "pwned" : "clean"); } }')
	cp "$T/proc/P.class" "$DIR/files/"
	mkdir -p "$DIR/files/META-INF/services"
	echo P >"$DIR/files/META-INF/services/javax.annotation.processing.Processor"
	run_job "$DIR"
	tap_is "$(r .verdict)/$(cat "$DIR/stdout")" "ok/clean" "javac runs no annotation processor of the submission's"
fi

# --- Runtimes checked in the sandbox (info) -------------------------------

rm -rf "$BASE/checks"
INFO=$(agent info)
chk() {
	printf '%s' "$INFO" | jq -r --arg n "$1" '.runtimes[] | select(.name == $n) | [.check, (.check_error // "")] | join("|")'
}
tap_is "$(chk python3)" "ok|" "check: python3 runs in the sandbox"
tap_is "$(chk shc)" "ok|" "check: a runtime with a compile stage and no check program of its own"
have /usr/bin/gcc && tap_is "$(chk c)" "ok|" "check: c, with its check program"
have /usr/lib/jvm/java-17-openjdk-amd64/bin/javac && tap_is "$(chk java)" "ok|" "check: java"
have /usr/bin/node && tap_is "$(chk javascript)" "ok|" "check: javascript"
# /usr/bin/python3 is there on the host (its --version answers) but not
# its libraries in the sandbox.
tap_like "$(printf '%s' "$INFO" | jq -r '.runtimes[] | select(.name == "nolib") | .version')" 'Python' \
	"nolib: its --version answers on the host"
tap_like "$(chk nolib)" '^failed\|sandbox error: cannot execute' "check: nolib fails in the sandbox, and says why"
have /usr/bin/gcc && tap_like "$(chk nomain)" "^failed\|compile stage: exited with status 1: " \
	"check: a compiler given the default empty program fails, with the compiler's words"
# Rootless, the agent's account is the one it works as.
tap_is "$(stat -c '%U %a' "$BASE/checks")" "${ROOTLESS_USER:-root} 700" "the checks are root's alone"
tap_is "$(find "$BASE/checks" -name '*.job' | wc -l)" 0 "no check job is left behind"
KEPT=$(cat "$BASE"/checks/*.kept | md5sum)
INFO2=$(agent info)
tap_is "$(printf '%s' "$INFO2" | jq -c '[.runtimes[] | {name, check}]')" \
	"$(printf '%s' "$INFO" | jq -c '[.runtimes[] | {name, check}]')" "a second info reports the same"
# Each kept outcome carries when it was checked: none was checked again.
tap_is "$(cat "$BASE"/checks/*.kept | md5sum)" "$KEPT" "from what the first kept (no runtime checked again)"
# A kept outcome whose key does not match (the runtime changed) is not
# used: a forged "ok" for nolib is checked again.
jq -c '.check = "ok" | del(.check_error) | .key = "0000000000000000"' "$BASE/checks/nolib.kept" >"$T/kept"
cp "$T/kept" "$BASE/checks/nolib.kept"
INFO=$(agent info)
tap_like "$(chk nolib)" '^failed' "a kept outcome of other settings is not used"
# With every slot busy, a runtime not yet checked is "unchecked".
rm -f "$BASE/checks/python3.kept"
DIR1=$(mk busy1 shc main.sh 'x')
DIR2=$(mk busy2 shc main.sh 'x')
touch "$DIR1/files/slow" "$DIR2/files/slow"
agent run "$DIR1" >/dev/null &
P1=$!
agent run "$DIR2" >/dev/null &
P2=$!
wait_event "$DIR1" started 10 && wait_event "$DIR2" started 10
INFO=$(agent info)
tap_is "$(chk python3)" "unchecked|" "every slot busy: python3 unchecked"
agent cancel "$DIR1" >/dev/null
agent cancel "$DIR2" >/dev/null
wait "$P1" "$P2"
INFO=$(agent info)
tap_is "$(chk python3)" "ok|" "and checked once a slot is free"

check_clean "compile stages"
tap_done
