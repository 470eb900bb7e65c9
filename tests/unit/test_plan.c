/* Unit tests for agent/plan.c: the sandbox policy as plain data. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "conf.h"
#include "error.h"
#include "limit.h"
#include "manifest.h"
#include "plan.h"
#include "util.h"

#define B_CPU (1u << 0)
#define B_WALL (1u << 1)
#define B_MEMORY (1u << 2)
#define B_PROCESSES (1u << 3)
#define B_OUTPUT (1u << 4)
#define B_DISK (1u << 5)
#define B_FILES (1u << 6)

#define RO (MS_RDONLY | MS_NOSUID | MS_NODEV)

/* A test's policy and manifest; both are released in teardown. */
struct fixture {
	struct agent_conf conf;
	struct manifest m;
	struct plan p;
};

/* A NULL-terminated copy of n strings, for conf and manifest vectors. */
static char **
strv(size_t n, const char *const *s)
{
	char **v = calloc(n + 1, sizeof(*v));
	size_t i;

	assert_non_null(v);
	for (i = 0; i < n; i++)
		assert_non_null(v[i] = strdup(s[i]));
	return v;
}

/* Build a node policy like INTERFACES.md section 4 and a plain manifest. */
static int
setup(void **state)
{
	static const char *const py_cmd[] = { "/usr/bin/python3", "-B", "-s",
		"{entry}" };
	static const char *const py_binds[] = { "/usr", "/lib", "/lib64",
		"/bin", "/etc/python3.11" };
	static const char *const sh_cmd[] = { "/bin/sh", "-c",
		"exec \"$0\" --file={entry} --again={entry}", "/usr/bin/env" };
	static const char *const sh_binds[] = { "/bin" };
	struct fixture *f = calloc(1, sizeof(*f));
	struct agent_conf *c;

	if (f == NULL)
		return -1;
	c = &f->conf;
	strcpy(c->base_dir, "/var/lib/sluice");
	c->slots = 4;
	c->slots_all = 4;
	c->uid_base = 61000;
	c->gid_base = 62000;
	c->defaults = (struct limits){ 5.0, 10.0, 268435456, 32, 1048576,
		67108864, 64 };
	c->ceilings = (struct limits){ 60.0, 120.0, 2147483648ULL, 128,
		16777216, 1073741824, 256 };
	c->runtimes = calloc(2, sizeof(*c->runtimes));
	assert_non_null(c->runtimes);
	c->nruntimes = 2;
	strcpy(c->runtimes[0].name, "python3");
	c->runtimes[0].command = strv(4, py_cmd);
	c->runtimes[0].ncommand = 4;
	c->runtimes[0].binds = strv(5, py_binds);
	c->runtimes[0].nbinds = 5;
	strcpy(c->runtimes[1].name, "sh");
	c->runtimes[1].command = strv(4, sh_cmd);
	c->runtimes[1].ncommand = 4;
	c->runtimes[1].binds = strv(1, sh_binds);
	c->runtimes[1].nbinds = 1;
	strcpy(c->cgroup_parent, "sluice");
	c->out_files_max = 1000;

	f->m.version = 1;
	strcpy(f->m.id, "42");
	strcpy(f->m.runtime, "python3");
	assert_non_null(f->m.entry = strdup("main.py"));
	*state = f;
	return 0;
}

/* Release the plan, the manifest and the policy. */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	plan_release(&f->p);
	manifest_release(&f->m);
	conf_release(&f->conf);
	free(f);
	return 0;
}

/* Give the manifest these args. */
static void
set_args(struct manifest *m, size_t n, const char *const *args)
{
	m->args = strv(n, args);
	m->nargs = n;
}

/* Give the manifest these environment variables (keys then values). */
static void
set_env(struct manifest *m, size_t n, const char *const *keys,
    const char *const *values)
{
	m->env_keys = strv(n, keys);
	m->env_values = strv(n, values);
	m->nenv = n;
}

/* Build the plan for the fixture; it must succeed. */
static struct plan *
build(struct fixture *f, unsigned slot, bool memory_cgroup)
{
	struct error e;

	error_init(&e);
	if (plan_build(&f->p, &f->m, &f->conf, slot, memory_cgroup, &e) != 0)
		fail_msg("plan_build failed: %s", e.msg);
	return &f->p;
}

/* The rlimit for resource in p, or NULL. */
static const struct plan_rlimit *
find_rlimit(const struct plan *p, int resource)
{
	size_t i;

	for (i = 0; i < p->nrlimits; i++)
		if (p->rlimits[i].resource == resource)
			return &p->rlimits[i];
	return NULL;
}

/* The first mount of this kind and target in p, or NULL. */
static const struct plan_mount *
find_kind(const struct plan *p, enum plan_mount_kind kind, const char *target)
{
	size_t i;

	for (i = 0; i < p->nmounts; i++)
		if (p->mounts[i].kind == kind &&
		    strcmp(p->mounts[i].target, target) == 0)
			return &p->mounts[i];
	return NULL;
}

/* The rlimit for resource in p; the test fails if there is none. */
static const struct plan_rlimit *
must_rlimit(const struct plan *p, int resource)
{
	static const struct plan_rlimit none;
	const struct plan_rlimit *r = find_rlimit(p, resource);

	if (r == NULL) {
		fail_msg("no rlimit %d in the plan", resource);
		return &none;
	}
	return r;
}

/* The first mount of this kind and target; the test fails if none. */
static const struct plan_mount *
must_mount(const struct plan *p, enum plan_mount_kind kind, const char *target)
{
	static const struct plan_mount none;
	const struct plan_mount *pm = find_kind(p, kind, target);

	if (pm == NULL) {
		fail_msg("no mount of kind %d at '%s' in the plan", (int)kind,
		    target);
		return &none;
	}
	return pm;
}

/* How many entries of envp start with prefix. */
static int
env_count(const struct plan *p, const char *prefix)
{
	int i, n = 0;

	for (i = 0; p->envp[i] != NULL; i++)
		if (strncmp(p->envp[i], prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/* Whether envp holds exactly this "KEY=value". */
static bool
env_has(const struct plan *p, const char *kv)
{
	int i;

	for (i = 0; p->envp[i] != NULL; i++)
		if (strcmp(p->envp[i], kv) == 0)
			return true;
	return false;
}

static void
plan_build__unknown_runtime__refused(void **state)
{
	struct fixture *f = *state;
	struct error e;

	strcpy(f->m.runtime, "python2");
	error_init(&e);
	assert_int_equal(plan_build(&f->p, &f->m, &f->conf, 0, true, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_string_equal(e.field, "runtime");
	assert_non_null(strstr(e.msg, "python2"));
	assert_null(f->p.argv);
	assert_null(f->p.envp);
}

static void
plan_build__slot_out_of_range__refused(void **state)
{
	struct fixture *f = *state;
	struct error e;

	error_init(&e);
	assert_int_equal(plan_build(&f->p, &f->m, &f->conf, 4, true, &e), -1);
	assert_null(f->p.argv);
}

static void
plan_build__slot__ids_are_base_plus_slot(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 3, true);

	assert_int_equal(p->slot, 3);
	assert_int_equal(p->uid, 61003);
	assert_int_equal(p->gid, 62003);
	plan_release(p);
	p = build(f, 0, true);
	assert_int_equal(p->uid, 61000);
	assert_int_equal(p->gid, 62000);
}

static void
plan_build__no_limits_requested__defaults_used(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, true);

	assert_memory_equal(&p->limits, &f->conf.defaults, sizeof(p->limits));
	assert_int_equal(p->clamped, 0);
}

static void
plan_build__limits_within_ceilings__applied(void **state)
{
	struct fixture *f = *state;
	struct plan *p;

	f->m.limits.cpu_seconds = 1.5;
	f->m.limits.disk_bytes = 16777216;
	f->m.limits.processes = 128; /* exactly the ceiling */
	f->m.limit_set = B_CPU | B_DISK | B_PROCESSES;
	p = build(f, 1, true);
	assert_true(p->limits.cpu_seconds == 1.5);
	assert_int_equal(p->limits.disk_bytes, 16777216);
	assert_int_equal(p->limits.processes, 128);
	assert_true(p->limits.wall_seconds == f->conf.defaults.wall_seconds);
	assert_int_equal(p->limits.memory_bytes, f->conf.defaults.memory_bytes);
	assert_int_equal(p->clamped, 0);
}

static void
plan_build__memory_above_ceiling__clamped(void **state)
{
	struct fixture *f = *state;
	struct plan *p;

	f->m.limits.memory_bytes = UINT64_C(1) << 40;
	f->m.limits.wall_seconds = 3600;
	f->m.limits.open_files = 16; /* within */
	f->m.limit_set = B_MEMORY | B_WALL | B_FILES;
	p = build(f, 0, true);
	assert_int_equal(p->limits.memory_bytes, 2147483648ULL);
	assert_true(p->limits.wall_seconds == 120.0);
	assert_int_equal(p->limits.open_files, 16);
	assert_int_equal(p->clamped, B_MEMORY | B_WALL);
}

static void
plan_build__host_binds__read_only_nosuid_nodev(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, true);
	const struct plan_mount *pm;
	size_t i, host_binds = 0;

	for (i = 0; i < p->nmounts; i++) {
		pm = &p->mounts[i];
		if (pm->kind != PLAN_BIND || pm->in_root)
			continue;
		host_binds++;
		if ((pm->flags & RO) != RO)
			fail_msg("bind of '%s' has flags %#lx", pm->source,
			    pm->flags);
	}
	/* Every runtime bind is there, at the same path. */
	assert_int_equal(host_binds, f->conf.runtimes[0].nbinds);
	for (i = 0; i < f->conf.runtimes[0].nbinds; i++) {
		pm = must_mount(p, PLAN_BIND, f->conf.runtimes[0].binds[i]);
		assert_false(pm->in_root);
		assert_string_equal(pm->source, f->conf.runtimes[0].binds[i]);
	}
}

static void
plan_build__other_runtime__only_its_binds(void **state)
{
	struct fixture *f = *state;
	struct plan *p;

	strcpy(f->m.runtime, "sh");
	p = build(f, 0, true);
	assert_non_null(find_kind(p, PLAN_BIND, "/bin"));
	assert_null(find_kind(p, PLAN_BIND, "/usr"));
	assert_null(find_kind(p, PLAN_BIND, "/etc/python3.11"));
}

static void
plan_build__long_bind_path__never_truncated(void **state)
{
	struct fixture *f = *state;
	struct runtime *rt = &f->conf.runtimes[0];
	const struct plan_mount *pm = NULL;
	char path[400];
	struct error e;
	size_t i;

	/* A bind path too long for the plan is refused by the config check,
	   and if one reaches plan_build anyway, the plan refuses it rather
	   than bind a truncated prefix (another directory). */
	snprintf(path, sizeof(path), "/opt/%0200d/%0150d/lib", 0, 0);
	error_init(&e);
	assert_int_equal(conf_bind_check(path, &e), -1);
	free(rt->binds[4]);
	assert_non_null(rt->binds[4] = strdup(path));
	error_init(&e);
	assert_int_equal(plan_build(&f->p, &f->m, &f->conf, 0, true, &e), -1);
	for (i = 0; i < f->p.nmounts; i++) {
		pm = &f->p.mounts[i];
		assert_false(strncmp(pm->source, "/opt/", 5) == 0);
	}
}

static void
plan_build__writable_mounts__nosuid_nodev(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, true);
	static const char *rw[] = { "/job", "/out", "/tmp", "/dev/shm", NULL };
	const struct plan_mount *pm;
	int i;

	for (i = 0; rw[i] != NULL; i++) {
		pm = must_mount(p, PLAN_BIND, rw[i]);
		assert_true(pm->in_root);
		assert_int_equal(pm->flags & (MS_NOSUID | MS_NODEV),
		    MS_NOSUID | MS_NODEV);
		assert_int_equal(pm->flags & MS_RDONLY, 0);
	}
	/* Programs may not be setuid anywhere, devices only where bound. */
	for (i = 0; (size_t)i < p->nmounts; i++)
		if (p->mounts[i].kind == PLAN_DEVICE)
			assert_int_equal(p->mounts[i].flags & MS_NOSUID,
			    MS_NOSUID);
}

static void
plan_build__writable_tmpfs__size_is_disk_bytes(void **state)
{
	struct fixture *f = *state;
	const struct plan_mount *pm, *root;
	unsigned long long size = 0;
	struct plan *p;
	size_t i, ntmpfs = 0;
	char *opt;

	f->m.limits.disk_bytes = 33554432;
	f->m.limit_set = B_DISK;
	p = build(f, 0, true);
	/* The job's one writable tmpfs is its own step, after the
	   template's, and carries the disk limit. */
	pm = must_mount(p, PLAN_TMPFS, "/proc/sys");
	assert_true(pm >= &p->mounts[p->ntemplate]);
	assert_int_equal(pm->flags & (MS_NOSUID | MS_NODEV),
	    MS_NOSUID | MS_NODEV);
	opt = strstr(pm->data, "size=");
	assert_non_null(opt);
	assert_true(opt == pm->data || opt[-1] == ',');
	assert_int_equal(sscanf(opt, "size=%llu", &size), 1);
	assert_int_equal(size, 33554432);
	assert_int_equal(size, p->limits.disk_bytes);
	/* The root's tmpfs is the template's first step, and holds no more
	   than a megabyte of mount points. */
	root = &p->mounts[0];
	assert_int_equal(root->kind, PLAN_TMPFS);
	assert_string_equal(root->target, "/");
	assert_non_null(strstr(root->data, "size=1m"));
	/* No other tmpfs could hold more outside that cap. */
	for (i = 0; i < p->nmounts; i++)
		if (p->mounts[i].kind == PLAN_TMPFS)
			ntmpfs++;
	assert_int_equal(ntmpfs, 2);
	/* /job, /out, /tmp and /dev/shm are binds of that tmpfs's
	   directories, slot-owned, and its own mount goes after them. */
	static const char *const rw[][2] = { { "/proc/sys/job", "/job" },
		{ "/proc/sys/out", "/out" }, { "/proc/sys/tmp", "/tmp" },
		{ "/proc/sys/shm", "/dev/shm" } };
	for (i = 0; i < 4; i++) {
		const struct plan_mount *dir = must_mount(p, PLAN_DIR,
		    rw[i][0]);
		const struct plan_mount *bind = must_mount(p, PLAN_BIND,
		    rw[i][1]);

		assert_true(dir->slot_owned);
		assert_true(dir > pm && bind > dir);
		assert_string_equal(bind->source, rw[i][0]);
		assert_true(bind < must_mount(p, PLAN_UNMOUNT, "/proc/sys"));
	}
}

static void
plan_build__proc__hidepid(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, true);
	const struct plan_mount *proc = must_mount(p, PLAN_PROC, "/proc");
	const struct plan_mount *dir = must_mount(p, PLAN_DIR, "/proc");
	const struct plan_mount *sys;

	assert_non_null(strstr(proc->data, "hidepid="));
	assert_true(strstr(proc->data, "hidepid=2") != NULL ||
	    strstr(proc->data, "hidepid=invisible") != NULL);
	assert_int_equal(proc->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC),
	    MS_NOSUID | MS_NODEV | MS_NOEXEC);
	/* The mount point exists before procfs goes on it. */
	assert_true(dir < proc);
	/* Writable kernel knobs under /proc are covered read-only. */
	sys = must_mount(p, PLAN_BIND, "/proc/sys");
	assert_int_equal(sys->flags & RO, RO);
	assert_true(sys > proc);
}

static void
plan_build__template_ends__read_only_remount_of_root(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, true);
	const struct plan_mount *last;
	size_t i;

	assert_true(p->nmounts > 1);
	assert_true(p->nmounts <= PLAN_MOUNTS_MAX);
	assert_true(p->ntemplate > 1 && p->ntemplate < p->nmounts);
	last = &p->mounts[p->ntemplate - 1];
	assert_int_equal(last->kind, PLAN_REMOUNT);
	assert_string_equal(last->target, "/");
	assert_int_equal(last->flags & RO, RO);
	/* Nothing of the template is the slot's or the job's. */
	for (i = 0; i < p->ntemplate; i++) {
		assert_false(p->mounts[i].slot_owned);
		assert_int_not_equal(p->mounts[i].kind, PLAN_COPY_IN);
		assert_int_not_equal(p->mounts[i].kind, PLAN_PROC);
	}
}

/* The submission is copied once, into /job's own mount. */
static void
plan_build__copy_in__once_into_job_after_its_bind(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, true);
	size_t i, copy = 0, ncopy = 0, bind = 0;

	for (i = 0; i < p->nmounts; i++) {
		const struct plan_mount *pm = &p->mounts[i];

		if (pm->kind == PLAN_COPY_IN) {
			copy = i;
			ncopy++;
			assert_string_equal(pm->target, "/job");
		}
		if (pm->kind == PLAN_BIND && strcmp(pm->target, "/job") == 0)
			bind = i;
	}
	assert_int_equal(ncopy, 1);
	assert_true(bind > 0 && copy > bind);
}

/* The template is the same for every slot and every job's limits, and
   plan_template() makes exactly the template steps of a job's plan. */
static void
plan_template__same_for_slots_and_limits(void **state)
{
	struct fixture *f = *state;
	static struct plan a, t;
	struct error e;
	uint64_t tag;

	tag = plan_template_tag(build(f, 0, true));
	f->m.limits.disk_bytes = 33554432;
	f->m.limit_set = B_DISK;
	error_init(&e);
	assert_int_equal(plan_build(&a, &f->m, &f->conf, 3, false, &e), 0);
	assert_true(plan_template_tag(&a) == tag);
	assert_int_equal(plan_template(&t, &f->conf.runtimes[0]), 0);
	assert_int_equal(t.ntemplate, t.nmounts);
	assert_int_equal(t.ntemplate, a.ntemplate);
	assert_true(plan_template_tag(&t) == tag);
	plan_release(&a);
}

/* A warm start's argv: the command up to {entry}, then -c and the runner;
   a job's tail is what follows the same words in its own argv. */
static void
plan_warm__argv_and_tail(void **state)
{
	struct fixture *f = *state;
	static struct plan w;
	char a0[] = "a", a1[] = "b c", *args[] = { a0, a1 };
	struct error e;
	ssize_t at;

	error_init(&e);
	assert_int_equal(plan_build(&w, &f->m, &f->conf, 1, true, &e), 0);
	assert_int_equal(plan_warm_argv(&w, "RUNNER"), 0);
	assert_string_equal(w.argv[0], "/usr/bin/python3");
	assert_string_equal(w.argv[2], "-s");
	assert_string_equal(w.argv[3], "-c");
	assert_string_equal(w.argv[4], "RUNNER");
	assert_null(w.argv[5]);
	f->m.args = args;
	f->m.nargs = 2;
	build(f, 1, true);
	f->m.args = NULL;
	f->m.nargs = 0;
	assert_int_equal((at = plan_warm_tail(&f->p, &w)), 3);
	assert_string_equal(f->p.argv[at], "/job/main.py");
	assert_string_equal(f->p.argv[at + 2], "b c");
	/* Another command (the sh runtime) has no tail in it. */
	plan_release(&f->p);
	strcpy(f->m.runtime, "sh");
	build(f, 1, true);
	assert_int_equal(plan_warm_tail(&f->p, &w), -1);
	plan_release(&w);
}

/* A parked sandbox serves a job only if every field but argv is the same. */
static void
plan_same_sandbox__only_argv_may_differ(void **state)
{
	struct fixture *f = *state;
	static struct plan a;
	char k0[] = "X", v0[] = "1", a0[] = "z";
	char *keys[] = { k0 }, *values[] = { v0 }, *args[] = { a0 };
	struct error e;

	error_init(&e);
	assert_int_equal(plan_build(&a, &f->m, &f->conf, 1, true, &e), 0);
	f->m.args = args;
	f->m.nargs = 1;
	assert_true(plan_same_sandbox(&a, build(f, 1, true)));
	f->m.args = NULL;
	f->m.nargs = 0;
	plan_release(&f->p);
	assert_false(plan_same_sandbox(&a, build(f, 2, true)));
	plan_release(&f->p);
	assert_false(plan_same_sandbox(&a, build(f, 1, false)));
	plan_release(&f->p);
	f->m.limits.wall_seconds = 10.5;
	f->m.limit_set = B_WALL;
	assert_false(plan_same_sandbox(&a, build(f, 1, true)));
	plan_release(&f->p);
	/* The default, asked for: the same sandbox. */
	f->m.limits.wall_seconds = 10.0;
	assert_true(plan_same_sandbox(&a, build(f, 1, true)));
	plan_release(&f->p);
	f->m.limit_set = 0;
	f->m.env_keys = keys;
	f->m.env_values = values;
	f->m.nenv = 1;
	assert_false(plan_same_sandbox(&a, build(f, 1, true)));
	f->m.nenv = 0;
	f->m.env_keys = f->m.env_values = NULL;
	plan_release(&f->p);
	free(f->conf.runtimes[0].binds[4]);
	assert_non_null(
	    f->conf.runtimes[0].binds[4] = strdup("/etc/python3.12"));
	assert_false(plan_same_sandbox(&a, build(f, 1, true)));
	plan_release(&a);
}

/* A changed policy changes the tag, so an old template is never used. */
static void
plan_template__changed_binds__other_tag(void **state)
{
	struct fixture *f = *state;
	struct runtime *rt = &f->conf.runtimes[0];
	static struct plan t;
	uint64_t tag;

	assert_int_equal(plan_template(&t, rt), 0);
	tag = plan_template_tag(&t);
	free(rt->binds[4]);
	assert_non_null(rt->binds[4] = strdup("/etc/python3.12"));
	assert_int_equal(plan_template(&t, rt), 0);
	assert_true(plan_template_tag(&t) != tag);
	rt->nbinds--;
	assert_int_equal(plan_template(&t, rt), 0);
	assert_true(plan_template_tag(&t) != tag);
	rt->nbinds++;
	/* And another runtime's template is not this one's. */
	assert_int_equal(plan_template(&t, &f->conf.runtimes[1]), 0);
	assert_true(plan_template_tag(&t) != tag);
}

static void
plan_build__argv__entry_expanded_and_args_appended(void **state)
{
	static const char *const args[] = { "--n", "5", "{entry}" };
	struct fixture *f = *state;
	struct plan *p;

	set_args(&f->m, 3, args);
	p = build(f, 0, true);
	assert_string_equal(p->argv[0], "/usr/bin/python3");
	assert_string_equal(p->argv[1], "-B");
	assert_string_equal(p->argv[2], "-s");
	assert_string_equal(p->argv[3], "/job/main.py");
	assert_string_equal(p->argv[4], "--n");
	assert_string_equal(p->argv[5], "5");
	/* The job's own arguments are passed as they are. */
	assert_string_equal(p->argv[6], "{entry}");
	assert_null(p->argv[7]);
}

static void
plan_build__argv__every_entry_placeholder_replaced(void **state)
{
	struct fixture *f = *state;
	struct plan *p;

	strcpy(f->m.runtime, "sh");
	free(f->m.entry);
	assert_non_null(f->m.entry = strdup("src/run.sh"));
	p = build(f, 2, true);
	assert_string_equal(p->argv[0], "/bin/sh");
	assert_string_equal(p->argv[1], "-c");
	assert_string_equal(p->argv[2],
	    "exec \"$0\" --file=/job/src/run.sh --again=/job/src/run.sh");
	assert_string_equal(p->argv[3], "/usr/bin/env");
	assert_null(p->argv[4]);
}

static void
plan_build__envp__manifest_env_plus_defaults(void **state)
{
	static const char *const keys[] = { "FOO", "EMPTY" };
	static const char *const values[] = { "bar=baz", "" };
	struct fixture *f = *state;
	struct plan *p;
	int n;

	set_env(&f->m, 2, keys, values);
	p = build(f, 0, true);
	for (n = 0; p->envp[n] != NULL; n++)
		;
	assert_int_equal(n, 5);
	assert_true(env_has(p, "FOO=bar=baz"));
	assert_true(env_has(p, "EMPTY="));
	assert_int_equal(env_count(p, "PATH="), 1);
	assert_true(env_has(p, "HOME=/tmp"));
	assert_true(env_has(p, "LANG=C.UTF-8"));
}

static void
plan_build__envp__no_manifest_env__defaults_only(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, true);

	assert_non_null(p->envp[0]);
	assert_non_null(p->envp[1]);
	assert_non_null(p->envp[2]);
	assert_null(p->envp[3]);
	assert_int_equal(env_count(p, "PATH="), 1);
	assert_int_equal(env_count(p, "HOME="), 1);
	assert_int_equal(env_count(p, "LANG="), 1);
}

static void
plan_build__envp__manifest_lang_overrides_default(void **state)
{
	static const char *const keys[] = { "LANG", "HOME" };
	static const char *const values[] = { "de_DE.UTF-8", "/job" };
	struct fixture *f = *state;
	struct plan *p;

	set_env(&f->m, 2, keys, values);
	p = build(f, 0, true);
	assert_int_equal(env_count(p, "LANG="), 1);
	assert_true(env_has(p, "LANG=de_DE.UTF-8"));
	assert_false(env_has(p, "LANG=C.UTF-8"));
	assert_int_equal(env_count(p, "HOME="), 1);
	assert_true(env_has(p, "HOME=/job"));
	assert_int_equal(env_count(p, "PATH="), 1);
}

static void
plan_build__memory_cgroup__no_rlimit_as(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, true);

	assert_true(p->memory_by_cgroup);
	assert_null(find_rlimit(p, RLIMIT_AS));
}

static void
plan_build__no_memory_cgroup__rlimit_as_is_memory(void **state)
{
	struct fixture *f = *state;
	const struct plan_rlimit *r;
	struct plan *p;

	f->m.limits.memory_bytes = 104857600;
	f->m.limit_set = B_MEMORY;
	p = build(f, 0, false);
	assert_false(p->memory_by_cgroup);
	r = must_rlimit(p, RLIMIT_AS);
	assert_int_equal(r->soft, 104857600);
	assert_int_equal(r->hard, 104857600);
}

static void
plan_build__rlimits__follow_limits(void **state)
{
	struct fixture *f = *state;
	const struct plan_rlimit *r;
	struct plan *p;

	f->m.limits.cpu_seconds = 2.5;
	f->m.limits.open_files = 100;
	f->m.limits.processes = 20;
	f->m.limits.disk_bytes = 8388608;
	f->m.limit_set = B_CPU | B_FILES | B_PROCESSES | B_DISK;
	p = build(f, 0, true);
	r = must_rlimit(p, RLIMIT_NOFILE);
	assert_int_equal(r->soft, 100);
	assert_int_equal(r->hard, 100);
	r = must_rlimit(p, RLIMIT_NPROC);
	assert_int_equal(r->soft, 20);
	assert_int_equal(r->hard, 20);
	r = must_rlimit(p, RLIMIT_FSIZE);
	assert_int_equal(r->soft, 8388608);
	r = must_rlimit(p, RLIMIT_CORE);
	assert_int_equal(r->hard, 0);
	/* A backstop just past the job's CPU limit, never below it. */
	r = must_rlimit(p, RLIMIT_CPU);
	assert_true(r->soft >= 3);
	assert_true(r->soft <= 5);
	assert_true(r->hard >= r->soft);
	assert_true(p->nrlimits <= PLAN_RLIMITS_MAX);
}

static void
plan_build__mode_user__nproc_counts_init_too(void **state)
{
	struct fixture *f = *state;
	const struct plan_rlimit *r;
	struct plan *p;

	f->m.limits.processes = 20;
	f->m.limit_set = B_PROCESSES;
	f->conf.mode = CONF_MODE_USER;
	p = build(f, 0, true);
	assert_true(p->userns);
	/* init is the slot's uid in the job's user namespace. */
	r = must_rlimit(p, RLIMIT_NPROC);
	assert_int_equal(r->soft, 21);
	assert_int_equal(r->hard, 21);
	/* What the job was given stays what it asked for. */
	assert_int_equal(p->limits.processes, 20);
}

static void
plan_build__every_step__has_a_why(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, false);
	size_t i;

	assert_true(p->nmounts > 0);
	assert_true(p->nrlimits > 0);
	for (i = 0; i < p->nmounts; i++)
		if (p->mounts[i].why == NULL || p->mounts[i].why[0] == '\0')
			fail_msg("mount %zu ('%s') has no why", i,
			    p->mounts[i].target);
	for (i = 0; i < p->nrlimits; i++)
		if (p->rlimits[i].why == NULL || p->rlimits[i].why[0] == '\0')
			fail_msg("rlimit %d has no why",
			    p->rlimits[i].resource);
}

static void
plan_build__mount_targets__absolute_and_clean(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, true);
	size_t i;

	for (i = 0; i < p->nmounts; i++) {
		const char *t = p->mounts[i].target;

		assert_true(t[0] == '/');
		assert_null(strstr(t, "/../"));
		assert_null(strstr(t, "//"));
	}
	assert_string_equal(p->workdir, "/job");
	assert_true(p->hostname[0] != '\0');
}

static void
plan_release__twice__harmless(void **state)
{
	struct fixture *f = *state;
	struct plan *p = build(f, 0, true);

	plan_release(p);
	assert_null(p->argv);
	assert_null(p->envp);
	plan_release(p);
}

/* Give the fixture's "sh" runtime a compile stage, and use it. */
static void
give_compile(struct fixture *f)
{
	static const char *const cc[] = { "/usr/bin/javac", "-d", "/job",
		"{entry}", "{entry_stem}.x" };
	struct runtime *rt = &f->conf.runtimes[1];

	rt->compile = strv(5, cc);
	rt->ncompile = 5;
	rt->compile_defaults = (struct limits){ 10.0, 20.0, 536870912, 16,
		65536, 67108864, 64 };
	rt->compile_ceilings = (struct limits){ 30.0, 60.0, 1073741824, 32,
		65536, 67108864, 64 };
	strcpy(f->m.runtime, "sh");
	free(f->m.entry);
	assert_non_null(f->m.entry = strdup("src/Main.java"));
}

static void
plan_build__compile__argv_limits_and_rlimits_of_its_own(void **state)
{
	static const char *const args[] = { "--x" };
	struct fixture *f = *state;
	struct plan *p;
	size_t i;

	give_compile(f);
	set_args(&f->m, 1, args);
	f->m.compile_limits.cpu_seconds = 100;
	f->m.compile_limits.processes = 8;
	f->m.compile_limit_set = B_CPU | B_PROCESSES;
	f->m.limits.disk_bytes = 1000000;
	f->m.limit_set = B_DISK;
	p = build(f, 1, true);
	assert_true(p->has_compile);
	/* Placeholders filled in; the job's args are the run's only. */
	assert_string_equal(p->compile.argv[0], "/usr/bin/javac");
	assert_string_equal(p->compile.argv[3], "/job/src/Main.java");
	assert_string_equal(p->compile.argv[4], "Main.x");
	assert_null(p->compile.argv[5]);
	assert_string_equal(p->argv[4], "--x");
	/* Its defaults, its ceiling (and the clamp said), the run's disk. */
	assert_true(p->compile.limits.cpu_seconds == 30.0);
	assert_true(p->compile.clamped & B_CPU);
	assert_int_equal(p->compile.limits.processes, 8);
	assert_int_equal(p->compile.limits.memory_bytes, 536870912);
	assert_int_equal(p->compile.limits.disk_bytes, 1000000);
	assert_int_equal(p->limits.memory_bytes, 268435456);
	assert_true(p->limits.cpu_seconds == 5.0);
	/* rlimits from the stage's own limits. */
	assert_int_equal(p->compile.nrlimits, p->nrlimits);
	for (i = 0; i < p->compile.nrlimits; i++)
		if (p->compile.rlimits[i].resource == RLIMIT_CPU)
			break;
	assert_true(i < p->compile.nrlimits);
	assert_int_equal(p->compile.rlimits[i].soft, 31);
	/* Never a warm start's sandbox. */
	assert_false(plan_same_sandbox(p, p));
}

static void
plan_build__compile_limits_without_compile_stage__refused(void **state)
{
	struct fixture *f = *state;
	struct error e;

	f->m.compile_limits.cpu_seconds = 1;
	f->m.compile_limit_set = B_CPU;
	error_init(&e);
	assert_int_equal(plan_build(&f->p, &f->m, &f->conf, 0, true, &e), -1);
	assert_string_equal(e.field, "compile_limits");
	assert_non_null(strstr(e.msg, "no compile stage"));
}

static void
plan_build__compile_disk__refused(void **state)
{
	struct fixture *f = *state;
	struct error e;

	give_compile(f);
	f->m.compile_limits.disk_bytes = 1000;
	f->m.compile_limit_set = B_DISK;
	error_init(&e);
	assert_int_equal(plan_build(&f->p, &f->m, &f->conf, 0, true, &e), -1);
	assert_string_equal(e.field, "compile_limits");
}

static void
plan_build__entry_stem__without_dir_or_extension(void **state)
{
	static const char *const cmd[] = { "/bin/run", "{entry_stem}",
		"{entry}" };
	struct fixture *f = *state;
	struct runtime *rt = &f->conf.runtimes[1];
	struct plan *p;

	util_strv_free(rt->command, rt->ncommand);
	rt->command = strv(3, cmd);
	rt->ncommand = 3;
	strcpy(f->m.runtime, "sh");
	free(f->m.entry);
	assert_non_null(f->m.entry = strdup("a.b/.hidden"));
	p = build(f, 0, true);
	assert_string_equal(p->argv[1], ".hidden");
	assert_string_equal(p->argv[2], "/job/a.b/.hidden");
	assert_false(p->has_compile);
	assert_null(p->compile.argv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    plan_build__unknown_runtime__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__slot_out_of_range__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__slot__ids_are_base_plus_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__no_limits_requested__defaults_used, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__limits_within_ceilings__applied, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__memory_above_ceiling__clamped, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__mode_user__nproc_counts_init_too, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__host_binds__read_only_nosuid_nodev, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__other_runtime__only_its_binds, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__long_bind_path__never_truncated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__writable_mounts__nosuid_nodev, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__writable_tmpfs__size_is_disk_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(plan_build__proc__hidepid,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__template_ends__read_only_remount_of_root, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__copy_in__once_into_job_after_its_bind, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_template__same_for_slots_and_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_template__changed_binds__other_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(plan_warm__argv_and_tail, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_same_sandbox__only_argv_may_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__argv__entry_expanded_and_args_appended, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__argv__every_entry_placeholder_replaced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__envp__manifest_env_plus_defaults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__envp__no_manifest_env__defaults_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__envp__manifest_lang_overrides_default, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__memory_cgroup__no_rlimit_as, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__no_memory_cgroup__rlimit_as_is_memory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__rlimits__follow_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__every_step__has_a_why, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__mount_targets__absolute_and_clean, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(plan_release__twice__harmless,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__compile__argv_limits_and_rlimits_of_its_own,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__compile_limits_without_compile_stage__refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__compile_disk__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    plan_build__entry_stem__without_dir_or_extension, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
