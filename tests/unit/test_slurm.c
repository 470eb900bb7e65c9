/*
 * Unit tests for dispatcher/slurm.c (the SLURM node kind's pure logic:
 * sbatch's argv from limits and config, squeue/sacct/sbatch output parsed
 * as untrusted input, the end states' mapping) and for the "slurm" group
 * of a node in sluice.conf (settings.c).
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

#define SHA_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static char conf_path[] = "/tmp/sluice-slurm-XXXXXX";

/* Write a config whose one node has `node_extra` in its group. */
static int
load_node(const char *node_extra, struct settings *s, struct error *e)
{
	char buf[4096];
	FILE *f;

	snprintf(buf, sizeof(buf),
	    "state_dir = \"/x\"; tokens = ( { name = \"a\"; sha256 = \"" SHA_A
	    "\"; } );\n"
	    "nodes = ( { name = \"hpc\"; host = \"login\"; user = \"u\"; "
	    "identity = \"/i\"; known_hosts = \"/k\"; agent = [ \"/s/agent\", "
	    "\"--config\", \"/s/agent.conf\" ]; %s } );\n",
	    node_extra);
	f = fopen(conf_path, "w");
	assert_non_null(f);
	fputs(buf, f);
	fclose(f);
	error_init(e);
	return settings_load(conf_path, s, e);
}

static int
setup(void **state)
{
	int fd = mkstemp(conf_path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(conf_path);
	strcpy(conf_path, "/tmp/sluice-slurm-XXXXXX");
	return 0;
}

/* A node without kind is an agent node; kind slurm reads its group, with
   the documented defaults. */
static void
settings_load__slurm_group__read(void **state)
{
	struct settings s;
	struct error e;

	(void)state;
	assert_int_equal(load_node("", &s, &e), 0);
	assert_int_equal(s.nodes[0].kind, NODE_KIND_AGENT);
	settings_release(&s);
	assert_int_equal(load_node("kind = \"slurm\"; slurm = { max_jobs = 5; "
				   "partition = \"debug\"; qos = \"normal\"; "
				   "account = \"grp\"; options = [ "
				   "\"--constraint=avx2\", \"--exclusive\", "
				   "\"--mem-bind=local\", \"--reservation=r\", "
				   "\"--ntasks-per-node=1\" ]; "
				   "bin_dir = \"/opt/slurm/bin\"; };",
			     &s, &e),
	    0);
	assert_int_equal(s.nodes[0].kind, NODE_KIND_SLURM);
	assert_int_equal(s.nodes[0].slurm.max_jobs, 5);
	assert_string_equal(s.nodes[0].slurm.partition, "debug");
	assert_string_equal(s.nodes[0].slurm.account, "grp");
	assert_int_equal(s.nodes[0].slurm.noptions, 5);
	assert_true(s.nodes[0].slurm.time_margin_seconds == 60);
	assert_true(s.nodes[0].slurm.poll_seconds == 2);
	assert_int_equal(s.nodes[0].slurm.memory_margin_bytes, 268435456);
	assert_string_equal(s.nodes[0].slurm.bin_dir, "/opt/slurm/bin");
	settings_release(&s);
}

/* Each bad slurm setting is refused with a message naming it. */
static void
settings_load__bad_slurm__refused(void **state)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "kind = \"slurm\";", "'slurm' group" },
		{ "kind = \"pbs\"; slurm = { max_jobs = 1; };", "'kind'" },
		{ "slurm = { max_jobs = 1; };", "kind = \"slurm\"" },
		{ "kind = \"slurm\"; slurm = { partition = \"d\"; };",
		    "max_jobs" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 0; };", "max_jobs" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1.5; };",
		    "max_jobs" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; partiton = "
		  "\"d\"; };",
		    "partiton" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; partition = "
		  "\"a b\"; };",
		    "partition" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"-x\" ]; };",
		    "option '-x'" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--x=$(id)\" ]; };",
		    "option" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--x=a b\" ]; };",
		    "option" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--time=5\" ]; };",
		    "sets itself" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--wrap=x\" ]; };",
		    "sets itself" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--ntasks=4\" ]; };",
		    "sets itself" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--ntasks\" ]; };",
		    "sets itself" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--nt=4\" ]; };",
		    "sets itself" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--mem-per-cpu=1G\" ]; };",
		    "sets itself" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--mem-per-gpu=1G\" ]; };",
		    "sets itself" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--mem-per=1G\" ]; };",
		    "sets itself" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--cpus-per-gpu=2\" ]; };",
		    "sets itself" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; options = [ "
		  "\"--tim=5\" ]; };",
		    "sets itself" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; poll_seconds = "
		  "0.0; };",
		    "poll_seconds" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; "
		  "time_margin_seconds = -1; };",
		    "time_margin_seconds" },
		{ "kind = \"slurm\"; slurm = { max_jobs = 1; bin_dir = "
		  "\"bin\"; };",
		    "bin_dir" },
		{ "kind = \"slurm\"; slurm = ( 1 );", "'slurm' group" },
	};
	struct settings s;
	struct error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load_node(bad[i].text, &s, &e), -1);
		assert_int_equal(e.code, ERR_INVALID);
		if (strstr(e.msg, bad[i].says) == NULL)
			fail_msg("'%s': '%s' does not say '%s'", bad[i].text,
			    e.msg, bad[i].says);
	}
}

/* sbatch's argv: the config's options, the limits plus margins, rounded
   up, and every option sluice owns. */
static void
slurm_sbatch_argv__limits_and_config__words(void **state)
{
	struct settings s;
	struct error e;
	char **argv;
	size_t n, i;
	char all[2048] = "";

	(void)state;
	assert_int_equal(load_node("kind = \"slurm\"; slurm = { max_jobs = 5; "
				   "partition = \"debug\"; options = [ "
				   "\"--constraint=avx2\" ]; };",
			     &s, &e),
	    0);
	assert_int_equal(slurm_time_minutes(10, 0, 60), 2);
	assert_int_equal(slurm_time_minutes(0.5, 0, 0), 1);
	assert_int_equal(slurm_time_minutes(61, 20, 60), 3);
	assert_int_equal(slurm_mem_mb(256 * 1048576ULL, 256 * 1048576ULL), 512);
	assert_int_equal(slurm_mem_mb(1, 0), 1);
	assert_int_equal(slurm_mem_mb(0, 0), 1);
	assert_true(slurm_mem_mb(UINT64_MAX, UINT64_MAX) > 0);
	argv = slurm_sbatch_argv(&s.nodes[0], 42, "/shared/jobs/42.1", 2, 512,
	    &n);
	assert_non_null(argv);
	assert_null(argv[n]);
	for (i = 0; i < n; i++) {
		strcat(all, argv[i]);
		strcat(all, " ");
	}
	assert_string_equal(argv[0], "sbatch");
	assert_non_null(strstr(all, "--parsable "));
	assert_non_null(strstr(all, "--job-name=sluice-42 "));
	assert_non_null(strstr(all, "--partition=debug "));
	assert_null(strstr(all, "--account"));
	assert_null(strstr(all, "--qos"));
	assert_non_null(strstr(all, "--time=2 "));
	assert_non_null(strstr(all, "--mem=512M "));
	assert_non_null(strstr(all, "--cpus-per-task=1 "));
	assert_non_null(strstr(all, "--no-requeue "));
	assert_non_null(strstr(all, "--output=/dev/null "));
	assert_non_null(strstr(all, "--chdir=/shared/jobs/42.1 "));
	assert_string_equal(argv[n - 1], "--constraint=avx2");
	util_strv_free(argv, n);
	settings_release(&s);
	assert_int_equal(load_node("kind = \"slurm\"; slurm = { max_jobs = 5; "
				   "bin_dir = \"/opt/s/bin\"; };",
			     &s, &e),
	    0);
	argv = slurm_sbatch_argv(&s.nodes[0], 1, "/j", 1, 1, &n);
	assert_string_equal(argv[0], "/opt/s/bin/sbatch");
	util_strv_free(argv, n);
	/* A restart's question about an unrecorded job: the account's jobs
	   of the name, with their directories. */
	argv = slurm_byname_argv(&s.nodes[0], 42, &n);
	assert_non_null(argv);
	assert_int_equal(n, 7);
	assert_string_equal(argv[0], "/opt/s/bin/squeue");
	assert_string_equal(argv[3], "--user=u");
	assert_string_equal(argv[4], "--name=sluice-42");
	assert_string_equal(argv[6], "%i|%T|%r|%Z");
	util_strv_free(argv, n);
	settings_release(&s);
}

/* The unrecorded job of a name is the one in this attempt's directory, a
   live one before one that ended; nothing else is taken. */
static void
slurm_byname_parse__lines__this_directory(void **state)
{
	char id[SLURM_ID_MAX];
	const char *out;
	bool live;

	(void)state;
	assert_int_equal(slurm_byname_parse("", 0, "/s/jobs/7.2", id, &live),
	    0);
	assert_string_equal(id, "");
	/* Another attempt's directory, a prefix of it, another instance's
	   base_dir, a bad id, an unknown state, a line without fields. */
	out = "11|RUNNING|None|/s/jobs/7.1\n"
	      "12|RUNNING|None|/s/jobs/7.2x\n"
	      "13|RUNNING|None|/t/s/jobs/7.2x\n"
	      "0x1|RUNNING|None|/s/jobs/7.2\n"
	      "14|WEIRD|None|/s/jobs/7.2\n"
	      "|/s/jobs/7.2\n";
	assert_int_equal(slurm_byname_parse(out, strlen(out), "/s/jobs/7.2", id,
			     &live),
	    0);
	assert_string_equal(id, "");
	out = "20|CANCELLED|None|/s/jobs/7.2\r\n"
	      "21|PENDING|Priority|/s/jobs/7.2\n"
	      "22|RUNNING|None|/s/jobs/7.2";
	assert_int_equal(slurm_byname_parse(out, strlen(out), "/s/jobs/7.2", id,
			     &live),
	    3);
	assert_string_equal(id, "21");
	assert_true(live);
	out = "30|COMPLETED|a|b|/s/jobs/7.2\n";
	assert_int_equal(slurm_byname_parse(out, strlen(out), "/s/jobs/7.2", id,
			     &live),
	    1);
	assert_string_equal(id, "30");
	assert_false(live);
}

/* The batch script quotes every word, and cancels through the agent on
   SIGTERM. */
static void
slurm_script__hostile_path__quoted(void **state)
{
	struct settings s;
	struct error e;
	char *script;

	(void)state;
	assert_int_equal(load_node("kind = \"slurm\"; slurm = { max_jobs = 5; "
				   "};",
			     &s, &e),
	    0);
	script = slurm_script(&s.nodes[0], 7, 2, "/sh ared/jobs/7.2'$(x)");
	assert_non_null(script);
	assert_non_null(strstr(script, "#!/bin/sh\n"));
	assert_non_null(strstr(script, "trap sluice_cancel TERM"));
	assert_non_null(strstr(script,
	    "'/s/agent' '--config' '/s/agent.conf' 'run' "
	    "'/sh ared/jobs/7.2'\\''$(x)'"));
	assert_non_null(strstr(script, "'cancel' '/sh ared/jobs/7.2'\\''"));
	free(script);
	settings_release(&s);
}

/* squeue's output: the ids asked about, states from the table, reasons
   made printable and cut; everything else ignored. */
static void
slurm_squeue_parse__output__states(void **state)
{
	struct slurm_status st[3];
	const char *out = "12|PENDING|Resources\n"
			  "13|RUNNING|None\n"
			  "99|RUNNING|None\n" /* not asked */
			  "14|COMPLETED|None";
	char **argv;
	size_t n;

	(void)state;
	memset(st, 0, sizeof(st));
	strcpy(st[0].id, "12");
	strcpy(st[1].id, "13");
	strcpy(st[2].id, "14");
	assert_int_equal(slurm_squeue_parse(out, strlen(out), st, 3), 1);
	assert_true(st[0].found);
	assert_int_equal(st[0].state, SLURM_PENDING);
	assert_string_equal(st[0].reason, "Resources");
	assert_int_equal(st[1].state, SLURM_RUNNING);
	assert_true(slurm_state_running(st[1].state));
	assert_int_equal(st[2].state, SLURM_COMPLETED);
	assert_true(slurm_state_ended(st[2].state));
	{
		struct settings s;
		struct error e;

		assert_int_equal(load_node("kind = \"slurm\"; slurm = { "
					   "max_jobs = 5; };",
				     &s, &e),
		    0);
		argv = slurm_squeue_argv(&s.nodes[0], st, 3, &n);
		assert_string_equal(argv[0], "squeue");
		assert_string_equal(argv[3], "--jobs=12,13,14");
		assert_string_equal(argv[5], "%i|%T|%r");
		util_strv_free(argv, n);
		settings_release(&s);
	}
}

/* A lying login node: nothing it prints makes an entry up, overflows, or
   changes a state twice. */
static void
slurm_squeue_parse__hostile__ignored(void **state)
{
	struct slurm_status st[2];
	char big[8192], *text;
	size_t i;

	(void)state;
	memset(st, 0, sizeof(st));
	strcpy(st[0].id, "12");
	strcpy(st[1].id, "13");
	/* Unknown states, missing fields, an id with more after it, ids
	   that are prefixes, a second line for an id, NULs. */
	{
		static const char out[] = "12|WEIRD|x\n"
					  "12|RUNNING\n"
					  "12 |RUNNING|x\n"
					  "1|RUNNING|x\n"
					  "123|RUNNING|x\n"
					  "|RUNNING|x\n"
					  "12|running|x\n"
					  "13|PENDING|a\033[2Jb\x01\n"
					  "13|COMPLETED|late\n"
					  "12|R\0UNNING|x\n";

		assert_int_equal(slurm_squeue_parse(out, sizeof(out) - 1, st,
				     2),
		    9);
		assert_false(st[0].found);
		assert_true(st[1].found);
		assert_int_equal(st[1].state, SLURM_PENDING);
		assert_string_equal(st[1].reason, "a?[2Jb?");
	}
	/* A reason far too long is cut; a line over the cap is ignored. */
	memset(big, 'r', sizeof(big));
	memcpy(big, "12|PENDING|", 11);
	assert_int_equal(slurm_squeue_parse(big, 300, st, 2), 0);
	assert_true(st[0].found);
	assert_int_equal(strlen(st[0].reason), SLURM_REASON_MAX - 1);
	assert_int_equal(slurm_squeue_parse(big, sizeof(big), st, 2), 1);
	assert_false(st[0].found);
	/* Many lines of nothing, and binary noise. */
	text = malloc(65536);
	assert_non_null(text);
	for (i = 0; i < 65536; i++)
		text[i] = (char)(i * 7919 % 251);
	(void)slurm_squeue_parse(text, 65536, st, 2);
	assert_false(st[0].found && st[0].state == SLURM_UNKNOWN);
	memset(text, '\n', 65536);
	assert_int_equal(slurm_squeue_parse(text, 65536, st, 2), 0);
	assert_false(st[0].found);
	free(text);
	assert_int_equal(slurm_squeue_parse("", 0, st, 2), 0);
}

/* sacct: the first word of the state; only ids squeue did not know. */
static void
slurm_sacct_parse__output__first_word(void **state)
{
	struct slurm_status st[2];
	const char *out = "12|CANCELLED by 1000\n13|NODE_FAIL|\n";

	(void)state;
	memset(st, 0, sizeof(st));
	strcpy(st[0].id, "12");
	strcpy(st[1].id, "13");
	assert_int_equal(slurm_sacct_parse(out, strlen(out), st, 2), 0);
	assert_int_equal(st[0].state, SLURM_CANCELLED);
	assert_int_equal(st[1].state, SLURM_NODE_FAIL);
	out = "12|CANCELLED|x|y\n12|CANCELLEDX\n";
	memset(st, 0, sizeof(st));
	strcpy(st[0].id, "12");
	assert_int_equal(slurm_sacct_parse(out, strlen(out), st, 1), 2);
	assert_false(st[0].found);
}

/* sbatch --parsable: "ID" or "ID;CLUSTER", nothing else. */
static void
slurm_sbatch_parse__output__id_or_refused(void **state)
{
	static const char *bad[] = { "", "\n", "abc\n", "12x\n", "012\n",
		"12 13\n", "12;clu ster\n", "99999999999999999999\n",
		"Submitted batch job 12\n", "12\n13\n", "-1\n" };
	char id[SLURM_ID_MAX];
	struct error e;
	size_t i;

	(void)state;
	assert_int_equal(slurm_sbatch_parse("1234\n", 5, id, &e), 0);
	assert_string_equal(id, "1234");
	assert_int_equal(slurm_sbatch_parse("77;cluster-a\n", 13, id, &e), 0);
	assert_string_equal(id, "77");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(id, "unchanged");
		error_init(&e);
		if (slurm_sbatch_parse(bad[i], strlen(bad[i]), id, &e) != -1)
			fail_msg("'%s' taken as an id", bad[i]);
		assert_string_equal(id, "unchanged");
		assert_int_equal(e.code, ERR_INVALID);
	}
	assert_true(slurm_id_ok("1"));
	assert_false(slurm_id_ok("1,2"));
	assert_false(slurm_id_ok("12345678901234567890"));
}

/* Ends without a result: SLURM's state says how the job ends. */
static void
slurm_end_map__states__mapped(void **state)
{
	struct slurm_end end;

	(void)state;
	slurm_end_map(SLURM_CANCELLED, "5", false, &end);
	assert_true(end.final);
	assert_int_equal(end.state, JOB_CANCELLED);
	assert_string_equal(end.reason, "cancelled in SLURM (scancel)");
	slurm_end_map(SLURM_CANCELLED, "5", true, &end);
	assert_string_equal(end.reason, "cancelled");
	slurm_end_map(SLURM_TIMEOUT, "5", false, &end);
	assert_int_equal(end.state, JOB_TIMEOUT);
	assert_int_equal(end.verdict, VERDICT_WALL_LIMIT);
	assert_string_equal(end.reason, "SLURM time limit");
	slurm_end_map(SLURM_OUT_OF_MEMORY, "5", false, &end);
	assert_int_equal(end.state, JOB_OUT_OF_MEMORY);
	assert_int_equal(end.verdict, VERDICT_MEMORY_LIMIT);
	slurm_end_map(SLURM_NODE_FAIL, "5", false, &end);
	assert_false(end.final);
	assert_true(end.node_lost);
	assert_string_equal(end.reason, "SLURM job 5 ended NODE_FAIL");
	slurm_end_map(SLURM_PREEMPTED, "5", false, &end);
	assert_true(end.node_lost);
	slurm_end_map(SLURM_BOOT_FAIL, "5", false, &end);
	assert_true(end.node_lost);
	slurm_end_map(SLURM_COMPLETED, "5", false, &end);
	assert_false(end.final);
	assert_false(end.node_lost);
	slurm_end_map(SLURM_FAILED, "5", true, &end);
	assert_true(end.final);
	assert_int_equal(end.state, JOB_CANCELLED);
	slurm_end_map(SLURM_UNKNOWN, "5", false, &end);
	assert_false(end.final);
	assert_non_null(strstr(end.reason, "no longer knows"));
	assert_int_equal(slurm_state_parse("NODE_FAIL", 9), SLURM_NODE_FAIL);
	assert_string_equal(slurm_state_name(SLURM_PREEMPTED), "PREEMPTED");
}

/* A result the agent wrote as a cancel says what SLURM knows. */
static void
slurm_result_adjust__sigterm_ends__slurm_says_why(void **state)
{
	enum verdict v;
	char msg[64];

	(void)state;
	v = VERDICT_CANCELLED;
	strcpy(msg, "cancelled");
	slurm_result_adjust(SLURM_CANCELLED, false, &v, msg, sizeof(msg));
	assert_int_equal(v, VERDICT_CANCELLED);
	assert_string_equal(msg, "cancelled in SLURM (scancel)");
	strcpy(msg, "cancelled");
	slurm_result_adjust(SLURM_CANCELLED, true, &v, msg, sizeof(msg));
	assert_string_equal(msg, "cancelled");
	slurm_result_adjust(SLURM_TIMEOUT, false, &v, msg, sizeof(msg));
	assert_int_equal(v, VERDICT_WALL_LIMIT);
	assert_string_equal(msg, "SLURM time limit");
	v = VERDICT_CANCELLED;
	slurm_result_adjust(SLURM_OUT_OF_MEMORY, false, &v, msg, sizeof(msg));
	assert_int_equal(v, VERDICT_MEMORY_LIMIT);
	/* The agent's own verdicts stand. */
	v = VERDICT_OK;
	strcpy(msg, "");
	slurm_result_adjust(SLURM_TIMEOUT, false, &v, msg, sizeof(msg));
	assert_int_equal(v, VERDICT_OK);
	assert_string_equal(msg, "");
	v = VERDICT_WALL_LIMIT;
	slurm_result_adjust(SLURM_COMPLETED, false, &v, msg, sizeof(msg));
	assert_int_equal(v, VERDICT_WALL_LIMIT);
	assert_true(slurm_state_node_lost(SLURM_PREEMPTED));
	assert_false(slurm_state_node_lost(SLURM_CANCELLED));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    settings_load__slurm_group__read, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__bad_slurm__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    slurm_sbatch_argv__limits_and_config__words, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    slurm_script__hostile_path__quoted, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    slurm_squeue_parse__output__states, setup, teardown),
		cmocka_unit_test(slurm_squeue_parse__hostile__ignored),
		cmocka_unit_test(slurm_sacct_parse__output__first_word),
		cmocka_unit_test(slurm_byname_parse__lines__this_directory),
		cmocka_unit_test(slurm_sbatch_parse__output__id_or_refused),
		cmocka_unit_test(slurm_end_map__states__mapped),
		cmocka_unit_test(
		    slurm_result_adjust__sigterm_ends__slurm_says_why),
	};

	return cmocka_run_group_tests_name("slurm", tests, NULL, NULL);
}
