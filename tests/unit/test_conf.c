/* Unit tests for agent/conf.c: loading and checking agent.conf. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "error.h"
#include "limit.h"

/* The example of INTERFACES.md, section 4, as it is written there. */
static const char example[] =
    "base_dir = \"/var/lib/sluice\";          # jobs live in "
    "base_dir/jobs/<name>/\n"
    "slots    = 4;                          # sandboxes at once on this "
    "node\n"
    "uid_base = 61000;  gid_base = 61000;   # slot i runs as uid_base+i / "
    "gid_base+i\n"
    "defaults = { cpu_seconds = 5.0; wall_seconds = 10.0; memory_bytes = "
    "268435456L;\n"
    "             processes = 32; output_bytes = 1048576L; disk_bytes = "
    "67108864L; open_files = 64; };\n"
    "ceilings = { cpu_seconds = 60.0; wall_seconds = 120.0; memory_bytes = "
    "2147483648L;\n"
    "             processes = 128; output_bytes = 16777216L; disk_bytes = "
    "1073741824L; open_files = 256; };\n"
    "runtimes = (\n"
    "  { name = \"python3\";\n"
    "    command = [ \"/usr/bin/python3\", \"-B\", \"-s\", \"{entry}\" ];  "
    "# {entry} = the manifest's entry\n"
    "    binds = [ \"/usr\", \"/lib\", \"/lib64\", \"/bin\", "
    "\"/etc/python3.11\" ]; } # read-only; a path that is a\n"
    ");                                                               # "
    "symlink on the node stays that symlink\n";

/* Pieces of a valid config; tests swap one for a broken variant. */
#define SCALARS \
	"base_dir = \"/var/lib/sluice\";\nslots = 4;\nuid_base = 61000;\n" \
	"gid_base = 62000;\n"
#define DEFAULTS \
	"defaults = { cpu_seconds = 5.0; wall_seconds = 10.0; " \
	"memory_bytes = 268435456L; processes = 32; output_bytes = 1048576L; " \
	"disk_bytes = 67108864L; open_files = 64; };\n"
#define CEILINGS \
	"ceilings = { cpu_seconds = 60.0; wall_seconds = 120.0; " \
	"memory_bytes = 2147483648L; processes = 128; " \
	"output_bytes = 16777216L; disk_bytes = 1073741824L; " \
	"open_files = 256; };\n"
#define RUNTIME_PY \
	"{ name = \"python3\"; command = [ \"/usr/bin/python3\", " \
	"\"{entry}\" ]; binds = [ \"/usr\", \"/lib\" ]; }"
#define RUNTIME_GCC \
	"{ name = \"gcc\"; command = [ \"/usr/bin/gcc\", \"-o\", " \
	"\"/tmp/a.out\", \"{entry}\" ]; binds = [ \"/usr\" ]; version = " \
	"\"12.2\"; }"
#define RUNTIMES "runtimes = ( " RUNTIME_PY " );\n"
#define RUNTIMES_NOCOMPILE \
	"base_dir = \"/var/lib/sluice\"; uid_base = 61000;\n" RUNTIMES

/* Write text to a temporary file and load it; the file is removed. */
static int
load(const char *text, struct agent_conf *c, struct error *e)
{
	char path[] = "/tmp/sluice-test-conf.XXXXXX";
	int fd = mkstemp(path), rc;
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fflush(f), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	error_init(e);
	rc = conf_load_fd(fd, path, c, e);
	assert_int_equal(fclose(f), 0);
	unlink(path);
	return rc;
}

/* Load text, which must be accepted. */
static void
expect_loaded(const char *text, struct agent_conf *c)
{
	struct error e;

	if (load(text, c, &e) != 0)
		fail_msg("refused (%s): %s\n---\n%s", e.field, e.msg, text);
}

/* Load text, which must be refused with ERR_INVALID (and field, if not
   NULL); the out-parameter must stay untouched. */
static void
expect_refused(const char *text, const char *field)
{
	struct agent_conf c, before;
	struct error e;

	memset(&c, 0x3c, sizeof(c));
	memcpy(&before, &c, sizeof(c));
	if (load(text, &c, &e) != -1) {
		conf_release(&c);
		fail_msg("accepted:\n%s", text);
	}
	if (field != NULL && strcmp(e.field, field) != 0)
		fail_msg("field '%s' (%s), expected '%s' for:\n%s", e.field,
		    e.msg, field, text);
	assert_int_equal(e.code, ERR_INVALID);
	assert_true(e.msg[0] != '\0');
	assert_memory_equal(&c, &before, sizeof(c));
}

static void
conf_load__unknown_setting__refused(void **state)
{
	/* A typo must stop the agent, not leave it on a default. */
	expect_refused("base_dir = \"/var/lib/sluice\"; uid_base = 61000;\n"
		       "slotz = 3;\n" RUNTIMES,
	    "slotz");
	expect_refused("base_dir = \"/var/lib/sluice\"; uid_base = 61000;\n"
		       "runtimes = ( { name = \"python3\"; command = "
		       "[ \"/usr/bin/python3\" ]; bind = [ \"/usr\" ]; } );\n",
	    "bind");
}

static void
conf_load__interfaces_example__loaded(void **state)
{
	struct agent_conf c;
	const struct runtime *rt;

	expect_loaded(example, &c);
	assert_string_equal(c.base_dir, "/var/lib/sluice");
	assert_int_equal(c.slots, 4);
	assert_int_equal(c.uid_base, 61000);
	assert_int_equal(c.gid_base, 61000);
	assert_true(c.defaults.cpu_seconds == 5.0);
	assert_true(c.defaults.wall_seconds == 10.0);
	assert_int_equal(c.defaults.memory_bytes, 268435456);
	assert_int_equal(c.defaults.processes, 32);
	assert_int_equal(c.defaults.output_bytes, 1048576);
	assert_int_equal(c.defaults.disk_bytes, 67108864);
	assert_int_equal(c.defaults.open_files, 64);
	assert_true(c.ceilings.cpu_seconds == 60.0);
	assert_true(c.ceilings.wall_seconds == 120.0);
	assert_int_equal(c.ceilings.memory_bytes, 2147483648ULL);
	assert_int_equal(c.ceilings.processes, 128);
	assert_int_equal(c.ceilings.output_bytes, 16777216);
	assert_int_equal(c.ceilings.disk_bytes, 1073741824);
	assert_int_equal(c.ceilings.open_files, 256);
	assert_int_equal(c.nruntimes, 1);
	rt = &c.runtimes[0];
	assert_string_equal(rt->name, "python3");
	assert_int_equal(rt->ncommand, 4);
	assert_string_equal(rt->command[0], "/usr/bin/python3");
	assert_string_equal(rt->command[3], "{entry}");
	assert_int_equal(rt->nbinds, 5);
	assert_string_equal(rt->binds[0], "/usr");
	assert_string_equal(rt->binds[4], "/etc/python3.11");
	assert_null(rt->version);
	/* What the example leaves out takes the documented defaults. */
	assert_int_equal(c.cgroup, CONF_CGROUP_AUTO);
	assert_string_equal(c.cgroup_parent, "sluice");
	assert_int_equal(c.out_files_max, 1000);
	conf_release(&c);
	assert_null(c.runtimes);
}

static void
conf_load__integers_without_L__loaded(void **state)
{
	struct agent_conf c;

	expect_loaded(SCALARS
	    "defaults = { cpu_seconds = 5; wall_seconds = 7.5; "
	    "memory_bytes = 268435456; processes = 32; output_bytes = 1048576; "
	    "disk_bytes = 67108864; open_files = 64; };\n"
	    "ceilings = { cpu_seconds = 60; wall_seconds = 120.0; "
	    "memory_bytes = 1073741824; processes = 128L; "
	    "output_bytes = 16777216; disk_bytes = 1073741824; "
	    "open_files = 256; };\n" RUNTIMES,
	    &c);
	assert_true(c.defaults.cpu_seconds == 5.0);
	assert_true(c.defaults.wall_seconds == 7.5);
	assert_int_equal(c.defaults.memory_bytes, 268435456);
	assert_int_equal(c.defaults.disk_bytes, 67108864);
	assert_true(c.ceilings.cpu_seconds == 60.0);
	assert_int_equal(c.ceilings.memory_bytes, 1073741824);
	assert_int_equal(c.ceilings.processes, 128);
	assert_int_equal(c.gid_base, 62000);
	conf_release(&c);
}

static void
conf_load__large_integers_without_L__read_exactly(void **state)
{
	struct agent_conf c;

	/* INTERFACES.md: integers may be written with or without the L
	   suffix.  Values past 2^31 must be read as written, never
	   wrapped or refused. */
	expect_loaded(SCALARS DEFAULTS
	    "ceilings = { cpu_seconds = 60.0; wall_seconds = 120.0; "
	    "memory_bytes = 2147483648; processes = 128; "
	    "output_bytes = 16777216; disk_bytes = 5368709120; "
	    "open_files = 256; };\n" RUNTIMES,
	    &c);
	assert_int_equal(c.ceilings.memory_bytes, 2147483648ULL);
	assert_int_equal(c.ceilings.disk_bytes, 5368709120ULL);
	conf_release(&c);
}

static void
conf_load__limits_left_out__builtin_values(void **state)
{
	struct agent_conf c;

	expect_loaded(SCALARS "defaults = { processes = 8; };\n" RUNTIMES, &c);
	assert_int_equal(c.defaults.processes, 8);
	assert_true(c.defaults.cpu_seconds == 5.0);
	assert_int_equal(c.defaults.memory_bytes, 268435456);
	assert_true(c.ceilings.wall_seconds == 120.0);
	assert_int_equal(c.ceilings.memory_bytes, 2147483648ULL);
	conf_release(&c);
}

static void
conf_load__optional_settings__read(void **state)
{
	struct agent_conf c;

	expect_loaded("base_dir = \"/srv/sluice-a\";\nuid_base = 70000;\n"
		      "cgroup = \"v1\";\ncgroup_parent = \"sluice-a\";\n"
		      "out_files_max = 0;\n" RUNTIMES,
	    &c);
	assert_string_equal(c.base_dir, "/srv/sluice-a");
	assert_int_equal(c.slots, 4);
	assert_int_equal(c.uid_base, 70000);
	assert_int_equal(c.gid_base, 70000);
	assert_int_equal(c.cgroup, CONF_CGROUP_V1);
	assert_string_equal(c.cgroup_parent, "sluice-a");
	assert_int_equal(c.out_files_max, 0);
	conf_release(&c);

	expect_loaded(SCALARS "cgroup = \"v2\";\n" RUNTIMES, &c);
	assert_int_equal(c.cgroup, CONF_CGROUP_V2);
	conf_release(&c);
	expect_loaded(SCALARS "cgroup = \"none\";\n" RUNTIMES, &c);
	assert_int_equal(c.cgroup, CONF_CGROUP_NONE);
	conf_release(&c);
}

static void
conf_load__mode__read(void **state)
{
	struct agent_conf c;

	/* Without it, the account the test runs as decides. */
	expect_loaded(SCALARS RUNTIMES, &c);
	assert_int_equal(c.mode,
	    geteuid() == 0 ? CONF_MODE_ROOT : CONF_MODE_USER);
	conf_release(&c);
	expect_loaded(SCALARS "mode = \"user\";\n" RUNTIMES, &c);
	assert_int_equal(c.mode, CONF_MODE_USER);
	conf_release(&c);
	expect_loaded(SCALARS "mode = \"root\";\n" RUNTIMES, &c);
	assert_int_equal(c.mode, CONF_MODE_ROOT);
	conf_release(&c);
}

static void
conf_load__bad_mode__refused(void **state)
{
	expect_refused(SCALARS "mode = \"rootless\";\n" RUNTIMES, "mode");
	expect_refused(SCALARS "mode = 1;\n" RUNTIMES, "mode");
	/* A parked sandbox is a namespace of the agent's own user
	   namespace, which a rootless job's cannot enter. */
	expect_refused(SCALARS "mode = \"user\";\nruntimes = ( { name = "
			       "\"python3\"; command = [ "
			       "\"/usr/bin/python3\", \"{entry}\" ]; "
			       "warm_start = true; } );\n",
	    "warm_start");
}

static void
conf_load__syntax_error__refused(void **state)
{
	expect_refused(SCALARS "slots = ;\n" RUNTIMES, NULL);
	expect_refused("base_dir = [\"/var/lib/sluice\";\n" RUNTIMES, NULL);
}

static void
conf_load__missing_base_dir__refused(void **state)
{
	expect_refused("slots = 4;\nuid_base = 61000;\n" RUNTIMES, "base_dir");
	expect_refused("base_dir = 5;\nuid_base = 61000;\n" RUNTIMES,
	    "base_dir");
}

static void
conf_load__relative_base_dir__refused(void **state)
{
	expect_refused("base_dir = \"var/lib/sluice\";\nuid_base = "
		       "61000;\n" RUNTIMES,
	    "base_dir");
	expect_refused("base_dir = \"\";\nuid_base = 61000;\n" RUNTIMES,
	    "base_dir");
	expect_refused("base_dir = \"/var/lib/../../etc\";\nuid_base = "
		       "61000;\n" RUNTIMES,
	    "base_dir");
	expect_refused("base_dir = \"/var//lib\";\nuid_base = "
		       "61000;\n" RUNTIMES,
	    "base_dir");
}

static void
conf_load__slots_out_of_range__refused(void **state)
{
	expect_refused("base_dir = \"/b\";\nslots = 0;\nuid_base = "
		       "61000;\n" RUNTIMES,
	    "slots");
	expect_refused("base_dir = \"/b\";\nslots = -1;\nuid_base = "
		       "61000;\n" RUNTIMES,
	    "slots");
	expect_refused("base_dir = \"/b\";\nslots = 1025;\nuid_base = "
		       "61000;\n" RUNTIMES,
	    "slots");
	expect_refused("base_dir = \"/b\";\nslots = 4.0;\nuid_base = "
		       "61000;\n" RUNTIMES,
	    "slots");
	expect_refused("base_dir = \"/b\";\nslots = \"4\";\nuid_base = "
		       "61000;\n" RUNTIMES,
	    "slots");
}

static void
conf_load__uid_base_zero__refused(void **state)
{
	expect_refused("base_dir = \"/b\";\nuid_base = 0;\n" RUNTIMES,
	    "uid_base");
	expect_refused("base_dir = \"/b\";\n" RUNTIMES, "uid_base");
	expect_refused("base_dir = \"/b\";\nuid_base = -5;\n" RUNTIMES,
	    "uid_base");
	expect_refused("base_dir = \"/b\";\nuid_base = 61000;\ngid_base = "
		       "0;\n" RUNTIMES,
	    "gid_base");
}

static void
conf_load__bad_cgroup_settings__refused(void **state)
{
	expect_refused(SCALARS "cgroup = \"v3\";\n" RUNTIMES, "cgroup");
	expect_refused(SCALARS "cgroup_parent = \"a/b\";\n" RUNTIMES,
	    "cgroup_parent");
	expect_refused(SCALARS "cgroup_parent = \"..\";\n" RUNTIMES,
	    "cgroup_parent");
	expect_refused(SCALARS "out_files_max = 10001;\n" RUNTIMES,
	    "out_files_max");
}

static void
conf_load__unknown_limit_key__refused(void **state)
{
	expect_refused(SCALARS "defaults = { gpus = 1; };\n" RUNTIMES,
	    "defaults");
	expect_refused(SCALARS "ceilings = { cpu_seconds = 60.0; "
			       "memory = 1; };\n" RUNTIMES,
	    "ceilings");
}

static void
conf_load__bad_limit_value__refused(void **state)
{
	expect_refused(SCALARS "defaults = { processes = 0; };\n" RUNTIMES,
	    "defaults");
	expect_refused(SCALARS "defaults = { cpu_seconds = -1.0; };\n" RUNTIMES,
	    "defaults");
	expect_refused(SCALARS "defaults = { memory_bytes = 1.5; };\n" RUNTIMES,
	    "defaults");
	expect_refused(SCALARS
	    "defaults = { cpu_seconds = \"5\"; };\n" RUNTIMES,
	    "defaults");
	expect_refused(SCALARS
	    "ceilings = { cpu_seconds = 1000000.0; };\n" RUNTIMES,
	    "ceilings");
	expect_refused(SCALARS "defaults = 5;\n" RUNTIMES, "defaults");
}

static void
conf_load__default_above_ceiling__refused(void **state)
{
	expect_refused(SCALARS
	    "defaults = { memory_bytes = 4294967296L; };\n" CEILINGS RUNTIMES,
	    "memory_bytes");
	expect_refused(SCALARS
	    "defaults = { wall_seconds = 121; };\n" CEILINGS RUNTIMES,
	    "wall_seconds");
	/* A ceiling lowered below an unchanged built-in default counts too. */
	expect_refused(SCALARS "ceilings = { processes = 16; };\n" RUNTIMES,
	    "processes");
}

static void
conf_load__runtime_relative_command__refused(void **state)
{
	expect_refused(SCALARS "runtimes = ( { name = \"py\"; command = [ "
			       "\"python3\", \"{entry}\" ]; } );\n",
	    NULL);
	expect_refused(SCALARS "runtimes = ( { name = \"py\"; command = [ "
			       "\"{entry}\" ]; } );\n",
	    NULL);
	expect_refused(SCALARS
	    "runtimes = ( { name = \"py\"; command = [ ]; } );\n",
	    NULL);
	expect_refused(SCALARS "runtimes = ( { name = \"py\"; } );\n", NULL);
	expect_refused(SCALARS "runtimes = ( { name = \"py\"; command = "
			       "\"/usr/bin/python3\"; } );\n",
	    NULL);
}

static void
conf_load__bad_runtime_name__refused(void **state)
{
	expect_refused(SCALARS "runtimes = ( { command = [ \"/bin/sh\" ]; } "
			       ");\n",
	    NULL);
	expect_refused(SCALARS "runtimes = ( { name = \"py thon\"; command = [ "
			       "\"/bin/sh\" ]; } );\n",
	    NULL);
	expect_refused(SCALARS "runtimes = ( { name = \"..\"; command = [ "
			       "\"/bin/sh\" ]; } );\n",
	    NULL);
}

static void
conf_load__no_runtimes__refused(void **state)
{
	expect_refused(SCALARS, "runtimes");
	expect_refused(SCALARS "runtimes = ( );\n", "runtimes");
	expect_refused(SCALARS "runtimes = \"python3\";\n", "runtimes");
}

static void
conf_load__duplicate_runtime__refused(void **state)
{
	expect_refused(SCALARS "runtimes = ( " RUNTIME_PY ", " RUNTIME_GCC
			       ", " RUNTIME_PY " );\n",
	    NULL);
}

static void
conf_load__bind_root_or_reserved__refused(void **state)
{
	static const char *bad[] = { "/", "/proc", "/proc/sys", "/tmp",
		"/tmp/x", "/job", "/out", "/dev", "/dev/shm", "/sys", "usr", "",
		"/usr/../proc", "//proc", "/usr/", "/./tmp", NULL };
	char text[1024];
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		snprintf(text, sizeof(text),
		    SCALARS "runtimes = ( { name = \"py\"; command = [ "
			    "\"/usr/bin/python3\" ]; binds = [ \"/usr\", "
			    "\"%s\" ]; } );\n",
		    bad[i]);
		expect_refused(text, NULL);
	}
}

static void
conf_bind_check__paths__checked(void **state)
{
	struct error e;

	error_init(&e);
	assert_int_equal(conf_bind_check("/usr", &e), 0);
	assert_int_equal(conf_bind_check("/etc/python3.11", &e), 0);
	/* Only a path that is, or is under, a reserved one covers it. */
	assert_int_equal(conf_bind_check("/procfs", &e), 0);
	assert_int_equal(conf_bind_check("/tmpfiles", &e), 0);
	assert_int_equal(conf_bind_check("/usr/tmp", &e), 0);
	assert_int_equal(conf_bind_check("/", &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_int_equal(conf_bind_check("/proc", &e), -1);
	assert_int_equal(conf_bind_check("/proc/1/root", &e), -1);
	assert_int_equal(conf_bind_check("/tmp", &e), -1);
	assert_int_equal(conf_bind_check("/out/x", &e), -1);
	assert_int_equal(conf_bind_check("/sys/fs", &e), -1);
}

static void
conf_load__too_many_binds__refused(void **state)
{
	char text[4096];
	size_t n;
	int i;

	n = (size_t)snprintf(text, sizeof(text),
	    SCALARS "runtimes = ( { name = \"py\"; command = [ "
		    "\"/usr/bin/python3\" ]; binds = [ ");
	for (i = 0; i <= CONF_BINDS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "%s\"/opt/b%d\"", i == 0 ? "" : ", ", i);
	snprintf(text + n, sizeof(text) - n, " ]; } );\n");
	expect_refused(text, NULL);
}

static void
conf_runtime__by_name__found(void **state)
{
	struct agent_conf c;
	const struct runtime *rt;

	expect_loaded(SCALARS "runtimes = ( " RUNTIME_PY ", " RUNTIME_GCC
			      " );\n",
	    &c);
	assert_int_equal(c.nruntimes, 2);
	rt = conf_runtime(&c, "gcc");
	assert_ptr_equal(rt, &c.runtimes[1]);
	assert_int_equal(rt->ncommand, 4);
	assert_string_equal(rt->command[2], "/tmp/a.out");
	assert_non_null(rt->version);
	assert_string_equal(rt->version, "12.2");
	rt = conf_runtime(&c, "python3");
	assert_ptr_equal(rt, &c.runtimes[0]);
	assert_int_equal(rt->nbinds, 2);
	assert_null(rt->version);
	assert_null(conf_runtime(&c, "python"));
	assert_null(conf_runtime(&c, "python33"));
	assert_null(conf_runtime(&c, "GCC"));
	assert_null(conf_runtime(&c, ""));
	conf_release(&c);
}

#define COMPILE_HEAD \
	"base_dir = \"/var/lib/sluice\"; uid_base = 61000;\n" \
	"defaults = { cpu_seconds = 5.0; memory_bytes = 100000000L; };\n" \
	"runtimes = ( { name = \"c\"; command = [ \"/job/main\" ]; "

static void
conf_load__compile__read(void **state)
{
	const struct runtime *rt;
	struct agent_conf c;

	(void)state;
	expect_loaded(COMPILE_HEAD
	    "compile = { command = [ \"/usr/bin/gcc\", \"{entry}\" ]; "
	    "defaults = { cpu_seconds = 10.0; }; "
	    "ceilings = { cpu_seconds = 30.0; }; }; } );\n",
	    &c);
	assert_non_null(rt = conf_runtime(&c, "c"));
	assert_int_equal(rt->ncompile, 2);
	assert_string_equal(rt->compile[0], "/usr/bin/gcc");
	assert_true(rt->compile_defaults.cpu_seconds == 10.0);
	assert_true(rt->compile_ceilings.cpu_seconds == 30.0);
	/* What it leaves out is the node's own. */
	assert_int_equal(rt->compile_defaults.memory_bytes, 100000000);
	assert_int_equal(rt->compile_ceilings.memory_bytes,
	    c.ceilings.memory_bytes);
	conf_release(&c);
	expect_loaded(RUNTIMES_NOCOMPILE, &c);
	assert_null(conf_runtime(&c, "python3")->compile);
	conf_release(&c);
}

static void
conf_load__compile_bad__refused(void **state)
{
	(void)state;
	expect_refused(COMPILE_HEAD "compile = [ \"/usr/bin/gcc\" ]; } );\n",
	    "compile");
	expect_refused(COMPILE_HEAD
	    "compile = { command = [ \"gcc\" ]; }; } );\n",
	    "compile");
	expect_refused(COMPILE_HEAD "compile = { command = [ ]; }; } );\n",
	    "compile");
	expect_refused(COMPILE_HEAD
	    "compile = { command = [ \"/usr/bin/gcc\" ]; cmd = 1; }; } );\n",
	    "cmd");
	expect_refused(COMPILE_HEAD
	    "compile = { command = [ \"/usr/bin/gcc\" ]; "
	    "defaults = { cpu_seconds = 100.0; }; }; } );\n",
	    "compile");
	expect_refused(COMPILE_HEAD
	    "compile = { command = [ \"/usr/bin/gcc\" ]; "
	    "defaults = { cpu_second = 1.0; }; }; } );\n",
	    NULL);
	/* A warm start is an interpreter's. */
	expect_refused("base_dir = \"/var/lib/sluice\"; uid_base = 61000;\n"
		       "runtimes = ( { name = \"py\"; command = [ "
		       "\"/usr/bin/python3\", \"{entry}\" ]; warm_start = "
		       "true; compile = { command = [ \"/bin/true\" ]; }; } "
		       ");\n",
	    "warm_start");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(conf_load__interfaces_example__loaded),
		cmocka_unit_test(conf_load__unknown_setting__refused),
		cmocka_unit_test(conf_load__integers_without_L__loaded),
		cmocka_unit_test(
		    conf_load__large_integers_without_L__read_exactly),
		cmocka_unit_test(conf_load__limits_left_out__builtin_values),
		cmocka_unit_test(conf_load__optional_settings__read),
		cmocka_unit_test(conf_load__mode__read),
		cmocka_unit_test(conf_load__bad_mode__refused),
		cmocka_unit_test(conf_load__syntax_error__refused),
		cmocka_unit_test(conf_load__missing_base_dir__refused),
		cmocka_unit_test(conf_load__relative_base_dir__refused),
		cmocka_unit_test(conf_load__slots_out_of_range__refused),
		cmocka_unit_test(conf_load__uid_base_zero__refused),
		cmocka_unit_test(conf_load__bad_cgroup_settings__refused),
		cmocka_unit_test(conf_load__unknown_limit_key__refused),
		cmocka_unit_test(conf_load__bad_limit_value__refused),
		cmocka_unit_test(conf_load__default_above_ceiling__refused),
		cmocka_unit_test(conf_load__runtime_relative_command__refused),
		cmocka_unit_test(conf_load__bad_runtime_name__refused),
		cmocka_unit_test(conf_load__no_runtimes__refused),
		cmocka_unit_test(conf_load__duplicate_runtime__refused),
		cmocka_unit_test(conf_load__bind_root_or_reserved__refused),
		cmocka_unit_test(conf_bind_check__paths__checked),
		cmocka_unit_test(conf_load__too_many_binds__refused),
		cmocka_unit_test(conf_runtime__by_name__found),
		cmocka_unit_test(conf_load__compile__read),
		cmocka_unit_test(conf_load__compile_bad__refused),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
