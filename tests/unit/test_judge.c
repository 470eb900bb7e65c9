/* Expected output compared with what a program printed (judge.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "judge.h"

static bool
same(const char *out, const char *exp, bool exact)
{
	return judge_same((const unsigned char *)out, strlen(out),
	    (const unsigned char *)exp, strlen(exp), exact);
}

/* Trailing whitespace of lines and trailing empty lines do not count. */
static void
judge_same__trailing_whitespace__ignored(void **state)
{
	(void)state;
	assert_true(same("42\n", "42", false));
	assert_true(same("1 2 \r\n3\n\n", "1 2\n3", false));
	assert_true(same("a\t\nb \n", "a\nb\n\n\n", false));
	assert_true(same("", "\n \n", false));
	assert_true(same("", "", false));
}

/* Everything else does. */
static void
judge_same__other_differences__count(void **state)
{
	(void)state;
	assert_false(same("42\n", "43\n", false));
	assert_false(same(" 42\n", "42\n", false)); /* leading */
	assert_false(same("1 2\n", "1  2\n", false)); /* inside */
	assert_false(same("a\n\nb\n", "a\nb\n", false)); /* inner blank */
	assert_false(same("a\nb\n", "a\n", false));
	assert_false(same("a\n", "a\nb", false));
	assert_false(same("", "x", false));
	assert_false(same("ab", "a", false));
}

/* Exact: byte for byte, NUL bytes too. */
static void
judge_same__exact__bytes(void **state)
{
	(void)state;
	assert_true(same("42\n", "42\n", true));
	assert_false(same("42\n", "42", true));
	assert_false(same("42 \n", "42\n", true));
	assert_true(judge_same((const unsigned char *)"a\0b", 3,
	    (const unsigned char *)"a\0b", 3, true));
	assert_false(judge_same((const unsigned char *)"a\0b", 3,
	    (const unsigned char *)"a\0c", 3, true));
	assert_false(judge_same((const unsigned char *)"a\0b", 3,
	    (const unsigned char *)"a\0c", 3, false));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(judge_same__trailing_whitespace__ignored),
		cmocka_unit_test(judge_same__other_differences__count),
		cmocka_unit_test(judge_same__exact__bytes),
	};

	return cmocka_run_group_tests_name("judge", tests, NULL, NULL);
}
