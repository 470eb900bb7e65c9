/* The dispatcher's own counters: see metrics.h. */
#include "config.h"

#include "metrics.h"

/* Seconds-valued histogram buckets, Prometheus style (cumulative). */
static const double metrics_buckets[METRICS_BUCKETS] = { 0.01, 0.025, 0.05, 0.1,
	0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };

/* Record one observation in a histogram. */
static void
metrics_observe(struct metrics_histogram *h, double v)
{
	int i;

	for (i = 0; i < METRICS_BUCKETS && v > metrics_buckets[i]; i++)
		;
	h->counts[i]++;
	h->sum += v;
	h->n++;
}

/* Record the wall time of a finished job. */
void
metrics_observe_run(struct metrics *m, double seconds)
{
	metrics_observe(&m->run, seconds);
}

/* Record the time a job waited to start. */
void
metrics_observe_wait(struct metrics *m, double seconds)
{
	metrics_observe(&m->wait, seconds);
}

/* Count an API response. */
void
metrics_count_response(struct metrics *m, int status)
{
	size_t i;

	for (i = 0; i < m->nhttp; i++)
		if (m->http[i].code == status) {
			m->http[i].n++;
			return;
		}
	if (m->nhttp < METRICS_CODES_MAX) {
		m->http[m->nhttp].code = status;
		m->http[m->nhttp].n = 1;
		m->nhttp++;
	}
}

/* Write one histogram in Prometheus text format. */
static void
metrics_histogram_text(struct evbuffer *b, const char *name, const char *help,
    const struct metrics_histogram *h)
{
	uint64_t cum = 0;
	int i;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name,
	    help, name);
	for (i = 0; i < METRICS_BUCKETS; i++) {
		cum += h->counts[i];
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
		    metrics_buckets[i], (unsigned long long)cum);
	}
	cum += h->counts[METRICS_BUCKETS];
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
	    (unsigned long long)cum);
	evbuffer_add_printf(b, "%s_sum %.6f\n%s_count %llu\n", name, h->sum,
	    name, (unsigned long long)h->n);
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

/* The API's responses by status. */
void
metrics_text_responses(const struct metrics *m, struct evbuffer *b)
{
	size_t i;

	evbuffer_add_printf(b,
	    "# HELP sluice_http_requests_total API responses by "
	    "status code.\n"
	    "# TYPE sluice_http_requests_total counter\n");
	for (i = 0; i < m->nhttp; i++)
		evbuffer_add_printf(b,
		    "sluice_http_requests_total{code=\"%d\"} %llu\n",
		    m->http[i].code, (unsigned long long)m->http[i].n);
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
}
