/*
 * Unit tests for dispatcher/remote.c: the shell quoting of command lines
 * (checked against real shells too), the watchdog clock, and connection
 * failures that need no sshd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libssh/libssh.h>

#include "error.h"
#include "remote.h"
#include "util.h"

/* Quote argv and compare with want. */
static void
check_quote(const char *const *argv, const char *want)
{
	char *got = remote_channel_quote(argv);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/*
 * Run quote(argv) through shell -c with printf '%s\0' in front, and check
 * that the shell hands back exactly the words of argv.
 */
static void
check_shell_roundtrip(const char *shell, const char *const *words)
{
	const char *argv[16];
	char *cmd, buf[4096];
	size_t n = 0, i, off = 0;
	ssize_t got;
	int pfd[2], status;
	pid_t pid;

	if (access(shell, X_OK) != 0)
		skip();
	argv[n++] = "printf";
	argv[n++] = "%s\\0";
	for (i = 0; words[i] != NULL; i++)
		argv[n++] = words[i];
	argv[n] = NULL;
	assert_non_null(cmd = remote_channel_quote(argv));
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl(shell, shell, "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while ((got = read(pfd[0], buf + off, sizeof(buf) - off)) > 0)
		off += (size_t)got;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (i = 0, n = 0; words[i] != NULL; i++) {
		size_t len = strlen(words[i]);

		assert_true(n + len < off);
		assert_memory_equal(buf + n, words[i], len);
		assert_int_equal(buf[n + len], '\0');
		n += len + 1;
	}
	assert_int_equal(n, off);
	free(cmd);
}

/* Words that a shell would interpret if they were not quoted right. */
static const char *const nasty[] = { "", "two words", "it's", "'", "''",
	"\"double\"", "$HOME ${HOME} $(echo pwned) $((1+1))", "`echo pwned`",
	"line one\nline two\n", "back\\slash \\' \\\\",
	"; rm -rf / & | > < * ? [a] ~ # !", "\t tab", "-n", NULL };

/* An empty argument still makes a word. */
static void
remote_channel_quote__empty_argument__two_quotes(void **state)
{
	const char *argv[] = { "printf", "", NULL };

	(void)state;
	check_quote(argv, "'printf' ''");
}

/* No words at all give an empty command line. */
static void
remote_channel_quote__no_words__empty_string(void **state)
{
	const char *argv[] = { NULL };

	(void)state;
	check_quote(argv, "");
}

/* Blanks stay inside one word. */
static void
remote_channel_quote__spaces__one_word(void **state)
{
	const char *argv[] = { "echo", "a b  c", NULL };

	(void)state;
	check_quote(argv, "'echo' 'a b  c'");
}

/* A single quote closes the quote, is escaped, and reopens it. */
static void
remote_channel_quote__single_quote__escaped_outside(void **state)
{
	const char *argv[] = { "it's", "'", NULL };

	(void)state;
	check_quote(argv, "'it'\\''s' ''\\'''");
}

/* Double quotes, $, backticks and newlines are plain inside '...'. */
static void
remote_channel_quote__metacharacters__kept_verbatim(void **state)
{
	const char *argv[] = { "\"x\"", "$HOME", "$(id)", "`id`", "a\nb", "\\",
		NULL };

	(void)state;
	check_quote(argv, "'\"x\"' '$HOME' '$(id)' '`id`' 'a\nb' '\\'");
}

/* /bin/sh gives back exactly the words that were quoted. */
static void
remote_channel_quote__through_sh__words_verbatim(void **state)
{
	(void)state;
	check_shell_roundtrip("/bin/sh", nasty);
}

/* bash (the usual login shell on nodes) does too. */
static void
remote_channel_quote__through_bash__words_verbatim(void **state)
{
	(void)state;
	check_shell_roundtrip("/bin/bash", nasty);
}

/* The watchdog clock moves forward, and an idle session is not busy. */
static void
remote_now_ms__monotonic__never_goes_back(void **state)
{
	int64_t a, b;

	(void)state;
	a = util_now_ms();
	usleep(2000);
	b = util_now_ms();
	assert_true(a > 0);
	assert_true(b >= a + 1);
}

/* Options that cannot work are ERR_INVALID, before anything is opened. */
static void
remote_connect__bad_options__invalid(void **state)
{
	struct remote_opts o = { .host = "127.0.0.1",
		.port = 22,
		.user = "root",
		.identity = "/nonexistent/id",
		.known_hosts = "/nonexistent/known_hosts",
		.connect_timeout_ms = 1000,
		.io_timeout_ms = 1000 };
	struct remote_opts bad;
	struct error e;

	(void)state;
	bad = o;
	bad.host = "";
	error_init(&e);
	assert_null(remote_connect(&bad, &e));
	assert_int_equal(e.code, ERR_INVALID);
	bad = o;
	bad.host = "root@127.0.0.1";
	assert_null(remote_connect(&bad, &e));
	assert_int_equal(e.code, ERR_INVALID);
	bad = o;
	bad.port = 70000;
	assert_null(remote_connect(&bad, &e));
	assert_int_equal(e.code, ERR_INVALID);
	bad = o;
	bad.io_timeout_ms = 0;
	assert_null(remote_connect(&bad, &e));
	assert_int_equal(e.code, ERR_INVALID);
	/* the identity is read before any connection is tried */
	assert_null(remote_connect(&o, &e));
	assert_int_equal(e.code, ERR_INVALID);
	assert_non_null(strstr(e.msg, "/nonexistent/id"));
}

/* A port that refuses connections fails with ERR_IO, without waiting. */
static void
remote_connect__refused_port__io_error(void **state)
{
	char dir[] = "/tmp/sluice-test-remote.XXXXXX", key[64];
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct remote_opts o;
	ssh_key k = NULL;
	struct error e;
	int64_t t0;
	int s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/id", dir);
	assert_int_equal(ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &k), SSH_OK);
	assert_int_equal(ssh_pki_export_privkey_file(k, NULL, NULL, NULL, key),
	    SSH_OK);
	ssh_key_free(k);
	/* A bound socket that does not listen: its port refuses. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	o = (struct remote_opts){ .host = "127.0.0.1",
		.port = ntohs(sin.sin_port),
		.user = "root",
		.identity = key,
		.known_hosts = "/dev/null",
		.connect_timeout_ms = 10000,
		.io_timeout_ms = 1000 };
	error_init(&e);
	t0 = util_now_ms();
	assert_null(remote_connect(&o, &e));
	assert_int_equal(e.code, ERR_IO);
	assert_non_null(strstr(e.msg, "refused"));
	assert_true(util_now_ms() - t0 < 5000);
	close(s);
	unlink(key);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    remote_channel_quote__empty_argument__two_quotes),
		cmocka_unit_test(remote_channel_quote__no_words__empty_string),
		cmocka_unit_test(remote_channel_quote__spaces__one_word),
		cmocka_unit_test(
		    remote_channel_quote__single_quote__escaped_outside),
		cmocka_unit_test(
		    remote_channel_quote__metacharacters__kept_verbatim),
		cmocka_unit_test(
		    remote_channel_quote__through_sh__words_verbatim),
		cmocka_unit_test(
		    remote_channel_quote__through_bash__words_verbatim),
		cmocka_unit_test(remote_now_ms__monotonic__never_goes_back),
		cmocka_unit_test(remote_connect__bad_options__invalid),
		cmocka_unit_test(remote_connect__refused_port__io_error),
	};

	return cmocka_run_group_tests_name("remote", tests, NULL, NULL);
}
