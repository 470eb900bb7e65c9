/* The scheduler's decisions as pure functions: see sched.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

/* Whether s is one of the n strings of v. */
static bool
sched_has(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Whether the node's static labels include all of the job's. */
static bool
sched_labels_fit(const struct sched_node *node, const struct sched_job *job)
{
	size_t i;

	for (i = 0; i < job->nlabels; i++)
		if (!sched_has(node->labels, node->nlabels, job->labels[i]))
			return false;
	return true;
}

/* Whether job fits node (state and free slots aside). */
bool
sched_fits(const struct sched_node *node, const struct sched_job *job)
{
	/* Without the agent's info, runtimes and ceilings are not known. */
	if (!node->known)
		return false;
	return sched_labels_fit(node, job) &&
	    sched_has(node->runtimes, node->nruntimes, job->runtime) &&
	    limit_fit(&job->limits, job->limit_set, &node->ceilings);
}

/* Whether any configured node could ever run job. */
bool
sched_feasible(const struct sched_node *nodes, size_t n,
    const struct sched_job *job)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sched_labels_fit(&nodes[i], job) &&
		    (!nodes[i].known || sched_fits(&nodes[i], job)))
			return true;
	return false;
}

/* The free slots of a node, 0 if it is not UP. */
static unsigned
sched_free(const struct sched_node *node)
{
	if (node->state != SCHED_UP || node->busy >= node->slots)
		return 0;
	return node->slots - node->busy;
}

/* Append printf-style text to the reason being written in buf. */
static void sched_append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sched_append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

#define SCHED_REASON_NODES 4 /* nodes named in a reason, then "+N more" */

/*
 * Append " (node1 busy 2/2, node2 drained, ...)": the nodes job fits
 * (state and slots aside), each with why it has no free slot.
 */
static void
sched_reason_nodes(const struct sched_node *nodes, size_t n,
    const struct sched_job *job, char *buf, size_t len)
{
	size_t i, named = 0, more = 0;

	for (i = 0; i < n; i++) {
		const struct sched_node *sn = &nodes[i];

		if (!sched_fits(sn, job))
			continue;
		if (named == SCHED_REASON_NODES) {
			more++;
			continue;
		}
		sched_append(buf, len, "%s%s ", named == 0 ? " (" : ", ",
		    sn->name);
		if (sn->state == SCHED_UP)
			sched_append(buf, len, "busy %u/%u", sn->busy,
			    sn->slots);
		else if (sn->state == SCHED_DOWN)
			sched_append(buf, len, "down");
		else
			sched_append(buf, len, "%s",
			    sn->state == SCHED_DRAINING ? "draining"
							: "drained");
		named++;
	}
	if (more > 0)
		sched_append(buf, len, ", +%zu more", more);
	if (named > 0)
		sched_append(buf, len, ")");
}

/* Why a queued job waits. */
void
sched_reason(const struct sched_node *nodes, size_t n,
    const struct sched_job *job, char *buf, size_t len)
{
	size_t i, nlabel = 0, nunknown = 0, nruntime = 0, nfit = 0, nup = 0;
	size_t nfree = 0, ndown = 0, ndrain = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!sched_labels_fit(&nodes[i], job))
			continue;
		nlabel++;
		if (!nodes[i].known) {
			nunknown++;
			continue;
		}
		if (sched_has(nodes[i].runtimes, nodes[i].nruntimes,
			job->runtime))
			nruntime++;
		if (!sched_fits(&nodes[i], job))
			continue;
		nfit++;
		if (nodes[i].state == SCHED_UP)
			nup++;
		else if (nodes[i].state == SCHED_DOWN)
			ndown++;
		else
			ndrain++;
		if (sched_free(&nodes[i]) > 0)
			nfree++;
	}
	if (nlabel == 0) {
		sched_append(buf, len, "no node has all the labels requested");
		for (i = 0; i < job->nlabels; i++)
			sched_append(buf, len, "%s%s", i == 0 ? " (" : ", ",
			    job->labels[i]);
		if (job->nlabels > 0)
			sched_append(buf, len, ")");
	} else if (nfit == 0 && nunknown > 0)
		sched_append(buf, len,
		    "waiting for nodes to report what they offer");
	else if (nfit == 0 && nruntime == 0)
		sched_append(buf, len, "no node offers runtime '%s'",
		    job->runtime);
	else if (nfit == 0)
		sched_append(buf, len,
		    "the limits asked for exceed the ceilings of every node "
		    "offering '%s'",
		    job->runtime);
	else if (nup == 0) {
		/* Drained is not down: an admin's act, not a fault. */
		sched_append(buf, len, "every node offering '%s' is %s",
		    job->runtime,
		    ndrain == 0      ? "down"
			: ndown == 0 ? "drained"
				     : "down or drained");
		sched_reason_nodes(nodes, n, job, buf, len);
	} else if (nfree == 0) {
		sched_append(buf, len,
		    "waiting for a free slot: every node offering '%s' is %s",
		    job->runtime, nup == nfit ? "busy" : "busy or unavailable");
		sched_reason_nodes(nodes, n, job, buf, len);
	} else
		sched_append(buf, len, "waiting for its turn");
}

/* The node for job: the fitting UP node with the most free slots, or -1. */
static long
sched_best_node(const struct sched_node *nodes, size_t nnodes,
    const struct sched_job *job)
{
	unsigned best_free = 0, f;
	long best = -1;
	size_t i;

	for (i = 0; i < nnodes; i++) {
		f = sched_free(&nodes[i]);
		/* Strictly more, so that the first node wins a tie. */
		if (f > best_free && sched_fits(&nodes[i], job)) {
			best_free = f;
			best = (long)i;
		}
	}
	return best;
}

/* The bookkeeping of the job's tenant; a tenant not listed counts as new. */
static struct sched_tenant
sched_tenant_of(const struct sched_tenant *tenants, size_t n,
    const struct sched_job *job)
{
	struct sched_tenant none = { job->tenant, 0, 0, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(tenants[i].name, job->tenant) == 0)
			return tenants[i];
	return none;
}

/* Whether tenant a goes before tenant b: fewer placed, then served longer ago. */
static bool
sched_tenant_before(const struct sched_tenant *a, const struct sched_tenant *b)
{
	if (a->placed != b->placed)
		return a->placed < b->placed;
	return a->last_served < b->last_served;
}

/*
 * Choose the next placement.  One pass over the queue, oldest first: a job
 * becomes the choice if it fits a free slot now and its tenant goes
 * strictly before the tenant of the choice so far.  Hence within a tenant
 * the oldest job that fits now wins (older ones that fit nowhere now are
 * passed over, not waited for), and between tenants equal in placed jobs
 * and last service, the one whose placeable job is oldest wins.
 */
bool
sched_pick(const struct sched_node *nodes, size_t nnodes,
    const struct sched_job *queue, size_t nqueue,
    const struct sched_tenant *tenants, size_t ntenants, size_t *job_index,
    size_t *node_index)
{
	struct sched_tenant best_tenant = { NULL, 0, 0, 0 }, t;
	size_t i, best_job = 0, best_node = 0;
	bool found = false;
	long nd;

	for (i = 0; i < nqueue; i++) {
		t = sched_tenant_of(tenants, ntenants, &queue[i]);
		if (found && !sched_tenant_before(&t, &best_tenant))
			continue;
		if ((nd = sched_best_node(nodes, nnodes, &queue[i])) < 0)
			continue;
		found = true;
		best_tenant = t;
		best_job = i;
		best_node = (size_t)nd;
	}
	if (!found)
		return false;
	*job_index = best_job;
	*node_index = best_node;
	return true;
}

/* The name of a node state. */
const char *
sched_state_name(enum sched_node_state s)
{
	switch (s) {
	case SCHED_UP:
		return "UP";
	case SCHED_DRAINING:
		return "DRAINING";
	case SCHED_DRAINED:
		return "DRAINED";
	default:
		return "DOWN";
	}
}

/* Whether a tenant is at its running quota. */
bool
sched_tenant_full(const struct sched_tenant *t)
{
	return t->max_placed > 0 && (int64_t)t->placed >= t->max_placed;
}

/* The tenant called name in tenants, or NULL. */
static struct sched_tenant *
sched_tenant_find(struct sched_tenant *tenants, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(tenants[i].name, name) == 0)
			return &tenants[i];
	return NULL;
}

/* Plan a scheduling pass. */
int
sched_plan(const struct sched_node *nodes, size_t nnodes,
    const struct sched_job *queue, size_t nqueue,
    const struct sched_tenant *tenants, size_t ntenants, uint64_t serve_counter,
    struct sched_placement *out, size_t *n)
{
	struct sched_node *sn = NULL;
	struct sched_tenant *st = NULL, *t;
	struct sched_job *cand = NULL;
	size_t *idx = NULL, i, ji, ni, ncand, count = 0;
	bool *taken = NULL;
	int rc = -1;

	/* Working copies: what each placement changes before the next. */
	if ((sn = calloc(nnodes + 1, sizeof(*sn))) == NULL ||
	    (st = calloc(ntenants + 1, sizeof(*st))) == NULL ||
	    (cand = calloc(nqueue + 1, sizeof(*cand))) == NULL ||
	    (idx = calloc(nqueue + 1, sizeof(*idx))) == NULL ||
	    (taken = calloc(nqueue + 1, sizeof(*taken))) == NULL)
		goto out;
	if (nnodes > 0)
		memcpy(sn, nodes, nnodes * sizeof(*sn));
	if (ntenants > 0)
		memcpy(st, tenants, ntenants * sizeof(*st));
	for (;;) {
		/* A tenant at its running quota waits; the others go on. */
		ncand = 0;
		for (i = 0; i < nqueue; i++) {
			t = sched_tenant_find(st, ntenants, queue[i].tenant);
			if (taken[i] || (t != NULL && sched_tenant_full(t)))
				continue;
			cand[ncand] = queue[i];
			idx[ncand++] = i;
		}
		if (!sched_pick(sn, nnodes, cand, ncand, st, ntenants, &ji,
			&ni))
			break;
		ji = idx[ji];
		taken[ji] = true;
		sn[ni].busy++;
		if ((t = sched_tenant_find(st, ntenants, queue[ji].tenant)) !=
		    NULL) {
			t->placed++;
			t->last_served = ++serve_counter;
		}
		out[count].job = ji;
		out[count].node = ni;
		count++;
	}
	*n = count;
	rc = 0;
out:
	free(taken);
	free(idx);
	free(cand);
	free(st);
	free(sn);
	return rc;
}
