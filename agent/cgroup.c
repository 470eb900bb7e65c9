/*
 * Per-slot cgroups: see cgroup.h.  All knowledge of the two cgroup layouts
 * lives here; the rest of the agent asks for limits, attachment, numbers and
 * removal, and never sees a cgroup path.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The v1 hierarchies we use, by controller name. */
enum {
	V1_MEMORY,
	V1_PIDS,
	V1_CPUACCT,
	V1_N
};
static const char *v1_names[V1_N] = { "memory", "pids", "cpuacct" };

/* The version's name. */
const char *
cgroup_version_name(enum cgroup_version v)
{
	switch (v) {
	case CGROUP_V1:
		return "v1";
	case CGROUP_V2:
		return "v2";
	default:
		return "none";
	}
}

/* Whether a v1 controller is usable in this layout. */
static bool
cgroup_v1_has(const struct cgroup_sys *cs, int c)
{
	switch (c) {
	case V1_MEMORY:
		return cs->memory;
	case V1_PIDS:
		return cs->pids;
	default:
		return cs->cpu;
	}
}

/* The slot's directory: in hierarchy c for v1, the only one for v2. */
static void
cgroup_slot_dir(const struct cgroup_sys *cs, int c, uid_t slot, char *buf,
    size_t len)
{
	if (cs->version == CGROUP_V1)
		snprintf(buf, len, "%s/%s/%s/uid%u", cs->root, v1_names[c],
		    cs->parent, (unsigned)slot);
	else
		snprintf(buf, len, "%s/%s/uid%u", cs->root, cs->parent,
		    (unsigned)slot);
}

/* Write a short string to dir/file. */
static int
cgroup_write(const struct cgroup_sys *cs, const char *dir, const char *file,
    const char *val, struct error *e)
{
	char path[PATH_MAX];
	int fd, flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (cs->fake_fs)
		flags |= O_CREAT | O_TRUNC;
	if ((fd = open(path, flags, 0644)) == -1)
		return error_set(e, ERR_SYS, "cannot open '%s': %s", path,
		    strerror(errno));
	if (util_write_all(fd, val, strlen(val)) == -1) {
		error_set(e, ERR_SYS, "cannot write '%s' to '%s': %s", val,
		    path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Read dir/file into buf (NUL-terminated); -1 if it is missing. */
static int
cgroup_read(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Read a file that holds one number. */
static int
cgroup_read_u64(const char *dir, const char *file, uint64_t *out)
{
	char buf[64];

	if (cgroup_read(dir, file, buf, sizeof(buf)) == -1)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return util_parse_u64(buf, out) ? 0 : -1;
}

/* Find "key value" in a flat-keyed file such as cpu.stat. */
static int
cgroup_read_key(const char *dir, const char *file, const char *key,
    uint64_t *out)
{
	char buf[4096], *line, *save = NULL;
	size_t klen = strlen(key);

	if (cgroup_read(dir, file, buf, sizeof(buf)) == -1)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return util_parse_u64(line + klen + 1, out) ? 0 : -1;
	return -1;
}

/* Whether path is a mounted filesystem of the given magic. */
static bool
cgroup_is_fs(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

/* Which controllers the v2 root offers. */
static void
cgroup_v2_controllers(struct cgroup_sys *cs)
{
	char buf[1024];

	if (cgroup_read(cs->root, "cgroup.controllers", buf, sizeof(buf)) == -1)
		return;
	cs->memory = strstr(buf, "memory") != NULL;
	cs->pids = strstr(buf, "pids") != NULL;
	cs->cpu = true; /* cpu.stat usage_usec exists without the cpu
			   controller being enabled */
}

/* Find out the node's cgroup layout. */
int
cgroup_detect(struct cgroup_sys *cs, const char *root, const char *parent,
    enum conf_cgroup mode, struct error *e)
{
	char path[PATH_MAX];
	bool v2, v1 = false;
	int c;

	memset(cs, 0, sizeof(*cs));
	snprintf(cs->root, sizeof(cs->root), "%s", root);
	snprintf(cs->parent, sizeof(cs->parent), "%s", parent);
	if (mode == CONF_CGROUP_NONE)
		return 0;
	v2 = cgroup_is_fs(root, CGROUP2_SUPER_MAGIC);
	if (!v2) {
		for (c = 0; c < V1_N; c++) {
			snprintf(path, sizeof(path), "%s/%s", root,
			    v1_names[c]);
			if (!cgroup_is_fs(path, CGROUP_SUPER_MAGIC))
				continue;
			v1 = true;
			if (c == V1_MEMORY)
				cs->memory = true;
			else if (c == V1_PIDS)
				cs->pids = true;
			else
				cs->cpu = true;
		}
		snprintf(path, sizeof(path),
		    "%s/memory/memory.memsw.limit_in_bytes", root);
		cs->memsw = cs->memory && access(path, F_OK) == 0;
	}
	if (mode == CONF_CGROUP_V2 && !v2)
		return error_set(e, ERR_SYS,
		    "cgroup v2 is configured but '%s' is not a cgroup2 mount",
		    root);
	if (mode == CONF_CGROUP_V1 && !v1)
		return error_set(e, ERR_SYS,
		    "cgroup v1 is configured but no v1 controller is mounted "
		    "under '%s'",
		    root);
	if (v2) {
		cs->version = CGROUP_V2;
		cgroup_v2_controllers(cs);
	} else if (v1)
		cs->version = CGROUP_V1;
	return 0;
}

/* mkdir that tolerates an existing directory. */
static int
cgroup_mkdir(const char *path, struct error *e)
{
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		return error_set(e, ERR_SYS, "cannot create cgroup '%s': %s",
		    path, strerror(errno));
	return 0;
}

/* Remove a fake directory's plain files (unit tests only). */
static void
cgroup_fake_clear(const char *dir)
{
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

/* Whether fd is a directory of a cgroup filesystem (unit tests: any). */
static bool
cgroup_fd_ok(const struct cgroup_sys *cs, int fd)
{
	struct statfs sf;

	if (cs->fake_fs)
		return true;
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
	ssize_t got;
	int fd;

	fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return 0;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got < 0)
		return 0;
	buf[got] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL && n < max;
	     line = strtok_r(NULL, "\n", &save))
		if (util_parse_u64(line, &pid) && pid > 1 && pid < INT32_MAX)
			pids[n++] = (pid_t)pid;
	return n;
}

/*
 * Kill every process listed in the cgroup open as dirfd; returns how many.
 * Each pid is first pinned with a pidfd, and signalled only if the cgroup
 * still lists it afterwards: a pid that ended and was given to another
 * process between the read and the kill is never hit.
 */
static int
cgroup_kill_listed(int dirfd)
{
	pid_t pids[CGROUP_KILL_BATCH], now[CGROUP_KILL_BATCH];
	int pidfds[CGROUP_KILL_BATCH];
	size_t n, m, i, k;
	int hit = 0;

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
			hit++;
		}
		close(pidfds[i]);
	}
	return hit;
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
	int tries, pfd = -1, fd = -1, kfd, rc = -1;

	if (cs->fake_fs) {
		if (access(dir, F_OK) == -1)
			return 0;
		cgroup_fake_clear(dir);
		if (rmdir(dir) == -1)
			return error_set(e, ERR_SYS, "cannot remove '%s': %s",
			    dir, strerror(errno));
		return 0;
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	if ((name = strrchr(parent, '/')) == NULL)
		return error_set(e, ERR_SYS, "bad cgroup path '%s'", dir);
	*name++ = '\0';
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd == -1) {
		if (errno == ENOENT)
			return 0;
		return error_set(e, ERR_SYS, "cannot open cgroup '%s': %s",
		    parent, strerror(errno));
	}
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			rc = 0;
		else
			error_set(e, ERR_SYS, "cannot open cgroup '%s': %s",
			    dir, strerror(errno));
		goto out;
	}
	if (!cgroup_fd_ok(cs, pfd) || !cgroup_fd_ok(cs, fd)) {
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
	for (tries = 0; tries < 2500; tries++) {
		cgroup_kill_listed(fd);
		if (unlinkat(pfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
			rc = 0;
			goto out;
		}
		if (errno != EBUSY)
			break;
		nanosleep(&pause, NULL);
	}
	error_set(e, ERR_SYS, "cannot remove cgroup '%s': %s", dir,
	    strerror(errno));
out:
	if (fd != -1)
		close(fd);
	close(pfd);
	return rc;
}

/* Create the parent cgroups and, on v2, delegate the controllers. */
static int
cgroup_parents(const struct cgroup_sys *cs, struct error *e)
{
	char path[PATH_MAX], ctl[64] = "";
	int c;

	if (cs->version == CGROUP_V1) {
		for (c = 0; c < V1_N; c++) {
			if (!cgroup_v1_has(cs, c))
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", cs->root,
			    v1_names[c], cs->parent);
			if (cgroup_mkdir(path, e) == -1)
				return -1;
		}
		return 0;
	}
	if (cs->memory)
		strcat(ctl, "+memory ");
	if (cs->pids)
		strcat(ctl, "+pids ");
	snprintf(path, sizeof(path), "%s/%s", cs->root, cs->parent);
	if (cgroup_mkdir(path, e) == -1)
		return -1;
	if (ctl[0] == '\0')
		return 0;
	ctl[strlen(ctl) - 1] = '\0';
	/* Controllers reach a child only if every ancestor passes them on. */
	if (cgroup_write(cs, cs->root, "cgroup.subtree_control", ctl, e) ==
		-1 ||
	    cgroup_write(cs, path, "cgroup.subtree_control", ctl, e) == -1)
		return -1;
	return 0;
}

/* Make a fresh cgroup for a slot and write its limits. */
int
cgroup_prepare(const struct cgroup_sys *cs, uid_t slot, const struct limits *l,
    struct error *e)
{
	char dir[PATH_MAX], val[32];
	int c;

	if (cs->version == CGROUP_NONE)
		return 0;
	if (cgroup_destroy(cs, slot, e) == -1 || cgroup_parents(cs, e) == -1)
		return -1;
	if (cs->version == CGROUP_V2) {
		cgroup_slot_dir(cs, 0, slot, dir, sizeof(dir));
		if (cgroup_mkdir(dir, e) == -1)
			return -1;
		snprintf(val, sizeof(val), "%llu",
		    (unsigned long long)l->memory_bytes);
		if (cs->memory &&
		    (cgroup_write(cs, dir, "memory.max", val, e) == -1 ||
			cgroup_write(cs, dir, "memory.swap.max", "0", e) == -1))
			return -1;
		snprintf(val, sizeof(val), "%llu",
		    (unsigned long long)l->processes + CGROUP_INIT_TASKS);
		if (cs->pids && cgroup_write(cs, dir, "pids.max", val, e) == -1)
			return -1;
		return 0;
	}
	for (c = 0; c < V1_N; c++) {
		if (!cgroup_v1_has(cs, c))
			continue;
		cgroup_slot_dir(cs, c, slot, dir, sizeof(dir));
		if (cgroup_mkdir(dir, e) == -1)
			return -1;
		if (c == V1_MEMORY) {
			snprintf(val, sizeof(val), "%llu",
			    (unsigned long long)l->memory_bytes);
			/* memsw must not be below the memory limit, so it is
			   written second; with it, swap cannot extend the
			   limit. */
			if (cgroup_write(cs, dir, "memory.limit_in_bytes", val,
				e) == -1 ||
			    (cs->memsw &&
				cgroup_write(cs, dir,
				    "memory.memsw.limit_in_bytes", val,
				    e) == -1))
				return -1;
		} else if (c == V1_PIDS) {
			snprintf(val, sizeof(val), "%llu",
			    (unsigned long long)l->processes +
				CGROUP_INIT_TASKS);
			if (cgroup_write(cs, dir, "pids.max", val, e) == -1)
				return -1;
		}
	}
	return 0;
}

/* Write val to a file in each of the slot's directories: v1_file in every
   v1 hierarchy, v2_file in the v2 one. */
static int
cgroup_write_slot(const struct cgroup_sys *cs, uid_t slot, const char *v1_file,
    const char *v2_file, const char *val, struct error *e)
{
	char dir[PATH_MAX];
	int c;

	if (cs->version == CGROUP_V2) {
		cgroup_slot_dir(cs, 0, slot, dir, sizeof(dir));
		return cgroup_write(cs, dir, v2_file, val, e);
	}
	for (c = 0; cs->version == CGROUP_V1 && c < V1_N; c++) {
		if (!cgroup_v1_has(cs, c))
			continue;
		cgroup_slot_dir(cs, c, slot, dir, sizeof(dir));
		if (cgroup_write(cs, dir, v1_file, val, e) == -1)
			return -1;
	}
	return 0;
}

/* Move a process into the slot's cgroup everywhere. */
int
cgroup_attach(const struct cgroup_sys *cs, uid_t slot, pid_t pid,
    struct error *e)
{
	char val[32];

	snprintf(val, sizeof(val), "%d", (int)pid);
	return cgroup_write_slot(cs, slot, "cgroup.procs", "cgroup.procs", val,
	    e);
}

/* Move the calling process into the slot's cgroups. */
int
cgroup_enter_self(const struct cgroup_sys *cs, uid_t slot, struct error *e)
{
	return cgroup_write_slot(cs, slot, "tasks", "cgroup.procs", "0", e);
}

/* Open the slot's v2 cgroup directory. */
int
cgroup_open_dir(const struct cgroup_sys *cs, uid_t slot, struct error *e)
{
	char dir[PATH_MAX];
	int fd;

	if (cs->version != CGROUP_V2)
		return error_set(e, ERR_INTERNAL, "not a cgroup v2 node");
	cgroup_slot_dir(cs, 0, slot, dir, sizeof(dir));
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
	char dir[PATH_MAX];
	uint64_t usec;

	if (cs->version == CGROUP_V2) {
		cgroup_slot_dir(cs, 0, slot, dir, sizeof(dir));
		if (cgroup_read_key(dir, "cpu.stat", "usage_usec", &usec) == -1)
			return -1;
		*ns = usec * 1000;
		return 0;
	}
	if (cs->version != CGROUP_V1 || !cs->cpu)
		return -1;
	cgroup_slot_dir(cs, V1_CPUACCT, slot, dir, sizeof(dir));
	return cgroup_read_u64(dir, "cpuacct.usage", ns);
}

/* CPU, peak memory and OOM kills of a slot's cgroup. */
int
cgroup_stats(const struct cgroup_sys *cs, uid_t slot, struct cgroup_stats *st,
    struct error *e)
{
	char dir[PATH_MAX];

	memset(st, 0, sizeof(*st));
	if (cs->version == CGROUP_NONE)
		return 0;
	if (cs->cpu && cgroup_cpu_ns(cs, slot, &st->cpu_ns) == -1)
		return error_set(e, ERR_SYS, "cannot read the job's CPU time");
	if (!cs->memory)
		return 0;
	if (cs->version == CGROUP_V2) {
		cgroup_slot_dir(cs, 0, slot, dir, sizeof(dir));
		/* memory.peak needs Linux 5.19; without it peak stays 0. */
		(void)cgroup_read_u64(dir, "memory.peak",
		    &st->memory_peak_bytes);
		if (cgroup_read_key(dir, "memory.events", "oom_kill",
			&st->oom_kills) == -1)
			return error_set(e, ERR_SYS,
			    "cannot read '%s/memory.events'", dir);
		return 0;
	}
	cgroup_slot_dir(cs, V1_MEMORY, slot, dir, sizeof(dir));
	(void)cgroup_read_u64(dir, "memory.max_usage_in_bytes",
	    &st->memory_peak_bytes);
	/* oom_kill in memory.oom_control needs Linux 4.13. */
	if (cgroup_read_key(dir, "memory.oom_control", "oom_kill",
		&st->oom_kills) == -1)
		return error_set(e, ERR_SYS,
		    "cannot read '%s/memory.oom_control'", dir);
	return 0;
}

/* Kill everything in a slot's cgroup and remove it. */
int
cgroup_destroy(const struct cgroup_sys *cs, uid_t slot, struct error *e)
{
	char dir[PATH_MAX];
	int c;

	if (cs->version == CGROUP_V2) {
		cgroup_slot_dir(cs, 0, slot, dir, sizeof(dir));
		return cgroup_remove_dir(cs, dir, e);
	}
	for (c = 0; cs->version == CGROUP_V1 && c < V1_N; c++) {
		if (!cgroup_v1_has(cs, c))
			continue;
		cgroup_slot_dir(cs, c, slot, dir, sizeof(dir));
		if (cgroup_remove_dir(cs, dir, e) == -1)
			return -1;
	}
	return 0;
}

/* Whether any of the slot's cgroup directories exists. */
bool
cgroup_exists(const struct cgroup_sys *cs, uid_t slot)
{
	char dir[PATH_MAX];
	int c;

	if (cs->version == CGROUP_V2) {
		cgroup_slot_dir(cs, 0, slot, dir, sizeof(dir));
		return access(dir, F_OK) == 0;
	}
	for (c = 0; cs->version == CGROUP_V1 && c < V1_N; c++) {
		cgroup_slot_dir(cs, c, slot, dir, sizeof(dir));
		if (cgroup_v1_has(cs, c) && access(dir, F_OK) == 0)
			return true;
	}
	return false;
}
