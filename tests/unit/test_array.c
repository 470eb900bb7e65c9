/*
 * Unit tests for dispatcher/array.c: `sluice submit --array` SPECs taken
 * apart (lists, ranges, steps, %N, repeats) and every bad SPEC refused
 * with a message that says what is wrong, leaving the output untouched;
 * and what each task is told of its place in the array.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "array.h"
#include "error.h"

/* Parse text, which must be good, and compare with want[0..n). */
static void
check_good(const char *text, const uint32_t *want, size_t n, size_t throttle)
{
	struct array_spec a;
	struct error e;
	size_t i;

	error_init(&e);
	if (array_parse(text, &a, &e) == -1)
		fail_msg("'%s' refused: %s", text, e.msg);
	assert_int_equal(a.n, n);
	for (i = 0; i < n; i++)
		assert_int_equal(a.index[i], want[i]);
	assert_int_equal(a.throttle, throttle);
	array_release(&a);
	assert_null(a.index);
	assert_int_equal(a.n, 0);
}

/* Parse text, which must be refused with a message containing msg. */
static void
check_bad(const char *text, const char *msg)
{
	struct array_spec a;
	struct error e;

	memset(&a, 0xa5, sizeof(a));
	error_init(&e);
	if (array_parse(text, &a, &e) != -1)
		fail_msg("'%s' taken", text);
	assert_int_equal(e.code, ERR_USAGE);
	if (strstr(e.msg, msg) == NULL)
		fail_msg("'%s': '%s' does not say '%s'", text, e.msg, msg);
	/* The output is written only on success. */
	assert_int_equal((uintptr_t)a.index & 0xff, 0xa5);
	assert_int_equal(a.n & 0xff, 0xa5);
}

static void
array_parse__forms__indices_ascending(void **state)
{
	static const uint32_t r16[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12, 13, 14, 15 };
	static const uint32_t list[] = { 1, 3, 5, 6, 7 };
	static const uint32_t step[] = { 0, 2, 4, 6, 8, 10, 12, 14 };
	static const uint32_t step3[] = { 1, 4, 7 };
	static const uint32_t one[] = { 7 };
	static const uint32_t zero[] = { 0 };
	static const uint32_t big[] = { 2147483646, 2147483647 };

	(void)state;
	check_good("0-15", r16, 16, 16);
	check_good("1,3,5-7", list, 5, 5);
	check_good("0-15:2", step, 8, 8);
	/* A step that passes the end stops before it. */
	check_good("1-8:3", step3, 3, 3);
	check_good("0-14:2", step, 8, 8);
	check_good("7", one, 1, 1);
	check_good("0", zero, 1, 1);
	check_good("7-7", one, 1, 1);
	check_good("7-7:5", one, 1, 1);
	/* Leading zeros are decimal, never octal. */
	check_good("007", one, 1, 1);
	check_good("2147483646-2147483647", big, 2, 2);
	/* A step as large as it gets, near the top: no wrap-around. */
	check_good("2147483646-2147483647:2147483647", big, 1, 1);
	/* Items in any order come out ascending. */
	check_good("7,5-6,3,1", list, 5, 5);
}

static void
array_parse__throttle__kept_and_capped(void **state)
{
	static const uint32_t r16[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12, 13, 14, 15 };
	static const uint32_t three[] = { 1, 2, 3 };

	(void)state;
	check_good("0-15%4", r16, 16, 4);
	check_good("0-15%1", r16, 16, 1);
	check_good("0-15:1%16", r16, 16, 16);
	/* More at once than there are tasks is all of them at once. */
	check_good("1-3%100", three, 3, 3);
	check_good("1-3%2147483647", three, 3, 3);
}

static void
array_parse__repeats__each_index_once(void **state)
{
	static const uint32_t want[] = { 1, 2, 3, 5 };
	static const uint32_t r16[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12, 13, 14, 15 };

	(void)state;
	check_good("1,1,2-3,3,5,2", want, 4, 4);
	check_good("0-15,0-15:3,4", r16, 16, 16);
	check_good("3,2,1,5,5,5%3", want, 4, 3);
}

static void
array_parse__bad_specs__refused_with_reason(void **state)
{
	(void)state;
	check_bad("", "empty");
	check_bad(",", "empty");
	check_bad("1,", "empty");
	check_bad(",1", "empty");
	check_bad("1,,2", "empty");
	check_bad("%4", "empty");
	check_bad("5-3", "'5-3' ends before it starts");
	check_bad("0-15:0", "step of '0-15:0' must be at least 1");
	check_bad("-1", "not '-1'");
	check_bad("1--3", "not '-3'");
	check_bad("0-", "the end of a range is missing");
	check_bad("0-15:", "a step is missing");
	check_bad("5:2", "follows a range only");
	check_bad("0-15%0", "must be at least 1");
	check_bad("0-15%", "the limit after '%' is missing");
	check_bad("0-15%x", "the limit after '%' must be a number");
	check_bad("0-15%-1", "must be a number");
	check_bad("0-15%2%3", "unexpected '%3'");
	check_bad("0-15%2,4", "unexpected ',4'");
	check_bad("1-2-3", "unexpected '-3'");
	check_bad("1-3:2:2", "unexpected ':2'");
	check_bad("abc", "not 'abc'");
	check_bad("0x10", "unexpected 'x10'");
	check_bad("+1", "not '+1'");
	check_bad("1e3", "unexpected 'e3'");
	check_bad(" 1", "not ' 1'");
	check_bad("1 ", "unexpected ' '");
	check_bad("1, 2", "not ' 2'");
	check_bad("1\n", "unexpected '\\x0a'");
	check_bad("1\033[2J", "unexpected '\\x1b[2J'");
	check_bad("\xff", "not '\\xff'");
	check_bad("1.5", "unexpected '.5'");
	check_bad("1;rm", "unexpected ';rm'");
}

static void
array_parse__large_numbers__refused_not_wrapped(void **state)
{
	(void)state;
	check_bad("2147483648", "'2147483648' is larger than 2147483647");
	check_bad("4294967296", "larger than 2147483647");
	/* 2^64 and beyond would wrap a 64-bit accumulator. */
	check_bad("18446744073709551617", "larger than 2147483647");
	check_bad("99999999999999999999999999999999999999999", "larger than");
	check_bad("0-4294967295", "larger than");
	check_bad("0-10:4294967297", "larger than");
	check_bad("0-10%4294967297", "larger than");
	check_bad("0-10%18446744073709551616", "larger than");
}

static void
array_parse__too_many__refused_without_expanding(void **state)
{
	static uint32_t want[ARRAY_TASKS_MAX];
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_TASKS_MAX; i++)
		want[i] = (uint32_t)i;
	snprintf(text, sizeof(text), "0-%d", ARRAY_TASKS_MAX - 1);
	check_good(text, want, ARRAY_TASKS_MAX, ARRAY_TASKS_MAX);
	snprintf(text, sizeof(text), "0-%d", ARRAY_TASKS_MAX);
	check_bad(text, "more than 10000 tasks");
	/* The whole index range at once is refused by counting, not by
	   listing two billion indices. */
	check_bad("0-2147483647", "more than 10000 tasks");
	/* Repeats count: a SPEC may not make the parser list more. */
	check_bad("0-9999,0-9999", "more than 10000 tasks");
	check_bad("0-9999,1", "more than 10000 tasks");
	/* A step brings a wide range down to few tasks. */
	check_good("0-2147483647:1000000000",
	    (const uint32_t[]){ 0, 1000000000, 2000000000 }, 3, 3);
}

static void
array_parse__too_long__refused(void **state)
{
	char *text;
	size_t i;

	(void)state;
	text = malloc(ARRAY_SPEC_MAX + 2);
	assert_non_null(text);
	/* "1,1,1,...": ARRAY_SPEC_MAX + 1 bytes. */
	for (i = 0; i < ARRAY_SPEC_MAX + 1; i++)
		text[i] = i % 2 == 0 ? '1' : ',';
	text[ARRAY_SPEC_MAX + 1] = '\0';
	check_bad(text, "longer than 4096 bytes");
	free(text);
}

static void
array_env__task__slurm_like_values(void **state)
{
	char vals[ARRAY_ENV_N][ARRAY_ENV_VALUE_MAX];
	struct array_spec a;
	struct error e;
	size_t n;

	(void)state;
	for (n = 0; array_env_names[n] != NULL; n++)
		assert_non_null(strstr(array_env_names[n], "SLUICE_ARRAY_"));
	assert_int_equal(n, ARRAY_ENV_N);
	assert_string_equal(array_env_names[1], "SLUICE_ARRAY_TASK_ID");
	assert_int_equal(array_parse("3,9-13:2", &a, &e), 0);
	array_env(&a, 1, "00ff", vals);
	assert_string_equal(vals[0], "00ff");
	assert_string_equal(vals[1], "9");
	assert_string_equal(vals[2], "4");
	assert_string_equal(vals[3], "3");
	assert_string_equal(vals[4], "13");
	array_release(&a);
	assert_int_equal(array_parse("2147483647", &a, &e), 0);
	array_env(&a, 0, "x", vals);
	assert_string_equal(vals[1], "2147483647");
	assert_string_equal(vals[2], "1");
	array_release(&a);
}

static void
array_id_format__bytes__hex(void **state)
{
	static const unsigned char rnd[8] = { 0x00, 0x01, 0x7f, 0x80, 0xab,
		0xcd, 0xef, 0xff };
	char id[ARRAY_ID_LEN + 1];

	(void)state;
	memset(id, 'x', sizeof(id));
	array_id_format(rnd, id);
	assert_string_equal(id, "00017f80abcdefff");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(array_parse__forms__indices_ascending),
		cmocka_unit_test(array_parse__throttle__kept_and_capped),
		cmocka_unit_test(array_parse__repeats__each_index_once),
		cmocka_unit_test(array_parse__bad_specs__refused_with_reason),
		cmocka_unit_test(
		    array_parse__large_numbers__refused_not_wrapped),
		cmocka_unit_test(
		    array_parse__too_many__refused_without_expanding),
		cmocka_unit_test(array_parse__too_long__refused),
		cmocka_unit_test(array_env__task__slurm_like_values),
		cmocka_unit_test(array_id_format__bytes__hex),
	};

	return cmocka_run_group_tests_name("array", tests, NULL, NULL);
}
