/*
 * The Piston v2 API (engineer-man/piston's /api/v2), beside /v1, so that
 * Piston's clients run their code here unchanged:
 *
 *   GET  /api/v2/runtimes  [{"language", "version", "aliases", "runtime"}]
 *   POST /api/v2/execute   {"language", "version", "files": [{"name",
 *                          "content", "encoding"}], "stdin", "args",
 *                          "run_timeout", "compile_timeout" (ms),
 *                          "run_cpu_time", "compile_cpu_time" (ms),
 *                          "run_memory_limit", "compile_memory_limit"
 *                          (bytes, -1: the default)}
 *                          -> {"language", "version", "run": {...},
 *                              "compile": {...} if the runtime compiles}
 *
 * An execution is a submission of the native API (the same checks, limits
 * and quotas, the tenant's job in /v1), built from the Piston request,
 * held until the job ends (at most wait_max_seconds; a job that has not
 * ended by then is cancelled and answered 504), and answered from the
 * job object.  Errors are {"message": "..."}, 400 for what Piston refuses
 * with 400, and the native status otherwise (401, 413, 429, 503, ...).
 * Languages come from sluice.conf's languages (langmap.h).  docs/api.md
 * says what differs from Piston.
 */
#ifndef SLUICE_DISPATCHER_PISTON_H
#define SLUICE_DISPATCHER_PISTON_H

#include <stdbool.h>

#include <event2/http.h>
#include <jansson.h>

#include "core.h"
#include "waiter.h"

/* Whether path is one of this API's (under /api/v2/). */
bool piston_path(const char *path);

/*
 * Answer a request for path (piston_path()) from tenant tok: the token is
 * checked already, the submissions of the loop's turn flushed (unless this
 * is one); ws holds executions until their jobs end.
 */
void
piston_route(struct core *c, struct waiter_set *ws, struct evhttp_request *req,
    const struct settings_token *tok, const char *path);

/* Reply {"message": msg} with status (401 with WWW-Authenticate). */
void piston_error(struct core *c, struct evhttp_request *req, int status,
    const char *msg);

/*
 * Turn an execute request into the body of a native submission (*out, a
 * new object) for language *lang, whose version pattern ("*" if none was
 * given) is *version (it points into root).  -1 with e's message as
 * Piston's (the status is 400).  Pure: whether some node offers the
 * version is the caller's question.
 */
int piston_request(const struct settings *s, const json_t *root,
    const struct settings_language **lang, const char **version, json_t **out,
    struct error *e);

/*
 * A stage of Piston's answer ("run" or "compile") from a stage of the job
 * object (the job itself, or its "compile"): stdout, stderr, output (the
 * two one after the other), code, signal (a name), message, status
 * (Piston's "RE", "SG", "TO", "OL", "EL", "XX" or null), cpu_time and
 * wall_time (ms), memory (bytes).  A new object.
 */
json_t *piston_stage(const json_t *stage);

/* The name of signal sig ("SIGKILL"), or NULL for one Linux has not. */
const char *piston_signal_name(int sig);

#endif
