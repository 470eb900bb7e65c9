/*
 * Unit tests for common/log.c: whatever a message quotes (a node's reason,
 * a compiler's output, a client's path), it is one line of the log, its
 * control characters written as escapes, and a long one is cut.
 */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static char log_path[] = "/tmp/sluice-log-XXXXXX";
static int saved_stderr = -1;

/* Send stderr to a fresh temporary file. */
static int
setup(void **state)
{
	int fd = mkstemp(log_path);

	(void)state;
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(2);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fd, 2) == 2);
	close(fd);
	return 0;
}

/* Put stderr back and remove the file. */
static int
teardown(void **state)
{
	(void)state;
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	unlink(log_path);
	strcpy(log_path, "/tmp/sluice-log-XXXXXX");
	return 0;
}

/* What was logged so far, as a new string. */
static char *
logged(void)
{
	static char buf[65536];
	FILE *f;
	size_t n;

	fflush(stderr);
	f = fopen(log_path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Lines in s. */
static int
lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void
log_info__control_characters__one_line(void **state)
{
	const char *s;

	(void)state;
	log_open("test", LOG_LEVEL_INFO);
	log_info("job 1 FAILED: %s",
	    "err\n2026-01-01T00:00:00.000Z test info: forged\r\x1b[2J\t\x7f");
	log_debug("not at this level");
	s = logged();
	assert_int_equal(lines(s), 1);
	assert_non_null(strstr(s,
	    " test info: job 1 FAILED: err\\n2026-01-01T00:00:00.000Z test "
	    "info: forged\\x0d\\x1b[2J\\t\\x7f\n"));
}

static void
log_info__long__cut_on_one_line(void **state)
{
	char *big = malloc(3 * LOG_MESSAGE_MAX);
	const char *s;

	(void)state;
	assert_non_null(big);
	memset(big, '\n', 3 * LOG_MESSAGE_MAX - 1);
	big[3 * LOG_MESSAGE_MAX - 1] = '\0';
	log_open("test", LOG_LEVEL_INFO);
	log_error("%s", big);
	free(big);
	s = logged();
	assert_int_equal(lines(s), 1);
	assert_non_null(strstr(s, "\\n\\n...\n"));
	assert_true(strlen(s) < 4 * LOG_MESSAGE_MAX + 128);
}

static void
log_levels__above_the_maximum__silent(void **state)
{
	(void)state;
	log_open("test", LOG_LEVEL_WARN);
	log_info("quiet");
	log_warn("loud");
	assert_null(strstr(logged(), "quiet"));
	assert_non_null(strstr(logged(), "test warning: loud\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    log_info__control_characters__one_line, setup, teardown),
		cmocka_unit_test_setup_teardown(log_info__long__cut_on_one_line,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    log_levels__above_the_maximum__silent, setup, teardown),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
