/*
 * The requests the API is answering, for its access log and its latency
 * histogram.  The server notes each request as it arrives (its method, its
 * path with any token in it hidden, its client, the time) and its tenant,
 * and how it was told, once its token is known; its answer (reply.h), now
 * or later (a long poll), ends it: the time it took goes into /metrics by
 * route, and, with sluice.conf's access_log on, one line goes to the log:
 *
 *   access client=127.0.0.1 method=POST path=/v1/jobs status=201
 *   bytes=312 seconds=0.004 tenant=alpha auth=header
 *
 * The path is as sent, without its query string (where nothing secret
 * goes, but where clients put what they like), the token of a /t/TOKEN/
 * path replaced by "-", and every byte outside printable ASCII, a space,
 * a quote and a backslash written as %XX, so a line is always one line of
 * fields separated by spaces.  The tenant is "-" until a token is known;
 * auth says how it was told (enum access_auth), "-" as long as it is not.
 *
 * On the main thread only.  A request that is never answered (its
 * connection freed at shutdown) is forgotten when the set is released; the
 * set holds at most ACCESS_OPEN_MAX, forgetting the oldest past that.
 */
#ifndef SLUICE_DISPATCHER_ACCESS_H
#define SLUICE_DISPATCHER_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/http.h>

#define ACCESS_PATH_MAX 160 /* bytes of a path as logged, escapes included */
#define ACCESS_OPEN_MAX 65536

/* The routes that the latency histogram tells apart. */
enum access_route {
	ACCESS_ROUTE_HEALTH,
	ACCESS_ROUTE_SUBMIT, /* POST /v1/jobs, /v1/jobs/batch */
	ACCESS_ROUTE_LIST, /* GET /v1/jobs */
	ACCESS_ROUTE_JOB, /* /v1/jobs/ID, its cancel and attempts */
	ACCESS_ROUTE_WAIT, /* /v1/jobs/ID/wait: a long poll */
	ACCESS_ROUTE_OUTPUT, /* /v1/jobs/ID/stdout, stderr, files/NAME */
	ACCESS_ROUTE_NODES, /* /v1/nodes..., /v1/runtimes */
	ACCESS_ROUTE_METRICS,
	ACCESS_ROUTE_PISTON,
	ACCESS_ROUTE_JUDGE0,
	ACCESS_ROUTE_OTHER,
	ACCESS_ROUTES
};

/* How a request's tenant was told, as the access log's auth= names it. */
enum access_auth {
	ACCESS_AUTH_NONE, /* "-": no tenant (yet) */
	ACCESS_AUTH_HEADER, /* "header": Authorization: Bearer, X-Auth-Token */
	ACCESS_AUTH_PATH, /* "path": /t/TOKEN/ (path_token) */
	ACCESS_AUTH_ADDRESS /* "address": no token, at a tenant's listen */
};

struct access_entry {
	const struct evhttp_request *req;
	double start; /* CLOCK_MONOTONIC seconds */
	enum access_route route;
	char method[8];
	char path[ACCESS_PATH_MAX];
	char client[48];
	char tenant[64];
	enum access_auth auth;
};

/* The requests being answered, oldest first. */
struct access {
	struct access_entry *v;
	size_t n, cap;
	bool log; /* write the access log (sluice.conf's access_log) */
};

struct metrics;

/* The name of a route, as /metrics labels it. */
const char *access_route_name(enum access_route r);

/*
 * The route and the path as logged of a request for raw (the path as
 * sent, without its query) by method ("GET", ...): the token of a
 * /t/TOKEN/ path hidden, bytes escaped as access.h says, cut to fit len
 * (at least 8) with "..." at its end.
 */
enum access_route
access_classify(const char *method, const char *raw, char *path, size_t len);

/* Note a request as it arrives. */
void access_begin(struct metrics *m, struct evhttp_request *req);

/* Note the tenant of a request, and how it was told, once it is known. */
void access_tenant(struct metrics *m, const struct evhttp_request *req,
    const char *tenant, enum access_auth auth);

/*
 * The request has been answered with status and a body of bytes: its time
 * into the latency histogram, its line into the log, and it is forgotten.
 * Nothing happens for a request never noted.
 */
void access_end(struct metrics *m, const struct evhttp_request *req, int status,
    size_t bytes);

/* Forget every request (their connections are gone). */
void access_release(struct access *a);

#endif
