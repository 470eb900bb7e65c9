/*
 * The SLURM node kind's pure logic (docs/slurm.md): the command lines of
 * sbatch, squeue, sacct and scancel built from a node's settings and a
 * job's limits, the batch script that runs the rootless agent on a compute
 * node, and the parsing of what those commands print.  Nothing here does
 * I/O: pool.c runs the commands over the login node's SSH session
 * (remote.h), which quotes every word for the remote shell.
 *
 * Everything the login node prints is untrusted: ids are digits, states
 * are names from a fixed table, reasons are cut and made printable, and a
 * line that does not fit is ignored, never guessed at.
 */
#ifndef SLUICE_DISPATCHER_SLURM_H
#define SLUICE_DISPATCHER_SLURM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "job.h"
#include "result.h"
#include "settings.h"

#define SLURM_ID_MAX 24 /* a SLURM job id as text, with its NUL */
#define SLURM_REASON_MAX 128 /* squeue's %r, cut */
#define SLURM_LINE_MAX 512 /* longer lines from squeue/sacct are lies */
/* The most squeue or sacct may print for n jobs. */
#define SLURM_OUTPUT_MAX(n) (4096 + (size_t)(n)*SLURM_LINE_MAX)

/* SLURM's job states (squeue %T, sacct State), as far as sluice cares. */
enum slurm_state {
	SLURM_UNKNOWN, /* not said, or a name not in the table */
	/* Waiting for the cluster. */
	SLURM_PENDING,
	SLURM_REQUEUED,
	SLURM_SUSPENDED,
	/* Running (or about to, or finishing). */
	SLURM_CONFIGURING,
	SLURM_RUNNING,
	SLURM_COMPLETING,
	/* Ended. */
	SLURM_COMPLETED,
	SLURM_FAILED,
	SLURM_CANCELLED,
	SLURM_TIMEOUT,
	SLURM_OUT_OF_MEMORY,
	SLURM_NODE_FAIL,
	SLURM_PREEMPTED,
	SLURM_BOOT_FAIL,
	SLURM_DEADLINE,
	SLURM_ENDED_OTHER /* SPECIAL_EXIT, REVOKED: ended, nothing more said */
};

/* A state's name as SLURM prints it ("PENDING"); "UNKNOWN" otherwise. */
const char *slurm_state_name(enum slurm_state s);

/* The state called name (exact, upper case), or SLURM_UNKNOWN. */
enum slurm_state slurm_state_parse(const char *name, size_t len);

/* Whether the job has left the cluster for good in state s. */
bool slurm_state_ended(enum slurm_state s);

/* Whether s is one of the states in which SLURM runs the job or is about
   to (its batch script may be running). */
bool slurm_state_running(enum slurm_state s);

/*
 * How a SLURM job that ended in state st without leaving a result.json ends
 * its sluice attempt.  cancel_asked: sluice sent the scancel.
 */
struct slurm_end {
	bool final; /* the job ends now, in state (with verdict) */
	enum job_state state;
	bool has_verdict; /* verdict is set (TIMEOUT, OUT_OF_MEMORY, ...) */
	enum verdict verdict;
	bool node_lost; /* !final: the attempt was lost with its node
			   (requeued; NODE_FAIL once attempts run out) */
	char reason[JOB_REASON_MAX];
};

void slurm_end_map(enum slurm_state st, const char *slurm_id, bool cancel_asked,
    struct slurm_end *out);

/* Whether s is one of the ends that lose the attempt with its node
   (NODE_FAIL, PREEMPTED, BOOT_FAIL): requeued even if it left a result
   (a preemption's SIGTERM makes the agent report a cancel). */
bool slurm_state_node_lost(enum slurm_state s);

/*
 * Correct the verdict and message of a result the agent wrote for a SLURM
 * job that ended in state st: SLURM's SIGTERM (a scancel not asked by
 * sluice, the time limit) reaches the agent as a cancel, which says less
 * than SLURM knows.  *verdict and message (size bytes) are changed in place.
 */
void slurm_result_adjust(enum slurm_state st, bool cancel_asked,
    enum verdict *verdict, char *message, size_t size);

/* What squeue or sacct said about one job sluice follows. */
struct slurm_status {
	char id[SLURM_ID_MAX]; /* in: the job's id */
	bool found; /* out: a valid line named it */
	enum slurm_state state; /* out */
	char reason[SLURM_REASON_MAX]; /* out: squeue's %r, printable */
};

/*
 * Read `squeue -h -o '%i|%T|%r'` output (out, len bytes, need not be
 * NUL-terminated) into the entries of st whose id a line names.  Lines
 * that are too long, name an id not asked about (or one already seen), or
 * hold a state not in the table are ignored.  Returns how many lines were
 * ignored (for the log).
 */
size_t slurm_squeue_parse(const char *out, size_t len, struct slurm_status *st,
    size_t n);

/*
 * The same for `sacct -n -P -X -o JobIDRaw,State` ("123|CANCELLED by 0"):
 * the state is the first word of the second field.  Only entries not found
 * already are filled.
 */
size_t slurm_sacct_parse(const char *out, size_t len, struct slurm_status *st,
    size_t n);

/*
 * Read `squeue -h --states=all --user=U --name=sluice-ID -o '%i|%T|%r|%Z'`
 * (slurm_byname_argv()) for the SLURM job that runs in jobdir (its
 * --chdir, so another attempt's or another instance's job of the same
 * name is not taken): its id into id, preferring one that has not ended
 * (*live says whether it is such a one).  Lines that do not fit are
 * ignored.  Returns how many lines named jobdir (0: none, id is "").
 */
size_t slurm_byname_parse(const char *out, size_t len, const char *jobdir,
    char id[SLURM_ID_MAX], bool *live);

/* The job id from `sbatch --parsable` ("123" or "123;cluster"), or -1. */
int slurm_sbatch_parse(const char *out, size_t len, char id[SLURM_ID_MAX],
    struct error *e);

/* Whether id is a SLURM job id as sluice stores it (1 to 19 digits). */
bool slurm_id_ok(const char *id);

/* --time in minutes: ceil((wall + compile + margin) / 60), at least 1. */
unsigned long slurm_time_minutes(double wall_seconds,
    double compile_wall_seconds, double margin_seconds);

/* --mem in MiB: ceil((memory + margin) / 1 MiB), at least 1. */
uint64_t slurm_mem_mb(uint64_t memory_bytes, uint64_t margin_bytes);

/*
 * The argv of sbatch for job id's attempt in jobdir on node nd (a
 * NULL-terminated new array of new strings, *n words; util_strv_free()),
 * or NULL if out of memory.  The batch script goes on its stdin.
 */
char **slurm_sbatch_argv(const struct settings_node *nd, int64_t id,
    const char *jobdir, unsigned long minutes, uint64_t mem_mb, size_t *n);

/* The argv of squeue for ids (a new array as above), or NULL. */
char **slurm_squeue_argv(const struct settings_node *nd,
    const struct slurm_status *st, size_t nst, size_t *n);

/* The argv of squeue for the jobs of job id's name (as above), or NULL. */
char **slurm_byname_argv(const struct settings_node *nd, int64_t id, size_t *n);

/* The argv of sacct for ids (as above), or NULL. */
char **slurm_sacct_argv(const struct settings_node *nd,
    const struct slurm_status *st, size_t nst, size_t *n);

/* The argv of scancel for one id, or `squeue --version` (id NULL and
   version true), as above. */
char **
slurm_scancel_argv(const struct settings_node *nd, const char *id, size_t *n);
char **slurm_version_argv(const struct settings_node *nd, size_t *n);

/*
 * The batch script (a new string, or NULL): it runs `AGENT run JOBDIR` and
 * waits for it; a SIGTERM from SLURM (scancel, the time limit) runs `AGENT
 * cancel JOBDIR` first, so that the sandbox ends even where SLURM cannot
 * follow the agent's detached supervisor.  Every word is quoted.
 */
char *slurm_script(const struct settings_node *nd, int64_t id, int attempt,
    const char *jobdir);

#endif
