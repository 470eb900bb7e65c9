/*
 * Who may choose the node's policy, and which files may carry it.  The agent
 * is root, but it is started by the dispatcher's SSH account (through sudo or
 * a forced command).  That account must never choose the policy: not the
 * config file, not the directories the agent works in, not the uids the jobs
 * run as.  Everything here fails closed.
 */
#ifndef SLUICE_AGENT_TRUST_H
#define SLUICE_AGENT_TRUST_H

#include <stdbool.h>
#include <sys/types.h>

#include "conf.h"
#include "error.h"

/*
 * Whether the agent holds root on behalf of an account that is not root:
 * a real or saved uid other than 0 (setuid), or a privilege tool's record of
 * a non-root caller (SUDO_UID, DOAS_USER, PKEXEC_UID).  Such a caller gets
 * the compiled-in config and nothing else.  Without root: whether the real
 * or saved uid is not the effective one, or the real or saved gid not the
 * effective gid (set-user-id or set-group-id to another account or group).
 */
bool trust_on_behalf(void);

/*
 * The account root is held for (see trust_on_behalf()): the real uid if it
 * is not 0, else SUDO_UID, PKEXEC_UID or DOAS_USER's uid.  -1 if none can
 * be told, which callers treat as a refusal.
 */
int trust_caller(uid_t *uid);

/*
 * Open path (a regular file, or a directory when dir is true) by walking
 * from "/" one component at a time without following symbolic links, and
 * check every component as sshd's StrictModes does: owned by root (or,
 * without root, by the agent's own account: mode "user") and not
 * writable by group or others, except that a sticky directory (such as
 * /tmp) may be, since what is in it must be root's own in turn.  A relative
 * path is taken from the current directory.  Returns the descriptor
 * (O_RDONLY, close-on-exec) or -1.
 */
int trust_open(const char *path, bool dir, struct error *e);

/*
 * Check the slot ids: uid_base and gid_base at least 1000, no uid or gid of
 * a slot belonging to an existing account or group, and none inside an
 * account's subordinate range (/etc/subuid, /etc/subgid).
 */
int trust_ids(const struct agent_conf *c, struct error *e);

#endif
