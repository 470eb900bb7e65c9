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
	CONNS_BLIND /* framing not followed (chunked, or a line too long):
		       evhttp's own limits apply */
};

struct conns_entry {
	struct bufferevent *bev; /* one reference is ours */
	struct evbuffer_cb_entry *watch;
	struct conns *g;
	enum conns_state state;
	double head_began; /* when this head's first byte came; 0: none yet */
	uint64_t body_left;
	bool seen_request_line;
	bool cut; /* answered or timed out by us: evhttp sees it end */
	bool length_bad; /* a Content-Length too large to be a number */
	bool length_seen;
	uint64_t length;
	size_t line_len; /* of the current line, all of it */
	char line[CONNS_LINE_MAX];
};

struct conns {
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *listener; /* evhttp's */
	evutil_socket_t lfd;
	struct event *acceptor; /* ours, on lfd, while evhttp's is off */
	struct event *sweeper;
	struct conns_conf cf;
	size_t cap;
	struct conns_entry **v;
	size_t n, size;
	int reserve; /* a descriptor to give up when none is left */
	bool ours; /* our acceptor has the listening socket */
	bool paused; /* no descriptor even in reserve: the acceptor waits */
	bool starved; /* accept() has failed for want of descriptors */
	uint64_t refused_episode;
	double last_log;
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

/* Answer a connection we will not serve, and close it. */
static void
conns_refuse(int fd, int status, const char *why)
{
	char text[512], body[256];
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
	/* A small answer on a fresh socket: it fits in the send buffer, so
	   one non-blocking write is all it takes, or the peer has gone. */
	(void)!send(fd, text, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)shutdown(fd, SHUT_WR);
}

/* Forget a connection evhttp has freed: our reference closes it. */
static void
conns_drop(struct conns *g, size_t i)
{
	struct conns_entry *c = g->v[i];

	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_decref(c->bev);
	free(c);
	g->v[i] = g->v[--g->n];
	g->cf.metrics->http_open = g->n;
}

/* Cut a connection evhttp still has: it sees the end and frees it. */
static void
conns_cut(struct conns_entry *c, int status, const char *why)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	c->cut = true;
	if (fd == -1)
		return;
	/* Only between answers: never inside one evhttp is still sending. */
	if (status != 0 &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		conns_refuse(fd, status, why);
		metrics_count_response(c->g->cf.metrics, status);
	}
	(void)shutdown(fd, SHUT_RDWR);
}

/* Hand the listening socket to evhttp, or take it for our acceptor. */
static void
conns_take_listener(struct conns *g, bool ours)
{
	if (ours == g->ours)
		return;
	g->ours = ours;
	if (ours) {
		evconnlistener_disable(g->listener);
		if (!g->paused)
			event_add(g->acceptor, NULL);
	} else {
		event_del(g->acceptor);
		evconnlistener_enable(g->listener);
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

/* Drop what evhttp freed, cut heads that took too long, and give the
   listening socket back to evhttp once there is room. */
static void
conns_sweep(struct conns *g)
{
	bufferevent_event_cb eventcb;
	double now = conns_now();
	size_t i = 0;

	while (i < g->n) {
		struct conns_entry *c = g->v[i];

		/* bufferevent_free() clears the callbacks; while evhttp has
		   the connection its event callback is always set. */
		bufferevent_getcb(c->bev, NULL, NULL, &eventcb, NULL);
		if (eventcb == NULL) {
			conns_drop(g, i);
			continue;
		}
		if (!c->cut && c->state == CONNS_HEAD && c->head_began > 0 &&
		    now - c->head_began > g->cf.header_timeout_seconds)
			conns_cut(c, 408,
			    "the request's headers took longer than "
			    "header_timeout_seconds");
		i++;
	}
	if (g->paused && g->reserve == -1)
		g->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (g->paused && g->reserve != -1) {
		g->paused = false;
		if (g->ours)
			event_add(g->acceptor, NULL);
	}
	if (g->starved && conns_have_descriptor()) {
		log_info("accepting connections again (%llu refused with 503 "
			 "meanwhile)",
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

/* accept() failed for want of descriptors: say so once an episode. */
static void
conns_starve(struct conns *g, int err)
{
	double now = conns_now();

	if (!g->starved) {
		g->starved = true;
		g->refused_episode = 0;
		if (now - g->last_log >= CONNS_LOG_EVERY_SECONDS) {
			g->last_log = now;
			log_warn("cannot accept connections: %s (%zu open); "
				 "answering 503 until descriptors free up",
			    strerror(err), g->n);
		}
	}
	conns_take_listener(g, true);
}

/* Our acceptor: every connection it takes is answered 503. */
static void
conns_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct conns *g = arg;
	int fd, i;

	(void)what;
	conns_sweep(g);
	if (!g->ours)
		return; /* room again: evhttp takes it from the backlog */
	for (i = 0; i < CONNS_ACCEPT_BATCH; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1 && (errno == EMFILE || errno == ENFILE) &&
		    g->reserve != -1) {
			/* The descriptor kept for this: answer, then keep
			   one again. */
			close(g->reserve);
			g->reserve = -1;
			fd = accept4(lfd, NULL, NULL,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd != -1) {
				conns_refuse(fd, 503,
				    "the server is out of descriptors; try "
				    "again shortly");
				close(fd);
				conns_count_refused(g, true);
			}
			g->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (g->reserve != -1)
				continue;
			errno = EMFILE;
			fd = -1;
		}
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Not even the reserve: stop reading the
				   socket until a sweep finds one again. */
				conns_starve(g, errno);
				g->paused = true;
				event_del(g->acceptor);
			}
			break;
		}
		conns_refuse(fd, 503,
		    g->starved ? "the server is out of descriptors; try again "
				 "shortly"
			       : "too many connections; try again shortly");
		close(fd);
		conns_count_refused(g, g->starved);
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
	else
		log_warn("accept: %s", strerror(err));
}

/* A header line of the head being read. */
static void
conns_header(struct conns_entry *c)
{
	const char *v;
	char *end;
	size_t k;

	if (c->line_len >= sizeof(c->line)) {
		/* Longer than any name and length we look for: only a
		   Content-Length or Transfer-Encoding line could matter. */
		if (strncasecmp(c->line, "content-length:", 15) == 0 ||
		    strncasecmp(c->line, "transfer-encoding:", 18) == 0)
			c->state = CONNS_BLIND;
		return;
	}
	c->line[c->line_len] = '\0';
	if (strncasecmp(c->line, "transfer-encoding:", 18) == 0) {
		c->state = CONNS_BLIND;
		return;
	}
	if (strncasecmp(c->line, "content-length:", 15) != 0)
		return;
	for (v = c->line + 15; *v == ' ' || *v == '\t'; v++)
		;
	k = strspn(v, "0123456789");
	/* Not digits: evhttp answers 400 itself. */
	if (k == 0 || v[k + strspn(v + k, " \t")] != '\0')
		return;
	errno = 0;
	c->length = strtoull(v, &end, 10);
	if (errno == ERANGE || c->length > INT64_MAX)
		c->length_bad = true;
	c->length_seen = true;
}

/* The end of a head: decide about its body. */
static void
conns_head_done(struct conns_entry *c)
{
	struct conns *g = c->g;

	c->head_began = 0;
	c->seen_request_line = false;
	if (c->length_bad)
		conns_cut(c, 400, "Content-Length is too large to be a length");
	else if (c->length_seen && c->length > g->cf.max_body_bytes)
		conns_cut(c, 413,
		    "the request body is larger than max_body_bytes");
	else if (c->length_seen && c->length > 0) {
		c->state = CONNS_BODY;
		c->body_left = c->length;
	}
	c->length_seen = c->length_bad = false;
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
			i += take;
			if (c->body_left == 0)
				c->state = CONNS_HEAD;
			continue;
		}
		if (c->head_began == 0)
			c->head_began = conns_now();
		if (p[i] == '\n') {
			if (c->line_len > 0 && c->line_len <= sizeof(c->line) &&
			    c->line[c->line_len - 1] == '\r')
				c->line_len--;
			if (c->line_len == 0 && c->seen_request_line)
				conns_head_done(c);
			else if (c->line_len == 0)
				; /* blank lines before a request */
			else if (!c->seen_request_line)
				c->seen_request_line = true;
			else
				conns_header(c);
			c->line_len = 0;
		} else {
			if (c->line_len < sizeof(c->line))
				c->line[c->line_len] = (char)p[i];
			c->line_len++;
		}
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

	if (info->n_added == 0 || c->cut || c->state == CONNS_BLIND)
		return;
	if (evbuffer_ptr_set(buf, &pos, len - info->n_added,
		EVBUFFER_PTR_SET) == -1)
		return;
	while (done < info->n_added && !c->cut && c->state != CONNS_BLIND) {
		k = info->n_added - done;
		if (k > sizeof(chunk))
			k = sizeof(chunk);
		if (c->state == CONNS_BODY && c->body_left >= k) {
			/* Bodies are only counted, never copied. */
			c->body_left -= k;
			if (c->body_left == 0)
				c->state = CONNS_HEAD;
		} else {
			if ((got = evbuffer_copyout_from(buf, &pos, chunk,
				 k)) <= 0)
				return;
			k = (size_t)got;
			conns_feed(c, chunk, k);
		}
		done += k;
		if (evbuffer_ptr_set(buf, &pos, k, EVBUFFER_PTR_ADD) == -1)
			return;
	}
}

/* evhttp's new connection: its bufferevent, counted. */
static struct bufferevent *
conns_bev_cb(struct event_base *base, void *arg)
{
	struct conns *g = arg;
	struct conns_entry *c, **v;
	struct bufferevent *bev;

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
	g->cf.metrics->http_open = g->n;
	if (g->n >= g->cap)
		conns_take_listener(g, true);
	return bev;
}

/* Guard the connections; see conns.h. */
struct conns *
conns_new(struct event_base *base, struct evhttp *http,
    struct evhttp_bound_socket *bound, const struct conns_conf *cf,
    struct error *e)
{
	struct timeval tv = { 0, (int)(CONNS_SWEEP_SECONDS * 1e6) };
	struct rlimit rl;
	struct conns *g;
	size_t room;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	g->base = base;
	g->http = http;
	g->cf = *cf;
	g->listener = evhttp_bound_socket_get_listener(bound);
	g->lfd = evhttp_bound_socket_get_fd(bound);
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
	g->acceptor = event_new(base, g->lfd, EV_READ | EV_PERSIST,
	    conns_accept_cb, g);
	g->sweeper = event_new(base, -1, EV_PERSIST, conns_sweep_cb, g);
	if (g->reserve == -1 || g->acceptor == NULL || g->sweeper == NULL ||
	    event_add(g->sweeper, &tv) == -1) {
		error_set(e, ERR_SYS, "cannot set up the connection guard");
		conns_free(g);
		return NULL;
	}
	evconnlistener_set_error_cb(g->listener, conns_listener_error);
	evhttp_set_bevcb(http, conns_bev_cb, g);
	conns_current = g;
	log_info("up to %zu client connections at once", g->cap);
	return g;
}

/* Stop guarding; see conns.h. */
void
conns_free(struct conns *g)
{
	if (g == NULL)
		return;
	if (conns_current == g)
		conns_current = NULL;
	if (g->ours)
		evconnlistener_enable(g->listener);
	if (g->acceptor != NULL)
		event_free(g->acceptor);
	if (g->sweeper != NULL)
		event_free(g->sweeper);
	while (g->n > 0)
		conns_drop(g, g->n - 1);
	free(g->v);
	if (g->reserve != -1)
		close(g->reserve);
	free(g);
}
