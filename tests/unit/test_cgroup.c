/*
 * Unit tests for agent/cgroup.c.  What prepare creates and writes is data
 * (cgroup_plan(), cgroup_slot_dirs()), compared here list against list for
 * both layouts, so the v2 code is covered on a v1 machine without any test
 * path in the agent.  Reading the numbers, attaching and the refusal to
 * remove a directory that is not on a cgroup filesystem run for real
 * against plain files in a temporary directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"
#include "error.h"
#include "helpers.h"
#include "limit.h"

#define UID 61003
/* The plans are computed for the usual root; nothing is touched there. */
#define R "/sys/fs/cgroup"

/* A temporary root and the layout a test describes on it. */
struct fixture {
	char root[256];
	struct cgroup_sys cs; /* on root */
	struct cgroup_sys sys; /* the same layout on R, for plans */
	struct limits l;
};

/* One expected step: mkdir when file is NULL. */
struct want {
	const char *dir, *file, *value;
};

/* Make the temporary root and a v2 layout with every controller. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (helpers_mkdtemp(f->root, sizeof(f->root), "cgroup") == -1) {
		free(f);
		return -1;
	}
	f->cs.version = CGROUP_V2;
	snprintf(f->cs.root, sizeof(f->cs.root), "%s", f->root);
	snprintf(f->cs.parent, sizeof(f->cs.parent), "sluice");
	f->cs.memory = true;
	f->cs.pids = true;
	f->cs.cpu = true;
	f->cs.memsw = false;
	f->l = (struct limits){ 5.0, 10.0, 268435456, 32, 1048576, 67108864,
		64 };
	*state = f;
	return 0;
}

/* Switch the fixture to a v1 layout (one hierarchy per controller). */
static void
use_v1(struct fixture *f, bool memsw)
{
	f->cs.version = CGROUP_V1;
	f->cs.memsw = memsw;
}

/* Remove the temporary root and everything in it. */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	helpers_rmtree(f->root);
	free(f);
	return 0;
}

/* root/rel as a path. */
static const char *
at(const struct fixture *f, const char *rel)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	return path;
}

/* Whether root/rel exists. */
static bool
exists(const struct fixture *f, const char *rel)
{
	return access(at(f, rel), F_OK) == 0;
}

/* The whole content of root/rel (a static buffer), or NULL if missing. */
static const char *
slurp(const struct fixture *f, const char *rel)
{
	static char buf[4096];
	FILE *fp = fopen(at(f, rel), "r");
	size_t n;

	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

/* Expect root/rel to hold exactly want. */
static void
expect_file(const struct fixture *f, const char *rel, const char *want)
{
	const char *got = slurp(f, rel);

	if (got == NULL)
		fail_msg("'%s' is missing", rel);
	if (strcmp(got, want) != 0)
		fail_msg("'%s' holds '%s', expected '%s'", rel, got, want);
}

/* Write text to root/rel, as the kernel would show it. */
static void
put(const struct fixture *f, const char *rel, const char *text)
{
	FILE *fp = fopen(at(f, rel), "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* mkdir -p path. */
static void
mkdir_p(const char *path)
{
	char buf[1024], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++)
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(buf, 0755);
			*p = '/';
		}
	if (mkdir(buf, 0755) == -1 && errno != EEXIST)
		fail_msg("cannot create '%s': %s", buf, strerror(errno));
}

/* Make the slot's directories in the temporary root, as a kernel would. */
static void
make_slot(struct fixture *f, uid_t uid)
{
	char dirs[CGROUP_HIER_MAX][CGROUP_DIR_MAX];
	size_t i, n = cgroup_slot_dirs(&f->cs, uid, dirs);

	for (i = 0; i < n; i++)
		mkdir_p(dirs[i]);
}

/* Expect f's layout, moved to R, to plan exactly the n steps of w. */
static void
expect_plan(struct fixture *f, uid_t uid, const struct want *w, size_t n)
{
	struct cgroup_step st[CGROUP_PLAN_MAX];
	struct cgroup_sys cs = f->cs;
	size_t got, i;

	snprintf(cs.root, sizeof(cs.root), "%s", R);
	got = cgroup_plan(&cs, uid, &f->l, st);
	for (i = 0; i < got && i < n; i++) {
		if (strcmp(st[i].dir, w[i].dir) != 0)
			fail_msg("step %zu: dir '%s', expected '%s'", i,
			    st[i].dir, w[i].dir);
		if (w[i].file == NULL && st[i].file != NULL)
			fail_msg("step %zu: writes '%s', expected a mkdir", i,
			    st[i].file);
		if (w[i].file == NULL)
			continue;
		if (st[i].file == NULL)
			fail_msg("step %zu: a mkdir, expected '%s'", i,
			    w[i].file);
		if (strcmp(st[i].file, w[i].file) != 0 ||
		    strcmp(st[i].value, w[i].value) != 0)
			fail_msg("step %zu: '%s' = '%s', expected '%s' = '%s'",
			    i, st[i].file, st[i].value, w[i].file, w[i].value);
	}
	if (got != n)
		fail_msg("%zu steps, expected %zu", got, n);
}

/* Expect f's layout, moved to R, to put the slot in exactly dirs. */
static void
expect_dirs(struct fixture *f, uid_t uid, const char *const *want, size_t n)
{
	char dirs[CGROUP_HIER_MAX][CGROUP_DIR_MAX];
	struct cgroup_sys cs = f->cs;
	size_t got, i;

	snprintf(cs.root, sizeof(cs.root), "%s", R);
	got = cgroup_slot_dirs(&cs, uid, dirs);
	assert_int_equal(got, n);
	for (i = 0; i < n; i++)
		assert_string_equal(dirs[i], want[i]);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
cgroup_version_name__each__named(void **state)
{
	(void)state;
	assert_string_equal(cgroup_version_name(CGROUP_V1), "v1");
	assert_string_equal(cgroup_version_name(CGROUP_V2), "v2");
	assert_string_equal(cgroup_version_name(CGROUP_NONE), "none");
}

static void
cgroup_detect__plain_directory__no_cgroup(void **state)
{
	struct fixture *f = *state;
	struct cgroup_sys cs;
	struct error e;

	error_init(&e);
	assert_int_equal(cgroup_detect(&cs, f->root, "sluice", CONF_CGROUP_AUTO,
			     &e),
	    0);
	assert_int_equal(cs.version, CGROUP_NONE);
	assert_string_equal(cs.root, f->root);
	assert_string_equal(cs.parent, "sluice");
	assert_int_equal(cgroup_detect(&cs, f->root, "sluice", CONF_CGROUP_NONE,
			     &e),
	    0);
	assert_int_equal(cs.version, CGROUP_NONE);
	/* Insisting on a version that is not there is an error. */
	assert_int_equal(cgroup_detect(&cs, f->root, "sluice", CONF_CGROUP_V2,
			     &e),
	    -1);
	assert_int_equal(e.code, ERR_SYS);
	error_init(&e);
	assert_int_equal(cgroup_detect(&cs, f->root, "sluice", CONF_CGROUP_V1,
			     &e),
	    -1);
	assert_int_equal(e.code, ERR_SYS);
}

static void
cgroup_plan__v2__delegates_then_writes_limits(void **state)
{
	struct fixture *f = *state;
	/* Every ancestor passes the controllers on; the swap limit is 0 and
	   pids.max one more than the job may have: init counts too. */
	static const struct want w[] = {
		{ R "/sluice", NULL, NULL },
		{ R, "cgroup.subtree_control", "+memory +pids" },
		{ R "/sluice", "cgroup.subtree_control", "+memory +pids" },
		{ R "/sluice/uid61003", NULL, NULL },
		{ R "/sluice/uid61003", "memory.max", "104857600" },
		{ R "/sluice/uid61003", "memory.swap.max", "0" },
		{ R "/sluice/uid61003", "pids.max", "18" },
	};

	f->l.memory_bytes = 104857600;
	f->l.processes = 17;
	expect_plan(f, UID, w, N(w));
}

static void
cgroup_plan__v2_pids_only__no_memory_files(void **state)
{
	struct fixture *f = *state;
	static const struct want w[] = {
		{ R "/sluice", NULL, NULL },
		{ R, "cgroup.subtree_control", "+pids" },
		{ R "/sluice", "cgroup.subtree_control", "+pids" },
		{ R "/sluice/uid61003", NULL, NULL },
		{ R "/sluice/uid61003", "pids.max", "33" },
	};

	f->cs.memory = false;
	expect_plan(f, UID, w, N(w));
}

static void
cgroup_plan__v2_memory_only__no_pids_file(void **state)
{
	struct fixture *f = *state;
	static const struct want w[] = {
		{ R "/sluice", NULL, NULL },
		{ R, "cgroup.subtree_control", "+memory" },
		{ R "/sluice", "cgroup.subtree_control", "+memory" },
		{ R "/sluice/uid61003", NULL, NULL },
		{ R "/sluice/uid61003", "memory.max", "268435456" },
		{ R "/sluice/uid61003", "memory.swap.max", "0" },
	};

	f->cs.pids = false;
	expect_plan(f, UID, w, N(w));
}

static void
cgroup_plan__v2_no_controllers__directories_only(void **state)
{
	struct fixture *f = *state;
	/* Nothing to delegate, nothing to limit; the slot still gets its
	   cgroup, for CPU time and removal. */
	static const struct want w[] = {
		{ R "/sluice", NULL, NULL },
		{ R "/sluice/uid61003", NULL, NULL },
	};

	f->cs.memory = false;
	f->cs.pids = false;
	f->cs.cpu = false;
	expect_plan(f, UID, w, N(w));
}

static void
cgroup_plan__v2_custom_parent__used(void **state)
{
	struct fixture *f = *state;
	static const struct want w[] = {
		{ R "/sluice-b", NULL, NULL },
		{ R, "cgroup.subtree_control", "+memory +pids" },
		{ R "/sluice-b", "cgroup.subtree_control", "+memory +pids" },
		{ R "/sluice-b/uid70001", NULL, NULL },
		{ R "/sluice-b/uid70001", "memory.max", "268435456" },
		{ R "/sluice-b/uid70001", "memory.swap.max", "0" },
		{ R "/sluice-b/uid70001", "pids.max", "33" },
	};
	static const char *const dirs[] = { R "/sluice-b/uid70001" };

	snprintf(f->cs.parent, sizeof(f->cs.parent), "sluice-b");
	expect_plan(f, 70001, w, N(w));
	expect_dirs(f, 70001, dirs, N(dirs));
}

static void
cgroup_plan__zero_limits__written_as_given(void **state)
{
	struct fixture *f = *state;
	/* plan.c resolves every limit to a positive value before this; the
	   cgroup plan adds init's task and invents nothing else. */
	static const struct want w2[] = {
		{ R "/sluice", NULL, NULL },
		{ R, "cgroup.subtree_control", "+memory +pids" },
		{ R "/sluice", "cgroup.subtree_control", "+memory +pids" },
		{ R "/sluice/uid61003", NULL, NULL },
		{ R "/sluice/uid61003", "memory.max", "0" },
		{ R "/sluice/uid61003", "memory.swap.max", "0" },
		{ R "/sluice/uid61003", "pids.max", "1" },
	};
	static const struct want w1[] = {
		{ R "/memory/sluice", NULL, NULL },
		{ R "/pids/sluice", NULL, NULL },
		{ R "/cpuacct/sluice", NULL, NULL },
		{ R "/memory/sluice/uid61003", NULL, NULL },
		{ R "/memory/sluice/uid61003", "memory.limit_in_bytes", "0" },
		{ R "/memory/sluice/uid61003", "memory.memsw.limit_in_bytes",
		    "0" },
		{ R "/pids/sluice/uid61003", NULL, NULL },
		{ R "/pids/sluice/uid61003", "pids.max", "1" },
		{ R "/cpuacct/sluice/uid61003", NULL, NULL },
	};

	memset(&f->l, 0, sizeof(f->l));
	expect_plan(f, UID, w2, N(w2));
	use_v1(f, true);
	expect_plan(f, UID, w1, N(w1));
}

static void
cgroup_plan__slots__differ_only_by_uid(void **state)
{
	struct fixture *f = *state;
	struct cgroup_step a[CGROUP_PLAN_MAX], b[CGROUP_PLAN_MAX];
	size_t na, nb, i;

	use_v1(f, true);
	na = cgroup_plan(&f->cs, 61000, &f->l, a);
	nb = cgroup_plan(&f->cs, 61001, &f->l, b);
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++) {
		if (strstr(a[i].dir, "/uid61000") != NULL)
			assert_non_null(strstr(b[i].dir, "/uid61001"));
		else
			assert_string_equal(a[i].dir, b[i].dir);
		assert_string_equal(a[i].value, b[i].value);
	}
}

static void
cgroup_plan__v1__one_hierarchy_per_controller(void **state)
{
	struct fixture *f = *state;
	/* Parents first, then each slot with its own limits; with swap
	   accounting, memory+swap is held to the same figure, after it. */
	static const struct want w[] = {
		{ R "/memory/sluice", NULL, NULL },
		{ R "/pids/sluice", NULL, NULL },
		{ R "/cpuacct/sluice", NULL, NULL },
		{ R "/memory/sluice/uid61003", NULL, NULL },
		{ R "/memory/sluice/uid61003", "memory.limit_in_bytes",
		    "52428800" },
		{ R "/memory/sluice/uid61003", "memory.memsw.limit_in_bytes",
		    "52428800" },
		{ R "/pids/sluice/uid61003", NULL, NULL },
		{ R "/pids/sluice/uid61003", "pids.max", "10" },
		{ R "/cpuacct/sluice/uid61003", NULL, NULL },
	};
	static const char *const dirs[] = { R "/memory/sluice/uid61003",
		R "/pids/sluice/uid61003", R "/cpuacct/sluice/uid61003" };

	use_v1(f, true);
	f->l.memory_bytes = 52428800;
	f->l.processes = 9;
	expect_plan(f, UID, w, N(w));
	expect_dirs(f, UID, dirs, N(dirs));
}

static void
cgroup_plan__v1_without_memsw__memory_limit_only(void **state)
{
	struct fixture *f = *state;
	static const struct want w[] = {
		{ R "/memory/sluice", NULL, NULL },
		{ R "/pids/sluice", NULL, NULL },
		{ R "/cpuacct/sluice", NULL, NULL },
		{ R "/memory/sluice/uid61003", NULL, NULL },
		{ R "/memory/sluice/uid61003", "memory.limit_in_bytes",
		    "268435456" },
		{ R "/pids/sluice/uid61003", NULL, NULL },
		{ R "/pids/sluice/uid61003", "pids.max", "33" },
		{ R "/cpuacct/sluice/uid61003", NULL, NULL },
	};

	static const struct want no_memory[] = {
		{ R "/pids/sluice", NULL, NULL },
		{ R "/cpuacct/sluice", NULL, NULL },
		{ R "/pids/sluice/uid61003", NULL, NULL },
		{ R "/pids/sluice/uid61003", "pids.max", "33" },
		{ R "/cpuacct/sluice/uid61003", NULL, NULL },
	};

	use_v1(f, false);
	expect_plan(f, UID, w, N(w));
	/* memsw without the memory controller means nothing. */
	f->cs.memsw = true;
	f->cs.memory = false;
	expect_plan(f, UID, no_memory, N(no_memory));
}

static void
cgroup_plan__v1_missing_controllers__their_hierarchies_skipped(void **state)
{
	struct fixture *f = *state;
	static const struct want no_pids[] = {
		{ R "/memory/sluice", NULL, NULL },
		{ R "/cpuacct/sluice", NULL, NULL },
		{ R "/memory/sluice/uid61003", NULL, NULL },
		{ R "/memory/sluice/uid61003", "memory.limit_in_bytes",
		    "268435456" },
		{ R "/cpuacct/sluice/uid61003", NULL, NULL },
	};
	static const struct want pids_only[] = {
		{ R "/pids/sluice", NULL, NULL },
		{ R "/pids/sluice/uid61003", NULL, NULL },
		{ R "/pids/sluice/uid61003", "pids.max", "33" },
	};
	static const char *const dirs[] = { R "/memory/sluice/uid61003",
		R "/cpuacct/sluice/uid61003" };
	static const char *const pids_dir[] = { R "/pids/sluice/uid61003" };

	use_v1(f, false);
	f->cs.pids = false;
	expect_plan(f, UID, no_pids, N(no_pids));
	expect_dirs(f, UID, dirs, N(dirs));
	f->cs.pids = true;
	f->cs.memory = false;
	f->cs.cpu = false;
	expect_plan(f, UID, pids_only, N(pids_only));
	expect_dirs(f, UID, pids_dir, N(pids_dir));
}

static void
cgroup_plan__none__nothing(void **state)
{
	struct fixture *f = *state;

	f->cs.version = CGROUP_NONE;
	expect_plan(f, UID, NULL, 0);
	expect_dirs(f, UID, NULL, 0);
}

static void
cgroup_slot_dirs__v2__one_even_without_controllers(void **state)
{
	struct fixture *f = *state;
	static const char *const dirs[] = { R "/sluice/uid61003" };

	expect_dirs(f, UID, dirs, N(dirs));
	f->cs.memory = false;
	f->cs.pids = false;
	f->cs.cpu = false;
	expect_dirs(f, UID, dirs, N(dirs));
}

static void
cgroup_attach__v2__writes_pid(void **state)
{
	struct fixture *f = *state;
	struct error e;

	make_slot(f, UID);
	put(f, "sluice/uid61003/cgroup.procs", "");
	error_init(&e);
	assert_int_equal(cgroup_attach(&f->cs, UID, 12345, &e), 0);
	expect_file(f, "sluice/uid61003/cgroup.procs", "12345");
	put(f, "sluice/uid61003/cgroup.procs", "");
	assert_int_equal(cgroup_enter_self(&f->cs, UID, &e), 0);
	expect_file(f, "sluice/uid61003/cgroup.procs", "0");
	assert_false(exists(f, "sluice/uid61003/tasks"));
}

static void
cgroup_attach__v1__every_hierarchy_self_by_thread(void **state)
{
	struct fixture *f = *state;
	static const char *const h[] = { "memory", "pids", "cpuacct" };
	char rel[64];
	struct error e;
	int i;

	use_v1(f, false);
	make_slot(f, UID);
	for (i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "%s/sluice/uid61003/cgroup.procs",
		    h[i]);
		put(f, rel, "");
		snprintf(rel, sizeof(rel), "%s/sluice/uid61003/tasks", h[i]);
		put(f, rel, "");
	}
	error_init(&e);
	assert_int_equal(cgroup_attach(&f->cs, UID, 2468, &e), 0);
	/* The caller moves only its own thread: "tasks", not cgroup.procs. */
	assert_int_equal(cgroup_enter_self(&f->cs, UID, &e), 0);
	for (i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "%s/sluice/uid61003/cgroup.procs",
		    h[i]);
		expect_file(f, rel, "2468");
		snprintf(rel, sizeof(rel), "%s/sluice/uid61003/tasks", h[i]);
		expect_file(f, rel, "0");
	}
}

static void
cgroup_attach__missing_cgroup__fails(void **state)
{
	struct fixture *f = *state;
	struct error e;

	error_init(&e);
	assert_int_equal(cgroup_attach(&f->cs, UID, 1, &e), -1);
	assert_int_equal(e.code, ERR_SYS);
	assert_false(exists(f, "sluice"));
}

static void
cgroup_open_dir__v2_only(void **state)
{
	struct fixture *f = *state;
	struct error e;
	int fd;

	make_slot(f, UID);
	error_init(&e);
	fd = cgroup_open_dir(&f->cs, UID, &e);
	assert_true(fd >= 0);
	close(fd);
	use_v1(f, false);
	assert_int_equal(cgroup_open_dir(&f->cs, UID, &e), -1);
	assert_int_equal(e.code, ERR_INTERNAL);
}

static void
cgroup_destroy__not_a_cgroup_filesystem__refused(void **state)
{
	struct fixture *f = *state;
	struct error e;

	/* A plain directory whose cgroup.procs names a victim: root must
	   neither kill through it nor remove it. */
	make_slot(f, UID);
	put(f, "sluice/uid61003/cgroup.procs", "1\n");
	error_init(&e);
	assert_int_equal(cgroup_destroy(&f->cs, UID, &e), -1);
	assert_int_equal(e.code, ERR_SYS);
	assert_non_null(strstr(e.msg, "not a cgroup directory"));
	assert_true(exists(f, "sluice/uid61003/cgroup.procs"));
	/* And prepare stops there, before writing anything. */
	error_init(&e);
	assert_int_equal(cgroup_prepare(&f->cs, UID, &f->l, &e), -1);
	assert_false(exists(f, "sluice/uid61003/memory.max"));
	assert_false(exists(f, "cgroup.subtree_control"));
}

static void
cgroup_destroy__nothing_there__not_an_error(void **state)
{
	struct fixture *f = *state;
	struct error e;

	error_init(&e);
	assert_int_equal(cgroup_destroy(&f->cs, UID, &e), 0);
	use_v1(f, true);
	assert_int_equal(cgroup_destroy(&f->cs, UID, &e), 0);
	mkdir_p(at(f, "memory/sluice"));
	assert_int_equal(cgroup_destroy(&f->cs, UID, &e), 0);
}

static void
cgroup_cpu_ns__v2__parses_usage_usec(void **state)
{
	struct fixture *f = *state;
	uint64_t ns = 0;

	make_slot(f, UID);
	put(f, "sluice/uid61003/cpu.stat",
	    "usage_usecs_bogus 1\nuser_usec 1000000\nusage_usec 1234567\n"
	    "system_usec 234567\nnr_periods 0\n");
	assert_int_equal(cgroup_cpu_ns(&f->cs, UID, &ns), 0);
	assert_int_equal(ns, UINT64_C(1234567000));
}

static void
cgroup_cpu_ns__v2__missing_or_garbled__fails(void **state)
{
	struct fixture *f = *state;
	uint64_t ns = 99;

	make_slot(f, UID);
	assert_int_equal(cgroup_cpu_ns(&f->cs, UID, &ns), -1);
	put(f, "sluice/uid61003/cpu.stat", "user_usec 5\nsystem_usec 6\n");
	assert_int_equal(cgroup_cpu_ns(&f->cs, UID, &ns), -1);
	put(f, "sluice/uid61003/cpu.stat", "usage_usec -5\n");
	assert_int_equal(cgroup_cpu_ns(&f->cs, UID, &ns), -1);
	assert_int_equal(ns, 99);
}

static void
cgroup_stats__v2__peak_and_oom_kill(void **state)
{
	struct fixture *f = *state;
	struct cgroup_stats st;
	struct error e;

	make_slot(f, UID);
	put(f, "sluice/uid61003/cpu.stat",
	    "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
	put(f, "sluice/uid61003/memory.peak", "104857600\n");
	put(f, "sluice/uid61003/memory.events",
	    "low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\noom_group_kill 0\n");
	error_init(&e);
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), 0);
	assert_int_equal(st.cpu_ns, UINT64_C(2500000000));
	assert_int_equal(st.memory_peak_bytes, 104857600);
	assert_int_equal(st.oom_kills, 1);
}

static void
cgroup_stats__v2_without_memory_peak__peak_zero(void **state)
{
	struct fixture *f = *state;
	struct cgroup_stats st;
	struct error e;

	/* Kernels before 5.19 have no memory.peak. */
	make_slot(f, UID);
	put(f, "sluice/uid61003/cpu.stat", "usage_usec 10\n");
	put(f, "sluice/uid61003/memory.events",
	    "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
	memset(&st, 0xff, sizeof(st));
	error_init(&e);
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), 0);
	assert_int_equal(st.cpu_ns, 10000);
	assert_int_equal(st.memory_peak_bytes, 0);
	assert_int_equal(st.oom_kills, 0);
}

static void
cgroup_stats__v2_without_memory_events__fails(void **state)
{
	struct fixture *f = *state;
	struct cgroup_stats st;
	struct error e;

	make_slot(f, UID);
	put(f, "sluice/uid61003/cpu.stat", "usage_usec 10\n");
	put(f, "sluice/uid61003/memory.peak", "4096\n");
	error_init(&e);
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), -1);
	assert_int_equal(e.code, ERR_SYS);
}

static void
cgroup_stats__v2_without_cpu_stat__fails(void **state)
{
	struct fixture *f = *state;
	struct cgroup_stats st;
	struct error e;

	make_slot(f, UID);
	put(f, "sluice/uid61003/memory.events", "oom_kill 0\n");
	error_init(&e);
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), -1);
	assert_int_equal(e.code, ERR_SYS);
}

static void
cgroup_stats__v2_without_memory_controller__cpu_only(void **state)
{
	struct fixture *f = *state;
	struct cgroup_stats st;
	struct error e;

	f->cs.memory = false;
	make_slot(f, UID);
	put(f, "sluice/uid61003/cpu.stat", "usage_usec 3\n");
	error_init(&e);
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), 0);
	assert_int_equal(st.cpu_ns, 3000);
	assert_int_equal(st.memory_peak_bytes, 0);
	assert_int_equal(st.oom_kills, 0);
}

static void
cgroup_cpu_ns__v1__parses_cpuacct_usage(void **state)
{
	struct fixture *f = *state;
	uint64_t ns = 0;

	use_v1(f, false);
	make_slot(f, UID);
	put(f, "cpuacct/sluice/uid61003/cpuacct.usage", "987654321\n");
	assert_int_equal(cgroup_cpu_ns(&f->cs, UID, &ns), 0);
	assert_int_equal(ns, 987654321);
	put(f, "cpuacct/sluice/uid61003/cpuacct.usage", "12x\n");
	assert_int_equal(cgroup_cpu_ns(&f->cs, UID, &ns), -1);
}

static void
cgroup_cpu_ns__v1_without_cpuacct__fails(void **state)
{
	struct fixture *f = *state;
	uint64_t ns = 5;

	use_v1(f, false);
	f->cs.cpu = false;
	make_slot(f, UID);
	assert_false(exists(f, "cpuacct/sluice"));
	assert_int_equal(cgroup_cpu_ns(&f->cs, UID, &ns), -1);
	assert_int_equal(ns, 5);
}

static void
cgroup_stats__v1__peak_and_oom_kill(void **state)
{
	struct fixture *f = *state;
	struct cgroup_stats st;
	struct error e;

	use_v1(f, true);
	make_slot(f, UID);
	put(f, "cpuacct/sluice/uid61003/cpuacct.usage", "1500000000\n");
	put(f, "memory/sluice/uid61003/memory.max_usage_in_bytes",
	    "73400320\n");
	/* oom_kill_disable comes first and must not be mistaken for it. */
	put(f, "memory/sluice/uid61003/memory.oom_control",
	    "oom_kill_disable 1\nunder_oom 0\noom_kill 2\n");
	error_init(&e);
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), 0);
	assert_int_equal(st.cpu_ns, UINT64_C(1500000000));
	assert_int_equal(st.memory_peak_bytes, 73400320);
	assert_int_equal(st.oom_kills, 2);
}

static void
cgroup_stats__v1_old_kernel_oom_control__fails(void **state)
{
	struct fixture *f = *state;
	struct cgroup_stats st;
	struct error e;

	/* Before Linux 4.13 memory.oom_control has no oom_kill line. */
	use_v1(f, false);
	make_slot(f, UID);
	put(f, "cpuacct/sluice/uid61003/cpuacct.usage", "1\n");
	put(f, "memory/sluice/uid61003/memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\n");
	error_init(&e);
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), -1);
	assert_int_equal(e.code, ERR_SYS);
}

static void
cgroup_none__every_call__a_harmless_no_op(void **state)
{
	struct fixture *f = *state;
	struct cgroup_stats st;
	struct error e;
	uint64_t ns = 7;

	f->cs.version = CGROUP_NONE;
	error_init(&e);
	assert_int_equal(cgroup_prepare(&f->cs, UID, &f->l, &e), 0);
	assert_false(exists(f, "sluice"));
	assert_int_equal(cgroup_attach(&f->cs, UID, 1, &e), 0);
	assert_int_equal(cgroup_enter_self(&f->cs, UID, &e), 0);
	assert_false(exists(f, "sluice"));
	assert_int_equal(cgroup_cpu_ns(&f->cs, UID, &ns), -1);
	assert_int_equal(ns, 7);
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), 0);
	assert_int_equal(st.cpu_ns, 0);
	assert_int_equal(st.memory_peak_bytes, 0);
	assert_int_equal(st.oom_kills, 0);
	assert_int_equal(cgroup_destroy(&f->cs, UID, &e), 0);
	assert_int_equal(cgroup_open_dir(&f->cs, UID, &e), -1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(cgroup_version_name__each__named),
		T(cgroup_detect__plain_directory__no_cgroup),
		T(cgroup_plan__v2__delegates_then_writes_limits),
		T(cgroup_plan__v2_pids_only__no_memory_files),
		T(cgroup_plan__v2_memory_only__no_pids_file),
		T(cgroup_plan__v2_no_controllers__directories_only),
		T(cgroup_plan__v2_custom_parent__used),
		T(cgroup_plan__zero_limits__written_as_given),
		T(cgroup_plan__slots__differ_only_by_uid),
		T(cgroup_plan__v1__one_hierarchy_per_controller),
		T(cgroup_plan__v1_without_memsw__memory_limit_only),
		T(cgroup_plan__v1_missing_controllers__their_hierarchies_skipped),
		T(cgroup_plan__none__nothing),
		T(cgroup_slot_dirs__v2__one_even_without_controllers),
		T(cgroup_attach__v2__writes_pid),
		T(cgroup_attach__v1__every_hierarchy_self_by_thread),
		T(cgroup_attach__missing_cgroup__fails),
		T(cgroup_open_dir__v2_only),
		T(cgroup_destroy__not_a_cgroup_filesystem__refused),
		T(cgroup_destroy__nothing_there__not_an_error),
		T(cgroup_cpu_ns__v2__parses_usage_usec),
		T(cgroup_cpu_ns__v2__missing_or_garbled__fails),
		T(cgroup_stats__v2__peak_and_oom_kill),
		T(cgroup_stats__v2_without_memory_peak__peak_zero),
		T(cgroup_stats__v2_without_memory_events__fails),
		T(cgroup_stats__v2_without_cpu_stat__fails),
		T(cgroup_stats__v2_without_memory_controller__cpu_only),
		T(cgroup_cpu_ns__v1__parses_cpuacct_usage),
		T(cgroup_cpu_ns__v1_without_cpuacct__fails),
		T(cgroup_stats__v1__peak_and_oom_kill),
		T(cgroup_stats__v1_old_kernel_oom_control__fails),
		T(cgroup_none__every_call__a_harmless_no_op),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
