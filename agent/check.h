/*
 * Runtime checks: `info` runs each runtime's tiny program (agent.conf's
 * check = { entry; source; }) through the real sandbox, as a job of its
 * own on a free slot, and reports whether it ended ok.  A runtime whose
 * binds or interpreter the sandbox cannot use (a link through a path that
 * is not bound, a missing library) passes `--version` on the host and
 * fails here, before any user's job does.
 *
 * The job lives in <base_dir>/checks/ (root's, mode 0700: the node's
 * account cannot touch it), and its outcome is kept there for
 * CHECK_KEEP_SECONDS, keyed by everything it depends on (the runtime's
 * settings, the default limits, the agent's version, and the identity of
 * the programs it runs), so that the dispatcher's info on every connection
 * costs a file read.
 */
#ifndef SLUICE_AGENT_CHECK_H
#define SLUICE_AGENT_CHECK_H

#include <jansson.h>

#include "cgroup.h"
#include "conf.h"

#define CHECK_KEEP_SECONDS 3600

/*
 * Check runtime rt under policy c on cgroups cs.  Returns a new JSON object
 * {"check": "ok"} or {"check": "failed", "check_error": TEXT}, or, when no
 * slot is free to check it on and nothing is kept, {"check": "unchecked"};
 * NULL out of memory.  Never fails otherwise: what goes wrong is the
 * check's error.
 */
json_t *check_runtime(const struct agent_conf *c, const struct runtime *rt,
    const struct cgroup_sys *cs);

#endif
