/*
 * Per-slot cgroups: see cgroup.h.  All knowledge of the two cgroup layouts
 * lives here; the rest of the agent asks for limits, attachment, numbers and
 * removal, and never sees a cgroup path.  The layouts differ only by the
 * tables below: cgroup_plan() and cgroup_slot_dirs() turn a table into data
 * (what to create and write, where a slot lives), and one short piece of
 * code applies that data on either version.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cgroup.h"
#include "util.h"

#define CGROUP_FILE_MAX 65536
/* The sandbox's init lives in the cgroup too, and is not the job's. */
#define CGROUP_INIT_TASKS 1
/* Pids pinned per pass of a kill; the caller repeats until the cgroup is
   empty. */
#define CGROUP_KILL_BATCH 1024

/* Controllers, as bits of a mask. */
enum {
	CG_MEMORY = 1,
	CG_PIDS = 2,
	CG_CPU = 4,
	CG_MEMSW = 8 /* v1 swap accounting */
};

/* What a limit file is given: an index into cgroup_plan()'s values. */
enum {
	CG_VAL_MEMORY,
	CG_VAL_PROCS, /* the processes limit plus init */
	CG_VAL_ZERO
};

/* Everything that sets one version's layout apart. */
struct cgroup_layout {
	const char *name;
	const char *hier[CGROUP_HIER_MAX]; /* under root; "" is root itself */
	unsigned hier_ctl[CGROUP_HIER_MAX]; /* 0: every one, always used */
	struct {
		unsigned ctl; /* the controller it needs */
		const char *file;
		int value;
	} limit[3]; /* in the order written */
	const char *enter; /* a process writes 0 here to move itself in */
	const char *delegate; /* ancestors pass controllers on here */
	const char *cpu, *cpu_key; /* key NULL: the file is the number */
	uint64_t cpu_ns_per_unit;
	const char *peak, *oom; /* peak memory; the oom_kill count */
};

static const struct cgroup_layout cgroup_layouts[] = {
	[CGROUP_NONE] = { .name = "none" },
	[CGROUP_V1] = {
	    .name = "v1",
	    .hier = { "memory", "pids", "cpuacct" },
	    .hier_ctl = { CG_MEMORY | CG_MEMSW, CG_PIDS, CG_CPU },
	    /* memsw must not be below the memory limit, so it is written
	       second; with it, swap cannot extend the limit. */
	    .limit = { { CG_MEMORY, "memory.limit_in_bytes", CG_VAL_MEMORY },
		{ CG_MEMSW, "memory.memsw.limit_in_bytes", CG_VAL_MEMORY },
		{ CG_PIDS, "pids.max", CG_VAL_PROCS } },
	    /* The caller's thread only: see cgroup_enter_self(). */
	    .enter = "tasks",
	    .cpu = "cpuacct.usage",
	    .cpu_ns_per_unit = 1,
	    .peak = "memory.max_usage_in_bytes",
	    /* oom_kill in memory.oom_control needs Linux 4.13. */
	    .oom = "memory.oom_control",
	},
	[CGROUP_V2] = {
	    .name = "v2",
	    .hier = { "" },
	    .limit = { { CG_MEMORY, "memory.max", CG_VAL_MEMORY },
		{ CG_MEMORY, "memory.swap.max", CG_VAL_ZERO },
		{ CG_PIDS, "pids.max", CG_VAL_PROCS } },
	    .enter = "cgroup.procs",
	    /* Controllers reach a child only if every ancestor passes them
	       on. */
	    .delegate = "cgroup.subtree_control",
	    /* usage_usec is there without the cpu controller enabled. */
	    .cpu = "cpu.stat",
	    .cpu_key = "usage_usec",
	    .cpu_ns_per_unit = 1000,
	    /* memory.peak needs Linux 5.19; without it peak stays 0. */
	    .peak = "memory.peak",
	    .oom = "memory.events",
	},
};

/* The version's name. */
const char *
cgroup_version_name(enum cgroup_version v)
{
	return cgroup_layouts[v].name;
}

/* The usable controllers, as a mask. */
static unsigned
cgroup_usable(const struct cgroup_sys *cs)
{
	return (cs->memory ? CG_MEMORY : 0) | (cs->pids ? CG_PIDS : 0) |
	    (cs->cpu ? CG_CPU : 0) | (cs->memory && cs->memsw ? CG_MEMSW : 0);
}

/* Whether hierarchy h is in use and holds a usable controller of mask. */
static bool
cgroup_hier_has(const struct cgroup_sys *cs, size_t h, unsigned mask)
{
	const struct cgroup_layout *ly = &cgroup_layouts[cs->version];

	return ly->hier[h] != NULL &&
	    (ly->hier_ctl[h] == 0 ||
		(ly->hier_ctl[h] & mask & cgroup_usable(cs)) != 0);
}

/* Hierarchy h's top (depth 0), the parent in it (1) or the slot's (2). */
static void
cgroup_dir(const struct cgroup_sys *cs, size_t h, int depth, uid_t slot,
    char buf[CGROUP_DIR_MAX])
{
	const char *name = cgroup_layouts[cs->version].hier[h];

	snprintf(buf, CGROUP_DIR_MAX, "%s%s%s/%s/uid%u", cs->root,
	    name[0] != '\0' ? "/" : "", name, cs->parent, (unsigned)slot);
	/* Cut "/uid<U>", then "/<parent>" (a plain name, see conf.c). */
	while (depth++ < 2)
		*strrchr(buf, '/') = '\0';
}

/* The slot's directories, one per hierarchy in use. */
size_t
cgroup_slot_dirs(const struct cgroup_sys *cs, uid_t slot,
    char dirs[CGROUP_HIER_MAX][CGROUP_DIR_MAX])
{
	size_t h, n = 0;

	for (h = 0; h < CGROUP_HIER_MAX; h++)
		if (cgroup_hier_has(cs, h, ~0u))
			cgroup_dir(cs, h, 2, slot, dirs[n++]);
	return n;
}

/* The slot's directory in the hierarchy that holds controller c, if any. */
static bool
cgroup_ctl_dir(const struct cgroup_sys *cs, uid_t slot, unsigned c,
    char buf[CGROUP_DIR_MAX])
{
	size_t h;

	for (h = 0; h < CGROUP_HIER_MAX; h++)
		if (cgroup_hier_has(cs, h, c)) {
			cgroup_dir(cs, h, 2, slot, buf);
			return true;
		}
	return false;
}

/* Append a step to steps[*n]: mkdir if file is NULL, else a write. */
static void
cgroup_step(struct cgroup_step *steps, size_t *n, const struct cgroup_sys *cs,
    size_t h, int depth, uid_t slot, const char *file, const char *value)
{
	struct cgroup_step *st = &steps[(*n)++];

	cgroup_dir(cs, h, depth, slot, st->dir);
	st->file = file;
	snprintf(st->value, sizeof(st->value), "%s", value);
}

/* The steps that create a slot's cgroup and write its limits. */
size_t
cgroup_plan(const struct cgroup_sys *cs, uid_t slot, const struct limits *l,
    struct cgroup_step *steps)
{
	const struct cgroup_layout *ly = &cgroup_layouts[cs->version];
	uint64_t vals[] = { l->memory_bytes, l->processes + CGROUP_INIT_TASKS,
		0 };
	char val[32], ctl[32];
	size_t h, i, n = 0;
	unsigned c;

	snprintf(ctl, sizeof(ctl), "%s%s%s", cs->memory ? "+memory" : "",
	    cs->memory && cs->pids ? " " : "", cs->pids ? "+pids" : "");
	for (h = 0; h < CGROUP_HIER_MAX; h++) {
		if (!cgroup_hier_has(cs, h, ~0u))
			continue;
		cgroup_step(steps, &n, cs, h, 1, slot, NULL, "");
		if (ly->delegate != NULL && ctl[0] != '\0') {
			cgroup_step(steps, &n, cs, h, 0, slot, ly->delegate,
			    ctl);
			cgroup_step(steps, &n, cs, h, 1, slot, ly->delegate,
			    ctl);
		}
	}
	for (h = 0; h < CGROUP_HIER_MAX; h++) {
		if (!cgroup_hier_has(cs, h, ~0u))
			continue;
		cgroup_step(steps, &n, cs, h, 2, slot, NULL, "");
		for (i = 0; i < 3; i++) {
			c = ly->limit[i].ctl;
			/* v2's hierarchy holds every controller, usable or
			   not. */
			if ((c & cgroup_usable(cs)) == 0 ||
			    !cgroup_hier_has(cs, h, c))
				continue;
			snprintf(val, sizeof(val), "%llu",
			    (unsigned long long)vals[ly->limit[i].value]);
			cgroup_step(steps, &n, cs, h, 2, slot,
			    ly->limit[i].file, val);
		}
	}
	return n;
}

/* Write a short string to dir/file. */
static int
cgroup_write(const char *dir, const char *file, const char *val,
    struct error *e)
{
	char path[PATH_MAX];
	int fd, rc, err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return error_set(e, ERR_SYS, "cannot open '%s': %s", path,
		    strerror(errno));
	if ((rc = util_write_all(fd, val, strlen(val))) == -1) {
		err = errno;
		error_set(e, err == EBUSY ? ERR_BUSY : ERR_SYS,
		    "cannot write '%s' to '%s': %s", val, path, strerror(err));
	}
	close(fd);
	return rc;
}

/* Read name, relative to dirfd, into buf (NUL-terminated); -1 if missing. */
static int
cgroup_read(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Read the number in dir/file, or the "key value" line of a flat-keyed file
   such as cpu.stat. */
static int
cgroup_read_u64(const char *dir, const char *file, const char *key,
    uint64_t *out)
{
	char path[PATH_MAX], buf[4096], *line, *save = NULL;
	size_t klen = key != NULL ? strlen(key) : 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (cgroup_read(AT_FDCWD, path, buf, sizeof(buf)) == -1)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (key != NULL &&
		    (strncmp(line, key, klen) != 0 || line[klen] != ' '))
			continue;
		return util_parse_u64(line + (key != NULL ? klen + 1 : 0), out)
		    ? 0
		    : -1;
	}
	return -1;
}

/* Whether path is a mounted filesystem of the given magic. */
static bool
cgroup_is_fs(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

/*
 * Without root (mode "user") a hierarchy is the agent's to use only where
 * its parent cgroup (root[/hier]/parent) is delegated to the account: a
 * directory it may write (systemd's Delegate=, a SLURM job's cgroup, or a
 * v1 directory the node's owner gave it).  Root may use any.
 */
static bool
cgroup_delegated(const char *root, const char *hier, const char *parent)
{
	char path[PATH_MAX];

	if (geteuid() == 0)
		return true;
	snprintf(path, sizeof(path), "%s%s%s/%s", root, hier[0] ? "/" : "",
	    hier, parent);
	return access(path, W_OK | X_OK) == 0;
}

/* Find out the node's cgroup layout. */
int
cgroup_detect(struct cgroup_sys *cs, const char *root, const char *parent,
    enum conf_cgroup mode, struct error *e)
{
	const struct cgroup_layout *ly = &cgroup_layouts[CGROUP_V1];
	char path[PATH_MAX], buf[1024];
	bool v2, v1 = false;
	size_t h;

	memset(cs, 0, sizeof(*cs));
	snprintf(cs->root, sizeof(cs->root), "%s", root);
	snprintf(cs->parent, sizeof(cs->parent), "%s", parent);
	if (mode == CONF_CGROUP_NONE)
		return 0;
	v2 = cgroup_is_fs(root, CGROUP2_SUPER_MAGIC) &&
	    cgroup_delegated(root, "", parent);
	for (h = 0; !v2 && h < CGROUP_HIER_MAX; h++) {
		snprintf(path, sizeof(path), "%s/%s", root, ly->hier[h]);
		if (!cgroup_is_fs(path, CGROUP_SUPER_MAGIC) ||
		    !cgroup_delegated(root, ly->hier[h], parent))
			continue;
		v1 = true;
		cs->memory |= (ly->hier_ctl[h] & CG_MEMORY) != 0;
		cs->pids |= (ly->hier_ctl[h] & CG_PIDS) != 0;
		cs->cpu |= (ly->hier_ctl[h] & CG_CPU) != 0;
	}
	snprintf(path, sizeof(path), "%s/memory/memory.memsw.limit_in_bytes",
	    root);
	cs->memsw = v1 && cs->memory && access(path, F_OK) == 0;
	if (mode == CONF_CGROUP_V2 && !v2)
		return error_set(e, ERR_SYS,
		    "cgroup v2 is configured but '%s' is not a cgroup2 mount%s",
		    root,
		    geteuid() != 0 ? ", or its cgroup_parent is not delegated "
				     "to this account"
				   : "");
	if (mode == CONF_CGROUP_V1 && !v1)
		return error_set(e, ERR_SYS,
		    "cgroup v1 is configured but no v1 controller is mounted "
		    "under '%s'%s",
		    root,
		    geteuid() != 0
			? " with its cgroup_parent delegated to this "
			  "account"
			: "");
	cs->version = v2 ? CGROUP_V2 : v1 ? CGROUP_V1 : CGROUP_NONE;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (v2 && cgroup_read(AT_FDCWD, path, buf, sizeof(buf)) == 0) {
		cs->memory = strstr(buf, "memory") != NULL;
		cs->pids = strstr(buf, "pids") != NULL;
		cs->cpu = true; /* cpu.stat: see cgroup_layouts */
	}
	return 0;
}

/* Whether fd is a directory of a cgroup filesystem. */
static bool
cgroup_fd_ok(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 &&
	    ((long)sf.f_type == CGROUP_SUPER_MAGIC ||
		(long)sf.f_type == CGROUP2_SUPER_MAGIC);
}

/* Read the pids listed in dirfd's cgroup.procs; returns how many. */
static size_t
cgroup_procs_at(int dirfd, pid_t *pids, size_t max)
{
	char buf[CGROUP_FILE_MAX], *line, *save = NULL;
	uint64_t pid;
	size_t n = 0;

	if (cgroup_read(dirfd, "cgroup.procs", buf, sizeof(buf)) == -1)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line != NULL && n < max;
	     line = strtok_r(NULL, "\n", &save))
		if (util_parse_u64(line, &pid) && pid > 1 && pid < INT32_MAX)
			pids[n++] = (pid_t)pid;
	return n;
}

/*
 * Kill every process listed in the cgroup open as dirfd.  Each pid is first
 * pinned with a pidfd, and signalled only if the cgroup still lists it
 * afterwards: a pid that ended and was given to another process between the
 * read and the kill is never hit.
 */
static void
cgroup_kill_listed(int dirfd)
{
	pid_t pids[CGROUP_KILL_BATCH], now[CGROUP_KILL_BATCH];
	int pidfds[CGROUP_KILL_BATCH];
	size_t n, m, i, k;

	n = cgroup_procs_at(dirfd, pids, CGROUP_KILL_BATCH);
	for (i = 0; i < n; i++)
		pidfds[i] = (int)syscall(SYS_pidfd_open, pids[i], 0);
	m = cgroup_procs_at(dirfd, now, CGROUP_KILL_BATCH);
	for (i = 0; i < n; i++) {
		if (pidfds[i] == -1)
			continue;
		for (k = 0; k < m && now[k] != pids[i]; k++)
			;
		if (k < m) {
			/* A stopped task is woken so that the kill lands. */
			syscall(SYS_pidfd_send_signal, pidfds[i], SIGKILL, NULL,
			    0);
			syscall(SYS_pidfd_send_signal, pidfds[i], SIGCONT, NULL,
			    0);
		}
		close(pidfds[i]);
	}
}

/*
 * Empty one slot directory and remove it, retrying while tasks die.  The
 * directory is opened once, checked to be a cgroup, and everything after
 * that goes through the descriptors: its name is never looked up again
 * between the check and the kill.
 */
static int
cgroup_remove_dir(const struct cgroup_sys *cs, const char *dir, struct error *e)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	char parent[PATH_MAX], *name;
	int tries, pfd = -1, fd = -1, kfd, rc = -1, err = 0;

	snprintf(parent, sizeof(parent), "%s", dir);
	if ((name = strrchr(parent, '/')) == NULL)
		return error_set(e, ERR_SYS, "bad cgroup path '%s'", dir);
	*name++ = '\0';
	/* Either missing: there is nothing to remove. */
	if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (fd = openat(pfd, name,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			rc = 0;
		else
			error_set(e, ERR_SYS, "cannot open cgroup '%s': %s",
			    pfd == -1 ? parent : dir, strerror(errno));
		goto out;
	}
	if (!cgroup_fd_ok(pfd) || !cgroup_fd_ok(fd)) {
		error_set(e, ERR_SYS, "'%s' is not a cgroup directory", dir);
		goto out;
	}
	/* cgroup.kill (v2, Linux 5.14) kills the whole tree at once. */
	if (cs->version == CGROUP_V2 &&
	    (kfd = openat(fd, "cgroup.kill",
		 O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) != -1) {
		(void)util_write_all(kfd, "1", 1);
		close(kfd);
	}
	/* The kernel removes a cgroup only once no task is left in it
	   (EBUSY until then): one that is empty already, as at a job's end
	   once init has reaped its namespace, goes at once; a crashed job's
	   tasks are killed first, and given a moment to go. */
	for (tries = 0; tries < 2500; tries++) {
		if (unlinkat(pfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
			rc = 0;
			goto out;
		}
		if ((err = errno) != EBUSY)
			break;
		cgroup_kill_listed(fd);
		if (tries > 0)
			nanosleep(&pause, NULL);
	}
	error_set(e, ERR_SYS, "cannot remove cgroup '%s': %s", dir,
	    strerror(err));
out:
	if (fd != -1)
		close(fd);
	if (pfd != -1)
		close(pfd);
	return rc;
}

/* Make a fresh cgroup for a slot: remove the stale one, apply the plan. */
int
cgroup_prepare(const struct cgroup_sys *cs, uid_t slot, const struct limits *l,
    struct error *e)
{
	struct cgroup_step steps[CGROUP_PLAN_MAX];
	size_t i, n;

	if (cgroup_destroy(cs, slot, e) == -1)
		return -1;
	n = cgroup_plan(cs, slot, l, steps);
	for (i = 0; i < n; i++) {
		if (steps[i].file != NULL) {
			if (cgroup_write(steps[i].dir, steps[i].file,
				steps[i].value, e) == -1)
				return -1;
		} else if (mkdir(steps[i].dir, 0755) == -1 && errno != EEXIST)
			return error_set(e, ERR_SYS,
			    "cannot create cgroup '%s': %s", steps[i].dir,
			    strerror(errno));
	}
	return 0;
}

/* See cgroup.h. */
int
cgroup_restage(const struct cgroup_sys *cs, uid_t slot,
    const struct limits *was, const struct limits *l, int *peakfd,
    struct error *e)
{
	const struct cgroup_layout *ly = &cgroup_layouts[cs->version];
	struct cgroup_step steps[CGROUP_PLAN_MAX];
	char dir[CGROUP_DIR_MAX], path[PATH_MAX];
	bool raise = l->memory_bytes > was->memory_bytes;
	size_t i, n;
	int pass, fd;

	*peakfd = -1;
	if (cs->version == CGROUP_NONE)
		return 0;
	n = cgroup_plan(cs, slot, l, steps);
	/* v1's memsw may never be below the memory limit: when the limit
	   rises, memsw goes first, else second (as planned).  A pass
	   writes the limit files only: the directories are there. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			bool memsw = steps[i].file != NULL &&
			    strcmp(steps[i].file,
				"memory.memsw.limit_in_bytes") == 0;

			if (steps[i].file == NULL ||
			    (ly->delegate != NULL &&
				strcmp(steps[i].file, ly->delegate) == 0) ||
			    (pass == 0 && !(raise && memsw)))
				continue;
			if (cgroup_write(steps[i].dir, steps[i].file,
				steps[i].value, e) == -1)
				return -1;
		}
	if (!cs->memory || !cgroup_ctl_dir(cs, slot, CG_MEMORY, dir))
		return 0;
	/* The peak starts again: v1 resets it for everyone, v2 (Linux
	   6.12) for reads through the descriptor that wrote. */
	if (cs->version == CGROUP_V1)
		return cgroup_write(dir, ly->peak, "0", e);
	snprintf(path, sizeof(path), "%s/%s", dir, ly->peak);
	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	if (util_write_all(fd, "reset\n", 6) == -1)
		close(fd);
	else
		*peakfd = fd;
	return 0;
}

/* See cgroup.h. */
int
cgroup_peak_read(int fd, uint64_t *out)
{
	char buf[32];
	ssize_t n;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return -1;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return util_parse_u64(buf, out) ? 0 : -1;
}

/* Write val to file in each of the slot's directories. */
static int
cgroup_write_slot(const struct cgroup_sys *cs, uid_t slot, const char *file,
    const char *val, struct error *e)
{
	char dirs[CGROUP_HIER_MAX][CGROUP_DIR_MAX];
	size_t i, n = cgroup_slot_dirs(cs, slot, dirs);

	for (i = 0; i < n; i++)
		if (cgroup_write(dirs[i], file, val, e) == -1)
			return -1;
	return 0;
}

/* Move a process into the slot's cgroup everywhere. */
int
cgroup_attach(const struct cgroup_sys *cs, uid_t slot, pid_t pid,
    struct error *e)
{
	char val[32];

	snprintf(val, sizeof(val), "%d", (int)pid);
	return cgroup_write_slot(cs, slot, "cgroup.procs", val, e);
}

/* Move the calling process into the slot's cgroups. */
int
cgroup_enter_self(const struct cgroup_sys *cs, uid_t slot, struct error *e)
{
	return cgroup_write_slot(cs, slot, cgroup_layouts[cs->version].enter,
	    "0", e);
}

/* Open the slot's v2 cgroup directory. */
int
cgroup_open_dir(const struct cgroup_sys *cs, uid_t slot, struct error *e)
{
	char dir[CGROUP_DIR_MAX];
	int fd;

	if (cs->version != CGROUP_V2)
		return error_set(e, ERR_INTERNAL, "not a cgroup v2 node");
	cgroup_dir(cs, 0, 2, slot, dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return error_set(e, ERR_SYS, "cannot open '%s': %s", dir,
		    strerror(errno));
	return fd;
}

/* CPU time used so far by the slot's cgroup. */
int
cgroup_cpu_ns(const struct cgroup_sys *cs, uid_t slot, uint64_t *ns)
{
	const struct cgroup_layout *ly = &cgroup_layouts[cs->version];
	char dir[CGROUP_DIR_MAX];
	uint64_t v;

	if (!cgroup_ctl_dir(cs, slot, CG_CPU, dir) ||
	    cgroup_read_u64(dir, ly->cpu, ly->cpu_key, &v) == -1)
		return -1;
	*ns = v * ly->cpu_ns_per_unit;
	return 0;
}

/* CPU, peak memory and OOM kills of a slot's cgroup. */
int
cgroup_stats(const struct cgroup_sys *cs, uid_t slot, struct cgroup_stats *st,
    struct error *e)
{
	const struct cgroup_layout *ly = &cgroup_layouts[cs->version];
	char dir[CGROUP_DIR_MAX];

	memset(st, 0, sizeof(*st));
	if (cs->version == CGROUP_NONE)
		return 0;
	if (cs->cpu && cgroup_cpu_ns(cs, slot, &st->cpu_ns) == -1)
		return error_set(e, ERR_SYS, "cannot read the job's CPU time");
	if (!cs->memory || !cgroup_ctl_dir(cs, slot, CG_MEMORY, dir))
		return 0;
	(void)cgroup_read_u64(dir, ly->peak, NULL, &st->memory_peak_bytes);
	if (cgroup_read_u64(dir, ly->oom, "oom_kill", &st->oom_kills) == -1)
		return error_set(e, ERR_SYS, "cannot read '%s/%s'", dir,
		    ly->oom);
	return 0;
}

/* Kill everything in a slot's cgroup and remove it. */
int
cgroup_destroy(const struct cgroup_sys *cs, uid_t slot, struct error *e)
{
	char dirs[CGROUP_HIER_MAX][CGROUP_DIR_MAX];
	size_t i, n = cgroup_slot_dirs(cs, slot, dirs);

	for (i = 0; i < n; i++)
		if (cgroup_remove_dir(cs, dirs[i], e) == -1)
			return -1;
	return 0;
}
