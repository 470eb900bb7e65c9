/* The zygote's protocol and start: see zygote.h (its body: zygote-main.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "trust.h"
#include "zygote.h"

/* See zygote.h. */
uint64_t
zygote_hash(char *const argv[], char *const envp[])
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; argv[i] != NULL; i++)
		h = plan_fnv(h, argv[i], strlen(argv[i]) + 1);
	h = plan_fnv(h, "", 1);
	for (i = 0; envp[i] != NULL; i++)
		h = plan_fnv(h, envp[i], strlen(envp[i]) + 1);
	return h;
}

/* See zygote.h. */
int
zygote_path(char *buf, size_t size)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return -1;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return -1;
	*slash = '\0';
	return snprintf(buf, size, "%s/sluice-zygote", self) < (int)size ? 0
									 : -1;
}

/*
 * The zygote's parent, a child subreaper: should the zygote be killed, the
 * jobs it forked are reparented here, not to the host's init, and reaped
 * (until a job is reaped, its sandbox's init cannot end: the last process
 * of a PID namespace waits for every other to be).  Ends once the zygote
 * and every such job have, as the zygote ended (the session tells a zygote
 * that could not start from one killed by that).
 */
static void __attribute__((noreturn)) zygote_reaper(pid_t z)
{
	int status, zstatus = 0;
	sigset_t none;
	pid_t p;

	syscall(SYS_close_range, 0, ~0U, 0);
	for (;;) {
		if ((p = waitpid(-1, &status, __WALL)) == z)
			zstatus = status;
		else if (p == -1 && errno != EINTR)
			break;
	}
	if (WIFSIGNALED(zstatus)) {
		signal(WTERMSIG(zstatus), SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		raise(WTERMSIG(zstatus));
	}
	_exit(WIFEXITED(zstatus) ? WEXITSTATUS(zstatus) : 1);
}

/* See zygote.h. */
int
zygote_start(char *const argv[], char *const envp[], int *sock, pid_t *pid,
    struct error *e)
{
	char path[PATH_MAX], *args[64];
	int sv[2], null, exe, x;
	pid_t z;
	sigset_t none;
	size_t n;

	if (zygote_path(path, sizeof(path)) == -1) {
		error_set(e, ERR_SYS, "zygote: cannot find sluice-zygote");
		return -1;
	}
	args[0] = path;
	for (n = 0; argv[n] != NULL; n++) {
		if (n + 2 >= sizeof(args) / sizeof(args[0])) {
			error_set(e, ERR_INVALID, "zygote: too many words");
			return -1;
		}
		args[n + 1] = argv[n];
	}
	args[n + 1] = NULL;
	/* It runs as root: it and every directory above it must be root's
	   and writable by root only, as the config file must (trust.h),
	   not whatever sits beside an agent started from a directory the
	   account controls (root's agent hard-linked there, which a sudo
	   rule matches by inode where fs.protected_hardlinks is 0).  The
	   file checked is the file executed (execveat on its descriptor). */
	if ((exe = trust_open(path, false, e)) == -1)
		return error_wrap(e, "zygote");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		error_set(e, ERR_SYS, "zygote: %s", strerror(errno));
		close(exe);
		return -1;
	}
	if ((*pid = fork()) == -1) {
		error_set(e, ERR_SYS, "zygote: fork: %s", strerror(errno));
		close(exe);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (*pid == 0) {
		/* A session of its own, as a supervisor leads: its children
		   are the running jobs, which a hang-up or stop of the
		   dispatcher's terminal or process group must not reach.
		   This process is the zygote's reaper (zygote_reaper()). */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (setsid() == -1 ||
		    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1 ||
		    (z = fork()) == -1)
			_exit(127);
		if (z != 0) {
			close(exe);
			close(sv[0]);
			close(sv[1]);
			zygote_reaper(z);
		}
		/* Its socket at 3, nothing else of the session's but stderr
		   (the session's stdin and stdout are the dispatcher's).
		   The program's descriptor: above the socket's place first,
		   then at 4 (close-on-exec), the rest closed. */
		if ((x = fcntl(exe, F_DUPFD_CLOEXEC, 5)) == -1 ||
		    (null = open("/dev/null", O_RDWR)) == -1 ||
		    dup2(null, 0) == -1 || dup2(null, 1) == -1 ||
		    dup2(sv[1], 3) == -1 || dup3(x, 4, O_CLOEXEC) == -1 ||
		    syscall(SYS_close_range, 5, ~0U, 0) == -1 ||
		    chdir("/") == -1)
			_exit(127);
		syscall(SYS_execveat, 4, "", args, envp, AT_EMPTY_PATH);
		fprintf(stderr, "sluice-agent: cannot execute '%s': %s\n", path,
		    strerror(errno));
		_exit(127);
	}
	close(exe);
	close(sv[1]);
	*sock = sv[0];
	return 0;
}

/* See zygote.h. */
int
zygote_request(int sock, const struct zygote_req *r, const int fds[ZYGOTE_NFDS])
{
	struct iovec iov = { (void *)r, sizeof(*r) };

	return sandbox_send_fds(sock, &iov, 1, fds, ZYGOTE_NFDS);
}

/* See zygote.h. */
int
zygote_recv(int sock, struct zygote_req *r, int fds[ZYGOTE_NFDS])
{
	ssize_t n;
	size_t i;

	n = sandbox_recv_fds(sock, r, sizeof(*r), fds, ZYGOTE_NFDS);
	/* The session has gone, or its socket no longer works. */
	if (n == 0 || (n == -1 && errno != EBADMSG))
		return 1;
	if (n == (ssize_t)sizeof(*r) && r->nrlimits <= PLAN_RLIMITS_MAX &&
	    r->prog.len > 0 && r->prog.len <= FILTER_INSNS_MAX &&
	    memchr(r->workdir, '\0', sizeof(r->workdir)) != NULL &&
	    memchr(r->cs.root, '\0', sizeof(r->cs.root)) != NULL &&
	    memchr(r->cs.parent, '\0', sizeof(r->cs.parent)) != NULL)
		return 0;
	for (i = 0; i < ZYGOTE_NFDS; i++)
		if (fds[i] != -1)
			close(fds[i]);
	return -1;
}
