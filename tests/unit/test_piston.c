/* The Piston v2 API's requests and answers (piston.c), without a daemon. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "piston.h"

static struct settings_language langs[] = {
	{ .runtime = "python3",
	    .piston = "python",
	    .aliases = { "py" },
	    .naliases = 1,
	    .source_file = "script.py" },
	{ .runtime = "c",
	    .piston = "c",
	    .source_file = "main.c",
	    .compile = true },
};

static struct settings set = { .languages = langs,
	.nlanguages = 2,
	.caps = { .max_files = 4 } };

/* Parse text as a request; the native body as compact JSON text (sorted
   keys), or NULL with the message in msg. */
static char *
native(const char *text, char *msg)
{
	const struct settings_language *lang;
	json_t *root = json_loads(text, JSON_ALLOW_NUL, NULL), *out;
	const char *version;
	struct error e;
	char *dump;

	assert_non_null(root);
	error_init(&e);
	if (piston_request(&set, root, &lang, &version, &out, &e) == -1) {
		strcpy(msg, e.msg);
		json_decref(root);
		return NULL;
	}
	dump = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(out);
	json_decref(root);
	return dump;
}

static void
want(const char *text, const char *body)
{
	char msg[256] = "", *got = native(text, msg);

	if (got == NULL)
		fail_msg("refused: %s", msg);
	assert_string_equal(got, body);
	free(got);
}

static void
refused(const char *text, const char *part)
{
	char msg[256] = "", *got = native(text, msg);

	if (got != NULL)
		fail_msg("taken: %s", got);
	if (strstr(msg, part) == NULL)
		fail_msg("'%s' does not say '%s'", msg, part);
}

/* What piston-client sends: its defaults become the node's defaults. */
static void
piston_request__client_defaults__native(void **state)
{
	(void)state;
	want("{\"language\":\"python\",\"version\":\"3.11.2\",\"files\":[{"
	     "\"content\":\"print(1)\"}],\"stdin\":\"\",\"args\":[\"1\",\"2\","
	     "\"3\"],\"compile_timeout\":10000,\"run_timeout\":3000,"
	     "\"compile_memory_limit\":-1,\"run_memory_limit\":-1}",
	    "{\"args\":[\"1\",\"2\",\"3\"],\"entry\":\"script.py\",\"files\":{"
	    "\"script.py\":\"print(1)\"},\"limits\":{\"wall_seconds\":3.0},"
	    "\"runtime\":\"python3\",\"stdin\":\"\\n\"}");
}

/* Names, encodings, the first utf8 file as the entry, stdin's newline,
   limits in ms and bytes; compile limits only for a compiled language. */
static void
piston_request__full__native(void **state)
{
	(void)state;
	want("{\"language\":\"py\",\"files\":[{\"name\":\"d\",\"content\":"
	     "\"AA EC\",\"encoding\":\"base64\"},{\"content\":\"x\"},{"
	     "\"content\":\"y\"},{\"name\":\"h\",\"content\":\"0aFF\","
	     "\"encoding\":\"hex\"}],\"stdin\":\"in\\n\",\"run_cpu_time\":"
	     "1500,\"run_memory_limit\":1048576,\"compile_timeout\":5}",
	    "{\"entry\":\"script.py\",\"files\":{\"file2.code\":\"y\","
	    "\"script.py\":\"x\"},\"files_base64\":{\"d\":\"AAEC\",\"h\":"
	    "\"Cv8=\"},\"limits\":{\"cpu_seconds\":1.5,\"memory_bytes\":"
	    "1048576},\"runtime\":\"python3\",\"stdin\":\"in\\n\"}");
	want("{\"language\":\"c\",\"version\":\"*\",\"files\":[{\"content\":"
	     "\"int main;\"}],\"compile_timeout\":2000,"
	     "\"compile_memory_limit\":-1,\"compile_cpu_time\":null}",
	    "{\"compile_limits\":{\"wall_seconds\":2.0},\"entry\":\"main.c\","
	    "\"files\":{\"main.c\":\"int main;\"},\"runtime\":\"c\",\"stdin\":"
	    "\"\\n\"}");
}

/* Piston's own refusals, in its words. */
static void
piston_request__bad__refused(void **state)
{
	(void)state;
	refused("[]", "JSON object");
	refused("{\"files\":[]}", "language is required as a string");
	refused("{\"language\":5}", "language is required as a string");
	refused("{\"language\":\"py\\u0000\",\"files\":[]}",
	    "language is required");
	refused("{\"language\":\"cobol\",\"files\":[]}",
	    "cobol-* runtime is unknown");
	refused("{\"language\":\"py\",\"version\":3,\"files\":[]}",
	    "version is required as a string");
	refused("{\"language\":\"py\"}", "files is required as an array");
	refused("{\"language\":\"py\",\"files\":[]}", "at least one utf8");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\"},{"
		"\"content\":\"x\"},{\"content\":\"x\"},{\"content\":\"x\"},"
		"{\"content\":\"x\"}]}",
	    "more than 4 files");
	refused("{\"language\":\"py\",\"files\":[5]}", "files[0] must be");
	refused("{\"language\":\"py\",\"files\":[{}]}",
	    "files[0].content is required");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\","
		"\"name\":7}]}",
	    "files[0].name");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\","
		"\"name\":\"a\\u0000b\"}]}",
	    "without NUL");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\","
		"\"encoding\":\"latin1\"}]}",
	    "utf8, base64 or hex");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\"},{"
		"\"content\":\"A=A=\",\"encoding\":\"base64\"}]}",
	    "not valid base64");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\"},{"
		"\"content\":\"abc\",\"encoding\":\"hex\"}]}",
	    "not valid hex");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\","
		"\"name\":\"a\"},{\"content\":\"y\",\"name\":\"a\"}]}",
	    "given twice");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\"}],"
		"\"stdin\":1}",
	    "stdin must be a string");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\"}],"
		"\"args\":\"a\"}",
	    "args must be");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\"}],"
		"\"args\":[null]}",
	    "args must be");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\"}],"
		"\"run_timeout\":\"1\"}",
	    "If specified, run_timeout must be a number");
	refused("{\"language\":\"py\",\"files\":[{\"content\":\"x\"}],"
		"\"compile_memory_limit\":-2}",
	    "compile_memory_limit must be non-negative");
}

/* A job object's stage as Piston's stage. */
static void
stage(const char *job, const char *want_json)
{
	json_t *in = json_loads(job, 0, NULL), *got, *want_obj;
	char *g;

	assert_non_null(in);
	got = piston_stage(in);
	want_obj = json_loads(want_json, 0, NULL);
	assert_non_null(want_obj);
	if (!json_equal(got, want_obj)) {
		g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("got %s", g);
	}
	json_decref(in);
	json_decref(got);
	json_decref(want_obj);
}

/* Each verdict as Piston says it. */
static void
piston_stage__verdicts__pistons_words(void **state)
{
	(void)state;
	stage("{\"verdict\":\"ok\",\"exit_code\":0,\"signal\":null,\"stdout\":"
	      "\"a\",\"stderr\":\"b\",\"cpu_seconds\":0.5,\"wall_seconds\":1,"
	      "\"memory_peak_bytes\":4096}",
	    "{\"stdout\":\"a\",\"stderr\":\"b\",\"output\":\"ab\",\"code\":0,"
	    "\"signal\":null,\"message\":null,\"status\":null,\"cpu_time\":"
	    "500.0,\"wall_time\":1000.0,\"memory\":4096}");
	stage("{\"verdict\":\"exited\",\"exit_code\":3,\"stdout\":null,"
	      "\"stderr\":null}",
	    "{\"stdout\":\"\",\"stderr\":\"\",\"output\":\"\",\"code\":3,"
	    "\"signal\":null,\"message\":\"Exited with error status 3\","
	    "\"status\":\"RE\",\"cpu_time\":null,\"wall_time\":null,"
	    "\"memory\":null}");
	stage("{\"verdict\":\"signaled\",\"signal\":11,\"stdout\":\"\","
	      "\"stderr\":\"\"}",
	    "{\"stdout\":\"\",\"stderr\":\"\",\"output\":\"\",\"code\":null,"
	    "\"signal\":\"SIGSEGV\",\"message\":\"Caught fatal signal 11\","
	    "\"status\":\"SG\",\"cpu_time\":null,\"wall_time\":null,"
	    "\"memory\":null}");
	stage("{\"verdict\":\"wall_limit\",\"signal\":9}",
	    "{\"stdout\":\"\",\"stderr\":\"\",\"output\":\"\",\"code\":null,"
	    "\"signal\":\"SIGKILL\",\"message\":\"Time limit exceeded (wall "
	    "clock)\",\"status\":\"TO\",\"cpu_time\":null,\"wall_time\":null,"
	    "\"memory\":null}");
	stage("{\"verdict\":\"output_limit\",\"stdout_truncated\":false,"
	      "\"stderr_truncated\":true}",
	    "{\"stdout\":\"\",\"stderr\":\"\",\"output\":\"\",\"code\":null,"
	    "\"signal\":\"SIGKILL\",\"message\":\"stderr length exceeded\","
	    "\"status\":\"EL\",\"cpu_time\":null,\"wall_time\":null,"
	    "\"memory\":null}");
	stage("{\"verdict\":\"memory_limit\",\"signal\":9}",
	    "{\"stdout\":\"\",\"stderr\":\"\",\"output\":\"\",\"code\":null,"
	    "\"signal\":\"SIGKILL\",\"message\":\"Memory limit exceeded\","
	    "\"status\":\"SG\",\"cpu_time\":null,\"wall_time\":null,"
	    "\"memory\":null}");
}

/* Linux's signal names; none for numbers it has not. */
static void
piston_signal_name__names(void **state)
{
	(void)state;
	assert_string_equal(piston_signal_name(9), "SIGKILL");
	assert_string_equal(piston_signal_name(25), "SIGXFSZ");
	assert_string_equal(piston_signal_name(31), "SIGSYS");
	assert_null(piston_signal_name(0));
	assert_null(piston_signal_name(32));
	assert_null(piston_signal_name(-1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(piston_request__client_defaults__native),
		cmocka_unit_test(piston_request__full__native),
		cmocka_unit_test(piston_request__bad__refused),
		cmocka_unit_test(piston_stage__verdicts__pistons_words),
		cmocka_unit_test(piston_signal_name__names),
	};

	return cmocka_run_group_tests_name("piston", tests, NULL, NULL);
}
