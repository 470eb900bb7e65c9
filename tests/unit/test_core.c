/*
 * Unit tests for dispatcher/core.c, the state machine, with a fake node
 * pool: this file defines the pool_* functions core.c calls (pool_ev_free()
 * is pool.h's own), so the real pool.c (threads, SSH) is never linked in.  The fake records every command
 * the core sends; the tests play the pool's events in by hand, in the order
 * a scenario needs, and check the job rows the core commits to a real
 * store in a temporary state directory.
 *
 * Covered: a job's whole life; cancel in every phase; the loss of the node
 * in every phase, up to NODE_FAIL; stale events; failures; purging what a
 * node has left; and a restart (the core released and made again on the
 * same state, as after SIGKILL) in every phase.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "core.h"
#include "helpers.h"
#include "pool.h"

#define FAKE_CMDS_MAX 256
#define FINALS_MAX 32

/* The fake pool: what the core sent, and where its events go. */
struct fake_pool {
	pool_event_cb cb;
	void *arg;
	struct {
		int node;
		struct pool_cmd cmd;
	} sent[FAKE_CMDS_MAX];
	size_t nsent;
	size_t seen; /* commands a test has looked at already */
	uint64_t epoch[4]; /* each node's connection count */
	bool started;
};

static struct fake_pool fake;

struct pool *
pool_new(const struct settings *s, const struct spool *sp,
    struct event_base *base, pool_event_cb cb, void *arg, struct error *e)
{
	memset(&fake, 0, sizeof(fake));
	fake.cb = cb;
	fake.arg = arg;
	return (struct pool *)&fake;
}

int
pool_start(struct pool *p, struct error *e)
{
	fake.started = true;
	return 0;
}

void
pool_send(struct pool *p, int node, const struct pool_cmd *cmd)
{
	assert_true(fake.nsent < FAKE_CMDS_MAX);
	fake.sent[fake.nsent].node = node;
	fake.sent[fake.nsent].cmd = *cmd;
	fake.nsent++;
}

void
pool_watchdog(struct pool *p)
{
}

void
pool_stop(struct pool *p)
{
}

void
pool_free(struct pool *p)
{
}

/* A test's state directory, its config, and the core. */
struct fixture {
	char dir[4096];
	char conf[4200];
	struct core c;
	bool live;
	struct job finals[FINALS_MAX]; /* what on_final was told, in order */
	size_t nfinals;
};

/* The on_final hook: record each job that ended. */
static void
record_final(const struct job *j, void *arg)
{
	struct fixture *f = arg;

	assert_true(f->nfinals < FINALS_MAX);
	f->finals[f->nfinals++] = *j;
}

/* Write the config: nodes node1 (and node2 if two), max_attempts 2. */
static void
write_conf(struct fixture *f, int nodes, const char *first_node)
{
	FILE *fp = fopen(f->conf, "w");
	int i;

	assert_non_null(fp);
	fprintf(fp,
	    "state_dir = \"%s/state\";\n"
	    "max_attempts = 2;\n"
	    "tokens = ( { name = \"alpha\"; sha256 = \"%064d\"; "
	    "role = \"submit\"; },\n"
	    "  { name = \"beta\"; sha256 = \"%063d1\"; role = \"submit\"; "
	    "max_running = 1; } );\n"
	    "nodes = (",
	    f->dir, 0, 0);
	for (i = 0; i < nodes; i++)
		fprintf(fp,
		    "%s{ name = \"%s%s\"; host = \"127.0.0.1\"; port = 22; "
		    "user = \"sluice\"; identity = \"/nonexistent/id\"; "
		    "known_hosts = \"/nonexistent/known_hosts\"; "
		    "agent = [ \"/usr/local/sbin/sluice-agent\" ]; }",
		    i > 0 ? ", " : "", i == 0 ? first_node : "node",
		    i == 0 ? "" : "2");
	fprintf(fp, " );\n");
	fclose(fp);
}

/* Make the core on the fixture's state, as `sluice serve` does. */
static void
core_up(struct fixture *f)
{
	struct error e;

	error_init(&e);
	if (core_init(&f->c, f->conf, &e) == -1 || core_start(&f->c, &e) == -1)
		fail_msg("cannot start the core: %s", e.msg);
	core_on_final(&f->c, record_final, f);
	f->live = true;
}

/* Release the core: its state is only what it committed (a SIGKILL). */
static void
core_down(struct fixture *f)
{
	core_stop(&f->c);
	core_release(&f->c);
	f->live = false;
}

static int
setup_nodes(void **state, int nodes)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || helpers_mkdtemp(f->dir, sizeof(f->dir), "core") == -1)
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/sluice.conf", f->dir);
	write_conf(f, nodes, "node1");
	core_up(f);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_nodes(state, 1);
}

static int
setup2(void **state)
{
	return setup_nodes(state, 2);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->live)
		core_down(f);
	helpers_rmtree(f->dir);
	free(f);
	return 0;
}

/* A new event from node as of its current connection. */
static struct pool_ev *
ev_new(enum pool_ev_type type, int node, int64_t id, int attempt)
{
	struct pool_ev *ev = calloc(1, sizeof(*ev));

	assert_non_null(ev);
	ev->type = type;
	ev->node = node;
	ev->epoch = fake.epoch[node];
	ev->job_id = id;
	ev->attempt = attempt;
	result_init(&ev->result);
	return ev;
}

/* Play an event in, as the pool delivers it on the main thread. */
static void
deliver(struct pool_ev *ev)
{
	fake.cb(ev, fake.arg);
}

/* Node comes up (a new connection) with slots slots for python3. */
static void
node_up(int node, unsigned slots)
{
	struct pool_ev *ev;

	fake.epoch[node]++;
	ev = ev_new(POOL_EV_NODE_UP, node, 0, 0);
	snprintf(ev->info.agent_version, sizeof(ev->info.agent_version), "t");
	snprintf(ev->info.base_dir, sizeof(ev->info.base_dir), "/b");
	ev->info.slots = slots;
	ev->info.ceilings.cpu_seconds = 100;
	ev->info.ceilings.wall_seconds = 100;
	ev->info.ceilings.memory_bytes = 1e9;
	ev->info.ceilings.processes = 100;
	ev->info.ceilings.output_bytes = 1e9;
	ev->info.ceilings.disk_bytes = 1e9;
	ev->info.ceilings.open_files = 100;
	ev->info.defaults = ev->info.ceilings;
	ev->info.nruntimes = 1;
	snprintf(ev->info.runtimes[0], sizeof(ev->info.runtimes[0]), "python3");
	deliver(ev);
}

/* Node's connection is lost. */
static void
node_down(int node, const char *reason)
{
	struct pool_ev *ev = ev_new(POOL_EV_NODE_DOWN, node, 0, 0);

	snprintf(ev->reason, sizeof(ev->reason), "%s", reason);
	deliver(ev);
}

/* An event about one attempt of a job. */
static void
job_ev(enum pool_ev_type type, int node, int64_t id, int attempt)
{
	struct pool_ev *ev = ev_new(type, node, id, attempt);

	if (type == POOL_EV_JOB_STARTED)
		snprintf(ev->at, sizeof(ev->at), "2030-01-01T00:00:01.000Z");
	deliver(ev);
}

/* The attempt failed on its node, retryable or not. */
static void
job_failed(int node, int64_t id, int attempt, bool retryable,
    const char *reason)
{
	struct pool_ev *ev = ev_new(POOL_EV_JOB_FAILED, node, id, attempt);

	ev->retryable = retryable;
	snprintf(ev->reason, sizeof(ev->reason), "%s", reason);
	deliver(ev);
}

/* The attempt's results came back with verdict v. */
static void
job_collected(int node, int64_t id, int attempt, enum verdict v)
{
	struct pool_ev *ev = ev_new(POOL_EV_JOB_COLLECTED, node, id, attempt);

	ev->result.verdict = v;
	ev->result.exit_code = v == VERDICT_OK ? 0 : -1;
	ev->result.wall_seconds = 0.5;
	snprintf(ev->result.message, sizeof(ev->result.message), "%s",
	    v == VERDICT_OK ? "" : "the verdict's message");
	snprintf(ev->result.started_at, sizeof(ev->result.started_at),
	    "2030-01-01T00:00:01.000Z");
	deliver(ev);
}

/* Submit a short python3 job as tenant (0 alpha, 1 beta); its id. */
static int64_t
submit_as(struct fixture *f, size_t tenant)
{
	static const char body[] = "{\"runtime\": \"python3\", "
				   "\"source\": \"print(1)\"}";
	struct error e;
	struct job j;
	int status;

	error_init(&e);
	if (core_submit(&f->c, &f->c.set.tokens[tenant], body, strlen(body), &j,
		&status, &e) == -1)
		fail_msg("submit: %d %s", status, e.msg);
	assert_int_equal(status, 201);
	return j.id;
}

static int64_t
submit(struct fixture *f)
{
	return submit_as(f, 0);
}

/* The committed row of job id. */
static struct job
row(struct fixture *f, int64_t id)
{
	struct error e;
	struct job j;

	assert_int_equal(store_job_get(f->c.st, id, &j, &e), 0);
	return j;
}

/* Why queued job id waits, as the API shows it: worked out when asked,
   not committed. */
static const char *
waiting(struct fixture *f, int64_t id)
{
	static char reason[JOB_REASON_MAX];
	struct job j = row(f, id);

	assert_int_equal(j.phase, PHASE_QUEUED);
	core_waiting_reason(&f->c, &j, reason, sizeof(reason));
	return reason;
}

/* Check the committed state and phase of job id. */
#define assert_job(f, id, st, ph) \
	do { \
		struct job j_ = row(f, id); \
		assert_string_equal(job_state_name(j_.state), \
		    job_state_name(st)); \
		assert_string_equal(job_phase_name(j_.phase), \
		    job_phase_name(ph)); \
	} while (0)

/*
 * The next command the core sent that a test has not looked at: it must be
 * of type for job id's attempt, to node, on node's current connection.
 */
static void
expect_cmd(int node, enum pool_cmd_type type, int64_t id, int attempt)
{
	assert_true(fake.seen < fake.nsent);
	assert_int_equal(fake.sent[fake.seen].node, node);
	assert_int_equal(fake.sent[fake.seen].cmd.type, type);
	assert_int_equal(fake.sent[fake.seen].cmd.job_id, id);
	assert_int_equal(fake.sent[fake.seen].cmd.attempt, attempt);
	assert_int_equal(fake.sent[fake.seen].cmd.epoch, fake.epoch[node]);
	fake.seen++;
}

/* No command was sent since the last one a test looked at. */
static void
expect_no_cmd(void)
{
	if (fake.seen < fake.nsent)
		fail_msg("unexpected command %d for job %lld",
		    (int)fake.sent[fake.seen].cmd.type,
		    (long long)fake.sent[fake.seen].cmd.job_id);
}

/* The job ended once, as st, with a reason that starts with reason. */
static void
expect_final(struct fixture *f, int64_t id, enum job_state st,
    const char *reason)
{
	struct job j = row(f, id);
	size_t i, n = 0;

	assert_string_equal(job_state_name(j.state), job_state_name(st));
	assert_int_equal(j.phase, PHASE_DONE);
	assert_true(j.finished_at[0] != '\0');
	if (strncmp(j.reason, reason, strlen(reason)) != 0)
		fail_msg("reason '%s', want '%s...'", j.reason, reason);
	for (i = 0; i < f->nfinals; i++)
		if (f->finals[i].id == id) {
			assert_int_equal(f->finals[i].state, st);
			n++;
		}
	assert_int_equal(n, 1);
}

/* Submit a job that node 0 starts staging at once (attempt 1). */
static int64_t
staging_job(struct fixture *f)
{
	int64_t id = submit(f);

	expect_cmd(0, POOL_CMD_START, id, 1);
	return id;
}

/* Cancel job id, which has not ended: the job as the core answers. */
static struct job
cancel(struct fixture *f, int64_t id)
{
	struct error e;
	struct job j;

	if (core_cancel(&f->c, id, &j, &e) == -1)
		fail_msg("cancel: %s", e.msg);
	return j;
}

/* The attempt failed, and the core cleans its directory. */
static void
job_failed_cleaned(int node, int64_t id, int attempt, bool retryable,
    const char *reason)
{
	job_failed(node, id, attempt, retryable, reason);
	expect_cmd(node, POOL_CMD_CLEAN, id, attempt);
}

/* Take job id from submission to running on node 0 (attempt 1). */
static int64_t
running_job(struct fixture *f)
{
	int64_t id = staging_job(f);

	job_ev(POOL_EV_JOB_ACCEPTED, 0, id, 1);
	job_ev(POOL_EV_JOB_STARTED, 0, id, 1);
	assert_job(f, id, JOB_RUNNING, PHASE_RUNNING);
	return id;
}

/* Take job id on to collecting. */
static int64_t
collecting_job(struct fixture *f)
{
	int64_t id = running_job(f);

	job_ev(POOL_EV_JOB_FINISHED, 0, id, 1);
	expect_cmd(0, POOL_CMD_COLLECT, id, 1);
	assert_job(f, id, JOB_COMPLETING, PHASE_COLLECTING);
	return id;
}

/* A job's whole life: each state committed before the command for it. */
static void
core__job_life__completed(void **state)
{
	struct fixture *f = *state;
	struct job j;
	int64_t id;

	node_up(0, 1);
	expect_no_cmd();
	id = staging_job(f);
	j = row(f, id);
	assert_job(f, id, JOB_PENDING, PHASE_STAGING);
	assert_string_equal(j.reason, "staging on node1");
	assert_string_equal(j.node, "node1");
	assert_int_equal(j.attempts, 1);
	job_ev(POOL_EV_JOB_ACCEPTED, 0, id, 1);
	assert_job(f, id, JOB_RUNNING, PHASE_RUNNING);
	job_ev(POOL_EV_JOB_STARTED, 0, id, 1);
	assert_string_equal(row(f, id).started_at, "2030-01-01T00:00:01.000Z");
	job_ev(POOL_EV_JOB_FINISHED, 0, id, 1);
	assert_job(f, id, JOB_COMPLETING, PHASE_COLLECTING);
	expect_cmd(0, POOL_CMD_COLLECT, id, 1);
	assert_int_equal(f->nfinals, 0);
	job_collected(0, id, 1, VERDICT_OK);
	expect_final(f, id, JOB_COMPLETED, "");
	j = row(f, id);
	assert_true(j.has_result);
	assert_string_equal(j.verdict, "ok");
	assert_int_equal(j.exit_code, 0);
	assert_int_equal(j.attempts, 1);
	expect_cmd(0, POOL_CMD_CLEAN, id, 1);
	expect_no_cmd();
}

/* Make the store's writes fail (a full disk: the database file may not
   grow), or let them succeed again. */
static void
store_full(bool full)
{
	struct rlimit rl;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = full ? 1 : rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* Run the core's loop until its next tick has passed. */
static void
tick(struct fixture *f)
{
	struct timeval tv = { 0, 700 * 1000 };

	event_base_loopexit(f->c.base, &tv);
	event_base_dispatch(f->c.base);
}

/* What a batched submission was answered. */
struct answer {
	int calls;
	int status;
	int64_t id;
	char msg[256];
};

static void
record_answer(struct core *c, const struct job *j, int status,
    const struct error *e, void *arg)
{
	struct answer *a = arg;

	(void)c;
	a->calls++;
	a->status = status;
	a->id = j != NULL ? j->id : 0;
	snprintf(a->msg, sizeof(a->msg), "%s", e != NULL ? e->msg : "");
}

/* Submit into the batch as tenant 0; the call's return. */
static int
submit_batched(struct fixture *f, const char *body, struct answer *a,
    int *status)
{
	struct error e;

	error_init(&e);
	memset(a, 0, sizeof(*a));
	return core_submit_batched(&f->c, &f->c.set.tokens[0], body,
	    strlen(body), record_answer, a, status, &e);
}

/* The rows of a table, counted through a connection of the test's own
   (so only what is committed). */
static int
rows_in(struct fixture *f, const char *table)
{
	char path[4300], sql[64];
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	snprintf(path, sizeof(path), "%s/state/sluice.db", f->dir);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * Submissions of one turn of the loop are one commit: none is answered,
 * queued or visible to another reader before it, a refused one leaves the
 * others be, and after it each is answered 201 with its own job.
 */
static void
core__submit_batch__answered_once_committed(void **state)
{
	static const char ok[] = "{\"runtime\": \"python3\", "
				 "\"source\": \"print(1)\"}";
	static const char nowhere[] = "{\"runtime\": \"cobol\", "
				      "\"source\": \"x\"}";
	struct fixture *f = *state;
	struct answer a, b, c;
	int status;

	node_up(0, 1);
	assert_int_equal(submit_batched(f, ok, &a, &status), 0);
	assert_int_equal(submit_batched(f, nowhere, &c, &status), -1);
	assert_int_equal(status, 422);
	assert_int_equal(submit_batched(f, ok, &b, &status), 0);
	assert_int_equal(a.calls + b.calls + c.calls, 0);
	assert_int_equal(f->c.nqueue, 0);
	assert_int_equal(rows_in(f, "jobs"), 0);
	expect_no_cmd();
	core_batch_flush(&f->c);
	assert_int_equal(rows_in(f, "jobs"), 2);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 0);
	assert_int_equal(a.status, 201);
	assert_int_equal(b.status, 201);
	assert_true(a.id > 0 && b.id > a.id);
	/* Queued in order: the first takes the only slot. */
	expect_cmd(0, POOL_CMD_START, a.id, 1);
	expect_no_cmd();
	assert_job(f, b.id, JOB_PENDING, PHASE_QUEUED);
	/* Flushing an empty batch does nothing. */
	core_batch_flush(&f->c);
	assert_int_equal(a.calls + b.calls, 2);
}

/*
 * A batch whose commit fails: every submission in it is answered 500 or
 * 507 with the reason, none is queued or kept, and the next one works.
 */
static void
core__submit_batch__commit_fails__all_refused(void **state)
{
	static const char big[] = "{\"runtime\": \"python3\", "
				  "\"source\": \"print(1)\"}";
	struct fixture *f = *state;
	struct answer a, b;
	int status;
	int64_t id;

	node_up(0, 1);
	(void)running_job(f);
	assert_int_equal(submit_batched(f, big, &a, &status), 0);
	assert_int_equal(submit_batched(f, big, &b, &status), 0);
	store_full(true);
	core_batch_flush(&f->c);
	store_full(false);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_true(a.status == 500 || a.status == 507);
	assert_int_equal(b.status, a.status);
	assert_true(strlen(a.msg) > 0);
	assert_int_equal(f->c.nqueue, 0);
	assert_int_equal(rows_in(f, "jobs"), 1);
	id = submit(f);
	assert_job(f, id, JOB_PENDING, PHASE_QUEUED);
	assert_int_equal(rows_in(f, "jobs"), 2);
}

/* Whether job id has its inputs in the spool. */
static bool
spool_inputs(struct fixture *f, int64_t id)
{
	char path[4400];

	snprintf(path, sizeof(path), "%s/state/spool/%lld/in/job.json", f->dir,
	    (long long)id);
	return access(path, F_OK) == 0;
}

/*
 * A small body is kept in the store until the job ends, and its inputs
 * written to the spool when it is placed; a large one goes to the spool
 * at once and is not kept in the store.
 */
static void
core__submit_bodies__small_in_store_large_in_spool(void **state)
{
	struct fixture *f = *state;
	char *body;
	struct error e;
	struct job j;
	size_t n = 70 * 1024;
	int status;
	int64_t small;

	node_up(0, 1);
	(void)running_job(f); /* its body kept while it runs */
	assert_int_equal(rows_in(f, "submissions"), 1);
	small = submit(f);
	assert_int_equal(rows_in(f, "submissions"), 2);
	assert_false(spool_inputs(f, small));
	body = malloc(n + 64);
	assert_non_null(body);
	snprintf(body, 64, "{\"runtime\": \"python3\", \"source\": \"#");
	memset(body + strlen(body), 'x', n);
	memcpy(body + 35 + n, "\"}", 3);
	error_init(&e);
	if (core_submit(&f->c, &f->c.set.tokens[0], body, strlen(body), &j,
		&status, &e) == -1)
		fail_msg("submit: %d %s", status, e.msg);
	free(body);
	assert_int_equal(rows_in(f, "submissions"), 2);
	assert_true(spool_inputs(f, j.id));
	/* Placed: the small one's inputs are written; its body is kept
	   until it ends. */
	job_ev(POOL_EV_JOB_FINISHED, 0, 1, 1);
	expect_cmd(0, POOL_CMD_COLLECT, 1, 1);
	expect_cmd(0, POOL_CMD_START, small, 1);
	assert_true(spool_inputs(f, small));
	assert_int_equal(rows_in(f, "submissions"), 2);
	assert_int_equal(core_cancel(&f->c, small, &j, &e), 0);
	expect_cmd(0, POOL_CMD_CANCEL, small, 1);
	job_ev(POOL_EV_JOB_FAILED, 0, small, 1);
	expect_final(f, small, JOB_CANCELLED, "");
	assert_int_equal(rows_in(f, "submissions"), 1);
}

/*
 * A queued job whose body no longer passes the limits (lowered since it
 * was accepted) fails alone when its turn comes: the rest are placed and
 * submissions taken as before.
 */
static void
core__limits_lowered__queued_job_fails_alone(void **state)
{
	struct fixture *f = *state;
	int64_t a, b, c;

	node_up(0, 1);
	a = running_job(f);
	b = submit(f);
	c = submit(f);
	f->c.set.caps.max_file_bytes = 4;
	job_ev(POOL_EV_JOB_FINISHED, 0, a, 1);
	expect_cmd(0, POOL_CMD_COLLECT, a, 1);
	expect_final(f, b, JOB_FAILED, "its submission no longer passes");
	expect_final(f, c, JOB_FAILED, "its submission no longer passes");
	expect_no_cmd();
	assert_false(f->c.store_failing);
	f->c.set.caps.max_file_bytes = 1024;
	c = submit(f);
	expect_cmd(0, POOL_CMD_START, c, 1);
}

/*
 * An end whose commit fails: kept in memory and committed at a tick, and
 * until then neither answered (on_final, views) nor cleaned on its node;
 * a queued job's cancel is refused (it could not be kept), and nothing is
 * placed.
 */
static void
core__end_not_committed__held_until_committed(void **state)
{
	struct fixture *f = *state;
	struct error e;
	struct job j;
	int64_t id, other, queued;

	node_up(0, 1);
	id = collecting_job(f);
	other = running_job(f);
	queued = submit(f);
	expect_no_cmd();
	store_full(true);
	job_collected(0, id, 1, VERDICT_OK);
	assert_true(f->c.store_failing);
	assert_int_equal(f->nfinals, 0);
	expect_no_cmd(); /* no clean */
	/* A slot frees while failing: nothing is placed. */
	job_ev(POOL_EV_JOB_FINISHED, 0, other, 1);
	expect_cmd(0, POOL_CMD_COLLECT, other, 1);
	expect_no_cmd();
	assert_int_equal(core_job_view(&f->c, id, &j, &e), 0);
	assert_int_equal(j.state, JOB_COMPLETING);
	assert_int_equal(core_job_get(&f->c, id, &j, &e), 0);
	assert_int_equal(j.state, JOB_COMPLETED);
	assert_int_equal(core_cancel(&f->c, queued, &j, &e), -1);
	assert_int_equal(e.code, ERR_BUSY);
	tick(f);
	assert_int_equal(f->nfinals, 0); /* still failing */
	store_full(false);
	tick(f);
	expect_final(f, id, JOB_COMPLETED, "");
	assert_false(f->c.store_failing);
	expect_cmd(0, POOL_CMD_CLEAN, id, 1);
	expect_cmd(0, POOL_CMD_START, queued, 1);
	expect_no_cmd();
}

/* The agent's finish frees the slot: the next job starts while the
   first one's results come back. */
static void
core__finished__slot_freed_for_next(void **state)
{
	struct fixture *f = *state;
	int64_t a, b;

	node_up(0, 1);
	a = running_job(f);
	b = submit(f);
	expect_no_cmd();
	assert_string_equal(waiting(f, b),
	    "waiting for a free slot: every node offering 'python3' is busy "
	    "(node1 busy 1/1)");
	job_ev(POOL_EV_JOB_FINISHED, 0, a, 1);
	expect_cmd(0, POOL_CMD_COLLECT, a, 1);
	expect_cmd(0, POOL_CMD_START, b, 1);
	assert_job(f, b, JOB_PENDING, PHASE_STAGING);
}

/* Cancel while queued: CANCELLED at once, and never sent anywhere. */
static void
core__cancel_queued__cancelled_at_once(void **state)
{
	struct fixture *f = *state;
	struct job j;
	int64_t id;

	id = submit(f); /* no node is up: it waits */
	assert_job(f, id, JOB_PENDING, PHASE_QUEUED);
	j = cancel(f, id);
	assert_int_equal(j.state, JOB_CANCELLED);
	expect_final(f, id, JOB_CANCELLED, "cancelled before it ran");
	node_up(0, 1);
	expect_no_cmd();
	assert_int_equal(row(f, id).attempts, 0);
}

/* Cancel while staging: the node is told, and the job ends CANCELLED
   when the agent's verdict comes back. */
static void
core__cancel_staging__cancel_sent(void **state)
{
	struct fixture *f = *state;
	struct job j;
	int64_t id;

	node_up(0, 1);
	id = staging_job(f);
	j = cancel(f, id);
	assert_true(j.cancel_requested);
	assert_string_equal(row(f, id).reason, "cancelling");
	assert_job(f, id, JOB_PENDING, PHASE_STAGING);
	expect_cmd(0, POOL_CMD_CANCEL, id, 1);
	job_ev(POOL_EV_JOB_FINISHED, 0, id, 1);
	expect_cmd(0, POOL_CMD_COLLECT, id, 1);
	job_collected(0, id, 1, VERDICT_CANCELLED);
	expect_final(f, id, JOB_CANCELLED, "the verdict's message");
	expect_cmd(0, POOL_CMD_CLEAN, id, 1);
}

/* Cancel while staging, then the attempt fails: CANCELLED, not retried. */
static void
core__cancel_staging_then_failure__cancelled(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	node_up(0, 1);
	id = staging_job(f);
	cancel(f, id);
	expect_cmd(0, POOL_CMD_CANCEL, id, 1);
	job_failed_cleaned(0, id, 1, true, "the agent was killed");
	expect_final(f, id, JOB_CANCELLED, "cancelled");
	expect_no_cmd();
}

/* Cancel while running: the node is told; the verdict ends it. */
static void
core__cancel_running__cancelled(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	node_up(0, 1);
	id = running_job(f);
	cancel(f, id);
	expect_cmd(0, POOL_CMD_CANCEL, id, 1);
	assert_job(f, id, JOB_RUNNING, PHASE_RUNNING);
	/* A second DELETE changes nothing and sends the cancel again. */
	cancel(f, id);
	expect_cmd(0, POOL_CMD_CANCEL, id, 1);
	job_ev(POOL_EV_JOB_FINISHED, 0, id, 1);
	expect_cmd(0, POOL_CMD_COLLECT, id, 1);
	job_collected(0, id, 1, VERDICT_CANCELLED);
	expect_final(f, id, JOB_CANCELLED, "the verdict's message");
	assert_string_equal(row(f, id).verdict, "cancelled");
}

/* Cancel while the results come back: nothing to stop on the node, and
   the job still ends CANCELLED, its verdict what the program did. */
static void
core__cancel_collecting__cancelled_with_verdict(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	node_up(0, 1);
	id = collecting_job(f);
	cancel(f, id);
	expect_no_cmd();
	job_collected(0, id, 1, VERDICT_OK);
	expect_final(f, id, JOB_CANCELLED,
	    "cancelled while its results came back");
	assert_string_equal(row(f, id).verdict, "ok");
}

/* Cancel after the end: ERR_STATE, and the job is untouched. */
static void
core__cancel_ended__state_error(void **state)
{
	struct fixture *f = *state;
	struct error e;
	struct job j;
	int64_t id;

	node_up(0, 1);
	id = collecting_job(f);
	job_collected(0, id, 1, VERDICT_OK);
	assert_int_equal(core_cancel(&f->c, id, &j, &e), -1);
	assert_int_equal(e.code, ERR_STATE);
	expect_final(f, id, JOB_COMPLETED, "");
}

/* Cancel on a node that is lost meanwhile: CANCELLED, never requeued. */
static void
core__cancel_then_node_lost__cancelled(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	node_up(0, 1);
	id = running_job(f);
	cancel(f, id);
	expect_cmd(0, POOL_CMD_CANCEL, id, 1);
	node_down(0, "connection reset");
	expect_final(f, id, JOB_CANCELLED, "cancelled");
	node_up(0, 1);
	expect_no_cmd();
}

/* A queued job is not touched by the loss of a node. */
static void
core__node_lost_queued__still_queued(void **state)
{
	struct fixture *f = *state;
	int64_t a, b;

	node_up(0, 1);
	a = running_job(f);
	b = submit(f);
	node_down(0, "connection reset");
	assert_job(f, b, JOB_PENDING, PHASE_QUEUED);
	assert_int_equal(row(f, b).attempts, 0);
	assert_job(f, a, JOB_PENDING, PHASE_QUEUED);
	assert_int_equal(f->nfinals, 0);
}

/* The node lost in each placed phase: the job is queued again, and the
   next connection starts attempt 2. */
static void
node_lost_in(struct fixture *f, enum job_phase phase)
{
	struct job j;
	int64_t id;

	node_up(0, 1);
	if (phase == PHASE_STAGING) {
		id = staging_job(f);
	} else if (phase == PHASE_RUNNING)
		id = running_job(f);
	else
		id = collecting_job(f);
	assert_job(f, id, job_phase_state(phase), phase);
	node_down(0, "no answer from the node for 3.0 s");
	j = row(f, id);
	assert_job(f, id, JOB_PENDING, PHASE_QUEUED);
	/* The scheduler says why it waits now. */
	assert_string_equal(waiting(f, id),
	    "every node offering 'python3' is down (node1 down)");
	assert_int_equal(j.attempts, 1);
	expect_no_cmd();
	node_up(0, 1);
	expect_cmd(0, POOL_CMD_START, id, 2);
	assert_int_equal(row(f, id).attempts, 2);
	/* The second loss uses up max_attempts (2): NODE_FAIL. */
	node_down(0, "connection reset");
	expect_final(f, id, JOB_NODE_FAIL,
	    "node lost after 2 attempts: node node1 lost: connection reset");
	node_up(0, 1);
	expect_no_cmd();
}

static void
core__node_lost_staging__requeued(void **state)
{
	node_lost_in(*state, PHASE_STAGING);
}

static void
core__node_lost_running__requeued(void **state)
{
	node_lost_in(*state, PHASE_RUNNING);
}

static void
core__node_lost_collecting__requeued(void **state)
{
	node_lost_in(*state, PHASE_COLLECTING);
}

/* A requeued job's attempt start is cleared while it waits and is its
   new attempt's once that starts; started_at stays the first start. */
static void
core__requeued__attempt_started_at_reset(void **state)
{
	struct fixture *f = *state;
	struct pool_ev *ev;
	struct job j;
	int64_t id;

	node_up(0, 1);
	id = running_job(f);
	j = row(f, id);
	assert_string_equal(j.started_at, "2030-01-01T00:00:01.000Z");
	assert_string_equal(j.attempt_started_at, "2030-01-01T00:00:01.000Z");
	node_down(0, "connection reset");
	j = row(f, id);
	assert_job(f, id, JOB_PENDING, PHASE_QUEUED);
	assert_string_equal(j.started_at, "2030-01-01T00:00:01.000Z");
	assert_string_equal(j.attempt_started_at, "");
	node_up(0, 1);
	expect_cmd(0, POOL_CMD_START, id, 2);
	job_ev(POOL_EV_JOB_ACCEPTED, 0, id, 2);
	ev = ev_new(POOL_EV_JOB_STARTED, 0, id, 2);
	snprintf(ev->at, sizeof(ev->at), "2030-01-01T00:05:00.000Z");
	deliver(ev);
	j = row(f, id);
	assert_string_equal(j.started_at, "2030-01-01T00:00:01.000Z");
	assert_string_equal(j.attempt_started_at, "2030-01-01T00:05:00.000Z");
	/* A started event seen again (a re-attach) changes nothing. */
	ev = ev_new(POOL_EV_JOB_STARTED, 0, id, 2);
	snprintf(ev->at, sizeof(ev->at), "2030-01-01T00:09:00.000Z");
	deliver(ev);
	assert_string_equal(row(f, id).attempt_started_at,
	    "2030-01-01T00:05:00.000Z");
}

/* A requeued job goes to another node that is up. */
static void
core__node_lost__runs_on_other_node(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	node_up(0, 1);
	id = running_job(f);
	node_up(1, 1);
	node_down(0, "connection reset");
	expect_cmd(1, POOL_CMD_START, id, 2);
	assert_string_equal(row(f, id).node, "node2");
}

/* Events from an attempt that was requeued are stale: ignored. */
static void
core__stale_attempt_events__ignored(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	node_up(0, 1);
	id = running_job(f);
	node_down(0, "connection reset");
	node_up(0, 1);
	expect_cmd(0, POOL_CMD_START, id, 2);
	job_ev(POOL_EV_JOB_FINISHED, 0, id, 1);
	job_collected(0, id, 1, VERDICT_OK);
	assert_job(f, id, JOB_PENDING, PHASE_STAGING);
	expect_no_cmd();
	assert_int_equal(f->nfinals, 0);
}

/* A retryable failure is tried again; one that is not ends FAILED. */
static void
core__failures__retried_or_failed(void **state)
{
	struct fixture *f = *state;
	int64_t a, b;

	node_up(0, 1);
	a = staging_job(f);
	job_failed_cleaned(0, a, 1, true, "cannot upload");
	expect_cmd(0, POOL_CMD_START, a, 2);
	job_failed_cleaned(0, a, 2, true, "cannot upload");
	expect_final(f, a, JOB_FAILED,
	    "failed after 2 attempts: cannot upload");
	b = staging_job(f);
	job_failed_cleaned(0, b, 1, false, "the agent refused the manifest");
	expect_final(f, b, JOB_FAILED, "the agent refused the manifest");
	expect_no_cmd();
}

/* A sandbox error is the node's fault: the job runs again. */
static void
core__sandbox_error__retried(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	node_up(0, 1);
	id = collecting_job(f);
	job_collected(0, id, 1, VERDICT_SANDBOX_ERROR);
	expect_cmd(0, POOL_CMD_CLEAN, id, 1);
	expect_cmd(0, POOL_CMD_START, id, 2);
	assert_job(f, id, JOB_PENDING, PHASE_STAGING);
	assert_int_equal(f->nfinals, 0);
}

/* A node that comes up lists its job directories: every one that is not
   a placed attempt there is purged. */
static void
core__node_dirs__abandoned_purged(void **state)
{
	struct fixture *f = *state;
	struct pool_ev *ev;
	int64_t id;

	node_up(0, 1);
	id = running_job(f);
	ev = ev_new(POOL_EV_NODE_DIRS, 0, 0, 0);
	ev->ndirs = 3;
	ev->dir_ids = calloc(3, sizeof(*ev->dir_ids));
	ev->dir_attempts = calloc(3, sizeof(int));
	assert_non_null(ev->dir_ids);
	assert_non_null(ev->dir_attempts);
	ev->dir_ids[0] = id; /* the placed attempt: kept */
	ev->dir_attempts[0] = 1;
	ev->dir_ids[1] = id; /* an older attempt of it */
	ev->dir_attempts[1] = 7;
	ev->dir_ids[2] = 999; /* a job that ended */
	ev->dir_attempts[2] = 1;
	deliver(ev);
	expect_cmd(0, POOL_CMD_PURGE, id, 7);
	expect_cmd(0, POOL_CMD_PURGE, 999, 1);
	expect_no_cmd();
}

/* A drained node takes no new job; resumed, it does again. */
static void
core__drain__no_new_jobs(void **state)
{
	struct fixture *f = *state;
	struct error e;
	int64_t a, b;

	node_up(0, 2);
	a = running_job(f);
	assert_int_equal(core_drain(&f->c, "node1", true, "disk swap", &e), 0);
	assert_int_equal(f->c.nodes[0].state, SCHED_DRAINING);
	b = submit(f);
	expect_no_cmd();
	job_ev(POOL_EV_JOB_FINISHED, 0, a, 1);
	expect_cmd(0, POOL_CMD_COLLECT, a, 1);
	assert_int_equal(f->c.nodes[0].state, SCHED_DRAINED);
	assert_int_equal(core_drain(&f->c, "node1", false, NULL, &e), 0);
	expect_cmd(0, POOL_CMD_START, b, 1);
	assert_int_equal(core_drain(&f->c, "nope", true, NULL, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
}

#ifndef CORE_TEST_QUEUE
#define CORE_TEST_QUEUE 100000
#endif

/* Queue n jobs of a tenant straight into the store, in one transaction
   (as if submitted); with distinct, each asks for its own wall limit, so
   that each is a class of its own.  Returns the first id. */
static int64_t
queue_rows_as(struct fixture *f, const char *tenant, size_t n, bool distinct)
{
	struct error e;
	struct job j;
	int64_t first = 0;
	size_t i;

	assert_int_equal(store_begin(f->c.st, &e), 0);
	for (i = 0; i < n; i++) {
		memset(&j, 0, sizeof(j));
		snprintf(j.tenant, sizeof(j.tenant), "%s", tenant);
		snprintf(j.runtime, sizeof(j.runtime), "python3");
		snprintf(j.labels, sizeof(j.labels), "[]");
		if (distinct)
			snprintf(j.limits, sizeof(j.limits),
			    "{\"wall_seconds\":%.3f}", 1 + (double)i / 1000);
		else
			snprintf(j.limits, sizeof(j.limits), "{}");
		snprintf(j.reason, sizeof(j.reason), "queued");
		snprintf(j.submitted_at, sizeof(j.submitted_at),
		    "2030-01-01T00:00:00.000Z");
		j.state = JOB_PENDING;
		j.phase = PHASE_QUEUED;
		assert_int_equal(store_job_insert(f->c.st, &j, &e), 0);
		if (i == 0)
			first = j.id;
	}
	assert_int_equal(store_commit(f->c.st, &e), 0);
	return first;
}

static int64_t
queue_rows(struct fixture *f, const char *tenant, size_t n)
{
	return queue_rows_as(f, tenant, n, false);
}

/*
 * A tenant whose every job is a class of its own (a wall limit each): the
 * classes are found by hash, placement is still oldest first, and classes
 * emptied by placements and cancels are freed without losing the others.
 */
static void
core__many_classes__oldest_first(void **state)
{
	struct fixture *f = *state;
	int64_t first, i, running;
	struct job j;

	first = queue_rows_as(f, "alpha", 5000, true);
	core_down(f);
	core_up(f);
	assert_int_equal(f->c.nclasses, 5000);
	/* Cancels in the middle free their classes (the last class moves
	   into the freed slot, and its bucket must follow). */
	for (i = 10; i < 20; i++)
		cancel(f, first + i);
	assert_int_equal(f->c.nclasses, 4990);
	assert_int_equal(f->c.nqueue, 4990);
	node_up(0, 1);
	expect_cmd(0, POOL_CMD_START, first, 1);
	running = first;
	for (i = 1; i < 40; i++) {
		if (i >= 10 && i < 20)
			continue;
		job_ev(POOL_EV_JOB_FINISHED, 0, running, 1);
		expect_cmd(0, POOL_CMD_COLLECT, running, 1);
		expect_cmd(0, POOL_CMD_START, first + i, 1);
		running = first + i;
	}
	expect_no_cmd();
	assert_int_equal(f->c.nqueue, 4990 - 30);
	assert_int_equal(f->c.nclasses, 4990 - 30);
	assert_int_equal(core_job_get(&f->c, first + 4999, &j, NULL), 0);
	assert_int_equal(j.phase, PHASE_QUEUED);
}

/*
 * A queue of 100,000 jobs (the default max_pending_total), recovered at
 * start-up: placement is still oldest first within a tenant, fair between
 * tenants and within running quotas, and a pass looks only at the head of
 * each class of jobs.
 */
static void
core__queue_100k__order_and_fairness(void **state)
{
	struct fixture *f = *state;
	int64_t first_a, first_b;

	first_a = queue_rows(f, "alpha", CORE_TEST_QUEUE - 3);
	first_b = queue_rows(f, "beta", 3);
	core_down(f);
	core_up(f);
	assert_int_equal(f->c.nqueue, CORE_TEST_QUEUE);
	assert_int_equal(f->c.nclasses, 2);
	expect_no_cmd();
	/* A full queue refuses the next submission (429). */
	{
		static const char body[] = "{\"runtime\": \"python3\", "
					   "\"source\": \"print(1)\"}";
		struct error e;
		struct job j;
		int status;

		assert_int_equal(core_submit(&f->c, &f->c.set.tokens[0], body,
				     strlen(body), &j, &status, &e),
		    -1);
		assert_int_equal(status, 429);
	}
	/* Two slots: the oldest of each tenant, the older tenant's first. */
	node_up(0, 2);
	expect_cmd(0, POOL_CMD_START, first_a, 1);
	expect_cmd(0, POOL_CMD_START, first_b, 1);
	expect_no_cmd();
	/* A slot frees: a tie in jobs placed (both still collect), so the
	   tenant served longer ago goes, with its oldest. */
	job_ev(POOL_EV_JOB_FINISHED, 0, first_a, 1);
	expect_cmd(0, POOL_CMD_COLLECT, first_a, 1);
	expect_cmd(0, POOL_CMD_START, first_a + 1, 1);
	/* beta is at its running quota (1) while its job collects. */
	job_ev(POOL_EV_JOB_FINISHED, 0, first_b, 1);
	expect_cmd(0, POOL_CMD_COLLECT, first_b, 1);
	expect_cmd(0, POOL_CMD_START, first_a + 2, 1);
	assert_string_equal(waiting(f, first_b + 1),
	    "tenant 'beta' is at its running quota (max_running 1)");
	job_collected(0, first_b, 1, VERDICT_OK);
	expect_cmd(0, POOL_CMD_CLEAN, first_b, 1);
	expect_no_cmd();
	assert_string_equal(waiting(f, first_b + 1),
	    "waiting for a free slot: every node offering 'python3' is busy "
	    "(node1 busy 2/2)");
	/* The next free slot goes to beta, which has none placed. */
	job_ev(POOL_EV_JOB_FINISHED, 0, first_a + 1, 1);
	expect_cmd(0, POOL_CMD_COLLECT, first_a + 1, 1);
	expect_cmd(0, POOL_CMD_START, first_b + 1, 1);
	expect_no_cmd();
	assert_int_equal(f->c.nqueue, CORE_TEST_QUEUE - 5);
}

/* A tenant at its running quota waits, and says so; others go on. */
static void
core__running_quota__tenant_waits(void **state)
{
	struct fixture *f = *state;
	int64_t a, b, c;

	node_up(0, 3);
	a = submit_as(f, 1);
	expect_cmd(0, POOL_CMD_START, a, 1);
	b = submit_as(f, 1);
	expect_no_cmd();
	assert_string_equal(waiting(f, b),
	    "tenant 'beta' is at its running quota (max_running 1)");
	c = submit_as(f, 0);
	expect_cmd(0, POOL_CMD_START, c, 1);
	job_failed_cleaned(0, a, 1, false, "refused");
	expect_cmd(0, POOL_CMD_START, b, 1);
}

/* A restart with a job in every phase: queued ones wait, placed ones are
   recovered on their node once it is up (collecting ones collected), and
   each still ends once, in its first attempt. */
static void
core__restart__every_phase_recovered(void **state)
{
	struct fixture *f = *state;
	int64_t staging, running, collecting, queued;

	node_up(0, 2);
	collecting = collecting_job(f);
	running = running_job(f);
	staging = staging_job(f);
	queued = submit(f);
	expect_no_cmd();

	core_down(f);
	core_up(f);
	assert_int_equal(f->c.nactive, 3);
	assert_int_equal(f->c.nqueue, 1);
	expect_no_cmd();
	node_up(0, 2);
	/* Recovered in the order of their phases in the store. */
	expect_cmd(0, POOL_CMD_RECOVER, staging, 1);
	expect_cmd(0, POOL_CMD_RECOVER, running, 1);
	expect_cmd(0, POOL_CMD_COLLECT, collecting, 1);
	expect_no_cmd();
	assert_job(f, queued, JOB_PENDING, PHASE_QUEUED);

	job_collected(0, collecting, 1, VERDICT_OK);
	expect_final(f, collecting, JOB_COMPLETED, "");
	expect_cmd(0, POOL_CMD_CLEAN, collecting, 1);
	job_ev(POOL_EV_JOB_ACCEPTED, 0, staging, 1);
	job_ev(POOL_EV_JOB_FINISHED, 0, running, 1);
	expect_cmd(0, POOL_CMD_COLLECT, running, 1);
	expect_cmd(0, POOL_CMD_START, queued, 1);
	job_collected(0, running, 1, VERDICT_OK);
	expect_final(f, running, JOB_COMPLETED, "");
	assert_int_equal(row(f, running).attempts, 1);
	assert_int_equal(row(f, staging).attempts, 1);
	assert_job(f, staging, JOB_RUNNING, PHASE_RUNNING);
}

/* A restart, then the node cannot be reached: its jobs wait for it for
   twice connect_timeout + io_timeout (its first attempts may only be
   slow), then go back to the queue (a cancel asked for before the restart
   still holds). */
static void
core__restart_node_unreachable__requeued(void **state)
{
	struct fixture *f = *state;
	struct job j;
	int64_t a, b;
	FILE *fp;

	node_up(0, 2);
	a = running_job(f);
	b = running_job(f);
	cancel(f, b);
	expect_cmd(0, POOL_CMD_CANCEL, b, 1);
	core_down(f);
	/* A grace of 2 x (0.1 + 0.1) s. */
	assert_non_null(fp = fopen(f->conf, "a"));
	fprintf(fp,
	    "connect_timeout_seconds = 0.1;\n"
	    "io_timeout_seconds = 0.1;\n");
	fclose(fp);
	core_up(f);
	node_down(0, "cannot connect to 127.0.0.1:22: Connection refused");
	assert_job(f, a, JOB_RUNNING, PHASE_RUNNING);
	assert_int_equal(f->nfinals, 0);
	tick(f);
	tick(f);
	j = row(f, a);
	assert_job(f, a, JOB_PENDING, PHASE_QUEUED);
	assert_int_equal(j.attempts, 1);
	expect_final(f, b, JOB_CANCELLED, "cancelled");
	node_up(0, 2);
	expect_cmd(0, POOL_CMD_START, a, 2);
}

/* A restart, then the node's first attempt fails, and the next comes
   within the grace: its job is found again, not run a second time. */
static void
core__restart_node_slow__recovered(void **state)
{
	struct fixture *f = *state;
	int64_t a;

	node_up(0, 2);
	a = running_job(f);
	core_down(f);
	core_up(f);
	node_down(0, "agent info: sent nothing and did not end for 5000 ms");
	tick(f);
	assert_job(f, a, JOB_RUNNING, PHASE_RUNNING);
	node_up(0, 2);
	expect_cmd(0, POOL_CMD_RECOVER, a, 1);
	assert_int_equal(row(f, a).attempts, 1);
}

/* A restart after the job's node left the configuration: it runs again
   elsewhere. */
static void
core__restart_node_removed__requeued(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	node_up(0, 1);
	id = running_job(f);
	core_down(f);
	write_conf(f, 1, "node9");
	core_up(f);
	assert_job(f, id, JOB_PENDING, PHASE_QUEUED);
	assert_string_equal(row(f, id).reason,
	    "requeued: its node is no longer configured");
	node_up(0, 1);
	expect_cmd(0, POOL_CMD_START, id, 2);
	assert_string_equal(row(f, id).node, "node9");
}

/* The SLURM node kind: one login node "hpc" with max_jobs 10. */
static int
setup_slurm(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *fp;

	if (f == NULL || helpers_mkdtemp(f->dir, sizeof(f->dir), "core") == -1)
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/sluice.conf", f->dir);
	fp = fopen(f->conf, "w");
	assert_non_null(fp);
	fprintf(fp,
	    "state_dir = \"%s/state\";\n"
	    "max_attempts = 2;\n"
	    "tokens = ( { name = \"alpha\"; sha256 = \"%064d\"; "
	    "role = \"submit\"; } );\n"
	    "nodes = ( { name = \"hpc\"; kind = \"slurm\"; "
	    "host = \"127.0.0.1\"; user = \"sluice\"; "
	    "identity = \"/nonexistent/id\"; "
	    "known_hosts = \"/nonexistent/known_hosts\"; "
	    "agent = [ \"/shared/sluice-agent\" ]; "
	    "slurm = { max_jobs = 10; }; } );\n",
	    f->dir, 0);
	fclose(fp);
	core_up(f);
	*state = f;
	return 0;
}

/* sbatch took attempt of job id as SLURM job sid. */
static void
slurm_submitted(int64_t id, int attempt, const char *sid)
{
	struct pool_ev *ev = ev_new(POOL_EV_JOB_SUBMITTED, 0, id, attempt);

	snprintf(ev->slurm_id, sizeof(ev->slurm_id), "%s", sid);
	deliver(ev);
}

/* The SLURM job of job id's attempt left the cluster without a result in
   state st (cancel_asked: sluice's scancel). */
static void
slurm_ended(int64_t id, int attempt, enum slurm_state st, const char *sid,
    bool cancel_asked)
{
	struct pool_ev *ev = ev_new(POOL_EV_JOB_ENDED, 0, id, attempt);

	slurm_end_map(st, sid, cancel_asked, &ev->end);
	deliver(ev);
}

/* A job's life on a SLURM node: its limits go to sbatch, its id is
   committed at once, SLURM's news reach its reason, its deadline runs from
   its start, and its result is collected as from any node. */
static void
core_slurm__life__id_reason_result(void **state)
{
	struct fixture *f = *state;
	struct pool_ev *ev;
	struct job j;
	int64_t id;

	node_up(0, 10);
	id = submit(f);
	assert_true(fake.nsent > fake.seen);
	assert_true(fake.sent[fake.seen].cmd.wall_seconds == 100);
	assert_int_equal(fake.sent[fake.seen].cmd.memory_bytes, 1000000000);
	assert_string_equal(fake.sent[fake.seen].cmd.slurm_id, "");
	expect_cmd(0, POOL_CMD_START, id, 1);
	assert_true(f->c.active[0].deadline_ms == 0);
	slurm_submitted(id, 1, "77");
	j = row(f, id);
	assert_job(f, id, JOB_RUNNING, PHASE_RUNNING);
	assert_string_equal(j.slurm_job_id, "77");
	assert_string_equal(j.reason, "submitted to SLURM on hpc as job 77");
	ev = ev_new(POOL_EV_JOB_ACCEPTED, 0, id, 1);
	snprintf(ev->reason, sizeof(ev->reason), "pending in SLURM: Resources");
	deliver(ev);
	assert_string_equal(row(f, id).reason, "pending in SLURM: Resources");
	ev = ev_new(POOL_EV_JOB_ACCEPTED, 0, id, 1);
	snprintf(ev->reason, sizeof(ev->reason),
	    "running on hpc (SLURM job 77)");
	deliver(ev);
	job_ev(POOL_EV_JOB_STARTED, 0, id, 1);
	assert_string_equal(row(f, id).reason, "running on hpc (SLURM job 77)");
	assert_true(f->c.active[0].deadline_ms > 0);
	job_ev(POOL_EV_JOB_FINISHED, 0, id, 1);
	expect_cmd(0, POOL_CMD_COLLECT, id, 1);
	job_collected(0, id, 1, VERDICT_OK);
	expect_final(f, id, JOB_COMPLETED, "");
	assert_string_equal(row(f, id).slurm_job_id, "77");
	expect_cmd(0, POOL_CMD_CLEAN, id, 1);
}

/* Ends without a result: SLURM's TIMEOUT ends the job with its verdict;
   NODE_FAIL requeues it (a new sbatch) and ends it NODE_FAIL once its
   attempts are used up; a cancel is scancel and ends it CANCELLED. */
static void
core_slurm__ended__mapped(void **state)
{
	struct fixture *f = *state;
	struct error e;
	struct job j;
	int64_t a, b, c;

	node_up(0, 10);
	a = submit(f);
	expect_cmd(0, POOL_CMD_START, a, 1);
	slurm_submitted(a, 1, "5");
	slurm_ended(a, 1, SLURM_TIMEOUT, "5", false);
	expect_final(f, a, JOB_TIMEOUT, "SLURM time limit");
	j = row(f, a);
	assert_true(j.has_result);
	assert_string_equal(j.verdict, "wall_limit");
	expect_cmd(0, POOL_CMD_CLEAN, a, 1);

	b = submit(f);
	expect_cmd(0, POOL_CMD_START, b, 1);
	slurm_submitted(b, 1, "6");
	slurm_ended(b, 1, SLURM_NODE_FAIL, "6", false);
	/* Requeued, its SLURM id gone with the attempt; placed again. */
	expect_cmd(0, POOL_CMD_CLEAN, b, 1);
	expect_cmd(0, POOL_CMD_START, b, 2);
	assert_int_equal(row(f, b).attempts, 2);
	assert_string_equal(row(f, b).slurm_job_id, "");
	slurm_submitted(b, 2, "8");
	slurm_ended(b, 2, SLURM_PREEMPTED, "8", false);
	expect_final(f, b, JOB_NODE_FAIL,
	    "node lost after 2 attempts: SLURM job 8 ended PREEMPTED");
	expect_cmd(0, POOL_CMD_CLEAN, b, 2);

	c = submit(f);
	expect_cmd(0, POOL_CMD_START, c, 1);
	slurm_submitted(c, 1, "9");
	error_init(&e);
	assert_int_equal(core_cancel(&f->c, c, &j, &e), 0);
	expect_cmd(0, POOL_CMD_CANCEL, c, 1);
	slurm_ended(c, 1, SLURM_CANCELLED, "9", true);
	expect_final(f, c, JOB_CANCELLED, "cancelled");
	expect_cmd(0, POOL_CMD_CLEAN, c, 1);
	expect_no_cmd();
}

/* A job in the cluster outlives the login node's connection and the
   daemon: it is followed again by its SLURM id, its cancel asked again. */
static void
core_slurm__down_and_restart__followed_again(void **state)
{
	struct fixture *f = *state;
	struct error e;
	struct job j;
	int64_t id, staged;

	node_up(0, 10);
	id = submit(f);
	expect_cmd(0, POOL_CMD_START, id, 1);
	slurm_submitted(id, 1, "42");
	staged = submit(f);
	expect_cmd(0, POOL_CMD_START, staged, 1);
	node_down(0, "connection reset");
	/* In the cluster: kept.  Not submitted yet: requeued. */
	assert_job(f, id, JOB_RUNNING, PHASE_RUNNING);
	assert_int_equal(row(f, id).attempts, 1);
	assert_job(f, staged, JOB_PENDING, PHASE_QUEUED);
	node_up(0, 10);
	assert_int_equal(fake.sent[fake.seen].cmd.type, POOL_CMD_RECOVER);
	assert_string_equal(fake.sent[fake.seen].cmd.slurm_id, "42");
	expect_cmd(0, POOL_CMD_RECOVER, id, 1);
	expect_cmd(0, POOL_CMD_START, staged, 2);
	error_init(&e);
	assert_int_equal(core_cancel(&f->c, id, &j, &e), 0);
	expect_cmd(0, POOL_CMD_CANCEL, id, 1);
	/* SIGKILL and start again. */
	core_down(f);
	core_up(f);
	node_up(0, 10);
	/* Staging first (no id: submitted afresh), then those running. */
	assert_string_equal(fake.sent[fake.seen].cmd.slurm_id, "");
	expect_cmd(0, POOL_CMD_RECOVER, staged, 2);
	assert_true(fake.nsent > fake.seen);
	assert_string_equal(fake.sent[fake.seen].cmd.slurm_id, "42");
	assert_true(fake.sent[fake.seen].cmd.cancel);
	expect_cmd(0, POOL_CMD_RECOVER, id, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(core__job_life__completed),
		T(core__finished__slot_freed_for_next),
		T(core__end_not_committed__held_until_committed),
		T(core__submit_batch__answered_once_committed),
		T(core__submit_batch__commit_fails__all_refused),
		T(core__submit_bodies__small_in_store_large_in_spool),
		T(core__limits_lowered__queued_job_fails_alone),
		T(core__cancel_queued__cancelled_at_once),
		T(core__cancel_staging__cancel_sent),
		T(core__cancel_staging_then_failure__cancelled),
		T(core__cancel_running__cancelled),
		T(core__cancel_collecting__cancelled_with_verdict),
		T(core__cancel_ended__state_error),
		T(core__cancel_then_node_lost__cancelled),
		T(core__node_lost_queued__still_queued),
		T(core__node_lost_staging__requeued),
		T(core__node_lost_running__requeued),
		T(core__node_lost_collecting__requeued),
		T(core__requeued__attempt_started_at_reset),
		cmocka_unit_test_setup_teardown(
		    core_slurm__life__id_reason_result, setup_slurm, teardown),
		cmocka_unit_test_setup_teardown(core_slurm__ended__mapped,
		    setup_slurm, teardown),
		cmocka_unit_test_setup_teardown(
		    core_slurm__down_and_restart__followed_again, setup_slurm,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    core__node_lost__runs_on_other_node, setup2, teardown),
		T(core__stale_attempt_events__ignored),
		T(core__failures__retried_or_failed),
		T(core__sandbox_error__retried),
		T(core__node_dirs__abandoned_purged),
		T(core__drain__no_new_jobs),
		T(core__running_quota__tenant_waits),
		T(core__queue_100k__order_and_fairness),
		T(core__many_classes__oldest_first),
		T(core__restart__every_phase_recovered),
		T(core__restart_node_unreachable__requeued),
		T(core__restart_node_slow__recovered),
		T(core__restart_node_removed__requeued),
#undef T
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
