/*
 * Answers to HTTP requests on libevent's evhttp: JSON documents, the API's
 * error documents, and raw bytes; and the one reading of a request's query
 * string.  Each reply is counted in m for /metrics
 * (metrics.h), timed and, with access_log on, logged (access.h).  Used on
 * the main thread by the server and the long polls.
 */
#ifndef SLUICE_DISPATCHER_REPLY_H
#define SLUICE_DISPATCHER_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "metrics.h"

/* Reply with a JSON document (obj is consumed; NULL answers 500). */
void reply_json(struct metrics *m, struct evhttp_request *req, int status,
    json_t *obj);

/* Reply with the JSON text in buf (buf is consumed; NULL answers 500). */
void reply_json_text(struct metrics *m, struct evhttp_request *req, int status,
    struct evbuffer *buf);

/* Reply with {"error": msg, "field": field} (field may be NULL). */
void reply_error(struct metrics *m, struct evhttp_request *req, int status,
    const char *msg, const char *field);

/*
 * Reply with a foreign API's error document, {key: msg} (Piston's
 * "message", Judge0's "error"), with the headers sluice's own errors
 * carry: WWW-Authenticate on 401, Retry-After on 429, 503 and 507.
 */
void reply_foreign_error(struct metrics *m, struct evhttp_request *req,
    int status, const char *key, const char *msg);

/* Reply with a status and no body (204). */
void reply_empty(struct metrics *m, struct evhttp_request *req, int status);

/* Reply 200 with len bytes of data of the given Content-Type. */
void reply_raw(struct metrics *m, struct evhttp_request *req,
    const char *content_type, const char *data, size_t len);

/*
 * The request's query string as NAME=VALUE pairs into params (TAILQ_INIT
 * done here; the caller clears them with evhttp_clear_headers()).  False,
 * params empty, for a query that is not NAME=VALUE&... or that holds a
 * NUL (%00), which would cut a value short without a word; the caller
 * answers 400 in its API's words.
 */
bool reply_query(struct evhttp_request *req, struct evkeyvalq *params);

#endif
