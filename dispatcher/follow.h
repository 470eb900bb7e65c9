/*
 * Following a job's output while it runs (GET /v1/jobs/ID/output): long
 * polls answered with the bytes of stdout and stderr past the offsets the
 * client has, as soon as there are some, when the job ends, or when the
 * wait is over.  On the main thread.
 *
 * The node writes JOBDIR/stdout and JOBDIR/stderr as the job goes; while
 * someone follows a job, its node's worker reads them over SFTP from the
 * offsets asked for (POOL_CMD_PEEK, at most POOL_PEEK_MAX bytes of each),
 * at most once every FOLLOW_PEEK_MS for that job, and never for a job
 * nobody follows.  The last piece read of each stream is kept (bounded),
 * so that several followers share one read; at most FOLLOW_JOBS_MAX jobs
 * are followed at once.  Once the job has ended, the answer comes from the
 * spool, which holds the ended attempt's output.
 *
 * An attempt that fails and is tried again starts its output over: an
 * answer says which attempt its bytes are of, and a follower that asked
 * for another attempt gets the new one from offset 0.
 */
#ifndef SLUICE_DISPATCHER_FOLLOW_H
#define SLUICE_DISPATCHER_FOLLOW_H

#include <event2/http.h>

#include "core.h"
#include "waiter.h"

#define FOLLOW_JOBS_MAX 256 /* jobs followed at once */
#define FOLLOW_PEEK_MS 200 /* the shortest time between two reads */
/* An ended job's answer carries at most this much of each stream. */
#define FOLLOW_ENDED_CHUNK (1024 * 1024)

struct follow_set;

/*
 * The followers of one server, hooked to the core's output (its on_output,
 * which must be free) and to the ends of jobs through ws (its chain, which
 * must be free).  NULL if out of memory.
 */
struct follow_set *follow_set_new(struct core *c, struct waiter_set *ws);

/* Unhook and free the set, after evhttp_free() (which drops the requests
   it holds, unanswered).  NULL is a no-op. */
void follow_set_free(struct follow_set *fs);

/*
 * Answer req, a GET /v1/jobs/ID/output of job j (its caller's right to it
 * checked), whose query may give stdout_offset, stderr_offset and attempt
 * (decimal; 0 by default; anything else is answered 400): at once if there
 * is something past the offsets, the job has ended, the attempt asked for
 * is not the job's, or wait_seconds is 0; else once one of these holds,
 * and at the latest after wait_seconds (at most wait_max_seconds).
 */
void follow_request(struct follow_set *fs, struct evhttp_request *req,
    const struct job *j, double wait_seconds);

#endif
