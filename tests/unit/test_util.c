/* Unit tests for common/util.c: names, paths, bounded reads, numbers, times. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "helpers.h"
#include "util.h"

/* A fresh temporary directory for one test, with a descriptor on it. */
struct tmpdir {
	char path[4096];
	int fd;
};

/* Create the temporary directory a file test works in. */
static int
tmpdir_setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	if (helpers_mkdtemp(t->path, sizeof(t->path), "util") == -1) {
		free(t);
		return -1;
	}
	if ((t->fd = open(t->path, O_RDONLY | O_DIRECTORY)) == -1) {
		rmdir(t->path);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

/* Remove the temporary directory and everything in it. */
static int
tmpdir_teardown(void **state)
{
	struct tmpdir *t = *state;

	close(t->fd);
	helpers_rmtree(t->path);
	free(t);
	return 0;
}

/* Write a file of len bytes into the test's directory. */
static void
put_file(struct tmpdir *t, const char *name, const char *data, size_t len)
{
	int fd = openat(t->fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, data, len), 0);
	close(fd);
}

/* Check a path and return the error code (ERR_NONE when accepted). */
static enum error_code
path_code(const char *path)
{
	struct error e;

	error_init(&e);
	if (util_path_check(path, "entry", &e) == 0) {
		assert_int_equal(e.code, ERR_NONE);
		return ERR_NONE;
	}
	assert_string_equal(e.field, "entry");
	assert_true(e.msg[0] != '\0');
	return e.code;
}

static void
util_path_check__plain_names__accepted(void **state)
{
	assert_int_equal(path_code("main.py"), ERR_NONE);
	assert_int_equal(path_code("src/pkg/mod.py"), ERR_NONE);
	assert_int_equal(path_code("..hidden"), ERR_NONE);
	assert_int_equal(path_code("a.../b"), ERR_NONE);
	assert_int_equal(path_code(".profile"), ERR_NONE);
	assert_int_equal(path_code("caf\xc3\xa9.txt"), ERR_NONE);
}

static void
util_path_check__empty__refused(void **state)
{
	assert_int_equal(path_code(""), ERR_INVALID);
}

static void
util_path_check__absolute__refused(void **state)
{
	assert_int_equal(path_code("/etc/passwd"), ERR_INVALID);
	assert_int_equal(path_code("/"), ERR_INVALID);
}

static void
util_path_check__dot_components__refused(void **state)
{
	assert_int_equal(path_code(".."), ERR_INVALID);
	assert_int_equal(path_code("."), ERR_INVALID);
	assert_int_equal(path_code("../x"), ERR_INVALID);
	assert_int_equal(path_code("a/../../x"), ERR_INVALID);
	assert_int_equal(path_code("a/.."), ERR_INVALID);
	assert_int_equal(path_code("a/./b"), ERR_INVALID);
}

static void
util_path_check__empty_component__refused(void **state)
{
	assert_int_equal(path_code("a//b"), ERR_INVALID);
	assert_int_equal(path_code("a/"), ERR_INVALID);
}

static void
util_path_check__control_characters__refused(void **state)
{
	assert_int_equal(path_code("a\nb"), ERR_INVALID);
	assert_int_equal(path_code("a\tb"), ERR_INVALID);
	assert_int_equal(path_code("\x1b[31m"), ERR_INVALID);
	assert_int_equal(path_code("a\x7f"), ERR_INVALID);
	assert_int_equal(path_code("dir/\x01"), ERR_INVALID);
}

static void
util_path_check__component_length__bounded(void **state)
{
	char name[UTIL_NAME_MAX + 2];

	memset(name, 'a', UTIL_NAME_MAX);
	name[UTIL_NAME_MAX] = '\0';
	assert_int_equal(path_code(name), ERR_NONE);
	name[UTIL_NAME_MAX] = 'a';
	name[UTIL_NAME_MAX + 1] = '\0';
	assert_int_equal(path_code(name), ERR_INVALID);
}

static void
util_path_check__depth__bounded(void **state)
{
	char path[2 * (UTIL_PATH_DEPTH + 1) + 1] = "";
	int i;

	for (i = 0; i < UTIL_PATH_DEPTH; i++)
		strcat(path, i == 0 ? "d" : "/d");
	assert_int_equal(path_code(path), ERR_NONE);
	strcat(path, "/d");
	assert_int_equal(path_code(path), ERR_INVALID);
}

static void
util_path_check__total_length__bounded(void **state)
{
	char path[UTIL_PATH_MAX + 2];
	size_t i;

	/* Components of 99 bytes and a '/', depth within bounds: only the
	   total length can make the difference. */
	memset(path, 'x', sizeof(path));
	for (i = 99; i < sizeof(path); i += 100)
		path[i] = '/';
	path[UTIL_PATH_MAX] = '\0';
	assert_int_equal(path_code(path), ERR_NONE);
	path[UTIL_PATH_MAX] = 'x';
	path[UTIL_PATH_MAX + 1] = '\0';
	assert_int_equal(path_code(path), ERR_INVALID);
}

/* C1 controls in UTF-8 (C2 80 to C2 9F), and nothing else. */
static void
util_c1_at__c1_only(void **state)
{
	(void)state;
	assert_true(util_c1_at("\xc2\x9b"
			       "2J",
	    4));
	assert_true(util_c1_at("\xc2\x80", 2));
	assert_true(util_c1_at("\xc2\x9f", 2));
	assert_false(util_c1_at("\xc2\xa0", 2)); /* no-break space */
	assert_false(util_c1_at("\xc3\xa9", 2)); /* e acute */
	assert_false(util_c1_at("\xc2\x9b", 1)); /* cut short */
	assert_false(util_c1_at("ab", 2));
}

static void
util_token_ok__safe_tokens__accepted(void **state)
{
	assert_true(util_token_ok("python3", 64));
	assert_true(util_token_ok("gcc-12.2_c++", 64));
	assert_true(util_token_ok("42", 64));
	assert_true(util_token_ok("...", 64));
	assert_true(util_token_ok("a", 1));
}

static void
util_token_ok__bad_tokens__refused(void **state)
{
	assert_false(util_token_ok("", 64));
	assert_false(util_token_ok(".", 64));
	assert_false(util_token_ok("..", 64));
	assert_false(util_token_ok("a/b", 64));
	assert_false(util_token_ok("a b", 64));
	assert_false(util_token_ok("a\nb", 64));
	assert_false(util_token_ok("caf\xc3\xa9", 64));
	assert_false(util_token_ok("x;rm", 64));
}

static void
util_token_ok__length__bounded_by_max(void **state)
{
	assert_true(util_token_ok("abcd", 4));
	assert_false(util_token_ok("abcde", 4));
}

static void
util_name_sanitise__unsafe_bytes__replaced(void **state)
{
	char name[] = "a/b\\c\nd\x7f"
		      "e\xc3\xa9"
		      "f";

	assert_true(util_name_sanitise(name));
	/* Every byte outside printable ASCII, and each separator, is '_'. */
	assert_string_equal(name, "a_b_c_d_e__f");
}

static void
util_name_sanitise__safe_name__unchanged(void **state)
{
	char name[] = "plot-1.png";

	assert_true(util_name_sanitise(name));
	assert_string_equal(name, "plot-1.png");
}

static void
util_name_sanitise__dot_names__defused(void **state)
{
	char dot[] = ".", dotdot[] = "..", hidden[] = ".hidden";

	assert_true(util_name_sanitise(dot));
	assert_string_equal(dot, "_");
	assert_true(util_name_sanitise(dotdot));
	assert_string_equal(dotdot, "_.");
	assert_true(util_name_sanitise(hidden));
	assert_string_equal(hidden, ".hidden");
}

static void
util_name_sanitise__empty__unusable(void **state)
{
	char name[] = "";

	assert_false(util_name_sanitise(name));
}

static void
util_name_sanitise__long_name__cut(void **state)
{
	char name[UTIL_NAME_MAX + 50];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_true(util_name_sanitise(name));
	assert_int_equal(strlen(name), UTIL_NAME_MAX);
}

static void
util_read_file_at__regular_file__read_whole(void **state)
{
	struct tmpdir *t = *state;
	struct error e;
	char *text = NULL;
	size_t len = 0;

	error_init(&e);
	put_file(t, "job.json", "{\"a\": 1}\n", 9);
	assert_int_equal(util_read_file_at(t->fd, "job.json", 1024, &text, &len,
			     &e),
	    0);
	assert_non_null(text);
	assert_int_equal(len, 9);
	assert_string_equal(text, "{\"a\": 1}\n");
	free(text);
}

static void
util_read_file_at__empty_file__empty_string(void **state)
{
	struct tmpdir *t = *state;
	struct error e;
	char *text = NULL;
	size_t len = 99;

	put_file(t, "empty", "", 0);
	assert_int_equal(util_read_file_at(t->fd, "empty", 16, &text, &len, &e),
	    0);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
}

static void
util_read_file_at__exactly_cap__accepted(void **state)
{
	struct tmpdir *t = *state;
	struct error e;
	char *text = NULL;
	size_t len = 0;

	put_file(t, "ten", "0123456789", 10);
	assert_int_equal(util_read_file_at(t->fd, "ten", 10, &text, &len, &e),
	    0);
	assert_int_equal(len, 10);
	assert_memory_equal(text, "0123456789", 11);
	free(text);
}

static void
util_read_file_at__oversize__refused(void **state)
{
	struct tmpdir *t = *state;
	char *text = (char *)state; /* must stay untouched */
	struct error e;

	error_init(&e);
	put_file(t, "eleven", "0123456789a", 11);
	assert_int_equal(util_read_file_at(t->fd, "eleven", 10, &text, NULL,
			     &e),
	    -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_ptr_equal(text, (char *)state);
}

static void
util_read_file_at__file_growing_past_cap__refused(void **state)
{
	struct error e;
	char *text = NULL;

	/* procfs reports size 0, so only the read loop can enforce the cap. */
	error_init(&e);
	assert_int_equal(util_read_file_at(AT_FDCWD, "/proc/self/status", 16,
			     &text, NULL, &e),
	    -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_null(text);
}

static void
util_read_file_at__symlink__refused(void **state)
{
	struct tmpdir *t = *state;
	struct error e;
	char *text = NULL;

	put_file(t, "real", "secret", 6);
	assert_int_equal(symlinkat("real", t->fd, "link"), 0);
	error_init(&e);
	assert_int_equal(util_read_file_at(t->fd, "link", 1024, &text, NULL,
			     &e),
	    -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_null(text);
}

static void
util_read_file_at__dangling_symlink__refused(void **state)
{
	struct tmpdir *t = *state;
	struct error e;
	char *text = NULL;

	assert_int_equal(symlinkat("/nonexistent/x", t->fd, "dangling"), 0);
	error_init(&e);
	assert_int_equal(util_read_file_at(t->fd, "dangling", 1024, &text, NULL,
			     &e),
	    -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_null(text);
}

static void
util_read_file_at__fifo__refused_without_blocking(void **state)
{
	struct tmpdir *t = *state;
	struct error e;
	char *text = NULL;
	int rc;

	assert_int_equal(mkfifoat(t->fd, "fifo", 0600), 0);
	error_init(&e);
	/* A FIFO with no writer would block a plain open forever; if it
	   does, SIGALRM ends the binary and the suite fails. */
	alarm(10);
	rc = util_read_file_at(t->fd, "fifo", 1024, &text, NULL, &e);
	alarm(0);
	assert_int_equal(rc, -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_null(text);
}

static void
util_read_file_at__directory__refused(void **state)
{
	struct tmpdir *t = *state;
	struct error e;
	char *text = NULL;

	assert_int_equal(mkdirat(t->fd, "sub", 0755), 0);
	error_init(&e);
	assert_int_equal(util_read_file_at(t->fd, "sub", 1024, &text, NULL, &e),
	    -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_null(text);
}

static void
util_read_file_at__missing__not_found(void **state)
{
	struct tmpdir *t = *state;
	struct error e;
	char *text = NULL;

	error_init(&e);
	assert_int_equal(util_read_file_at(t->fd, "nope", 1024, &text, NULL,
			     &e),
	    -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_null(text);
}

/* A pipe holding n bytes of 'x' and closed for writing; its read end. */
static int
pipe_of(size_t n)
{
	char buf[4096];
	int fds[2];

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(pipe(fds), 0);
	assert_true(n <= sizeof(buf));
	assert_int_equal(write(fds[1], buf, n), (ssize_t)n);
	close(fds[1]);
	return fds[0];
}

static void
util_read_grow__more_than_hint__grows_to_all(void **state)
{
	char *text = NULL;
	size_t len = 0;
	int fd = pipe_of(3000);

	(void)state;
	/* A hint far below what comes: the buffer doubles, then stops at
	   what the descriptor holds. */
	assert_int_equal(util_read_grow(fd, 1, 4000, &text, &len), 0);
	assert_int_equal(len, 3000);
	assert_int_equal(strlen(text), 3000);
	assert_int_equal(text[2999], 'x');
	free(text);
	close(fd);
}

static void
util_read_grow__exactly_cap__accepted(void **state)
{
	char *text = NULL;
	size_t len = 0;
	int fd = pipe_of(1000);

	(void)state;
	assert_int_equal(util_read_grow(fd, 0, 1000, &text, &len), 0);
	assert_int_equal(len, 1000);
	assert_int_equal(text[1000], '\0');
	free(text);
	close(fd);
}

static void
util_read_grow__past_cap__efbig(void **state)
{
	char *text = NULL;
	size_t len = 0;
	int fd = pipe_of(1001);

	(void)state;
	/* With a hint that says it fits, and without one. */
	assert_int_equal(util_read_grow(fd, 1000, 1000, &text, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(text);
	close(fd);
	fd = pipe_of(1001);
	assert_int_equal(util_read_grow(fd, 0, 1000, &text, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(text);
	close(fd);
}

static void
util_read_grow__read_error__its_errno(void **state)
{
	char *text = NULL;
	size_t len = 0;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd != -1);
	assert_int_equal(util_read_grow(fd, 0, 16, &text, &len), -1);
	assert_int_equal(errno, EBADF);
	assert_null(text);
	close(fd);
}

static void
util_parse_u64__decimal__parsed(void **state)
{
	uint64_t v = 1;

	assert_true(util_parse_u64("0", &v));
	assert_int_equal(v, 0);
	assert_true(util_parse_u64("268435456", &v));
	assert_int_equal(v, 268435456);
	assert_true(util_parse_u64("007", &v));
	assert_int_equal(v, 7);
	assert_true(util_parse_u64("18446744073709551615", &v));
	assert_true(v == UINT64_MAX);
}

static void
util_parse_u64__not_a_whole_number__refused(void **state)
{
	static const char *bad[] = { "", "-1", "+1", " 1", "1 ", "1\n", "12a",
		"0x10", "1.5", "max", "18446744073709551616",
		"99999999999999999999999", NULL };
	uint64_t v = 12345;
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		assert_false(util_parse_u64(bad[i], &v));
		/* The out-parameter is set only on success. */
		assert_int_equal(v, 12345);
	}
}

static void
util_time_rfc3339__epoch__formatted(void **state)
{
	struct timespec ts = { 0, 0 };
	char buf[40];

	util_time_rfc3339(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
}

static void
util_time_rfc3339__milliseconds__truncated_not_rounded(void **state)
{
	struct timespec ts = { 1700000000, 123456789 };
	char buf[40];

	util_time_rfc3339(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20.123Z");
	ts.tv_nsec = 999999999;
	util_time_rfc3339(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20.999Z");
}

static void
util_time_rfc3339__small_buffer__terminated(void **state)
{
	struct timespec ts = { 1700000000, 0 };
	char buf[11];

	memset(buf, 'Z', sizeof(buf));
	util_time_rfc3339(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14");
}

/* A UTF-8 sequence cut short at the end goes; whole ones stay. */
static void
util_utf8_whole__cut_sequences__dropped(void **state)
{
	static const struct {
		const char *s;
		size_t keep;
	} cases[] = {
		{ "", 0 },
		{ "abc", 3 },
		{ "ab\xc3", 2 },
		{ "ab\xc3\xa9", 4 },
		{ "a\xe2\x82", 1 },
		{ "a\xe2\x82\xac", 4 },
		{ "a\xf0\x9f\x98", 1 },
		{ "a\xf0\x9f\x98\x80", 5 },
		{ "\xe2", 0 },
		/* Not a cut: left as they are. */
		{ "a\x80\x80\x80\x80", 5 },
		{ "a\xff", 2 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(util_utf8_whole(cases[i].s,
				     strlen(cases[i].s)),
		    cases[i].keep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(util_path_check__plain_names__accepted),
		cmocka_unit_test(util_path_check__empty__refused),
		cmocka_unit_test(util_path_check__absolute__refused),
		cmocka_unit_test(util_path_check__dot_components__refused),
		cmocka_unit_test(util_path_check__empty_component__refused),
		cmocka_unit_test(util_path_check__control_characters__refused),
		cmocka_unit_test(util_path_check__component_length__bounded),
		cmocka_unit_test(util_path_check__depth__bounded),
		cmocka_unit_test(util_path_check__total_length__bounded),
		cmocka_unit_test(util_c1_at__c1_only),
		cmocka_unit_test(util_token_ok__safe_tokens__accepted),
		cmocka_unit_test(util_token_ok__bad_tokens__refused),
		cmocka_unit_test(util_token_ok__length__bounded_by_max),
		cmocka_unit_test(util_name_sanitise__unsafe_bytes__replaced),
		cmocka_unit_test(util_name_sanitise__safe_name__unchanged),
		cmocka_unit_test(util_name_sanitise__dot_names__defused),
		cmocka_unit_test(util_name_sanitise__empty__unusable),
		cmocka_unit_test(util_name_sanitise__long_name__cut),
		cmocka_unit_test_setup_teardown(
		    util_read_file_at__regular_file__read_whole, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    util_read_file_at__empty_file__empty_string, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    util_read_file_at__exactly_cap__accepted, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    util_read_file_at__oversize__refused, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test(
		    util_read_file_at__file_growing_past_cap__refused),
		cmocka_unit_test_setup_teardown(
		    util_read_file_at__symlink__refused, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    util_read_file_at__dangling_symlink__refused, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    util_read_file_at__fifo__refused_without_blocking,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    util_read_file_at__directory__refused, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    util_read_file_at__missing__not_found, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test(util_read_grow__more_than_hint__grows_to_all),
		cmocka_unit_test(util_read_grow__exactly_cap__accepted),
		cmocka_unit_test(util_read_grow__past_cap__efbig),
		cmocka_unit_test(util_read_grow__read_error__its_errno),
		cmocka_unit_test(util_parse_u64__decimal__parsed),
		cmocka_unit_test(util_parse_u64__not_a_whole_number__refused),
		cmocka_unit_test(util_time_rfc3339__epoch__formatted),
		cmocka_unit_test(
		    util_time_rfc3339__milliseconds__truncated_not_rounded),
		cmocka_unit_test(util_time_rfc3339__small_buffer__terminated),
		cmocka_unit_test(util_utf8_whole__cut_sequences__dropped),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
