/*
 * The read side of the API: every answer the HTTP server gives about jobs,
 * nodes, runtimes and metrics is built here, from the store, the spool and
 * the core's node table, and every read the server makes goes through
 * here.  Nothing here changes anything; changes go through core.h.
 *
 * The JSON objects are the API's (docs/api.md); each function returns a
 * new reference (NULL only where said).
 */
#ifndef SLUICE_DISPATCHER_VIEW_H
#define SLUICE_DISPATCHER_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "core.h"

/* Read job id (ERR_NOTFOUND if there is none). */
int view_job_get(struct core *c, int64_t id, struct job *out, struct error *e);

/* A job's attempts, as a JSON array (see store_attempts_get()). */
int
view_job_attempts(struct core *c, int64_t id, json_t **out, struct error *e);

/*
 * Up to limit jobs, newest first, with ids below before (0: no bound),
 * of tenant (NULL: all) and in state (-1: any), into out; *n is the count.
 */
int view_jobs_list(struct core *c, const char *tenant, int state,
    int64_t before, int limit, struct job *out, int *n, struct error *e);

/* As view_jobs_list(), for the jobs filter f selects (store.h). */
int view_jobs_find(struct core *c, const struct store_job_filter *f, int limit,
    struct job *out, int *n, struct error *e);

/*
 * A job's raw stdout (err false) or stderr, in a new buffer of at most
 * the configured max_result_file_bytes: as spool_read_result().
 */
int view_stream(struct core *c, int64_t id, bool err, char **out, size_t *len,
    struct error *e);

/* A file the job left in /out, name as the API gives it: as view_stream(). */
int view_out_file(struct core *c, int64_t id, const char *name, char **out,
    size_t *len, struct error *e);

/*
 * The job object, with its stdout and stderr inline (cut at 64 KiB), as
 * JSON text in a new buffer (NULL if out of memory).  The job object is
 * the hottest answer and a list holds up to 1000, so it is written as
 * text (jsonw.h), not built as a jansson tree.
 */
struct evbuffer *view_job_text(struct core *c, const struct job *j);

/* The job object (view_job_text()) as a jansson tree; NULL if out of
   memory.  For the APIs of other systems, which answer from it. */
json_t *view_job_json(struct core *c, const struct job *j);

/* An input of a job as it was submitted. */
enum view_input {
	VIEW_INPUT_ENTRY, /* the content of the entry file */
	VIEW_INPUT_STDIN,
	VIEW_INPUT_EXPECTED /* the expected output */
};

/*
 * One input of job id into a new NUL-terminated buffer of *len bytes (at
 * most max_file_bytes, or max_submission_bytes for stdin): from its
 * request body while the store keeps it (until the job is placed), else
 * from the spool.  ERR_NOTFOUND if the job has no such input.
 */
int view_job_input(struct core *c, int64_t id, enum view_input which,
    char **out, size_t *len, struct error *e);

/* A page of the list as JSON text in a new buffer: {"jobs": [n job
   objects without their inline output], "next_before": the id as a
   string, or null if <= 0}. */
struct evbuffer *view_jobs_page_text(struct core *c, const struct job *jobs,
    int n, int64_t next_before);

/* The pool: {"nodes": [...]}. */
json_t *view_nodes_json(struct core *c);

/* One node, or NULL if there is no node called name. */
json_t *view_node_json(struct core *c, const char *name);

/* The runtimes the nodes offer: {"runtimes": [{name, version, nodes}]}. */
json_t *view_runtimes_json(struct core *c);

/* The metrics in Prometheus text format (a new string, NULL if no memory). */
char *view_metrics_text(struct core *c);

/* The same, with the per-tenant series of tenant alone (NULL: every
   tenant's): a token of role submit sees no other tenant's names. */
char *view_metrics_text_for(struct core *c, const char *tenant);

#endif
