/*
 * Job callbacks: when a job that was submitted with a callback_url (or whose
 * token has a default one) ends, the daemon POSTs its job object to that
 * URL (http, or https verified by tls.h), signed with HMAC-SHA256 under the
 * tenant's callback_secret.
 *
 * Two halves.  The pure one (callback.c, unit-tested): parsing a callback
 * URL, classifying an address (loopback, private, ...), the operator's
 * allow-list (callback_allow in sluice.conf), and the signature.  The
 * sending one (callback-send.c): deliveries on the core's event loop, never
 * blocking it, from the store's callbacks table, so that a delivery pending
 * when the daemon stops is resumed when it starts again.
 *
 * Where a callback may go: a public address (unless callback_allow_public is
 * false), or an address or host that an entry of callback_allow covers.
 * Loopback, private, link-local, shared (CGNAT) and reserved addresses are
 * refused unless listed; the unspecified address and multicast always.  An
 * IPv4-mapped, -compatible, NAT64 or 6to4 IPv6 address is judged by the
 * IPv4 address in it.  The check is made at submission for an address given
 * as such (and for localhost), and at every delivery on the address the
 * host resolves to, which is the address connected to.
 */
#ifndef SLUICE_DISPATCHER_CALLBACK_H
#define SLUICE_DISPATCHER_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CALLBACK_URL_MAX 2048 /* bytes of a callback URL */
#define CALLBACK_HOST_MAX 253 /* bytes of a host name */
#define CALLBACK_SECRET_MIN 16
#define CALLBACK_SECRET_MAX 255
/* "t=<seconds>,v1=<64 hex digits>" and its NUL. */
#define CALLBACK_SIGNATURE_MAX 96

/* An IP address: IPv4 in the first four bytes of b, or IPv6. */
struct callback_addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char b[16];
};

/* A callback URL, parsed. */
struct callback_url {
	char host[CALLBACK_HOST_MAX + 1]; /* lower case, no trailing dot; an
					     IPv6 address without brackets */
	bool tls; /* https */
	unsigned port; /* 80 (http) or 443 (https) unless given */
	char target[CALLBACK_URL_MAX + 1]; /* path and query, from '/' */
	bool is_addr; /* host is an IP address (addr) */
	struct callback_addr addr;
};

/* What an address is, as far as where callbacks may go is concerned. */
enum callback_class {
	CALLBACK_PUBLIC,
	CALLBACK_LOOPBACK, /* 127/8, ::1 */
	CALLBACK_PRIVATE, /* 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10 */
	CALLBACK_LINK_LOCAL, /* 169.254/16, fe80::/10 */
	CALLBACK_SHARED, /* 100.64/10 (carrier-grade NAT) */
	CALLBACK_RESERVED, /* documentation, benchmarking, 240/4, ... */
	CALLBACK_UNSPECIFIED, /* 0/8, :: (never allowed) */
	CALLBACK_MULTICAST /* 224/4, broadcast, ff00::/8 (never allowed) */
};

/* One entry of callback_allow. */
struct callback_allow {
	bool is_cidr; /* a network (net/prefix), any port */
	struct callback_addr net;
	unsigned prefix;
	/* Otherwise a host and an optional port (0: any): an address
	   (is_addr, net) or a name (host, lower case). */
	bool is_addr;
	char host[CALLBACK_HOST_MAX + 1];
	unsigned port;
};

/* Where callbacks may go (from sluice.conf). */
struct callback_policy {
	struct callback_allow *allow;
	size_t nallow;
	bool allow_public; /* public addresses need no entry */
};

/*
 * Parse a callback URL: "http://" or "https://", a host (a name, a
 * dotted-quad IPv4 address or a bracketed IPv6 one), an optional port, an
 * optional path and query; printable ASCII, at most CALLBACK_URL_MAX bytes.
 * Refused (e says why, field "callback_url"): another scheme, user
 * information ("user@"), a fragment, a backslash, a host that is a number
 * in another form than a dotted quad ("2130706433", "0x7f.1", "127.1":
 * other programs read them as addresses), an IPv6 zone.
 */
int
callback_url_parse(const char *url, struct callback_url *out, struct error *e);

/* Parse an IP address (IPv6 without brackets); -1 if it is none. */
int callback_addr_parse(const char *s, struct callback_addr *out);

/* The address as text (IPv6 without brackets) into buf (>= 46 bytes). */
void callback_addr_text(const struct callback_addr *a, char *buf, size_t len);

/*
 * The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d),
 * else a itself: the address a connection really goes to.
 */
struct callback_addr callback_addr_unmap(const struct callback_addr *a);

/* What kind of address a is (see enum callback_class). */
enum callback_class callback_addr_class(const struct callback_addr *a);

/* The class in words ("a loopback address", ...). */
const char *callback_class_text(enum callback_class k);

/*
 * Parse an entry of callback_allow: "ADDRESS/PREFIX" (IPv4 or IPv6, host
 * bits zero), or "HOST[:PORT]" where HOST is a name, an IPv4 address or a
 * bracketed IPv6 address (a bare IPv6 address, no port, is taken too).
 */
int callback_allow_parse(const char *s, struct callback_allow *out,
    struct error *e);

/*
 * Whether a delivery to u may connect to a (u's address, or one that its
 * host resolved to).  If not, why (into why, if not NULL): what a is and
 * that callback_allow does not list it.
 */
bool
callback_allowed(const struct callback_policy *p, const struct callback_url *u,
    const struct callback_addr *a, char *why, size_t why_len);

/*
 * The check made when a callback URL is given (at submission, or as a
 * token's default at start-up): u parses, and if its host is an address,
 * or localhost (taken as 127.0.0.1), the policy allows it.  e's field is
 * "callback_url".
 */
int callback_url_check(const struct callback_policy *p, const char *url,
    struct error *e);

/*
 * The Sluice-Signature header's value for body sent at time t (seconds
 * since the epoch): "t=T,v1=HEX", HEX the HMAC-SHA256 under secret of
 * "T." followed by the body.  -1 if libcrypto fails.
 */
int callback_signature(const char *secret, int64_t t, const void *body,
    size_t len, char out[CALLBACK_SIGNATURE_MAX]);

/*
 * The delay before attempt n + 1 after n attempts failed (n >= 1): 1 s,
 * doubled each time, at most CALLBACK_BACKOFF_MAX_MS.
 */
#define CALLBACK_BACKOFF_MAX_MS (10 * 60 * 1000)
int64_t callback_backoff_ms(int n);

/* ----- Sending (callback-send.c): on the core's event loop. ----- */

struct core;
struct callback;

/*
 * Start the sender on the core's event loop (after core_start() made it):
 * it looks for deliveries that are due every second, and at once when
 * callback_kick() says a job has ended.  NULL on failure.
 */
struct callback *callback_new(struct core *c, struct error *e);

/*
 * Stop: deliveries in flight are dropped (their rows stay pending, and a
 * restart sends them again).  NULL is a no-op.
 */
void callback_free(struct callback *cb);

/* A job's end was committed: look for deliveries now.  NULL: no-op. */
void callback_kick(struct callback *cb);

/* Counters for /metrics. */
struct callback_stats {
	uint64_t delivered; /* callbacks answered 2xx */
	uint64_t attempts_failed; /* attempts that were not */
	uint64_t failed; /* callbacks given up on */
	uint64_t in_flight; /* now */
};
void callback_stats(const struct callback *cb, struct callback_stats *out);

#endif
