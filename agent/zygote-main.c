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
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
 * One request, in a child of the zygote: into the slot's cgroup, into
 * init's namespaces, fork the job, and report how it ended.
 */
static void __attribute__((noreturn))
zygote_child(const struct zygote_req *r, int fds[ZYGOTE_NFDS])
{
	int reply = fds[ZYGOTE_FD_REPLY], status, fd;
	struct error e;
	pid_t job;

	close(ZYGOTE_SOCK);
	/* Shielded from the OOM killer as init is (best effort: it takes
	   CAP_SYS_RESOURCE), before it joins the slot's cgroup: else the
	   largest process there may be this one, a whole interpreter
	   mapped, and the job would lose the parent that reports its
	   status.  The job sets its own back to 0. */
	if ((fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)) !=
	    -1) {
		(void)!write(fd, "-1000", 5);
		close(fd);
	}
	/* The zygote ignores SIGCHLD (the kernel reaps these children);
	   this process waits for its own. */
	signal(SIGCHLD, SIG_DFL);
	if (dup2(fds[ZYGOTE_FD_STDIN], 0) == -1 ||
	    dup2(fds[ZYGOTE_FD_STDOUT], 1) == -1 ||
	    dup2(fds[ZYGOTE_FD_STDERR], 2) == -1)
		sandbox_die(reply, "zygote: cannot set up the job's stdio: %s",
		    strerror(errno));
	close(fds[ZYGOTE_FD_STDIN]);
	close(fds[ZYGOTE_FD_STDOUT]);
	close(fds[ZYGOTE_FD_STDERR]);
	/* Before any setns: the cgroup files are the host's, and the job is
	   born in the slot's cgroup, as init was. */
	error_init(&e);
	if (cgroup_enter_self(&r->cs, r->uid, &e) == -1)
		sandbox_die(reply, "zygote: %s", e.msg);
	if (syscall(SYS_setns, fds[ZYGOTE_FD_INIT], ZYGOTE_NS) == -1)
		sandbox_die(reply, "zygote: cannot enter the sandbox: %s",
		    strerror(errno));
	close(fds[ZYGOTE_FD_INIT]);
	if ((job = fork()) == -1)
		sandbox_die(reply, "zygote: fork: %s", strerror(errno));
	if (job == 0)
		zygote_job(r, fds);
	close(fds[ZYGOTE_FD_RUNNER]);
	close(0);
	close(1);
	close(2);
	while (waitpid(job, &status, __WALL) == -1)
		if (errno != EINTR)
			sandbox_die(reply, "zygote: lost the job: %s",
			    strerror(errno));
	(void)sandbox_send(reply, SANDBOX_STATUS, status, NULL, -1, NULL);
	_exit(0);
}

int
main(int argc, char **argv)
{
	static struct zygote_req req;
	char real[PATH_MAX], *defs = NULL;
	size_t n, k;
	int fds[ZYGOTE_NFDS], i, rc;
	PyStatus status;
	PyConfig config;
	pid_t pid;

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
	/* Gone with the session that started it; its children (the jobs'
	   parents) end with their sandboxes. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 || getppid() == 1 ||
	    signal(SIGCHLD, SIG_IGN) == SIG_ERR)
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
	for (;;) {
		/* The session has gone: so does the zygote, without tearing
		   the interpreter down (nothing of it needs to be). */
		if ((rc = zygote_recv(ZYGOTE_SOCK, &req, fds)) == 1)
			_exit(0);
		if (rc == -1)
			continue;
		if ((pid = fork()) == 0)
			zygote_child(&req, fds);
		/* A failed fork: the supervisor sees the reply socket close
		   with no status, and the job fails as a sandbox error. */
		for (i = 0; i < ZYGOTE_NFDS; i++)
			close(fds[i]);
		(void)pid;
	}
}
