/*
 * The dispatcher's own counters for /metrics: how long finished jobs ran,
 * how long jobs waited to start, and the API's responses by status.  Plain
 * numbers kept on the main thread; what the store and the node table know
 * (jobs and nodes by state) is read when the page is written (view.h).
 */
#ifndef SLUICE_DISPATCHER_METRICS_H
#define SLUICE_DISPATCHER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#define METRICS_BUCKETS 12
#define METRICS_CODES_MAX 32

/* A histogram of seconds, Prometheus style (cumulative when written). */
struct metrics_histogram {
	uint64_t counts[METRICS_BUCKETS + 1]; /* the last is +Inf */
	double sum;
	uint64_t n;
};

struct metrics {
	struct metrics_histogram run; /* wall time of finished jobs */
	struct metrics_histogram wait; /* from submission to start */
	struct {
		int code;
		uint64_t n;
	} http[METRICS_CODES_MAX]; /* codes past the last are not counted */
	size_t nhttp;
	uint64_t http_open; /* client connections open now (conns.c) */
	uint64_t http_refused_full; /* answered 503: at max_connections */
	uint64_t http_refused_fds; /* answered 503: out of descriptors */
};

/* Record the wall time of a job whose results came back. */
void metrics_observe_run(struct metrics *m, double seconds);

/* Record the time from a job's submission to its start. */
void metrics_observe_wait(struct metrics *m, double seconds);

/* Count an API response. */
void metrics_count_response(struct metrics *m, int status);

/* Append the two histograms in Prometheus text format to b. */
void metrics_text_jobs(const struct metrics *m, struct evbuffer *b);

/* Append the count of API responses by status in Prometheus text format. */
void metrics_text_responses(const struct metrics *m, struct evbuffer *b);

#endif
