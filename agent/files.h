/*
 * Trees of untrusted files: the submission on the way in, the job's /out on
 * the way back, and a job directory on its way out of existence.  Every
 * walk works through directory descriptors, never follows a symbolic link,
 * never blocks on a FIFO, and stops at hard caps on count and size.
 */
#ifndef SLUICE_AGENT_FILES_H
#define SLUICE_AGENT_FILES_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "result.h"

#define FILES_DEPTH_MAX 16
/* Files a submission may hold: run checks it, init copies under it again. */
#define FILES_SUBMISSION_MAX 10000

/*
 * Check the submission under dirfd before anything starts: only regular
 * files and directories (a symbolic link or anything else is refused), each
 * owned by owner (the account that staged the job) and each file with one
 * link only, at most max_files files and max_bytes bytes, and entry must be
 * one of the regular files.
 */
int files_check(int dirfd, uid_t owner, const char *entry, uint64_t max_files,
    uint64_t max_bytes, struct error *e);

/*
 * Copy the submission from srcfd into dstfd, owned by uid:gid.  The same
 * rules as files_check() hold; a change since the check is an error.
 */
int files_copy_in(int srcfd, uid_t owner, int dstfd, uid_t uid, gid_t gid,
    uint64_t max_files, uint64_t max_bytes, struct error *e);

/*
 * Copy what a job left in its /out (srcfd) to dstfd: regular files only,
 * names sanitised, at most max_files files and directories together and
 * max_bytes bytes in all (each directory costs 4096), and no more names
 * than half of result.json's cap can list.
 * Each copied file is added to r->out_files; anything skipped or cut sets
 * r->out_files_truncated and is counted in *skipped.
 */
int files_copy_out(int srcfd, int dstfd, unsigned max_files, uint64_t max_bytes,
    struct result *r, unsigned *skipped, struct error *e);

/*
 * Remove everything below the open directory fd (not fd itself: its name
 * is the caller's to remove, once it has checked that the name is still
 * this directory).  Links are removed, never followed.
 */
int files_remove_tree(int fd, struct error *e);

#endif
