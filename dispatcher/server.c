/*
 * The HTTP API: see server.h.  One generic callback routes by path, since
 * evhttp only matches exact paths; each route checks its method, the
 * caller's token and the caller's right to the job before anything else.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/queue.h>

#include "access.h"
#include "conns.h"
#include "core.h"
#include "digest.h"
#include "follow.h"
#include "judge0.h"
#include "log.h"
#include "piston.h"
#include "reply.h"
#include "request.h"
#include "server.h"
#include "ui.h"
#include "util.h"
#include "view.h"
#include "waiter.h"

#define SERVER_HEADERS_MAX (64 * 1024)
#define SERVER_WAIT_DEFAULT 30.0

/* An address of a tenant's own (a token's listen in sluice.conf), served
   by an evhttp of its own: a request that arrives there with no token is
   the token's, and the connection guard counts the address's connections
   apart (conns.h). */
struct server_listen {
	struct server *s;
	const struct settings_token *tok;
	struct evhttp *http;
};

struct server {
	struct core *core;
	struct evhttp *http;
	struct server_listen *tl; /* the tenants' addresses */
	size_t ntl;
	struct conns *conns;
	struct waiter_set *waiters;
	struct ui *ui; /* the dashboard's files (ui.h) */
	struct follow_set *follow; /* GET /v1/jobs/ID/output */
};

/*
 * CORS (sluice.conf's cors_origins): a request from an allowed origin gets
 * Access-Control-Allow-Origin, and may read Location and Retry-After; a
 * preflight (OPTIONS) from one is answered here, before any token is asked
 * for, since a browser sends none with it.  True if it was answered.  A
 * request from any other origin gets no such header, so a browser keeps
 * the answer from the page.
 */
static bool
server_cors(struct core *c, struct evhttp_request *req)
{
	const char *origin =
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	bool any = false;
	size_t i;

	if (origin == NULL)
		return false;
	for (i = 0; i < c->set.ncors_origins; i++) {
		any = strcmp(c->set.cors_origins[i], "*") == 0;
		if (any || strcmp(c->set.cors_origins[i], origin) == 0)
			break;
	}
	if (i == c->set.ncors_origins)
		return false;
	evhttp_add_header(h, "Access-Control-Allow-Origin", any ? "*" : origin);
	if (!any)
		evhttp_add_header(h, "Vary", "Origin");
	evhttp_add_header(h, "Access-Control-Expose-Headers",
	    "Location, Retry-After");
	if (evhttp_request_get_command(req) != EVHTTP_REQ_OPTIONS)
		return false;
	evhttp_add_header(h, "Access-Control-Allow-Methods",
	    "GET, POST, DELETE");
	evhttp_add_header(h, "Access-Control-Allow-Headers",
	    "Authorization, Content-Type, X-Auth-Token");
	evhttp_add_header(h, "Access-Control-Max-Age", "600");
	reply_empty(&c->metrics, req, 204);
	return true;
}

/* The token whose text is len bytes at text, or NULL. */
static const struct settings_token *
server_token_of(struct core *c, const char *text, size_t len)
{
	unsigned char digest[32];

	if (len == 0 || len > 4096)
		return NULL;
	digest_sha256(text, len, digest);
	return settings_token_find(&c->set, digest);
}

/*
 * The caller's token, from "Authorization: Bearer TOKEN" or, as Judge0's
 * clients send it, "X-Auth-Token: TOKEN"; NULL if there is none or it is
 * not one of sluice.conf's (*given says whether one was sent).
 */
static const struct settings_token *
server_token(struct core *c, struct evhttp_request *req, bool *given)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *h = evhttp_find_header(in, "Authorization");

	*given = true;
	if (h != NULL)
		return strncasecmp(h, "Bearer ", 7) == 0
		    ? server_token_of(c, h + 7, strlen(h + 7))
		    : NULL;
	if ((h = evhttp_find_header(in, "X-Auth-Token")) != NULL)
		return server_token_of(c, h, strlen(h));
	*given = false;
	return NULL;
}

/*
 * Whether a Host header names a host rather than an address: anything but
 * an IPv4 address, a bracketed IPv6 one or localhost, each with an
 * optional port.  A tenant's listen is an address, so only a page whose
 * own name was rebound to it by DNS sends a name there.
 */
static bool
server_host_named(const char *host)
{
	char name[256];
	struct in6_addr a6;
	struct in_addr a4;
	size_t n;

	if (host[0] == '[') {
		n = strcspn(host + 1, "]");
		if (host[1 + n] != ']' || n >= sizeof(name))
			return true;
		memcpy(name, host + 1, n);
		name[n] = '\0';
		return inet_pton(AF_INET6, name, &a6) != 1 ||
		    (host[2 + n] != '\0' && host[2 + n] != ':');
	}
	n = strcspn(host, ":");
	if (n >= sizeof(name))
		return true;
	memcpy(name, host, n);
	name[n] = '\0';
	return inet_pton(AF_INET, name, &a4) != 1 &&
	    strcasecmp(name, "localhost") != 0;
}

/*
 * Whether a browser may have sent the request for a web page: it has an
 * Origin (every cross-origin request, and every POST), a Sec-Fetch-Site
 * other than "none" (every fetch of today's browsers, a page rebound to
 * the address by DNS included; "none" is the user's own navigation), or a
 * Host that is a name (a rebound page in a browser that sends no
 * Sec-Fetch-Site).  Such a request must give its token at a tenant's own
 * address: whoever runs the browser can reach the address, the page's
 * author need not.
 */
static bool
server_from_page(struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *site = evhttp_find_header(in, "Sec-Fetch-Site");
	const char *host = evhttp_find_header(in, "Host");

	return evhttp_find_header(in, "Origin") != NULL ||
	    (site != NULL && strcmp(site, "none") != 0) ||
	    (host != NULL && server_host_named(host));
}

/* The caller's token, or NULL after replying 401. */
static const struct settings_token *
server_auth(struct core *c, struct evhttp_request *req)
{
	const struct settings_token *t;
	bool given;

	if ((t = server_token(c, req, &given)) == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		reply_error(&c->metrics, req, 401,
		    given ? "invalid token" : "missing bearer token", NULL);
	}
	return t;
}

/*
 * The Piston and Judge0 APIs (piston.h, judge0.h), which a client may
 * reach with its token in the headers or, for a token with path_token, as
 * the path's first part: /t/TOKEN/api/v2/..., /t/TOKEN/submissions/...
 * (percent-encoded where the token has characters a path cannot hold),
 * or with none at the address of a token's own (own, if it came there).
 * raw is the path as sent.  True if the request was answered.
 */
static bool
server_compat(struct server *s, struct evhttp_request *req, const char *raw,
    const char *decoded, const struct settings_token *own)
{
	struct core *c = s->core;
	const struct settings_token *tok = NULL;
	char *token = NULL, *path = NULL, *seg;
	const char *why = "invalid token";
	enum access_auth auth = ACCESS_AUTH_PATH;
	size_t n, tlen, plen;
	bool given = true, done = true, piston, page = false;

	if (strncmp(raw, "/t/", 3) == 0) {
		/* The token, then the rest, each decoded on its own: a
		   token's %2F is not a path's slash. */
		n = strcspn(raw + 3, "/");
		if ((seg = strndup(raw + 3, n)) == NULL ||
		    (token = evhttp_uridecode(seg, 0, &tlen)) == NULL ||
		    (path = evhttp_uridecode(raw + 3 + n, 0, &plen)) == NULL)
			fatal("out of memory");
		free(seg);
		if (strlen(path) != plen ||
		    !(piston_path(path) || judge0_path(path))) {
			reply_error(&c->metrics, req, 404, "no such resource",
			    NULL);
			goto out;
		}
		if (strlen(token) == tlen &&
		    (tok = server_token_of(c, token, tlen)) != NULL &&
		    !tok->path_token) {
			tok = NULL;
			why = "this token may not be given in the path "
			      "(its path_token is not set)";
		}
	} else {
		if (!piston_path(decoded) && !judge0_path(decoded)) {
			done = false;
			goto out;
		}
		if ((path = strdup(decoded)) == NULL)
			fatal("out of memory");
		auth = ACCESS_AUTH_HEADER;
		/* No token at all: the tenant whose own address this is,
		   if it is one (sluice.conf's listen of a token), unless a
		   web page sent it. */
		if ((tok = server_token(c, req, &given)) == NULL && !given) {
			page = own != NULL && server_from_page(req);
			if (own != NULL && !page) {
				tok = own;
				auth = ACCESS_AUTH_ADDRESS;
			} else if (page)
				why = "a web page's request must give its "
				      "token (X-Auth-Token: TOKEN, "
				      "Authorization: Bearer TOKEN, or "
				      "/t/TOKEN/ in the path), even at this "
				      "address";
			else
				why = "missing token (Authorization: Bearer "
				      "TOKEN, X-Auth-Token: TOKEN, or "
				      "/t/TOKEN/ in the path)";
		}
	}
	piston = piston_path(path);
	if (tok == NULL) {
		if (piston)
			piston_error(c, req, page ? 403 : 401, why);
		else
			judge0_error(c, req, page ? 403 : 401, why);
		goto out;
	}
	access_tenant(&c->metrics, req, tok->name, auth);
	/* As for /v1: submissions of this turn are committed together. */
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST)
		core_batch_flush(c);
	if (piston)
		piston_route(c, s->waiters, req, tok, path);
	else
		judge0_route(c, s->waiters, req, tok, path);
out:
	free(token);
	free(path);
	return done;
}

/* Parse a job id from a path component: decimal digits only. */
static bool
server_job_id(const char *s, size_t len, int64_t *id)
{
	char buf[24];
	uint64_t v;

	if (len == 0 || len > 18)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strspn(buf, "0123456789") != len || !util_parse_u64(buf, &v) ||
	    v == 0)
		return false;
	*id = (int64_t)v;
	return true;
}

/* Answer a method that the path does not support. */
static void
server_bad_method(struct core *c, struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	reply_error(&c->metrics, req, 405, "method not allowed", NULL);
}

/*
 * The query parameter name, a number of seconds from 0 to 10^6, into *out
 * (dflt if absent); false after replying 400.  Used for the long poll's
 * timeout_seconds and the submission's wait.
 */
static bool
server_seconds(struct core *c, struct evhttp_request *req, const char *name,
    double dflt, double *out)
{
	struct evkeyvalq params;
	struct evkeyval *kv;
	char msg[96];
	const char *v = NULL;
	double d = dflt;
	size_t digits;
	int n = 0;

	if (!reply_query(req, &params)) {
		reply_error(&c->metrics, req, 400,
		    "the query string is not NAME=VALUE&...", "query");
		return false;
	}
	TAILQ_FOREACH(kv, &params, next)
	if (strcmp(kv->key, name) == 0) {
		v = kv->value;
		n++;
	}
	/* Plain decimal seconds only: digits, and a fraction; given once. */
	if (v != NULL) {
		digits = strspn(v, "0123456789");
		if (digits > 0 && v[digits] == '.')
			digits += 1 + strspn(v + digits + 1, "0123456789");
		d = digits > 0 && digits <= 16 && v[digits] == '\0' &&
			v[digits - 1] != '.'
		    ? strtod(v, NULL)
		    : -1;
	}
	evhttp_clear_headers(&params);
	if (n > 1 || (v != NULL && (d < 0 || d > 1e6))) {
		snprintf(msg, sizeof(msg),
		    "%s must be a number of seconds from 0 to 1000000, "
		    "given once",
		    name);
		reply_error(&c->metrics, req, 400, msg, name);
		return false;
	}
	*out = d;
	return true;
}

/* A submission on its way to its answer. */
struct server_submission {
	struct server *s;
	struct evhttp_request *req;
	double wait; /* ?wait=SECONDS, or -1 */
};

/* The answer to a submission (arg, a server_submission), once its batch
   is committed (or not): with ?wait, once the job has ended (201) or the
   wait is over (202). */
static void
server_submit_answer(struct core *c, const struct job *j, int status,
    const struct error *e, void *arg)
{
	struct server_submission *sub = arg;
	struct evhttp_request *req = sub->req;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char location[64];

	if (j == NULL) {
		if (status == 507)
			evhttp_add_header(h, "Retry-After", "5");
		reply_error(&c->metrics, req, status, e->msg, e->field);
	} else {
		snprintf(location, sizeof(location), "/v1/jobs/%lld",
		    (long long)j->id);
		evhttp_add_header(h, "Location", location);
		if (sub->wait >= 0) {
			/* Committed: the body is needed no more, and a wait
			   must not hold it for its minutes. */
			evbuffer_drain(evhttp_request_get_input_buffer(req),
			    evbuffer_get_length(
				evhttp_request_get_input_buffer(req)));
			waiter_add(sub->s->waiters, req, j, sub->wait, status,
			    202);
		} else
			reply_json_text(&c->metrics, req, status,
			    view_job_text(c, j));
	}
	free(sub);
}

/* POST /v1/jobs: answered once the submission's batch is committed. */
static void
server_submit(struct server *s, struct evhttp_request *req,
    const struct settings_token *tok)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct core *c = s->core;
	struct server_submission *sub;
	struct error e;
	const char *body;
	double wait = -1;
	int status;

	error_init(&e);
	if (!server_seconds(c, req, "wait", -1, &wait))
		return;
	/* evhttp's own cap is higher and answers in HTML; this one answers
	   in JSON. */
	if (len > c->set.max_body_bytes) {
		reply_error(&c->metrics, req, 413,
		    "the request body is larger "
		    "than max_body_bytes",
		    NULL);
		return;
	}
	body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	if ((sub = malloc(sizeof(*sub))) == NULL)
		fatal("out of memory");
	sub->s = s;
	sub->req = req;
	sub->wait = wait;
	if (core_submit_batched(c, tok, body, len, server_submit_answer, sub,
		&status, &e) == -1) {
		free(sub);
		if (status == 429 || status == 507)
			evhttp_add_header(evhttp_request_get_output_headers(
					      req),
			    "Retry-After", "5");
		reply_error(&c->metrics, req, status, e.msg, e.field);
	}
}

/* A batch of submissions on its way to its one answer. */
struct server_batch {
	struct core *c;
	struct evhttp_request *req;
	size_t n, left; /* items, and those not answered yet */
	struct evbuffer **answers; /* each item's {"status", ...} */
};

/* One answer fewer to wait for; at none, the reply (and b is freed). */
static void
server_batch_done(struct server_batch *b)
{
	struct evbuffer *out;
	size_t k;

	if (--b->left > 0)
		return;
	if ((out = evbuffer_new()) == NULL)
		fatal("out of memory");
	evbuffer_add(out, "{\"jobs\":[", 9);
	for (k = 0; k < b->n; k++) {
		if (k > 0)
			evbuffer_add(out, ",", 1);
		evbuffer_add_buffer(out, b->answers[k]);
		evbuffer_free(b->answers[k]);
	}
	evbuffer_add(out, "]}", 2);
	reply_json_text(&b->c->metrics, b->req, 200, out);
	free(b->answers);
	free(b);
}

/* One item's answer: {"status": S, "job": {...}} or {"status": S,
   "error": ..., "field": ...}. */
static void
server_batch_item(struct server_batch *b, size_t i, int status,
    struct evbuffer *job, const struct error *e)
{
	json_t *err;
	char *text;

	if ((b->answers[i] = evbuffer_new()) == NULL)
		fatal("out of memory");
	if (job != NULL) {
		evbuffer_add_printf(b->answers[i],
		    "{\"status\":%d,\"job\":", status);
		evbuffer_add_buffer(b->answers[i], job);
		evbuffer_add(b->answers[i], "}", 1);
		evbuffer_free(job);
	} else {
		err = json_pack("{s:i, s:s}", "status", status, "error",
		    e != NULL ? e->msg : "internal error");
		if (err != NULL && e != NULL && e->field[0] != '\0')
			json_object_set_new(err, "field",
			    json_string(e->field));
		if (err == NULL ||
		    (text = json_dumps(err, JSON_COMPACT)) == NULL)
			fatal("out of memory");
		evbuffer_add(b->answers[i], text, strlen(text));
		free(text);
		json_decref(err);
	}
	server_batch_done(b);
}

/* A batch item's submission (its cb's arg): the batch, and its place. */
struct server_batch_ref {
	struct server_batch *b;
	size_t i;
};

static void
server_batch_answer(struct core *c, const struct job *j, int status,
    const struct error *e, void *arg)
{
	struct server_batch_ref *r = arg;
	struct server_batch *b = r->b;
	size_t i = r->i;

	free(r);
	server_batch_item(b, i, status, j != NULL ? view_job_text(c, j) : NULL,
	    e);
}

/*
 * POST /v1/jobs/batch: {"jobs": [submission, ...]}, at most max_batch_jobs;
 * each item is submitted as POST /v1/jobs would submit it, on its own (one
 * refused does not refuse the others), and the answer, once all are
 * committed, says for each, in order, its status and its job or error.
 */
static void
server_batch(struct core *c, struct evhttp_request *req,
    const struct settings_token *tok)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in), n, i;
	struct server_batch_ref *r;
	struct server_batch *b;
	json_t *root, *jobs;
	json_error_t jerr;
	struct error e;
	char *text;
	int status;

	if (len > c->set.max_body_bytes) {
		reply_error(&c->metrics, req, 413,
		    "the request body is larger than max_body_bytes", NULL);
		return;
	}
	/* JSON_ALLOW_NUL: an item may hold what a single submission may;
	   request_parse() checks each as it would. */
	root = json_loadb(len > 0 ? (const char *)evbuffer_pullup(in, -1) : "",
	    len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	evbuffer_drain(in, len);
	jobs = root != NULL ? json_object_get(root, "jobs") : NULL;
	if (root == NULL || !json_is_object(root) ||
	    json_object_size(root) != 1 || !json_is_array(jobs) ||
	    json_array_size(jobs) == 0) {
		reply_error(&c->metrics, req, 400,
		    "the body must be {\"jobs\": [submission, ...]} with at "
		    "least one submission",
		    "jobs");
		json_decref(root);
		return;
	}
	if ((n = json_array_size(jobs)) > c->set.max_batch_jobs) {
		reply_error(&c->metrics, req, 413,
		    "more submissions than max_batch_jobs", "jobs");
		json_decref(root);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->answers = calloc(n, sizeof(*b->answers))) == NULL)
		fatal("out of memory");
	b->c = c;
	b->req = req;
	b->n = n;
	/* The last answer replies (and frees b); one more is counted until
	   every item is handed in, so that none replies before. */
	b->left = n + 1;
	for (i = 0; i < n; i++) {
		error_init(&e);
		if ((text = json_dumps(json_array_get(jobs, i),
			 JSON_COMPACT | JSON_ENCODE_ANY)) == NULL ||
		    (r = malloc(sizeof(*r))) == NULL)
			fatal("out of memory");
		r->b = b;
		r->i = i;
		/* Its text stands for it now: free its tree before the
		   submission parses that text into another. */
		json_array_set_new(jobs, i, json_null());
		if (core_submit_batched(c, tok, text, strlen(text),
			server_batch_answer, r, &status, &e) == -1) {
			free(r);
			server_batch_item(b, i, status, NULL, &e);
		}
		free(text);
	}
	json_decref(root);
	server_batch_done(b);
}

/* GET /v1/jobs/ID[/wait|/stdout|/stderr|/files/NAME] */
static void
server_job(struct server *s, struct evhttp_request *req,
    const struct settings_token *tok, int64_t id, const char *rest)
{
	struct core *c = s->core;
	const char *file = NULL;
	char *data = NULL;
	struct error e;
	struct job j;
	double timeout;
	size_t len;
	int rc;

	enum evhttp_cmd_type method = evhttp_request_get_command(req);

	if (!(method == EVHTTP_REQ_GET ||
		(method == EVHTTP_REQ_DELETE && rest[0] == '\0'))) {
		server_bad_method(c, req,
		    rest[0] == '\0' ? "GET, DELETE" : "GET");
		return;
	}
	if (view_job_get(c, id, &j, &e) == -1) {
		reply_error(&c->metrics, req,
		    e.code == ERR_NOTFOUND ? 404 : 500,
		    e.code == ERR_NOTFOUND ? "no such job" : e.msg, NULL);
		return;
	}
	/* A submit token sees its own jobs only. */
	if (tok->role != ROLE_ADMIN && strcmp(j.tenant, tok->name) != 0) {
		reply_error(&c->metrics, req, 403,
		    "this job belongs to another "
		    "tenant",
		    NULL);
		return;
	}
	if (rest[0] == '\0' && method == EVHTTP_REQ_DELETE) {
		if (core_cancel(c, id, &j, &e) == -1) {
			if (e.code == ERR_BUSY)
				evhttp_add_header(
				    evhttp_request_get_output_headers(req),
				    "Retry-After", "5");
			reply_error(&c->metrics, req,
			    e.code == ERR_STATE      ? 409
				: e.code == ERR_BUSY ? 507
						     : 500,
			    e.msg, NULL);
		} else
			reply_json_text(&c->metrics, req, 202,
			    view_job_text(c, &j));
		return;
	}
	if (rest[0] == '\0') {
		reply_json_text(&c->metrics, req, 200, view_job_text(c, &j));
		return;
	}
	if (strcmp(rest, "/wait") == 0) {
		if (server_seconds(c, req, "timeout_seconds",
			SERVER_WAIT_DEFAULT, &timeout))
			waiter_add(s->waiters, req, &j, timeout, 200, 200);
		return;
	}
	if (strcmp(rest, "/output") == 0) {
		if (server_seconds(c, req, "wait", 0, &timeout))
			follow_request(s->follow, req, &j, timeout);
		return;
	}
	if (strcmp(rest, "/attempts") == 0) {
		json_t *list;
		char idtext[24];

		snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
		if (view_job_attempts(c, id, &list, &e) == -1)
			reply_error(&c->metrics, req, 500, e.msg, NULL);
		else
			reply_json(&c->metrics, req, 200,
			    json_pack("{s:s, s:o}", "id", idtext, "attempts",
				list));
		return;
	}
	if (strncmp(rest, "/files/", 7) == 0) {
		file = rest + 7;
		if (util_path_check(file, "name", &e) == -1) {
			reply_error(&c->metrics, req, 400, e.msg, "name");
			return;
		}
	} else if (strcmp(rest, "/stdout") != 0 &&
	    strcmp(rest, "/stderr") != 0) {
		reply_error(&c->metrics, req, 404, "no such resource", NULL);
		return;
	}
	if (!j.has_result) {
		reply_error(&c->metrics, req, 409, "the job has no output yet",
		    NULL);
		return;
	}
	if (file != NULL)
		rc = view_out_file(c, id, file, &data, &len, &e);
	else
		rc = view_stream(c, id, strcmp(rest, "/stderr") == 0, &data,
		    &len, &e);
	if (rc == -1) {
		reply_error(&c->metrics, req,
		    e.code == ERR_NOTFOUND ? 404 : 500,
		    e.code == ERR_NOTFOUND ? "no such file" : e.msg, NULL);
		return;
	}
	reply_raw(&c->metrics, req, "application/octet-stream", data, len);
	free(data);
}

static bool server_purge_time(const char *s, char *out, size_t len);

/* The query of GET /v1/jobs, parsed: the filter points into the query's
   values (split at commas in place) and into the arrays here. */
struct server_list_query {
	struct store_job_filter f;
	int64_t limit;
	int64_t ids[STORE_FILTER_VALUES_MAX];
	const char *names[STORE_FILTER_VALUES_MAX];
	char since[40];
	char until[40];
};

/*
 * The items of a comma-separated list, split in place: cut the item at v
 * at its comma and return the next item (which may be empty, as "a,,b"
 * has one), or NULL after the last.
 */
static char *
server_list_next(char *v)
{
	char *comma = strchr(v, ',');

	if (comma == NULL)
		return NULL;
	*comma = '\0';
	return comma + 1;
}

/*
 * Read the query's parameters into lq; 0, or -1 with the status (400 or
 * 403), the message and the field at fault.  Lists (state, id, name) may
 * be given comma-separated, repeated, or both; the others once.
 */
static int
server_list_parse(struct evkeyvalq *params, const struct settings_token *tok,
    struct server_list_query *lq, int *status, char *msg, size_t msglen,
    const char **field)
{
	bool seen_limit = false, seen_before = false, seen_label = false;
	bool seen_since = false, seen_until = false, seen_tenant = false;
	struct evkeyval *kv;
	enum job_state st;
	uint64_t u;
	char *v, *next;

	*status = 400;
	lq->limit = 50;
	TAILQ_FOREACH(kv, params, next)
	{
		*field = kv->key;
		if (strcmp(kv->key, "limit") == 0 ||
		    strcmp(kv->key, "before") == 0) {
			bool lim = kv->key[0] == 'l';

			if ((lim ? seen_limit : seen_before) ||
			    !util_parse_u64(kv->value, &u) || u == 0 ||
			    u > (lim ? 1000 : (uint64_t)INT64_MAX / 2)) {
				snprintf(msg, msglen, "%s",
				    lim ? "limit must be 1 to 1000, given once"
					: "before must be a job id, given "
					  "once");
				return -1;
			}
			if (lim)
				lq->limit = (int64_t)u, seen_limit = true;
			else
				lq->f.before = (int64_t)u, seen_before = true;
		} else if (strcmp(kv->key, "state") == 0) {
			for (v = kv->value; v != NULL; v = next) {
				next = server_list_next(v);
				if (job_state_parse(v, &st) == -1) {
					snprintf(msg, msglen,
					    "state must be job states, such "
					    "as PENDING or PENDING,RUNNING");
					return -1;
				}
				lq->f.state_mask |= 1u << st;
			}
		} else if (strcmp(kv->key, "id") == 0) {
			for (v = kv->value; v != NULL; v = next) {
				next = server_list_next(v);
				if (!util_parse_u64(v, &u) || u == 0 ||
				    u > (uint64_t)INT64_MAX / 2 ||
				    lq->f.nids + lq->f.nnames ==
					STORE_FILTER_VALUES_MAX) {
					snprintf(msg, msglen,
					    "id must be job ids, at most %d "
					    "ids and names together",
					    STORE_FILTER_VALUES_MAX);
					return -1;
				}
				lq->ids[lq->f.nids++] = (int64_t)u;
			}
		} else if (strcmp(kv->key, "name") == 0) {
			for (v = kv->value; v != NULL; v = next) {
				next = server_list_next(v);
				if (!util_token_ok(v, REQUEST_NAME_MAX) ||
				    lq->f.nids + lq->f.nnames ==
					STORE_FILTER_VALUES_MAX) {
					snprintf(msg, msglen,
					    "name must be job names (1 to %d "
					    "characters of [A-Za-z0-9._+-]), "
					    "at most %d ids and names together",
					    REQUEST_NAME_MAX,
					    STORE_FILTER_VALUES_MAX);
					return -1;
				}
				lq->names[lq->f.nnames++] = v;
			}
		} else if (strcmp(kv->key, "label") == 0) {
			if (seen_label ||
			    !util_token_ok(kv->value, REQUEST_LABEL_MAX)) {
				snprintf(msg, msglen,
				    "label must be one label (1 to %d "
				    "characters of [A-Za-z0-9._+-]), given "
				    "once",
				    REQUEST_LABEL_MAX);
				return -1;
			}
			lq->f.label = kv->value;
			seen_label = true;
		} else if (strcmp(kv->key, "since") == 0 ||
		    strcmp(kv->key, "until") == 0) {
			bool since = kv->key[0] == 's';
			char *when = since ? lq->since : lq->until;

			if ((since ? seen_since : seen_until) ||
			    !server_purge_time(kv->value, when, 40)) {
				snprintf(msg, msglen,
				    "%s must be YYYY-MM-DD or an RFC 3339 time "
				    "in UTC (2026-11-23T07:45:29Z), given once",
				    kv->key);
				return -1;
			}
			if (since)
				lq->f.since = when, seen_since = true;
			else
				lq->f.until = when, seen_until = true;
		} else if (strcmp(kv->key, "tenant") == 0) {
			if (seen_tenant ||
			    !util_token_ok(kv->value, SETTINGS_NAME_MAX - 1)) {
				snprintf(msg, msglen,
				    "tenant must be one tenant's name, given "
				    "once");
				return -1;
			}
			if (tok->role != ROLE_ADMIN &&
			    strcmp(kv->value, tok->name) != 0) {
				*status = 403;
				snprintf(msg, msglen,
				    "a submit token lists its own tenant's "
				    "jobs only");
				return -1;
			}
			lq->f.tenant = kv->value;
			seen_tenant = true;
		} else {
			char key[65];
			size_t k;

			/* A filter mistyped must not list everything. */
			for (k = 0; kv->key[k] != '\0' && k < sizeof(key) - 1;
			     k++)
				key[k] = kv->key[k] >= 0x20 && kv->key[k] < 0x7f
				    ? kv->key[k]
				    : '?';
			key[k] = '\0';
			snprintf(msg, msglen,
			    "unknown parameter '%s' (known: state, id, name, "
			    "label, tenant, since, until, limit, before)",
			    key);
			*field = "query";
			return -1;
		}
	}
	/* A submit token sees its own tenant's jobs only. */
	if (tok->role != ROLE_ADMIN)
		lq->f.tenant = tok->name;
	lq->f.ids = lq->ids;
	lq->f.names = lq->names;
	*field = NULL;
	return 0;
}

/* GET /v1/jobs?state=S,...&id=...&name=...&label=L&tenant=T&since=TIME&
   until=TIME&limit=N&before=ID: newest first. */
static void
server_list(struct core *c, struct evhttp_request *req,
    const struct settings_token *tok)
{
	struct server_list_query *lq = NULL;
	struct evkeyvalq params;
	const char *field = NULL;
	struct job *jobs = NULL;
	struct evbuffer *buf;
	char msg[256];
	struct error e;
	int status, n = 0;

	if ((lq = calloc(1, sizeof(*lq))) == NULL) {
		reply_error(&c->metrics, req, 500, "out of memory", NULL);
		return;
	}
	if (!reply_query(req, &params)) {
		reply_error(&c->metrics, req, 400, "bad query", "query");
		goto out;
	}
	if (server_list_parse(&params, tok, lq, &status, msg, sizeof(msg),
		&field) == -1) {
		reply_error(&c->metrics, req, status, msg, field);
		goto out;
	}
	if ((jobs = calloc((size_t)lq->limit + 1, sizeof(*jobs))) == NULL) {
		reply_error(&c->metrics, req, 500, "out of memory", NULL);
		goto out;
	}
	if (view_jobs_find(c, &lq->f, (int)lq->limit + 1, jobs, &n, &e) == -1) {
		reply_error(&c->metrics, req, 500, e.msg, NULL);
		goto out;
	}
	/* One more than asked for tells whether there is a next page. */
	buf = view_jobs_page_text(c, jobs, n > lq->limit ? (int)lq->limit : n,
	    n > lq->limit ? jobs[lq->limit - 1].id : 0);
	reply_json_text(&c->metrics, req, 200, buf);
out:
	evhttp_clear_headers(&params);
	free(jobs);
	free(lq);
}

/* POST /v1/nodes/NAME/drain and .../resume: admin only. */
static void
server_node(struct core *c, struct evhttp_request *req,
    const struct settings_token *tok, const char *rest)
{
	char name[SETTINGS_NAME_MAX + 1], reason[200] = "";
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t nlen = strcspn(rest, "/"), len;
	const char *verb = rest + nlen;
	json_t *body = NULL, *v, *node;
	struct error e;
	bool drain;

	if (nlen == 0 || nlen >= sizeof(name) ||
	    (strcmp(verb, "/drain") != 0 && strcmp(verb, "/resume") != 0 &&
		strcmp(verb, "") != 0)) {
		reply_error(&c->metrics, req, 404, "no such resource", NULL);
		return;
	}
	memcpy(name, rest, nlen);
	name[nlen] = '\0';
	if (verb[0] == '\0') {
		if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
			server_bad_method(c, req, "GET");
			return;
		}
		if ((node = view_node_json(c, name)) == NULL)
			reply_error(&c->metrics, req, 404, "no such node",
			    NULL);
		else
			reply_json(&c->metrics, req, 200, node);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		server_bad_method(c, req, "POST");
		return;
	}
	if (tok->role != ROLE_ADMIN) {
		reply_error(&c->metrics, req, 403,
		    "draining and resuming nodes "
		    "needs an admin token",
		    NULL);
		return;
	}
	drain = strcmp(verb, "/drain") == 0;
	len = evbuffer_get_length(in);
	if (len > 0) {
		body = json_loadb((const char *)evbuffer_pullup(in, -1), len,
		    JSON_REJECT_DUPLICATES, NULL);
		v = json_object_get(body, "reason");
		if (!json_is_object(body) || json_object_size(body) > 1 ||
		    (json_object_size(body) == 1 &&
			(!json_is_string(v) || json_string_length(v) >= 200 ||
			    strlen(json_string_value(v)) !=
				json_string_length(v)))) {
			json_decref(body);
			reply_error(&c->metrics, req, 400,
			    "the body must be "
			    "{\"reason\": \"text\"} (at most 199 bytes)",
			    "reason");
			return;
		}
		if (v != NULL)
			snprintf(reason, sizeof(reason), "%s",
			    json_string_value(v));
		json_decref(body);
	}
	/* A reason becomes part of a status line: no control characters. */
	for (len = 0; reason[len] != '\0'; len++)
		if ((unsigned char)reason[len] < 0x20)
			reason[len] = ' ';
	if (core_drain_as(c, name, drain, reason, tok->name, &e) == -1) {
		reply_error(&c->metrics, req,
		    e.code == ERR_NOTFOUND ? 404 : 500, e.msg, NULL);
		return;
	}
	reply_json(&c->metrics, req, 200, view_node_json(c, name));
}

/*
 * A time given to purge, exactly "YYYY-MM-DD" (midnight UTC) or
 * "YYYY-MM-DDTHH:MM:SS[.fff...]Z", a real date from 1970 to 9999, written
 * back as the store writes times (the store compares them as text, so the
 * year must have its four digits); false otherwise.
 */
static bool
server_purge_time(const char *s, char *out, size_t len)
{
	struct timespec ts = { 0, 0 };
	struct tm tm, back, asked;
	size_t n = strlen(s), k;
	long scale;
	char shape[32];

	/* The shape first: digits where digits go, nothing lenient. */
	if (n != 10 && (n < 20 || n > 30))
		return false;
	for (k = 0; k < n && k < sizeof(shape) - 1; k++)
		shape[k] = (s[k] >= '0' && s[k] <= '9') ? 'd' : s[k];
	shape[k] = '\0';
	if (n == 10
		? strcmp(shape, "dddd-dd-dd") != 0
		: (strncmp(shape, "dddd-dd-ddTdd:dd:dd", 19) != 0 ||
		      (n == 20 && shape[19] != 'Z') ||
		      (n > 20 &&
			  (shape[19] != '.' || shape[n - 1] != 'Z' || n < 22 ||
			      strspn(shape + 20, "d") != n - 21))))
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	if (n > 10) {
		tm.tm_hour = atoi(s + 11);
		tm.tm_min = atoi(s + 14);
		tm.tm_sec = atoi(s + 17);
	}
	/* timegm() normalizes its argument: compare with a copy. */
	asked = tm;
	if (tm.tm_year < 70 || (ts.tv_sec = timegm(&tm)) == (time_t)-1 ||
	    gmtime_r(&ts.tv_sec, &back) == NULL ||
	    back.tm_year != asked.tm_year || back.tm_mon != asked.tm_mon ||
	    back.tm_mday != asked.tm_mday || back.tm_hour != asked.tm_hour ||
	    back.tm_min != asked.tm_min || back.tm_sec != asked.tm_sec)
		return false; /* 2026-02-30, 24:00:00, 23:59:60 ... */
	/* A fraction is kept to the nanosecond (the store has milliseconds:
	   a bound of 29.5 is after a job of 29.400, which it excludes). */
	for (k = 20, scale = 100000000; n > 20 && k < n - 1 && scale > 0;
	     k++, scale /= 10)
		ts.tv_nsec += (s[k] - '0') * scale;
	util_time_rfc3339(&ts, out, len);
	return true;
}

/*
 * POST /v1/purge {"before": TIME, "states": [STATE...]}: admin only.
 * Removes at most 200 ended jobs a call; "more" says to call again.
 */
static void
server_purge(struct core *c, struct evhttp_request *req,
    const struct settings_token *tok)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in), i;
	json_t *body, *before, *states, *v;
	char when[40];
	enum job_state st;
	unsigned mask = 0;
	struct error e;
	int removed;
	bool more;

	if (tok->role != ROLE_ADMIN) {
		reply_error(&c->metrics, req, 403,
		    "purging jobs needs an admin token", NULL);
		return;
	}
	body = json_loadb(len > 0 ? (const char *)evbuffer_pullup(in, -1) : "",
	    len, JSON_REJECT_DUPLICATES, NULL);
	before = json_object_get(body, "before");
	states = json_object_get(body, "states");
	if (!json_is_object(body) ||
	    json_object_size(body) != 1 + (states != NULL) ||
	    !json_is_string(before) ||
	    !server_purge_time(json_string_value(before), when, sizeof(when))) {
		json_decref(body);
		reply_error(&c->metrics, req, 400,
		    "the body must be {\"before\": \"YYYY-MM-DD\" or an "
		    "RFC 3339 time in UTC, \"states\": [final states]}",
		    "before");
		return;
	}
	if (states == NULL)
		mask = ~0u;
	else if (!json_is_array(states) || json_array_size(states) == 0)
		mask = 0;
	else
		json_array_foreach (states, i, v) {
			if (!json_is_string(v) ||
			    job_state_parse(json_string_value(v), &st) == -1 ||
			    !job_state_final(st)) {
				mask = 0;
				break;
			}
			mask |= 1u << st;
		}
	json_decref(body);
	if (mask == 0) {
		reply_error(&c->metrics, req, 400,
		    "'states' must list final states (COMPLETED, FAILED, "
		    "TIMEOUT, ...)",
		    "states");
		return;
	}
	if (core_purge(c, when, mask, 200, &removed, &more, &e) == -1) {
		reply_error(&c->metrics, req, 500, e.msg, NULL);
		return;
	}
	reply_json(&c->metrics, req, 200,
	    json_pack("{s:i, s:b, s:s}", "purged", removed, "more", more,
		"before", when));
}

/* GET /metrics: Prometheus text format; a submit token sees its own
   tenant's per-tenant series, and no other tenant's name. */
static void
server_metrics(struct core *c, struct evhttp_request *req,
    const struct settings_token *tok)
{
	char *text = view_metrics_text_for(c,
	    tok->role == ROLE_ADMIN ? NULL : tok->name);

	if (text == NULL) {
		reply_error(&c->metrics, req, 500, "out of memory", NULL);
		return;
	}
	reply_raw(&c->metrics, req, "text/plain; version=0.0.4; charset=utf-8",
	    text, strlen(text));
	free(text);
}

/* Route every request; own is the token whose address it came to, if it
   came to one (server_route_own). */
static void
server_route_at(struct server *s, struct evhttp_request *req,
    const struct settings_token *own)
{
	struct core *c = s->core;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw = evhttp_uri_get_path(uri);
	const struct settings_token *tok;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	char *path = NULL;
	const char *rest;
	size_t idlen, dlen;
	int64_t id;

	access_begin(&c->metrics, req);
	/* A decoded path with a NUL in it (%00) is refused outright. */
	if (raw == NULL || (path = evhttp_uridecode(raw, 0, &dlen)) == NULL ||
	    strlen(path) != dlen) {
		reply_error(&c->metrics, req, 400, "bad path", NULL);
		goto out;
	}
	if (server_cors(c, req))
		goto out;
	/* The dashboard's files: no token (the page asks for one). */
	if (ui_route(s->ui, &c->metrics, req, path))
		goto out;
	if (server_compat(s, req, raw, path, own))
		goto out;
	if (strcmp(path, "/v1/health") == 0) {
		bool full = core_free_bytes(c) <= c->set.min_free_bytes;

		if (method != EVHTTP_REQ_GET)
			server_bad_method(c, req, "GET");
		else
			reply_json(&c->metrics, req, 200,
			    json_pack("{s:s, s:b, s:s, s:I}", "status",
				c->store_failing || full ? "degraded" : "ok",
				"draining", c->draining, "store",
				c->store_failing ? "failing"
				    : full       ? "full"
						 : "ok",
				"unsaved_jobs", (json_int_t)c->nunsaved));
		goto out;
	}
	if ((tok = server_auth(c, req)) == NULL)
		goto out;
	access_tenant(&c->metrics, req, tok->name, ACCESS_AUTH_HEADER);
	/* Submissions of this turn of the loop are committed together; any
	   other request sees them committed first. */
	if (strcmp(path, "/v1/jobs") != 0 || method != EVHTTP_REQ_POST)
		core_batch_flush(c);
	if (strcmp(path, "/v1/jobs") == 0) {
		if (method == EVHTTP_REQ_POST)
			server_submit(s, req, tok);
		else if (method == EVHTTP_REQ_GET)
			server_list(c, req, tok);
		else
			server_bad_method(c, req, "GET, POST");
		goto out;
	}
	if (strcmp(path, "/v1/nodes") == 0) {
		if (method == EVHTTP_REQ_GET)
			reply_json(&c->metrics, req, 200, view_nodes_json(c));
		else
			server_bad_method(c, req, "GET");
		goto out;
	}
	if (strncmp(path, "/v1/nodes/", 10) == 0) {
		server_node(c, req, tok, path + 10);
		goto out;
	}
	if (strcmp(path, "/v1/runtimes") == 0) {
		if (method == EVHTTP_REQ_GET)
			reply_json(&c->metrics, req, 200,
			    view_runtimes_json(c));
		else
			server_bad_method(c, req, "GET");
		goto out;
	}
	if (strcmp(path, "/v1/purge") == 0) {
		if (method == EVHTTP_REQ_POST)
			server_purge(c, req, tok);
		else
			server_bad_method(c, req, "POST");
		goto out;
	}
	if (strcmp(path, "/v1/caps") == 0) {
		if (method == EVHTTP_REQ_GET)
			reply_json(&c->metrics, req, 200,
			    json_pack("{s:I, s:I, s:I, s:I, s:I}", "max_files",
				(json_int_t)c->set.caps.max_files,
				"max_file_bytes",
				(json_int_t)c->set.caps.max_file_bytes,
				"max_submission_bytes",
				(json_int_t)c->set.caps.max_total_bytes,
				"max_body_bytes",
				(json_int_t)c->set.max_body_bytes,
				"max_batch_jobs",
				(json_int_t)c->set.max_batch_jobs));
		else
			server_bad_method(c, req, "GET");
		goto out;
	}
	/* Whose the token is: the CLI's --me (squeue's) asks, to filter by
	   its own tenant with a token that sees every tenant. */
	if (strcmp(path, "/v1/whoami") == 0) {
		if (method == EVHTTP_REQ_GET)
			reply_json(&c->metrics, req, 200,
			    json_pack("{s:s, s:s}", "tenant", tok->name, "role",
				tok->role == ROLE_ADMIN ? "admin" : "submit"));
		else
			server_bad_method(c, req, "GET");
		goto out;
	}
	if (strcmp(path, "/metrics") == 0) {
		if (method == EVHTTP_REQ_GET)
			server_metrics(c, req, tok);
		else
			server_bad_method(c, req, "GET");
		goto out;
	}
	if (strcmp(path, "/v1/jobs/batch") == 0) {
		if (method == EVHTTP_REQ_POST)
			server_batch(c, req, tok);
		else
			server_bad_method(c, req, "POST");
		goto out;
	}
	if (strncmp(path, "/v1/jobs/", 9) == 0) {
		idlen = strcspn(path + 9, "/");
		rest = path + 9 + idlen;
		if (!server_job_id(path + 9, idlen, &id)) {
			reply_error(&c->metrics, req, 404, "no such job", NULL);
			goto out;
		}
		server_job(s, req, tok, id, rest);
		goto out;
	}
	reply_error(&c->metrics, req, 404, "no such resource", NULL);
out:
	free(path);
}

/* Why evhttp could not bind (errno cleared before): an address that does
   not resolve leaves errno as it was. */
static const char *
server_bind_why(void)
{
	return errno != 0 ? strerror(errno)
			  : "not an address of this machine (the name does "
			    "not resolve)";
}

/* A request at the daemon's own listen, and at a tenant's. */
static void
server_route(struct evhttp_request *req, void *arg)
{
	server_route_at(arg, req, NULL);
}

static void
server_route_own(struct evhttp_request *req, void *arg)
{
	struct server_listen *l = arg;

	server_route_at(l->s, req, l->tok);
}

/* An evhttp as the API's, every request to cb with arg; NULL on failure. */
static struct evhttp *
server_http_new(struct core *c, void (*cb)(struct evhttp_request *, void *),
    void *arg)
{
	struct evhttp *http;

	if ((http = evhttp_new(c->base)) == NULL)
		return NULL;
	/* Bodies up to twice the configured cap reach server_submit, which
	   answers 413 in JSON; a longer one is answered by conns.c as soon
	   as its length is read. */
	evhttp_set_max_body_size(http,
	    (ev_ssize_t)(c->set.max_body_bytes * 2 + 65536));
	evhttp_set_max_headers_size(http, SERVER_HEADERS_MAX);
	/* Idle between requests, or stalled in one (a held long poll is
	   not idle: evhttp does not read while it holds it). */
	evhttp_set_timeout(http, (int)c->set.idle_timeout_seconds);
	/* Read the rest of an oversized body before closing, so the client
	   sees the 413 instead of a reset. */
	evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_default_content_type(http, "application/json");
	evhttp_set_allowed_methods(http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE |
		EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD |
		EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(http, cb, arg);
	return http;
}

/* Create the server, bind it, and hold the long polls. */
struct server *
server_new(struct core *c, struct error *e)
{
	struct evhttp_bound_socket **bound = NULL;
	struct evhttp **https = NULL;
	struct server_listen *l;
	struct conns_conf cc;
	struct server *s;
	const struct settings_token *t;
	char where[SETTINGS_LISTEN_STR_MAX];
	size_t i, nbound = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->core = c;
	/* A dashboard asked for must be there; the default may be absent
	   (a daemon run from its build tree). */
	if ((s->ui = ui_new(c->set.ui_dir, e)) == NULL) {
		if (c->set.ui_dir_given || e->code == ERR_NOMEM)
			goto fail;
		log_warn("no dashboard: %s", e->msg);
		if ((s->ui = ui_new_off("the dashboard is not installed "
					"(sluice.conf's ui_dir)")) == NULL) {
			error_set(e, ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if ((s->waiters = waiter_set_new(c)) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((s->follow = follow_set_new(c, s->waiters)) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((bound = calloc(c->set.ntokens + 1, sizeof(*bound))) == NULL ||
	    (https = calloc(c->set.ntokens + 1, sizeof(*https))) == NULL ||
	    (s->tl = calloc(c->set.ntokens, sizeof(*s->tl))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((s->http = server_http_new(c, server_route, s)) == NULL) {
		error_set(e, ERR_SYS, "cannot create the HTTP server");
		goto fail;
	}
	https[nbound] = s->http;
	errno = 0;
	bound[nbound] = evhttp_bind_socket_with_handle(s->http,
	    c->set.listen_host, (ev_uint16_t)c->set.listen_port);
	if (bound[nbound] == NULL) {
		error_set(e, ERR_SYS, "cannot listen on %s: %s",
		    settings_listen_str(c->set.listen_host, c->set.listen_port,
			where),
		    server_bind_why());
		goto fail;
	}
	nbound++;
	/* The tenants' own addresses: the same API, each on an evhttp of
	   its own, where a request that gives no token is the tenant's
	   (server_compat). */
	for (i = 0; i < c->set.ntokens; i++) {
		t = &c->set.tokens[i];
		if (t->listen_port == 0)
			continue;
		l = &s->tl[s->ntl];
		l->s = s;
		l->tok = t;
		if ((l->http = server_http_new(c, server_route_own, l)) ==
		    NULL) {
			error_set(e, ERR_SYS, "cannot create the HTTP server");
			goto fail;
		}
		s->ntl++;
		https[nbound] = l->http;
		errno = 0;
		bound[nbound] = evhttp_bind_socket_with_handle(l->http,
		    t->listen_host, (ev_uint16_t)t->listen_port);
		if (bound[nbound] == NULL) {
			error_set(e, ERR_SYS,
			    "cannot listen on %s (token '%s'): %s",
			    settings_listen_str(t->listen_host, t->listen_port,
				where),
			    t->name, server_bind_why());
			goto fail;
		}
		log_info("listening on %s for tenant '%s'",
		    settings_listen_str(t->listen_host, t->listen_port, where),
		    t->name);
		nbound++;
	}
	cc.max_connections = c->set.max_connections;
	cc.header_timeout_seconds = c->set.header_timeout_seconds;
	cc.max_body_bytes = c->set.max_body_bytes * 2 + 65536;
	cc.metrics = &c->metrics;
	c->metrics.access.log = c->set.access_log;
	if ((s->conns = conns_new(c->base, https, bound, nbound, &cc, e)) ==
	    NULL)
		goto fail;
	log_info("listening on %s with %zu nodes",
	    settings_listen_str(c->set.listen_host, c->set.listen_port, where),
	    c->nnodes);
	free(bound);
	free(https);
	return s;
fail:
	free(bound);
	free(https);
	server_free(s);
	return NULL;
}

/* Stop listening and free the server. */
void
server_free(struct server *s)
{
	size_t i;

	if (s == NULL)
		return;
	conns_free(s->conns);
	/* The held long polls go with their connections. */
	if (s->http != NULL)
		evhttp_free(s->http);
	for (i = 0; i < s->ntl; i++)
		evhttp_free(s->tl[i].http);
	follow_set_free(s->follow);
	waiter_set_free(s->waiters);
	ui_free(s->ui);
	free(s->tl);
	free(s);
}
