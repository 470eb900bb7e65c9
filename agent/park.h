/*
 * Warm start: a sandbox, and the interpreter in it, made before their job
 * is known.  A session (serve.c) keeps one parked run for the runtime with
 * warm_start (conf.h): a child that takes a slot, starts a supervisor whose
 * init builds the whole sandbox with the policy's default limits and whose
 * job process, as the slot's uid under the filter and rlimits, starts the
 * interpreter on a runner that waits on descriptor 3.  When a run request
 * comes, the child runs it as any run would, with every check; if the
 * job's plan builds exactly the parked sandbox (plan_same_sandbox(): the
 * same ids, limits, mounts, rlimits and environment, so only the runtime's
 * default limits and no env of its own), it hands the job over instead of
 * starting a supervisor: the job directory and its claimed events file go
 * to the supervisor, which copies the submission in, opens the output
 * files and stdin, and sends the runner stdin and the entry's argv.  Any
 * other job discards the parked sandbox and starts cold.
 *
 * Each parked sandbox serves one job and is never reused: the job still
 * gets a fresh PID, IPC and mount namespace, a network namespace with
 * nothing of anyone's in it (its slot's: slot.h), its own tmpfs, its
 * slot's uid and the filter, and its CPU time and memory count the
 * interpreter's start, as a cold start's do.
 */
#ifndef SLUICE_AGENT_PARK_H
#define SLUICE_AGENT_PARK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "conf.h"
#include "jobdir.h"
#include "plan.h"
#include "slot.h"
#include "warm.h"

/* A parked sandbox waits this long for its job, then is discarded (its
   runtime's binds show the host's files as of its start). */
#define PARK_MAX_SECONDS 30
/* The entry's path and the job's arguments, NUL-separated, at most (a
   larger job starts cold). */
#define PARK_TAIL_MAX (64 * 1024)

/* What the run hands the supervisor (with the job directory and the
   events file as descriptors). */
struct park_job {
	struct jobdir jd; /* its fd and parentfd are the receiver's */
	char tail[PARK_TAIL_MAX]; /* the runner's argv, NUL-separated */
};

/* The parked run, in the request child that holds it. */
struct park {
	bool active;
	pid_t sup; /* the supervisor */
	int sock; /* to the supervisor */
	int wake; /* read end of its wake pipe */
	unsigned slot;
	char runtime[sizeof(((struct runtime *)0)->name)]; /* warm_start's */
	struct plan plan;
	struct cgroup_sys cs;
	char base_dir[sizeof(((struct agent_conf *)0)->base_dir)];
	unsigned out_files_max; /* of the policy it was built under */
	int wait_ms; /* how long it may wait for its job (park_wait()) */
	bool zygote; /* its job process comes from the session's zygote */
};

/* The runner's Python source (run with -c). */
extern const char park_runner[];

/* The session's zygote (zygote.h): its socket (or -1) and what it was
   started for (zygote_hash()). */
struct park_zygote {
	int fd;
	uint64_t hash;
};

/*
 * Park: take a slot and start a supervisor that builds runtime rt's sandbox
 * under policy c with its default limits and starts the runner; its root a
 * copy of the session's template in w for that plan if there is one (as a
 * cold run's is).  For a runtime with zygote = true, z's zygote forks the
 * job process into the sandbox (if z was started for the same command;
 * else as without).  Its network namespace is the slot's in nets if there
 * is one (slot.h).  0, or -1 (no free slot, a failure) with nothing left.
 */
int park_start(struct park *k, const struct agent_conf *c,
    const struct runtime *rt, const struct warm *w, const struct park_zygote *z,
    const struct slot_nets *nets, struct error *e);

/*
 * Wait for the request the session hands this child ("run JOBDIR"), into
 * line (NUL-terminated).  -1 if stdin ends or, while k is active, if none
 * comes within PARK_MAX_SECONDS (less for a sandbox on a template: until
 * the template is WARM_MAX_AGE_SECONDS old) or the supervisor has gone.
 */
int park_wait(struct park *k, char *line, size_t size);

/*
 * Whether a job of runtime (plan p under policy c and cgroups cs) runs in
 * the parked sandbox: the runtime that has warm_start, the same sandbox
 * exactly, a tail that fits, and its supervisor still there.
 */
bool park_fits(const struct park *k, const char *runtime, const struct plan *p,
    const struct agent_conf *c, const struct cgroup_sys *cs);

/*
 * Hand the job over: jd and its claimed events file evfd, and p's tail.
 * The supervisor now owns the job; k is spent.  -1 if it has gone.
 */
int park_hand(struct park *k, const struct jobdir *jd, int evfd,
    const struct plan *p, struct error *e);

/* Discard the parked sandbox: the supervisor kills it, frees its cgroup
   and slot, and exits; waits for that.  k is spent. */
void park_discard(struct park *k);

/* The supervisor's side: receive the job (j->jd, its fd a descriptor
   received, its parentfd -1; *evfd) on sock; the tail's length in
   *tail_len.  0, or -1. */
int park_recv(int sock, struct park_job *j, size_t *tail_len, int *evfd);

/* The supervisor's side: give the runner (on sock) its stdin and argv. */
int park_to_runner(int sock, int stdin_fd, const char *tail, size_t len);

#endif
