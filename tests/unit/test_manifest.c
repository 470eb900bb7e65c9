/* Unit tests for common/manifest.c: strict parsing of job.json and its JSON form. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "manifest.h"
#include "util.h"

#define B_CPU (1u << 0)
#define B_WALL (1u << 1)
#define B_MEMORY (1u << 2)
#define B_ALL ((1u << LIMITS_N) - 1)

/* The example manifest of INTERFACES.md, section 1. */
static const char full_text[] =
    "{ \"version\": 1, \"id\": \"42\", \"runtime\": \"python3\", "
    "\"entry\": \"main.py\",\n"
    "  \"args\": [\"--n\", \"5\"], \"env\": {\"LANG\": \"C.UTF-8\"},\n"
    "  \"limits\": { \"cpu_seconds\": 5, \"wall_seconds\": 10, "
    "\"memory_bytes\": 268435456,\n"
    "              \"processes\": 16, \"output_bytes\": 1048576, "
    "\"disk_bytes\": 16777216,\n"
    "              \"open_files\": 64 } }";

/*
 * A manifest's text: each field is given as raw JSON, or left out when NULL;
 * extra (raw "key": value pairs) is appended.  The caller frees the text.
 */
static char *
mk(const char *version, const char *id, const char *runtime, const char *entry,
    const char *extra)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *sep = "";

	assert_non_null(f);
	fputc('{', f);
	if (version != NULL) {
		fprintf(f, "%s\"version\": %s", sep, version);
		sep = ", ";
	}
	if (id != NULL) {
		fprintf(f, "%s\"id\": %s", sep, id);
		sep = ", ";
	}
	if (runtime != NULL) {
		fprintf(f, "%s\"runtime\": %s", sep, runtime);
		sep = ", ";
	}
	if (entry != NULL) {
		fprintf(f, "%s\"entry\": %s", sep, entry);
		sep = ", ";
	}
	if (extra != NULL)
		fprintf(f, "%s%s", sep, extra);
	fputc('}', f);
	fclose(f);
	return text;
}

/* A valid manifest's text with extra fields appended. */
static char *
mk_with(const char *extra)
{
	return mk("1", "\"42\"", "\"python3\"", "\"main.py\"", extra);
}

/* A valid manifest's text with entry replaced. */
static char *
mk_entry(const char *entry)
{
	return mk("1", "\"42\"", "\"python3\"", entry, NULL);
}

/* Expect text (which is freed) to be refused, blaming field. */
static void
expect_refused(char *text, const char *field)
{
	struct manifest m, empty;
	struct error e;
	char shown[512];
	int rc;

	memset(&empty, 0, sizeof(empty));
	memset(&m, 0xa5, sizeof(m));
	error_init(&e);
	rc = manifest_parse(text, strlen(text), &m, &e);
	snprintf(shown, sizeof(shown), "%s", text);
	free(text);
	if (rc != -1) {
		manifest_release(&m);
		fail_msg("accepted: %s", shown);
	}
	if (strcmp(e.field, field) != 0)
		fail_msg("field '%s', expected '%s' for: %s (%s)", e.field,
		    field, shown, e.msg);
	assert_int_equal(e.code, ERR_INVALID);
	assert_true(e.msg[0] != '\0');
	/* On failure m is left empty: nothing to free, nothing half-set. */
	assert_memory_equal(&m, &empty, sizeof(m));
}

/* Parse text (which is freed), which must be accepted. */
static void
expect_accepted(char *text, struct manifest *m)
{
	struct error e;
	char shown[512];
	int rc;

	error_init(&e);
	rc = manifest_parse(text, strlen(text), m, &e);
	snprintf(shown, sizeof(shown), "%s", text);
	free(text);
	if (rc != 0)
		fail_msg("refused: %s: %s", shown, e.msg);
}

/* "[\"a\", \"a\", ...]" with n items, for arrays at and past a cap. */
static char *
mk_args(size_t n)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fputs("\"args\": [", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"a%zu\"", i == 0 ? "" : ", ", i);
	fputc(']', f);
	fclose(f);
	return text;
}

/* "{\"V0\": \"x\", ...}" with n variables. */
static char *
mk_env(size_t n)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fputs("\"env\": {", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"V%zu\": \"x\"", i == 0 ? "" : ", ", i);
	fputc('}', f);
	fclose(f);
	return text;
}

/* A JSON string of n copies of c, quoted. */
static char *
mk_string(size_t n, char c)
{
	char *s = malloc(n + 3);

	assert_non_null(s);
	s[0] = '"';
	memset(s + 1, c, n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	return s;
}

static void
manifest_parse__minimal__accepted(void **state)
{
	struct manifest m;

	expect_accepted(mk_with(NULL), &m);
	assert_int_equal(m.version, 1);
	assert_string_equal(m.id, "42");
	assert_string_equal(m.runtime, "python3");
	assert_string_equal(m.entry, "main.py");
	assert_int_equal(m.nargs, 0);
	assert_int_equal(m.nenv, 0);
	assert_int_equal(m.limit_set, 0);
	manifest_release(&m);
	assert_null(m.entry);
}

static void
manifest_parse__full__accepted(void **state)
{
	struct manifest m;
	struct error e;

	error_init(&e);
	assert_int_equal(manifest_parse(full_text, strlen(full_text), &m, &e),
	    0);
	assert_string_equal(m.id, "42");
	assert_string_equal(m.runtime, "python3");
	assert_string_equal(m.entry, "main.py");
	assert_int_equal(m.nargs, 2);
	assert_string_equal(m.args[0], "--n");
	assert_string_equal(m.args[1], "5");
	assert_int_equal(m.nenv, 1);
	assert_string_equal(m.env_keys[0], "LANG");
	assert_string_equal(m.env_values[0], "C.UTF-8");
	assert_int_equal(m.limit_set, B_ALL);
	assert_true(m.limits.cpu_seconds == 5.0);
	assert_true(m.limits.wall_seconds == 10.0);
	assert_int_equal(m.limits.memory_bytes, 268435456);
	assert_int_equal(m.limits.processes, 16);
	assert_int_equal(m.limits.output_bytes, 1048576);
	assert_int_equal(m.limits.disk_bytes, 16777216);
	assert_int_equal(m.limits.open_files, 64);
	manifest_release(&m);
}

static void
manifest_parse__nested_entry_and_empty_lists__accepted(void **state)
{
	struct manifest m;

	expect_accepted(mk("1", "\"job-7.2_a+b\"", "\"gcc-12\"",
			    "\"src/app/main.c\"",
			    "\"args\": [], \"env\": {}, \"limits\": {}"),
	    &m);
	assert_string_equal(m.id, "job-7.2_a+b");
	assert_string_equal(m.entry, "src/app/main.c");
	assert_int_equal(m.nargs, 0);
	assert_int_equal(m.nenv, 0);
	assert_int_equal(m.limit_set, 0);
	manifest_release(&m);
}

static void
manifest_parse__length_argument__honoured(void **state)
{
	static const char text[] = "{\"version\": 1, \"id\": \"1\", "
				   "\"runtime\": \"sh\", \"entry\": \"x\"}"
				   "trailing garbage";
	struct manifest m;
	struct error e;

	error_init(&e);
	assert_int_equal(manifest_parse(text,
			     strlen(text) - strlen("trailing garbage"), &m, &e),
	    0);
	assert_string_equal(m.entry, "x");
	manifest_release(&m);
	assert_int_equal(manifest_parse(text, strlen(text), &m, &e), -1);
}

static void
manifest_parse__bad_json__refused(void **state)
{
	expect_refused(strdup(""), "");
	expect_refused(strdup("{"), "");
	expect_refused(strdup("{\"version\": 1,}"), "");
	expect_refused(strdup("{'version': 1}"), "");
	expect_refused(mk_with("\"id\": \"43\""), ""); /* duplicate key */
}

static void
manifest_parse__not_an_object__refused(void **state)
{
	expect_refused(strdup("[]"), "");
	expect_refused(strdup("[{\"version\": 1}]"), "");
	expect_refused(strdup("\"job\""), "");
	expect_refused(strdup("1"), "");
	expect_refused(strdup("null"), "");
}

static void
manifest_parse__too_large__refused(void **state)
{
	size_t len = MANIFEST_MAX_BYTES + 1;
	char *text = mk_with(NULL), *big = malloc(len + 1);
	struct manifest m;
	struct error e;

	/* Valid JSON padded with spaces past the cap. */
	assert_non_null(big);
	memset(big, ' ', len);
	big[len] = '\0';
	memcpy(big, text, strlen(text));
	free(text);
	error_init(&e);
	assert_int_equal(manifest_parse(big, len, &m, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	free(big);
}

static void
manifest_parse__unknown_field__refused(void **state)
{
	expect_refused(mk_with("\"command\": \"/bin/sh\""), "command");
	expect_refused(mk_with("\"Limits\": {}"), "Limits");
	expect_refused(mk_with("\"stdin\": null"), "stdin");
}

static void
manifest_parse__version_not_1__refused(void **state)
{
	expect_refused(mk(NULL, "\"42\"", "\"python3\"", "\"main.py\"", NULL),
	    "version");
	expect_refused(mk("2", "\"42\"", "\"python3\"", "\"main.py\"", NULL),
	    "version");
	expect_refused(mk("0", "\"42\"", "\"python3\"", "\"main.py\"", NULL),
	    "version");
	expect_refused(mk("\"1\"", "\"42\"", "\"python3\"", "\"main.py\"",
			   NULL),
	    "version");
	expect_refused(mk("1.0", "\"42\"", "\"python3\"", "\"main.py\"", NULL),
	    "version");
	expect_refused(mk("true", "\"42\"", "\"python3\"", "\"main.py\"", NULL),
	    "version");
	expect_refused(mk("null", "\"42\"", "\"python3\"", "\"main.py\"", NULL),
	    "version");
}

static void
manifest_parse__bad_id__refused(void **state)
{
	static const char *bad[] = { "\"\"", "\".\"", "\"..\"", "\"a/b\"",
		"\"../42\"", "\"4 2\"", "\"42\\n\"", "\"caf\\u00e9\"", "42",
		"null", "[\"42\"]", NULL };
	char *long_id = mk_string(MANIFEST_ID_MAX + 1, '7');
	int i;

	expect_refused(mk("1", NULL, "\"python3\"", "\"main.py\"", NULL), "id");
	for (i = 0; bad[i] != NULL; i++)
		expect_refused(mk("1", bad[i], "\"python3\"", "\"main.py\"",
				   NULL),
		    "id");
	expect_refused(mk("1", long_id, "\"python3\"", "\"main.py\"", NULL),
	    "id");
	free(long_id);
}

static void
manifest_parse__id_at_max_length__accepted(void **state)
{
	char *id = mk_string(MANIFEST_ID_MAX, '7');
	struct manifest m;

	expect_accepted(mk("1", id, "\"python3\"", "\"main.py\"", NULL), &m);
	assert_int_equal(strlen(m.id), MANIFEST_ID_MAX);
	manifest_release(&m);
	free(id);
}

static void
manifest_parse__bad_runtime__refused(void **state)
{
	static const char *bad[] = { "\"\"", "\"..\"", "\"/usr/bin/python3\"",
		"\"py thon\"", "\"py;rm\"", "3", "false", NULL };
	char *long_rt = mk_string(MANIFEST_RUNTIME_MAX + 1, 'r');
	int i;

	expect_refused(mk("1", "\"42\"", NULL, "\"main.py\"", NULL), "runtime");
	for (i = 0; bad[i] != NULL; i++)
		expect_refused(mk("1", "\"42\"", bad[i], "\"main.py\"", NULL),
		    "runtime");
	expect_refused(mk("1", "\"42\"", long_rt, "\"main.py\"", NULL),
	    "runtime");
	free(long_rt);
}

static void
manifest_parse__missing_entry__refused(void **state)
{
	expect_refused(mk("1", "\"42\"", "\"python3\"", NULL, NULL), "entry");
}

static void
manifest_parse__entry_not_a_string__refused(void **state)
{
	expect_refused(mk_entry("5"), "entry");
	expect_refused(mk_entry("null"), "entry");
	expect_refused(mk_entry("[\"main.py\"]"), "entry");
}

static void
manifest_parse__entry_absolute__refused(void **state)
{
	expect_refused(mk_entry("\"/etc/passwd\""), "entry");
	expect_refused(mk_entry("\"/\""), "entry");
}

static void
manifest_parse__entry_with_dotdot__refused(void **state)
{
	expect_refused(mk_entry("\"..\""), "entry");
	expect_refused(mk_entry("\"../main.py\""), "entry");
	expect_refused(mk_entry("\"src/../../main.py\""), "entry");
	expect_refused(mk_entry("\"src/..\""), "entry");
	expect_refused(mk_entry("\"./main.py\""), "entry");
}

static void
manifest_parse__entry_with_empty_component__refused(void **state)
{
	expect_refused(mk_entry("\"\""), "entry");
	expect_refused(mk_entry("\"src//main.py\""), "entry");
	expect_refused(mk_entry("\"src/\""), "entry");
}

static void
manifest_parse__entry_with_control_characters__refused(void **state)
{
	expect_refused(mk_entry("\"main\\n.py\""), "entry");
	expect_refused(mk_entry("\"main\\t.py\""), "entry");
	expect_refused(mk_entry("\"\\u001b[1m.py\""), "entry");
	expect_refused(mk_entry("\"main.py\\u007f\""), "entry");
}

static void
manifest_parse__entry_too_long__refused(void **state)
{
	char *entry = mk_string(UTIL_PATH_MAX + 1, 'e');

	expect_refused(mk_entry(entry), "entry");
	free(entry);
}

static void
manifest_parse__args_not_an_array__refused(void **state)
{
	expect_refused(mk_with("\"args\": \"--n 5\""), "args");
	expect_refused(mk_with("\"args\": {\"n\": \"5\"}"), "args");
	expect_refused(mk_with("\"args\": null"), "args");
}

static void
manifest_parse__args_not_strings__refused(void **state)
{
	expect_refused(mk_with("\"args\": [5]"), "args");
	expect_refused(mk_with("\"args\": [\"a\", null]"), "args");
	expect_refused(mk_with("\"args\": [\"a\", [\"b\"]]"), "args");
	expect_refused(mk_with("\"args\": [\"a\", true]"), "args");
}

static void
manifest_parse__args_at_cap__accepted(void **state)
{
	char *args = mk_args(MANIFEST_ARGS_MAX);
	struct manifest m;

	expect_accepted(mk_with(args), &m);
	assert_int_equal(m.nargs, MANIFEST_ARGS_MAX);
	assert_string_equal(m.args[MANIFEST_ARGS_MAX - 1], "a255");
	manifest_release(&m);
	free(args);
}

static void
manifest_parse__too_many_args__refused(void **state)
{
	char *args = mk_args(MANIFEST_ARGS_MAX + 1);

	expect_refused(mk_with(args), "args");
	free(args);
}

static void
manifest_parse__arg_too_long__refused(void **state)
{
	char *arg = mk_string(MANIFEST_ARG_BYTES + 1, 'x'), *extra;
	struct manifest m;

	assert_true(asprintf(&extra, "\"args\": [\"ok\", %s]", arg) > 0);
	expect_refused(mk_with(extra), "args");
	free(extra);
	free(arg);
	/* Exactly the cap is fine. */
	arg = mk_string(MANIFEST_ARG_BYTES, 'x');
	assert_true(asprintf(&extra, "\"args\": [%s]", arg) > 0);
	expect_accepted(mk_with(extra), &m);
	assert_int_equal(strlen(m.args[0]), MANIFEST_ARG_BYTES);
	manifest_release(&m);
	free(extra);
	free(arg);
}

static void
manifest_parse__arg_with_nul__refused(void **state)
{
	struct manifest m, empty;
	struct error e;
	char *text = mk_with("\"args\": [\"a\\u0000b\"]");

	memset(&empty, 0, sizeof(empty));
	error_init(&e);
	assert_int_equal(manifest_parse(text, strlen(text), &m, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_memory_equal(&m, &empty, sizeof(m));
	free(text);
}

static void
manifest_parse__env_not_an_object__refused(void **state)
{
	expect_refused(mk_with("\"env\": [\"A=1\"]"), "env");
	expect_refused(mk_with("\"env\": \"A=1\""), "env");
	expect_refused(mk_with("\"env\": null"), "env");
}

static void
manifest_parse__env_bad_key__refused(void **state)
{
	char *key = mk_string(MANIFEST_ENV_KEY_MAX + 1, 'K'), *extra;

	expect_refused(mk_with("\"env\": {\"1ABC\": \"x\"}"), "env");
	expect_refused(mk_with("\"env\": {\"A-B\": \"x\"}"), "env");
	expect_refused(mk_with("\"env\": {\"A=B\": \"x\"}"), "env");
	expect_refused(mk_with("\"env\": {\"\": \"x\"}"), "env");
	expect_refused(mk_with("\"env\": {\"PATH \": \"x\"}"), "env");
	expect_refused(mk_with(
			   "\"env\": {\"OK\": \"1\", \"L\\u00c4NG\": \"x\"}"),
	    "env");
	assert_true(asprintf(&extra, "\"env\": {%s: \"x\"}", key) > 0);
	expect_refused(mk_with(extra), "env");
	free(extra);
	free(key);
}

static void
manifest_parse__env_value_not_a_string__refused(void **state)
{
	expect_refused(mk_with("\"env\": {\"N\": 5}"), "env");
	expect_refused(mk_with("\"env\": {\"A\": \"1\", \"N\": null}"), "env");
	expect_refused(mk_with("\"env\": {\"N\": [\"x\"]}"), "env");
	expect_refused(mk_with("\"env\": {\"N\": true}"), "env");
}

static void
manifest_parse__env_value_too_long__refused(void **state)
{
	char *value = mk_string(MANIFEST_ENV_VALUE_BYTES + 1, 'v'), *extra;

	assert_true(asprintf(&extra, "\"env\": {\"BIG\": %s}", value) > 0);
	expect_refused(mk_with(extra), "env");
	free(extra);
	free(value);
}

static void
manifest_parse__env_at_cap__accepted(void **state)
{
	char *env = mk_env(MANIFEST_ENV_MAX);
	struct manifest m;

	expect_accepted(mk_with(env), &m);
	assert_int_equal(m.nenv, MANIFEST_ENV_MAX);
	manifest_release(&m);
	free(env);
}

static void
manifest_parse__too_many_env__refused(void **state)
{
	char *env = mk_env(MANIFEST_ENV_MAX + 1);

	expect_refused(mk_with(env), "env");
	free(env);
}

static void
manifest_parse__bad_limits__refused(void **state)
{
	expect_refused(mk_with("\"limits\": [5]"), "limits");
	expect_refused(mk_with("\"limits\": {\"gpus\": 1}"), "limits");
	expect_refused(mk_with("\"limits\": {\"memory_bytes\": -1}"),
	    "memory_bytes");
	expect_refused(mk_with("\"limits\": {\"processes\": 1.5}"),
	    "processes");
	expect_refused(mk_with("\"limits\": {\"cpu_seconds\": \"5\"}"),
	    "cpu_seconds");
	expect_refused(mk_with("\"limits\": {\"wall_seconds\": 0}"),
	    "wall_seconds");
}

static void
manifest_parse__late_failure__frees_and_empties(void **state)
{
	/* args and env are parsed and copied before the limits fail; the
	   leak checker and the empty manifest prove they were released. */
	expect_refused(mk_with("\"args\": [\"a\", \"b\"], \"env\": {\"A\": "
			       "\"1\", \"B\": \"2\"}, \"limits\": "
			       "{\"open_files\": 0}"),
	    "open_files");
	expect_refused(mk_with("\"args\": [\"a\", \"b\"], \"env\": {\"A\": "
			       "\"1\", \"B\": 2}"),
	    "env");
}

static void
manifest_env_key_ok__names__checked(void **state)
{
	char key[MANIFEST_ENV_KEY_MAX + 2];

	assert_true(manifest_env_key_ok("_"));
	assert_true(manifest_env_key_ok("LANG"));
	assert_true(manifest_env_key_ok("my_var_2"));
	assert_false(manifest_env_key_ok(""));
	assert_false(manifest_env_key_ok("2X"));
	assert_false(manifest_env_key_ok("A.B"));
	memset(key, 'K', MANIFEST_ENV_KEY_MAX);
	key[MANIFEST_ENV_KEY_MAX] = '\0';
	assert_true(manifest_env_key_ok(key));
	key[MANIFEST_ENV_KEY_MAX] = 'K';
	key[MANIFEST_ENV_KEY_MAX + 1] = '\0';
	assert_false(manifest_env_key_ok(key));
}

static void
manifest_to_json__full__round_trips(void **state)
{
	struct manifest m, back;
	struct error e;
	json_t *obj;
	char *text;

	error_init(&e);
	assert_int_equal(manifest_parse(full_text, strlen(full_text), &m, &e),
	    0);
	obj = manifest_to_json(&m);
	assert_non_null(obj);
	assert_int_equal(json_integer_value(json_object_get(obj, "version")),
	    1);
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	assert_non_null(text);
	assert_int_equal(manifest_parse(text, strlen(text), &back, &e), 0);
	free(text);
	assert_string_equal(back.id, m.id);
	assert_string_equal(back.runtime, m.runtime);
	assert_string_equal(back.entry, m.entry);
	assert_int_equal(back.nargs, 2);
	assert_string_equal(back.args[0], "--n");
	assert_string_equal(back.args[1], "5");
	assert_int_equal(back.nenv, 1);
	assert_string_equal(back.env_keys[0], "LANG");
	assert_string_equal(back.env_values[0], "C.UTF-8");
	assert_int_equal(back.limit_set, m.limit_set);
	assert_memory_equal(&back.limits, &m.limits, sizeof(m.limits));
	manifest_release(&back);
	manifest_release(&m);
}

static void
manifest_to_json__some_limits__only_those_written(void **state)
{
	struct manifest m, back;
	struct error e;
	json_t *obj, *limits;
	char *text;

	expect_accepted(mk_with("\"limits\": {\"cpu_seconds\": 1.5, "
				"\"memory_bytes\": 1048576}, "
				"\"args\": [\"x y\", \"\"]"),
	    &m);
	obj = manifest_to_json(&m);
	assert_non_null(obj);
	limits = json_object_get(obj, "limits");
	assert_int_equal(json_object_size(limits), 2);
	assert_true(json_is_integer(json_object_get(limits, "memory_bytes")));
	assert_null(json_object_get(limits, "wall_seconds"));
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	error_init(&e);
	assert_int_equal(manifest_parse(text, strlen(text), &back, &e), 0);
	free(text);
	assert_int_equal(back.limit_set, B_CPU | B_MEMORY);
	assert_true(back.limits.cpu_seconds == 1.5);
	assert_int_equal(back.limits.memory_bytes, 1048576);
	assert_int_equal(back.nargs, 2);
	assert_string_equal(back.args[0], "x y");
	assert_string_equal(back.args[1], "");
	manifest_release(&back);
	manifest_release(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(manifest_parse__minimal__accepted),
		cmocka_unit_test(manifest_parse__full__accepted),
		cmocka_unit_test(
		    manifest_parse__nested_entry_and_empty_lists__accepted),
		cmocka_unit_test(manifest_parse__length_argument__honoured),
		cmocka_unit_test(manifest_parse__bad_json__refused),
		cmocka_unit_test(manifest_parse__not_an_object__refused),
		cmocka_unit_test(manifest_parse__too_large__refused),
		cmocka_unit_test(manifest_parse__unknown_field__refused),
		cmocka_unit_test(manifest_parse__version_not_1__refused),
		cmocka_unit_test(manifest_parse__bad_id__refused),
		cmocka_unit_test(manifest_parse__id_at_max_length__accepted),
		cmocka_unit_test(manifest_parse__bad_runtime__refused),
		cmocka_unit_test(manifest_parse__missing_entry__refused),
		cmocka_unit_test(manifest_parse__entry_not_a_string__refused),
		cmocka_unit_test(manifest_parse__entry_absolute__refused),
		cmocka_unit_test(manifest_parse__entry_with_dotdot__refused),
		cmocka_unit_test(
		    manifest_parse__entry_with_empty_component__refused),
		cmocka_unit_test(
		    manifest_parse__entry_with_control_characters__refused),
		cmocka_unit_test(manifest_parse__entry_too_long__refused),
		cmocka_unit_test(manifest_parse__args_not_an_array__refused),
		cmocka_unit_test(manifest_parse__args_not_strings__refused),
		cmocka_unit_test(manifest_parse__args_at_cap__accepted),
		cmocka_unit_test(manifest_parse__too_many_args__refused),
		cmocka_unit_test(manifest_parse__arg_too_long__refused),
		cmocka_unit_test(manifest_parse__arg_with_nul__refused),
		cmocka_unit_test(manifest_parse__env_not_an_object__refused),
		cmocka_unit_test(manifest_parse__env_bad_key__refused),
		cmocka_unit_test(
		    manifest_parse__env_value_not_a_string__refused),
		cmocka_unit_test(manifest_parse__env_value_too_long__refused),
		cmocka_unit_test(manifest_parse__env_at_cap__accepted),
		cmocka_unit_test(manifest_parse__too_many_env__refused),
		cmocka_unit_test(manifest_parse__bad_limits__refused),
		cmocka_unit_test(
		    manifest_parse__late_failure__frees_and_empties),
		cmocka_unit_test(manifest_env_key_ok__names__checked),
		cmocka_unit_test(manifest_to_json__full__round_trips),
		cmocka_unit_test(
		    manifest_to_json__some_limits__only_those_written),
	};

	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
