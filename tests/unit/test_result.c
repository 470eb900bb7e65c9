/* Unit tests for common/result.c: result.json out and, untrusted, back in. */
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
#include "limit.h"
#include "result.h"

static const struct limits applied = {
	.cpu_seconds = 5.0,
	.wall_seconds = 10.0,
	.memory_bytes = 268435456,
	.processes = 16,
	.output_bytes = 1048576,
	.disk_bytes = 16777216,
	.open_files = 64,
};

/* A result like the example in INTERFACES.md, with two out files. */
static void
sample(struct result *r)
{
	result_init(r);
	r->verdict = VERDICT_OK;
	r->exit_code = 0;
	r->cpu_seconds = 0.021;
	r->wall_seconds = 0.034;
	r->memory_peak_bytes = 9437184;
	r->stdout_bytes = 6;
	r->stderr_bytes = 0;
	r->stdout_truncated = false;
	r->stderr_truncated = true;
	r->limits = applied;
	snprintf(r->message, sizeof(r->message), "cpu_seconds lowered");
	snprintf(r->started_at, sizeof(r->started_at),
	    "2024-01-02T03:04:05.678Z");
	snprintf(r->finished_at, sizeof(r->finished_at),
	    "2024-01-02T03:04:05.712Z");
	assert_int_equal(result_add_file(r, "plot.png", 20480), 0);
	assert_int_equal(result_add_file(r, "data/out.csv", 7), 0);
}

/* The JSON form of sample(); the caller owns it. */
static json_t *
sample_json(void)
{
	struct result r;
	json_t *obj;

	sample(&r);
	obj = result_to_json(&r);
	result_release(&r);
	assert_non_null(obj);
	return obj;
}

/* Show obj in a failure message, then drop it. */
static void
show_and_drop(json_t *obj, char *buf, size_t len)
{
	char *text = json_dumps(obj, JSON_COMPACT);

	snprintf(buf, len, "%s", text != NULL ? text : "?");
	free(text);
	json_decref(obj);
}

/* Expect obj (whose reference is taken) to be refused, blaming field
   unless field is NULL, and to leave out untouched. */
static void
expect_refused(json_t *obj, const char *field)
{
	struct result out, before;
	struct error e;
	char shown[1024];

	memset(&out, 0x5a, sizeof(out));
	memcpy(&before, &out, sizeof(out));
	error_init(&e);
	if (result_from_json(obj, &out, &e) != -1) {
		result_release(&out);
		show_and_drop(obj, shown, sizeof(shown));
		fail_msg("accepted: %s", shown);
	}
	if (field != NULL && strcmp(e.field, field) != 0) {
		show_and_drop(obj, shown, sizeof(shown));
		fail_msg("field '%s', expected '%s' (%s) for %s", e.field,
		    field, e.msg, shown);
	}
	json_decref(obj);
	assert_int_equal(e.code, ERR_INVALID);
	assert_true(e.msg[0] != '\0');
	assert_memory_equal(&out, &before, sizeof(out));
}

/* Expect obj (whose reference is taken) to be accepted into out. */
static void
expect_accepted(json_t *obj, struct result *out)
{
	struct error e;
	char shown[1024];

	error_init(&e);
	if (result_from_json(obj, out, &e) != 0) {
		show_and_drop(obj, shown, sizeof(shown));
		fail_msg("refused (%s: %s): %s", e.field, e.msg, shown);
	}
	json_decref(obj);
}

/* sample_json() with one field replaced (value's reference is taken). */
static json_t *
with(const char *key, json_t *value)
{
	json_t *obj = sample_json();

	assert_non_null(value);
	assert_int_equal(json_object_set_new(obj, key, value), 0);
	return obj;
}

/* sample_json() with one field removed. */
static json_t *
without(const char *key)
{
	json_t *obj = sample_json();

	assert_int_equal(json_object_del(obj, key), 0);
	return obj;
}

/* sample_json() with one limit replaced or, when value is NULL, removed. */
static json_t *
with_limit(const char *key, json_t *value)
{
	json_t *obj = sample_json(), *limits = json_object_get(obj, "limits");

	if (value == NULL)
		assert_int_equal(json_object_del(limits, key), 0);
	else
		assert_int_equal(json_object_set_new(limits, key, value), 0);
	return obj;
}

/* An out_files array with one entry {"name": name, "bytes": 1}. */
static json_t *
one_file(json_t *name)
{
	json_t *arr = json_array(), *f = json_object();

	assert_non_null(arr);
	assert_non_null(f);
	json_object_set_new(f, "name", name);
	json_object_set_new(f, "bytes", json_integer(1));
	json_array_append_new(arr, f);
	return arr;
}

/* An out_files array with n well-formed entries. */
static json_t *
n_files(size_t n)
{
	json_t *arr = json_array();
	char name[32];
	size_t i;

	assert_non_null(arr);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		json_array_append_new(arr,
		    json_pack("{s:s, s:i}", "name", name, "bytes", 1));
	}
	return arr;
}

static void
verdict_name__every_verdict__round_trips(void **state)
{
	static const char *names[] = { "ok", "exited", "signaled", "cpu_limit",
		"wall_limit", "memory_limit", "output_limit", "cancelled",
		"sandbox_error", NULL };
	enum verdict v;
	int i;

	for (i = 0; names[i] != NULL; i++) {
		assert_int_equal(verdict_parse(names[i], &v), 0);
		assert_int_equal(v, i);
		assert_string_equal(verdict_name(v), names[i]);
	}
	v = VERDICT_OK;
	assert_int_equal(verdict_parse("OK", &v), -1);
	assert_int_equal(verdict_parse("", &v), -1);
	assert_int_equal(v, VERDICT_OK);
}

static void
result_init__empty__no_exit_no_signal(void **state)
{
	struct result r;

	memset(&r, 0x77, sizeof(r));
	result_init(&r);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, 0);
	assert_int_equal(r.n_out_files, 0);
	assert_null(r.out_files);
	assert_string_equal(r.message, "");
}

static void
result_to_json__sample__wire_fields(void **state)
{
	json_t *obj = sample_json();

	assert_int_equal(json_integer_value(json_object_get(obj, "version")),
	    1);
	assert_string_equal(json_string_value(json_object_get(obj, "verdict")),
	    "ok");
	assert_int_equal(json_integer_value(json_object_get(obj, "exit_code")),
	    0);
	assert_true(json_is_null(json_object_get(obj, "signal")));
	assert_true(json_is_false(json_object_get(obj, "stdout_truncated")));
	assert_true(json_is_true(json_object_get(obj, "stderr_truncated")));
	assert_int_equal(json_array_size(json_object_get(obj, "out_files")), 2);
	assert_int_equal(json_object_size(json_object_get(obj, "limits")),
	    LIMITS_N);
	json_decref(obj);
}

static void
result_to_json__exit_and_signal__null_when_absent(void **state)
{
	struct result r;
	json_t *obj;

	sample(&r);
	r.verdict = VERDICT_SIGNALED;
	r.exit_code = -1;
	r.signal = 9;
	obj = result_to_json(&r);
	result_release(&r);
	assert_non_null(obj);
	assert_true(json_is_null(json_object_get(obj, "exit_code")));
	assert_int_equal(json_integer_value(json_object_get(obj, "signal")), 9);
	json_decref(obj);
}

static void
result_from_json__own_output__round_trips(void **state)
{
	struct result r, back;

	sample(&r);
	r.out_files_truncated = true;
	memset(&back, 0, sizeof(back));
	expect_accepted(result_to_json(&r), &back);
	assert_int_equal(back.verdict, VERDICT_OK);
	assert_int_equal(back.exit_code, 0);
	assert_int_equal(back.signal, 0);
	assert_true(back.cpu_seconds == 0.021);
	assert_true(back.wall_seconds == 0.034);
	assert_int_equal(back.memory_peak_bytes, 9437184);
	assert_int_equal(back.stdout_bytes, 6);
	assert_int_equal(back.stderr_bytes, 0);
	assert_false(back.stdout_truncated);
	assert_true(back.stderr_truncated);
	assert_true(back.out_files_truncated);
	assert_int_equal(back.n_out_files, 2);
	assert_string_equal(back.out_files[0].name, "plot.png");
	assert_int_equal(back.out_files[0].bytes, 20480);
	assert_string_equal(back.out_files[1].name, "data/out.csv");
	assert_int_equal(back.out_files[1].bytes, 7);
	assert_memory_equal(&back.limits, &applied, sizeof(applied));
	assert_string_equal(back.message, r.message);
	assert_string_equal(back.started_at, r.started_at);
	assert_string_equal(back.finished_at, r.finished_at);
	result_release(&back);
	result_release(&r);
}

static void
result_from_json__signaled__round_trips(void **state)
{
	struct result r, back;

	sample(&r);
	r.verdict = VERDICT_SIGNALED;
	r.exit_code = -1;
	r.signal = 11;
	snprintf(r.message, sizeof(r.message),
	    "killed by signal 11 (SIGSEGV)\nsecond line");
	expect_accepted(result_to_json(&r), &back);
	assert_int_equal(back.verdict, VERDICT_SIGNALED);
	assert_int_equal(back.exit_code, -1);
	assert_int_equal(back.signal, 11);
	assert_string_equal(back.message, r.message);
	result_release(&back);
	result_release(&r);
}

static void
result_from_json__every_verdict__round_trips(void **state)
{
	struct result r, back;
	int v;

	for (v = VERDICT_OK; v <= VERDICT_SANDBOX_ERROR; v++) {
		sample(&r);
		r.verdict = (enum verdict)v;
		expect_accepted(result_to_json(&r), &back);
		assert_int_equal(back.verdict, v);
		result_release(&back);
		result_release(&r);
	}
}

static void
result_to_json__seconds__rounded_to_microseconds(void **state)
{
	struct result r, back;

	sample(&r);
	r.cpu_seconds = 1.2345674;
	r.wall_seconds = 0.0000004;
	expect_accepted(result_to_json(&r), &back);
	assert_true(back.cpu_seconds == 1.234567);
	assert_true(back.wall_seconds == 0.0);
	result_release(&back);
	result_release(&r);
}

static void
result_from_json__bounds__accepted(void **state)
{
	struct result back;
	json_t *obj = sample_json();

	json_object_set_new(obj, "exit_code", json_integer(255));
	json_object_set_new(obj, "signal", json_integer(64));
	json_object_set_new(obj, "memory_peak_bytes",
	    json_integer((json_int_t)1 << 50));
	json_object_set_new(obj, "cpu_seconds", json_integer(604800));
	json_object_set_new(obj, "wall_seconds", json_real(0.0));
	expect_accepted(obj, &back);
	assert_int_equal(back.exit_code, 255);
	assert_int_equal(back.signal, 64);
	assert_int_equal(back.memory_peak_bytes, UINT64_C(1) << 50);
	assert_true(back.cpu_seconds == 604800.0);
	result_release(&back);

	expect_accepted(with("signal", json_integer(1)), &back);
	assert_int_equal(back.signal, 1);
	result_release(&back);
}

static void
result_from_json__not_an_object__refused(void **state)
{
	expect_refused(json_array(), NULL);
	expect_refused(json_string("ok"), NULL);
	expect_refused(json_null(), NULL);
}

static void
result_from_json__missing_field__refused(void **state)
{
	static const char *fields[] = { "version", "verdict", "exit_code",
		"signal", "cpu_seconds", "wall_seconds", "memory_peak_bytes",
		"stdout_bytes", "stderr_bytes", "stdout_truncated",
		"stderr_truncated", "out_files", "limits", "message",
		"started_at", "finished_at", NULL };
	int i;

	for (i = 0; fields[i] != NULL; i++)
		expect_refused(without(fields[i]), fields[i]);
}

static void
result_from_json__wrong_type__refused(void **state)
{
	expect_refused(with("version", json_string("1")), "version");
	expect_refused(with("version", json_real(1.0)), "version");
	expect_refused(with("verdict", json_integer(0)), "verdict");
	expect_refused(with("verdict", json_null()), "verdict");
	expect_refused(with("exit_code", json_string("0")), "exit_code");
	expect_refused(with("exit_code", json_real(0.0)), "exit_code");
	expect_refused(with("exit_code", json_false()), "exit_code");
	expect_refused(with("signal", json_string("SIGKILL")), "signal");
	expect_refused(with("signal", json_real(9.0)), "signal");
	expect_refused(with("cpu_seconds", json_string("0.1")), "cpu_seconds");
	expect_refused(with("wall_seconds", json_true()), "wall_seconds");
	expect_refused(with("wall_seconds", json_null()), "wall_seconds");
	expect_refused(with("memory_peak_bytes", json_real(1.5)),
	    "memory_peak_bytes");
	expect_refused(with("stdout_bytes", json_string("6")), "stdout_bytes");
	expect_refused(with("stderr_bytes", json_null()), "stderr_bytes");
	expect_refused(with("stdout_truncated", json_integer(0)),
	    "stdout_truncated");
	expect_refused(with("stderr_truncated", json_string("false")),
	    "stderr_truncated");
	expect_refused(with("out_files", json_object()), "out_files");
	expect_refused(with("limits", json_array()), "limits");
	expect_refused(with("message", json_integer(5)), "message");
	expect_refused(with("started_at", json_null()), "started_at");
	expect_refused(with("finished_at", json_integer(0)), "finished_at");
}

static void
result_from_json__out_files_truncated_not_boolean__refused(void **state)
{
	/* A known field with the wrong type must not silently read as
	   false (result.h: every known field has the right type). */
	expect_refused(with("out_files_truncated", json_string("yes")),
	    "out_files_truncated");
	expect_refused(with("out_files_truncated", json_integer(1)),
	    "out_files_truncated");
}

static void
result_from_json__unsupported_version__refused(void **state)
{
	expect_refused(with("version", json_integer(2)), "version");
	expect_refused(with("version", json_integer(0)), "version");
}

/* A sample whose compile stage ended with verdict cv, and the job with
   jv, as JSON. */
static json_t *
with_compile(enum verdict jv, enum verdict cv)
{
	struct result r;
	json_t *obj;

	sample(&r);
	r.verdict = jv;
	r.has_compile = true;
	r.compile.verdict = cv;
	r.compile.exit_code = cv == VERDICT_OK ? 0 : 1;
	r.compile.cpu_seconds = 0.5;
	r.compile.wall_seconds = 0.75;
	r.compile.memory_peak_bytes = 1 << 20;
	r.compile.stdout_bytes = 3;
	r.compile.stderr_bytes = 4;
	r.compile.stderr_truncated = true;
	r.compile.limits = applied;
	obj = result_to_json(&r);
	result_release(&r);
	assert_non_null(obj);
	return obj;
}

static void
result_compile__round_trip(void **state)
{
	struct result out;

	(void)state;
	expect_accepted(with_compile(VERDICT_COMPILE_ERROR, VERDICT_CPU_LIMIT),
	    &out);
	assert_true(out.has_compile);
	assert_int_equal(out.verdict, VERDICT_COMPILE_ERROR);
	assert_int_equal(out.compile.verdict, VERDICT_CPU_LIMIT);
	assert_int_equal(out.compile.exit_code, 1);
	assert_int_equal(out.compile.signal, 0);
	assert_true(out.compile.cpu_seconds == 0.5);
	assert_true(out.compile.wall_seconds == 0.75);
	assert_int_equal(out.compile.memory_peak_bytes, 1 << 20);
	assert_int_equal(out.compile.stdout_bytes, 3);
	assert_int_equal(out.compile.stderr_bytes, 4);
	assert_false(out.compile.stdout_truncated);
	assert_true(out.compile.stderr_truncated);
	assert_memory_equal(&out.compile.limits, &applied, sizeof(applied));
	result_release(&out);
	expect_accepted(with_compile(VERDICT_EXITED, VERDICT_OK), &out);
	assert_true(out.has_compile);
	result_release(&out);
	expect_accepted(with_compile(VERDICT_CANCELLED, VERDICT_CANCELLED),
	    &out);
	result_release(&out);
	/* No compile stage: none, null or absent alike. */
	expect_accepted(with("compile", json_null()), &out);
	assert_false(out.has_compile);
	result_release(&out);
}

static void
result_compile__inconsistent__refused(void **state)
{
	json_t *obj;

	(void)state;
	/* compile_error needs a compile stage that did not end ok. */
	expect_refused(with("verdict", json_string("compile_error")),
	    "compile");
	expect_refused(with_compile(VERDICT_COMPILE_ERROR, VERDICT_OK),
	    "compile");
	expect_refused(with_compile(VERDICT_COMPILE_ERROR, VERDICT_CANCELLED),
	    "compile");
	/* A failed compile stage is never followed by a run's verdict. */
	expect_refused(with_compile(VERDICT_OK, VERDICT_EXITED), "compile");
	expect_refused(with_compile(VERDICT_EXITED, VERDICT_CANCELLED),
	    "compile");
	/* A stage is never compile_error or sandbox_error itself. */
	expect_refused(with_compile(VERDICT_COMPILE_ERROR,
			   VERDICT_COMPILE_ERROR),
	    "compile");
	expect_refused(with_compile(VERDICT_COMPILE_ERROR,
			   VERDICT_SANDBOX_ERROR),
	    "compile");
	expect_refused(with("compile", json_string("ok")), "compile");
	expect_refused(with("compile", json_array()), "compile");
	/* Each field of the stage is checked as the run's are. */
	obj = with_compile(VERDICT_OK, VERDICT_OK);
	json_object_set_new(json_object_get(obj, "compile"), "cpu_seconds",
	    json_real(-1));
	expect_refused(obj, NULL);
	obj = with_compile(VERDICT_OK, VERDICT_OK);
	json_object_set_new(json_object_get(obj, "compile"), "exit_code",
	    json_integer(256));
	expect_refused(obj, NULL);
	obj = with_compile(VERDICT_OK, VERDICT_OK);
	json_object_del(json_object_get(obj, "compile"), "limits");
	expect_refused(obj, NULL);
	obj = with_compile(VERDICT_OK, VERDICT_OK);
	json_object_set_new(json_object_get(obj, "compile"), "stdout_bytes",
	    json_integer(((json_int_t)1 << 50) + 1));
	expect_refused(obj, NULL);
	obj = with_compile(VERDICT_OK, VERDICT_OK);
	json_object_del(json_object_get(obj, "compile"), "verdict");
	expect_refused(obj, NULL);
}

static void
result_from_json__unknown_verdict__refused(void **state)
{
	expect_refused(with("verdict", json_string("OK")), "verdict");
	expect_refused(with("verdict", json_string("timeout")), "verdict");
	expect_refused(with("verdict", json_string("")), "verdict");
}

static void
result_from_json__exit_code_out_of_range__refused(void **state)
{
	expect_refused(with("exit_code", json_integer(-1)), "exit_code");
	expect_refused(with("exit_code", json_integer(256)), "exit_code");
	expect_refused(with("exit_code", json_integer(65536)), "exit_code");
	expect_refused(with("exit_code", json_integer(INT64_MIN)), "exit_code");
}

static void
result_from_json__signal_out_of_range__refused(void **state)
{
	expect_refused(with("signal", json_integer(0)), "signal");
	expect_refused(with("signal", json_integer(65)), "signal");
	expect_refused(with("signal", json_integer(-9)), "signal");
	expect_refused(with("signal", json_integer(INT64_MAX)), "signal");
}

static void
result_from_json__negative_or_huge_numbers__refused(void **state)
{
	expect_refused(with("cpu_seconds", json_real(-0.001)), "cpu_seconds");
	expect_refused(with("cpu_seconds", json_integer(-1)), "cpu_seconds");
	expect_refused(with("wall_seconds", json_real(1e12)), "wall_seconds");
	expect_refused(with("wall_seconds", json_integer(604801)),
	    "wall_seconds");
	expect_refused(with("memory_peak_bytes", json_integer(-1)),
	    "memory_peak_bytes");
	expect_refused(with("memory_peak_bytes",
			   json_integer(((json_int_t)1 << 50) + 1)),
	    "memory_peak_bytes");
	expect_refused(with("stdout_bytes", json_integer(INT64_MAX)),
	    "stdout_bytes");
	expect_refused(with("stderr_bytes", json_integer(INT64_MIN)),
	    "stderr_bytes");
}

static void
result_from_json__out_file_bad_name__refused(void **state)
{
	expect_refused(with("out_files", one_file(json_string("../x"))),
	    "out_files");
	expect_refused(with("out_files", one_file(json_string("a/../../x"))),
	    "out_files");
	expect_refused(with("out_files", one_file(json_string("/abs"))),
	    "out_files");
	expect_refused(with("out_files", one_file(json_string("/etc/passwd"))),
	    "out_files");
	expect_refused(with("out_files", one_file(json_string(""))),
	    "out_files");
	expect_refused(with("out_files", one_file(json_string("a//b"))),
	    "out_files");
	expect_refused(with("out_files",
			   one_file(json_string("a\x01"
						"b"))),
	    "out_files");
	expect_refused(with("out_files", one_file(json_string("a\nb"))),
	    "out_files");
	expect_refused(with("out_files", one_file(json_string("\x1b[2J"))),
	    "out_files");
	expect_refused(with("out_files", one_file(json_stringn("ok\0../x", 7))),
	    "out_files");
	expect_refused(with("out_files", one_file(json_integer(5))),
	    "out_files");
	expect_refused(with("out_files", one_file(json_null())), "out_files");
}

static void
result_from_json__out_file_malformed__refused(void **state)
{
	json_t *arr;

	expect_refused(with("out_files", json_pack("[s]", "plot.png")),
	    "out_files");
	expect_refused(with("out_files",
			   json_pack("[{s:s}]", "name", "plot.png")),
	    NULL);
	expect_refused(with("out_files",
			   json_pack("[{s:s, s:i, s:b}]", "name", "a", "bytes",
			       1, "x", 1)),
	    "out_files");
	expect_refused(with("out_files",
			   json_pack("[{s:s, s:i}]", "name", "a", "size", 1)),
	    NULL);
	expect_refused(with("out_files",
			   json_pack("[{s:s, s:i}]", "name", "a", "bytes", -1)),
	    NULL);
	expect_refused(with("out_files",
			   json_pack("[{s:s, s:f}]", "name", "a", "bytes",
			       1.5)),
	    NULL);
	/* A bad entry after good ones: the good ones are freed too. */
	arr = n_files(3);
	json_array_append_new(arr,
	    json_pack("{s:s, s:i}", "name", "/abs", "bytes", 1));
	expect_refused(with("out_files", arr), "out_files");
}

static void
result_from_json__out_files_at_cap__accepted(void **state)
{
	struct result back;

	expect_accepted(with("out_files", n_files(RESULT_OUT_FILES_MAX)),
	    &back);
	assert_int_equal(back.n_out_files, RESULT_OUT_FILES_MAX);
	assert_string_equal(back.out_files[RESULT_OUT_FILES_MAX - 1].name,
	    "f9999");
	result_release(&back);
}

static void
result_from_json__too_many_out_files__refused(void **state)
{
	expect_refused(with("out_files", n_files(RESULT_OUT_FILES_MAX + 1)),
	    "out_files");
}

static void
result_from_json__message_with_control_characters__refused(void **state)
{
	expect_refused(with("message", json_string("\x1b[31mred")), "message");
	expect_refused(with("message", json_string("a\tb")), "message");
	expect_refused(with("message", json_string("a\rb")), "message");
	expect_refused(with("message", json_string("bell\x07")), "message");
	expect_refused(with("message", json_string("del\x7f")), "message");
	expect_refused(with("message", json_stringn("a\0b", 3)), "message");
}

static void
result_from_json__message_too_long__refused(void **state)
{
	char text[RESULT_MESSAGE_MAX + 1];
	struct result back;

	memset(text, 'm', RESULT_MESSAGE_MAX);
	text[RESULT_MESSAGE_MAX] = '\0';
	expect_refused(with("message", json_string(text)), "message");
	text[RESULT_MESSAGE_MAX - 1] = '\0';
	expect_accepted(with("message", json_string(text)), &back);
	assert_int_equal(strlen(back.message), RESULT_MESSAGE_MAX - 1);
	result_release(&back);
}

static void
result_from_json__bad_timestamps__refused(void **state)
{
	char text[64];

	expect_refused(with("started_at", json_string("2024-01-01\n")),
	    "started_at");
	expect_refused(with("finished_at", json_stringn("2024\0", 5)),
	    "finished_at");
	memset(text, '9', 40);
	text[40] = '\0';
	expect_refused(with("finished_at", json_string(text)), "finished_at");
}

static void
result_from_json__limits_missing_a_key__refused(void **state)
{
	int i;

	for (i = 0; i < LIMITS_N; i++)
		expect_refused(with_limit(limit_defs[i].name, NULL), "limits");
}

static void
result_from_json__limits_bad_value__refused(void **state)
{
	expect_refused(with_limit("processes", json_integer(0)), "processes");
	expect_refused(with_limit("memory_bytes", json_real(1.5)),
	    "memory_bytes");
	expect_refused(with_limit("cpu_seconds", json_string("5")),
	    "cpu_seconds");
	expect_refused(with_limit("gpus", json_integer(1)), "limits");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verdict_name__every_verdict__round_trips),
		cmocka_unit_test(result_init__empty__no_exit_no_signal),
		cmocka_unit_test(result_to_json__sample__wire_fields),
		cmocka_unit_test(
		    result_to_json__exit_and_signal__null_when_absent),
		cmocka_unit_test(result_from_json__own_output__round_trips),
		cmocka_unit_test(result_from_json__signaled__round_trips),
		cmocka_unit_test(result_from_json__every_verdict__round_trips),
		cmocka_unit_test(
		    result_to_json__seconds__rounded_to_microseconds),
		cmocka_unit_test(result_from_json__bounds__accepted),
		cmocka_unit_test(result_from_json__not_an_object__refused),
		cmocka_unit_test(result_from_json__missing_field__refused),
		cmocka_unit_test(result_from_json__wrong_type__refused),
		cmocka_unit_test(
		    result_from_json__out_files_truncated_not_boolean__refused),
		cmocka_unit_test(
		    result_from_json__unsupported_version__refused),
		cmocka_unit_test(result_from_json__unknown_verdict__refused),
		cmocka_unit_test(result_compile__round_trip),
		cmocka_unit_test(result_compile__inconsistent__refused),
		cmocka_unit_test(
		    result_from_json__exit_code_out_of_range__refused),
		cmocka_unit_test(
		    result_from_json__signal_out_of_range__refused),
		cmocka_unit_test(
		    result_from_json__negative_or_huge_numbers__refused),
		cmocka_unit_test(result_from_json__out_file_bad_name__refused),
		cmocka_unit_test(result_from_json__out_file_malformed__refused),
		cmocka_unit_test(result_from_json__out_files_at_cap__accepted),
		cmocka_unit_test(result_from_json__too_many_out_files__refused),
		cmocka_unit_test(
		    result_from_json__message_with_control_characters__refused),
		cmocka_unit_test(result_from_json__message_too_long__refused),
		cmocka_unit_test(result_from_json__bad_timestamps__refused),
		cmocka_unit_test(
		    result_from_json__limits_missing_a_key__refused),
		cmocka_unit_test(result_from_json__limits_bad_value__refused),
	};

	return cmocka_run_group_tests_name("result", tests, NULL, NULL);
}
