/*
 * The CLI's HTTP client: see client.h.  libcurl does the connections,
 * TLS, proxies and HTTP; this file sets a request up, keeps what it reads
 * within its caps, times out a peer that stops making progress and turns
 * libcurl's errors into ours, once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "client.h"
#include "util.h"

/* The process's handle: its connection cache is what keeps a connection
   alive from one request of a command to the next. */
static CURL *client_curl;

/* One request under way, as libcurl's callbacks see it. */
struct client_xfer {
	CURL *curl;
	struct client_response *r;
	int sink_fd;
	size_t body_cap;
	size_t body_size; /* allocated for r->body */
	size_t head_bytes;
	bool decided; /* whether the body streams is known */
	bool streaming;
	int io_timeout_ms;
	int64_t last_ms; /* when the peer last made progress */
	curl_off_t last_moved; /* bytes moved by then, both ways */
	bool timed_out;
	bool failed; /* a callback stopped the transfer; why is in e */
	struct error e;
};

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

/* The message of a URL parser error. */
static int
client_url_error(struct error *e, const char *url, CURLUcode uc)
{
	return error_set(e, ERR_USAGE, "'%s' is not a usable server URL: %s",
	    url, curl_url_strerror(uc));
}

/* Take a URL apart with libcurl's parser, then hold it to our rules. */
int
client_url_parse(const char *url, struct client_url *u, struct error *e)
{
	static const CURLUPart refused[] = { CURLUPART_USER, CURLUPART_PASSWORD,
		CURLUPART_OPTIONS, CURLUPART_QUERY, CURLUPART_FRAGMENT };
	struct client_url tmp;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL,
	     *origin = NULL, *part = NULL;
	const char *p;
	CURLU *h = NULL;
	CURLUcode uc;
	size_t i, len;
	int rc = -1;

	memset(&tmp, 0, sizeof(tmp));
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return error_set(e, ERR_USAGE,
			    "the URL has a space or a control character");
	/* An empty query or fragment ("http://h?") has no part to see. */
	if (strpbrk(url, "?#") != NULL)
		return error_set(e, ERR_USAGE,
		    "'%s': a server URL has no query or fragment", url);
	if ((h = curl_url()) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	if ((uc = curl_url_set(h, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		client_url_error(e, url, uc);
		goto out;
	}
	if ((uc = curl_url_get(h, CURLUPART_SCHEME, &scheme, 0)) != CURLUE_OK) {
		client_url_error(e, url, uc);
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		error_set(e, ERR_USAGE,
		    "'%s' is not an http:// or https:// URL (like "
		    "http://127.0.0.1:8750)",
		    url);
		goto out;
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		uc = curl_url_get(h, refused[i], &part, 0);
		curl_free(part);
		part = NULL;
		if (uc == CURLUE_OK) {
			error_set(e, ERR_USAGE,
			    "'%s': user information, a query or a fragment "
			    "in a server URL is not supported",
			    url);
			goto out;
		}
	}
	if ((uc = curl_url_get(h, CURLUPART_HOST, &host, 0)) != CURLUE_OK ||
	    (uc = curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) !=
		CURLUE_OK ||
	    (uc = curl_url_get(h, CURLUPART_PATH, &path, 0)) != CURLUE_OK) {
		client_url_error(e, url, uc);
		goto out;
	}
	if (strcmp(port, "0") == 0) {
		error_set(e, ERR_USAGE, "'%s': the port must be 1 to 65535",
		    url);
		goto out;
	}
	/* The host without the brackets of an IPv6 address. */
	p = host;
	len = strlen(host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		p++;
		len -= 2;
	}
	if (len == 0 || len > CLIENT_HOST_MAX) {
		error_set(e, ERR_USAGE, "'%s': bad host", url);
		goto out;
	}
	memcpy(tmp.host, p, len);
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	if (len > CLIENT_PREFIX_MAX) {
		error_set(e, ERR_USAGE, "'%s': path too long", url);
		goto out;
	}
	memcpy(tmp.prefix, path, len);
	/* The origin as libcurl writes it back: the URL without its path. */
	if ((uc = curl_url_set(h, CURLUPART_PATH, "/", 0)) != CURLUE_OK ||
	    (uc = curl_url_get(h, CURLUPART_URL, &origin,
		 CURLU_DEFAULT_PORT)) != CURLUE_OK) {
		client_url_error(e, url, uc);
		goto out;
	}
	len = strlen(origin);
	if (len > 0 && origin[len - 1] == '/')
		len--;
	if (len > CLIENT_URL_MAX) {
		error_set(e, ERR_USAGE, "the server URL is too long");
		goto out;
	}
	memcpy(tmp.origin, origin, len);
	snprintf(tmp.scheme, sizeof(tmp.scheme), "%s", scheme);
	snprintf(tmp.port, sizeof(tmp.port), "%s", port);
	*u = tmp;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(origin);
	curl_url_cleanup(h);
	return rc;
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

/* Trust only the CAs of a PEM file. */
int
client_set_ca_file(struct client *c, const char *path, struct error *e)
{
	static const char pem[] = "-----BEGIN CERTIFICATE-----";
	char *buf = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	if (path[0] == '\0' || strlen(path) > CLIENT_FILE_MAX)
		return error_set(e, ERR_USAGE, "bad CA file name");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return error_set(e, ERR_IO, "cannot open the CA file '%s': %s",
		    path, strerror(errno));
	if (fstat(fd, &st) == -1) {
		error_set(e, ERR_IO, "cannot read the CA file '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CLIENT_CA_BYTES_MAX) {
		error_set(e, ERR_INVALID,
		    "the CA file '%s' is not a regular file of at most %d "
		    "bytes",
		    path, CLIENT_CA_BYTES_MAX);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_set(e, ERR_IO, "cannot read the CA file '%s': %s",
			    path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (memmem(buf, len, pem, sizeof(pem) - 1) == NULL) {
		error_set(e, ERR_INVALID,
		    "the CA file '%s' has no PEM certificate in it", path);
		goto out;
	}
	snprintf(c->ca_file, sizeof(c->ca_file), "%s", path);
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Connect through a UNIX socket. */
int
client_set_unix_socket(struct client *c, const char *path, struct error *e)
{
	if (path[0] == '\0')
		return error_set(e, ERR_USAGE, "the UNIX socket path is empty");
	if (strlen(path) > CLIENT_SOCKET_MAX)
		return error_set(e, ERR_USAGE,
		    "the UNIX socket path is longer than %d bytes",
		    CLIENT_SOCKET_MAX);
	snprintf(c->unix_socket, sizeof(c->unix_socket), "%s", path);
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

/* Parse a status line: "HTTP/1.1 200 OK", "HTTP/2 404". */
static int
client_status_line(const char *s, size_t n, struct client_response *r,
    struct error *e)
{
	const char *sp = memchr(s, ' ', n), *code;

	if (sp == NULL || (size_t)(s + n - sp) < 4)
		return error_set(e, ERR_INVALID, "malformed status line");
	code = sp + 1;
	if (code[0] < '1' || code[0] > '5' || code[1] < '0' || code[1] > '9' ||
	    code[2] < '0' || code[2] > '9' ||
	    (s + n > code + 3 && code[3] != ' '))
		return error_set(e, ERR_INVALID, "malformed status line");
	r->status = (code[0] - '0') * 100 + (code[1] - '0') * 10 +
	    (code[2] - '0');
	r->reason[0] = '\0';
	if (s + n > code + 4)
		client_copy_printable(r->reason, sizeof(r->reason), code + 4,
		    (size_t)(s + n - code - 4));
	r->content_type[0] = r->retry_after[0] = '\0';
	r->content_length = -1;
	return 0;
}

/* Take one line of a response head. */
int
client_header_parse(const char *line, size_t len, struct client_response *r,
    struct error *e)
{
	const char *colon, *v, *vend;
	size_t nlen;
	uint64_t clen;
	char num[24];

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0)
		return client_status_line(line, len, r, e);
	if (len == 0 || (colon = memchr(line, ':', len)) == NULL)
		return 0;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vend = line + len;
	while (v < vend && (*v == ' ' || *v == '\t'))
		v++;
	while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
		vend--;
	if (nlen == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
		if (vend - v == 0 || vend - v > 18 ||
		    strspn(v, "0123456789") < (size_t)(vend - v))
			return error_set(e, ERR_INVALID, "bad Content-Length");
		memcpy(num, v, (size_t)(vend - v));
		num[vend - v] = '\0';
		if (!util_parse_u64(num, &clen))
			return error_set(e, ERR_INVALID, "bad Content-Length");
		r->content_length = (int64_t)clen;
	} else if (nlen == 12 && strncasecmp(line, "Content-Type", 12) == 0)
		client_copy_printable(r->content_type, sizeof(r->content_type),
		    v, (size_t)(vend - v));
	else if (nlen == 11 && strncasecmp(line, "Retry-After", 11) == 0)
		client_copy_printable(r->retry_after, sizeof(r->retry_after), v,
		    (size_t)(vend - v));
	return 0;
}

/* libcurl's header callback: one line of the head at a time. */
static size_t
client_on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct client_xfer *x = arg;

	x->last_ms = util_now_ms();
	x->head_bytes += n;
	if (x->head_bytes > CLIENT_HEAD_MAX) {
		x->failed = true;
		error_set(&x->e, ERR_INVALID,
		    "the response headers are longer than %d bytes",
		    CLIENT_HEAD_MAX);
		return 0;
	}
	if (client_header_parse(buf, n, x->r, &x->e) == -1) {
		x->failed = true;
		return 0;
	}
	return n;
}

/* Keep a body chunk in r->body, within the cap. */
static int
client_keep(struct client_xfer *x, const char *buf, size_t n)
{
	struct client_response *r = x->r;
	size_t want;
	char *nbody;

	if (n > x->body_cap - r->body_len) {
		if (r->content_length >= 0)
			return error_set(&x->e, ERR_INVALID,
			    "the response body (%lld bytes) is larger than "
			    "%zu bytes",
			    (long long)r->content_length, x->body_cap);
		return error_set(&x->e, ERR_INVALID,
		    "the response body is larger than %zu bytes", x->body_cap);
	}
	if (r->body_len + n + 1 > x->body_size) {
		want = x->body_size == 0 ? 64 * 1024 : x->body_size;
		while (want < r->body_len + n + 1)
			want *= 2;
		if (x->body_cap < SIZE_MAX && want > x->body_cap + 1)
			want = x->body_cap + 1;
		if ((nbody = realloc(r->body, want)) == NULL)
			return error_set(&x->e, ERR_NOMEM, "out of memory");
		r->body = nbody;
		x->body_size = want;
	}
	memcpy(r->body + r->body_len, buf, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return 0;
}

/* libcurl's write callback: the body, to the sink or kept. */
static size_t
client_on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct client_xfer *x = arg;
	struct client_response *r = x->r;
	long code = 0;

	x->last_ms = util_now_ms();
	if (!x->decided) {
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
		x->streaming = x->sink_fd != -1 && code / 100 == 2;
		x->decided = true;
		/* Refused before a byte of it is kept. */
		if (!x->streaming && r->content_length >= 0 &&
		    (uint64_t)r->content_length > x->body_cap) {
			error_set(&x->e, ERR_INVALID,
			    "the response body (%lld bytes) is larger than "
			    "%zu bytes",
			    (long long)r->content_length, x->body_cap);
			x->failed = true;
			return 0;
		}
	}
	if (x->streaming) {
		if (n > 0 && util_write_all(x->sink_fd, buf, n) == -1) {
			error_set(&x->e, ERR_INTERNAL,
			    "cannot write the output: %s", strerror(errno));
			x->failed = true;
			return 0;
		}
		r->streamed += n;
		return n;
	}
	if (client_keep(x, buf, n) == -1) {
		x->failed = true;
		return 0;
	}
	return n;
}

/* libcurl's progress callback: a peer that makes no progress for the
   I/O timeout is given up on. */
static int
client_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct client_xfer *x = arg;
	int64_t now = util_now_ms();

	if (dlnow + ulnow != x->last_moved) {
		x->last_moved = dlnow + ulnow;
		x->last_ms = now;
		return 0;
	}
	if (now - x->last_ms >= x->io_timeout_ms) {
		x->timed_out = true;
		return 1;
	}
	return 0;
}

/* The handle, made on first use. */
static CURL *
client_handle(struct error *e)
{
	static bool global;

	if (client_curl != NULL)
		return client_curl;
	if (!global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			error_set(e, ERR_NOMEM, "cannot start libcurl");
			return NULL;
		}
		global = true;
	}
	if ((client_curl = curl_easy_init()) == NULL)
		error_set(e, ERR_NOMEM, "cannot start libcurl");
	return client_curl;
}

/* Close the connection and free libcurl's state. */
void
client_cleanup(void)
{
	if (client_curl == NULL)
		return;
	curl_easy_cleanup(client_curl);
	client_curl = NULL;
}

/* The request's headers, in a new list (NULL when out of memory). */
static struct curl_slist *
client_headers(const struct client *c, const char *content_type, bool has_body)
{
	char auth[CLIENT_TOKEN_MAX + 32], type[256];
	struct curl_slist *list = NULL, *next;
	const char *lines[3];
	size_t i, n = 0;

	/* No "Expect: 100-continue": the body goes with the head. */
	lines[n++] = "Expect:";
	if (c->token[0] != '\0') {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    c->token);
		lines[n++] = auth;
	}
	if (has_body) {
		snprintf(type, sizeof(type), "Content-Type: %s",
		    content_type != NULL ? content_type : "application/json");
		lines[n++] = type;
	}
	for (i = 0; i < n; i++) {
		if ((next = curl_slist_append(list, lines[i])) == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

/* Set every option of one request on the handle (reset first). */
static CURLcode
client_setup(CURL *curl, const struct client *c, const char *method,
    const char *url, const char *body, size_t body_len,
    struct curl_slist *headers, struct client_xfer *x, char *errbuf)
{
	static const char agent[] = "sluice/" PACKAGE_VERSION;
	CURLcode rc = CURLE_OK;

	/* Every option is set anew; the reset keeps the connections. */
	curl_easy_reset(curl);
#define CLIENT_OPT(opt, v) \
	(rc = rc != CURLE_OK ? rc : curl_easy_setopt(curl, opt, v))
	CLIENT_OPT(CURLOPT_ERRORBUFFER, errbuf);
	CLIENT_OPT(CURLOPT_URL, url);
	CLIENT_OPT(CURLOPT_PROTOCOLS_STR, "http,https");
	CLIENT_OPT(CURLOPT_NOSIGNAL, 1L);
	CLIENT_OPT(CURLOPT_USERAGENT, agent);
	CLIENT_OPT(CURLOPT_HTTPHEADER, headers);
	CLIENT_OPT(CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
	/* A proxy's answer to CONNECT is not the dispatcher's. */
	CLIENT_OPT(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	CLIENT_OPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	CLIENT_OPT(CURLOPT_SSL_VERIFYPEER, 1L);
	CLIENT_OPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file[0] != '\0') {
		/* The file's CAs instead of the system's, not besides. */
		CLIENT_OPT(CURLOPT_CAINFO, c->ca_file);
		CLIENT_OPT(CURLOPT_CAPATH, NULL);
	}
	if (c->unix_socket[0] != '\0')
		CLIENT_OPT(CURLOPT_UNIX_SOCKET_PATH, c->unix_socket);
	if (strcmp(method, "GET") == 0 && body == NULL)
		CLIENT_OPT(CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "HEAD") == 0)
		CLIENT_OPT(CURLOPT_NOBODY, 1L);
	else if (body != NULL || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
		/* A POST or PUT without a body says Content-Length: 0. */
		CLIENT_OPT(CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(body != NULL ? body_len : 0));
		CLIENT_OPT(CURLOPT_POSTFIELDS, body != NULL ? body : "");
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
	    strcmp(method, "HEAD") != 0)
		CLIENT_OPT(CURLOPT_CUSTOMREQUEST, method);
	CLIENT_OPT(CURLOPT_HEADERFUNCTION, client_on_header);
	CLIENT_OPT(CURLOPT_HEADERDATA, x);
	CLIENT_OPT(CURLOPT_WRITEFUNCTION, client_on_body);
	CLIENT_OPT(CURLOPT_WRITEDATA, x);
	CLIENT_OPT(CURLOPT_XFERINFOFUNCTION, client_on_progress);
	CLIENT_OPT(CURLOPT_XFERINFODATA, x);
	CLIENT_OPT(CURLOPT_NOPROGRESS, 0L);
#undef CLIENT_OPT
	return rc;
}

/*
 * The environment variable that gives libcurl a proxy for scheme, if one
 * does (no_proxy aside): <scheme>_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY.
 * libcurl reads no HTTP_PROXY: a CGI program's environment may hold one
 * that a request set.
 */
static const char *
client_proxy_env(const char *scheme)
{
	static const char *const https[] = { "https_proxy", "HTTPS_PROXY",
		"all_proxy", "ALL_PROXY", NULL };
	static const char *const http[] = { "http_proxy", "all_proxy",
		"ALL_PROXY", NULL };
	const char *const *v = strcmp(scheme, "https") == 0 ? https : http;
	const char *val;

	for (; *v != NULL; v++)
		if ((val = getenv(*v)) != NULL && val[0] != '\0')
			return *v;
	return NULL;
}

/*
 * Say why a transfer failed, in the terms of client.h.  errbuf is what
 * libcurl wrote there ("" if nothing).
 */
static int
client_fail(const struct client *c, CURL *curl, CURLcode rc, const char *errbuf,
    const struct client_xfer *x, struct error *e)
{
	const char *msg = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	char direct[CLIENT_HOST_MAX + 64], why[CURL_ERROR_SIZE];
	const char *proxy;
	long os_errno = 0;

	/* Nothing unprintable reaches a terminal. */
	client_copy_printable(why, sizeof(why), msg, strlen(msg));
	curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
	if (x->failed) {
		*e = x->e;
		return -1;
	}
	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK: /* only the progress callback */
		return error_set(e, ERR_SYS,
		    "the dispatcher at %s did not answer in time: %s", c->url,
		    strerror(ETIMEDOUT));
	case CURLE_COULDNT_RESOLVE_PROXY:
		return error_set(e, ERR_IO,
		    "cannot reach the dispatcher at %s: %s (from the "
		    "environment's proxy variables)",
		    c->url, why);
	case CURLE_COULDNT_RESOLVE_HOST:
		return error_set(e, ERR_IO,
		    "cannot reach the dispatcher at %s: %s", c->url, why);
	case CURLE_OPERATION_TIMEDOUT: /* only connecting has a timeout */
	case CURLE_COULDNT_CONNECT:
		if (os_errno == 0)
			os_errno = rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT
								  : 0;
		if (c->unix_socket[0] != '\0')
			return error_set(e, ERR_IO,
			    "cannot reach the dispatcher at %s through the "
			    "UNIX socket '%s': %s",
			    c->url, c->unix_socket,
			    os_errno != 0 ? strerror((int)os_errno) : why);
		/* Straight to the URL's host, or through a proxy (then
		   libcurl's message names what it tried). */
		snprintf(direct, sizeof(direct),
		    "Failed to connect to %s port %s ", c->u.host, c->u.port);
		if (os_errno != 0 && strncmp(why, direct, strlen(direct)) == 0)
			return error_set(e, ERR_IO,
			    "cannot reach the dispatcher at %s: %s", c->url,
			    strerror((int)os_errno));
		proxy = client_proxy_env(c->u.scheme);
		return error_set(e, ERR_IO,
		    "cannot reach the dispatcher at %s%s%s: %s%s%s", c->url,
		    proxy != NULL ? " through the proxy in $" : "",
		    proxy != NULL ? proxy : "", why, os_errno != 0 ? ": " : "",
		    os_errno != 0 ? strerror((int)os_errno) : "");
	case CURLE_PEER_FAILED_VERIFICATION:
		if (c->ca_file[0] != '\0')
			return error_set(e, ERR_REFUSED,
			    "the dispatcher at %s is not trusted: %s (its "
			    "certificate must be for that name, from a CA in "
			    "'%s')",
			    c->url, why, c->ca_file);
		return error_set(e, ERR_REFUSED,
		    "the dispatcher at %s is not trusted: %s (its certificate "
		    "must be for that name, from a CA in the system's store; "
		    "name a private CA with --cacert or SLUICE_CA_CERT)",
		    c->url, why);
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
		return error_set(e, ERR_REFUSED,
		    "cannot use the CA file '%s': %s",
		    c->ca_file[0] != '\0' ? c->ca_file : "(the system's)", why);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_USE_SSL_FAILED:
		return error_set(e, ERR_REFUSED,
		    "no TLS connection to the dispatcher at %s: %s", c->url,
		    why);
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return error_set(e, ERR_SYS,
		    "lost the connection to the dispatcher at %s: %s", c->url,
		    os_errno != 0 ? strerror((int)os_errno) : why);
	case CURLE_OUT_OF_MEMORY:
		return error_set(e, ERR_NOMEM, "out of memory");
	case CURLE_URL_MALFORMAT:
		return error_set(e, ERR_USAGE, "bad request URL: %s", why);
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL: /* an HTTP/0.9 answer */
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_FILESIZE_EXCEEDED:
		return error_set(e, ERR_INVALID, "%s", why);
	default:
		return error_set(e, ERR_SYS,
		    "the request to the dispatcher at %s failed: %s", c->url,
		    why);
	}
}

/* Send one request and read its response. */
int
client_request(const struct client *c, const char *method, const char *path,
    const char *content_type, const char *body, size_t body_len,
    int io_timeout_ms, size_t body_cap, int sink_fd, struct client_response *r,
    struct error *e)
{
	char errbuf[CURL_ERROR_SIZE] = "", *url = NULL;
	struct curl_slist *headers = NULL;
	struct client_xfer x;
	CURLcode rc;
	size_t len;
	long code = 0;
	CURL *curl;
	int ret = -1;

	client_response_release(r);
	memset(&x, 0, sizeof(x));
	error_init(&x.e);
	x.r = r;
	x.sink_fd = sink_fd;
	x.body_cap = body_cap;
	x.io_timeout_ms = io_timeout_ms > 0 ? io_timeout_ms : c->io_timeout_ms;
	if ((curl = client_handle(e)) == NULL)
		return -1;
	x.curl = curl;
	len = strlen(c->u.origin) + strlen(c->u.prefix) + strlen(path) + 1;
	if ((url = malloc(len)) == NULL ||
	    (headers = client_headers(c, content_type, body != NULL)) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(url, len, "%s%s%s", c->u.origin, c->u.prefix, path);
	if ((rc = client_setup(curl, c, method, url, body, body_len, headers,
		 &x, errbuf)) != CURLE_OK) {
		error_set(e,
		    rc == CURLE_OUT_OF_MEMORY ? ERR_NOMEM : ERR_INTERNAL,
		    "cannot set the request up: %s", curl_easy_strerror(rc));
		goto out;
	}
	x.last_ms = util_now_ms();
	if ((rc = curl_easy_perform(curl)) != CURLE_OK) {
		client_fail(c, curl, rc, errbuf, &x, e);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	r->status = (int)code;
	/* A body that is kept is a string, even an empty one. */
	if (!x.streaming && r->body == NULL) {
		if ((r->body = strdup("")) == NULL) {
			error_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	/* Nothing of this request stays pointed to from the handle; its
	   connection stays open for the next. */
	curl_easy_reset(curl);
	curl_slist_free_all(headers);
	free(url);
	if (ret == -1) {
		free(r->body);
		r->body = NULL;
		r->body_len = 0;
	}
	return ret;
}

/* Percent-encode s onto out, each '/'-separated part apart if keep_slash. */
int
client_escape(const char *s, bool keep_slash, char *out, size_t size)
{
	size_t n = strlen(out), seg, len;
	char *enc;

	for (;;) {
		seg = keep_slash ? strcspn(s, "/") : strlen(s);
		if (seg > 0) {
			if (seg > INT32_MAX ||
			    (enc = curl_easy_escape(NULL, s, (int)seg)) == NULL)
				return -1;
			len = strlen(enc);
			if (n + len >= size) {
				curl_free(enc);
				return -1;
			}
			memcpy(out + n, enc, len + 1);
			n += len;
			curl_free(enc);
		}
		s += seg;
		if (*s == '\0')
			break;
		/* A '/' kept. */
		if (n + 1 >= size)
			return -1;
		out[n++] = '/';
		out[n] = '\0';
		s++;
	}
	return 0;
}
