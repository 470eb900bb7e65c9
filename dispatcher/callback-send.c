/*
 * Job callbacks, the sending half: deliveries on the core's event loop.
 * See callback.h.
 *
 * The store's callbacks table is the queue: a row becomes "pending" in the
 * commit that ends its job, and each second (or at once when a job ends)
 * the rows due are started, at most callback_max_concurrent at a time.  An
 * attempt builds the job object as GET /v1/jobs/ID gives it, signs it,
 * resolves the host itself (evdns, never blocking), checks every address
 * against the policy and connects to one that is allowed, by address, so
 * that the address checked is the address connected to (over TLS for https,
 * the certificate verified for the host the URL names: tls.h).  The answer's
 * status line and headers are read (at most 8 KiB), never its body; any 2xx
 * is delivered.  Anything else, an error or no answer within
 * callback_timeout_seconds (resolving included), is tried again after a
 * back-off until callback_retry_seconds after the job's end have passed.
 * The outcome of each attempt is committed to the row; an attempt cut short
 * by a stop is made again after a restart (deliveries are at least once).
 *
 * An attempt's resources are freed only in its reap event, never inside
 * one of libevent's callbacks (some of which run inside the very call that
 * starts an attempt).
 */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "callback.h"
#include "core.h"
#include "log.h"
#include "tls.h"
#include "view.h"

#define CALLBACK_POLL_MS 1000
#define CALLBACK_MAX_HEADERS_BYTES 8192
#define CALLBACK_ADDRS_MAX 16 /* of a host's addresses, those looked at */
/* After the store failed to record an outcome: no attempt for this long
   (so that a receiver is not sent the same job every second). */
#define CALLBACK_HOLD_MS 10000

/* One attempt in flight. */
struct callback_send {
	struct callback *cb;
	int64_t id;
	int attempts; /* made before this one */
	int64_t ended_ms; /* the job's end (Unix ms) */
	struct callback_url u;
	char where[300]; /* host:port, for logs (never the path) */
	struct evbuffer *body;
	char signature[CALLBACK_SIGNATURE_MAX];
	struct evdns_getaddrinfo_request *dns; /* while resolving */
	bool resolving;
	struct evhttp_connection *conn;
	bool requesting; /* until the request's callback */
	struct event *timer; /* the attempt's deadline */
	struct event *reap; /* records the outcome and frees */
	bool ended; /* the outcome is known */
	bool ok;
	bool permanent; /* another attempt would fare no better */
	int status; /* the answer's HTTP status; 0: none */
	char error[300];
	struct callback_send *next;
};

struct callback {
	struct core *c;
	struct event *ev_poll;
	struct evdns_base *dns; /* made at the first name to resolve */
	struct tls_client *tls; /* for https:// */
	struct callback_send *sends; /* in flight */
	size_t nsends;
	int64_t *due; /* room for the ids of one poll */
	size_t ndue;
	int64_t hold_until_ms; /* CALLBACK_HOLD_MS after a failed record */
	struct callback_stats stats;
};

static void callback_poll(struct callback *cb);

/* Milliseconds since the epoch (the store's times: they outlive us). */
static int64_t
callback_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The outcome of an attempt is known: the reap event records it. */
static void
callback_end(struct callback_send *s, bool ok, bool permanent, const char *why)
{
	if (s->ended)
		return;
	s->ended = true;
	s->ok = ok;
	s->permanent = permanent;
	if (why != NULL)
		snprintf(s->error, sizeof(s->error), "%s", why);
	event_active(s->reap, EV_TIMEOUT, 1);
}

/* The answer's status line and headers: its status is all we read. */
static int
callback_headers(struct evhttp_request *req, void *arg)
{
	struct callback_send *s = arg;

	s->status = evhttp_request_get_response_code(req);
	/* Stop here: the body is not read (the connection is closed). */
	return -1;
}

/* Why a request failed, in words. */
static void
callback_failed(enum evhttp_request_error err, void *arg)
{
	struct callback_send *s = arg;
	const char *why;

	switch (err) {
	case EVREQ_HTTP_TIMEOUT:
		why = "timed out";
		break;
	case EVREQ_HTTP_EOF:
		why = "the connection was closed before an answer";
		break;
	case EVREQ_HTTP_INVALID_HEADER:
		why = "the answer was not HTTP";
		break;
	case EVREQ_HTTP_DATA_TOO_LONG:
		why = "the answer's headers were too long";
		break;
	default:
		why = "the connection failed";
		break;
	}
	if (s->status == 0)
		snprintf(s->error, sizeof(s->error), "%s: %s", s->where, why);
}

/* The request is over: answered (its status known) or failed. */
static void
callback_done(struct evhttp_request *req, void *arg)
{
	struct callback_send *s = arg;
	char why[400], tls[256];

	(void)req;
	s->requesting = false;
	if (s->status >= 200 && s->status <= 299) {
		callback_end(s, true, false, NULL);
		return;
	}
	if (s->status > 0)
		snprintf(why, sizeof(why), "%s answered %d%s", s->where,
		    s->status,
		    s->status >= 300 && s->status <= 399
			? " (redirects are not followed)"
			: "");
	else if (s->u.tls && s->conn != NULL &&
	    tls_why(evhttp_connection_get_bufferevent(s->conn), tls,
		sizeof(tls)))
		snprintf(why, sizeof(why), "%s: %s", s->where, tls);
	else if (s->error[0] != '\0')
		snprintf(why, sizeof(why), "%s", s->error);
	else
		snprintf(why, sizeof(why), "%s: cannot connect", s->where);
	callback_end(s, false, false, why);
}

/* Send the attempt's request to address a (allowed). */
static void
callback_connect(struct callback_send *s, const struct callback_addr *to)
{
	const struct settings *set = &s->cb->c->set;
	struct callback_addr a = callback_addr_unmap(to);
	struct event_base *base = event_get_base(s->reap);
	struct evhttp_request *req;
	struct bufferevent *bev;
	struct evkeyvalq *h;
	char ip[64], host[CALLBACK_HOST_MAX + 16], len[32];
	struct timeval tv;

	callback_addr_text(&a, ip, sizeof(ip));
	if (s->u.is_addr)
		snprintf(s->where, sizeof(s->where), "%s port %u", ip,
		    s->u.port);
	else
		snprintf(s->where, sizeof(s->where), "%s (%s) port %u",
		    s->u.host, ip, s->u.port);
	if (s->u.tls) {
		/* Verified against the host the URL names, whatever address
		   it connects to. */
		if ((bev = tls_bufferevent(s->cb->tls, base, s->u.host,
			 s->u.is_addr)) == NULL) {
			callback_end(s, false, false, "cannot set up TLS");
			return;
		}
		if ((s->conn = evhttp_connection_base_bufferevent_new(base,
			 NULL, bev, ip, (ev_uint16_t)s->u.port)) == NULL)
			bufferevent_free(bev);
	} else
		s->conn = evhttp_connection_base_new(base, NULL, ip,
		    (ev_uint16_t)s->u.port);
	if (s->conn == NULL ||
	    (req = evhttp_request_new(callback_done, s)) == NULL) {
		callback_end(s, false, false, "out of memory");
		return;
	}
	tv.tv_sec = (time_t)set->callback_timeout_seconds;
	tv.tv_usec =
	    (suseconds_t)((set->callback_timeout_seconds - (double)tv.tv_sec) *
		1e6);
	evhttp_connection_set_timeout_tv(s->conn, &tv);
	evhttp_connection_set_retries(s->conn, 0);
	evhttp_connection_set_max_headers_size(s->conn,
	    CALLBACK_MAX_HEADERS_BYTES);
	evhttp_request_set_header_cb(req, callback_headers);
	evhttp_request_set_error_cb(req, callback_failed);
	h = evhttp_request_get_output_headers(req);
	if (s->u.port == (s->u.tls ? 443u : 80u))
		snprintf(host, sizeof(host), "%s%s%s",
		    s->u.is_addr && s->u.addr.family == AF_INET6 ? "[" : "",
		    s->u.host,
		    s->u.is_addr && s->u.addr.family == AF_INET6 ? "]" : "");
	else
		snprintf(host, sizeof(host), "%s%s%s:%u",
		    s->u.is_addr && s->u.addr.family == AF_INET6 ? "[" : "",
		    s->u.host,
		    s->u.is_addr && s->u.addr.family == AF_INET6 ? "]" : "",
		    s->u.port);
	snprintf(len, sizeof(len), "%zu", evbuffer_get_length(s->body));
	evhttp_add_header(h, "Host", host);
	evhttp_add_header(h, "User-Agent", "sluice/" PACKAGE_VERSION);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Content-Length", len);
	evhttp_add_header(h, "Sluice-Signature", s->signature);
	evhttp_add_header(h, "Connection", "close");
	evbuffer_add_buffer(evhttp_request_get_output_buffer(req), s->body);
	s->requesting = true;
	/* A connection refused at once calls callback_done() in here. */
	if (evhttp_make_request(s->conn, req, EVHTTP_REQ_POST, s->u.target) ==
	    -1) {
		s->requesting = false;
		callback_end(s, false, false, "cannot start the request");
	}
}

/* Whether a connection to a may be made: if not, the attempt ends. */
static bool
callback_check(struct callback_send *s, const struct callback_addr *a,
    char *why, size_t len)
{
	return callback_allowed(&s->cb->c->set.callback, &s->u, a, why, len);
}

/*
 * A host name that gives no address a callback may go to: the operator's
 * log says why (what it resolves to, or that it does not), the tenant's
 * job object only that it was refused.  Else the tenant could learn what
 * internal names exist and where they point.
 */
static void
callback_name_refused(struct callback_send *s, const char *why)
{
	char told[CALLBACK_URL_MAX + 96];

	if (s->u.is_addr) {
		callback_end(s, false, false, why);
		return;
	}
	log_info("job %lld: callback to '%s' refused: %s", (long long)s->id,
	    s->u.host, why);
	snprintf(told, sizeof(told),
	    "'%s' resolves to no address callback_allow lets a callback go to",
	    s->u.host);
	callback_end(s, false, false, told);
}

/*
 * The host's addresses: connect to one that is allowed, by address.  The
 * attempts of a callback take the allowed ones in turn, so that an address
 * that cannot be reached (an IPv6 one from an IPv4 network) does not fail
 * every attempt.
 */
static void
callback_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct callback_send *s = arg;
	struct callback_addr ok[CALLBACK_ADDRS_MAX], a, refused;
	struct evutil_addrinfo *ai;
	char why[400];
	size_t nok = 0;
	bool any = false;

	s->dns = NULL;
	s->resolving = false;
	if (result == EVUTIL_EAI_CANCEL) {
		/* Cancelled by the deadline, which said why. */
		callback_end(s, false, false, NULL);
		return;
	}
	if (result != 0) {
		snprintf(why, sizeof(why), "cannot resolve '%s': %s", s->u.host,
		    evutil_gai_strerror(result));
		callback_name_refused(s, why);
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	memset(&refused, 0, sizeof(refused));
	for (ai = res; ai != NULL && nok < CALLBACK_ADDRS_MAX;
	     ai = ai->ai_next) {
		memset(&a, 0, sizeof(a));
		if (ai->ai_family == AF_INET &&
		    ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
			a.family = AF_INET;
			memcpy(a.b,
			    &((struct sockaddr_in *)(void *)ai->ai_addr)
				 ->sin_addr,
			    4);
		} else if (ai->ai_family == AF_INET6 &&
		    ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
			a.family = AF_INET6;
			memcpy(a.b,
			    &((struct sockaddr_in6 *)(void *)ai->ai_addr)
				 ->sin6_addr,
			    16);
		} else
			continue;
		if (callback_check(s, &a, NULL, 0))
			ok[nok++] = a;
		else if (!any) {
			refused = a;
			any = true;
		}
	}
	evutil_freeaddrinfo(res);
	if (nok > 0) {
		callback_connect(s, &ok[(size_t)s->attempts % nok]);
		return;
	}
	if (any)
		(void)callback_check(s, &refused, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "'%s' has no address", s->u.host);
	callback_name_refused(s, why);
}

/* Resolve the host (or take its address) and go on to connect. */
static void
callback_resolve(struct callback_send *s)
{
	struct callback *cb = s->cb;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *r;
	char why[400];

	if (s->u.is_addr) {
		/* Allowed at submission; the policy may have changed since,
		   and will not change back by trying again. */
		if (!callback_check(s, &s->u.addr, why, sizeof(why)))
			callback_end(s, false, true, why);
		else
			callback_connect(s, &s->u.addr);
		return;
	}
	if (cb->dns == NULL &&
	    (cb->dns = evdns_base_new(event_get_base(s->reap),
		 EVDNS_BASE_INITIALIZE_NAMESERVERS |
		     EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL) {
		callback_end(s, false, false, "cannot start the resolver");
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	s->resolving = true;
	/* An answer known at once (the hosts file) comes in this call. */
	r = evdns_getaddrinfo(cb->dns, s->u.host, NULL, &hints,
	    callback_resolved, s);
	if (s->resolving)
		s->dns = r;
}

/* The attempt's deadline: no answer in callback_timeout_seconds. */
static void
callback_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct callback_send *s = arg;
	char why[400];

	(void)fd;
	(void)what;
	if (s->ended)
		return;
	snprintf(why, sizeof(why), "%s: no answer within %g seconds",
	    s->where[0] != '\0' ? s->where : s->u.host,
	    s->cb->c->set.callback_timeout_seconds);
	snprintf(s->error, sizeof(s->error), "%s", why);
	if (s->dns != NULL) {
		/* Its callback comes later, with EVUTIL_EAI_CANCEL, and
		   ends the attempt (s lives until then). */
		evdns_getaddrinfo_cancel(s->dns);
		return;
	}
	if (s->conn != NULL) {
		/* Frees the request without calling its callbacks. */
		evhttp_connection_free(s->conn);
		s->conn = NULL;
		s->requesting = false;
	}
	callback_end(s, false, false, why);
}

/* Free an attempt (unlinked already, or never linked). */
static void
callback_send_free(struct callback_send *s)
{
	if (s->dns != NULL)
		evdns_getaddrinfo_cancel(s->dns);
	if (s->conn != NULL)
		evhttp_connection_free(s->conn);
	if (s->body != NULL)
		evbuffer_free(s->body);
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->reap != NULL)
		event_free(s->reap);
	free(s);
}

/* Record an attempt's outcome, free it, and start what is due. */
static void
callback_reap(evutil_socket_t fd, short what, void *arg)
{
	struct callback_send *s = arg, **pp;
	struct callback *cb = s->cb;
	const struct settings *set = &cb->c->set;
	int attempts = s->attempts + 1;
	int64_t now = callback_now_ms(), due = now;
	const char *state;
	char last[256];
	struct error e;

	(void)fd;
	(void)what;
	for (pp = &cb->sends; *pp != NULL && *pp != s; pp = &(*pp)->next)
		;
	if (*pp == s) {
		*pp = s->next;
		cb->nsends--;
	}
	snprintf(last, sizeof(last), "%s", s->error);
	if (s->ok) {
		state = "delivered";
		last[0] = '\0';
		cb->stats.delivered++;
		log_info("job %lld: callback delivered to %s (attempt %d)",
		    (long long)s->id, s->where, attempts);
	} else {
		cb->stats.attempts_failed++;
		due = now + callback_backoff_ms(attempts);
		if (s->permanent ||
		    due > s->ended_ms +
			    (int64_t)(set->callback_retry_seconds * 1000)) {
			state = "failed";
			cb->stats.failed++;
			log_warn("job %lld: callback given up after %d "
				 "attempt%s: %s",
			    (long long)s->id, attempts, attempts > 1 ? "s" : "",
			    last);
		} else {
			state = "pending";
			log_info("job %lld: callback attempt %d failed: %s; "
				 "next in %lld s",
			    (long long)s->id, attempts, last,
			    (long long)((due - now) / 1000));
		}
	}
	if (store_callback_set(cb->c->st, s->id, state, attempts, due, last,
		&e) == -1) {
		log_warn("job %lld: cannot record its callback's attempt: %s",
		    (long long)s->id, e.msg);
		cb->hold_until_ms = now + CALLBACK_HOLD_MS;
	}
	callback_send_free(s);
	callback_poll(cb);
}

/* Start an attempt for job id's callback. */
static void
callback_start(struct callback *cb, int64_t id)
{
	struct core *c = cb->c;
	const struct settings_token *tok = NULL;
	struct callback_send *s;
	struct store_callback row;
	struct timeval tv;
	struct error e;
	struct job j;
	size_t i;

	if (store_callback_get(c->st, id, &row, &e) == -1) {
		if (e.code != ERR_NOTFOUND)
			log_warn("job %lld: %s", (long long)id, e.msg);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("out of memory");
	s->cb = cb;
	s->id = id;
	s->attempts = row.attempts;
	s->ended_ms = row.ended_ms;
	s->timer = evtimer_new(c->base, callback_timeout, s);
	s->reap = event_new(c->base, -1, 0, callback_reap, s);
	if (s->timer == NULL || s->reap == NULL)
		fatal("out of memory");
	s->next = cb->sends;
	cb->sends = s;
	cb->nsends++;
	if (callback_url_parse(row.url, &s->u, &e) == -1) {
		callback_end(s, false, true, e.msg);
		return;
	}
	snprintf(s->where, sizeof(s->where), "%s port %u", s->u.host,
	    s->u.port);
	if (core_job_view(c, id, &j, &e) == -1) {
		callback_end(s, false, true, e.msg);
		return;
	}
	for (i = 0; i < c->set.ntokens; i++)
		if (strcmp(c->set.tokens[i].name, j.tenant) == 0)
			tok = &c->set.tokens[i];
	if (tok == NULL || tok->callback_secret[0] == '\0') {
		snprintf(e.msg, sizeof(e.msg),
		    "tenant '%s' has no callback_secret in sluice.conf any "
		    "more",
		    j.tenant);
		callback_end(s, false, true, e.msg);
		return;
	}
	if ((s->body = view_job_text(c, &j)) == NULL ||
	    callback_signature(tok->callback_secret, (int64_t)time(NULL),
		evbuffer_pullup(s->body, -1), evbuffer_get_length(s->body),
		s->signature) == -1) {
		callback_end(s, false, false, "cannot sign the job object");
		return;
	}
	tv.tv_sec = (time_t)c->set.callback_timeout_seconds;
	tv.tv_usec = (suseconds_t)((c->set.callback_timeout_seconds -
				       (double)tv.tv_sec) *
	    1e6);
	evtimer_add(s->timer, &tv);
	callback_resolve(s);
}

/* Whether job id has an attempt in flight. */
static bool
callback_in_flight(const struct callback *cb, int64_t id)
{
	const struct callback_send *s;

	for (s = cb->sends; s != NULL; s = s->next)
		if (s->id == id)
			return true;
	return false;
}

/* Start the deliveries that are due, as many as there is room for. */
static void
callback_poll(struct callback *cb)
{
	struct core *c = cb->c;
	size_t max = c->set.callback_max_concurrent;
	int64_t now = callback_now_ms();
	struct error e;
	int n, i;

	/* Nothing is started that could not be recorded. */
	if (cb->nsends >= max || c->store_failing || now < cb->hold_until_ms)
		return;
	/* Those in flight are pending and due too: max rows hold them and
	   enough others to fill the room left.  A tenant has half the room
	   at most: another's callbacks never wait for its slow receivers. */
	if (store_callbacks_due(c->st, now, (int)max,
		(int)(max > 1 ? max / 2 : 1), cb->due, &n, &e) == -1) {
		log_warn("%s", e.msg);
		return;
	}
	for (i = 0; i < n && cb->nsends < max; i++)
		if (!callback_in_flight(cb, cb->due[i]))
			callback_start(cb, cb->due[i]);
}

/* The poll's event: every second, and at once after a kick. */
static void
callback_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	callback_poll(arg);
}

/* Start the sender. */
struct callback *
callback_new(struct core *c, struct error *e)
{
	struct timeval tv = { 0, CALLBACK_POLL_MS * 1000 };
	struct callback *cb;

	if ((cb = calloc(1, sizeof(*cb))) == NULL ||
	    (cb->due = calloc(c->set.callback_max_concurrent,
		 sizeof(*cb->due))) == NULL) {
		free(cb);
		error_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	cb->c = c;
	cb->ndue = c->set.callback_max_concurrent;
	if ((cb->tls = tls_client_new(c->set.callback_ca_file, e->msg,
		 sizeof(e->msg))) == NULL) {
		e->code = ERR_INVALID;
		snprintf(e->field, sizeof(e->field), "callback_ca_file");
		callback_free(cb);
		return NULL;
	}
	if (CALLBACK_POLL_MS >= 1000) {
		tv.tv_sec = CALLBACK_POLL_MS / 1000;
		tv.tv_usec = (CALLBACK_POLL_MS % 1000) * 1000;
	}
	if ((cb->ev_poll = event_new(c->base, -1, EV_PERSIST, callback_poll_cb,
		 cb)) == NULL ||
	    event_add(cb->ev_poll, &tv) == -1) {
		callback_free(cb);
		error_set(e, ERR_SYS, "cannot set up callbacks");
		return NULL;
	}
	/* Deliveries left pending by the last run start at once. */
	callback_kick(cb);
	return cb;
}

/* Stop, dropping what is in flight (the rows stay pending). */
void
callback_free(struct callback *cb)
{
	struct callback_send *s;

	if (cb == NULL)
		return;
	while ((s = cb->sends) != NULL) {
		cb->sends = s->next;
		/* The loop has stopped: a cancelled lookup's callback never
		   runs. */
		callback_send_free(s);
	}
	if (cb->dns != NULL)
		evdns_base_free(cb->dns, 0);
	if (cb->ev_poll != NULL)
		event_free(cb->ev_poll);
	tls_client_free(cb->tls);
	free(cb->due);
	free(cb);
}

/* Look for deliveries due now. */
void
callback_kick(struct callback *cb)
{
	if (cb != NULL && cb->ev_poll != NULL)
		event_active(cb->ev_poll, EV_TIMEOUT, 1);
}

/* Counters for /metrics. */
void
callback_stats(const struct callback *cb, struct callback_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (cb == NULL)
		return;
	*out = cb->stats;
	out->in_flight = cb->nsends;
}
