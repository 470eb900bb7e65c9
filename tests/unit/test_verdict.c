/* Unit tests for agent/verdict.c: every rule of verdict.h, in its order. */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "limit.h"
#include "result.h"
#include "verdict.h"

/* Wait statuses, built as the kernel encodes them. */
#define EXITED(n) ((n) << 8)
#define SIGNALED(s) (s)
#define CORE_DUMPED 0x80

#define B_CPU (1u << 0)
#define B_MEMORY (1u << 2)
#define B_DISK (1u << 5)

static const struct limits applied = {
	.cpu_seconds = 5.0,
	.wall_seconds = 10.0,
	.memory_bytes = 268435456,
	.processes = 32,
	.output_bytes = 1048576,
	.disk_bytes = 67108864,
	.open_files = 64,
};

/* Facts of a job that exited with status n after a little CPU time. */
static struct verdict_facts
exited(int n)
{
	struct verdict_facts f;

	memset(&f, 0, sizeof(f));
	f.have_status = true;
	f.status = EXITED(n);
	f.cpu_seconds = 0.25;
	f.limits = &applied;
	return f;
}

/* Facts of a job killed by signal s after cpu seconds of CPU time. */
static struct verdict_facts
signaled(int s, double cpu)
{
	struct verdict_facts f = exited(0);

	f.status = SIGNALED(s);
	f.cpu_seconds = cpu;
	return f;
}

/* Decide into a result that starts out full of stale values. */
static void
decide(const struct verdict_facts *f, struct result *r)
{
	result_init(r);
	r->verdict = VERDICT_OUTPUT_LIMIT;
	r->exit_code = 99;
	r->signal = 99;
	snprintf(r->message, sizeof(r->message), "stale message");
	verdict_decide(f, r);
}

/* Expect the message to contain needle. */
static void
expect_note(const struct result *r, const char *needle)
{
	if (strstr(r->message, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", r->message, needle);
}

static void
verdict_decide__exit_0__ok(void **state)
{
	struct verdict_facts f = exited(0);
	struct result r;

	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_OK);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.signal, 0);
	assert_string_equal(r.message, "");
}

static void
verdict_decide__exit_nonzero__exited(void **state)
{
	struct verdict_facts f = exited(3);
	struct result r;

	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_EXITED);
	assert_int_equal(r.exit_code, 3);
	assert_int_equal(r.signal, 0);
	expect_note(&r, "status 3");
	assert_null(strstr(r.message, "stale"));

	f = exited(255);
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_EXITED);
	assert_int_equal(r.exit_code, 255);
	f = exited(1);
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_EXITED);
	assert_int_equal(r.exit_code, 1);
}

static void
verdict_decide__sandbox_failure__wins_over_everything(void **state)
{
	struct verdict_facts f = signaled(SIGKILL, 99.0);
	struct result r;

	f.sandbox_failed = true;
	f.error = "cannot mount '/usr': No such file or directory";
	f.killed = KILL_CANCEL;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_SANDBOX_ERROR);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, 0);
	expect_note(&r, "cannot mount '/usr'");

	f = exited(0);
	f.sandbox_failed = true;
	f.error = NULL;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_SANDBOX_ERROR);
	assert_int_equal(r.exit_code, -1);
	assert_true(r.message[0] != '\0');
}

static void
verdict_decide__sandbox_failure_after_oom__memory_limit(void **state)
{
	struct verdict_facts f = exited(0);
	struct result r;

	/* A memory limit too small for the sandbox itself: the job asked
	   for it, so it is the job's verdict, not a node fault. */
	f.have_status = false;
	f.sandbox_failed = true;
	f.error = "fork: Cannot allocate memory";
	f.memory_hit = true;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_MEMORY_LIMIT);
	assert_int_equal(r.exit_code, -1);
	expect_note(&r, "memory limit");
}

static void
verdict_decide__cancelled__wins_over_limits(void **state)
{
	struct verdict_facts f = signaled(SIGKILL, 99.0);
	struct result r;

	f.killed = KILL_CANCEL;
	f.memory_hit = true;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_CANCELLED);
	assert_int_equal(r.signal, SIGKILL);
	expect_note(&r, "cancel");
}

static void
verdict_decide__output_kill__output_limit(void **state)
{
	struct verdict_facts f = signaled(SIGKILL, 0.5);
	struct result r;

	f.killed = KILL_OUTPUT;
	f.output_stream = "stderr";
	f.memory_hit = true;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_OUTPUT_LIMIT);
	expect_note(&r, "stderr");
	expect_note(&r, "1048576");

	f.output_stream = NULL;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_OUTPUT_LIMIT);
	assert_true(r.message[0] != '\0');
}

static void
verdict_decide__wall_kill__wall_limit(void **state)
{
	struct verdict_facts f = signaled(SIGKILL, 0.1);
	struct result r;

	f.killed = KILL_WALL;
	f.memory_hit = true;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_WALL_LIMIT);
	assert_int_equal(r.signal, SIGKILL);
	expect_note(&r, "10");
}

static void
verdict_decide__cpu_kill__cpu_limit(void **state)
{
	struct verdict_facts f = signaled(SIGKILL, 5.01);
	struct result r;

	f.killed = KILL_CPU;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_CPU_LIMIT);
	expect_note(&r, "5");
	expect_note(&r, "5.010");

	/* The supervisor's kill counts even if the job exited at once. */
	f = exited(0);
	f.killed = KILL_CPU;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_CPU_LIMIT);
}

static void
verdict_decide__memory_hit_exit_1__memory_limit(void **state)
{
	struct verdict_facts f = exited(1);
	struct result r;

	f.memory_hit = true;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_MEMORY_LIMIT);
	assert_int_equal(r.exit_code, 1);
	expect_note(&r, "268435456");
}

static void
verdict_decide__memory_hit_exit_0__ok_with_note(void **state)
{
	struct verdict_facts f = exited(0);
	struct result r;

	f.memory_hit = true;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_OK);
	assert_int_equal(r.exit_code, 0);
	expect_note(&r, "memory");
}

static void
verdict_decide__memory_hit_killed__memory_limit_before_cpu(void **state)
{
	/* The OOM killer's SIGKILL after the CPU limit is still memory:
	   rule 3 comes before rule 4. */
	struct verdict_facts f = signaled(SIGKILL, 6.0);
	struct result r;

	f.memory_hit = true;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_MEMORY_LIMIT);
	assert_int_equal(r.signal, SIGKILL);
	assert_int_equal(r.exit_code, -1);
}

static void
verdict_decide__sigkill_after_cpu_limit__cpu_limit(void **state)
{
	struct verdict_facts f = signaled(SIGKILL, 5.5);
	struct result r;

	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_CPU_LIMIT);
	assert_int_equal(r.signal, SIGKILL);
	expect_note(&r, "CPU");

	/* Exactly at the limit counts as reaching it. */
	f = signaled(SIGKILL, 5.0);
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_CPU_LIMIT);
}

static void
verdict_decide__sigxcpu_after_cpu_limit__cpu_limit(void **state)
{
	struct verdict_facts f = signaled(SIGXCPU, 6.0);
	struct result r;

	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_CPU_LIMIT);
	assert_int_equal(r.signal, SIGXCPU);

	f = signaled(SIGXCPU | CORE_DUMPED, 6.0);
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_CPU_LIMIT);
	assert_int_equal(r.signal, SIGXCPU);
}

static void
verdict_decide__sigkill_before_cpu_limit__signaled(void **state)
{
	struct verdict_facts f = signaled(SIGKILL, 4.99);
	struct result r;

	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_SIGNALED);
	assert_int_equal(r.signal, SIGKILL);
	assert_int_equal(r.exit_code, -1);
	expect_note(&r, "SIGKILL");
}

static void
verdict_decide__other_signal_after_cpu_limit__signaled(void **state)
{
	struct verdict_facts f = signaled(SIGSEGV | CORE_DUMPED, 50.0);
	struct result r;

	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_SIGNALED);
	assert_int_equal(r.signal, SIGSEGV);
	expect_note(&r, "11");
	expect_note(&r, "SIGSEGV");

	f = signaled(SIGTERM, 0.0);
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_SIGNALED);
	assert_int_equal(r.signal, SIGTERM);
	expect_note(&r, "SIGTERM");
}

static void
verdict_decide__sigsys__signaled_with_seccomp_message(void **state)
{
	struct verdict_facts f = signaled(SIGSYS, 0.01);
	struct result r;

	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_SIGNALED);
	assert_int_equal(r.signal, SIGSYS);
	expect_note(&r, "SIGSYS");
	expect_note(&r, "seccomp");
}

static void
verdict_decide__status_lost__sandbox_error(void **state)
{
	struct verdict_facts f = exited(0);
	struct result r;

	f.have_status = false;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_SANDBOX_ERROR);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, 0);
	assert_true(r.message[0] != '\0');
}

static void
verdict_decide__status_lost_after_wall_kill__wall_limit(void **state)
{
	struct verdict_facts f = exited(0);
	struct result r;

	f.have_status = false;
	f.killed = KILL_WALL;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_WALL_LIMIT);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, 0);
}

static void
verdict_decide__clamped_limits__noted(void **state)
{
	struct verdict_facts f = exited(0);
	struct result r;

	f.clamped = B_CPU | B_MEMORY;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_OK);
	expect_note(&r, "cpu_seconds");
	expect_note(&r, "memory_bytes");
	assert_null(strstr(r.message, "disk_bytes"));
	assert_null(strstr(r.message, "wall_seconds"));
}

static void
verdict_decide__clamped_limits__noted_after_the_reason(void **state)
{
	struct verdict_facts f = exited(2);
	struct result r;
	const char *exit_note, *clamp_note;

	f.clamped = B_DISK;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_EXITED);
	exit_note = strstr(r.message, "2");
	clamp_note = strstr(r.message, "disk_bytes");
	assert_non_null(exit_note);
	assert_non_null(clamp_note);
	assert_true(exit_note < clamp_note);

	/* Every path notes them, the early ones too. */
	f = signaled(SIGKILL, 0.1);
	f.killed = KILL_WALL;
	f.clamped = B_MEMORY;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_WALL_LIMIT);
	expect_note(&r, "memory_bytes");
	f.sandbox_failed = true;
	f.error = "boom";
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_SANDBOX_ERROR);
	expect_note(&r, "boom");
	expect_note(&r, "memory_bytes");
}

static void
verdict_decide__every_limit_clamped__message_bounded(void **state)
{
	struct verdict_facts f = exited(0);
	struct result r;
	char error[2000];

	memset(error, 'e', sizeof(error) - 1);
	error[sizeof(error) - 1] = '\0';
	f.sandbox_failed = true;
	f.error = error;
	f.clamped = (1u << LIMITS_N) - 1;
	decide(&f, &r);
	assert_int_equal(r.verdict, VERDICT_SANDBOX_ERROR);
	assert_true(strlen(r.message) < sizeof(r.message));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verdict_decide__exit_0__ok),
		cmocka_unit_test(verdict_decide__exit_nonzero__exited),
		cmocka_unit_test(
		    verdict_decide__sandbox_failure__wins_over_everything),
		cmocka_unit_test(
		    verdict_decide__sandbox_failure_after_oom__memory_limit),
		cmocka_unit_test(verdict_decide__cancelled__wins_over_limits),
		cmocka_unit_test(verdict_decide__output_kill__output_limit),
		cmocka_unit_test(verdict_decide__wall_kill__wall_limit),
		cmocka_unit_test(verdict_decide__cpu_kill__cpu_limit),
		cmocka_unit_test(
		    verdict_decide__memory_hit_exit_1__memory_limit),
		cmocka_unit_test(
		    verdict_decide__memory_hit_exit_0__ok_with_note),
		cmocka_unit_test(
		    verdict_decide__memory_hit_killed__memory_limit_before_cpu),
		cmocka_unit_test(
		    verdict_decide__sigkill_after_cpu_limit__cpu_limit),
		cmocka_unit_test(
		    verdict_decide__sigxcpu_after_cpu_limit__cpu_limit),
		cmocka_unit_test(
		    verdict_decide__sigkill_before_cpu_limit__signaled),
		cmocka_unit_test(
		    verdict_decide__other_signal_after_cpu_limit__signaled),
		cmocka_unit_test(
		    verdict_decide__sigsys__signaled_with_seccomp_message),
		cmocka_unit_test(verdict_decide__status_lost__sandbox_error),
		cmocka_unit_test(
		    verdict_decide__status_lost_after_wall_kill__wall_limit),
		cmocka_unit_test(verdict_decide__clamped_limits__noted),
		cmocka_unit_test(
		    verdict_decide__clamped_limits__noted_after_the_reason),
		cmocka_unit_test(
		    verdict_decide__every_limit_clamped__message_bounded),
	};

	return cmocka_run_group_tests_name("verdict", tests, NULL, NULL);
}
