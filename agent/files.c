/* Trees of untrusted files: see files.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "result.h"
#include "util.h"

/* Running totals of one walk. */
struct files_walk {
	uid_t owner; /* every entry must be this account's */
	uint64_t files;
	uint64_t bytes;
	uint64_t max_files;
	uint64_t max_bytes;
};

/* Open a directory under dirfd for reading, refusing links. */
static DIR *
files_opendir(int dirfd, const char *name)
{
	int fd;
	DIR *d;

	fd = openat(dirfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

/* Copy len bytes from one descriptor to another. */
static int
files_copy_bytes(int in, int out, uint64_t len)
{
	ssize_t n;

	while (len > 0) {
		n = sendfile(out, in, NULL,
		    len > (1u << 30) ? (1u << 30) : (size_t)len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		len -= (uint64_t)n;
	}
	return 0;
}

/* size rounded up to whole pages, as tmpfs stores a file. */
static uint64_t
files_pages(uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t p = page > 0 ? (uint64_t)page : 4096;

	return (size + p - 1) / p * p;
}

/* Whether a submitted entry is the staging account's own, and (a file)
   has no second name: a hard link could be to a file it may not read. */
static int
files_owned(const struct files_walk *w, const struct stat *st, const char *name,
    struct error *e)
{
	if (st->st_uid != w->owner)
		return error_set(e, ERR_REFUSED,
		    "submitted file '%s' is owned by uid %u, not by the job "
		    "directory's owner (uid %u)",
		    name, (unsigned)st->st_uid, (unsigned)w->owner);
	if (S_ISREG(st->st_mode) && st->st_nlink != 1)
		return error_set(e, ERR_REFUSED,
		    "submitted file '%s' has %lu links: hard links are refused",
		    name, (unsigned long)st->st_nlink);
	return 0;
}

/* Walk (and with dstfd != -1, copy) one submitted directory level. */
static int
files_in_level(int srcfd, int dstfd, uid_t uid, gid_t gid, struct files_walk *w,
    int depth, struct error *e)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = -1, in = -1, out = -1, sub = -1, dsub = -1;

	if (depth > FILES_DEPTH_MAX)
		return error_set(e, ERR_REFUSED,
		    "the submission is nested deeper than %d", FILES_DEPTH_MAX);
	if ((d = files_opendir(srcfd, ".")) == NULL)
		return error_set(e, ERR_IO, "cannot read the submission: %s",
		    strerror(errno));
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (util_path_check(de->d_name, "files", e) == -1)
			goto out;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			error_set(e, ERR_IO, "cannot stat '%s': %s", de->d_name,
			    strerror(errno));
			goto out;
		}
		if ((S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) &&
		    files_owned(w, &st, de->d_name, e) == -1)
			goto out;
		if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1 || fstat(sub, &st) == -1) {
				error_set(e, ERR_IO, "cannot open '%s': %s",
				    de->d_name, strerror(errno));
				goto out;
			}
			/* Checked again on what was opened. */
			if (files_owned(w, &st, de->d_name, e) == -1)
				goto out;
			if (dstfd != -1 &&
			    (mkdirat(dstfd, de->d_name, 0755) == -1 ||
				fchownat(dstfd, de->d_name, uid, gid,
				    AT_SYMLINK_NOFOLLOW) == -1 ||
				(dsub = openat(dstfd, de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC)) == -1)) {
				error_set(e, ERR_IO, "cannot create '%s': %s",
				    de->d_name, strerror(errno));
				goto out;
			}
			if (files_in_level(sub, dsub, uid, gid, w, depth + 1,
				e) == -1)
				goto out;
			close(sub);
			if (dsub != -1)
				close(dsub);
			sub = dsub = -1;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			error_set(e, ERR_REFUSED, "submitted file '%s' is %s",
			    de->d_name,
			    S_ISLNK(st.st_mode) ? "a symbolic link"
						: "not a regular file");
			goto out;
		}
		if (++w->files > w->max_files) {
			error_set(e, ERR_REFUSED,
			    "the submission has more than %llu files",
			    (unsigned long long)w->max_files);
			goto out;
		}
		/* What the copy will take of the job's tmpfs, which spends
		   whole pages: many small files take more than their sizes
		   add up to, and a copy that ran out of room would be a
		   sandbox error, not this refusal. */
		w->bytes += files_pages((uint64_t)st.st_size);
		if (w->bytes > w->max_bytes) {
			error_set(e, ERR_REFUSED,
			    "the submission is larger "
			    "than the job's disk (%llu bytes; each file takes "
			    "whole pages of %llu bytes)",
			    (unsigned long long)w->max_bytes,
			    (unsigned long long)files_pages(1));
			goto out;
		}
		if (dstfd == -1)
			continue;
		/* The copy is made from what is opened, checked again. */
		in = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (in == -1 || fstat(in, &st) == -1 || !S_ISREG(st.st_mode)) {
			error_set(e, ERR_IO, "cannot copy '%s': %s", de->d_name,
			    errno ? strerror(errno) : "changed");
			goto out;
		}
		if (files_owned(w, &st, de->d_name, e) == -1)
			goto out;
		if ((out = openat(dstfd, de->d_name,
			 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			 (st.st_mode & 0111) ? 0755 : 0644)) == -1 ||
		    fchown(out, uid, gid) == -1 ||
		    files_copy_bytes(in, out, (uint64_t)st.st_size) == -1) {
			error_set(e, ERR_IO, "cannot copy '%s': %s", de->d_name,
			    errno ? strerror(errno) : "changed");
			goto out;
		}
		close(in);
		close(out);
		in = out = -1;
	}
	if (errno != 0) {
		error_set(e, ERR_IO, "cannot read the submission: %s",
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (sub != -1)
		close(sub);
	if (dsub != -1)
		close(dsub);
	closedir(d);
	return rc;
}

/* Check the submission. */
int
files_check(int dirfd, uid_t owner, const char *entry, uint64_t max_files,
    uint64_t max_bytes, struct error *e)
{
	struct files_walk w = { owner, 0, 0, max_files, max_bytes };
	struct stat st;
	char path[UTIL_PATH_MAX + 1], *comp, *next;
	int fd, sub;

	if (files_in_level(dirfd, -1, 0, 0, &w, 0, e) == -1)
		return -1;
	/* The entry, resolved component by component without links. */
	snprintf(path, sizeof(path), "%s", entry);
	if ((fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return error_set(e, ERR_SYS, "dup: %s", strerror(errno));
	for (comp = path; (next = strchr(comp, '/')) != NULL; comp = next + 1) {
		*next = '\0';
		sub = openat(fd, comp,
		    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if ((fd = sub) == -1)
			break;
	}
	if (fd == -1 || fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode)) {
		if (fd != -1)
			close(fd);
		return error_set_field(e, ERR_INVALID, "entry",
		    "entry '%s' is not one of the submitted files", entry);
	}
	close(fd);
	return 0;
}

/* Copy the submission into the sandbox. */
int
files_copy_in(int srcfd, uid_t owner, int dstfd, uid_t uid, gid_t gid,
    uint64_t max_files, uint64_t max_bytes, struct error *e)
{
	struct files_walk w = { owner, 0, 0, max_files, max_bytes };

	return files_in_level(srcfd, dstfd, uid, gid, &w, 0, e);
}

/*
 * What a directory copied out costs against the byte budget: on the host it
 * takes an inode and a block that root owns, which no quota counts.
 */
#define FILES_DIR_BYTES 4096
/* Room for the list of files in result.json: each name at most doubled by
   JSON escapes, plus the object around it; half the result's cap. */
#define FILES_OUT_LIST_BYTES (RESULT_MAX_BYTES / 2)
#define FILES_OUT_ENTRY_BYTES(name) (2 * strlen(name) + 64)

/* State of one copy-out. */
struct files_out {
	struct result *r;
	unsigned max_files; /* files and directories together */
	uint64_t max_bytes;
	uint64_t bytes;
	unsigned dirs;
	uint64_t list_bytes; /* what the list of files adds to the result */
	unsigned skipped;
};

/*
 * Open name in dirfd to copy it out.  The root agent reads any file; in
 * mode "user" the agent is the job's own account on the host, so a file or
 * directory the job made unreadable (chmod 000) is made readable by its
 * owner first: the job is gone, and the copy is what it left.
 */
static int
files_out_open(int dirfd, const char *name, int flags)
{
	struct stat st;
	mode_t add;
	int fd;

	fd = openat(dirfd, name, flags);
	if (fd != -1 || errno != EACCES || geteuid() == 0 ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    st.st_uid != geteuid() ||
	    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return fd;
	add = S_ISDIR(st.st_mode) ? S_IRUSR | S_IXUSR : S_IRUSR;
	if (fchmodat(dirfd, name, (st.st_mode & 07777) | add, 0) == -1) {
		errno = EACCES;
		return -1;
	}
	return openat(dirfd, name, flags);
}

/* Copy one regular file out, cut to what the budget allows. */
static int
files_out_file(struct files_out *o, int srcdir, const char *name, int dstdir,
    const char *clean, const char *relpath, struct error *e)
{
	struct stat st;
	uint64_t len;
	int in, out, rc = -1;

	/* O_NONBLOCK: a FIFO that got here anyway cannot block us. */
	in = files_out_open(srcdir, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in == -1 || fstat(in, &st) == -1 || !S_ISREG(st.st_mode) ||
	    o->r->n_out_files + o->dirs >= o->max_files ||
	    o->list_bytes + FILES_OUT_ENTRY_BYTES(relpath) >
		FILES_OUT_LIST_BYTES) {
		o->skipped++;
		if (in != -1)
			close(in);
		return 0;
	}
	len = (uint64_t)st.st_size;
	if (o->bytes + len > o->max_bytes) {
		len = o->max_bytes - o->bytes;
		o->skipped++;
	}
	out = openat(dstdir, clean,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out == -1) {
		/* Two names that sanitise to the same one: keep the first. */
		o->skipped++;
		close(in);
		return errno == EEXIST
		    ? 0
		    : error_set(e, ERR_IO, "cannot create out file '%s': %s",
			  relpath, strerror(errno));
	}
	if (files_copy_bytes(in, out, len) == -1) {
		error_set(e, ERR_IO, "cannot copy out file '%s': %s", relpath,
		    strerror(errno));
		goto out;
	}
	o->bytes += len;
	o->list_bytes += FILES_OUT_ENTRY_BYTES(relpath);
	if (result_add_file(o->r, relpath, len) == -1) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	close(in);
	close(out);
	return rc;
}

/* Copy one level of /out. */
static int
files_out_level(struct files_out *o, int srcfd, int dstfd, const char *prefix,
    int depth, struct error *e)
{
	char clean[UTIL_NAME_MAX + 1], rel[UTIL_PATH_MAX + 1];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0, sub, dsub;

	if ((d = files_opendir(srcfd, ".")) == NULL)
		return error_set(e, ERR_IO, "cannot read /out: %s",
		    strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(clean, sizeof(clean), "%s", de->d_name);
		if (!util_name_sanitise(clean) ||
		    snprintf(rel, sizeof(rel), "%s%s", prefix, clean) >=
			(int)sizeof(rel) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
			-1) {
			o->skipped++;
			continue;
		}
		if (S_ISREG(st.st_mode)) {
			rc = files_out_file(o, dirfd(d), de->d_name, dstfd,
			    clean, rel, e);
			continue;
		}
		/* Links, FIFOs, sockets, devices: never followed or read.  A
		   directory whose path leaves no room for the '/' below
		   could hold nothing that fits either. */
		if (!S_ISDIR(st.st_mode) || depth >= FILES_DEPTH_MAX ||
		    o->r->n_out_files + o->dirs >= o->max_files ||
		    o->bytes + FILES_DIR_BYTES > o->max_bytes ||
		    strlen(rel) + 1 >= sizeof(rel)) {
			o->skipped++;
			continue;
		}
		sub = files_out_open(dirfd(d), de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1 ||
		    (mkdirat(dstfd, clean, 0755) == -1 && errno != EEXIST) ||
		    (dsub = openat(dstfd, clean,
			 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) ==
			-1) {
			if (sub != -1)
				close(sub);
			o->skipped++;
			continue;
		}
		/* Counted once made, whatever it turns out to hold. */
		o->dirs++;
		o->bytes += FILES_DIR_BYTES;
		strcat(rel, "/");
		rc = files_out_level(o, sub, dsub, rel, depth + 1, e);
		close(sub);
		close(dsub);
	}
	closedir(d);
	return rc;
}

/* Copy a job's /out back. */
int
files_copy_out(int srcfd, int dstfd, unsigned max_files, uint64_t max_bytes,
    struct result *r, unsigned *skipped, struct error *e)
{
	struct files_out o = { r, max_files, max_bytes, 0, 0, 0, 0 };
	int rc;

	rc = files_out_level(&o, srcfd, dstfd, "", 0, e);
	*skipped = o.skipped;
	if (o.skipped > 0)
		r->out_files_truncated = true;
	return rc;
}

/* Remove everything below the open directory fd. */
static int
files_remove_level(int fd, int depth, struct error *e)
{
	struct dirent *de;
	DIR *d;
	int sub, rc = 0;

	if (depth > 64)
		return error_set(e, ERR_REFUSED, "directory tree too deep");
	if ((d = files_opendir(fd, ".")) == NULL)
		return error_set(e, ERR_IO, "cannot read a directory: %s",
		    strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			rc = error_set(e, ERR_IO, "cannot remove '%s': %s",
			    de->d_name, strerror(errno));
			break;
		}
		sub = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1) {
			rc = error_set(e, ERR_IO, "cannot open '%s': %s",
			    de->d_name, strerror(errno));
			break;
		}
		rc = files_remove_level(sub, depth + 1, e);
		close(sub);
		if (rc == 0 &&
		    unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) == -1)
			rc = error_set(e, ERR_IO, "cannot remove '%s': %s",
			    de->d_name, strerror(errno));
	}
	closedir(d);
	return rc;
}

/* Remove everything below a directory. */
int
files_remove_tree(int fd, struct error *e)
{
	return files_remove_level(fd, 0, e);
}
