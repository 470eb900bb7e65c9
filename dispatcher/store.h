/*
 * The job store: one SQLite database in WAL mode, owned by the main thread
 * (one connection, SQLITE_OPEN_NOMUTEX).  Every state change is committed
 * before anything acts on it: callers update the row, and only then start
 * the work the new state stands for.  synchronous=NORMAL: in WAL mode a
 * commit survives the daemon being killed (not a power cut; see README).
 *
 * The schema is versioned with PRAGMA user_version; store_open() migrates
 * an older database step by step in one transaction each, and refuses a
 * database written by a newer release.
 *
 * Large data (submissions, outputs, result.json) lives in the spool
 * (spool.h), not here.
 */
#ifndef SLUICE_DISPATCHER_STORE_H
#define SLUICE_DISPATCHER_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "job.h"

#define STORE_SCHEMA_VERSION 7

struct store;

/*
 * Open or create the database at path and migrate it.  NULL on failure;
 * ERR_REFUSED for a database written by a newer release.
 */
struct store *store_open(const char *path, struct error *e);

/* Close the database (NULL is a no-op). */
void store_close(struct store *st);

/* The schema version of an open database (for tests); -1 on error. */
int store_schema_version(struct store *st);

/*
 * Transactions: BEGIN IMMEDIATE / COMMIT / ROLLBACK.  Not nested: a second
 * store_begin() is ERR_STATE.  If store_commit() fails the transaction may
 * still be open; call store_rollback(), which does nothing if none is.
 */
int store_begin(struct store *st, struct error *e);
int store_commit(struct store *st, struct error *e);
void store_rollback(struct store *st);

/*
 * Whether a transaction is open: after a failed statement SQLite may have
 * rolled it back on its own (a full disk, an I/O error).
 */
bool store_in_transaction(struct store *st);

/*
 * One savepoint inside the open transaction (not nested), so that a part
 * of it can be undone alone: store_savepoint_release() keeps what was done
 * since, store_savepoint_rollback() undoes it (and does nothing if the
 * transaction is gone).
 */
int store_savepoint(struct store *st, struct error *e);
int store_savepoint_release(struct store *st, struct error *e);
void store_savepoint_rollback(struct store *st);

/*
 * Insert a new job; sets j->id (j->id on entry is ignored).  Every field of
 * j is stored.  ids only grow and are never reused once committed.
 */
int store_job_insert(struct store *st, struct job *j, struct error *e);

/*
 * Read one job.  ERR_NOTFOUND if there is none with that id; ERR_INTERNAL
 * for a row this release would not have written (a string too long for
 * its field, an unknown state), which is never truncated.
 */
int
store_job_get(struct store *st, int64_t id, struct job *out, struct error *e);

/* Write every field of an existing job (by j->id).  ERR_NOTFOUND if gone. */
int store_job_update(struct store *st, const struct job *j, struct error *e);

/*
 * Call fn for every job in phase, oldest first; fn returning -1 stops the
 * walk, and store_jobs_in_phase() then returns 0 (fn reports its own
 * failure, e.g. through arg): -1 always means e is filled.  Rows are read
 * in small batches and fn runs with no statement active, so fn may use the
 * store, even to move the job it is given to another phase; a job that
 * enters the phase with a higher id during the walk is visited too.
 */
int store_jobs_in_phase(struct store *st, enum job_phase phase,
    int (*fn)(const struct job *j, void *arg), void *arg, struct error *e);

/*
 * A page of jobs, newest first.  tenant NULL means every tenant; state -1
 * means every state (any other value outside enum job_state is
 * ERR_INVALID); before 0 means from the newest, else only ids below it.
 * Fills at most max jobs into out and sets *n (0 if max <= 0).
 */
int store_jobs_list(struct store *st, const char *tenant, int state,
    int64_t before, int max, struct job *out, int *n, struct error *e);

/*
 * What store_jobs_find() selects; every part left empty (zeroed) selects
 * all.  The parts combine with AND, the values within one part with OR.
 */
struct store_job_filter {
	const char *tenant; /* NULL: every tenant */
	unsigned state_mask; /* bits 1 << enum job_state; 0: every state */
	const int64_t *ids; /* nids ids; 0: any id */
	size_t nids;
	const char *const *names; /* nnames job names; 0: any */
	size_t nnames;
	const char *label; /* jobs that asked for this label; NULL: any */
	/* submitted_at bounds, as util_time_rfc3339() writes times: since <=
	   submitted_at < until; NULL: unbounded. */
	const char *since;
	const char *until;
	int64_t before; /* only ids below it; 0: from the newest */
};

#define STORE_FILTER_VALUES_MAX 1000 /* ids, and names, in one filter */

/*
 * A page of the jobs f selects, newest first: at most max into out, *n
 * set (0 if max <= 0).  A state_mask with bits past NODE_FAIL, or more
 * than STORE_FILTER_VALUES_MAX ids or names, is ERR_INVALID.  The query
 * is built for the parts given and uses the indexes on (tenant, id),
 * (state, id), (tenant, state, id) and (name, id); several states are a
 * page of each state's, merged, so that listing the running jobs costs
 * nothing for a long history.  A label or time bound alone is checked row
 * by row, newest first, until the page is full.
 */
int store_jobs_find(struct store *st, const struct store_job_filter *f, int max,
    struct job *out, int *n, struct error *e);

/*
 * How many jobs of tenant (NULL: all tenants) are in one of the phases
 * whose bit (1 << phase) is set in phase_mask (other bits are ignored).
 */
int store_jobs_count(struct store *st, const char *tenant, unsigned phase_mask,
    int64_t *count, struct error *e);

/*
 * How many jobs ended in each final state (index enum job_state; the
 * entries of states that are not final are 0), those removed since
 * included.
 */
int
store_jobs_final_counts(struct store *st, int64_t counts[9], struct error *e);

/*
 * The history of a job's attempts: one row an attempt, written when it is
 * placed (node, time) and when it ends (time, and the outcome in words).
 * store_attempts_get() gives them as a JSON array of {attempt, node,
 * placed_at, ended_at, outcome} (the last two null while it runs).
 */
int store_attempt_begin(struct store *st, int64_t id, int attempt,
    const char *node, const char *at, struct error *e);
int store_attempt_end(struct store *st, int64_t id, int attempt, const char *at,
    const char *outcome, struct error *e);
int
store_attempts_get(struct store *st, int64_t id, json_t **out, struct error *e);

/* The SLURM job id of an attempt on a SLURM node (shown in its history as
   "slurm_job_id"; informative: the job row's copy is what a restart uses). */
int store_attempt_slurm(struct store *st, int64_t id, int attempt,
    const char *slurm_id, struct error *e);

/* The same, with (removed_too) or without the jobs removed since. */
int store_jobs_ended_counts(struct store *st, bool removed_too,
    int64_t counts[9], struct error *e);

/*
 * Up to limit ids (into ids, *n of them) of jobs that ended in state, the
 * oldest first: those that ended before `before` (RFC 3339 UTC, as the
 * store keeps finished_at), or any if before is NULL.
 */
int store_jobs_expired(struct store *st, enum job_state state,
    const char *before, int limit, int64_t *ids, int *n, struct error *e);

/*
 * Remove the rows of those of ids still in the final state, in one
 * transaction that also counts them as removed (store_jobs_final_counts()
 * keeps counting them); *removed says how many went.
 */
int store_jobs_remove(struct store *st, enum job_state state,
    const int64_t *ids, int n, int *removed, struct error *e);

/*
 * The request body of a job not yet placed, committed with its row (put
 * inside the submission's transaction), so that accepting a job writes
 * nothing but the store.  get gives a new NUL-terminated copy (the
 * caller's to free), ERR_NOTFOUND if there is none: the job's inputs are
 * in the spool already (written at its first placement, or by a release
 * before schema 4).  delete of none is not an error.  Removing a job's
 * row (store_jobs_remove()) removes its body too.
 */
int store_submission_put(struct store *st, int64_t id, const void *body,
    size_t len, struct error *e);
int store_submission_get(struct store *st, int64_t id, char **body, size_t *len,
    struct error *e);
int store_submission_delete(struct store *st, int64_t id, struct error *e);

/*
 * Administrative node state that must survive a restart: whether an
 * operator drained the node, and why.  A node never drained reads as
 * drained = false, reason "".  Names are 1 to JOB_NAME_MAX - 1 bytes; a
 * reason (NULL: "") at most JOB_REASON_MAX - 1, else ERR_INVALID.  The
 * reason read is cut to fit reason_len (reason may be NULL).
 */
int store_node_get(struct store *st, const char *name, bool *drained,
    char *reason, size_t reason_len, struct error *e);
int store_node_set(struct store *st, const char *name, bool drained,
    const char *reason, struct error *e);

/*
 * Callbacks (callback.h): one row for a job that has one.  put, in the
 * submission's transaction, owes it: state "waiting".  The commit that
 * ends the job makes it "pending", due at once (a trigger: an end is
 * never committed without it).  Deliveries then read the rows due
 * (store_callbacks_due(), ids of "pending" rows whose due_ms, in Unix
 * milliseconds, has come, soonest first, at most per_tenant of any one
 * tenant's, so that one tenant's slow receivers never take every attempt
 * there is room for) and record each attempt with
 * set, which changes only a row still "pending": state "pending" again
 * (due_ms the next attempt), "delivered" or "failed".  Removing a job's
 * row (store_jobs_remove()) removes its callback too.
 */
#define STORE_CALLBACK_URL_MAX 2048
struct store_callback {
	char url[STORE_CALLBACK_URL_MAX + 1];
	char state[16]; /* waiting, pending, delivered, failed */
	int attempts; /* made so far */
	int64_t due_ms; /* pending: the next attempt */
	int64_t ended_ms; /* when the job ended (0 while waiting) */
	char last_error[256]; /* why the last attempt failed, or "" */
};
int store_callback_put(struct store *st, int64_t id, const char *url,
    struct error *e);
int store_callback_get(struct store *st, int64_t id, struct store_callback *out,
    struct error *e);
int store_callbacks_due(struct store *st, int64_t now_ms, int max,
    int per_tenant, int64_t *ids, int *n, struct error *e);
int store_callback_set(struct store *st, int64_t id, const char *state,
    int attempts, int64_t due_ms, const char *last_error, struct error *e);
/* How many callbacks are in state (for /metrics). */
int store_callbacks_count(struct store *st, const char *state, int64_t *count,
    struct error *e);

#endif
