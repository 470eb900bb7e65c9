/*
 * sluice-agent serve: many requests over one long-lived session (an SSH
 * exec channel), instead of one process start per verb.  Each request line
 * "TAG VERB [JOBDIR...]" runs in a child of its own, exactly as
 * "sluice-agent VERB JOBDIR..." would (with the policy the session keeps
 * while its file is unchanged; see main.c's agent_keep()), and each line
 * the child prints comes back as "TAG LINE", then "TAG exit STATUS".  A
 * job's supervisor is detached as always: a session that ends stops no job.
 */
#ifndef SLUICE_AGENT_SERVE_H
#define SLUICE_AGENT_SERVE_H

#include <stdbool.h>

#include "result.h"

#define SERVE_TAG_MAX 32 /* [A-Za-z0-9_.-], at most this many */
#define SERVE_REQUEST_MAX (128 * 1024) /* bytes in one request line */
#define SERVE_WORDS_MAX 1001 /* clean and 1000 JOBDIRs */
#define SERVE_INFLIGHT_MAX \
	2048 /* requests running at once: a run or
				    wait for each of up to 1024 slots, and
				    more */
#define SERVE_LINE_MAX \
	(RESULT_MAX_BYTES + 8192) /* one answer line: an
						    event with a result */

/* Runs one verb (in the child) and returns its exit status. */
typedef int (
    *serve_verb_fn)(const char *verb, int nargs, char **args, void *arg);

#define SERVE_IDLE_SECONDS 10
#define SERVE_KEEP_FDS \
	(67 + 64) /* two namespaces, a zygote, a template per
				    runtime, and a network namespace for
				    each of the first SLOT_NETS_MAX slots */

/*
 * Refreshes what the session keeps for its requests (the policy, the
 * namespaces for the next run, the templates), and says how many runs
 * should be parked at once (0: none): run in the serving process
 * at the start and every SERVE_IDLE_SECONDS without a request (verb NULL),
 * and after each request has been handed to its child (its verb, or
 * "hand" for a run handed to the parked run), never on a request's own
 * path.  A child inherits what was kept as
 * of its fork; of the descriptors above stderr it keeps only those in fds
 * (-1 for none), and closes the rest.
 */
typedef unsigned (
    *serve_keep_fn)(const char *verb, int fds[SERVE_KEEP_FDS], void *arg);

/*
 * A parked run (park.h), in a child the loop starts ahead of any request
 * while fewer than keep says are parked or running what they took: it reads one line, "run JOBDIR",
 * from its stdin, which the loop writes when a run request comes (instead
 * of forking for it), and then is that request's child.  If it has no
 * parked sandbox to offer (any more), it prints the line SERVE_PARK_GONE,
 * which the loop takes as its own (never passed on): the loop then closes
 * the child's stdin unless it has already handed it a request, which the
 * child then runs cold.  Returns its exit status.
 */
typedef int (*serve_park_fn)(void *arg);
#define SERVE_PARK_GONE "park gone"

/* Serve requests from stdin until it ends; the exit status. */
int
serve_main(serve_verb_fn fn, serve_keep_fn keep, serve_park_fn park, void *arg);

#endif
