/*
 * Per-slot cgroups for memory, process and CPU accounting, on cgroup v1
 * (one hierarchy per controller) or v2 (one unified hierarchy), chosen at
 * run time.  A slot's cgroup is <root>/<parent>/uid<U> in each hierarchy,
 * where U is the slot's uid: uids are unique on a host even when several
 * agents share it, slot numbers are not.  Only the job holding the slot's
 * lock touches it, and each job starts by removing whatever a crashed
 * predecessor left behind.  The functions below name a slot by its uid.
 */
#ifndef SLUICE_AGENT_CGROUP_H
#define SLUICE_AGENT_CGROUP_H

#include <limits.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "error.h"
#include "limit.h"

enum cgroup_version {
	CGROUP_NONE,
	CGROUP_V1,
	CGROUP_V2
};

struct cgroup_sys {
	enum cgroup_version version;
	char root[PATH_MAX / 4]; /* normally /sys/fs/cgroup */
	char parent[64]; /* conf's cgroup_parent */
	bool memory; /* controllers usable */
	bool pids;
	bool cpu; /* v1 cpuacct, v2 cpu.stat */
	bool memsw; /* v1 swap accounting */
};

/* A slot's directory: root, hierarchy, parent, uid<U>. */
#define CGROUP_DIR_MAX (PATH_MAX / 4 + 128)
/* The hierarchies a slot spans at most (v1: memory, pids, cpuacct). */
#define CGROUP_HIER_MAX 3
/* The steps of a plan at most (v1: 3 parents, 3 slots, 3 limits). */
#define CGROUP_PLAN_MAX 12

/* One step of making a slot's cgroup: mkdir dir when file is NULL (an
   existing directory is fine), else write value to dir/file. */
struct cgroup_step {
	char dir[CGROUP_DIR_MAX];
	const char *file; /* static */
	char value[32];
};

struct cgroup_stats {
	uint64_t cpu_ns;
	uint64_t memory_peak_bytes; /* 0 when the kernel cannot tell */
	uint64_t oom_kills;
};

/*
 * Find out which cgroup version the node offers under root and which
 * controllers are usable, following the configured mode.  A forced v1 or v2
 * that is not there is an error; "auto" falls back to CGROUP_NONE.
 */
int cgroup_detect(struct cgroup_sys *cs, const char *root, const char *parent,
    enum conf_cgroup mode, struct error *e);

/* The version's name for info and results: "v1", "v2" or "none". */
const char *cgroup_version_name(enum cgroup_version v);

/*
 * The steps that create slot's cgroup and write its limits, in order, into
 * steps (CGROUP_PLAN_MAX of them); returns how many.  No system calls: this
 * is the whole difference between the layouts' prepares, as data.
 */
size_t cgroup_plan(const struct cgroup_sys *cs, uid_t slot,
    const struct limits *l, struct cgroup_step *steps);

/*
 * The slot's directory in each hierarchy in use, into dirs; returns how many
 * (0 without cgroups).  No system calls.
 */
size_t cgroup_slot_dirs(const struct cgroup_sys *cs, uid_t slot,
    char dirs[CGROUP_HIER_MAX][CGROUP_DIR_MAX]);

/*
 * Make a fresh cgroup for slot: remove a stale one (killing what is in it),
 * then apply cgroup_plan().
 */
int cgroup_prepare(const struct cgroup_sys *cs, uid_t slot,
    const struct limits *l, struct error *e);

/*
 * Move the calling process, which must be single-threaded, into the slot's
 * cgroups.  On v1 it writes 0 to each hierarchy's "tasks" file: moving only
 * the caller's own thread lets the kernel skip its global threadgroup lock,
 * whose RCU grace period otherwise costs several milliseconds per job.
 */
int cgroup_enter_self(const struct cgroup_sys *cs, uid_t slot, struct error *e);

/*
 * v2 only: open the slot's cgroup directory for clone3(CLONE_INTO_CGROUP),
 * which creates a process directly inside it.  Returns the descriptor or -1.
 */
int cgroup_open_dir(const struct cgroup_sys *cs, uid_t slot, struct error *e);

/* Move pid into the slot's cgroup in every hierarchy. */
int cgroup_attach(const struct cgroup_sys *cs, uid_t slot, pid_t pid,
    struct error *e);

/* The CPU time used so far by everything in the slot's cgroup. */
int cgroup_cpu_ns(const struct cgroup_sys *cs, uid_t slot, uint64_t *ns);

/* CPU, peak memory and OOM kills of the slot's cgroup. */
int cgroup_stats(const struct cgroup_sys *cs, uid_t slot,
    struct cgroup_stats *st, struct error *e);

/*
 * Between a compile stage and the run: write the run's limits l over the
 * compile stage's (was) on the slot's existing cgroup, and start the peak
 * memory again.  On cgroup v2 that needs a descriptor of memory.peak
 * (Linux 6.12): *peakfd is it, to read the run's peak through with
 * cgroup_peak_read(), or -1 (then the peak read later is the whole job's).
 * Fails with ERR_BUSY when the memory in use is more than l allows (v1
 * refuses such a limit; v2 takes it and the run meets the OOM killer).
 */
int cgroup_restage(const struct cgroup_sys *cs, uid_t slot,
    const struct limits *was, const struct limits *l, int *peakfd,
    struct error *e);

/* The peak memory through such a descriptor. */
int cgroup_peak_read(int fd, uint64_t *out);

/* Kill everything left in the slot's cgroup and remove it. */
int cgroup_destroy(const struct cgroup_sys *cs, uid_t slot, struct error *e);

#endif
