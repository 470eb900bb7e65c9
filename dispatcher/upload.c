/* The files of a submission, gathered from the operands: see upload.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "upload.h"
#include "util.h"

#define UPLOAD_LOCAL_MAX 4096 /* a local path */

/* Start empty. */
void
upload_init(struct upload *u, const struct upload_caps *caps,
    const char *const *excludes, size_t nexcludes)
{
	static const struct upload_caps ceiling = UPLOAD_CAPS_CEILING;

	memset(u, 0, sizeof(*u));
	u->caps = caps != NULL ? *caps : ceiling;
	u->excludes = excludes;
	u->nexcludes = nexcludes;
}

/* Free the files. */
void
upload_release(struct upload *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->files[i].name);
		free(u->files[i].path);
	}
	free(u->files);
	u->files = NULL;
	u->n = u->cap = 0;
}

/* The name an operand's files are sent under. */
int
upload_name(const char *operand, char *out, size_t size, struct error *e)
{
	const char *p = operand, *end, *last = NULL;
	char buf[UTIL_PATH_MAX + 1];
	size_t n = 0, len, lastlen = 0;

	if (size > sizeof(buf))
		size = sizeof(buf);

	if (operand[0] == '/') {
		/* Its last component: "/a/b/" is "b", "/" the top. */
		for (p = operand; *p != '\0'; p = end) {
			while (*p == '/')
				p++;
			end = p + strcspn(p, "/");
			if (end > p) {
				last = p;
				lastlen = (size_t)(end - p);
			}
		}
		if (last == NULL) {
			out[0] = '\0';
			return 0;
		}
		if ((lastlen == 1 && last[0] == '.') ||
		    (lastlen == 2 && last[0] == '.' && last[1] == '.'))
			return error_set(e, ERR_USAGE,
			    "'%s' ends in '.' or '..': name the directory "
			    "itself",
			    operand);
		if (lastlen >= size)
			return error_set(e, ERR_USAGE, "'%s': name too long",
			    operand);
		memcpy(out, last, lastlen);
		out[lastlen] = '\0';
		return 0;
	}
	/* Relative: as given, without empty and "." components. */
	for (; *p != '\0'; p = end) {
		while (*p == '/')
			p++;
		end = p + strcspn(p, "/");
		len = (size_t)(end - p);
		if (len == 0 || (len == 1 && p[0] == '.'))
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return error_set(e, ERR_USAGE,
			    "'%s' has a '..' component, which /job cannot "
			    "hold: run from a directory above it, or give an "
			    "absolute path (sent under its last component)",
			    operand);
		if (n + (n > 0) + len >= size)
			return error_set(e, ERR_USAGE, "'%s': name too long",
			    operand);
		if (n > 0)
			buf[n++] = '/';
		memcpy(buf + n, p, len);
		n += len;
	}
	buf[n] = '\0';
	memcpy(out, buf, n + 1);
	return 0;
}

/* Whether a pattern leaves name out. */
bool
upload_excluded(const char *const *patterns, size_t n, const char *name)
{
	const char *base = strrchr(name, '/');
	size_t i;

	base = base != NULL ? base + 1 : name;
	for (i = 0; i < n; i++) {
		if (strchr(patterns[i], '/') != NULL) {
			if (fnmatch(patterns[i], name, FNM_PATHNAME) == 0)
				return true;
		} else if (fnmatch(patterns[i], base, 0) == 0)
			return true;
	}
	return false;
}

/* The file sent as name, or NULL. */
const struct upload_file *
upload_find(const struct upload *u, const char *name)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->files[i].name, name) == 0)
			return &u->files[i];
	return NULL;
}

/* Add one regular file of st_size bytes, within the walk's caps. */
static int
upload_file_add(struct upload *u, const char *name, const char *path, bool top,
    uint64_t bytes, struct error *e)
{
	const struct upload_file *other;
	struct upload_file *f, *grown;
	char why[sizeof(e->msg)];
	size_t cap;

	if (util_path_check(name, "name", e) == -1) {
		snprintf(why, sizeof(why), "%s", e->msg);
		return error_set(e, ERR_USAGE, "'%s' cannot be sent: %s", path,
		    why);
	}
	if ((other = upload_find(u, name)) != NULL)
		return error_set(e, ERR_STATE,
		    "'%s' and '%s' would both be sent as '%s'", other->path,
		    path, name);
	if (u->n >= u->caps.max_files)
		return error_set(e, ERR_INVALID,
		    "more than %zu files to send (the dispatcher's "
		    "max_files): --exclude what the job does not need",
		    u->caps.max_files);
	if (bytes > u->caps.max_file_bytes)
		return error_set(e, ERR_INVALID,
		    "'%s' is %llu bytes, more than %llu (the dispatcher's "
		    "max_file_bytes)",
		    path, (unsigned long long)bytes,
		    (unsigned long long)u->caps.max_file_bytes);
	if (bytes > u->caps.max_total_bytes - u->total)
		return error_set(e, ERR_INVALID,
		    "the files come to more than %llu bytes (the "
		    "dispatcher's max_submission_bytes), at '%s'",
		    (unsigned long long)u->caps.max_total_bytes, path);
	if (u->n == u->cap) {
		cap = u->cap == 0 ? 16 : u->cap * 2;
		if ((grown = reallocarray(u->files, cap, sizeof(*grown))) ==
		    NULL)
			return error_set(e, ERR_NOMEM, "out of memory");
		u->files = grown;
		u->cap = cap;
	}
	f = &u->files[u->n];
	memset(f, 0, sizeof(*f));
	if ((f->name = strdup(name)) == NULL ||
	    (f->path = strdup(path)) == NULL) {
		free(f->name);
		return error_set(e, ERR_NOMEM, "out of memory");
	}
	f->follow = top;
	f->top = top;
	f->bytes = bytes;
	u->total += bytes;
	u->n++;
	return 0;
}

/* Note an entry that is neither a regular file nor a directory. */
static void
upload_skip(struct upload *u, const char *path)
{
	if (u->skipped++ == 0)
		snprintf(u->skipped_first, sizeof(u->skipped_first), "%s",
		    path);
}

static int upload_walk(struct upload *u, int fd, const char *path,
    const char *name, int depth, struct error *e);

/* Compare two entry names, for qsort. */
static int
upload_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Walk the directory open at fd (taken: closed here), found at path and
 * sent as name ("" for the top), at depth levels below the operand.
 */
static int
upload_walk(struct upload *u, int fd, const char *path, const char *name,
    int depth, struct error *e)
{
	char **names = NULL, **grown, sub[UPLOAD_LOCAL_MAX], subname[1100];
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = -1, cfd;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return error_set(e, ERR_NOTFOUND, "cannot read '%s': %s", path,
		    strerror(errno));
	}
	/* In name order, so that the same tree is sent the same way. */
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 32 : cap * 2;
			if ((grown = reallocarray(names, cap,
				 sizeof(*grown))) == NULL) {
				error_set(e, ERR_NOMEM, "out of memory");
				goto out;
			}
			names = grown;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			error_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		n++;
		/* A directory of more entries than could be sent. */
		if (n > u->caps.max_files * 4 + 1024) {
			error_set(e, ERR_INVALID,
			    "'%s' holds more than %zu entries: --exclude "
			    "what the job does not need",
			    path, u->caps.max_files * 4 + 1024);
			goto out;
		}
	}
	if (errno != 0) {
		error_set(e, ERR_NOTFOUND, "cannot read '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), upload_name_cmp);
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
			names[i]) >= sizeof(sub) ||
		    (size_t)snprintf(subname, sizeof(subname), "%s%s%s", name,
			name[0] != '\0' ? "/" : "",
			names[i]) >= sizeof(subname)) {
			error_set(e, ERR_USAGE, "'%s/%s': path too long", path,
			    names[i]);
			goto out;
		}
		if (upload_excluded(u->excludes, u->nexcludes, subname))
			continue;
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			error_set(e, ERR_NOTFOUND, "cannot stat '%s': %s", sub,
			    strerror(errno));
			goto out;
		}
		if (S_ISREG(st.st_mode)) {
			if (upload_file_add(u, subname, sub, false,
				(uint64_t)st.st_size, e) == -1)
				goto out;
		} else if (S_ISDIR(st.st_mode)) {
			if (depth + 1 >= UTIL_PATH_DEPTH) {
				error_set(e, ERR_USAGE,
				    "'%s' is more than %d levels deep", sub,
				    UTIL_PATH_DEPTH);
				goto out;
			}
			cfd = openat(dirfd(d), names[i],
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd == -1) {
				error_set(e, ERR_NOTFOUND,
				    "cannot open '%s': %s", sub,
				    strerror(errno));
				goto out;
			}
			if (upload_walk(u, cfd, sub, subname, depth + 1, e) ==
			    -1)
				goto out;
		} else
			upload_skip(u, sub);
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

/* Add an operand. */
int
upload_add(struct upload *u, const char *operand, struct error *e)
{
	char name[UTIL_PATH_MAX + 1];
	struct stat st;
	int fd;

	if (upload_name(operand, name, sizeof(name), e) == -1)
		return -1;
	if (strlen(operand) >= UPLOAD_LOCAL_MAX)
		return error_set(e, ERR_USAGE, "'%.64s...': path too long",
		    operand);
	/* An operand is followed if it is a link: the user named it. */
	if ((fd = open(operand, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return error_set(e, ERR_NOTFOUND, "cannot open '%s': %s",
		    operand, strerror(errno));
	if (fstat(fd, &st) == -1) {
		close(fd);
		return error_set(e, ERR_NOTFOUND, "cannot stat '%s': %s",
		    operand, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return upload_walk(u, fd, operand, name, 0, e);
	close(fd);
	if (!S_ISREG(st.st_mode))
		return error_set(e, ERR_NOTFOUND,
		    "'%s' is neither a regular file nor a directory", operand);
	return upload_file_add(u, name, operand, true, (uint64_t)st.st_size, e);
}

/* Check the gathered files against the dispatcher's caps. */
int
upload_check(const struct upload *u, const struct upload_caps *caps,
    uint64_t stdin_bytes, struct error *e)
{
	uint64_t total = stdin_bytes;
	size_t i;

	if (u->n > caps->max_files)
		return error_set(e, ERR_INVALID,
		    "%zu files to send, more than %zu (the dispatcher's "
		    "max_files): --exclude what the job does not need",
		    u->n, caps->max_files);
	for (i = 0; i < u->n; i++) {
		if (u->files[i].bytes > caps->max_file_bytes)
			return error_set(e, ERR_INVALID,
			    "'%s' is %llu bytes, more than %llu (the "
			    "dispatcher's max_file_bytes)",
			    u->files[i].path,
			    (unsigned long long)u->files[i].bytes,
			    (unsigned long long)caps->max_file_bytes);
		total += u->files[i].bytes;
	}
	if (total > caps->max_total_bytes)
		return error_set(e, ERR_INVALID,
		    "the files%s come to %llu bytes, more than %llu (the "
		    "dispatcher's max_submission_bytes)",
		    stdin_bytes > 0 ? " and stdin" : "",
		    (unsigned long long)total,
		    (unsigned long long)caps->max_total_bytes);
	return 0;
}

/* Read one file, at most max_file_bytes. */
int
upload_read(const struct upload *u, const struct upload_file *f,
    unsigned char **out, size_t *len, struct error *e)
{
	uint64_t cap = u->caps.max_file_bytes;
	struct stat st;
	char *buf;
	int fd, rc = -1;

	fd = open(f->path,
	    O_RDONLY | O_CLOEXEC | O_NONBLOCK | (f->follow ? 0 : O_NOFOLLOW));
	if (fd == -1)
		return error_set(e, ERR_NOTFOUND, "cannot open '%s': %s",
		    f->path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		error_set(e, ERR_NOTFOUND, "'%s' is no longer a regular file",
		    f->path);
		goto out;
	}
	/* It may have grown since the walk: up to the cap, still. */
	if (util_read_grow(fd, (size_t)(f->bytes < cap ? f->bytes : cap),
		(size_t)cap, &buf, len) == 0) {
		*out = (unsigned char *)buf;
		rc = 0;
	} else if (errno == EFBIG)
		error_set(e, ERR_INVALID,
		    "'%s' grew past %llu bytes (the dispatcher's "
		    "max_file_bytes)",
		    f->path, (unsigned long long)cap);
	else if (errno == ENOMEM)
		error_set(e, ERR_NOMEM, "out of memory");
	else
		error_set(e, ERR_NOTFOUND, "cannot read '%s': %s", f->path,
		    strerror(errno));
out:
	close(fd);
	return rc;
}
