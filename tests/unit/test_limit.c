/* Unit tests for common/limit.c: strict parsing, resolution, the JSON form. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "limit.h"

/* Bit of each limit in a "present" or "clamped" set. */
#define B_CPU (1u << 0)
#define B_WALL (1u << 1)
#define B_MEMORY (1u << 2)
#define B_PROCESSES (1u << 3)
#define B_OUTPUT (1u << 4)
#define B_DISK (1u << 5)
#define B_FILES (1u << 6)
#define B_ALL ((1u << LIMITS_N) - 1)

static const struct limits defaults = {
	.cpu_seconds = 5.0,
	.wall_seconds = 10.0,
	.memory_bytes = 268435456,
	.processes = 32,
	.output_bytes = 1048576,
	.disk_bytes = 67108864,
	.open_files = 64,
};
static const struct limits ceilings = {
	.cpu_seconds = 60.0,
	.wall_seconds = 120.0,
	.memory_bytes = 2147483648ULL,
	.processes = 128,
	.output_bytes = 16777216,
	.disk_bytes = 1073741824,
	.open_files = 256,
};

/* A struct limits full of values no test sets, to see what is written. */
static const struct limits sentinel = {
	.cpu_seconds = 1234.5,
	.wall_seconds = 2345.5,
	.memory_bytes = 3333,
	.processes = 4444,
	.output_bytes = 5555,
	.disk_bytes = 6666,
	.open_files = 7777,
};

/* Parse text as JSON and run limit_from_json on it. */
static int
parse(const char *text, struct limits *l, unsigned *present, struct error *e)
{
	json_error_t jerr;
	json_t *obj = json_loads(text, JSON_DECODE_ANY, &jerr);
	int rc;

	if (obj == NULL)
		fail_msg("test JSON does not parse: %s: %s", text, jerr.text);
	rc = limit_from_json(obj, l, present, e);
	json_decref(obj);
	return rc;
}

/* Expect text to be refused, blaming field, and to leave l and present be. */
static void
expect_refused(const char *text, const char *field)
{
	struct limits l = sentinel;
	unsigned present = 0xdead;
	struct error e;

	error_init(&e);
	if (parse(text, &l, &present, &e) != -1)
		fail_msg("accepted: %s", text);
	assert_int_equal(e.code, ERR_INVALID);
	assert_string_equal(e.field, field);
	assert_true(e.msg[0] != '\0');
	assert_memory_equal(&l, &sentinel, sizeof(l));
	assert_int_equal(present, 0xdead);
}

/* Expect text to be accepted. */
static void
expect_accepted(const char *text, struct limits *l, unsigned *present)
{
	struct error e;

	error_init(&e);
	if (parse(text, l, present, &e) != 0)
		fail_msg("refused: %s: %s", text, e.msg);
}

static void
limits_from_json__every_limit__parsed(void **state)
{
	struct limits l = sentinel;
	unsigned present = 0;

	expect_accepted("{\"cpu_seconds\": 2.5, \"wall_seconds\": 10, "
			"\"memory_bytes\": 268435456, \"processes\": 16, "
			"\"output_bytes\": 1048576, \"disk_bytes\": 16777216, "
			"\"open_files\": 64}",
	    &l, &present);
	assert_int_equal(present, B_ALL);
	assert_true(l.cpu_seconds == 2.5);
	assert_true(l.wall_seconds == 10.0);
	assert_int_equal(l.memory_bytes, 268435456);
	assert_int_equal(l.processes, 16);
	assert_int_equal(l.output_bytes, 1048576);
	assert_int_equal(l.disk_bytes, 16777216);
	assert_int_equal(l.open_files, 64);
}

static void
limits_from_json__some_limits__only_those_present(void **state)
{
	struct limits l = sentinel;
	unsigned present = 0;

	expect_accepted("{\"memory_bytes\": 1024, \"cpu_seconds\": 0.25}", &l,
	    &present);
	assert_int_equal(present, B_CPU | B_MEMORY);
	assert_true(l.cpu_seconds == 0.25);
	assert_int_equal(l.memory_bytes, 1024);
	/* The limits not given keep what the caller had. */
	assert_true(l.wall_seconds == sentinel.wall_seconds);
	assert_int_equal(l.processes, sentinel.processes);
	assert_int_equal(l.open_files, sentinel.open_files);
}

static void
limits_from_json__empty_object__nothing_present(void **state)
{
	struct limits l = sentinel;
	unsigned present = 0xff;

	expect_accepted("{}", &l, &present);
	assert_int_equal(present, 0);
	assert_memory_equal(&l, &sentinel, sizeof(l));
}

static void
limits_from_json__not_an_object__refused(void **state)
{
	expect_refused("[1, 2]", "limits");
	expect_refused("5", "limits");
	expect_refused("null", "limits");
}

static void
limits_from_json__unknown_key__refused(void **state)
{
	expect_refused("{\"cpu_seconds\": 1, \"gpu_seconds\": 1}", "limits");
	expect_refused("{\"Memory_bytes\": 1}", "limits");
	expect_refused("{\"\": 1}", "limits");
}

static void
limits_from_json__non_number__refused(void **state)
{
	expect_refused("{\"cpu_seconds\": \"5\"}", "cpu_seconds");
	expect_refused("{\"memory_bytes\": null}", "memory_bytes");
	expect_refused("{\"processes\": [16]}", "processes");
	expect_refused("{\"open_files\": {\"n\": 1}}", "open_files");
}

static void
limits_from_json__boolean__refused(void **state)
{
	expect_refused("{\"processes\": true}", "processes");
	expect_refused("{\"wall_seconds\": false}", "wall_seconds");
}

static void
limits_from_json__negative__refused(void **state)
{
	expect_refused("{\"cpu_seconds\": -1}", "cpu_seconds");
	expect_refused("{\"wall_seconds\": -0.5}", "wall_seconds");
	expect_refused("{\"memory_bytes\": -268435456}", "memory_bytes");
	expect_refused("{\"open_files\": -1}", "open_files");
}

static void
limits_from_json__zero__refused(void **state)
{
	expect_refused("{\"cpu_seconds\": 0}", "cpu_seconds");
	expect_refused("{\"wall_seconds\": 0.0}", "wall_seconds");
	expect_refused("{\"processes\": 0}", "processes");
	expect_refused("{\"disk_bytes\": 0}", "disk_bytes");
	expect_refused("{\"output_bytes\": -0.0}", "output_bytes");
}

static void
limits_from_json__fractional_integer_limit__refused(void **state)
{
	expect_refused("{\"memory_bytes\": 1024.5}", "memory_bytes");
	expect_refused("{\"processes\": 2.5}", "processes");
	expect_refused("{\"open_files\": 0.5}", "open_files");
	expect_refused("{\"output_bytes\": 1e-3}", "output_bytes");
}

static void
limits_from_json__fractional_seconds__accepted(void **state)
{
	struct limits l = sentinel;
	unsigned present = 0;

	expect_accepted("{\"cpu_seconds\": 0.001, \"wall_seconds\": 1.75}", &l,
	    &present);
	assert_int_equal(present, B_CPU | B_WALL);
	assert_true(l.cpu_seconds == 0.001);
	assert_true(l.wall_seconds == 1.75);
}

static void
limits_from_json__integral_real_for_integer_limit__accepted(void **state)
{
	struct limits l = sentinel;
	unsigned present = 0;

	expect_accepted("{\"memory_bytes\": 1048576.0}", &l, &present);
	assert_int_equal(present, B_MEMORY);
	assert_int_equal(l.memory_bytes, 1048576);
}

static void
limits_from_json__above_sanity_bound__refused(void **state)
{
	struct limits l = sentinel;
	unsigned present = 0;

	/* The bounds themselves are allowed... */
	expect_accepted("{\"cpu_seconds\": 604800, \"wall_seconds\": 604800, "
			"\"memory_bytes\": 1125899906842624, "
			"\"processes\": 1048576, \"open_files\": 1048576}",
	    &l, &present);
	assert_int_equal(l.memory_bytes, UINT64_C(1) << 50);
	/* ...one past them is malformed, not clamped. */
	expect_refused("{\"cpu_seconds\": 604800.5}", "cpu_seconds");
	expect_refused("{\"wall_seconds\": 1e9}", "wall_seconds");
	expect_refused("{\"memory_bytes\": 1125899906842625}", "memory_bytes");
	expect_refused("{\"disk_bytes\": 9223372036854775807}", "disk_bytes");
	expect_refused("{\"output_bytes\": 1e300}", "output_bytes");
	expect_refused("{\"processes\": 1048577}", "processes");
	expect_refused("{\"open_files\": 4294967296}", "open_files");
}

static void
limits_from_json__one_bad_value__nothing_written(void **state)
{
	/* Good values before the bad one must not leak into l. */
	expect_refused("{\"cpu_seconds\": 2, \"memory_bytes\": 1024, "
		       "\"processes\": -3}",
	    "processes");
	expect_refused("{\"cpu_seconds\": 2, \"nonsense\": 1}", "limits");
}

static void
limits_check_value__not_finite__refused(void **state)
{
	struct error e;
	int i;

	for (i = 0; i < LIMITS_N; i++) {
		error_init(&e);
		assert_int_equal(limit_check_value(i, NAN, &e), -1);
		assert_string_equal(e.field, limit_defs[i].name);
		assert_int_equal(limit_check_value(i, INFINITY, &e), -1);
		assert_int_equal(limit_check_value(i, 1.0, &e), 0);
	}
}

static void
limits_get_set__each_limit__round_trips(void **state)
{
	struct limits l;
	int i;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < LIMITS_N; i++)
		limit_set(&l, i, (double)(i + 1) * 1024);
	for (i = 0; i < LIMITS_N; i++)
		assert_true(limit_get(&l, i) == (double)(i + 1) * 1024);
	assert_true(l.cpu_seconds == 1024.0);
	assert_int_equal(l.memory_bytes, 3 * 1024);
	assert_int_equal(l.open_files, 7 * 1024);
}

static void
limits_resolve__nothing_requested__defaults(void **state)
{
	struct limits out = sentinel, req = sentinel;
	unsigned clamped = 0xff;

	limit_resolve(&out, &req, 0, &defaults, &ceilings, &clamped);
	assert_memory_equal(&out, &defaults, sizeof(out));
	assert_int_equal(clamped, 0);
}

static void
limits_resolve__requested_within_ceiling__applied(void **state)
{
	struct limits out, req = sentinel;
	unsigned clamped = 0xff;

	req.cpu_seconds = 1.5;
	req.memory_bytes = 1048576;
	req.open_files = 256; /* exactly the ceiling */
	limit_resolve(&out, &req, B_CPU | B_MEMORY | B_FILES, &defaults,
	    &ceilings, &clamped);
	assert_true(out.cpu_seconds == 1.5);
	assert_int_equal(out.memory_bytes, 1048576);
	assert_int_equal(out.open_files, 256);
	/* The rest are the defaults, whatever req holds for them. */
	assert_true(out.wall_seconds == defaults.wall_seconds);
	assert_int_equal(out.processes, defaults.processes);
	assert_int_equal(out.output_bytes, defaults.output_bytes);
	assert_int_equal(out.disk_bytes, defaults.disk_bytes);
	assert_int_equal(clamped, 0);
}

static void
limits_resolve__requested_above_ceiling__clamped(void **state)
{
	struct limits out, req = sentinel;
	unsigned clamped = 0;

	req.cpu_seconds = 600;
	req.memory_bytes = UINT64_C(1) << 40;
	req.processes = 16; /* within */
	limit_resolve(&out, &req, B_CPU | B_MEMORY | B_PROCESSES, &defaults,
	    &ceilings, &clamped);
	assert_true(out.cpu_seconds == ceilings.cpu_seconds);
	assert_int_equal(out.memory_bytes, ceilings.memory_bytes);
	assert_int_equal(out.processes, 16);
	assert_int_equal(clamped, B_CPU | B_MEMORY);
}

static void
limits_resolve__default_above_ceiling__lowered_not_flagged(void **state)
{
	struct limits out, low = ceilings;
	unsigned clamped = 0xff;

	low.disk_bytes = 1024; /* below the default */
	limit_resolve(&out, &sentinel, 0, &defaults, &low, &clamped);
	assert_int_equal(out.disk_bytes, 1024);
	/* Nothing the job asked for was lowered. */
	assert_int_equal(clamped, 0);
}

static void
limits_resolve__null_clamped__allowed(void **state)
{
	struct limits out, req = sentinel;

	req.wall_seconds = 1e6;
	limit_resolve(&out, &req, B_WALL, &defaults, &ceilings, NULL);
	assert_true(out.wall_seconds == ceilings.wall_seconds);
}

static void
limits_fit__within_ceilings__true(void **state)
{
	struct limits req = ceilings;

	assert_true(limit_fit(&req, B_ALL, &ceilings));
	assert_true(limit_fit(&defaults, B_ALL, &ceilings));
	assert_true(limit_fit(&sentinel, 0, &ceilings));
}

static void
limits_fit__above_a_ceiling__false(void **state)
{
	struct limits req = defaults;

	req.output_bytes = ceilings.output_bytes + 1;
	assert_false(limit_fit(&req, B_OUTPUT, &ceilings));
	assert_false(limit_fit(&req, B_ALL, &ceilings));
	/* A limit that is not given does not count. */
	assert_true(limit_fit(&req, B_ALL & ~B_OUTPUT, &ceilings));
}

static void
limits_to_json__round_trip__same_limits(void **state)
{
	struct limits back = sentinel, l = defaults;
	unsigned present = 0;
	struct error e;
	json_t *obj;

	l.cpu_seconds = 2.75;
	l.memory_bytes = (UINT64_C(1) << 50) - 1;
	obj = limit_to_json(&l);
	assert_non_null(obj);
	assert_int_equal(json_object_size(obj), LIMITS_N);
	assert_true(json_is_real(json_object_get(obj, "cpu_seconds")));
	assert_true(json_is_real(json_object_get(obj, "wall_seconds")));
	assert_true(json_is_integer(json_object_get(obj, "memory_bytes")));
	assert_true(json_is_integer(json_object_get(obj, "open_files")));
	assert_int_equal(json_integer_value(json_object_get(obj, "processes")),
	    32);
	error_init(&e);
	assert_int_equal(limit_from_json(obj, &back, &present, &e), 0);
	json_decref(obj);
	assert_int_equal(present, B_ALL);
	assert_memory_equal(&back, &l, sizeof(l));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(limits_from_json__every_limit__parsed),
		cmocka_unit_test(
		    limits_from_json__some_limits__only_those_present),
		cmocka_unit_test(
		    limits_from_json__empty_object__nothing_present),
		cmocka_unit_test(limits_from_json__not_an_object__refused),
		cmocka_unit_test(limits_from_json__unknown_key__refused),
		cmocka_unit_test(limits_from_json__non_number__refused),
		cmocka_unit_test(limits_from_json__boolean__refused),
		cmocka_unit_test(limits_from_json__negative__refused),
		cmocka_unit_test(limits_from_json__zero__refused),
		cmocka_unit_test(
		    limits_from_json__fractional_integer_limit__refused),
		cmocka_unit_test(
		    limits_from_json__fractional_seconds__accepted),
		cmocka_unit_test(
		    limits_from_json__integral_real_for_integer_limit__accepted),
		cmocka_unit_test(limits_from_json__above_sanity_bound__refused),
		cmocka_unit_test(
		    limits_from_json__one_bad_value__nothing_written),
		cmocka_unit_test(limits_check_value__not_finite__refused),
		cmocka_unit_test(limits_get_set__each_limit__round_trips),
		cmocka_unit_test(limits_resolve__nothing_requested__defaults),
		cmocka_unit_test(
		    limits_resolve__requested_within_ceiling__applied),
		cmocka_unit_test(
		    limits_resolve__requested_above_ceiling__clamped),
		cmocka_unit_test(
		    limits_resolve__default_above_ceiling__lowered_not_flagged),
		cmocka_unit_test(limits_resolve__null_clamped__allowed),
		cmocka_unit_test(limits_fit__within_ceilings__true),
		cmocka_unit_test(limits_fit__above_a_ceiling__false),
		cmocka_unit_test(limits_to_json__round_trip__same_limits),
	};

	return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
