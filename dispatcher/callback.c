/*
 * Job callbacks, the pure half: URLs, addresses, the allow-list and the
 * signature.  See callback.h; the sender is callback-send.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "callback.h"
#include "digest.h"

/* Parse an IP address (IPv6 without brackets). */
int
callback_addr_parse(const char *s, struct callback_addr *out)
{
	struct callback_addr a;

	memset(&a, 0, sizeof(a));
	/* inet_pton() takes only the strict forms: a dotted quad without
	   leading zeros, and IPv6 without a zone. */
	if (inet_pton(AF_INET, s, a.b) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.family = AF_INET6;
	else
		return -1;
	*out = a;
	return 0;
}

/* The address as text. */
void
callback_addr_text(const struct callback_addr *a, char *buf, size_t len)
{
	if (inet_ntop(a->family, a->b, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

/* The IPv4 address of an IPv4-mapped IPv6 address, else a. */
struct callback_addr
callback_addr_unmap(const struct callback_addr *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };
	struct callback_addr v4;

	if (a->family != AF_INET6 || memcmp(a->b, mapped, 12) != 0)
		return *a;
	memset(&v4, 0, sizeof(v4));
	v4.family = AF_INET;
	memcpy(v4.b, a->b + 12, 4);
	return v4;
}

/* Whether the first prefix bits of a and b are the same. */
static bool
callback_prefix_eq(const unsigned char *a, const unsigned char *b,
    unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;
	unsigned char mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* Whether IPv4 address b (4 bytes) is in d0.d1.d2.d3/prefix. */
static bool
callback_in4(const unsigned char *b, unsigned d0, unsigned d1, unsigned d2,
    unsigned d3, unsigned prefix)
{
	const unsigned char net[4] = { (unsigned char)d0, (unsigned char)d1,
		(unsigned char)d2, (unsigned char)d3 };

	return callback_prefix_eq(b, net, prefix);
}

/* What kind of IPv4 address b (4 bytes) is. */
static enum callback_class
callback_class4(const unsigned char *b)
{
	if (callback_in4(b, 0, 0, 0, 0, 8))
		return CALLBACK_UNSPECIFIED; /* "this network": 0.0.0.0 is
						the host itself */
	if (callback_in4(b, 127, 0, 0, 0, 8))
		return CALLBACK_LOOPBACK;
	if (callback_in4(b, 10, 0, 0, 0, 8) ||
	    callback_in4(b, 172, 16, 0, 0, 12) ||
	    callback_in4(b, 192, 168, 0, 0, 16))
		return CALLBACK_PRIVATE;
	if (callback_in4(b, 169, 254, 0, 0, 16))
		return CALLBACK_LINK_LOCAL; /* and cloud metadata services */
	if (callback_in4(b, 100, 64, 0, 0, 10))
		return CALLBACK_SHARED;
	if (callback_in4(b, 224, 0, 0, 0, 4) ||
	    callback_in4(b, 255, 255, 255, 255, 32))
		return CALLBACK_MULTICAST;
	/* 240/4 (future use), IETF protocol assignments, the three
	   documentation networks, benchmarking, the 6to4 relay anycast. */
	if (callback_in4(b, 240, 0, 0, 0, 4) ||
	    callback_in4(b, 192, 0, 0, 0, 24) ||
	    callback_in4(b, 192, 0, 2, 0, 24) ||
	    callback_in4(b, 198, 51, 100, 0, 24) ||
	    callback_in4(b, 203, 0, 113, 0, 24) ||
	    callback_in4(b, 198, 18, 0, 0, 15) ||
	    callback_in4(b, 192, 88, 99, 0, 24))
		return CALLBACK_RESERVED;
	return CALLBACK_PUBLIC;
}

/* Whether IPv6 address b (16 bytes) is in the network of the first
   prefix bits of net (given as up to 16 bytes). */
static bool
callback_in6(const unsigned char *b, const unsigned char *net, unsigned prefix)
{
	return callback_prefix_eq(b, net, prefix);
}

/* What kind of address a is. */
enum callback_class
callback_addr_class(const struct callback_addr *a)
{
	static const unsigned char zero[16],
	    mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char nat64_local[6] = { 0, 0x64, 0xff, 0x9b, 0,
		1 };
	static const unsigned char six4[2] = { 0x20, 0x02 };
	static const unsigned char doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const unsigned char ietf[3] = { 0x20, 0x01, 0x00 };
	static const unsigned char discard[8] = { 0x01, 0x00 };
	static const unsigned char ula[1] = { 0xfc }, site[2] = { 0xfe, 0xc0 };
	static const unsigned char link[2] = { 0xfe, 0x80 };
	static const unsigned char global[1] = { 0x20 };
	const unsigned char *b = a->b;
	enum callback_class k;

	if (a->family == AF_INET)
		return callback_class4(b);
	if (memcmp(b, zero, 16) == 0)
		return CALLBACK_UNSPECIFIED;
	if (memcmp(b, zero, 15) == 0 && b[15] == 1)
		return CALLBACK_LOOPBACK;
	/* Forms that carry an IPv4 address, which is what they reach: mapped
	   (the socket connects to the IPv4 address), compatible
	   (deprecated), NAT64 (a gateway translates to it), 6to4. */
	if (memcmp(b, mapped, 12) == 0)
		return callback_class4(b + 12);
	if (memcmp(b, zero, 12) == 0) {
		k = callback_class4(b + 12);
		return k == CALLBACK_PUBLIC ? CALLBACK_RESERVED : k;
	}
	if (memcmp(b, nat64, 12) == 0)
		return callback_class4(b + 12);
	if (callback_in6(b, nat64_local, 48))
		return CALLBACK_PRIVATE;
	if (callback_in6(b, six4, 16))
		return callback_class4(b + 2);
	if (b[0] == 0xff)
		return CALLBACK_MULTICAST;
	if (callback_in6(b, ula, 7) || callback_in6(b, site, 10))
		return CALLBACK_PRIVATE;
	if (callback_in6(b, link, 10))
		return CALLBACK_LINK_LOCAL;
	/* Documentation, IETF protocol assignments (Teredo among them),
	   discard-only; and anything outside the global unicast 2000::/3. */
	if (callback_in6(b, doc, 32) || callback_in6(b, ietf, 23) ||
	    callback_in6(b, discard, 64) || !callback_in6(b, global, 3))
		return CALLBACK_RESERVED;
	return CALLBACK_PUBLIC;
}

/* The class in words. */
const char *
callback_class_text(enum callback_class k)
{
	switch (k) {
	case CALLBACK_PUBLIC:
		return "a public address";
	case CALLBACK_LOOPBACK:
		return "a loopback address";
	case CALLBACK_PRIVATE:
		return "a private address";
	case CALLBACK_LINK_LOCAL:
		return "a link-local address";
	case CALLBACK_SHARED:
		return "a shared (carrier-grade NAT) address";
	case CALLBACK_RESERVED:
		return "a reserved address";
	case CALLBACK_UNSPECIFIED:
		return "the unspecified address";
	case CALLBACK_MULTICAST:
		return "a multicast or broadcast address";
	}
	return "an address";
}

/* Whether s (n bytes) is a number as URL parsers read a host's last
   label: decimal digits, or 0x and hex digits. */
static bool
callback_numeric_label(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return false;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
				return false;
		return true;
	}
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * Check and copy a host that is not bracketed (n bytes at s) into out,
 * lower case, without a trailing dot: a name (letters, digits, '-', '_',
 * labels of 1 to 63 bytes), or a dotted-quad IPv4 address (*is_addr, a).
 * A name whose last label is a number is refused unless it is a dotted
 * quad: URL parsers and resolvers read "127.1" or "0x7f000001" as
 * addresses.  what names the setting or field in messages.
 */
static int
callback_host(const char *s, size_t n, char out[CALLBACK_HOST_MAX + 1],
    bool *is_addr, struct callback_addr *a, const char *what, const char *field,
    struct error *e)
{
	const char *last;
	size_t i, label = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return error_set_field(e, ERR_INVALID, field, "%s has no host",
		    what);
	if (n > CALLBACK_HOST_MAX)
		return error_set_field(e, ERR_INVALID, field,
		    "%s: the host is longer than %d bytes", what,
		    CALLBACK_HOST_MAX);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return error_set_field(e, ERR_INVALID, field,
				    "%s: the host '%.*s' has an empty label",
				    what, (int)n, s);
			label = 0;
			out[i] = c;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_'))
			return error_set_field(e, ERR_INVALID, field,
			    "%s: the host '%.*s' may hold only letters, "
			    "digits, '-', '_' and '.'",
			    what, (int)n, s);
		if (++label > 63)
			return error_set_field(e, ERR_INVALID, field,
			    "%s: a label of the host is longer than 63 bytes",
			    what);
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	last = strrchr(out, '.');
	last = last != NULL ? last + 1 : out;
	*is_addr = false;
	if (!callback_numeric_label(last, strlen(last)))
		return 0;
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, out, a->b) != 1)
		return error_set_field(e, ERR_INVALID, field,
		    "%s: the host '%s' is a number but not a dotted-quad IPv4 "
		    "address (a.b.c.d, no leading zeros)",
		    what, out);
	a->family = AF_INET;
	*is_addr = true;
	return 0;
}

/* Parse a decimal number of 1 to 5 digits, at most max (n bytes at s). */
static int
callback_uint(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parse a port: 1 to 65535 (n bytes at s). */
static int
callback_port(const char *s, size_t n, unsigned *out)
{
	unsigned v;

	if (callback_uint(s, n, 65535, &v) == -1 || v == 0)
		return -1;
	*out = v;
	return 0;
}

/* Parse a bracketed IPv6 address at s (s[0] == '['), up to end; *next is
   past the ']'. */
static int
callback_bracketed(const char *s, const char *end, struct callback_addr *a,
    const char **next, const char *what, const char *field, struct error *e)
{
	const char *close = memchr(s, ']', (size_t)(end - s));
	char text[64];
	size_t n;

	if (close == NULL)
		return error_set_field(e, ERR_INVALID, field,
		    "%s: '[' without ']'", what);
	n = (size_t)(close - s - 1);
	if (memchr(s + 1, '%', n) != NULL)
		return error_set_field(e, ERR_INVALID, field,
		    "%s: an IPv6 zone ('%%') is not allowed", what);
	if (n >= sizeof(text))
		return error_set_field(e, ERR_INVALID, field,
		    "%s: '[...]' is not an IPv6 address", what);
	memcpy(text, s + 1, n);
	text[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET6, text, a->b) != 1)
		return error_set_field(e, ERR_INVALID, field,
		    "%s: '[%s]' is not an IPv6 address", what, text);
	a->family = AF_INET6;
	*next = close + 1;
	return 0;
}

/* Parse a callback URL. */
int
callback_url_parse(const char *url, struct callback_url *out, struct error *e)
{
	static const char *const what = "'callback_url'";
	static const char *const field = "callback_url";
	const char *h, *hend, *p, *colon;
	struct callback_url u;
	size_t len = strlen(url), i;

	memset(&u, 0, sizeof(u));
	if (len == 0 || len > CALLBACK_URL_MAX)
		return error_set_field(e, ERR_INVALID, field,
		    "%s must be 1 to %d bytes", what, CALLBACK_URL_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] < 0x21 ||
		    (unsigned char)url[i] > 0x7e)
			return error_set_field(e, ERR_INVALID, field,
			    "%s must be printable ASCII without spaces "
			    "(percent-encode the rest)",
			    what);
	if (strchr(url, '#') != NULL)
		return error_set_field(e, ERR_INVALID, field,
		    "%s must not have a fragment ('#')", what);
	if (strchr(url, '\\') != NULL)
		return error_set_field(e, ERR_INVALID, field,
		    "%s must not hold a backslash", what);
	if (strncasecmp(url, "https://", 8) == 0)
		u.tls = true;
	else if (strncasecmp(url, "http://", 7) != 0)
		return error_set_field(e, ERR_INVALID, field,
		    "%s must start with http:// or https://", what);
	h = url + (u.tls ? 8 : 7);
	hend = h + strcspn(h, "/?");
	if (memchr(h, '@', (size_t)(hend - h)) != NULL)
		return error_set_field(e, ERR_INVALID, field,
		    "%s must not hold user information ('user@')", what);
	if (*h == '[') {
		if (callback_bracketed(h, hend, &u.addr, &p, what, field, e) ==
		    -1)
			return -1;
		u.is_addr = true;
		callback_addr_text(&u.addr, u.host, sizeof(u.host));
	} else {
		colon = memchr(h, ':', (size_t)(hend - h));
		p = colon != NULL ? colon : hend;
		if (callback_host(h, (size_t)(p - h), u.host, &u.is_addr,
			&u.addr, what, field, e) == -1)
			return -1;
	}
	u.port = u.tls ? 443 : 80;
	if (p < hend &&
	    (*p != ':' ||
		callback_port(p + 1, (size_t)(hend - p - 1), &u.port) == -1))
		return error_set_field(e, ERR_INVALID, field,
		    "%s: the port must be 1 to 65535", what);
	if (*hend == '\0')
		strcpy(u.target, "/");
	else
		snprintf(u.target, sizeof(u.target), "%s%s",
		    *hend == '?' ? "/" : "", hend);
	*out = u;
	return 0;
}

/* Parse an entry of callback_allow. */
int
callback_allow_parse(const char *s, struct callback_allow *out, struct error *e)
{
	static const char *const field = "callback_allow";
	const char *slash = strchr(s, '/'), *end = s + strlen(s), *p, *colon;
	struct callback_allow a;
	unsigned max, prefix;
	char what[300], text[64];
	struct callback_addr masked;

	memset(&a, 0, sizeof(a));
	snprintf(what, sizeof(what), "callback_allow entry '%.200s'", s);
	if (slash != NULL) {
		if ((size_t)(slash - s) >= sizeof(text))
			return error_set_field(e, ERR_INVALID, field,
			    "%s is not ADDRESS/PREFIX", what);
		memcpy(text, s, (size_t)(slash - s));
		text[slash - s] = '\0';
		if (callback_addr_parse(text, &a.net) == -1)
			return error_set_field(e, ERR_INVALID, field,
			    "%s is not ADDRESS/PREFIX", what);
		max = a.net.family == AF_INET ? 32 : 128;
		if (callback_uint(slash + 1, strlen(slash + 1), max, &prefix) ==
		    -1)
			return error_set_field(e, ERR_INVALID, field,
			    "%s: the prefix must be 0 to %u", what, max);
		/* Host bits set are a typo more often than not. */
		memset(&masked, 0, sizeof(masked));
		memcpy(masked.b, a.net.b, prefix / 8);
		if (prefix % 8 != 0)
			masked.b[prefix / 8] =
			    (unsigned char)(a.net.b[prefix / 8] &
				(0xff << (8 - prefix % 8)));
		if (memcmp(masked.b, a.net.b, 16) != 0)
			return error_set_field(e, ERR_INVALID, field,
			    "%s: the address has bits set past the prefix",
			    what);
		a.is_cidr = true;
		a.prefix = prefix;
		*out = a;
		return 0;
	}
	if (*s == '[') {
		if (callback_bracketed(s, end, &a.net, &p, what, field, e) ==
		    -1)
			return -1;
		a.is_addr = true;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') != NULL) {
		/* Two colons: an IPv6 address without brackets or port. */
		if (callback_addr_parse(s, &a.net) == -1 ||
		    a.net.family != AF_INET6)
			return error_set_field(e, ERR_INVALID, field,
			    "%s is not an IPv6 address (write [ADDRESS]:PORT "
			    "for one with a port)",
			    what);
		a.is_addr = true;
		p = end;
	} else {
		p = colon != NULL ? colon : end;
		if (callback_host(s, (size_t)(p - s), a.host, &a.is_addr,
			&a.net, what, field, e) == -1)
			return -1;
	}
	if (p < end &&
	    (*p != ':' ||
		callback_port(p + 1, (size_t)(end - p - 1), &a.port) == -1))
		return error_set_field(e, ERR_INVALID, field,
		    "%s: the port must be 1 to 65535", what);
	if (a.is_addr)
		a.host[0] = '\0';
	*out = a;
	return 0;
}

/* Whether entry w covers a delivery to u at address a (unmapped: v4). */
static bool
callback_covers(const struct callback_allow *w, const struct callback_url *u,
    const struct callback_addr *a, const struct callback_addr *v4)
{
	struct callback_addr wa;

	if (w->is_cidr)
		return (w->net.family == a->family &&
			   callback_prefix_eq(a->b, w->net.b, w->prefix)) ||
		    (w->net.family == v4->family &&
			callback_prefix_eq(v4->b, w->net.b, w->prefix));
	if (w->port != 0 && w->port != u->port)
		return false;
	if (w->is_addr) {
		wa = callback_addr_unmap(&w->net);
		return wa.family == v4->family && memcmp(wa.b, v4->b, 16) == 0;
	}
	return !u->is_addr && strcmp(w->host, u->host) == 0;
}

/* Whether a delivery to u may connect to a. */
bool
callback_allowed(const struct callback_policy *p, const struct callback_url *u,
    const struct callback_addr *a, char *why, size_t why_len)
{
	struct callback_addr v4 = callback_addr_unmap(a);
	enum callback_class k = callback_addr_class(a);
	char text[64];
	size_t i;

	callback_addr_text(a, text, sizeof(text));
	if (k == CALLBACK_UNSPECIFIED || k == CALLBACK_MULTICAST) {
		if (why != NULL)
			snprintf(why, why_len, "%s is %s: never a callback's",
			    text, callback_class_text(k));
		return false;
	}
	if (k == CALLBACK_PUBLIC && p->allow_public)
		return true;
	for (i = 0; i < p->nallow; i++)
		if (callback_covers(&p->allow[i], u, a, &v4))
			return true;
	if (why != NULL)
		snprintf(why, why_len,
		    "%s%s%s is %s, which callback_allow does not list%s",
		    u->is_addr ? "" : u->host, u->is_addr ? "" : " at ", text,
		    callback_class_text(k),
		    k == CALLBACK_PUBLIC ? " (and callback_allow_public is "
					   "false)"
					 : "");
	return false;
}

/* Whether host is localhost, or a name under .localhost (RFC 6761). */
static bool
callback_localhost(const char *host)
{
	size_t n = strlen(host);

	return strcmp(host, "localhost") == 0 ||
	    (n > 10 && strcmp(host + n - 10, ".localhost") == 0);
}

/* The check made when a callback URL is given. */
int
callback_url_check(const struct callback_policy *p, const char *url,
    struct error *e)
{
	struct callback_url u;
	struct callback_addr lo;
	char why[400];

	if (callback_url_parse(url, &u, e) == -1)
		return -1;
	if (!u.is_addr && !callback_localhost(u.host))
		return 0; /* checked where it resolves, at each delivery */
	if (u.is_addr)
		lo = u.addr;
	else
		(void)callback_addr_parse("127.0.0.1", &lo);
	if (!callback_allowed(p, &u, &lo, why, sizeof(why)))
		return error_set_field(e, ERR_REFUSED, "callback_url",
		    "'callback_url': %s", why);
	return 0;
}

/* The Sluice-Signature header's value. */
int
callback_signature(const char *secret, int64_t t, const void *body, size_t len,
    char out[CALLBACK_SIGNATURE_MAX])
{
	unsigned char mac[32];
	char prefix[32];
	size_t n, i;
	char *msg;
	int rc;

	n = (size_t)snprintf(prefix, sizeof(prefix), "%" PRId64 ".", t);
	if ((msg = malloc(n + len + 1)) == NULL)
		return -1;
	memcpy(msg, prefix, n);
	if (len > 0)
		memcpy(msg + n, body, len);
	rc = digest_hmac_sha256(secret, strlen(secret), msg, n + len, mac);
	free(msg);
	if (rc == -1)
		return -1;
	n = (size_t)snprintf(out, CALLBACK_SIGNATURE_MAX,
	    "t=%" PRId64 ",v1=", t);
	for (i = 0; i < 32; i++)
		snprintf(out + n + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

/* The delay before the next attempt after n failed ones. */
int64_t
callback_backoff_ms(int n)
{
	int64_t d = 1000;

	while (--n > 0 && d < CALLBACK_BACKOFF_MAX_MS)
		d *= 2;
	return d < CALLBACK_BACKOFF_MAX_MS ? d : CALLBACK_BACKOFF_MAX_MS;
}
