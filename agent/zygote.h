/*
 * The zygote: a warm Python interpreter forked into each job's sandbox, for
 * the warm_start runtime that also has zygote = true (conf.h), root mode
 * only.
 *
 *   serve session ── reaper ── sluice-zygote ── the jobs
 *        │              (root; the interpreter started once, as
 *        │               `python3 FLAGS -c RUNNER` would start it)
 *        └─ ... supervisor ── init (a parked sandbox, park.h)
 *
 * A warm start's init builds the whole sandbox as always but forks no job.
 * Its supervisor sends the zygote a request instead: init's pidfd, the
 * job's ids, workdir, rlimits, filter and cgroups, and its descriptors.
 * For each request the zygote forks the job itself, straight into init's
 * PID namespace (its namespace for children is init's for that one fork:
 * setns through the pidfd, then back to its own).  The job:
 *   - joins the slot's cgroup;
 *   - enters init's other namespaces (setns through the pidfd);
 *   - runs sandbox_job_prepare(), the cold job's own steps, then
 *     Py_RunMain() in place of the execve, running park.c's runner.
 * The zygote reaps it and sends its wait status to the supervisor
 * (SANDBOX_STATUS on the request's reply socket); the supervisor then
 * kills init, and with it the namespace.  One fork per job, not two: an
 * interpreter's page tables copied and torn down once (bench/README.md).
 * So the zygote outlives its session until its last job has ended (the
 * session's end, or a new policy, closes its socket; it takes no request
 * after that).  A zygote killed while a job runs loses that job's status:
 * the supervisor then fails the run as a sandbox error (a parked one is
 * discarded, and the session parks another).  Its parent, the reaper, a
 * child subreaper, reaps the jobs it left: the host's init may not, and a
 * sandbox's init cannot end before each process of its namespace is
 * reaped.
 *
 * The zygote runs no job's code and reads nothing a job can write: its
 * requests come from the session's processes only, over a socket no
 * sandbox holds.  The session executes it only from a path that is root's
 * all the way down (trust_open(), as for the config file), and it leads a
 * session of its own, so that nothing of the dispatcher's terminal or
 * process group (a hang-up, a stop) reaches its children, the running
 * jobs.  It is in no slot's cgroup: a job's processes limit and memory
 * count the job's processes only, as a cold start's do.  Its interpreter
 * starts as root on the host's files, with the runtime's base environment
 * and flags; conf.c allows it only for the interpreter sluice-zygote
 * embeds, with user site-packages off (-s or -I, since HOME is the host's
 * /tmp there).  What every job of one zygote
 * shares: the interpreter's start (its modules, hash secret and address
 * layout); the session starts a new zygote when the policy changes and
 * every WARM_MAX_AGE_SECONDS.
 */
#ifndef SLUICE_AGENT_ZYGOTE_H
#define SLUICE_AGENT_ZYGOTE_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "cgroup.h"
#include "conf.h"
#include "error.h"
#include "filter.h"
#include "plan.h"

/*
 * The last lines of park.c's runner: what runs the job.  The zygote runs
 * what precedes them (definitions only: no job is known yet) once, before
 * its first fork, so that each job compiles and runs only these.
 */
#define ZYGOTE_RUNNER_RUN \
	"with _sluice_e,_sluice_e:\n" \
	"    exec(*_sluice())\n"

/* Jobs of one zygote running at once: a slot runs one, and a node has at
   most CONF_SLOTS_MAX slots and as many warm ones. */
#define ZYGOTE_JOBS_MAX (2 * CONF_SLOTS_MAX)

/* The request's descriptors, in this order. */
enum zygote_fd {
	ZYGOTE_FD_INIT, /* pidfd of the sandbox's init */
	ZYGOTE_FD_STDIN,
	ZYGOTE_FD_STDOUT,
	ZYGOTE_FD_STDERR,
	ZYGOTE_FD_RUNNER, /* the job's descriptor 3 (park.h) */
	ZYGOTE_FD_REPLY, /* the job's and the zygote's messages to the
			    supervisor */
	ZYGOTE_NFDS
};

struct zygote_rlimit {
	int32_t resource;
	uint64_t soft, hard;
};

/* One job (everything but its descriptors). */
struct zygote_req {
	uid_t uid;
	gid_t gid;
	char workdir[16];
	struct cgroup_sys cs;
	uint32_t nrlimits;
	struct zygote_rlimit rlimits[PLAN_RLIMITS_MAX];
	struct filter_prog prog;
};

/* What a zygote was started for (argv and envp, as zygote_start() takes
   them): a parked plan may use it only if its own are the same. */
uint64_t zygote_hash(char *const argv[], char *const envp[]);

/* The zygote's path: sluice-zygote beside this program.  0, or -1. */
int zygote_path(char *buf, size_t size);

/*
 * Start sluice-zygote for argv (a parked plan's: the interpreter, its
 * flags, "-c", the runner) and envp; *sock is the session's end of its
 * socket, *pid its process.  0, or -1 with e set.
 */
int zygote_start(char *const argv[], char *const envp[], int *sock, pid_t *pid,
    struct error *e);

/* Ask the zygote (sock) for one job.  0, or -1 with errno. */
int zygote_request(int sock, const struct zygote_req *r,
    const int fds[ZYGOTE_NFDS]);

/*
 * The zygote's side: receive one request into r and fds (all ZYGOTE_NFDS
 * of them, close-on-exec).  1 when the session has gone, 0, or -1 for a
 * malformed request (nothing kept).
 */
int zygote_recv(int sock, struct zygote_req *r, int fds[ZYGOTE_NFDS]);

#endif
