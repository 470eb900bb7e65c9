/*
 * The job's seccomp filter (libseccomp).  A deny-list on a default of
 * "allow": the namespaces, the slot's uid and the missing capabilities do
 * the isolating; the filter closes the kernel surfaces that are not
 * namespaced or that a job has no business with.  Loaded last, just before
 * execve.
 */
#ifndef SLUICE_AGENT_FILTER_H
#define SLUICE_AGENT_FILTER_H

#include <stdint.h>

#include "error.h"

/*
 * Build and load the filter in the calling process.  Allocations with write
 * access larger than memory_bytes are sent to a user-notification listener;
 * its descriptor is returned in *notify_fd (the supervisor answers ENOMEM
 * and records that the memory limit was hit).
 */
int filter_load(uint64_t memory_bytes, int *notify_fd, struct error *e);

/* How many rules the filter has (for info and tests). */
int filter_rule_count(void);

#endif
