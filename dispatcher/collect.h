/*
 * Collection: the results of an attempt the agent has finished come back
 * from its directory on the node over SFTP into the spool (the capped
 * stdout and stderr, and the regular files the job left in out/, names
 * checked, links never followed; the result from the finished event, or
 * result.json), are checked, and replace the job's results in the spool
 * only once complete.
 *
 * Used by a node's worker thread (pool.c); nothing here touches the store.
 */
#ifndef SLUICE_DISPATCHER_COLLECT_H
#define SLUICE_DISPATCHER_COLLECT_H

#include <stdint.h>

#include "agentproto.h"
#include "error.h"
#include "remote.h"
#include "result.h"
#include "settings.h"
#include "spool.h"

/*
 * Collect the attempt of job id whose directory on the node is path, under
 * the caps of set (max_out_files, max_result_file_bytes).  finished (may be
 * NULL) is the attempt's finished event line as the agent sent it
 * (agentproto_events): its result, checked as result.json would be, spares
 * fetching that file; one that does not pass is ignored and the file is
 * fetched.  On success *out is the checked result (the node's account of
 * the run, with the out files listed from what really came back), the
 * caller's to release; the spool's results are replaced.  On failure the
 * spool's results are untouched.
 */
int collect_job(struct remote *r, const struct spool *sp,
    const struct settings *set, int64_t id, const char *path,
    const char *finished, size_t finished_len, struct result *out,
    struct error *e);

#endif
