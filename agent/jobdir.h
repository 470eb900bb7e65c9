/*
 * A job directory, <base_dir>/jobs/<name>/: how the agent finds it safely,
 * what state it is in, and its event log.  The directory belongs to the
 * dispatcher's account, so everything here goes through descriptors with
 * O_NOFOLLOW and creates files with O_EXCL: root never follows a link that
 * account could plant.
 *
 * The events file doubles as the supervisor's heartbeat: the supervisor
 * holds an open-file-description write lock on it for as long as it lives.
 */
#ifndef SLUICE_AGENT_JOBDIR_H
#define SLUICE_AGENT_JOBDIR_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "conf.h"
#include "error.h"
#include "manifest.h"
#include "result.h"

struct jobdir {
	int parentfd; /* <base_dir>/jobs */
	int fd; /* the job directory */
	char name[256];
	uid_t owner; /* who owns the directory: the account that staged it */
	gid_t group;
	dev_t dev; /* the directory as opened */
	ino_t ino;
};

enum jobdir_state {
	JOBDIR_STAGED,
	JOBDIR_RUNNING,
	JOBDIR_FINISHED
};

/*
 * Open the job directory at path, which must be <base_dir>/jobs/<name>
 * exactly (a trailing '/' is allowed) and a real directory, not a link.
 * jobsfd is <base_dir>/jobs, already opened and checked (trust_open()); it
 * is duplicated, never looked up again by name.  Anything else fails with
 * ERR_REFUSED.
 */
int jobdir_open(struct jobdir *jd, const struct agent_conf *c, int jobsfd,
    const char *path, struct error *e);

/*
 * Check fd, a regular file (a directory if dir) opened in the job directory
 * by name: it
 * must be owned by the job directory's owner and, if a regular file, have
 * exactly one link.  Root reads these files for the account that staged
 * them; a hard link to a file that account does not own (possible where
 * fs.protected_hardlinks is 0) would hand that file to the job.
 */
int jobdir_owned(const struct jobdir *jd, int fd, const char *name, bool dir,
    struct error *e);

/*
 * Open name, a file the agent itself wrote in the job directory (events,
 * result.json), with flags plus O_NOFOLLOW, with the file-system ids of the
 * directory's owner: root opens only what the account could open itself.
 * The account owns the directory and may replace any entry (with a FIFO,
 * or with a hard link to root's file where fs.protected_hardlinks is 0);
 * root must never read out or append to such a file for it.  Returns the
 * descriptor of a regular file, or -1 with errno (EPERM: not a regular
 * file).
 */
int jobdir_open_own(const struct jobdir *jd, const char *name, int flags);

/* Whether the job directory is still the one at its name in jobs. */
bool jobdir_in_place(const struct jobdir *jd);

/* Close what jobdir_open() opened. */
void jobdir_close(struct jobdir *jd);

/* The state: finished once result.json exists, running once started. */
enum jobdir_state jobdir_state(const struct jobdir *jd);

/* The state's name for status output. */
const char *jobdir_state_name(enum jobdir_state st);

/*
 * Mark the job started by creating its events file, which must not exist
 * yet (ERR_STATE if it does), and lock it.  *evfd stays open (append mode)
 * for the supervisor; the lock lives as long as that open file does.
 */
int jobdir_claim(struct jobdir *jd, int *evfd, struct error *e);

/* Append one event: ev gets an "at" time, is written as one line, freed. */
int jobdir_event(int evfd, json_t *ev);

/* Whether a live supervisor holds the events lock. */
bool jobdir_supervisor_alive(const struct jobdir *jd);

/*
 * Settle a job that has no run behind it (cancelled before it started, or
 * a supervisor that could not start or that died): write a result with
 * verdict v, limits l and message msg, then the finished event on evfd.
 */
int jobdir_settle(const struct jobdir *jd, int evfd, enum verdict v,
    const struct limits *l, const char *msg, struct error *e);

/* Read and parse the manifest (job.json, the account's own regular
   file, never a link). */
int
jobdir_manifest(const struct jobdir *jd, struct manifest *m, struct error *e);

/* The limits the job runs with: its manifest's resolved against c's
   defaults and ceilings, or the defaults if it cannot be read. */
void jobdir_limits(const struct jobdir *jd, const struct agent_conf *c,
    struct limits *l);

/* Read result.json as JSON, or NULL. */
json_t *jobdir_read_result(const struct jobdir *jd);

/*
 * For a started job whose supervisor is gone without a result: record a
 * sandbox_error result and a finished event so the job ends exactly once.
 * Does nothing if the supervisor is alive or the result exists.
 */
int jobdir_settle_lost(struct jobdir *jd, const struct agent_conf *c,
    struct error *e);

/*
 * Copy the events to out_fd, line by line, following the file until the
 * finished event has been copied.  Notices a supervisor that died and
 * settles the job.  Returns 0 once finished was copied.
 *
 * wake_fd is the read end of a pipe the supervisor writes a byte to after
 * each event (run has one, since it starts the supervisor); with -1 the
 * file is watched with inotify instead (wait, cancel).  Closing an inotify
 * instance waits for an RCU grace period, about 10 ms, which run's hot path
 * must not pay.
 */
int jobdir_follow(struct jobdir *jd, const struct agent_conf *c, int out_fd,
    int wake_fd, struct error *e);

#endif
