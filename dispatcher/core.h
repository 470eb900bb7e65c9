/*
 * The dispatcher's core: the state the main thread owns and the decisions
 * about it.  The job store, the in-memory queue and node table, the
 * scheduler's bookkeeping, and the handling of every event from the node
 * pool.  It knows nothing of HTTP: the server calls it for every change
 * (submit, cancel, drain), reads through view.h, and hears of the end of
 * each job through the on_final hook.
 *
 * The rule it keeps: a state change is committed to the store before the
 * command that acts on it is sent.  A restart (after SIGKILL at any point)
 * rebuilds the queue from the store and recovers every placed job on its
 * node (stage again, attach, or collect), so no job is lost and none ends
 * twice.
 */
#ifndef SLUICE_DISPATCHER_CORE_H
#define SLUICE_DISPATCHER_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "job.h"
#include "metrics.h"
#include "pool.h"
#include "sched.h"
#include "settings.h"
#include "spool.h"
#include "store.h"

struct core_node {
	const struct settings_node *conf;
	enum sched_node_state state;
	char reason[256];
	bool connected; /* the worker reports the node UP */
	bool seen; /* the first connection attempt has ended */
	int64_t down_since_ms; /* when it went down (0: up, or never seen) */
	bool drained; /* an operator drained it (persisted) */
	bool known; /* info has been received */
	struct agentproto_info info;
	const char *runtime_names[AGENTPROTO_RUNTIMES_MAX];
	uint64_t epoch;
	unsigned busy;
	/* Slots the agent says are taken beyond the jobs of ours there (an
	   old attempt not yet cancelled, another dispatcher's job): kept
	   out of placement, and asked about again until they free. */
	unsigned elsewhere;
	int64_t elsewhere_asked_ms; /* when info was last asked for */
	bool elsewhere_asking; /* one POOL_CMD_INFO at a time */
	char last_seen[40];
	uint64_t reconnects;
};

/* A job placed on a node: staging, running or collecting. */
struct core_active {
	int64_t id;
	int node;
	int attempt;
	char tenant[JOB_NAME_MAX];
	bool recovering; /* restarted: waits for its node to come up */
	bool holds_slot; /* false once the agent has finished: collecting
			    needs SFTP, not a sandbox, so the next job may
			    start meanwhile */
	int64_t deadline_ms; /* util_now_ms() past which the attempt is
				given up and cancelled on its node: its wall
				limit plus attempt_margin_seconds from its
				placement (or its node's return after a
				restart); 0 until known */
	bool in_slurm; /* a SLURM node's job with its SLURM id recorded:
			  it outlives the login node's connection */
	bool collect_again; /* its results could not be written here (the
			       state directory full): fetch them again once
			       there is room, without spending an attempt */
};

/*
 * A job row whose commit failed (the state directory full, say): its newest
 * state, kept in memory, read in place of the store's, and committed again
 * at each tick.  What waits on the commit waits with it: the final state's
 * answer to waiters, and the clean of its directory on the node (which
 * holds the results until the end is committed).
 */
struct core_unsaved {
	struct job j;
	bool final_owed; /* on_final() when committed */
	bool clean_owed; /* POOL_CMD_CLEAN when committed */
	int clean_node;
	int clean_attempt;
};

/* A queued job, as the scheduler needs it. */
struct core_queued {
	int64_t id;
	char tenant[JOB_NAME_MAX];
	char runtime[65];
	char **labels;
	size_t nlabels;
	struct limits limits;
	unsigned limit_set;
};

/*
 * The queue, by class: jobs that are alike to the scheduler (one tenant,
 * runtime, labels and limits) fit the same nodes, so of each class only
 * the oldest few can be placed in one pass (as many as there are free
 * slots).  A pass looks at those only, whatever the queue's length; ids
 * are kept oldest first.
 */
struct core_class {
	struct core_queued q; /* the class (q.id unused) */
	char *key; /* tenant, runtime, labels and limits as stored */
	int64_t *ids; /* queued: ids[head] to ids[n - 1] */
	size_t head, n, cap;
	uint32_t hash; /* of key */
	size_t next; /* the next class in its bucket, as index + 1; 0 */
};

#define CORE_CLASS_BUCKETS 4096

/* Called on the main thread once a job's final state is committed. */
typedef void (*core_final_cb)(const struct job *j, void *arg);

/* Called on the main thread with each POOL_EV_JOB_OUTPUT (the event is the
   core's: it is freed after the call; out_data may be taken, set NULL). */
typedef void (*core_output_cb)(struct pool_ev *ev, void *arg);

/*
 * The answer to a submission taken into a batch: j is the job as it is
 * once its batch is committed (and scheduled), status 201; or j is NULL,
 * status 500 or 507, and e says why the batch's commit failed.
 */
struct core;
typedef void (*core_submit_cb)(struct core *c, const struct job *j, int status,
    const struct error *e, void *arg);

/* A submission in the open batch: its row is written, not committed. */
struct core_batched {
	struct job j;
	core_submit_cb cb;
	void *arg;
};

struct core {
	struct settings set;
	struct store *st;
	struct spool sp;
	struct event_base *base;
	struct pool *pool;
	struct core_node *nodes;
	size_t nnodes;
	struct core_active *active;
	size_t nactive;
	struct core_class *classes;
	size_t nclasses;
	size_t class_bucket[CORE_CLASS_BUCKETS]; /* first index + 1; 0 */
	size_t nqueue; /* jobs queued, in all classes */
	struct sched_tenant *tenants;
	size_t ntenants;
	uint64_t serve_counter;
	core_final_cb on_final;
	void *on_final_arg;
	core_output_cb on_output; /* follow.h */
	void *on_output_arg;
	struct event *ev_term;
	struct event *ev_int;
	struct event *ev_tick;
	bool draining;
	struct metrics metrics;
	/* The store refused a commit: nothing is placed, and submissions are
	   answered 507, until every unsaved row is committed and the state
	   directory has min_free_bytes free again. */
	bool store_failing;
	char store_error[256];
	struct core_unsaved *unsaved;
	size_t nunsaved;
	uint64_t commit_failures;
	int64_t retain_next_ms; /* the next retention pass (util_now_ms) */
	/* Submissions written in the open transaction, committed together
	   by core_batch_flush() (ev_batch, later in the same turn of the
	   loop, or any other way into the core before that). */
	struct core_batched *batch;
	size_t nbatch;
	struct event *ev_batch;
	uint64_t submit_commits; /* batches committed */
	struct callback *callbacks; /* the sender (callback.h) */
};

/* A job row, as the core knows it: a state whose commit failed and waits
   to be retried reads as the newest. */
int core_job_get(struct core *c, int64_t id, struct job *out, struct error *e);

/*
 * Remove at most limit (and at most 200) jobs that ended before `before`
 * (RFC 3339 UTC) in the final states whose bit (1 << state) is in
 * state_mask, oldest first: their rows and their spool.  *more is true if
 * the limit was reached (call again).
 */
int core_purge(struct core *c, const char *before, unsigned state_mask,
    int limit, int *removed, bool *more, struct error *e);

/* Why queued job j waits, as the scheduler sees it now ("waiting for a
   free slot", "tenant 'T' is at its running quota", ...). */
void
core_waiting_reason(struct core *c, const struct job *j, char *buf, size_t len);

/* A job as the API shows it: like core_job_get(), but an end whose commit
   failed shows as the last committed state until it is committed. */
int core_job_view(struct core *c, int64_t id, struct job *out, struct error *e);

/* Bytes free under the state directory (UINT64_MAX if unknown). */
uint64_t core_free_bytes(const struct core *c);

/* Load the config, open the store and spool, rebuild the queue. */
int core_init(struct core *c, const char *config_path, struct error *e);

/*
 * Create the event loop (c->base, for the HTTP server too), the node pool
 * (not started yet), the signal handlers and the periodic tick.
 */
int core_start(struct core *c, struct error *e);

/*
 * Start the node pool's workers and serve until SIGTERM or SIGINT, which
 * leave the loop (draining: nothing new is accepted; jobs on the nodes go
 * on, and a restart attaches to them again).
 */
int core_run(struct core *c, struct error *e);

/* Stop the workers and wait for them (after the listener is gone). */
void core_stop(struct core *c);

/* Free everything (after core_stop(); any step may have failed). */
void core_release(struct core *c);

/* Set (or clear, with NULL) the hook called after every final state. */
void core_on_final(struct core *c, core_final_cb cb, void *arg);

/* Set (or clear, with NULL) the hook that takes the output read from a
   node (POOL_CMD_PEEK's answers). */
void core_on_output(struct core *c, core_output_cb cb, void *arg);

/*
 * Accept a submission from tenant tok: parse, check that some node could
 * run it, write it PENDING with its request body into the batch's
 * transaction, and queue it once that is committed.  -1 if it is refused
 * now: *status is the HTTP status and e says why (cb is never called).  0
 * if it is in the batch: cb is called once, when the batch is committed,
 * later in the same turn of the loop.  One commit for every submission
 * of a turn: 201 is only ever said of a committed job.
 */
int core_submit_batched(struct core *c, const struct settings_token *tok,
    const char *body, size_t len, core_submit_cb cb, void *arg, int *status,
    struct error *e);

/*
 * Commit the batch of submissions, queue them, and answer each (its cb).
 * Every way into the core but a submission calls this first, so that
 * nothing else is written inside the batch's transaction, and nothing
 * reads a job that might never be committed.
 */
void core_batch_flush(struct core *c);

/* core_submit_batched() and core_batch_flush(): *out is the job. */
int
core_submit(struct core *c, const struct settings_token *tok, const char *body,
    size_t len, struct job *out, int *status, struct error *e);

/*
 * Cancel a job: a queued one ends CANCELLED at once; a placed one is
 * stopped on its node and ends CANCELLED when that is done.  -1 with
 * ERR_STATE once the job has ended.
 */
int core_cancel(struct core *c, int64_t id, struct job *out, struct error *e);

/* The node called name, or NULL. */
struct core_node *core_node_find(struct core *c, const char *name);

/* Drain a node (no new jobs; the running ones finish) or resume it. */
int core_drain(struct core *c, const char *node, bool drain, const char *reason,
    struct error *e);

/* core_drain(), at the request of the token called by (the log says who;
   NULL: nobody named). */
int core_drain_as(struct core *c, const char *node, bool drain,
    const char *reason, const char *by, struct error *e);

#endif
