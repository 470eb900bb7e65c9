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
	int spare_ns[2]; /* network and IPC namespaces to enter (see
			    sandbox_io), each or both -1 */
	int template_fd; /* the session's template for the plan, or -1 */
	int parkfd; /* a warm start (park.h): jd and evfd are NULL and -1
		       until the run hands the job over on this socket;
		       else -1 */
	int parked_lock; /* a warm start's slot_park() mark, closed at the
			    handoff; else -1 */
	int zygotefd; /* a warm start whose job the session's zygote forks
			 (zygote.h): its request socket; else -1 */
};

/* Run the job to its end in this (already detached) process; never returns. */
void supervise_main(struct supervise_job *sj) __attribute__((noreturn));

/*
 * Fork the supervisor, detached (a session of its own, /dev/null as its
 * stdio, without caller_fds: the caller's end of the wake pipe and of the
 * park socket, or -1), running supervise_main(sj); its pid, or -1.
 */
pid_t supervise_start(struct supervise_job *sj, const int caller_fds[2]);

#endif
