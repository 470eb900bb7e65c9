/*
 * A job as the dispatcher keeps it: its states and phases, and the row the
 * store persists.  Pure data and small pure functions (no I/O), shared by
 * the store, the scheduler, the node pool and the HTTP API.
 *
 * The state is what users see (INTERFACES.md section 2).  The phase is
 * where the dispatcher is in its own work, which a restart must resume:
 *
 *   phase       state        meaning
 *   QUEUED      PENDING      waiting for a node (reason says why)
 *   STAGING     PENDING      being uploaded to node (attempt n)
 *   RUNNING     RUNNING      the agent has accepted it on the node
 *   COLLECTING  COMPLETING   results are being pulled back
 *   DONE        final state  COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY,
 *                            CANCELLED or NODE_FAIL
 *
 * On a node the job's directory is <base_dir>/jobs/<id>.<attempt>.
 */
#ifndef SLUICE_DISPATCHER_JOB_H
#define SLUICE_DISPATCHER_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "limit.h"
#include "result.h"

enum job_state {
	JOB_PENDING,
	JOB_RUNNING,
	JOB_COMPLETING,
	JOB_COMPLETED,
	JOB_FAILED,
	JOB_TIMEOUT,
	JOB_OUT_OF_MEMORY,
	JOB_CANCELLED,
	JOB_NODE_FAIL
};

enum job_phase {
	PHASE_QUEUED,
	PHASE_STAGING,
	PHASE_RUNNING,
	PHASE_COLLECTING,
	PHASE_DONE
};

#define JOB_NAME_MAX 64 /* tenant and node names */
#define JOB_REASON_MAX 256
#define JOB_TITLE_MAX 64 /* bytes of a job's own name ("name") */

/* One job, as stored.  Strings are fixed-size so a row copies by value. */
struct job {
	int64_t id;
	char tenant[JOB_NAME_MAX];
	enum job_state state;
	enum job_phase phase;
	char reason[JOB_REASON_MAX];
	char runtime[65];
	char labels[2048]; /* JSON array of strings */
	char limits[1024]; /* JSON object: the limits the user asked for */
	char node[JOB_NAME_MAX]; /* current or last node, "" if none */
	int attempts; /* tries started so far */
	bool cancel_requested;
	char submitted_at[40];
	char started_at[40]; /* "" until the agent reports started */
	char finished_at[40];
	bool has_result; /* the fields below are valid */
	char verdict[24];
	int exit_code; /* -1: none */
	int signal; /* 0: none */
	double cpu_seconds;
	double wall_seconds;
	uint64_t memory_peak_bytes;
	char name[JOB_TITLE_MAX + 1]; /* the submission's "name", "" if none */
	/* When the current attempt started: started_at for the first one,
	   "" again while a requeued job waits (the squeue TIME of PENDING). */
	char attempt_started_at[40];
	/* The SLURM job id of the current attempt on a SLURM node ("" for
	   none, and again once the job is requeued). */
	char slurm_job_id[24];
};

/*
 * Names on the wire: "PENDING", ..., and "queued", ...  A value outside the
 * enum is named "UNKNOWN" or "unknown".  Parsing takes the exact name and
 * returns 0, or -1 (leaving *out alone) for anything else.
 */
const char *job_state_name(enum job_state s);
const char *job_phase_name(enum job_phase p);
int job_state_parse(const char *name, enum job_state *out);
int job_phase_parse(const char *name, enum job_phase *out);

/* Whether a state is final. */
bool job_state_final(enum job_state s);

/*
 * The state a phase shows while the job is not DONE.  PHASE_DONE has none
 * (the final state is stored with the job) and gives JOB_FAILED, so that a
 * mistake never shows a job as successful.
 */
enum job_state job_phase_state(enum job_phase p);

/*
 * The final state for an agent verdict (INTERFACES.md section 2):
 * ok -> COMPLETED; exited, signaled, output_limit, sandbox_error -> FAILED;
 * cpu_limit, wall_limit -> TIMEOUT; memory_limit -> OUT_OF_MEMORY;
 * cancelled -> CANCELLED.
 */
enum job_state job_state_for_verdict(enum verdict v);

/* The remote directory name of an attempt: "<id>.<attempt>", cut to len. */
void job_dir_name(int64_t id, int attempt, char *buf, size_t len);

/*
 * The inverse: whether the len bytes at s are exactly such a name (decimal
 * digits only, attempt at least 1), with its id and attempt.  Names and
 * tags that come back from a node are read with it.
 */
bool job_dir_parse(const char *s, size_t len, int64_t *id, int *attempt);

#endif
