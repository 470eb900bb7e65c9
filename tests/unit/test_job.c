/* Unit tests for dispatcher/job.c: names, the state table, directory names. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "job.h"

/* Every state's wire name parses back to the same state. */
static void
job_state_name__every_state__round_trips(void **state)
{
	static const char *const names[] = { "PENDING", "RUNNING", "COMPLETING",
		"COMPLETED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY", "CANCELLED",
		"NODE_FAIL" };
	enum job_state s, back;

	(void)state;
	for (s = JOB_PENDING; s <= JOB_NODE_FAIL; s++) {
		assert_string_equal(job_state_name(s), names[s]);
		assert_int_equal(job_state_parse(names[s], &back), 0);
		assert_int_equal(back, s);
	}
}

/* A value outside the enum has a name that parses as nothing. */
static void
job_state_name__out_of_range__unknown(void **state)
{
	enum job_state back = JOB_RUNNING;

	(void)state;
	assert_string_equal(job_state_name((enum job_state)9), "UNKNOWN");
	assert_string_equal(job_state_name((enum job_state) - 1), "UNKNOWN");
	assert_int_equal(job_state_parse("UNKNOWN", &back), -1);
	assert_int_equal(back, JOB_RUNNING);
}

/* Only the exact wire names parse; *out is left alone otherwise. */
static void
job_state_parse__near_misses__refused(void **state)
{
	static const char *const bad[] = { "", "pending", "Pending", "PENDING ",
		" PENDING", "PEND", "PENDINGX", "done" };
	enum job_state back = JOB_TIMEOUT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(job_state_parse(bad[i], &back), -1);
		assert_int_equal(back, JOB_TIMEOUT);
	}
}

/* Every phase's wire name parses back to the same phase. */
static void
job_phase_name__every_phase__round_trips(void **state)
{
	static const char *const names[] = { "queued", "staging", "running",
		"collecting", "done" };
	enum job_phase p, back;

	(void)state;
	for (p = PHASE_QUEUED; p <= PHASE_DONE; p++) {
		assert_string_equal(job_phase_name(p), names[p]);
		assert_int_equal(job_phase_parse(names[p], &back), 0);
		assert_int_equal(back, p);
	}
	assert_string_equal(job_phase_name((enum job_phase)5), "unknown");
}

/* Phase names are lowercase; the state names are not phases. */
static void
job_phase_parse__near_misses__refused(void **state)
{
	static const char *const bad[] = { "", "QUEUED", "Queued", "queued ",
		"RUNNING", "unknown", "don" };
	enum job_phase back = PHASE_STAGING;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(job_phase_parse(bad[i], &back), -1);
		assert_int_equal(back, PHASE_STAGING);
	}
}

/* PENDING, RUNNING and COMPLETING go on; the six others are the end. */
static void
job_state_final__each_state__matches_table(void **state)
{
	(void)state;
	assert_false(job_state_final(JOB_PENDING));
	assert_false(job_state_final(JOB_RUNNING));
	assert_false(job_state_final(JOB_COMPLETING));
	assert_true(job_state_final(JOB_COMPLETED));
	assert_true(job_state_final(JOB_FAILED));
	assert_true(job_state_final(JOB_TIMEOUT));
	assert_true(job_state_final(JOB_OUT_OF_MEMORY));
	assert_true(job_state_final(JOB_CANCELLED));
	assert_true(job_state_final(JOB_NODE_FAIL));
}

/* The table in job.h: queued and staging are PENDING, and so on. */
static void
job_phase_state__each_phase__matches_table(void **state)
{
	(void)state;
	assert_int_equal(job_phase_state(PHASE_QUEUED), JOB_PENDING);
	assert_int_equal(job_phase_state(PHASE_STAGING), JOB_PENDING);
	assert_int_equal(job_phase_state(PHASE_RUNNING), JOB_RUNNING);
	assert_int_equal(job_phase_state(PHASE_COLLECTING), JOB_COMPLETING);
}

/* DONE has no state of its own and never reads as a success. */
static void
job_phase_state__done__not_completed(void **state)
{
	(void)state;
	assert_int_equal(job_phase_state(PHASE_DONE), JOB_FAILED);
	assert_true(job_state_final(job_phase_state(PHASE_DONE)));
}

/* The mapping of INTERFACES.md section 2, verdict by verdict. */
static void
job_state_for_verdict__each_verdict__matches_interfaces(void **state)
{
	(void)state;
	assert_int_equal(job_state_for_verdict(VERDICT_OK), JOB_COMPLETED);
	assert_int_equal(job_state_for_verdict(VERDICT_EXITED), JOB_FAILED);
	assert_int_equal(job_state_for_verdict(VERDICT_SIGNALED), JOB_FAILED);
	assert_int_equal(job_state_for_verdict(VERDICT_OUTPUT_LIMIT),
	    JOB_FAILED);
	assert_int_equal(job_state_for_verdict(VERDICT_SANDBOX_ERROR),
	    JOB_FAILED);
	assert_int_equal(job_state_for_verdict(VERDICT_CPU_LIMIT), JOB_TIMEOUT);
	assert_int_equal(job_state_for_verdict(VERDICT_WALL_LIMIT),
	    JOB_TIMEOUT);
	assert_int_equal(job_state_for_verdict(VERDICT_MEMORY_LIMIT),
	    JOB_OUT_OF_MEMORY);
	assert_int_equal(job_state_for_verdict(VERDICT_CANCELLED),
	    JOB_CANCELLED);
}

/* Every verdict maps to a final state, none to a running one. */
static void
job_state_for_verdict__every_verdict__final(void **state)
{
	enum verdict v;

	(void)state;
	for (v = VERDICT_OK; v <= VERDICT_SANDBOX_ERROR; v++)
		assert_true(job_state_final(job_state_for_verdict(v)));
	assert_int_equal(job_state_for_verdict((enum verdict)99), JOB_FAILED);
}

/* "<id>.<attempt>", with 64-bit ids written in full. */
static void
job_dir_name__id_and_attempt__dotted(void **state)
{
	char buf[64];

	(void)state;
	job_dir_name(42, 1, buf, sizeof(buf));
	assert_string_equal(buf, "42.1");
	job_dir_name(9007199254740993LL, 12, buf, sizeof(buf));
	assert_string_equal(buf, "9007199254740993.12");
}

/* A short buffer gets a terminated prefix, and nothing beyond it. */
static void
job_dir_name__small_buffer__terminated(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	job_dir_name(123456, 7, buf, 5);
	assert_string_equal(buf, "1234");
	assert_int_equal(buf[5], 'x');
}

/* The inverse reads exactly what job_dir_name() writes, and nothing else
   (names and tags from a node are untrusted). */
static void
job_dir_parse__names__exact(void **state)
{
	static const char *const bad[] = { "", "42", "42.", ".1", "42.0",
		"42.1x", "42.1.1", " 42.1", "+42.1", "-42.1", "42.-1", "42.+1",
		"a42.1", "99999999999999999999.1", "42.99999999999", "42 .1" };
	int64_t id;
	int attempt;
	size_t i;

	(void)state;
	assert_true(job_dir_parse("42.1", 4, &id, &attempt));
	assert_int_equal(id, 42);
	assert_int_equal(attempt, 1);
	assert_true(
	    job_dir_parse("9007199254740993.12 exit 0", 19, &id, &attempt));
	assert_int_equal(id, 9007199254740993LL);
	assert_int_equal(attempt, 12);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (job_dir_parse(bad[i], strlen(bad[i]), &id, &attempt))
			fail_msg("'%s' was read as a directory name", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(job_state_name__every_state__round_trips),
		cmocka_unit_test(job_state_name__out_of_range__unknown),
		cmocka_unit_test(job_state_parse__near_misses__refused),
		cmocka_unit_test(job_phase_name__every_phase__round_trips),
		cmocka_unit_test(job_phase_parse__near_misses__refused),
		cmocka_unit_test(job_state_final__each_state__matches_table),
		cmocka_unit_test(job_phase_state__each_phase__matches_table),
		cmocka_unit_test(job_phase_state__done__not_completed),
		cmocka_unit_test(
		    job_state_for_verdict__each_verdict__matches_interfaces),
		cmocka_unit_test(job_state_for_verdict__every_verdict__final),
		cmocka_unit_test(job_dir_name__id_and_attempt__dotted),
		cmocka_unit_test(job_dir_name__small_buffer__terminated),
		cmocka_unit_test(job_dir_parse__names__exact),
	};

	return cmocka_run_group_tests_name("job", tests, NULL, NULL);
}
