/*
 * An attacker's unit tests of the SLURM node kind (issue 11 review): the
 * "options" check of a slurm node in sluice.conf against the abbreviations
 * sbatch's getopt_long takes, and the parsers against an id that is
 * another followed job's.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "settings.h"
#include "slurm.h"
#include "util.h"

/*
 * sbatch parses its options with getopt_long, which takes any unambiguous
 * prefix of a long option: "--job-nam=x" is --job-name, "--chd=/" is
 * --chdir, "--requeu" is --requeue.  Each of these overrides a word sluice
 * sets itself (they come after sluice's own on sbatch's command line), so
 * the check must refuse them as it refuses the full names.  --ntasks is
 * one sluice sets too (--ntasks=1), and --mem-per-cpu contradicts --mem.
 */
static void
settings_slurm_option_ok__abbreviated_own_option__refused(void **state)
{
	static const char *const bad[] = {
		"--job-nam=other", /* the name a restart cancels by */
		"--chd=/tmp", /* the job directory */
		"--requeu", /* sluice owns retries */
		"--outp=/tmp/x", /* the agent writes the job's files */
		"--er=/tmp/x",
		"--wra=true", /* the batch script replaced */
		"--parsabl", /* (a flag: harmless, but one sluice sets) */
		"--ntasks=4", /* sluice sets --ntasks=1 */
		"--mem-per-cpu=1", /* contradicts --mem */
		NULL,
	};
	size_t i;
	int accepted = 0;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		if (settings_slurm_option_ok(bad[i])) {
			print_message("accepted: %s\n", bad[i]);
			accepted++;
		}
	assert_int_equal(accepted, 0);
}

/* The full names stay refused, and honest options stay accepted. */
static void
settings_slurm_option_ok__full_and_honest__as_documented(void **state)
{
	(void)state;
	assert_false(settings_slurm_option_ok("--job-name=x"));
	assert_false(settings_slurm_option_ok("--chdir=/"));
	assert_false(settings_slurm_option_ok("--comment=$(id)"));
	assert_false(settings_slurm_option_ok("--comment=a\nb"));
	assert_false(settings_slurm_option_ok("-J"));
	assert_true(settings_slurm_option_ok("--constraint=avx2"));
	assert_true(settings_slurm_option_ok("--exclusive"));
}

/*
 * sbatch's id: junk, overflow, NULs, a second line, a negative or
 * zero-padded id are all refused (defended).
 */
static void
slurm_sbatch_parse__hostile__refused(void **state)
{
	static const struct {
		const char *out;
		size_t len;
	} bad[] = {
		{ "12345678901234567890\n", 21 }, /* 20 digits */
		{ "99999999999999999999999\n", 24 },
		{ "123\0\n", 5 },
		{ "123\n456\n", 8 },
		{ "-1\n", 3 },
		{ "0\n", 2 },
		{ "0123\n", 5 },
		{ "123;clu ster\n", 13 },
		{ "123;c$(id)\n", 11 },
		{ "123abc\n", 7 },
		{ "", 0 },
		{ "\n", 1 },
	};
	char id[SLURM_ID_MAX];
	struct error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_init(&e);
		strcpy(id, "untouched");
		assert_int_equal(slurm_sbatch_parse(bad[i].out, bad[i].len, id,
				     &e),
		    -1);
		assert_string_equal(id, "untouched");
	}
	error_init(&e);
	assert_int_equal(slurm_sbatch_parse("9223372036854775807;c\r\n", 23, id,
			     &e),
	    0);
	assert_string_equal(id, "9223372036854775807");
}

/*
 * One SLURM id followed for two sluice jobs (a lying sbatch, or an id
 * reused by the cluster): the parser fills the first entry only and the
 * second is never found, so it ends "no longer known" after a few polls
 * while the first goes on.  Recorded here so that a change of that is
 * seen; pool.c does not refuse an id it already follows for another job.
 */
static void
slurm_squeue_parse__same_id_twice__second_never_found(void **state)
{
	struct slurm_status st[2];
	static const char out[] = "77|RUNNING|None\n";

	(void)state;
	memset(st, 0, sizeof(st));
	strcpy(st[0].id, "77");
	strcpy(st[1].id, "77");
	(void)slurm_squeue_parse(out, sizeof(out) - 1, st, 2);
	assert_true(st[0].found);
	assert_false(st[1].found);
}

/* Margins and limits at their extremes: --time and --mem stay sane. */
static void
slurm_limits__extremes__bounded(void **state)
{
	(void)state;
	assert_int_equal(slurm_time_minutes(-1e9, 0, 0), 1);
	assert_int_equal(slurm_time_minutes(0.0 / 0.0, 0, 0), 1);
	assert_int_equal(slurm_time_minutes(1e300, 0, 86400), 10000000);
	assert_int_equal(slurm_time_minutes(1.0 / 0.0, 0, 0), 10000000);
	assert_true(slurm_mem_mb(UINT64_MAX, UINT64_MAX) > 0);
	assert_int_equal(slurm_mem_mb(0, 0), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    settings_slurm_option_ok__abbreviated_own_option__refused),
		cmocka_unit_test(
		    settings_slurm_option_ok__full_and_honest__as_documented),
		cmocka_unit_test(slurm_sbatch_parse__hostile__refused),
		cmocka_unit_test(
		    slurm_squeue_parse__same_id_twice__second_never_found),
		cmocka_unit_test(slurm_limits__extremes__bounded),
	};

	return cmocka_run_group_tests_name("slurm_attacks", tests, NULL, NULL);
}
