/*
 * A sandbox plan: the manifest and the node's policy turned into plain data
 * (ids, limits, mounts, rlimits, argv, env) with no system calls, so that
 * unit tests cover the policy without root.  sandbox.c applies a plan in one
 * straight sequence; every mount here carries the reason it exists.
 */
#ifndef SLUICE_AGENT_PLAN_H
#define SLUICE_AGENT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "conf.h"
#include "error.h"
#include "limit.h"
#include "manifest.h"

#define PLAN_MOUNTS_MAX 128
#define PLAN_RLIMITS_MAX 16
#define PLAN_PATH_MAX CONF_BIND_PATH_MAX

enum plan_mount_kind {
	PLAN_TMPFS, /* a new tmpfs at target; data holds its options */
	PLAN_UNMOUNT, /* the mount at target goes */
	PLAN_DIR, /* a directory at target */
	PLAN_BIND, /* source bound at target, then remounted with flags */
	PLAN_DEVICE, /* a host device node bound onto an empty file */
	PLAN_SYMLINK, /* target is a symbolic link to source */
	PLAN_PROC, /* a new procfs for the job's PID namespace */
	PLAN_REMOUNT, /* target remounted (as a bind) with flags */
	PLAN_MASK, /* a /proc path hidden: /dev/null over a file, an empty
		     read-only tmpfs over a directory; skipped if absent */
	PLAN_COPY_IN /* the submission (JOBDIR/files) copied into target,
			owned by the slot's ids */
};

struct plan_mount {
	enum plan_mount_kind kind;
	char source[PLAN_PATH_MAX]; /* host path; for PLAN_BIND with
					   in_root, a path inside the root */
	char target[PLAN_PATH_MAX]; /* path inside the sandbox root */
	unsigned long flags; /* MS_* for the final mount state */
	mode_t mode; /* PLAN_DIR */
	bool slot_owned; /* PLAN_DIR: owned by the slot's ids */
	bool in_root; /* PLAN_BIND: source is inside the root */
	bool host_optional; /* PLAN_BIND: skip if the host lacks it */
	char data[96]; /* PLAN_TMPFS, PLAN_PROC options */
	const char *why;
};

struct plan_rlimit {
	int resource;
	rlim_t soft;
	rlim_t hard;
	const char *why;
};

/* A compile stage: the same sandbox, its own argv, limits and rlimits. */
struct plan_stage {
	char **argv; /* NULL-terminated */
	char **envp; /* the base environment only: the manifest's env is
			the run's, so that a submission cannot steer the
			compiler (LD_PRELOAD, GCC_EXEC_PREFIX, ...) */
	struct limits limits; /* disk_bytes is the run's: they share /job */
	unsigned clamped;
	struct plan_rlimit rlimits[PLAN_RLIMITS_MAX];
	size_t nrlimits;
};

struct plan {
	unsigned slot;
	uid_t uid;
	gid_t gid;
	struct limits limits; /* what is applied */
	unsigned clamped; /* requested limits lowered to ceiling */
	bool memory_by_cgroup; /* else RLIMIT_AS carries the limit */
	char **argv; /* NULL-terminated */
	char **envp; /* NULL-terminated, "KEY=value" */
	struct plan_mount mounts[PLAN_MOUNTS_MAX];
	size_t nmounts;
	size_t ntemplate; /* mounts[0..ntemplate) are the template's: the
			     same for every job of the runtime, on any
			     slot; the rest are the job's own */
	struct plan_rlimit rlimits[PLAN_RLIMITS_MAX];
	size_t nrlimits;
	char hostname[16];
	char workdir[16];
	bool userns; /* mode "user": the sandbox is in a user namespace of
			its own, where uid and gid map to the agent's ids */
	bool has_compile; /* the runtime compiles first: compile holds how */
	struct plan_stage compile;
};

/*
 * Build the plan for manifest m on slot under policy c.  memory_cgroup says
 * whether the node can limit memory with a cgroup.  Fails with ERR_INVALID
 * for an unknown runtime.  Release with plan_release().
 */
int
plan_build(struct plan *p, const struct manifest *m, const struct agent_conf *c,
    unsigned slot, bool memory_cgroup, struct error *e);

/*
 * Only the template's steps for runtime rt (ntemplate == nmounts), for a
 * session to build ahead (warm.c).  0, or -1 when they do not fit.
 */
int plan_template(struct plan *p, const struct runtime *rt);

/*
 * A hash of the template's steps: a kept template serves a job only if its
 * plan's tag is the template's, so a changed policy never runs on an old
 * template.
 */
uint64_t plan_template_tag(const struct plan *p);

/* FNV-1a of n bytes at v, continuing from h (the tag's hash; check.c keys
   its kept outcomes with it too). */
uint64_t plan_fnv(uint64_t h, const void *v, size_t n);

/*
 * Whether a and b build the same sandbox: every field but argv (ids,
 * limits, mounts, rlimits, environment), compared exactly.  A job may use
 * a sandbox built before it arrived (park.h) only then.
 */
bool plan_same_sandbox(const struct plan *a, const struct plan *b);

/*
 * A warm start's argv: the runtime's command up to its last word
 * ("{entry}", conf.c), then "-c" and runner.  0, or -1 out of memory (p
 * may then hold fewer words; plan_release() frees them).
 */
int plan_warm_argv(struct plan *p, const char *runner);

/*
 * Where the words a warm start's runner takes (the entry's path and the
 * job's arguments) begin in job->argv: after the same command words as
 * parked's (a plan_warm_argv() plan).  -1 if the commands differ.
 */
ssize_t plan_warm_tail(const struct plan *job, const struct plan *parked);

/* Free what p owns. */
void plan_release(struct plan *p);

#endif
