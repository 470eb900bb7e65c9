/* The API's access log and latency: see access.h. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "access.h"
#include "judge0.h"
#include "log.h"
#include "metrics.h"
#include "piston.h"

static const char *const access_route_names[ACCESS_ROUTES] = { "health",
	"submit", "list", "job", "wait", "output", "nodes", "metrics", "piston",
	"judge0", "other" };

static const char *const access_auth_names[] = { "-", "header", "path",
	"address" };

/* The name of a route. */
const char *
access_route_name(enum access_route r)
{
	return (unsigned)r < ACCESS_ROUTES ? access_route_names[r] : "other";
}

/* Seconds on CLOCK_MONOTONIC. */
static double
access_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether s (len bytes) is a job id: digits only. */
static bool
access_digits(const char *s, size_t len)
{
	return len > 0 && strspn(s, "0123456789") >= len;
}

/* The route of a path (the /t/TOKEN prefix already taken off). */
static enum access_route
access_route_of(const char *method, const char *p)
{
	size_t n;

	if (strcmp(p, "/v1/health") == 0)
		return ACCESS_ROUTE_HEALTH;
	if (strcmp(p, "/metrics") == 0)
		return ACCESS_ROUTE_METRICS;
	if (strcmp(p, "/v1/jobs") == 0)
		return strcmp(method, "POST") == 0 ? ACCESS_ROUTE_SUBMIT
						   : ACCESS_ROUTE_LIST;
	if (strcmp(p, "/v1/jobs/batch") == 0)
		return ACCESS_ROUTE_SUBMIT;
	if (strncmp(p, "/v1/jobs/", 9) == 0) {
		p += 9;
		n = strcspn(p, "/");
		if (!access_digits(p, n))
			return ACCESS_ROUTE_OTHER;
		p += n;
		if (strcmp(p, "/wait") == 0)
			return ACCESS_ROUTE_WAIT;
		if (strcmp(p, "/stdout") == 0 || strcmp(p, "/stderr") == 0 ||
		    strncmp(p, "/files/", 7) == 0)
			return ACCESS_ROUTE_OUTPUT;
		return ACCESS_ROUTE_JOB;
	}
	if (strcmp(p, "/v1/nodes") == 0 || strncmp(p, "/v1/nodes/", 10) == 0 ||
	    strcmp(p, "/v1/runtimes") == 0)
		return ACCESS_ROUTE_NODES;
	if (piston_path(p))
		return ACCESS_ROUTE_PISTON;
	if (judge0_path(p))
		return ACCESS_ROUTE_JUDGE0;
	return ACCESS_ROUTE_OTHER;
}

/* Append s to out (used bytes *n of len), escaped; false once cut. */
static bool
access_escape(const char *s, char *out, size_t len, size_t *n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%') {
			if (*n + 1 >= len)
				return false;
			out[(*n)++] = (char)c;
			continue;
		}
		/* A % the client sent stays as it was: %25 would read as
		   one it did not. */
		if (c == '%' && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			if (*n + 1 >= len)
				return false;
			out[(*n)++] = '%';
			continue;
		}
		if (*n + 3 >= len)
			return false;
		out[(*n)++] = '%';
		out[(*n)++] = hex[c >> 4];
		out[(*n)++] = hex[c & 15];
	}
	return true;
}

/* The route and the path as logged; see access.h. */
enum access_route
access_classify(const char *method, const char *raw, char *path, size_t len)
{
	enum access_route r;
	const char *rest = raw;
	char *decoded;
	size_t n = 0, dlen;
	bool token = false;

	/* A token in the path, as sent or once decoded (/%74/...): hidden.
	   The route is that of the rest, decoded, as the server reads it. */
	if (strncmp(raw, "/t/", 3) == 0) {
		token = true;
		rest = raw + 3 + strcspn(raw + 3, "/");
	} else if ((decoded = evhttp_uridecode(raw, 0, &dlen)) != NULL) {
		if (strncmp(decoded, "/t/", 3) == 0) {
			token = true;
			/* Nothing of the raw path can be shown safely. */
			rest = "";
		}
		free(decoded);
	}
	if ((decoded = evhttp_uridecode(rest, 0, &dlen)) != NULL &&
	    strlen(decoded) == dlen)
		r = access_route_of(method, decoded);
	else
		r = ACCESS_ROUTE_OTHER;
	free(decoded);
	path[0] = '\0';
	if (token) {
		snprintf(path, len, "/t/-");
		n = strlen(path);
	}
	if (!access_escape(rest, path, len, &n)) {
		/* Cut: end with "..." where it fits. */
		n = n + 4 <= len ? n : len - 4;
		memcpy(path + n, "...", 3);
		n += 3;
	}
	path[n] = '\0';
	if (n == 0)
		snprintf(path, len, "-");
	return r;
}

/* The entry of req, or NULL (the newest first: most are answered at once). */
static struct access_entry *
access_find(struct access *a, const struct evhttp_request *req)
{
	size_t i;

	for (i = a->n; i-- > 0;)
		if (a->v[i].req == req)
			return &a->v[i];
	return NULL;
}

/* Forget entry i, keeping the order. */
static void
access_drop(struct access *a, size_t i)
{
	memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof(*a->v));
	a->n--;
}

/* Note a request as it arrives. */
void
access_begin(struct metrics *m, struct evhttp_request *req)
{
	struct access *a = &m->access;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *raw = evhttp_uri_get_path(
	    evhttp_request_get_evhttp_uri(req));
	const char *method, *peer = NULL;
	struct access_entry *x;
	ev_uint16_t port;

	if ((x = access_find(a, req)) != NULL) /* never answered: reused */
		access_drop(a, (size_t)(x - a->v));
	if (a->n == ACCESS_OPEN_MAX)
		access_drop(a, 0);
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;

		if ((x = realloc(a->v, cap * sizeof(*x))) == NULL)
			return; /* not timed, not logged */
		a->v = x;
		a->cap = cap;
	}
	x = &a->v[a->n++];
	memset(x, 0, sizeof(*x));
	x->req = req;
	x->start = access_now();
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		method = "GET";
		break;
	case EVHTTP_REQ_POST:
		method = "POST";
		break;
	case EVHTTP_REQ_DELETE:
		method = "DELETE";
		break;
	case EVHTTP_REQ_PUT:
		method = "PUT";
		break;
	case EVHTTP_REQ_PATCH:
		method = "PATCH";
		break;
	case EVHTTP_REQ_HEAD:
		method = "HEAD";
		break;
	case EVHTTP_REQ_OPTIONS:
		method = "OPTIONS";
		break;
	default:
		method = "OTHER";
		break;
	}
	snprintf(x->method, sizeof(x->method), "%s", method);
	/* A target with an authority ("//t/TOKEN/..." reads as the host t
	   and the path /TOKEN/...) shows nothing of its path: a token in
	   it would not be where access_classify() looks for one. */
	if (evhttp_uri_get_host(evhttp_request_get_evhttp_uri(req)) != NULL ||
	    strncmp(evhttp_request_get_uri(req), "//", 2) == 0)
		raw = NULL;
	x->route = access_classify(method, raw != NULL ? raw : "", x->path,
	    sizeof(x->path));
	if (conn != NULL)
		evhttp_connection_get_peer(conn, (char **)&peer, &port);
	snprintf(x->client, sizeof(x->client), "%s",
	    peer != NULL && peer[0] != '\0' ? peer : "-");
	snprintf(x->tenant, sizeof(x->tenant), "-");
}

/* Note the tenant of a request, and how it was told. */
void
access_tenant(struct metrics *m, const struct evhttp_request *req,
    const char *tenant, enum access_auth auth)
{
	struct access_entry *x = access_find(&m->access, req);

	if (x == NULL)
		return;
	snprintf(x->tenant, sizeof(x->tenant), "%s", tenant);
	x->auth = auth;
}

/* A request answered: time it, log it, forget it. */
void
access_end(struct metrics *m, const struct evhttp_request *req, int status,
    size_t bytes)
{
	struct access *a = &m->access;
	struct access_entry *x = access_find(a, req);
	double seconds;

	if (x == NULL)
		return;
	seconds = access_now() - x->start;
	metrics_observe_http(m, (int)x->route, seconds);
	if (a->log)
		log_info("access client=%s method=%s path=%s status=%d "
			 "bytes=%zu seconds=%.6f tenant=%s auth=%s",
		    x->client, x->method, x->path, status, bytes, seconds,
		    x->tenant, access_auth_names[x->auth]);
	access_drop(a, (size_t)(x - a->v));
}

/* Forget every request. */
void
access_release(struct access *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}
