/*
 * Unit tests for agent/cgroup.c against a fake cgroupfs: plain files in a
 * temporary directory (fake_fs).  This is the only place the cgroup v2 code
 * runs on a v1 machine, so both layouts are covered file by file.
 */
#include "config.h"

#include <errno.h>
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

/* A fake cgroupfs and the layout a test describes on it. */
struct fixture {
	char root[256];
	struct cgroup_sys cs;
	struct limits l;
};

/* Make the fake root and a v2 layout with every controller. */
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
	f->cs.fake_fs = true;
	f->l = (struct limits){ 5.0, 10.0, 268435456, 32, 1048576, 67108864,
		64 };
	*state = f;
	return 0;
}

/* Switch the fixture to a v1 layout (one hierarchy per controller). */
static void
use_v1(struct fixture *f, bool memsw)
{
	static const char *ctl[] = { "memory", "pids", "cpuacct", NULL };
	char path[512];
	int i;

	for (i = 0; ctl[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->root, ctl[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	f->cs.version = CGROUP_V1;
	f->cs.memsw = memsw;
}

/* Remove the fake root and everything in it. */
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

/* cgroup_prepare() for UID, which must succeed. */
static void
prepare(struct fixture *f, uid_t uid)
{
	struct error e;

	error_init(&e);
	if (cgroup_prepare(&f->cs, uid, &f->l, &e) != 0)
		fail_msg("cgroup_prepare: %s", e.msg);
}

static void
cgroup_version_name__each__named(void **state)
{
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
	assert_false(cs.fake_fs);
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
cgroup_prepare__v2__writes_limits(void **state)
{
	struct fixture *f = *state;

	f->l.memory_bytes = 104857600;
	f->l.processes = 17;
	prepare(f, UID);
	assert_true(exists(f, "sluice/uid61003"));
	expect_file(f, "sluice/uid61003/memory.max", "104857600");
	expect_file(f, "sluice/uid61003/memory.swap.max", "0");
	/* One more than the job may have: the sandbox's init counts too. */
	expect_file(f, "sluice/uid61003/pids.max", "18");
	/* Nothing of v1 on a v2 layout. */
	assert_false(exists(f, "sluice/uid61003/memory.limit_in_bytes"));
	assert_false(exists(f, "memory"));
}

static void
cgroup_prepare__v2__delegates_memory_and_pids(void **state)
{
	struct fixture *f = *state;

	prepare(f, UID);
	/* Every ancestor passes the controllers on to the slot. */
	expect_file(f, "cgroup.subtree_control", "+memory +pids");
	expect_file(f, "sluice/cgroup.subtree_control", "+memory +pids");
	assert_false(exists(f, "sluice/uid61003/cgroup.subtree_control"));
}

static void
cgroup_prepare__v2_pids_only__no_memory_files(void **state)
{
	struct fixture *f = *state;

	f->cs.memory = false;
	prepare(f, UID);
	expect_file(f, "cgroup.subtree_control", "+pids");
	expect_file(f, "sluice/cgroup.subtree_control", "+pids");
	expect_file(f, "sluice/uid61003/pids.max", "33");
	assert_false(exists(f, "sluice/uid61003/memory.max"));
	assert_false(exists(f, "sluice/uid61003/memory.swap.max"));
}

static void
cgroup_prepare__v2_memory_only__no_pids_file(void **state)
{
	struct fixture *f = *state;

	f->cs.pids = false;
	prepare(f, UID);
	expect_file(f, "cgroup.subtree_control", "+memory");
	expect_file(f, "sluice/uid61003/memory.max", "268435456");
	assert_false(exists(f, "sluice/uid61003/pids.max"));
}

static void
cgroup_prepare__v2_no_controllers__directory_only(void **state)
{
	struct fixture *f = *state;

	f->cs.memory = false;
	f->cs.pids = false;
	prepare(f, UID);
	assert_true(exists(f, "sluice/uid61003"));
	assert_false(exists(f, "cgroup.subtree_control"));
	assert_false(exists(f, "sluice/cgroup.subtree_control"));
	assert_false(exists(f, "sluice/uid61003/memory.max"));
	assert_false(exists(f, "sluice/uid61003/pids.max"));
}

static void
cgroup_prepare__v2__stale_cgroup_replaced(void **state)
{
	struct fixture *f = *state;
	struct error e;

	/* What a crashed predecessor left behind. */
	assert_int_equal(mkdir(at(f, "sluice"), 0755), 0);
	assert_int_equal(mkdir(at(f, "sluice/uid61003"), 0755), 0);
	put(f, "sluice/uid61003/memory.max", "1");
	put(f, "sluice/uid61003/cgroup.procs", "4242\n");
	put(f, "sluice/uid61003/junk", "x");
	prepare(f, UID);
	expect_file(f, "sluice/uid61003/memory.max", "268435456");
	assert_false(exists(f, "sluice/uid61003/cgroup.procs"));
	assert_false(exists(f, "sluice/uid61003/junk"));
	/* Preparing again is just as good. */
	error_init(&e);
	assert_int_equal(cgroup_attach(&f->cs, UID, 777, &e), 0);
	prepare(f, UID);
	assert_false(exists(f, "sluice/uid61003/cgroup.procs"));
	expect_file(f, "sluice/uid61003/pids.max", "33");
}

static void
cgroup_prepare__v2_custom_parent__used(void **state)
{
	struct fixture *f = *state;

	snprintf(f->cs.parent, sizeof(f->cs.parent), "sluice-b");
	prepare(f, 70001);
	expect_file(f, "sluice-b/uid70001/memory.max", "268435456");
	expect_file(f, "sluice-b/cgroup.subtree_control", "+memory +pids");
	assert_false(exists(f, "sluice"));
	assert_true(cgroup_exists(&f->cs, 70001));
}

static void
cgroup_prepare__v2__slots_are_separate(void **state)
{
	struct fixture *f = *state;
	struct error e;

	prepare(f, 61000);
	f->l.memory_bytes = 1048576;
	prepare(f, 61001);
	expect_file(f, "sluice/uid61000/memory.max", "268435456");
	expect_file(f, "sluice/uid61001/memory.max", "1048576");
	error_init(&e);
	assert_int_equal(cgroup_destroy(&f->cs, 61000, &e), 0);
	assert_false(cgroup_exists(&f->cs, 61000));
	assert_true(cgroup_exists(&f->cs, 61001));
	expect_file(f, "sluice/uid61001/memory.max", "1048576");
}

static void
cgroup_attach__v2__writes_pid(void **state)
{
	struct fixture *f = *state;
	struct error e;

	prepare(f, UID);
	error_init(&e);
	assert_int_equal(cgroup_attach(&f->cs, UID, 12345, &e), 0);
	expect_file(f, "sluice/uid61003/cgroup.procs", "12345");
	assert_false(exists(f, "sluice/cgroup.procs"));
}

static void
cgroup_cpu_ns__v2__parses_usage_usec(void **state)
{
	struct fixture *f = *state;
	uint64_t ns = 0;

	prepare(f, UID);
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

	prepare(f, UID);
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

	prepare(f, UID);
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
	prepare(f, UID);
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

	prepare(f, UID);
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

	prepare(f, UID);
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
	prepare(f, UID);
	put(f, "sluice/uid61003/cpu.stat", "usage_usec 3\n");
	error_init(&e);
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), 0);
	assert_int_equal(st.cpu_ns, 3000);
	assert_int_equal(st.memory_peak_bytes, 0);
	assert_int_equal(st.oom_kills, 0);
}

static void
cgroup_destroy__v2__removes_directory(void **state)
{
	struct fixture *f = *state;
	struct error e;

	prepare(f, UID);
	error_init(&e);
	assert_int_equal(cgroup_attach(&f->cs, UID, 4321, &e), 0);
	put(f, "sluice/uid61003/cpu.stat", "usage_usec 1\n");
	assert_true(cgroup_exists(&f->cs, UID));
	assert_int_equal(cgroup_destroy(&f->cs, UID, &e), 0);
	assert_false(exists(f, "sluice/uid61003"));
	assert_false(cgroup_exists(&f->cs, UID));
	/* The parent stays for the other slots. */
	assert_true(exists(f, "sluice"));
	/* Destroying what is gone is not an error. */
	assert_int_equal(cgroup_destroy(&f->cs, UID, &e), 0);
}

static void
cgroup_exists__v2__only_after_prepare(void **state)
{
	struct fixture *f = *state;

	assert_false(cgroup_exists(&f->cs, UID));
	prepare(f, UID);
	assert_true(cgroup_exists(&f->cs, UID));
	assert_false(cgroup_exists(&f->cs, UID + 1));
}

static void
cgroup_prepare__v1__writes_limits(void **state)
{
	struct fixture *f = *state;

	use_v1(f, true);
	f->l.memory_bytes = 52428800;
	f->l.processes = 9;
	prepare(f, UID);
	expect_file(f, "memory/sluice/uid61003/memory.limit_in_bytes",
	    "52428800");
	/* With swap accounting, memory+swap is held to the same figure. */
	expect_file(f, "memory/sluice/uid61003/memory.memsw.limit_in_bytes",
	    "52428800");
	expect_file(f, "pids/sluice/uid61003/pids.max", "10");
	assert_true(exists(f, "cpuacct/sluice/uid61003"));
	/* Nothing of v2 on a v1 layout. */
	assert_false(exists(f, "sluice"));
	assert_false(exists(f, "cgroup.subtree_control"));
	assert_false(exists(f, "memory/sluice/uid61003/memory.max"));
	assert_false(exists(f, "memory/sluice/uid61003/pids.max"));
	assert_false(exists(f, "pids/sluice/uid61003/memory.limit_in_bytes"));
}

static void
cgroup_prepare__v1_without_memsw__memory_only(void **state)
{
	struct fixture *f = *state;

	use_v1(f, false);
	prepare(f, UID);
	expect_file(f, "memory/sluice/uid61003/memory.limit_in_bytes",
	    "268435456");
	assert_false(
	    exists(f, "memory/sluice/uid61003/memory.memsw.limit_in_bytes"));
}

static void
cgroup_prepare__v1_without_pids__no_pids_cgroup(void **state)
{
	struct fixture *f = *state;
	struct error e;

	use_v1(f, false);
	f->cs.pids = false;
	prepare(f, UID);
	assert_false(exists(f, "pids/sluice"));
	assert_true(exists(f, "memory/sluice/uid61003"));
	error_init(&e);
	assert_int_equal(cgroup_attach(&f->cs, UID, 99, &e), 0);
	assert_false(exists(f, "pids/sluice/uid61003/cgroup.procs"));
	expect_file(f, "memory/sluice/uid61003/cgroup.procs", "99");
}

static void
cgroup_prepare__v1__stale_cgroup_replaced(void **state)
{
	struct fixture *f = *state;

	use_v1(f, false);
	assert_int_equal(mkdir(at(f, "pids/sluice"), 0755), 0);
	assert_int_equal(mkdir(at(f, "pids/sluice/uid61003"), 0755), 0);
	put(f, "pids/sluice/uid61003/pids.max", "1");
	put(f, "pids/sluice/uid61003/cgroup.procs", "4242\n");
	prepare(f, UID);
	expect_file(f, "pids/sluice/uid61003/pids.max", "33");
	assert_false(exists(f, "pids/sluice/uid61003/cgroup.procs"));
}

static void
cgroup_attach__v1__writes_pid_everywhere(void **state)
{
	struct fixture *f = *state;
	struct error e;

	use_v1(f, true);
	prepare(f, UID);
	error_init(&e);
	assert_int_equal(cgroup_attach(&f->cs, UID, 2468, &e), 0);
	expect_file(f, "memory/sluice/uid61003/cgroup.procs", "2468");
	expect_file(f, "pids/sluice/uid61003/cgroup.procs", "2468");
	expect_file(f, "cpuacct/sluice/uid61003/cgroup.procs", "2468");
}

static void
cgroup_cpu_ns__v1__parses_cpuacct_usage(void **state)
{
	struct fixture *f = *state;
	uint64_t ns = 0;

	use_v1(f, false);
	prepare(f, UID);
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
	prepare(f, UID);
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
	prepare(f, UID);
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
	prepare(f, UID);
	put(f, "cpuacct/sluice/uid61003/cpuacct.usage", "1\n");
	put(f, "memory/sluice/uid61003/memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\n");
	error_init(&e);
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), -1);
	assert_int_equal(e.code, ERR_SYS);
}

static void
cgroup_destroy__v1__removes_every_hierarchy(void **state)
{
	struct fixture *f = *state;
	struct error e;

	use_v1(f, true);
	prepare(f, UID);
	error_init(&e);
	assert_int_equal(cgroup_attach(&f->cs, UID, 1357, &e), 0);
	put(f, "cpuacct/sluice/uid61003/cpuacct.usage", "1\n");
	assert_true(cgroup_exists(&f->cs, UID));
	assert_int_equal(cgroup_destroy(&f->cs, UID, &e), 0);
	assert_false(exists(f, "memory/sluice/uid61003"));
	assert_false(exists(f, "pids/sluice/uid61003"));
	assert_false(exists(f, "cpuacct/sluice/uid61003"));
	assert_false(cgroup_exists(&f->cs, UID));
	assert_true(exists(f, "memory/sluice"));
}

static void
cgroup_exists__v1__any_hierarchy_counts(void **state)
{
	struct fixture *f = *state;

	use_v1(f, false);
	assert_false(cgroup_exists(&f->cs, UID));
	/* A leftover in one hierarchy alone is still a cgroup that exists. */
	assert_int_equal(mkdir(at(f, "cpuacct/sluice"), 0755), 0);
	assert_int_equal(mkdir(at(f, "cpuacct/sluice/uid61003"), 0755), 0);
	assert_true(cgroup_exists(&f->cs, UID));
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
	assert_false(cgroup_exists(&f->cs, UID));
	assert_int_equal(cgroup_attach(&f->cs, UID, 1, &e), 0);
	assert_false(exists(f, "sluice"));
	assert_int_equal(cgroup_cpu_ns(&f->cs, UID, &ns), -1);
	assert_int_equal(ns, 7);
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(cgroup_stats(&f->cs, UID, &st, &e), 0);
	assert_int_equal(st.cpu_ns, 0);
	assert_int_equal(st.memory_peak_bytes, 0);
	assert_int_equal(st.oom_kills, 0);
	assert_int_equal(cgroup_destroy(&f->cs, UID, &e), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(cgroup_version_name__each__named),
		T(cgroup_detect__plain_directory__no_cgroup),
		T(cgroup_prepare__v2__writes_limits),
		T(cgroup_prepare__v2__delegates_memory_and_pids),
		T(cgroup_prepare__v2_pids_only__no_memory_files),
		T(cgroup_prepare__v2_memory_only__no_pids_file),
		T(cgroup_prepare__v2_no_controllers__directory_only),
		T(cgroup_prepare__v2__stale_cgroup_replaced),
		T(cgroup_prepare__v2_custom_parent__used),
		T(cgroup_prepare__v2__slots_are_separate),
		T(cgroup_attach__v2__writes_pid),
		T(cgroup_cpu_ns__v2__parses_usage_usec),
		T(cgroup_cpu_ns__v2__missing_or_garbled__fails),
		T(cgroup_stats__v2__peak_and_oom_kill),
		T(cgroup_stats__v2_without_memory_peak__peak_zero),
		T(cgroup_stats__v2_without_memory_events__fails),
		T(cgroup_stats__v2_without_cpu_stat__fails),
		T(cgroup_stats__v2_without_memory_controller__cpu_only),
		T(cgroup_destroy__v2__removes_directory),
		T(cgroup_exists__v2__only_after_prepare),
		T(cgroup_prepare__v1__writes_limits),
		T(cgroup_prepare__v1_without_memsw__memory_only),
		T(cgroup_prepare__v1_without_pids__no_pids_cgroup),
		T(cgroup_prepare__v1__stale_cgroup_replaced),
		T(cgroup_attach__v1__writes_pid_everywhere),
		T(cgroup_cpu_ns__v1__parses_cpuacct_usage),
		T(cgroup_cpu_ns__v1_without_cpuacct__fails),
		T(cgroup_stats__v1__peak_and_oom_kill),
		T(cgroup_stats__v1_old_kernel_oom_control__fails),
		T(cgroup_destroy__v1__removes_every_hierarchy),
		T(cgroup_exists__v1__any_hierarchy_counts),
		T(cgroup_none__every_call__a_harmless_no_op),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
