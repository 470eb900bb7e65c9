/*
 * The spool: files that belong to jobs, under <state_dir>/spool/<id>/.
 *
 *   in/job.json        the manifest sent to the node
 *   in/files/...       the submission
 *   in/stdin           optional
 *   in/expected        optional: the output the job should print
 *   in/expected.exact  present if it is compared byte for byte
 *                      (in/ is written when the job is placed, from the
 *                      request body the store keeps until the job ends;
 *                      a body over 64 KiB is written here when accepted)
 *   out/result.json    the checked result of the last attempt
 *   out/judgement      "accepted" or "wrong_answer", for a job with an
 *                      expected output whose program ended ok
 *   out/stdout, out/stderr, out/files/...   what came back
 *   out.tmp/           an attempt's results while they are downloaded;
 *                      renamed to out/ once complete and checked
 *
 * Those names are defined here and nowhere else: the rest of the
 * dispatcher uses the SPOOL_ names and the functions below.
 *
 * Names inside a job come from users and nodes: every relative path is
 * checked with util_path_check() and every file is created with O_NOFOLLOW
 * and O_EXCL under directory descriptors.  Nothing here keeps state beyond
 * struct spool, so any thread may call these functions.
 */
#ifndef SLUICE_DISPATCHER_SPOOL_H
#define SLUICE_DISPATCHER_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "result.h"

/* The inputs, as spool_write() and spool_read_input() name them. */
#define SPOOL_MANIFEST "in/job.json"
#define SPOOL_STDIN "in/stdin"
#define SPOOL_EXPECTED "in/expected"
#define SPOOL_EXPECTED_EXACT "in/expected.exact"

/*
 * The results of an attempt, in the directory spool_results_begin() makes
 * and, once committed, under out/ (spool_read_result() names).
 */
#define SPOOL_RESULT "result.json"
#define SPOOL_STDOUT "stdout"
#define SPOOL_STDERR "stderr"
#define SPOOL_COMPILE_STDOUT "compile.stdout" /* a compile stage's */
#define SPOOL_COMPILE_STDERR "compile.stderr"
#define SPOOL_FILES "files" /* a directory: what the job left in /out */
#define SPOOL_JUDGEMENT "judgement"

struct spool {
	char dir[512]; /* <state_dir>/spool */
	int root; /* open on dir, for every *at() call below */
};

/* A job's inputs being written: its directory, in/ and in/files/, open. */
struct spool_job {
	int job, in, files;
};

/*
 * Create (if needed) and remember <state_dir>/spool.  The operator's path
 * may contain links; nothing below it is ever reached through one.
 */
int spool_init(struct spool *sp, const char *state_dir, struct error *e);

/* Close what spool_init() opened. */
void spool_fini(struct spool *sp);

/*
 * The path of part ("in", "in/files", "out", "out.tmp", ...) of job id.
 * part NULL or "" gives the job's directory.  The path is cut to fit len.
 */
void spool_path(const struct spool *sp, int64_t id, const char *part, char *buf,
    size_t len);

/*
 * Create the job's directory with an empty in/files/, and open h on it for
 * spool_write() (spool_job_close() when done, also after an error).  A
 * directory or link left over under the same id (from a submission whose
 * transaction never committed, so that its id is handed out again) is
 * removed first.  The writes go through h's descriptors: nothing planted
 * in the spool after the create is followed.
 */
int spool_job_create(const struct spool *sp, int64_t id, struct spool_job *h,
    struct error *e);

/* Close what spool_job_create() opened (idempotent). */
void spool_job_close(struct spool_job *h);

/*
 * Write a file of the submission: rel is a relative path under in/files/
 * (checked; parent directories are created), or, with rel starting "in/",
 * one of the SPOOL_ inputs above (any other "in/..." is refused).  The
 * file must not exist yet.  Names that come from users go through
 * spool_write_file(), so that a user's "in/stdin" stays a file.
 */
int spool_write(struct spool_job *h, const char *rel, const void *data,
    size_t len, struct error *e);

/* As spool_write(), but rel is always under in/files/, whatever its name. */
int spool_write_file(struct spool_job *h, const char *rel, const void *data,
    size_t len, struct error *e);

/*
 * Read an input of the submission, one of the SPOOL_ inputs (any other
 * name is ERR_INVALID), into a new buffer of at most cap bytes, as
 * spool_read_result() does.  ERR_NOTFOUND if there is none.
 */
int spool_read_input(const struct spool *sp, int64_t id, const char *rel,
    size_t cap, char **out, size_t *len, struct error *e);

/*
 * Open the submission's files (in/files/) for reading: *fd is a new
 * descriptor on the directory, the caller's to close.
 */
int
spool_open_files(const struct spool *sp, int64_t id, int *fd, struct error *e);

/*
 * Remove out.tmp/ if it exists and create it empty; its path goes into
 * path (ERR_INVALID if len is too small; path is set only on success).
 */
int spool_results_begin(const struct spool *sp, int64_t id, char *path,
    size_t len, struct error *e);

/*
 * Replace out/ with out.tmp/ (the results of an attempt are complete).
 * ERR_STATE if there is no out.tmp/.  Not atomic: the old out/ is removed,
 * then out.tmp/ renamed; a crash in between leaves only out.tmp/.
 */
int spool_results_commit(const struct spool *sp, int64_t id, struct error *e);

/*
 * Read a file of the job's results (relative to out/, checked) into a new
 * NUL-terminated buffer of at most cap bytes (more is ERR_INVALID), the
 * caller's to free.  ERR_NOTFOUND if there is none; ERR_REFUSED for a link
 * or anything but a regular file.
 */
int spool_read_result(const struct spool *sp, int64_t id, const char *rel,
    size_t cap, char **out, size_t *len, struct error *e);

/*
 * Write r as SPOOL_RESULT in the attempt's directory open on dirfd (made
 * by spool_results_begin()), replacing the file the node sent.
 */
int spool_result_put(int dirfd, const struct result *r, struct error *e);

/*
 * Read and check the result of the job's last collected attempt
 * (out/result.json) into r (result_init() first; the caller releases it).
 */
int spool_result_get(const struct spool *sp, int64_t id, struct result *r,
    struct error *e);

/*
 * Read a file the job left in /out, name relative to it (checked), as
 * spool_read_result() does.
 */
int spool_read_out_file(const struct spool *sp, int64_t id, const char *name,
    size_t cap, char **out, size_t *len, struct error *e);

/* Remove everything of job id, never following a link; none is not an error. */
int spool_job_remove(const struct spool *sp, int64_t id, struct error *e);

#endif
