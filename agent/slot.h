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

#endif
