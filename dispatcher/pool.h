/*
 * The node pool: one worker thread per configured node, each owning that
 * node's SSH connection (remote.h) and doing all of its I/O: connecting
 * with back-off, asking the agent for its info (agentproto.h), staging
 * jobs (stage.h), following the agent's events, collecting results into
 * the spool (collect.h), and cleaning up.  Workers never touch SQLite, nor libevent beyond
 * event_active(); they post events to the main thread, which commits each
 * state change and only then sends the next command.  The research note's design (a): blocking libssh in
 * one thread per session, a libevent main thread for everything else.
 *
 * Commands go main -> worker through a locked queue and a wake pipe;
 * events go worker -> main through a locked queue and event_active().
 */
#ifndef SLUICE_DISPATCHER_POOL_H
#define SLUICE_DISPATCHER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "agentproto.h"
#include "error.h"
#include "result.h"
#include "settings.h"
#include "slurm.h"
#include "spool.h"

enum pool_cmd_type {
	POOL_CMD_START, /* stage job dir and run it; if the directory is
			   there already, recover it instead */
	POOL_CMD_RECOVER, /* find out how far dir got (agent status) and
			     go on: stage again, or attach with agent wait */
	POOL_CMD_COLLECT, /* fetch the results of a finished job */
	POOL_CMD_CLEAN, /* agent clean */
	POOL_CMD_CANCEL, /* agent cancel */
	POOL_CMD_PURGE, /* agent cancel, then agent clean: an attempt the
			   dispatcher abandoned (its node was lost) */
	POOL_CMD_INFO, /* agent info again: POOL_EV_NODE_INFO */
	POOL_CMD_PEEK /* read the job's stdout and stderr on the node from
			 offset[0] and offset[1] on, at most POOL_PEEK_MAX
			 bytes each, while it runs: POOL_EV_JOB_OUTPUT */
};

/* The most of each stream one POOL_CMD_PEEK reads. */
#define POOL_PEEK_MAX (64 * 1024)

struct pool_cmd {
	enum pool_cmd_type type;
	uint64_t epoch; /* the connection the sender knew of: a
				   command for an older one is dropped, since
				   its jobs were requeued when it went down */
	int64_t job_id;
	int attempt;
	uint64_t offset[2]; /* POOL_CMD_PEEK: stdout's, stderr's */
	/* SLURM nodes.  POOL_CMD_START: the job's wall limit (with its
	   compile stage's) and memory limit as its node resolves them, for
	   sbatch's --time and --mem.  POOL_CMD_RECOVER: the attempt's SLURM
	   job id ("" if none was recorded), and whether its cancel was asked
	   for (scancel it again). */
	double wall_seconds;
	uint64_t memory_bytes;
	char slurm_id[SLURM_ID_MAX];
	bool cancel;
};

enum pool_ev_type {
	POOL_EV_NODE_UP, /* info is set */
	POOL_EV_NODE_DOWN, /* reason says why; its jobs are lost */
	POOL_EV_JOB_ACCEPTED, /* the agent took the job */
	POOL_EV_JOB_STARTED, /* at is the agent's start time */
	POOL_EV_JOB_FINISHED, /* the agent reported the end: collect it */
	POOL_EV_JOB_COLLECTED, /* result is set; spool out/ holds the files */
	POOL_EV_JOB_FAILED, /* this attempt failed; retryable or not */
	POOL_EV_NODE_DIRS, /* the job directories on a node that came up */
	POOL_EV_NODE_INFO, /* info.slots_busy is set, or reason says why not:
			     the agent's count, asked again */
	POOL_EV_JOB_OUTPUT, /* the answer to POOL_CMD_PEEK: out_* are set
			      (empty, with reason, if nothing could be read) */
	POOL_EV_JOB_SUBMITTED, /* SLURM nodes: sbatch took the attempt as
				  SLURM job slurm_id */
	POOL_EV_JOB_ENDED /* SLURM nodes: the job left the cluster without
			     a result; end says how the attempt ends */
};

struct pool_ev {
	enum pool_ev_type type;
	int node;
	uint64_t epoch; /* the worker's connection count */
	int64_t job_id;
	int attempt;
	bool retryable;
	char reason[256];
	char at[40];
	struct agentproto_info info; /* POOL_EV_NODE_UP, POOL_EV_NODE_INFO */
	char slurm_id[SLURM_ID_MAX]; /* POOL_EV_JOB_SUBMITTED */
	struct slurm_end end; /* POOL_EV_JOB_ENDED */
	struct result result; /* POOL_EV_JOB_COLLECTED; pool_ev_free() */
	int64_t *dir_ids; /* POOL_EV_NODE_DIRS: ndirs id.attempt pairs */
	int *dir_attempts;
	size_t ndirs;
	/* POOL_EV_JOB_OUTPUT: out_len[s] bytes of stream s (0 stdout, 1
	   stderr) read from out_offset[s] on (NULL when none); pool_ev_free() */
	uint64_t out_offset[2];
	char *out_data[2];
	size_t out_len[2];
	struct pool_ev *next;
};

struct pool;

typedef void (*pool_event_cb)(struct pool_ev *ev, void *arg);

/*
 * Create the pool (no threads yet).  cb runs on base's thread for every
 * event and must free it with pool_ev_free().
 */
struct pool *pool_new(const struct settings *s, const struct spool *sp,
    struct event_base *base, pool_event_cb cb, void *arg, struct error *e);

/* Start one worker per node. */
int pool_start(struct pool *p, struct error *e);

/*
 * Queue a command for node's worker.  Out of memory is fatal: a command
 * dropped would leave its job placed until a restart.
 */
void pool_send(struct pool *p, int node, const struct pool_cmd *cmd);

/*
 * Break blocking calls that have run longer than the I/O timeout: called
 * from a main-thread timer.  A broken call fails and the node goes DOWN.
 */
void pool_watchdog(struct pool *p);

/* Stop every worker (their remote jobs go on) and wait for them. */
void pool_stop(struct pool *p);

/* Free the pool (after pool_stop). */
void pool_free(struct pool *p);

/*
 * Free an event given to the callback (NULL is a no-op).  Inline, so that
 * a fake pool (tests/unit/test_core.c) frees events as the real one does.
 */
static inline void
pool_ev_free(struct pool_ev *ev)
{
	if (ev == NULL)
		return;
	result_release(&ev->result);
	free(ev->dir_ids);
	free(ev->dir_attempts);
	free(ev->out_data[0]);
	free(ev->out_data[1]);
	free(ev);
}

#endif
