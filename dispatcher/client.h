/*
 * The CLI verbs' HTTP client, through libcurl: http:// or https:// (the
 * peer's certificate verified against the system's CA store, or only the
 * CAs of a file given), proxies from the environment as libcurl reads them
 * (https_proxy, http_proxy, all_proxy, no_proxy), or a UNIX socket instead
 * of TCP.  The requests of one process share one libcurl handle, so that
 * the requests of a command reuse its connection (keep-alive).  A bearer
 * token goes with every request.  Everything kept has a hard cap;
 * connecting and every wait for the peer have a timeout.  Redirects are
 * not followed.  Not thread-safe: the CLI makes one request at a time.
 *
 * Errors go into a struct error whose code tells the caller what to say:
 *   ERR_IO       the dispatcher could not be reached (resolve or connect);
 *   ERR_REFUSED  the TLS handshake failed: its certificate is not trusted,
 *                is for another name, or the CA file cannot be used;
 *   ERR_SYS      the connection failed or timed out after it was made;
 *   ERR_INVALID  the answer is not a well-formed HTTP response, or too big;
 *   ERR_USAGE    a bad URL, token, CA file or socket path;
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
#define CLIENT_FILE_MAX 4095 /* a CA file's path */
#define CLIENT_SOCKET_MAX 107 /* a UNIX socket's path (sun_path, less NUL) */
#define CLIENT_CA_BYTES_MAX (4 * 1024 * 1024) /* a CA file's size */
#define CLIENT_HEAD_MAX (64 * 1024) /* status line and headers */
#define CLIENT_JSON_MAX (64 * 1024 * 1024) /* a JSON answer */
#define CLIENT_CONNECT_TIMEOUT_MS 5000
#define CLIENT_IO_TIMEOUT_MS 30000

/* An http:// or https:// URL taken apart (by libcurl's URL parser). */
struct client_url {
	char scheme[6]; /* "http" or "https" */
	char host[CLIENT_HOST_MAX + 1]; /* name or address, no brackets */
	char port[6]; /* decimal; the scheme's when the URL has none */
	char prefix[CLIENT_PREFIX_MAX + 1]; /* "" or "/a/b", no trailing '/' */
	char origin[CLIENT_URL_MAX + 1]; /* "scheme://host:port", normalized */
};

/* Where to send requests and how (embedded; nothing to free). */
struct client {
	char url[CLIENT_URL_MAX + 1]; /* as given, for messages */
	struct client_url u;
	char token[CLIENT_TOKEN_MAX + 1]; /* "" sends no Authorization */
	char ca_file[CLIENT_FILE_MAX + 1]; /* "": the system's CA store */
	char unix_socket[CLIENT_SOCKET_MAX + 1]; /* "": TCP to the URL's host */
	int connect_timeout_ms; /* TCP, a proxy's CONNECT and TLS */
	int io_timeout_ms; /* the longest wait for the peer to make progress */
};

/* One response.  body is owned by the response; release it after use. */
struct client_response {
	int status;
	char reason[128]; /* printable ASCII only; "" over HTTP/2 */
	char content_type[128];
	char retry_after[32]; /* "" when absent */
	int64_t content_length; /* -1: not given */
	char *body; /* body_len bytes and a NUL; NULL if streamed or none */
	size_t body_len;
	uint64_t streamed; /* body bytes written to a sink descriptor */
};

/*
 * Parse "http[s]://HOST[:PORT][/PREFIX]" (HOST may be "[v6 address]");
 * trailing '/'s are dropped.  Other schemes, user information, queries,
 * fragments and port 0 are refused.  u is written only on success.
 */
int client_url_parse(const char *url, struct client_url *u, struct error *e);

/*
 * Set c up for url and token (NULL or "" for none) with the default
 * timeouts, the system's CA store and TCP.  A token with a control
 * character or a space, or longer than CLIENT_TOKEN_MAX, is refused.
 */
int client_init(struct client *c, const char *url, const char *token,
    struct error *e);

/*
 * Trust only the CA certificates of the PEM file at path for https://
 * (instead of the system's store).  ERR_IO if it cannot be read, ERR_INVALID
 * if it is not a regular file of at most CLIENT_CA_BYTES_MAX bytes with a
 * PEM certificate in it, ERR_USAGE if the path is too long.
 */
int client_set_ca_file(struct client *c, const char *path, struct error *e);

/*
 * Connect to the UNIX socket at path instead of the URL's host and port
 * (which still name the dispatcher in the Host header and, for https://,
 * the certificate).  ERR_USAGE if the path is empty or too long.
 */
int client_set_unix_socket(struct client *c, const char *path, struct error *e);

/* Start a response empty. */
void client_response_init(struct client_response *r);

/* Free a response's body and start it empty again. */
void client_response_release(struct client_response *r);

/*
 * Take one line of a response head as libcurl hands it over (with its
 * line end): a status line ("HTTP/1.1 200 OK", "HTTP/2 404") starts r's
 * head afresh (status, reason, and the headers below); Content-Type,
 * Retry-After and Content-Length are kept; other lines are ignored.
 * Returns -1 on a malformed status line or Content-Length.
 */
int client_header_parse(const char *line, size_t len, struct client_response *r,
    struct error *e);

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
 * Close the process's connection to the dispatcher and free libcurl's
 * state; a later request opens a new one.  For the end of a command.
 */
void client_cleanup(void);

/*
 * Append s to out (a buffer of size bytes, NUL-terminated) with every byte
 * outside [A-Za-z0-9._~-] (and '/' unless keep_slash) percent-encoded.
 * Returns -1 if it does not fit, or if out of memory.
 */
int client_escape(const char *s, bool keep_slash, char *out, size_t size);

#endif
