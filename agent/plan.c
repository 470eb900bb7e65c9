/*
 * The sandbox plan: see plan.h.  This file decides what a job's world looks
 * like; sandbox.c only carries it out.  No system calls here.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "plan.h"
#include "util.h"

#define PLAN_STACK_BYTES (8 * 1024 * 1024)

/* Append a mount step, with its source, flags and data (each NULL or 0 if
   it has none); the fixed array is sized for the worst case. */
static struct plan_mount *
plan_mount_add(struct plan *p, enum plan_mount_kind kind, const char *source,
    const char *target, unsigned long flags, const char *data, const char *why)
{
	struct plan_mount *pm;

	/* Never a prefix of a path: that would be another directory. */
	if (p->nmounts >= PLAN_MOUNTS_MAX || strlen(target) >= PLAN_PATH_MAX ||
	    (source != NULL && strlen(source) >= PLAN_PATH_MAX))
		return NULL;
	pm = &p->mounts[p->nmounts++];
	memset(pm, 0, sizeof(*pm));
	pm->kind = kind;
	if (source != NULL)
		snprintf(pm->source, sizeof(pm->source), "%s", source);
	snprintf(pm->target, sizeof(pm->target), "%s", target);
	pm->flags = flags;
	if (data != NULL)
		snprintf(pm->data, sizeof(pm->data), "%s", data);
	pm->why = why;
	return pm;
}

/*
 * /proc paths that describe the host rather than the job, hidden as runc
 * hides them (its masked and read-only lists) and more.  A path this kernel
 * lacks is skipped at mount time: it cannot leak.
 */
static const struct {
	const char *path;
	const char *why;
} plan_proc_masks[] = {
	{ "/proc/kcore", "the host's physical memory as an ELF core" },
	{ "/proc/kallsyms", "kernel symbol addresses defeat KASLR" },
	{ "/proc/config.gz", "the host kernel's exact build configuration" },
	{ "/proc/modules", "which kernel modules the host has loaded" },
	{ "/proc/keys", "key descriptions of the host's keyrings" },
	{ "/proc/key-users", "keyring use per host uid" },
	{ "/proc/timer_list", "every pending timer on the host, with pids" },
	{ "/proc/timer_stats", "timer use of host processes" },
	{ "/proc/sched_debug", "the host scheduler's view of every task" },
	{ "/proc/latency_stats", "latency of host tasks" },
	{ "/proc/iomem", "the host's physical memory map" },
	{ "/proc/ioports", "the host's I/O port map" },
	{ "/proc/vmallocinfo", "kernel virtual memory map" },
	{ "/proc/slabinfo", "kernel allocator state, a heap-exploit aid" },
	{ "/proc/pagetypeinfo", "host memory fragmentation" },
	{ "/proc/buddyinfo", "host memory fragmentation" },
	{ "/proc/zoneinfo", "host memory zones" },
	{ "/proc/kpagecount", "per-page use of host memory" },
	{ "/proc/kpageflags", "per-page flags of host memory" },
	{ "/proc/kpagecgroup", "per-page cgroups of host memory" },
	{ "/proc/locks", "file locks of every process on the host, by inode" },
	{ "/proc/cmdline", "the host kernel's command line" },
	{ "/proc/partitions", "the host's block devices" },
	{ "/proc/diskstats", "I/O of the host's block devices" },
	{ "/proc/swaps", "the host's swap devices" },
	{ "/proc/interrupts", "interrupt counts: a side channel on the host" },
	{ "/proc/softirqs", "softirq counts: a side channel on the host" },
	{ "/proc/mtrr", "memory type ranges of the host" },
	{ "/proc/consoles", "the host's consoles" },
	{ "/proc/devices", "the host's device drivers" },
	{ "/proc/misc", "the host's misc devices" },
	{ "/proc/acpi", "the host's firmware interface" },
	{ "/proc/asound", "the host's sound cards" },
	{ "/proc/scsi", "the host's storage devices" },
	{ "/proc/driver", "driver state of the host" },
	{ "/proc/fs", "filesystem state by host device (ext4, nfsd, ...)" },
	{ "/proc/tty", "the host's terminal drivers" },
};

/* FNV-1a of n bytes at v, continuing from h: see plan.h. */
uint64_t
plan_fnv(uint64_t h, const void *v, size_t n)
{
	const unsigned char *b = v;

	while (n-- > 0)
		h = (h ^ *b++) * 1099511628211ULL;
	return h;
}

/* Add a directory step. */
static int
plan_dir(struct plan *p, const char *target, mode_t mode, bool slot_owned,
    const char *why)
{
	struct plan_mount *pm = plan_mount_add(p, PLAN_DIR, NULL, target, 0,
	    NULL, why);

	if (pm == NULL)
		return -1;
	pm->mode = mode;
	pm->slot_owned = slot_owned;
	return 0;
}

/* Add a bind step. */
static int
plan_bind(struct plan *p, const char *source, const char *target,
    unsigned long flags, bool in_root, bool optional, const char *why)
{
	struct plan_mount *pm = plan_mount_add(p, PLAN_BIND, source, target,
	    flags, NULL, why);

	if (pm == NULL)
		return -1;
	pm->in_root = in_root;
	pm->host_optional = optional;
	return 0;
}

/*
 * The template's steps: what is the same for every job of this runtime
 * under this policy, on any slot.  A session builds it once and keeps it
 * (warm.c); without one, init builds it first, the same way.
 */
static int
plan_template_mounts(struct plan *p, const struct runtime *rt)
{
	const unsigned long rw = MS_NOSUID | MS_NODEV;
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV;
	static const char *const devices[] = { "/dev/null", "/dev/zero",
		"/dev/full", "/dev/random", "/dev/urandom" };
	static const char *const links[][2] = { { "/dev/fd", "/proc/self/fd" },
		{ "/dev/stdin", "/proc/self/fd/0" },
		{ "/dev/stdout", "/proc/self/fd/1" },
		{ "/dev/stderr", "/proc/self/fd/2" } };
	size_t i;

	if (plan_mount_add(p, PLAN_TMPFS, NULL, "/", rw,
		"size=1m,nr_inodes=4096,mode=0755",
		"the root: a small tmpfs holding only mount points, the "
		"devices and the runtime's binds, read-only once built") ==
	    NULL)
		return -1;

	if (plan_dir(p, "/job", 0755, false,
		"mount point of the working directory") ||
	    plan_dir(p, "/out", 0755, false,
		"mount point of the outputs' directory") ||
	    plan_dir(p, "/tmp", 01777, false, "mount point of scratch space") ||
	    plan_dir(p, "/dev", 0755, false, "holds the minimal device set") ||
	    plan_dir(p, "/dev/shm", 01777, false,
		"mount point of POSIX shared memory") ||
	    plan_dir(p, "/proc", 0555, false, "mount point for procfs"))
		return -1;

	/* Read-only mounts, all five: a device node is read and written
	   through one as ever (the kernel checks a mount's read-only flag
	   for regular files, not devices), but its times and mode, the
	   host's own node's, cannot be changed: two jobs could signal each
	   other through /dev/null's mtime. */
	for (i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (plan_mount_add(p, PLAN_DEVICE, devices[i], devices[i],
			MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL,
			"programs expect the standard character devices; each "
			"is bound alone so no other host device is "
			"reachable") == NULL)
			return -1;
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (plan_mount_add(p, PLAN_SYMLINK, links[i][1], links[i][0], 0,
			NULL,
			"the usual aliases of the job's own descriptors") ==
		    NULL)
			return -1;

	/* The runtime's own files, read-only; no setuid, no devices.  A
	   path that is a symbolic link on the node is recreated as that
	   link (sandbox.c), so merged-/usr layouts keep working. */
	for (i = 0; i < rt->nbinds; i++)
		if (plan_bind(p, rt->binds[i], rt->binds[i], ro, false, true,
			"the runtime's files, read-only"))
			return -1;

	if (plan_mount_add(p, PLAN_REMOUNT, NULL, "/", ro, NULL,
		"the skeleton (mount points, /dev) cannot be changed by the "
		"job") == NULL)
		return -1;
	p->ntemplate = p->nmounts;
	return 0;
}

/*
 * The job's own steps, on the template's copy in the job's mount namespace
 * (the root is "/" by now): its writable space, the submission, its /proc.
 */
static int
plan_job_mounts(struct plan *p)
{
	const unsigned long rw = MS_NOSUID | MS_NODEV;
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV;
	static const struct {
		const char *dir, *target;
		mode_t mode;
	} space[] = { { "/proc/sys/job", "/job", 0755 },
		{ "/proc/sys/out", "/out", 0755 },
		{ "/proc/sys/tmp", "/tmp", 01777 },
		{ "/proc/sys/shm", "/dev/shm", 01777 } };
	char data[sizeof(p->mounts[0].data)];
	uint64_t inodes;
	size_t i;

	/* First, since every later step mounts through /proc/self/fd. */
	if (plan_mount_add(p, PLAN_PROC, NULL, "/proc",
		MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2",
		"a procfs of the job's own PID namespace: no host process is "
		"visible, and hidepid hides other users' processes") == NULL)
		return -1;

	/* Enough inodes for many small files, bounded so a job cannot
	   exhaust kernel memory with empty files. */
	inodes = p->limits.disk_bytes / 1024;
	if (inodes < 8192)
		inodes = 8192;
	if (inodes > 1048576)
		inodes = 1048576;
	snprintf(data, sizeof(data), "size=%llu,nr_inodes=%llu,mode=0755",
	    (unsigned long long)p->limits.disk_bytes,
	    (unsigned long long)inodes);
	if (plan_mount_add(p, PLAN_TMPFS, NULL, "/proc/sys", rw, data,
		"the job's writable space: one fresh tmpfs that dies with the "
		"job, so one size caps /job, /out, /tmp and /dev/shm together; "
		"on /proc/sys (there on every kernel) only until they are "
		"bound") == NULL)
		return -1;
	for (i = 0; i < sizeof(space) / sizeof(space[0]); i++)
		if (plan_dir(p, space[i].dir, space[i].mode, true,
			"a writable directory of the slot's, on the job's "
			"tmpfs"))
			return -1;
	for (i = 0; i < sizeof(space) / sizeof(space[0]); i++)
		if (plan_bind(p, space[i].dir, space[i].target, rw, true, false,
			"the job's writable directory at its place in the "
			"read-only root"))
			return -1;
	if (plan_mount_add(p, PLAN_UNMOUNT, NULL, "/proc/sys", 0, NULL,
		"the tmpfs's own mount goes: the four binds keep it, and its "
		"root is reachable from nowhere") == NULL)
		return -1;
	if (plan_mount_add(p, PLAN_COPY_IN, NULL, "/job", 0, NULL,
		"the submission, a writable copy on the job's tmpfs so it "
		"counts against disk_bytes") == NULL)
		return -1;

	if (plan_bind(p, "/proc/sys", "/proc/sys", ro, true, false,
		"kernel tunables stay read-only even if a write were "
		"otherwise allowed") ||
	    plan_bind(p, "/proc/sysrq-trigger", "/proc/sysrq-trigger", ro, true,
		true, "no magic SysRq from the job") ||
	    plan_bind(p, "/proc/irq", "/proc/irq", ro, true, true,
		"interrupt affinity is the host's business") ||
	    plan_bind(p, "/proc/bus", "/proc/bus", ro, true, true,
		"no raw bus access"))
		return -1;
	for (i = 0; i < sizeof(plan_proc_masks) / sizeof(plan_proc_masks[0]);
	     i++)
		if (plan_mount_add(p, PLAN_MASK, NULL, plan_proc_masks[i].path,
			0, NULL, plan_proc_masks[i].why) == NULL)
			return -1;
	return 0;
}

/* See plan.h. */
int
plan_template(struct plan *p, const struct runtime *rt)
{
	memset(p, 0, sizeof(*p));
	return plan_template_mounts(p, rt);
}

/* See plan.h: FNV-1a over every field of the template's steps. */
uint64_t
plan_template_tag(const struct plan *p)
{
	uint64_t h = 14695981039346656037ULL;
	const struct plan_mount *pm;
	size_t i, j;

	for (i = 0; i < p->ntemplate; i++) {
		pm = &p->mounts[i];
		const struct {
			const void *v;
			size_t n;
		} f[] = { { &pm->kind, sizeof(pm->kind) },
			{ pm->source, strlen(pm->source) + 1 },
			{ pm->target, strlen(pm->target) + 1 },
			{ &pm->flags, sizeof(pm->flags) },
			{ &pm->mode, sizeof(pm->mode) },
			{ &pm->slot_owned, sizeof(pm->slot_owned) },
			{ &pm->in_root, sizeof(pm->in_root) },
			{ &pm->host_optional, sizeof(pm->host_optional) },
			{ pm->data, strlen(pm->data) + 1 } };

		for (j = 0; j < sizeof(f) / sizeof(f[0]); j++)
			h = plan_fnv(h, f[j].v, f[j].n);
	}
	return plan_fnv(h, &p->ntemplate, sizeof(p->ntemplate));
}

/* The rlimits of p for limits l (the run's or a compile stage's); hard
   equals soft (but for CPU) so the job cannot raise them. */
static void
plan_rlimits(const struct plan *p, const struct limits *l,
    struct plan_rlimit *rl, size_t *n)
{
	rlim_t cpu = (rlim_t)ceil(l->cpu_seconds) + 1;
	rlim_t stack = l->memory_bytes < PLAN_STACK_BYTES ? l->memory_bytes
							  : PLAN_STACK_BYTES;
	/* Mode "user": RLIMIT_NPROC counts the tasks of the job's uid in its
	   user namespace (Linux 5.14), and init is one of them there (under
	   the root agent it is root's): one more, so that the job itself has
	   all it was given. */
	rlim_t nproc = l->processes + (p->userns ? 1 : 0);
	const struct plan_rlimit all[] = {
		{ RLIMIT_CPU, cpu, cpu + 1,
		    "a backstop per process: the supervisor enforces the CPU "
		    "time summed over the job, this catches a process if it "
		    "lags" },
		{ RLIMIT_AS, l->memory_bytes, l->memory_bytes,
		    "no memory cgroup on this node: cap each process's "
		    "address space instead" },
		{ RLIMIT_FSIZE, l->disk_bytes, l->disk_bytes,
		    "no single file larger than the job's disk" },
		{ RLIMIT_NOFILE, l->open_files, l->open_files,
		    "the open_files limit" },
		{ RLIMIT_NPROC, nproc, nproc,
		    "the processes limit; it counts per uid, and each slot has "
		    "its own uid (pids.max backs it where there is a cgroup)" },
		{ RLIMIT_STACK, stack, stack, "a bounded stack" },
		{ RLIMIT_CORE, 0, 0,
		    "no core dumps: they would fill the disk and leak memory" },
		{ RLIMIT_MEMLOCK, 65536, 65536,
		    "the kernel's default; locked memory escapes accounting" },
		{ RLIMIT_MSGQUEUE, 0, 0,
		    "no POSIX message queues: nothing in a job needs them" },
		{ RLIMIT_NICE, 0, 0, "priority cannot be raised" },
		{ RLIMIT_RTPRIO, 0, 0, "no real-time scheduling" },
		{ RLIMIT_SIGPENDING, 4096, 4096, "bounded queued signals" },
	};
	size_t i;

	/* RLIMIT_AS only where no memory cgroup holds the job's memory. */
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i].resource != RLIMIT_AS || !p->memory_by_cgroup)
			rl[(*n)++] = all[i];
}

/* tmpl with every key replaced by value, or NULL out of memory. */
static char *
plan_subst(const char *tmpl, const char *key, const char *value)
{
	size_t n = 0, klen = strlen(key), elen = strlen(value);
	const char *s, *hit;
	char *out, *d;

	for (s = tmpl; (hit = strstr(s, key)) != NULL; s = hit + klen)
		n++;
	if ((out = malloc(strlen(tmpl) + n * elen + 1)) == NULL)
		return NULL;
	for (s = tmpl, d = out; (hit = strstr(s, key)) != NULL;
	     s = hit + klen) {
		memcpy(d, s, (size_t)(hit - s));
		d += hit - s;
		memcpy(d, value, elen);
		d += elen;
	}
	strcpy(d, s);
	return out;
}

/*
 * A command word with "{entry}" replaced by the entry's path in the
 * sandbox and "{entry_stem}" by its file name without the extension
 * ("src/Main.java": "Main"; a Java class is named so).
 */
static char *
plan_expand(const char *tmpl, const char *entry)
{
	char path[8 + UTIL_PATH_MAX], stem[UTIL_PATH_MAX + 1], *dot, *one, *two;
	const char *base = strrchr(entry, '/');

	snprintf(path, sizeof(path), "/job/%s", entry);
	snprintf(stem, sizeof(stem), "%s", base != NULL ? base + 1 : entry);
	if ((dot = strrchr(stem, '.')) != NULL && dot != stem)
		*dot = '\0';
	if ((one = plan_subst(tmpl, "{entry}", path)) == NULL)
		return NULL;
	two = plan_subst(one, "{entry_stem}", stem);
	free(one);
	return two;
}

/* Free a NULL-terminated vector of strings (NULL: nothing). */
static void
plan_strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* A command with its placeholders filled in, then extra words; NULL out
   of memory (what was made is freed). */
static char **
plan_command(char *const *cmd, size_t ncmd, const char *entry,
    char *const *extra, size_t nextra)
{
	char **argv = calloc(ncmd + nextra + 1, sizeof(char *));
	size_t i, n = 0;

	if (argv == NULL)
		return NULL;
	for (i = 0; i < ncmd; i++)
		if ((argv[n++] = plan_expand(cmd[i], entry)) == NULL)
			goto fail;
	for (i = 0; i < nextra; i++)
		if ((argv[n++] = strdup(extra[i])) == NULL)
			goto fail;
	return argv;
fail:
	/* argv[n - 1], the one that failed, is NULL, as is all after it. */
	plan_strv_free(argv);
	return NULL;
}

/* argv: the runtime's command with its placeholders filled in, then the
   args; the compile stage's command, without them. */
static int
plan_argv(struct plan *p, const struct runtime *rt, const struct manifest *m)
{
	if ((p->argv = plan_command(rt->command, rt->ncommand, m->entry,
		 m->args, m->nargs)) == NULL)
		return -1;
	if (p->has_compile &&
	    (p->compile.argv = plan_command(rt->compile, rt->ncompile, m->entry,
		 NULL, 0)) == NULL)
		return -1;
	return 0;
}

/*
 * The compile stage's limits: the manifest's compile_limits within the
 * runtime's compile defaults and ceilings; its disk is the run's.
 */
static int
plan_compile(struct plan *p, const struct runtime *rt, const struct manifest *m,
    struct error *e)
{
	int disk = limit_index("disk_bytes");

	if (rt->compile == NULL) {
		if (m->compile_limit_set != 0)
			return error_set_field(e, ERR_INVALID, "compile_limits",
			    "runtime '%s' has no compile stage", rt->name);
		return 0;
	}
	if ((m->compile_limit_set & (1u << disk)) != 0)
		return error_set_field(e, ERR_INVALID, "compile_limits",
		    "the compile stage shares the run's disk_bytes; set it in "
		    "'limits'");
	p->has_compile = true;
	limit_resolve(&p->compile.limits, &m->compile_limits,
	    m->compile_limit_set, &rt->compile_defaults, &rt->compile_ceilings,
	    &p->compile.clamped);
	p->compile.limits.disk_bytes = p->limits.disk_bytes;
	plan_rlimits(p, &p->compile.limits, p->compile.rlimits,
	    &p->compile.nrlimits);
	return 0;
}

/* Whether the manifest sets this variable itself. */
static bool
plan_env_has(const struct manifest *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->nenv; i++)
		if (strcmp(m->env_keys[i], key) == 0)
			return true;
	return false;
}

/* One environment: the manifest's variables (with m), then PATH, HOME
   and LANG unless given; NULL out of memory. */
static char **
plan_envp(const struct manifest *m)
{
	static const char *base[][2] = {
		{ "PATH", "/usr/local/bin:/usr/bin:/bin" },
		{ "HOME", "/tmp" },
		{ "LANG", "C.UTF-8" },
	};
	size_t i, n = 0, nenv = m != NULL ? m->nenv : 0;
	char **envp = calloc(nenv + 4, sizeof(char *));

	if (envp == NULL)
		return NULL;
	for (i = 0; i < nenv; i++)
		if (asprintf(&envp[n++], "%s=%s", m->env_keys[i],
			m->env_values[i]) == -1)
			goto fail;
	for (i = 0; i < 3; i++) {
		if (m != NULL && plan_env_has(m, base[i][0]))
			continue;
		if (asprintf(&envp[n++], "%s=%s", base[i][0], base[i][1]) == -1)
			goto fail;
	}
	return envp;
fail:
	envp[n - 1] = NULL;
	plan_strv_free(envp);
	return NULL;
}

/* env: the run's (the manifest's and the base), and a compile stage's
   (the base alone). */
static int
plan_env(struct plan *p, const struct manifest *m)
{
	if ((p->envp = plan_envp(m)) == NULL)
		return -1;
	if (p->has_compile && (p->compile.envp = plan_envp(NULL)) == NULL)
		return -1;
	return 0;
}

/* Build the plan for a manifest on a slot. */
int
plan_build(struct plan *p, const struct manifest *m, const struct agent_conf *c,
    unsigned slot, bool memory_cgroup, struct error *e)
{
	const struct runtime *rt;

	memset(p, 0, sizeof(*p));
	if ((rt = conf_runtime(c, m->runtime)) == NULL)
		return error_set_field(e, ERR_INVALID, "runtime",
		    "unknown runtime '%s'", m->runtime);
	if (slot >= c->slots_all)
		return error_set(e, ERR_INTERNAL, "slot %u out of range", slot);
	p->slot = slot;
	p->uid = c->uid_base + slot;
	p->gid = c->gid_base + slot;
	p->userns = c->mode == CONF_MODE_USER;
	limit_resolve(&p->limits, &m->limits, m->limit_set, &c->defaults,
	    &c->ceilings, &p->clamped);
	p->memory_by_cgroup = memory_cgroup;
	strcpy(p->hostname, "sluice");
	strcpy(p->workdir, "/job");
	/* Nothing is allocated before argv: until then a failure leaves the
	   plan as empty as the memset above made it. */
	if (plan_template_mounts(p, rt) == -1 || plan_job_mounts(p) == -1)
		return error_set(e, ERR_INVALID,
		    "too many mounts, or a bind path that is too long");
	plan_rlimits(p, &p->limits, p->rlimits, &p->nrlimits);
	if (plan_compile(p, rt, m, e) == -1)
		return -1;
	if (plan_argv(p, rt, m) == -1 || plan_env(p, m) == -1) {
		plan_release(p);
		return error_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* Whether a and b are the same step. */
static bool
plan_mount_same(const struct plan_mount *a, const struct plan_mount *b)
{
	return a->kind == b->kind && strcmp(a->source, b->source) == 0 &&
	    strcmp(a->target, b->target) == 0 && a->flags == b->flags &&
	    a->mode == b->mode && a->slot_owned == b->slot_owned &&
	    a->in_root == b->in_root && a->host_optional == b->host_optional &&
	    strcmp(a->data, b->data) == 0;
}

/* See plan.h: every field but argv, compared exactly. */
bool
plan_same_sandbox(const struct plan *a, const struct plan *b)
{
	size_t i;

	if (a->slot != b->slot || a->uid != b->uid || a->gid != b->gid ||
	    memcmp(&a->limits, &b->limits, sizeof(a->limits)) != 0 ||
	    a->clamped != b->clamped ||
	    a->memory_by_cgroup != b->memory_by_cgroup ||
	    a->nmounts != b->nmounts || a->ntemplate != b->ntemplate ||
	    a->nrlimits != b->nrlimits || a->has_compile || b->has_compile ||
	    strcmp(a->hostname, b->hostname) != 0 ||
	    strcmp(a->workdir, b->workdir) != 0)
		return false;
	for (i = 0; i < a->nmounts; i++)
		if (!plan_mount_same(&a->mounts[i], &b->mounts[i]))
			return false;
	for (i = 0; i < a->nrlimits; i++)
		if (a->rlimits[i].resource != b->rlimits[i].resource ||
		    a->rlimits[i].soft != b->rlimits[i].soft ||
		    a->rlimits[i].hard != b->rlimits[i].hard)
			return false;
	for (i = 0; a->envp[i] != NULL && b->envp[i] != NULL; i++)
		if (strcmp(a->envp[i], b->envp[i]) != 0)
			return false;
	return a->envp[i] == NULL && b->envp[i] == NULL;
}

/* See plan.h. */
int
plan_warm_argv(struct plan *p, const char *runner)
{
	char **argv;
	size_t n;

	for (n = 0; p->argv[n] != NULL; n++)
		;
	if (n == 0)
		return -1;
	/* The command's last word is "{entry}" (conf.c): its place takes
	   "-c" and the runner. */
	free(p->argv[n - 1]);
	p->argv[n - 1] = NULL;
	if ((argv = reallocarray(p->argv, n + 2, sizeof(char *))) == NULL)
		return -1;
	p->argv = argv;
	p->argv[n - 1] = strdup("-c");
	p->argv[n] = p->argv[n - 1] == NULL ? NULL : strdup(runner);
	p->argv[n + 1] = NULL;
	return p->argv[n] != NULL ? 0 : -1;
}

/* See plan.h. */
ssize_t
plan_warm_tail(const struct plan *job, const struct plan *parked)
{
	size_t n, i;

	for (n = 0; parked->argv[n] != NULL; n++)
		;
	if (n < 3 || strcmp(parked->argv[n - 2], "-c") != 0)
		return -1;
	for (i = 0; i < n - 2; i++)
		if (job->argv[i] == NULL ||
		    strcmp(job->argv[i], parked->argv[i]) != 0)
			return -1;
	return job->argv[n - 2] != NULL ? (ssize_t)(n - 2) : -1;
}

/* Free what a plan owns. */
void
plan_release(struct plan *p)
{
	plan_strv_free(p->argv);
	plan_strv_free(p->envp);
	plan_strv_free(p->compile.argv);
	plan_strv_free(p->compile.envp);
	p->argv = p->envp = p->compile.argv = p->compile.envp = NULL;
}
