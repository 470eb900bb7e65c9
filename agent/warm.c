/*
 * Warm slots: see warm.h.  A template is made by a child of the session: it
 * enters a mount namespace of its own, builds the template's steps exactly
 * as init would (sandbox_build_template()), says it is ready and waits; the
 * session opens the child's namespace, which the descriptor then keeps
 * after the child has gone.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "slot.h"
#include "util.h"
#include "warm.h"

/* Build the template of runtime rt into t; 0, or -1 (no template). */
static int
warm_build_one(const struct agent_conf *c, const struct runtime *rt,
    struct warm_template *t)
{
	char root[PATH_MAX], empty[PATH_MAX], path[64];
	static struct plan p;
	struct sandbox_msg m;
	int sv[2], fd, rc = -1;
	pid_t pid;

	if (plan_template(&p, rt) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	snprintf(root, sizeof(root), "%s/root", c->base_dir);
	snprintf(empty, sizeof(empty), "%s/empty", c->base_dir);
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* Its own mount namespace, then the build; nothing here can
		   reach the session's, which is the host's. */
		close(sv[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
		    unshare(CLONE_NEWNS) == -1)
			_exit(1);
		sandbox_build_template(sv[1], &p, root, empty);
		(void)sandbox_send(sv[1], SANDBOX_READY, 0, NULL, -1, NULL);
		/* Wait for the session to have opened the namespace. */
		(void)sandbox_recv(sv[1], &m, &fd);
		_exit(0);
	}
	close(sv[1]);
	fd = -1;
	if (sandbox_recv(sv[0], &m, &fd) == 0 && m.type == SANDBOX_READY) {
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		t->fd = open(path, O_RDONLY | O_CLOEXEC);
		rc = t->fd == -1 ? -1 : 0;
	}
	if (fd != -1)
		close(fd);
	close(sv[0]);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	if (rc == 0) {
		snprintf(t->runtime, sizeof(t->runtime), "%s", rt->name);
		t->tag = plan_template_tag(&p);
	}
	return rc;
}

/* See warm.h. */
void
warm_drop(struct warm *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		close(w->t[i].fd);
	w->n = 0;
}

/* See warm.h. */
void
warm_build(struct warm *w, const struct agent_conf *c)
{
	struct error e;
	size_t i;

	warm_drop(w);
	clock_gettime(CLOCK_MONOTONIC, &w->built);
	error_init(&e);
	if (slot_dirs(c, &e) == -1)
		return;
	for (i = 0; i < c->nruntimes && w->n < CONF_RUNTIMES_MAX; i++)
		if (warm_build_one(c, &c->runtimes[i], &w->t[w->n]) == 0)
			w->n++;
}

/* See warm.h. */
double
warm_age(const struct warm *w)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return util_elapsed(&w->built, &now);
}

/* See warm.h. */
int
warm_find(const struct warm *w, const char *runtime, const struct plan *p)
{
	uint64_t tag = plan_template_tag(p);
	size_t i;

	if (warm_age(w) > WARM_MAX_AGE_SECONDS)
		return -1;
	for (i = 0; i < w->n; i++)
		if (strcmp(w->t[i].runtime, runtime) == 0 && w->t[i].tag == tag)
			return w->t[i].fd;
	return -1;
}
