/*
 * The sandbox: the two processes that live inside a job's namespaces.
 *
 *   supervisor (root, or rootless the agent's account: outside)
 *     └─ init   PID 1 of the new PID namespace; builds the root (or copies
 *        │      the session's template and adds the job's own mounts), forks the
 *        │      job, reaps everything, reports the job's status, then exits
 *        │      so that the kernel kills whatever is left in the namespace
 *        └─ job  drops to the slot's uid, limits itself, loads the seccomp
 *                filter last and executes the runtime
 *
 * The supervisor and init talk over a SOCK_SEQPACKET pair with the messages
 * below, in this order: CGROUP_DONE (supervisor: init is in the slot's
 * cgroup, or may now enter it itself), FILTER (supervisor: the compiled
 * seccomp filter, made while init builds the root), READY (init), GO
 * (supervisor), NOTIFY_FD (job, with the seccomp listener attached), STATUS
 * (init).  ERROR may come from init or the job at any step and is fatal.
 *
 * Rootless (plan.userns, mode "user"), clone makes a user namespace too,
 * and the supervisor writes its maps (the slot's uid and gid to the
 * agent's) before CGROUP_DONE; init takes the slot's ids there, keeping
 * the namespace's capabilities until it has built the root.
 *
 * A runtime with a compile stage (plan.h) has two jobs in one sandbox:
 * FILTER comes twice (the run's, then the compile stage's), and after GO
 * the compile job runs first (stdin /dev/null, its own output pipes,
 * limits and filter), then NOTIFY_FD (the compile job), STAGE (init, once
 * it and all it left are gone), GO (supervisor: it ended ok), and the run
 * goes on as above.  The supervisor kills init instead of a second GO
 * when the compile failed.
 */
#ifndef SLUICE_AGENT_SANDBOX_H
#define SLUICE_AGENT_SANDBOX_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "cgroup.h"
#include "filter.h"
#include "plan.h"

enum sandbox_msg_type {
	SANDBOX_CGROUP_DONE = 1,
	SANDBOX_READY,
	SANDBOX_FILTER,
	SANDBOX_GO,
	SANDBOX_NOTIFY_FD,
	SANDBOX_STATUS,
	SANDBOX_ERROR,
	SANDBOX_FILES, /* a warm start's submission (the descriptor of
			  JOBDIR/files; value: its owner), to copy in */
	SANDBOX_STAGE /* init: the compile stage has ended, every process of
			 it is gone and its output closed; value: its wait
			 status.  The supervisor answers GO to run */
};

struct sandbox_msg {
	uint32_t type;
	int32_t value; /* SANDBOX_STATUS: the job's wait status */
	char text[480]; /* SANDBOX_ERROR: what failed */
	struct filter_prog filter; /* SANDBOX_FILTER */
};

/* What init needs from the supervisor besides the plan. */
struct sandbox_io {
	int stdin_fd;
	int stdout_fd; /* write end of the stdout pipe */
	int stderr_fd;
	int sock; /* init's end of the message socket */
	int files_dirfd; /* JOBDIR/files, copied into /job; -1 for a warm
			    start, whose supervisor copies them at the
			    handoff (park.h) */
	uid_t files_owner; /* who staged them: each must be this account's */
	const char *root_dir; /* empty directory to build the root on */
	const char *empty_dir; /* an empty directory of root's (overlays) */
	const struct cgroup_sys *cg;
	bool enter_cgroup; /* init moves itself into the slot's cgroup (v1);
			      on v2 it is born there */
	int spare_ns[2]; /* the network namespace (made ahead of the job by
			    sandbox_spare_ns(), or its slot's: slot.h) and
			    the IPC one made ahead, each -1 for one that
			    clone makes */
	int template_fd; /* the mount namespace of the session's template
			    for this plan (warm.c), or -1: init builds it */
	int runner_fd; /* a warm start: the job's descriptor 3, on which its
			  runner takes the job (park.h); else -1 */
	bool zygote; /* a warm start whose job a zygote forks into init's
			namespaces (zygote.h): init forks none, and its
			runner_fd is -1 */
	int compile_out_fd; /* the compile stage's stdout and stderr (write */
	int compile_err_fd; /* ends), or -1 without one */
};

/* Namespaces a job gets; the cgroup namespace comes later (see init). */
#define SANDBOX_CLONE_FLAGS \
	(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | \
	    CLONE_NEWUTS)

/*
 * Make a namespace of type (CLONE_NEWNET or CLONE_NEWIPC) ahead of a job,
 * off its path: this process enters a new one, keeps a descriptor of it,
 * and goes back to its own.  No process is in it until a job's init enters
 * it, so it is as new as clone's.  The descriptor, or -1 with errno; a
 * process that cannot go back to its own namespace exits rather than go on
 * in the new one.
 */
int sandbox_ns_ahead(int type);

/*
 * Make an IPC namespace and (if net) a network one ahead of a run
 * (sandbox_ns_ahead(); ns[0] stays -1 without net): a session does it
 * after handing a run to its child, since a new network namespace is the
 * dearest part of clone.  0, or -1 with none left.
 */
int sandbox_spare_ns(int ns[2], bool net);

/* Close such a pair, if any, and mark it none. */
void sandbox_spare_close(int ns[2]);

/*
 * The body of init, run in the child of clone(SANDBOX_CLONE_FLAGS, less
 * SANDBOX_SPARE_FLAGS when io carries them).  Never returns.
 */
void sandbox_init_main(const struct plan *p, const struct sandbox_io *io)
    __attribute__((noreturn));

/* What one job process of a sandbox runs: the run, or a compile stage. */
struct sandbox_stage {
	char *const *argv;
	char *const *envp;
	const struct plan_rlimit *rlimits;
	size_t nrlimits;
	const struct filter_prog *prog;
	int runner; /* a warm start's runner socket, or -1 */
	int out, err; /* a compile stage's output, or -1: the run's, at 1
			 and 2 already */
};

/*
 * Make this process the job of p's sandbox, all but its execve: a session
 * of its own, the slot's ids with no capability left (checked), the filter
 * (its listener sent to sock as SANDBOX_NOTIFY_FD), st's runner at
 * descriptor 3, st's rlimits last.  Uses of p: uid, gid, workdir, userns.
 * Any failure goes to sock as SANDBOX_ERROR and ends the process.  init's
 * job process runs it before its execve; a zygote's (zygote.h) before the
 * warm interpreter runs the runner.
 */
void sandbox_job_prepare(const struct plan *p, const struct sandbox_stage *st,
    int sock);

/* Report a failure to sock as SANDBOX_ERROR and end this process. */
void sandbox_die(int sock, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/*
 * Build the template's steps of p (p->mounts[0..ntemplate)) on root_dir, in
 * a mount namespace of the caller's own, and make it the caller's root
 * (pivot_root; the host's tree is detached).  Errors go to sock as
 * SANDBOX_ERROR and end the process.  init does this when no template was
 * kept; warm.c does it to make one.
 */
void sandbox_build_template(int sock, const struct plan *p,
    const char *root_dir, const char *empty_dir);

/* Send a message; fd, if not -1, travels with it, and prog, if not NULL,
   is the compiled filter (SANDBOX_FILTER).  Returns 0 or -1. */
int sandbox_send(int sock, enum sandbox_msg_type type, int32_t value,
    const char *text, int fd, const struct filter_prog *prog);

/*
 * Receive a message; a descriptor that came with it is stored in *fd
 * (else -1).  Returns 0, or -1 on error or when the peer has gone.
 */
int sandbox_recv(int sock, struct sandbox_msg *m, int *fd);

/* At most this many descriptors in one message of sandbox_send_fds(). */
#define SANDBOX_FDS_MAX 8

/*
 * Send iov (niov parts) as one message with n (1 to SANDBOX_FDS_MAX)
 * descriptors.  0, or -1 with errno.
 */
int sandbox_send_fds(int sock, const struct iovec *iov, size_t niov,
    const int *fds, size_t n);

/*
 * Receive one message of at most size bytes into buf, with exactly n
 * descriptors (close-on-exec) into fds.  Its length; 0 when the peer has
 * gone; -1 with errno, EBADMSG for a message cut short or with another
 * number of descriptors (those that came are closed).  fds are -1 unless
 * the length is positive.
 */
ssize_t sandbox_recv_fds(int sock, void *buf, size_t size, int *fds, size_t n);

/*
 * Open (creating as needed: directories, or with as_file an empty last
 * file) the node at target under rootfd, one component at a time, refusing
 * any symbolic link on the way, so that nothing the setup creates can send
 * a later mount outside the root; an existing node is opened as it is.  An
 * O_PATH descriptor, or -1 with errno.  sftp.c builds its root with it too.
 */
int sandbox_open_target(int rootfd, const char *target, bool as_file);

/*
 * Bind source (a path, or "/proc/self/fd/N"), not recursively, at target
 * under rootfd (sandbox_open_target()), then remount that new mount with
 * MS_BIND and flags.  0, or -1 with errno.
 */
int sandbox_bind_path(int rootfd, const char *source, const char *target,
    bool as_file, unsigned long flags);

/* mount(2) onto an O_PATH descriptor, through its /proc/self/fd alias. */
int sandbox_mount_fd(const char *source, int fd, const char *fstype,
    unsigned long flags, const char *data);

#endif
