/*
 * The agent's command-line protocol, as the dispatcher speaks it over one
 * node's SSH connection (remote.h): the command line of each verb (the
 * node's configured agent argv, the verb, a job directory), what each verb
 * answers (info, status, the JSON-lines events of run and wait), the names
 * in a job directory on the node, and the verbs nobody waits for (cancel,
 * and clean batched for many directories at once).
 *
 * Everything the agent says is untrusted input: it is parsed with caps and
 * checks here, so the rest of the dispatcher sees plain values.  Used by a
 * node's worker thread only (pool.c), like its connection.
 */
#ifndef SLUICE_DISPATCHER_AGENTPROTO_H
#define SLUICE_DISPATCHER_AGENTPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "limit.h"
#include "remote.h"
#include "result.h"
#include "settings.h"

#define AGENTPROTO_RUNTIMES_MAX 64
#define AGENTPROTO_CLEAN_BATCH 32
/* A line of events: a finished event carries the whole result. */
#define AGENTPROTO_LINE_MAX (RESULT_MAX_BYTES + 4096)

/* The names in a job directory on a node (base_dir/jobs/<id>.<attempt>). */
#define AGENTPROTO_MANIFEST "job.json"
#define AGENTPROTO_FILES "files"
#define AGENTPROTO_STDIN "stdin"
#define AGENTPROTO_RESULT "result.json"
#define AGENTPROTO_STDOUT "stdout"
#define AGENTPROTO_STDERR "stderr"
#define AGENTPROTO_COMPILE_STDOUT "compile.stdout"
#define AGENTPROTO_COMPILE_STDERR "compile.stderr"
#define AGENTPROTO_OUT "out" /* what the job left in /out */

/* What a node's agent says about itself (checked: it is untrusted). */
struct agentproto_info {
	char agent_version[32];
	char base_dir[512];
	unsigned slots;
	unsigned slots_busy; /* taken when it answered (0 if not said) */
	char cgroup[8];
	struct limits defaults;
	struct limits ceilings;
	size_t nruntimes;
	char runtimes[AGENTPROTO_RUNTIMES_MAX][65];
	char versions[AGENTPROTO_RUNTIMES_MAX][129];
	bool compiled[AGENTPROTO_RUNTIMES_MAX]; /* has a compile stage */
	double compile_wall[AGENTPROTO_RUNTIMES_MAX]; /* its longest, or 0 */
	/* Runtimes whose check in the sandbox failed (the agent's
	   check.h): not offered, shown with what went wrong. */
	size_t nfailing;
	char failing[AGENTPROTO_RUNTIMES_MAX][65];
	char failing_errors[AGENTPROTO_RUNTIMES_MAX][513];
	bool serve; /* features.serve: sluice-agent serve is there */
};

/* One node's agent: its command, its info, and verbs still running. */
struct agentproto {
	const struct settings_node
	    *conf; /* the agent's argv, the node's name */
	struct agentproto_info info; /* set by agentproto_info() */
	struct remote_channel **aux; /* cancel and clean, running meanwhile */
	size_t naux;
	char cleans[AGENTPROTO_CLEAN_BATCH][640]; /* directories waiting for
						     one batched clean */
	size_t ncleans;
	int64_t cleans_since; /* when the oldest was queued */
	struct remote_channel *session; /* sluice-agent serve, or NULL */
	bool session_broken; /* a request could not be sent on it */
	int session_failures; /* sessions lost on this connection */
	uint64_t tags; /* for requests that no job follows */
};

/* How far a job directory got, from agent status. */
enum agentproto_state {
	AGENTPROTO_ABSENT, /* no such directory */
	AGENTPROTO_STAGED, /* uploaded, perhaps partly; never started */
	AGENTPROTO_STARTED /* running or finished: attach with wait */
};

/* What a job's run or wait channel has said so far. */
struct agentproto_events {
	bool accepted;
	bool finished;
	char started_at[40]; /* the agent's start time, once sent; "" */
	char error[256]; /* the agent's JSON error, if any */
	char code[16]; /* ... and its code ("busy": a transient refusal) */
	char garbage[100]; /* the start of the first line that was not
			      JSON, printable, quoted; "" if none */
	/* The first finished event line as the node sent it (NUL-terminated,
	   at most RESULT_MAX_BYTES), NULL if none: its result spares
	   collect_job() fetching result.json.  Untrusted; freed by
	   agentproto_events_release(). */
	char *finished_line;
	size_t finished_len;
};

/* Parse an agent's info JSON, as untrusted input. */
int agentproto_info_parse(const char *text, size_t len,
    struct agentproto_info *out, struct error *e);

/*
 * Why info exited with status: the agent's own {"error", "field"} from
 * out (untrusted), else out itself without its trailing newline; at most
 * 200 bytes of the node's words.
 */
void
agentproto_info_error(int status, const char *out, size_t len, struct error *e);

/* Start with the node's configuration, and nothing running. */
void agentproto_init(struct agentproto *ap, const struct settings_node *conf);

/* Forget the verbs of a connection that is gone (they die with it). */
void agentproto_reset(struct agentproto *ap);

/*
 * Ask the agent for its info, into out: ap->info when a connection comes
 * up (what the other verbs go by), a struct of the caller's to read one
 * field again.  out is left as it was on failure.
 */
int agentproto_info(struct agentproto *ap, struct remote *r,
    struct agentproto_info *out, struct error *e);

/* The path of job id's attempt directory on the node (after info). */
void agentproto_job_path(const struct agentproto *ap, int64_t id, int attempt,
    char *buf, size_t len);

/*
 * Start agent run (or, with attach, agent wait) on the job directory at
 * path: *proc follows its events (agentproto_event_line()), or, when the
 * request went over the session, *proc is NULL and its events come through
 * agentproto_session_poll().
 */
int agentproto_start(struct agentproto *ap, struct remote *r, const char *path,
    bool attach, struct remote_channel **proc, struct error *e);

/* Ask agent status how far the job directory at path got. */
int agentproto_status(struct agentproto *ap, struct remote *r, const char *path,
    enum agentproto_state *out, struct error *e);

/* Remove the job directory at path with agent clean, and wait for it. */
int agentproto_clean_now(struct agentproto *ap, struct remote *r,
    const char *path, struct error *e);

/*
 * Stop the job at path if it still runs, then remove its directory, and
 * wait for both; either may find nothing to do, so errors are ignored.
 */
void
agentproto_purge(struct agentproto *ap, struct remote *r, const char *path);

/*
 * Start agent cancel on path without waiting: the job's own run or wait
 * channel reports the cancelled verdict.
 */
void
agentproto_cancel(struct agentproto *ap, struct remote *r, const char *path);

/*
 * Queue path for one batched agent clean, started when the batch is full
 * or agentproto_poll() finds it due.  Nothing waits for a clean.
 */
void
agentproto_clean(struct agentproto *ap, struct remote *r, const char *path);

/* Reap the verbs that ended, and start a clean batch that is due. */
void agentproto_poll(struct agentproto *ap, struct remote *r);

/*
 * List the job directories on the node, our own names <id>.<attempt>
 * only, into new arrays (the caller frees both; *n may be 0).
 */
int agentproto_dirs(struct agentproto *ap, struct remote *r, int64_t **ids,
    int **attempts, size_t *n, struct error *e);

/*
 * Open the resident session if the agent offers one (after
 * agentproto_info()).  Without one, every verb is a command of its own.
 */
void agentproto_session_open(struct agentproto *ap, struct remote *r);

/*
 * What the session says about one job's run or wait: a line of its events
 * (ended false), or its end with the verb's exit status (ended true).
 */
typedef void (*agentproto_session_cb)(int64_t id, int attempt, const char *line,
    size_t len, bool ended, int exit_status, void *arg);

/*
 * Read the session's lines and pass those of jobs to cb.  Returns 1 while
 * the session lasts (or there is none), 0 once it has ended: it is closed,
 * and the jobs it followed must be attached again (agentproto_start()
 * with attach, which opens a new session or falls back to commands).
 */
int agentproto_session_poll(struct agentproto *ap, struct remote *r,
    agentproto_session_cb cb, void *arg);

/*
 * A remote_channel_poll() line callback for agent run and wait: arg is a
 * struct agentproto_events that records what the line says.  A line that
 * is not an event is ignored.
 */
int agentproto_event_line(const char *line, size_t len, void *arg);

/* Free what an agentproto_events holds and zero it. */
void agentproto_events_release(struct agentproto_events *ev);

#endif
