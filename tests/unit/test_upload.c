/*
 * Unit tests for dispatcher/upload.c: the names `sluice submit` sends its
 * operands' files under (relative paths kept, tidied; '..' refused;
 * absolute ones by their last component), directories walked in name
 * order with --exclude, links never followed inside them, and the caps
 * refused before anything is read; on real files in a temporary directory.
 */
#include "config.h"

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

#include "error.h"
#include "helpers.h"
#include "upload.h"

struct fixture {
	char dir[512];
	char cwd[4096];
	int fds;
};

/* Make dir/rel holding text. */
static void
put(const char *dir, const char *rel, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* A temporary directory, made the working directory. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL ||
	    helpers_mkdtemp(f->dir, sizeof(f->dir), "upload") == -1 ||
	    getcwd(f->cwd, sizeof(f->cwd)) == NULL || chdir(f->dir) == -1) {
		free(f);
		return -1;
	}
	f->fds = helpers_count_fds();
	*state = f;
	return 0;
}

/* Back, the directory removed; no descriptor left open. */
static int
teardown(void **state)
{
	struct fixture *f = *state;
	int fds = helpers_count_fds(), leaked = fds != f->fds;

	if (chdir(f->cwd) == -1)
		return -1;
	helpers_rmtree(f->dir);
	free(f);
	return leaked ? -1 : 0;
}

/* upload_name(operand) must be want. */
static void
name_is(const char *operand, const char *want)
{
	char out[1100];
	struct error e;

	error_init(&e);
	if (upload_name(operand, out, sizeof(out), &e) == -1)
		fail_msg("'%s' refused: %s", operand, e.msg);
	if (strcmp(out, want) != 0)
		fail_msg("'%s' is sent as '%s', not '%s'", operand, out, want);
}

/* upload_name(operand) must be refused, out untouched. */
static void
name_refused(const char *operand)
{
	char out[64] = "untouched";
	struct error e;

	error_init(&e);
	if (upload_name(operand, out, sizeof(out), &e) != -1)
		fail_msg("'%s' taken as '%s'", operand, out);
	assert_int_equal(e.code, ERR_USAGE);
	assert_string_equal(out, "untouched");
}

static void
upload_name__relative__kept_tidied(void **state)
{
	(void)state;
	name_is("main.py", "main.py");
	name_is("pkg/util.py", "pkg/util.py");
	name_is("./a//b/./c", "a/b/c");
	name_is("pkg/", "pkg");
	name_is(".", "");
	name_is("./", "");
}

static void
upload_name__dotdot__refused(void **state)
{
	(void)state;
	name_refused("../x.py");
	name_refused("a/../b");
	name_refused("a/..");
	name_refused("/tmp/..");
	name_refused("/tmp/.");
}

static void
upload_name__absolute__last_component(void **state)
{
	(void)state;
	name_is("/tmp/main.py", "main.py");
	name_is("/home/u/proj/", "proj");
	name_is("//x//y//", "y");
	name_is("/", "");
}

static void
upload_excluded__patterns__by_name_or_path(void **state)
{
	const char *pats[] = { "*.pyc", "__pycache__", "proj/data/big*" };

	(void)state;
	assert_true(upload_excluded(pats, 3, "pkg/__pycache__"));
	assert_true(upload_excluded(pats, 3, "a/b/x.pyc"));
	assert_true(upload_excluded(pats, 3, "x.pyc"));
	assert_true(upload_excluded(pats, 3, "proj/data/big.bin"));
	assert_false(upload_excluded(pats, 3, "other/data/big.bin"));
	/* '*' does not cross a '/' in a pattern with one. */
	assert_false(upload_excluded(pats, 3, "proj/data/big/x"));
	assert_false(upload_excluded(pats, 3, "pkg/util.py"));
	assert_false(upload_excluded(pats, 0, "x.pyc"));
}

static void
upload_add__directory__walked_in_order_links_skipped(void **state)
{
	struct fixture *f = *state;
	const char *pats[] = { "__pycache__" };
	struct upload u;
	struct error e;

	assert_int_equal(mkdir("proj", 0755), 0);
	assert_int_equal(mkdir("proj/pkg", 0755), 0);
	assert_int_equal(mkdir("proj/pkg/__pycache__", 0755), 0);
	put(f->dir, "proj/main.py", "print(1)\n");
	put(f->dir, "proj/pkg/util.py", "x = 1\n");
	put(f->dir, "proj/pkg/__init__.py", "");
	put(f->dir, "proj/pkg/__pycache__/util.pyc", "junk");
	put(f->dir, "secret", "secret\n");
	assert_int_equal(symlink("../secret", "proj/link"), 0);
	assert_int_equal(symlink("/etc", "proj/pkg/etc"), 0);
	assert_int_equal(mkfifo("proj/fifo", 0600), 0);
	upload_init(&u, NULL, pats, 1);
	error_init(&e);
	if (upload_add(&u, "proj", &e) == -1)
		fail_msg("%s", e.msg);
	assert_int_equal(u.n, 3);
	assert_string_equal(u.files[0].name, "proj/main.py");
	assert_string_equal(u.files[1].name, "proj/pkg/__init__.py");
	assert_string_equal(u.files[2].name, "proj/pkg/util.py");
	assert_false(u.files[0].top);
	assert_int_equal(u.skipped, 3);
	assert_string_equal(u.skipped_first, "proj/fifo");
	assert_int_equal(u.total, 9 + 6);
	upload_release(&u);
}

static void
upload_add__same_name_twice__state(void **state)
{
	struct fixture *f = *state;
	struct upload u;
	struct error e;
	char abs[700];

	put(f->dir, "a.py", "1\n");
	snprintf(abs, sizeof(abs), "%s/a.py", f->dir);
	upload_init(&u, NULL, NULL, 0);
	error_init(&e);
	assert_int_equal(upload_add(&u, "a.py", &e), 0);
	assert_true(u.files[0].top);
	assert_int_equal(upload_add(&u, "./a.py", &e), -1);
	assert_int_equal(e.code, ERR_STATE);
	assert_int_equal(upload_add(&u, abs, &e), -1);
	assert_int_equal(e.code, ERR_STATE);
	assert_int_equal(u.n, 1);
	upload_release(&u);
}

static void
upload_add__caps__refused_while_walking(void **state)
{
	struct fixture *f = *state;
	struct upload_caps caps = { 2, 10, 15 };
	struct upload u;
	struct error e;

	assert_int_equal(mkdir("d", 0755), 0);
	put(f->dir, "d/a", "12345678");
	put(f->dir, "d/b", "12345678");
	put(f->dir, "d/c", "1");
	put(f->dir, "big", "12345678901");
	upload_init(&u, &caps, NULL, 0);
	error_init(&e);
	/* a and b: 16 bytes together, over 15. */
	assert_int_equal(upload_add(&u, "d", &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_non_null(strstr(e.msg, "max_submission_bytes"));
	upload_release(&u);
	upload_init(&u, &caps, NULL, 0);
	assert_int_equal(upload_add(&u, "big", &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_non_null(strstr(e.msg, "max_file_bytes"));
	assert_int_equal(u.n, 0);
	upload_release(&u);
	caps.max_total_bytes = 100;
	upload_init(&u, &caps, NULL, 0);
	assert_int_equal(upload_add(&u, "d", &e), -1);
	assert_non_null(strstr(e.msg, "max_files"));
	upload_release(&u);
}

static void
upload_check__lower_caps__each_named(void **state)
{
	struct fixture *f = *state;
	struct upload_caps caps = { 100, 100, 100 };
	struct upload u;
	struct error e;

	put(f->dir, "a", "12345");
	put(f->dir, "b", "123");
	upload_init(&u, NULL, NULL, 0);
	error_init(&e);
	assert_int_equal(upload_add(&u, "a", &e), 0);
	assert_int_equal(upload_add(&u, "b", &e), 0);
	assert_int_equal(upload_check(&u, &caps, 0, &e), 0);
	caps.max_files = 1;
	assert_int_equal(upload_check(&u, &caps, 0, &e), -1);
	assert_non_null(strstr(e.msg, "max_files"));
	caps.max_files = 2;
	caps.max_file_bytes = 4;
	assert_int_equal(upload_check(&u, &caps, 0, &e), -1);
	assert_non_null(strstr(e.msg, "'a' is 5 bytes"));
	caps.max_file_bytes = 100;
	caps.max_total_bytes = 10;
	assert_int_equal(upload_check(&u, &caps, 3, &e), -1);
	assert_non_null(strstr(e.msg, "and stdin"));
	assert_int_equal(upload_check(&u, &caps, 2, &e), 0);
	upload_release(&u);
}

static void
upload_read__walked_file_swapped_for_link__refused(void **state)
{
	struct fixture *f = *state;
	unsigned char *data;
	struct upload u;
	struct error e;
	size_t len;

	assert_int_equal(mkdir("d", 0755), 0);
	put(f->dir, "d/a", "hello");
	put(f->dir, "secret", "secret");
	upload_init(&u, NULL, NULL, 0);
	error_init(&e);
	assert_int_equal(upload_add(&u, "d", &e), 0);
	assert_int_equal(upload_read(&u, &u.files[0], &data, &len, &e), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "hello", 5);
	free(data);
	assert_int_equal(unlink("d/a"), 0);
	assert_int_equal(symlink("../secret", "d/a"), 0);
	data = NULL;
	assert_int_equal(upload_read(&u, &u.files[0], &data, &len, &e), -1);
	assert_null(data);
	upload_release(&u);
}

static void
upload_read__grown_past_cap__refused(void **state)
{
	struct fixture *f = *state;
	struct upload_caps caps = { 10, 8, 100 };
	unsigned char *data = NULL;
	struct upload u;
	struct error e;
	size_t len;

	put(f->dir, "a", "1234");
	upload_init(&u, &caps, NULL, 0);
	error_init(&e);
	assert_int_equal(upload_add(&u, "a", &e), 0);
	put(f->dir, "a", "123456789");
	assert_int_equal(upload_read(&u, &u.files[0], &data, &len, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_null(data);
	upload_release(&u);
}

static void
upload_add__not_there_or_special__notfound(void **state)
{
	struct upload u;
	struct error e;

	(void)state;
	assert_int_equal(mkfifo("fifo", 0600), 0);
	upload_init(&u, NULL, NULL, 0);
	error_init(&e);
	assert_int_equal(upload_add(&u, "nope", &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(upload_add(&u, "fifo", &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(upload_add(&u, "../x", &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	assert_int_equal(u.n, 0);
	upload_release(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(upload_name__relative__kept_tidied),
		cmocka_unit_test(upload_name__dotdot__refused),
		cmocka_unit_test(upload_name__absolute__last_component),
		cmocka_unit_test(upload_excluded__patterns__by_name_or_path),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(upload_add__directory__walked_in_order_links_skipped),
		T(upload_add__same_name_twice__state),
		T(upload_add__caps__refused_while_walking),
		T(upload_check__lower_caps__each_named),
		T(upload_read__walked_file_swapped_for_link__refused),
		T(upload_read__grown_past_cap__refused),
		T(upload_add__not_there_or_special__notfound),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
