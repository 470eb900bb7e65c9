/*
 * The scheduler's decisions, as pure functions over plain data (no I/O, no
 * clock), so that every choice and the fairness between tenants are unit
 * tested.  The caller (the dispatcher's main thread) owns the queue and the
 * node table and applies the decisions.
 *
 * A job fits a node when the node offers its runtime, the node's labels
 * include all of the job's labels, and every limit the job asked for is
 * within the node's ceilings.  A job that fits no configured node, up or
 * not, is refused at submission.
 *
 * Fairness: among tenants with a queued job that fits a free slot, the one
 * with the fewest jobs already placed (staging, running, collecting) goes
 * first; ties go to the tenant served least recently; within a tenant,
 * oldest first.  So one tenant's thousand queued jobs never starve another
 * tenant's single job.
 */
#ifndef SLUICE_DISPATCHER_SCHED_H
#define SLUICE_DISPATCHER_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limit.h"

enum sched_node_state {
	SCHED_UP,
	SCHED_DOWN,
	SCHED_DRAINING,
	SCHED_DRAINED
};

/* The name of a node state as the API shows it: "UP", "DOWN", ... */
const char *sched_state_name(enum sched_node_state s);

struct sched_node {
	const char *name;
	enum sched_node_state state;
	unsigned slots; /* from the agent's info */
	unsigned busy; /* jobs placed on it now */
	const char *const *runtimes;
	size_t nruntimes;
	const char *const *labels;
	size_t nlabels;
	struct limits ceilings; /* from the agent's info */
	bool known; /* info has been received at least once */
};

struct sched_job {
	int64_t id;
	const char *tenant;
	const char *runtime;
	const char *const *labels;
	size_t nlabels;
	struct limits limits; /* requested; only bits in limit_set */
	unsigned limit_set;
};

/*
 * Whether job fits node (state and free slots aside).  A node whose info
 * has never been received (known false) fits nothing: its runtimes and
 * ceilings are not known.
 */
bool sched_fits(const struct sched_node *node, const struct sched_job *job);

/*
 * Whether any node could ever run job: some configured node whose static
 * labels fit and which either fits fully or has not sent its info yet (a
 * node not heard from gets the benefit of the doubt, so that after a
 * restart jobs only the slowest node to answer can run are not refused).
 * If no node's info is known yet, label fit alone decides.
 */
bool sched_feasible(const struct sched_node *nodes, size_t n,
    const struct sched_job *job);

/*
 * Why a queued job waits, as text for its reason field, the first that
 * applies of: "no node has all the labels requested (L, ...)", "waiting
 * for nodes to report what they offer", "no node offers runtime 'R'",
 * "the limits asked for exceed the ceilings of every node offering 'R'",
 * "every node offering 'R' is down" (or "drained", or "down or drained"),
 * "waiting for a free slot: every node offering 'R' is busy" (or "busy or
 * unavailable"), "waiting for its turn".  The two before the last name the
 * nodes the job fits and why each has no free slot, the first four then
 * "+N more": " (node1 busy 2/2, node2 drained)".  Cut to fit len bytes
 * (with the NUL); nothing is written if len is 0.
 */
void sched_reason(const struct sched_node *nodes, size_t n,
    const struct sched_job *job, char *buf, size_t len);

/* Per-tenant bookkeeping the caller keeps between decisions. */
struct sched_tenant {
	const char *name;
	unsigned placed; /* staging + running + collecting */
	uint64_t last_served; /* a counter value; 0 = never */
	int64_t max_placed; /* its running quota; 0 = none */
};

/* Whether tenant t has as many jobs placed as its quota allows. */
bool sched_tenant_full(const struct sched_tenant *t);

/*
 * Choose the next placement.  queue holds the queued jobs oldest first;
 * tenants every tenant that has a queued job.  Returns true and sets
 * *job_index (into queue) and *node_index (into nodes) if some queued job
 * fits an UP node with a free slot; the node with the most free slots wins
 * (then the first).  The caller then marks the node busy, bumps the
 * tenant's placed count and last_served, and calls again.
 *
 * Only jobs that fit a free slot right now compete: a job that fits none
 * is passed over, so it blocks neither other tenants nor later jobs of its
 * own tenant (backfill without reservation: a job that needs a scarce node
 * waits while smaller jobs keep that node's slots full).  Between tenants
 * equal in placed jobs and last_served, the one whose placeable job is
 * oldest goes first.  A job whose tenant is not in tenants counts as a
 * tenant with nothing placed and never served.
 */
bool sched_pick(const struct sched_node *nodes, size_t nnodes,
    const struct sched_job *queue, size_t nqueue,
    const struct sched_tenant *tenants, size_t ntenants, size_t *job_index,
    size_t *node_index);

/* One placement of a plan: queue[job] goes on nodes[node]. */
struct sched_placement {
	size_t job;
	size_t node;
};

/*
 * Plan a whole scheduling pass: the placements sched_pick() makes one after
 * the other, each counted before the next pick (the node one busier, the
 * tenant one more placed and served last), with the jobs of tenants that
 * are full (sched_tenant_full()) left out.  nodes and tenants are not
 * changed: the caller applies the plan, in its order, and gives the
 * placements the next values of its serve_counter, as the plan did.
 * out has room for nqueue placements; *n is how many there are (0 if no
 * queued job fits a free slot).  Returns 0, or -1 if out of memory.
 */
int sched_plan(const struct sched_node *nodes, size_t nnodes,
    const struct sched_job *queue, size_t nqueue,
    const struct sched_tenant *tenants, size_t ntenants, uint64_t serve_counter,
    struct sched_placement *out, size_t *n);

#endif
