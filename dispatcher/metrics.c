/* The dispatcher's own counters: see metrics.h. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

/* Seconds-valued bucket bounds, Prometheus style (cumulative): the jobs'
   run from a hundredth of a second to a day (the first twelve are those
   of earlier releases, so that old dashboards keep their bounds). */
static const double metrics_job_buckets[METRICS_JOB_BUCKETS] = { 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
	7200, 14400, 28800, 86400 };
/* The API's answers: a millisecond to five minutes (a long poll's most). */
static const double metrics_http_buckets[METRICS_HTTP_BUCKETS] = { 0.001,
	0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
	120, 300 };

/* Note the daemon's start. */
void
metrics_start(struct metrics *m)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	m->start_seconds = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Free a family's rows. */
static void
metrics_family_release(struct metrics_family *f)
{
	size_t i, k;

	for (i = 0; i < f->n; i++)
		for (k = 0; k < METRICS_LABELS_MAX; k++)
			free(f->rows[i].values[k]);
	free(f->rows);
	memset(f, 0, sizeof(*f));
}

/* Free what m holds. */
void
metrics_release(struct metrics *m)
{
	metrics_family_release(&m->submitted);
	metrics_family_release(&m->tenant_finished);
	metrics_family_release(&m->runtime_finished);
	metrics_family_release(&m->verdicts);
	metrics_family_release(&m->requeues);
	metrics_family_release(&m->drains);
	access_release(&m->access);
	memset(m, 0, sizeof(*m));
}

/* Record one observation in a histogram with these bounds. */
static void
metrics_observe(struct metrics_histogram *h, const double *le, int nle,
    double v)
{
	int i;

	if (!(v >= 0)) /* NaN, or a clock that went back */
		v = 0;
	for (i = 0; i < nle && v > le[i]; i++)
		;
	h->counts[i]++;
	h->sum += v;
	h->n++;
}

/* Record the wall time of a finished job. */
void
metrics_observe_run(struct metrics *m, double seconds)
{
	metrics_observe(&m->run, metrics_job_buckets, METRICS_JOB_BUCKETS,
	    seconds);
}

/* Record the time a job waited to start. */
void
metrics_observe_wait(struct metrics *m, double seconds)
{
	metrics_observe(&m->wait, metrics_job_buckets, METRICS_JOB_BUCKETS,
	    seconds);
}

/* Record the time an answer took. */
void
metrics_observe_http(struct metrics *m, int route, double seconds)
{
	if (route < 0 || route >= ACCESS_ROUTES)
		route = ACCESS_ROUTE_OTHER;
	metrics_observe(&m->http[route], metrics_http_buckets,
	    METRICS_HTTP_BUCKETS, seconds);
}

/* Count an API response. */
void
metrics_count_response(struct metrics *m, int status)
{
	size_t i;

	for (i = 0; i < m->nhttp; i++)
		if (m->http_codes[i].code == status) {
			m->http_codes[i].n++;
			return;
		}
	if (m->nhttp < METRICS_CODES_MAX) {
		m->http_codes[m->nhttp].code = status;
		m->http_codes[m->nhttp].n = 1;
		m->nhttp++;
	}
}

/* The row of f with these values, or NULL. */
static struct metrics_row *
metrics_family_find(const struct metrics_family *f, const char *const *values,
    size_t nvalues)
{
	size_t i, k;

	for (i = 0; i < f->n; i++) {
		for (k = 0; k < nvalues; k++)
			if (strcmp(f->rows[i].values[k],
				values[k] != NULL ? values[k] : "") != 0)
				break;
		if (k == nvalues)
			return &f->rows[i];
	}
	return NULL;
}

/* Add one to a row of a family; see metrics.h. */
void
metrics_family_add(struct metrics_family *f, const char *const *values,
    size_t nvalues)
{
	struct metrics_row *r;
	size_t k;

	if (nvalues > METRICS_LABELS_MAX)
		nvalues = METRICS_LABELS_MAX;
	if ((r = metrics_family_find(f, values, nvalues)) != NULL) {
		r->n++;
		return;
	}
	if (f->n >= METRICS_ROWS_MAX)
		goto drop;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;

		if ((r = realloc(f->rows, cap * sizeof(*r))) == NULL)
			goto drop;
		f->rows = r;
		f->cap = cap;
	}
	r = &f->rows[f->n];
	memset(r, 0, sizeof(*r));
	for (k = 0; k < nvalues; k++)
		if ((r->values[k] = strdup(
			 values[k] != NULL ? values[k] : "")) == NULL) {
			while (k-- > 0)
				free(r->values[k]);
			goto drop;
		}
	r->n = 1;
	f->n++;
	return;
drop:
	f->dropped++;
}

/* The count of one row. */
uint64_t
metrics_family_get(const struct metrics_family *f, const char *const *values,
    size_t nvalues)
{
	const struct metrics_row *r;

	if (nvalues > METRICS_LABELS_MAX)
		nvalues = METRICS_LABELS_MAX;
	r = metrics_family_find(f, values, nvalues);
	return r != NULL ? r->n : 0;
}

/* Append a label value, escaped as the text format wants. */
void
metrics_label_value(struct evbuffer *b, const char *s)
{
	size_t run;

	while (*s != '\0') {
		run = strcspn(s, "\\\"\n");
		evbuffer_add(b, s, run);
		s += run;
		if (*s == '\0')
			break;
		evbuffer_add(b,
		    *s == '\\'      ? "\\\\"
			: *s == '"' ? "\\\""
				    : "\\n",
		    2);
		s++;
	}
}

/* Append a family of counters. */
void
metrics_text_family(struct evbuffer *b, const char *name, const char *help,
    const char *const *labels, size_t nlabels, const struct metrics_family *f,
    const char *tenant)
{
	size_t i, k, t = METRICS_LABELS_MAX;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help,
	    name);
	for (k = 0; tenant != NULL && k < nlabels && k < METRICS_LABELS_MAX;
	     k++)
		if (strcmp(labels[k], "tenant") == 0)
			t = k;
	for (i = 0; i < f->n; i++) {
		if (t < METRICS_LABELS_MAX &&
		    strcmp(f->rows[i].values[t], tenant) != 0)
			continue;
		evbuffer_add_printf(b, "%s{", name);
		for (k = 0; k < nlabels && k < METRICS_LABELS_MAX; k++) {
			evbuffer_add_printf(b, "%s%s=\"", k > 0 ? "," : "",
			    labels[k]);
			metrics_label_value(b,
			    f->rows[i].values[k] != NULL ? f->rows[i].values[k]
							 : "");
			evbuffer_add(b, "\"", 1);
		}
		evbuffer_add_printf(b, "} %llu\n",
		    (unsigned long long)f->rows[i].n);
	}
}

/* Write one histogram's samples (labels: "" or `name="value",`). */
static void
metrics_histogram_samples(struct evbuffer *b, const char *name,
    const char *labels, const double *le, int nle,
    const struct metrics_histogram *h)
{
	uint64_t cum = 0;
	int i;

	for (i = 0; i < nle; i++) {
		cum += h->counts[i];
		evbuffer_add_printf(b, "%s_bucket{%sle=\"%g\"} %llu\n", name,
		    labels, le[i], (unsigned long long)cum);
	}
	cum += h->counts[nle];
	evbuffer_add_printf(b, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels,
	    (unsigned long long)cum);
	if (labels[0] == '\0')
		evbuffer_add_printf(b, "%s_sum %.6f\n%s_count %llu\n", name,
		    h->sum, name, (unsigned long long)h->n);
	else
		/* labels ends with a comma: without it, the braces. */
		evbuffer_add_printf(b,
		    "%s_sum{%.*s} %.6f\n%s_count{%.*s} %llu\n", name,
		    (int)strlen(labels) - 1, labels, h->sum, name,
		    (int)strlen(labels) - 1, labels, (unsigned long long)h->n);
}

/* Write one histogram in Prometheus text format. */
static void
metrics_histogram_text(struct evbuffer *b, const char *name, const char *help,
    const struct metrics_histogram *h)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name,
	    help, name);
	metrics_histogram_samples(b, name, "", metrics_job_buckets,
	    METRICS_JOB_BUCKETS, h);
}

/* The run and wait histograms. */
void
metrics_text_jobs(const struct metrics *m, struct evbuffer *b)
{
	metrics_histogram_text(b, "sluice_job_run_seconds",
	    "Wall time of finished jobs on their node.", &m->run);
	metrics_histogram_text(b, "sluice_job_wait_seconds",
	    "Time from submission to start.", &m->wait);
}

/* The API's responses by status, its connections and its latency. */
void
metrics_text_responses(const struct metrics *m, struct evbuffer *b)
{
	char labels[64];
	size_t i;

	evbuffer_add_printf(b,
	    "# HELP sluice_http_requests_total API responses by "
	    "status code.\n"
	    "# TYPE sluice_http_requests_total counter\n");
	for (i = 0; i < m->nhttp; i++)
		evbuffer_add_printf(b,
		    "sluice_http_requests_total{code=\"%d\"} %llu\n",
		    m->http_codes[i].code,
		    (unsigned long long)m->http_codes[i].n);
	evbuffer_add_printf(b,
	    "# HELP sluice_http_connections Client connections open.\n"
	    "# TYPE sluice_http_connections gauge\n"
	    "sluice_http_connections %llu\n"
	    "# HELP sluice_http_refused_total Connections answered 503 "
	    "on arrival, by cause.\n"
	    "# TYPE sluice_http_refused_total counter\n"
	    "sluice_http_refused_total{cause=\"max_connections\"} %llu\n"
	    "sluice_http_refused_total{cause=\"descriptors\"} %llu\n",
	    (unsigned long long)m->http_open,
	    (unsigned long long)m->http_refused_full,
	    (unsigned long long)m->http_refused_fds);
	evbuffer_add_printf(b,
	    "# HELP sluice_http_request_duration_seconds Time from a "
	    "request's arrival to its answer, by route.\n"
	    "# TYPE sluice_http_request_duration_seconds histogram\n");
	for (i = 0; i < ACCESS_ROUTES; i++) {
		snprintf(labels, sizeof(labels), "route=\"%s\",",
		    access_route_name((enum access_route)i));
		metrics_histogram_samples(b,
		    "sluice_http_request_duration_seconds", labels,
		    metrics_http_buckets, METRICS_HTTP_BUCKETS, &m->http[i]);
	}
}

/* The counters of jobs, requeues and drains. */
void
metrics_text_counters(const struct metrics *m, struct evbuffer *b,
    const char *tenant)
{
	static const char *const tenant_runtime[] = { "tenant", "runtime" };
	static const char *const tenant_state[] = { "tenant", "state" };
	static const char *const runtime_state[] = { "runtime", "state" };
	static const char *const runtime_verdict[] = { "runtime", "verdict" };
	static const char *const cause[] = { "cause" };
	static const char *const node_action[] = { "node", "action" };

	metrics_text_family(b, "sluice_jobs_submitted_total",
	    "Submissions accepted, by tenant and runtime.", tenant_runtime, 2,
	    &m->submitted, tenant);
	metrics_text_family(b, "sluice_tenant_jobs_finished_total",
	    "Jobs that ended, by tenant and final state.", tenant_state, 2,
	    &m->tenant_finished, tenant);
	metrics_text_family(b, "sluice_runtime_jobs_finished_total",
	    "Jobs that ended, by runtime and final state.", runtime_state, 2,
	    &m->runtime_finished, NULL);
	metrics_text_family(b, "sluice_verdicts_total",
	    "Results that came back from nodes, by runtime and verdict "
	    "(an attempt retried after a sandbox_error counts too).",
	    runtime_verdict, 2, &m->verdicts, NULL);
	metrics_text_family(b, "sluice_job_requeues_total",
	    "Jobs put back in the queue for another attempt, by cause.", cause,
	    1, &m->requeues, NULL);
	metrics_text_family(b, "sluice_node_drains_total",
	    "Drains and resumes of a node by an operator.", node_action, 2,
	    &m->drains, NULL);
}

/* Resident memory in bytes, from /proc (0 if unknown). */
static unsigned long long
metrics_rss_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "re");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return page > 0 ? resident * (unsigned long long)page : 0;
}

/* Descriptors open now, from /proc (0 if unknown). */
static unsigned long long
metrics_open_fds(void)
{
	unsigned long long n = 0;
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");

	if (dir == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	/* Less the one opendir() holds. */
	return n > 0 ? n - 1 : 0;
}

/* The build, and the process as the Prometheus clients describe it. */
void
metrics_text_process(const struct metrics *m, struct evbuffer *b)
{
	struct rusage ru;
	struct rlimit rl;
	double cpu = 0;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 0;
	evbuffer_add_printf(b,
	    "# HELP sluice_build_info The version of sluice serving.\n"
	    "# TYPE sluice_build_info gauge\n"
	    "sluice_build_info{version=\"");
	metrics_label_value(b, PACKAGE_VERSION);
	evbuffer_add_printf(b,
	    "\"} 1\n"
	    "# HELP process_start_time_seconds When the daemon started, "
	    "in seconds since the epoch (its counters started from zero "
	    "then).\n"
	    "# TYPE process_start_time_seconds gauge\n"
	    "process_start_time_seconds %.3f\n"
	    "# HELP process_cpu_seconds_total User and system CPU time "
	    "of the daemon.\n"
	    "# TYPE process_cpu_seconds_total counter\n"
	    "process_cpu_seconds_total %.3f\n"
	    "# HELP process_resident_memory_bytes Resident memory of the "
	    "daemon.\n"
	    "# TYPE process_resident_memory_bytes gauge\n"
	    "process_resident_memory_bytes %llu\n"
	    "# HELP process_open_fds Descriptors the daemon has open.\n"
	    "# TYPE process_open_fds gauge\n"
	    "process_open_fds %llu\n"
	    "# HELP process_max_fds The daemon's limit of open "
	    "descriptors.\n"
	    "# TYPE process_max_fds gauge\n"
	    "process_max_fds %llu\n",
	    m->start_seconds, cpu, metrics_rss_bytes(), metrics_open_fds(),
	    (unsigned long long)rl.rlim_cur);
}
