/* Unit tests for dispatcher/request.c: submissions as they arrive over HTTP. */
#include "config.h"

#include <errno.h>
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
#include "request.h"

#define B_CPU (1u << 0)
#define B_WALL (1u << 1)
#define B_MEMORY (1u << 2)

static const struct request_caps caps = {
	.max_files = 100,
	.max_file_bytes = 8ULL * 1024 * 1024,
	.max_total_bytes = 16ULL * 1024 * 1024,
	.max_labels = 16,
};

/* Small caps, so that size limits are reached with short bodies. */
static const struct request_caps small = {
	.max_files = 4,
	.max_file_bytes = 10,
	.max_total_bytes = 25,
	.max_labels = 2,
};

/* A copy of text with every ' turned into ", so bodies read easily here. */
static char *
q(const char *text)
{
	char *s = strdup(text), *p;

	assert_non_null(s);
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

/* Whether s is printable ASCII only. */
static bool
ascii_only(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* Parse len bytes of body with c, expecting success. */
static void
accept_raw(const char *body, size_t len, const struct request_caps *c,
    struct submission *sub)
{
	struct error e;
	int status = 12345;

	error_init(&e);
	if (request_parse(body, len, c, sub, &status, &e) != 0)
		fail_msg("refused (%d, field '%s'): %s: %.200s", status,
		    e.field, e.msg, body);
	assert_int_equal(status, 12345);
}

/* Parse a single-quoted body with c, expecting success. */
static void
accept_with(const char *text, const struct request_caps *c,
    struct submission *sub)
{
	char *body = q(text);

	accept_raw(body, strlen(body), c, sub);
	free(body);
}

/* Parse a single-quoted body with the normal caps, expecting success. */
static void
accept(const char *text, struct submission *sub)
{
	accept_with(text, &caps, sub);
}

/*
 * Expect len bytes of body to be refused with status, blaming field, and
 * sub to be left alone; the message must be printable ASCII.
 */
static void
refuse_raw(const char *body, size_t len, const struct request_caps *c,
    int status, const char *field)
{
	struct submission sub, before;
	struct error e;
	int got = 0;

	memset(&sub, 0xa5, sizeof(sub));
	memcpy(&before, &sub, sizeof(sub));
	error_init(&e);
	if (request_parse(body, len, c, &sub, &got, &e) != -1)
		fail_msg("accepted: %.200s", body);
	if (got != status || strcmp(e.field, field) != 0)
		fail_msg("wanted %d '%s', got %d '%s' (%s) for %.200s", status,
		    field, got, e.field, e.msg, body);
	assert_true(e.msg[0] != '\0');
	assert_true(ascii_only(e.msg));
	assert_true(ascii_only(e.field));
	assert_memory_equal(&sub, &before, sizeof(sub));
}

/* Expect a single-quoted body to be refused (normal caps). */
static void
refuse(const char *text, int status, const char *field)
{
	char *body = q(text);

	refuse_raw(body, strlen(body), &caps, status, field);
	free(body);
}

/* Expect a single-quoted body to be refused under caps c. */
static void
refuse_with(const char *text, const struct request_caps *c, int status,
    const char *field)
{
	char *body = q(text);

	refuse_raw(body, strlen(body), c, status, field);
	free(body);
}

/* A body with a files object of n files ("f0".."fn-1") and m base64 ones. */
static char *
many_files(size_t n, size_t m)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fputs("{\"runtime\": \"python3\", \"entry\": \"f0\", \"files\": {", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"f%zu\": \"x\"", i ? ", " : "", i);
	fputs("}, \"files_base64\": {", f);
	for (i = 0; i < m; i++)
		fprintf(f, "%s\"b%zu\": \"eA==\"", i ? ", " : "", i);
	fputs("}}", f);
	fclose(f);
	return text;
}

/* A string of n copies of c. */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* The body {"runtime":"python3","source":"x", key: value}. */
static char *
with_field(const char *key, const char *value)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fprintf(f, "{\"runtime\": \"python3\", \"source\": \"x\", \"%s\": %s}",
	    key, value);
	fclose(f);
	return text;
}

/* Expect the short form plus one field given as raw JSON to be refused. */
static void
refuse_field(const char *key, const char *value, int status, const char *field)
{
	char *body = with_field(key, value);

	refuse_raw(body, strlen(body), &caps, status, field);
	free(body);
}

/* The file called name in sub; the test fails if there is none. */
static const struct request_file *
file_named(const struct submission *sub, const char *name)
{
	static const struct request_file none = { NULL, NULL, 0 };
	size_t i;

	for (i = 0; i < sub->nfiles; i++)
		if (strcmp(sub->files[i].name, name) == 0)
			return &sub->files[i];
	fail_msg("no file '%s'", name);
	return &none;
}

/* ---- acceptance ---- */

static void
request_parse__short_form__main_py_is_file_and_entry(void **state)
{
	struct submission sub;

	(void)state;
	accept("{'runtime': 'python3', 'source': 'print(1)'}", &sub);
	assert_string_equal(sub.runtime, "python3");
	assert_int_equal(sub.nfiles, 1);
	assert_string_equal(sub.files[0].name, "main.py");
	assert_int_equal(sub.files[0].len, 8);
	assert_memory_equal(sub.files[0].data, "print(1)", 9);
	assert_string_equal(sub.entry, "main.py");
	assert_false(sub.has_stdin);
	assert_null(sub.stdin_data);
	assert_int_equal(sub.nargs, 0);
	assert_int_equal(sub.nenv, 0);
	assert_int_equal(sub.limit_set, 0);
	assert_int_equal(sub.nlabels, 0);
	request_release(&sub);
	assert_null(sub.files);
	assert_int_equal(sub.nfiles, 0);
}

/* The short form's file is named as its runtime's command expects. */
static void
request_parse__short_form__file_named_for_runtime(void **state)
{
	static const char *const pairs[][2] = { { "c", "main.c" },
		{ "cpp", "main.cpp" }, { "java", "Main.java" },
		{ "javascript", "main.js" }, { "python3", "main.py" },
		{ "ruby", "main.py" }, { "c2", "main.py" } };
	struct submission sub;
	char body[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		snprintf(body, sizeof(body), "{'runtime': '%s', 'source': 'x'}",
		    pairs[i][0]);
		accept(body, &sub);
		assert_int_equal(sub.nfiles, 1);
		assert_string_equal(sub.files[0].name, pairs[i][1]);
		assert_string_equal(sub.entry, pairs[i][1]);
		request_release(&sub);
	}
}

static void
request_parse__short_form_empty_source__empty_main_py(void **state)
{
	struct submission sub;

	(void)state;
	accept("{'source': '', 'runtime': 'python3'}", &sub);
	assert_int_equal(sub.nfiles, 1);
	assert_int_equal(sub.files[0].len, 0);
	assert_non_null(sub.files[0].data);
	assert_int_equal(sub.files[0].data[0], '\0');
	request_release(&sub);
}

static void
request_parse__short_form_with_extras__accepted(void **state)
{
	struct submission sub;

	(void)state;
	accept("{'runtime': 'python3', 'source': 'print(input())', "
	       "'stdin': 'hi\\n', 'args': ['-v'], 'env': {'A': 'b'}, "
	       "'limits': {'cpu_seconds': 2.5}, 'labels': ['gpu']}",
	    &sub);
	assert_string_equal(sub.entry, "main.py");
	assert_true(sub.has_stdin);
	assert_int_equal(sub.stdin_len, 3);
	assert_memory_equal(sub.stdin_data, "hi\n", 4);
	assert_int_equal(sub.nargs, 1);
	assert_string_equal(sub.args[0], "-v");
	assert_int_equal(sub.nenv, 1);
	assert_string_equal(sub.env_keys[0], "A");
	assert_string_equal(sub.env_values[0], "b");
	assert_int_equal(sub.limit_set, B_CPU);
	assert_true(sub.limits.cpu_seconds == 2.5);
	assert_int_equal(sub.nlabels, 1);
	assert_string_equal(sub.labels[0], "gpu");
	request_release(&sub);
}

static void
request_parse__long_form_full__every_field_kept(void **state)
{
	struct submission sub;

	(void)state;
	accept("{'runtime': 'python3', "
	       "'files': {'main.py': 'import lib', 'lib/__init__.py': ''}, "
	       "'files_base64': {'data.bin': 'AAEC/w=='}, "
	       "'entry': 'main.py', 'stdin': 'in', "
	       "'args': ['--n', '5', ''], "
	       "'env': {'LANG': 'C.UTF-8', 'X_1': ''}, "
	       "'limits': {'cpu_seconds': 5, 'wall_seconds': 10.5, "
	       "'memory_bytes': 268435456}, "
	       "'labels': ['big-memory', 'x86_64']}",
	    &sub);
	assert_string_equal(sub.runtime, "python3");
	assert_int_equal(sub.nfiles, 3);
	/* "files" in the order given, then "files_base64". */
	assert_string_equal(sub.files[0].name, "main.py");
	assert_string_equal(sub.files[1].name, "lib/__init__.py");
	assert_string_equal(sub.files[2].name, "data.bin");
	assert_int_equal(sub.files[0].len, 10);
	assert_memory_equal(sub.files[0].data, "import lib", 10);
	assert_int_equal(sub.files[1].len, 0);
	assert_int_equal(sub.files[2].len, 4);
	assert_memory_equal(sub.files[2].data, "\x00\x01\x02\xff", 4);
	assert_string_equal(sub.entry, "main.py");
	assert_true(sub.has_stdin);
	assert_int_equal(sub.stdin_len, 2);
	assert_int_equal(sub.nargs, 3);
	assert_string_equal(sub.args[0], "--n");
	assert_string_equal(sub.args[1], "5");
	assert_string_equal(sub.args[2], "");
	assert_int_equal(sub.nenv, 2);
	assert_string_equal(sub.env_keys[0], "LANG");
	assert_string_equal(sub.env_values[0], "C.UTF-8");
	assert_string_equal(sub.env_keys[1], "X_1");
	assert_string_equal(sub.env_values[1], "");
	assert_int_equal(sub.limit_set, B_CPU | B_WALL | B_MEMORY);
	assert_true(sub.limits.cpu_seconds == 5.0);
	assert_true(sub.limits.wall_seconds == 10.5);
	assert_int_equal(sub.limits.memory_bytes, 268435456);
	assert_int_equal(sub.nlabels, 2);
	assert_string_equal(sub.labels[0], "big-memory");
	assert_string_equal(sub.labels[1], "x86_64");
	request_release(&sub);
}

static void
request_parse__one_file_without_entry__entry_is_that_file(void **state)
{
	struct submission sub;

	(void)state;
	accept("{'runtime': 'python3', 'files': {'src/prog.py': 'x'}}", &sub);
	assert_string_equal(sub.entry, "src/prog.py");
	request_release(&sub);
	accept("{'runtime': 'python3', 'files_base64': {'run.sh': 'eA=='}}",
	    &sub);
	assert_string_equal(sub.entry, "run.sh");
	assert_int_equal(sub.files[0].len, 1);
	assert_int_equal(sub.files[0].data[0], 'x');
	request_release(&sub);
}

static void
request_parse__entry_may_be_a_base64_file__accepted(void **state)
{
	struct submission sub;

	(void)state;
	accept("{'runtime': 'sh', 'files': {'a.txt': ''}, "
	       "'files_base64': {'run': 'eA=='}, 'entry': 'run'}",
	    &sub);
	assert_string_equal(sub.entry, "run");
	request_release(&sub);
}

static void
request_parse__names_that_share_a_prefix_only__accepted(void **state)
{
	struct submission sub;

	(void)state;
	/* "a" is a file, "a-b/c" and "ab/c" are not inside it. */
	accept("{'runtime': 'python3', 'entry': 'a', 'files': {'a': '', "
	       "'a-b/c': '', 'ab/c': '', 'a.b': '', 'src/lib/x': '', "
	       "'src/lib2': ''}}",
	    &sub);
	assert_int_equal(sub.nfiles, 6);
	request_release(&sub);
}

static void
request_parse__nul_in_file_and_stdin__bytes_kept(void **state)
{
	struct submission sub;

	(void)state;
	accept("{'runtime': 'python3', 'files': {'in.txt': 'a\\u0000b'}, "
	       "'stdin': 'x\\u0000y\\u0000'}",
	    &sub);
	assert_int_equal(sub.files[0].len, 3);
	assert_memory_equal(sub.files[0].data, "a\0b", 3);
	assert_int_equal(sub.stdin_len, 4);
	assert_memory_equal(sub.stdin_data, "x\0y\0", 4);
	request_release(&sub);
}

static void
request_parse__utf8_names_and_text__kept(void **state)
{
	struct submission sub;

	(void)state;
	accept("{'runtime': 'python3', "
	       "'files': {'donn\xc3\xa9"
	       "es.txt': '\xe2\x82\xac', "
	       "'main.py': '\\u00e9'}, 'entry': 'main.py', "
	       "'args': ['\xf0\x9f\x98\x80'], 'env': {'V': '\xc3\xa9'}}",
	    &sub);
	assert_int_equal(file_named(&sub,
			     "donn\xc3\xa9"
			     "es.txt")
			     ->len,
	    3);
	assert_int_equal(file_named(&sub, "main.py")->len, 2);
	assert_memory_equal(file_named(&sub, "main.py")->data, "\xc3\xa9", 2);
	assert_string_equal(sub.args[0], "\xf0\x9f\x98\x80");
	request_release(&sub);
}

static void
request_parse__stdin_forms__decoded(void **state)
{
	struct submission sub;

	(void)state;
	accept("{'runtime': 'p', 'source': '', 'stdin': ''}", &sub);
	assert_true(sub.has_stdin);
	assert_int_equal(sub.stdin_len, 0);
	assert_non_null(sub.stdin_data);
	request_release(&sub);
	accept("{'runtime': 'p', 'source': '', 'stdin_base64': '/wA='}", &sub);
	assert_true(sub.has_stdin);
	assert_int_equal(sub.stdin_len, 2);
	assert_memory_equal(sub.stdin_data, "\xff\x00", 2);
	request_release(&sub);
	accept("{'runtime': 'p', 'source': '', 'stdin_base64': ''}", &sub);
	assert_true(sub.has_stdin);
	assert_int_equal(sub.stdin_len, 0);
	request_release(&sub);
}

static void
request_parse__at_every_cap__accepted(void **state)
{
	struct submission sub;
	char *body;
	char *text = NULL, *arg, *val, *rt, *label;
	size_t len = 0, i;
	FILE *f;

	(void)state;
	/* 4 files, each 10 bytes at most, 25 in all with stdin, 2 labels. */
	accept_with("{'runtime': 'p', 'entry': 'a', "
		    "'files': {'a': '0123456789', 'b': '0123'}, "
		    "'files_base64': {'c': 'MDEyMzQ1Njc4OQ==', 'd': ''}, "
		    "'stdin': '0', 'labels': ['x', 'y']}",
	    &small, &sub);
	assert_int_equal(sub.nfiles, 4);
	assert_int_equal(sub.files[2].len, 10);
	request_release(&sub);

	body = many_files(50, 50);
	accept_raw(body, strlen(body), &caps, &sub);
	assert_int_equal(sub.nfiles, 100);
	request_release(&sub);
	free(body);

	/* Manifest bounds: 256 args, one of 4096 bytes, 64 variables. */
	arg = repeat('a', MANIFEST_ARG_BYTES);
	val = repeat('v', MANIFEST_ENV_VALUE_BYTES);
	rt = repeat('r', MANIFEST_RUNTIME_MAX);
	label = repeat('l', REQUEST_LABEL_MAX);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fprintf(f, "{\"runtime\": \"%s\", \"source\": \"\", \"args\": [\"%s\"",
	    rt, arg);
	for (i = 1; i < MANIFEST_ARGS_MAX; i++)
		fputs(", \"x\"", f);
	fprintf(f, "], \"labels\": [\"%s\"], \"env\": {", label);
	for (i = 0; i < MANIFEST_ENV_MAX; i++)
		fprintf(f, "%s\"V%zu\": \"%s\"", i ? ", " : "", i,
		    i == 0 ? val : "");
	fputs("}}", f);
	fclose(f);
	accept_raw(text, len, &caps, &sub);
	assert_int_equal(sub.nargs, MANIFEST_ARGS_MAX);
	assert_int_equal(strlen(sub.args[0]), MANIFEST_ARG_BYTES);
	assert_int_equal(sub.nenv, MANIFEST_ENV_MAX);
	assert_int_equal(strlen(sub.env_values[0]), MANIFEST_ENV_VALUE_BYTES);
	assert_string_equal(sub.runtime, rt);
	request_release(&sub);
	free(text);
	free(arg);
	free(val);
	free(rt);
	free(label);
}

static void
request_parse__null_caps__defaults_apply(void **state)
{
	struct submission sub;
	char *body;

	(void)state;
	body = many_files(REQUEST_DEFAULT_MAX_FILES, 0);
	accept_raw(body, strlen(body), NULL, &sub);
	assert_int_equal(sub.nfiles, REQUEST_DEFAULT_MAX_FILES);
	request_release(&sub);
	free(body);
	body = many_files(REQUEST_DEFAULT_MAX_FILES + 1, 0);
	refuse_raw(body, strlen(body), NULL, 422, "files");
	free(body);
}

static void
request_parse__length_argument__honoured(void **state)
{
	static const char body[] = "{\"runtime\":\"p\",\"source\":\"\"}garbage";
	struct submission sub;

	(void)state;
	accept_raw(body, sizeof(body) - 1 - strlen("garbage"), &caps, &sub);
	request_release(&sub);
	refuse_raw(body, sizeof(body) - 1, &caps, 400, "");
}

/* ---- 400: not JSON, not an object ---- */

static void
request_parse__empty_body__400(void **state)
{
	struct submission sub;
	struct error e;
	int status = 0;

	(void)state;
	refuse_raw("", 0, &caps, 400, "");
	refuse_raw("{}", 0, &caps, 400, "");
	error_init(&e);
	assert_int_equal(request_parse(NULL, 0, &caps, &sub, &status, &e), -1);
	assert_int_equal(status, 400);
	refuse(" ", 400, "");
}

static void
request_parse__not_json__400(void **state)
{
	static const char *bad[] = { "{", "}", "{'runtime': 'p',}",
		"{runtime: 'p'}", "{'runtime': 'p'} x", "{} {}",
		"{'runtime': 'p', 'source': 'x\ny'}", "{'a': 01}",
		"{'runtime': 'p', 'source': '\\x41'}", "{'a': NaN}",
		"{'a': Infinity}", "{'a': .5}", NULL };
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		refuse(bad[i], 400, "");
}

static void
request_parse__deeply_nested__400(void **state)
{
	char *body, *p;
	size_t depth = 100000, i;

	(void)state;
	/* Past jansson's depth limit: refused, without exhausting the stack. */
	body = malloc(2 * depth + 64);
	assert_non_null(body);
	p = body +
	    sprintf(body, "{\"runtime\": \"p\", \"source\": \"\", \"args\": ");
	for (i = 0; i < depth; i++)
		*p++ = '[';
	for (i = 0; i < depth; i++)
		*p++ = ']';
	*p++ = '}';
	refuse_raw(body, (size_t)(p - body), &caps, 400, "");
	free(body);
	/* Shallow nesting parses, and is a type error. */
	refuse_field("args", "[[[[\"x\"]]]]", 400, "args");
	refuse_field("env", "{\"A\": {\"B\": {\"C\": \"d\"}}}", 400, "env");
}

static void
request_parse__nul_byte_in_body__400(void **state)
{
	static const char body[] = "{\"runtime\":\"p\",\"source\":\"a\0b\"}";
	static const char after[] = "{\"runtime\":\"p\",\"source\":\"a\"}\0";

	(void)state;
	refuse_raw(body, sizeof(body) - 1, &caps, 400, "");
	refuse_raw(after, sizeof(after) - 1, &caps, 400, "");
}

static void
request_parse__invalid_utf8__400(void **state)
{
	static const char *bad[] = { "{'runtime': 'p', 'source': '\xff'}",
		"{'runtime': 'p', 'source': 'caf\xe9'}", /* Latin-1 */
		"{'runtime': 'p', 'source': '\xc0\xaf'}", /* overlong */
		"{'runtime': 'p', 'source': '\xed\xa0\x80'}", /* surrogate */
		"{'runtime': 'p', 'source': '\xe2\x82'}", /* cut short */
		"{'runtime': 'p', 'files': {'\xfe.py': ''}}",
		"{'runtime': 'p', 'source': '', 'args': ['\x80']}",
		"{'runtime': 'p', 'source': '\\ud800'}", /* lone surrogate */
		NULL };
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		refuse(bad[i], 400, "");
}

static void
request_parse__duplicate_keys__400(void **state)
{
	(void)state;
	refuse("{'runtime': 'p', 'runtime': 'p', 'source': ''}", 400, "");
	refuse("{'runtime': 'p', 'files': {'a': '', 'a': ''}}", 400, "");
	refuse("{'runtime': 'p', 'source': '', 'env': {'A': '', 'A': ''}}", 400,
	    "");
	refuse("{'runtime': 'p', 'source': '', "
	       "'limits': {'cpu_seconds': 1, 'cpu_seconds': 2}}",
	    400, "");
}

static void
request_parse__not_an_object__400(void **state)
{
	static const char *bad[] = { "[]", "['runtime', 'p']", "'x'", "1",
		"null", "true", NULL };
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		refuse(bad[i], 400, "");
}

static void
request_parse__huge_numbers__400(void **state)
{
	(void)state;
	/* Beyond a double or a 64-bit integer: jansson refuses to parse. */
	refuse_field("limits", "{\"cpu_seconds\": 1e309}", 400, "");
	refuse_field("limits", "{\"memory_bytes\": 99999999999999999999}", 400,
	    "");
	refuse_field("limits", "{\"memory_bytes\": -99999999999999999999}", 400,
	    "");
}

/* ---- 400: shape ---- */

static void
request_parse__unknown_field__400_naming_it(void **state)
{
	char *key, *body;

	(void)state;
	refuse_field("stdn", "\"x\"", 400, "stdn");
	refuse_field("Runtime", "\"x\"", 400, "Runtime");
	refuse_field("source_base64", "\"eA==\"", 400, "source_base64");
	refuse_field("callback_url", "null", 400, "callback_url");
	refuse_field("", "1", 400, "");
	refuse("{'files': {'a': ''}, 'runtime': 'p', 'entry': 'a', 'x': 1}",
	    400, "x");
	/* A key that is not ASCII is named with '?' for each other byte. */
	refuse_field("cl\xc3\xa9", "1", 400, "cl??");
	/* A long key is cut to the size of e->field. */
	key = repeat('k', 200);
	body = with_field(key, "1");
	key[sizeof(((struct error *)0)->field) - 1] = '\0';
	refuse_raw(body, strlen(body), &caps, 400, key);
	free(body);
	free(key);
}

static void
request_parse__wrong_types__400_naming_field(void **state)
{
	static const struct {
		const char *key;
		const char *value;
	} bad[] = {
		{ "stdin", "1" },
		{ "stdin", "null" },
		{ "stdin", "{}" },
		{ "stdin", "[\"x\"]" },
		{ "stdin", "true" },
		{ "stdin_base64", "1" },
		{ "stdin_base64", "{\"a\": \"eA==\"}" },
		{ "args", "\"-v\"" },
		{ "args", "{}" },
		{ "args", "null" },
		{ "args", "[1]" },
		{ "args", "[\"a\", null]" },
		{ "args", "[[\"x\"]]" },
		{ "args", "[{\"a\": \"b\"}]" },
		{ "args", "[true]" },
		{ "env", "[]" },
		{ "env", "\"A=b\"" },
		{ "env", "{\"A\": 1}" },
		{ "env", "{\"A\": null}" },
		{ "env", "{\"A\": {\"b\": \"c\"}}" },
		{ "env", "{\"A\": [\"b\"]}" },
		{ "limits", "[]" },
		{ "limits", "5" },
		{ "limits", "null" },
		{ "limits", "{\"cpu_seconds\": \"5\"}" },
		{ "limits", "{\"cpu_seconds\": true}" },
		{ "limits", "{\"cpu_seconds\": null}" },
		{ "limits", "{\"cpu_seconds\": {}}" },
		{ "limits", "{\"cpu_seconds\": [1]}" },
		/* A type error wins over an unknown limit, whatever the order. */
		{ "limits", "{\"bogus\": 1, \"cpu_seconds\": \"1\"}" },
		{ "labels", "\"gpu\"" },
		{ "labels", "{}" },
		{ "labels", "[1]" },
		{ "labels", "[[\"gpu\"]]" },
		{ "labels", "[{}]" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuse_field(bad[i].key, bad[i].value, 400, bad[i].key);
}

static void
request_parse__wrong_types_of_program_fields__400(void **state)
{
	(void)state;
	refuse("{'runtime': 1, 'source': ''}", 400, "runtime");
	refuse("{'runtime': null, 'source': ''}", 400, "runtime");
	refuse("{'runtime': ['python3'], 'source': ''}", 400, "runtime");
	refuse("{'runtime': {'name': 'python3'}, 'source': ''}", 400,
	    "runtime");
	refuse("{'runtime': 'p', 'source': 1}", 400, "source");
	refuse("{'runtime': 'p', 'source': null}", 400, "source");
	refuse("{'runtime': 'p', 'source': {'main.py': 'x'}}", 400, "source");
	refuse("{'runtime': 'p', 'files': []}", 400, "files");
	refuse("{'runtime': 'p', 'files': 'main.py'}", 400, "files");
	refuse("{'runtime': 'p', 'files': null}", 400, "files");
	refuse("{'runtime': 'p', 'files': {'a': 1}}", 400, "files");
	refuse("{'runtime': 'p', 'files': {'a': null}}", 400, "files");
	refuse("{'runtime': 'p', 'files': {'a': {'b': 'c'}}}", 400, "files");
	refuse("{'runtime': 'p', 'files': {'a': ['x']}}", 400, "files");
	refuse("{'runtime': 'p', 'files_base64': {'a': 1}}", 400,
	    "files_base64");
	refuse("{'runtime': 'p', 'files_base64': ['eA==']}", 400,
	    "files_base64");
	refuse("{'runtime': 'p', 'files_base64': {'a': {'b': 'eA=='}}}", 400,
	    "files_base64");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'entry': 1}", 400,
	    "entry");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'entry': ['a']}", 400,
	    "entry");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'entry': null}", 400,
	    "entry");
}

static void
request_parse__missing_runtime__400(void **state)
{
	(void)state;
	refuse("{'source': 'print(1)'}", 400, "runtime");
	refuse("{'files': {'a': ''}, 'entry': 'a'}", 400, "runtime");
	refuse("{}", 400, "runtime");
}

static void
request_parse__no_program__400(void **state)
{
	(void)state;
	refuse("{'runtime': 'python3'}", 400, "files");
	refuse("{'runtime': 'python3', 'entry': 'main.py'}", 400, "files");
	refuse("{'runtime': 'python3', 'stdin': 'x'}", 400, "files");
}

static void
request_parse__forms_mixed__400(void **state)
{
	(void)state;
	refuse("{'runtime': 'p', 'source': '', 'files': {'a': ''}}", 400,
	    "source");
	refuse("{'runtime': 'p', 'source': '', 'files': {}}", 400, "source");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'source': ''}", 400,
	    "source");
	refuse("{'runtime': 'p', 'source': '', 'files_base64': {}}", 400,
	    "source");
	refuse("{'runtime': 'p', 'source': '', 'entry': 'main.py'}", 400,
	    "source");
	refuse("{'runtime': 'p', 'source': '', 'stdin': '', "
	       "'stdin_base64': ''}",
	    400, "stdin");
}

static void
request_parse__type_error_and_value_error__400_either_order(void **state)
{
	(void)state;
	refuse("{'runtime': 'bad runtime', 'source': '', 'args': 5}", 400,
	    "args");
	refuse("{'args': 5, 'runtime': 'bad runtime', 'source': ''}", 400,
	    "args");
	refuse("{'runtime': 'p', 'files': {'../x': ''}, 'labels': 'gpu'}", 400,
	    "labels");
	refuse("{'runtime': 'p', 'source': '', "
	       "'limits': {'cpu_seconds': -1}, 'env': {'A': 1}}",
	    400, "env");
}

/* ---- 422: values ---- */

static void
request_parse__bad_runtime__422(void **state)
{
	static const char *bad[] = { "''", "'py thon'", "'../x'", "'.'", "'..'",
		"'a/b'", "'py\\u0000'", "'py\\nthon'", "'pyth\xc3\xb6n'",
		"'$(id)'", NULL };
	char body[256], *rt;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		snprintf(body, sizeof(body), "{'runtime': %s, 'source': ''}",
		    bad[i]);
		refuse(body, 422, "runtime");
	}
	rt = repeat('r', MANIFEST_RUNTIME_MAX + 1);
	snprintf(body, sizeof(body), "{'runtime': '%s', 'source': ''}", rt);
	refuse(body, 422, "runtime");
	free(rt);
}

static void
request_parse__bad_file_names__422(void **state)
{
	static const char *bad[] = { "", "/etc/passwd", "../x", "a/../b",
		"a/./b", "./a", ".", "..", "a//b", "a/", "/", "a\\u0001b",
		"a\\nb", "a\\u007fb", "a\\tb", NULL };
	char body[4096], *longname, *deep, *big;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		snprintf(body, sizeof(body),
		    "{'runtime': 'p', 'files': {'ok.py': '', '%s': ''}, "
		    "'entry': 'ok.py'}",
		    bad[i]);
		refuse(body, 422, "files");
		snprintf(body, sizeof(body),
		    "{'runtime': 'p', 'files': {'ok.py': ''}, "
		    "'files_base64': {'%s': ''}, 'entry': 'ok.py'}",
		    bad[i]);
		refuse(body, 422, "files_base64");
	}
	/* A component longer than 255 bytes. */
	longname = repeat('n', 256);
	snprintf(body, sizeof(body), "{'runtime': 'p', 'files': {'%s': ''}}",
	    longname);
	refuse(body, 422, "files");
	free(longname);
	/* 17 levels deep. */
	deep = strdup("a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a");
	snprintf(body, sizeof(body), "{'runtime': 'p', 'files': {'%s': ''}}",
	    deep);
	refuse(body, 422, "files");
	free(deep);
	/* More than 1024 bytes in all, each component short enough. */
	big = repeat('c', 1100);
	for (i = 200; i < 1100; i += 201)
		big[i] = '/';
	snprintf(body, sizeof(body), "{'runtime': 'p', 'files': {'%s': ''}}",
	    big);
	refuse(body, 422, "files");
	free(big);
}

static void
request_parse__names_at_bounds__accepted(void **state)
{
	struct submission sub;
	char body[4096], *longname;

	(void)state;
	longname = repeat('n', 255);
	snprintf(body, sizeof(body),
	    "{'runtime': 'p', 'files': {'%s': '', "
	    "'a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a': ''}, 'entry': '%s'}",
	    longname, longname);
	accept(body, &sub);
	assert_int_equal(sub.nfiles, 2);
	assert_string_equal(sub.entry, longname);
	request_release(&sub);
	free(longname);
}

static void
request_parse__nul_in_strings__refused_naming_field(void **state)
{
	(void)state;
	/* jansson itself refuses a NUL in an object key (a file name). */
	refuse("{'runtime': 'p', 'files': {'a\\u0000b': ''}}", 400, "");
	refuse("{'runtime': 'p', 'files_base64': {'main.py\\u0000/../x': ''}}",
	    400, "");
	refuse("{'runtime': 'p', 'source': '', 'env': {'A\\u0000B': ''}}", 400,
	    "");
	refuse("{'runtime\\u0000': 'p', 'source': ''}", 400, "");
	/* In values that become C strings: 422. */
	refuse("{'runtime': 'p', 'files': {'a': '', 'b': ''}, "
	       "'entry': 'a\\u0000b'}",
	    422, "entry");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'entry': 'a\\u0000'}", 422,
	    "entry");
	refuse("{'runtime': 'p', 'source': '', 'args': ['ok', 'a\\u0000b']}",
	    422, "args");
	refuse("{'runtime': 'p', 'source': '', 'args': ['\\u0000']}", 422,
	    "args");
	refuse("{'runtime': 'p', 'source': '', 'env': {'A': 'x\\u0000y'}}", 422,
	    "env");
	refuse("{'runtime': 'p', 'source': '', 'labels': ['gpu\\u0000x']}", 422,
	    "labels");
	refuse("{'runtime': 'p\\u0000y', 'source': ''}", 422, "runtime");
	refuse("{'runtime': 'p', 'files_base64': {'a': 'eA==\\u0000'}}", 422,
	    "files_base64");
}

static void
request_parse__same_name_twice__422(void **state)
{
	(void)state;
	refuse("{'runtime': 'p', 'files': {'a.py': ''}, "
	       "'files_base64': {'a.py': ''}}",
	    422, "files_base64");
	refuse("{'runtime': 'p', 'files': {'x': '', 'd/a.py': ''}, "
	       "'files_base64': {'y': '', 'd/a.py': 'eA=='}, 'entry': 'x'}",
	    422, "files_base64");
}

static void
request_parse__file_is_also_a_directory__422(void **state)
{
	(void)state;
	refuse("{'runtime': 'p', 'entry': 'a', 'files': {'a': '', 'a/b': ''}}",
	    422, "files");
	refuse("{'runtime': 'p', 'entry': 'a', 'files': {'a/b': '', 'a': ''}}",
	    422, "files");
	refuse("{'runtime': 'p', 'entry': 'x', "
	       "'files': {'x': '', 'd/e': '', 'd/e/f/g': ''}}",
	    422, "files");
	refuse("{'runtime': 'p', 'files': {'a': ''}, "
	       "'files_base64': {'a/b': ''}, 'entry': 'a'}",
	    422, "files_base64");
	refuse("{'runtime': 'p', 'files': {'a/b/c': ''}, "
	       "'files_base64': {'a/b': ''}, 'entry': 'a/b'}",
	    422, "files");
}

static void
request_parse__bad_base64__422(void **state)
{
	/* JSON escapes (\\n, \\u00e9) reach the decoder as those bytes. */
	static const char *bad[] = { "A", "AB", "ABC", "ABCDE", "QQ",
		"QQ=", "QQ===", "ABCD=", "AB=C", "A===", "====", "=AAA",
		"QR==", "QUJ=", "Zm9v YmFy", "Zm9v\\nYmFy", "Zm9vYmFy\\n",
		" Zm9v", "Zm9v\\r\\n",
		"-_8=", "Zm9v_w==", "Zm9v\\u00e9===", "QQ==QQ==", "Zm9v\\t",
		NULL };
	char body[256];
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		snprintf(body, sizeof(body),
		    "{'runtime': 'p', 'files_base64': {'a': '%s'}}", bad[i]);
		refuse(body, 422, "files_base64");
		snprintf(body, sizeof(body),
		    "{'runtime': 'p', 'source': '', 'stdin_base64': '%s'}",
		    bad[i]);
		refuse(body, 422, "stdin_base64");
	}
}

static void
request_parse__no_files__422(void **state)
{
	(void)state;
	refuse("{'runtime': 'p', 'files': {}}", 422, "files");
	refuse("{'runtime': 'p', 'files_base64': {}}", 422, "files");
	refuse("{'runtime': 'p', 'files': {}, 'files_base64': {}, "
	       "'entry': 'a'}",
	    422, "files");
}

static void
request_parse__bad_entry__422(void **state)
{
	(void)state;
	refuse("{'runtime': 'p', 'files': {'a': '', 'b': ''}}", 422, "entry");
	refuse("{'runtime': 'p', 'files': {'a': ''}, "
	       "'files_base64': {'b': ''}}",
	    422, "entry");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'entry': 'b'}", 422,
	    "entry");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'entry': 'A'}", 422,
	    "entry");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'entry': ''}", 422,
	    "entry");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'entry': '/a'}", 422,
	    "entry");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'entry': './a'}", 422,
	    "entry");
	refuse("{'runtime': 'p', 'files': {'a': ''}, 'entry': 'x/../a'}", 422,
	    "entry");
	/* A directory is not a file. */
	refuse("{'runtime': 'p', 'files': {'src/a.py': ''}, 'entry': 'src'}",
	    422, "entry");
}

static void
request_parse__too_many_files__422(void **state)
{
	char *body;

	(void)state;
	body = many_files(1000, 0);
	refuse_raw(body, strlen(body), &caps, 422, "files");
	free(body);
	body = many_files(101, 0);
	refuse_raw(body, strlen(body), &caps, 422, "files");
	free(body);
	body = many_files(60, 41);
	refuse_raw(body, strlen(body), &caps, 422, "files_base64");
	free(body);
	body = many_files(1, 1000);
	refuse_raw(body, strlen(body), &caps, 422, "files_base64");
	free(body);
	refuse_with("{'runtime': 'p', 'entry': 'a', 'files': {'a': '', "
		    "'b': '', 'c': ''}, 'files_base64': {'d': '', 'e': ''}}",
	    &small, 422, "files_base64");
}

static void
request_parse__bad_args__422(void **state)
{
	char *text = NULL, *arg;
	size_t len = 0, i;
	FILE *f;

	(void)state;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fputs("{\"runtime\": \"p\", \"source\": \"\", \"args\": [\"x\"", f);
	for (i = 0; i < MANIFEST_ARGS_MAX; i++)
		fputs(", \"x\"", f);
	fputs("]}", f);
	fclose(f);
	refuse_raw(text, len, &caps, 422, "args");
	free(text);
	arg = repeat('a', MANIFEST_ARG_BYTES + 1);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fprintf(f, "{\"runtime\": \"p\", \"source\": \"\", \"args\": [\"%s\"]}",
	    arg);
	fclose(f);
	refuse_raw(text, len, &caps, 422, "args");
	free(text);
	free(arg);
}

static void
request_parse__bad_env__422(void **state)
{
	static const char *bad[] = { "{\"1A\": \"\"}", "{\"A-B\": \"\"}",
		"{\"\": \"\"}", "{\"A B\": \"\"}", "{\"A=B\": \"\"}",
		"{\"\\u00c9\": \"\"}", "{\"OK\": \"\", \"a.b\": \"\"}", NULL };
	char *text = NULL, *key, *val;
	size_t len = 0, i;
	FILE *f;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		refuse_field("env", bad[i], 422, "env");
	key = repeat('K', MANIFEST_ENV_KEY_MAX + 1);
	val = repeat('v', MANIFEST_ENV_VALUE_BYTES + 1);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fprintf(f, "{\"%s\": \"\"}", key);
	fclose(f);
	refuse_field("env", text, 422, "env");
	free(text);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fprintf(f, "{\"K\": \"%s\"}", val);
	fclose(f);
	refuse_field("env", text, 422, "env");
	free(text);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fputc('{', f);
	for (i = 0; i <= MANIFEST_ENV_MAX; i++)
		fprintf(f, "%s\"V%zu\": \"\"", i ? ", " : "", i);
	fputc('}', f);
	fclose(f);
	refuse_field("env", text, 422, "env");
	free(text);
	free(key);
	free(val);
}

static void
request_parse__bad_limits__422(void **state)
{
	static const char *bad[] = { "{\"cpu_seconds\": 0}",
		"{\"cpu_seconds\": -1}", "{\"cpu_seconds\": -0.0}",
		"{\"cpu_seconds\": 1e308}", "{\"wall_seconds\": 604801}",
		"{\"memory_bytes\": 1.5}", "{\"memory_bytes\": 0}",
		"{\"memory_bytes\": -1}", "{\"memory_bytes\": 1e308}",
		"{\"processes\": 1e7}", "{\"open_files\": 9223372036854775807}",
		"{\"bogus\": 1}", "{\"cpu_seconds\": 1, \"CPU_SECONDS\": 1}",
		"{\"cpu\": 5}", NULL };
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		refuse_field("limits", bad[i], 422, "limits");
}

static void
request_parse__limits_edges__accepted(void **state)
{
	struct submission sub;

	(void)state;
	accept("{'runtime': 'p', 'source': '', 'limits': {}}", &sub);
	assert_int_equal(sub.limit_set, 0);
	request_release(&sub);
	accept("{'runtime': 'p', 'source': '', 'limits': {'cpu_seconds': "
	       "0.001, 'memory_bytes': 1e9, 'processes': 1}}",
	    &sub);
	assert_int_equal(sub.limit_set, B_CPU | B_MEMORY | (1u << 3));
	assert_int_equal(sub.limits.memory_bytes, 1000000000);
	assert_int_equal(sub.limits.processes, 1);
	request_release(&sub);
}

static void
request_parse__bad_labels__422(void **state)
{
	static const char *bad[] = { "[\"\"]", "[\"gpu gpu\"]", "[\"a/b\"]",
		"[\".\"]", "[\"..\"]", "[\"gpu\", \"gpu\"]",
		"[\"a\", \"b\", \"a\"]", "[\"\\u00e9\"]", "[\"gpu\\n\"]",
		NULL };
	char *label, *text;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		refuse_field("labels", bad[i], 422, "labels");
	label = repeat('l', REQUEST_LABEL_MAX + 1);
	text = malloc(strlen(label) + 5);
	assert_non_null(text);
	sprintf(text, "[\"%s\"]", label);
	refuse_field("labels", text, 422, "labels");
	free(text);
	free(label);
	refuse_with("{'runtime': 'p', 'source': '', 'labels': ['a', 'b', "
		    "'c']}",
	    &small, 422, "labels");
	refuse_field("labels",
	    "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\","
	    "\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]",
	    422, "labels");
}

/* callback_url: its form is checked here (where it may go is not). */
static void
request_parse__callback_url__form_checked(void **state)
{
	static const char *bad[] = { "\"ftp://a.example/\"",
		"\"a.example/hook\"", "\"http://u@a.example/\"",
		"\"http://a.example/#f\"", "\"http://2130706433/\"",
		"\"http://a.example/\\u0000\"", "\"http://a example/\"", NULL };
	struct submission sub;
	size_t i;

	(void)state;
	accept("{'runtime': 'p', 'source': '', 'callback_url': "
	       "'http://10.0.0.1:8080/h?x=1'}",
	    &sub);
	assert_string_equal(sub.callback_url, "http://10.0.0.1:8080/h?x=1");
	request_release(&sub);
	accept("{'runtime': 'p', 'source': '', 'callback_url': ''}", &sub);
	assert_string_equal(sub.callback_url, "");
	request_release(&sub);
	accept("{'runtime': 'p', 'source': ''}", &sub);
	assert_null(sub.callback_url);
	request_release(&sub);
	for (i = 0; bad[i] != NULL; i++)
		refuse_field("callback_url", bad[i], 422, "callback_url");
	refuse_field("callback_url", "42", 400, "callback_url");
	refuse_field("callback_url", "null", 400, "callback_url");
	refuse_field("callback_url", "[\"http://a/\"]", 400, "callback_url");
}

static void
request_parse__name__a_token_or_refused(void **state)
{
	static const char *bad[] = { "\"\"", "\".\"", "\"..\"", "\"a b\"",
		"\"a,b\"", "\"a|b\"", "\"a/b\"", "\"caf\u00e9\"", "\"a\\nb\"",
		"\"a\\u0000\"", "\"x' OR '1'='1\"", NULL };
	struct submission sub;
	char *name, *body;
	size_t i;

	(void)state;
	accept("{'runtime': 'p', 'source': '', 'name': 'train-1.2_b+c'}", &sub);
	assert_string_equal(sub.name, "train-1.2_b+c");
	request_release(&sub);
	accept("{'runtime': 'p', 'source': ''}", &sub);
	assert_string_equal(sub.name, "");
	request_release(&sub);
	/* 64 bytes, and not one more. */
	name = repeat('n', REQUEST_NAME_MAX);
	body = NULL;
	assert_true(asprintf(&body,
			"{\"runtime\": \"p\", \"source\": \"\", "
			"\"name\": \"%s\"}",
			name) > 0);
	accept_raw(body, strlen(body), &caps, &sub);
	assert_int_equal(strlen(sub.name), REQUEST_NAME_MAX);
	request_release(&sub);
	free(body);
	free(name);
	name = repeat('n', REQUEST_NAME_MAX + 1);
	assert_true(asprintf(&body, "\"%s\"", name) > 0);
	refuse_field("name", body, 422, "name");
	free(body);
	free(name);
	for (i = 0; bad[i] != NULL; i++)
		refuse_field("name", bad[i], 422, "name");
	refuse_field("name", "42", 400, "name");
	refuse_field("name", "null", 400, "name");
	refuse_field("name", "[\"a\"]", 400, "name");
}

/* ---- 413: sizes ---- */

static void
request_parse__file_too_large__413(void **state)
{
	struct submission sub;

	(void)state;
	refuse_with("{'runtime': 'p', 'files': {'a': '01234567890'}}", &small,
	    413, "files");
	refuse_with("{'runtime': 'p', 'source': '01234567890'}", &small, 413,
	    "source");
	/* 11 bytes once decoded, although 16 characters of base64. */
	refuse_with("{'runtime': 'p', 'files_base64': "
		    "{'a': 'MDEyMzQ1Njc4OTA='}}",
	    &small, 413, "files_base64");
	/* \u0000 is one byte of content, six of JSON: decoded size counts. */
	accept_with("{'runtime': 'p', 'files': {'a': '\\u0000\\u0000\\u0000"
		    "\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000'}}",
	    &small, &sub);
	assert_int_equal(sub.files[0].len, 10);
	request_release(&sub);
}

static void
request_parse__total_too_large__413(void **state)
{
	(void)state;
	refuse_with("{'runtime': 'p', 'entry': 'a', 'files': "
		    "{'a': '0123456789', 'b': '0123456789', 'c': '012345'}}",
	    &small, 413, "files");
	refuse_with("{'runtime': 'p', 'entry': 'a', "
		    "'files': {'a': '0123456789', 'b': '0123456789'}, "
		    "'files_base64': {'c': 'MDEyMzQ1'}}",
	    &small, 413, "files_base64");
	refuse_with("{'runtime': 'p', 'entry': 'a', 'files': "
		    "{'a': '0123456789', 'b': '0123456789'}, "
		    "'stdin': '012345'}",
	    &small, 413, "stdin");
	refuse_with("{'runtime': 'p', 'source': '0123456789', "
		    "'stdin_base64': 'MDEyMzQ1Njc4OTAxMjM0NQ=='}",
	    &small, 413, "stdin_base64");
}

static void
request_parse__late_failure__nothing_leaks(void **state)
{
	(void)state;
	/* Args, env and labels are copied before stdin is refused. */
	refuse_with("{'runtime': 'p', 'entry': 'a', 'args': ['x', 'y'], "
		    "'env': {'A': 'b'}, 'labels': ['l'], "
		    "'limits': {'cpu_seconds': 1}, "
		    "'files': {'a': '0123456789', 'b': '0123456789'}, "
		    "'stdin': '012345'}",
	    &small, 413, "stdin");
	refuse("{'runtime': 'p', 'entry': 'a', 'args': ['x'], "
	       "'env': {'A': 'b'}, 'files': {'a': ''}, 'labels': ['l', 'l']}",
	    422, "labels");
}

/* ---- base64 ---- */

/* Encode len bytes as standard padded base64 (the test's reference). */
static char *
encode(const unsigned char *in, size_t len)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o;
	size_t i;

	assert_non_null(out);
	o = out;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = abc[in[i] >> 2];
		*o++ = abc[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = abc[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*o++ = abc[in[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = abc[in[i] >> 2];
		*o++ = abc[(in[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		*o++ = abc[in[i] >> 2];
		*o++ = abc[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = abc[(in[i + 1] & 15) << 2];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static void
request_base64_decode__rfc4648_vectors__decoded(void **state)
{
	static const char *vec[][2] = { { "", "" }, { "Zg==", "f" },
		{ "Zm8=", "fo" }, { "Zm9v", "foo" }, { "Zm9vYg==", "foob" },
		{ "Zm9vYmE=", "fooba" }, { "Zm9vYmFy", "foobar" } };
	unsigned char *out;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		assert_int_equal(request_base64_decode(vec[i][0],
				     strlen(vec[i][0]), &out, &len),
		    0);
		assert_int_equal(len, strlen(vec[i][1]));
		assert_memory_equal(out, vec[i][1], len + 1);
		free(out);
	}
}

static void
request_base64_decode__every_byte_and_length__round_trips(void **state)
{
	unsigned char in[300], *out;
	size_t n, len;
	char *text;

	(void)state;
	for (n = 0; n < sizeof(in); n++)
		in[n] = (unsigned char)(n * 7 + 3);
	for (n = 0; n <= sizeof(in); n++) {
		text = encode(in, n);
		assert_int_equal(request_base64_decode(text, strlen(text), &out,
				     &len),
		    0);
		assert_int_equal(len, n);
		assert_memory_equal(out, in, n);
		assert_int_equal(out[n], '\0');
		free(out);
		free(text);
	}
}

static void
request_base64_decode__bad__einval_and_out_untouched(void **state)
{
	static const char *bad[] = { "A", "AB", "ABC", "ABCDE", "QQ",
		"QQ=", "QQ===", "ABCD=", "AB=C", "A===", "====", "=AAA",
		"QR==", "QUJ=", "Zm9v YmFy", "Zm9v\nYmFy",
		"-_8=", "Zm9v_w==", "QQ==QQ==", "Zm9v\r\n", "Zm\x80v", NULL };
	unsigned char *out = (unsigned char *)"untouched";
	size_t i, len = 77;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		errno = 0;
		if (request_base64_decode(bad[i], strlen(bad[i]), &out, &len) !=
		    -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(errno, EINVAL);
		assert_string_equal((char *)out, "untouched");
		assert_int_equal(len, 77);
	}
	/* The length argument counts: a NUL inside is a bad character. */
	assert_int_equal(request_base64_decode("QQ==\0AAA", 8, &out, &len), -1);
	assert_int_equal(request_base64_decode("Zm9vYmFy", 7, &out, &len), -1);
}

/* ---- manifest ---- */

static void
request_manifest__full__round_trips_through_manifest_parse(void **state)
{
	struct submission sub;
	struct manifest m, back;
	struct error e;
	json_t *j;
	char *text;

	(void)state;
	accept("{'runtime': 'python3', "
	       "'files': {'main.py': 'x', 'lib/a.py': ''}, "
	       "'files_base64': {'d.bin': 'AA=='}, 'entry': 'lib/a.py', "
	       "'args': ['--n', '5', ''], "
	       "'env': {'LANG': 'C.UTF-8', 'Z': 'z z'}, "
	       "'limits': {'cpu_seconds': 1.5, 'memory_bytes': 1048576}, "
	       "'labels': ['gpu'], 'stdin': 'in'}",
	    &sub);
	memset(&m, 0, sizeof(m));
	assert_int_equal(request_manifest(&sub, "42", &m), 0);
	assert_int_equal(m.version, MANIFEST_VERSION);
	assert_string_equal(m.id, "42");
	assert_string_equal(m.runtime, "python3");
	/* Strings point into sub. */
	assert_ptr_equal(m.entry, sub.entry);
	assert_ptr_equal(m.args[0], sub.args[0]);
	assert_ptr_equal(m.env_values[1], sub.env_values[1]);
	j = manifest_to_json(&m);
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	json_decref(j);
	error_init(&e);
	if (manifest_parse(text, strlen(text), &back, &e) != 0)
		fail_msg("manifest refused: %s: %s", e.msg, text);
	free(text);
	assert_string_equal(back.id, "42");
	assert_string_equal(back.runtime, "python3");
	assert_string_equal(back.entry, "lib/a.py");
	assert_int_equal(back.nargs, 3);
	assert_string_equal(back.args[0], "--n");
	assert_string_equal(back.args[1], "5");
	assert_string_equal(back.args[2], "");
	assert_int_equal(back.nenv, 2);
	assert_string_equal(back.env_keys[0], "LANG");
	assert_string_equal(back.env_values[0], "C.UTF-8");
	assert_string_equal(back.env_keys[1], "Z");
	assert_string_equal(back.env_values[1], "z z");
	assert_int_equal(back.limit_set, B_CPU | B_MEMORY);
	assert_true(back.limits.cpu_seconds == 1.5);
	assert_int_equal(back.limits.memory_bytes, 1048576);
	manifest_release(&back);
	request_manifest_free(&m);
	assert_null(m.args);
	assert_null(m.entry);
	/* sub is intact and still owns its strings. */
	assert_string_equal(sub.args[1], "5");
	request_release(&sub);
}

static void
request_manifest__short_form__minimal_manifest(void **state)
{
	struct submission sub;
	struct manifest m;

	(void)state;
	accept("{'runtime': 'python3', 'source': 'print(1)'}", &sub);
	assert_int_equal(request_manifest(&sub, "1", &m), 0);
	assert_string_equal(m.entry, "main.py");
	assert_int_equal(m.nargs, 0);
	assert_int_equal(m.nenv, 0);
	assert_int_equal(m.limit_set, 0);
	request_manifest_free(&m);
	request_release(&sub);
}

static void
request_manifest__bad_id__refused_and_m_untouched(void **state)
{
	static const char *bad[] = { "", "abc", "-1", "4 2", "42\n", "0x1",
		"1.0", NULL };
	struct submission sub;
	struct manifest m;
	char *longid;
	size_t i;

	(void)state;
	accept("{'runtime': 'python3', 'source': ''}", &sub);
	for (i = 0; bad[i] != NULL; i++) {
		memset(&m, 0x5a, sizeof(m));
		assert_int_equal(request_manifest(&sub, bad[i], &m), -1);
		assert_int_equal(m.version, 0x5a5a5a5a);
	}
	longid = repeat('9', MANIFEST_ID_MAX + 1);
	assert_int_equal(request_manifest(&sub, longid, &m), -1);
	longid[MANIFEST_ID_MAX] = '\0';
	assert_int_equal(request_manifest(&sub, longid, &m), 0);
	assert_string_equal(m.id, longid);
	request_manifest_free(&m);
	free(longid);
	request_release(&sub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    request_parse__short_form__main_py_is_file_and_entry),
		cmocka_unit_test(
		    request_parse__short_form__file_named_for_runtime),
		cmocka_unit_test(
		    request_parse__short_form_empty_source__empty_main_py),
		cmocka_unit_test(
		    request_parse__short_form_with_extras__accepted),
		cmocka_unit_test(
		    request_parse__long_form_full__every_field_kept),
		cmocka_unit_test(
		    request_parse__one_file_without_entry__entry_is_that_file),
		cmocka_unit_test(
		    request_parse__entry_may_be_a_base64_file__accepted),
		cmocka_unit_test(
		    request_parse__names_that_share_a_prefix_only__accepted),
		cmocka_unit_test(
		    request_parse__nul_in_file_and_stdin__bytes_kept),
		cmocka_unit_test(request_parse__utf8_names_and_text__kept),
		cmocka_unit_test(request_parse__stdin_forms__decoded),
		cmocka_unit_test(request_parse__at_every_cap__accepted),
		cmocka_unit_test(request_parse__null_caps__defaults_apply),
		cmocka_unit_test(request_parse__length_argument__honoured),
		cmocka_unit_test(request_parse__empty_body__400),
		cmocka_unit_test(request_parse__not_json__400),
		cmocka_unit_test(request_parse__deeply_nested__400),
		cmocka_unit_test(request_parse__nul_byte_in_body__400),
		cmocka_unit_test(request_parse__invalid_utf8__400),
		cmocka_unit_test(request_parse__duplicate_keys__400),
		cmocka_unit_test(request_parse__not_an_object__400),
		cmocka_unit_test(request_parse__huge_numbers__400),
		cmocka_unit_test(request_parse__unknown_field__400_naming_it),
		cmocka_unit_test(request_parse__wrong_types__400_naming_field),
		cmocka_unit_test(
		    request_parse__wrong_types_of_program_fields__400),
		cmocka_unit_test(request_parse__missing_runtime__400),
		cmocka_unit_test(request_parse__no_program__400),
		cmocka_unit_test(request_parse__forms_mixed__400),
		cmocka_unit_test(
		    request_parse__type_error_and_value_error__400_either_order),
		cmocka_unit_test(request_parse__bad_runtime__422),
		cmocka_unit_test(request_parse__bad_file_names__422),
		cmocka_unit_test(request_parse__names_at_bounds__accepted),
		cmocka_unit_test(
		    request_parse__nul_in_strings__refused_naming_field),
		cmocka_unit_test(request_parse__same_name_twice__422),
		cmocka_unit_test(request_parse__file_is_also_a_directory__422),
		cmocka_unit_test(request_parse__bad_base64__422),
		cmocka_unit_test(request_parse__no_files__422),
		cmocka_unit_test(request_parse__bad_entry__422),
		cmocka_unit_test(request_parse__too_many_files__422),
		cmocka_unit_test(request_parse__bad_args__422),
		cmocka_unit_test(request_parse__bad_env__422),
		cmocka_unit_test(request_parse__bad_limits__422),
		cmocka_unit_test(request_parse__limits_edges__accepted),
		cmocka_unit_test(request_parse__bad_labels__422),
		cmocka_unit_test(request_parse__callback_url__form_checked),
		cmocka_unit_test(request_parse__name__a_token_or_refused),
		cmocka_unit_test(request_parse__file_too_large__413),
		cmocka_unit_test(request_parse__total_too_large__413),
		cmocka_unit_test(request_parse__late_failure__nothing_leaks),
		cmocka_unit_test(
		    request_base64_decode__rfc4648_vectors__decoded),
		cmocka_unit_test(
		    request_base64_decode__every_byte_and_length__round_trips),
		cmocka_unit_test(
		    request_base64_decode__bad__einval_and_out_untouched),
		cmocka_unit_test(
		    request_manifest__full__round_trips_through_manifest_parse),
		cmocka_unit_test(
		    request_manifest__short_form__minimal_manifest),
		cmocka_unit_test(
		    request_manifest__bad_id__refused_and_m_untouched),
	};

	return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}
