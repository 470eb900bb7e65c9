/*
 * The spool of job files: see spool.h.
 *
 * Below <state_dir>/spool every name is reached from a directory
 * descriptor one component at a time with O_NOFOLLOW, so a symbolic link
 * planted anywhere in a job's tree (by a bug, or by anything that can write
 * there) is refused rather than followed out of the spool.  The spool
 * directory itself is the operator's and may be reached through links.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "spool.h"
#include "util.h"

#define SPOOL_DIR_MODE 0700
#define SPOOL_FILE_MODE 0600
#define SPOOL_REMOVE_DEPTH 64 /* deeper trees are not ours */
#define SPOOL_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define SPOOL_IN "in"
#define SPOOL_IN_FILES_NAME "files"
#define SPOOL_IN_FILES SPOOL_IN "/" SPOOL_IN_FILES_NAME
#define SPOOL_OUT "out"
#define SPOOL_OUT_TMP "out.tmp"

/* Fill e for a failed open or mkdir of name; ELOOP means a link.  -1. */
static int
spool_errno(int err, const char *what, const char *name, struct error *e)
{
	switch (err) {
	case ELOOP:
		return error_set(e, ERR_REFUSED,
		    "cannot %s '%s': it is a symbolic link", what, name);
	case ENOTDIR:
		return error_set(e, ERR_REFUSED,
		    "cannot %s '%s': a component is not a directory", what,
		    name);
	case ENOENT:
		return error_set(e, ERR_NOTFOUND, "cannot %s '%s': %s", what,
		    name, strerror(err));
	case EEXIST:
		return error_set(e, ERR_STATE, "cannot %s '%s': %s", what, name,
		    strerror(err));
	case ENOMEM:
		return error_set(e, ERR_NOMEM, "cannot %s '%s': %s", what, name,
		    strerror(err));
	default:
		return error_set(e, ERR_IO, "cannot %s '%s': %s", what, name,
		    strerror(err));
	}
}

/* The name of job id's directory inside the spool. */
static int
spool_job_name(int64_t id, char *buf, size_t len, struct error *e)
{
	if (id <= 0)
		return error_set(e, ERR_INVALID,
		    "job id %" PRId64 " is not positive", id);
	snprintf(buf, len, "%" PRId64, id);
	return 0;
}

/* Open job id's directory, never through a link. */
static int
spool_open_job(const struct spool *sp, int64_t id, int *fd, struct error *e)
{
	char name[32];
	int dfd;

	if (spool_job_name(id, name, sizeof(name), e) == -1)
		return -1;
	if ((dfd = openat(sp->root, name, SPOOL_DIR_FLAGS)) == -1) {
		if (errno == ENOENT)
			return error_set(e, ERR_NOTFOUND,
			    "no spool for job %" PRId64, id);
		return spool_errno(errno, "open job directory", name, e);
	}
	*fd = dfd;
	return 0;
}

/*
 * Walk the directories of path (relative, already checked or our own) from
 * dirfd, one component at a time, without following links; with create,
 * make the missing ones.  *fd is a new descriptor on the last one.
 */
static int
spool_walk(int dirfd, const char *path, bool create, int *fd, struct error *e)
{
	char buf[UTIL_PATH_MAX + 1], *comp, *save = NULL;
	int cur, next, ret = -1;

	if ((cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return spool_errno(errno, "open", ".", e);
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		error_set(e, ERR_INVALID, "path '%.64s' is too long", path);
		goto out;
	}
	for (comp = strtok_r(buf, "/", &save); comp != NULL;
	     comp = strtok_r(NULL, "/", &save)) {
		if (create && mkdirat(cur, comp, SPOOL_DIR_MODE) == -1 &&
		    errno != EEXIST) {
			spool_errno(errno, "create directory", comp, e);
			goto out;
		}
		/* An existing link or file in the way is refused here. */
		if ((next = openat(cur, comp, SPOOL_DIR_FLAGS)) == -1) {
			spool_errno(errno, "open directory", comp, e);
			goto out;
		}
		close(cur);
		cur = next;
	}
	*fd = cur;
	cur = -1;
	ret = 0;
out:
	if (cur != -1)
		close(cur);
	return ret;
}

/*
 * Remove everything inside the directory open on dfd, never following a
 * link (a link is removed, not its target).  depth bounds the recursion.
 */
static int
spool_empty_dir(int dfd, int depth, struct error *e)
{
	DIR *d = NULL;
	struct dirent *ent;
	struct stat st;
	int fd, sub, rc, removed, ret = -1;

	if (depth > SPOOL_REMOVE_DEPTH)
		return error_set(e, ERR_REFUSED,
		    "cannot remove a tree deeper than %d", SPOOL_REMOVE_DEPTH);
	if ((fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return spool_errno(errno, "read directory", ".", e);
	if ((d = fdopendir(fd)) == NULL) {
		spool_errno(errno, "read directory", ".", e);
		close(fd);
		return -1;
	}
	/*
	 * Whether readdir() returns entries removed or added during the scan
	 * is unspecified, so scan again until a scan removes nothing.
	 */
	do {
		removed = 0;
		rewinddir(d);
		errno = 0;
		while ((ent = readdir(d)) != NULL) {
			if (strcmp(ent->d_name, ".") == 0 ||
			    strcmp(ent->d_name, "..") == 0)
				continue;
			if (fstatat(dfd, ent->d_name, &st,
				AT_SYMLINK_NOFOLLOW) == -1) {
				spool_errno(errno, "inspect", ent->d_name, e);
				goto out;
			}
			if (S_ISDIR(st.st_mode)) {
				sub = openat(dfd, ent->d_name, SPOOL_DIR_FLAGS);
				if (sub == -1) {
					spool_errno(errno, "open directory",
					    ent->d_name, e);
					goto out;
				}
				rc = spool_empty_dir(sub, depth + 1, e);
				close(sub);
				if (rc == -1)
					goto out;
				rc = unlinkat(dfd, ent->d_name, AT_REMOVEDIR);
			} else
				rc = unlinkat(dfd, ent->d_name, 0);
			if (rc == -1) {
				spool_errno(errno, "remove", ent->d_name, e);
				goto out;
			}
			removed++;
			errno = 0;
		}
		if (errno != 0) {
			spool_errno(errno, "read directory", ".", e);
			goto out;
		}
	} while (removed > 0);
	ret = 0;
out:
	closedir(d);
	return ret;
}

/*
 * Remove the entry name of dirfd and everything below it, never following
 * a link.  A missing entry is not an error.
 */
static int
spool_remove_at(int dirfd, const char *name, struct error *e)
{
	struct stat st;
	int fd, rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		return spool_errno(errno, "inspect", name, e);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT)
			return spool_errno(errno, "remove", name, e);
		return 0;
	}
	if ((fd = openat(dirfd, name, SPOOL_DIR_FLAGS)) == -1)
		return spool_errno(errno, "open directory", name, e);
	rc = spool_empty_dir(fd, 1, e);
	close(fd);
	if (rc == -1)
		return error_wrap(e, "cannot remove '%s'", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return spool_errno(errno, "remove directory", name, e);
	return 0;
}

/* Create (if needed) and remember <state_dir>/spool. */
int
spool_init(struct spool *sp, const char *state_dir, struct error *e)
{
	struct spool s;

	s.root = -1;
	if (snprintf(s.dir, sizeof(s.dir), "%s/spool", state_dir) >=
	    (int)sizeof(s.dir))
		return error_set(e, ERR_INVALID,
		    "state directory '%.64s...' is longer than %zu bytes",
		    state_dir, sizeof(s.dir) - sizeof("/spool"));
	if (mkdir(s.dir, SPOOL_DIR_MODE) == -1 && errno != EEXIST)
		return spool_errno(errno, "create spool", s.dir, e);
	/* The operator's path: links are followed, here only. */
	if ((s.root = open(s.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return spool_errno(errno, "open spool", s.dir, e);
	*sp = s;
	return 0;
}

/* Close the spool's directory. */
void
spool_fini(struct spool *sp)
{
	if (sp->root != -1)
		close(sp->root);
	sp->root = -1;
}

/* The path of part of job id (the job's directory if part is NULL or ""). */
void
spool_path(const struct spool *sp, int64_t id, const char *part, char *buf,
    size_t len)
{
	if (part == NULL || part[0] == '\0')
		snprintf(buf, len, "%s/%" PRId64, sp->dir, id);
	else
		snprintf(buf, len, "%s/%" PRId64 "/%s", sp->dir, id, part);
}

/* Create the job's directory with an empty in/files/, and keep them open. */
int
spool_job_create(const struct spool *sp, int64_t id, struct spool_job *h,
    struct error *e)
{
	char name[32];

	h->job = h->in = h->files = -1;
	if (spool_job_name(id, name, sizeof(name), e) == -1)
		goto fail;
	/*
	 * A directory already there is a leftover of a submission whose
	 * transaction never committed (so its id is handed out again).
	 */
	if (spool_remove_at(sp->root, name, e) == -1)
		goto fail;
	if (mkdirat(sp->root, name, SPOOL_DIR_MODE) == -1) {
		spool_errno(errno, "create job directory", name, e);
		goto fail;
	}
	if ((h->job = openat(sp->root, name, SPOOL_DIR_FLAGS)) == -1) {
		spool_errno(errno, "open job directory", name, e);
		goto fail;
	}
	if (spool_walk(h->job, SPOOL_IN, true, &h->in, e) == -1 ||
	    spool_walk(h->in, SPOOL_IN_FILES_NAME, true, &h->files, e) == -1)
		goto fail;
	return 0;
fail:
	spool_job_close(h);
	return -1;
}

/* Close what spool_job_create() opened. */
void
spool_job_close(struct spool_job *h)
{
	if (h->files != -1)
		close(h->files);
	if (h->in != -1)
		close(h->in);
	if (h->job != -1)
		close(h->job);
	h->job = h->in = h->files = -1;
}

/*
 * Create the new file rel under the directory open on base (rel checked by
 * the caller), making its parent directories, and write data into it.  A
 * file that exists already, or a link in its place, is refused.
 */
static int
spool_create_file(int base, const char *rel, const void *data, size_t len,
    struct error *e)
{
	char dir[UTIL_PATH_MAX + 1];
	const char *name;
	char *slash;
	struct stat st;
	int parent = -1, at = base, fd = -1, ret = -1;

	if (snprintf(dir, sizeof(dir), "%s", rel) >= (int)sizeof(dir))
		return error_set(e, ERR_INVALID, "path '%.64s' is too long",
		    rel);
	/* A name with a directory part is created in it (made if need be);
	   a plain name in base itself. */
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		name = slash + 1;
		if (spool_walk(base, dir, true, &parent, e) == -1)
			goto out;
		at = parent;
	} else
		name = dir;
	fd = openat(at, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    SPOOL_FILE_MODE);
	if (fd == -1) {
		if (errno == EEXIST &&
		    fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			errno = ELOOP;
		spool_errno(errno, "create", rel, e);
		goto out;
	}
	if (util_write_all(fd, data, len) == -1) {
		spool_errno(errno, "write", rel, e);
		/* Leave no half-written file for a later reader. */
		(void)unlinkat(at, name, 0);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		spool_errno(errno, "write", rel, e);
		(void)unlinkat(at, name, 0);
		goto out;
	}
	fd = -1;
	ret = 0;
out:
	if (fd != -1)
		close(fd);
	if (parent != -1)
		close(parent);
	return ret;
}

/* Whether rel is one of the inputs spool_write() writes by its own name. */
static bool
spool_input_name(const char *rel)
{
	return strcmp(rel, SPOOL_MANIFEST) == 0 ||
	    strcmp(rel, SPOOL_STDIN) == 0 || strcmp(rel, SPOOL_EXPECTED) == 0 ||
	    strcmp(rel, SPOOL_EXPECTED_EXACT) == 0;
}

/* Write a file of the submission under in/files/, or in/job.json, in/stdin. */
int
spool_write(struct spool_job *h, const char *rel, const void *data, size_t len,
    struct error *e)
{
	if (strncmp(rel, "in/", 3) != 0)
		return spool_write_file(h, rel, data, len, e);
	if (!spool_input_name(rel))
		return error_set_field(e, ERR_INVALID, "name",
		    "'%.64s' is no input of the spool's", rel);
	return spool_create_file(h->in, rel + 3, data, len, e);
}

/* Write a file of the submission under in/files/, whatever its name. */
int
spool_write_file(struct spool_job *h, const char *rel, const void *data,
    size_t len, struct error *e)
{
	if (util_path_check(rel, "name", e) == -1)
		return -1;
	return spool_create_file(h->files, rel, data, len, e);
}

/*
 * Read a file below the job's directory, rel relative to it (checked or
 * our own, with a directory part), into a new buffer of at most cap bytes.
 */
static int
spool_read_at(const struct spool *sp, int64_t id, const char *rel, size_t cap,
    char **out, size_t *len, struct error *e)
{
	char dir[UTIL_PATH_MAX + 1];
	const char *name;
	char *slash;
	int job = -1, parent = -1, ret = -1;

	if (snprintf(dir, sizeof(dir), "%s", rel) >= (int)sizeof(dir)) {
		error_set(e, ERR_INVALID, "path '%.64s' is too long", rel);
		goto out;
	}
	if ((slash = strrchr(dir, '/')) == NULL) {
		error_set(e, ERR_INVALID, "'%.64s' is not in a directory", rel);
		goto out;
	}
	*slash = '\0';
	name = slash + 1;
	if (spool_open_job(sp, id, &job, e) == -1)
		goto out;
	if (spool_walk(job, dir, false, &parent, e) == -1)
		goto out;
	/* util_read_file_at() refuses a link and anything not regular. */
	ret = util_read_file_at(parent, name, cap, out, len, e);
out:
	if (parent != -1)
		close(parent);
	if (job != -1)
		close(job);
	return ret;
}

/* Read SPOOL_MANIFEST or SPOOL_STDIN. */
int
spool_read_input(const struct spool *sp, int64_t id, const char *rel,
    size_t cap, char **out, size_t *len, struct error *e)
{
	if (!spool_input_name(rel))
		return error_set(e, ERR_INVALID,
		    "'%.64s' is no input of the spool's", rel);
	return spool_read_at(sp, id, rel, cap, out, len, e);
}

/* Open in/files/. */
int
spool_open_files(const struct spool *sp, int64_t id, int *fd, struct error *e)
{
	int job = -1, ret;

	if (spool_open_job(sp, id, &job, e) == -1)
		return -1;
	ret = spool_walk(job, SPOOL_IN_FILES, false, fd, e);
	close(job);
	return ret;
}

/* Remove out.tmp/ if it exists and create it empty; returns its path. */
int
spool_results_begin(const struct spool *sp, int64_t id, char *path, size_t len,
    struct error *e)
{
	char p[sizeof(sp->dir) + 64];
	int job = -1, ret = -1;

	spool_path(sp, id, SPOOL_OUT_TMP, p, sizeof(p));
	if (strlen(p) >= len) {
		error_set(e, ERR_INVALID, "buffer too small for '%s'", p);
		goto out;
	}
	if (spool_open_job(sp, id, &job, e) == -1)
		goto out;
	if (spool_remove_at(job, SPOOL_OUT_TMP, e) == -1)
		goto out;
	if (mkdirat(job, SPOOL_OUT_TMP, SPOOL_DIR_MODE) == -1) {
		spool_errno(errno, "create directory", SPOOL_OUT_TMP, e);
		goto out;
	}
	memcpy(path, p, strlen(p) + 1);
	ret = 0;
out:
	if (job != -1)
		close(job);
	return ret;
}

/* Replace out/ with out.tmp/. */
int
spool_results_commit(const struct spool *sp, int64_t id, struct error *e)
{
	struct stat st;
	int job = -1, ret = -1;

	if (spool_open_job(sp, id, &job, e) == -1)
		goto out;
	if (fstatat(job, SPOOL_OUT_TMP, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			error_set(e, ERR_STATE,
			    "job %" PRId64 " has no results to commit", id);
		else
			spool_errno(errno, "inspect", SPOOL_OUT_TMP, e);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		error_set(e, ERR_REFUSED,
		    "'out.tmp' of job %" PRId64 " is not a directory", id);
		goto out;
	}
	/*
	 * Not atomic: a crash between the two steps leaves out.tmp/ alone,
	 * which the job's collection redoes after a restart.
	 */
	if (spool_remove_at(job, SPOOL_OUT, e) == -1)
		goto out;
	if (renameat(job, SPOOL_OUT_TMP, job, SPOOL_OUT) == -1) {
		spool_errno(errno, "rename", SPOOL_OUT_TMP, e);
		goto out;
	}
	ret = 0;
out:
	if (job != -1)
		close(job);
	return ret;
}

/* Read a file of the job's results into a new buffer of at most cap bytes. */
int
spool_read_result(const struct spool *sp, int64_t id, const char *rel,
    size_t cap, char **out, size_t *len, struct error *e)
{
	char path[UTIL_PATH_MAX + 1];

	if (util_path_check(rel, "name", e) == -1)
		return -1;
	if (snprintf(path, sizeof(path), SPOOL_OUT "/%s", rel) >=
	    (int)sizeof(path))
		return error_set(e, ERR_INVALID, "path '%.64s' is too long",
		    rel);
	return spool_read_at(sp, id, path, cap, out, len, e);
}

/* Read a file the job left in /out. */
int
spool_read_out_file(const struct spool *sp, int64_t id, const char *name,
    size_t cap, char **out, size_t *len, struct error *e)
{
	char rel[UTIL_PATH_MAX + 16];

	if (util_path_check(name, "name", e) == -1)
		return -1;
	snprintf(rel, sizeof(rel), SPOOL_FILES "/%s", name);
	return spool_read_result(sp, id, rel, cap, out, len, e);
}

/* Replace the node's result.json in an attempt's directory with r. */
int
spool_result_put(int dirfd, const struct result *r, struct error *e)
{
	return result_write_at(dirfd, SPOOL_RESULT, r, e);
}

/* Read and check the job's last result. */
int
spool_result_get(const struct spool *sp, int64_t id, struct result *r,
    struct error *e)
{
	json_t *root = NULL;
	char *text = NULL;
	size_t len;
	int rc = -1;

	if (spool_read_result(sp, id, SPOOL_RESULT, RESULT_MAX_BYTES, &text,
		&len, e) == -1)
		return -1;
	if ((root = json_loadb(text, len, 0, NULL)) == NULL) {
		error_set(e, ERR_INVALID,
		    SPOOL_RESULT " of job %" PRId64 " is not JSON", id);
		goto out;
	}
	rc = result_from_json(root, r, e);
out:
	json_decref(root);
	free(text);
	return rc;
}

/* Remove everything of job id; a job with no spool is not an error. */
int
spool_job_remove(const struct spool *sp, int64_t id, struct error *e)
{
	char name[32];

	if (spool_job_name(id, name, sizeof(name), e) == -1)
		return -1;
	return spool_remove_at(sp->root, name, e);
}
