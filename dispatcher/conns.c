/* The API's connections, counted, capped and guarded: see conns.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "conns.h"
#include "log.h"

#define CONNS_SWEEP_SECONDS 0.25
#define CONNS_LINE_MAX \
	256 /* of a header line, enough for its name and a length */
#define CONNS_ACCEPT_BATCH 64
#define CONNS_LOG_EVERY_SECONDS 10.0
#define CONNS_RETRY_AFTER "1"

/* How far a connection's request stream has been read, as evhttp reads it:
   only as much as finding each head's end and each body's length takes. */
enum conns_state {
	CONNS_HEAD, /* reading a request line and headers */
	CONNS_BODY, /* skipping a body of known length */
	CONNS_BLIND /* a chunked body: framing no longer followed, evhttp's
		       own limits apply from here on */
};

struct conns_entry {
	struct bufferevent *bev; /* one reference is ours */
	struct evbuffer_cb_entry *watch;
	struct conns *g;
	struct conns_listen *l; /* the socket it came in at */
	enum conns_state state;
	uint64_t added; /* bytes of the stream so far */
	uint64_t fed; /* bytes of it this parser has gone through */
	double head_began; /* when this head's first byte came; 0: none yet */
	uint64_t head_at; /* where in the stream this head began */
	uint64_t body_left;
	bool seen_request_line;
	bool may_have_body; /* POST, PUT or PATCH: evhttp reads a body */
	bool chunked; /* a Transfer-Encoding header */
	bool length_seen;
	bool length_bad; /* not a length evhttp would take or answer */
	bool last_was_framing; /* the last header was Content-Length or
				  Transfer-Encoding (for folded lines) */
	uint64_t length;
	bool cut; /* answered or timed out by us: evhttp sees it end */
	bool nodelay; /* TCP_NODELAY set */
	int pending; /* a status to answer once evhttp is at this head */
	const char *pending_why;
	uint64_t pending_at;
	size_t line_len; /* of the current line, all of it */
	char line[CONNS_LINE_MAX];
};

/* One listening socket: evhttp's listener, and our acceptor on the same
   socket while evhttp's is off; its connections, and how many it may
   hold (0: as many as the cap). */
struct conns_listen {
	struct conns *g;
	struct evconnlistener *listener; /* evhttp's */
	struct event *acceptor;
	size_t n, share;
	bool taken; /* our acceptor has it */
};

struct conns {
	struct conns_listen *l; /* every socket the API listens on */
	size_t nl;
	struct event *sweeper;
	struct conns_conf cf;
	size_t cap;
	struct conns_entry **v;
	size_t n, size;
	int reserve; /* a descriptor to give up when none is left */
	bool ours; /* our acceptors have every listening socket */
	bool paused; /* no descriptor even in reserve: the acceptor waits */
	bool starved; /* accept() has failed for want of descriptors */
	bool starve_logged; /* ... and said so */
	double starved_until; /* keep the listener until then (back-off) */
	double starve_backoff;
	uint64_t refused_episode;
	double last_log, last_error_log;
};

static size_t conns_keep_back = 64;
/* evhttp gives its listener's error callback evhttp's own argument, not
   ours: the one guard of the process. */
static struct conns *conns_current;

/* Now, in seconds on the monotonic clock. */
static double
conns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Raise the descriptor limit; see conns.h. */
void
conns_raise_limit(size_t nnodes)
{
	struct rlimit rl;
	rlim_t was;

	/* Per node: its SSH socket, SFTP and a few channels and spool files
	   at once; then the store, the log and the loop's own. */
	conns_keep_back = 64 + 16 * nnodes;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			rl.rlim_cur = was;
	}
	if (rl.rlim_cur != was)
		log_info("descriptor limit %llu (raised from %llu)",
		    (unsigned long long)rl.rlim_cur, (unsigned long long)was);
	else
		log_info("descriptor limit %llu", (unsigned long long)was);
}

/* Answer a connection we will not serve, and shut its writing side; true
   if the whole answer went. */
static bool
conns_refuse(int fd, int status, const char *why)
{
	char text[512], body[256];
	ssize_t sent;
	int n;

	snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n", why);
	n = snprintf(text, sizeof(text),
	    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	    "%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    status,
	    status == 503       ? "Service Unavailable"
		: status == 413 ? "Payload Too Large"
		: status == 408 ? "Request Timeout"
				: "Bad Request",
	    status == 503 ? "Retry-After: " CONNS_RETRY_AFTER "\r\n" : "",
	    strlen(body), body);
	/* A small answer on a socket with nothing else queued (a fresh one,
	   or one whose output is empty): one non-blocking send, or the
	   answer is not given at all. */
	sent = send(fd, text, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)shutdown(fd, SHUT_WR);
	return sent == n;
}

/* Whether evhttp still has this connection (bufferevent_free() clears the
   callbacks; while evhttp has it, its event callback is always set). */
static bool
conns_held(const struct conns_entry *c)
{
	bufferevent_event_cb eventcb;

	bufferevent_getcb(c->bev, NULL, NULL, &eventcb, NULL);
	return eventcb != NULL;
}

/* Forget a connection evhttp has freed: our reference closes it. */
static void
conns_drop(struct conns *g, size_t i)
{
	struct conns_entry *c = g->v[i];

	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_decref(c->bev);
	c->l->n--;
	free(c);
	g->v[i] = g->v[--g->n];
	g->cf.metrics->http_open = g->n;
}

/* Cut a connection evhttp still has, answering status first (0: none):
   evhttp sees the end and frees it. */
static void
conns_cut(struct conns_entry *c, int status, const char *why)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	c->cut = true;
	c->pending = 0;
	if (fd == -1)
		return;
	if (status != 0 && conns_refuse(fd, status, why))
		metrics_count_response(c->g->cf.metrics, status);
	(void)shutdown(fd, SHUT_RDWR);
}

/*
 * Answer a pending 400 or 413 once it is this head's turn: evhttp has read
 * up to it (so every earlier request was read), is reading (so none is
 * still being answered, as a held long poll is) and has nothing left to
 * send (so every earlier answer went).  Answers stay in request order.
 */
static void
conns_try_pending(struct conns_entry *c)
{
	uint64_t consumed;

	if (c->pending == 0 || c->cut)
		return;
	consumed = c->added -
	    evbuffer_get_length(bufferevent_get_input(c->bev));
	if (consumed >= c->pending_at &&
	    (bufferevent_get_enabled(c->bev) & EV_READ) &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conns_cut(c, c->pending, c->pending_why);
}

/*
 * Hand each listening socket to evhttp, or take it for our acceptor: all
 * of them at the cap (or while descriptors are short), and a tenant's
 * address (conns_new) while it holds its share, so that one address's
 * clients cannot take every connection from the others'.
 */
static void
conns_update_listeners(struct conns *g)
{
	struct conns_listen *l;
	bool take;
	size_t i;

	for (i = 0; i < g->nl; i++) {
		l = &g->l[i];
		take = g->ours || (l->share > 0 && l->n >= l->share);
		if (take == l->taken)
			continue;
		l->taken = take;
		if (take) {
			evconnlistener_disable(l->listener);
			if (!g->paused)
				event_add(l->acceptor, NULL);
		} else {
			event_del(l->acceptor);
			evconnlistener_enable(l->listener);
		}
	}
}

static void
conns_take_listener(struct conns *g, bool ours)
{
	g->ours = ours;
	conns_update_listeners(g);
}

/* Our acceptors: on (on the sockets they have) or off. */
static void
conns_acceptors(struct conns *g, bool on)
{
	size_t i;

	for (i = 0; i < g->nl; i++) {
		if (on && g->l[i].taken)
			event_add(g->l[i].acceptor, NULL);
		else if (!on)
			event_del(g->l[i].acceptor);
	}
}

/* Whether a descriptor can be had now. */
static bool
conns_have_descriptor(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

/* Drop what evhttp freed; cut heads that took too long. */
static void
conns_collect(struct conns *g)
{
	double now = conns_now();
	size_t i = 0;

	while (i < g->n) {
		struct conns_entry *c = g->v[i];

		if (!conns_held(c)) {
			conns_drop(g, i);
			continue;
		}
		conns_try_pending(c);
		/* evhttp reads nothing while it answers (a held long poll):
		   a head it has not asked for yet is not late. */
		if (!(bufferevent_get_enabled(c->bev) & EV_READ)) {
			if (c->head_began > 0)
				c->head_began = now;
		} else if (!c->cut && c->state == CONNS_HEAD &&
		    c->head_began > 0 &&
		    now - c->head_began > g->cf.header_timeout_seconds)
			conns_cut(c, 408,
			    "the request's headers took longer than "
			    "header_timeout_seconds");
		i++;
	}
}

/* The periodic sweep; the listening socket goes back to evhttp once there
   is room and any back-off for want of descriptors is over. */
static void
conns_sweep(struct conns *g)
{
	double now = conns_now();

	conns_collect(g);
	if (g->paused && g->reserve == -1)
		g->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (g->paused && g->reserve != -1) {
		g->paused = false;
		conns_acceptors(g, true);
	}
	if (g->starved && now >= g->starved_until && conns_have_descriptor()) {
		if (g->starve_logged)
			log_info("accepting connections again (%llu refused "
				 "with 503 meanwhile)",
			    (unsigned long long)g->refused_episode);
		g->starved = false;
	}
	if (!g->starved && g->n < g->cap)
		conns_take_listener(g, false);
}

static void
conns_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conns_sweep(arg);
}

/* Count a connection answered 503 on arrival. */
static void
conns_count_refused(struct conns *g, bool for_descriptors)
{
	g->refused_episode++;
	if (for_descriptors)
		g->cf.metrics->http_refused_fds++;
	else
		g->cf.metrics->http_refused_full++;
	metrics_count_response(g->cf.metrics, 503);
}

/*
 * accept() failed for want of descriptors (or memory): our acceptor takes
 * the socket for at least a second, doubling while it goes on, and the
 * episode is logged once (and its end only if its start was).
 */
static void
conns_starve(struct conns *g, int err)
{
	double now = conns_now();

	if (!g->starved) {
		g->starved = true;
		g->refused_episode = 0;
		g->starve_backoff = g->starve_backoff > 0 &&
			now - g->starved_until < 10
		    ? (g->starve_backoff * 2 > 30 ? 30 : g->starve_backoff * 2)
		    : 1;
		g->starved_until = now + g->starve_backoff;
		g->starve_logged = now - g->last_log >= CONNS_LOG_EVERY_SECONDS;
		if (g->starve_logged) {
			g->last_log = now;
			log_warn("cannot accept connections: %s (%zu open); "
				 "answering 503 until descriptors free up",
			    strerror(err), g->n);
		}
	}
	conns_take_listener(g, true);
}

/* Stop reading the listening socket until a sweep finds a descriptor. */
static void
conns_pause(struct conns *g, int err)
{
	conns_starve(g, err);
	g->paused = true;
	conns_acceptors(g, false);
}

/* Our acceptor: every connection it takes is answered 503. */
static void
conns_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct conns_listen *l = arg;
	struct conns *g = l->g;
	int fd, i, err;

	(void)what;
	for (i = 0; i < CONNS_ACCEPT_BATCH; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		err = errno;
		if (fd == -1 && (err == EMFILE || err == ENFILE) &&
		    g->reserve != -1) {
			/* The descriptor kept for this: answer, then keep
			   one again. */
			close(g->reserve);
			g->reserve = -1;
			fd = accept4(lfd, NULL, NULL,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
			err = errno;
			if (fd != -1) {
				if (conns_refuse(fd, 503,
					"the server is out of descriptors; try "
					"again shortly"))
					conns_count_refused(g, true);
				close(fd);
			}
			g->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (fd == -1 && (err == EAGAIN || err == EWOULDBLOCK))
				break;
			if (g->reserve != -1)
				continue;
			conns_pause(g, EMFILE);
			break;
		}
		if (fd == -1) {
			if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
			    err == ENOMEM)
				conns_pause(g, err);
			else if (err != EAGAIN && err != EWOULDBLOCK &&
			    err != EINTR && err != ECONNABORTED &&
			    conns_now() - g->last_error_log >=
				CONNS_LOG_EVERY_SECONDS) {
				g->last_error_log = conns_now();
				log_warn("accept: %s", strerror(err));
			}
			break;
		}
		if (conns_refuse(fd, 503,
			g->starved ? "the server is out of descriptors; try "
				     "again shortly"
				   : "too many connections; try again shortly"))
			conns_count_refused(g, g->starved);
		close(fd);
	}
}

/* evhttp's listener failed to accept. */
static void
conns_listener_error(struct evconnlistener *l, void *arg)
{
	struct conns *g = conns_current;
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	if (g == NULL) {
		evconnlistener_disable(l);
		return;
	}
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
		conns_starve(g, err);
	else if (conns_now() - g->last_error_log >= CONNS_LOG_EVERY_SECONDS) {
		g->last_error_log = conns_now();
		log_warn("accept: %s", strerror(err));
	}
}

/* Decide at the end of a head, or of a line of it, that its length is not
   one evhttp would read or answer: answered 400 or 413 in its turn. */
static void
conns_refuse_head(struct conns_entry *c, int status, const char *why)
{
	if (c->pending != 0)
		return;
	c->pending = status;
	c->pending_why = why;
	c->pending_at = c->head_at;
	c->state = CONNS_BLIND; /* nothing after it will be read */
}

/* The value of a Content-Length, read as evhttp reads it (strtoll: blanks,
   a sign, digits); length_bad if evhttp would wait for it forever. */
static void
conns_length(struct conns_entry *c, const char *v)
{
	uint64_t n = 0;
	bool digits = false;

	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '-')
		return; /* negative: evhttp answers 400 itself */
	if (*v == '+')
		v++;
	for (; *v >= '0' && *v <= '9'; v++) {
		digits = true;
		if (n > (UINT64_C(1) << 62)) {
			c->length_bad = true; /* past 2^63 */
			continue;
		}
		n = n * 10 + (uint64_t)(*v - '0');
	}
	while (*v == ' ' || *v == '\t')
		v++;
	if (!digits || *v != '\0')
		return; /* not a number: evhttp answers 400 itself */
	if (n > INT64_MAX)
		c->length_bad = true;
	c->length = n;
}

/* A header line of the head being read. */
static void
conns_header(struct conns_entry *c)
{
	bool whole = c->line_len < sizeof(c->line);

	if (whole)
		c->line[c->line_len] = '\0';
	else
		c->line[sizeof(c->line) - 1] = '\0';
	/* A folded line continues the header before it: of the framing
	   headers, refused rather than guessed at. */
	if (c->line[0] == ' ' || c->line[0] == '\t') {
		if (c->last_was_framing)
			c->length_bad = true;
		return;
	}
	c->last_was_framing = false;
	if (strncasecmp(c->line, "transfer-encoding:", 18) == 0) {
		c->chunked = true;
		c->last_was_framing = true;
	} else if (strncasecmp(c->line, "content-length:", 15) == 0) {
		c->last_was_framing = true;
		/* Two lengths, or one too long to read here: no way to be
		   sure which evhttp would use. */
		if (c->length_seen || !whole)
			c->length_bad = true;
		else
			conns_length(c, c->line + 15);
		c->length_seen = true;
	}
}

/* The request line: only whether the method has a body matters (evhttp
   reads one for POST, PUT and PATCH only). */
static void
conns_request_line(struct conns_entry *c)
{
	c->line[c->line_len < sizeof(c->line) ? c->line_len
					      : sizeof(c->line) - 1] = '\0';
	c->may_have_body = strncmp(c->line, "POST ", 5) == 0 ||
	    strncmp(c->line, "PUT ", 4) == 0 ||
	    strncmp(c->line, "PATCH ", 6) == 0;
	c->seen_request_line = true;
}

/* The end of a head: decide about its body. */
static void
conns_head_done(struct conns_entry *c)
{
	struct conns *g = c->g;

	c->head_began = 0;
	c->seen_request_line = false;
	if (c->may_have_body && c->length_bad)
		conns_refuse_head(c, 400,
		    "Content-Length is repeated, folded or too large");
	else if (c->may_have_body && c->chunked)
		c->state = CONNS_BLIND;
	else if (c->may_have_body && c->length_seen &&
	    c->length > g->cf.max_body_bytes)
		conns_refuse_head(c, 413,
		    "the request body is larger than max_body_bytes");
	else if (c->may_have_body && c->length_seen && c->length > 0) {
		c->state = CONNS_BODY;
		c->body_left = c->length;
	}
	c->length_seen = c->length_bad = c->chunked = false;
	c->may_have_body = c->last_was_framing = false;
	c->length = 0;
}

/* New bytes from the client, in order. */
static void
conns_feed(struct conns_entry *c, const unsigned char *p, size_t n)
{
	size_t i, take;

	for (i = 0; i < n && !c->cut && c->state != CONNS_BLIND;) {
		if (c->state == CONNS_BODY) {
			take = n - i < c->body_left ? n - i : c->body_left;
			c->body_left -= take;
			c->fed += take;
			i += take;
			if (c->body_left == 0)
				c->state = CONNS_HEAD;
			continue;
		}
		if (c->head_began == 0 && p[i] != '\r' && p[i] != '\n') {
			c->head_began = conns_now();
			c->head_at = c->fed;
		}
		if (p[i] == '\n') {
			if (c->line_len > 0 && c->line_len <= sizeof(c->line) &&
			    c->line[c->line_len - 1] == '\r')
				c->line_len--;
			if (c->line_len == 0 && c->seen_request_line)
				conns_head_done(c);
			else if (c->line_len == 0)
				; /* blank lines before a request */
			else if (!c->seen_request_line)
				conns_request_line(c);
			else
				conns_header(c);
			c->line_len = 0;
		} else {
			if (c->line_len < sizeof(c->line))
				c->line[c->line_len] = (char)p[i];
			c->line_len++;
		}
		c->fed++;
		i++;
	}
}

/* Bytes added to a connection's input: follow them. */
static void
conns_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conns_entry *c = arg;
	unsigned char chunk[4096];
	struct evbuffer_ptr pos;
	size_t len = evbuffer_get_length(buf), done = 0, k;
	ev_ssize_t got;

	if (info->n_added == 0)
		return;
	c->added += info->n_added;
	/* Freed by evhttp: read no more until the sweep closes it. */
	if (!conns_held(c)) {
		bufferevent_disable(c->bev, EV_READ);
		return;
	}
	/* An answer larger than a segment must not wait for the client's
	   delayed ACK of its first part (Nagle: 40 ms for a list of jobs). */
	if (!c->nodelay) {
		int one = 1;

		c->nodelay = true;
		(void)setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP,
		    TCP_NODELAY, &one, sizeof(one));
	}
	if (c->cut || c->state == CONNS_BLIND ||
	    evbuffer_ptr_set(buf, &pos, len - info->n_added,
		EVBUFFER_PTR_SET) == -1) {
		conns_try_pending(c);
		return;
	}
	while (done < info->n_added && !c->cut && c->state != CONNS_BLIND) {
		k = info->n_added - done;
		if (k > sizeof(chunk))
			k = sizeof(chunk);
		if (c->state == CONNS_BODY && c->body_left >= k) {
			/* Bodies are only counted, never copied. */
			c->body_left -= k;
			c->fed += k;
			if (c->body_left == 0)
				c->state = CONNS_HEAD;
		} else {
			if ((got = evbuffer_copyout_from(buf, &pos, chunk,
				 k)) <= 0)
				break;
			k = (size_t)got;
			conns_feed(c, chunk, k);
		}
		done += k;
		if (evbuffer_ptr_set(buf, &pos, k, EVBUFFER_PTR_ADD) == -1)
			break;
	}
	conns_try_pending(c);
}

/* evhttp's new connection: its bufferevent, counted. */
static struct bufferevent *
conns_bev_cb(struct event_base *base, void *arg)
{
	struct conns_listen *l = arg;
	struct conns *g = l->g;
	struct conns_entry *c, **v;
	struct bufferevent *bev;

	/* Near the cap, count again first: some may have ended since the
	   last sweep.  (Not after adding this one, which evhttp has not
	   given its callbacks yet.) */
	if (g->n + 1 >= g->cap)
		conns_collect(g);
	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return NULL; /* evhttp makes its own, uncounted */
	if (g->n == g->size) {
		size_t size = g->size ? g->size * 2 : 64;

		if ((v = realloc(g->v, size * sizeof(*v))) == NULL)
			return bev;
		g->v = v;
		g->size = size;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return bev;
	c->bev = bev;
	c->g = g;
	c->l = l;
	c->state = CONNS_HEAD;
	/* A connection that says nothing is a head not yet finished. */
	c->head_began = conns_now();
	if ((c->watch = evbuffer_add_cb(bufferevent_get_input(bev),
		 conns_input_cb, c)) == NULL) {
		free(c);
		return bev;
	}
	bufferevent_incref(bev);
	g->v[g->n++] = c;
	l->n++;
	g->cf.metrics->http_open = g->n;
	if (g->n >= g->cap)
		conns_take_listener(g, true);
	else if (l->share > 0 && l->n >= l->share)
		conns_update_listeners(g);
	return bev;
}

/* Guard the connections; see conns.h. */
struct conns *
conns_new(struct event_base *base, struct evhttp *const *http,
    struct evhttp_bound_socket *const *bound, size_t nbound,
    const struct conns_conf *cf, struct error *e)
{
	struct timeval tv = { 0, (int)(CONNS_SWEEP_SECONDS * 1e6) };
	struct rlimit rl;
	struct conns *g;
	size_t room, share, i;
	bool failed = false;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->l = calloc(nbound, sizeof(*g->l))) == NULL) {
		free(g);
		error_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	g->cf = *cf;
	g->nl = nbound;
	g->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* The cap, and never so many that the descriptors kept back for
	   the nodes and the store are taken by clients. */
	g->cap = cf->max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		room = rl.rlim_cur > conns_keep_back + 16
		    ? (size_t)rl.rlim_cur - conns_keep_back
		    : 16;
		if (room < g->cap)
			g->cap = room;
	}
	/* A tenant's address (each after the first) holds a share of the
	   cap, as the daemon's own and every other one would. */
	share = g->cap / nbound > 0 ? g->cap / nbound : 1;
	for (i = 0; i < nbound; i++) {
		g->l[i].g = g;
		g->l[i].share = i == 0 || nbound == 1 ? 0 : share;
		g->l[i].listener = evhttp_bound_socket_get_listener(bound[i]);
		g->l[i].acceptor = event_new(base,
		    evhttp_bound_socket_get_fd(bound[i]), EV_READ | EV_PERSIST,
		    conns_accept_cb, &g->l[i]);
		failed = failed || g->l[i].acceptor == NULL;
	}
	g->sweeper = event_new(base, -1, EV_PERSIST, conns_sweep_cb, g);
	if (g->reserve == -1 || failed || g->sweeper == NULL ||
	    event_add(g->sweeper, &tv) == -1) {
		error_set(e, ERR_SYS, "cannot set up the connection guard");
		conns_free(g);
		return NULL;
	}
	for (i = 0; i < nbound; i++)
		evconnlistener_set_error_cb(g->l[i].listener,
		    conns_listener_error);
	for (i = 0; i < nbound; i++)
		evhttp_set_bevcb(http[i], conns_bev_cb, &g->l[i]);
	conns_current = g;
	if (nbound > 1)
		log_info("up to %zu client connections at once, %zu at most "
			 "at each tenant's address",
		    g->cap, share);
	else
		log_info("up to %zu client connections at once", g->cap);
	return g;
}

/* Stop guarding; see conns.h. */
void
conns_free(struct conns *g)
{
	size_t i;

	if (g == NULL)
		return;
	if (conns_current == g)
		conns_current = NULL;
	for (i = 0; i < g->nl; i++) {
		if (g->l[i].taken)
			evconnlistener_enable(g->l[i].listener);
		if (g->l[i].acceptor != NULL)
			event_free(g->l[i].acceptor);
	}
	if (g->sweeper != NULL)
		event_free(g->sweeper);
	while (g->n > 0)
		conns_drop(g, g->n - 1);
	free(g->l);
	free(g->v);
	if (g->reserve != -1)
		close(g->reserve);
	free(g);
}
