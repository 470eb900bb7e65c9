/*
 * agent.conf: the node owner's policy.  Everything a job may do on this node
 * is bounded here; a manifest can ask for less, never for more.
 */
#ifndef SLUICE_AGENT_CONF_H
#define SLUICE_AGENT_CONF_H

#include <limits.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "limit.h"

/* The node owner's policy.  A test build may pin another path, as a node
   owner's build never needs to. */
#ifndef CONF_DEFAULT_PATH
#define CONF_DEFAULT_PATH SYSCONFDIR "/sluice/agent.conf"
#endif
#define CONF_SLOTS_MAX 1024
#define CONF_BINDS_MAX 32
#define CONF_COMMAND_MAX 32
#define CONF_RUNTIMES_MAX 64
#define CONF_BIND_PATH_MAX 256 /* a bind path, NUL included (plan.h) */

enum conf_cgroup {
	CONF_CGROUP_AUTO,
	CONF_CGROUP_V1,
	CONF_CGROUP_V2,
	CONF_CGROUP_NONE
};

/* How the agent builds a sandbox: as root (the slot's ids are the host's),
   or inside a user namespace of an unprivileged account's (the slot's ids
   exist only in it; every job is the account outside). */
enum conf_mode {
	CONF_MODE_ROOT,
	CONF_MODE_USER
};

struct runtime {
	char name[65];
	char **command; /* argv; "{entry}" stands for the entry file */
	size_t ncommand;
	char **binds; /* absolute host paths bound read-only */
	size_t nbinds;
	char *version; /* configured version, or NULL to ask */
	bool warm_start; /* its interpreter may start before the job (park.h) */
	bool zygote; /* warm_start's jobs forked from one interpreter
			(zygote.h) */
	/* A compile stage, run in the job's sandbox before command (with
	   the same placeholders, and no args); NULL when it has none.  Its
	   limits are its own, but for disk_bytes: the run's, as the two
	   share /job. */
	char **compile; /* argv */
	size_t ncompile;
	struct limits compile_defaults;
	struct limits compile_ceilings;
	/* The tiny program info runs through the sandbox (check.h): an
	   entry name and its text; "check" and "" unless configured. */
	char check_entry[65];
	char *check_source;
};

struct agent_conf {
	char base_dir[520]; /* at most 512 bytes */
	char jobs_dir[528]; /* base_dir/jobs, where job directories lie */
	unsigned slots;
	unsigned warm_slots; /* how many parked sandboxes a session keeps
				(park.h) when a runtime has warm_start */
	unsigned slots_all; /* slots, and warm_slots more for the parked
			       sandboxes when a runtime has warm_start: their
			       ids are uid_base + slots on, gid_base + slots
			       on */
	uid_t uid_base;
	gid_t gid_base;
	struct limits defaults;
	struct limits ceilings;
	struct runtime *runtimes;
	size_t nruntimes;
	enum conf_mode mode; /* default: root when euid is 0, else user */
	enum conf_cgroup cgroup;
	char cgroup_root[256]; /* where cgroupfs is mounted */
	char cgroup_parent[64]; /* name of the cgroup that holds the slots */
	unsigned out_files_max; /* files copied back from /out */
	char sftp_server[256]; /* what `sluice-agent sftp` runs */
};

/* Load and check an open config file (path names it in messages); fd
   stays open, and c is filled only on success.  main.c opens the file
   through trust_open(). */
int
conf_load_fd(int fd, const char *path, struct agent_conf *c, struct error *e);

/* Free what c owns. */
void conf_release(struct agent_conf *c);

/* The runtime called name, or NULL. */
const struct runtime *
conf_runtime(const struct agent_conf *c, const char *name);

/* The runtime that has warm_start, or NULL. */
const struct runtime *conf_warm_runtime(const struct agent_conf *c);

/* Whether an absolute host path is acceptable as a bind (exported for tests). */
int conf_bind_check(const char *path, struct error *e);

#endif
