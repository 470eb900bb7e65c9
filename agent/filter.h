/*
 * The job's seccomp filter (libseccomp).  A deny-list on a default of
 * "allow": the namespaces, the slot's uid and the missing capabilities do
 * the isolating; the filter closes the kernel surfaces that are not
 * namespaced or that a job has no business with.  Loaded last, just before
 * execve.
 */
#ifndef SLUICE_AGENT_FILTER_H
#define SLUICE_AGENT_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

#define FILTER_INSNS_MAX 512

/* A compiled filter, ready to install (the kernel's struct sock_filter). */
struct filter_prog {
	unsigned short len;
	struct {
		uint16_t code;
		uint8_t jt;
		uint8_t jf;
		uint32_t k;
	} insns[FILTER_INSNS_MAX];
};

/*
 * Compile the filter for a job.  Writable mappings larger than
 * memory_bytes go to a user-notification listener (the supervisor answers
 * ENOMEM and records that the memory limit was hit).  Without a memory
 * cgroup (memcg false), memfd_create, shmget and msgget are refused: they
 * hold memory outside every address space.  No system call is
 * filtered yet: the supervisor compiles it while init builds the root, and
 * the job installs it with filter_install().
 */
int filter_build(uint64_t memory_bytes, bool memcg, struct filter_prog *prog,
    struct error *e);

/*
 * Compile the filter for (memory_bytes, memcg) now and keep it in this
 * process, so that filter_build() with those arguments, here or in a
 * process forked after, copies it instead of compiling again (the compile
 * is a pure function of them).  A session does this off any job's path
 * for the limits of a job that gives none: about 0.3 ms of CPU that each
 * supervisor spent.  A failure keeps nothing.
 */
void filter_keep(uint64_t memory_bytes, bool memcg);

/*
 * The number of the system call name for a rule.  A name this libseccomp
 * does not know fails (a deny-list that skipped it would have a hole); a
 * call the native architecture lacks gives a negative pseudo-number, which
 * a rule accepts and drops.
 */
int filter_resolve(const char *name, int *nr, struct error *e);

/*
 * The filter's rules as info shows them (for a node with a memory cgroup
 * or, memcg false, without): {"default": "allow", "rules":
 * [{"syscall", "action", "native"}, ...], "error": null or why a rule cannot
 * be installed here (then every job ends in sandbox_error)}.  "native" is
 * false for a call this architecture does not have (nothing to refuse).
 */
json_t *filter_describe(bool memcg);

/*
 * Set no_new_privs and install prog in the calling process; the listener's
 * descriptor is returned in *notify_fd.
 */
int
filter_install(const struct filter_prog *prog, int *notify_fd, struct error *e);

#endif
