/*
 * The supervisor: the detached root process that owns one job from its
 * cgroup to its result.  It starts init in fresh namespaces, enforces the
 * wall, CPU and output limits as events (timerfd, signalfd, pipes,
 * inotify, seccomp notifications, all in one epoll loop, no polling),
 * collects the outputs, removes every trace of the job, and writes the
 * result and the finished event.
 */
#ifndef SLUICE_AGENT_SUPERVISE_H
#define SLUICE_AGENT_SUPERVISE_H

#include "cgroup.h"
#include "conf.h"
#include "jobdir.h"
#include "plan.h"

struct supervise_job {
	const struct agent_conf *conf;
	const struct plan *plan;
	struct jobdir *jd;
	const struct cgroup_sys *cg;
	int evfd; /* the locked events file */
	int slotfd; /* the slot's lock */
	int wakefd; /* write end of run's wake pipe, or -1 */
	int spare_ns[2]; /* namespaces a session made ahead, or both -1 */
	int template_fd; /* the session's template for the plan, or -1 */
};

/* Run the job to its end in this (already detached) process; never returns. */
void supervise_main(struct supervise_job *sj) __attribute__((noreturn));

#endif
