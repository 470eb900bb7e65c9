/* The zygote's protocol and start: see zygote.h (its body: zygote-main.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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

/* See zygote.h. */
int
zygote_start(char *const argv[], char *const envp[], int *sock, pid_t *pid,
    struct error *e)
{
	char path[PATH_MAX], *args[64];
	int sv[2], null, exe, x;
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
		/* Its socket at 3, nothing else of the session's but stderr
		   (the session's stdin and stdout are the dispatcher's).  A
		   session of its own, as a supervisor leads: its children
		   are the running jobs' parents, which a hang-up or stop of
		   the dispatcher's terminal or process group must not
		   reach (PR_SET_PDEATHSIG still ends it with the session). */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* The program's descriptor: above the socket's place
		   first, then at 4 (close-on-exec), the rest closed. */
		if (setsid() == -1 ||
		    (x = fcntl(exe, F_DUPFD_CLOEXEC, 5)) == -1 ||
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
