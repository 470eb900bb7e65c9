/*
 * The CLI's HTTP client: see client.h.  Blocking sockets driven through
 * poll(2), so that every wait has a timeout; the response is parsed by
 * pure functions that the unit tests drive with canned bytes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "client.h"
#include "net.h"
#include "util.h"

#define CLIENT_READ_CHUNK (64 * 1024)

/* Whether c may appear in a header field name (RFC 9110 tchar). */
static bool
client_tchar(unsigned char c)
{
	return c != '\0' &&
	    ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		(c >= 'A' && c <= 'Z') || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Copy n bytes of s into out (size bytes), '?' for anything unprintable. */
static void
client_copy_printable(char *out, size_t size, const char *s, size_t n)
{
	size_t i;

	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[n] = '\0';
}

/* Parse the host, port and path of an http:// URL. */
int
client_url_parse(const char *url, struct client_url *u, struct error *e)
{
	struct client_url tmp;
	const char *p, *host, *end, *path;
	size_t hlen, plen;
	unsigned long port = 80;
	char *pend;

	memset(&tmp, 0, sizeof(tmp));
	if (strncasecmp(url, "https://", 8) == 0)
		return error_set(e, ERR_USAGE,
		    "'%s': https is not supported; reach the dispatcher over "
		    "http:// on a trusted network",
		    url);
	if (strncasecmp(url, "http://", 7) != 0)
		return error_set(e, ERR_USAGE,
		    "'%s' is not an http:// URL (like http://127.0.0.1:8750)",
		    url);
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return error_set(e, ERR_USAGE,
			    "the URL has a space or a control character");
	if (strpbrk(url, "?#") != NULL)
		return error_set(e, ERR_USAGE,
		    "'%s': a server URL has no query or fragment", url);
	host = url + 7;
	path = host + strcspn(host, "/");
	if (memchr(host, '@', (size_t)(path - host)) != NULL)
		return error_set(e, ERR_USAGE,
		    "'%s': user information in the URL is not supported", url);
	if (*host == '[') {
		host++;
		if ((end = memchr(host, ']', (size_t)(path - host))) == NULL)
			return error_set(e, ERR_USAGE,
			    "'%s': unterminated '[' in the host", url);
		hlen = (size_t)(end - host);
		if (hlen == 0 ||
		    strspn(host, "0123456789abcdefABCDEF:.") < hlen)
			return error_set(e, ERR_USAGE, "'%s': bad IPv6 address",
			    url);
		p = end + 1;
	} else {
		end = host + strcspn(host, ":/");
		hlen = (size_t)(end - host);
		if (strspn(host,
			"0123456789abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ.-_") < hlen)
			return error_set(e, ERR_USAGE, "'%s': bad host name",
			    url);
		p = end;
	}
	if (hlen == 0)
		return error_set(e, ERR_USAGE, "'%s' has no host", url);
	if (hlen > CLIENT_HOST_MAX)
		return error_set(e, ERR_USAGE, "'%s': host name too long", url);
	memcpy(tmp.host, host, hlen);
	if (*p == ':') {
		p++;
		if (p == path || (size_t)(path - p) > 5 ||
		    strspn(p, "0123456789") < (size_t)(path - p))
			return error_set(e, ERR_USAGE, "'%s': bad port", url);
		port = strtoul(p, &pend, 10);
		if (port == 0 || port > 65535)
			return error_set(e, ERR_USAGE,
			    "'%s': the port must be 1 to 65535", url);
	} else if (p != path)
		return error_set(e, ERR_USAGE, "'%s': bad host", url);
	snprintf(tmp.port, sizeof(tmp.port), "%lu", port);
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	if (plen > CLIENT_PREFIX_MAX)
		return error_set(e, ERR_USAGE, "'%s': path too long", url);
	memcpy(tmp.prefix, path, plen);
	*u = tmp;
	return 0;
}

/* Set a client up for a URL and a token. */
int
client_init(struct client *c, const char *url, const char *token,
    struct error *e)
{
	struct client tmp;
	const char *p;

	memset(&tmp, 0, sizeof(tmp));
	if (strlen(url) > CLIENT_URL_MAX)
		return error_set(e, ERR_USAGE, "the server URL is too long");
	if (client_url_parse(url, &tmp.u, e) == -1)
		return -1;
	snprintf(tmp.url, sizeof(tmp.url), "%s", url);
	if (token != NULL) {
		if (strlen(token) > CLIENT_TOKEN_MAX)
			return error_set(e, ERR_USAGE,
			    "the token is longer than %d bytes",
			    CLIENT_TOKEN_MAX);
		for (p = token; *p != '\0'; p++)
			if ((unsigned char)*p <= 0x20 ||
			    (unsigned char)*p == 0x7f)
				return error_set(e, ERR_USAGE,
				    "the token has a space or a control "
				    "character in it");
		snprintf(tmp.token, sizeof(tmp.token), "%s", token);
	}
	tmp.connect_timeout_ms = CLIENT_CONNECT_TIMEOUT_MS;
	tmp.io_timeout_ms = CLIENT_IO_TIMEOUT_MS;
	*c = tmp;
	return 0;
}

/* Start a response empty. */
void
client_response_init(struct client_response *r)
{
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
}

/* Free a response's body and start it empty again. */
void
client_response_release(struct client_response *r)
{
	free(r->body);
	client_response_init(r);
}

/* Parse the status line "HTTP/1.x NNN reason". */
static int
client_status_line(const char *s, size_t n, struct client_response *r,
    struct error *e)
{
	int status;

	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' ||
	    s[7] > '9' || s[8] != ' ' || s[9] < '1' || s[9] > '5' ||
	    s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
	    (n > 12 && s[12] != ' '))
		return error_set(e, ERR_INVALID,
		    "the answer is not an HTTP/1.x response");
	status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (status < 200)
		return error_set(e, ERR_INVALID,
		    "unexpected informational status %d", status);
	r->status = status;
	if (n > 13)
		client_copy_printable(r->reason, sizeof(r->reason), s + 13,
		    n - 13);
	else
		r->reason[0] = '\0';
	return 0;
}

/* Parse one header line "Name: value" into r. */
static int
client_header_line(const char *s, size_t n, struct client_response *r,
    bool *have_length, struct error *e)
{
	const char *colon = memchr(s, ':', n), *v, *vend;
	size_t i, nlen;
	uint64_t len;
	char num[24];

	if (s[0] == ' ' || s[0] == '\t')
		return error_set(e, ERR_INVALID,
		    "folded header lines are not allowed");
	if (colon == NULL || colon == s)
		return error_set(e, ERR_INVALID, "malformed header line");
	nlen = (size_t)(colon - s);
	for (i = 0; i < nlen; i++)
		if (!client_tchar((unsigned char)s[i]))
			return error_set(e, ERR_INVALID,
			    "malformed header name");
	v = colon + 1;
	vend = s + n;
	while (v < vend && (*v == ' ' || *v == '\t'))
		v++;
	while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
		vend--;
	if (nlen == 14 && strncasecmp(s, "Content-Length", 14) == 0) {
		if (vend - v == 0 || vend - v > 18 ||
		    strspn(v, "0123456789") < (size_t)(vend - v))
			return error_set(e, ERR_INVALID, "bad Content-Length");
		memcpy(num, v, (size_t)(vend - v));
		num[vend - v] = '\0';
		if (!util_parse_u64(num, &len))
			return error_set(e, ERR_INVALID, "bad Content-Length");
		if (*have_length && (uint64_t)r->content_length != len)
			return error_set(e, ERR_INVALID,
			    "conflicting Content-Length headers");
		r->content_length = (int64_t)len;
		*have_length = true;
	} else if (nlen == 17 && strncasecmp(s, "Transfer-Encoding", 17) == 0) {
		if (vend - v != 8 || strncasecmp(v, "identity", 8) != 0)
			return error_set(e, ERR_INVALID,
			    "unsupported Transfer-Encoding '%.*s'",
			    (int)(vend - v > 40 ? 40 : vend - v), v);
	} else if (nlen == 12 && strncasecmp(s, "Content-Type", 12) == 0)
		client_copy_printable(r->content_type, sizeof(r->content_type),
		    v, (size_t)(vend - v));
	else if (nlen == 11 && strncasecmp(s, "Retry-After", 11) == 0)
		client_copy_printable(r->retry_after, sizeof(r->retry_after), v,
		    (size_t)(vend - v));
	return 0;
}

/* Parse the status line and headers. */
int
client_head_parse(const char *buf, size_t len, struct client_response *r,
    size_t *head_len, struct error *e)
{
	const char *line = buf, *nl, *end = buf + len;
	bool have_length = false, first = true;
	size_t n;

	if (memcmp(buf, "HTTP/", len < 5 ? len : 5) != 0)
		return error_set(e, ERR_INVALID,
		    "the answer is not an HTTP response");
	r->content_length = -1;
	r->content_type[0] = r->retry_after[0] = '\0';
	for (;;) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (memchr(line, '\0',
			(size_t)((nl != NULL ? nl : end) - line)) != NULL)
			return error_set(e, ERR_INVALID,
			    "a NUL byte in the response headers");
		if (nl == NULL) {
			if (len >= CLIENT_HEAD_MAX)
				return error_set(e, ERR_INVALID,
				    "the response headers are longer than "
				    "%d bytes",
				    CLIENT_HEAD_MAX);
			return 0;
		}
		if ((size_t)(nl + 1 - buf) > CLIENT_HEAD_MAX)
			return error_set(e, ERR_INVALID,
			    "the response headers are longer than %d bytes",
			    CLIENT_HEAD_MAX);
		n = (size_t)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (first) {
			if (client_status_line(line, n, r, e) == -1)
				return -1;
			first = false;
		} else if (n == 0)
			break;
		else if (client_header_line(line, n, r, &have_length, e) == -1)
			return -1;
		line = nl + 1;
	}
	if (r->status == 204 || r->status == 304)
		r->content_length = 0;
	*head_len = (size_t)(nl + 1 - buf);
	return 1;
}

/* Parse a whole buffered response. */
int
client_response_parse(const char *buf, size_t len, bool eof, size_t body_cap,
    struct client_response *r, struct error *e)
{
	size_t head_len, blen;
	int rc;

	if ((rc = client_head_parse(buf, len, r, &head_len, e)) != 1) {
		if (rc == 0 && eof)
			return error_set(e, ERR_INVALID,
			    len == 0 ? "the connection was closed without an "
				       "answer"
				     : "the connection was closed in the "
				       "middle of the response headers");
		return rc;
	}
	blen = len - head_len;
	if (r->content_length >= 0) {
		if ((uint64_t)r->content_length > body_cap)
			return error_set(e, ERR_INVALID,
			    "the response body (%lld bytes) is larger than "
			    "%zu bytes",
			    (long long)r->content_length, body_cap);
		if (blen < (size_t)r->content_length) {
			if (eof)
				return error_set(e, ERR_INVALID,
				    "the response was cut short: %zu of "
				    "%lld bytes",
				    blen, (long long)r->content_length);
			return 0;
		}
		blen = (size_t)r->content_length;
	} else {
		if (blen > body_cap)
			return error_set(e, ERR_INVALID,
			    "the response body is larger than %zu bytes",
			    body_cap);
		if (!eof)
			return 0;
	}
	free(r->body);
	if ((r->body = malloc(blen + 1)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	memcpy(r->body, buf + head_len, blen);
	r->body[blen] = '\0';
	r->body_len = blen;
	return 1;
}

/* Wait up to timeout_ms for fd to be ready for events; 0 on a timeout. */
static int
client_poll(int fd, short events, int timeout_ms)
{
	struct pollfd p = { fd, events, 0 };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n == -1 && errno == EINTR);
	return n;
}

/* Connect to the dispatcher within connect_timeout_ms. */
static int
client_connect(const struct client *c, int *fdp, struct error *e)
{
	int fd, gai, err;

	fd = net_connect(c->u.host, c->u.port,
	    util_now_ms() + c->connect_timeout_ms, &gai, &err);
	if (fd == -1)
		return error_set(e, ERR_IO,
		    "cannot reach the dispatcher at %s: %s", c->url,
		    net_strerror(gai, err));
	*fdp = fd;
	return 0;
}

/* Send all of buf; errno says why not. */
static int
client_send_all(int fd, const char *buf, size_t len, int timeout_ms)
{
	ssize_t n;
	int p;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((p = client_poll(fd, POLLOUT, timeout_ms)) <= 0) {
			if (p == 0)
				errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

/* The request line and headers, in a new string. */
static char *
client_request_head(const struct client *c, const char *method,
    const char *path, const char *content_type, bool has_body, size_t body_len)
{
	size_t size = 512 + strlen(method) + strlen(c->u.prefix) +
	    strlen(path) + strlen(c->u.host) + strlen(c->token) +
	    (content_type != NULL ? strlen(content_type) : 0);
	bool v6 = strchr(c->u.host, ':') != NULL;
	char *head;
	int n;

	if ((head = malloc(size)) == NULL)
		return NULL;
	n = snprintf(head, size,
	    "%s %s%s HTTP/1.1\r\n"
	    "Host: %s%s%s:%s\r\n"
	    "User-Agent: sluice/%s\r\n"
	    "Accept: */*\r\n"
	    "Connection: close\r\n"
	    "%s%s%s",
	    method, c->u.prefix, path, v6 ? "[" : "", c->u.host, v6 ? "]" : "",
	    c->u.port, PACKAGE_VERSION,
	    c->token[0] ? "Authorization: Bearer " : "", c->token,
	    c->token[0] ? "\r\n" : "");
	if (has_body)
		n += snprintf(head + n, size - (size_t)n,
		    "Content-Type: %s\r\nContent-Length: %zu\r\n",
		    content_type != NULL ? content_type : "application/json",
		    body_len);
	else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
		n += snprintf(head + n, size - (size_t)n,
		    "Content-Length: 0\r\n");
	snprintf(head + n, size - (size_t)n, "\r\n");
	return head;
}

/* Write a body chunk to the sink, never past the Content-Length. */
static int
client_sink(int fd, const char *buf, size_t len, struct client_response *r,
    struct error *e)
{
	if (r->content_length >= 0 &&
	    len > (uint64_t)r->content_length - r->streamed)
		len = (size_t)((uint64_t)r->content_length - r->streamed);
	if (len > 0 && util_write_all(fd, buf, len) == -1)
		return error_set(e, ERR_INTERNAL, "cannot write the output: %s",
		    strerror(errno));
	r->streamed += len;
	return 0;
}

/* Send one request and read its response. */
int
client_request(const struct client *c, const char *method, const char *path,
    const char *content_type, const char *body, size_t body_len,
    int io_timeout_ms, size_t body_cap, int sink_fd, struct client_response *r,
    struct error *e)
{
	char *head = NULL, *buf = NULL, *nbuf;
	size_t len = 0, size = 0, head_len = 0, limit;
	bool eof = false, streaming = false, parsed_head = false;
	int fd = -1, rc = -1, send_errno = 0, p, got;
	ssize_t n;

	client_response_release(r);
	if (io_timeout_ms <= 0)
		io_timeout_ms = c->io_timeout_ms;
	/* What may be buffered: the head, then the body (+1 to see more). */
	limit = body_cap > SIZE_MAX - CLIENT_HEAD_MAX - 1
	    ? SIZE_MAX
	    : CLIENT_HEAD_MAX + body_cap + 1;
	head = client_request_head(c, method, path, content_type, body != NULL,
	    body_len);
	if (head == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (client_connect(c, &fd, e) == -1)
		goto out;
	/* A server may answer (413, 401) and close before taking the whole
	   body: keep what it says rather than the send error. */
	if (client_send_all(fd, head, strlen(head), io_timeout_ms) == -1 ||
	    (body != NULL && body_len > 0 &&
		client_send_all(fd, body, body_len, io_timeout_ms) == -1))
		send_errno = errno;
	for (;;) {
		if (len == size) {
			if (size >= limit) {
				error_set(e, ERR_INVALID,
				    "the response is larger than %zu bytes",
				    limit - 1);
				goto out;
			}
			size = size == 0 ? CLIENT_READ_CHUNK : size * 2;
			if (size > limit)
				size = limit;
			if ((nbuf = realloc(buf, size)) == NULL) {
				error_set(e, ERR_NOMEM, "out of memory");
				goto out;
			}
			buf = nbuf;
		}
		if ((p = client_poll(fd, POLLIN, io_timeout_ms)) <= 0) {
			if (send_errno != 0)
				errno = send_errno;
			else if (p == 0)
				errno = ETIMEDOUT;
			error_set(e, ERR_SYS,
			    p == 0 && send_errno == 0
				? "the dispatcher at %s did not answer in "
				  "time: %s"
				: "lost the connection to the dispatcher at "
				  "%s: %s",
			    c->url, strerror(errno));
			goto out;
		}
		n = read(fd, buf + len, size - len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1 && len == 0 && send_errno != 0)
			errno = send_errno;
		if (n == -1) {
			error_set(e, ERR_SYS,
			    "lost the connection to the dispatcher at %s: %s",
			    c->url, strerror(errno));
			goto out;
		}
		if (n == 0)
			eof = true;
		len += (size_t)n;
		if (streaming) {
			if (client_sink(sink_fd, buf, len, r, e) == -1)
				goto out;
			len = 0;
		} else if (!parsed_head && sink_fd != -1) {
			got = client_head_parse(buf, len, r, &head_len, e);
			if (got == -1)
				goto out;
			if (got == 0 && eof) {
				error_set(e, ERR_INVALID,
				    "the connection was closed before the "
				    "response headers ended");
				goto out;
			}
			if (got == 1 && r->status / 100 == 2) {
				parsed_head = streaming = true;
				if (client_sink(sink_fd, buf + head_len,
					len - head_len, r, e) == -1)
					goto out;
				len = 0;
			} else if (got == 1)
				parsed_head = true;
		}
		if (streaming) {
			if (r->content_length >= 0 &&
			    r->streamed >= (uint64_t)r->content_length)
				break;
			if (eof && r->content_length >= 0) {
				error_set(e, ERR_INVALID,
				    "the response was cut short: %llu of "
				    "%lld bytes",
				    (unsigned long long)r->streamed,
				    (long long)r->content_length);
				goto out;
			}
			if (eof)
				break;
			continue;
		}
		got = client_response_parse(buf, len, eof, body_cap, r, e);
		if (got == -1)
			goto out;
		if (got == 1)
			break;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(buf);
	free(head);
	return rc;
}

/* Percent-encode s onto out. */
int
client_escape(const char *s, bool keep_slash, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(out);
	unsigned char ch;

	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("._~-", ch) != NULL ||
		    (keep_slash && ch == '/')) {
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)ch;
		} else {
			if (n + 3 >= size)
				return -1;
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
	return 0;
}
