/* The Judge0 API's requests, statuses and forms (judge0.c), without a
   daemon. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "judge0.h"

static struct settings_language langs[] = {
	{ .runtime = "python3",
	    .judge0_id = 71,
	    .judge0_name = "Python ({version})",
	    .source_file = "script.py" },
	{ .runtime = "c",
	    .judge0_id = 50,
	    .judge0_name = "C (GCC {version})",
	    .source_file = "main.c",
	    .compile = true },
};

static struct settings set = { .languages = langs, .nlanguages = 2 };

static int
status_of(const char *job)
{
	json_t *j = json_loads(job, 0, NULL);
	int id;

	assert_non_null(j);
	id = judge0_status_id(j);
	json_decref(j);
	return id;
}

/* Every state and verdict onto Judge0's ids. */
static void
judge0_status_id__mapping(void **state)
{
	(void)state;
	assert_int_equal(status_of("{\"state\":\"PENDING\",\"verdict\":null}"),
	    1);
	assert_int_equal(status_of("{\"state\":\"RUNNING\"}"), 2);
	assert_int_equal(status_of("{\"state\":\"COMPLETING\"}"), 2);
	assert_int_equal(status_of("{\"state\":\"COMPLETED\",\"verdict\":"
				   "\"ok\",\"judgement\":null}"),
	    3);
	assert_int_equal(status_of("{\"state\":\"COMPLETED\",\"verdict\":"
				   "\"ok\",\"judgement\":\"accepted\"}"),
	    3);
	assert_int_equal(status_of("{\"state\":\"COMPLETED\",\"verdict\":"
				   "\"ok\",\"judgement\":\"wrong_answer\"}"),
	    4);
	assert_int_equal(status_of("{\"state\":\"TIMEOUT\",\"verdict\":"
				   "\"cpu_limit\"}"),
	    5);
	assert_int_equal(status_of("{\"state\":\"TIMEOUT\",\"verdict\":"
				   "\"wall_limit\"}"),
	    5);
	assert_int_equal(status_of("{\"state\":\"FAILED\",\"verdict\":"
				   "\"compile_error\"}"),
	    6);
	assert_int_equal(status_of("{\"state\":\"FAILED\",\"verdict\":"
				   "\"signaled\",\"signal\":11}"),
	    7);
	assert_int_equal(status_of("{\"state\":\"FAILED\",\"verdict\":"
				   "\"signaled\",\"signal\":25}"),
	    8);
	assert_int_equal(status_of("{\"state\":\"FAILED\",\"verdict\":"
				   "\"output_limit\"}"),
	    8);
	assert_int_equal(status_of("{\"state\":\"FAILED\",\"verdict\":"
				   "\"signaled\",\"signal\":8}"),
	    9);
	assert_int_equal(status_of("{\"state\":\"FAILED\",\"verdict\":"
				   "\"signaled\",\"signal\":6}"),
	    10);
	assert_int_equal(status_of("{\"state\":\"FAILED\",\"verdict\":"
				   "\"exited\",\"exit_code\":1}"),
	    11);
	assert_int_equal(status_of("{\"state\":\"FAILED\",\"verdict\":"
				   "\"signaled\",\"signal\":10}"),
	    12);
	assert_int_equal(status_of("{\"state\":\"OUT_OF_MEMORY\",\"verdict\":"
				   "\"memory_limit\"}"),
	    12);
	assert_int_equal(status_of("{\"state\":\"FAILED\",\"verdict\":"
				   "\"sandbox_error\"}"),
	    13);
	assert_int_equal(status_of("{\"state\":\"FAILED\",\"verdict\":null}"),
	    13);
	assert_int_equal(status_of("{\"state\":\"CANCELLED\",\"verdict\":"
				   "\"cancelled\"}"),
	    13);
	assert_int_equal(status_of("{\"state\":\"NODE_FAIL\",\"verdict\":"
				   "null}"),
	    13);
	assert_string_equal(judge0_status_name(3), "Accepted");
	assert_string_equal(judge0_status_name(14), "Exec Format Error");
	assert_null(judge0_status_name(0));
	assert_null(judge0_status_name(15));
}

static void
args(const char *line, const char *want_json)
{
	json_t *got;
	char *g;

	assert_int_equal(judge0_args(line, &got), 0);
	g = json_dumps(got, JSON_COMPACT);
	assert_string_equal(g, want_json);
	free(g);
	json_decref(got);
}

/* command_line_arguments as Judge0's shell splits them. */
static void
judge0_args__shell_words(void **state)
{
	json_t *got;

	(void)state;
	args("", "[]");
	args("  a  b ", "[\"a\",\"b\"]");
	args("'b c' \"d e\" f\\ g", "[\"b c\",\"d e\",\"f g\"]");
	args("'' \"\"", "[\"\",\"\"]");
	args("\"a\\\"b\\\\c\\d\"", "[\"a\\\"b\\\\c\\\\d\"]");
	args("x$HOME;y|z`w`", "[\"xHOMEyzw\"]");
	args("'it''s'", "[\"its\"]");
	assert_int_equal(judge0_args("'open", &got), -1);
	assert_int_equal(judge0_args("a \"open", &got), -1);
}

/* ?fields=: names, "*", the default; unknown ones listed. */
static void
judge0_fields__names(void **state)
{
	uint64_t m, dflt, all;
	char bad[64];

	(void)state;
	assert_int_equal(judge0_fields(NULL, &dflt, bad, sizeof(bad)), 0);
	assert_int_equal(__builtin_popcountll(dflt), 8);
	assert_int_equal(judge0_fields("", &m, bad, sizeof(bad)), 0);
	assert_true(m == dflt);
	assert_int_equal(judge0_fields("stdout,status_id", &m, bad,
			     sizeof(bad)),
	    0);
	assert_int_equal(__builtin_popcountll(m), 2);
	assert_int_equal(judge0_fields("*", &all, bad, sizeof(bad)), 0);
	assert_true((all & dflt) == dflt);
	assert_int_equal(judge0_fields("stdout,,", &m, bad, sizeof(bad)), 0);
	assert_int_equal(__builtin_popcountll(m), 1);
	assert_int_equal(judge0_fields("stdout,nope, stdin", &m, bad,
			     sizeof(bad)),
	    -1);
	assert_string_equal(bad, "nope,  stdin");
	assert_int_equal(judge0_fields("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,"
				       "s,t,u,v,w,x,y,z,aa,bb,cc,dd",
			     &m, bad, 16),
	    -1);
	assert_int_equal(strlen(bad), 15);
}

/* Base64 as Ruby's encode64 writes it. */
static void
judge0_base64__ruby_lines(void **state)
{
	unsigned char buf[50];
	char *b;

	(void)state;
	b = judge0_base64((const unsigned char *)"hello, Judge0\n", 14);
	assert_string_equal(b, "aGVsbG8sIEp1ZGdlMAo=\n");
	free(b);
	b = judge0_base64((const unsigned char *)"", 0);
	assert_string_equal(b, "");
	free(b);
	memset(buf, 'a', sizeof(buf));
	b = judge0_base64(buf, sizeof(buf)); /* 68 characters: two lines */
	assert_int_equal(strlen(b), 68 + 2);
	assert_int_equal(b[60], '\n');
	assert_int_equal(b[69], '\n');
	free(b);
}

/* A Judge0 request: native text, or its errors, as sorted JSON. */
static char *
request(const char *text, bool base64, bool *ok)
{
	json_t *item = json_loads(text, JSON_ALLOW_NUL, NULL), *out, *errs;
	char *dump;

	assert_non_null(item);
	*ok = judge0_request(&set, item, base64, &out, &errs) == 0;
	dump = json_dumps(*ok ? out : errs, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(*ok ? out : errs);
	json_decref(item);
	return dump;
}

static void
taken(const char *text, bool base64, const char *want_json)
{
	bool ok;
	char *got = request(text, base64, &ok);

	if (!ok)
		fail_msg("refused: %s", got);
	assert_string_equal(got, want_json);
	free(got);
}

static void
refusal(const char *text, bool base64, const char *want_json)
{
	bool ok;
	char *got = request(text, base64, &ok);

	if (ok)
		fail_msg("taken: %s", got);
	assert_string_equal(got, want_json);
	free(got);
}

/* Submissions as native ones: the file, limits in seconds and bytes. */
static void
judge0_request__taken__native(void **state)
{
	(void)state;
	taken("{\"source_code\":\"print(1)\",\"language_id\":71,\"stdin\":"
	      "\"w\",\"expected_output\":\"1\",\"cpu_time_limit\":2.5,"
	      "\"wall_time_limit\":\"5\",\"memory_limit\":128000,"
	      "\"max_processes_and_or_threads\":8,\"stack_limit\":64000,"
	      "\"number_of_runs\":1,\"cpu_extra_time\":0.5,\"max_file_size\":"
	      "1024,\"enable_network\":false,\"redirect_stderr_to_stdout\":"
	      "null,\"callback_url\":\"\",\"command_line_arguments\":\"a 'b "
	      "c'\",\"unknown\":1}",
	    false,
	    "{\"args\":[\"a\",\"b c\"],\"entry\":\"script.py\","
	    "\"expected_output\":\"1\",\"files\":{\"script.py\":\"print(1)\"},"
	    "\"limits\":{\"cpu_seconds\":2.5,\"memory_bytes\":131072000,"
	    "\"processes\":8,\"wall_seconds\":5.0},\"runtime\":\"python3\","
	    "\"stdin\":\"w\"}");
	taken("{\"source_code\":\"cHJpbnQoMSkK\\n\",\"language_id\":\"50\","
	      "\"stdin\":\"SnVkZ2Uw\",\"cpu_time_limit\":0}",
	    true,
	    "{\"entry\":\"main.c\",\"files_base64\":{\"main.c\":"
	    "\"cHJpbnQoMSkK\"},\"runtime\":\"c\",\"stdin_base64\":"
	    "\"SnVkZ2Uw\"}");
}

/* Judge0's validation errors, all of them at once. */
static void
judge0_request__bad__errors(void **state)
{
	(void)state;
	refusal("{}", false,
	    "{\"language_id\":[\"can't be blank\"],\"source_code\":[\"can't "
	    "be blank\"]}");
	refusal("{\"source_code\":\"x\",\"language_id\":150000}", false,
	    "{\"language_id\":[\"language with id 150000 doesn't exist\"]}");
	refusal("{\"source_code\":\"x\",\"language_id\":\"7a\"}", false,
	    "{\"language_id\":[\"is not a number\"]}");
	refusal("{\"source_code\":\"x\",\"language_id\":\"7\\u00001\"}", false,
	    "{\"language_id\":[\"is not a number\"]}");
	refusal("{\"source_code\":5,\"language_id\":71}", false,
	    "{\"source_code\":[\"must be a string\"]}");
	refusal("{\"source_code\":\"!!\",\"language_id\":71,\"stdin\":\"@\"}",
	    true,
	    "{\"source_code\":[\"is not valid base64\"],\"stdin\":[\"is not "
	    "valid base64\"]}");
	refusal("{\"source_code\":\"x\",\"language_id\":71,\"cpu_time_limit\":"
		"-1,\"memory_limit\":\"lots\",\"number_of_runs\":-2}",
	    false,
	    "{\"cpu_time_limit\":[\"must be greater than or equal to 0\"],"
	    "\"memory_limit\":[\"is not a number\"],\"number_of_runs\":["
	    "\"must be greater than or equal to 0\"]}");
	refusal("{\"source_code\":\"x\",\"language_id\":71,"
		"\"enable_per_process_and_thread_time_limit\":true,"
		"\"additional_files\":\"UEsDBA==\",\"compiler_options\":\"-"
		"O2\","
		"\"enable_network\":\"true\"}",
	    false,
	    "{\"additional_files\":[\"setting additional files is not "
	    "allowed\"],\"compiler_options\":[\"setting compiler options is "
	    "not allowed\"],\"enable_network\":[\"enabling network is not "
	    "allowed\"],\"enable_per_process_and_thread_time_limit\":[\"this "
	    "option cannot be enabled\"]}");
	refusal("{\"source_code\":\"x\",\"language_id\":71,"
		"\"command_line_arguments\":\"a\\u0000b\"}",
	    false, "{\"command_line_arguments\":[\"holds a NUL character\"]}");
	refusal("[]", false,
	    "{\"base\":[\"a submission must be a JSON object\"]}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(judge0_status_id__mapping),
		cmocka_unit_test(judge0_args__shell_words),
		cmocka_unit_test(judge0_fields__names),
		cmocka_unit_test(judge0_base64__ruby_lines),
		cmocka_unit_test(judge0_request__taken__native),
		cmocka_unit_test(judge0_request__bad__errors),
	};

	return cmocka_run_group_tests_name("judge0", tests, NULL, NULL);
}
