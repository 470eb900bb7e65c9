/*
 * Unit tests for dispatcher/metrics.c and the path rules of access.c:
 * label values escaped as the Prometheus text format wants, counter
 * families that only grow and stay bounded, histograms that are
 * cumulative up to +Inf, and paths logged without tokens or odd bytes.
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
#include <event2/buffer.h>

#include "access.h"
#include "metrics.h"

/* The buffer's text as a new C string; the buffer is freed. */
static char *
text_of(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	assert_non_null(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

/* A label value as the text format writes it. */
static char *
label_of(const char *v)
{
	struct evbuffer *b = evbuffer_new();

	assert_non_null(b);
	metrics_label_value(b, v);
	return text_of(b);
}

static void
metrics_label_value__specials__escaped(void **state)
{
	char *s;

	(void)state;
	s = label_of("a\"b\\c\nd");
	assert_string_equal(s, "a\\\"b\\\\c\\nd");
	free(s);
	s = label_of("plain-name_1.2+x");
	assert_string_equal(s, "plain-name_1.2+x");
	free(s);
	s = label_of("");
	assert_string_equal(s, "");
	free(s);
	/* UTF-8 and a tab pass as they are: the format allows them. */
	s = label_of("\xc3\xa9\t");
	assert_string_equal(s, "\xc3\xa9\t");
	free(s);
	s = label_of("\\\\\"\"\n\n");
	assert_string_equal(s, "\\\\\\\\\\\"\\\"\\n\\n");
	free(s);
}

static void
metrics_text_family__hostile_values__one_line_each(void **state)
{
	static const char *const labels[] = { "tenant", "runtime" };
	const char *v1[] = { "a\"}\nfake_total 99\n#", "py" };
	const char *v2[] = { "b", NULL };
	struct metrics m;
	struct evbuffer *b = evbuffer_new();
	char *s;

	(void)state;
	memset(&m, 0, sizeof(m));
	metrics_family_add(&m.submitted, v1, 2);
	metrics_family_add(&m.submitted, v1, 2);
	metrics_family_add(&m.submitted, v2, 2);
	metrics_text_family(b, "x_total", "Help.", labels, 2, &m.submitted,
	    NULL);
	s = text_of(b);
	assert_string_equal(s,
	    "# HELP x_total Help.\n# TYPE x_total counter\n"
	    "x_total{tenant=\"a\\\"}\\nfake_total 99\\n#\",runtime=\"py\"} 2\n"
	    "x_total{tenant=\"b\",runtime=\"\"} 1\n");
	free(s);
	metrics_release(&m);
}

static void
metrics_text_family__one_tenant__only_its_rows(void **state)
{
	static const char *const tr[] = { "tenant", "runtime" };
	static const char *const cause[] = { "cause" };
	const char *a[] = { "alpha", "py" }, *b[] = { "beta", "py" };
	const char *c[] = { "node_lost" };
	struct metrics m;
	struct evbuffer *buf = evbuffer_new();
	char *s;

	(void)state;
	memset(&m, 0, sizeof(m));
	metrics_family_add(&m.submitted, a, 2);
	metrics_family_add(&m.submitted, b, 2);
	metrics_family_add(&m.requeues, c, 1);
	metrics_text_family(buf, "x_total", "X.", tr, 2, &m.submitted, "beta");
	/* A family without a tenant label is not filtered. */
	metrics_text_family(buf, "y_total", "Y.", cause, 1, &m.requeues,
	    "beta");
	s = text_of(buf);
	assert_null(strstr(s, "alpha"));
	assert_non_null(
	    strstr(s, "x_total{tenant=\"beta\",runtime=\"py\"} 1\n"));
	assert_non_null(strstr(s, "y_total{cause=\"node_lost\"} 1\n"));
	free(s);
	metrics_release(&m);
}

static void
metrics_family_add__rows__counted_apart(void **state)
{
	const char *a[] = { "alpha", "COMPLETED" };
	const char *b[] = { "alpha", "FAILED" };
	const char *c[] = { "alphaCOMPLETED", "" };
	struct metrics m;
	int i;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < 3; i++)
		metrics_family_add(&m.tenant_finished, a, 2);
	metrics_family_add(&m.tenant_finished, b, 2);
	metrics_family_add(&m.tenant_finished, c, 2);
	assert_int_equal(metrics_family_get(&m.tenant_finished, a, 2), 3);
	assert_int_equal(metrics_family_get(&m.tenant_finished, b, 2), 1);
	assert_int_equal(metrics_family_get(&m.tenant_finished, c, 2), 1);
	assert_int_equal(m.tenant_finished.n, 3);
	metrics_release(&m);
	assert_int_equal(m.tenant_finished.n, 0);
}

static void
metrics_family_add__past_the_cap__dropped_not_grown(void **state)
{
	struct metrics m;
	char name[32];
	const char *v[1] = { name };
	int i;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < METRICS_ROWS_MAX + 10; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		metrics_family_add(&m.requeues, v, 1);
	}
	assert_int_equal(m.requeues.n, METRICS_ROWS_MAX);
	assert_int_equal(m.requeues.dropped, 10);
	/* A row that exists still counts. */
	snprintf(name, sizeof(name), "t0");
	metrics_family_add(&m.requeues, v, 1);
	assert_int_equal(metrics_family_get(&m.requeues, v, 1), 2);
	metrics_release(&m);
}

/* The value of the sample line that starts with prefix, or -1. */
static double
sample(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

static void
metrics_text_jobs__hours__in_their_buckets(void **state)
{
	struct metrics m;
	struct evbuffer *b = evbuffer_new();
	char *s;

	(void)state;
	memset(&m, 0, sizeof(m));
	metrics_observe_wait(&m, 0.005);
	metrics_observe_wait(&m, 90);
	metrics_observe_wait(&m, 5000); /* an hour and a half */
	metrics_observe_wait(&m, 2 * 86400); /* past the last bound */
	metrics_observe_wait(&m, -1); /* a clock that went back: 0 */
	metrics_text_jobs(&m, b);
	s = text_of(b);
	assert_true(
	    sample(s, "sluice_job_wait_seconds_bucket{le=\"0.01\"}") == 2);
	assert_true(
	    sample(s, "sluice_job_wait_seconds_bucket{le=\"60\"}") == 2);
	assert_true(
	    sample(s, "sluice_job_wait_seconds_bucket{le=\"120\"}") == 3);
	assert_true(
	    sample(s, "sluice_job_wait_seconds_bucket{le=\"3600\"}") == 3);
	assert_true(
	    sample(s, "sluice_job_wait_seconds_bucket{le=\"7200\"}") == 4);
	assert_true(
	    sample(s, "sluice_job_wait_seconds_bucket{le=\"86400\"}") == 4);
	assert_true(
	    sample(s, "sluice_job_wait_seconds_bucket{le=\"+Inf\"}") == 5);
	assert_true(sample(s, "sluice_job_wait_seconds_count") == 5);
	assert_true(sample(s, "sluice_job_run_seconds_count") == 0);
	free(s);
	metrics_release(&m);
}

static void
metrics_text_responses__latency__by_route(void **state)
{
	struct metrics m;
	struct evbuffer *b = evbuffer_new();
	char *s;

	(void)state;
	memset(&m, 0, sizeof(m));
	metrics_observe_http(&m, ACCESS_ROUTE_WAIT, 12);
	metrics_observe_http(&m, ACCESS_ROUTE_SUBMIT, 0.002);
	metrics_observe_http(&m, 99, 0.002); /* not a route: other */
	metrics_text_responses(&m, b);
	s = text_of(b);
	assert_true(sample(s,
			"sluice_http_request_duration_seconds_bucket{route="
			"\"wait\",le=\"10\"}") == 0);
	assert_true(sample(s,
			"sluice_http_request_duration_seconds_bucket{route="
			"\"wait\",le=\"30\"}") == 1);
	assert_true(sample(s,
			"sluice_http_request_duration_seconds_count{route="
			"\"submit\"}") == 1);
	assert_true(sample(s,
			"sluice_http_request_duration_seconds_count{route="
			"\"other\"}") == 1);
	assert_true(sample(s,
			"sluice_http_request_duration_seconds_sum{route="
			"\"health\"}") == 0);
	free(s);
	metrics_release(&m);
}

/* access_classify() into a buffer of len; returns the route. */
static enum access_route
classify(const char *method, const char *raw, char *out, size_t len)
{
	return access_classify(method, raw, out, len);
}

static void
access_classify__routes(void **state)
{
	char p[ACCESS_PATH_MAX];

	(void)state;
	assert_int_equal(classify("POST", "/v1/jobs", p, sizeof(p)),
	    ACCESS_ROUTE_SUBMIT);
	assert_int_equal(classify("GET", "/v1/jobs", p, sizeof(p)),
	    ACCESS_ROUTE_LIST);
	assert_int_equal(classify("GET", "/v1/jobs/12", p, sizeof(p)),
	    ACCESS_ROUTE_JOB);
	assert_int_equal(classify("GET", "/v1/jobs/12/wait", p, sizeof(p)),
	    ACCESS_ROUTE_WAIT);
	assert_int_equal(classify("GET", "/v1/jobs/12/files/a.txt", p,
			     sizeof(p)),
	    ACCESS_ROUTE_OUTPUT);
	assert_int_equal(classify("GET", "/v1/jobs/x1/wait", p, sizeof(p)),
	    ACCESS_ROUTE_OTHER);
	assert_int_equal(classify("GET", "/v1/nodes/node1", p, sizeof(p)),
	    ACCESS_ROUTE_NODES);
	assert_int_equal(classify("GET", "/metrics", p, sizeof(p)),
	    ACCESS_ROUTE_METRICS);
	assert_int_equal(classify("GET", "/v1/health", p, sizeof(p)),
	    ACCESS_ROUTE_HEALTH);
	assert_int_equal(classify("POST", "/t/TOKEN/api/v2/execute", p,
			     sizeof(p)),
	    ACCESS_ROUTE_PISTON);
	assert_string_equal(p, "/t/-/api/v2/execute");
	assert_int_equal(classify("POST", "/submissions", p, sizeof(p)),
	    ACCESS_ROUTE_JUDGE0);
}

static void
access_classify__tokens__hidden(void **state)
{
	char p[ACCESS_PATH_MAX];

	(void)state;
	classify("GET", "/t/s3cret%2Fx/submissions/abc", p, sizeof(p));
	assert_string_equal(p, "/t/-/submissions/abc");
	classify("GET", "/t/s3cret", p, sizeof(p));
	assert_string_equal(p, "/t/-");
	/* Encoded so as to slip past a check of the raw path. */
	classify("GET", "/%74/s3cret/api/v2/runtimes", p, sizeof(p));
	assert_null(strstr(p, "s3cret"));
	assert_string_equal(p, "/t/-");
	classify("GET", "%2Ft%2Fs3cret%2Fapi", p, sizeof(p));
	assert_null(strstr(p, "s3cret"));
}

static void
access_classify__odd_bytes__escaped(void **state)
{
	char p[ACCESS_PATH_MAX];

	(void)state;
	classify("GET", "/v1/jobs/\n\"\\ \x01\x7f\xc3\xa9", p, sizeof(p));
	assert_string_equal(p, "/v1/jobs/%0A%22%5C%20%01%7F%C3%A9");
	/* A client's own escapes stay as they were; a lone % is escaped. */
	classify("GET", "/a%20b%zz%", p, sizeof(p));
	assert_string_equal(p, "/a%20b%25zz%25");
	classify("GET", "", p, sizeof(p));
	assert_string_equal(p, "-");
}

static void
access_classify__long__cut_with_dots(void **state)
{
	char raw[1000], p[32];
	size_t n;

	(void)state;
	memset(raw, 'a', sizeof(raw) - 1);
	raw[0] = '/';
	raw[sizeof(raw) - 1] = '\0';
	classify("GET", raw, p, sizeof(p));
	n = strlen(p);
	assert_true(n < sizeof(p));
	assert_string_equal(p + n - 3, "...");
	memset(raw, '\n', sizeof(raw) - 1);
	classify("GET", raw, p, sizeof(p));
	n = strlen(p);
	assert_true(n < sizeof(p));
	assert_string_equal(p + n - 3, "...");
	assert_null(strchr(p, '\n'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metrics_label_value__specials__escaped),
		cmocka_unit_test(
		    metrics_text_family__hostile_values__one_line_each),
		cmocka_unit_test(
		    metrics_text_family__one_tenant__only_its_rows),
		cmocka_unit_test(metrics_family_add__rows__counted_apart),
		cmocka_unit_test(
		    metrics_family_add__past_the_cap__dropped_not_grown),
		cmocka_unit_test(metrics_text_jobs__hours__in_their_buckets),
		cmocka_unit_test(metrics_text_responses__latency__by_route),
		cmocka_unit_test(access_classify__routes),
		cmocka_unit_test(access_classify__tokens__hidden),
		cmocka_unit_test(access_classify__odd_bytes__escaped),
		cmocka_unit_test(access_classify__long__cut_with_dots),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
