/*
 * The HTTP API (INTERFACES.md section 2) on libevent's evhttp, on the main
 * thread.  Every response is JSON with Content-Type application/json except
 * the raw output endpoints, /metrics (Prometheus text) and the dashboard's
 * files; errors are {"error": ..., "field": ...}.
 * Reads go through view.h, changes through core.h, long polls through
 * waiter.h, and replies through reply.h.
 * The dashboard's static files (ui.h) are served under /ui/ without a
 * token; every other request but /v1/health carries "Authorization: Bearer
 * TOKEN": the token's SHA-256 must match one in the configuration, and
 * that token's name is the tenant.
 */
#ifndef SLUICE_DISPATCHER_SERVER_H
#define SLUICE_DISPATCHER_SERVER_H

#include "core.h"

struct server;

/*
 * Create the HTTP server on the core's event base (core_start() made it),
 * bind it, and hook the long polls to the core's on_final.
 */
struct server *server_new(struct core *c, struct error *e);

/*
 * Stop listening and free the server; requests still held (long polls)
 * are dropped with their connections.  NULL is a no-op.
 */
void server_free(struct server *s);

#endif
