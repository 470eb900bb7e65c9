/*
 * Unit tests for the SLURM habits of the CLI that need no dispatcher:
 * dispatcher/listfmt.c (the -o/--format parser and its cells),
 * dispatcher/jobsel.c (the selection of list and cancel: options, query,
 * the check of what comes back), and the times and TIME of fmt.c that
 * they use.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fmt.h"
#include "jobsel.h"
#include "listfmt.h"

/* A job object from JSON text (the test's to free). */
static json_t *
job_json(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

/* The headers of a format, space-separated, into buf. */
static const char *
headers_of(const struct listfmt *f, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < f->ncols; i++) {
		snprintf(buf + n, size - n, "%s%s", i > 0 ? " " : "",
		    f->headers[i]);
		n = strlen(buf);
	}
	return buf;
}

/* ---- listfmt_parse ---- */

static void
listfmt_parse__default__squeue_columns_with_name(void **state)
{
	struct listfmt f;
	struct error e;
	char buf[256];

	(void)state;
	assert_int_equal(listfmt_parse(LISTFMT_DEFAULT, &f, &e), 0);
	assert_string_equal(headers_of(&f, buf, sizeof(buf)),
	    "JOBID NAME TENANT RUNTIME ST TIME NODE(REASON)");
	/* Ids, codes and times are right-justified, as squeue's. */
	assert_true(f.right[0]);
	assert_false(f.right[1]);
	assert_true(f.right[4]);
	assert_true(f.right[5]);
	assert_int_equal(f.widths[0], 0);
}

static void
listfmt_parse__letters__columns_widths_justification(void **state)
{
	struct listfmt f;
	struct error e;
	char buf[256];

	(void)state;
	assert_int_equal(listfmt_parse("%.10i %20j\t%T %M %R %r %N", &f, &e),
	    0);
	assert_string_equal(headers_of(&f, buf, sizeof(buf)),
	    "JOBID NAME STATE TIME NODE(REASON) REASON NODE");
	assert_int_equal(f.fields[0], LISTFMT_ID);
	assert_true(f.right[0]);
	assert_int_equal(f.widths[0], 10);
	/* A width without '.' left-justifies, as squeue does. */
	assert_false(f.right[1]);
	assert_int_equal(f.widths[1], 20);
	assert_int_equal(f.fields[2], LISTFMT_STATE);
	assert_int_equal(f.widths[2], 0);
	/* Every letter sluice knows. */
	assert_int_equal(listfmt_parse("%i%j%u%P%t%T%M%R%N%r%V%S%e%l%m%f", &f,
			     &e),
	    0);
	assert_int_equal(f.ncols, 16);
}

static void
listfmt_parse__names__any_case_aliases_widths(void **state)
{
	struct listfmt f;
	struct error e;
	char buf[256];

	(void)state;
	assert_int_equal(listfmt_parse("id,name,state,time,reason", &f, &e), 0);
	assert_string_equal(headers_of(&f, buf, sizeof(buf)),
	    "JOBID NAME STATE TIME REASON");
	/* squeue -O's names, any case, commas or spaces, widths. */
	assert_int_equal(listfmt_parse("JobID:.12, Partition UserName "
				       "StateCompact,timeused:8,ReasonList",
			     &f, &e),
	    0);
	assert_string_equal(headers_of(&f, buf, sizeof(buf)),
	    "JOBID RUNTIME TENANT ST TIME NODE(REASON)");
	assert_true(f.right[0]);
	assert_int_equal(f.widths[0], 12);
	assert_false(f.right[4]);
	assert_int_equal(f.widths[4], 8);
	assert_int_equal(listfmt_parse("attempts,verdict,exit_code,signal,"
				       "cpu_seconds,wall_seconds,max_rss,"
				       "labels",
			     &f, &e),
	    0);
	assert_string_equal(headers_of(&f, buf, sizeof(buf)),
	    "ATTEMPTS VERDICT EXIT_CODE SIGNAL CPU_SECONDS WALL_SECONDS "
	    "MAX_RSS LABELS");
}

static void
listfmt_parse__bad__refused_with_reason(void **state)
{
	static const struct {
		const char *spec;
		const char *why;
	} cases[] = {
		{ "", "no column" },
		{ " , ,", "no column" },
		{ "%i|%j", "only white space" },
		{ "%i,%j", "only white space" },
		{ "id %j", "only white space" },
		{ "%", "middle of a % column" },
		{ "%.10", "middle of a % column" },
		{ "%q", "unknown field '%q'" },
		{ "%%", "unknown field '%%'" },
		{ "%201i", "at most 200" },
		{ "%99999999999999999999i", "at most 200" },
		{ "id,nope", "unknown field 'nope'" },
		{ "id,na\x01me", "unknown field 'na?me'" },
		{ "id:", "wants a width" },
		{ "id:x", "wants a width" },
		{ "id:10x", "wants a width" },
		{ "id:.", "wants a width" },
		{ "%i %i %i %i %i %i %i %i %i %i %i %i %i %i %i %i %i",
		    "more than 16" },
	};
	struct listfmt f, before;
	struct error e;
	char big[LISTFMT_SPEC_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&f, 0x5a, sizeof(f));
		before = f;
		error_init(&e);
		assert_int_equal(listfmt_parse(cases[i].spec, &f, &e), -1);
		assert_int_equal(e.code, ERR_INVALID);
		if (strstr(e.msg, cases[i].why) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", cases[i].spec, e.msg,
			    cases[i].why);
		/* Nothing is written on failure. */
		assert_memory_equal(&f, &before, sizeof(f));
	}
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '%';
	big[1] = 'i';
	assert_int_equal(listfmt_parse(big, &f, &e), -1);
	assert_non_null(strstr(e.msg, "at most"));
}

/* ---- listfmt_cell ---- */

static void
listfmt_cell__each_field__from_the_job_object(void **state)
{
	static const struct {
		enum listfmt_field field;
		const char *want;
	} cases[] = {
		{ LISTFMT_ID, "7" },
		{ LISTFMT_NAME, "train-1" },
		{ LISTFMT_TENANT, "alpha" },
		{ LISTFMT_RUNTIME, "python3" },
		{ LISTFMT_ST, "R" },
		{ LISTFMT_STATE, "RUNNING" },
		{ LISTFMT_TIME, "1:05" },
		{ LISTFMT_WHERE, "node2" },
		{ LISTFMT_NODE, "node2" },
		{ LISTFMT_REASON, "running on node2" },
		{ LISTFMT_SUBMITTED, "2024-01-01T00:00:00.000Z" },
		{ LISTFMT_STARTED, "2024-01-01T00:00:01.000Z" },
		{ LISTFMT_FINISHED, "" },
		{ LISTFMT_TIME_LIMIT, "1:30" },
		{ LISTFMT_MEMORY, "256M" },
		{ LISTFMT_LABELS, "gpu,big" },
		{ LISTFMT_ATTEMPTS, "2" },
		{ LISTFMT_VERDICT, "" },
		{ LISTFMT_EXIT_CODE, "" },
		{ LISTFMT_SIGNAL, "" },
		{ LISTFMT_CPU_SECONDS, "" },
		{ LISTFMT_WALL_SECONDS, "" },
		{ LISTFMT_MAX_RSS, "" },
	};
	char buf[LISTFMT_CELL_MAX];
	json_t *j;
	size_t i;

	(void)state;
	/* Its second attempt started at 00:01:00; its first at 00:00:01. */
	j = job_json("{\"id\":\"7\",\"name\":\"train-1\",\"state\":"
		     "\"RUNNING\",\"tenant\":\"alpha\",\"runtime\":\"python3\","
		     "\"node\":\"node2\",\"reason\":\"running on node2\","
		     "\"attempts\":2,"
		     "\"submitted_at\":\"2024-01-01T00:00:00.000Z\","
		     "\"started_at\":\"2024-01-01T00:00:01.000Z\","
		     "\"attempt_started_at\":\"2024-01-01T00:01:00.000Z\","
		     "\"finished_at\":null,\"exit_code\":null,\"signal\":null,"
		     "\"cpu_seconds\":null,\"wall_seconds\":null,"
		     "\"memory_peak_bytes\":null,\"verdict\":null,"
		     "\"limits\":{\"wall_seconds\":90,"
		     "\"memory_bytes\":268435456},"
		     "\"labels\":[\"gpu\",\"big\"]}");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		listfmt_cell(cases[i].field, j, 1704067200 + 125, buf,
		    sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("field %d: '%s', not '%s'",
			    (int)cases[i].field, buf, cases[i].want);
	}
	json_decref(j);
}

static void
listfmt_cell__ended_job__numbers_and_sizes(void **state)
{
	char buf[64];
	json_t *j;

	(void)state;
	j = job_json("{\"id\":\"8\",\"name\":null,\"state\":\"FAILED\","
		     "\"verdict\":\"exited\",\"exit_code\":3,\"signal\":null,"
		     "\"cpu_seconds\":0.0126,\"wall_seconds\":2,"
		     "\"memory_peak_bytes\":9437184,\"node\":\"node1\","
		     "\"started_at\":\"2024-01-01T00:00:00Z\","
		     "\"finished_at\":\"2024-01-01T01:00:00Z\","
		     "\"limits\":{},\"labels\":[]}");
	listfmt_cell(LISTFMT_NAME, j, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	listfmt_cell(LISTFMT_EXIT_CODE, j, 0, buf, sizeof(buf));
	assert_string_equal(buf, "3");
	listfmt_cell(LISTFMT_SIGNAL, j, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	listfmt_cell(LISTFMT_CPU_SECONDS, j, 0, buf, sizeof(buf));
	assert_string_equal(buf, "0.013");
	listfmt_cell(LISTFMT_WALL_SECONDS, j, 0, buf, sizeof(buf));
	assert_string_equal(buf, "2");
	listfmt_cell(LISTFMT_MAX_RSS, j, 0, buf, sizeof(buf));
	assert_string_equal(buf, "9M");
	listfmt_cell(LISTFMT_VERDICT, j, 0, buf, sizeof(buf));
	assert_string_equal(buf, "exited");
	/* An old dispatcher's job: TIME from started_at, to its end. */
	listfmt_cell(LISTFMT_TIME, j, 2e9, buf, sizeof(buf));
	assert_string_equal(buf, "1:00:00");
	listfmt_cell(LISTFMT_TIME_LIMIT, j, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	listfmt_cell(LISTFMT_LABELS, j, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* A small buffer is cut, and terminated. */
	listfmt_cell(LISTFMT_VERDICT, j, 0, buf, 4);
	assert_string_equal(buf, "exi");
	json_decref(j);
}

static void
fmt_job_elapsed__pending_after_requeue__zero(void **state)
{
	char buf[64];
	json_t *j;

	(void)state;
	/* Requeued: started_at stays the first start, the attempt's is
	   null again, and squeue shows 0:00 for PD. */
	j = job_json("{\"state\":\"PENDING\","
		     "\"started_at\":\"2024-01-01T00:00:00Z\","
		     "\"attempt_started_at\":null,\"finished_at\":null}");
	assert_true(fmt_job_elapsed(j, 1704067200 + 600) == 0);
	listfmt_cell(LISTFMT_TIME, j, 1704067200 + 600, buf, sizeof(buf));
	assert_string_equal(buf, "0:00");
	json_decref(j);
	/* Even if a PENDING job carried a start (a dispatcher that kept
	   one), it shows 0:00. */
	j = job_json("{\"state\":\"PENDING\","
		     "\"attempt_started_at\":\"2024-01-01T00:00:00Z\"}");
	assert_true(fmt_job_elapsed(j, 1704067200 + 600) == 0);
	json_decref(j);
	/* Running again: from the current attempt's start. */
	j = job_json("{\"state\":\"RUNNING\","
		     "\"started_at\":\"2024-01-01T00:00:00Z\","
		     "\"attempt_started_at\":\"2024-01-01T00:09:00Z\","
		     "\"finished_at\":null}");
	assert_true(fmt_job_elapsed(j, 1704067200 + 600) == 60);
	json_decref(j);
}

/* ---- fmt_when_parse ---- */

static void
fmt_when_parse__forms__seconds(void **state)
{
	/* 2024-03-10T12:00:00Z, a Sunday. */
	const double now = 1710072000;
	double t;
	char buf[64];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(fmt_when_parse("2024-03-10T11:00:00Z", now, &t), 0);
	assert_true(t == now - 3600);
	assert_int_equal(fmt_when_parse("2024-03-10T13:00:00+02:00", now, &t),
	    0);
	assert_true(t == now - 3600);
	assert_int_equal(fmt_when_parse("2024-03-10", now, &t), 0);
	assert_true(t == now - 12 * 3600);
	assert_int_equal(fmt_when_parse("2024-03-10T11:30", now, &t), 0);
	assert_true(t == now - 1800);
	assert_int_equal(fmt_when_parse("2024-03-10t11:30:15", now, &t), 0);
	assert_true(t == now - 1785);
	assert_int_equal(fmt_when_parse("now", now, &t), 0);
	assert_true(t == now);
	assert_int_equal(fmt_when_parse("now-90", now, &t), 0);
	assert_true(t == now - 90);
	assert_int_equal(fmt_when_parse("now-2h", now, &t), 0);
	assert_true(t == now - 7200);
	assert_int_equal(fmt_when_parse("NOW-1days", now, &t), 0);
	assert_true(t == now - 86400);
	assert_int_equal(fmt_when_parse("now+1w", now, &t), 0);
	assert_true(t == now + 604800);
	assert_int_equal(fmt_when_parse("now-1.5minutes", now, &t), 0);
	assert_true(t == now - 90);
	assert_int_equal(fmt_when_parse("today", now, &t), 0);
	assert_true(t == now - 12 * 3600);
	assert_int_equal(fmt_when_parse("yesterday", now, &t), 0);
	assert_true(t == now - 36 * 3600);
	/* Local time is local: an hour east of UTC. */
	setenv("TZ", "CET-1", 1);
	tzset();
	assert_int_equal(fmt_when_parse("2024-03-10T13:00", now, &t), 0);
	assert_true(t == now);
	setenv("TZ", "UTC", 1);
	tzset();
	fmt_time_utc(now + 0.25, buf, sizeof(buf));
	assert_string_equal(buf, "2024-03-10T12:00:00.250Z");
}

static void
fmt_when_parse__bad__refused(void **state)
{
	static const char *const bad[] = { "", "2024", "2024-13-01",
		"2024-02-30", "2024-03-10T25:00", "2024-03-10T12:00:00.5",
		"2024-03-10 12:00", "10/03/2024", "now-", "now-h", "now-1y",
		"now--1", "now-1e3", "now-0x10", "now-inf", "now-nan",
		"now-99999999999999", "tomorrowish", "now - 1h" };
	double t = 42;
	size_t i;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fmt_when_parse(bad[i], 1710072000, &t) != -1)
			fail_msg("'%s' was taken", bad[i]);
		assert_true(t == 42);
	}
}

/* ---- jobsel ---- */

static void
jobsel__options__query(void **state)
{
	struct jobsel s;
	struct error e;
	char q[1024];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	jobsel_init(&s);
	assert_true(jobsel_empty(&s));
	assert_int_equal(jobsel_query(&s, q, sizeof(q)), 0);
	assert_string_equal(q, "");
	assert_int_equal(jobsel_states(&s, "R,pd", &e), 0);
	assert_int_equal(jobsel_states(&s, "completing", &e), 0);
	assert_int_equal(jobsel_ids(&s, "3,4", &e), 0);
	assert_int_equal(jobsel_ids(&s, "10", &e), 0);
	assert_int_equal(jobsel_names(&s, "train,eval.2", &e), 0);
	assert_int_equal(jobsel_label(&s, "gpu", &e), 0);
	assert_int_equal(jobsel_tenant(&s, "alpha", &e), 0);
	assert_int_equal(jobsel_when(&s, true, "2024-03-10", 0, &e), 0);
	assert_int_equal(jobsel_when(&s, false, "2024-03-11T06:00Z", 0, &e),
	    -1);
	assert_int_equal(jobsel_when(&s, false, "2024-03-11T06:00:00Z", 0, &e),
	    0);
	assert_int_equal(jobsel_check(&s, &e), 0);
	assert_false(jobsel_empty(&s));
	assert_int_equal(jobsel_query(&s, q, sizeof(q)), 0);
	assert_string_equal(q,
	    "state=PENDING,RUNNING,COMPLETING&id=3,4,10&name=train,eval.2&"
	    "label=gpu&tenant=alpha&since=2024-03-10T00:00:00.000Z&"
	    "until=2024-03-11T06:00:00.000Z");
	/* A buffer too small is said, not cut. */
	assert_int_equal(jobsel_query(&s, q, 40), -1);
	/* "all" is no filter. */
	jobsel_release(&s);
	assert_int_equal(jobsel_states(&s, "all", &e), 0);
	assert_true(jobsel_empty(&s));
	assert_int_equal(jobsel_query(&s, q, sizeof(q)), 0);
	assert_string_equal(q, "");
	jobsel_release(&s);
}

static void
jobsel__bad_values__usage_errors(void **state)
{
	struct jobsel s;
	struct error e;
	char many[JOBSEL_VALUES_MAX * 4 + 8];
	size_t i, n = 0;

	(void)state;
	jobsel_init(&s);
	assert_int_equal(jobsel_states(&s, "DONE", &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	assert_non_null(strstr(e.msg, "'DONE' is not a job state"));
	assert_int_equal(jobsel_states(&s, "R,", &e), -1);
	assert_int_equal(jobsel_states(&s, ",R", &e), -1);
	assert_int_equal(jobsel_states(&s, "", &e), -1);
	assert_int_equal(jobsel_ids(&s, "3,x", &e), -1);
	assert_int_equal(jobsel_ids(&s, "0", &e), -1);
	assert_int_equal(jobsel_ids(&s, "-1", &e), -1);
	assert_int_equal(jobsel_ids(&s, "1234567890123456789", &e), -1);
	assert_int_equal(jobsel_ids(&s, "3,,4", &e), -1);
	assert_int_equal(jobsel_names(&s, "a b", &e), -1);
	assert_int_equal(jobsel_names(&s, "..", &e), -1);
	assert_int_equal(jobsel_names(&s, "a&state=RUNNING", &e), -1);
	assert_int_equal(jobsel_names(&s, "x%2Cy", &e), -1);
	memset(many, 'n', 65);
	many[65] = '\0';
	assert_int_equal(jobsel_names(&s, many, &e), -1);
	assert_int_equal(jobsel_label(&s, "gpu,big", &e), -1);
	assert_int_equal(jobsel_label(&s, "gpu", &e), 0);
	assert_int_equal(jobsel_label(&s, "big", &e), -1);
	assert_non_null(strstr(e.msg, "one --label"));
	assert_int_equal(jobsel_tenant(&s, "a/b", &e), -1);
	assert_int_equal(jobsel_when(&s, true, "soon", 0, &e), -1);
	assert_int_equal(jobsel_when(&s, true, "1969-12-31", 0, &e), -1);
	assert_int_equal(jobsel_when(&s, true, "now", 2000, &e), 0);
	assert_int_equal(jobsel_when(&s, false, "now", 1000, &e), 0);
	assert_int_equal(jobsel_check(&s, &e), -1);
	assert_non_null(strstr(e.msg, "not before --until"));
	/* Nothing was added by the values refused. */
	assert_int_equal(s.nids, 0);
	assert_int_equal(s.nnames, 0);
	jobsel_release(&s);
	/* At most JOBSEL_VALUES_MAX ids. */
	for (i = 0; i < JOBSEL_VALUES_MAX; i++)
		n += (size_t)sprintf(many + n, "%s%zu", i > 0 ? "," : "",
		    i % 9 + 1);
	assert_int_equal(jobsel_ids(&s, many, &e), 0);
	assert_int_equal(jobsel_ids(&s, "1", &e), -1);
	assert_non_null(strstr(e.msg, "more than"));
	jobsel_release(&s);
}

static void
jobsel_match__every_part__must_hold(void **state)
{
	struct jobsel s;
	struct error e;
	json_t *j;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	j = job_json("{\"id\":\"12\",\"name\":\"train\",\"state\":\"RUNNING\","
		     "\"tenant\":\"alpha\",\"labels\":[\"n1\",\"gpu\"],"
		     "\"submitted_at\":\"2024-03-10T12:00:00.000Z\"}");
	jobsel_init(&s);
	assert_true(jobsel_match(&s, j));
	assert_int_equal(jobsel_states(&s, "R", &e), 0);
	assert_true(jobsel_match(&s, j));
	assert_int_equal(jobsel_ids(&s, "11,12", &e), 0);
	assert_int_equal(jobsel_names(&s, "eval,train", &e), 0);
	assert_int_equal(jobsel_label(&s, "gpu", &e), 0);
	assert_int_equal(jobsel_tenant(&s, "alpha", &e), 0);
	assert_int_equal(jobsel_when(&s, true, "2024-03-10T12:00:00Z", 0, &e),
	    0);
	assert_int_equal(jobsel_when(&s, false, "2024-03-10T12:00:00.001Z", 0,
			     &e),
	    0);
	assert_true(jobsel_match(&s, j));
	jobsel_release(&s);

	/* Each part alone rules the job out. */
	assert_int_equal(jobsel_states(&s, "PD,CG", &e), 0);
	assert_false(jobsel_match(&s, j));
	jobsel_release(&s);
	assert_int_equal(jobsel_ids(&s, "1,120", &e), 0);
	assert_false(jobsel_match(&s, j));
	jobsel_release(&s);
	assert_int_equal(jobsel_names(&s, "trai", &e), 0);
	assert_false(jobsel_match(&s, j));
	jobsel_release(&s);
	assert_int_equal(jobsel_label(&s, "n", &e), 0);
	assert_false(jobsel_match(&s, j));
	jobsel_release(&s);
	assert_int_equal(jobsel_tenant(&s, "beta", &e), 0);
	assert_false(jobsel_match(&s, j));
	jobsel_release(&s);
	/* until excludes its own instant; since includes it. */
	assert_int_equal(jobsel_when(&s, false, "2024-03-10T12:00:00Z", 0, &e),
	    0);
	assert_false(jobsel_match(&s, j));
	jobsel_release(&s);
	assert_int_equal(jobsel_when(&s, true, "2024-03-10T12:00:00.001Z", 0,
			     &e),
	    0);
	assert_false(jobsel_match(&s, j));
	jobsel_release(&s);
	json_decref(j);
	/* A job without a name, labels or time matches no such filter. */
	j = job_json("{\"id\":\"13\",\"state\":\"PENDING\"}");
	assert_int_equal(jobsel_names(&s, "train", &e), 0);
	assert_false(jobsel_match(&s, j));
	jobsel_release(&s);
	assert_int_equal(jobsel_label(&s, "gpu", &e), 0);
	assert_false(jobsel_match(&s, j));
	jobsel_release(&s);
	assert_int_equal(jobsel_when(&s, true, "2024-03-10", 0, &e), 0);
	assert_false(jobsel_match(&s, j));
	jobsel_release(&s);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    listfmt_parse__default__squeue_columns_with_name),
		cmocka_unit_test(
		    listfmt_parse__letters__columns_widths_justification),
		cmocka_unit_test(listfmt_parse__names__any_case_aliases_widths),
		cmocka_unit_test(listfmt_parse__bad__refused_with_reason),
		cmocka_unit_test(listfmt_cell__each_field__from_the_job_object),
		cmocka_unit_test(listfmt_cell__ended_job__numbers_and_sizes),
		cmocka_unit_test(fmt_job_elapsed__pending_after_requeue__zero),
		cmocka_unit_test(fmt_when_parse__forms__seconds),
		cmocka_unit_test(fmt_when_parse__bad__refused),
		cmocka_unit_test(jobsel__options__query),
		cmocka_unit_test(jobsel__bad_values__usage_errors),
		cmocka_unit_test(jobsel_match__every_part__must_hold),
	};

	return cmocka_run_group_tests_name("listfmt", tests, NULL, NULL);
}
