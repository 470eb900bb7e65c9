/*
 * Staging: a job's submission goes from the spool to its directory on the
 * node over SFTP (the manifest, the files, stdin), then agent run starts
 * there.  After a restart, or when the directory exists already, the
 * agent's status says how far an attempt got: absent or partly uploaded
 * is staged afresh, started is attached to with agent wait.
 *
 * Used by a node's worker thread (pool.c); nothing here touches the store.
 */
#ifndef SLUICE_DISPATCHER_STAGE_H
#define SLUICE_DISPATCHER_STAGE_H

#include <stdint.h>

#include "agentproto.h"
#include "error.h"
#include "remote.h"
#include "spool.h"

/*
 * Stage job id's attempt into path on the node (created here) and start
 * agent run; if path exists already, go on as stage_recover().  No file
 * of the spool larger than max_bytes is read.  *proc follows the agent.
 */
int stage_start(struct agentproto *ap, struct remote *r, const struct spool *sp,
    uint64_t max_bytes, int64_t id, const char *path,
    struct remote_channel **proc, struct error *e);

/*
 * Stage job id's attempt into path on the node without starting it (a SLURM
 * node: sbatch starts it on a compute node).  A directory left at path (a
 * submission that never got its id recorded) is removed with agent clean
 * first.
 */
int stage_put(struct agentproto *ap, struct remote *r, const struct spool *sp,
    uint64_t max_bytes, int64_t id, const char *path, struct error *e);

/*
 * Find out with agent status how far the attempt at path got and go on:
 * stage it again (after agent clean, if partly uploaded), or attach to it
 * with agent wait.
 */
int stage_recover(struct agentproto *ap, struct remote *r,
    const struct spool *sp, uint64_t max_bytes, int64_t id, const char *path,
    struct remote_channel **proc, struct error *e);

#endif
