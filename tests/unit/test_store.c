/*
 * Unit tests for dispatcher/store.c, on real SQLite files in a temporary
 * directory: every field round trips, paging and counting, node state,
 * transactions, and the schema versioning (migration and refusal).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "error.h"
#include "helpers.h"
#include "job.h"
#include "log.h"
#include "store.h"

/* One test's directory, database path and open store. */
struct fixture {
	char dir[4096];
	char path[4200];
	struct store *st;
	int nfds; /* open descriptors before the test */
};

/* Make the temporary directory, without opening a store. */
static int
dir_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (helpers_mkdtemp(f->dir, sizeof(f->dir), "store") == -1) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/sluice.db", f->dir);
	f->nfds = helpers_count_fds();
	*state = f;
	return 0;
}

/* Close the store, remove the directory, and fail on a leaked descriptor. */
static int
fixture_teardown(void **state)
{
	struct fixture *f = *state;
	int leaked;

	store_close(f->st);
	leaked = helpers_count_fds() - f->nfds;
	helpers_rmtree(f->dir);
	free(f);
	if (leaked != 0) {
		fprintf(stderr, "%d descriptors leaked\n", leaked);
		return -1;
	}
	return 0;
}

/* Make the temporary directory and open a new store in it. */
static int
store_setup(void **state)
{
	struct fixture *f;
	struct error e;

	if (dir_setup(state) == -1)
		return -1;
	f = *state;
	if ((f->st = store_open(f->path, &e)) == NULL) {
		fprintf(stderr, "store_open: %s\n", e.msg);
		fixture_teardown(state);
		return -1;
	}
	return 0;
}

/* Run SQL on the file through a connection of the test's own. */
static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* One text value of a query, read through the test's own connection. */
static void
raw_text(const char *path, const char *sql, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	    SQLITE_OK);
	buf[0] = '\0';
	if (sqlite3_step(stmt) == SQLITE_ROW)
		snprintf(buf, len, "%s",
		    (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* One integer value of a query, through the test's own connection. */
static int64_t
raw_int(const char *path, const char *sql)
{
	char buf[64];

	raw_text(path, sql, buf, sizeof(buf));
	return strtoll(buf, NULL, 10);
}

/* A job with every field set to something distinct that depends on n. */
static void
job_fill(struct job *j, int n)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->tenant, sizeof(j->tenant), "tenant-%d", n % 3);
	j->phase = (enum job_phase)(n % 5);
	j->state = j->phase == PHASE_DONE ? JOB_OUT_OF_MEMORY
					  : job_phase_state(j->phase);
	snprintf(j->reason, sizeof(j->reason), "reason %d: it's \"quoted\"", n);
	snprintf(j->runtime, sizeof(j->runtime), "python3.%d", n);
	snprintf(j->labels, sizeof(j->labels), "[\"gpu\",\"l%d\"]", n);
	snprintf(j->limits, sizeof(j->limits),
	    "{\"cpu_seconds\":%d.5,\"memory_bytes\":268435456}", n);
	snprintf(j->node, sizeof(j->node), "node%d", n);
	j->attempts = n + 1;
	j->cancel_requested = n % 2 == 1;
	snprintf(j->submitted_at, sizeof(j->submitted_at),
	    "2024-01-02T03:04:%02d.123Z", n % 60);
	snprintf(j->started_at, sizeof(j->started_at),
	    "2024-01-02T03:05:%02d.456Z", n % 60);
	snprintf(j->finished_at, sizeof(j->finished_at),
	    "2024-01-02T03:06:%02d.789Z", n % 60);
	j->has_result = n % 2 == 0;
	snprintf(j->verdict, sizeof(j->verdict), "memory_limit");
	j->exit_code = -1 - n;
	j->signal = 9 + n;
	j->cpu_seconds = 0.125 + n;
	j->wall_seconds = 1.0 / 3.0 + n;
	j->memory_peak_bytes = UINT64_MAX - (uint64_t)n;
	snprintf(j->name, sizeof(j->name), "job-%d", n);
	snprintf(j->attempt_started_at, sizeof(j->attempt_started_at),
	    "2024-01-02T03:05:%02d.999Z", n % 60);
}

/* Two jobs are equal field by field (and the id too). */
static void
assert_job_equal(const struct job *a, const struct job *b)
{
	assert_int_equal(a->id, b->id);
	assert_string_equal(a->tenant, b->tenant);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->phase, b->phase);
	assert_string_equal(a->reason, b->reason);
	assert_string_equal(a->runtime, b->runtime);
	assert_string_equal(a->labels, b->labels);
	assert_string_equal(a->limits, b->limits);
	assert_string_equal(a->node, b->node);
	assert_int_equal(a->attempts, b->attempts);
	assert_int_equal(a->cancel_requested, b->cancel_requested);
	assert_string_equal(a->submitted_at, b->submitted_at);
	assert_string_equal(a->started_at, b->started_at);
	assert_string_equal(a->finished_at, b->finished_at);
	assert_int_equal(a->has_result, b->has_result);
	assert_string_equal(a->verdict, b->verdict);
	assert_int_equal(a->exit_code, b->exit_code);
	assert_int_equal(a->signal, b->signal);
	assert_true(a->cpu_seconds == b->cpu_seconds);
	assert_true(a->wall_seconds == b->wall_seconds);
	assert_true(a->memory_peak_bytes == b->memory_peak_bytes);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->attempt_started_at, b->attempt_started_at);
	assert_string_equal(a->slurm_job_id, b->slurm_job_id);
}

/* Insert a job made by job_fill(n) with a given phase and state. */
static int64_t
insert_job(struct store *st, int n, const char *tenant, enum job_phase p,
    enum job_state s)
{
	struct job j;
	struct error e;

	job_fill(&j, n);
	snprintf(j.tenant, sizeof(j.tenant), "%s", tenant);
	j.phase = p;
	j.state = s;
	if (store_job_insert(st, &j, &e) == -1)
		fail_msg("store_job_insert: %s", e.msg);
	return j.id;
}

/* A new database is at the current version and in WAL mode. */
static void
store_open__new_file__current_version_and_wal(void **state)
{
	struct fixture *f = *state;
	char mode[32];

	assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	raw_text(f->path, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
}

/* Every field written comes back as it was, the id chosen by the store. */
static void
store_job_insert__every_field__round_trips(void **state)
{
	struct fixture *f = *state;
	struct job j, got;
	struct error e;

	job_fill(&j, 4);
	j.id = 999; /* ignored */
	assert_int_equal(store_job_insert(f->st, &j, &e), 0);
	assert_int_equal(j.id, 1);
	assert_int_equal(store_job_get(f->st, j.id, &got, &e), 0);
	assert_job_equal(&got, &j);
}

/* Strings fill their fields to the last byte and stay intact. */
static void
store_job_insert__longest_strings__round_trip(void **state)
{
	struct fixture *f = *state;
	struct job j, got;
	struct error e;

	job_fill(&j, 1);
	memset(j.tenant, 't', sizeof(j.tenant) - 1);
	memset(j.reason, 'r', sizeof(j.reason) - 1);
	memset(j.labels, 'l', sizeof(j.labels) - 1);
	memset(j.finished_at, 'f', sizeof(j.finished_at) - 1);
	assert_int_equal(store_job_insert(f->st, &j, &e), 0);
	assert_int_equal(store_job_get(f->st, j.id, &got, &e), 0);
	assert_job_equal(&got, &j);
	assert_int_equal(strlen(got.tenant), sizeof(got.tenant) - 1);
}

/* Text that looks like SQL is data: stored verbatim, harming nothing. */
static void
store_job_insert__sql_in_strings__stored_verbatim(void **state)
{
	struct fixture *f = *state;
	struct job j, got;
	struct error e;
	int64_t n;

	job_fill(&j, 2);
	snprintf(j.tenant, sizeof(j.tenant), "x'); DROP TABLE jobs; --");
	snprintf(j.reason, sizeof(j.reason), "\"; DELETE FROM jobs; %%s");
	assert_int_equal(store_job_insert(f->st, &j, &e), 0);
	assert_int_equal(store_job_get(f->st, j.id, &got, &e), 0);
	assert_job_equal(&got, &j);
	assert_int_equal(store_jobs_count(f->st, NULL, 0x1f, &n, &e), 0);
	assert_int_equal(n, 1);
}

/* A state or phase outside the enums is refused and nothing stored. */
static void
store_job_insert__bad_state__invalid(void **state)
{
	struct fixture *f = *state;
	struct job j;
	struct error e;
	int64_t n;

	job_fill(&j, 0);
	j.state = (enum job_state)42;
	assert_int_equal(store_job_insert(f->st, &j, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	job_fill(&j, 0);
	j.phase = (enum job_phase)5;
	assert_int_equal(store_job_insert(f->st, &j, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_int_equal(store_jobs_count(f->st, NULL, 0x1f, &n, &e), 0);
	assert_int_equal(n, 0);
}

/* Each insert gets a larger id than the one before. */
static void
store_job_insert__several__ids_increasing(void **state)
{
	struct fixture *f = *state;
	int64_t prev = 0, id;
	int i;

	for (i = 0; i < 20; i++) {
		id = insert_job(f->st, i, "a", PHASE_QUEUED, JOB_PENDING);
		assert_true(id > prev);
		prev = id;
	}
}

/* A job that does not exist is ERR_NOTFOUND, and out is untouched. */
static void
store_job_get__missing__not_found(void **state)
{
	struct fixture *f = *state;
	struct job got;
	struct error e;

	memset(&got, 0x5a, sizeof(got));
	insert_job(f->st, 0, "a", PHASE_QUEUED, JOB_PENDING);
	assert_int_equal(store_job_get(f->st, 2, &got, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(got.attempts, 0x5a5a5a5a);
}

/* A row with a value too long for its field is refused, not cut. */
static void
store_job_get__oversize_text__refused(void **state)
{
	struct fixture *f = *state;
	struct job got;
	struct error e;
	int64_t id;

	id = insert_job(f->st, 0, "a", PHASE_QUEUED, JOB_PENDING);
	raw_exec(f->path,
	    "UPDATE jobs SET tenant = printf('%.100c', 'x') WHERE id = 1");
	assert_int_equal(store_job_get(f->st, id, &got, &e), -1);
	assert_int_equal(e.code, ERR_INTERNAL);
	assert_non_null(strstr(e.msg, "tenant"));
}

/* A row with a state this release does not know is refused. */
static void
store_job_get__unknown_state__refused(void **state)
{
	struct fixture *f = *state;
	struct job got;
	struct error e;
	int64_t id;

	id = insert_job(f->st, 0, "a", PHASE_QUEUED, JOB_PENDING);
	raw_exec(f->path, "UPDATE jobs SET state = 'LOST' WHERE id = 1");
	assert_int_equal(store_job_get(f->st, id, &got, &e), -1);
	assert_int_equal(e.code, ERR_INTERNAL);
	assert_non_null(strstr(e.msg, "state"));
}

/* An update rewrites every field of the row. */
static void
store_job_update__every_field__round_trips(void **state)
{
	struct fixture *f = *state;
	struct job a, b, got;
	struct error e;

	job_fill(&a, 1);
	assert_int_equal(store_job_insert(f->st, &a, &e), 0);
	job_fill(&b, 8);
	b.id = a.id;
	assert_int_equal(store_job_update(f->st, &b, &e), 0);
	assert_int_equal(store_job_get(f->st, a.id, &got, &e), 0);
	assert_job_equal(&got, &b);
}

/* A reason that snprintf() cut inside a character (a node's message of
   'é's) is stored without the half character, and so is an attempt's
   outcome: every text the store gives back is UTF-8. */
static void
store_job_update__reason_cut_mid_character__stored_whole(void **state)
{
	struct fixture *f = *state;
	struct job a, got;
	struct error e;
	json_t *list;
	const char *outcome;
	char cut[64];
	size_t n;

	job_fill(&a, 1);
	assert_int_equal(store_job_insert(f->st, &a, &e), 0);
	snprintf(cut, sizeof(cut), "ended: \xc3\xa9\xc3\xa9\xc3");
	n = strlen(cut);
	snprintf(a.reason, sizeof(a.reason), "%s", cut);
	assert_int_equal(store_job_update(f->st, &a, &e), 0);
	assert_int_equal(store_job_get(f->st, a.id, &got, &e), 0);
	assert_int_equal(strlen(got.reason), n - 1);
	assert_memory_equal(got.reason, cut, n - 1);
	assert_int_equal(store_attempt_begin(f->st, a.id, 1, "n1",
			     "2026-01-01T00:00:00Z", &e),
	    0);
	assert_int_equal(store_attempt_end(f->st, a.id, 1,
			     "2026-01-01T00:00:01Z", cut, &e),
	    0);
	assert_int_equal(store_attempts_get(f->st, a.id, &list, &e), 0);
	/* An outcome that is not UTF-8 would have dropped the attempt. */
	assert_int_equal(json_array_size(list), 1);
	outcome = json_string_value(
	    json_object_get(json_array_get(list, 0), "outcome"));
	assert_non_null(outcome);
	assert_int_equal(strlen(outcome), n - 1);
	json_decref(list);
}

/* Updating a job that is not there is ERR_NOTFOUND and changes nothing. */
static void
store_job_update__missing_row__not_found(void **state)
{
	struct fixture *f = *state;
	struct job j, other, got;
	struct error e;
	int64_t n;

	job_fill(&other, 3);
	assert_int_equal(store_job_insert(f->st, &other, &e), 0);
	job_fill(&j, 5);
	j.id = other.id + 1;
	assert_int_equal(store_job_update(f->st, &j, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(store_jobs_count(f->st, NULL, 0x1f, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_job_get(f->st, other.id, &got, &e), 0);
	assert_job_equal(&got, &other);
}

/* Writing the values a row already has is a success, not "not found". */
static void
store_job_update__same_values__succeeds(void **state)
{
	struct fixture *f = *state;
	struct job j;
	struct error e;

	job_fill(&j, 6);
	assert_int_equal(store_job_insert(f->st, &j, &e), 0);
	assert_int_equal(store_job_update(f->st, &j, &e), 0);
	assert_int_equal(store_job_update(f->st, &j, &e), 0);
}

struct collect {
	int64_t ids[200];
	int n;
	int stop_after; /* 0: never */
	struct store *st; /* set: move each job to DONE */
};

/* Record each job's id; stop or move the job as asked. */
static int
collect_fn(const struct job *j, void *arg)
{
	struct collect *c = arg;
	struct job moved;
	struct error e;

	assert_true(c->n < 200);
	c->ids[c->n++] = j->id;
	if (c->st != NULL) {
		moved = *j;
		moved.phase = PHASE_DONE;
		moved.state = JOB_CANCELLED;
		assert_int_equal(store_job_update(c->st, &moved, &e), 0);
	}
	if (c->stop_after != 0 && c->n == c->stop_after)
		return -1;
	return 0;
}

/* Every job in the phase, oldest first, across several batches. */
static void
store_jobs_in_phase__mixed_phases__oldest_first(void **state)
{
	struct fixture *f = *state;
	struct collect c = { .n = 0 };
	struct error e;
	int64_t want[100];
	int i, nwant = 0;
	int64_t id;

	for (i = 0; i < 100; i++) {
		enum job_phase p = i % 3 == 0 ? PHASE_RUNNING : PHASE_QUEUED;

		id = insert_job(f->st, i, "a", p, job_phase_state(p));
		if (p == PHASE_RUNNING)
			want[nwant++] = id;
	}
	assert_int_equal(store_jobs_in_phase(f->st, PHASE_RUNNING, collect_fn,
			     &c, &e),
	    0);
	assert_int_equal(c.n, nwant);
	for (i = 0; i < nwant; i++)
		assert_int_equal(c.ids[i], want[i]);
	c.n = 0;
	assert_int_equal(store_jobs_in_phase(f->st, PHASE_COLLECTING,
			     collect_fn, &c, &e),
	    0);
	assert_int_equal(c.n, 0);
}

/* fn returning -1 ends the walk there; the walk itself succeeded. */
static void
store_jobs_in_phase__fn_returns_minus_one__stops(void **state)
{
	struct fixture *f = *state;
	struct collect c = { .stop_after = 3 };
	struct error e;
	int i;

	for (i = 0; i < 10; i++)
		insert_job(f->st, i, "a", PHASE_STAGING, JOB_PENDING);
	assert_int_equal(store_jobs_in_phase(f->st, PHASE_STAGING, collect_fn,
			     &c, &e),
	    0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.ids[0], 1);
	assert_int_equal(c.ids[2], 3);
}

/* fn may move the job it is given out of the phase; each is seen once. */
static void
store_jobs_in_phase__fn_moves_jobs__each_seen_once(void **state)
{
	struct fixture *f = *state;
	struct collect c = { .n = 0 };
	struct error e;
	int64_t n;
	int i;

	for (i = 0; i < 70; i++)
		insert_job(f->st, i, "a", PHASE_RUNNING, JOB_RUNNING);
	c.st = f->st;
	assert_int_equal(store_jobs_in_phase(f->st, PHASE_RUNNING, collect_fn,
			     &c, &e),
	    0);
	assert_int_equal(c.n, 70);
	for (i = 0; i < 70; i++)
		assert_int_equal(c.ids[i], i + 1);
	assert_int_equal(store_jobs_count(f->st, NULL, 1u << PHASE_DONE, &n,
			     &e),
	    0);
	assert_int_equal(n, 70);
}

/* Pages run newest first; before continues where the last page ended. */
static void
store_jobs_list__all__newest_first_paged(void **state)
{
	struct fixture *f = *state;
	struct job page[4];
	struct error e;
	int i, n;

	for (i = 0; i < 10; i++)
		insert_job(f->st, i, i % 2 ? "a" : "b", PHASE_QUEUED,
		    JOB_PENDING);
	assert_int_equal(store_jobs_list(f->st, NULL, -1, 0, 4, page, &n, &e),
	    0);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(page[i].id, 10 - i);
	assert_string_equal(page[0].tenant, "a");
	assert_int_equal(store_jobs_list(f->st, NULL, -1, page[3].id, 4, page,
			     &n, &e),
	    0);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(page[i].id, 6 - i);
	assert_int_equal(store_jobs_list(f->st, NULL, -1, page[3].id, 4, page,
			     &n, &e),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(page[0].id, 2);
	assert_int_equal(page[1].id, 1);
	assert_int_equal(store_jobs_list(f->st, NULL, -1, 1, 4, page, &n, &e),
	    0);
	assert_int_equal(n, 0);
}

/* Tenant and state filters, alone and together, with before. */
static void
store_jobs_list__tenant_and_state__filtered(void **state)
{
	struct fixture *f = *state;
	struct job page[10];
	struct error e;
	int i, n;

	/* ids 1..12: tenant a on odd ids; COMPLETED on ids divisible by 3. */
	for (i = 1; i <= 12; i++)
		insert_job(f->st, i, i % 2 ? "a" : "b",
		    i % 3 ? PHASE_QUEUED : PHASE_DONE,
		    i % 3 ? JOB_PENDING : JOB_COMPLETED);
	assert_int_equal(store_jobs_list(f->st, "a", -1, 0, 10, page, &n, &e),
	    0);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		assert_string_equal(page[i].tenant, "a");
		assert_int_equal(page[i].id, 11 - 2 * i);
	}
	assert_int_equal(store_jobs_list(f->st, NULL, JOB_COMPLETED, 0, 10,
			     page, &n, &e),
	    0);
	assert_int_equal(n, 4);
	assert_int_equal(page[0].id, 12);
	assert_int_equal(page[3].id, 3);
	assert_int_equal(store_jobs_list(f->st, "a", JOB_COMPLETED, 0, 10, page,
			     &n, &e),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(page[0].id, 9);
	assert_int_equal(page[1].id, 3);
	assert_int_equal(store_jobs_list(f->st, "a", JOB_COMPLETED, 9, 10, page,
			     &n, &e),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(page[0].id, 3);
	assert_int_equal(store_jobs_list(f->st, "nobody", -1, 0, 10, page, &n,
			     &e),
	    0);
	assert_int_equal(n, 0);
}

/* Insert job n of tenant, phase and state, with a name, labels (JSON)
   and a submission second. */
static int64_t
insert_named(struct store *st, int n, const char *tenant, enum job_state s,
    const char *name, const char *labels, int second)
{
	struct job j;
	struct error e;

	job_fill(&j, n);
	snprintf(j.tenant, sizeof(j.tenant), "%s", tenant);
	j.state = s;
	j.phase = job_state_final(s) ? PHASE_DONE
	    : s == JOB_PENDING       ? PHASE_QUEUED
	    : s == JOB_RUNNING       ? PHASE_RUNNING
				     : PHASE_COLLECTING;
	snprintf(j.name, sizeof(j.name), "%s", name);
	snprintf(j.labels, sizeof(j.labels), "%s", labels);
	snprintf(j.submitted_at, sizeof(j.submitted_at),
	    "2024-01-02T03:04:%02d.000Z", second);
	if (store_job_insert(st, &j, &e) == -1)
		fail_msg("store_job_insert: %s", e.msg);
	return j.id;
}

/* The ids a filter finds, newest first, as "12 9 3". */
static const char *
found(struct store *st, const struct store_job_filter *flt, int max)
{
	static char buf[256];
	struct job page[16];
	struct error e;
	size_t len = 0;
	int i, n = -1;

	if (store_jobs_find(st, flt, max, page, &n, &e) == -1)
		fail_msg("store_jobs_find: %s", e.msg);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%lld",
		    i > 0 ? " " : "", (long long)page[i].id);
	return buf;
}

/* Each part of a filter, alone and together; paging with before. */
static void
store_jobs_find__each_part__filtered(void **state)
{
	struct fixture *f = *state;
	const char *const names_a[] = { "train" };
	const char *const names_ab[] = { "eval", "train" };
	const char *const names_sql[] = { "x' OR 1=1 --" };
	const int64_t ids[] = { 2, 5, 6, 99 };
	struct store_job_filter flt;

	insert_named(f->st, 1, "a", JOB_PENDING, "train", "[\"gpu\"]", 1);
	insert_named(f->st, 2, "a", JOB_RUNNING, "train", "[\"gpu\",\"n1\"]",
	    2);
	insert_named(f->st, 3, "b", JOB_COMPLETED, "eval", "[]", 3);
	insert_named(f->st, 4, "a", JOB_FAILED, "", "[\"gpu2\"]", 4);
	insert_named(f->st, 5, "b", JOB_PENDING, "train", "[\"n1\"]", 5);
	insert_named(f->st, 6, "a", JOB_COMPLETING, "eval", "[\"gpu\"]", 6);

	memset(&flt, 0, sizeof(flt));
	assert_string_equal(found(f->st, &flt, 16), "6 5 4 3 2 1");
	flt.tenant = "a";
	assert_string_equal(found(f->st, &flt, 16), "6 4 2 1");
	flt.tenant = NULL;
	flt.state_mask = 1u << JOB_PENDING | 1u << JOB_RUNNING;
	assert_string_equal(found(f->st, &flt, 16), "5 2 1");
	/* Several states are each state's page, merged newest first. */
	assert_string_equal(found(f->st, &flt, 2), "5 2");
	flt.before = 2;
	assert_string_equal(found(f->st, &flt, 2), "1");
	flt.before = 0;
	flt.state_mask |= 1u << JOB_FAILED | 1u << JOB_COMPLETED;
	assert_string_equal(found(f->st, &flt, 3), "5 4 3");
	flt.tenant = "a";
	assert_string_equal(found(f->st, &flt, 16), "4 2 1");
	flt.tenant = NULL;
	flt.state_mask = 1u << JOB_COMPLETING;
	assert_string_equal(found(f->st, &flt, 16), "6");
	flt.state_mask = 0;
	flt.ids = ids;
	flt.nids = 4;
	assert_string_equal(found(f->st, &flt, 16), "6 5 2");
	flt.nids = 0;
	flt.names = names_a;
	flt.nnames = 1;
	assert_string_equal(found(f->st, &flt, 16), "5 2 1");
	flt.names = names_ab;
	flt.nnames = 2;
	assert_string_equal(found(f->st, &flt, 16), "6 5 3 2 1");
	/* A name is a value, never SQL. */
	flt.names = names_sql;
	flt.nnames = 1;
	assert_string_equal(found(f->st, &flt, 16), "");
	flt.nnames = 0;
	/* A label is a whole label: "gpu" is not "gpu2". */
	flt.label = "gpu";
	assert_string_equal(found(f->st, &flt, 16), "6 2 1");
	flt.label = "gp";
	assert_string_equal(found(f->st, &flt, 16), "");
	flt.label = NULL;
	/* since <= submitted_at < until. */
	flt.since = "2024-01-02T03:04:02.000Z";
	flt.until = "2024-01-02T03:04:05.000Z";
	assert_string_equal(found(f->st, &flt, 16), "4 3 2");
	/* Everything at once, then paged. */
	flt.tenant = "a";
	flt.state_mask = 1u << JOB_RUNNING | 1u << JOB_FAILED;
	flt.label = "gpu";
	flt.names = names_a;
	flt.nnames = 1;
	assert_string_equal(found(f->st, &flt, 16), "2");
	memset(&flt, 0, sizeof(flt));
	assert_string_equal(found(f->st, &flt, 2), "6 5");
	flt.before = 5;
	assert_string_equal(found(f->st, &flt, 2), "4 3");
	flt.before = 1;
	assert_string_equal(found(f->st, &flt, 2), "");
	flt.before = 0;
	assert_string_equal(found(f->st, &flt, 0), "");
}

/* Filters outside their bounds are errors, not "everything". */
static void
store_jobs_find__bad_filter__invalid(void **state)
{
	struct fixture *f = *state;
	static int64_t many[STORE_FILTER_VALUES_MAX + 1];
	struct store_job_filter flt;
	struct job page[2];
	struct error e;
	int n = 77;

	insert_job(f->st, 0, "a", PHASE_QUEUED, JOB_PENDING);
	memset(&flt, 0, sizeof(flt));
	flt.state_mask = 1u << 9;
	assert_int_equal(store_jobs_find(f->st, &flt, 2, page, &n, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	flt.state_mask = 0;
	flt.ids = many;
	flt.nids = STORE_FILTER_VALUES_MAX + 1;
	assert_int_equal(store_jobs_find(f->st, &flt, 2, page, &n, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_int_equal(n, 77);
	/* As many as allowed is fine. */
	many[0] = 1;
	flt.nids = STORE_FILTER_VALUES_MAX;
	assert_int_equal(store_jobs_find(f->st, &flt, 2, page, &n, &e), 0);
	assert_int_equal(n, 1);
}

/* A state filter outside the enum is an error, not "every state". */
static void
store_jobs_list__bad_state__invalid(void **state)
{
	struct fixture *f = *state;
	struct job page[2];
	struct error e;
	int n = 77;

	insert_job(f->st, 0, "a", PHASE_QUEUED, JOB_PENDING);
	assert_int_equal(store_jobs_list(f->st, NULL, 9, 0, 2, page, &n, &e),
	    -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_int_equal(store_jobs_list(f->st, NULL, -2, 0, 2, page, &n, &e),
	    -1);
	assert_int_equal(n, 77);
}

/* Counts follow the phase mask, for one tenant or for all. */
static void
store_jobs_count__phase_mask_and_tenant__counted(void **state)
{
	struct fixture *f = *state;
	struct error e;
	unsigned inflight = (1u << PHASE_STAGING) | (1u << PHASE_RUNNING) |
	    (1u << PHASE_COLLECTING);
	int64_t n;

	insert_job(f->st, 0, "a", PHASE_QUEUED, JOB_PENDING);
	insert_job(f->st, 1, "a", PHASE_QUEUED, JOB_PENDING);
	insert_job(f->st, 2, "a", PHASE_RUNNING, JOB_RUNNING);
	insert_job(f->st, 3, "a", PHASE_DONE, JOB_COMPLETED);
	insert_job(f->st, 4, "b", PHASE_STAGING, JOB_PENDING);
	insert_job(f->st, 5, "b", PHASE_COLLECTING, JOB_COMPLETING);
	insert_job(f->st, 6, "b", PHASE_QUEUED, JOB_PENDING);
	assert_int_equal(store_jobs_count(f->st, "a", 1u << PHASE_QUEUED, &n,
			     &e),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(store_jobs_count(f->st, "a", inflight, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_jobs_count(f->st, "b", inflight, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_jobs_count(f->st, NULL, inflight, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_jobs_count(f->st, NULL, 1u << PHASE_QUEUED, &n,
			     &e),
	    0);
	assert_int_equal(n, 3);
	assert_int_equal(store_jobs_count(f->st, NULL, 0, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_jobs_count(f->st, "c", 0x1f, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_jobs_count(f->st, NULL, 0x1f, &n, &e), 0);
	assert_int_equal(n, 7);
}

/* Final counts cover the final states only, each under its own index. */
static void
store_jobs_final_counts__mixed__final_states_only(void **state)
{
	struct fixture *f = *state;
	struct error e;
	int64_t counts[9];
	int i;

	insert_job(f->st, 0, "a", PHASE_QUEUED, JOB_PENDING);
	insert_job(f->st, 1, "a", PHASE_RUNNING, JOB_RUNNING);
	insert_job(f->st, 2, "a", PHASE_DONE, JOB_COMPLETED);
	insert_job(f->st, 3, "b", PHASE_DONE, JOB_COMPLETED);
	insert_job(f->st, 4, "b", PHASE_DONE, JOB_NODE_FAIL);
	insert_job(f->st, 5, "b", PHASE_DONE, JOB_OUT_OF_MEMORY);
	insert_job(f->st, 6, "b", PHASE_DONE, JOB_TIMEOUT);
	insert_job(f->st, 7, "b", PHASE_DONE, JOB_TIMEOUT);
	insert_job(f->st, 8, "b", PHASE_DONE, JOB_TIMEOUT);
	for (i = 0; i < 9; i++)
		counts[i] = -5;
	assert_int_equal(store_jobs_final_counts(f->st, counts, &e), 0);
	assert_int_equal(counts[JOB_PENDING], 0);
	assert_int_equal(counts[JOB_RUNNING], 0);
	assert_int_equal(counts[JOB_COMPLETING], 0);
	assert_int_equal(counts[JOB_COMPLETED], 2);
	assert_int_equal(counts[JOB_FAILED], 0);
	assert_int_equal(counts[JOB_TIMEOUT], 3);
	assert_int_equal(counts[JOB_OUT_OF_MEMORY], 1);
	assert_int_equal(counts[JOB_CANCELLED], 0);
	assert_int_equal(counts[JOB_NODE_FAIL], 1);
}

/* A node nobody drained reads as not drained, with no reason. */
static void
store_node_get__never_set__not_drained(void **state)
{
	struct fixture *f = *state;
	struct error e;
	char reason[64] = "stale";
	bool drained = true;

	assert_int_equal(store_node_get(f->st, "n1", &drained, reason,
			     sizeof(reason), &e),
	    0);
	assert_false(drained);
	assert_string_equal(reason, "");
}

/* Drain with a reason, then resume: each state reads back. */
static void
store_node_set__drain_then_resume__round_trips(void **state)
{
	struct fixture *f = *state;
	struct error e;
	char reason[64];
	bool drained = false;

	assert_int_equal(store_node_set(f->st, "n1", true, "disk 'sda' dying",
			     &e),
	    0);
	assert_int_equal(store_node_get(f->st, "n1", &drained, reason,
			     sizeof(reason), &e),
	    0);
	assert_true(drained);
	assert_string_equal(reason, "disk 'sda' dying");
	assert_int_equal(store_node_get(f->st, "n2", &drained, reason,
			     sizeof(reason), &e),
	    0);
	assert_false(drained);
	assert_int_equal(store_node_set(f->st, "n1", false, NULL, &e), 0);
	assert_int_equal(store_node_get(f->st, "n1", &drained, reason,
			     sizeof(reason), &e),
	    0);
	assert_false(drained);
	assert_string_equal(reason, "");
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM nodes"), 1);
}

/* A reason read into a short buffer is cut and terminated. */
static void
store_node_get__short_buffer__cut(void **state)
{
	struct fixture *f = *state;
	struct error e;
	char reason[5];
	bool drained = false;

	assert_int_equal(store_node_set(f->st, "n1", true, "maintenance", &e),
	    0);
	assert_int_equal(store_node_get(f->st, "n1", &drained, reason,
			     sizeof(reason), &e),
	    0);
	assert_string_equal(reason, "main");
}

/* Empty or overlong names and overlong reasons are refused. */
static void
store_node_set__bad_values__invalid(void **state)
{
	struct fixture *f = *state;
	struct error e;
	char name[JOB_NAME_MAX + 1], reason[JOB_REASON_MAX + 1];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	assert_int_equal(store_node_set(f->st, "", true, "x", &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_int_equal(store_node_set(f->st, name, true, "x", &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_int_equal(store_node_set(f->st, "n1", true, reason, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM nodes"), 0);
}

/* Closing and opening again keeps jobs, nodes, and the id sequence. */
static void
store_open__reopen__keeps_data(void **state)
{
	struct fixture *f = *state;
	struct job j, got;
	struct error e;
	char reason[64];
	bool drained = false;

	job_fill(&j, 7);
	assert_int_equal(store_job_insert(f->st, &j, &e), 0);
	assert_int_equal(store_node_set(f->st, "n1", true, "why", &e), 0);
	store_close(f->st);
	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	assert_int_equal(store_job_get(f->st, j.id, &got, &e), 0);
	assert_job_equal(&got, &j);
	assert_int_equal(store_node_get(f->st, "n1", &drained, reason,
			     sizeof(reason), &e),
	    0);
	assert_true(drained);
	assert_string_equal(reason, "why");
	assert_true(
	    insert_job(f->st, 1, "a", PHASE_QUEUED, JOB_PENDING) > j.id);
}

/* A database at version 0 (made by someone else) is migrated. */
static void
store_open__version_zero__migrated(void **state)
{
	struct fixture *f = *state;
	struct error e;

	raw_exec(f->path,
	    "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep');"
	    "PRAGMA user_version = 0;");
	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
	assert_int_equal(insert_job(f->st, 0, "a", PHASE_QUEUED, JOB_PENDING),
	    1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM notes"), 1);
	assert_int_equal(raw_int(f->path,
			     "SELECT count(*) FROM sqlite_master WHERE "
			     "type = 'index' AND name LIKE 'jobs_%'"),
	    6);
}

/* A database of version 5 keeps its jobs: no name, no attempt start. */
static void
store_open__version_five__jobs_kept(void **state)
{
	struct fixture *f = *state;
	struct job j, got;
	struct error e;

	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	job_fill(&j, 3);
	assert_int_equal(store_job_insert(f->st, &j, &e), 0);
	store_close(f->st);
	f->st = NULL;
	/* Back to version 5's table, as a release before names made it. */
	raw_exec(f->path,
	    "DROP INDEX jobs_name_id; DROP INDEX jobs_tenant_state_id;"
	    "ALTER TABLE jobs DROP COLUMN name;"
	    "ALTER TABLE jobs DROP COLUMN attempt_started_at;"
	    "ALTER TABLE jobs DROP COLUMN slurm_job_id;"
	    "ALTER TABLE attempts DROP COLUMN slurm_job_id;"
	    "PRAGMA user_version = 5;");
	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_job_get(f->st, j.id, &got, &e), 0);
	assert_string_equal(got.name, "");
	assert_string_equal(got.attempt_started_at, "");
	got.name[0] = j.name[0] = '\0';
	got.attempt_started_at[0] = j.attempt_started_at[0] = '\0';
	assert_job_equal(&got, &j);
}

/* A database of version 6 keeps its jobs and attempts, with no SLURM id;
   one is then kept with the job and with its attempt. */
static void
store_open__version_six__slurm_id_added(void **state)
{
	struct fixture *f = *state;
	struct job j, got;
	struct error e;
	json_t *list;

	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	job_fill(&j, 4);
	assert_int_equal(store_job_insert(f->st, &j, &e), 0);
	assert_int_equal(store_attempt_begin(f->st, j.id, 1, "hpc",
			     "2030-01-01T00:00:00.000Z", &e),
	    0);
	store_close(f->st);
	f->st = NULL;
	raw_exec(f->path,
	    "ALTER TABLE jobs DROP COLUMN slurm_job_id;"
	    "ALTER TABLE attempts DROP COLUMN slurm_job_id;"
	    "PRAGMA user_version = 6;");
	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st), 7);
	assert_int_equal(store_job_get(f->st, j.id, &got, &e), 0);
	assert_string_equal(got.slurm_job_id, "");
	assert_job_equal(&got, &j);
	snprintf(got.slurm_job_id, sizeof(got.slurm_job_id), "1234");
	assert_int_equal(store_job_update(f->st, &got, &e), 0);
	assert_int_equal(store_attempt_slurm(f->st, j.id, 1, "1234", &e), 0);
	assert_int_equal(store_job_get(f->st, j.id, &got, &e), 0);
	assert_string_equal(got.slurm_job_id, "1234");
	assert_int_equal(store_attempts_get(f->st, j.id, &list, &e), 0);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(list, 0),
				    "slurm_job_id")),
	    "1234");
	json_decref(list);
}

/* An empty file is a database at version 0 too. */
static void
store_open__empty_file__migrated(void **state)
{
	struct fixture *f = *state;
	struct error e;
	FILE *fp;

	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fclose(fp);
	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
}

/* A database from a newer release is refused and left as it was. */
static void
store_open__newer_version__refused(void **state)
{
	struct fixture *f = *state;
	struct error e;
	char mode[32];

	raw_exec(f->path, "CREATE TABLE jobs (x); PRAGMA user_version = 99;");
	f->st = store_open(f->path, &e);
	assert_null(f->st);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_non_null(strstr(e.msg, "99"));
	assert_non_null(strstr(e.msg, "newer"));
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 99);
	raw_text(f->path, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "delete");
}

/* A migration step that fails leaves the database at its old version. */
static void
store_open__failing_migration__rolled_back(void **state)
{
	struct fixture *f = *state;
	struct error e;

	/* A table in the way makes step 0 -> 1 fail half-way. */
	raw_exec(f->path, "CREATE TABLE nodes (x);");
	f->st = store_open(f->path, &e);
	assert_null(f->st);
	assert_non_null(strstr(e.msg, "nodes"));
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 0);
	assert_int_equal(raw_int(f->path,
			     "SELECT count(*) FROM sqlite_master WHERE "
			     "name LIKE 'jobs%'"),
	    0);
}

/* A file that is not a database is an I/O error, not a crash. */
static void
store_open__not_a_database__io_error(void **state)
{
	struct fixture *f = *state;
	struct error e;
	FILE *fp;
	int i;

	fp = fopen(f->path, "w");
	assert_non_null(fp);
	for (i = 0; i < 200; i++)
		fputs("this is not a database. ", fp);
	fclose(fp);
	f->st = store_open(f->path, &e);
	assert_null(f->st);
	assert_int_equal(e.code, ERR_IO);
	assert_non_null(strstr(e.msg, f->path));
}

/* A directory that does not exist cannot hold a database. */
static void
store_open__missing_directory__io_error(void **state)
{
	struct fixture *f = *state;
	struct error e;
	char path[4300];

	snprintf(path, sizeof(path), "%s/none/sluice.db", f->dir);
	f->st = store_open(path, &e);
	assert_null(f->st);
	assert_int_equal(e.code, ERR_IO);
}

/* A transaction rolled back leaves nothing behind. */
static void
store_rollback__after_writes__nothing_left(void **state)
{
	struct fixture *f = *state;
	struct job got;
	struct error e;
	int64_t id, n;
	bool drained = false;

	assert_int_equal(store_begin(f->st, &e), 0);
	id = insert_job(f->st, 0, "a", PHASE_QUEUED, JOB_PENDING);
	assert_int_equal(store_node_set(f->st, "n1", true, "x", &e), 0);
	store_rollback(f->st);
	assert_int_equal(store_job_get(f->st, id, &got, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(store_jobs_count(f->st, NULL, 0x1f, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_node_get(f->st, "n1", &drained, NULL, 0, &e), 0);
	assert_false(drained);
	/* Rolling back with no transaction open does nothing. */
	store_rollback(f->st);
}

/* A committed transaction is visible to another connection. */
static void
store_commit__after_insert__visible(void **state)
{
	struct fixture *f = *state;
	struct error e;

	assert_int_equal(store_begin(f->st, &e), 0);
	insert_job(f->st, 0, "a", PHASE_QUEUED, JOB_PENDING);
	insert_job(f->st, 1, "a", PHASE_QUEUED, JOB_PENDING);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM jobs"), 0);
	assert_int_equal(store_commit(f->st, &e), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM jobs"), 2);
}

/* Transactions do not nest; committing none is an error too. */
static void
store_begin__twice__state_error(void **state)
{
	struct fixture *f = *state;
	struct error e;

	assert_int_equal(store_commit(f->st, &e), -1);
	assert_int_equal(e.code, ERR_STATE);
	assert_int_equal(store_begin(f->st, &e), 0);
	assert_int_equal(store_begin(f->st, &e), -1);
	assert_int_equal(e.code, ERR_STATE);
	store_rollback(f->st);
	assert_int_equal(store_begin(f->st, &e), 0);
	assert_int_equal(store_commit(f->st, &e), 0);
}

/* Another writer holding the lock past the timeout is ERR_BUSY. */
static void
store_begin__locked_by_other__busy(void **state)
{
	struct fixture *f = *state;
	struct error e;
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	/* Waits the 5 s busy timeout, then gives up. */
	assert_int_equal(store_begin(f->st, &e), -1);
	assert_int_equal(e.code, ERR_BUSY);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(store_begin(f->st, &e), 0);
	store_rollback(f->st);
}

/* A submission's body round-trips, goes when forgotten, and with its job. */
static void
store_submission__put_get_delete__round_trips(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "{\"runtime\":\"python3\",\"x\":\"\0\"}";
	int64_t ids[1];
	struct job j;
	struct error e;
	char *got, text[32];
	size_t len;
	int removed;

	job_fill(&j, 1);
	assert_int_equal(store_job_insert(f->st, &j, &e), 0);
	assert_int_equal(store_submission_get(f->st, j.id, &got, &len, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(store_submission_put(f->st, j.id, body,
			     sizeof(body) - 1, &e),
	    0);
	assert_int_equal(store_submission_get(f->st, j.id, &got, &len, &e), 0);
	assert_int_equal(len, sizeof(body) - 1);
	assert_memory_equal(got, body, len);
	assert_int_equal(got[len], '\0');
	free(got);
	assert_int_equal(store_submission_delete(f->st, j.id, &e), 0);
	assert_int_equal(store_submission_get(f->st, j.id, &got, &len, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(store_submission_delete(f->st, j.id, &e), 0);
	/* Removing an ended job removes the body it still had. */
	assert_int_equal(store_submission_put(f->st, j.id, "", 0, &e), 0);
	j.state = JOB_CANCELLED;
	j.phase = PHASE_DONE;
	assert_int_equal(store_job_update(f->st, &j, &e), 0);
	ids[0] = j.id;
	assert_int_equal(store_jobs_remove(f->st, JOB_CANCELLED, ids, 1,
			     &removed, &e),
	    0);
	assert_int_equal(removed, 1);
	raw_text(f->path, "SELECT count(*) FROM submissions", text,
	    sizeof(text));
	assert_string_equal(text, "0");
}

/* Unix milliseconds now. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The callbacks due hold at most per_tenant of one tenant's: another
   tenant's are never all pushed out by one tenant's many. */
static void
store_callbacks_due__per_tenant__shared(void **state)
{
	struct fixture *f = *state;
	int64_t ids[8], a[3];
	struct job j;
	struct error e;
	int n, i, of_a = 0;

	/* tenant-0 ends three jobs, then tenant-1 one: tenant-1's is due
	   last. */
	for (i = 0; i < 4; i++) {
		job_fill(&j, i < 3 ? 0 : 1);
		j.phase = PHASE_QUEUED;
		j.state = JOB_PENDING;
		assert_int_equal(store_job_insert(f->st, &j, &e), 0);
		assert_int_equal(store_callback_put(f->st, j.id, "http://h/",
				     &e),
		    0);
		j.phase = PHASE_DONE;
		j.state = JOB_COMPLETED;
		assert_int_equal(store_job_update(f->st, &j, &e), 0);
		if (i < 3)
			a[i] = j.id;
	}
	assert_int_equal(store_callbacks_due(f->st, INT64_MAX, 3, 2, ids, &n,
			     &e),
	    0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		of_a += ids[i] == a[0] || ids[i] == a[1] || ids[i] == a[2];
	assert_int_equal(of_a, 2);
	assert_int_equal(ids[0], a[0]);
	assert_int_equal(ids[2], j.id);
	/* Without a share, soonest first alone. */
	assert_int_equal(store_callbacks_due(f->st, INT64_MAX, 3, 3, ids, &n,
			     &e),
	    0);
	assert_int_equal(n, 3);
	assert_true(ids[2] == a[2]);
}

/*
 * A callback is waiting while its job runs, pending (due at once) from the
 * commit that ends the job, then recorded attempt by attempt; only a
 * pending one changes; removing the job removes it.
 */
static void
store_callback__lifecycle__waiting_pending_recorded(void **state)
{
	struct fixture *f = *state;
	struct store_callback cb;
	int64_t ids[4], t0, n64;
	struct job j, other;
	struct error e;
	int n, removed;

	job_fill(&j, 0);
	j.phase = PHASE_QUEUED;
	j.state = JOB_PENDING;
	assert_int_equal(store_job_insert(f->st, &j, &e), 0);
	job_fill(&other, 1);
	other.phase = PHASE_QUEUED;
	other.state = JOB_PENDING;
	assert_int_equal(store_job_insert(f->st, &other, &e), 0);
	assert_int_equal(store_callback_get(f->st, j.id, &cb, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(store_callback_put(f->st, j.id,
			     "http://a.example/h?x='1'", &e),
	    0);
	assert_int_equal(store_callback_get(f->st, j.id, &cb, &e), 0);
	assert_string_equal(cb.url, "http://a.example/h?x='1'");
	assert_string_equal(cb.state, "waiting");
	assert_int_equal(cb.attempts, 0);
	assert_int_equal(cb.ended_ms, 0);
	assert_string_equal(cb.last_error, "");
	assert_int_equal(store_callbacks_due(f->st, INT64_MAX, 4, 4, ids, &n,
			     &e),
	    0);
	assert_int_equal(n, 0);

	/* Running is not ended; ended is, in the same commit. */
	j.phase = PHASE_RUNNING;
	j.state = JOB_RUNNING;
	assert_int_equal(store_job_update(f->st, &j, &e), 0);
	assert_int_equal(store_callback_get(f->st, j.id, &cb, &e), 0);
	assert_string_equal(cb.state, "waiting");
	t0 = now_ms();
	j.phase = PHASE_DONE;
	j.state = JOB_COMPLETED;
	assert_int_equal(store_job_update(f->st, &j, &e), 0);
	assert_int_equal(store_callback_get(f->st, j.id, &cb, &e), 0);
	assert_string_equal(cb.state, "pending");
	assert_true(cb.due_ms >= t0 - 1000 && cb.due_ms <= now_ms() + 1000);
	assert_int_equal(cb.ended_ms, cb.due_ms);
	assert_int_equal(store_callbacks_due(f->st, cb.due_ms, 4, 4, ids, &n,
			     &e),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], j.id);
	assert_int_equal(store_callbacks_due(f->st, cb.due_ms - 1, 4, 4, ids,
			     &n, &e),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(store_callbacks_count(f->st, "pending", &n64, &e), 0);
	assert_int_equal(n64, 1);

	/* An attempt failed: due later. */
	assert_int_equal(store_callback_set(f->st, j.id, "pending", 1,
			     t0 + 60000, "x answered 500", &e),
	    0);
	assert_int_equal(store_callback_get(f->st, j.id, &cb, &e), 0);
	assert_int_equal(cb.attempts, 1);
	assert_string_equal(cb.last_error, "x answered 500");
	assert_int_equal(store_callbacks_due(f->st, t0 + 59999, 4, 4, ids, &n,
			     &e),
	    0);
	assert_int_equal(n, 0);
	/* Delivered: nothing changes it any more, not even a new end. */
	assert_int_equal(store_callback_set(f->st, j.id, "delivered", 2,
			     t0 + 60000, "", &e),
	    0);
	assert_int_equal(store_callback_set(f->st, j.id, "pending", 3, 0,
			     "late", &e),
	    0);
	assert_int_equal(store_job_update(f->st, &j, &e), 0);
	assert_int_equal(store_callback_get(f->st, j.id, &cb, &e), 0);
	assert_string_equal(cb.state, "delivered");
	assert_int_equal(cb.attempts, 2);
	assert_int_equal(store_callbacks_due(f->st, INT64_MAX, 4, 4, ids, &n,
			     &e),
	    0);
	assert_int_equal(n, 0);
	/* A state that is not one is refused by the schema. */
	assert_int_equal(store_callback_put(f->st, other.id, "http://b/", &e),
	    0);
	other.phase = PHASE_DONE;
	other.state = JOB_FAILED;
	assert_int_equal(store_job_update(f->st, &other, &e), 0);
	assert_int_equal(store_callback_set(f->st, other.id, "lost", 1, 0, "",
			     &e),
	    -1);

	/* Removing the job removes its callback. */
	ids[0] = j.id;
	assert_int_equal(store_jobs_remove(f->st, JOB_COMPLETED, ids, 1,
			     &removed, &e),
	    0);
	assert_int_equal(removed, 1);
	assert_int_equal(store_callback_get(f->st, j.id, &cb, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(store_callback_get(f->st, other.id, &cb, &e), 0);
}

/*
 * The loop's commits leave checkpoints to the store's thread: after more
 * than 1000 pages of commits (but fewer than the writer's own bound), the
 * database file grows as the thread copies the WAL back into it.  Nothing
 * else would: the store's WAL hook replaces SQLite's own checkpoints.
 */
static void
store_commit__past_threshold__checkpointed_by_thread(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	struct error e;
	struct job j;
	off_t before;
	int i;

	assert_int_equal(stat(f->path, &st), 0);
	before = st.st_size;
	for (i = 0; i < 400; i++) {
		job_fill(&j, i);
		assert_int_equal(store_job_insert(f->st, &j, &e), 0);
		assert_int_equal(store_submission_put(f->st, j.id, "{}", 2, &e),
		    0);
	}
	for (i = 0; i < 200; i++) {
		assert_int_equal(stat(f->path, &st), 0);
		if (st.st_size > before + 64 * 1024)
			break;
		usleep(50 * 1000);
	}
	assert_true(st.st_size > before + 64 * 1024);
}

/*
 * A steady stream of commits keeps the WAL bounded: with no pause for the
 * thread to finish, the writer's own checkpoint lets it start again.
 * Unbounded, the 8,000 commits here would leave a WAL of about 200 MiB.
 * The commits are paced (5,000 a second at most, more than the daemon
 * makes), as the WAL grows by what is committed while the thread's
 * checkpoint, whose flushes a loaded disk can make slow, holds the
 * writer's off; the bound leaves room for one of 400 ms.
 */
static void
store_commit__steady_stream__wal_bounded(void **state)
{
	struct fixture *f = *state;
	char wal[4300];
	struct stat st;
	struct error e;
	struct job j;
	int i;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	for (i = 0; i < 4000; i++) {
		job_fill(&j, i);
		assert_int_equal(store_job_insert(f->st, &j, &e), 0);
		assert_int_equal(store_submission_put(f->st, j.id,
				     "0123456789abcdef0123456789abcdef", 32,
				     &e),
		    0);
		usleep(200);
	}
	assert_int_equal(stat(wal, &st), 0);
	assert_true(st.st_size < 96 * 1024 * 1024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) \
	cmocka_unit_test_setup_teardown(name, store_setup, fixture_teardown)
#define D(name) \
	cmocka_unit_test_setup_teardown(name, dir_setup, fixture_teardown)
		T(store_open__new_file__current_version_and_wal),
		T(store_job_insert__every_field__round_trips),
		T(store_callback__lifecycle__waiting_pending_recorded),
		T(store_callbacks_due__per_tenant__shared),
		T(store_job_insert__longest_strings__round_trip),
		T(store_job_insert__sql_in_strings__stored_verbatim),
		T(store_job_insert__bad_state__invalid),
		T(store_job_insert__several__ids_increasing),
		T(store_job_get__missing__not_found),
		T(store_job_get__oversize_text__refused),
		T(store_job_get__unknown_state__refused),
		T(store_job_update__reason_cut_mid_character__stored_whole),
		T(store_job_update__every_field__round_trips),
		T(store_job_update__missing_row__not_found),
		T(store_job_update__same_values__succeeds),
		T(store_jobs_in_phase__mixed_phases__oldest_first),
		T(store_jobs_in_phase__fn_returns_minus_one__stops),
		T(store_jobs_in_phase__fn_moves_jobs__each_seen_once),
		T(store_jobs_list__all__newest_first_paged),
		T(store_jobs_list__tenant_and_state__filtered),
		T(store_jobs_list__bad_state__invalid),
		T(store_jobs_find__each_part__filtered),
		T(store_jobs_find__bad_filter__invalid),
		T(store_jobs_count__phase_mask_and_tenant__counted),
		T(store_jobs_final_counts__mixed__final_states_only),
		T(store_node_get__never_set__not_drained),
		T(store_node_set__drain_then_resume__round_trips),
		T(store_node_get__short_buffer__cut),
		T(store_node_set__bad_values__invalid),
		T(store_open__reopen__keeps_data),
		D(store_open__version_zero__migrated),
		D(store_open__empty_file__migrated),
		D(store_open__version_five__jobs_kept),
		D(store_open__version_six__slurm_id_added),
		D(store_open__newer_version__refused),
		D(store_open__failing_migration__rolled_back),
		D(store_open__not_a_database__io_error),
		D(store_open__missing_directory__io_error),
		T(store_rollback__after_writes__nothing_left),
		T(store_commit__after_insert__visible),
		T(store_begin__twice__state_error),
		T(store_begin__locked_by_other__busy),
		T(store_submission__put_get_delete__round_trips),
		T(store_commit__past_threshold__checkpointed_by_thread),
		T(store_commit__steady_stream__wal_bounded),
#undef T
#undef D
	};

	/* Migrations log at info; keep the TAP stream to warnings. */
	log_open("test_store", LOG_LEVEL_WARN);
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
