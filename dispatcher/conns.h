/*
 * The API's connections, counted, capped and guarded.  libevent 2.1's
 * evhttp has no cap on connections, tells nobody when one opens or closes,
 * retries a failing accept() at once (at the descriptor limit: a busy loop
 * and a log line each time), waits for the whole of any body it will not
 * take (Content-Length: 99999999999999999999 is never answered), and lets a
 * client send its headers a byte at a time for as long as it likes.
 *
 * What this adds, all on the loop thread:
 * - each connection evhttp accepts is counted (its bufferevent is ours,
 *   made through evhttp_set_bevcb, with one reference kept, so that its
 *   end is seen); at the cap, the listening sockets are served by small
 *   acceptors of our own that answer 503 with Retry-After and close (and
 *   so is a tenant's address at its share of the cap);
 * - an accept() that fails for want of descriptors switches to that
 *   acceptor too, which answers from a descriptor kept in reserve, logs
 *   one line for the episode and one when it ends;
 * - the request heads are followed as they arrive: a head still unfinished
 *   header_timeout_seconds after its first byte (or after the connection
 *   opened) is cut, and a body length evhttp would wait for but never take
 *   (over its cap, or too large to be a number) is answered 413 or 400 at
 *   once;
 * - the descriptor limit is raised to its hard limit at start-up.
 */
#ifndef SLUICE_DISPATCHER_CONNS_H
#define SLUICE_DISPATCHER_CONNS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include "error.h"
#include "metrics.h"

struct conns;

struct conns_conf {
	size_t max_connections; /* the configured cap */
	double header_timeout_seconds;
	uint64_t max_body_bytes; /* evhttp's own cap on a body */
	struct metrics *metrics; /* counts kept up to date here */
};

/*
 * Raise the descriptor limit to its hard limit; the number of descriptors
 * kept back from clients (for nodes, the store and the spool) follows from
 * nnodes.  Logs the figures.  Call once, before conns_new().
 */
void conns_raise_limit(size_t nnodes);

/*
 * Guard the connections of the nbound sockets of bound (at least one),
 * each of its own evhttp, http[i]: the cap counts the connections of them
 * all, and each socket after the first (a tenant's address) holds at most
 * its share of it (the cap over nbound), the rest being the others'.
 */
struct conns *conns_new(struct event_base *base, struct evhttp *const *http,
    struct evhttp_bound_socket *const *bound, size_t nbound,
    const struct conns_conf *cf, struct error *e);

/* Stop guarding: drop the acceptor and every reference of ours (evhttp
   still holds its own); before evhttp_free(). */
void conns_free(struct conns *g);

#endif
