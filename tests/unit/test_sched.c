/* Unit tests for dispatcher/sched.c: fit, feasibility, reasons, fair picks. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sched.h"

#define B_CPU (1u << 0)
#define B_MEMORY (1u << 2)

static const char *const py[] = { "python3" };
static const char *const py_sh[] = { "sh", "python3" };
static const char *const sh[] = { "sh" };
static const char *const gpu[] = { "gpu" };
static const char *const gpu_big[] = { "gpu", "big-memory" };
static const char *const big_gpu[] = { "big-memory", "gpu" };

static const struct limits ceilings = {
	.cpu_seconds = 60.0,
	.wall_seconds = 120.0,
	.memory_bytes = 2147483648ULL,
	.processes = 128,
	.output_bytes = 16777216,
	.disk_bytes = 1073741824,
	.open_files = 256,
};

/* An UP, known node offering python3 with no labels. */
static struct sched_node
node(const char *name, unsigned slots, unsigned busy)
{
	struct sched_node n = {
		.name = name,
		.state = SCHED_UP,
		.slots = slots,
		.busy = busy,
		.runtimes = py,
		.nruntimes = 1,
		.labels = NULL,
		.nlabels = 0,
		.ceilings = ceilings,
		.known = true,
	};

	return n;
}

/* A python3 job of tenant with no labels and no limits asked for. */
static struct sched_job
job(int64_t id, const char *tenant)
{
	struct sched_job j = {
		.id = id,
		.tenant = tenant,
		.runtime = "python3",
		.labels = NULL,
		.nlabels = 0,
		.limit_set = 0,
	};

	return j;
}

/* A job asking for labels. */
static struct sched_job
job_labels(int64_t id, const char *tenant, const char *const *labels, size_t n)
{
	struct sched_job j = job(id, tenant);

	j.labels = labels;
	j.nlabels = n;
	return j;
}

/* ---- sched_fits ---- */

static void
sched_fits__runtime__must_be_offered(void **state)
{
	struct sched_node n = node("n", 1, 0);
	struct sched_job j = job(1, "a");

	(void)state;
	assert_true(sched_fits(&n, &j));
	j.runtime = "sh";
	assert_false(sched_fits(&n, &j));
	n.runtimes = py_sh;
	n.nruntimes = 2;
	assert_true(sched_fits(&n, &j));
	j.runtime = "python";
	assert_false(sched_fits(&n, &j));
	j.runtime = "Python3";
	assert_false(sched_fits(&n, &j));
	n.nruntimes = 0;
	j.runtime = "python3";
	assert_false(sched_fits(&n, &j));
}

static void
sched_fits__labels__job_labels_must_be_a_subset(void **state)
{
	static const char *const gpu_upper[] = { "GPU" };
	struct sched_node n = node("n", 1, 0);
	struct sched_job j = job(1, "a");

	(void)state;
	/* No labels asked: any node, labelled or not. */
	assert_true(sched_fits(&n, &j));
	n.labels = gpu_big;
	n.nlabels = 2;
	assert_true(sched_fits(&n, &j));
	j = job_labels(1, "a", gpu, 1);
	assert_true(sched_fits(&n, &j));
	j = job_labels(1, "a", big_gpu, 2);
	assert_true(sched_fits(&n, &j));
	n.labels = gpu;
	n.nlabels = 1;
	assert_false(sched_fits(&n, &j));
	n.labels = NULL;
	n.nlabels = 0;
	j = job_labels(1, "a", gpu, 1);
	assert_false(sched_fits(&n, &j));
	n.labels = gpu;
	n.nlabels = 1;
	j = job_labels(1, "a", gpu_upper, 1);
	assert_false(sched_fits(&n, &j));
}

static void
sched_fits__limits__within_ceilings_only(void **state)
{
	struct sched_node n = node("n", 1, 0);
	struct sched_job j = job(1, "a");

	(void)state;
	j.limits.cpu_seconds = 60.0;
	j.limit_set = B_CPU;
	assert_true(sched_fits(&n, &j));
	j.limits.cpu_seconds = 60.5;
	assert_false(sched_fits(&n, &j));
	/* A limit not asked for is not compared, whatever its value. */
	j.limit_set = 0;
	assert_true(sched_fits(&n, &j));
	j.limits.memory_bytes = 2147483648ULL;
	j.limit_set = B_MEMORY;
	assert_true(sched_fits(&n, &j));
	j.limits.memory_bytes++;
	assert_false(sched_fits(&n, &j));
}

static void
sched_fits__state_and_slots__ignored(void **state)
{
	struct sched_node n = node("n", 2, 2);
	struct sched_job j = job(1, "a");

	(void)state;
	n.state = SCHED_DOWN;
	assert_true(sched_fits(&n, &j));
	n.state = SCHED_DRAINED;
	n.busy = 5;
	assert_true(sched_fits(&n, &j));
}

static void
sched_fits__unknown_node__false(void **state)
{
	struct sched_node n = node("n", 2, 0);
	struct sched_job j = job(1, "a");

	(void)state;
	n.known = false;
	assert_false(sched_fits(&n, &j));
}

/* ---- sched_feasible ---- */

static void
sched_feasible__no_nodes__false(void **state)
{
	struct sched_job j = job(1, "a");

	(void)state;
	assert_false(sched_feasible(NULL, 0, &j));
}

static void
sched_feasible__fitting_node_down__true(void **state)
{
	struct sched_node n[2] = { node("a", 1, 0), node("b", 1, 1) };
	struct sched_job j = job(1, "a");

	(void)state;
	n[0].state = SCHED_DOWN;
	n[1].state = SCHED_DRAINED;
	assert_true(sched_feasible(n, 2, &j));
}

static void
sched_feasible__nothing_known__labels_decide(void **state)
{
	struct sched_node n[2] = { node("a", 1, 0), node("b", 1, 0) };
	struct sched_job j = job_labels(1, "a", gpu, 1);

	(void)state;
	n[0].known = n[1].known = false;
	n[0].nruntimes = n[1].nruntimes = 0;
	assert_false(sched_feasible(n, 2, &j));
	n[1].labels = gpu_big;
	n[1].nlabels = 2;
	assert_true(sched_feasible(n, 2, &j));
	/* Even a runtime no node will offer: nobody has said so yet. */
	j.runtime = "cobol";
	assert_true(sched_feasible(n, 2, &j));
}

static void
sched_feasible__known_nodes_do_not_fit__false(void **state)
{
	struct sched_node n[2] = { node("a", 1, 0), node("b", 1, 0) };
	struct sched_job j = job(1, "a");

	(void)state;
	j.runtime = "ruby";
	assert_false(sched_feasible(n, 2, &j));
	j = job(1, "a");
	j.limits.memory_bytes = 4ULL << 30;
	j.limit_set = B_MEMORY;
	assert_false(sched_feasible(n, 2, &j));
	n[1].ceilings.memory_bytes = 8ULL << 30;
	assert_true(sched_feasible(n, 2, &j));
}

static void
sched_feasible__unknown_node_with_labels__benefit_of_doubt(void **state)
{
	struct sched_node n[2] = { node("a", 1, 0), node("b", 1, 0) };
	struct sched_job j = job_labels(1, "a", gpu, 1);

	(void)state;
	/* a is known and lacks the runtime; b has the label, not heard of. */
	n[0].runtimes = sh;
	n[0].labels = gpu;
	n[0].nlabels = 1;
	n[1].known = false;
	assert_false(sched_feasible(n, 2, &j));
	n[1].labels = gpu;
	n[1].nlabels = 1;
	assert_true(sched_feasible(n, 2, &j));
	/* Once b is known not to fit either, the job cannot run. */
	n[1].known = true;
	n[1].runtimes = sh;
	assert_false(sched_feasible(n, 2, &j));
}

/* ---- sched_reason ---- */

/* Expect the reason for j over n to be want. */
static void
expect_reason(const struct sched_node *n, size_t nn, const struct sched_job *j,
    const char *want)
{
	char buf[256];

	memset(buf, 'x', sizeof(buf));
	sched_reason(n, nn, j, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
sched_reason__each_cause__named(void **state)
{
	struct sched_node n[3] = { node("a", 2, 0), node("b", 2, 0),
		node("c", 2, 0) };
	struct sched_job j = job_labels(1, "t", gpu, 1);

	(void)state;
	expect_reason(n, 3, &j, "no node has all the labels requested (gpu)");
	expect_reason(NULL, 0, &j,
	    "no node has all the labels requested (gpu)");
	n[2].labels = gpu;
	n[2].nlabels = 1;
	n[2].known = false;
	expect_reason(n, 3, &j, "waiting for nodes to report what they offer");
	n[2].known = true;
	n[2].runtimes = sh;
	expect_reason(n, 3, &j, "no node offers runtime 'python3'");
	n[2].runtimes = py;
	j.limits.cpu_seconds = 61;
	j.limit_set = B_CPU;
	expect_reason(n, 3, &j,
	    "the limits asked for exceed the ceilings of every node offering "
	    "'python3'");
	j.limits.cpu_seconds = 60;
	n[2].state = SCHED_DOWN;
	expect_reason(n, 3, &j,
	    "every node offering 'python3' is down (c down)");
	/* Drained is not down: the users' review found "is up" there. */
	n[2].state = SCHED_DRAINING;
	expect_reason(n, 3, &j,
	    "every node offering 'python3' is drained (c draining)");
	n[2].state = SCHED_DRAINED;
	expect_reason(n, 3, &j,
	    "every node offering 'python3' is drained (c drained)");
	n[2].state = SCHED_UP;
	n[2].busy = 2;
	expect_reason(n, 3, &j,
	    "waiting for a free slot: every node offering 'python3' is busy "
	    "(c busy 2/2)");
	n[2].busy = 1;
	expect_reason(n, 3, &j, "waiting for its turn");
}

static void
sched_reason__several_nodes__each_named(void **state)
{
	struct sched_node n[6] = { node("a", 2, 2), node("b", 2, 0),
		node("c", 4, 4), node("d", 1, 0), node("e", 1, 0),
		node("f", 1, 0) };
	struct sched_job j = job(1, "t");

	(void)state;
	n[1].state = SCHED_DRAINED;
	n[3].state = SCHED_DOWN;
	n[4].state = SCHED_DRAINING;
	n[5].state = SCHED_DOWN;
	expect_reason(n, 6, &j,
	    "waiting for a free slot: every node offering 'python3' is busy "
	    "or unavailable (a busy 2/2, b drained, c busy 4/4, d down, "
	    "+2 more)");
	n[0].state = SCHED_DOWN;
	n[2].state = SCHED_DRAINED;
	expect_reason(n, 6, &j,
	    "every node offering 'python3' is down or drained (a down, "
	    "b drained, c drained, d down, +2 more)");
	/* Only the nodes the job fits are named. */
	n[0].runtimes = sh;
	n[2].runtimes = sh;
	n[3].runtimes = sh;
	n[4].runtimes = sh;
	expect_reason(n, 6, &j,
	    "every node offering 'python3' is down or drained (b drained, "
	    "f down)");
}

static void
sched_reason__other_nodes_free__still_waiting_for_slot(void **state)
{
	struct sched_node n[2] = { node("a", 4, 0), node("gpu", 1, 1) };
	struct sched_job j = job_labels(1, "t", gpu, 1);

	(void)state;
	/* Free slots elsewhere do not help a job that fits only "gpu". */
	n[1].labels = gpu;
	n[1].nlabels = 1;
	expect_reason(n, 2, &j,
	    "waiting for a free slot: every node offering 'python3' is busy "
	    "(gpu busy 1/1)");
}

static void
sched_reason__small_buffer__cut_and_terminated(void **state)
{
	struct sched_node n = node("a", 1, 1);
	struct sched_job j = job(1, "t");
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	sched_reason(&n, 1, &j, buf, 0);
	assert_int_equal(buf[0], 'x');
	sched_reason(&n, 1, &j, buf, sizeof(buf));
	assert_string_equal(buf, "waiting");
}

/* ---- sched_pick: nodes ---- */

static void
sched_pick__nothing_queued__false(void **state)
{
	struct sched_node n = node("a", 1, 0);
	struct sched_tenant t = { "a", 0, 0, 0 };
	size_t ji = 99, ni = 99;

	(void)state;
	assert_false(sched_pick(&n, 1, NULL, 0, &t, 1, &ji, &ni));
	assert_int_equal(ji, 99);
	assert_int_equal(ni, 99);
}

static void
sched_pick__no_nodes__false(void **state)
{
	struct sched_job j = job(1, "a");
	struct sched_tenant t = { "a", 0, 0, 0 };
	size_t ji = 99, ni = 99;

	(void)state;
	assert_false(sched_pick(NULL, 0, &j, 1, &t, 1, &ji, &ni));
	assert_int_equal(ji, 99);
}

static void
sched_pick__node_not_up__never_chosen(void **state)
{
	struct sched_node n[4] = { node("down", 8, 0), node("draining", 8, 0),
		node("drained", 8, 0), node("up", 8, 7) };
	struct sched_job j = job(1, "a");
	struct sched_tenant t = { "a", 0, 0, 0 };
	size_t ji = 99, ni = 99;

	(void)state;
	n[0].state = SCHED_DOWN;
	n[1].state = SCHED_DRAINING;
	n[2].state = SCHED_DRAINED;
	assert_false(sched_pick(n, 3, &j, 1, &t, 1, &ji, &ni));
	assert_true(sched_pick(n, 4, &j, 1, &t, 1, &ji, &ni));
	assert_int_equal(ji, 0);
	assert_int_equal(ni, 3);
}

static void
sched_pick__no_free_slot__false(void **state)
{
	struct sched_node n[3] = { node("full", 2, 2), node("over", 2, 3),
		node("none", 0, 0) };
	struct sched_job j = job(1, "a");
	struct sched_tenant t = { "a", 0, 0, 0 };
	size_t ji = 99, ni = 99;

	(void)state;
	assert_false(sched_pick(n, 3, &j, 1, &t, 1, &ji, &ni));
	n[0].busy = 1;
	assert_true(sched_pick(n, 3, &j, 1, &t, 1, &ji, &ni));
	assert_int_equal(ni, 0);
}

static void
sched_pick__unknown_node__never_chosen(void **state)
{
	struct sched_node n[2] = { node("new", 8, 0), node("old", 2, 1) };
	struct sched_job j = job(1, "a");
	struct sched_tenant t = { "a", 0, 0, 0 };
	size_t ji = 99, ni = 99;

	(void)state;
	n[0].known = false;
	assert_true(sched_pick(n, 2, &j, 1, &t, 1, &ji, &ni));
	assert_int_equal(ni, 1);
}

static void
sched_pick__most_free_slots__wins_then_first(void **state)
{
	struct sched_node n[4] = { node("a", 4, 3), node("b", 4, 0),
		node("c", 8, 4), node("d", 4, 0) };
	struct sched_job j = job(1, "a");
	struct sched_tenant t = { "a", 0, 0, 0 };
	size_t ji = 99, ni = 99;

	(void)state;
	/* Free: 1, 4, 4, 4: b, the first of the three with 4. */
	assert_true(sched_pick(n, 4, &j, 1, &t, 1, &ji, &ni));
	assert_int_equal(ni, 1);
	n[2].busy = 3;
	assert_true(sched_pick(n, 4, &j, 1, &t, 1, &ji, &ni));
	assert_int_equal(ni, 2);
}

static void
sched_pick__most_free_slots__among_fitting_nodes_only(void **state)
{
	struct sched_node n[3] = { node("small", 16, 0), node("big1", 4, 3),
		node("big2", 4, 2) };
	struct sched_job j = job(1, "a");
	struct sched_tenant t = { "a", 0, 0, 0 };
	size_t ji = 99, ni = 99;

	(void)state;
	n[1].ceilings.memory_bytes = n[2].ceilings.memory_bytes = 64ULL << 30;
	j.limits.memory_bytes = 32ULL << 30;
	j.limit_set = B_MEMORY;
	assert_true(sched_pick(n, 3, &j, 1, &t, 1, &ji, &ni));
	assert_int_equal(ni, 2);
	/* And by runtime. */
	j = job(1, "a");
	j.runtime = "sh";
	n[1].runtimes = py_sh;
	n[1].nruntimes = 2;
	assert_true(sched_pick(n, 3, &j, 1, &t, 1, &ji, &ni));
	assert_int_equal(ni, 1);
}

/* ---- sched_pick: fairness ---- */

/* A queue and tenants the test drives as the dispatcher would. */
struct sim {
	struct sched_node *nodes;
	size_t nnodes;
	struct sched_job *queue;
	size_t nqueue;
	struct sched_tenant *tenants;
	size_t ntenants;
	uint64_t clock;
};

/* Pick once and apply the decision; returns the job placed (id) or -1. */
static int64_t
sim_step(struct sim *s)
{
	size_t ji, ni, t;
	int64_t id;

	if (!sched_pick(s->nodes, s->nnodes, s->queue, s->nqueue, s->tenants,
		s->ntenants, &ji, &ni))
		return -1;
	assert_true(ji < s->nqueue);
	assert_true(ni < s->nnodes);
	assert_true(s->nodes[ni].state == SCHED_UP);
	assert_true(s->nodes[ni].busy < s->nodes[ni].slots);
	assert_true(sched_fits(&s->nodes[ni], &s->queue[ji]));
	s->nodes[ni].busy++;
	for (t = 0; t < s->ntenants; t++)
		if (strcmp(s->tenants[t].name, s->queue[ji].tenant) == 0) {
			s->tenants[t].placed++;
			s->tenants[t].last_served = ++s->clock;
		}
	id = s->queue[ji].id;
	memmove(&s->queue[ji], &s->queue[ji + 1],
	    (s->nqueue - ji - 1) * sizeof(*s->queue));
	s->nqueue--;
	return id;
}

static void
sched_pick__thousand_jobs_then_one__other_tenant_second(void **state)
{
	struct sched_node n = node("n", 2000, 0);
	struct sched_tenant t[2] = { { "a", 0, 0, 0 }, { "b", 0, 0, 0 } };
	struct sched_job *q;
	struct sim s;
	int64_t i, id;

	(void)state;
	q = calloc(1001, sizeof(*q));
	assert_non_null(q);
	for (i = 0; i < 1000; i++)
		q[i] = job(i + 1, "a");
	q[1000] = job(5000, "b");
	s = (struct sim){ &n, 1, q, 1001, t, 2, 0 };
	/* Equal (nothing placed, never served): a's job is older. */
	assert_int_equal(sim_step(&s), 1);
	/* a has more placed than b now: b's single job goes next. */
	assert_int_equal(sim_step(&s), 5000);
	/* Then the rest of a's, oldest first. */
	for (i = 2; i <= 1000; i++) {
		id = sim_step(&s);
		assert_int_equal(id, i);
	}
	assert_int_equal(sim_step(&s), -1);
	assert_int_equal(t[0].placed, 1000);
	assert_int_equal(t[1].placed, 1);
	free(q);
}

static void
sched_pick__heavy_tenant_already_placed__light_tenant_first(void **state)
{
	struct sched_node n = node("n", 4, 1);
	struct sched_tenant t[2] = { { "a", 3, 7, 0 }, { "b", 0, 0, 0 } };
	struct sched_job *q;
	size_t ji, ni, i;

	(void)state;
	q = calloc(1001, sizeof(*q));
	assert_non_null(q);
	for (i = 0; i < 1000; i++)
		q[i] = job((int64_t)i + 1, "a");
	q[1000] = job(5000, "b");
	assert_true(sched_pick(&n, 1, q, 1001, t, 2, &ji, &ni));
	assert_int_equal(ji, 1000);
	free(q);
}

static void
sched_pick__three_equal_tenants__round_robin(void **state)
{
	struct sched_node n[2] = { node("n1", 50, 0), node("n2", 50, 0) };
	struct sched_tenant t[3] = { { "a", 0, 0, 0 }, { "b", 0, 0, 0 },
		{ "c", 0, 0, 0 } };
	struct sched_job q[15];
	struct sim s;
	int64_t id, want;
	int i;

	(void)state;
	/* Queued as aaaaa bbbbb ccccc: ids 1-5, 11-15, 21-25. */
	for (i = 0; i < 5; i++) {
		q[i] = job(1 + i, "a");
		q[5 + i] = job(11 + i, "b");
		q[10 + i] = job(21 + i, "c");
	}
	s = (struct sim){ n, 2, q, 15, t, 3, 0 };
	for (i = 0; i < 15; i++) {
		want = (i % 3) * 10 + i / 3 + 1;
		id = sim_step(&s);
		if (id != want)
			fail_msg("pick %d: got job %lld, wanted %lld", i,
			    (long long)id, (long long)want);
	}
	assert_int_equal(sim_step(&s), -1);
	/* The nodes filled evenly: most free slots wins each time. */
	assert_true(n[0].busy == 8 || n[0].busy == 7);
	assert_int_equal(n[0].busy + n[1].busy, 15);
}

static void
sched_pick__equal_placed__least_recently_served_first(void **state)
{
	struct sched_node n = node("n", 4, 0);
	struct sched_tenant t[3] = { { "a", 1, 9, 0 }, { "b", 1, 4, 0 },
		{ "c", 1, 6, 0 } };
	struct sched_job q[3] = { job(1, "a"), job(2, "c"), job(3, "b") };
	size_t ji, ni;

	(void)state;
	assert_true(sched_pick(&n, 1, q, 3, t, 3, &ji, &ni));
	assert_int_equal(ji, 2);
	t[1].last_served = 10;
	assert_true(sched_pick(&n, 1, q, 3, t, 3, &ji, &ni));
	assert_int_equal(ji, 1);
}

static void
sched_pick__fewer_placed__beats_less_recently_served(void **state)
{
	struct sched_node n = node("n", 4, 0);
	struct sched_tenant t[2] = { { "a", 2, 1, 0 }, { "b", 1, 50, 0 } };
	struct sched_job q[2] = { job(1, "a"), job(2, "b") };
	size_t ji, ni;

	(void)state;
	assert_true(sched_pick(&n, 1, q, 2, t, 2, &ji, &ni));
	assert_int_equal(ji, 1);
}

static void
sched_pick__oldest_fits_nowhere_now__later_job_of_tenant_goes(void **state)
{
	struct sched_node n[2] = { node("plain", 4, 0), node("gpu", 1, 0) };
	struct sched_tenant t[1] = { { "a", 0, 0, 0 } };
	struct sched_job q[3];
	size_t ji, ni;

	(void)state;
	n[1].labels = gpu;
	n[1].nlabels = 1;
	n[1].state = SCHED_DOWN;
	q[0] = job_labels(1, "a", gpu, 1);
	q[1] = job(2, "a");
	q[2] = job(3, "a");
	/* The gpu node is down: job 1 waits, job 2 goes to "plain". */
	assert_true(sched_pick(n, 2, q, 3, t, 1, &ji, &ni));
	assert_int_equal(ji, 1);
	assert_int_equal(ni, 0);
	/* The gpu node is up but full: the same. */
	n[1].state = SCHED_UP;
	n[1].busy = 1;
	assert_true(sched_pick(n, 2, q, 3, t, 1, &ji, &ni));
	assert_int_equal(ji, 1);
	/* A slot frees: the oldest job goes first again. */
	n[1].busy = 0;
	assert_true(sched_pick(n, 2, q, 3, t, 1, &ji, &ni));
	assert_int_equal(ji, 0);
	assert_int_equal(ni, 1);
}

static void
sched_pick__tenant_with_nothing_placeable__others_go(void **state)
{
	struct sched_node n[2] = { node("plain", 4, 0), node("gpu", 1, 1) };
	struct sched_tenant t[2] = { { "a", 0, 0, 0 }, { "b", 5, 3, 0 } };
	struct sched_job q[3];
	size_t ji, ni;

	(void)state;
	n[1].labels = gpu;
	n[1].nlabels = 1;
	q[0] = job_labels(1, "a", gpu, 1);
	q[1] = job_labels(2, "a", gpu, 1);
	q[2] = job(3, "b");
	/* a would go first but can use no free slot; b is not blocked. */
	assert_true(sched_pick(n, 2, q, 3, t, 2, &ji, &ni));
	assert_int_equal(ji, 2);
	assert_int_equal(ni, 0);
	/* Nothing of anyone fits: no pick. */
	n[0].busy = 4;
	assert_false(sched_pick(n, 2, q, 3, t, 2, &ji, &ni));
}

static void
sched_pick__tenant_not_listed__counts_as_new(void **state)
{
	struct sched_node n = node("n", 4, 0);
	struct sched_tenant t[1] = { { "a", 2, 5, 0 } };
	struct sched_job q[2] = { job(1, "a"), job(2, "stranger") };
	size_t ji, ni;

	(void)state;
	assert_true(sched_pick(&n, 1, q, 2, t, 1, &ji, &ni));
	assert_int_equal(ji, 1);
}

static void
sched_pick__slots_scarce__tenants_alternate(void **state)
{
	struct sched_node n[2] = { node("n1", 1, 0), node("n2", 1, 0) };
	struct sched_tenant t[2] = { { "a", 0, 0, 0 }, { "b", 0, 0, 0 } };
	struct sched_job q[20];
	struct sim s;
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		q[i] = job(1 + i, "a");
		q[10 + i] = job(101 + i, "b");
	}
	s = (struct sim){ n, 2, q, 20, t, 2, 0 };
	assert_int_equal(sim_step(&s), 1);
	assert_int_equal(sim_step(&s), 101);
	assert_int_equal(sim_step(&s), -1);
	/* a's job ends: a has fewer placed, so a goes. */
	n[0].busy--;
	t[0].placed--;
	assert_int_equal(sim_step(&s), 2);
	/* b's ends: b has fewer placed. */
	n[1].busy--;
	t[1].placed--;
	assert_int_equal(sim_step(&s), 102);
	/* Both end: equal placed; b was served last, so a. */
	n[0].busy--;
	n[1].busy--;
	t[0].placed--;
	t[1].placed--;
	assert_int_equal(sim_step(&s), 3);
	assert_int_equal(sim_step(&s), 103);
}

/* ---- sched_plan: a whole pass ---- */

/* The plan is the picks one after the other: slots fill, tenants take
   turns, and what fits nowhere stays. */
static void
sched_plan__two_tenants__slots_filled_in_turn(void **state)
{
	struct sched_node n[2] = { node("n1", 2, 0), node("n2", 1, 0) };
	struct sched_tenant t[2] = { { "a", 0, 0, 0 }, { "b", 0, 0, 0 } };
	struct sched_job q[5] = { job(1, "a"), job(2, "a"), job(3, "a"),
		job(4, "b"), job(5, "b") };
	struct sched_placement p[5];
	size_t k;

	(void)state;
	q[2].runtime = "sh"; /* no node offers it */
	assert_int_equal(sched_plan(n, 2, q, 5, t, 2, 10, p, &k), 0);
	assert_int_equal(k, 3);
	assert_int_equal(q[p[0].job].id, 1);
	assert_int_equal(p[0].node, 0);
	assert_int_equal(q[p[1].job].id, 4);
	assert_int_equal(q[p[2].job].id, 2);
	/* Nothing of the caller's changed. */
	assert_int_equal(n[0].busy, 0);
	assert_int_equal(t[0].placed, 0);
	assert_int_equal(t[0].last_served, 0);
}

/* A tenant at its running quota is passed over; one below it goes up to
   the quota within the pass. */
static void
sched_plan__quota__tenant_capped(void **state)
{
	struct sched_node n[1] = { node("n1", 8, 0) };
	struct sched_tenant t[2] = { { "a", 1, 0, 2 }, { "b", 0, 0, 1 } };
	struct sched_job q[5] = { job(1, "a"), job(2, "a"), job(3, "a"),
		job(4, "b"), job(5, "b") };
	struct sched_placement p[5];
	size_t k;

	(void)state;
	assert_true(sched_tenant_full(&(struct sched_tenant){ "x", 3, 0, 3 }));
	assert_false(sched_tenant_full(&(struct sched_tenant){ "x", 9, 0, 0 }));
	assert_int_equal(sched_plan(n, 1, q, 5, t, 2, 0, p, &k), 0);
	assert_int_equal(k, 2);
	assert_int_equal(q[p[0].job].id, 4);
	assert_int_equal(q[p[1].job].id, 1);
	t[0].placed = 2;
	t[1].placed = 1;
	assert_int_equal(sched_plan(n, 1, q, 5, t, 2, 0, p, &k), 0);
	assert_int_equal(k, 0);
}

/* The plan equals sched_pick() applied step by step. */
static void
sched_plan__same_as_picks(void **state)
{
	struct sched_node n[2] = { node("n1", 1, 0), node("n2", 1, 0) };
	struct sched_tenant t[2] = { { "a", 0, 0, 0 }, { "b", 0, 0, 0 } };
	struct sched_job q[20], copy[20];
	struct sched_placement p[20];
	struct sim s;
	size_t k, i;

	(void)state;
	for (i = 0; i < 10; i++) {
		q[i] = job(1 + (int64_t)i, "a");
		q[10 + i] = job(101 + (int64_t)i, "b");
	}
	n[0].slots = 3;
	assert_int_equal(sched_plan(n, 2, q, 20, t, 2, 0, p, &k), 0);
	memcpy(copy, q, sizeof(q));
	s = (struct sim){ n, 2, copy, 20, t, 2, 0 };
	for (i = 0; i < k; i++)
		assert_int_equal(q[p[i].job].id, sim_step(&s));
	assert_int_equal(sim_step(&s), -1);
	assert_int_equal(k, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sched_fits__runtime__must_be_offered),
		cmocka_unit_test(
		    sched_fits__labels__job_labels_must_be_a_subset),
		cmocka_unit_test(sched_fits__limits__within_ceilings_only),
		cmocka_unit_test(sched_fits__state_and_slots__ignored),
		cmocka_unit_test(sched_fits__unknown_node__false),
		cmocka_unit_test(sched_feasible__no_nodes__false),
		cmocka_unit_test(sched_feasible__fitting_node_down__true),
		cmocka_unit_test(sched_feasible__nothing_known__labels_decide),
		cmocka_unit_test(sched_feasible__known_nodes_do_not_fit__false),
		cmocka_unit_test(
		    sched_feasible__unknown_node_with_labels__benefit_of_doubt),
		cmocka_unit_test(sched_reason__each_cause__named),
		cmocka_unit_test(sched_reason__several_nodes__each_named),
		cmocka_unit_test(
		    sched_reason__other_nodes_free__still_waiting_for_slot),
		cmocka_unit_test(
		    sched_reason__small_buffer__cut_and_terminated),
		cmocka_unit_test(sched_pick__nothing_queued__false),
		cmocka_unit_test(sched_pick__no_nodes__false),
		cmocka_unit_test(sched_pick__node_not_up__never_chosen),
		cmocka_unit_test(sched_pick__no_free_slot__false),
		cmocka_unit_test(sched_pick__unknown_node__never_chosen),
		cmocka_unit_test(sched_pick__most_free_slots__wins_then_first),
		cmocka_unit_test(
		    sched_pick__most_free_slots__among_fitting_nodes_only),
		cmocka_unit_test(
		    sched_pick__thousand_jobs_then_one__other_tenant_second),
		cmocka_unit_test(
		    sched_pick__heavy_tenant_already_placed__light_tenant_first),
		cmocka_unit_test(sched_pick__three_equal_tenants__round_robin),
		cmocka_unit_test(
		    sched_pick__equal_placed__least_recently_served_first),
		cmocka_unit_test(
		    sched_pick__fewer_placed__beats_less_recently_served),
		cmocka_unit_test(
		    sched_pick__oldest_fits_nowhere_now__later_job_of_tenant_goes),
		cmocka_unit_test(
		    sched_pick__tenant_with_nothing_placeable__others_go),
		cmocka_unit_test(sched_pick__tenant_not_listed__counts_as_new),
		cmocka_unit_test(sched_pick__slots_scarce__tenants_alternate),
		cmocka_unit_test(sched_plan__two_tenants__slots_filled_in_turn),
		cmocka_unit_test(sched_plan__quota__tenant_capped),
		cmocka_unit_test(sched_plan__same_as_picks),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
