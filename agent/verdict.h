/*
 * Turning what the supervisor observed into a verdict and a message.  Pure
 * logic with no system calls, so every rule is unit-tested: the verdict is
 * what users build on, and it must tell the truth.
 */
#ifndef SLUICE_AGENT_VERDICT_H
#define SLUICE_AGENT_VERDICT_H

#include <stdbool.h>

#include "limit.h"
#include "result.h"

/* Why the supervisor itself ended the job, if it did. */
enum verdict_kill {
	KILL_NONE,
	KILL_WALL,
	KILL_CPU,
	KILL_OUTPUT,
	KILL_CANCEL
};

struct verdict_facts {
	bool sandbox_failed; /* setup or exec failed */
	const char *error; /* what failed, if so */
	enum verdict_kill killed;
	const char *output_stream; /* "stdout"/"stderr" with KILL_OUTPUT */
	bool have_status; /* init reported the job's wait status */
	int status;
	bool memory_hit; /* OOM kill, or a refused oversized mapping */
	double cpu_seconds; /* summed over the job */
	const struct limits *limits;
	unsigned clamped; /* requested limits lowered to the ceiling */
};

/*
 * Fill r's verdict, exit_code, signal and message from the facts.  The
 * order of the rules is the contract:
 *   1. a sandbox failure is sandbox_error (the node's fault), unless the
 *      job's cgroup recorded an OOM kill: then its own memory limit was
 *      too small to start it, and the verdict is memory_limit;
 *   2. what the supervisor killed for: cancelled, output_limit, wall_limit,
 *      cpu_limit;
 *   3. memory: an OOM kill or refused allocation is memory_limit unless the
 *      program still exited 0 (then ok, with a note);
 *   4. a death by SIGXCPU or SIGKILL after the CPU limit is cpu_limit;
 *   5. otherwise signaled, exited or ok from the wait status.
 */
void verdict_decide(const struct verdict_facts *f, struct result *r);

#endif
