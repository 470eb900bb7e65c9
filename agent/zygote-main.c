/*
 * sluice-zygote: a warm Python interpreter that forks each job into the
 * sandbox the agent built for it (see zygote.h).  Run by a session of
 * sluice-agent as
 *
 *   sluice-zygote PYTHON [FLAGS...] -c RUNNER     (the request socket at 3)
 *
 * with the runtime's base environment.  The interpreter starts here once,
 * parsing that command line as PYTHON itself would; each job's process
 * then runs it as PYTHON would have run it (Py_RunMain(): the runner, its
 * exit status, SystemExit and KeyboardInterrupt as python3 treats them,
 * the atexit handlers and the streams flushed).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "zygote.h"

/* Every namespace of init's, entered at once through its pidfd. */
#define ZYGOTE_NS \
	(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | \
	    CLONE_NEWNET | CLONE_NEWCGROUP)

/* The request socket: descriptor 3 (zygote_start()). */
#define ZYGOTE_SOCK 3

/*
 * The job, in init's namespaces: the cold job's own steps, then the
 * interpreter, already started, runs the runner in place of an execve.
 */
static void __attribute__((noreturn))
zygote_job(const struct zygote_req *r, const int fds[ZYGOTE_NFDS])
{
	static struct plan p; /* what sandbox_job_prepare() reads of it */
	struct plan_rlimit rl[PLAN_RLIMITS_MAX];
	struct sandbox_stage st;
	uint32_t i;
	int rc;

	p.uid = r->uid;
	p.gid = r->gid;
	memcpy(p.workdir, r->workdir, sizeof(p.workdir));
	p.userns = false;
	for (i = 0; i < r->nrlimits; i++) {
		rl[i].resource = r->rlimits[i].resource;
		rl[i].soft = (rlim_t)r->rlimits[i].soft;
		rl[i].hard = (rlim_t)r->rlimits[i].hard;
		rl[i].why = NULL;
	}
	memset(&st, 0, sizeof(st));
	st.rlimits = rl;
	st.nrlimits = r->nrlimits;
	st.prog = &r->prog;
	st.runner = fds[ZYGOTE_FD_RUNNER];
	st.out = st.err = -1;
	sandbox_job_prepare(&p, &st, fds[ZYGOTE_FD_REPLY]);
	/* No execve closes what this process still holds: only stdio and
	   the runner's descriptor 3 stay. */
	if (syscall(SYS_close_range, 4, ~0U, 0) == -1)
		_exit(127);
	PyOS_AfterFork_Child();
	rc = Py_RunMain();
	/* What C's stdio holds of the job's (its stdout is buffered: not a
	   terminal), as exit() would flush it at python3's end; _exit, so
	   that nothing else of this process's C runs. */
	fflush(NULL);
	_exit(rc);
}

/*
 * One request, in the zygote's child, born in init's PID namespace
 * (zygote_fork()): into the slot's cgroup, into init's other namespaces,
 * then the job itself.
 */
static void __attribute__((noreturn))
zygote_child(const struct zygote_req *r, int fds[ZYGOTE_NFDS])
{
	int reply = fds[ZYGOTE_FD_REPLY];
	struct error e;

	if (dup2(fds[ZYGOTE_FD_STDIN], 0) == -1 ||
	    dup2(fds[ZYGOTE_FD_STDOUT], 1) == -1 ||
	    dup2(fds[ZYGOTE_FD_STDERR], 2) == -1)
		sandbox_die(reply, "zygote: cannot set up the job's stdio: %s",
		    strerror(errno));
	/* Before any setns: the cgroup files are the host's, and the job is
	   born in the slot's cgroup, as init was. */
	error_init(&e);
	if (cgroup_enter_self(&r->cs, r->uid, &e) == -1)
		sandbox_die(reply, "zygote: %s", e.msg);
	if (syscall(SYS_setns, fds[ZYGOTE_FD_INIT], ZYGOTE_NS) == -1)
		sandbox_die(reply, "zygote: cannot enter the sandbox: %s",
		    strerror(errno));
	zygote_job(r, fds);
}

/* The jobs forked and not yet reaped: each one's pid and reply socket. */
struct zygote_running {
	pid_t pid;
	int reply;
};
static struct zygote_running zygote_jobs[ZYGOTE_JOBS_MAX];
static size_t zygote_njobs;

/*
 * Fork the job of one request straight into init's PID namespace: the
 * zygote's PID namespace for children is init's for the one fork, then
 * its own again (selfns; sigfd is its signalfd).  The job is this
 * process's child, so that its status comes here (zygote_reap()).  0, or
 * -1 if the zygote cannot go on (it could not return to its own
 * namespace).
 */
static int
zygote_fork(const struct zygote_req *r, int fds[ZYGOTE_NFDS], int selfns,
    int sigfd)
{
	pid_t pid = -1;
	int i;

	if (zygote_njobs < ZYGOTE_JOBS_MAX &&
	    syscall(SYS_setns, fds[ZYGOTE_FD_INIT], CLONE_NEWPID) == 0) {
		pid = fork();
		if (pid == 0) {
			/* Nothing of the zygote's own from here: not the
			   other running jobs' reply sockets, nor their pids
			   on the host; not its socket, its PID namespace or
			   its signalfd. */
			for (i = 0; i < (int)zygote_njobs; i++)
				close(zygote_jobs[i].reply);
			explicit_bzero(zygote_jobs,
			    zygote_njobs * sizeof(*zygote_jobs));
			close(ZYGOTE_SOCK);
			close(selfns);
			close(sigfd);
			zygote_child(r, fds);
		}
		if (syscall(SYS_setns, selfns, CLONE_NEWPID) == -1) {
			fprintf(stderr,
			    "sluice-zygote: cannot return to its "
			    "PID namespace: %s\n",
			    strerror(errno));
			return -1;
		}
	}
	/* Forked: keep its reply socket for its status.  Else the
	   supervisor sees the socket close with no status, and the job
	   fails as a sandbox error. */
	for (i = 0; i < ZYGOTE_NFDS; i++)
		if (i != ZYGOTE_FD_REPLY || pid <= 0)
			close(fds[i]);
	if (pid > 0) {
		zygote_jobs[zygote_njobs].pid = pid;
		zygote_jobs[zygote_njobs].reply = fds[ZYGOTE_FD_REPLY];
		zygote_njobs++;
	}
	return 0;
}

/* Each job that has ended: its wait status to its supervisor. */
static void
zygote_reap(void)
{
	int status;
	pid_t pid;
	size_t i;

	while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
		for (i = 0; i < zygote_njobs; i++)
			if (zygote_jobs[i].pid == pid)
				break;
		if (i == zygote_njobs)
			continue;
		(void)sandbox_send(zygote_jobs[i].reply, SANDBOX_STATUS, status,
		    NULL, -1, NULL);
		close(zygote_jobs[i].reply);
		zygote_jobs[i] = zygote_jobs[--zygote_njobs];
		zygote_jobs[zygote_njobs] = (struct zygote_running){ 0, -1 };
	}
}

/*
 * Nothing of a job's end may stay in the zygote's memory, which each later
 * job gets a copy of (its pid on the host, its slot's uid, its status: the
 * signal's siginfo, and what the reaping left on the stack below main()'s
 * frame, zeroed here from a frame in the same place).
 */
static void __attribute__((noinline)) zygote_burn(void)
{
	char stack[16384];

	explicit_bzero(stack, sizeof(stack));
}

int
main(int argc, char **argv)
{
	static struct zygote_req req;
	char real[PATH_MAX], *defs = NULL;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	size_t n, k;
	int fds[ZYGOTE_NFDS], rc, selfns, sigfd;
	bool serving = true;
	PyStatus status;
	PyConfig config;
	sigset_t chld;

	if (argc < 4 || strcmp(argv[argc - 2], "-c") != 0) {
		fprintf(stderr,
		    "usage: sluice-zygote PYTHON [FLAGS...] -c RUNNER "
		    "(run by sluice-agent serve)\n");
		return 2;
	}
	/* The interpreter this program embeds, and no other: its flags and
	   its modules must be those of the runtime's own command. */
	if (realpath(argv[1], real) == NULL ||
	    strcmp(real, ZYGOTE_PYTHON) != 0) {
		fprintf(stderr,
		    "sluice-zygote: '%s' is not %s, the interpreter built "
		    "in\n",
		    argv[1], ZYGOTE_PYTHON);
		return 2;
	}
	/* No PR_SET_PDEATHSIG: the jobs are this process's children, and
	   their status goes to their supervisors through it, so it outlives
	   the session that started it until its last job has ended (the end
	   of its socket tells it the session has gone). */
	if (getppid() == 1)
		return 1;
	/* The runner's definitions run here, once (ZYGOTE_RUNNER_RUN); each
	   job runs its last lines. */
	n = strlen(argv[argc - 1]);
	k = strlen(ZYGOTE_RUNNER_RUN);
	if (n > k && strcmp(argv[argc - 1] + n - k, ZYGOTE_RUNNER_RUN) == 0) {
		if ((defs = strndup(argv[argc - 1], n - k)) == NULL)
			return 1;
		argv[argc - 1] = (char *)ZYGOTE_RUNNER_RUN;
	}
	PyConfig_InitPythonConfig(&config);
	config.parse_argv = 1;
	status = PyConfig_SetBytesArgv(&config, argc - 1, argv + 1);
	if (!PyStatus_Exception(status))
		status = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(status)) {
		fprintf(stderr, "sluice-zygote: %s\n",
		    status.err_msg != NULL ? status.err_msg : "cannot start");
		return 1;
	}
	/* What the runner imports, once; then out of the collector's way,
	   so that a job's collections do not touch (and copy) these pages.
	   __main__ keeps the runner's definitions (each job runs in a
	   __main__ of its own); gc goes from sys.modules, where a cold
	   start has none. */
	if (defs != NULL && PyRun_SimpleString(defs) != 0)
		return 1;
	free(defs);
	if (PyRun_SimpleString(
		"import _socket, gc, sys\n"
		"gc.freeze()\n"
		"del sys.modules['gc'], _socket, gc, sys\n") != 0)
		return 1;
	/* Its own PID namespace, to return to after each job's fork; the
	   jobs' ends on a signalfd, beside the requests. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if ((selfns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) == -1 ||
	    sigprocmask(SIG_BLOCK, &chld, NULL) == -1 ||
	    (sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		return 1;
	/* Once the session has gone (its socket's end), no more requests:
	   the zygote ends when its last job has, without tearing the
	   interpreter down (nothing of it needs to be). */
	while (serving || zygote_njobs > 0) {
		pfd[0] = (struct pollfd){ sigfd, POLLIN, 0 };
		pfd[1] = (struct pollfd){ serving ? ZYGOTE_SOCK : -1, POLLIN,
			0 };
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (pfd[0].revents != 0) {
			while (read(sigfd, &si, sizeof(si)) > 0)
				;
			explicit_bzero(&si, sizeof(si));
			zygote_reap();
			zygote_burn();
		}
		if (pfd[1].revents == 0)
			continue;
		if ((rc = zygote_recv(ZYGOTE_SOCK, &req, fds)) == 1) {
			close(ZYGOTE_SOCK);
			serving = false;
		} else if (rc == 0 &&
		    zygote_fork(&req, fds, selfns, sigfd) == -1)
			_exit(1);
	}
	_exit(0);
}
