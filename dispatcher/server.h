/*
 * The HTTP API (INTERFACES.md section 2) on libevent's evhttp, on the main
 * thread.  Every response is JSON with Content-Type application/json except
 * the raw output endpoints and /metrics (Prometheus text); errors are
 * {"error": ..., "field": ...}.
 * Every request but /v1/health carries "Authorization: Bearer TOKEN"; the
 * token's SHA-256 must match one in the configuration, and that token's
 * name is the tenant.
 */
#ifndef SLUICE_DISPATCHER_SERVER_H
#define SLUICE_DISPATCHER_SERVER_H

#include <event2/http.h>
#include <jansson.h>

#include "error.h"

struct core;

/* Create the HTTP server on the core's event base and bind it. */
int server_start(struct core *c, struct error *e);

/* Stop listening and free the server. */
void server_stop(struct core *c);

/* Reply with a JSON document (obj is consumed). */
void server_reply_json(struct core *c, struct evhttp_request *req, int status,
    json_t *obj);

/* Reply with {"error": msg, "field": field}. */
void server_reply_error(struct core *c, struct evhttp_request *req, int status,
    const char *msg, const char *field);

#endif
