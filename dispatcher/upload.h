/*
 * The files of a submission, as `sluice submit` gathers them from its
 * operands: each file is sent under a name relative to /job, chosen here,
 * and checked against the dispatcher's caps before anything is sent.
 *
 * Names:
 * - a relative operand keeps its path, tidied: "./a//b/./c" is sent as
 *   "a/b/c"; one with a ".." component is refused (it would climb out of
 *   where the command runs; give an absolute path instead);
 * - an absolute operand is sent under its last component, as before:
 *   "/home/u/proj" as "proj", "/tmp/main.py" as "main.py";
 * - "." (or any operand that tidies to nothing) is the top of /job itself:
 *   the directory's files are sent under their paths inside it.
 * A directory operand is walked: every regular file under it is sent,
 * under the directory's name followed by its path inside it, in name
 * order.  Nothing else is: a symbolic link is never followed (nor sent),
 * and FIFOs, sockets and devices are skipped too; each skip is counted
 * and the first one named.  An operand named on the command line is
 * followed if it is a link (the user named it).  --exclude patterns
 * (fnmatch(3)) leave out what is found inside directories: a pattern
 * without '/' is matched against each entry's own name ("*.pyc",
 * "__pycache__", ".git"), and a directory left out is not walked; one
 * with '/' against the whole name as sent ("proj/build",
 * "proj/data/big?.csv").
 *
 * Caps: at most max_files files, each at most max_file_bytes, all together
 * (with the standard input) at most max_total_bytes, as the dispatcher's
 * sluice.conf says; the walk stops as soon as one is passed, before any
 * file is read.  No two files may have one name.
 *
 * Errors: ERR_USAGE for an operand or a name that cannot be sent (".."),
 * ERR_STATE for two files of one name, ERR_INVALID for a cap passed,
 * ERR_NOTFOUND for what cannot be found or read, ERR_NOMEM.
 */
#ifndef SLUICE_DISPATCHER_UPLOAD_H
#define SLUICE_DISPATCHER_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The dispatcher's caps (its GET /v1/caps, or these defaults). */
struct upload_caps {
	size_t max_files; /* 100 */
	uint64_t max_file_bytes; /* 8 MiB */
	uint64_t max_total_bytes; /* 16 MiB: files and stdin together */
};

#define UPLOAD_CAPS_DEFAULT \
	{ \
		100, 8 * 1024 * 1024, 16 * 1024 * 1024 \
	}
/* The most any sluice.conf allows: the walk stops there at the latest. */
#define UPLOAD_CAPS_CEILING \
	{ \
		10000, 1ULL << 32, 1ULL << 32 \
	}

/* One file to send. */
struct upload_file {
	char *name; /* as sent: checked with util_path_check() */
	char *path; /* where it is here */
	bool follow; /* named on the command line: a link is followed */
	uint64_t bytes; /* as the walk saw it */
	bool top; /* an operand itself, not found inside a directory */
};

/* The files gathered so far (embedded; upload_release()). */
struct upload {
	struct upload_caps caps;
	const char *const *excludes; /* the caller's */
	size_t nexcludes;
	struct upload_file *files;
	size_t n, cap;
	uint64_t total; /* bytes of the files, and of stdin_bytes */
	size_t skipped; /* entries neither regular files nor directories */
	char skipped_first[1100]; /* the first one's local path */
};

/* Start empty, with caps for the walk (NULL: UPLOAD_CAPS_CEILING),
   excludes[0..n) kept. */
void upload_init(struct upload *u, const struct upload_caps *caps,
    const char *const *excludes, size_t nexcludes);

/* Free the files. */
void upload_release(struct upload *u);

/*
 * The name an operand's files are sent under (see above) into out (size
 * bytes): "" for the top of /job.  ERR_USAGE for a ".." component or a
 * name too long.
 */
int upload_name(const char *operand, char *out, size_t size, struct error *e);

/* Whether a file or directory found inside a directory, sent as name, is
   left out by one of the patterns. */
bool upload_excluded(const char *const *patterns, size_t n, const char *name);

/*
 * Add an operand: a file, or a directory walked as above.  Fails, adding
 * nothing more, on a cap passed, a name sent twice, or an operand that is
 * not there (or is neither a file nor a directory).
 */
int upload_add(struct upload *u, const char *operand, struct error *e);

/*
 * Check what was gathered (and stdin_bytes of standard input) against the
 * dispatcher's caps, which may be lower than those the walk used.
 * ERR_INVALID says which cap and what passes it.
 */
int upload_check(const struct upload *u, const struct upload_caps *caps,
    uint64_t stdin_bytes, struct error *e);

/* The file sent as name, or NULL. */
const struct upload_file *upload_find(const struct upload *u, const char *name);

/*
 * Read file f into a new buffer (a NUL after its *len bytes; *out the
 * caller's), at most the cap of one file: a file that grew past it, or was
 * swapped for a link inside a walked directory, is an error.
 */
int upload_read(const struct upload *u, const struct upload_file *f,
    unsigned char **out, size_t *len, struct error *e);

#endif
