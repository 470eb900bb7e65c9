/*
 * The job store on SQLite: see store.h.
 *
 * Every statement the dispatcher runs more than once is prepared when the
 * store opens and kept in struct store; each use binds every value, steps,
 * and resets the statement before returning, so that no statement keeps a
 * read transaction (and with it an old WAL snapshot) open between calls.
 * SQLite's errors become struct error in store_error() and nowhere else.
 *
 * Checkpoints (copying the WAL back into the database, with its fsyncs)
 * run on a thread of their own with a connection of its own, woken by the
 * WAL hook after a commit: the loop's commits never wait for a disk flush.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define STORE_BUSY_TIMEOUT_MS 5000
/* WAL pages that wake the checkpointer (SQLite's own default). */
#define STORE_CHECKPOINT_PAGES 1000
/*
 * WAL pages past which the writer checkpoints itself.  The WAL only starts
 * again from its beginning when a write finds it wholly copied back, which
 * a checkpoint running beside a steady stream of commits never leaves it:
 * the writer's own checkpoint then copies the little the thread has not
 * (and the next commit starts the WAL again).  It also bounds the WAL if
 * the thread is stuck.
 */
#define STORE_CHECKPOINT_MAX_PAGES 8000
#define STORE_PHASE_BATCH 32 /* rows read per query by store_jobs_in_phase */

/*
 * The schema, one step per version: store_migrations[v] turns version v
 * into v + 1.  A step is never edited once released; a change is a new
 * step.  Each runs in its own transaction together with the user_version
 * bump, so a database is always at exactly one version.
 *
 * States and phases are stored by their wire names, so the database reads
 * plainly in the sqlite3 shell and does not depend on the order of the C
 * enums.  ids come from AUTOINCREMENT: they only grow and are never reused,
 * even after rows are deleted, so an id in a user's hands means one job.
 * Every index ends in the rowid (id), so (tenant) serves "a tenant's jobs,
 * newest first" and (state) "jobs in a state, newest first".
 */
static const char *const store_migrations[] = {
	/* 0 -> 1: jobs and administrative node state. */
	"CREATE TABLE jobs ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  tenant TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  phase TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  runtime TEXT NOT NULL,"
	"  labels TEXT NOT NULL,"
	"  limits TEXT NOT NULL,"
	"  node TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  cancel_requested INTEGER NOT NULL"
	"    CHECK (cancel_requested IN (0, 1)),"
	"  submitted_at TEXT NOT NULL,"
	"  started_at TEXT NOT NULL,"
	"  finished_at TEXT NOT NULL,"
	"  has_result INTEGER NOT NULL CHECK (has_result IN (0, 1)),"
	"  verdict TEXT NOT NULL,"
	"  exit_code INTEGER NOT NULL,"
	"  signal INTEGER NOT NULL,"
	"  cpu_seconds REAL NOT NULL,"
	"  wall_seconds REAL NOT NULL,"
	"  memory_peak_bytes INTEGER NOT NULL"
	");"
	/* A restart resumes each phase oldest first. */
	"CREATE INDEX jobs_phase_id ON jobs (phase, id);"
	/* Quotas: how many jobs a tenant has in flight. */
	"CREATE INDEX jobs_tenant_phase ON jobs (tenant, phase);"
	/* Listing one tenant's jobs, newest first. */
	"CREATE INDEX jobs_tenant_id ON jobs (tenant, id);"
	/* Listing by state, newest first; final counts. */
	"CREATE INDEX jobs_state_id ON jobs (state, id);"
	"CREATE TABLE nodes ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  drained INTEGER NOT NULL CHECK (drained IN (0, 1)),"
	"  reason TEXT NOT NULL"
	");",
	/* 1 -> 2: how many ended jobs of each final state were removed
	   (retention, purge), so that counts of ended jobs never go down. */
	"CREATE TABLE purged ("
	"  state TEXT PRIMARY KEY NOT NULL,"
	"  n INTEGER NOT NULL"
	");",
	/* 2 -> 3: every attempt of a job, where it ran and how it ended. */
	"CREATE TABLE attempts ("
	"  job_id INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  node TEXT NOT NULL,"
	"  placed_at TEXT NOT NULL,"
	"  ended_at TEXT NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  PRIMARY KEY (job_id, attempt)"
	");",
	/* 3 -> 4: the request body of a job not yet placed, committed with
	   its row (its spool in/ is written from it when it is placed). */
	"CREATE TABLE submissions ("
	"  job_id INTEGER PRIMARY KEY,"
	"  body BLOB NOT NULL"
	");",
	/* 4 -> 5: the callback of a job that has one (callback.h).  It is
	   'waiting' until the job ends; the trigger makes it 'pending' (due
	   now) in the very commit that ends the job, so that no end is ever
	   committed without its callback being owed.  Times are Unix
	   milliseconds. */
	"CREATE TABLE callbacks ("
	"  job_id INTEGER PRIMARY KEY,"
	"  url TEXT NOT NULL,"
	"  state TEXT NOT NULL"
	"    CHECK (state IN ('waiting', 'pending', 'delivered', 'failed')),"
	"  attempts INTEGER NOT NULL,"
	"  due_ms INTEGER NOT NULL,"
	"  ended_ms INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL"
	");"
	/* The deliveries due, soonest first. */
	"CREATE INDEX callbacks_due ON callbacks (state, due_ms);"
	"CREATE TRIGGER callbacks_job_ended AFTER UPDATE OF phase ON jobs"
	"  WHEN NEW.phase = 'done' AND OLD.phase <> 'done'"
	"  BEGIN"
	"    UPDATE callbacks SET state = 'pending',"
	"      due_ms = CAST((julianday('now') - 2440587.5) * 86400000.0"
	"        AS INTEGER),"
	"      ended_ms = CAST((julianday('now') - 2440587.5) * 86400000.0"
	"        AS INTEGER)"
	"    WHERE job_id = NEW.id AND state = 'waiting';"
	"  END;",
	/* 5 -> 6: a job's own name (the submission's "name", '' for none),
	   and when its current attempt started ('' while it waits). */
	"ALTER TABLE jobs ADD COLUMN name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE jobs ADD COLUMN attempt_started_at TEXT NOT NULL"
	"  DEFAULT '';"
	/* Listing the jobs of a name, newest first. */
	"CREATE INDEX jobs_name_id ON jobs (name, id);"
	/* A tenant's jobs in a state, newest first: its running ones are
	   found without walking its history. */
	"CREATE INDEX jobs_tenant_state_id ON jobs (tenant, state, id);",
	/* 6 -> 7: the SLURM job id of an attempt on a SLURM node ('' for
	   none): the job's current one, and each attempt's in its history,
	   so that a restart follows the job in the cluster again. */
	"ALTER TABLE jobs ADD COLUMN slurm_job_id TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE attempts ADD COLUMN slurm_job_id TEXT NOT NULL"
	"  DEFAULT '';",
};

_Static_assert(sizeof(store_migrations) / sizeof(store_migrations[0]) ==
	STORE_SCHEMA_VERSION,
    "one migration step per schema version");

/* The columns of struct job after id, in the order every statement uses. */
#define STORE_JOB_COLUMNS \
	"tenant, state, phase, reason, runtime, labels, limits, node, " \
	"attempts, cancel_requested, submitted_at, started_at, finished_at, " \
	"has_result, verdict, exit_code, signal, cpu_seconds, wall_seconds, " \
	"memory_peak_bytes, name, attempt_started_at, slurm_job_id"
#define STORE_JOB_SELECT "SELECT id, " STORE_JOB_COLUMNS " FROM jobs "

enum store_type {
	STORE_TEXT, /* char[size] */
	STORE_STATE, /* enum job_state, stored by name */
	STORE_PHASE, /* enum job_phase, stored by name */
	STORE_INT, /* int */
	STORE_BOOL, /* bool, stored as 0 or 1 */
	STORE_REAL, /* double */
	STORE_U64 /* uint64_t, stored as its 64 bits */
};

/* How one field of struct job maps to a column. */
struct store_column {
	const char *name;
	enum store_type type;
	size_t offset;
	size_t size;
};

#define STORE_FIELD(f) offsetof(struct job, f), sizeof(((struct job *)0)->f)

/* In STORE_JOB_COLUMNS order: parameter i + 1, result column i + 1. */
static const struct store_column store_job_columns[] = {
	{ "tenant", STORE_TEXT, STORE_FIELD(tenant) },
	{ "state", STORE_STATE, STORE_FIELD(state) },
	{ "phase", STORE_PHASE, STORE_FIELD(phase) },
	{ "reason", STORE_TEXT, STORE_FIELD(reason) },
	{ "runtime", STORE_TEXT, STORE_FIELD(runtime) },
	{ "labels", STORE_TEXT, STORE_FIELD(labels) },
	{ "limits", STORE_TEXT, STORE_FIELD(limits) },
	{ "node", STORE_TEXT, STORE_FIELD(node) },
	{ "attempts", STORE_INT, STORE_FIELD(attempts) },
	{ "cancel_requested", STORE_BOOL, STORE_FIELD(cancel_requested) },
	{ "submitted_at", STORE_TEXT, STORE_FIELD(submitted_at) },
	{ "started_at", STORE_TEXT, STORE_FIELD(started_at) },
	{ "finished_at", STORE_TEXT, STORE_FIELD(finished_at) },
	{ "has_result", STORE_BOOL, STORE_FIELD(has_result) },
	{ "verdict", STORE_TEXT, STORE_FIELD(verdict) },
	{ "exit_code", STORE_INT, STORE_FIELD(exit_code) },
	{ "signal", STORE_INT, STORE_FIELD(signal) },
	{ "cpu_seconds", STORE_REAL, STORE_FIELD(cpu_seconds) },
	{ "wall_seconds", STORE_REAL, STORE_FIELD(wall_seconds) },
	{ "memory_peak_bytes", STORE_U64, STORE_FIELD(memory_peak_bytes) },
	{ "name", STORE_TEXT, STORE_FIELD(name) },
	{ "attempt_started_at", STORE_TEXT, STORE_FIELD(attempt_started_at) },
	{ "slurm_job_id", STORE_TEXT, STORE_FIELD(slurm_job_id) },
};
#define STORE_NCOLUMNS \
	(sizeof(store_job_columns) / sizeof(store_job_columns[0]))

enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT,
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_USER_VERSION,
	STMT_JOB_INSERT,
	STMT_JOB_GET,
	STMT_JOB_UPDATE,
	STMT_JOBS_IN_PHASE,
	STMT_JOBS_LIST,
	STMT_JOBS_LIST_TENANT,
	STMT_JOBS_LIST_STATE,
	STMT_JOBS_LIST_TENANT_STATE,
	STMT_JOBS_COUNT,
	STMT_JOBS_COUNT_TENANT,
	STMT_JOBS_FINAL,
	STMT_JOBS_PURGED,
	STMT_JOBS_EXPIRED,
	STMT_JOBS_OLDEST,
	STMT_JOB_DELETE,
	STMT_PURGED_ADD,
	STMT_ATTEMPT_BEGIN,
	STMT_ATTEMPT_END,
	STMT_ATTEMPTS_GET,
	STMT_ATTEMPT_SLURM,
	STMT_ATTEMPTS_DELETE,
	STMT_NODE_GET,
	STMT_NODE_SET,
	STMT_SUBMISSION_PUT,
	STMT_SUBMISSION_GET,
	STMT_SUBMISSION_DELETE,
	STMT_CALLBACK_PUT,
	STMT_CALLBACK_GET,
	STMT_CALLBACKS_DUE,
	STMT_CALLBACK_SET,
	STMT_CALLBACK_DELETE,
	STMT_CALLBACKS_COUNT,
	STMT_COUNT
};

/*
 * The statements, by enum store_stmt.  The list statements share their
 * parameters: ?1 the id to stay below, ?2 the page size, ?3 the tenant,
 * ?4 the state.
 */
static const char *const store_sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_SAVEPOINT] = "SAVEPOINT one",
	[STMT_RELEASE] = "RELEASE one",
	[STMT_ROLLBACK_TO] = "ROLLBACK TO one",
	[STMT_USER_VERSION] = "PRAGMA user_version",
	[STMT_JOB_INSERT] = "INSERT INTO jobs (" STORE_JOB_COLUMNS ") VALUES "
			    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
			    "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
			    "?21, ?22, ?23)",
	[STMT_JOB_GET] = STORE_JOB_SELECT "WHERE id = ?1",
	[STMT_JOB_UPDATE] = "UPDATE jobs SET tenant = ?1, state = ?2, "
			    "phase = ?3, reason = ?4, runtime = ?5, "
			    "labels = ?6, limits = ?7, node = ?8, "
			    "attempts = ?9, cancel_requested = ?10, "
			    "submitted_at = ?11, started_at = ?12, "
			    "finished_at = ?13, has_result = ?14, "
			    "verdict = ?15, exit_code = ?16, signal = ?17, "
			    "cpu_seconds = ?18, wall_seconds = ?19, "
			    "memory_peak_bytes = ?20, name = ?21, "
			    "attempt_started_at = ?22, slurm_job_id = ?23 "
			    "WHERE id = ?24",
	[STMT_JOBS_IN_PHASE] = STORE_JOB_SELECT
	"WHERE phase = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
	[STMT_JOBS_LIST] = STORE_JOB_SELECT
	"WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
	[STMT_JOBS_LIST_TENANT] = STORE_JOB_SELECT
	"WHERE tenant = ?3 AND id < ?1 ORDER BY id DESC LIMIT ?2",
	[STMT_JOBS_LIST_STATE] = STORE_JOB_SELECT
	"WHERE state = ?4 AND id < ?1 ORDER BY id DESC LIMIT ?2",
	[STMT_JOBS_LIST_TENANT_STATE] = STORE_JOB_SELECT
	"WHERE tenant = ?3 AND state = ?4 AND id < ?1 "
	"ORDER BY id DESC LIMIT ?2",
	[STMT_JOBS_COUNT] = "SELECT count(*) FROM jobs WHERE phase = ?1",
	[STMT_JOBS_COUNT_TENANT] = "SELECT count(*) FROM jobs "
				   "WHERE tenant = ?2 AND phase = ?1",
	[STMT_JOBS_FINAL] = "SELECT count(*) FROM jobs WHERE state = ?1",
	[STMT_JOBS_PURGED] = "SELECT state, n FROM purged",
	[STMT_JOBS_EXPIRED] = "SELECT id FROM jobs WHERE state = ?1 AND "
			      "finished_at < ?2 ORDER BY id LIMIT ?3",
	[STMT_JOBS_OLDEST] = "SELECT id FROM jobs WHERE state = ?1 "
			     "ORDER BY id LIMIT ?2",
	[STMT_JOB_DELETE] = "DELETE FROM jobs WHERE id = ?1 AND state = ?2",
	[STMT_ATTEMPT_BEGIN] = "INSERT OR REPLACE INTO attempts (job_id, "
			       "attempt, node, placed_at, ended_at, outcome) "
			       "VALUES (?1, ?2, ?3, ?4, '', '')",
	[STMT_ATTEMPT_END] = "UPDATE attempts SET ended_at = ?3, outcome = ?4 "
			     "WHERE job_id = ?1 AND attempt = ?2 AND "
			     "ended_at = ''",
	[STMT_ATTEMPTS_GET] =
	    "SELECT attempt, node, placed_at, ended_at, "
	    "outcome, slurm_job_id FROM attempts WHERE job_id = ?1 "
	    "ORDER BY attempt LIMIT 1000",
	[STMT_ATTEMPT_SLURM] = "UPDATE attempts SET slurm_job_id = ?3 "
			       "WHERE job_id = ?1 AND attempt = ?2",
	[STMT_ATTEMPTS_DELETE] = "DELETE FROM attempts WHERE job_id = ?1",
	[STMT_PURGED_ADD] = "INSERT INTO purged (state, n) VALUES (?1, ?2) "
			    "ON CONFLICT (state) DO UPDATE SET n = n + ?2",
	[STMT_NODE_GET] = "SELECT drained, reason FROM nodes WHERE name = ?1",
	[STMT_NODE_SET] = "INSERT INTO nodes (name, drained, reason) "
			  "VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE "
			  "SET drained = excluded.drained, "
			  "reason = excluded.reason",
	[STMT_SUBMISSION_PUT] = "INSERT OR REPLACE INTO submissions (job_id, "
				"body) VALUES (?1, ?2)",
	[STMT_SUBMISSION_GET] = "SELECT body FROM submissions "
				"WHERE job_id = ?1",
	[STMT_SUBMISSION_DELETE] = "DELETE FROM submissions WHERE job_id = ?1",
	[STMT_CALLBACK_PUT] = "INSERT OR REPLACE INTO callbacks (job_id, url, "
			      "state, attempts, due_ms, ended_ms, last_error) "
			      "VALUES (?1, ?2, 'waiting', 0, 0, 0, '')",
	[STMT_CALLBACK_GET] = "SELECT url, state, attempts, due_ms, ended_ms, "
			      "last_error FROM callbacks WHERE job_id = ?1",
	/* Soonest first, at most ?3 of one tenant's (its in-flight
	   attempts, still pending and due, among them). */
	[STMT_CALLBACKS_DUE] =
	    "SELECT job_id FROM (SELECT c.job_id, c.due_ms, ROW_NUMBER() "
	    "OVER (PARTITION BY j.tenant ORDER BY c.due_ms, c.job_id) AS n "
	    "FROM callbacks c JOIN jobs j ON j.id = c.job_id WHERE c.state = "
	    "'pending' AND c.due_ms <= ?1) WHERE n <= ?3 ORDER BY due_ms, "
	    "job_id LIMIT ?2",
	[STMT_CALLBACK_SET] = "UPDATE callbacks SET state = ?2, attempts = ?3, "
			      "due_ms = ?4, last_error = ?5 WHERE job_id = ?1 "
			      "AND state = 'pending'",
	[STMT_CALLBACK_DELETE] = "DELETE FROM callbacks WHERE job_id = ?1",
	[STMT_CALLBACKS_COUNT] = "SELECT count(*) FROM callbacks "
				 "WHERE state = ?1",
};

/* The checkpointer thread, and what it shares with the writer. */
struct store_ckpt {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool wanted; /* under lock */
	bool stop; /* under lock */
	sqlite3 *db; /* its own connection, used by the thread only */
	int last_rc; /* the thread's only: the last failure said */
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	struct store_ckpt *ckpt; /* NULL: SQLite's own checkpoints */
};

/*
 * Turn the SQLite result code rc of what just failed on db into e, with a
 * formatted account of what was being done; the one place SQLite's errors
 * are translated.  Returns -1.
 */
static int store_error(sqlite3 *db, int rc, struct error *e, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
store_error(sqlite3 *db, int rc, struct error *e, const char *fmt, ...)
{
	enum error_code code;
	const char *msg;
	char what[256];
	va_list ap;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = ERR_BUSY;
		break;
	case SQLITE_NOMEM:
		code = ERR_NOMEM;
		break;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_PROTOCOL:
	case SQLITE_NOLFS:
		code = ERR_IO;
		break;
	case SQLITE_CONSTRAINT:
	case SQLITE_TOOBIG:
	case SQLITE_MISMATCH:
		code = ERR_INVALID;
		break;
	default:
		code = ERR_INTERNAL;
		break;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* Bind errors leave no message of their own on the connection. */
	if (db != NULL && sqlite3_extended_errcode(db) == rc)
		msg = sqlite3_errmsg(db);
	else
		msg = sqlite3_errstr(rc);
	return error_set(e, code, "%s: %s", what, msg);
}

/* A database whose schema is newer than this release.  Returns -1. */
static int
store_too_new(const char *path, int version, struct error *e)
{
	return error_set(e, ERR_REFUSED,
	    "database '%s' has schema version %d, and this release knows "
	    "versions 0 to %d: it was written by a newer release of sluice",
	    path, version, STORE_SCHEMA_VERSION);
}

/* A job row that cannot be what this release wrote.  Returns -1. */
static int
store_corrupt(int64_t id, const char *column, const char *why, struct error *e)
{
	return error_set(e, ERR_INTERNAL,
	    "job %" PRId64 " in the store is corrupt: column '%s' %s", id,
	    column, why);
}

/* Reset a cached statement after use, keeping no snapshot open. */
static void
store_done(sqlite3_stmt *stmt)
{
	/* sqlite3_reset() repeats the last step's error, already reported. */
	(void)sqlite3_reset(stmt);
	(void)sqlite3_clear_bindings(stmt);
}

/* Run one statement that returns no rows to completion. */
static int
store_step_done(struct store *st, sqlite3_stmt *stmt, struct error *e,
    const char *what)
{
	int rc;

	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE) {
		store_error(st->db, rc, e, "%s", what);
		store_done(stmt);
		return -1;
	}
	store_done(stmt);
	return 0;
}

/* Read PRAGMA user_version with a statement of its own (before the cache). */
static int
store_read_version(sqlite3 *db, int *version, struct error *e)
{
	sqlite3_stmt *stmt = NULL;
	int rc, ret = -1;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		store_error(db, rc, e, "cannot read the schema version");
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_error(db, rc, e, "cannot read the schema version");
		goto out;
	}
	*version = sqlite3_column_int(stmt, 0);
	ret = 0;
out:
	sqlite3_finalize(stmt);
	return ret;
}

/* Run one or more statements of fixed SQL (schema, pragmas, migrations). */
static int
store_exec(sqlite3 *db, const char *sql, struct error *e, const char *what)
{
	int rc;

	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_error(db, rc, e, "%s", what);
	return 0;
}

/* Roll back a failed migration step if SQLite has not done so already. */
static void
store_abandon(sqlite3 *db)
{
	int rc;

	if (sqlite3_get_autocommit(db))
		return;
	if ((rc = sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL)) != SQLITE_OK)
		log_warn("cannot roll back: %s", sqlite3_errstr(rc));
}

/*
 * Bring the schema up to STORE_SCHEMA_VERSION, one step per transaction.
 * The version is read again inside each transaction (BEGIN IMMEDIATE takes
 * the write lock), so two processes opening one old database at once do
 * not both apply a step.
 */
static int
store_migrate(sqlite3 *db, const char *path, struct error *e)
{
	char sql[64];
	int version;

	for (;;) {
		if (store_exec(db, "BEGIN IMMEDIATE", e,
			"cannot start a migration") == -1)
			return -1;
		if (store_read_version(db, &version, e) == -1)
			goto fail;
		if (version == STORE_SCHEMA_VERSION)
			break;
		if (version < 0 || version > STORE_SCHEMA_VERSION) {
			store_too_new(path, version, e);
			goto fail;
		}
		if (store_exec(db, store_migrations[version], e,
			"cannot migrate the schema") == -1) {
			error_wrap(e, "database '%s', version %d to %d", path,
			    version, version + 1);
			goto fail;
		}
		/* A constant of ours, not data: PRAGMA takes no parameters. */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    version + 1);
		if (store_exec(db, sql, e, "cannot set the schema version") ==
		    -1)
			goto fail;
		if (store_exec(db, "COMMIT", e, "cannot commit a migration") ==
		    -1)
			goto fail;
		log_info("database '%s' migrated to schema version %d", path,
		    version + 1);
	}
	/* Nothing was written; end the transaction. */
	if (store_exec(db, "COMMIT", e, "cannot end the migration check") == -1)
		goto fail;
	return 0;
fail:
	store_abandon(db);
	return -1;
}

/* Set the connection's pragmas and check that WAL mode took. */
static int
store_configure(sqlite3 *db, const char *path, struct error *e)
{
	sqlite3_stmt *stmt = NULL;
	const char *mode;
	int rc, ret = -1;

	rc = sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK) {
		store_error(db, rc, e, "cannot set the busy timeout");
		goto out;
	}
	/* The pragma answers with the mode in force, which may not be WAL. */
	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &stmt,
	    NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_error(db, rc, e, "cannot set WAL mode");
		goto out;
	}
	mode = (const char *)sqlite3_column_text(stmt, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		error_set(e, ERR_IO,
		    "database '%s' cannot use WAL mode (journal mode is '%s')",
		    path, mode == NULL ? "?" : mode);
		goto out;
	}
	if (store_exec(db, "PRAGMA synchronous = NORMAL", e,
		"cannot set synchronous mode") == -1)
		goto out;
	/* A WAL that grew (a burst of commits outran the checkpoints) is
	   cut back to this when it starts again from its beginning. */
	if (store_exec(db, "PRAGMA journal_size_limit = 67108864", e,
		"cannot set the WAL's size limit") == -1)
		goto out;
	if (store_exec(db, "PRAGMA foreign_keys = ON", e,
		"cannot enable foreign keys") == -1)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(stmt);
	return ret;
}

/* The checkpointer: a PASSIVE checkpoint each time the writer asks. */
static void *
store_ckpt_main(void *arg)
{
	struct store_ckpt *ck = arg;
	int rc;

	for (;;) {
		pthread_mutex_lock(&ck->lock);
		while (!ck->wanted && !ck->stop)
			pthread_cond_wait(&ck->cond, &ck->lock);
		if (ck->stop) {
			pthread_mutex_unlock(&ck->lock);
			return NULL;
		}
		ck->wanted = false;
		pthread_mutex_unlock(&ck->lock);
		/* PASSIVE never waits for the writer or a reader: what it
		   cannot copy now it copies at the next wake. */
		rc = sqlite3_wal_checkpoint_v2(ck->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != ck->last_rc)
			log_warn("database checkpoint failed: %s",
			    sqlite3_errstr(rc));
		ck->last_rc = rc;
	}
}

/* After each commit of the writer: wake the checkpointer when due. */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store_ckpt *ck = arg;

	if (pages >= STORE_CHECKPOINT_MAX_PAGES) {
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	if (pages >= STORE_CHECKPOINT_PAGES) {
		pthread_mutex_lock(&ck->lock);
		ck->wanted = true;
		pthread_cond_signal(&ck->cond);
		pthread_mutex_unlock(&ck->lock);
	}
	return SQLITE_OK;
}

/* Stop and free the checkpointer. */
static void
store_ckpt_stop(struct store_ckpt *ck)
{
	if (ck == NULL)
		return;
	pthread_mutex_lock(&ck->lock);
	ck->stop = true;
	pthread_cond_signal(&ck->cond);
	pthread_mutex_unlock(&ck->lock);
	pthread_join(ck->thread, NULL);
	sqlite3_close(ck->db);
	pthread_cond_destroy(&ck->cond);
	pthread_mutex_destroy(&ck->lock);
	free(ck);
}

/*
 * Start the checkpointer for st's database at path and hand it the WAL
 * hook (which replaces SQLite's automatic checkpoints).  Without one (no
 * memory, no thread), SQLite's own checkpoints go on: slower, not wrong.
 */
static void
store_ckpt_start(struct store *st, const char *path)
{
	struct store_ckpt *ck;

	if ((ck = calloc(1, sizeof(*ck))) == NULL)
		return;
	/* A connection checkpoints only once it has read the database and
	   so found it in WAL mode. */
	if (sqlite3_open_v2(path, &ck->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK ||
	    sqlite3_exec(ck->db, "SELECT count(*) FROM sqlite_master", NULL,
		NULL, NULL) != SQLITE_OK)
		goto fail;
	pthread_mutex_init(&ck->lock, NULL);
	pthread_cond_init(&ck->cond, NULL);
	if (pthread_create(&ck->thread, NULL, store_ckpt_main, ck) != 0) {
		pthread_cond_destroy(&ck->cond);
		pthread_mutex_destroy(&ck->lock);
		goto fail;
	}
	st->ckpt = ck;
	(void)sqlite3_wal_hook(st->db, store_wal_hook, ck);
	return;
fail:
	log_warn("database '%s': no checkpoint thread; checkpoints run in "
		 "the loop",
	    path);
	sqlite3_close(ck->db);
	free(ck);
}

/* Open or create the database at path, migrate it and prepare statements. */
struct store *
store_open(const char *path, struct error *e)
{
	struct store *st = NULL, *ret = NULL;
	size_t i;
	int rc, version;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory opening '%s'", path);
		goto out;
	}
	rc = sqlite3_open_v2(path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		store_error(st->db, rc, e, "cannot open database '%s'", path);
		goto out;
	}
	rc = sqlite3_extended_result_codes(st->db, 1);
	if (rc != SQLITE_OK) {
		store_error(st->db, rc, e, "cannot open database '%s'", path);
		goto out;
	}
	/* Refuse a newer database before changing anything in it. */
	if (store_read_version(st->db, &version, e) == -1) {
		error_wrap(e, "database '%s'", path);
		goto out;
	}
	if (version < 0 || version > STORE_SCHEMA_VERSION) {
		store_too_new(path, version, e);
		goto out;
	}
	if (store_configure(st->db, path, e) == -1)
		goto out;
	if (store_migrate(st->db, path, e) == -1)
		goto out;
	for (i = 0; i < STMT_COUNT; i++) {
		rc = sqlite3_prepare_v3(st->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			store_error(st->db, rc, e,
			    "cannot prepare a statement");
			goto out;
		}
	}
	store_ckpt_start(st, path);
	ret = st;
	st = NULL;
out:
	store_close(st);
	return ret;
}

/* Finalize every statement and close the connection. */
void
store_close(struct store *st)
{
	size_t i;
	int rc;

	if (st == NULL)
		return;
	/* Before the last connection closes, which checkpoints what is left
	   and removes the WAL. */
	if (st->ckpt != NULL) {
		(void)sqlite3_wal_hook(st->db, NULL, NULL);
		store_ckpt_stop(st->ckpt);
	}
	for (i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	/* An open transaction is rolled back by closing. */
	if ((rc = sqlite3_close(st->db)) != SQLITE_OK)
		log_warn("cannot close the database: %s", sqlite3_errstr(rc));
	free(st);
}

/* The schema version of the open database; -1 if it cannot be read. */
int
store_schema_version(struct store *st)
{
	sqlite3_stmt *stmt = st->stmt[STMT_USER_VERSION];
	int version = -1;

	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	store_done(stmt);
	return version;
}

/* Start a write transaction; taking the write lock now avoids deadlocks. */
int
store_begin(struct store *st, struct error *e)
{
	if (!sqlite3_get_autocommit(st->db))
		return error_set(e, ERR_STATE, "a transaction is already open");
	return store_step_done(st, st->stmt[STMT_BEGIN], e,
	    "cannot begin a transaction");
}

/* Commit the open transaction; on failure it stays open for a rollback. */
int
store_commit(struct store *st, struct error *e)
{
	if (sqlite3_get_autocommit(st->db))
		return error_set(e, ERR_STATE, "no transaction is open");
	return store_step_done(st, st->stmt[STMT_COMMIT], e,
	    "cannot commit a transaction");
}

/* Roll back the open transaction, if there is one. */
void
store_rollback(struct store *st)
{
	struct error e;

	if (sqlite3_get_autocommit(st->db))
		return;
	if (store_step_done(st, st->stmt[STMT_ROLLBACK], &e,
		"cannot roll back a transaction") == -1)
		log_warn("%s", e.msg);
}

/* Whether a transaction is open (SQLite may have ended one on an error). */
bool
store_in_transaction(struct store *st)
{
	return !sqlite3_get_autocommit(st->db);
}

/* Open the savepoint inside the open transaction. */
int
store_savepoint(struct store *st, struct error *e)
{
	if (sqlite3_get_autocommit(st->db))
		return error_set(e, ERR_STATE, "no transaction is open");
	return store_step_done(st, st->stmt[STMT_SAVEPOINT], e,
	    "cannot open a savepoint");
}

/* Keep what was done since the savepoint. */
int
store_savepoint_release(struct store *st, struct error *e)
{
	return store_step_done(st, st->stmt[STMT_RELEASE], e,
	    "cannot release a savepoint");
}

/* Undo what was done since the savepoint, and close it. */
void
store_savepoint_rollback(struct store *st)
{
	struct error e;

	if (sqlite3_get_autocommit(st->db))
		return;
	if (store_step_done(st, st->stmt[STMT_ROLLBACK_TO], &e,
		"cannot roll back to a savepoint") == -1 ||
	    store_step_done(st, st->stmt[STMT_RELEASE], &e,
		"cannot release a savepoint") == -1)
		log_warn("%s", e.msg);
}

/* Bind every field of j but id to parameters 1 to STORE_NCOLUMNS. */
static int
store_bind_job(struct store *st, sqlite3_stmt *stmt, const struct job *j,
    struct error *e)
{
	const struct store_column *c;
	const char *p = (const char *)j;
	const char *text;
	size_t i;
	bool b;
	int rc, iv;
	double d;
	uint64_t u;

	for (i = 0; i < STORE_NCOLUMNS; i++) {
		c = &store_job_columns[i];
		switch (c->type) {
		case STORE_TEXT:
			/* Bounded: a field that lost its NUL stays in bounds. */
			text = p + c->offset;
			rc = sqlite3_bind_text(stmt, (int)i + 1, text,
			    (int)util_utf8_whole(text, strnlen(text, c->size)),
			    SQLITE_STATIC);
			break;
		case STORE_STATE:
			if ((unsigned)j->state > JOB_NODE_FAIL)
				return error_set_field(e, ERR_INVALID, "state",
				    "job state %d is not a state", j->state);
			rc = sqlite3_bind_text(stmt, (int)i + 1,
			    job_state_name(j->state), -1, SQLITE_STATIC);
			break;
		case STORE_PHASE:
			if ((unsigned)j->phase > PHASE_DONE)
				return error_set_field(e, ERR_INVALID, "phase",
				    "job phase %d is not a phase", j->phase);
			rc = sqlite3_bind_text(stmt, (int)i + 1,
			    job_phase_name(j->phase), -1, SQLITE_STATIC);
			break;
		case STORE_INT:
			memcpy(&iv, p + c->offset, sizeof(iv));
			rc = sqlite3_bind_int(stmt, (int)i + 1, iv);
			break;
		case STORE_BOOL:
			memcpy(&b, p + c->offset, sizeof(b));
			rc = sqlite3_bind_int(stmt, (int)i + 1, b ? 1 : 0);
			break;
		case STORE_REAL:
			memcpy(&d, p + c->offset, sizeof(d));
			rc = sqlite3_bind_double(stmt, (int)i + 1, d);
			break;
		case STORE_U64:
			/* The 64 bits as they are; read back the same way. */
			memcpy(&u, p + c->offset, sizeof(u));
			rc = sqlite3_bind_int64(stmt, (int)i + 1,
			    (sqlite3_int64)u);
			break;
		default:
			rc = SQLITE_INTERNAL;
			break;
		}
		if (rc != SQLITE_OK)
			return store_error(st->db, rc, e,
			    "cannot bind a job's values");
	}
	return 0;
}

/*
 * Fill j from the current row of stmt (id, then the columns in order).  A
 * value this release would never have written is refused, not truncated:
 * a shortened tenant name would be another tenant.
 */
static int
store_read_job(sqlite3_stmt *stmt, struct job *j, struct error *e)
{
	const struct store_column *c;
	char *p = (char *)j;
	const unsigned char *text;
	sqlite3_int64 v;
	size_t i, n;
	int col, iv;
	bool b;
	double d;
	uint64_t u;

	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(stmt, 0);
	for (i = 0; i < STORE_NCOLUMNS; i++) {
		c = &store_job_columns[i];
		col = (int)i + 1;
		if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
			return store_corrupt(j->id, c->name, "is null", e);
		switch (c->type) {
		case STORE_TEXT:
		case STORE_STATE:
		case STORE_PHASE:
			text = sqlite3_column_text(stmt, col);
			n = (size_t)sqlite3_column_bytes(stmt, col);
			if (text == NULL)
				return error_set(e, ERR_NOMEM,
				    "out of memory reading job %" PRId64,
				    j->id);
			if (c->type == STORE_STATE) {
				if (job_state_parse((const char *)text,
					&j->state) == -1)
					return store_corrupt(j->id, c->name,
					    "is not a state", e);
				break;
			}
			if (c->type == STORE_PHASE) {
				if (job_phase_parse((const char *)text,
					&j->phase) == -1)
					return store_corrupt(j->id, c->name,
					    "is not a phase", e);
				break;
			}
			if (n >= c->size)
				return store_corrupt(j->id, c->name,
				    "is too long", e);
			memcpy(p + c->offset, text, n);
			p[c->offset + n] = '\0';
			break;
		case STORE_INT:
			v = sqlite3_column_int64(stmt, col);
			/* An int if it survives the round trip. */
			if ((sqlite3_int64)(int)v != v)
				return store_corrupt(j->id, c->name,
				    "is out of range", e);
			iv = (int)v;
			memcpy(p + c->offset, &iv, sizeof(iv));
			break;
		case STORE_BOOL:
			v = sqlite3_column_int64(stmt, col);
			if (v != 0 && v != 1)
				return store_corrupt(j->id, c->name,
				    "is not 0 or 1", e);
			b = v == 1;
			memcpy(p + c->offset, &b, sizeof(b));
			break;
		case STORE_REAL:
			d = sqlite3_column_double(stmt, col);
			memcpy(p + c->offset, &d, sizeof(d));
			break;
		case STORE_U64:
			u = (uint64_t)sqlite3_column_int64(stmt, col);
			memcpy(p + c->offset, &u, sizeof(u));
			break;
		}
	}
	return 0;
}

/* Insert a new job and set its id. */
int
store_job_insert(struct store *st, struct job *j, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_JOB_INSERT];
	int rc, ret = -1;

	if (store_bind_job(st, stmt, j, e) == -1)
		goto out;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE) {
		store_error(st->db, rc, e, "cannot insert a job");
		goto out;
	}
	j->id = sqlite3_last_insert_rowid(st->db);
	ret = 0;
out:
	store_done(stmt);
	return ret;
}

/* Read one job by id. */
int
store_job_get(struct store *st, int64_t id, struct job *out, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_JOB_GET];
	struct job j;
	int rc, ret = -1;

	rc = sqlite3_bind_int64(stmt, 1, id);
	if (rc != SQLITE_OK) {
		store_error(st->db, rc, e, "cannot read a job");
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		error_set(e, ERR_NOTFOUND, "no job %" PRId64, id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_error(st->db, rc, e, "cannot read job %" PRId64, id);
		goto out;
	}
	if (store_read_job(stmt, &j, e) == -1)
		goto out;
	*out = j;
	ret = 0;
out:
	store_done(stmt);
	return ret;
}

/* Write every field of an existing job. */
int
store_job_update(struct store *st, const struct job *j, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_JOB_UPDATE];
	int rc, ret = -1;

	if (store_bind_job(st, stmt, j, e) == -1)
		goto out;
	rc = sqlite3_bind_int64(stmt, (int)STORE_NCOLUMNS + 1, j->id);
	if (rc != SQLITE_OK) {
		store_error(st->db, rc, e, "cannot update a job");
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE) {
		store_error(st->db, rc, e, "cannot update job %" PRId64, j->id);
		goto out;
	}
	/* SQLite counts every row the WHERE matched, changed values or not. */
	if (sqlite3_changes(st->db) == 0) {
		error_set(e, ERR_NOTFOUND, "no job %" PRId64, j->id);
		goto out;
	}
	ret = 0;
out:
	store_done(stmt);
	return ret;
}

/*
 * Step stmt (bound already) and read up to max job rows into out, setting
 * *n; the caller resets stmt.  what says what failed in e.
 */
static int
store_read_jobs(struct store *st, sqlite3_stmt *stmt, struct job *out, int max,
    int *n, struct error *e, const char *what)
{
	int got = 0, rc = SQLITE_DONE;

	while (got < max && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (store_read_job(stmt, &out[got], e) == -1)
			return -1;
		got++;
	}
	if (got < max && rc != SQLITE_DONE)
		return store_error(st->db, rc, e, "%s", what);
	*n = got;
	return 0;
}

/*
 * Read up to max jobs in phase with ids above after into out, oldest first,
 * and reset the statement, so that the caller's callback runs with no
 * statement active.
 */
static int
store_phase_batch(struct store *st, enum job_phase phase, int64_t after,
    struct job *out, int max, int *n, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_JOBS_IN_PHASE];
	int rc, ret = -1;

	rc = sqlite3_bind_text(stmt, 1, job_phase_name(phase), -1,
	    SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(stmt, 2, after);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, 3, max);
	if (rc != SQLITE_OK) {
		store_error(st->db, rc, e, "cannot list jobs by phase");
		goto out;
	}
	ret = store_read_jobs(st, stmt, out, max, n, e,
	    "cannot list jobs by phase");
out:
	store_done(stmt);
	return ret;
}

/*
 * Call fn for every job in phase, oldest first.  Rows are read in batches
 * and fn runs between queries, so it may use the store, even to move the
 * job it is given to another phase.
 */
int
store_jobs_in_phase(struct store *st, enum job_phase phase,
    int (*fn)(const struct job *j, void *arg), void *arg, struct error *e)
{
	struct job *batch = NULL;
	int64_t after = 0;
	int i, n, ret = -1;

	if ((unsigned)phase > PHASE_DONE) {
		error_set(e, ERR_INVALID, "job phase %d is not a phase", phase);
		goto out;
	}
	if ((batch = calloc(STORE_PHASE_BATCH, sizeof(*batch))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory listing jobs");
		goto out;
	}
	do {
		if (store_phase_batch(st, phase, after, batch,
			STORE_PHASE_BATCH, &n, e) == -1)
			goto out;
		for (i = 0; i < n; i++) {
			if (fn(&batch[i], arg) == -1) {
				ret = 0;
				goto out;
			}
			after = batch[i].id;
		}
	} while (n == STORE_PHASE_BATCH);
	ret = 0;
out:
	free(batch);
	return ret;
}

/* A page of jobs, newest first, with optional tenant and state filters. */
int
store_jobs_list(struct store *st, const char *tenant, int state, int64_t before,
    int max, struct job *out, int *n, struct error *e)
{
	enum store_stmt which;
	sqlite3_stmt *stmt = NULL;
	int rc, ret = -1;

	if (state != -1 && (state < 0 || state > (int)JOB_NODE_FAIL))
		return error_set_field(e, ERR_INVALID, "state",
		    "job state %d is not a state", state);
	if (max <= 0) {
		*n = 0;
		return 0;
	}
	if (tenant != NULL)
		which = state == -1 ? STMT_JOBS_LIST_TENANT
				    : STMT_JOBS_LIST_TENANT_STATE;
	else
		which = state == -1 ? STMT_JOBS_LIST : STMT_JOBS_LIST_STATE;
	stmt = st->stmt[which];
	/* ids are positive, so "below INT64_MAX" is "from the newest". */
	rc = sqlite3_bind_int64(stmt, 1, before > 0 ? before : INT64_MAX);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, 2, max);
	if (rc == SQLITE_OK && tenant != NULL)
		rc = sqlite3_bind_text(stmt, 3, tenant, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && state != -1)
		rc = sqlite3_bind_text(stmt, 4,
		    job_state_name((enum job_state)state), -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		store_error(st->db, rc, e, "cannot list jobs");
		goto out;
	}
	ret = store_read_jobs(st, stmt, out, max, n, e, "cannot list jobs");
out:
	store_done(stmt);
	return ret;
}

/* Append to the SQL text being built in buf; -1 if it does not fit. */
static int
store_sql_add(char *buf, size_t size, size_t *len, const char *text)
{
	size_t n = strlen(text);

	if (*len + n >= size)
		return -1;
	memcpy(buf + *len, text, n + 1);
	*len += n;
	return 0;
}

/* The number of states in a filter's mask (0 for none). */
static int
store_find_nstates(const struct store_job_filter *f)
{
	int i, n = 0;

	for (i = 0; i <= JOB_NODE_FAIL; i++)
		if (f->state_mask & (1u << i))
			n++;
	return n;
}

/*
 * Append one SELECT of store_jobs_find() to buf: the jobs below the bound
 * id, in one state (if state), of the filter's other parts, newest first,
 * a page of them.  Its parameters, in store_find_bind_one()'s order: the
 * bound, the state, the tenant, the ids, the names, the label, since,
 * until, the page size.
 */
static int
store_find_one(const struct store_job_filter *f, bool state, char *buf,
    size_t size, size_t *len)
{
	size_t i;
	int rc = 0;

	rc |= store_sql_add(buf, size, len, STORE_JOB_SELECT "WHERE id < ?");
	if (state)
		rc |= store_sql_add(buf, size, len, " AND state = ?");
	if (f->tenant != NULL)
		rc |= store_sql_add(buf, size, len, " AND tenant = ?");
	if (f->nids > 0) {
		rc |= store_sql_add(buf, size, len, " AND id IN (?");
		for (i = 1; i < f->nids; i++)
			rc |= store_sql_add(buf, size, len, ", ?");
		rc |= store_sql_add(buf, size, len, ")");
	}
	if (f->nnames > 0) {
		rc |= store_sql_add(buf, size, len, " AND name IN (?");
		for (i = 1; i < f->nnames; i++)
			rc |= store_sql_add(buf, size, len, ", ?");
		rc |= store_sql_add(buf, size, len, ")");
	}
	/* labels is a compact JSON array of tokens (no quote or escape in
	   one), so the label in quotes is found exactly where it is one. */
	if (f->label != NULL)
		rc |= store_sql_add(buf, size, len,
		    " AND instr(labels, '\"' || ? || '\"') > 0");
	if (f->since != NULL)
		rc |= store_sql_add(buf, size, len, " AND submitted_at >= ?");
	if (f->until != NULL)
		rc |= store_sql_add(buf, size, len, " AND submitted_at < ?");
	rc |= store_sql_add(buf, size, len, " ORDER BY id DESC LIMIT ?");
	return rc == 0 ? 0 : -1;
}

/*
 * The query of store_jobs_find() into buf.  Jobs of several states are a
 * page of each state's, merged: each comes newest first from (state, id)
 * or (tenant, state, id), so that the cost is the pages', not that of
 * every job in those states.
 */
static int
store_find_sql(const struct store_job_filter *f, char *buf, size_t size)
{
	size_t len = 0;
	int i, n = store_find_nstates(f), rc = 0;

	buf[0] = '\0';
	if (n <= 1)
		return store_find_one(f, n == 1, buf, size, &len);
	for (i = 0; i <= JOB_NODE_FAIL; i++) {
		if (!(f->state_mask & (1u << i)))
			continue;
		rc |= store_sql_add(buf, size, &len,
		    len > 0 ? " UNION ALL SELECT * FROM (" : "SELECT * FROM (");
		rc |= store_find_one(f, true, buf, size, &len);
		rc |= store_sql_add(buf, size, &len, ")");
	}
	rc |= store_sql_add(buf, size, &len, " ORDER BY id DESC LIMIT ?");
	return rc == 0 ? 0 : -1;
}

/* Bind the parameters of one store_find_one() from *k on. */
static int
store_find_bind_one(sqlite3_stmt *stmt, const struct store_job_filter *f,
    int state, int max, int *k)
{
	int rc;
	size_t i;

	/* ids are positive, so "below INT64_MAX" is "from the newest". */
	rc = sqlite3_bind_int64(stmt, (*k)++,
	    f->before > 0 ? f->before : INT64_MAX);
	if (rc == SQLITE_OK && state >= 0)
		rc = sqlite3_bind_text(stmt, (*k)++,
		    job_state_name((enum job_state)state), -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && f->tenant != NULL)
		rc = sqlite3_bind_text(stmt, (*k)++, f->tenant, -1,
		    SQLITE_STATIC);
	for (i = 0; rc == SQLITE_OK && i < f->nids; i++)
		rc = sqlite3_bind_int64(stmt, (*k)++, f->ids[i]);
	for (i = 0; rc == SQLITE_OK && i < f->nnames; i++)
		rc = sqlite3_bind_text(stmt, (*k)++, f->names[i], -1,
		    SQLITE_STATIC);
	if (rc == SQLITE_OK && f->label != NULL)
		rc = sqlite3_bind_text(stmt, (*k)++, f->label, -1,
		    SQLITE_STATIC);
	if (rc == SQLITE_OK && f->since != NULL)
		rc = sqlite3_bind_text(stmt, (*k)++, f->since, -1,
		    SQLITE_STATIC);
	if (rc == SQLITE_OK && f->until != NULL)
		rc = sqlite3_bind_text(stmt, (*k)++, f->until, -1,
		    SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, (*k)++, max);
	return rc;
}

/* Bind store_find_sql()'s parameters. */
static int
store_find_bind(sqlite3_stmt *stmt, const struct store_job_filter *f, int max)
{
	int i, k = 1, n = store_find_nstates(f), rc = SQLITE_OK;

	if (n == 0)
		return store_find_bind_one(stmt, f, -1, max, &k);
	for (i = 0; rc == SQLITE_OK && i <= JOB_NODE_FAIL; i++)
		if (f->state_mask & (1u << i))
			rc = store_find_bind_one(stmt, f, i, max, &k);
	if (rc == SQLITE_OK && n > 1)
		rc = sqlite3_bind_int(stmt, k, max);
	return rc;
}

/* A page of the jobs a filter selects, newest first. */
int
store_jobs_find(struct store *st, const struct store_job_filter *f, int max,
    struct job *out, int *n, struct error *e)
{
	sqlite3_stmt *stmt = NULL;
	char *sql = NULL;
	size_t size;
	int rc, ret = -1;

	if ((f->state_mask & ~((1u << (JOB_NODE_FAIL + 1)) - 1)) != 0)
		return error_set_field(e, ERR_INVALID, "state",
		    "a state mask with bits past NODE_FAIL");
	if (f->nids > STORE_FILTER_VALUES_MAX ||
	    f->nnames > STORE_FILTER_VALUES_MAX)
		return error_set(e, ERR_INVALID,
		    "more than %d ids or names in one filter",
		    STORE_FILTER_VALUES_MAX);
	if (max <= 0) {
		*n = 0;
		return 0;
	}
	/* Room for every part, and 3 bytes (", ?") a value, for each of
	   the nine states at most. */
	size = (JOB_NODE_FAIL + 1) *
	    (sizeof(STORE_JOB_SELECT) + 512 + 3 * (f->nids + f->nnames));
	if ((sql = malloc(size)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory listing jobs");
	if (store_find_sql(f, sql, size) == -1) {
		error_set(e, ERR_INTERNAL, "the listing's query does not fit");
		goto out;
	}
	rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = store_find_bind(stmt, f, max);
	if (rc != SQLITE_OK) {
		store_error(st->db, rc, e, "cannot list jobs");
		goto out;
	}
	ret = store_read_jobs(st, stmt, out, max, n, e, "cannot list jobs");
out:
	/* Finalized now: no read transaction outlives the call. */
	sqlite3_finalize(stmt);
	free(sql);
	return ret;
}

/* Count the jobs of one phase, of one tenant or of all. */
static int
store_count_phase(struct store *st, const char *tenant, enum job_phase phase,
    int64_t *count, struct error *e)
{
	sqlite3_stmt *stmt;
	int rc, ret = -1;

	stmt =
	    st->stmt[tenant != NULL ? STMT_JOBS_COUNT_TENANT : STMT_JOBS_COUNT];
	rc = sqlite3_bind_text(stmt, 1, job_phase_name(phase), -1,
	    SQLITE_STATIC);
	if (rc == SQLITE_OK && tenant != NULL)
		rc = sqlite3_bind_text(stmt, 2, tenant, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_error(st->db, rc, e, "cannot count jobs");
		goto out;
	}
	*count = sqlite3_column_int64(stmt, 0);
	ret = 0;
out:
	store_done(stmt);
	return ret;
}

/* How many jobs (of one tenant or all) are in the phases of phase_mask. */
int
store_jobs_count(struct store *st, const char *tenant, unsigned phase_mask,
    int64_t *count, struct error *e)
{
	int64_t total = 0, n;
	unsigned p;

	for (p = PHASE_QUEUED; p <= PHASE_DONE; p++) {
		if ((phase_mask & (1u << p)) == 0)
			continue;
		if (store_count_phase(st, tenant, (enum job_phase)p, &n, e) ==
		    -1)
			return -1;
		total += n;
	}
	*count = total;
	return 0;
}

/* How many jobs ended in each final state; other entries are 0. */
int
store_jobs_final_counts(struct store *st, int64_t counts[9], struct error *e)
{
	return store_jobs_ended_counts(st, true, counts, e);
}

/* Ended jobs by final state, with those removed since or not. */
int
store_jobs_ended_counts(struct store *st, bool removed_too, int64_t counts[9],
    struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_JOBS_FINAL];
	int64_t c[JOB_NODE_FAIL + 1] = { 0 };
	enum job_state s;
	const char *name;
	int rc = SQLITE_DONE, ret = -1;
	unsigned i;

	/* State by state through jobs_state_id, so that the queue (which
	   may hold 100,000 jobs) is never read. */
	for (i = 0; i <= JOB_NODE_FAIL && rc == SQLITE_DONE; i++) {
		if (!job_state_final((enum job_state)i))
			continue;
		rc = sqlite3_bind_text(stmt, 1,
		    job_state_name((enum job_state)i), -1, SQLITE_STATIC);
		if (rc == SQLITE_OK &&
		    (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			c[i] = sqlite3_column_int64(stmt, 0);
			rc = sqlite3_step(stmt);
		}
		store_done(stmt);
	}
	if (rc != SQLITE_DONE) {
		store_error(st->db, rc, e, "cannot count finished jobs");
		goto out;
	}
	store_done(stmt);
	if (!removed_too) {
		memcpy(counts, c, sizeof(c));
		return 0;
	}
	/* And those removed since: the counts only grow. */
	stmt = st->stmt[STMT_JOBS_PURGED];
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(stmt, 0);
		if (name != NULL && job_state_parse(name, &s) == 0 &&
		    job_state_final(s))
			c[s] += sqlite3_column_int64(stmt, 1);
	}
	if (rc != SQLITE_DONE) {
		store_error(st->db, rc, e, "cannot count removed jobs");
		goto out;
	}
	memcpy(counts, c, sizeof(c));
	ret = 0;
out:
	store_done(stmt);
	return ret;
}

/* Ended jobs of a state to remove; see store.h. */
int
store_jobs_expired(struct store *st, enum job_state state, const char *before,
    int limit, int64_t *ids, int *n, struct error *e)
{
	sqlite3_stmt *stmt =
	    st->stmt[before != NULL ? STMT_JOBS_EXPIRED : STMT_JOBS_OLDEST];
	int rc, k = 0, ret = -1;

	if (!job_state_final(state))
		return error_set(e, ERR_INTERNAL, "only ended jobs go");
	rc = sqlite3_bind_text(stmt, 1, job_state_name(state), -1,
	    SQLITE_STATIC);
	if (rc == SQLITE_OK && before != NULL)
		rc = sqlite3_bind_text(stmt, 2, before, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, before != NULL ? 3 : 2, limit);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
			break;
		if (k < limit)
			ids[k++] = sqlite3_column_int64(stmt, 0);
	}
	if (rc != SQLITE_DONE) {
		store_error(st->db, rc, e, "cannot find jobs to remove");
		goto out;
	}
	*n = k;
	ret = 0;
out:
	store_done(stmt);
	return ret;
}

/* Run one statement of text parameters after a job id and attempt. */
static int
store_attempt_exec(struct store *st, enum store_stmt which, int64_t id,
    int attempt, const char *a, const char *b, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[which];
	int rc;

	rc = sqlite3_bind_int64(stmt, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, 2, attempt);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(stmt, 3, a, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(stmt, 4, b,
		    (int)util_utf8_whole(b, strlen(b)), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	store_done(stmt);
	if (rc != SQLITE_DONE)
		return store_error(st->db, rc, e,
		    "cannot record attempt %d of job %lld", attempt,
		    (long long)id);
	return 0;
}

/* An attempt placed; see store.h. */
int
store_attempt_begin(struct store *st, int64_t id, int attempt, const char *node,
    const char *at, struct error *e)
{
	return store_attempt_exec(st, STMT_ATTEMPT_BEGIN, id, attempt, node, at,
	    e);
}

/* An attempt ended; see store.h. */
int
store_attempt_end(struct store *st, int64_t id, int attempt, const char *at,
    const char *outcome, struct error *e)
{
	return store_attempt_exec(st, STMT_ATTEMPT_END, id, attempt, at,
	    outcome, e);
}

/* An attempt's SLURM job id; see store.h. */
int
store_attempt_slurm(struct store *st, int64_t id, int attempt,
    const char *slurm_id, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_ATTEMPT_SLURM];
	int rc;

	rc = sqlite3_bind_int64(stmt, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, 2, attempt);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(stmt, 3, slurm_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	store_done(stmt);
	if (rc != SQLITE_DONE)
		return store_error(st->db, rc, e,
		    "cannot record the SLURM id of attempt %d of job %lld",
		    attempt, (long long)id);
	return 0;
}

/* A job's attempts; see store.h. */
int
store_attempts_get(struct store *st, int64_t id, json_t **out, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_ATTEMPTS_GET];
	json_t *list = json_array(), *one;
	const char *t[4];
	int rc, k;

	if (list == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	rc = sqlite3_bind_int64(stmt, 1, id);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
			break;
		for (k = 0; k < 4; k++)
			t[k] = (const char *)sqlite3_column_text(stmt, k + 1);
		if (t[0] == NULL || t[1] == NULL || t[2] == NULL ||
		    t[3] == NULL)
			continue;
		one = json_pack("{s:i, s:s, s:s, s:o, s:o}", "attempt",
		    sqlite3_column_int(stmt, 0), "node", t[0], "placed_at",
		    t[1], "ended_at",
		    t[2][0] != '\0' ? json_string(t[2]) : json_null(),
		    "outcome",
		    t[3][0] != '\0' ? json_string(t[3]) : json_null());
		t[0] = (const char *)sqlite3_column_text(stmt, 5);
		if (one != NULL && t[0] != NULL && t[0][0] != '\0')
			json_object_set_new(one, "slurm_job_id",
			    json_string(t[0]));
		if (one != NULL)
			json_array_append_new(list, one);
	}
	store_done(stmt);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return store_error(st->db, rc, e,
		    "cannot read the attempts of "
		    "job %lld",
		    (long long)id);
	}
	*out = list;
	return 0;
}

/* Remove ended jobs' rows; see store.h. */
int
store_jobs_remove(struct store *st, enum job_state state, const int64_t *ids,
    int n, int *removed, struct error *e)
{
	sqlite3_stmt *del = st->stmt[STMT_JOB_DELETE];
	sqlite3_stmt *add = st->stmt[STMT_PURGED_ADD];
	int i, rc = SQLITE_OK, count = 0;

	if (!job_state_final(state))
		return error_set(e, ERR_INTERNAL, "only ended jobs go");
	if (store_begin(st, e) == -1)
		return -1;
	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		rc = sqlite3_bind_int64(del, 1, ids[i]);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(del, 2, job_state_name(state),
			    -1, SQLITE_STATIC);
		if (rc == SQLITE_OK &&
		    (rc = sqlite3_step(del)) == SQLITE_DONE) {
			count += sqlite3_changes(st->db);
			rc = SQLITE_OK;
		}
		store_done(del);
		if (rc == SQLITE_OK && sqlite3_changes(st->db) > 0) {
			/* Its history, the body of a job never placed, and
			   its callback. */
			static const enum store_stmt also[] = {
				STMT_ATTEMPTS_DELETE, STMT_SUBMISSION_DELETE,
				STMT_CALLBACK_DELETE
			};
			size_t k;

			for (k = 0; k < 3 && rc == SQLITE_OK; k++) {
				sqlite3_stmt *more = st->stmt[also[k]];

				rc = sqlite3_bind_int64(more, 1, ids[i]);
				if (rc == SQLITE_OK &&
				    (rc = sqlite3_step(more)) == SQLITE_DONE)
					rc = SQLITE_OK;
				store_done(more);
			}
		}
	}
	if (rc == SQLITE_OK && count > 0) {
		rc = sqlite3_bind_text(add, 1, job_state_name(state), -1,
		    SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int(add, 2, count);
		if (rc == SQLITE_OK && (rc = sqlite3_step(add)) == SQLITE_DONE)
			rc = SQLITE_OK;
		store_done(add);
	}
	if (rc != SQLITE_OK) {
		store_error(st->db, rc, e, "cannot remove jobs");
		store_rollback(st);
		return -1;
	}
	if (store_commit(st, e) == -1)
		return -1;
	*removed = count;
	return 0;
}

/* Keep a job's request body; see store.h. */
int
store_submission_put(struct store *st, int64_t id, const void *body, size_t len,
    struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_SUBMISSION_PUT];
	int rc;

	rc = sqlite3_bind_int64(stmt, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob64(stmt, 2, len > 0 ? body : "",
		    (sqlite3_uint64)len, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		store_done(stmt);
		return store_error(st->db, rc, e,
		    "cannot keep the submission of job %lld", (long long)id);
	}
	return store_step_done(st, stmt, e, "cannot keep a submission");
}

/* Read a job's request body; see store.h. */
int
store_submission_get(struct store *st, int64_t id, char **body, size_t *len,
    struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_SUBMISSION_GET];
	const void *blob;
	size_t n;
	char *copy;
	int rc;

	rc = sqlite3_bind_int64(stmt, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		store_done(stmt);
		return error_set(e, ERR_NOTFOUND,
		    "job %lld has no submission in the store", (long long)id);
	}
	if (rc != SQLITE_ROW) {
		store_error(st->db, rc, e,
		    "cannot read the submission of job %lld", (long long)id);
		store_done(stmt);
		return -1;
	}
	blob = sqlite3_column_blob(stmt, 0);
	n = (size_t)sqlite3_column_bytes(stmt, 0);
	if ((copy = malloc(n + 1)) == NULL) {
		store_done(stmt);
		return error_set(e, ERR_NOMEM, "out of memory");
	}
	if (n > 0)
		memcpy(copy, blob, n);
	copy[n] = '\0';
	store_done(stmt);
	*body = copy;
	*len = n;
	return 0;
}

/* Forget a job's request body; see store.h. */
int
store_submission_delete(struct store *st, int64_t id, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_SUBMISSION_DELETE];
	int rc;

	if ((rc = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK) {
		store_done(stmt);
		return store_error(st->db, rc, e, "cannot forget a submission");
	}
	return store_step_done(st, stmt, e, "cannot forget a submission");
}

/* Check a node name given to the node functions. */
static int
store_node_name_check(const char *name, struct error *e)
{
	size_t n = strlen(name);

	if (n == 0 || n >= JOB_NAME_MAX)
		return error_set_field(e, ERR_INVALID, "name",
		    "node name must be 1 to %d bytes", JOB_NAME_MAX - 1);
	return 0;
}

/* Read a node's administrative state; never drained if it has no row. */
int
store_node_get(struct store *st, const char *name, bool *drained, char *reason,
    size_t reason_len, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_NODE_GET];
	const unsigned char *text = NULL;
	sqlite3_int64 d = 0;
	int rc, ret = -1;

	if (store_node_name_check(name, e) == -1)
		return -1;
	rc = sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		d = sqlite3_column_int64(stmt, 0);
		text = sqlite3_column_text(stmt, 1);
		if ((d != 0 && d != 1) || text == NULL) {
			error_set(e, ERR_INTERNAL,
			    "node '%s' in the store is corrupt", name);
			goto out;
		}
	} else if (rc != SQLITE_DONE) {
		store_error(st->db, rc, e, "cannot read node '%s'", name);
		goto out;
	}
	*drained = d == 1;
	if (reason != NULL && reason_len > 0)
		snprintf(reason, reason_len, "%s",
		    text == NULL ? "" : (const char *)text);
	ret = 0;
out:
	store_done(stmt);
	return ret;
}

/* Record a node's administrative state. */
int
store_node_set(struct store *st, const char *name, bool drained,
    const char *reason, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_NODE_SET];
	int rc, ret = -1;

	if (store_node_name_check(name, e) == -1)
		return -1;
	if (reason == NULL)
		reason = "";
	if (strlen(reason) >= JOB_REASON_MAX)
		return error_set_field(e, ERR_INVALID, "reason",
		    "reason is longer than %d bytes", JOB_REASON_MAX - 1);
	rc = sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, 2, drained ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(stmt, 3, reason, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE) {
		store_error(st->db, rc, e, "cannot record node '%s'", name);
		goto out;
	}
	ret = 0;
out:
	store_done(stmt);
	return ret;
}

/* Owe a job's callback; see store.h. */
int
store_callback_put(struct store *st, int64_t id, const char *url,
    struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_CALLBACK_PUT];
	int rc;

	if (strlen(url) > STORE_CALLBACK_URL_MAX)
		return error_set(e, ERR_INVALID, "a callback URL is too long");
	rc = sqlite3_bind_int64(stmt, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(stmt, 2, url, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		store_done(stmt);
		return store_error(st->db, rc, e,
		    "cannot keep the callback of job %lld", (long long)id);
	}
	return store_step_done(st, stmt, e, "cannot keep a callback");
}

/* Copy a text column into dst (size bytes); false if it does not fit. */
static bool
store_copy_text(sqlite3_stmt *stmt, int col, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);
	size_t n = (size_t)sqlite3_column_bytes(stmt, col);

	if (t == NULL || n >= size)
		return false;
	memcpy(dst, t, n + 1);
	return true;
}

/* Read a job's callback; see store.h. */
int
store_callback_get(struct store *st, int64_t id, struct store_callback *out,
    struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_CALLBACK_GET];
	struct store_callback cb;
	int rc;

	rc = sqlite3_bind_int64(stmt, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		store_done(stmt);
		return error_set(e, ERR_NOTFOUND, "job %lld has no callback",
		    (long long)id);
	}
	if (rc != SQLITE_ROW) {
		store_error(st->db, rc, e,
		    "cannot read the callback of job %lld", (long long)id);
		store_done(stmt);
		return -1;
	}
	memset(&cb, 0, sizeof(cb));
	if (!store_copy_text(stmt, 0, cb.url, sizeof(cb.url)) ||
	    !store_copy_text(stmt, 1, cb.state, sizeof(cb.state)) ||
	    !store_copy_text(stmt, 5, cb.last_error, sizeof(cb.last_error))) {
		store_done(stmt);
		return store_corrupt(id, "callbacks", "is too long", e);
	}
	cb.attempts = sqlite3_column_int(stmt, 2);
	cb.due_ms = sqlite3_column_int64(stmt, 3);
	cb.ended_ms = sqlite3_column_int64(stmt, 4);
	store_done(stmt);
	*out = cb;
	return 0;
}

/* The callbacks due; see store.h. */
int
store_callbacks_due(struct store *st, int64_t now_ms, int max, int per_tenant,
    int64_t *ids, int *n, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_CALLBACKS_DUE];
	int rc, count = 0;

	rc = sqlite3_bind_int64(stmt, 1, now_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, 2, max);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, 3, per_tenant);
	while (rc == SQLITE_OK && count < max) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			ids[count++] = sqlite3_column_int64(stmt, 0);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		store_error(st->db, rc, e, "cannot read the callbacks due");
		store_done(stmt);
		return -1;
	}
	store_done(stmt);
	*n = count;
	return 0;
}

/* Record an attempt's outcome; see store.h. */
int
store_callback_set(struct store *st, int64_t id, const char *state,
    int attempts, int64_t due_ms, const char *last_error, struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_CALLBACK_SET];
	int rc;

	rc = sqlite3_bind_int64(stmt, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, 3, attempts);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(stmt, 4, due_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(stmt, 5, last_error, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		store_done(stmt);
		return store_error(st->db, rc, e,
		    "cannot record the callback of job %lld", (long long)id);
	}
	return store_step_done(st, stmt, e, "cannot record a callback");
}

/* How many callbacks are in a state; see store.h. */
int
store_callbacks_count(struct store *st, const char *state, int64_t *count,
    struct error *e)
{
	sqlite3_stmt *stmt = st->stmt[STMT_CALLBACKS_COUNT];
	int rc;

	rc = sqlite3_bind_text(stmt, 1, state, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_error(st->db, rc, e, "cannot count callbacks");
		store_done(stmt);
		return -1;
	}
	*count = sqlite3_column_int64(stmt, 0);
	store_done(stmt);
	return 0;
}
