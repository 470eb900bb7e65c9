/* Unit tests for dispatcher/settings.c: sluice.conf, checked at start-up. */
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

#include "settings.h"

#define SHA_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA_B "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"

static char conf_path[] = "/tmp/sluice-settings-XXXXXX";

/* Write text as the config file. */
static void
write_conf(const char *text)
{
	FILE *f = fopen(conf_path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A valid config with a hole for one more line. */
static void
write_valid(const char *extra)
{
	char buf[4096];

	snprintf(buf, sizeof(buf),
	    "state_dir = \"/var/lib/sluice-dispatcher\";\n"
	    "tokens = ( { name = \"webapp\"; sha256 = \"" SHA_A "\"; "
	    "role = \"submit\"; max_pending = 10; },\n"
	    "  { name = \"ops\"; sha256 = \"" SHA_B
	    "\"; role = \"admin\"; } );\n"
	    "nodes = ( { name = \"node1\"; host = \"10.0.0.5\"; port = 22; "
	    "user = \"sluice\"; identity = \"/etc/sluice/id_ed25519\"; "
	    "known_hosts = \"/etc/sluice/known_hosts\"; "
	    "agent = [ \"/usr/local/bin/sluice-agent\", \"--config\", "
	    "\"/etc/sluice/agent.conf\" ]; labels = [ \"big-memory\" ]; } );\n"
	    "%s\n",
	    extra);
	write_conf(buf);
}

static int
setup(void **state)
{
	int fd = mkstemp(conf_path);

	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	unlink(conf_path);
	strcpy(conf_path, "/tmp/sluice-settings-XXXXXX");
	return 0;
}

static void
settings_load__example__read(void **state)
{
	struct settings s;
	struct error e;
	unsigned char digest[32];

	write_valid("max_attempts = 4; listen = \"0.0.0.0:9000\";");
	error_init(&e);
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_string_equal(s.listen_host, "0.0.0.0");
	assert_int_equal(s.listen_port, 9000);
	assert_int_equal(s.max_attempts, 4);
	assert_int_equal(s.ntokens, 2);
	assert_string_equal(s.tokens[0].name, "webapp");
	assert_int_equal(s.tokens[0].role, ROLE_SUBMIT);
	assert_int_equal(s.tokens[0].max_pending, 10);
	assert_int_equal(s.tokens[0].max_running, -1);
	assert_int_equal(s.tokens[1].role, ROLE_ADMIN);
	assert_int_equal(s.nnodes, 1);
	assert_string_equal(s.nodes[0].host, "10.0.0.5");
	assert_int_equal(s.nodes[0].nagent, 3);
	assert_string_equal(s.nodes[0].agent[2], "/etc/sluice/agent.conf");
	assert_int_equal(s.nodes[0].nlabels, 1);
	/* sha256("test") is SHA_A. */
	memset(digest, 0, sizeof(digest));
	digest[0] = 0x9f;
	assert_null(settings_token_find(&s, digest));
	assert_non_null(settings_node_find(&s, "node1"));
	assert_null(settings_node_find(&s, "node2"));
	settings_release(&s);
}

/* An IPv6 listen in brackets is the address without them. */
static void
settings_load__listen_brackets__stripped(void **state)
{
	struct settings s;
	struct error e;

	write_valid("listen = \"[::1]:9001\";");
	error_init(&e);
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_string_equal(s.listen_host, "::1");
	assert_int_equal(s.listen_port, 9001);
	settings_release(&s);
}

static void
settings_load__defaults__applied(void **state)
{
	struct settings s;
	struct error e;

	write_valid("");
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_int_equal(s.max_attempts, 3);
	assert_string_equal(s.listen_host, "127.0.0.1");
	assert_int_equal(s.listen_port, 8750);
	assert_true(s.io_timeout_seconds > 0);
	assert_true(s.dead_after_seconds >= s.keepalive_seconds);
	assert_int_equal(s.caps.max_files, 100);
	assert_int_equal(s.max_out_files, 1000);
	assert_true(s.access_log);
	settings_release(&s);
}

/* Each line must make the config fail, naming the field. */
static void
refuse(const char *extra, const char *field)
{
	struct settings s;
	struct error e;

	write_valid(extra);
	error_init(&e);
	assert_int_equal(settings_load(conf_path, &s, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	if (field != NULL)
		assert_string_equal(e.field, field);
}

static void
settings_load__bad_values__refused(void **state)
{
	refuse("max_attempts = 0;", "max_attempts");
	refuse("io_timeout_seconds = -1;", "io_timeout_seconds");
	refuse("keepalive_seconds = 5; dead_after_seconds = 1;",
	    "dead_after_seconds");
	refuse("listen = \"nowhere\";", "listen");
	refuse("listen = \"127.0.0.1:99999\";", "listen");
	refuse("listen = \"[::1:8750\";", "listen");
	refuse("listen = \"[]:8750\";", "listen");
	/* A name could resolve to several addresses, or another. */
	refuse("listen = \"localhost:8750\";", "listen");
	refuse("listen = \"[localhost]:8750\";", "listen");
	/* A typo stops the daemon instead of falling back to a default. */
	refuse("max_attemps = 3;", "max_attemps");
	/* An origin is a scheme, a host and a port, nothing more. */
	refuse("cors_origins = [ \"https://a.example/\" ];", "cors_origins");
	refuse("cors_origins = [ \"ftp://a.example\" ];", "cors_origins");
	refuse("cors_origins = [ \"https://a.example:99999x\" ];",
	    "cors_origins");
	refuse("cors_origins = [ \"https://\" ];", "cors_origins");
	refuse("cors_origins = [ \"https://a b\" ];", "cors_origins");
	refuse("cors_origins = \"https://a.example\";", "cors_origins");
}

/* Origins that are: scheme, host (or [IPv6]) and port; and "*". */
static void
settings_load__cors_origins__read(void **state)
{
	struct settings s;
	struct error e;

	(void)state;
	write_valid("cors_origins = [ \"https://play.example.edu\", "
		    "\"http://localhost:3000\", \"http://[::1]:8080\", "
		    "\"*\" ];");
	error_init(&e);
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_int_equal(s.ncors_origins, 4);
	assert_string_equal(s.cors_origins[0], "https://play.example.edu");
	assert_string_equal(s.cors_origins[3], "*");
	settings_release(&s);
}

/* access_log: a boolean, true unless turned off. */
static void
settings_load__access_log__read(void **state)
{
	struct settings s;
	struct error e;

	(void)state;
	write_valid("access_log = false;");
	error_init(&e);
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_false(s.access_log);
	settings_release(&s);
	refuse("access_log = 0;", "access_log");
	refuse("access_log = \"no\";", "access_log");
}

/* A misspelt setting's message names its line. */
static void
settings_load__unknown__names_its_line(void **state)
{
	struct settings s;
	struct error e;

	(void)state;
	write_valid("\n\nacess_log = false;");
	error_init(&e);
	assert_int_equal(settings_load(conf_path, &s, &e), -1);
	assert_non_null(strstr(e.msg, "unknown setting 'acess_log' on line 7"));
}

static void
settings_load__bad_tokens__refused(void **state)
{
	write_conf("state_dir = \"/x\"; tokens = ( { name = \"a\"; sha256 = "
		   "\"zz\"; } ); nodes = ( );");
	{
		struct settings s;
		struct error e;

		assert_int_equal(settings_load(conf_path, &s, &e), -1);
		assert_string_equal(e.field, "tokens");
	}
	write_conf(
	    "state_dir = \"/x\"; tokens = ( { name = \"a\"; sha256 = \"" SHA_A
	    "\"; }, { name = \"a\"; sha256 = \"" SHA_B
	    "\"; } ); nodes = ( { name = \"n\"; host = \"h\"; user = "
	    "\"u\"; identity = \"/i\"; known_hosts = \"/k\"; agent = "
	    "[ \"/a\" ]; } );");
	{
		struct settings s;
		struct error e;

		assert_int_equal(settings_load(conf_path, &s, &e), -1);
		assert_non_null(strstr(e.msg, "twice"));
	}
}

static void
settings_load__bad_nodes__refused(void **state)
{
	static const char *bad[] = {
		/* relative agent */
		"nodes = ( { name = \"n\"; host = \"h\"; user = \"u\"; "
		"identity = \"/i\"; known_hosts = \"/k\"; agent = "
		"[ \"sluice-agent\" ]; } );",
		/* relative identity */
		"nodes = ( { name = \"n\"; host = \"h\"; user = \"u\"; "
		"identity = \"i\"; known_hosts = \"/k\"; agent = [ \"/a\" ]; } "
		");",
		/* port out of range */
		"nodes = ( { name = \"n\"; host = \"h\"; port = 70000; user = "
		"\"u\"; identity = \"/i\"; known_hosts = \"/k\"; agent = "
		"[ \"/a\" ]; } );",
		/* a name with a slash */
		"nodes = ( { name = \"a/b\"; host = \"h\"; user = \"u\"; "
		"identity = \"/i\"; known_hosts = \"/k\"; agent = [ \"/a\" ]; "
		"} );",
		/* a host with a space */
		"nodes = ( { name = \"n\"; host = \"h h\"; user = \"u\"; "
		"identity = \"/i\"; known_hosts = \"/k\"; agent = [ \"/a\" ]; "
		"} );",
		NULL,
	};
	char buf[2048];
	struct settings s;
	struct error e;
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		snprintf(buf, sizeof(buf),
		    "state_dir = \"/x\"; tokens = ( { name = \"a\"; sha256 = "
		    "\"" SHA_A "\"; } );\n%s",
		    bad[i]);
		write_conf(buf);
		error_init(&e);
		assert_int_equal(settings_load(conf_path, &s, &e), -1);
		assert_int_equal(e.code, ERR_INVALID);
	}
}

/* path_token: a boolean, for submit tokens only. */
static void
settings_load__path_token__submit_only(void **state)
{
	struct settings s;
	struct error e;

	write_conf("state_dir = \"/x\"; tokens = ( { name = \"a\"; sha256 = "
		   "\"" SHA_A "\"; path_token = true; }, { name = \"b\"; "
		   "sha256 = \"" SHA_B "\"; } ); nodes = ( { name = \"n\"; "
		   "host = \"h\"; user = \"u\"; identity = \"/i\"; "
		   "known_hosts = \"/k\"; agent = [ \"/a\" ]; } );");
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_true(s.tokens[0].path_token);
	assert_false(s.tokens[1].path_token);
	settings_release(&s);
	write_conf("state_dir = \"/x\"; tokens = ( { name = \"a\"; sha256 = "
		   "\"" SHA_A "\"; role = \"admin\"; path_token = true; } ); "
		   "nodes = ( { name = \"n\"; host = \"h\"; user = \"u\"; "
		   "identity = \"/i\"; known_hosts = \"/k\"; agent = "
		   "[ \"/a\" ]; } );");
	assert_int_equal(settings_load(conf_path, &s, &e), -1);
	assert_non_null(strstr(e.msg, "submit only"));
	write_conf("state_dir = \"/x\"; tokens = ( { name = \"a\"; sha256 = "
		   "\"" SHA_A "\"; path_token = 1; } ); nodes = ( { name = "
		   "\"n\"; host = \"h\"; user = \"u\"; identity = \"/i\"; "
		   "known_hosts = \"/k\"; agent = [ \"/a\" ]; } );");
	assert_int_equal(settings_load(conf_path, &s, &e), -1);
	assert_string_equal(e.field, "tokens");
}

/* Without "languages", the documented default map. */
static void
settings_load__languages__default(void **state)
{
	static const struct {
		const char *runtime, *piston;
		int id;
		const char *file;
		bool compile;
	} want[] = { { "python3", "python", 71, "script.py", false },
		{ "c", "c", 50, "main.c", true },
		{ "cpp", "c++", 54, "main.cpp", true },
		{ "java", "java", 62, "Main.java", true },
		{ "javascript", "javascript", 63, "script.js", false } };
	struct settings s;
	struct error e;
	size_t i;

	write_valid("");
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_int_equal(s.nlanguages, 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(s.languages[i].runtime, want[i].runtime);
		assert_string_equal(s.languages[i].piston, want[i].piston);
		assert_int_equal(s.languages[i].judge0_id, want[i].id);
		assert_string_equal(s.languages[i].source_file, want[i].file);
		assert_int_equal(s.languages[i].compile, want[i].compile);
	}
	settings_release(&s);
	write_valid("languages = ( );");
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_int_equal(s.nlanguages, 0);
	settings_release(&s);
}

/* A map of one's own, read whole. */
static void
settings_load__languages__read(void **state)
{
	struct settings s;
	struct error e;

	write_valid("languages = ( { runtime = \"pypy\"; language = "
		    "\"pypy\"; aliases = [ \"pp\" ]; judge0_id = 1001; "
		    "judge0_name = \"PyPy ({version})\"; source_file = "
		    "\"main.py\"; },\n { runtime = \"rust\"; judge0_id = "
		    "73; source_file = \"main.rs\"; compile = true; } );");
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_int_equal(s.nlanguages, 2);
	assert_string_equal(s.languages[0].aliases[0], "pp");
	assert_int_equal(s.languages[0].naliases, 1);
	assert_string_equal(s.languages[1].piston, "");
	assert_string_equal(s.languages[1].judge0_name, "rust ({version})");
	assert_true(s.languages[1].compile);
	settings_release(&s);
}

/* Each entry is checked; no name or id stands for two languages. */
static void
settings_load__languages__refused(void **state)
{
	static const char *const lang = "runtime = \"p\"; language = \"p\"; "
					"source_file = \"m.py\"";
	char buf[512];

	snprintf(buf, sizeof(buf), "languages = ( { %s; }, { %s; } );", lang,
	    lang);
	refuse(buf, "languages");
	refuse("languages = ( { runtime = \"p\"; source_file = \"m\"; } );",
	    "languages");
	refuse("languages = ( { language = \"p\"; source_file = \"m\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; language = \"p\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; language = \"p\"; "
	       "source_file = \"a/m\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; language = \"p\"; "
	       "source_file = \"..\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p q\"; language = \"p\"; "
	       "source_file = \"m\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; language = \"p\"; "
	       "aliases = [ \"p\" ]; source_file = \"m\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; language = \"p\"; "
	       "source_file = \"m\"; }, { runtime = \"q\"; language = "
	       "\"q\"; aliases = [ \"p\" ]; source_file = \"m\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; judge0_id = 7; source_file "
	       "= \"m\"; }, { runtime = \"q\"; judge0_id = 7; source_file "
	       "= \"m\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; judge0_id = 0; source_file "
	       "= \"m\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; judge0_id = 7; judge0_name "
	       "= \"bad\\n\"; source_file = \"m\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; judge0_name = \"x\"; "
	       "language = \"p\"; source_file = \"m\"; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; language = \"p\"; "
	       "source_file = \"m\"; compile = 1; } );",
	    "languages");
	refuse("languages = ( { runtime = \"p\"; language = \"p\"; "
	       "source_file = \"m\"; typo = 1; } );",
	    NULL);
	refuse("languages = { };", "languages");
}

/* A config whose tokens are webapp (with extra_token in its group) and
   ops, with one more line. */
static void
write_tokens(const char *extra_token, const char *extra)
{
	char buf[4096];

	snprintf(buf, sizeof(buf),
	    "state_dir = \"/x\";\n"
	    "tokens = ( { name = \"webapp\"; sha256 = \"" SHA_A "\"; %s },\n"
	    "  { name = \"ops\"; sha256 = \"" SHA_B
	    "\"; role = \"admin\"; } );\n"
	    "nodes = ( { name = \"n\"; host = \"h\"; user = \"u\"; "
	    "identity = \"/i\"; known_hosts = \"/k\"; agent = [ \"/a\" ]; } "
	    ");\n%s\n",
	    extra_token, extra);
	write_conf(buf);
}

/* ui_dir: the installed default unless given; a given one is absolute or
   "" (no dashboard). */
static void
settings_load__ui_dir__read(void **state)
{
	struct settings s;
	struct error e;

	(void)state;
	write_valid("");
	error_init(&e);
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_string_equal(s.ui_dir, UIDIR);
	assert_false(s.ui_dir_given);
	settings_release(&s);
	write_valid("ui_dir = \"/srv/sluice-ui\";");
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_string_equal(s.ui_dir, "/srv/sluice-ui");
	assert_true(s.ui_dir_given);
	settings_release(&s);
	write_valid("ui_dir = \"\";");
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_string_equal(s.ui_dir, "");
	assert_true(s.ui_dir_given);
	settings_release(&s);
	refuse("ui_dir = \"ui\";", "ui_dir");
	refuse("ui_dir = \"../ui\";", "ui_dir");
	refuse("ui_dir = 1;", "ui_dir");
	refuse("ui_dir = [ \"/srv\" ];", "ui_dir");
}

/* Callbacks: the allow-list, the numbers, a token's secret and URL. */
static void
settings_load__callbacks__read(void **state)
{
	struct settings s;
	struct error e;

	(void)state;
	write_tokens("callback_secret = \"0123456789abcdef\"; callback_url = "
		     "\"http://hooks.internal:8080/h\";",
	    "callback_allow = [ \"10.0.0.0/8\", \"hooks.internal:8080\", "
	    "\"[::1]:9000\" ]; callback_allow_public = false; "
	    "callback_retry_seconds = 60; callback_timeout_seconds = 2.5; "
	    "callback_max_concurrent = 4;");
	error_init(&e);
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_int_equal(s.callback.nallow, 3);
	assert_true(s.callback.allow[0].is_cidr);
	assert_string_equal(s.callback.allow[1].host, "hooks.internal");
	assert_int_equal(s.callback.allow[2].port, 9000);
	assert_false(s.callback.allow_public);
	assert_true(s.callback_retry_seconds == 60);
	assert_true(s.callback_timeout_seconds == 2.5);
	assert_int_equal(s.callback_max_concurrent, 4);
	assert_string_equal(s.tokens[0].callback_secret, "0123456789abcdef");
	assert_string_equal(s.tokens[0].callback_url,
	    "http://hooks.internal:8080/h");
	assert_string_equal(s.tokens[1].callback_secret, "");
	settings_release(&s);

	/* The defaults: public addresses only, an hour, 10 s, 16. */
	write_valid("");
	assert_int_equal(settings_load(conf_path, &s, &e), 0);
	assert_int_equal(s.callback.nallow, 0);
	assert_true(s.callback.allow_public);
	assert_true(s.callback_retry_seconds == 3600);
	assert_true(s.callback_timeout_seconds == 10);
	assert_int_equal(s.callback_max_concurrent, 16);
	settings_release(&s);
}

/* Each token line (in webapp's group) and line must fail, naming field. */
static void
refuse_tokens(const char *extra_token, const char *extra, const char *field)
{
	struct settings s;
	struct error e;

	write_tokens(extra_token, extra);
	error_init(&e);
	if (settings_load(conf_path, &s, &e) != -1)
		fail_msg("taken: '%s' '%s'", extra_token, extra);
	assert_int_equal(e.code, ERR_INVALID);
	assert_string_equal(e.field, field);
}

static void
settings_load__bad_callbacks__refused(void **state)
{
	(void)state;
	refuse_tokens("callback_secret = \"short\";", "", "tokens");
	refuse_tokens("callback_secret = \"has a space 0123456789\";", "",
	    "tokens");
	refuse_tokens("callback_secret = 12345678901234567;", "", "tokens");
	/* A default URL needs a secret, and must be allowed. */
	refuse_tokens("callback_url = \"http://a.example/\";", "", "tokens");
	refuse_tokens("callback_secret = \"0123456789abcdef\"; "
		      "callback_url = \"http://10.0.0.1/\";",
	    "", "tokens");
	refuse_tokens("callback_secret = \"0123456789abcdef\"; "
		      "callback_url = \"ftp://a.example/\";",
	    "", "tokens");
	refuse_tokens("", "callback_allow = [ \"10.0.0.1/8\" ];",
	    "callback_allow");
	refuse_tokens("", "callback_allow = [ \"a b\" ];", "callback_allow");
	refuse_tokens("", "callback_allow = \"10.0.0.0/8\";", "callback_allow");
	refuse_tokens("", "callback_allow_public = 1;",
	    "callback_allow_public");
	refuse_tokens("", "callback_retry_seconds = -1;",
	    "callback_retry_seconds");
	refuse_tokens("", "callback_timeout_seconds = 0;",
	    "callback_timeout_seconds");
	refuse_tokens("", "callback_max_concurrent = 0;",
	    "callback_max_concurrent");
	refuse_tokens("", "callback_max_concurrent = 257;",
	    "callback_max_concurrent");
	refuse_tokens("", "callback_ca_file = \"ca.pem\";", "callback_ca_file");
}

/* The documented example, etc/sluice.conf, loads as it is. */
static void
settings_load__etc_example__read(void **state)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	struct settings s;
	struct error e;

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/sluice.conf",
	    top != NULL ? top : "..");
	error_init(&e);
	if (settings_load(path, &s, &e) != 0)
		fail_msg("%s: %s", path, e.msg);
	settings_release(&s);
}

static void
settings_load__missing_file__io_error(void **state)
{
	struct settings s;
	struct error e;

	assert_int_equal(settings_load("/nonexistent/sluice.conf", &s, &e), -1);
	assert_int_equal(e.code, ERR_IO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(settings_load__access_log__read,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__unknown__names_its_line, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__listen_brackets__stripped, setup, teardown),
		cmocka_unit_test_setup_teardown(settings_load__example__read,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__defaults__applied, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__bad_values__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__cors_origins__read, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__bad_tokens__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__bad_nodes__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(settings_load__callbacks__read,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(settings_load__ui_dir__read,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__bad_callbacks__refused, setup, teardown),
		cmocka_unit_test(settings_load__etc_example__read),
		cmocka_unit_test_setup_teardown(
		    settings_load__path_token__submit_only, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__languages__default, setup, teardown),
		cmocka_unit_test_setup_teardown(settings_load__languages__read,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__languages__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    settings_load__missing_file__io_error, setup, teardown),
	};

	return cmocka_run_group_tests_name("settings", tests, NULL, NULL);
}
