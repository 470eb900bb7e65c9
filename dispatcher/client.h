/*
 * A small blocking HTTP/1.1 client for the CLI verbs: one request per TCP
 * connection ("Connection: close"), a bearer token on every request, a
 * status line, headers and a body delimited by Content-Length or by the
 * close of the connection.  Everything read has a hard cap; connecting and
 * every wait for the peer have a timeout.  No TLS: the dispatcher listens
 * on loopback or a private network (INTERFACES.md section 2).
 *
 * Errors go into a struct error whose code tells the caller what to say:
 *   ERR_IO       the dispatcher could not be reached (resolve or connect);
 *   ERR_SYS      the connection failed or timed out after it was made;
 *   ERR_INVALID  the answer is not a well-formed HTTP response, or too big;
 *   ERR_USAGE    a bad URL or token;
 *   ERR_INTERNAL the body could not be written to the sink descriptor;
 *   ERR_NOMEM    out of memory.
 */
#ifndef SLUICE_DISPATCHER_CLIENT_H
#define SLUICE_DISPATCHER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CLIENT_URL_MAX 512
#define CLIENT_HOST_MAX 255
#define CLIENT_PREFIX_MAX 255
#define CLIENT_TOKEN_MAX 4096 /* as the dispatcher accepts */
#define CLIENT_HEAD_MAX (64 * 1024) /* status line and headers */
#define CLIENT_JSON_MAX (64 * 1024 * 1024) /* a JSON answer */
#define CLIENT_CONNECT_TIMEOUT_MS 5000
#define CLIENT_IO_TIMEOUT_MS 30000

/* An http:// URL taken apart. */
struct client_url {
	char host[CLIENT_HOST_MAX + 1]; /* name or address, no brackets */
	char port[6]; /* decimal; "80" when the URL has none */
	char prefix[CLIENT_PREFIX_MAX + 1]; /* "" or "/a/b", no trailing '/' */
};

/* Where to send requests and with what token (embedded; nothing to free). */
struct client {
	char url[CLIENT_URL_MAX + 1]; /* as given, for messages */
	struct client_url u;
	char token[CLIENT_TOKEN_MAX + 1]; /* "" sends no Authorization */
	int connect_timeout_ms;
	int io_timeout_ms; /* the longest wait for the peer to make progress */
};

/* One response.  body is owned by the response; release it after use. */
struct client_response {
	int status;
	char reason[128]; /* printable ASCII only */
	char content_type[128];
	char retry_after[32]; /* "" when absent */
	int64_t content_length; /* -1: the body ends when the peer closes */
	char *body; /* body_len bytes and a NUL; NULL if streamed or none */
	size_t body_len;
	uint64_t streamed; /* body bytes written to a sink descriptor */
};

/*
 * Parse "http://HOST[:PORT][/PREFIX]" (HOST may be "[v6 address]"); a
 * trailing '/' is dropped.  Other schemes, user information, queries and
 * fragments are refused.  u is written only on success.
 */
int client_url_parse(const char *url, struct client_url *u, struct error *e);

/*
 * Set c up for url and token (NULL or "" for none) with the default
 * timeouts.  A token with a control character or a space, or longer than
 * CLIENT_TOKEN_MAX, is refused.
 */
int client_init(struct client *c, const char *url, const char *token,
    struct error *e);

/* Start a response empty. */
void client_response_init(struct client_response *r);

/* Free a response's body and start it empty again. */
void client_response_release(struct client_response *r);

/*
 * Parse the status line and headers at the start of buf.  Returns 1 with
 * *head_len set to the bytes they take (the body starts there) and r's
 * status, reason, content_type, retry_after and content_length filled; 0
 * if more bytes are needed (never once len reaches CLIENT_HEAD_MAX: that is
 * an error); -1 on a malformed head.  A Transfer-Encoding other than
 * "identity" is refused; so are 1xx statuses, which a request without
 * "Expect" never gets.  Lines may end in CRLF or a bare LF.
 */
int client_head_parse(const char *buf, size_t len, struct client_response *r,
    size_t *head_len, struct error *e);

/*
 * Parse a whole response buffered in buf, eof telling whether the peer
 * has closed.  Returns 1 when it is complete, with r filled and its body
 * a NUL-terminated copy; 0 if more is needed; -1 if it is malformed,
 * if the body would exceed body_cap, or if the peer closed early.
 */
int client_response_parse(const char *buf, size_t len, bool eof,
    size_t body_cap, struct client_response *r, struct error *e);

/*
 * Send one request and read the response into r (released first).
 * path starts with '/' and is appended to the URL's prefix as it is (the
 * caller escapes it).  body may be NULL; content_type names it.
 * io_timeout_ms of 0 means c's default.  A body above body_cap is an
 * error.  If sink_fd is not -1 and the status is 2xx, the body is written
 * to sink_fd as it arrives (r->streamed counts it; no cap) instead of
 * being kept.  Returns 0 for any HTTP status; the caller judges it.
 */
int client_request(const struct client *c, const char *method, const char *path,
    const char *content_type, const char *body, size_t body_len,
    int io_timeout_ms, size_t body_cap, int sink_fd, struct client_response *r,
    struct error *e);

/*
 * Append s to out (a buffer of size bytes, NUL-terminated) with every byte
 * outside [A-Za-z0-9._~-] (and '/' unless keep_slash) percent-encoded.
 * Returns -1 if it does not fit.
 */
int client_escape(const char *s, bool keep_slash, char *out, size_t size);

#endif
