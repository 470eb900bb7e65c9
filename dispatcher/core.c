/*
 * The dispatcher's core: see core.h.  Every handler here follows the same
 * order: check, commit the new state, then act (send a command, call the
 * on_final hook).
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "callback.h"
#include "core.h"
#include "log.h"
#include "request.h"
#include "util.h"

#define CORE_TICK_MS 500
/*
 * Request bodies up to this size are kept in the store until the job is
 * placed (one commit, no file, per submission); larger ones are written to
 * the spool at once, as SQLite would keep their pages (and their WAL) at
 * their peak size.
 */
#define CORE_BODY_IN_STORE_MAX (64 * 1024)
/* How often a node with slots taken elsewhere is asked for its count. */
#define CORE_ELSEWHERE_ASK_MS 2000
/* Retention removes at most this many jobs a pass, every ten seconds (or
   at the next tick after a full batch). */
#define CORE_RETAIN_BATCH 200
#define CORE_RETAIN_EVERY_MS 10000
/* A job's fields in its log lines (core_job_fields()). */
#define CORE_FIELDS_MAX 320

static void core_schedule(struct core *c);
static void core_node_settle(struct core_node *n);

/*
 * What the log says of job j beside its id, as key=value fields: its
 * tenant, runtime, its node and attempt (the last placed; "-" and 0 if it
 * was never placed).  Names are tokens of safe characters (settings.h,
 * request.h), so a field never holds a space.
 */
static const char *
core_job_fields(const struct job *j, char *buf, size_t len)
{
	int n = snprintf(buf, len, "tenant=%s runtime=%s node=%s attempt=%d",
	    j->tenant[0] ? j->tenant : "-", j->runtime[0] ? j->runtime : "-",
	    j->node[0] ? j->node : "-", j->attempts);

	/* A job in a SLURM cluster: its id there, to grep SLURM's logs. */
	if (j->slurm_job_id[0] != '\0' && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " slurm_job=%s",
		    j->slurm_job_id);
	return buf;
}

/* A final state committed: counted for /metrics, by state, tenant and
   runtime (in memory, from zero at each start: never read back from the
   store, whose rows retention and purge remove). */
static void
core_count_final(struct core *c, const struct job *j)
{
	const char *state = job_state_name(j->state);
	const char *ts[2] = { j->tenant, state },
		   *rs[2] = { j->runtime, state };

	if ((size_t)j->state <
	    sizeof(c->metrics.finished) / sizeof(c->metrics.finished[0]))
		c->metrics.finished[j->state]++;
	metrics_family_add(&c->metrics.tenant_finished, ts, 2);
	metrics_family_add(&c->metrics.runtime_finished, rs, 2);
}

/* Seconds since the epoch of an RFC 3339 time of ours, or -1. */
static double
core_time(const char *s)
{
	struct tm tm;
	char *rest;
	double frac = 0;

	memset(&tm, 0, sizeof(tm));
	if ((rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*rest == '.')
		frac = strtod(rest, NULL);
	return (double)timegm(&tm) + frac;
}

/* Find an active job, or NULL. */
static struct core_active *
core_active_find(struct core *c, int64_t id)
{
	size_t i;

	for (i = 0; i < c->nactive; i++)
		if (c->active[i].id == id)
			return &c->active[i];
	return NULL;
}

/* The node called name, or NULL. */
struct core_node *
core_node_find(struct core *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++)
		if (strcmp(c->nodes[i].conf->name, name) == 0)
			return &c->nodes[i];
	return NULL;
}

/* Find a tenant's scheduling record, adding it if new. */
static struct sched_tenant *
core_tenant(struct core *c, const char *name)
{
	struct sched_tenant *t;
	size_t i;

	for (i = 0; i < c->ntenants; i++)
		if (strcmp(c->tenants[i].name, name) == 0)
			return &c->tenants[i];
	t = realloc(c->tenants, (c->ntenants + 1) * sizeof(*t));
	if (t == NULL)
		fatal("out of memory");
	c->tenants = t;
	t = &c->tenants[c->ntenants++];
	memset(t, 0, sizeof(*t));
	if ((t->name = strdup(name)) == NULL)
		fatal("out of memory");
	/* Its running quota, from its token (if it still has one). */
	for (i = 0; i < c->set.ntokens; i++)
		if (strcmp(c->set.tokens[i].name, name) == 0 &&
		    c->set.tokens[i].max_running > 0)
			t->max_placed = c->set.tokens[i].max_running;
	return t;
}

/* Record a job as placed on node. */
static void
core_active_add(struct core *c, int64_t id, int node, int attempt,
    const char *tenant, bool recovering)
{
	struct core_active *a;

	a = realloc(c->active, (c->nactive + 1) * sizeof(*a));
	if (a == NULL)
		fatal("out of memory");
	c->active = a;
	a = &c->active[c->nactive++];
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->node = node;
	a->attempt = attempt;
	a->recovering = recovering;
	a->holds_slot = true;
	snprintf(a->tenant, sizeof(a->tenant), "%s", tenant);
	c->nodes[node].busy++;
	core_tenant(c, tenant)->placed++;
}

static void core_queued_release(struct core_queued *q);
static void core_queued_from_job(const struct job *j, struct core_queued *q);

/* The deadline of an attempt of a job of runtime with these limits,
   starting now on node: the wall limit its node will apply, the longest
   its compile stage may take if it has one, and the margin for staging, a
   wait for a slot, and collection. */
static int64_t
core_deadline(const struct core *c, int node, const char *runtime,
    const struct limits *req, unsigned limit_set)
{
	const struct core_node *n = &c->nodes[node];
	double compile = 0;
	struct limits l;
	size_t k;

	limit_resolve(&l, req, limit_set, &n->info.defaults, &n->info.ceilings,
	    NULL);
	for (k = 0; k < n->info.nruntimes; k++)
		if (strcmp(n->info.runtimes[k], runtime) == 0)
			compile = n->info.compile_wall[k];
	return util_now_ms() +
	    (int64_t)((l.wall_seconds + compile +
			  c->set.attempt_margin_seconds) *
		1000);
}

/* The deadline of job j's attempt, from its row's limits. */
static int64_t
core_deadline_of(struct core *c, int node, const struct job *j)
{
	struct core_queued q;
	int64_t d;

	core_queued_from_job(j, &q);
	d = core_deadline(c, node, j->runtime, &q.limits, q.limit_set);
	core_queued_release(&q);
	return d;
}

/* Forget a placed job (its attempt ended, as outcome says, or went back to
   the queue); the attempt's end goes into its history. */
static void
core_active_remove(struct core *c, struct core_active *a, const char *outcome)
{
	struct sched_tenant *t = core_tenant(c, a->tenant);
	size_t i = (size_t)(a - c->active);
	char now[40];
	struct error e;

	util_now_rfc3339(now, sizeof(now));
	if (store_attempt_end(c->st, a->id, a->attempt, now, outcome, &e) == -1)
		log_warn("job %lld: %s", (long long)a->id, e.msg);

	if (a->holds_slot && c->nodes[a->node].busy > 0)
		c->nodes[a->node].busy--;
	if (c->nodes[a->node].state != SCHED_DOWN)
		core_node_settle(&c->nodes[a->node]);
	if (t->placed > 0)
		t->placed--;
	memmove(&c->active[i], &c->active[i + 1],
	    (c->nactive - i - 1) * sizeof(*a));
	c->nactive--;
}

/* A drained node's state follows its load: DRAINING while jobs run on
   it, DRAINED once they are done. */
static void
core_node_settle(struct core_node *n)
{
	if (!n->connected)
		n->state = SCHED_DOWN;
	else if (n->drained)
		n->state = n->busy > 0 ? SCHED_DRAINING : SCHED_DRAINED;
	else
		n->state = SCHED_UP;
}

/* Free a queued job's strings. */
static void
core_queued_release(struct core_queued *q)
{
	util_strv_free(q->labels, q->nlabels);
}

/* Build the scheduler's view of a stored job (labels and limits JSON). */
static void
core_queued_from_job(const struct job *j, struct core_queued *q)
{
	json_t *labels, *limits;
	size_t i;

	memset(q, 0, sizeof(*q));
	q->id = j->id;
	snprintf(q->tenant, sizeof(q->tenant), "%s", j->tenant);
	snprintf(q->runtime, sizeof(q->runtime), "%s", j->runtime);
	labels = json_loads(j->labels, 0, NULL);
	limits = json_loads(j->limits, 0, NULL);
	if (json_is_array(labels) && json_array_size(labels) > 0) {
		q->labels = calloc(json_array_size(labels), sizeof(char *));
		if (q->labels == NULL)
			fatal("out of memory");
		for (i = 0; i < json_array_size(labels); i++) {
			const char *s = json_string_value(
			    json_array_get(labels, i));

			if (s == NULL)
				continue;
			if ((q->labels[q->nlabels] = strdup(s)) == NULL)
				fatal("out of memory");
			q->nlabels++;
		}
	}
	if (limits != NULL)
		(void)limit_from_json(limits, &q->limits, &q->limit_set, NULL);
	json_decref(labels);
	json_decref(limits);
}

/* A job's class: what the scheduler looks at, as the row stores it. */
static char *
core_class_key(const struct job *j)
{
	char *key;

	if (asprintf(&key, "%s\n%s\n%s\n%s", j->tenant, j->runtime, j->labels,
		j->limits) == -1)
		fatal("out of memory");
	return key;
}

/* Where id is, or would go, among a class's ids (binary search). */
static size_t
core_class_pos(const struct core_class *k, int64_t id)
{
	size_t lo = k->head, hi = k->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (k->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* FNV-1a of a class key. */
static uint32_t
core_class_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

/* The index of the class with this key, or -1 (a hash lookup: a tenant
   with many classes costs no scan of them all). */
static long
core_class_find(const struct core *c, const char *key, uint32_t h)
{
	size_t x;

	for (x = c->class_bucket[h % CORE_CLASS_BUCKETS]; x != 0;
	     x = c->classes[x - 1].next)
		if (strcmp(c->classes[x - 1].key, key) == 0)
			return (long)(x - 1);
	return -1;
}

/* Make the bucket link that names class index `from` name `to`. */
static void
core_class_relink(struct core *c, size_t from, size_t to)
{
	size_t *link =
	    &c->class_bucket[c->classes[from].hash % CORE_CLASS_BUCKETS];

	while (*link != 0 && *link != from + 1)
		link = &c->classes[*link - 1].next;
	if (*link == from + 1)
		*link = to == (size_t)-1 ? c->classes[from].next : to + 1;
}

/* Add a job to the queue, in its class, by id (new jobs go last; a
   requeued one goes back to its place). */
static void
core_enqueue(struct core *c, const struct job *j)
{
	struct core_class *k, *v;
	char *key = core_class_key(j);
	uint32_t h = core_class_hash(key);
	long found = core_class_find(c, key, h);
	size_t pos;
	int64_t *ids;

	if (found < 0) {
		if ((v = realloc(c->classes, (c->nclasses + 1) * sizeof(*v))) ==
		    NULL)
			fatal("out of memory");
		c->classes = v;
		k = &c->classes[c->nclasses++];
		memset(k, 0, sizeof(*k));
		core_queued_from_job(j, &k->q);
		k->key = key;
		k->hash = h;
		k->next = c->class_bucket[h % CORE_CLASS_BUCKETS];
		c->class_bucket[h % CORE_CLASS_BUCKETS] = c->nclasses;
	} else {
		k = &c->classes[found];
		free(key);
	}
	if (k->n == k->cap) {
		/* Room at the end: what was taken from the front goes first. */
		if (k->head > 0) {
			memmove(k->ids, k->ids + k->head,
			    (k->n - k->head) * sizeof(*k->ids));
			k->n -= k->head;
			k->head = 0;
		}
		if (k->n == k->cap) {
			k->cap = k->cap ? k->cap * 2 : 16;
			if ((ids = realloc(k->ids, k->cap * sizeof(*ids))) ==
			    NULL)
				fatal("out of memory");
			k->ids = ids;
		}
	}
	pos = k->n > k->head && k->ids[k->n - 1] > j->id
	    ? core_class_pos(k, j->id)
	    : k->n;
	memmove(&k->ids[pos + 1], &k->ids[pos], (k->n - pos) * sizeof(*k->ids));
	k->ids[pos] = j->id;
	k->n++;
	c->nqueue++;
	(void)core_tenant(c, j->tenant);
}

/* Free a class that has no job left; the last class takes its index. */
static void
core_class_free(struct core *c, size_t i)
{
	size_t last = c->nclasses - 1;

	core_class_relink(c, i, (size_t)-1);
	core_queued_release(&c->classes[i].q);
	free(c->classes[i].key);
	free(c->classes[i].ids);
	if (i != last) {
		core_class_relink(c, last, i);
		c->classes[i] = c->classes[last];
	}
	c->nclasses--;
}

/* Take job j out of the queue (found by its class); false if it is not
   queued.  A class left empty is freed at once unless keep_empty (a pass
   is using it). */
static bool
core_dequeue(struct core *c, const struct job *j, bool keep_empty)
{
	char *key = core_class_key(j);
	long found = core_class_find(c, key, core_class_hash(key));
	struct core_class *k;
	size_t pos;

	free(key);
	if (found < 0)
		return false;
	k = &c->classes[found];
	pos = core_class_pos(k, j->id);
	if (pos == k->n || k->ids[pos] != j->id)
		return false;
	if (pos == k->head)
		k->head++;
	else {
		memmove(&k->ids[pos], &k->ids[pos + 1],
		    (k->n - pos - 1) * sizeof(*k->ids));
		k->n--;
	}
	c->nqueue--;
	if (k->head == k->n && !keep_empty)
		core_class_free(c, (size_t)found);
	return true;
}

/* Take id out of whichever class has it, its row unreadable (a scan of
   every class: only for a row the store has lost).  Its class stays for
   core_classes_tidy(). */
static void
core_dequeue_id(struct core *c, int64_t id)
{
	struct core_class *k;
	size_t i, pos;

	for (i = 0; i < c->nclasses; i++) {
		k = &c->classes[i];
		pos = core_class_pos(k, id);
		if (pos == k->n || k->ids[pos] != id)
			continue;
		memmove(&k->ids[pos], &k->ids[pos + 1],
		    (k->n - pos - 1) * sizeof(*k->ids));
		k->n--;
		c->nqueue--;
		return;
	}
}

/* Free every class left empty by a pass. */
static void
core_classes_tidy(struct core *c)
{
	size_t i = 0;

	while (i < c->nclasses)
		if (c->classes[i].head == c->classes[i].n)
			core_class_free(c, i);
		else
			i++;
}

/* Jobs queued by one tenant, its submissions in the open batch too. */
static int64_t
core_tenant_queued(const struct core *c, const char *tenant)
{
	int64_t n = 0;
	size_t i;

	for (i = 0; i < c->nclasses; i++)
		if (strcmp(c->classes[i].q.tenant, tenant) == 0)
			n += (int64_t)(c->classes[i].n - c->classes[i].head);
	for (i = 0; i < c->nbatch; i++)
		if (strcmp(c->batch[i].j.tenant, tenant) == 0)
			n++;
	return n;
}

/* A node's slots taken: by jobs of ours, and by what its agent says. */
static unsigned
core_node_taken(const struct core_node *n)
{
	unsigned taken = n->busy + n->elsewhere;

	return n->known && taken > n->info.slots ? n->info.slots : taken;
}

/* The scheduler's view of the nodes. */
static struct sched_node *
core_sched_nodes(struct core *c)
{
	struct sched_node *sn = calloc(c->nnodes, sizeof(*sn));
	size_t i;

	if (sn == NULL)
		fatal("out of memory");
	for (i = 0; i < c->nnodes; i++) {
		struct core_node *n = &c->nodes[i];

		sn[i].name = n->conf->name;
		sn[i].state = n->state;
		sn[i].known = n->known;
		sn[i].slots = n->known ? n->info.slots : 0;
		sn[i].busy = core_node_taken(n);
		sn[i].runtimes = n->runtime_names;
		sn[i].nruntimes = n->known ? n->info.nruntimes : 0;
		sn[i].labels = (const char *const *)n->conf->labels;
		sn[i].nlabels = n->conf->nlabels;
		sn[i].ceilings = n->info.ceilings;
	}
	return sn;
}

/* The scheduler's view of a queued job. */
static void
core_sched_job(const struct core_queued *q, struct sched_job *sj)
{
	sj->id = q->id;
	sj->tenant = q->tenant;
	sj->runtime = q->runtime;
	sj->labels = (const char *const *)q->labels;
	sj->nlabels = q->nlabels;
	sj->limits = q->limits;
	sj->limit_set = q->limit_set;
}

/* Bytes free to the daemon under its state directory (UINT64_MAX if the
   system will not say). */
uint64_t
core_free_bytes(const struct core *c)
{
	struct statvfs sv;

	if (statvfs(c->set.state_dir, &sv) == -1)
		return UINT64_MAX;
	return (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
}

/* At or under the free space kept in reserve. */
static bool
core_space_low(const struct core *c)
{
	return core_free_bytes(c) <= c->set.min_free_bytes;
}

/* The unsaved row of job id, or NULL. */
static struct core_unsaved *
core_unsaved_find(struct core *c, int64_t id)
{
	size_t i;

	for (i = 0; i < c->nunsaved; i++)
		if (c->unsaved[i].j.id == id)
			return &c->unsaved[i];
	return NULL;
}

/* An end committed: the job's request body is needed no more. */
static void
core_ended_body(struct core *c, const struct job *j)
{
	struct error e;

	if (job_state_final(j->state) &&
	    store_submission_delete(c->st, j->id, &e) == -1)
		log_warn("job %lld: %s (retention removes it later)",
		    (long long)j->id, e.msg);
}

/* A commit failed: say so once, and stop placing until it heals. */
static void
core_store_failed(struct core *c, const struct job *j, const char *msg)
{
	c->commit_failures++;
	if (!c->store_failing)
		log_error("cannot commit job %lld: %s; placing nothing and "
			  "refusing submissions (507) until commits succeed "
			  "again",
		    (long long)j->id, msg);
	c->store_failing = true;
	snprintf(c->store_error, sizeof(c->store_error), "%s", msg);
}

static void core_send(struct core *c, int node, enum pool_cmd_type type,
    int64_t id, int attempt);
static void core_batch_cb(evutil_socket_t fd, short what, void *arg);

/* What waited on an unsaved row's commit, now that it is committed. */
static void
core_unsaved_settle(struct core *c, size_t i)
{
	struct core_unsaved u = c->unsaved[i];

	c->unsaved[i] = c->unsaved[--c->nunsaved];
	if (u.final_owed) {
		char fields[CORE_FIELDS_MAX];

		core_count_final(c, &u.j);
		log_info("job %lld %s %s%s%s (committed late)",
		    (long long)u.j.id, job_state_name(u.j.state),
		    core_job_fields(&u.j, fields, sizeof(fields)),
		    u.j.reason[0] ? ": " : "", u.j.reason);
		callback_kick(c->callbacks);
		if (c->on_final != NULL)
			c->on_final(&u.j, c->on_final_arg);
	}
	if (u.clean_owed)
		core_send(c, u.clean_node, POOL_CMD_CLEAN, u.j.id,
		    u.clean_attempt);
}

/*
 * Commit a job row.  If the store refuses (a full disk), the row is kept
 * in memory as the job's newest state (core_load() reads it), committed
 * again at each tick, and false is returned: the caller defers what must
 * follow a commit (see core_finish() and core_send()).
 */
static bool
core_save(struct core *c, const struct job *j)
{
	struct core_unsaved *u, *v;
	struct error e;

	if (store_job_update(c->st, j, &e) == 0) {
		core_ended_body(c, j);
		/* An older unsaved state of it is superseded; what it owed is
		   owed no longer, except the clean of its directory. */
		if ((u = core_unsaved_find(c, j->id)) != NULL) {
			u->final_owed = false;
			core_unsaved_settle(c, (size_t)(u - c->unsaved));
		}
		return true;
	}
	core_store_failed(c, j, e.msg);
	if ((u = core_unsaved_find(c, j->id)) == NULL) {
		if ((v = realloc(c->unsaved, (c->nunsaved + 1) * sizeof(*v))) ==
		    NULL)
			fatal("out of memory");
		c->unsaved = v;
		u = &c->unsaved[c->nunsaved++];
		memset(u, 0, sizeof(*u));
	}
	u->j = *j;
	return false;
}

/* Commit the unsaved rows again; once all are in and there is room, place
   and take submissions again. */
static void
core_flush(struct core *c)
{
	struct error e;

	while (c->nunsaved > 0) {
		if (store_job_update(c->st, &c->unsaved[0].j, &e) == -1) {
			snprintf(c->store_error, sizeof(c->store_error), "%s",
			    e.msg);
			return;
		}
		core_ended_body(c, &c->unsaved[0].j);
		core_unsaved_settle(c, 0);
	}
	if (c->store_failing && !core_space_low(c)) {
		log_info("commits succeed again; placing and taking "
			 "submissions");
		c->store_failing = false;
		c->store_error[0] = '\0';
	}
}

/* A job row: its unsaved state if it has one. */
int
core_job_get(struct core *c, int64_t id, struct job *out, struct error *e)
{
	struct core_unsaved *u = core_unsaved_find(c, id);

	if (u != NULL) {
		*out = u->j;
		return 0;
	}
	return store_job_get(c->st, id, out, e);
}

/* A job as the API shows it: its unsaved state, except an end not yet
   committed, which is shown (and answered to waiters) only once it is. */
int
core_job_view(struct core *c, int64_t id, struct job *out, struct error *e)
{
	struct core_unsaved *u = core_unsaved_find(c, id);

	if (u != NULL && !u->final_owed) {
		*out = u->j;
		return 0;
	}
	return store_job_get(c->st, id, out, e);
}

/* Load a job row, which must exist: its unsaved state if it has one. */
static bool
core_load(struct core *c, int64_t id, struct job *j)
{
	struct core_unsaved *u = core_unsaved_find(c, id);
	struct error e;

	if (u != NULL) {
		*j = u->j;
		return true;
	}
	if (store_job_get(c->st, id, j, &e) == -1) {
		log_error("cannot read job %lld: %s", (long long)id, e.msg);
		return false;
	}
	return true;
}

/* Send a command to a node's worker for its current connection. */
static void
core_send(struct core *c, int node, enum pool_cmd_type type, int64_t id,
    int attempt)
{
	struct pool_cmd cmd = { .type = type,
		.epoch = c->nodes[node].epoch,
		.job_id = id,
		.attempt = attempt };
	struct core_unsaved *u;

	/* The node keeps a job's results until its end is committed. */
	if (type == POOL_CMD_CLEAN && (u = core_unsaved_find(c, id)) != NULL) {
		u->clean_owed = true;
		u->clean_node = node;
		u->clean_attempt = attempt;
		return;
	}
	pool_send(c->pool, node, &cmd);
}

/*
 * Send a start or recover of job j's attempt to node, with what a SLURM
 * node needs: the limits its node resolves (for sbatch), its SLURM id,
 * and whether its cancel was asked for.
 */
static void
core_send_job(struct core *c, int node, enum pool_cmd_type type,
    const struct job *j)
{
	struct pool_cmd cmd = { .type = type,
		.epoch = c->nodes[node].epoch,
		.job_id = j->id,
		.attempt = j->attempts,
		.cancel = j->cancel_requested };
	const struct core_node *n = &c->nodes[node];
	struct core_queued q;
	struct limits l;
	size_t k;

	if (n->conf->kind == NODE_KIND_SLURM) {
		core_queued_from_job(j, &q);
		limit_resolve(&l, &q.limits, q.limit_set, &n->info.defaults,
		    &n->info.ceilings, NULL);
		core_queued_release(&q);
		cmd.wall_seconds = l.wall_seconds;
		cmd.memory_bytes = l.memory_bytes;
		for (k = 0; k < n->info.nruntimes; k++) {
			if (strcmp(n->info.runtimes[k], j->runtime) != 0)
				continue;
			cmd.wall_seconds += n->info.compile_wall[k];
			/* The compile stage's memory limit is the agent's
			   (info does not say it): the node's ceiling covers
			   it. */
			if (n->info.compiled[k] &&
			    n->info.ceilings.memory_bytes > cmd.memory_bytes)
				cmd.memory_bytes =
				    n->info.ceilings.memory_bytes;
		}
		snprintf(cmd.slurm_id, sizeof(cmd.slurm_id), "%s",
		    j->slurm_job_id);
	}
	pool_send(c->pool, node, &cmd);
}

/* Whether node is a SLURM cluster's login node. */
static bool
core_node_slurm(const struct core *c, int node)
{
	return c->nodes[node].conf->kind == NODE_KIND_SLURM;
}

/* End a job with a final state (committed), then tell the hook. */
static void
core_finish(struct core *c, struct job *j, enum job_state st,
    const char *reason)
{
	char fields[CORE_FIELDS_MAX];

	j->state = st;
	j->phase = PHASE_DONE;
	if (reason != NULL)
		snprintf(j->reason, sizeof(j->reason), "%s", reason);
	util_now_rfc3339(j->finished_at, sizeof(j->finished_at));
	if (!core_save(c, j)) {
		struct core_unsaved *u = core_unsaved_find(c, j->id);

		/* Answered once committed (core_flush()). */
		if (u != NULL)
			u->final_owed = true;
		return;
	}
	core_count_final(c, j);
	log_info("job %lld %s %s%s%s", (long long)j->id, job_state_name(st),
	    core_job_fields(j, fields, sizeof(fields)),
	    j->reason[0] ? ": " : "", j->reason);
	/* Its callback, if it has one, became due in that commit. */
	callback_kick(c->callbacks);
	if (c->on_final != NULL)
		c->on_final(j, c->on_final_arg);
}

/*
 * Whether an earlier attempt of job j ended on node as this one did, in
 * the attempts' own words (outcome): a sandbox error that a node repeats
 * for the same job and the same cause is the node's setup (a runtime that
 * cannot run in its sandbox), not a node that died, and is not tried
 * again.
 */
static bool
core_same_failure_again(struct core *c, const struct job *j, const char *node,
    const char *outcome)
{
	const char *n, *o;
	bool again = false;
	struct error e;
	json_t *list, *a;
	size_t i;

	if (store_attempts_get(c->st, j->id, &list, &e) == -1)
		return false;
	json_array_foreach (list, i, a) {
		n = json_string_value(json_object_get(a, "node"));
		o = json_string_value(json_object_get(a, "outcome"));
		if (json_integer_value(json_object_get(a, "attempt")) <
			j->attempts &&
		    n != NULL && o != NULL && strcmp(n, node) == 0 &&
		    strcmp(o, outcome) == 0)
			again = true;
	}
	json_decref(list);
	return again;
}

/*
 * An attempt failed or its node was lost: queue the job again, or end it
 * (NODE_FAIL for lost nodes, FAILED for other failures) once its attempts
 * are used up.
 */
static void
core_retry(struct core *c, struct job *j, bool node_lost, const char *reason)
{
	char fields[CORE_FIELDS_MAX];
	const char *cause[1];

	if (j->cancel_requested) {
		core_finish(c, j, JOB_CANCELLED, "cancelled");
		return;
	}
	if ((unsigned)j->attempts >= c->set.max_attempts) {
		char r[JOB_REASON_MAX];

		snprintf(r, sizeof(r), "%s after %d attempts: %s",
		    node_lost ? "node lost" : "failed", j->attempts, reason);
		core_finish(c, j, node_lost ? JOB_NODE_FAIL : JOB_FAILED, r);
		return;
	}
	j->state = JOB_PENDING;
	j->phase = PHASE_QUEUED;
	/* Its TIME starts again with its next attempt, as squeue's does. */
	j->attempt_started_at[0] = '\0';
	j->slurm_job_id[0] = '\0';
	snprintf(j->reason, sizeof(j->reason), "requeued: %s", reason);
	core_save(c, j);
	cause[0] = node_lost ? "node_lost" : "attempt_failed";
	metrics_family_add(&c->metrics.requeues, cause, 1);
	log_info("job %lld requeued %s: %s", (long long)j->id,
	    core_job_fields(j, fields, sizeof(fields)), reason);
	core_enqueue(c, j);
}

/* Write the submission to the spool. */
static int
core_spool_submission(struct core *c, int64_t id, const struct submission *sub,
    struct error *e)
{
	struct spool_job h;
	struct manifest m;
	char idtext[32], *text = NULL;
	json_t *obj = NULL;
	size_t i;
	int rc = -1;

	if (spool_job_create(&c->sp, id, &h, e) == -1)
		return -1;
	for (i = 0; i < sub->nfiles; i++)
		if (spool_write_file(&h, sub->files[i].name, sub->files[i].data,
			sub->files[i].len, e) == -1)
			goto out;
	if (sub->has_stdin &&
	    spool_write(&h, SPOOL_STDIN, sub->stdin_data, sub->stdin_len, e) ==
		-1)
		goto out;
	if (sub->expected != NULL &&
	    (spool_write(&h, SPOOL_EXPECTED, sub->expected, sub->expected_len,
		 e) == -1 ||
		(sub->expected_exact &&
		    spool_write(&h, SPOOL_EXPECTED_EXACT, "", 0, e) == -1)))
		goto out;
	snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
	if (request_manifest(sub, idtext, &m) == -1) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	obj = manifest_to_json(&m);
	request_manifest_free(&m);
	if (obj == NULL ||
	    (text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(17))) ==
		NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = spool_write(&h, SPOOL_MANIFEST, text, strlen(text), e);
out:
	free(text);
	json_decref(obj);
	spool_job_close(&h);
	return rc;
}

/*
 * Write a job's inputs to its spool (afresh, whatever is there) from the
 * request body its submission left in the store; the body is kept until
 * the job ends, so a placement after a requeue or a crash writes them
 * again from it.  A job without a body (a large one, or from a release
 * before schema 4) has had its inputs in the spool since it was accepted.
 * *refused: the job itself cannot go on (its body no longer passes the
 * limits, lowered since; its inputs cannot be written here for a reason
 * of their own); else the failure is the store's or the disk's.
 */
static int
core_inputs(struct core *c, int64_t id, bool *refused, struct error *e)
{
	struct submission sub;
	char *body;
	size_t len;
	int status, rc;

	*refused = false;
	if (store_submission_get(c->st, id, &body, &len, e) == -1)
		return e->code == ERR_NOTFOUND ? 0 : -1;
	rc = request_parse(body, len, &c->set.caps, &sub, &status, e);
	free(body);
	if (rc == -1) {
		*refused = e->code != ERR_NOMEM;
		return error_wrap(e,
		    "its submission no longer passes this "
		    "dispatcher's limits");
	}
	rc = core_spool_submission(c, id, &sub, e);
	request_release(&sub);
	if (rc == -1) {
		(void)spool_job_remove(&c->sp, id, NULL);
		/* Out of room is the state directory's: placing waits for
		   room.  Anything else is this job's alone. */
		*refused = !core_space_low(c) && e->code != ERR_NOMEM;
		return error_wrap(e, "cannot write its inputs to the spool");
	}
	return 0;
}

/*
 * Apply one placement of a plan: commit job id's attempt on node, then
 * send it there.  False if its row cannot be read (the job leaves the
 * queue, and the slot stays free).
 */
static bool
core_place(struct core *c, int64_t id, int node)
{
	const char *name = c->nodes[node].conf->name;
	char fields[CORE_FIELDS_MAX];
	char now[40];
	struct error e;
	struct job j;
	bool refused;

	if (!core_load(c, id, &j)) {
		core_dequeue_id(c, id);
		return false;
	}
	/* Its inputs on disk, then commit the placement, then stage. */
	if (core_inputs(c, id, &refused, &e) == -1) {
		if (!refused) {
			core_store_failed(c, &j, e.msg);
			return true;
		}
		(void)core_dequeue(c, &j, false);
		core_finish(c, &j, JOB_FAILED, e.msg);
		return false;
	}
	j.state = JOB_PENDING;
	j.phase = PHASE_STAGING;
	j.attempts++;
	j.slurm_job_id[0] = '\0';
	snprintf(j.node, sizeof(j.node), "%s", name);
	snprintf(j.reason, sizeof(j.reason), "staging on %s", name);
	/* Placed only once committed: a placement the store refused never
	   happened (the job stays queued, kept in no memory of ours). */
	if (store_job_update(c->st, &j, &e) == -1) {
		core_store_failed(c, &j, e.msg);
		return true;
	}
	core_tenant(c, j.tenant)->last_served = ++c->serve_counter;
	/* Its history: informative, so a failure here stops nothing. */
	util_now_rfc3339(now, sizeof(now));
	if (store_attempt_begin(c->st, j.id, j.attempts, name, now, &e) == -1)
		log_warn("job %lld: %s", (long long)j.id, e.msg);
	(void)core_dequeue(c, &j, true);
	core_active_add(c, j.id, node, j.attempts, j.tenant, false);
	/* In a cluster, its deadline runs from its start there: it may
	   wait in SLURM's queue for long (SLURM's --time bounds the rest). */
	c->active[c->nactive - 1].deadline_ms = core_node_slurm(c, node)
	    ? 0
	    : core_deadline_of(c, node, &j);
	log_info("job %lld placed %s", (long long)j.id,
	    core_job_fields(&j, fields, sizeof(fields)));
	core_send_job(c, node, POOL_CMD_START, &j);
	return true;
}

/* Oldest first. */
static int
core_sched_job_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct sched_job *)a)->id;
	int64_t y = ((const struct sched_job *)b)->id;

	return x < y ? -1 : x > y;
}

/*
 * The jobs a pass may place, for the scheduler (pointing into the
 * classes): the oldest `free` of each class, since a pass places at most
 * as many jobs as there are free slots, and jobs of one class fit the same
 * nodes.  So the scheduler sees what it would choose from the whole queue,
 * in a pass whose cost does not grow with it.
 */
static struct sched_job *
core_sched_candidates(struct core *c, unsigned free, size_t *n)
{
	struct sched_job *sj;
	size_t i, k, take, count = 0;

	for (i = 0; i < c->nclasses; i++) {
		take = c->classes[i].n - c->classes[i].head;
		count += take < free ? take : free;
	}
	if ((sj = calloc(count + 1, sizeof(*sj))) == NULL)
		fatal("out of memory");
	count = 0;
	for (i = 0; i < c->nclasses; i++) {
		struct core_class *cl = &c->classes[i];

		for (k = cl->head; k < cl->n && k - cl->head < free; k++) {
			core_sched_job(&cl->q, &sj[count]);
			sj[count++].id = cl->ids[k];
		}
	}
	/* The scheduler reads them oldest first (the classes are in no
	   order): within a tenant, the oldest job that fits wins. */
	qsort(sj, count, sizeof(*sj), core_sched_job_cmp);
	*n = count;
	return sj;
}

/* Free slots on nodes that take jobs. */
static unsigned
core_free_slots(const struct core *c)
{
	unsigned free = 0, taken;
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		if (c->nodes[i].state != SCHED_UP || !c->nodes[i].known)
			continue;
		taken = core_node_taken(&c->nodes[i]);
		free += c->nodes[i].info.slots - taken;
	}
	return free;
}

/*
 * A scheduling pass: the scheduler plans the placements (sched_plan()),
 * the core applies them in order, then says why the rest waits.
 */
static void
core_schedule(struct core *c)
{
	struct sched_placement *plan;
	struct sched_node *sn;
	struct sched_job *sj;
	unsigned free_slots;
	size_t i, n, ncand;
	bool applied;

	/* While commits fail, nothing is placed (a placement is committed
	   first).  Why the rest waits is worked out when asked
	   (core_waiting_reason()), not written for every queued job. */
	if (c->draining || c->nqueue == 0 || c->store_failing)
		return;
	do {
		if ((free_slots = core_free_slots(c)) == 0)
			break;
		sn = core_sched_nodes(c);
		sj = core_sched_candidates(c, free_slots, &ncand);
		if ((plan = calloc(ncand + 1, sizeof(*plan))) == NULL ||
		    sched_plan(sn, c->nnodes, sj, ncand, c->tenants,
			c->ntenants, c->serve_counter, plan, &n) == -1)
			fatal("out of memory");
		free(sn);
		applied = true;
		for (i = 0; i < n && !c->store_failing; i++)
			if (!core_place(c, sj[plan[i].job].id,
				(int)plan[i].node))
				applied = false;
		free(sj);
		free(plan);
		core_classes_tidy(c);
		/* A row that could not be read left its slot free: plan
		   again for it. */
	} while (!applied && !c->store_failing);
}

/* Why a queued job waits, as the scheduler sees it now. */
void
core_waiting_reason(struct core *c, const struct job *j, char *buf, size_t len)
{
	struct sched_node *sn;
	struct core_queued q;
	struct sched_job sj;
	struct sched_tenant *t = core_tenant(c, j->tenant);

	if (sched_tenant_full(t)) {
		snprintf(buf, len,
		    "tenant '%s' is at its running quota (max_running %lld)",
		    j->tenant, (long long)t->max_placed);
		return;
	}
	core_queued_from_job(j, &q);
	core_sched_job(&q, &sj);
	sn = core_sched_nodes(c);
	sched_reason(sn, c->nnodes, &sj, buf, len);
	free(sn);
	core_queued_release(&q);
}

/*
 * Reconcile a node's slots with its agent's own count (info, just read):
 * what it says is taken beyond our jobs there is kept out of placement.
 * Only the agent's count can say that such a slot is free again, so it is
 * asked again (core_tick()) until none is left.
 */
static void
core_node_reconcile(struct core_node *n)
{
	unsigned was = n->elsewhere;

	n->elsewhere = n->info.slots_busy > n->busy
	    ? n->info.slots_busy - n->busy
	    : 0;
	if (n->elsewhere != was)
		log_info("node %s: its agent has %u of %u slots taken, %u by "
			 "jobs this dispatcher has there; %u kept out of "
			 "placement until the agent says they are free",
		    n->conf->name, n->info.slots_busy, n->info.slots, n->busy,
		    n->elsewhere);
	n->elsewhere_asked_ms = util_now_ms();
}

/* Ask the agents of nodes with slots taken elsewhere how many are left. */
static void
core_ask_elsewhere(struct core *c)
{
	int64_t now = util_now_ms();
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		struct core_node *n = &c->nodes[i];

		if (n->elsewhere == 0 || !n->connected || n->elsewhere_asking ||
		    now - n->elsewhere_asked_ms < CORE_ELSEWHERE_ASK_MS)
			continue;
		n->elsewhere_asked_ms = now;
		n->elsewhere_asking = true;
		core_send(c, (int)i, POOL_CMD_INFO, 0, 0);
	}
}

/* A node came up: record its info and recover its jobs. */
static void
core_node_up(struct core *c, struct pool_ev *ev)
{
	struct core_node *n = &c->nodes[ev->node];
	size_t i;

	if (n->seen && !n->connected)
		n->reconnects++;
	n->info = ev->info;
	n->known = true;
	n->connected = true;
	n->down_since_ms = 0;
	n->seen = true;
	n->epoch = ev->epoch;
	for (i = 0; i < n->info.nruntimes; i++)
		n->runtime_names[i] = n->info.runtimes[i];
	core_node_settle(n);
	n->elsewhere_asking = false;
	if (!n->drained)
		n->reason[0] = '\0';
	util_now_rfc3339(n->last_seen, sizeof(n->last_seen));
	log_info("node %s is up: %u slots, agent %s", n->conf->name,
	    n->info.slots, n->info.agent_version);
	core_node_reconcile(n);
	for (i = 0; i < c->nactive; i++) {
		struct core_active *a = &c->active[i];
		struct job j;

		if (a->node != ev->node || !a->recovering)
			continue;
		a->recovering = false;
		if (!core_load(c, a->id, &j))
			continue;
		a->deadline_ms = core_node_slurm(c, ev->node)
		    ? 0
		    : core_deadline_of(c, ev->node, &j);
		core_send_job(c, ev->node,
		    j.phase == PHASE_COLLECTING ? POOL_CMD_COLLECT
						: POOL_CMD_RECOVER,
		    &j);
	}
}

/* A placed job's node is lost: forget the placement, then queue the job
   again (or end it, once its attempts are used up). */
static void
core_active_lost(struct core *c, struct core_active *a, const char *reason)
{
	struct job j;
	bool loaded = core_load(c, a->id, &j);

	core_active_remove(c, a, reason);
	if (loaded)
		core_retry(c, &j, true, reason);
}

/* A node went down: its placed jobs go back to the queue (or end). */
static void
core_node_down(struct core *c, struct pool_ev *ev)
{
	struct core_node *n = &c->nodes[ev->node];
	size_t i;

	if (n->connected || !n->seen || strcmp(n->reason, ev->reason) != 0)
		log_warn("node %s is down: %s", n->conf->name, ev->reason);
	if (n->connected || !n->seen)
		n->down_since_ms = util_now_ms();
	n->connected = false;
	n->seen = true;
	n->state = SCHED_DOWN;
	n->elsewhere = 0;
	n->elsewhere_asking = false;
	snprintf(n->reason, sizeof(n->reason), "%s", ev->reason);
	for (i = 0; i < c->nactive;) {
		struct core_active *a = &c->active[i];
		char reason[JOB_REASON_MAX];

		if (a->node != ev->node) {
			i++;
			continue;
		}
		snprintf(reason, sizeof(reason), "node %s lost: %s",
		    n->conf->name, ev->reason);
		/* A job in a SLURM cluster does not depend on the login
		   node's connection: it is followed again when that is back
		   (as after a restart). */
		if (core_node_slurm(c, a->node) && a->in_slurm) {
			a->recovering = true;
			i++;
			continue;
		}
		/* Nor is a job not yet found again since a restart lost with
		   the node's first failed attempts: its supervisor runs on
		   without the dispatcher, and running it again elsewhere would
		   run it twice.  core_requeue_unreachable() moves it on once
		   the node has stayed down for CORE_RECOVER_GRACE(). */
		if (a->recovering) {
			i++;
			continue;
		}
		core_active_lost(c, a, reason);
	}
}

/* The job directories on a node that came up: purge every attempt that
   is not placed there now (abandoned when the node was lost, or ended
   before its directory could be cleaned). */
static void
core_node_dirs(struct core *c, struct pool_ev *ev)
{
	struct core_active *a;
	size_t i;

	for (i = 0; i < ev->ndirs; i++) {
		a = core_active_find(c, ev->dir_ids[i]);
		if (a != NULL && a->node == ev->node &&
		    a->attempt == ev->dir_attempts[i])
			continue;
		log_info("purging job %lld attempt %d left on %s",
		    (long long)ev->dir_ids[i], ev->dir_attempts[i],
		    c->nodes[ev->node].conf->name);
		core_send(c, ev->node, POOL_CMD_PURGE, ev->dir_ids[i],
		    ev->dir_attempts[i]);
	}
}

/* Events from the node pool; each ends with one scheduling pass. */
static void
core_on_event(struct pool_ev *ev, void *arg)
{
	struct core *c = arg;
	struct core_active *a;
	struct job j;

	core_batch_flush(c);
	/* Output read while a job runs changes nothing here: it is for
	   whoever follows the job (follow.h). */
	if (ev->type == POOL_EV_JOB_OUTPUT) {
		if (c->on_output != NULL)
			c->on_output(ev, c->on_output_arg);
		pool_ev_free(ev);
		return;
	}
	if (ev->type == POOL_EV_NODE_UP) {
		core_node_up(c, ev);
		goto out;
	}
	if (ev->type == POOL_EV_NODE_DOWN) {
		core_node_down(c, ev);
		goto out;
	}
	if (ev->type == POOL_EV_NODE_DIRS) {
		core_node_dirs(c, ev);
		goto out;
	}
	if (ev->type == POOL_EV_NODE_INFO) {
		/* Only the slots' count is taken: the rest is as it was
		   read when the node came up. */
		struct core_node *n = &c->nodes[ev->node];

		if (n->connected && ev->epoch == n->epoch) {
			n->elsewhere_asking = false;
			if (ev->reason[0] == '\0') {
				n->info.slots_busy = ev->info.slots_busy;
				core_node_reconcile(n);
			} else
				log_debug("node %s: agent info: %s",
				    n->conf->name, ev->reason);
		}
		goto out;
	}
	util_now_rfc3339(c->nodes[ev->node].last_seen,
	    sizeof(c->nodes[ev->node].last_seen));
	/* Only events about the current attempt on this node count: a late
	   event from an attempt that was requeued is stale. */
	a = core_active_find(c, ev->job_id);
	if (a == NULL || a->node != ev->node || a->attempt != ev->attempt ||
	    !core_load(c, ev->job_id, &j))
		goto out;
	log_debug("job %lld: %s from %s", (long long)ev->job_id,
	    ev->type == POOL_EV_JOB_ACCEPTED        ? "accepted"
		: ev->type == POOL_EV_JOB_STARTED   ? "started"
		: ev->type == POOL_EV_JOB_FINISHED  ? "finished"
		: ev->type == POOL_EV_JOB_COLLECTED ? "collected"
		: ev->type == POOL_EV_JOB_FAILED    ? "failed"
		: ev->type == POOL_EV_JOB_SUBMITTED ? "submitted"
		: ev->type == POOL_EV_JOB_ENDED     ? "ended in SLURM"
						    : "event",
	    c->nodes[ev->node].conf->name);
	switch (ev->type) {
	case POOL_EV_JOB_ACCEPTED:
		if (j.phase == PHASE_STAGING) {
			j.state = JOB_RUNNING;
			j.phase = PHASE_RUNNING;
			snprintf(j.reason, sizeof(j.reason), "running on %s",
			    c->nodes[ev->node].conf->name);
			if (ev->reason[0] != '\0')
				snprintf(j.reason, sizeof(j.reason), "%s",
				    ev->reason);
			core_save(c, &j);
		} else if (j.phase == PHASE_RUNNING && ev->reason[0] != '\0' &&
		    !j.cancel_requested && strcmp(j.reason, ev->reason) != 0) {
			/* A SLURM node's news: pending (and why), running. */
			snprintf(j.reason, sizeof(j.reason), "%s", ev->reason);
			core_save(c, &j);
		}
		break;
	case POOL_EV_JOB_SUBMITTED: {
		struct error e;

		/* Kept before anything else happens to it: a restart
		   follows it in the cluster by this id. */
		snprintf(j.slurm_job_id, sizeof(j.slurm_job_id), "%s",
		    ev->slurm_id);
		if (j.phase == PHASE_STAGING) {
			j.state = JOB_RUNNING;
			j.phase = PHASE_RUNNING;
		}
		if (!j.cancel_requested)
			snprintf(j.reason, sizeof(j.reason),
			    "submitted to SLURM on %s as job %s",
			    c->nodes[ev->node].conf->name, ev->slurm_id);
		core_save(c, &j);
		a->in_slurm = true;
		if (store_attempt_slurm(c->st, j.id, j.attempts, ev->slurm_id,
			&e) == -1)
			log_warn("job %lld: %s", (long long)j.id, e.msg);
		log_info("job %lld is SLURM job %s on %s", (long long)j.id,
		    ev->slurm_id, c->nodes[ev->node].conf->name);
		/* Asked to stop while it was being submitted. */
		if (j.cancel_requested)
			core_send(c, ev->node, POOL_CMD_CANCEL, j.id,
			    j.attempts);
		break;
	}
	case POOL_EV_JOB_ENDED: {
		int node = a->node;
		struct slurm_end *end = &ev->end;

		core_active_remove(c, a, end->reason);
		if (j.cancel_requested)
			core_finish(c, &j, JOB_CANCELLED, "cancelled");
		else if (end->final) {
			if (end->has_verdict) {
				/* No result: the verdict is SLURM's, and
				   nothing was measured. */
				j.has_result = true;
				snprintf(j.verdict, sizeof(j.verdict), "%s",
				    verdict_name(end->verdict));
				j.exit_code = -1;
				j.signal = 0;
			}
			core_finish(c, &j, end->state, end->reason);
		} else
			core_retry(c, &j, end->node_lost, end->reason);
		core_send(c, node, POOL_CMD_CLEAN, j.id, j.attempts);
		break;
	}
	case POOL_EV_JOB_STARTED:
		/* In a cluster, the attempt's deadline runs from here. */
		if (core_node_slurm(c, a->node) && a->deadline_ms == 0)
			a->deadline_ms = core_deadline_of(c, a->node, &j);
		if (j.attempt_started_at[0] == '\0') {
			snprintf(j.attempt_started_at,
			    sizeof(j.attempt_started_at), "%s", ev->at);
			if (j.started_at[0] != '\0')
				core_save(c, &j);
		}
		if (j.started_at[0] == '\0') {
			double sub = core_time(j.submitted_at),
			       st = core_time(ev->at);

			snprintf(j.started_at, sizeof(j.started_at), "%s",
			    ev->at);
			core_save(c, &j);
			if (sub >= 0 && st >= sub)
				metrics_observe_wait(&c->metrics, st - sub);
		}
		break;
	case POOL_EV_JOB_FINISHED:
		/* The agent's sandbox is gone: its slot can take the next
		   job while this one's results come back. */
		if (a->holds_slot) {
			a->holds_slot = false;
			if (c->nodes[a->node].busy > 0)
				c->nodes[a->node].busy--;
			core_node_settle(&c->nodes[a->node]);
		}
		if (j.phase == PHASE_STAGING || j.phase == PHASE_RUNNING) {
			j.state = JOB_COMPLETING;
			j.phase = PHASE_COLLECTING;
			snprintf(j.reason, sizeof(j.reason),
			    "collecting from %s",
			    c->nodes[ev->node].conf->name);
			core_save(c, &j);
		}
		core_send(c, ev->node, POOL_CMD_COLLECT, j.id, j.attempts);
		break;
	case POOL_EV_JOB_COLLECTED: {
		struct result *r = &ev->result;
		char outcome[JOB_REASON_MAX];
		const char *rv[2];
		int node = a->node;

		j.has_result = true;
		snprintf(j.verdict, sizeof(j.verdict), "%s",
		    verdict_name(r->verdict));
		j.exit_code = r->exit_code;
		j.signal = r->signal;
		j.cpu_seconds = r->cpu_seconds;
		j.wall_seconds = r->wall_seconds;
		j.memory_peak_bytes = r->memory_peak_bytes;
		if (j.started_at[0] == '\0')
			snprintf(j.started_at, sizeof(j.started_at), "%s",
			    r->started_at);
		if (j.attempt_started_at[0] == '\0')
			snprintf(j.attempt_started_at,
			    sizeof(j.attempt_started_at), "%s", r->started_at);
		snprintf(outcome, sizeof(outcome), "ended: %s%s%s",
		    verdict_name(r->verdict), r->message[0] ? ": " : "",
		    r->message);
		core_active_remove(c, a, outcome);
		metrics_observe_run(&c->metrics, r->wall_seconds);
		rv[0] = j.runtime;
		rv[1] = verdict_name(r->verdict);
		metrics_family_add(&c->metrics.verdicts, rv, 2);
		/* A sandbox error is the node's fault, not the program's:
		   another attempt, on any node, may well succeed. */
		if (r->verdict == VERDICT_SANDBOX_ERROR &&
		    !j.cancel_requested &&
		    (unsigned)j.attempts < c->set.max_attempts &&
		    !core_same_failure_again(c, &j, c->nodes[node].conf->name,
			outcome)) {
			core_retry(c, &j, false, r->message);
			core_send(c, node, POOL_CMD_CLEAN, j.id, j.attempts);
			break;
		}
		/* A cancel asked for while the results came back still ends
		   the job CANCELLED; the verdict says what the program did. */
		core_finish(c, &j,
		    j.cancel_requested ? JOB_CANCELLED
				       : job_state_for_verdict(r->verdict),
		    j.cancel_requested && r->verdict != VERDICT_CANCELLED
			? "cancelled while its results came back"
			: r->message);
		core_send(c, node, POOL_CMD_CLEAN, j.id, j.attempts);
		break;
	}
	case POOL_EV_JOB_FAILED: {
		int node = a->node;

		/* Results that could not be written into a full state
		   directory are the dispatcher's trouble, not the job's nor
		   the node's: they wait on the node, and are fetched again
		   once there is room (core_tick()). */
		if (j.phase == PHASE_COLLECTING && ev->retryable &&
		    (c->store_failing || core_space_low(c))) {
			if (!a->collect_again)
				log_warn("job %lld: its results wait on %s: %s",
				    (long long)j.id, c->nodes[node].conf->name,
				    ev->reason);
			a->collect_again = true;
			break;
		}

		core_active_remove(c, a, ev->reason);
		if (j.cancel_requested)
			core_finish(c, &j, JOB_CANCELLED, "cancelled");
		else if (ev->retryable)
			core_retry(c, &j, false, ev->reason);
		else
			core_finish(c, &j, JOB_FAILED, ev->reason);
		core_send(c, node, POOL_CMD_CLEAN, j.id, j.attempts);
		break;
	}
	default:
		break;
	}
out:
	pool_ev_free(ev);
	core_schedule(c);
}

/* Rebuild the queue and the placements from the store at start-up. */
static int
core_recover_job(const struct job *j, void *arg)
{
	struct core *c = arg;
	struct core_node *n;
	struct job copy;
	struct error e;
	bool refused;

	if (j->phase == PHASE_QUEUED) {
		core_enqueue(c, j);
		return 0;
	}
	/* Staging may start again from the spool's in/: written again from
	   the body, in case a crash of the machine left it short. */
	if (j->phase == PHASE_STAGING &&
	    core_inputs(c, j->id, &refused, &e) == -1)
		log_warn("job %lld: %s", (long long)j->id, e.msg);
	if ((n = core_node_find(c, j->node)) != NULL) {
		core_active_add(c, j->id, (int)(n - c->nodes), j->attempts,
		    j->tenant, true);
		c->active[c->nactive - 1].in_slurm = j->slurm_job_id[0] != '\0';
		return 0;
	}
	/* Its node is no longer configured: try again elsewhere. */
	copy = *j;
	core_retry(c, &copy, true, "its node is no longer configured");
	return 0;
}

/* Load every unfinished job. */
static int
core_recover(struct core *c, struct error *e)
{
	static const enum job_phase phases[] = { PHASE_QUEUED, PHASE_STAGING,
		PHASE_RUNNING, PHASE_COLLECTING };
	size_t i;

	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		if (store_jobs_in_phase(c->st, phases[i], core_recover_job, c,
			e) == -1)
			return -1;
	if (c->nactive > 0 || c->nqueue > 0)
		log_info("recovered %zu queued and %zu placed jobs", c->nqueue,
		    c->nactive);
	return 0;
}

/*
 * A node down since a restart for this long (ms): a connection attempt
 * and an exchange, twice over, so that one slow or failed attempt (a node
 * under load) does not run its jobs a second time elsewhere.
 */
#define CORE_RECOVER_GRACE(c) \
	((int64_t)(2 * 1000 * \
	    ((c)->set.connect_timeout_seconds + (c)->set.io_timeout_seconds)))

/* A node still down CORE_RECOVER_GRACE() after a restart: its recovering
   jobs move on. */
static void
core_requeue_unreachable(struct core *c)
{
	int64_t now = util_now_ms();
	size_t i;

	for (i = 0; i < c->nactive;) {
		struct core_active *a = &c->active[i];
		struct core_node *n = &c->nodes[a->node];
		char reason[JOB_REASON_MAX];

		/* A job in a SLURM cluster waits for its login node. */
		if (!a->recovering || !n->seen || n->connected ||
		    now - n->down_since_ms < CORE_RECOVER_GRACE(c) ||
		    (n->conf->kind == NODE_KIND_SLURM && a->in_slurm)) {
			i++;
			continue;
		}
		snprintf(reason, sizeof(reason),
		    "node %s unreachable after a restart: %s", n->conf->name,
		    n->reason);
		core_active_lost(c, a, reason);
	}
}

/* RFC 3339 UTC of `seconds` ago, as the store keeps times. */
static void
core_time_ago(double seconds, char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= (time_t)seconds;
	util_time_rfc3339(&ts, buf, len);
}

/*
 * Remove up to limit ended jobs of state st (at most CORE_RETAIN_BATCH):
 * those that ended before `before`, or the oldest if before is NULL.  The
 * rows go first, in one transaction, then their spool: a crash in between
 * leaves spool entries no row names, never a row without its results.
 * Returns how many went, or -1.
 */
static int
core_remove_ended(struct core *c, enum job_state st, const char *before,
    int limit, struct error *e)
{
	int64_t ids[CORE_RETAIN_BATCH];
	int n, removed, i;

	if (limit > CORE_RETAIN_BATCH)
		limit = CORE_RETAIN_BATCH;
	if (limit <= 0)
		return 0;
	if (store_jobs_expired(c->st, st, before, limit, ids, &n, e) == -1)
		return -1;
	if (n == 0)
		return 0;
	if (store_jobs_remove(c->st, st, ids, n, &removed, e) == -1)
		return -1;
	for (i = 0; i < n; i++)
		(void)spool_job_remove(&c->sp, ids[i], NULL);
	return removed;
}

/*
 * Retention: every CORE_RETAIN_EVERY_MS, or at once after a full batch,
 * remove a batch of the ended jobs that are older than their state's
 * max_age_seconds or past its max_jobs, oldest first: small batches, so
 * the loop never stalls on a large backlog.
 */
static void
core_retain(struct core *c)
{
	int64_t now = util_now_ms(), live[9];
	char before[40];
	int removed = 0, r, budget = CORE_RETAIN_BATCH;
	struct error e;
	unsigned s;

	if (c->store_failing || now < c->retain_next_ms)
		return;
	c->retain_next_ms = now + CORE_RETAIN_EVERY_MS;
	if (store_jobs_ended_counts(c->st, false, live, &e) == -1) {
		log_warn("retention: %s", e.msg);
		return;
	}
	for (s = 0; s < 9 && budget > 0; s++) {
		if (!job_state_final((enum job_state)s))
			continue;
		r = 0;
		if (c->set.retention[s].max_age_seconds > 0) {
			core_time_ago(c->set.retention[s].max_age_seconds,
			    before, sizeof(before));
			r = core_remove_ended(c, (enum job_state)s, before,
			    budget, &e);
		}
		if (r >= 0 && c->set.retention[s].max_jobs > 0 &&
		    live[s] - r > c->set.retention[s].max_jobs) {
			int over = (int)(live[s] - r -
			    c->set.retention[s].max_jobs);
			int more = core_remove_ended(c, (enum job_state)s, NULL,
			    over < budget - r ? over : budget - r, &e);

			r = more == -1 ? -1 : r + more;
		}
		if (r == -1) {
			log_warn("retention: %s", e.msg);
			return;
		}
		removed += r;
		budget -= r;
	}
	if (removed > 0)
		log_info("retention: removed %d ended jobs", removed);
	/* A full batch: there may be more; go on at the next tick. */
	if (budget <= 0)
		c->retain_next_ms = now;
}

/* Remove ended jobs at an operator's request; see core.h. */
int
core_purge(struct core *c, const char *before, unsigned state_mask, int limit,
    int *removed, bool *more, struct error *e)
{
	int total = 0, r;
	unsigned s;

	*more = false;
	if (limit > CORE_RETAIN_BATCH)
		limit = CORE_RETAIN_BATCH;
	for (s = 0; s < 9 && total < limit; s++) {
		if (!job_state_final((enum job_state)s) ||
		    (state_mask & (1u << s)) == 0)
			continue;
		if ((r = core_remove_ended(c, (enum job_state)s, before,
			 limit - total, e)) == -1)
			return -1;
		total += r;
	}
	*more = total >= limit;
	*removed = total;
	if (total > 0)
		log_info("purge: removed %d ended jobs that ended before %s",
		    total, before);
	return 0;
}

/*
 * Attempts past their deadline (an agent that never ends its events, a
 * node that hangs): cancelled on their node, and given up as failed
 * attempts, which the job may retry elsewhere.
 */
static void
core_deadlines(struct core *c)
{
	int64_t now = util_now_ms();
	char reason[JOB_REASON_MAX];
	size_t i = 0;
	struct job j;

	while (i < c->nactive) {
		struct core_active *a = &c->active[i];
		int node = a->node, attempt = a->attempt;

		if (a->deadline_ms == 0 || now < a->deadline_ms ||
		    a->recovering || a->collect_again) {
			i++;
			continue;
		}
		snprintf(reason, sizeof(reason),
		    "no end from %s by the attempt's deadline (its wall "
		    "limit plus attempt_margin_seconds); cancelled there",
		    c->nodes[node].conf->name);
		if (!core_load(c, a->id, &j)) {
			core_active_remove(c, a, reason);
			continue;
		}
		/* Its run has ended on the node; a collect has the I/O
		   timeouts of its SFTP calls, not this deadline. */
		if (j.phase == PHASE_COLLECTING) {
			a->deadline_ms = 0;
			i++;
			continue;
		}
		log_warn("job %lld: %s", (long long)a->id, reason);
		core_active_remove(c, a, reason);
		/* The new state first: a clean waits for its commit. */
		core_retry(c, &j, false, reason);
		if (c->nodes[node].connected) {
			core_send(c, node, POOL_CMD_CANCEL, j.id, attempt);
			core_send(c, node, POOL_CMD_CLEAN, j.id, attempt);
		}
	}
}

/* The periodic tick: watchdog, and jobs stranded on unreachable nodes. */
static void
core_tick(evutil_socket_t fd, short what, void *arg)
{
	struct core *c = arg;
	size_t i;

	core_batch_flush(c);
	pool_watchdog(c->pool);
	core_flush(c);
	core_deadlines(c);
	core_retain(c);
	/* Results that could not be written here: fetched again once there
	   is room. */
	for (i = 0; i < c->nactive && !c->store_failing && !core_space_low(c);
	     i++) {
		struct core_active *a = &c->active[i];

		if (a->collect_again && c->nodes[a->node].connected) {
			a->collect_again = false;
			core_send(c, a->node, POOL_CMD_COLLECT, a->id,
			    a->attempt);
		}
	}
	core_requeue_unreachable(c);
	core_ask_elsewhere(c);
	core_schedule(c);
}

/*
 * SIGTERM and SIGINT outside the event loop's watch: before it is set up
 * (kept, and acted on once it runs) and after it is torn down.  Freeing a
 * signal event restores the handler it found, so this one, never the
 * default action: a second SIGTERM (a service manager's and a script's,
 * timeout(1)'s to its whole group), caught by whichever thread is left,
 * never kills the daemon half-way through its last commits.
 */
static volatile sig_atomic_t core_signalled;

static void
core_signal_early(int sig)
{
	core_signalled = sig;
}

/* SIGTERM or SIGINT: stop accepting, stop the workers, leave the loop. */
static void
core_signal(evutil_socket_t sig, short what, void *arg)
{
	struct core *c = arg;

	if (c->draining)
		return;
	core_batch_flush(c);
	log_info("%s: draining (jobs on nodes go on; a restart attaches "
		 "to them again)",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT");
	c->draining = true;
	event_base_loopexit(c->base, NULL);
}

/* Create a directory if it is missing. */
static int
core_mkdir(const char *path, struct error *e)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return error_set(e, ERR_SYS, "cannot create '%s': %s", path,
		    strerror(errno));
	return 0;
}

/* Load the config, open the store and spool, rebuild the queue. */
int
core_init(struct core *c, const char *config_path, struct error *e)
{
	struct sigaction sa;
	char path[600];
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = core_signal_early;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	memset(c, 0, sizeof(*c));
	c->sp.root = -1;
	metrics_start(&c->metrics);
	if (settings_load(config_path, &c->set, e) == -1)
		return -1;
	if (core_mkdir(c->set.state_dir, e) == -1 ||
	    spool_init(&c->sp, c->set.state_dir, e) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/sluice.db", c->set.state_dir);
	if ((c->st = store_open(path, e)) == NULL)
		return -1;
	c->nnodes = c->set.nnodes;
	if ((c->nodes = calloc(c->nnodes, sizeof(*c->nodes))) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; i < c->nnodes; i++) {
		struct core_node *n = &c->nodes[i];

		n->conf = &c->set.nodes[i];
		n->state = SCHED_DOWN;
		if (store_node_get(c->st, n->conf->name, &n->drained, n->reason,
			sizeof(n->reason), e) == -1)
			return -1;
		if (!n->drained)
			snprintf(n->reason, sizeof(n->reason), "connecting");
	}
	for (i = 0; i < c->set.ntokens; i++)
		(void)core_tenant(c, c->set.tokens[i].name);
	return core_recover(c, e);
}

/* Create the event loop, the node pool (not started), signals and tick. */
int
core_start(struct core *c, struct error *e)
{
	struct timeval tick = { 0, CORE_TICK_MS * 1000 };

	if ((c->base = event_base_new()) == NULL)
		return error_set(e, ERR_SYS, "cannot create the event loop");
	if ((c->pool = pool_new(&c->set, &c->sp, c->base, core_on_event, c,
		 e)) == NULL)
		return -1;
	c->ev_term = evsignal_new(c->base, SIGTERM, core_signal, c);
	c->ev_int = evsignal_new(c->base, SIGINT, core_signal, c);
	c->ev_tick = event_new(c->base, -1, EV_PERSIST, core_tick, c);
	c->ev_batch = event_new(c->base, -1, 0, core_batch_cb, c);
	if (c->ev_term == NULL || c->ev_int == NULL || c->ev_tick == NULL ||
	    c->ev_batch == NULL || event_add(c->ev_term, NULL) == -1 ||
	    event_add(c->ev_int, NULL) == -1 ||
	    event_add(c->ev_tick, &tick) == -1)
		return error_set(e, ERR_SYS, "cannot set up signal handling");
	if ((c->callbacks = callback_new(c, e)) == NULL)
		return -1;
	return 0;
}

/* Start the node pool and serve until a signal asks to stop. */
int
core_run(struct core *c, struct error *e)
{
	if (pool_start(c->pool, e) == -1)
		return -1;
	/* Asked to stop while starting: drain at once. */
	if (core_signalled != 0)
		core_signal(core_signalled, 0, c);
	event_base_dispatch(c->base);
	return 0;
}

/* Stop the node pool's workers (their jobs on the nodes go on). */
void
core_stop(struct core *c)
{
	if (c->pool != NULL)
		pool_stop(c->pool);
}

/* Set the hook called after each final state is committed. */
void
core_on_final(struct core *c, core_final_cb cb, void *arg)
{
	c->on_final = cb;
	c->on_final_arg = arg;
}

/* Set the hook that takes the output read from nodes. */
void
core_on_output(struct core *c, core_output_cb cb, void *arg)
{
	c->on_output = cb;
	c->on_output_arg = arg;
}

/* Free everything. */
void
core_release(struct core *c)
{
	struct error e;
	size_t i;

	/* A batch no one can be answered about any more (the listener is
	   gone; a signal flushes the batch, so this is after a failure):
	   not committed, as none of it was acknowledged. */
	if (c->st != NULL)
		store_rollback(c->st);
	free(c->batch);
	c->batch = NULL;
	c->nbatch = 0;
	/* Unsaved states: one last try, and a line for each that is lost
	   (a restart goes on from the store's: the node keeps what ran). */
	for (i = 0; i < c->nunsaved; i++)
		if (c->st == NULL ||
		    store_job_update(c->st, &c->unsaved[i].j, &e) == -1)
			log_error("job %lld: its state %s/%s was never "
				  "committed; after a restart it is as the "
				  "store has it",
			    (long long)c->unsaved[i].j.id,
			    job_state_name(c->unsaved[i].j.state),
			    job_phase_name(c->unsaved[i].j.phase));
	callback_free(c->callbacks);
	if (c->pool != NULL)
		pool_free(c->pool);
	if (c->ev_term != NULL)
		event_free(c->ev_term);
	if (c->ev_int != NULL)
		event_free(c->ev_int);
	if (c->ev_tick != NULL)
		event_free(c->ev_tick);
	if (c->ev_batch != NULL)
		event_free(c->ev_batch);
	while (c->nclasses > 0)
		core_class_free(c, c->nclasses - 1);
	free(c->classes);
	free(c->active);
	free(c->unsaved);
	for (i = 0; i < c->ntenants; i++)
		free((char *)c->tenants[i].name);
	free(c->tenants);
	free(c->nodes);
	store_close(c->st);
	spool_fini(&c->sp);
	if (c->base != NULL)
		event_base_free(c->base);
	settings_release(&c->set);
	metrics_release(&c->metrics);
	memset(c, 0, sizeof(*c));
	c->sp.root = -1;
}

/* Keep the name, labels and limits a submission asks for in its job row
   (the labels and limits as JSON). */
static void
core_job_request(struct job *j, const struct submission *sub)
{
	json_t *labels, *limits;
	char *text;
	size_t i;

	snprintf(j->name, sizeof(j->name), "%s", sub->name);

	labels = json_array();
	for (i = 0; i < sub->nlabels; i++)
		json_array_append_new(labels, json_string(sub->labels[i]));
	limits = limit_to_json_set(&sub->limits, sub->limit_set);
	text = json_dumps(labels, JSON_COMPACT);
	snprintf(j->labels, sizeof(j->labels), "%s", text ? text : "[]");
	free(text);
	text = json_dumps(limits, JSON_COMPACT | JSON_REAL_PRECISION(17));
	snprintf(j->limits, sizeof(j->limits), "%s", text ? text : "{}");
	free(text);
	json_decref(labels);
	json_decref(limits);
}

/*
 * The batch's transaction is gone under it (SQLite rolls one back on some
 * errors): nothing of it was kept, so each of its submissions is answered
 * with e.
 */
static void
core_batch_lost(struct core *c, const struct error *e)
{
	struct core_batched *b = c->batch;
	size_t i, n = c->nbatch;
	int status = core_space_low(c) ? 507 : 500;

	c->batch = NULL;
	c->nbatch = 0;
	store_rollback(c->st);
	for (i = 0; i < n; i++) {
		/* A large one's inputs went to the spool already. */
		(void)spool_job_remove(&c->sp, b[i].j.id, NULL);
		b[i].cb(c, NULL, status, e, b[i].arg);
	}
	free(b);
}

/*
 * Whether tenant tok's job may have callback url: the tenant has a secret
 * to sign it with, and the operator allows where it goes (as far as can be
 * known before it is resolved: callback.h).  422 if not.
 */
static int
core_callback_check(struct core *c, const struct settings_token *tok,
    const char *url, int *status, struct error *e)
{
	*status = 422;
	if (tok->callback_secret[0] == '\0')
		return error_set_field(e, ERR_REFUSED, "callback_url",
		    "tenant '%s' has no callback_secret in sluice.conf to sign "
		    "callbacks with: its jobs cannot have one",
		    tok->name);
	return callback_url_check(&c->set.callback, url, e);
}

/* Accept a submission into the batch. */
int
core_submit_batched(struct core *c, const struct settings_token *tok,
    const char *body, size_t len, core_submit_cb cb, void *arg, int *status,
    struct error *e)
{
	struct core_batched *b;
	struct submission sub;
	struct sched_node *sn;
	struct sched_job sj;
	const char *callback;
	struct job j;
	int64_t pending;
	bool feasible;
	int rc = -1;

	if (c->draining) {
		*status = 503;
		return error_set(e, ERR_BUSY,
		    "the dispatcher is shutting down");
	}
	/* Nothing is accepted that might not be kept. */
	if (c->store_failing) {
		*status = 507;
		return error_set(e, ERR_BUSY,
		    "the dispatcher cannot commit to its store (%s); try again "
		    "later",
		    c->store_error);
	}
	if (core_space_low(c)) {
		*status = 507;
		return error_set(e, ERR_BUSY,
		    "the state directory has %llu bytes free, no more than "
		    "min_free_bytes (%llu); try again later",
		    (unsigned long long)core_free_bytes(c),
		    (unsigned long long)c->set.min_free_bytes);
	}
	if (request_parse(body, len, &c->set.caps, &sub, status, e) == -1)
		return -1;
	/* Its callback: its own, or its token's default ("" names none). */
	callback = sub.callback_url != NULL ? sub.callback_url
					    : tok->callback_url;
	if (callback[0] != '\0' &&
	    core_callback_check(c, tok, callback, status, e) == -1)
		goto out;
	memset(&j, 0, sizeof(j));
	snprintf(j.tenant, sizeof(j.tenant), "%s", tok->name);
	snprintf(j.runtime, sizeof(j.runtime), "%s", sub.runtime);
	core_job_request(&j, &sub);

	/* A job that no node could ever run is refused now, not queued. */
	memset(&sj, 0, sizeof(sj));
	sj.tenant = j.tenant;
	sj.runtime = j.runtime;
	sj.labels = (const char *const *)sub.labels;
	sj.nlabels = sub.nlabels;
	sj.limits = sub.limits;
	sj.limit_set = sub.limit_set;
	sn = core_sched_nodes(c);
	feasible = sched_feasible(sn, c->nnodes, &sj);
	free(sn);
	if (!feasible) {
		*status = 422;
		error_set_field(e, ERR_INVALID, "runtime",
		    "no configured node can run this job (runtime '%s', its "
		    "labels and limits)",
		    sub.runtime);
		goto out;
	}
	/* Counted in memory: the queue is the QUEUED rows, and the batch. */
	pending = (int64_t)(c->nqueue + c->nbatch);
	if (pending >= c->set.max_pending_total) {
		*status = 429;
		error_set(e, ERR_BUSY, "the queue is full (%lld jobs pending)",
		    (long long)pending);
		goto out;
	}
	if (tok->max_pending > 0) {
		pending = core_tenant_queued(c, tok->name);
		if (pending >= tok->max_pending) {
			*status = 429;
			error_set(e, ERR_BUSY,
			    "tenant '%s' has %lld jobs "
			    "pending, its quota",
			    tok->name, (long long)pending);
			goto out;
		}
	}
	if ((b = realloc(c->batch, (c->nbatch + 1) * sizeof(*b))) == NULL)
		fatal("out of memory");
	c->batch = b;
	j.state = JOB_PENDING;
	j.phase = PHASE_QUEUED;
	j.exit_code = -1;
	snprintf(j.reason, sizeof(j.reason), "queued");
	util_now_rfc3339(j.submitted_at, sizeof(j.submitted_at));
	/* The row and the request body, in the batch's transaction (the
	   spool's in/ is written from the body when the job is placed; a
	   large one's now); a savepoint undoes this submission alone if a
	   write fails. */
	*status = 500;
	if (c->nbatch == 0 && store_begin(c->st, e) == -1)
		goto out;
	if (store_savepoint(c->st, e) == -1)
		goto lost;
	if (store_job_insert(c->st, &j, e) == -1 ||
	    (len <= CORE_BODY_IN_STORE_MAX
		    ? store_submission_put(c->st, j.id, body, len, e)
		    : core_spool_submission(c, j.id, &sub, e)) == -1 ||
	    (callback[0] != '\0' &&
		store_callback_put(c->st, j.id, callback, e) == -1)) {
		store_savepoint_rollback(c->st);
		if (j.id > 0)
			(void)spool_job_remove(&c->sp, j.id, NULL);
		goto lost;
	}
	if (store_savepoint_release(c->st, e) == -1)
		goto lost;
	b = &c->batch[c->nbatch++];
	b->j = j;
	b->cb = cb;
	b->arg = arg;
	if (c->nbatch == 1)
		event_active(c->ev_batch, EV_TIMEOUT, 1);
	rc = 0;
	goto out;
lost:
	/* A write that failed may have ended the transaction, and the
	   batch with it. */
	if (!store_in_transaction(c->st))
		core_batch_lost(c, e);
	else if (c->nbatch == 0)
		store_rollback(c->st);
out:
	/* The disk filled up under this very submission. */
	if (rc == -1 && *status == 500 && core_space_low(c))
		*status = 507;
	request_release(&sub);
	return rc;
}

/* Commit the batch, queue its jobs and answer them. */
void
core_batch_flush(struct core *c)
{
	struct core_batched *b = c->batch;
	size_t i, n = c->nbatch;
	struct error e;
	struct job out;

	if (n == 0)
		return;
	error_init(&e);
	if (store_commit(c->st, &e) == -1) {
		core_batch_lost(c, &e);
		return;
	}
	c->batch = NULL;
	c->nbatch = 0;
	c->submit_commits++;
	for (i = 0; i < n; i++) {
		const char *tr[2] = { b[i].j.tenant, b[i].j.runtime };

		core_enqueue(c, &b[i].j);
		metrics_family_add(&c->metrics.submitted, tr, 2);
		log_info("job %lld submitted tenant=%s runtime=%s",
		    (long long)b[i].j.id, b[i].j.tenant, b[i].j.runtime);
	}
	core_schedule(c);
	for (i = 0; i < n; i++) {
		/* As it is now: placed at once, or why it waits. */
		if (store_job_get(c->st, b[i].j.id, &out, NULL) == -1)
			out = b[i].j;
		if (out.phase == PHASE_QUEUED)
			core_waiting_reason(c, &out, out.reason,
			    sizeof(out.reason));
		b[i].cb(c, &out, 201, NULL, b[i].arg);
	}
	free(b);
}

/* The batch's event: later in the turn of the loop that opened it. */
static void
core_batch_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	core_batch_flush(arg);
}

/* What core_submit() keeps of its answer. */
struct core_submit_answer {
	struct job *out;
	int status;
	struct error e;
};

static void
core_submit_answered(struct core *c, const struct job *j, int status,
    const struct error *e, void *arg)
{
	struct core_submit_answer *a = arg;

	(void)c;
	a->status = status;
	if (j != NULL)
		*a->out = *j;
	else
		a->e = *e;
}

/* Accept a submission and commit it at once. */
int
core_submit(struct core *c, const struct settings_token *tok, const char *body,
    size_t len, struct job *out, int *status, struct error *e)
{
	struct core_submit_answer a;

	memset(&a, 0, sizeof(a));
	a.out = out;
	if (core_submit_batched(c, tok, body, len, core_submit_answered, &a,
		status, e) == -1)
		return -1;
	core_batch_flush(c);
	*status = a.status;
	if (a.status != 201) {
		*e = a.e;
		return -1;
	}
	return 0;
}

/* Cancel a job. */
int
core_cancel(struct core *c, int64_t id, struct job *out, struct error *e)
{
	struct core_active *a;
	struct job j;

	if (core_job_get(c, id, &j, e) == -1)
		return -1;
	/* A cancel answered is a cancel kept.  A placed job's is kept by its
	   node (which ends it cancelled, and a restart finds that), but a
	   queued job's only by the store: not while it cannot commit. */
	if ((c->store_failing || core_space_low(c)) && j.phase == PHASE_QUEUED)
		return error_set(e, ERR_BUSY,
		    "the state directory is full or the store refuses "
		    "commits: a queued job's cancel cannot be kept now; try "
		    "again later");
	if (job_state_final(j.state))
		return error_set(e, ERR_STATE,
		    "job %lld has already ended (%s)", (long long)id,
		    job_state_name(j.state));
	if (j.phase == PHASE_QUEUED) {
		(void)core_dequeue(c, &j, false);
		core_finish(c, &j, JOB_CANCELLED, "cancelled before it ran");
		*out = j;
		return 0;
	}
	/* Placed: commit the request, then ask the node to stop it; the
	   job ends when its node reports the end (or is lost). */
	if (!j.cancel_requested) {
		j.cancel_requested = true;
		snprintf(j.reason, sizeof(j.reason), "cancelling");
		core_save(c, &j);
	}
	a = core_active_find(c, id);
	if (a != NULL && !a->recovering && c->nodes[a->node].connected &&
	    j.phase != PHASE_COLLECTING)
		core_send(c, a->node, POOL_CMD_CANCEL, id, a->attempt);
	*out = j;
	return 0;
}

/* Drain or resume a node (persisted, so a restart keeps it). */
int
core_drain(struct core *c, const char *name, bool drain, const char *reason,
    struct error *e)
{
	return core_drain_as(c, name, drain, reason, NULL, e);
}

/* Drain or resume a node, at the request of tenant `by` (logged). */
int
core_drain_as(struct core *c, const char *name, bool drain, const char *reason,
    const char *by, struct error *e)
{
	struct core_node *n = core_node_find(c, name);
	const char *na[2] = { name, drain ? "drain" : "resume" };
	char text[256];

	if (n == NULL)
		return error_set(e, ERR_NOTFOUND, "no node '%s'", name);
	/* The operator's words, as given; "drained" if there were none. */
	if (drain)
		snprintf(text, sizeof(text), "%s",
		    reason != NULL && reason[0] ? reason : "drained");
	else
		text[0] = '\0';
	if (store_node_set(c->st, name, drain, text, e) == -1)
		return -1;
	n->drained = drain;
	if (drain)
		snprintf(n->reason, sizeof(n->reason), "%s", text);
	else if (n->connected)
		n->reason[0] = '\0';
	core_node_settle(n);
	metrics_family_add(&c->metrics.drains, na, 2);
	if (by != NULL)
		log_info("node %s %s by token '%s'%s%s", name,
		    drain ? "drained" : "resumed", by, drain ? ": " : "",
		    drain ? text : "");
	else
		log_info("node %s %s%s", name, drain ? "drained: " : "resumed",
		    drain ? text : "");
	core_schedule(c);
	return 0;
}
