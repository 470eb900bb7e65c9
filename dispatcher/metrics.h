/*
 * The dispatcher's own counters for /metrics: how long finished jobs ran,
 * how long jobs waited to start, how long the API took to answer, the
 * API's responses by status, and counters of jobs by tenant, runtime,
 * state and verdict.  Plain numbers kept on the main thread, incremented
 * where each event happens (core.c, reply.c, conns.c) and never read back
 * from the store: they start from zero when the daemon starts (a struct
 * metrics of zeros is an empty one) and only ever go up.  What the store
 * and the node table know now (jobs and nodes by state, per-node and
 * per-tenant gauges) is read when the page is written (view.h).
 */
#ifndef SLUICE_DISPATCHER_METRICS_H
#define SLUICE_DISPATCHER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "access.h"

/* Buckets of the job histograms (0.01 s to a day) and of the API's
   latency (1 ms to 5 minutes). */
#define METRICS_JOB_BUCKETS 21
#define METRICS_HTTP_BUCKETS 17
#define METRICS_BUCKETS_MAX 21
#define METRICS_CODES_MAX 32
/* Label values of one family of counters; rows past the cap are not
   counted (a family's labels are tenants, runtimes, states and verdicts,
   which the configuration and the nodes bound). */
#define METRICS_LABELS_MAX 3
#define METRICS_ROWS_MAX 4096

/* A histogram of seconds, Prometheus style (cumulative when written). */
struct metrics_histogram {
	uint64_t counts[METRICS_BUCKETS_MAX + 1]; /* the last is +Inf */
	double sum;
	uint64_t n;
};

/* A counter with labels: one row per set of label values. */
struct metrics_row {
	char *values[METRICS_LABELS_MAX];
	uint64_t n;
};

struct metrics_family {
	struct metrics_row *rows;
	size_t n, cap;
	uint64_t dropped; /* increments past METRICS_ROWS_MAX */
};

struct metrics {
	double start_seconds; /* the daemon's start, seconds since the epoch */
	struct metrics_histogram run; /* wall time of finished jobs */
	struct metrics_histogram wait; /* from submission to start */
	struct metrics_histogram http[ACCESS_ROUTES]; /* answer time, by
							 route */
	struct {
		int code;
		uint64_t n;
	} http_codes[METRICS_CODES_MAX]; /* codes past the last are not
					    counted */
	size_t nhttp;
	uint64_t http_open; /* client connections open now (conns.c) */
	uint64_t http_refused_full; /* answered 503: at max_connections */
	uint64_t http_refused_fds; /* answered 503: out of descriptors */
	uint64_t finished[9]; /* jobs ended, by final state (enum
				 job_state) */
	struct metrics_family submitted; /* tenant, runtime */
	struct metrics_family tenant_finished; /* tenant, state */
	struct metrics_family runtime_finished; /* runtime, state */
	struct metrics_family verdicts; /* runtime, verdict */
	struct metrics_family requeues; /* cause */
	struct metrics_family drains; /* node, action (drain, resume) */
	struct access access; /* requests being answered (access.h) */
};

/* Note the daemon's start (process_start_time_seconds). */
void metrics_start(struct metrics *m);

/* Free what m holds, and zero it. */
void metrics_release(struct metrics *m);

/* Record the wall time of a job whose results came back. */
void metrics_observe_run(struct metrics *m, double seconds);

/* Record the time from a job's submission to its start. */
void metrics_observe_wait(struct metrics *m, double seconds);

/* Record the time the API took to answer a request of route
   (enum access_route). */
void metrics_observe_http(struct metrics *m, int route, double seconds);

/* Count an API response. */
void metrics_count_response(struct metrics *m, int status);

/*
 * Add one to the row of f whose label values are values[0..nvalues - 1]
 * (nvalues at most METRICS_LABELS_MAX; NULL values count as ""), adding
 * the row if it is new.  Out of memory, or past METRICS_ROWS_MAX rows,
 * the increment is dropped (and counted in f->dropped).
 */
void metrics_family_add(struct metrics_family *f, const char *const *values,
    size_t nvalues);

/* The count of the row with these label values (0 if there is none). */
uint64_t metrics_family_get(const struct metrics_family *f,
    const char *const *values, size_t nvalues);

/*
 * Append s to b as a label value of the Prometheus text format: a
 * backslash, a double quote and a line feed escaped (\\, \", \n).
 */
void metrics_label_value(struct evbuffer *b, const char *s);

/*
 * Append a family of counters called name, with its HELP and TYPE lines
 * and one sample per row; labels names the row's values (nlabels of
 * them).  With tenant not NULL, only the rows whose "tenant" label (if the
 * family has one) is tenant.
 */
void metrics_text_family(struct evbuffer *b, const char *name, const char *help,
    const char *const *labels, size_t nlabels, const struct metrics_family *f,
    const char *tenant);

/* Append the run and wait histograms in Prometheus text format to b. */
void metrics_text_jobs(const struct metrics *m, struct evbuffer *b);

/* Append the count of API responses by status, the connections, and the
   API's latency by route, in Prometheus text format. */
void metrics_text_responses(const struct metrics *m, struct evbuffer *b);

/* Append the counters of jobs by tenant, runtime, state and verdict, and
   of requeues and drains; of one tenant only, if tenant is not NULL. */
void metrics_text_counters(const struct metrics *m, struct evbuffer *b,
    const char *tenant);

/* Append sluice_build_info and the process_* series (start time, CPU,
   memory, descriptors). */
void metrics_text_process(const struct metrics *m, struct evbuffer *b);

#endif
