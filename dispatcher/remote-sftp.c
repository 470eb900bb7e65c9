/* Files on a node over its session's SFTP channel: see remote.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote-internal.h"
#include "util.h"

#define REMOTE_PATH_MAX 4096

/* Translate a failed SFTP call on path into e; returns -1. */
static int
remote_sftp_error(struct remote *r, struct error *e, const char *what,
    const char *path)
{
	if (atomic_load(&r->aborted) || !ssh_is_connected(r->s))
		return remote_fail(r, e, ERR_IO, "%s '%s' on %s", what, path,
		    r->label);
	switch (sftp_get_error(r->sftp)) {
	case SSH_FX_NO_SUCH_FILE:
	case SSH_FX_NO_SUCH_PATH:
		return error_set(e, ERR_NOTFOUND,
		    "%s '%s' on %s: no such file or directory", what, path,
		    r->label);
	case SSH_FX_PERMISSION_DENIED:
	case SSH_FX_WRITE_PROTECT:
		return error_set(e, ERR_REFUSED,
		    "%s '%s' on %s: permission denied", what, path, r->label);
	case SSH_FX_FILE_ALREADY_EXISTS:
		return error_set(e, ERR_STATE,
		    "%s '%s' on %s: it exists already", what, path, r->label);
	default:
		return remote_fail(r, e, ERR_IO, "%s '%s' on %s", what, path,
		    r->label);
	}
}

/* Check a path given for the node: absolute, bounded, no control chars. */
static int
remote_sftp_path_check(const char *path, struct error *e)
{
	const unsigned char *c;

	if (path == NULL || path[0] != '/')
		return error_set(e, ERR_INVALID,
		    "remote path '%s' is not absolute", path ? path : "");
	if (strlen(path) >= REMOTE_PATH_MAX)
		return error_set(e, ERR_INVALID, "remote path is too long");
	for (c = (const unsigned char *)path; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f)
			return error_set(e, ERR_INVALID,
			    "remote path holds a control character");
	return 0;
}

/* Whether name is one safe path component as a node reports it. */
static bool
remote_sftp_name_ok(const char *name)
{
	const unsigned char *c;
	size_t len = strlen(name);

	if (len == 0 || len > UTIL_NAME_MAX)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (c = (const unsigned char *)name; *c != '\0'; c++)
		if (*c == '/' || *c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

/* Close f (NULL is a no-op) as a blocking call; sftp_close()'s result. */
static int
remote_sftp_close(struct remote *r, sftp_file f)
{
	int rc;

	if (f == NULL)
		return SSH_NO_ERROR;
	remote_busy_begin(r);
	rc = sftp_close(f);
	remote_busy_end(r);
	return rc;
}

/* Create a directory: see remote.h. */
int
remote_sftp_mkdir(struct remote *r, const char *path, int mode, struct error *e)
{
	int rc;

	if (remote_sftp_path_check(path, e) == -1 ||
	    remote_check_alive(r, e) == -1)
		return -1;
	remote_busy_begin(r);
	rc = sftp_mkdir(r->sftp, path, (mode_t)mode);
	remote_busy_end(r);
	if (rc != 0)
		return remote_sftp_error(r, e, "cannot create directory", path);
	return 0;
}

/* Whether path exists on the node (lstat), after a failed create. */
static bool
remote_sftp_exists(struct remote *r, const char *path)
{
	sftp_attributes a;

	remote_busy_begin(r);
	a = sftp_lstat(r->sftp, path);
	remote_busy_end(r);
	sftp_attributes_free(a);
	return a != NULL;
}

/* Create a new file holding data: see remote.h. */
int
remote_sftp_put(struct remote *r, const char *path, const void *data,
    size_t len, int mode, struct error *e)
{
	const char *d = data;
	sftp_file f = NULL;
	size_t off = 0, chunk;
	ssize_t n;
	int rc = -1, closed;

	if (remote_sftp_path_check(path, e) == -1 ||
	    remote_check_alive(r, e) == -1)
		return -1;
	remote_busy_begin(r);
	f = sftp_open(r->sftp, path, O_WRONLY | O_CREAT | O_EXCL, (mode_t)mode);
	remote_busy_end(r);
	if (f == NULL) {
		/* SFTP v3 reports EEXIST as a plain failure */
		if (sftp_get_error(r->sftp) == SSH_FX_FAILURE &&
		    ssh_is_connected(r->s) && remote_sftp_exists(r, path))
			return error_set(e, ERR_STATE,
			    "cannot create '%s' on %s: it exists already", path,
			    r->label);
		return remote_sftp_error(r, e, "cannot create", path);
	}
	while (off < len) {
		chunk = len - off < REMOTE_SFTP_CHUNK ? len - off
						      : REMOTE_SFTP_CHUNK;
		remote_busy_begin(r);
		n = sftp_write(f, d + off, chunk);
		remote_busy_end(r);
		if (n <= 0) {
			remote_sftp_error(r, e, "cannot write", path);
			goto out;
		}
		off += (size_t)n;
	}
	closed = remote_sftp_close(r, f);
	f = NULL;
	if (closed != SSH_NO_ERROR) {
		remote_sftp_error(r, e, "cannot close", path);
		goto out;
	}
	rc = 0;
out:
	remote_sftp_close(r, f);
	/* A partial file would make the retry fail with ERR_STATE. */
	if (rc == -1 && ssh_is_connected(r->s) && !atomic_load(&r->aborted)) {
		remote_busy_begin(r);
		sftp_unlink(r->sftp, path);
		remote_busy_end(r);
	}
	return rc;
}

/* The type of a file from SFTP attributes (lstat semantics). */
static enum remote_type
remote_sftp_type_of(sftp_attributes a)
{
	if (!(a->flags & SSH_FILEXFER_ATTR_PERMISSIONS))
		return REMOTE_OTHER;
	switch (a->type) {
	case SSH_FILEXFER_TYPE_REGULAR:
		return REMOTE_REG;
	case SSH_FILEXFER_TYPE_DIRECTORY:
		return REMOTE_DIR;
	case SSH_FILEXFER_TYPE_SYMLINK:
		return REMOTE_LINK;
	default:
		return REMOTE_OTHER;
	}
}

/* A word for a type, for messages. */
static const char *
remote_sftp_type_name(sftp_attributes a)
{
	switch (remote_sftp_type_of(a)) {
	case REMOTE_REG:
		return "regular file";
	case REMOTE_DIR:
		return "directory";
	case REMOTE_LINK:
		return "symbolic link";
	default:
		return "special file";
	}
}

/* List a directory: see remote.h. */
int
remote_sftp_list(struct remote *r, const char *dir, size_t max,
    struct remote_entry **out, size_t *n, struct error *e)
{
	struct remote_entry *list = NULL, *grown;
	sftp_attributes a = NULL;
	sftp_dir d = NULL;
	size_t count = 0, cap = 0, seen = 0;
	int rc = -1;

	if (remote_sftp_path_check(dir, e) == -1 ||
	    remote_check_alive(r, e) == -1)
		return -1;
	remote_busy_begin(r);
	d = sftp_opendir(r->sftp, dir);
	remote_busy_end(r);
	if (d == NULL)
		return remote_sftp_error(r, e, "cannot list", dir);
	if ((list = calloc(1, sizeof(*list))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	cap = 1;
	for (;;) {
		remote_busy_begin(r);
		a = sftp_readdir(r->sftp, d);
		remote_busy_end(r);
		if (a == NULL)
			break;
		/* "." and ".." count too, so a node cannot send forever */
		if (++seen > 2 && seen - 2 > max) {
			error_set(e, ERR_INVALID,
			    "'%s' on %s holds more than %zu entries", dir,
			    r->label, max);
			goto out;
		}
		if (a->name != NULL &&
		    (strcmp(a->name, ".") == 0 || strcmp(a->name, "..") == 0)) {
			sftp_attributes_free(a);
			a = NULL;
			continue;
		}
		if (a->name == NULL || !remote_sftp_name_ok(a->name)) {
			error_set(e, ERR_INVALID,
			    "%s listed an unsafe name in '%s' (empty, too "
			    "long, "
			    "or with '/' or a control character)",
			    r->label, dir);
			goto out;
		}
		if (count == max) {
			error_set(e, ERR_INVALID,
			    "'%s' on %s holds more than %zu entries", dir,
			    r->label, max);
			goto out;
		}
		if (count == cap) {
			grown = reallocarray(list, cap * 2, sizeof(*list));
			if (grown == NULL) {
				error_set(e, ERR_NOMEM, "out of memory");
				goto out;
			}
			list = grown;
			cap *= 2;
		}
		snprintf(list[count].name, sizeof(list[count].name), "%s",
		    a->name);
		list[count].type = remote_sftp_type_of(a);
		list[count].size = (a->flags & SSH_FILEXFER_ATTR_SIZE) ? a->size
								       : 0;
		count++;
		sftp_attributes_free(a);
		a = NULL;
	}
	if (!sftp_dir_eof(d)) {
		remote_sftp_error(r, e, "cannot list", dir);
		goto out;
	}
	*out = list;
	*n = count;
	list = NULL;
	rc = 0;
out:
	sftp_attributes_free(a);
	remote_busy_begin(r);
	sftp_closedir(d);
	remote_busy_end(r);
	free(list);
	return rc;
}

/* Whether two attribute sets describe the same unchanged regular file. */
static bool
remote_sftp_same_file(sftp_attributes a, sftp_attributes b)
{
	if (remote_sftp_type_of(b) != REMOTE_REG)
		return false;
	if ((a->flags & SSH_FILEXFER_ATTR_SIZE) !=
		(b->flags & SSH_FILEXFER_ATTR_SIZE) ||
	    ((a->flags & SSH_FILEXFER_ATTR_SIZE) && a->size != b->size))
		return false;
	if ((a->flags & SSH_FILEXFER_ATTR_UIDGID) &&
	    (b->flags & SSH_FILEXFER_ATTR_UIDGID) &&
	    (a->uid != b->uid || a->gid != b->gid))
		return false;
	if ((a->flags & SSH_FILEXFER_ATTR_ACMODTIME) &&
	    (b->flags & SSH_FILEXFER_ATTR_ACMODTIME) && a->mtime != b->mtime)
		return false;
	return a->permissions == b->permissions;
}

/*
 * The attributes of path on the node if it is a regular file; NULL with e
 * set otherwise (what names the step: "cannot fetch").  Nothing else is
 * ever opened: a FIFO would hang sftp-server, a link could point anywhere
 * on the node.
 */
static sftp_attributes
remote_sftp_regular(struct remote *r, const char *path, const char *what,
    struct error *e)
{
	sftp_attributes a;

	remote_busy_begin(r);
	a = sftp_lstat(r->sftp, path);
	remote_busy_end(r);
	if (a == NULL) {
		(void)remote_sftp_error(r, e, what, path);
		return NULL;
	}
	if (remote_sftp_type_of(a) != REMOTE_REG) {
		error_set(e, ERR_REFUSED,
		    "'%s' on %s is a %s, not a regular file", path, r->label,
		    remote_sftp_type_name(a));
		sftp_attributes_free(a);
		return NULL;
	}
	return a;
}

/* Fetch a regular file: see remote.h. */
int
remote_sftp_get(struct remote *r, const char *path, int dst_dirfd,
    const char *dst_name, uint64_t cap, uint64_t *bytes, struct error *e)
{
	char buf[REMOTE_SFTP_CHUNK];
	sftp_attributes a = NULL, fa = NULL;
	sftp_file f = NULL;
	uint64_t total = 0, left;
	size_t want;
	ssize_t n;
	int fd = -1, rc = -1;
	bool created = false;

	if (remote_sftp_path_check(path, e) == -1 ||
	    remote_check_alive(r, e) == -1)
		return -1;
	if (dst_name == NULL || dst_name[0] == '\0' ||
	    strchr(dst_name, '/') != NULL || strcmp(dst_name, ".") == 0 ||
	    strcmp(dst_name, "..") == 0)
		return error_set(e, ERR_INVALID,
		    "local name '%s' is not one path component",
		    dst_name ? dst_name : "");
	if ((a = remote_sftp_regular(r, path, "cannot fetch", e)) == NULL)
		return -1;
	if ((a->flags & SSH_FILEXFER_ATTR_SIZE) && a->size > cap) {
		error_set(e, ERR_INVALID,
		    "'%s' on %s is larger than %llu bytes", path, r->label,
		    (unsigned long long)cap);
		goto out;
	}
	fd = openat(dst_dirfd, dst_name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		error_set(e, errno == EEXIST ? ERR_STATE : ERR_SYS,
		    "cannot create local file '%s': %s", dst_name,
		    strerror(errno));
		goto out;
	}
	created = true;
	remote_busy_begin(r);
	f = sftp_open(r->sftp, path, O_RDONLY, 0);
	remote_busy_end(r);
	if (f == NULL) {
		remote_sftp_error(r, e, "cannot open", path);
		goto out;
	}
	remote_busy_begin(r);
	fa = sftp_fstat(f);
	remote_busy_end(r);
	if (fa == NULL) {
		remote_sftp_error(r, e, "cannot stat", path);
		goto out;
	}
	if (!remote_sftp_same_file(a, fa)) {
		error_set(e, ERR_STATE,
		    "'%s' on %s changed while it was being fetched", path,
		    r->label);
		goto out;
	}
	/* Never more than cap + 1 bytes: the one more says "too large". */
	for (;;) {
		left = cap - total;
		want = left >= sizeof(buf) ? sizeof(buf) : (size_t)left + 1;
		remote_busy_begin(r);
		n = sftp_read(f, buf, want);
		remote_busy_end(r);
		if (n < 0) {
			remote_sftp_error(r, e, "cannot read", path);
			goto out;
		}
		if (n == 0)
			break;
		if ((uint64_t)n > left) {
			error_set(e, ERR_INVALID,
			    "'%s' on %s is larger than %llu bytes", path,
			    r->label, (unsigned long long)cap);
			goto out;
		}
		if (util_write_all(fd, buf, (size_t)n) == -1) {
			error_set(e, ERR_SYS,
			    "cannot write local file '%s': %s", dst_name,
			    strerror(errno));
			goto out;
		}
		total += (uint64_t)n;
		/* A short read that ends where the open file ends is its
		   end: the read that would say so costs a round trip. */
		if ((size_t)n < want && (fa->flags & SSH_FILEXFER_ATTR_SIZE) &&
		    total == fa->size)
			break;
	}
	if (close(fd) == -1) {
		fd = -1;
		error_set(e, ERR_SYS, "cannot write local file '%s': %s",
		    dst_name, strerror(errno));
		goto out;
	}
	fd = -1;
	*bytes = total;
	rc = 0;
out:
	remote_sftp_close(r, f);
	sftp_attributes_free(fa);
	sftp_attributes_free(a);
	if (fd != -1)
		close(fd);
	if (rc == -1 && created)
		unlinkat(dst_dirfd, dst_name, 0);
	return rc;
}

/* Read part of a file that may still grow: see remote.h. */
int
remote_sftp_read_at(struct remote *r, const char *path, uint64_t offset,
    void *buf, size_t cap, size_t *n, struct error *e)
{
	sftp_attributes a = NULL, fa = NULL;
	sftp_file f = NULL;
	size_t total = 0, want;
	ssize_t got;
	int rc = -1;

	if (remote_sftp_path_check(path, e) == -1 ||
	    remote_check_alive(r, e) == -1)
		return -1;
	if ((a = remote_sftp_regular(r, path, "cannot read", e)) == NULL)
		return -1;
	remote_busy_begin(r);
	f = sftp_open(r->sftp, path, O_RDONLY, 0);
	remote_busy_end(r);
	if (f == NULL) {
		remote_sftp_error(r, e, "cannot open", path);
		goto out;
	}
	/* What was opened must be a regular file too (its size and times
	   change as it is written, so only its type is compared). */
	remote_busy_begin(r);
	fa = sftp_fstat(f);
	remote_busy_end(r);
	if (fa == NULL) {
		remote_sftp_error(r, e, "cannot stat", path);
		goto out;
	}
	if (remote_sftp_type_of(fa) != REMOTE_REG) {
		error_set(e, ERR_STATE,
		    "'%s' on %s changed while it was being read", path,
		    r->label);
		goto out;
	}
	if (sftp_seek64(f, offset) != 0) {
		error_set(e, ERR_INVALID, "cannot seek in '%s' on %s", path,
		    r->label);
		goto out;
	}
	while (total < cap) {
		want = cap - total < REMOTE_SFTP_CHUNK ? cap - total
						       : REMOTE_SFTP_CHUNK;
		remote_busy_begin(r);
		got = sftp_read(f, (char *)buf + total, want);
		remote_busy_end(r);
		if (got < 0) {
			remote_sftp_error(r, e, "cannot read", path);
			goto out;
		}
		total += (size_t)got;
		/* Short: the end of what has been written so far. */
		if ((size_t)got < want)
			break;
	}
	*n = total;
	rc = 0;
out:
	remote_sftp_close(r, f);
	sftp_attributes_free(fa);
	sftp_attributes_free(a);
	return rc;
}
