/*
 * `sluice-agent sftp`: the SFTP subsystem of a node's SSH account, confined
 * to the jobs directory.  It runs sftp-server in a mount namespace of its
 * own whose root holds only <base_dir>/jobs (read-write, at its own path)
 * and /usr (read-only, for sftp-server itself), as the account root is held
 * for, with no_new_privs, and with only the requests the dispatcher makes.
 */
#ifndef SLUICE_AGENT_SFTP_H
#define SLUICE_AGENT_SFTP_H

#include "conf.h"
#include "error.h"

/*
 * Serve SFTP on stdin and stdout.  jobsfd is c->jobs_dir as checked by
 * trust_open().  Returns only on failure.
 */
int sftp_serve(const struct agent_conf *c, int jobsfd, struct error *e);

#endif
