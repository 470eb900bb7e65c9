/*
 * Warm slots: the templates a session keeps.  A template is the part of a
 * job's root that is the same for every job of a runtime under the node's
 * policy, on any slot (plan.c's template steps: the skeleton, /dev, the
 * runtime's read-only binds), built once in a mount namespace of its own
 * and kept by a descriptor.  A job's init copies it (setns, then unshare)
 * instead of making those 20 to 30 mounts, and adds only its own: a fresh
 * tmpfs for /job, /out, /tmp and /dev/shm, the submission, a new /proc.
 * Nothing of a job reaches the template: the copy is the job's alone, and
 * the template is read-only.
 */
#ifndef SLUICE_AGENT_WARM_H
#define SLUICE_AGENT_WARM_H

#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "plan.h"

/* A template is used for this long at most, and rebuilt, even if the
   policy is the same: its overlays keep the host's files as of their
   mount (a file deleted since stays readable, a package upgraded since
   would show half old). */
#define WARM_MAX_AGE_SECONDS 30

struct warm_template {
	char runtime[sizeof(((struct runtime *)0)->name)];
	uint64_t tag; /* plan_template_tag() of what was built */
	int fd; /* its mount namespace (/proc/PID/ns/mnt) */
};

struct warm {
	struct warm_template t[CONF_RUNTIMES_MAX];
	size_t n;
	struct timespec built; /* CLOCK_MONOTONIC */
};

/*
 * Drop w's templates and build one for each runtime of c (a runtime whose
 * template fails is left without: its jobs build their own root and report
 * any error themselves).
 */
void warm_build(struct warm *w, const struct agent_conf *c);

/* Drop every template. */
void warm_drop(struct warm *w);

/* Seconds since w was built. */
double warm_age(const struct warm *w);

/* The descriptor of w's template for runtime that matches plan p's
   template steps exactly and is not older than WARM_MAX_AGE_SECONDS, or
   -1. */
int warm_find(const struct warm *w, const char *runtime, const struct plan *p);

#endif
