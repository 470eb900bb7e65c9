/*
 * Slots: the sandboxes a node runs at once.  Slot i runs as uid_base + i and
 * owns that uid's cgroup (cgroup.h); it is held through an
 * open-file-description lock on <base_dir>/slots/<i>.lock, which the
 * supervisor keeps until the job's last trace is gone.  Such a lock is
 * tested without taking it (info) and dies with its holder, so a crashed
 * supervisor frees its slot.
 */
#ifndef SLUICE_AGENT_SLOT_H
#define SLUICE_AGENT_SLOT_H

#include <stdbool.h>

#include "conf.h"
#include "error.h"

/* Create <base_dir>/slots, empty, root and checks (check.h) if they are
   missing. */
int slot_dirs(const struct agent_conf *c, struct error *e);

/*
 * Take a free slot; *slot and *fd (the lock) are set on success.  Waits a
 * moment for a slot that is being released; ERR_BUSY if none comes free.
 */
int slot_acquire(const struct agent_conf *c, unsigned *slot, int *fd,
    struct error *e);

/* Take slot i if it is free; returns the lock descriptor or -1. */
int slot_try(const struct agent_conf *c, unsigned i);

/* How many slots are held right now by jobs (a parked one is not). */
unsigned slot_busy(const struct agent_conf *c);

/*
 * Take a parked sandbox's slot (park.h; numbers slots to slots_all - 1,
 * past the others, so that it never keeps a cold run waiting), the first
 * that is free, without waiting: *fd is its lock, *parked the lock on slots/<i>.parked
 * that marks it as waiting for a job (slot_busy() does not count it) until
 * closed.  0, or -1.
 */
int slot_park(const struct agent_conf *c, unsigned *slot, int *fd, int *parked);

/*
 * A session's network namespaces for the first SLOT_NETS_MAX slots of its
 * base_dir (serve, as root, not mode "user"): slot i's jobs take
 * fd[i] in turn instead of a new one each (making one, and the kernel's
 * teardown of it, cost a trivial job about 1 ms of CPU, 7%:
 * bench/README.md).
 * Only the holder of slot i's lock enters fd[i], so no two jobs share it at
 * once; the sandbox's init takes it only if nothing of the jobs before is
 * left in it, no socket nor device (sandbox_enter_spare()), and else makes
 * a new one.  A job reaches no other namespace of the kind (its filter
 * allows only AF_UNIX sockets, and it never holds these descriptors).
 * Each kept namespace holds about 170 KB of the kernel's memory (slab and
 * per-CPU, Linux 6.18), so a session keeps at most about 11 MB so.
 */
#define SLOT_NETS_MAX 64
#define SLOT_NETS_PER_KEEP 4 /* made at most per slot_nets_keep() */
struct slot_nets {
	char base_dir[sizeof(((struct agent_conf *)0)->base_dir)];
	int fd[SLOT_NETS_MAX]; /* or -1 */
};

/* No namespace yet (every fd -1). */
void slot_nets_init(struct slot_nets *n);

/*
 * Make the namespaces of c's slots that are missing, at most
 * SLOT_NETS_PER_KEEP of them (a session calls this off any job's path, and
 * again until it has them all); those of another base_dir are closed first
 * (its slots' locks are not these).  Whether every cold run's slot (0 to
 * slots - 1) has one.
 */
bool slot_nets_keep(struct slot_nets *n, const struct agent_conf *c);

/* Slot i's namespace for a job under policy c (who holds slot i's lock),
   or -1. */
int slot_net(const struct slot_nets *n, const struct agent_conf *c, unsigned i);

/* Close them all. */
void slot_nets_close(struct slot_nets *n);

#endif
