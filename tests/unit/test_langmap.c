/* The languages of the Piston and Judge0 APIs (langmap.c): lookups and
   version numbers. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "langmap.h"

static struct settings_language langs[] = {
	{ .runtime = "python3",
	    .piston = "python",
	    .aliases = { "py", "python3" },
	    .naliases = 2,
	    .judge0_id = 71,
	    .judge0_name = "Python ({version})",
	    .source_file = "script.py" },
	{ .runtime = "python3",
	    .judge0_id = 70,
	    .judge0_name = "Python 3 again",
	    .source_file = "a.py" },
	{ .runtime = "node", .piston = "javascript", .source_file = "s.js" },
};

static struct settings set = { .languages = langs, .nlanguages = 3 };

/* Names, aliases and ids find their language; nothing else does. */
static void
langmap_find__names_and_ids__found(void **state)
{
	(void)state;
	assert_ptr_equal(langmap_piston_find(&set, "python"), &langs[0]);
	assert_ptr_equal(langmap_piston_find(&set, "py"), &langs[0]);
	assert_ptr_equal(langmap_piston_find(&set, "javascript"), &langs[2]);
	assert_null(langmap_piston_find(&set, "Python"));
	assert_null(langmap_piston_find(&set, ""));
	assert_null(langmap_piston_find(&set, "python3x"));
	assert_ptr_equal(langmap_judge0_find(&set, 71), &langs[0]);
	assert_ptr_equal(langmap_judge0_find(&set, 70), &langs[1]);
	assert_null(langmap_judge0_find(&set, 0));
	assert_null(langmap_judge0_find(&set, 72));
	assert_null(langmap_judge0_find(&set, 71 + (1LL << 32)));
}

/* A runtime is shown as its first language in each API. */
static void
langmap_by_runtime__first_of_each_api(void **state)
{
	(void)state;
	assert_ptr_equal(langmap_by_runtime(&set, "python3", true), &langs[0]);
	assert_ptr_equal(langmap_by_runtime(&set, "python3", false), &langs[0]);
	assert_ptr_equal(langmap_by_runtime(&set, "node", false), &langs[2]);
	assert_null(langmap_by_runtime(&set, "node", true));
	assert_null(langmap_by_runtime(&set, "cobol", false));
}

static void
number(const char *text, const char *want)
{
	char out[LANGMAP_VERSION_MAX];

	langmap_version_number(text, out);
	assert_string_equal(out, want);
}

/* The number in what an agent reports. */
static void
langmap_version_number__agents_words__number(void **state)
{
	char longer[200], out[LANGMAP_VERSION_MAX];

	(void)state;
	number("Python 3.11.2", "3.11.2");
	number("gcc (Debian 12.2.0-14) 12.2.0", "12.2.0");
	number("v18.19.0", "18.19.0");
	number("openjdk 17.0.9 2023-10-17", "17.0.9");
	number("version 2.", "2");
	number("", "0");
	number("no digits", "0");
	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	langmap_version_number(longer, out);
	assert_int_equal(strlen(out), LANGMAP_VERSION_MAX - 1);
}

/* Versions order by their numbers, not their text. */
static void
langmap_version_cmp__numeric(void **state)
{
	(void)state;
	assert_true(langmap_version_cmp("3.10", "3.9") > 0);
	assert_true(langmap_version_cmp("3.9", "3.10") < 0);
	assert_true(langmap_version_cmp("3", "3.1") < 0);
	assert_true(langmap_version_cmp("12.2.0", "12.2.0") == 0);
	assert_true(langmap_version_cmp("0", "0") == 0);
}

/* Piston's patterns: *, exact, a prefix, x for any part. */
static void
langmap_version_match__patterns(void **state)
{
	(void)state;
	assert_true(langmap_version_match(NULL, "3.11.2"));
	assert_true(langmap_version_match("*", "3.11.2"));
	assert_true(langmap_version_match("3.11.2", "3.11.2"));
	assert_true(langmap_version_match("3", "3.11.2"));
	assert_true(langmap_version_match("3.x", "3.11.2"));
	assert_true(langmap_version_match("3.X.2", "3.11.2"));
	assert_true(langmap_version_match("3.11", "3.11.2"));
	assert_false(langmap_version_match("3.1", "3.11.2"));
	assert_false(langmap_version_match("2", "3.11.2"));
	assert_false(langmap_version_match("3.11.2.0", "3.11.2"));
	assert_false(langmap_version_match("^3", "3.11.2"));
	assert_false(langmap_version_match(">=3", "3.11.2"));
	assert_false(langmap_version_match("", "3.11.2"));
	assert_false(langmap_version_match("3.", "3.11.2"));
	assert_false(langmap_version_match("3..2", "3.11.2"));
	assert_false(langmap_version_match("x", ""));
}

/* A Judge0 name with the node's version. */
static void
langmap_judge0_name__version_replaced(void **state)
{
	char out[64];

	(void)state;
	langmap_judge0_name(&langs[0], "3.11.2", out, sizeof(out));
	assert_string_equal(out, "Python (3.11.2)");
	langmap_judge0_name(&langs[1], "3.11.2", out, sizeof(out));
	assert_string_equal(out, "Python 3 again");
	langmap_judge0_name(&langs[0], "3.11.2", out, 8);
	assert_string_equal(out, "Python ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(langmap_find__names_and_ids__found),
		cmocka_unit_test(langmap_by_runtime__first_of_each_api),
		cmocka_unit_test(langmap_version_number__agents_words__number),
		cmocka_unit_test(langmap_version_cmp__numeric),
		cmocka_unit_test(langmap_version_match__patterns),
		cmocka_unit_test(langmap_judge0_name__version_replaced),
	};

	return cmocka_run_group_tests_name("langmap", tests, NULL, NULL);
}
