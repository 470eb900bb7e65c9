/*
 * Unit tests for dispatcher/spool.c in a temporary state directory: files
 * land where they should, hostile names and planted links are refused, and
 * nothing outside the spool is ever touched.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "spool.h"

/* The state directory, a directory outside the spool, and the spool. */
struct fixture {
	char dir[4096];
	char outside[4200];
	struct spool sp;
	int nfds; /* open descriptors before the test */
};

/* Make a state directory with a spool, and a directory beside it. */
static int
spool_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct error e;

	if (f == NULL)
		return -1;
	if (helpers_mkdtemp(f->dir, sizeof(f->dir), "spool") == -1) {
		free(f);
		return -1;
	}
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->dir);
	if (mkdir(f->outside, 0700) == -1 ||
	    spool_init(&f->sp, f->dir, &e) == -1) {
		helpers_rmtree(f->dir);
		free(f);
		return -1;
	}
	f->nfds = helpers_count_fds();
	*state = f;
	return 0;
}

/* Remove the state directory; fail if the test leaked a descriptor. */
static int
spool_teardown(void **state)
{
	struct fixture *f = *state;
	int leaked = helpers_count_fds() - f->nfds;

	spool_fini(&f->sp);
	helpers_rmtree(f->dir);
	free(f);
	if (leaked != 0) {
		fprintf(stderr, "%d descriptors leaked\n", leaked);
		return -1;
	}
	return 0;
}

/* A path under the fixture's state directory. */
static void
fpath(const struct fixture *f, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", f->dir, rel);
}

/* Whether a path exists (links are not followed). */
static bool
exists(const struct fixture *f, const char *rel)
{
	char p[8192];
	struct stat st;

	fpath(f, rel, p, sizeof(p));
	return lstat(p, &st) == 0;
}

/* The content of a file under the state directory, as a string. */
static void
slurp(const struct fixture *f, const char *rel, char *buf, size_t len)
{
	char p[8192];
	ssize_t n;
	int fd;

	fpath(f, rel, p, sizeof(p));
	fd = open(p, O_RDONLY | O_NOFOLLOW);
	assert_true(fd != -1);
	n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

/* Write a file under the state directory, as a node's download would. */
static void
put(const struct fixture *f, const char *rel, const char *data)
{
	char p[8192];
	int fd;

	fpath(f, rel, p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

/* Make a directory under the state directory. */
static void
mkd(const struct fixture *f, const char *rel)
{
	char p[8192];

	fpath(f, rel, p, sizeof(p));
	assert_int_equal(mkdir(p, 0700), 0);
}

/* Plant a symbolic link rel (under the state directory) to target. */
static void
plant(const struct fixture *f, const char *rel, const char *target)
{
	char p[8192];

	fpath(f, rel, p, sizeof(p));
	assert_int_equal(symlink(target, p), 0);
}

/* The spool is made under the state directory, privately, and again. */
static void
spool_init__state_dir__spool_created(void **state)
{
	struct fixture *f = *state;
	struct spool again;
	struct stat st;
	char want[8192];
	struct error e;

	fpath(f, "spool", want, sizeof(want));
	assert_string_equal(f->sp.dir, want);
	assert_int_equal(stat(want, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(spool_init(&again, f->dir, &e), 0);
	assert_string_equal(again.dir, want);
	spool_fini(&again);
}

/* A state directory that is missing or too long is an error. */
static void
spool_init__bad_state_dir__refused(void **state)
{
	struct fixture *f = *state;
	struct spool sp;
	char p[8192], longp[600];
	struct error e;

	memset(&sp, 0, sizeof(sp));
	fpath(f, "none/deeper", p, sizeof(p));
	assert_int_equal(spool_init(&sp, p, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(spool_init(&sp, longp, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_string_equal(sp.dir, "");
	/* A file where the spool should be. */
	put(f, "outside/spool", "x");
	fpath(f, "outside", p, sizeof(p));
	assert_int_equal(spool_init(&sp, p, &e), -1);
}

/* Paths of a job's parts, and of the job itself. */
static void
spool_path__parts__joined(void **state)
{
	struct fixture *f = *state;
	char buf[8192], want[8192];

	spool_path(&f->sp, 42, "out.tmp", buf, sizeof(buf));
	fpath(f, "spool/42/out.tmp", want, sizeof(want));
	assert_string_equal(buf, want);
	spool_path(&f->sp, 42, NULL, buf, sizeof(buf));
	fpath(f, "spool/42", want, sizeof(want));
	assert_string_equal(buf, want);
	spool_path(&f->sp, 42, "", buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* A new job has an empty in/files/ and nothing else yet. */
static void
spool_job_create__new__empty_in_files(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;
	struct stat st;
	char p[8192];

	assert_int_equal(spool_job_create(&f->sp, 7, &h, &e), 0);
	fpath(f, "spool/7/in/files", p, sizeof(p));
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_nlink, 2);
	assert_false(exists(f, "spool/7/out"));
	spool_job_close(&h);
}

/* A leftover directory of the same id is replaced by an empty one. */
static void
spool_job_create__leftover__replaced(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;

	assert_int_equal(spool_job_create(&f->sp, 7, &h, &e), 0);
	assert_int_equal(spool_write(&h, "a/b.py", "x", 1, &e), 0);
	spool_job_close(&h);
	assert_int_equal(spool_job_create(&f->sp, 7, &h, &e), 0);
	assert_false(exists(f, "spool/7/in/files/a"));
	assert_true(exists(f, "spool/7/in/files"));
	spool_job_close(&h);
}

/* Ids that are not positive name no directory. */
static void
spool_job_create__bad_id__invalid(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;

	assert_int_equal(spool_job_create(&f->sp, 0, &h, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	spool_job_close(&h);
	assert_int_equal(spool_job_create(&f->sp, -3, &h, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_false(exists(f, "spool/-3"));
	spool_job_close(&h);
}

/* Files, nested files, the manifest and stdin land where they belong. */
static void
spool_write__files_and_inputs__on_disk(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;
	char buf[64];
	struct stat st;
	char p[8192];

	assert_int_equal(spool_job_create(&f->sp, 3, &h, &e), 0);
	assert_int_equal(spool_write(&h, "main.py", "print(1)\n", 9, &e), 0);
	assert_int_equal(spool_write(&h, "lib/deep/util.py", "x = 2", 5, &e),
	    0);
	assert_int_equal(spool_write(&h, "lib/other.py", "", 0, &e), 0);
	assert_int_equal(spool_write(&h, "in/job.json", "{}", 2, &e), 0);
	assert_int_equal(spool_write(&h, "in/stdin", "a\0b", 3, &e), 0);
	slurp(f, "spool/3/in/files/main.py", buf, sizeof(buf));
	assert_string_equal(buf, "print(1)\n");
	slurp(f, "spool/3/in/files/lib/deep/util.py", buf, sizeof(buf));
	assert_string_equal(buf, "x = 2");
	slurp(f, "spool/3/in/files/lib/other.py", buf, sizeof(buf));
	assert_string_equal(buf, "");
	slurp(f, "spool/3/in/job.json", buf, sizeof(buf));
	assert_string_equal(buf, "{}");
	fpath(f, "spool/3/in/stdin", p, sizeof(p));
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(st.st_mode & 0777, 0600);
	spool_job_close(&h);
}

/* A file is written once: a second write is refused, the first kept. */
static void
spool_write__existing_file__refused(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;
	char buf[64];

	assert_int_equal(spool_job_create(&f->sp, 3, &h, &e), 0);
	assert_int_equal(spool_write(&h, "a.py", "one", 3, &e), 0);
	assert_int_equal(spool_write(&h, "a.py", "two", 3, &e), -1);
	assert_int_equal(e.code, ERR_STATE);
	assert_int_equal(spool_write(&h, "a.py/b", "two", 3, &e), -1);
	slurp(f, "spool/3/in/files/a.py", buf, sizeof(buf));
	assert_string_equal(buf, "one");
	spool_job_close(&h);
}

/* Names that climb out, are absolute or malformed are refused. */
static void
spool_write__hostile_names__refused(void **state)
{
	static const char *const bad[] = { "../x", "/abs", "a//b", "a/../../x",
		"..", ".", "", "a/", "./a", "x/..", "in/other", "in/../x",
		"in/files/a", "a\nb" };
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;
	size_t i;

	assert_int_equal(spool_job_create(&f->sp, 5, &h, &e), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(spool_write(&h, bad[i], "x", 1, &e), -1);
		assert_int_equal(e.code, ERR_INVALID);
	}
	assert_int_equal(spool_write_file(&h, "../../x", "x", 1, &e), -1);
	assert_false(exists(f, "spool/5/in/x"));
	assert_false(exists(f, "spool/5/x"));
	assert_false(exists(f, "spool/x"));
	assert_false(exists(f, "x"));
	assert_false(exists(f, "abs"));
	spool_job_close(&h);
}

/* A user's file named like an input stays a file under in/files/. */
static void
spool_write_file__input_like_name__stays_a_file(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;
	char buf[64];

	assert_int_equal(spool_job_create(&f->sp, 5, &h, &e), 0);
	assert_int_equal(spool_write_file(&h, "in/stdin", "u", 1, &e), 0);
	assert_false(exists(f, "spool/5/in/stdin"));
	slurp(f, "spool/5/in/files/in/stdin", buf, sizeof(buf));
	assert_string_equal(buf, "u");
	spool_job_close(&h);
}

/* A link planted as a directory of the path is not followed. */
static void
spool_write__symlinked_directory__not_followed(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;

	assert_int_equal(spool_job_create(&f->sp, 4, &h, &e), 0);
	plant(f, "spool/4/in/files/sub", f->outside);
	assert_int_equal(spool_write(&h, "sub/x", "evil", 4, &e), -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_int_equal(spool_write(&h, "sub/new/x", "evil", 4, &e), -1);
	assert_false(exists(f, "outside/x"));
	assert_false(exists(f, "outside/new"));
	spool_job_close(&h);
}

/* A link planted where the file goes is not written through. */
static void
spool_write__symlinked_file__not_followed(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char target[8192], missing[8192], buf[64];
	struct error e;

	assert_int_equal(spool_job_create(&f->sp, 4, &h, &e), 0);
	put(f, "outside/target", "orig");
	fpath(f, "outside/target", target, sizeof(target));
	fpath(f, "outside/missing", missing, sizeof(missing));
	plant(f, "spool/4/in/files/a", target);
	plant(f, "spool/4/in/stdin", missing);
	assert_int_equal(spool_write(&h, "a", "evil", 4, &e), -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_int_equal(spool_write(&h, "in/stdin", "evil", 4, &e), -1);
	assert_int_equal(e.code, ERR_REFUSED);
	slurp(f, "outside/target", buf, sizeof(buf));
	assert_string_equal(buf, "orig");
	assert_false(exists(f, "outside/missing"));
	spool_job_close(&h);
}

/*
 * A link left where the job's directory goes is removed, not followed; and
 * a link planted over in/ after the job was created is never written
 * through (the writes go through the descriptors the create opened).
 */
static void
spool_write__symlinked_job_dir__refused(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char p[8192];
	struct error e;

	mkd(f, "outside/in");
	mkd(f, "outside/in/files");
	plant(f, "spool/6", f->outside);
	assert_int_equal(spool_job_create(&f->sp, 6, &h, &e), 0);
	assert_int_equal(spool_write(&h, "a", "new", 3, &e), 0);
	assert_int_equal(spool_write(&h, "in/job.json", "{}", 2, &e), 0);
	assert_true(exists(f, "spool/6/in/files/a"));
	assert_true(exists(f, "outside/in/files"));
	assert_false(exists(f, "outside/in/files/a"));
	assert_false(exists(f, "outside/in/job.json"));
	spool_job_close(&h);
	assert_int_equal(spool_job_create(&f->sp, 8, &h, &e), 0);
	fpath(f, "spool/8/in", p, sizeof(p));
	helpers_rmtree(p);
	plant(f, "spool/8/in", "../../outside/in");
	(void)spool_write(&h, "a", "evil", 4, &e);
	(void)spool_write(&h, "in/stdin", "evil", 4, &e);
	assert_false(exists(f, "outside/in/files/a"));
	assert_false(exists(f, "outside/in/job.json"));
	assert_false(exists(f, "outside/in/stdin"));
	spool_job_close(&h);
}

/* Results committed replace the previous attempt's, completely. */
static void
spool_results_commit__second_attempt__replaces_old(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char path[8192], want[8192], p[8300];
	struct error e;
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	assert_int_equal(spool_results_begin(&f->sp, 2, path, sizeof(path), &e),
	    0);
	spool_path(&f->sp, 2, "out.tmp", want, sizeof(want));
	assert_string_equal(path, want);
	put(f, "spool/2/out.tmp/result.json", "first");
	mkd(f, "spool/2/out.tmp/files");
	put(f, "spool/2/out.tmp/files/old.txt", "old");
	assert_int_equal(spool_results_commit(&f->sp, 2, &e), 0);
	assert_false(exists(f, "spool/2/out.tmp"));
	assert_int_equal(spool_read_result(&f->sp, 2, "result.json", 100, &data,
			     &len, &e),
	    0);
	assert_string_equal(data, "first");
	assert_int_equal(len, 5);
	free(data);
	data = NULL;

	assert_int_equal(spool_results_begin(&f->sp, 2, path, sizeof(path), &e),
	    0);
	snprintf(p, sizeof(p), "%s/result.json", path);
	put(f, "spool/2/out.tmp/result.json", "second");
	assert_int_equal(spool_results_commit(&f->sp, 2, &e), 0);
	assert_int_equal(spool_read_result(&f->sp, 2, "result.json", 100, &data,
			     &len, &e),
	    0);
	assert_string_equal(data, "second");
	free(data);
	assert_false(exists(f, "spool/2/out/files/old.txt"));
	assert_false(exists(f, "spool/2/out.tmp"));
	spool_job_close(&h);
}

/* A half-downloaded out.tmp/ from before is emptied by begin. */
static void
spool_results_begin__leftover_tmp__emptied(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char path[8192], target[8192], buf[16];
	struct error e;
	struct stat st;

	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	mkd(f, "spool/2/out.tmp");
	mkd(f, "spool/2/out.tmp/files");
	put(f, "spool/2/out.tmp/files/partial", "p");
	put(f, "outside/keep", "k");
	fpath(f, "outside/keep", target, sizeof(target));
	plant(f, "spool/2/out.tmp/files/link", target);
	plant(f, "spool/2/out.tmp/dirlink", f->outside);
	assert_int_equal(spool_results_begin(&f->sp, 2, path, sizeof(path), &e),
	    0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_nlink, 2);
	assert_false(exists(f, "spool/2/out.tmp/files"));
	slurp(f, "outside/keep", buf, sizeof(buf));
	assert_string_equal(buf, "k");
	spool_job_close(&h);
}

/* Without out.tmp/ there is nothing to commit; out/ stays. */
static void
spool_results_commit__no_tmp__state_error(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char path[8192];
	struct error e;

	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	assert_int_equal(spool_results_commit(&f->sp, 2, &e), -1);
	assert_int_equal(e.code, ERR_STATE);
	assert_int_equal(spool_results_begin(&f->sp, 2, path, sizeof(path), &e),
	    0);
	assert_int_equal(spool_results_commit(&f->sp, 2, &e), 0);
	assert_int_equal(spool_results_commit(&f->sp, 2, &e), -1);
	assert_int_equal(e.code, ERR_STATE);
	assert_true(exists(f, "spool/2/out"));
	spool_job_close(&h);
}

/* An out.tmp that is a link is not renamed into place. */
static void
spool_results_commit__tmp_is_link__refused(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;

	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	plant(f, "spool/2/out.tmp", f->outside);
	assert_int_equal(spool_results_commit(&f->sp, 2, &e), -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_false(exists(f, "spool/2/out"));
	spool_job_close(&h);
}

/* A buffer too small for the path is an error, and begins nothing. */
static void
spool_results_begin__small_buffer__invalid(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char path[8] = "unset";
	struct error e;

	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	assert_int_equal(spool_results_begin(&f->sp, 2, path, sizeof(path), &e),
	    -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_string_equal(path, "unset");
	assert_false(exists(f, "spool/2/out.tmp"));
	spool_job_close(&h);
}

/* Reading stops at the cap: a file one byte over is refused. */
static void
spool_read_result__over_cap__refused(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	mkd(f, "spool/2/out");
	mkd(f, "spool/2/out/files");
	put(f, "spool/2/out/files/big", "0123456789");
	assert_int_equal(spool_read_result(&f->sp, 2, "files/big", 10, &data,
			     &len, &e),
	    0);
	assert_int_equal(len, 10);
	assert_string_equal(data, "0123456789");
	free(data);
	data = NULL;
	assert_int_equal(spool_read_result(&f->sp, 2, "files/big", 9, &data,
			     &len, &e),
	    -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_null(data);
	spool_job_close(&h);
}

/* Links in out/, to a file or a directory, are not read through. */
static void
spool_read_result__symlink__refused(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char target[8192];
	struct error e;
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	mkd(f, "spool/2/out");
	put(f, "outside/secret", "s3cret");
	fpath(f, "outside/secret", target, sizeof(target));
	plant(f, "spool/2/out/stdout", target);
	plant(f, "spool/2/out/files", f->outside);
	assert_int_equal(spool_read_result(&f->sp, 2, "stdout", 100, &data,
			     &len, &e),
	    -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_int_equal(spool_read_result(&f->sp, 2, "files/secret", 100,
			     &data, &len, &e),
	    -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_null(data);
	spool_job_close(&h);
}

/* Names that climb out of out/ are refused before anything is opened. */
static void
spool_read_result__hostile_names__refused(void **state)
{
	static const char *const bad[] = { "../in/stdin", "/etc/passwd", "a//b",
		"files/../../in/job.json", "", "." };
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;
	char *data = NULL;
	size_t len = 0, i;

	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	assert_int_equal(spool_write(&h, "in/stdin", "in", 2, &e), 0);
	mkd(f, "spool/2/out");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(spool_read_result(&f->sp, 2, bad[i], 100,
				     &data, &len, &e),
		    -1);
		assert_int_equal(e.code, ERR_INVALID);
	}
	assert_null(data);
	spool_job_close(&h);
}

/* Missing files, directories or jobs are ERR_NOTFOUND. */
static void
spool_read_result__missing__not_found(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(spool_read_result(&f->sp, 2, "stdout", 100, &data,
			     &len, &e),
	    -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	assert_int_equal(spool_read_result(&f->sp, 2, "stdout", 100, &data,
			     &len, &e),
	    -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	mkd(f, "spool/2/out");
	assert_int_equal(spool_read_result(&f->sp, 2, "files/a", 100, &data,
			     &len, &e),
	    -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_null(data);
	spool_job_close(&h);
}

/* Removal takes the whole tree, links included, but not their targets. */
static void
spool_job_remove__tree_with_links__targets_kept(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char target[8192], buf[16];
	struct error e;

	assert_int_equal(spool_job_create(&f->sp, 11, &h, &e), 0);
	assert_int_equal(spool_write(&h, "a/b/c/d.txt", "d", 1, &e), 0);
	assert_int_equal(spool_write(&h, "in/job.json", "{}", 2, &e), 0);
	mkd(f, "spool/11/out");
	put(f, "outside/keep", "k");
	mkd(f, "outside/dir");
	put(f, "outside/dir/inner", "i");
	fpath(f, "outside/keep", target, sizeof(target));
	plant(f, "spool/11/out/file-link", target);
	fpath(f, "outside/dir", target, sizeof(target));
	plant(f, "spool/11/in/files/a/dir-link", target);
	spool_job_close(&h);
	assert_int_equal(spool_job_create(&f->sp, 12, &h, &e), 0);
	assert_int_equal(spool_job_remove(&f->sp, 11, &e), 0);
	assert_false(exists(f, "spool/11"));
	assert_true(exists(f, "spool/12/in/files"));
	slurp(f, "outside/keep", buf, sizeof(buf));
	assert_string_equal(buf, "k");
	slurp(f, "outside/dir/inner", buf, sizeof(buf));
	assert_string_equal(buf, "i");
	spool_job_close(&h);
}

/* A job directory that is itself a link: the link goes, not the target. */
static void
spool_job_remove__job_dir_is_link__link_removed(void **state)
{
	struct fixture *f = *state;
	char buf[16];
	struct error e;

	put(f, "outside/keep", "k");
	plant(f, "spool/13", f->outside);
	assert_int_equal(spool_job_remove(&f->sp, 13, &e), 0);
	assert_false(exists(f, "spool/13"));
	slurp(f, "outside/keep", buf, sizeof(buf));
	assert_string_equal(buf, "k");
}

/* Removing a job that has no spool is not an error. */
static void
spool_job_remove__missing__ok(void **state)
{
	struct fixture *f = *state;
	struct error e;

	assert_int_equal(spool_job_remove(&f->sp, 99, &e), 0);
	assert_int_equal(spool_job_remove(&f->sp, 0, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
}

/* The inputs are read back by their names, and only those are. */
static void
spool_read_input__manifest_and_stdin__read(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	struct error e;
	char *data = NULL;
	size_t len = 0;
	int fd;

	assert_int_equal(spool_job_create(&f->sp, 3, &h, &e), 0);
	assert_int_equal(spool_read_input(&f->sp, 3, SPOOL_STDIN, 100, &data,
			     &len, &e),
	    -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(spool_write(&h, SPOOL_MANIFEST, "{}", 2, &e), 0);
	assert_int_equal(spool_write(&h, SPOOL_STDIN, "a\0b", 3, &e), 0);
	assert_int_equal(spool_write_file(&h, "main.py", "x", 1, &e), 0);
	assert_int_equal(spool_read_input(&f->sp, 3, SPOOL_MANIFEST, 100, &data,
			     &len, &e),
	    0);
	assert_string_equal(data, "{}");
	free(data);
	assert_int_equal(spool_read_input(&f->sp, 3, SPOOL_STDIN, 100, &data,
			     &len, &e),
	    0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "a\0b", 3);
	free(data);
	assert_int_equal(spool_read_input(&f->sp, 3, "in/files/main.py", 100,
			     &data, &len, &e),
	    -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_int_equal(spool_open_files(&f->sp, 3, &fd, &e), 0);
	assert_true(faccessat(fd, "main.py", F_OK, AT_SYMLINK_NOFOLLOW) == 0);
	close(fd);
	spool_job_close(&h);
}

/* The submission's files are never opened through a planted link. */
static void
spool_open_files__symlinked_files__refused(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char p[8192];
	struct error e;
	int fd = -1;

	assert_int_equal(spool_job_create(&f->sp, 4, &h, &e), 0);
	fpath(f, "spool/4/in/files", p, sizeof(p));
	assert_int_equal(rmdir(p), 0);
	plant(f, "spool/4/in/files", f->outside);
	assert_int_equal(spool_open_files(&f->sp, 4, &fd, &e), -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_int_equal(fd, -1);
	spool_job_close(&h);
}

/* A checked result put into an attempt is the one read back. */
static void
spool_result_put__committed__read_back(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char path[8192], *data = NULL;
	struct result r, back;
	struct error e;
	size_t len;
	int dfd;

	result_init(&r);
	result_init(&back);
	r.exit_code = 3;
	r.wall_seconds = 1.5;
	r.limits = (struct limits){ .cpu_seconds = 5.0,
		.wall_seconds = 10.0,
		.memory_bytes = 268435456,
		.processes = 16,
		.output_bytes = 1048576,
		.disk_bytes = 16777216,
		.open_files = 64 };
	snprintf(r.started_at, sizeof(r.started_at),
	    "2024-01-02T03:04:05.678Z");
	snprintf(r.finished_at, sizeof(r.finished_at),
	    "2024-01-02T03:04:06.712Z");
	assert_int_equal(result_add_file(&r, "a.txt", 7), 0);
	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	assert_int_equal(spool_results_begin(&f->sp, 2, path, sizeof(path), &e),
	    0);
	put(f, "spool/2/out.tmp/" SPOOL_RESULT, "{\"the node\": \"lies\"}");
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(spool_result_put(dfd, &r, &e), 0);
	close(dfd);
	assert_int_equal(spool_result_get(&f->sp, 2, &back, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(spool_results_commit(&f->sp, 2, &e), 0);
	assert_int_equal(spool_result_get(&f->sp, 2, &back, &e), 0);
	assert_int_equal(back.exit_code, 3);
	assert_true(back.wall_seconds == 1.5);
	assert_int_equal(back.n_out_files, 1);
	assert_string_equal(back.out_files[0].name, "a.txt");
	assert_int_equal(spool_read_result(&f->sp, 2, SPOOL_RESULT, 4096, &data,
			     &len, &e),
	    0);
	assert_null(strstr(data, "lies"));
	free(data);
	result_release(&r);
	result_release(&back);
	spool_job_close(&h);
}

/* A file the job left is read by its own name, never outside files/. */
static void
spool_read_out_file__names__only_below_files(void **state)
{
	struct fixture *f = *state;
	struct spool_job h;
	char path[8192], *data = NULL;
	struct error e;
	size_t len;

	assert_int_equal(spool_job_create(&f->sp, 2, &h, &e), 0);
	assert_int_equal(spool_results_begin(&f->sp, 2, path, sizeof(path), &e),
	    0);
	put(f, "spool/2/out.tmp/" SPOOL_STDOUT, "out");
	mkd(f, "spool/2/out.tmp/" SPOOL_FILES);
	put(f, "spool/2/out.tmp/" SPOOL_FILES "/a", "file a");
	assert_int_equal(spool_results_commit(&f->sp, 2, &e), 0);
	assert_int_equal(spool_read_out_file(&f->sp, 2, "a", 100, &data, &len,
			     &e),
	    0);
	assert_string_equal(data, "file a");
	free(data);
	assert_int_equal(spool_read_out_file(&f->sp, 2, "../" SPOOL_STDOUT, 100,
			     &data, &len, &e),
	    -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_int_equal(spool_read_out_file(&f->sp, 2, SPOOL_STDOUT, 100,
			     &data, &len, &e),
	    -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	spool_job_close(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) \
	cmocka_unit_test_setup_teardown(name, spool_setup, spool_teardown)
		T(spool_init__state_dir__spool_created),
		T(spool_init__bad_state_dir__refused),
		T(spool_path__parts__joined),
		T(spool_job_create__new__empty_in_files),
		T(spool_job_create__leftover__replaced),
		T(spool_job_create__bad_id__invalid),
		T(spool_write__files_and_inputs__on_disk),
		T(spool_write__existing_file__refused),
		T(spool_write__hostile_names__refused),
		T(spool_write_file__input_like_name__stays_a_file),
		T(spool_write__symlinked_directory__not_followed),
		T(spool_write__symlinked_file__not_followed),
		T(spool_write__symlinked_job_dir__refused),
		T(spool_results_commit__second_attempt__replaces_old),
		T(spool_results_begin__leftover_tmp__emptied),
		T(spool_results_commit__no_tmp__state_error),
		T(spool_results_commit__tmp_is_link__refused),
		T(spool_results_begin__small_buffer__invalid),
		T(spool_read_result__over_cap__refused),
		T(spool_read_result__symlink__refused),
		T(spool_read_result__hostile_names__refused),
		T(spool_read_result__missing__not_found),
		T(spool_job_remove__tree_with_links__targets_kept),
		T(spool_job_remove__job_dir_is_link__link_removed),
		T(spool_job_remove__missing__ok),
		T(spool_read_input__manifest_and_stdin__read),
		T(spool_open_files__symlinked_files__refused),
		T(spool_result_put__committed__read_back),
		T(spool_read_out_file__names__only_below_files),
#undef T
	};

	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
